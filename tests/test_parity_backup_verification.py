"""Provable backups (issue 14, items 4 and 6), one estate in four descriptions with the same
DS-BAK-* verdicts: a Pulumi program (tests/fixtures/pulumi/backup_verification, run under the
SDK's mocks) and its stack export and preview recorded at test time, a Terraform plan written
the way `terraform show -json` writes hashicorp/aws 5.x plans (bucket ARNs unknown, the
restore-testing selection's ARN list a configuration reference), and the estate provisioned
into moto and read by the live scanner. The program's docstring says why each verdict is what
it is.

Only the DS-BAK-* policies are compared: the buckets also draw findings of other families
(encryption...), which tests/test_parity.py pins. moto has no AWS Backup recovery points,
restore-testing plans or restore jobs, so the live scan's AWS Backup client alone is
botocore's Stubber, answering with the estate's vaults, its restore-testing plan and its two
selections, and no restore job; the buckets (versioning, Object Lock, replication with
delete-marker replication) are moto's, its GetBucketReplication made to answer the
delete-marker setting it stored (moto 5.2 always answers "Disabled": see
``_replication_as_stored``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
PROGRAM = FIXTURES / "pulumi" / "backup_verification"
PLAN = FIXTURES / "terraform" / "backup-verification-plan.json"
ROLE = f"arn:aws-cn:iam::{ACCOUNT}:role/backup-restore"

EXPECTED = {
    # ledger's replica counts as its backup (versioned, delete markers kept back, Object
    # Lock): DS-BAK-002 passes, and DS-BAK-001 judges where it is (same account and region).
    ("DS-BAK-001", "ledger"),
    # replicas that do not count: delete markers replicated / versioning suspended / no
    # Object Lock for core data
    ("DS-BAK-002", "cards"), ("DS-BAK-002", "statements"), ("DS-BAK-002", "loans"),
    # no restore-testing selection covers them (ledger: by ARN, cards: by tag); live, no
    # restore job either
    ("DS-BAK-004", "statements"), ("DS-BAK-004", "loans"),
    # a vault of important data locked in governance mode only
    ("DS-BAK-005", "imp-vault"),
}
WHY = {  # the condition each DS-BAK-002 message names
    "cards": "delete markers are replicated to it",
    "statements": "its destination keeps no earlier versions",
    "loans": "its destination has no Object Lock",
}


def verdicts(inv: Inventory) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    found = {(f.policy_id, f.asset_name or f.asset_id) for f in result.findings
             if f.policy_id.startswith("DS-BAK")}
    gaps = {(n.policy_id or "", n.asset_id or "") for n in result.not_assessed
            if (n.policy_id or "DS-BAK").startswith("DS-BAK")}
    for f in result.findings:
        if f.policy_id == "DS-BAK-002":
            assert WHY[f.asset_name] in f.message, f.message
    return found, gaps


def iac(resources, tool: str, path: Path) -> Inventory:
    return build_inventory(resources, tool=tool, files=[str(path)])


def test_terraform_plan():
    assert verdicts(iac(read_plan(str(PLAN)), "terraform", PLAN)) == (EXPECTED, set())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict[str, Path]:
    return record_program(tmp_path_factory, PROGRAM)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi(source, recorded):
    assert verdicts(pulumi_inventory(source, PROGRAM, recorded)) == (EXPECTED, set())


# -- the same estate in moto ------------------------------------------------------------------

def provision() -> None:
    s3 = boto3.client("s3", region_name=REGION)

    def bucket(name: str, level: str, versioning: str = "Enabled", lock: bool = False,
               **extra: str) -> str:
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock,
                         CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": k, "Value": v} for k, v in
            {"dsscan:level": level, "environment": "production", **extra}.items()]})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
        if lock:
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}}})
        return name

    def replicate(src: str, dst: str, markers: str) -> None:
        s3.put_bucket_replication(Bucket=src, ReplicationConfiguration={"Role": ROLE, "Rules": [{
            "ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {},
            "DeleteMarkerReplication": {"Status": markers},
            "Destination": {"Bucket": f"arn:aws-cn:s3:::{dst}"}}]})

    replicate(bucket("ledger", "core"), bucket("ledger-dr", "core", lock=True), "Disabled")
    replicate(bucket("cards", "important", **{"restore-test": "yes"}),
              bucket("cards-replica", "important"), "Enabled")
    replicate(bucket("statements", "important"),
              bucket("statements-replica", "important", versioning="Suspended"), "Disabled")
    replicate(bucket("loans", "core"), bucket("loans-replica", "core"), "Disabled")


def backup_stub() -> tuple[object, Stubber]:
    """AWS Backup as AWS answers for this estate (moto lacks most of it: see the docstring)."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    vault = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:backup-vault:"
    key = f"arn:aws-cn:kms:{REGION}:{ACCOUNT}:alias/aws/backup"
    client = boto3.client("backup", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("list_backup_vaults", {"BackupVaultList": [
        # changeable_for_days set: compliance mode (LockDate: when it becomes immutable)
        {"BackupVaultName": "core-vault", "BackupVaultArn": vault + "core-vault",
         "EncryptionKeyArn": key, "MinRetentionDays": 30, "Locked": False, "LockDate": now},
        {"BackupVaultName": "imp-vault", "BackupVaultArn": vault + "imp-vault",
         "EncryptionKeyArn": key, "MinRetentionDays": 30, "Locked": False}]})
    for level in ("core", "important"):
        stub.add_response("list_tags", {"Tags": {"dsscan:level": level,
                                                 "environment": "production"}})
        stub.add_client_error("get_backup_vault_access_policy", "ResourceNotFoundException",
                              http_status_code=404)
        stub.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": []})
    stub.add_response("list_backup_plans", {"BackupPlansList": []})
    stub.add_response("list_restore_testing_plans", {"RestoreTestingPlans": [{
        "RestoreTestingPlanName": "monthly", "CreationTime": now,
        "RestoreTestingPlanArn": f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:"
                                 "restore-testing-plan:monthly",
        "ScheduleExpression": "cron(0 5 1 * ? *)"}]})
    sels = {
        "by_arn": {"ProtectedResourceArns": ["arn:aws-cn:s3:::ledger"]},
        "by_tag": {"ProtectedResourceArns": ["*"], "ProtectedResourceConditions": {
            "StringEquals": [{"Key": "aws:ResourceTag/restore-test", "Value": "yes"}]}},
    }
    stub.add_response("list_restore_testing_selections", {"RestoreTestingSelections": [
        {"RestoreTestingPlanName": "monthly", "RestoreTestingSelectionName": name,
         "ProtectedResourceType": "S3", "CreationTime": now, "IamRoleArn": ROLE}
        for name in sels]})
    for name, sel in sels.items():
        stub.add_response("get_restore_testing_selection", {"RestoreTestingSelection": {
            "RestoreTestingPlanName": "monthly", "RestoreTestingSelectionName": name,
            "ProtectedResourceType": "S3", "CreationTime": now, "IamRoleArn": ROLE, **sel}})
    stub.add_response("list_restore_jobs", {"RestoreJobs": []})
    stub.activate()
    return client, stub


def _replication_as_stored(self: Any) -> Any:  # replaces moto S3Response method
    """moto 5.2's GetBucketReplication answers ``DeleteMarkerReplication: Disabled`` whatever
    was put (it stores the rule as put). This answers what it stored, as AWS does; the rest
    of the reply is moto's own."""
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError

    self.data["Action"] = "GetBucketReplication"
    stored = self.backend.get_bucket_replication(self.bucket_name)
    if not stored:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    rules = [{"ID": r["ID"], "Priority": r["Priority"], "Status": r["Status"],
              "DeleteMarkerReplication": r.get("DeleteMarkerReplication")
              or {"Status": "Disabled"},
              "Filter": {"Prefix": ""}, "Destination": r["Destination"]}
             for r in stored["Rule"]]
    return self.serialized(ActionResult({"ReplicationConfiguration": {
        "Role": stored["Role"], "Rules": rules}}))


@pytest.mark.slow
def test_the_estate_in_moto(monkeypatch):
    from moto.s3.responses import S3Response

    monkeypatch.setattr(S3Response, "get_bucket_replication", _replication_as_stored)
    fake_env(monkeypatch)
    with mock_aws():
        provision()
        client, stub = backup_stub()
        inv = sweep(SweepOptions(regions=[REGION], services=["s3", "backup"],
                                 client_overrides={"backup": client}))
        stub.assert_no_pending_responses()
    assert verdicts(inv) == (EXPECTED, set())
