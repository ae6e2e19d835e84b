"""One estate, four descriptions, the same findings: a Pulumi program (run under the SDK's
mocks), its recorded stack export and preview, a Terraform plan, and the estate itself in moto
read by the live AWS scanner.

Two things differ by nature between a plan and a running account, and the test says so:
AWS makes automated RDS snapshots once instances run (no plan shows them), so they are left
out of the live inventory; and moto has no AWS Backup selections, so the AWS Backup client of
the live scan alone is botocore's Stubber, answering with the estate's vault, plan and
selection. (It also answers that no restore-testing plan and no restore job exist: moto
has neither.)
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from aws_support import fake_env
from botocore.stub import Stubber
from moto import mock_aws
from parity_estate import ACCOUNT, EXPECTED, REGION, provision
from parity_support import pulumi_inventory, record_program

from dsscan.config import Config
from dsscan.inventory import Inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.pulumi_source import read_path
from dsscan.scanners.terraform import read_plan

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "examples" / "pulumi" / "bank"


def findings(inv: Inventory) -> set[tuple[str, str]]:
    # Operation logs (DS-LOG-001/002) have their own parity estate (test_parity_logging.py):
    # this one declares none, and moto cannot list CloudTrail Lake stores (a live-scan gap).
    result = run_scan(inv, load_library(), ScanOptions(config=Config(),
                                                       exclude=("DS-LOG-001", "DS-LOG-002")))
    return {(f.policy_id, f.asset_name or f.asset_id) for f in result.findings}


def pulumi(path: Path) -> set[tuple[str, str]]:
    got = read_path(str(path))
    return findings(build_inventory(got.resources, tool="pulumi", files=[str(path)]))


def backup_stub(key: str) -> tuple[object, Stubber]:
    vault = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:backup-vault:prod-vault"
    client = boto3.client("backup", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("list_backup_vaults", {"BackupVaultList": [
        {"BackupVaultName": "prod-vault", "BackupVaultArn": vault, "EncryptionKeyArn": key}]})
    stub.add_response("list_tags", {"Tags": {"dsscan:level": "important",
                                             "environment": "production"}})
    stub.add_client_error("get_backup_vault_access_policy", "ResourceNotFoundException",
                          http_status_code=404)
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": []})
    stub.add_response("list_backup_plans", {"BackupPlansList": [
        {"BackupPlanId": "plan-1", "BackupPlanName": "daily"}]})
    stub.add_response("get_backup_plan", {"BackupPlanId": "plan-1", "BackupPlan": {
        "BackupPlanName": "daily",
        "Rules": [{"RuleName": "r", "TargetBackupVaultName": "prod-vault"}]}})
    stub.add_response("list_backup_selections", {"BackupSelectionsList": [
        {"SelectionId": "sel-1", "BackupPlanId": "plan-1", "SelectionName": "tagged-daily"}]})
    stub.add_response("get_backup_selection", {
        "BackupPlanId": "plan-1", "SelectionId": "sel-1", "BackupSelection": {
            "SelectionName": "tagged-daily",
            "IamRoleArn": f"arn:aws-cn:iam::{ACCOUNT}:role/backup",
            "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup",
                            "ConditionValue": "daily"}]}})
    stub.add_response("list_restore_testing_plans", {"RestoreTestingPlans": []})
    stub.add_response("list_restore_jobs", {"RestoreJobs": []})
    stub.activate()
    return client, stub


@pytest.fixture(scope="module")
def live() -> set[tuple[str, str]]:
    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        with mock_aws():
            key = provision()["key"]
            client, stub = backup_stub(key)
            inv = sweep(SweepOptions(regions=[REGION], accounts=[ACCOUNT], role_name="parity",
                                     client_overrides={"backup": client}))
            stub.assert_no_pending_responses()
    inv.assets = [a for a in inv.assets
                  if (a.get("attributes") or {}).get("snapshot_type") != "automated"]
    return findings(inv)


def test_terraform_plan_gives_the_expected_findings():
    plan = ROOT / "examples" / "terraform" / "bank" / "plan.json"
    assert findings(build_inventory(read_plan(str(plan)), tool="terraform",
                                    files=[str(plan)])) == EXPECTED


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "stack-export.json", "preview.json"])
def test_pulumi_descriptions_give_the_same_findings(source):
    path = PROGRAM if source == "program" else PROGRAM / "recorded" / source
    assert pulumi(path) == EXPECTED


@pytest.mark.slow
def test_the_estate_in_moto_gives_the_same_findings(live):
    assert live == EXPECTED


# -- the same provider defaults, the same stores: one verdict per resource ---------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEFAULTS_PROGRAM = FIXTURES / "pulumi" / "defaults"
DEFAULTS_PLAN = FIXTURES / "terraform" / "defaults-plan.json"
# tests/fixtures/pulumi/defaults/__main__.py says why each is what it is.
DEFAULTS_FINDINGS = {
    # built-in backups only (automated snapshots, domain snapshots): never stored apart
    ("DS-BAK-001", "docs"), ("DS-BAK-001", "graph"), ("DS-BAK-001", "search"),
    ("DS-BAK-001", "warehouse"),
    ("DS-BAK-002", "app-data"), ("DS-BAK-002", "app-root"), ("DS-BAK-002", "bank-reports"),
    ("DS-BAK-002", "cache"), ("DS-BAK-002", "scratch"), ("DS-BAK-002", "sessions"),
    ("DS-ENC-001", "app-data"), ("DS-ENC-001", "cache"), ("DS-ENC-001", "docs"),
    ("DS-ENC-001", "warehouse"),
    ("DS-LOG-003", "data"),  # an important network without flow logs
    # no restore-testing selection (OpenSearch "search" and "cache": not applicable)
    ("DS-BAK-004", "app-data"), ("DS-BAK-004", "app-root"), ("DS-BAK-004", "bank-reports"),
    ("DS-BAK-004", "docs"), ("DS-BAK-004", "graph"), ("DS-BAK-004", "scratch"),
    ("DS-BAK-004", "sessions"), ("DS-BAK-004", "warehouse"),
    # Plaintext accepted: no bucket/table policy, Redshift's default group (require_ssl
    # false), no transit encryption, an OpenSearch domain without endpoint options.
    ("DS-TRN-001", "bank-reports"), ("DS-TRN-001", "sessions"), ("DS-TRN-001", "warehouse"),
    ("DS-TRN-001", "cache"), ("DS-TRN-001", "search"),
}
# The EBS volume without `encrypted`: the account's default decides, and no description holds it.
# Neptune and DocumentDB: whether they refuse plaintext is not read.
DEFAULTS_NOT_ASSESSED = {("scratch", "DS-ENC-001"), ("scratch", "encryption"),
                         ("graph", "DS-TRN-001"), ("docs", "DS-TRN-001")}


def verdicts(inv: Inventory) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    result = run_scan(inv, load_library(), ScanOptions(config=Config(),
                                                       exclude=("DS-LOG-001", "DS-LOG-002")))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    found = {(f.policy_id, f.asset_name or f.asset_id) for f in result.findings}
    gaps = {(names.get(n.asset_id or "", n.asset_id or ""),
             n.policy_id or n.reason.split(":", 1)[0]) for n in result.not_assessed}
    return found, gaps


@pytest.fixture(scope="module")
def defaults_recorded(tmp_path_factory) -> dict[str, Path]:
    return record_program(tmp_path_factory, DEFAULTS_PROGRAM)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["plan", "program", "export", "preview"])
def test_provider_defaults_and_new_stores_give_one_verdict(source, defaults_recorded):
    """A v6 bucket without SSE/PAB resources, DynamoDB without SSE, an EBS volume without
    `encrypted`, Redshift without `encrypted` (pulumi-aws 7 / provider v6), and an EC2
    instance's volumes, Neptune, DocumentDB, OpenSearch and a single-node ElastiCache."""
    if source == "plan":
        inv = build_inventory(read_plan(str(DEFAULTS_PLAN)), tool="terraform",
                              files=[str(DEFAULTS_PLAN)])
    else:
        inv = pulumi_inventory(source, DEFAULTS_PROGRAM, defaults_recorded)
    assert {a["name"] for a in inv.assets if a["kind"] not in (
        "network_domain", "security_group", "key")} == {
        "bank-reports", "sessions", "scratch", "warehouse", "graph", "docs", "search",
        "cache", "app-root", "app-data"}
    assert verdicts(inv) == (DEFAULTS_FINDINGS, DEFAULTS_NOT_ASSESSED)
