"""DS-TRN-001: one estate, five descriptions, the same verdicts — a Pulumi program
(tests/fixtures/pulumi/transport, run under the SDK's mocks), its stack export and preview
(recorded at test time), a Terraform plan with provider v5 shapes
(tests/fixtures/terraform/transport-plan.json: parameter groups linked by reference, an
ElastiCache group with only ``transit_encryption_enabled``, computed parameter-group names of
clusters that name none) and the same estate provisioned into moto, read by the live scanner.

Only DS-TRN-001's verdicts are compared: the estate exists to pin them. Every store refuses
plaintext or does not; none is left unknown.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from aws_support import REGION, fake_env
from moto import mock_aws
from parity_support import pulumi_inventory, record_program

from dsscan.config import Config
from dsscan.inventory import Inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROGRAM = FIXTURES / "pulumi" / "transport"
PLAN = FIXTURES / "terraform" / "transport-plan.json"

# Accepts plaintext (what is missing): no bucket policy; rds.force_ssl=0; a MySQL group
# without require_secure_transport; transit encryption preferred / off; no file-system or
# table policy; Redshift's default group (require_ssl=false). The others refuse it.
EXPECTED = {("DS-TRN-001", n) for n in (
    "trn-open", "trn-pg-off", "trn-mysql", "trn-cache-preferred", "trn-cache-off",
    "trn-files", "trn-table", "trn-warehouse")}
STORES = {"trn-open", "trn-tls", "trn-pg-off", "trn-pg-on", "trn-pg-on-2", "trn-mysql",
          "trn-aurora", "trn-cache-preferred", "trn-cache-required", "trn-cache-off",
          "trn-files", "trn-files-tls", "trn-table", "trn-table-tls", "trn-warehouse"}


def verdicts(inv: Inventory) -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """(DS-TRN-001 findings, stores not assessed, stores passed)."""
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    names = {a["id"]: a["name"] for a in inv.assets}
    found = {(f.policy_id, f.asset_name) for f in result.findings if f.policy_id == "DS-TRN-001"}
    unknown = {names[n.asset_id] for n in result.not_assessed if n.policy_id == "DS-TRN-001"}
    stores = {a["name"] for a in inv.assets if a["name"] in STORES}
    return found, unknown, stores - {n for _, n in found} - unknown


def expected() -> tuple[set[tuple[str, str]], set[str], set[str]]:
    return EXPECTED, set(), STORES - {n for _, n in EXPECTED}


def test_terraform_plan():
    inv = build_inventory(read_plan(str(PLAN)), tool="terraform", files=[str(PLAN)])
    assert verdicts(inv) == expected()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict[str, Path]:
    return record_program(tmp_path_factory, PROGRAM)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi(source, recorded):
    inv = pulumi_inventory(source, PROGRAM, recorded)
    assert verdicts(inv) == expected()


def _tls_only(resource: str, action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyPlaintext", "Effect": "Deny", "Principal": "*", "Action": action,
        "Resource": resource, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def provision() -> None:
    """The program's estate, with boto3 (moto's default account)."""
    def tags(level: str) -> list[dict[str, str]]:
        return [{"Key": "dsscan:level", "Value": level},
                {"Key": "environment", "Value": "production"}]

    s3 = boto3.client("s3", region_name=REGION)
    for name, level in (("trn-open", "sensitive"), ("trn-tls", "important")):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(level)})
    s3.put_bucket_policy(Bucket="trn-tls", Policy=_tls_only("arn:aws-cn:s3:::trn-tls/*",
                                                            "s3:*"))

    rds = boto3.client("rds", region_name=REGION)
    for name, family, params in (("trn-pg-off", "postgres16", {"rds.force_ssl": "0"}),
                                 ("trn-pg-on", "postgres16", {"rds.force_ssl": "1"}),
                                 ("trn-mysql", "mysql8.0", {"max_connections": "200"})):
        rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family,
                                      Description=name)
        rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=[
            {"ParameterName": k, "ParameterValue": v, "ApplyMethod": "immediate"}
            for k, v in params.items()])
    for name, engine, version, group in (("trn-pg-off", "postgres", "16.4", "trn-pg-off"),
                                         ("trn-pg-on", "postgres", "16.4", "trn-pg-on"),
                                         ("trn-pg-on-2", "postgres", "16.4", "trn-pg-on"),
                                         ("trn-mysql", "mysql", "8.0.39", "trn-mysql")):
        rds.create_db_instance(DBInstanceIdentifier=name, Engine=engine, EngineVersion=version,
                               DBInstanceClass="db.t4g.micro", AllocatedStorage=20,
                               MasterUsername="dbadmin", MasterUserPassword="secretpassword1",
                               StorageEncrypted=True, DBParameterGroupName=group,
                               BackupRetentionPeriod=7, Tags=tags("important"))
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="trn-aurora",
                                          DBParameterGroupFamily="aurora-mysql8.0",
                                          Description="trn-aurora")
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="trn-aurora", Parameters=[
        {"ParameterName": "require_secure_transport", "ParameterValue": "ON",
         "ApplyMethod": "immediate"}])
    rds.create_db_cluster(DBClusterIdentifier="trn-aurora", Engine="aurora-mysql",
                          MasterUsername="dbadmin", MasterUserPassword="secretpassword1",
                          StorageEncrypted=True, DBClusterParameterGroupName="trn-aurora",
                          BackupRetentionPeriod=7, Tags=tags("core"))

    ec = boto3.client("elasticache", region_name=REGION)
    for name, extra in (("trn-cache-preferred", {"TransitEncryptionEnabled": True,
                                                 "TransitEncryptionMode": "preferred"}),
                        ("trn-cache-required", {"TransitEncryptionEnabled": True}),
                        ("trn-cache-off", {})):
        ec.create_replication_group(ReplicationGroupId=name, ReplicationGroupDescription=name,
                                    Engine="redis", CacheNodeType="cache.t4g.small",
                                    NumCacheClusters=1, AtRestEncryptionEnabled=True,
                                    SnapshotRetentionLimit=7, Tags=tags("sensitive"), **extra)

    efs = boto3.client("efs", region_name=REGION)
    for name in ("trn-files", "trn-files-tls"):
        fs = efs.create_file_system(CreationToken=name, Encrypted=True,
                                    Tags=[{"Key": "Name", "Value": name}, *tags("sensitive")])
    efs.put_file_system_policy(FileSystemId=fs["FileSystemId"], Policy=_tls_only("*", "*"))

    ddb = boto3.client("dynamodb", region_name=REGION)
    for name in ("trn-table", "trn-table-tls"):
        arn = ddb.create_table(
            TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST", Tags=tags("important"))["TableDescription"]["TableArn"]
    ddb.put_resource_policy(ResourceArn=arn, Policy=_tls_only("*", "dynamodb:*"))

    boto3.client("redshift", region_name=REGION).create_cluster(
        ClusterIdentifier="trn-warehouse", NodeType="ra3.xlplus", MasterUsername="dbadmin",
        MasterUserPassword="Secretpassword1", ClusterType="single-node", Encrypted=True,
        AutomatedSnapshotRetentionPeriod=7, Tags=tags("important"))


@pytest.mark.slow
def test_the_estate_in_moto(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        provision()
        inv = sweep(SweepOptions(regions=[REGION], services=[
            "s3", "rds", "elasticache", "efs", "dynamodb", "redshift"]))
    assert verdicts(inv) == expected()
