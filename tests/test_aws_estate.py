"""examples/aws_estate.py provisions the example bank estate; read it back with plain boto3.

Runs against moto in-process with fake credentials, so nothing can reach real AWS.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import moto
import pytest

from dsscan.examples import aws_estate
from dsscan.examples.aws_estate_layout import DR, R1, R2, P, T
from dsscan.examples.aws_estate_resources import _resident_id

pytestmark = pytest.mark.slow  # the full moto estate, provisioned for the module

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": R1,
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


class Estate:
    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        self.ids: dict[str, str] = summary["ids"]
        self._creds: dict[str, dict[str, str]] = {}
        self._clients: dict[tuple[str, str, str], Any] = {}

    def client(self, account: str, service: str, region: str = R1) -> Any:
        """A client acting in ``account``, entered the way the scanner will (sts:AssumeRole)."""
        if (account, service, region) in self._clients:
            return self._clients[account, service, region]
        if account not in self._creds:
            c = boto3.client("sts", region_name=R1).assume_role(
                RoleArn=f"arn:aws-cn:iam::{account}:role/dsscan-demo",
                RoleSessionName="dsscan-test")["Credentials"]
            self._creds[account] = {"aws_access_key_id": c["AccessKeyId"],
                                    "aws_secret_access_key": c["SecretAccessKey"],
                                    "aws_session_token": c["SessionToken"]}
        client = boto3.client(service, region_name=region, **self._creds[account])
        self._clients[account, service, region] = client
        return client

    def key(self, account: str, region: str, alias: str) -> str:
        kms = self.client(account, "kms", region)
        return str(kms.describe_key(KeyId=f"alias/{alias}")["KeyMetadata"]["Arn"])


@pytest.fixture(scope="module")
def estate() -> Iterator[Estate]:
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN",
                    "AWS_WEB_IDENTITY_TOKEN_FILE"):
            mp.delenv(var, raising=False)
        for var, value in FAKE_ENV.items():
            mp.setenv(var, value)
        with moto.mock_aws():
            yield Estate(aws_estate.provision(boto3.Session(region_name=R1)))


def tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def vpc_named(est: Estate, account: str, name: str) -> dict[str, Any]:
    vpcs = est.client(account, "ec2").describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    assert len(vpcs) == 1, f"{name} in {account}: {vpcs}"
    return vpcs[0]


def routes(est: Estate, account: str, vpc_id: str) -> dict[str, str]:
    rts = est.client(account, "ec2").describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    return {r["DestinationCidrBlock"]: r.get("GatewayId") or r.get("VpcPeeringConnectionId", "")
            for rt in rts for r in rt["Routes"]}


@pytest.mark.slow
def test_summary_counts_what_each_account_holds(estate: Estate) -> None:
    acc = estate.summary["accounts"]
    assert {a: v["name"] for a, v in acc.items()} == aws_estate.ACCOUNTS
    assert acc[P]["resources"][R1]["vpc"] == 4
    # bank-audit-logs: operation logs; loan-archive, statement-archive: retention (DS-RET-001)
    assert acc[P]["resources"][R1]["s3_bucket"] == 8
    assert acc[P]["resources"][R1]["log_group"] == 5  # and two application logs (DS-PII-001)
    assert acc[P]["resources"][R1]["cloudtrail_trail"] == 1
    assert acc[P]["resources"][R2] == {"kms_key": 1, "rds_snapshot": 1}
    assert acc[T]["resources"][R1]["rds_instance"] == 2
    assert set(acc[DR]["resources"]) == {R2}


@pytest.mark.slow
def test_resources_land_in_their_accounts_and_regions(estate: Estate) -> None:
    def buckets(account: str) -> set[str]:
        return {b["Name"] for b in estate.client(account, "s3").list_buckets()["Buckets"]}

    assert buckets(P) == {"bank-statements", "bank-marketing-site", "loan-documents",
                          "kyc-archive", "legacy-reports", "bank-audit-logs",
                          "loan-archive", "statement-archive"}
    assert buckets(T) == {"test-fixtures", "uat-data-refresh"}
    assert buckets(DR) == {"bank-statements-replica"}
    assert estate.client(DR, "s3").get_bucket_location(
        Bucket="bank-statements-replica")["LocationConstraint"] == R2

    def dbs(account: str) -> set[str]:
        rds = estate.client(account, "rds")
        return {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]}

    assert dbs(P) == {"core-ledger", "customer-profile"}
    assert dbs(T) == {"test-customer-db", "test-masked-db"}
    assert estate.client(DR, "backup", R2).list_backup_vaults()["BackupVaultList"][0][
        "BackupVaultArn"] == f"arn:aws-cn:backup:{R2}:{DR}:backup-vault:dr-vault"
    assert estate.client(P, "backup", R2).list_backup_vaults()["BackupVaultList"] == []


def test_network_domains_carry_levels_and_the_dmz_reaches_the_internet(estate: Estate) -> None:
    dmz = vpc_named(estate, P, "prod-dmz")
    assert tags(dmz["Tags"]) == {"Name": "prod-dmz", "dsscan:level": "general",
                                 "environment": "production"}
    assert routes(estate, P, dmz["VpcId"])["0.0.0.0/0"].startswith("igw-")
    igws = estate.client(P, "ec2").describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [dmz["VpcId"]]}])["InternetGateways"]
    assert len(igws) == 1

    core = vpc_named(estate, P, "prod-core")
    assert tags(core["Tags"])["dsscan:level"] == "core"
    assert "0.0.0.0/0" not in routes(estate, P, core["VpcId"])
    assert "dsscan:level" not in tags(vpc_named(estate, P, "analytics")["Tags"])
    assert tags(vpc_named(estate, T, "test-isolated")["Tags"])["environment"] == "test"


def test_test_vpc_is_peered_across_accounts_and_routed_both_ways(estate: Estate) -> None:
    pcx_id = estate.ids["pcx:test/prod-internal"]
    pcx = estate.client(P, "ec2").describe_vpc_peering_connections(
        VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
    assert pcx["Status"]["Code"] == "active"
    assert (pcx["RequesterVpcInfo"]["OwnerId"], pcx["AccepterVpcInfo"]["OwnerId"]) == (T, P)
    assert routes(estate, T, vpc_named(estate, T, "test")["VpcId"])["10.20.0.0/16"] == pcx_id
    internal = routes(estate, P, vpc_named(estate, P, "prod-internal")["VpcId"])
    assert internal["10.30.0.0/16"] == pcx_id
    assert internal["10.10.0.0/16"] == estate.ids["pcx:prod-core/prod-internal"]
    isolated = routes(estate, T, vpc_named(estate, T, "test-isolated")["VpcId"])
    assert set(isolated.values()) == {"local"}


def test_security_groups_have_the_estates_ingress(estate: Estate) -> None:
    def ingress(account: str, name: str) -> set[tuple[int, str]]:
        sg = estate.client(account, "ec2").describe_security_groups(
            GroupIds=[estate.ids[f"sg:{name}"]])["SecurityGroups"][0]
        return {(p["FromPort"], r["CidrIp"]) for p in sg["IpPermissions"] for r in p["IpRanges"]}

    assert ingress(P, "session-cache") == {(6379, "0.0.0.0/0")}
    assert (5432, "10.30.0.0/16") in ingress(P, "customer-profile-db")
    assert ingress(T, "test-masked-db") == {(5432, "10.60.0.0/16")}


def test_public_buckets_have_wildcard_policies_and_statements_require_tls(estate: Estate) -> None:
    s3 = estate.client(P, "s3")
    loan = json.loads(s3.get_bucket_policy(Bucket="loan-documents")["Policy"])
    assert loan["Statement"][0]["Principal"] == "*"
    assert loan["Statement"][0]["Effect"] == "Allow"
    assert s3.get_bucket_policy_status(Bucket="loan-documents")["PolicyStatus"]["IsPublic"]
    pab = s3.get_public_access_block(Bucket="loan-documents")["PublicAccessBlockConfiguration"]
    assert not any(pab.values())

    statements = json.loads(s3.get_bucket_policy(Bucket="bank-statements")["Policy"])
    deny = statements["Statement"][0]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    pab = s3.get_public_access_block(Bucket="bank-statements")["PublicAccessBlockConfiguration"]
    assert all(pab.values())
    rule = s3.get_bucket_replication(Bucket="bank-statements")["ReplicationConfiguration"][
        "Rules"][0]
    assert rule["Destination"]["Account"] == DR
    assert rule["Destination"]["Bucket"] == "arn:aws-cn:s3:::bank-statements-replica"

    kyc = s3.get_bucket_encryption(Bucket="kyc-archive")["ServerSideEncryptionConfiguration"]
    assert kyc["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == \
        estate.key(P, R1, "kyc")
    assert tags(s3.get_bucket_tagging(Bucket="kyc-archive")["TagSet"])["dsscan:level"] == "general"


def test_databases_keys_snapshots_and_sharing(estate: Estate) -> None:
    rds = estate.client(P, "rds")
    dbs = {d["DBInstanceIdentifier"]: d for d in rds.describe_db_instances()["DBInstances"]}
    ledger, profile = dbs["core-ledger"], dbs["customer-profile"]
    assert ledger["KmsKeyId"] == estate.key(P, R1, "ledger")
    assert ledger["BackupRetentionPeriod"] == 35
    assert ledger["DBSubnetGroup"]["VpcId"] == vpc_named(estate, P, "prod-core")["VpcId"]
    assert profile["StorageEncrypted"] is True
    assert profile["KmsKeyId"] == estate.key(P, R1, "aws/rds")
    assert "dsscan:level" not in tags(profile["TagList"])

    export = rds.describe_db_snapshots(DBSnapshotIdentifier="customer-profile-export")[
        "DBSnapshots"][0]
    assert export["Encrypted"] is False
    assert export["DBInstanceIdentifier"] == "customer-profile"
    attrs = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier="customer-profile-export")
    assert attrs["DBSnapshotAttributesResult"]["DBSnapshotAttributes"] == [
        {"AttributeName": "restore", "AttributeValues": ["all"]}]

    copy = estate.client(P, "rds", R2).describe_db_snapshots(
        DBSnapshotIdentifier="core-ledger-2026-11-21-dr")["DBSnapshots"][0]
    assert copy["Encrypted"] is True
    assert copy["KmsKeyId"] == estate.key(P, R2, "ledger-dr")
    assert copy["DBInstanceIdentifier"] == "core-ledger"


def test_test_databases_and_their_desensitization_record(estate: Estate) -> None:
    rds = estate.client(T, "rds")
    dbs = {d["DBInstanceIdentifier"]: d for d in rds.describe_db_instances()["DBInstances"]}
    masked, unmasked = tags(dbs["test-masked-db"]["TagList"]), tags(
        dbs["test-customer-db"]["TagList"])
    assert masked["dsscan:desensitization"] == "DSR-2026-017"
    assert "dsscan:desensitization" not in unmasked
    assert masked["environment"] == unmasked["environment"] == "test"
    assert dbs["test-masked-db"]["DBSubnetGroup"]["VpcId"] == vpc_named(
        estate, T, "test-isolated")["VpcId"]
    assert dbs["test-customer-db"]["DBSubnetGroup"]["VpcId"] == vpc_named(
        estate, T, "test")["VpcId"]


def test_other_stores_and_vaults(estate: Estate) -> None:
    ddb = estate.client(P, "dynamodb")
    table = ddb.describe_table(TableName="card-transactions")["Table"]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == estate.key(P, R1, "cards")
    pitr = ddb.describe_continuous_backups(TableName="card-transactions")
    assert pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"] == "ENABLED"

    ec = estate.client(P, "elasticache")
    group = ec.describe_replication_groups(ReplicationGroupId="session-cache")[
        "ReplicationGroups"][0]
    assert group["AtRestEncryptionEnabled"] is False
    assert tags(ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"])[
        "dsscan:level"] == "sensitive"
    member = ec.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])
    assert member["CacheClusters"][0]["CacheSubnetGroupName"] == "prod-dmz"

    cluster = estate.client(P, "redshift").describe_clusters(
        ClusterIdentifier="risk-warehouse")["Clusters"][0]
    assert cluster["Encrypted"] is True
    assert cluster["KmsKeyId"] == estate.key(P, R1, "risk")

    efs = estate.client(P, "efs")
    fs = efs.describe_file_systems(FileSystemId=estate.ids["efs:hr-share"])["FileSystems"][0]
    assert "dsscan:level" not in tags(fs["Tags"])
    targets = efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]
    assert {t["VpcId"] for t in targets} == {vpc_named(estate, P, "prod-internal")["VpcId"]}

    dr = estate.client(DR, "backup", R2).describe_backup_vault(BackupVaultName="dr-vault")
    assert (dr["Locked"], dr["MinRetentionDays"]) == (True, 365)
    assert "LockDate" in dr  # ChangeableForDays given: compliance mode
    assert dr["EncryptionKeyArn"] == estate.key(DR, R2, "dr-backup")
    prod = estate.client(P, "backup").describe_backup_vault(BackupVaultName="prod-vault")
    assert prod["Locked"] is False

    volumes = estate.client(P, "ec2").describe_volumes(
        VolumeIds=[estate.ids["ebs:ledger-batch"], estate.ids["ebs:batch-scratch"]])["Volumes"]
    assert {tags(v["Tags"])["Name"]: v["Encrypted"] for v in volumes} == {
        "ledger-batch": True, "batch-scratch": False}


def test_kyc_archive_holds_checksum_valid_unmasked_ids(estate: Estate) -> None:
    assert _resident_id("11010519491231002") == "11010519491231002X"
    body = estate.client(P, "s3").get_object(Bucket="kyc-archive", Key="scans/2026/index.csv")
    rows = body["Body"].read().decode().splitlines()[1:]
    ids = [r.split(",")[2] for r in rows]
    assert len(ids) == 20
    assert all(i == _resident_id(i[:17]) for i in ids)


def test_importing_the_module_touches_no_aws() -> None:
    code = "import sys, dsscan.examples.aws_estate; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"
