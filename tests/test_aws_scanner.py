"""The live AWS scanner against moto (`mock_aws`): what each service contributes to the
inventory, and that nothing unread passes (fail closed).

moto stands in for AWS. Where it behaves unlike AWS the scanner follows AWS, and the test says
so. AWS Backup recovery points, selections and restore testing are missing from moto 5.2;
tests/test_aws_backup.py covers them with botocore's Stubber.
"""

from __future__ import annotations

import json

import boto3
import pytest
from aws_support import (
    ACCOUNT,
    DR_REGION,
    REGION,
    act_as_user_denied,
    bucket,
    by_name,
    fake_env,
    public_policy,
    vpc_with_subnets,
)
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from dsscan.errors import InputError
from dsscan.inventory import parse_inventory
from dsscan.scanners.aws.clients import CallLog
from dsscan.scanners.aws.operations import OPERATIONS
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # a full moto estate and a sweep per test


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def scan(**kw):
    kw.setdefault("regions", [REGION])
    inv = sweep(SweepOptions(**kw))
    # Whatever the scanner writes is a valid inventory.
    parse_inventory(json.loads(json.dumps(inv.to_document())), "scan")
    return inv


# --- S3 ----------------------------------------------------------------------------------

def test_bucket_without_encryption_configuration_is_sse_s3_as_on_real_aws():
    # moto raises ServerSideEncryptionConfigurationNotFoundError; AWS has answered SSE-S3 for
    # every bucket since January 2023. dsscan codes for AWS.
    bucket("plain-bucket")
    a = by_name(scan(services=["s3"]), "plain-bucket")
    assert a["encryption"]["at_rest"] == {"enabled": True, "key_type": "provider_managed",
                                          "key_id": None, "algorithm": "AES256"}
    assert a["assessment"]["status"] == "complete"


def test_bucket_key_type_follows_the_kms_key_manager():
    kms = boto3.client("kms", region_name=REGION)
    cmk = kms.create_key()["KeyMetadata"]["Arn"]
    for name, key in (("cmk-bucket", cmk), ("aws-key-bucket", None)):
        s3 = bucket(name)
        default = {"SSEAlgorithm": "aws:kms"} | ({"KMSMasterKeyID": key} if key else {})
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default}]})
    inv = scan(services=["s3"])
    assert by_name(inv, "cmk-bucket")["encryption"]["at_rest"]["key_type"] == "customer_managed"
    # SSE-KMS without a key id is the AWS-managed aws/s3 key.
    assert by_name(inv, "aws-key-bucket")["encryption"]["at_rest"]["key_type"] == \
        "provider_managed"


def test_wildcard_policy_makes_a_bucket_public_unless_the_public_access_block_restricts_it():
    s3 = bucket("open-bucket", tags={"dsscan:level": "sensitive"})
    s3.put_bucket_policy(Bucket="open-bucket", Policy=public_policy("open-bucket"))
    s3 = bucket("blocked-bucket")
    s3.put_bucket_policy(Bucket="blocked-bucket", Policy=public_policy("blocked-bucket"))
    s3.put_public_access_block(Bucket="blocked-bucket", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    inv = scan(services=["s3"])
    open_ = by_name(inv, "open-bucket")
    assert open_["access"]["public"] is True and open_["access"]["wildcard_principal"] is True
    assert open_["tags"] == {"dsscan:level": "sensitive"}
    blocked = by_name(inv, "blocked-bucket")
    assert blocked["access"]["public"] is False
    assert blocked["access"]["public_access_block"] is True
    assert blocked["access"]["wildcard_principal"] is True


def test_policy_restricted_to_a_vpc_endpoint_is_not_public_and_secure_transport_is_read():
    s3 = bucket("vpce-bucket")
    s3.put_bucket_policy(Bucket="vpce-bucket", Policy=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": "arn:aws-cn:s3:::vpce-bucket/*",
         "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0abc"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": "arn:aws-cn:s3:::vpce-bucket/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    a = by_name(scan(services=["s3"]), "vpce-bucket")
    assert a["access"]["public"] is False
    assert a["access"]["secure_transport_required"] is True


def test_replication_target_in_another_account_is_linked_as_a_replica():
    dr = _assume("333333333333")
    bucket("statements-replica", region=DR_REGION, session=dr)
    s3 = bucket("statements")
    s3.put_bucket_versioning(Bucket="statements", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket="statements", ReplicationConfiguration={
        "Role": "arn:aws-cn:iam::123456789012:role/replication",
        "Rules": [{"ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws-cn:s3:::statements-replica",
                                   "Account": "333333333333"}}]})
    inv = scan(regions=[REGION, DR_REGION], services=["s3"],
               accounts=[ACCOUNT, "333333333333"], role_name="dsscan")
    replica = by_name(inv, "statements-replica")
    assert replica["replica_of"] == ["arn:aws-cn:s3:::statements"]
    assert replica["account"] == "333333333333" and replica["region"] == DR_REGION
    assert by_name(inv, "statements")["attributes"]["versioning"] == "Enabled"


def test_buckets_outside_the_requested_regions_are_left_out():
    bucket("north")
    bucket("northwest", region=DR_REGION)
    names = {a["name"] for a in scan(services=["s3"]).assets}
    assert names == {"north"}


# --- RDS, DynamoDB, EBS, EFS, ElastiCache, Redshift -------------------------------------------

def test_rds_instance_network_encryption_backups_and_snapshots():
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc, subnets = vpc_with_subnets(ec2, "10.10.0.0/16", "prod-core", "core")
    sg = ec2.create_security_group(GroupName="core-db", Description="db", VpcId=vpc)["GroupId"]
    cmk = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_subnet_group(DBSubnetGroupName="core", DBSubnetGroupDescription="core",
                               SubnetIds=subnets)
    rds.create_db_instance(DBInstanceIdentifier="core-ledger", Engine="postgres",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername="admin1", MasterUserPassword="password1",
                           StorageEncrypted=True, KmsKeyId=cmk, DBSubnetGroupName="core",
                           VpcSecurityGroupIds=[sg], BackupRetentionPeriod=35,
                           PubliclyAccessible=False,  # AWS always answers it; moto if given
                           Tags=[{"Key": "dsscan:level", "Value": "core"}])
    rds.create_db_snapshot(DBSnapshotIdentifier="ledger-export",
                           DBInstanceIdentifier="core-ledger")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="ledger-export",
                                     AttributeName="restore", ValuesToAdd=["all"])
    inv = scan(services=["rds", "network"])
    db = by_name(inv, "core-ledger")
    assert db["kind"] == "database" and db["tags"]["dsscan:level"] == "core"
    assert db["encryption"]["at_rest"]["key_type"] == "customer_managed"
    assert db["network"]["vpc_id"] == vpc
    assert db["network"]["subnets"] == sorted(subnets)
    assert db["network"]["security_groups"] == [sg]
    assert db["backup"]["native"] == {"enabled": True, "retention_days": 35}
    snap = by_name(inv, "ledger-export")
    assert snap["backup"]["backup_of"] == [db["id"]]
    assert snap["backup"]["location"] == {"account": ACCOUNT, "region": REGION}
    assert snap["access"] == {"public": True, "shared_with": ["all"]}
    domain = by_name(inv, "prod-core", "network_domain")
    assert set(subnets) <= set(domain["network"]["subnets"])


def test_snapshot_copied_to_another_region_points_at_the_original_database():
    # AWS names the source snapshot (SourceDBSnapshotIdentifier); moto does not, so this also
    # pins the fallback on the database resource id that snapshots carry.
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(DBInstanceIdentifier="ledger", Engine="postgres",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername="admin1", MasterUserPassword="password1")
    rds.create_db_snapshot(DBSnapshotIdentifier="ledger-s1", DBInstanceIdentifier="ledger")
    boto3.client("rds", region_name=DR_REGION).copy_db_snapshot(
        SourceDBSnapshotIdentifier=f"arn:aws-cn:rds:{REGION}:{ACCOUNT}:snapshot:ledger-s1",
        TargetDBSnapshotIdentifier="ledger-s1-dr", SourceRegion=REGION)
    inv = scan(regions=[REGION, DR_REGION], services=["rds"])
    copy = by_name(inv, "ledger-s1-dr")
    assert copy["region"] == DR_REGION
    assert copy["backup"]["backup_of"] == [f"arn:aws-cn:rds:{REGION}:{ACCOUNT}:db:ledger"]
    assert copy["backup"]["location"]["region"] == DR_REGION


def test_rds_key_behind_an_aws_alias_is_provider_managed_although_moto_says_customer():
    kms = boto3.client("kms", region_name=REGION)
    aws_rds_key = kms.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]
    assert aws_rds_key["KeyManager"] == "CUSTOMER"  # moto's answer; AWS says AWS
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier="profile", Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="admin1", MasterUserPassword="password1",
        StorageEncrypted=True, KmsKeyId=aws_rds_key["Arn"])
    db = by_name(scan(services=["rds"]), "profile")
    assert db["encryption"]["at_rest"]["key_type"] == "provider_managed"


def test_dynamodb_table_sse_and_point_in_time_recovery():
    ddb = boto3.client("dynamodb", region_name=REGION)
    cmk = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    for name, sse in (("cards", {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": cmk}),
                      ("sessions", None)):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         Tags=[{"Key": "dsscan:level", "Value": "important"}],
                         **({"SSESpecification": sse} if sse else {}))
    ddb.update_continuous_backups(TableName="cards", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    inv = scan(services=["dynamodb"])
    cards, sessions = by_name(inv, "cards"), by_name(inv, "sessions")
    assert cards["encryption"]["at_rest"]["key_type"] == "customer_managed"
    assert cards["backup"]["native"]["point_in_time_recovery"] is True
    assert cards["tags"] == {"dsscan:level": "important"}
    # No SSE specification: an AWS-owned key, always on.
    assert sessions["encryption"]["at_rest"] == {"enabled": True,
                                                 "key_type": "provider_managed", "key_id": None}
    assert sessions["backup"]["native"]["point_in_time_recovery"] is False


def test_ebs_volumes_and_shared_snapshots():
    ec2 = boto3.client("ec2", region_name=REGION)
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=False,
                            TagSpecifications=[{"ResourceType": "volume", "Tags": [
                                {"Key": "Name", "Value": "batch-scratch"}]}])["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    inv = scan(services=["ebs"])
    v = by_name(inv, "batch-scratch")
    assert v["kind"] == "volume"
    assert v["encryption"]["at_rest"] == {"enabled": False, "key_type": "none", "key_id": None}
    s = next(a for a in inv.assets if a["kind"] == "snapshot")
    assert s["backup"]["backup_of"] == [v["id"]]
    assert s["access"]["public"] is True


def test_efs_mount_targets_place_the_file_system_in_its_vpc():
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc, subnets = vpc_with_subnets(ec2, "10.20.0.0/16", "prod-internal", "important")
    sg = ec2.create_security_group(GroupName="nfs", Description="nfs", VpcId=vpc)["GroupId"]
    efs = boto3.client("efs", region_name=REGION)
    # AWS names the key of every encrypted file system (aws/elasticfilesystem by default);
    # moto only the one it is given.
    key = boto3.client("kms", region_name=REGION).describe_key(
        KeyId="alias/aws/elasticfilesystem")["KeyMetadata"]["Arn"]
    fs = efs.create_file_system(CreationToken="hr", Encrypted=True, KmsKeyId=key,
                                Tags=[{"Key": "Name", "Value": "hr-share"}])["FileSystemId"]
    efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[0], SecurityGroups=[sg])
    a = by_name(scan(services=["efs"]), "hr-share")
    assert a["kind"] == "file_system"
    assert a["network"]["vpc_id"] == vpc and a["network"]["subnets"] == [subnets[0]]
    assert a["network"]["security_groups"] == [sg]
    assert a["encryption"]["at_rest"]["enabled"] is True


def test_elasticache_and_redshift_at_rest_encryption():
    boto3.client("elasticache", region_name=REGION).create_replication_group(
        ReplicationGroupId="session-cache", ReplicationGroupDescription="sessions",
        AtRestEncryptionEnabled=False)
    boto3.client("redshift", region_name=REGION).create_cluster(
        ClusterIdentifier="risk-warehouse", NodeType="dc2.large", MasterUsername="admin1",
        MasterUserPassword="Password1", Encrypted=True,
        Tags=[{"Key": "dsscan:level", "Value": "core"}])
    inv = scan(services=["elasticache", "redshift"])
    cache = by_name(inv, "session-cache")
    assert cache["kind"] == "cache"
    assert cache["encryption"]["at_rest"]["enabled"] is False
    wh = by_name(inv, "risk-warehouse")
    assert wh["kind"] == "warehouse" and wh["tags"] == {"dsscan:level": "core"}
    assert wh["encryption"]["at_rest"]["enabled"] is True


# --- network -----------------------------------------------------------------------------

def test_vpc_domain_with_routed_internet_gateway_peering_and_security_group_rules():
    ec2 = boto3.client("ec2", region_name=REGION)
    dmz, _ = vpc_with_subnets(ec2, "10.40.0.0/16", "prod-dmz", "general")
    core, _ = vpc_with_subnets(ec2, "10.10.0.0/16", "prod-core", "core")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=dmz)
    rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [dmz]}])
    ec2.create_route(RouteTableId=rt["RouteTables"][0]["RouteTableId"],
                     DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    pcx = ec2.create_vpc_peering_connection(VpcId=dmz, PeerVpcId=core)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    pl = ec2.create_managed_prefix_list(PrefixListName="branches", MaxEntries=5,
                                        AddressFamily="IPv4",
                                        Entries=[{"Cidr": "10.99.0.0/16"}])["PrefixList"]
    sg = ec2.create_security_group(GroupName="cache", Description="c", VpcId=dmz)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379,
         "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "debug"}],
         "PrefixListIds": [{"PrefixListId": pl["PrefixListId"]}]}])
    inv = scan(services=["network"])
    d = by_name(inv, "prod-dmz", "network_domain")
    assert d["network"]["internet_gateway"] is True
    assert {"destination": "0.0.0.0/0", "target": igw} in d["network"]["routes"]
    assert d["network"]["cidrs"] == ["10.40.0.0/16"]
    assert d["network"]["peerings"] == [{"id": pcx, "peer_vpc_id": core, "peer_account": ACCOUNT,
                                         "peer_region": REGION, "status": "active"}]
    assert by_name(inv, "prod-core", "network_domain")["network"]["internet_gateway"] is False
    rule = by_name(inv, sg, "security_group")["network"]["ingress"][0]
    # The customer prefix list is resolved to its CIDRs for reachability.
    assert rule["cidrs"] == ["0.0.0.0/0", "10.99.0.0/16"] and rule["prefix_lists"] == []
    assert (rule["protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 6379, 6379)


# --- accounts, regions, options ------------------------------------------------------------

def _assume(account: str) -> boto3.Session:
    c = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws-cn:iam::{account}:role/dsscan", RoleSessionName="test")["Credentials"]
    return boto3.Session(aws_access_key_id=c["AccessKeyId"],
                         aws_secret_access_key=c["SecretAccessKey"],
                         aws_session_token=c["SessionToken"], region_name=REGION)


def test_accounts_file_entries_are_entered_with_the_role(tmp_path):
    bucket("prod-data", session=_assume("111111111111"))
    bucket("test-data", session=_assume("222222222222"))
    f = tmp_path / "accounts.yaml"
    f.write_text("accounts:\n  - {id: '111111111111', name: prod}\n  - '222222222222'\n")
    log = CallLog()
    inv = sweep(SweepOptions(regions=[REGION], services=["s3"], accounts_file=str(f),
                             role_name="DsscanReadOnly"), log)
    assert {(a["name"], a["account"]) for a in inv.assets} == {
        ("prod-data", "111111111111"), ("test-data", "222222222222")}
    assert log.counts[("sts", "AssumeRole")] == 2


def test_organization_accounts_are_listed_and_scanned():
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    created = org.create_account(AccountName="test", Email="t@example.com")
    new = org.describe_create_account_status(
        CreateAccountRequestId=created["CreateAccountStatus"]["Id"])["CreateAccountStatus"]
    bucket("org-member-bucket", session=_assume(new["AccountId"]))
    inv = scan(services=["s3"], organization=True, role_name="DsscanReadOnly")
    assert by_name(inv, "org-member-bucket")["account"] == new["AccountId"]


def test_other_accounts_need_a_role_name_and_ids_are_checked(tmp_path):
    with pytest.raises(InputError, match="--role-name"):
        sweep(SweepOptions(regions=[REGION], accounts=["111111111111"]))
    with pytest.raises(InputError, match="12-digit"):
        sweep(SweepOptions(regions=[REGION], accounts=["1111"], role_name="r"))
    with pytest.raises(InputError, match="not a region of partition aws-cn"):
        sweep(SweepOptions(regions=[REGION, "cn-nowhere-1"]))
    with pytest.raises(InputError, match="unknown service"):
        sweep(SweepOptions(regions=[REGION], services=["s4"]))


def test_default_regions_are_the_enabled_regions_of_the_partition():
    bucket("far-bucket", region=DR_REGION)
    inv = sweep(SweepOptions(services=["s3", "network"]))
    assert by_name(inv, "far-bucket")["region"] == DR_REGION
    assert {a["region"] for a in inv.assets if a["kind"] == "network_domain"} == {
        REGION, DR_REGION}  # moto's default VPC in each region of aws-cn


def test_every_call_made_is_a_declared_operation():
    bucket("b-one")
    log = CallLog()
    sweep(SweepOptions(regions=[REGION]), log)
    declared = {(s, op) for s, ops in OPERATIONS.items() for op in ops}
    assert set(log.counts) <= declared
    assert ("s3", "GetBucketEncryption") in log.counts


# --- fail closed -----------------------------------------------------------------------------

@set_initial_no_auth_action_count(3)
def test_access_denied_makes_scopes_and_facets_not_assessed(monkeypatch):
    act_as_user_denied(monkeypatch, ["s3:GetBucketPolicy",
                                      "elasticache:DescribeReplicationGroups",
                                      "rds:DescribeDBSnapshots"])
    bucket("guarded", tags={"dsscan:level": "important"})
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier="db1", Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="admin1", MasterUserPassword="password1")
    inv = scan(services=["s3", "elasticache", "rds"])
    gaps = {g["scope"]: g["reason"] for g in inv.gaps}
    assert gaps[f"elasticache in {ACCOUNT}/{REGION}"] == \
        "elasticache:DescribeReplicationGroups AccessDenied"
    # The RDS listing failed: the whole service scope is a gap, its instances are not guessed.
    assert gaps[f"rds in {ACCOUNT}/{REGION}"] == "rds:DescribeDBSnapshots AccessDenied"
    b = by_name(inv, "guarded")
    assert b["assessment"] == {"status": "partial", "gaps": [
        {"aspect": "access", "reason": "s3:GetBucketPolicy AccessDenied"}]}
    assert b["access"]["public"] is None and b["access"]["wildcard_principal"] is None
    assert b["encryption"]["at_rest"]["enabled"] is True  # what could be read still is


@set_initial_no_auth_action_count(3)
def test_unreadable_kms_key_leaves_the_key_type_unknown(monkeypatch):
    act_as_user_denied(monkeypatch, ["kms:DescribeKey"])
    cmk = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier="db2", Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="admin1", MasterUserPassword="password1",
        StorageEncrypted=True, KmsKeyId=cmk, PubliclyAccessible=False)
    db = by_name(scan(services=["rds"]), "db2")
    assert db["encryption"]["at_rest"] == {"enabled": True, "key_type": None, "key_id": cmk}
    [gap] = db["assessment"]["gaps"]
    assert gap["aspect"] == "encryption" and gap["reason"].startswith("kms:DescribeKey")


@set_initial_no_auth_action_count(3)
def test_failed_role_assumption_is_a_gap_for_that_account(monkeypatch):
    act_as_user_denied(monkeypatch, ["sts:AssumeRole"])
    bucket("own-bucket")
    inv = scan(services=["s3"], accounts=[ACCOUNT, "444444444444"], role_name="DsscanReadOnly")
    assert inv.gaps == [{"scope": "account 444444444444",
                         "reason": "sts:AssumeRole AccessDenied", "account": "444444444444",
                         "region": None, "service": "sts", "operation": "AssumeRole"}]
    assert by_name(inv, "own-bucket")["account"] == ACCOUNT  # the other accounts still are read
