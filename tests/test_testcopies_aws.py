"""DS-TST-004 from a live AWS sweep (moto): production data reaching test by copy.

One estate, every path: an RDS snapshot shared with the test account, S3 replication into a
bucket tagged test, an AWS Backup plan whose copy rule sends recovery points to a vault of the
test account, and a DMS task from the production database to a test endpoint.

moto 5.2 serves RDS (snapshot sharing), S3 (replication) and DMS (DescribeEndpoints,
DescribeReplicationTasks, ListTagsForResource) itself. It has no AWS Backup selections, so the
AWS Backup client alone is botocore's Stubber (documented response shapes, GetBackupPlan's
CopyActions included), as in test_aws_backup_selections.py.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, REGION, by_name, fake_env
from botocore.stub import Stubber
from moto import mock_aws

from dsscan.config import config_from_mapping
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws import dms
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # a moto estate per case

TEST = "222222222222"
DB_HOST = f"core-ledger.c1a2b3.{REGION}.rds.amazonaws.com.cn"
SETTINGS = {"accounts": {ACCOUNT: {"environment": "production"},
                         TEST: {"environment": "test"}}}
PROD_TAGS = [{"Key": "dsscan:level", "Value": "core"}, {"Key": "environment",
                                                         "Value": "production"}]


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def estate(*, share: bool = True, record: bool = False, dms_target_env: str = "test",
           target_name: str = "ledger-uat-tgt") -> None:
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(DBInstanceIdentifier="core-ledger", Engine="postgres",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername="u", MasterUserPassword="password1",
                           StorageEncrypted=True, Tags=PROD_TAGS)
    snap_tags = [{"Key": "dsscan:desensitization", "Value": "DSR-1"}] if record else []
    rds.create_db_snapshot(DBSnapshotIdentifier="ledger-snap",
                           DBInstanceIdentifier="core-ledger", Tags=snap_tags)
    if share:
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="ledger-snap",
                                         AttributeName="restore", ValuesToAdd=[TEST])
    s3 = boto3.client("s3", region_name=REGION)
    loc = {"LocationConstraint": REGION}
    for name, tags in (("core-docs", PROD_TAGS),
                       ("docs-uat", [{"Key": "environment", "Value": "test"}])):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration=loc)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket="core-docs", ReplicationConfiguration={
        "Role": f"arn:aws-cn:iam::{ACCOUNT}:role/r",
        "Rules": [{"ID": "all", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws-cn:s3:::docs-uat"}}]})
    d = boto3.client("dms", region_name=REGION)
    src = d.create_endpoint(EndpointIdentifier="ledger-src", EndpointType="source",
                            EngineName="postgres", ServerName=DB_HOST, Port=5432,
                            DatabaseName="ledger", Username="u", Password="p")["Endpoint"]
    tgt = d.create_endpoint(EndpointIdentifier=target_name, EndpointType="target",
                            EngineName="postgres", ServerName="10.9.0.12", Port=5432,
                            DatabaseName="ledger", Username="u", Password="p",
                            Tags=[{"Key": "environment", "Value": dms_target_env}])["Endpoint"]
    inst = d.create_replication_instance(ReplicationInstanceIdentifier="ri",
                                         ReplicationInstanceClass="dms.t3.micro")
    d.create_replication_task(
        ReplicationTaskIdentifier="ledger-to-uat", SourceEndpointArn=src["EndpointArn"],
        TargetEndpointArn=tgt["EndpointArn"], MigrationType="full-load",
        ReplicationInstanceArn=inst["ReplicationInstance"]["ReplicationInstanceArn"],
        TableMappings='{"rules": []}')


def backup_client(copy_to: str | None) -> Any:
    """AWS Backup (Stubber): one plan covering the database, its rule copying to ``copy_to``;
    None: GetBackupPlan denied."""
    client = boto3.client("backup", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("list_backup_vaults", {"BackupVaultList": []})
    stub.add_response("list_backup_plans", {"BackupPlansList": [
        {"BackupPlanId": "p-1", "BackupPlanName": "nightly"}]})
    if copy_to is None:
        stub.add_client_error("get_backup_plan", "AccessDeniedException", "denied", 400)
    else:
        stub.add_response("get_backup_plan", {"BackupPlanId": "p-1", "BackupPlan": {
            "BackupPlanName": "nightly", "Rules": [{
                "RuleName": "daily", "TargetBackupVaultName": "prod-vault",
                "CopyActions": [{"DestinationBackupVaultArn": copy_to}]}]}})
    stub.add_response("list_backup_selections", {"BackupSelectionsList": [
        {"SelectionId": "s-1", "BackupPlanId": "p-1", "SelectionName": "sel"}]})
    stub.add_response("get_backup_selection", {
        "BackupPlanId": "p-1", "SelectionId": "s-1", "BackupSelection": {
            "SelectionName": "sel", "IamRoleArn": f"arn:aws-cn:iam::{ACCOUNT}:role/backup",
            "Resources": [f"arn:aws-cn:rds:{REGION}:{ACCOUNT}:db:core-ledger"]}})
    stub.add_response("describe_region_settings", {"ResourceTypeOptInPreference": {"RDS": True}})
    stub.add_response("list_restore_testing_plans", {"RestoreTestingPlans": []})
    stub.add_response("list_restore_jobs", {"RestoreJobs": []})
    stub.activate()
    return client


def scan(copy_to: str | None) -> tuple[Any, Any]:
    inv = sweep(SweepOptions(regions=[REGION], services=["rds", "s3", "backup", "dms"],
                             client_overrides={"backup": backup_client(copy_to)}))
    result = run_scan(inv, load_library(), ScanOptions(config=config_from_mapping(SETTINGS),
                                                       include=("DS-TST-004",)))
    return inv, result


TEST_VAULT = f"arn:aws-cn:backup:{REGION}:{TEST}:backup-vault:uat-copies"
PROD_VAULT = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:backup-vault:dr-copies"


def _vias(result: Any, store: str) -> set[str]:
    return {f.evidence["via"] for f in result.findings if f.asset_id.endswith(store)}


def test_every_path_is_found_from_a_live_sweep() -> None:
    estate()
    inv, result = scan(TEST_VAULT)
    db = by_name(inv, "core-ledger", "database")
    assert [c["via"] for c in db["copy_to"]] == ["backup copy", "dms task"]
    assert _vias(result, "core-ledger") == {"snapshot share", "backup copy", "dms task"}
    assert _vias(result, "core-docs") == {"replication"}
    assert not result.not_assessed


def test_desensitized_snapshot_copy_rule_into_production_and_production_dms_target_pass() -> None:
    estate(record=True, dms_target_env="production")
    _, result = scan(PROD_VAULT)
    assert _vias(result, "core-ledger") == set()
    assert not result.not_assessed


def test_unread_copy_rules_are_not_assessed() -> None:
    estate(share=False, dms_target_env="production")
    inv, result = scan(None)
    assert by_name(inv, "core-ledger", "database")["copy_to"] is None
    assert _vias(result, "core-ledger") == set()
    reasons = [n.reason for n in result.not_assessed]
    assert {n.asset_id.endswith("core-ledger") for n in result.not_assessed} == {True}, reasons


def test_dms_target_without_environment_is_not_assessed() -> None:
    # a tag value no environment setting knows, a name no default pattern places ("uat" would)
    estate(share=False, dms_target_env="lab-42", target_name="ledger-tgt")
    _, result = scan(PROD_VAULT)
    assert _vias(result, "core-ledger") == set()
    [n] = [n for n in result.not_assessed if n.asset_id.endswith("core-ledger")]
    assert "dms task ledger-tgt" in n.reason


@pytest.mark.parametrize(("server", "bucket", "found"), [
    (DB_HOST, None, ("core-ledger", REGION)),
    (f"core-ledger.cluster-c1a2b3.{REGION}.rds.amazonaws.com.cn", None, ("core-ledger", REGION)),
    ("CORE-LEDGER.c1a2b3.cn-north-1.rds.amazonaws.com.cn.", None, ("core-ledger", REGION)),
    ("ledger.internal.bank.cn", None, None),
    ("10.0.0.5", None, None),
    (None, "core-docs", ("core-docs", None)),
])
def test_endpoint_matching(server: str | None, bucket: str | None,
                           found: tuple[str, str | None] | None) -> None:
    assets = [{"id": "db", "kind": "database", "name": "core-ledger", "region": REGION},
              {"id": "b", "kind": "object_store", "name": "core-docs", "region": REGION},
              {"id": "db2", "kind": "database", "name": "core-ledger", "region": "cn-northwest-1"}]
    ep: dict[str, Any] = {"ServerName": server}
    if bucket:
        ep["S3Settings"] = {"BucketName": bucket}
    got = dms.match(ep, assets)
    if found is None:
        assert got == []
    else:
        assert [(a["name"], a["region"] if found[1] else None) for a in got] == [found]


# A plan that MAY cover the store (its selection cannot be read exactly) while another surely
# covers it: where the doubtful plan copies (DS-TST-004) and how long it keeps recovery points
# (DS-RET-001) stay unknown. Before: copy_to [] and the sure plan's lifecycle alone (a pass).
@pytest.mark.parametrize(("copies", "copy_to"), [
    (["arn:aws-cn:backup:cn-north-1:222222222222:backup-vault:uat"], None),  # copies: unknown
    (None, None),                                                         # copy rules unread
    ([], []),                                                             # copies nothing
])
def test_a_plan_that_may_cover_the_store_keeps_its_copies_and_lifecycle_unknown(
        copies: list[str] | None, copy_to: list | None) -> None:
    from dsscan.scanners.aws import linking as sw
    from dsscan.scanners.aws.backup import PlanCoverage
    from dsscan.scanners.aws.selections import Selection

    arn = "arn:aws-cn:rds:cn-north-1:111111111111:db:core-ledger"
    a: dict[str, Any] = {"id": arn, "kind": "database", "type": "AWS::RDS::DBInstance",
                         "account": "111111111111", "region": "cn-north-1", "tags": {}}
    c = PlanCoverage("111111111111", "cn-north-1")
    c.selections = [Selection(plan="sure", resources=[arn]),
                    Selection(plan="maybe", resources=["*"], unreadable="condition 'X'")]
    c.copy_rules = {"sure": [], "maybe": copies}
    c.plan_rules = {"sure": [{"plan": "sure", "rule": "r", "copy": False,
                              "delete_after_days": 30}],
                    "maybe": [{"plan": "maybe", "rule": "r", "copy": False,
                               "delete_after_days": None}]}
    block: dict[str, Any] = {}
    a["backup"] = block
    maybe = sw._plans_of(a, c, block)
    sw._copy_rules_of(a, c, block, maybe)
    assert block["plans"] == ["sure"]
    assert block["plan_lifecycle"] is None
    assert a["copy_to"] == copy_to


# A source endpoint naming a database identifier held in two accounts: the task's own
# account's databases were made unknown, but not the other account's namesake — which may be
# the one the task reads (cross-account DMS) and kept copy_to [] (a pass).
@pytest.mark.parametrize("task_account", ["111111111111", "333333333333"])
def test_an_ambiguous_dms_source_leaves_every_candidate_unknown(task_account: str) -> None:
    def db(acct: str) -> dict[str, Any]:
        return {"id": f"arn:aws-cn:rds:{REGION}:{acct}:db:core-ledger", "kind": "database",
                "name": "core-ledger", "account": acct, "region": REGION}
    assets = [db("111111111111"), db("444444444444")]
    note = dms.DmsTasks(task_account, REGION, tasks=[dms.Task(
        arn="arn:task", name="t", tags={}, source={"ServerName": DB_HOST},
        target={"EndpointArn": "arn:ep", "EndpointIdentifier": "tgt"}, target_tags={})])
    dms.link(assets, [note])
    assert [a.get("copy_to", []) for a in assets] == [None, None]
