"""Restore verification in the live scanner (DS-BAK-004): restore-testing selections and
completed restore jobs become ``backup.restore_verification`` of each store, and the policy
judges them.

moto 5.2 implements no AWS Backup restore testing, restore jobs, recovery points or
selections, so the AWS Backup client alone is botocore's Stubber here, answering with the
documented response shapes (ListRestoreJobs, GetRestoreTestingSelection...); the buckets and
databases are moto's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, REGION, bucket, by_name, fake_env
from botocore.stub import Stubber
from moto import mock_aws

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # moto estates swept end to end

VAULT = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:backup-vault:v"
ROLE = f"arn:aws-cn:iam::{ACCOUNT}:role/restore"
NOW = datetime.now(UTC)
LEDGER, CARDS = "arn:aws-cn:s3:::ledger", "arn:aws-cn:s3:::cards"
RP = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:recovery-point:rp-cards"


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def selection(name: str, **sel: Any) -> list[tuple[str, dict]]:
    return [
        ("list_restore_testing_selections", {"RestoreTestingSelections": [{
            "RestoreTestingPlanName": "monthly", "RestoreTestingSelectionName": name,
            "ProtectedResourceType": sel.get("ProtectedResourceType", "S3"),
            "CreationTime": NOW, "IamRoleArn": ROLE}]}),
        ("get_restore_testing_selection", {"RestoreTestingSelection": {
            "RestoreTestingPlanName": "monthly", "RestoreTestingSelectionName": name,
            "ProtectedResourceType": "S3", "CreationTime": NOW, "IamRoleArn": ROLE, **sel}}),
    ]


def job(days_ago: int, **extra: Any) -> dict[str, Any]:
    return {"RestoreJobId": f"j-{days_ago}", "Status": "COMPLETED",
            "CompletionDate": NOW - timedelta(days=days_ago), **extra}


def answers(tests: list[tuple[str, dict]] | str, jobs: list[dict[str, Any]] | str
            ) -> list[tuple[str, dict]]:
    """AWS Backup's answers: one vault holding a recovery point of ``cards``, no backup plan,
    then restore testing (a list of answers, or an error code) and restore jobs (idem)."""
    out: list[tuple[str, dict]] = [
        ("list_backup_vaults", {"BackupVaultList": [{
            "BackupVaultName": "v", "BackupVaultArn": VAULT,
            "EncryptionKeyArn": f"arn:aws-cn:kms:{REGION}:{ACCOUNT}:alias/aws/backup"}]}),
        ("list_tags", {"Tags": {}}),
        ("get_backup_vault_access_policy", {"Error": "ResourceNotFoundException"}),
        ("list_recovery_points_by_backup_vault", {"RecoveryPoints": [{
            "RecoveryPointArn": RP, "ResourceArn": CARDS, "ResourceType": "S3",
            "BackupVaultArn": VAULT, "IsEncrypted": True, "Status": "COMPLETED"}]}),
        ("list_backup_plans", {"BackupPlansList": []}),
    ]
    if isinstance(tests, str):
        out.append(("list_restore_testing_plans", {"Error": tests}))
    else:
        out.append(("list_restore_testing_plans", {"RestoreTestingPlans": [{
            "RestoreTestingPlanName": "monthly", "CreationTime": NOW,
            "RestoreTestingPlanArn": f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:"
                                     "restore-testing-plan:monthly",
            "ScheduleExpression": "cron(0 5 1 * ? *)"}]}) if tests else
            ("list_restore_testing_plans", {"RestoreTestingPlans": []}))
        out += tests
    out.append(("list_restore_jobs", {"Error": jobs} if isinstance(jobs, str)
                else {"RestoreJobs": jobs}))
    return out


def sweep_with(backup_answers: list[tuple[str, dict]]) -> Any:
    bucket("ledger", tags={"dsscan:level": "core", "restore-test": "yes"})
    bucket("cards", tags={"dsscan:level": "important"})
    client = boto3.client("backup", region_name=REGION)
    stub = Stubber(client)
    for method, reply in backup_answers:
        if "Error" in reply:
            stub.add_client_error(method, service_error_code=reply["Error"],
                                  http_status_code=403)
        else:
            stub.add_response(method, reply)
    stub.activate()
    inv = sweep(SweepOptions(regions=[REGION], services=["s3", "backup"],
                             client_overrides={"backup": client}))
    stub.assert_no_pending_responses()
    return inv


def verdicts(inv: Any) -> dict[str, str]:
    """DS-BAK-004's verdict per bucket: finding, not_assessed or pass."""
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    out = {n: "pass" for n in ("ledger", "cards")}
    for f in result.findings:
        if f.policy_id == "DS-BAK-004":
            out[f.asset_name] = "finding"
    for g in result.not_assessed:
        if g.policy_id == "DS-BAK-004":
            out[str(g.asset_id).rsplit(":", 1)[-1]] = "not_assessed"
    return out


ARN_SEL = selection("by-arn", ProtectedResourceArns=[LEDGER])
TAG_SEL = selection("by-tag", ProtectedResourceArns=["*"], ProtectedResourceConditions={
    "StringEquals": [{"Key": "aws:ResourceTag/restore-test", "Value": "yes"}]})
NOT_TAG_SEL = selection("not-tag", ProtectedResourceArns=["*"], ProtectedResourceConditions={
    "StringNotEquals": [{"Key": "aws:ResourceTag/restore-test", "Value": "yes"}]})
RDS_SEL = selection("rds", ProtectedResourceType="RDS", ProtectedResourceArns=["*"])
ODD_SEL = selection("odd", ProtectedResourceArns=["*"], ProtectedResourceConditions={
    "StringEquals": [{"Key": "aws:PrincipalTag/team", "Value": "x"}]})


@pytest.mark.parametrize(("tests", "jobs", "facts", "expected"), [
    # facts: (ledger's testing_selections, cards' testing_selections, cards' last restore?)
    (ARN_SEL, [], (["monthly/by-arn"], [], False), {"ledger": "pass", "cards": "finding"}),
    (TAG_SEL, [], (["monthly/by-tag"], [], False), {"ledger": "pass", "cards": "finding"}),
    (NOT_TAG_SEL, [], ([], ["monthly/not-tag"], False),
     {"ledger": "finding", "cards": "pass"}),
    (RDS_SEL, [], ([], [], False), {"ledger": "finding", "cards": "finding"}),
    (ODD_SEL, [], (None, None, False), {"ledger": "not_assessed", "cards": "not_assessed"}),
    # A restore job names its source, or its recovery point does.
    ([], [job(20, SourceResourceArn=CARDS)], ([], [], True),
     {"ledger": "finding", "cards": "pass"}),
    ([], [job(20, RecoveryPointArn=RP)], ([], [], True), {"ledger": "finding", "cards": "pass"}),
    ([], [job(400, SourceResourceArn=CARDS)], ([], [], True),
     {"ledger": "finding", "cards": "finding"}),
    # A restore whose validation failed proves nothing.
    ([], [job(5, SourceResourceArn=CARDS, ValidationStatus="FAILED")], ([], [], False),
     {"ledger": "finding", "cards": "finding"}),
    # Unread: not assessed, unless the other route verifies the store.
    ("AccessDeniedException", [job(5, SourceResourceArn=CARDS)], (None, None, True),
     {"ledger": "not_assessed", "cards": "pass"}),
    (ARN_SEL, "AccessDeniedException", (["monthly/by-arn"], [], False),
     {"ledger": "pass", "cards": "not_assessed"}),
])
def test_restore_verification_from_restore_testing_and_restore_jobs(tests, jobs, facts,
                                                                      expected):
    inv = sweep_with(answers(tests, jobs))
    ledger = by_name(inv, "ledger")["backup"]["restore_verification"]
    cards = by_name(inv, "cards")["backup"]["restore_verification"]
    assert (ledger["testing_selections"], cards["testing_selections"],
            cards["last_successful_restore"] is not None) == facts
    assert ledger["restore_jobs"] == ("unreadable" if isinstance(jobs, str) else "read")
    assert verdicts(inv) == expected


def test_stores_where_aws_backup_was_not_read_are_not_assessed():
    bucket("ledger", tags={"dsscan:level": "core"})
    inv = sweep(SweepOptions(regions=[REGION], services=["s3"]))
    assert "restore_verification" not in by_name(inv, "ledger")["backup"]
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    assert any(g.policy_id == "DS-BAK-004" for g in result.not_assessed)


# -- vault lock mode (DS-BAK-005) --------------------------------------------------------------

@pytest.mark.parametrize(("vault", "lock", "verdict"), [
    # ChangeableForDays gives the lock a LockDate: compliance mode.
    ({"Locked": True, "MinRetentionDays": 30, "LockDate": NOW}, ("compliance", True), "pass"),
    ({"Locked": False, "MinRetentionDays": 30, "LockDate": NOW + timedelta(days=3)},
     ("compliance", True), "pass"),
    # Locked without a LockDate is governance mode (moto answers Locked: true for it too).
    ({"Locked": True, "MinRetentionDays": 30}, ("governance", True), "finding"),
    ({"MinRetentionDays": 30}, ("governance", True), "finding"),
    ({}, (None, False), "finding"),
])
def test_vault_lock_mode_from_list_backup_vaults(vault, lock, verdict):
    key = f"arn:aws-cn:kms:{REGION}:{ACCOUNT}:alias/aws/backup"
    client = boto3.client("backup", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("list_backup_vaults", {"BackupVaultList": [{
        "BackupVaultName": "v", "BackupVaultArn": VAULT, "EncryptionKeyArn": key, **vault}]})
    stub.add_response("list_tags", {"Tags": {"dsscan:level": "important"}})
    stub.add_client_error("get_backup_vault_access_policy", "ResourceNotFoundException",
                          http_status_code=404)
    stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": []})
    stub.add_response("list_backup_plans", {"BackupPlansList": []})
    stub.add_response("list_restore_testing_plans", {"RestoreTestingPlans": []})
    stub.add_response("list_restore_jobs", {"RestoreJobs": []})
    stub.activate()
    inv = sweep(SweepOptions(regions=[REGION], services=["backup"],
                             client_overrides={"backup": client}))
    stub.assert_no_pending_responses()
    got = by_name(inv, "v")["access"]["lock"]
    assert (got["mode"], got["enabled"]) == lock
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    found = [f for f in result.findings if f.policy_id == "DS-BAK-005"]
    assert ("finding" if found else "pass") == verdict
