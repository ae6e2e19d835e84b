"""DS-TRN-001 from live AWS (moto): ``encryption.in_transit`` of every store kind, parameter
groups read once per account and region, and what could not be read is a gap (not assessed).

moto answers every call read here, with two differences from AWS that the tests name: its
default DB parameter groups list no parameters (AWS lists every one, most with a value), and
its Redshift DescribeClusterParameters always answers the default values (require_ssl=false)
whatever the group holds — so the one case of a group that requires SSL answers the Redshift
client with botocore's Stubber (that call's reply only moto cannot give).
"""

from __future__ import annotations

import json

import boto3
import pytest
from aws_support import REGION, act_as_user_denied, bucket, by_name, fake_env
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from dsscan.config import Config
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.clients import CallLog
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # a moto estate and a sweep per test

SENSITIVE = [{"Key": "dsscan:level", "Value": "sensitive"}]


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def scan(services, log=None, **kw):
    inv = sweep(SweepOptions(regions=[REGION], services=services, **kw), log)
    parse_inventory(json.loads(json.dumps(inv.to_document())), "scan")  # a valid inventory
    return inv


def transit(inv, name, kind=None):
    return by_name(inv, name, kind)["encryption"]["in_transit"]


def tls_policy(resource: str, action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyPlaintext", "Effect": "Deny", "Principal": "*", "Action": action,
        "Resource": resource, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def test_bucket_policies():
    bucket("no-policy", tags={"dsscan:level": "sensitive"})
    s3 = bucket("tls-only")
    s3.put_bucket_policy(Bucket="tls-only", Policy=tls_policy(
        "arn:aws-cn:s3:::tls-only/*", "s3:*"))
    s3 = bucket("puts-only")
    s3.put_bucket_policy(Bucket="puts-only", Policy=tls_policy(
        "arn:aws-cn:s3:::puts-only/*", "s3:PutObject"))
    inv = scan(["s3"])
    assert transit(inv, "no-policy")["enforced"] is False
    assert transit(inv, "tls-only") == {
        "enforced": True, "mechanism": "bucket_policy", "source": None,
        "setting": "aws:SecureTransport", "value": "false",
        "detail": "its bucket policy denies requests without TLS"}
    # A deny of some actions only refuses plaintext to some: not enforced, and the older
    # access fact agrees (it used to read any deny on aws:SecureTransport as enforcement).
    assert transit(inv, "puts-only")["enforced"] is False
    assert by_name(inv, "puts-only")["access"]["secure_transport_required"] is False


def _pg(rds, name, family, params):
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family,
                                  Description=name)
    if params:
        rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=[
            {"ParameterName": k, "ParameterValue": v, "ApplyMethod": "immediate"}
            for k, v in params.items()])


def _db(rds, name, engine, group=None):
    kw = {"DBParameterGroupName": group} if group else {}
    rds.create_db_instance(DBInstanceIdentifier=name, Engine=engine,
                           DBInstanceClass="db.t3.micro", MasterUsername="admin1",
                           MasterUserPassword="secretpassword1", AllocatedStorage=20,
                           Tags=SENSITIVE, **kw)


def test_rds_parameter_groups_read_once_and_judged_by_engine():
    rds = boto3.client("rds", region_name=REGION)
    _pg(rds, "pg-on", "postgres16", {"rds.force_ssl": "1"})
    _pg(rds, "pg-off", "postgres16", {"rds.force_ssl": "0"})
    _pg(rds, "my-on", "mysql8.0", {"require_secure_transport": "ON"})
    _pg(rds, "my-unset", "mysql8.0", {})
    for n in ("ledger-a", "ledger-b", "ledger-c"):  # one group, three databases
        _db(rds, n, "postgres", "pg-on")
    _db(rds, "ledger-off", "postgres", "pg-off")
    _db(rds, "cards", "mysql", "my-on")
    _db(rds, "cards-unset", "mysql", "my-unset")
    _db(rds, "on-default", "mysql")  # listed without a value: MySQL's default, OFF
    _db(rds, "pg-default", "postgres")  # no value: rds.force_ssl's default depends on version
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="aurora-on",
                                          DBParameterGroupFamily="aurora-mysql8.0",
                                          Description="x")
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="aurora-on", Parameters=[
        {"ParameterName": "require_secure_transport", "ParameterValue": "ON",
         "ApplyMethod": "immediate"}])
    rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-mysql",
                          MasterUsername="admin1", MasterUserPassword="secretpassword1",
                          DBClusterParameterGroupName="aurora-on", Tags=SENSITIVE)
    log = CallLog()
    inv = scan(["rds"], log)
    for n in ("ledger-a", "ledger-b", "ledger-c"):
        assert transit(inv, n)["enforced"] is True
    # pg-on once, not three times: pg-on, pg-off, my-on, my-unset and two default groups
    assert log.counts[("rds", "DescribeDBParameters")] == 6
    off = transit(inv, "ledger-off")
    assert (off["enforced"], off["source"], off["setting"], off["value"]) == (
        False, "pg-off", "rds.force_ssl", "0")
    assert transit(inv, "cards")["enforced"] is True
    assert transit(inv, "cards-unset")["enforced"] is False  # MySQL's default is OFF
    assert transit(inv, "aurora") == {
        "enforced": True, "mechanism": "cluster_parameter_group", "source": "aurora-on",
        "setting": "require_secure_transport", "value": "ON",
        "detail": "cluster parameter group aurora-on has require_secure_transport=ON"}
    assert transit(inv, "on-default")["enforced"] is False
    assert transit(inv, "pg-default")["enforced"] is None
    assert "does not state rds.force_ssl" in transit(inv, "pg-default")["detail"]

    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    trn = {f.asset_name: f.message for f in result.findings if f.policy_id == "DS-TRN-001"}
    assert set(trn) == {"ledger-off", "cards-unset", "on-default"}
    assert "accepts plaintext connections: parameter group pg-off has rds.force_ssl=0" in trn[
        "ledger-off"]
    unassessed = {n.asset_id for n in result.not_assessed if n.policy_id == "DS-TRN-001"}
    assert unassessed == {by_name(inv, "pg-default")["id"]}


@set_initial_no_auth_action_count(3)
def test_what_cannot_be_read_is_a_gap_on_the_encryption_facet(monkeypatch):
    """Act as an IAM user denied the reads that decide enforcement (moto enforces IAM after
    the first three calls, made here). moto's IAM does not tell EFS actions apart (it denies
    DescribeFileSystems too): EFS's unreadable policy is pinned with a stand-in in
    test_efs_policy_that_cannot_be_read_is_a_gap."""
    act_as_user_denied(monkeypatch, ["rds:DescribeDBParameters", "dynamodb:GetResourcePolicy"])
    rds = boto3.client("rds", region_name=REGION)
    _pg(rds, "pg-on", "postgres16", {"rds.force_ssl": "1"})
    _db(rds, "ledger", "postgres", "pg-on")
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="cards", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    inv = scan(["rds", "dynamodb"])
    for name, reason in (("ledger", "rds:DescribeDBParameters AccessDenied"),
                         ("cards", "dynamodb:GetResourcePolicy AccessDenied (HTTP 403)")):
        a = by_name(inv, name)
        assert a["encryption"]["in_transit"]["enforced"] is None, name
        assert {"aspect": "encryption", "reason": reason} in a["assessment"]["gaps"], name


def test_elasticache_modes():
    ec = boto3.client("elasticache", region_name=REGION)
    for gid, kw in (("required", {"TransitEncryptionEnabled": True,
                                  "TransitEncryptionMode": "required"}),
                    ("preferred", {"TransitEncryptionEnabled": True,
                                   "TransitEncryptionMode": "preferred"}),
                    ("plain", {})):
        ec.create_replication_group(ReplicationGroupId=gid, ReplicationGroupDescription="x",
                                    Engine="redis", CacheNodeType="cache.t3.micro", **kw)
    ec.create_cache_cluster(CacheClusterId="memcached", Engine="memcached",
                            CacheNodeType="cache.t3.micro", NumCacheNodes=1)
    inv = scan(["elasticache"])
    assert transit(inv, "required")["enforced"] is True
    assert (transit(inv, "preferred")["enforced"], transit(inv, "preferred")["value"]) == (
        False, "preferred")
    assert transit(inv, "plain")["enforced"] is False
    assert transit(inv, "memcached")["enforced"] is False


def test_efs_file_system_policy():
    efs = boto3.client("efs", region_name=REGION)
    efs.create_file_system(CreationToken="plain", Tags=[{"Key": "Name",
                                                          "Value": "plain"}])
    tls = efs.create_file_system(CreationToken="tls", Tags=[{"Key": "Name", "Value": "tls"}])
    efs.put_file_system_policy(FileSystemId=tls["FileSystemId"], Policy=tls_policy(
        tls["FileSystemArn"], "*"))
    inv = scan(["efs"])
    assert transit(inv, "plain")["detail"] == (
        "it has no file system policy denying requests with aws:SecureTransport=false")
    assert transit(inv, "plain")["enforced"] is False
    assert transit(inv, "tls")["enforced"] is True


def test_dynamodb_resource_policy():
    ddb = boto3.client("dynamodb", region_name=REGION)
    arns = {}
    for t in ("plain", "tls"):
        arns[t] = ddb.create_table(
            TableName=t, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    ddb.put_resource_policy(ResourceArn=arns["tls"], Policy=tls_policy(arns["tls"],
                                                                       "dynamodb:*"))
    inv = scan(["dynamodb"])
    assert transit(inv, "plain")["enforced"] is False
    assert transit(inv, "tls")["enforced"] is True
    assert by_name(inv, "tls")["access"]["public"] is False  # the deny grants nothing


def test_redshift_default_group_accepts_plaintext():
    boto3.client("redshift", region_name=REGION).create_cluster(
        ClusterIdentifier="warehouse", NodeType="dc2.large", MasterUsername="admin1",
        MasterUserPassword="Secretpassword1", ClusterType="single-node")
    assert transit(scan(["redshift"]), "warehouse") == {
        "enforced": False, "mechanism": "parameter_group", "source": "default.redshift-1.0",
        "setting": "require_ssl", "value": "false",
        "detail": "parameter group default.redshift-1.0 has require_ssl=false"}


def _redshift_stub(parameters) -> tuple[object, Stubber]:
    client = boto3.client("redshift", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("describe_clusters", {"Clusters": [{
        "ClusterIdentifier": "warehouse", "Encrypted": True, "PubliclyAccessible": False,
        "VpcSecurityGroups": [], "AutomatedSnapshotRetentionPeriod": 1,
        "ClusterParameterGroups": [{"ParameterGroupName": "tls-only"}]}]})
    if isinstance(parameters, str):
        stub.add_client_error("describe_cluster_parameters", parameters, http_status_code=403)
    else:
        stub.add_response("describe_cluster_parameters", {"Parameters": parameters},
                          expected_params={"ParameterGroupName": "tls-only"})
    stub.add_response("describe_cluster_snapshots", {"Snapshots": []})
    stub.activate()
    return client, stub


@pytest.mark.parametrize(("parameters", "enforced"), [
    ([{"ParameterName": "require_ssl", "ParameterValue": "true"}], True),
    ("AccessDenied", None),
])
def test_redshift_require_ssl_and_unreadable_group(parameters, enforced):
    # Stubber: moto's DescribeClusterParameters ignores the group's values (module docstring).
    client, stub = _redshift_stub(parameters)
    inv = scan(["redshift"], client_overrides={"redshift": client})
    stub.assert_no_pending_responses()
    a = by_name(inv, "warehouse")
    assert a["encryption"]["in_transit"]["enforced"] is enforced
    gaps = [g["reason"] for g in a["assessment"]["gaps"] if g["aspect"] == "encryption"]
    assert gaps == ([] if enforced else ["redshift:DescribeClusterParameters AccessDenied"])


def test_every_call_is_declared():
    from dsscan.scanners.aws.operations import OPERATIONS

    assert {"DescribeDBParameters", "DescribeDBClusterParameters"} <= set(OPERATIONS["rds"])
    assert "DescribeClusterParameters" in OPERATIONS["redshift"]
    assert "DescribeFileSystemPolicy" in OPERATIONS["efs"]


def test_efs_policy_that_cannot_be_read_is_a_gap():
    """DescribeFileSystemPolicy refused (a before-call hook answers for AWS: moto's IAM denies
    every EFS action alike, see above)."""
    from types import SimpleNamespace

    from aws_support import ClientHooks

    def refuse(**_):
        return (SimpleNamespace(status_code=403, headers={}),
                {"Error": {"Code": "AccessDeniedException", "Message": "no"},
                 "ResponseMetadata": {"HTTPStatusCode": 403}})

    boto3.client("efs", region_name=REGION).create_file_system(
        CreationToken="fs", Tags=[{"Key": "Name", "Value": "files"}])
    with ClientHooks(("before-call.efs.DescribeFileSystemPolicy", refuse)):
        inv = scan(["efs"])
    a = by_name(inv, "files")
    assert a["encryption"]["in_transit"]["enforced"] is None
    assert {"aspect": "encryption", "reason": "elasticfilesystem:DescribeFileSystemPolicy "
                                              "AccessDeniedException"} in a["assessment"]["gaps"]
    assert a["backup"]["native"]["enabled"] is not None  # the rest is still read
