"""Which stores an AWS Backup plan covers, read the way AWS Backup reads a selection (issue 11,
wrong passes found by review: NotResources ignored, Conditions read as OR, negated operators
and StringLike not understood, service opt-in ignored — each counted stores as backed up that
AWS Backup never touches, and DS-BAK-002 passed).

moto 5.2 has no AWS Backup selections, so the AWS Backup client alone is botocore's Stubber
(documented response shapes); the stores (S3 buckets, a DynamoDB table) and their tags are
moto. Each case is one plan with one selection; the table gives the stores it covers and those
whose coverage cannot be told (plans null and a backup gap, never covered).
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, REGION, bucket, by_name, fake_env
from botocore.stub import Stubber
from moto import mock_aws

from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # a moto estate per selection case

S3 = "arn:aws-cn:s3:::"
STORES = {
    "ledger-a": {"backup": "daily", "env": "prod"},
    "ledger-b": {"backup": "weekly", "env": "prod"},
    "ledger-c": {"env": "test"},
    "scratch": {},
}
TABLE = "orders"  # DynamoDB, tagged backup=daily
ALL = {*STORES, TABLE}
BOTH_OPTED_IN = {"S3": True, "DynamoDB": True}


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def tag(key: str, value: str) -> dict[str, str]:
    return {"ConditionKey": f"aws:ResourceTag/{key}", "ConditionValue": value}


# (case, BackupSelection members, opt-in preference, covered, cannot be told)
CASES: list[tuple[str, dict[str, Any], dict[str, bool], set[str], set[str]]] = [
    ("every bucket but one (NotResources)",
     {"Resources": [f"{S3}*"], "NotResources": [f"{S3}ledger-b"]}, BOTH_OPTED_IN,
     {"ledger-a", "ledger-c", "scratch"}, set()),
    ("NotResources pattern",
     {"Resources": ["*"], "NotResources": [f"{S3}ledger-*"]}, BOTH_OPTED_IN,
     {"scratch", TABLE}, set()),
    ("ListOfTags: any of them (OR), every resource type",
     {"ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup",
                      "ConditionValue": "daily"},
                     {"ConditionType": "STRINGEQUALS", "ConditionKey": "backup",
                      "ConditionValue": "weekly"}]}, BOTH_OPTED_IN,
     {"ledger-a", "ledger-b", TABLE}, set()),
    ("Conditions: all of them (AND)",
     {"Conditions": {"StringEquals": [tag("env", "prod")],
                     "StringLike": [tag("backup", "dai*")]}}, BOTH_OPTED_IN,
     {"ledger-a"}, set()),
    ("StringNotEquals holds for a store without the tag",
     {"Conditions": {"StringNotEquals": [tag("env", "prod")]}}, BOTH_OPTED_IN,
     {"ledger-c", "scratch", TABLE}, set()),
    ("StringNotLike holds for a store without the tag",
     {"Conditions": {"StringNotLike": [tag("backup", "*ly")]}}, BOTH_OPTED_IN,
     {"ledger-c", "scratch"}, set()),
    ("StringLike '?' is one character",
     {"Conditions": {"StringLike": [tag("backup", "?eekly")]}}, BOTH_OPTED_IN,
     {"ledger-b"}, set()),
    ("tag values are case-sensitive",
     {"Conditions": {"StringEquals": [tag("backup", "Daily")]}}, BOTH_OPTED_IN, set(), set()),
    ("Resources, then tags filter them",
     {"Resources": [f"{S3}ledger-*"],
      "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup",
                      "ConditionValue": "daily"}]}, BOTH_OPTED_IN, {"ledger-a"}, set()),
    ("'*' follows service opt-in",
     {"Resources": ["*"]}, {"S3": False, "DynamoDB": True}, {TABLE}, set()),
    ("a pattern naming the resource type ignores opt-in",
     {"Resources": [f"{S3}ledger-*"]}, {"S3": False, "DynamoDB": True},
     {"ledger-a", "ledger-b", "ledger-c"}, set()),
    ("opt-in settings silent on the type: cannot be told",
     {"Resources": ["*"]}, {"DynamoDB": True}, {TABLE}, set(STORES)),
    ("a ListOfTags condition type dsscan does not know: cannot be told",
     {"ListOfTags": [{"ConditionType": "STRINGLIKE", "ConditionKey": "env",
                      "ConditionValue": "p*"}]}, BOTH_OPTED_IN, set(), ALL),
    ("an empty selection covers nothing", {}, BOTH_OPTED_IN, set(), set()),
]


def estate() -> None:
    for name, tags in STORES.items():
        bucket(name, tags=tags or None)
    ddb = boto3.client("dynamodb", region_name=REGION)
    arn = ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                           )["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "backup", "Value": "daily"}])


def backup_client(selection: dict[str, Any],
                  opt_in: dict[str, bool] | None) -> tuple[Any, Stubber]:
    """The AWS Backup client answering one plan with one selection; ``opt_in`` None: the
    service opt-in settings are denied."""
    client = boto3.client("backup", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("list_backup_vaults", {"BackupVaultList": []})
    stub.add_response("list_backup_plans", {"BackupPlansList": [
        {"BackupPlanId": "p-1", "BackupPlanName": "nightly"}]})
    stub.add_response("get_backup_plan", {"BackupPlanId": "p-1", "BackupPlan": {
        "BackupPlanName": "nightly", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}]}})
    stub.add_response("list_backup_selections", {"BackupSelectionsList": [
        {"SelectionId": "s-1", "BackupPlanId": "p-1", "SelectionName": "sel"}]})
    stub.add_response("get_backup_selection", {
        "BackupPlanId": "p-1", "SelectionId": "s-1", "BackupSelection": {
            "SelectionName": "sel", "IamRoleArn": f"arn:aws-cn:iam::{ACCOUNT}:role/backup",
            **selection}})
    if opt_in is None:
        stub.add_client_error("describe_region_settings", "AccessDeniedException",
                              "not authorized", 400)
    else:
        stub.add_response("describe_region_settings", {"ResourceTypeOptInPreference": opt_in})
    stub.add_response("list_restore_testing_plans", {"RestoreTestingPlans": []})
    stub.activate()
    return client, stub


@pytest.mark.parametrize(("case", "selection", "opt_in", "covered", "unknown"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_selection_covers_what_aws_backup_would_back_up(case, selection, opt_in, covered,
                                                          unknown):
    estate()
    client, stub = backup_client(selection, opt_in)
    inv = sweep(SweepOptions(regions=[REGION], services=["s3", "dynamodb", "backup"],
                             client_overrides={"backup": client}))
    stub.assert_no_pending_responses()
    plans = {name: by_name(inv, name)["backup"]["plans"] for name in ALL}
    assert {n for n, p in plans.items() if p == ["nightly"]} == covered
    assert {n for n, p in plans.items() if p is None} == unknown
    assert {n for n, p in plans.items() if p == []} == ALL - covered - unknown
    for name in unknown:
        [gap] = [g for g in by_name(inv, name)["assessment"]["gaps"] if g["aspect"] == "backup"]
        assert gap["reason"].startswith("whether AWS Backup plan nightly covers the store "
                                        "could not be told")


@pytest.mark.parametrize(("selection", "covered", "unknown"), [
    # '*' follows the opt-in: with it unread, no store can be called covered
    ({"Resources": ["*"]}, set(), ALL),
    # a pattern naming the resource type ignores the opt-in: still decided
    ({"Resources": [f"{S3}ledger-*"]}, {"ledger-a", "ledger-b", "ledger-c"}, set()),
])
def test_unreadable_service_opt_in_leaves_what_it_decides_unknown_and_is_noted(
        selection, covered, unknown):
    estate()
    client, _ = backup_client(selection, None)
    inv = sweep(SweepOptions(regions=[REGION], services=["s3", "dynamodb", "backup"],
                             client_overrides={"backup": client}))
    plans = {name: by_name(inv, name)["backup"]["plans"] for name in ALL}
    assert {n for n, p in plans.items() if p == ["nightly"]} == covered
    assert {n for n, p in plans.items() if p is None} == unknown
    for name in unknown:
        [gap] = [g for g in by_name(inv, name)["assessment"]["gaps"] if g["aspect"] == "backup"]
        assert "service opt-in settings could not be read" in gap["reason"]
    [src] = [s for s in inv.sources if s.get("region") == REGION and s.get("account") == ACCOUNT]
    assert "AWS Backup service opt-in not read: backup:DescribeRegionSettings" in src["detail"]
