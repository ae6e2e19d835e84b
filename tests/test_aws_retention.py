"""DS-RET-001 / DS-RET-002 from the live scanner: lifecycle rules, snapshot creation times and
deleted sources from moto (S3, RDS, EBS), and AWS Backup plan lifecycles and recovery points.

moto 5.2 implements no AWS Backup selections or recovery points, so the AWS Backup client
alone is botocore's Stubber here (the documented shapes of GetBackupPlan,
ListRecoveryPointsByBackupVault...); the buckets, databases, volumes and snapshots are moto's.
"""

from __future__ import annotations

from datetime import UTC, datetime
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

OLD = datetime(2001, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def verdicts(inv: Any, policy: str) -> dict[str, str]:
    """One policy's verdict per asset name: finding, not_assessed (or absent: passed / n/a)."""
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    names = {a["id"]: a.get("name") for a in inv.assets}
    out: dict[str, str] = {}
    for f in result.findings:
        if f.policy_id == policy:
            out[f.asset_name] = "finding"
    for g in result.not_assessed:
        if g.policy_id == policy:
            out[names.get(g.asset_id, str(g.asset_id))] = "not_assessed"
    return out


def rule(days: int, **extra: Any) -> dict[str, Any]:
    return {"ID": f"r{days}", "Status": extra.pop("Status", "Enabled"),
            "Expiration": {"Days": days}, **extra}


@pytest.mark.parametrize(("rules", "whole", "verdict"), [
    ([rule(30, Filter={})], {"days": 30, "date": None}, None),                 # covers
    ([rule(30, Filter={"Prefix": "tmp/"})], {"days": None, "date": None}, "finding"),
    ([rule(30, Filter={}, Status="Disabled")], {"days": None, "date": None}, "finding"),
    ([rule(900, Filter={})], {"days": 900, "date": None}, "finding"),         # longer
    (None, {"days": None, "date": None}, "finding"),                          # no lifecycle
])
def test_bucket_lifecycle_enforces_the_declared_retention(rules, whole, verdict):
    s3 = bucket("ledger", tags={"dsscan:level": "important", "retention-days": "365"})
    if rules is not None:
        s3.put_bucket_lifecycle_configuration(Bucket="ledger",
                                              LifecycleConfiguration={"Rules": rules})
    inv = sweep(SweepOptions(regions=[REGION], services=["s3"]))
    assert by_name(inv, "ledger")["expiry"]["whole_bucket"] == {"noncurrent_days": None, **whole}
    got = verdicts(inv, "DS-RET-001").get("ledger")
    # AWS Backup was not read: its plans are unknown, so a bucket whose lifecycle enforces
    # the retention is not assessed (never passed on half the facts).
    assert got == (verdict or "not_assessed")


@pytest.mark.parametrize(("versioning", "noncurrent", "expected", "verdict"), [
    (None, None, None, "not_assessed"),           # never versioned: 30 days (Backup unread)
    ("Enabled", None, None, "finding"),           # expired objects kept as noncurrent ones
    ("Enabled", {"NoncurrentDays": 400}, 400, "finding"),                    # 30 + 400
    ("Enabled", {"NoncurrentDays": 300}, 300, "not_assessed"),               # 30 + 300
    ("Suspended", None, None, "finding"),         # the versions made while enabled stay
])
def test_a_versioned_bucket_keeps_expired_objects_as_noncurrent_versions(
        versioning, noncurrent, expected, verdict):
    """(NewerNoncurrentVersions: moto 5.2 drops it; test_retention_rules pins it.)"""
    s3 = bucket("ledger", tags={"dsscan:level": "important", "retention-days": "365"})
    if versioning:
        s3.put_bucket_versioning(Bucket="ledger", VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_versioning(Bucket="ledger", VersioningConfiguration={"Status": versioning})
    r = rule(30, Filter={})
    if noncurrent is not None:
        r["NoncurrentVersionExpiration"] = noncurrent
    s3.put_bucket_lifecycle_configuration(Bucket="ledger",
                                          LifecycleConfiguration={"Rules": [r]})
    inv = sweep(SweepOptions(regions=[REGION], services=["s3"]))
    a = by_name(inv, "ledger")
    assert a["attributes"]["versioning"] == (versioning or "Disabled")
    assert a["expiry"]["whole_bucket"]["noncurrent_days"] == expected
    assert verdicts(inv, "DS-RET-001").get("ledger") == verdict


def test_deleted_database_and_volume_leave_orphan_snapshots():
    rds = boto3.client("rds", region_name=REGION)
    for name in ("gone-crm", "ledger"):
        rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro",
                               Engine="postgres", MasterUsername="u",
                               MasterUserPassword="password123", AllocatedStorage=20)
        rds.create_db_snapshot(DBSnapshotIdentifier=f"{name}-final",
                               DBInstanceIdentifier=name,
                               Tags=[{"Key": "dsscan:level", "Value": "important"}])
    rds.delete_db_instance(DBInstanceIdentifier="gone-crm", SkipFinalSnapshot=True)
    ec2 = boto3.client("ec2", region_name=REGION)
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
    ec2.create_snapshot(VolumeId=vol, TagSpecifications=[{"ResourceType": "snapshot", "Tags": [
        {"Key": "Name", "Value": "gone-disk"}]}])
    ec2.delete_volume(VolumeId=vol)

    inv = sweep(SweepOptions(regions=[REGION], services=["rds", "ebs"]))
    assert all(s["services"] == ["rds", "ebs"] for s in inv.sources)
    snap = by_name(inv, "gone-crm-final")
    assert snap["backup"]["created"] is not None  # SnapshotCreateTime
    assert by_name(inv, "gone-disk")["backup"]["created"] is not None  # StartTime
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    found = {f.asset_name: f for f in result.findings if f.policy_id == "DS-RET-002"}
    assert set(found) == {"gone-crm-final", "gone-disk"}
    assert found["gone-crm-final"].level == "important"    # its own level tag
    assert found["gone-disk"].level == "sensitive"         # unclassified: protection level
    assert not [g for g in result.not_assessed if g.policy_id == "DS-RET-002"]

    # The same estate read without EBS: the volume's absence proves nothing.
    inv = sweep(SweepOptions(regions=[REGION], services=["rds"]))
    assert set(verdicts(inv, "DS-RET-002")) == {"gone-crm-final"}


# -- AWS Backup (Stubber) ----------------------------------------------------------------------

VAULT = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:backup-vault:v"
KEY = f"arn:aws-cn:kms:{REGION}:{ACCOUNT}:alias/aws/backup"
GONE_DB = f"arn:aws-cn:rds:{REGION}:{ACCOUNT}:db:retired-crm"
INSTANCE = f"arn:aws-cn:ec2:{REGION}:{ACCOUNT}:instance/i-0abc"


def rp(name: str, resource: str, created: datetime) -> dict[str, Any]:
    return {"RecoveryPointArn": f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:recovery-point:{name}",
            "ResourceArn": resource, "ResourceType": "S3", "BackupVaultArn": VAULT,
            "IsEncrypted": True, "Status": "COMPLETED", "CreationDate": created}


def backup_answers(lifecycle: dict[str, Any] | None, copy: dict[str, Any] | None,
                   plan_error: bool = False) -> list[tuple[str, dict]]:
    plan_rule: dict[str, Any] = {"RuleName": "daily", "TargetBackupVaultName": "v"}
    if lifecycle is not None:
        plan_rule["Lifecycle"] = lifecycle
    if copy is not None:
        plan_rule["CopyActions"] = [{"DestinationBackupVaultArn": VAULT, "Lifecycle": copy}]
    return [
        ("list_backup_vaults", {"BackupVaultList": [{
            "BackupVaultName": "v", "BackupVaultArn": VAULT, "EncryptionKeyArn": KEY}]}),
        ("list_tags", {"Tags": {}}),
        ("get_backup_vault_access_policy", {"Error": "ResourceNotFoundException"}),
        ("list_recovery_points_by_backup_vault", {"RecoveryPoints": [
            rp("rp-old", "arn:aws-cn:s3:::ledger", OLD),
            rp("rp-retired", GONE_DB, OLD),
            rp("rp-instance", INSTANCE, OLD)]}),
        ("list_backup_plans", {"BackupPlansList": [{"BackupPlanId": "p1",
                                                    "BackupPlanName": "core"}]}),
        ("get_backup_plan", {"Error": "AccessDeniedException"} if plan_error else
         {"BackupPlan": {"BackupPlanName": "core", "Rules": [plan_rule]}}),
        ("list_backup_selections", {"BackupSelectionsList": [{"SelectionId": "s1"}]}),
        ("get_backup_selection", {"BackupSelection": {
            "SelectionName": "all-ledger", "IamRoleArn": f"arn:aws-cn:iam::{ACCOUNT}:role/b",
            "Resources": ["arn:aws-cn:s3:::ledger"]}}),
        ("describe_region_settings", {"ResourceTypeOptInPreference": {"S3": True}}),
        ("list_restore_testing_plans", {"RestoreTestingPlans": []}),
        ("list_restore_jobs", {"RestoreJobs": []}),
    ]


def sweep_backup(answers: list[tuple[str, dict]], services: list[str]) -> Any:
    s3 = bucket("ledger", tags={"dsscan:level": "core", "retention-days": "365"})
    s3.put_bucket_lifecycle_configuration(Bucket="ledger", LifecycleConfiguration={
        "Rules": [rule(365, Filter={})]})
    client = boto3.client("backup", region_name=REGION)
    stub = Stubber(client)
    for method, reply in answers:
        if "Error" in reply:
            stub.add_client_error(method, service_error_code=reply["Error"],
                                  http_status_code=403 if reply["Error"] != (
                                      "ResourceNotFoundException") else 404)
        else:
            stub.add_response(method, reply)
    stub.activate()
    inv = sweep(SweepOptions(regions=[REGION], services=services,
                             client_overrides={"backup": client}))
    stub.assert_no_pending_responses()
    return inv


@pytest.mark.parametrize(("lifecycle", "copy", "plan_error", "facts", "ledger"), [
    ({"DeleteAfterDays": 35}, None, False, [(35, False)], None),             # within
    ({"DeleteAfterDays": 3650}, None, False, [(3650, False)], "finding"),    # longer
    (None, None, False, [(None, False)], "finding"),                         # kept forever
    ({"DeleteAfterDays": 35}, {"DeleteAfterDays": 3650}, False,
     [(35, False), (3650, True)], "finding"),                                # the copy's
    ({"DeleteAfterDays": 35}, None, True, None, "not_assessed"),             # plan unread
])
def test_backup_plan_lifecycle_and_old_recovery_points(lifecycle, copy, plan_error, facts,
                                                       ledger):
    inv = sweep_backup(backup_answers(lifecycle, copy, plan_error), ["s3", "backup"])
    got = by_name(inv, "ledger")["backup"]["plan_lifecycle"]
    assert (None if got is None else [(r["delete_after_days"], r["copy"]) for r in got]) \
        == facts
    ret = verdicts(inv, "DS-RET-001")
    assert ret.get("ledger") == ledger
    # A recovery point of the bucket from 2001 is older than the bucket's 365 days.
    assert ret.get("rp-old") == "finding"
    # The bucket's recovery point: its source is there. Sources of other services: RDS was
    # not read in this sweep, an EC2 instance never is: not assessed, never an orphan.
    orphans = verdicts(inv, "DS-RET-002")
    assert orphans == {"rp-retired": "not_assessed", "rp-instance": "not_assessed"}


def test_a_recovery_point_of_a_deleted_database_is_an_orphan_when_rds_was_read():
    inv = sweep_backup(backup_answers({"DeleteAfterDays": 35}, None), ["s3", "backup", "rds"])
    assert by_name(inv, "rp-retired")["backup"]["created"] == "2001-01-01T00:00:00Z"
    orphans = verdicts(inv, "DS-RET-002")
    assert orphans.get("rp-retired") == "finding"
    assert orphans.get("rp-instance") == "not_assessed"


def test_an_on_demand_backup_of_a_deleted_table_is_an_orphan():
    ddb = boto3.client("dynamodb", region_name=REGION)
    for name in ("retired-cards", "cards"):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         Tags=[{"Key": "dsscan:level", "Value": "important"},
                               {"Key": "retention-days", "Value": "30"}])
        ddb.create_backup(TableName=name, BackupName=f"{name}-final")
    ddb.delete_table(TableName="retired-cards")
    inv = sweep(SweepOptions(regions=[REGION], services=["dynamodb"]))
    assert by_name(inv, "cards-final")["backup"]["created"] is not None
    assert verdicts(inv, "DS-RET-002") == {"retired-cards-final": "finding"}
    # cards-final takes the table's 30 days; made just now, it is within them.
    assert "cards-final" not in verdicts(inv, "DS-RET-001")
