"""A member AWS always sends, missing from a well-formed reply, is a gap — never the reading
that passes (issue 11, wrong passes found by review: a proxy that stripped PubliclyAccessible
from DescribeDBInstances turned a critical DS-NET-003 into exit 0).

Each case strips one member from moto's reply before the scanner reads it (a botocore
``after-call`` hook: the reply stays well formed, every other member of the right type) and
expects a malformed-reply gap naming the operation: on the facet of the asset the member
decides, or on the collector's scope for members of listings that decide a whole region
(security groups, routes). AWS Backup calls moto lacks are answered by tests/aws_support's
StandIn (documented shapes).
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_support import (
    ACCOUNT,
    REGION,
    ClientHooks,
    StandIn,
    by_name,
    fake_env,
    full_estate,
)
from moto import mock_aws

from dsscan.config import Config
from dsscan.inventory import Inventory
from dsscan.pipeline import ScanOptions, exit_code, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.operations import iam_action
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # a full moto estate swept once per stripped member


@pytest.fixture(scope="module")
def estate() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        with mock_aws():
            full_estate()
            ec2 = boto3.client("ec2", region_name=REGION)
            vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["estate"]}])[
                "Vpcs"][0]["VpcId"]
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            yield


def stripping(service_id: str, op: str, path: tuple[str, ...], member: str) -> Any:
    """An after-call handler removing ``member`` from every structure at ``path`` (list
    members are walked into) of the operation's parsed reply."""
    def walk(node: Any, rest: tuple[str, ...]) -> None:
        if isinstance(node, list):
            for x in node:
                walk(x, rest)
        elif isinstance(node, dict):
            if not rest:
                node.pop(member, None)
            elif rest[0] in node:
                walk(node[rest[0]], rest[1:])

    def handler(parsed: Any, **_: Any) -> None:
        walk(parsed, path)

    return (f"after-call.{service_id}.{op}", handler)


def run(stand_in: StandIn, strip: Any, services: list[str]) -> Inventory:
    with ClientHooks(strip, stand_in=stand_in):
        return sweep(SweepOptions(regions=[REGION], services=services))


def gaps_of(inv: Inventory) -> list[tuple[str, str]]:
    return [(g["scope"], g["reason"]) for g in inv.gaps] + [
        (f"{a['name']} {g['aspect']}", g["reason"]) for a in inv.assets
        for g in a["assessment"]["gaps"]]


NET = f"network in {ACCOUNT}/{REGION}"

# (botocore service id, boto3 service, operation, path to the structures, member,
#  --services, where the gap lands: "<asset> <facet>" or a scope)
CASES = [
    # RDS: instances, clusters, snapshots, snapshot attributes
    *[("rds", "rds", "DescribeDBInstances", ("DBInstances",), m, "rds", f"estate-db {facet}")
      for m, facet in (("PubliclyAccessible", "network"), ("VpcSecurityGroups", "network"),
                       ("StorageEncrypted", "encryption"), ("KmsKeyId", "encryption"),
                       ("BackupRetentionPeriod", "backup"))],
    *[("rds", "rds", "DescribeDBClusters", ("DBClusters",), m, "rds", f"estate-aurora {facet}")
      for m, facet in (("VpcSecurityGroups", "network"), ("DBClusterMembers", "network"),
                       ("StorageEncrypted", "encryption"), ("KmsKeyId", "encryption"),
                       ("BackupRetentionPeriod", "backup"))],
    *[("rds", "rds", "DescribeDBSnapshots", ("DBSnapshots",), m, "rds", f"estate-snap {facet}")
      for m, facet in (("Encrypted", "encryption"), ("KmsKeyId", "encryption"),
                       ("SnapshotType", "access"))],
    *[("rds", "rds", "DescribeDBClusterSnapshots", ("DBClusterSnapshots",), m, "rds",
       f"estate-aurora-snap {facet}")
      for m, facet in (("StorageEncrypted", "encryption"), ("KmsKeyId", "encryption"),
                       ("SnapshotType", "access"))],
    ("rds", "rds", "DescribeDBSnapshotAttributes",
     ("DBSnapshotAttributesResult", "DBSnapshotAttributes"), "AttributeValues", "rds",
     "estate-snap access"),
    # Redshift
    *[("redshift", "redshift", "DescribeClusters", ("Clusters",), m, "redshift",
       f"estate-dw {facet}")
      for m, facet in (("PubliclyAccessible", "network"), ("VpcSecurityGroups", "network"),
                       ("Encrypted", "encryption"),
                       ("AutomatedSnapshotRetentionPeriod", "backup"))],
    ("redshift", "redshift", "DescribeClusterSnapshots", ("Snapshots",), "Encrypted",
     "redshift", "estate-dw-snap encryption"),
    ("redshift", "redshift", "DescribeClusterSnapshots", ("Snapshots",), "SnapshotType",
     "redshift", "estate-dw-snap backup"),
    # EBS
    ("ec2", "ec2", "DescribeVolumes", ("Volumes",), "Encrypted", "ebs",
     "estate-volume encryption"),
    ("ec2", "ec2", "DescribeVolumes", ("Volumes",), "KmsKeyId", "ebs",
     "estate-volume encryption"),
    ("ec2", "ec2", "DescribeSnapshots", ("Snapshots",), "Encrypted", "ebs",
     "estate-volume-snap encryption"),
    ("ec2", "ec2", "DescribeSnapshots", ("Snapshots",), "VolumeId", "ebs",
     f"ebs in {ACCOUNT}/{REGION}"),
    # EFS
    ("efs", "efs", "DescribeFileSystems", ("FileSystems",), "Encrypted", "efs",
     "estate-fs encryption"),
    ("efs", "efs", "DescribeFileSystems", ("FileSystems",), "KmsKeyId", "efs",
     "estate-fs encryption"),
    ("efs", "efs", "DescribeMountTargets", ("MountTargets",), "VpcId", "efs",
     "estate-fs network"),
    # ElastiCache: the group, and the security groups of a cluster in a VPC
    *[("elasticache", "elasticache", "DescribeReplicationGroups", ("ReplicationGroups",), m,
       "elasticache", f"estate-cache {facet}")
      for m, facet in (("AtRestEncryptionEnabled", "encryption"),
                       ("TransitEncryptionEnabled", "encryption"),
                       ("MemberClusters", "network"), ("SnapshotRetentionLimit", "backup"))],
    ("elasticache", "elasticache", "DescribeCacheClusters", ("CacheClusters",),
     "SecurityGroups", "elasticache", "estate-memcached network"),
    # EC2 networking: lists AWS sends even when empty
    ("ec2", "ec2", "DescribeSecurityGroups", ("SecurityGroups",), "IpPermissions", "network",
     NET),
    *[("ec2", "ec2", "DescribeSecurityGroups", ("SecurityGroups", "IpPermissions"), m,
       "network", NET)
      for m in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds")],
    ("ec2", "ec2", "DescribeRouteTables", ("RouteTables",), "Routes", "network", NET),
    ("ec2", "ec2", "DescribeInternetGateways", ("InternetGateways",), "Attachments", "network",
     NET),
    # AWS Backup vaults, DynamoDB backups
    ("backup", "backup", "ListBackupVaults", ("BackupVaultList",), "EncryptionKeyArn",
     "backup", "estate-vault encryption"),
    ("dynamodb", "dynamodb", "ListBackups", ("BackupSummaries",), "BackupType", "dynamodb",
     "estate-backup backup"),
    # S3 access points (s3control)
    ("s3-control", "s3control", "GetAccessPoint", (), "NetworkOrigin", "s3",
     "estate-ledger access"),
    ("s3-control", "s3control", "GetAccessPoint", (), "PublicAccessBlockConfiguration", "s3",
     "estate-ledger access"),
    ("s3-control", "s3control", "GetAccessPointPolicyStatus", ("PolicyStatus",), "IsPublic",
     "s3", "estate-ledger access"),
]


@pytest.mark.parametrize(("service_id", "service", "op", "path", "member", "services", "where"),
                         CASES, ids=[f"{c[2]}-{c[4]}" for c in CASES])
def test_a_member_aws_always_sends_is_a_gap_when_missing(stand_in, service_id, service, op,
                                                         path, member, services, where):
    inv = run(stand_in, stripping(service_id, op, path, member), services.split(","))
    expected = f"{iam_action(service, op)} malformed reply (no {member})"
    gaps = gaps_of(inv)
    assert (where, expected) in gaps, gaps


def test_unstripped_estate_reads_every_member_without_gaps(stand_in):
    # The same estate and hooks, nothing stripped: the gaps above come from the stripping.
    inv = run(stand_in, stripping("rds", "DescribeDBInstances", ("DBInstances",), "-"),
              ["rds", "redshift", "ebs", "efs", "elasticache", "network", "dynamodb"])
    assert not [g for g in gaps_of(inv) if "malformed" in g[1]], gaps_of(inv)
    assert by_name(inv, "estate-db")["network"]["publicly_accessible"] is False


def test_stripped_publicly_accessible_is_not_assessed_not_a_pass(stand_in):
    """The review's case: a core database AWS calls publicly accessible, the member stripped
    on the way: DS-NET-003 is not assessed and the run incomplete (exit 3), never exit 0."""
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier="core-ledger", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="admin1", MasterUserPassword="x" * 12, AllocatedStorage=20,
        StorageEncrypted=True, PubliclyAccessible=True, BackupRetentionPeriod=7,
        Tags=[{"Key": "dsscan:level", "Value": "core"}])
    try:
        inv = run(stand_in, stripping("rds", "DescribeDBInstances", ("DBInstances",),
                                      "PubliclyAccessible"), ["rds"])
        db = by_name(inv, "core-ledger")
        assert db["network"]["publicly_accessible"] is None and db["access"]["public"] is None
        result = run_scan(inv, load_library(), ScanOptions(config=Config(),
                                                           include=("DS-NET-003",)))
        assert not result.complete
        assert any(n.asset_id == db["id"] and n.policy_id == "DS-NET-003"
                   for n in result.not_assessed)
        assert exit_code(result, "low", Config()) == 3
        # Unstripped, the same database is the critical finding.
        inv = run(stand_in, stripping("rds", "DescribeDBInstances", ("DBInstances",), "-"),
                  ["rds"])
        result = run_scan(inv, load_library(), ScanOptions(config=Config(),
                                                           include=("DS-NET-003",)))
        assert [(f.policy_id, f.asset_name) for f in result.findings] == [
            ("DS-NET-003", "core-ledger")]
    finally:
        boto3.client("rds", region_name=REGION).delete_db_instance(
            DBInstanceIdentifier="core-ledger", SkipFinalSnapshot=True)
