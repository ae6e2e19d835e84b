"""Declared retention (DS-RET-001, issue 15 item 4), one estate in five descriptions with the
same verdicts and the same facts: a Pulumi program (tests/fixtures/pulumi/retention, run
under the SDK's mocks), its stack export and preview recorded at test time, a Terraform plan
as hashicorp/aws 5.x writes it (tests/fixtures/terraform/make_retention_plan.py), and the
estate provisioned into moto and read by the live scanner. The program's docstring says why
each verdict is what it is.

moto 5.2 has no AWS Backup selections, so the live scan's AWS Backup client alone is
botocore's Stubber (GetBackupPlan with the plan's lifecycle and copy action, its tag
selection); the buckets and their lifecycle rules are moto's.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from aws_support import ACCOUNT, REGION, fake_env
from botocore.stub import Stubber
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
PROGRAM = FIXTURES / "pulumi" / "retention"
PLAN = FIXTURES / "terraform" / "retention-plan.json"

EXPECTED = {("DS-RET-001", n) for n in ("archive-prefix", "archive-none", "archive-disabled",
                                         "archive-long")}
LONG = [(35, False), (3650, True)]
FACTS = {  # bucket: (whole_bucket days, plan lifecycle)
    "archive-ok": (365, []), "archive-prefix": (None, []), "archive-none": (None, []),
    "archive-disabled": (None, []), "archive-long": (365, LONG), "scratch": (None, []),
}


def judged(inv: Inventory) -> tuple[set[tuple[str, str]], set[tuple[str, str]], dict]:
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    found = {(f.policy_id, f.asset_name or f.asset_id) for f in result.findings
             if f.policy_id.startswith("DS-RET")}
    gaps = {(n.policy_id or "", n.asset_id or "") for n in result.not_assessed
            if (n.policy_id or "DS-RET").startswith("DS-RET")}
    facts = {a["name"]: (a["expiry"]["whole_bucket"]["days"],
                         [(r["delete_after_days"], r["copy"])
                          for r in a["backup"]["plan_lifecycle"]])
             for a in inv.assets if a["kind"] == "object_store"}
    return found, gaps, facts


def test_terraform_plan():
    inv = build_inventory(read_plan(str(PLAN)), tool="terraform", files=[str(PLAN)])
    assert judged(inv) == (EXPECTED, set(), FACTS)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict[str, Path]:
    return record_program(tmp_path_factory, PROGRAM)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi(source, recorded):
    assert judged(pulumi_inventory(source, PROGRAM, recorded)) == (EXPECTED, set(), FACTS)


# -- the same estate in moto ------------------------------------------------------------------

def provision() -> None:
    s3 = boto3.client("s3", region_name=REGION)

    def bucket(name: str, level: str, days: str | None, rules: list | None, **extra: str):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        tags = {"dsscan:level": level, "environment": "production", **extra}
        if days:
            tags["retention-days"] = days
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": k, "Value": v} for k, v in tags.items()]})
        if rules is not None:
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={
                "Rules": [{"ID": f"expire-{d}", "Status": status,
                           "Filter": {"Prefix": prefix} if prefix else {},
                           "Expiration": {"Days": d}} for d, status, prefix in rules]})

    bucket("archive-ok", "important", "365", [(365, "Enabled", None)])
    bucket("archive-prefix", "important", "365", [(30, "Enabled", "tmp/")])
    bucket("archive-none", "sensitive", "90", None)
    bucket("archive-disabled", "core", "30", [(30, "Disabled", None)])
    bucket("archive-long", "important", "365", [(365, "Enabled", None)], backup="long")
    bucket("scratch", "general", None, None)


def backup_stub() -> tuple[object, Stubber]:
    vault = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:backup-vault:dr-vault"
    client = boto3.client("backup", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("list_backup_vaults", {"BackupVaultList": [{
        "BackupVaultName": "dr-vault", "BackupVaultArn": vault,
        "EncryptionKeyArn": f"arn:aws-cn:kms:{REGION}:{ACCOUNT}:alias/aws/backup"}]})
    stub.add_response("list_tags", {"Tags": {}})
    stub.add_client_error("get_backup_vault_access_policy", "ResourceNotFoundException",
                          http_status_code=404)
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": []})
    stub.add_response("list_backup_plans", {"BackupPlansList": [
        {"BackupPlanId": "p-long", "BackupPlanName": "long"}]})
    stub.add_response("get_backup_plan", {"BackupPlan": {"BackupPlanName": "long", "Rules": [{
        "RuleName": "daily", "TargetBackupVaultName": "dr-vault",
        "ScheduleExpression": "cron(0 3 * * ? *)", "Lifecycle": {"DeleteAfterDays": 35},
        "CopyActions": [{"DestinationBackupVaultArn": vault,
                         "Lifecycle": {"DeleteAfterDays": 3650}}]}]}})
    stub.add_response("list_backup_selections", {"BackupSelectionsList": [
        {"SelectionId": "s-long", "SelectionName": "long-s3"}]})
    stub.add_response("get_backup_selection", {"BackupSelection": {
        "SelectionName": "long-s3", "IamRoleArn": f"arn:aws-cn:iam::{ACCOUNT}:role/backup",
        "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup",
                        "ConditionValue": "long"}]}})
    stub.add_response("describe_region_settings", {"ResourceTypeOptInPreference": {"S3": True}})
    stub.add_response("list_restore_testing_plans", {"RestoreTestingPlans": []})
    stub.add_response("list_restore_jobs", {"RestoreJobs": []})
    stub.activate()
    return client, stub


@pytest.mark.slow
def test_the_estate_in_moto(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        provision()
        client, stub = backup_stub()
        inv = sweep(SweepOptions(regions=[REGION], services=["s3", "backup"],
                                 client_overrides={"backup": client}))
        stub.assert_no_pending_responses()
    assert judged(inv) == (EXPECTED, set(), FACTS)
