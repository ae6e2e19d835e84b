"""Operation logs and their retention by level (DS-LOG-001/002, Art. 43): one estate, four
descriptions, the same verdicts — a Pulumi program (under the SDK's mocks) with its recorded
export and preview, a Terraform plan (provider v5 shapes, configuration references, unknown
values), and the estate provisioned into moto and read by the live scanner.

moto 5.2 serves trails, selectors, log groups, lifecycles, option and parameter groups, but
not CloudTrail Lake: ListEventDataStores alone is answered by tests/aws_support.StandIn
(an estate without event data stores), everything else by moto.
tests/fixtures/pulumi/logging/__main__.py says why each verdict is what it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_support import ClientHooks, StandIn, fake_env
from parity_support import pulumi_inventory, record_program

from dsscan.config import Config
from dsscan.inventory import Inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROGRAM = FIXTURES / "pulumi" / "logging"
PLAN = FIXTURES / "terraform" / "logging-plan.json"
REGION = "cn-north-1"
LOG_DELIVERY = "uri=http://acs.amazonaws.com/groups/s3/LogDelivery"

EXPECTED = {
    ("DS-LOG-001", "statements"), ("DS-LOG-001", "app-db"),
    ("DS-LOG-002", "ledger-docs"), ("DS-LOG-002", "payments"), ("DS-LOG-002", "core-db"),
}
MESSAGES = {
    "ledger-docs": "Operation logs of ledger-docs keep 90 days; core data needs 1095 (Art. 43).",
    "payments": "Operation logs of payments keep 90 days; important data (marked outsourced "
                "or co-processed) needs 1095 (Art. 43).",
    "core-db": "Operation logs of core-db keep 400 days; core data needs 1095 (Art. 43).",
}


def verdicts(inv: Inventory) -> tuple[set[tuple[str, str]], set[tuple[str, str]],
                                      dict[str, str]]:
    result = run_scan(inv, load_library(), ScanOptions(config=Config(), include=("DS-LOG-*",)))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    found = {(f.policy_id, f.asset_name or f.asset_id) for f in result.findings}
    gaps = {(n.policy_id or "", names.get(n.asset_id or "", n.asset_id or ""))
            for n in result.not_assessed}
    messages = {f.asset_name or "": f.message for f in result.findings
                if f.policy_id == "DS-LOG-002"}
    return found, gaps, messages


def provision() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    where = {"LocationConstraint": REGION}

    def bucket(name: str, level: str, **extra: str) -> None:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration=where)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": k, "Value": v} for k, v in {"dsscan:level": level,
                                                "environment": "production",
                                                **extra}.items()]})

    bucket("ledger-docs", "core")
    bucket("statements", "sensitive")
    bucket("kyc-files", "important", outsourced="true")
    bucket("trail-logs", "general")
    bucket("access-logs", "general")
    s3.put_bucket_lifecycle_configuration(Bucket="trail-logs", LifecycleConfiguration={
        "Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""},
                   "Expiration": {"Days": 90}}]})
    # S3 delivers access logs as the logging service: the target bucket must let it write.
    s3.put_bucket_acl(Bucket="access-logs", GrantWrite=LOG_DELIVERY, GrantReadACP=LOG_DELIVERY)
    s3.put_bucket_logging(Bucket="kyc-files", BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "access-logs", "TargetPrefix": "kyc/"}})
    ddb = boto3.client("dynamodb", region_name=REGION)
    arn = ddb.create_table(TableName="payments", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                           )["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[
        {"Key": "dsscan:level", "Value": "important"}, {"Key": "outsourced", "Value": "true"},
        {"Key": "environment", "Value": "production"}])
    ct = boto3.client("cloudtrail", region_name=REGION)
    ct.create_trail(Name="data-events", S3BucketName="trail-logs")
    ct.put_event_selectors(TrailName="data-events", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws-cn:s3:::ledger-docs/"]}]}])
    ct.create_trail(Name="tables", S3BucketName="trail-logs")
    ct.put_event_selectors(TrailName="tables", AdvancedEventSelectors=[{
        "Name": "every table", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]}]}])
    for t in ("data-events", "tables"):
        ct.start_logging(Name=t)
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_parameter_group(DBParameterGroupName="pgaudit",
                                  DBParameterGroupFamily="postgres16", Description="pgaudit")
    rds.modify_db_parameter_group(DBParameterGroupName="pgaudit", Parameters=[
        {"ParameterName": "shared_preload_libraries", "ParameterValue": "pgaudit",
         "ApplyMethod": "pending-reboot"},
        {"ParameterName": "pgaudit.log", "ParameterValue": "all", "ApplyMethod": "immediate"}])
    for ident, engine, group, export, level in (
            ("core-db", "postgres", "pgaudit", "postgresql", "core"),
            ("app-db", "mysql", None, "audit", "important")):
        rds.create_db_instance(
            DBInstanceIdentifier=ident, Engine=engine, DBInstanceClass="db.t3.micro",
            AllocatedStorage=20, MasterUsername="admin1", MasterUserPassword="password1",
            StorageEncrypted=True, PubliclyAccessible=False, EnableCloudwatchLogsExports=[export],
            **({"DBParameterGroupName": group} if group else {}),
            Tags=[{"Key": "dsscan:level", "Value": level},
                  {"Key": "environment", "Value": "production"}])
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="/aws/rds/instance/core-db/postgresql")
    logs.put_retention_policy(logGroupName="/aws/rds/instance/core-db/postgresql",
                              retentionInDays=400)


def _live_sweep(stand_in: StandIn, **options: Any) -> Inventory:
    """The estate provisioned in moto and swept, ``stand_in`` answering what moto lacks."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        with mock_aws():
            provision()
            with ClientHooks(stand_in=stand_in):
                inv = sweep(SweepOptions(regions=[REGION], services=[
                    "s3", "dynamodb", "rds", "cloudtrail", "logs"], **options))
    stand_in.close()
    return inv


@pytest.fixture(scope="module")
def live_inventory() -> Inventory:
    stand_in = StandIn()
    stand_in.answer("cloudtrail", "ListEventDataStores", 200, b'{"EventDataStores": []}',
                    "application/x-amz-json-1.1")
    return _live_sweep(stand_in)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict[str, Path]:
    return record_program(tmp_path_factory, PROGRAM)


def _check(inv: Inventory) -> None:
    found, gaps, messages = verdicts(inv)
    assert found == EXPECTED
    assert gaps == set()
    assert messages == MESSAGES


def test_terraform_plan() -> None:
    _check(build_inventory(read_plan(str(PLAN)), tool="terraform", files=[str(PLAN)]))


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi_program_export_and_preview(source: str, recorded: dict[str, Path]) -> None:
    _check(pulumi_inventory(source, PROGRAM, recorded))


@pytest.mark.slow
def test_the_estate_in_moto(live_inventory: Inventory) -> None:
    assert live_inventory.gaps == []
    _check(live_inventory)


@pytest.mark.slow
def test_an_unreadable_trail_listing_is_not_assessed_never_passed() -> None:
    stand_in = StandIn()
    stand_in.answer("cloudtrail", "DescribeTrails", 403, b'{"__type": "AccessDeniedException",'
                    b' "message": "denied"}', "application/x-amz-json-1.1")
    inv = _live_sweep(stand_in, max_attempts=1)
    assert [g["operation"] for g in inv.gaps] == ["DescribeTrails"]
    found, gaps, _ = verdicts(inv)
    # ledger-docs and payments were logged only by trails: now unknown, not passed, not failed.
    assert ("DS-LOG-001", "ledger-docs") in gaps and ("DS-LOG-001", "payments") in gaps
    assert ("DS-LOG-001", "statements") in gaps  # a trail may log it
    assert not {f for f in found if f[1] in ("ledger-docs", "payments")}
