"""AWS Backup in the live scanner: vaults, recovery points, plan coverage, restore testing.

moto 5.2 does not implement backup selections, recovery points, restore testing or vault
access policies, so the AWS Backup client alone is botocore's Stubber here, answering with
the documented response shapes; everything else (S3, KMS, STS) is moto.
"""

from __future__ import annotations

import json

import boto3
import pytest
from aws_support import ACCOUNT, REGION, bucket, by_name, fake_env
from botocore.stub import Stubber
from moto import mock_aws

from dsscan.config import Config
from dsscan.inventory import Inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # moto estates swept end to end

PROD_VAULT = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:backup-vault:prod-vault"
DR_VAULT = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:backup-vault:dr-vault"


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def stubbed_backup(answers: list[tuple[str, dict]]) -> tuple[object, Stubber]:
    client = boto3.client("backup", region_name=REGION)
    stub = Stubber(client)
    for method, response in answers:
        if "Error" in response:
            stub.add_client_error(method, service_error_code=response["Error"],
                                  http_status_code=response.get("Status", 400))
        else:
            stub.add_response(method, response)
    stub.activate()
    return client, stub


def aws_backup_key() -> str:
    """The account's AWS-managed aws/backup key, which a vault without a key of its own uses
    (AWS names its key ARN in EncryptionKeyArn; moto has no aws/backup key, so its alias ARN
    stands in: any alias/aws/* is provider-managed)."""
    return f"arn:aws-cn:kms:{REGION}:{ACCOUNT}:alias/aws/backup"


def vault_answers(cmk: str) -> list[tuple[str, dict]]:
    wildcard = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*",
                                          "Action": "backup:*", "Resource": "*"}]})
    return [
        ("list_backup_vaults", {"BackupVaultList": [
            {"BackupVaultName": "prod-vault", "BackupVaultArn": PROD_VAULT,
             "EncryptionKeyArn": aws_backup_key()},
            {"BackupVaultName": "dr-vault", "BackupVaultArn": DR_VAULT,
             "EncryptionKeyArn": cmk, "Locked": True, "MinRetentionDays": 365,
             "LockDate": "2026-01-04T00:00:00Z"}]}),
        ("list_tags", {"Tags": {"environment": "production"}}),
        ("get_backup_vault_access_policy", {"BackupVaultName": "prod-vault",
                                            "Policy": wildcard}),
        ("list_recovery_points_by_backup_vault", {"RecoveryPoints": [{
            "RecoveryPointArn": f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:recovery-point:rp-1",
            "ResourceArn": "arn:aws-cn:s3:::statements", "ResourceType": "S3",
            "BackupVaultArn": PROD_VAULT, "IsEncrypted": True, "Status": "COMPLETED"}]}),
        ("list_tags", {"Tags": {}}),
        ("get_backup_vault_access_policy", {"Error": "ResourceNotFoundException",
                                            "Status": 404}),
        ("list_recovery_points_by_backup_vault", {"RecoveryPoints": []}),
    ]


def plan_answers() -> list[tuple[str, dict]]:
    return [
        ("list_backup_plans", {"BackupPlansList": [
            {"BackupPlanId": "p-1", "BackupPlanName": "daily"}]}),
        ("get_backup_plan", {"BackupPlanId": "p-1", "BackupPlan": {
            "BackupPlanName": "daily",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "prod-vault"}]}}),
        ("list_backup_selections", {"BackupSelectionsList": [
            {"SelectionId": "s-1", "BackupPlanId": "p-1", "SelectionName": "tagged"}]}),
        ("get_backup_selection", {"BackupPlanId": "p-1", "SelectionId": "s-1",
                                  "BackupSelection": {
                                      "SelectionName": "tagged",
                                      "IamRoleArn": "arn:aws-cn:iam::123456789012:role/b",
                                      "Resources": ["arn:aws-cn:s3:::*"],
                                      "ListOfTags": [{"ConditionType": "STRINGEQUALS",
                                                      "ConditionKey": "backup",
                                                      "ConditionValue": "daily"}]}}),
        ("describe_region_settings", {"ResourceTypeOptInPreference": {"S3": True}}),
    ]


def restore_answers() -> list[tuple[str, dict]]:
    return [
        ("list_restore_testing_plans", {"RestoreTestingPlans": [{
            "RestoreTestingPlanName": "monthly", "CreationTime": "2026-01-01T00:00:00Z",
            "RestoreTestingPlanArn": "arn:aws-cn:backup:cn-north-1:123456789012:"
                                     "restore-testing-plan:monthly",
            "ScheduleExpression": "cron(0 5 1 * ? *)"}]}),
        ("list_restore_testing_selections", {"RestoreTestingSelections": [{
            "RestoreTestingPlanName": "monthly", "RestoreTestingSelectionName": "s3",
            "ProtectedResourceType": "S3", "CreationTime": "2026-01-01T00:00:00Z",
            "IamRoleArn": "arn:aws-cn:iam::123456789012:role/b"}]}),
        ("get_restore_testing_selection", {"RestoreTestingSelection": {
            "RestoreTestingPlanName": "monthly", "RestoreTestingSelectionName": "s3",
            "ProtectedResourceType": "S3", "CreationTime": "2026-01-01T00:00:00Z",
            "IamRoleArn": "arn:aws-cn:iam::123456789012:role/b",
            "ProtectedResourceArns": ["arn:aws-cn:s3:::statements"]}}),
        ("list_restore_jobs", {"RestoreJobs": []}),
    ]


def scan(client) -> Inventory:
    return sweep(SweepOptions(regions=[REGION], services=["s3", "backup"],
                              client_overrides={"backup": client}))


def test_vaults_recovery_points_plans_and_restore_tests_become_inventory_facts():
    cmk = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    bucket("statements", tags={"dsscan:level": "sensitive", "backup": "daily"})
    bucket("scratch", tags={"dsscan:level": "sensitive"})
    client, stub = stubbed_backup(vault_answers(cmk) + plan_answers() + restore_answers())
    inv = scan(client)
    stub.assert_no_pending_responses()

    prod, dr = by_name(inv, "prod-vault"), by_name(inv, "dr-vault")
    assert prod["encryption"]["at_rest"]["key_type"] == "provider_managed"  # aws/backup
    assert prod["access"]["wildcard_principal"] is True and prod["access"]["public"] is True
    assert prod["access"]["lock"] == {"enabled": False, "mode": None, "min_retention_days": None}
    assert prod["tags"] == {"environment": "production"}
    assert dr["encryption"]["at_rest"]["key_type"] == "customer_managed"
    assert dr["access"]["lock"] == {"enabled": True, "mode": "compliance",
                                    "min_retention_days": 365}
    assert dr["access"]["wildcard_principal"] is False  # no access policy at all

    rp = by_name(inv, "rp-1")
    assert rp["kind"] == "backup"
    assert rp["backup"]["backup_of"] == ["arn:aws-cn:s3:::statements"]
    assert rp["backup"]["location"] == {"account": ACCOUNT, "region": REGION,
                                        "vault": PROD_VAULT}

    statements, scratch = by_name(inv, "statements"), by_name(inv, "scratch")
    assert statements["backup"]["plans"] == ["daily"]  # selected by its tag
    assert scratch["backup"]["plans"] == []
    assert statements["backup"]["restore_verification"] == {
        "testing_selections": ["monthly/s3"], "last_successful_restore": None,
        "restore_jobs": "read"}
    assert scratch["backup"]["restore_verification"]["testing_selections"] == []
    assert inv.gaps == []


def test_unreadable_backup_plans_make_backup_coverage_not_assessed():
    cmk = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    bucket("scratch", tags={"dsscan:level": "sensitive"})
    denied = ("list_backup_plans", {"Error": "AccessDeniedException", "Status": 403})
    client, _ = stubbed_backup([*vault_answers(cmk), denied, *restore_answers()])
    inv = scan(client)
    scratch = by_name(inv, "scratch")
    assert scratch["backup"]["plans"] is None
    assert {"aspect": "backup", "reason": "AWS Backup plans could not be read: "
            "backup:ListBackupPlans AccessDeniedException"} in scratch["assessment"]["gaps"]
    assert {"scope": f"backup plans in {ACCOUNT}/{REGION}",
            "reason": "backup:ListBackupPlans AccessDeniedException", "account": ACCOUNT,
            "region": REGION, "service": "backup", "operation": "ListBackupPlans"} in inv.gaps

    # DS-BAK-002 cannot tell whether the store is backed up: not assessed, not a finding.
    result = run_scan(inv, load_library(), ScanOptions(config=Config(), include=("DS-BAK-002",)))
    assert not [f for f in result.findings if f.asset_id == scratch["id"]]
    assert any(n.asset_id == scratch["id"] and n.policy_id == "DS-BAK-002"
               for n in result.not_assessed)
