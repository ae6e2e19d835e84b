"""DS-SHR-001/002 from Terraform (a plan JSON of provider v5 shapes, written here: computed
attributes unknown, policies as split resources referencing their store, one policy unknown
until apply) and from the same estate as planned resources of Pulumi's types; both give the
live sweep's verdicts (tests/test_shr_live.py EXPECTED, plus what only IaC can say).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from shr_support import CONFIG, EXPECTED, FOREIGN, INSURER, VENDOR
from tfplan_support import Plan

from dsscan.config import config_from_mapping
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

OWN = "123456789012"
REGION = "cn-north-1"

_BUCKET_UNKNOWN = dict.fromkeys((
    "acceleration_status", "acl", "arn", "bucket_domain_name", "bucket_prefix",
    "bucket_regional_domain_name", "cors_rule", "grant", "hosted_zone_id", "id",
    "lifecycle_rule", "logging", "object_lock_configuration", "object_lock_enabled", "policy",
    "region", "replication_configuration", "request_payer",
    "server_side_encryption_configuration", "versioning", "website", "website_domain",
    "website_endpoint"), True)


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def grant(principal: Any, action: str, resource: str, **cond: Any) -> dict[str, Any]:
    s = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}
    if cond:
        s["Condition"] = cond
    return s


def estate_plan() -> dict[str, Any]:
    p = Plan()

    def bucket(name: str, level: str, policy: str | None, record: str | None = None,
               unknown_policy: bool = False) -> None:
        tags = {"dsscan:level": level}
        if record:
            tags["dsscan:sharing-record"] = record
        res = name.replace("-", "_")
        p.add("aws_s3_bucket", res, {"bucket": name, "force_destroy": False, "tags": tags,
                                     "tags_all": tags, "timeouts": None},
              {**_BUCKET_UNKNOWN, "tags": {}, "tags_all": {}})
        if policy is not None or unknown_policy:
            p.add("aws_s3_bucket_policy", res, {} if unknown_policy else {"policy": policy},
                  {"id": True, **({"policy": True} if unknown_policy else {})},
                  refs={"bucket": f"aws_s3_bucket.{res}.id"})

    arn = "arn:aws-cn:s3:::{}/*"
    bucket("vendor-core", "core", doc(grant({"AWS": f"arn:aws-cn:iam::{VENDOR}:role/etl"},
                                            "s3:GetObject", arn.format("vendor-core"))))
    bucket("vendor-recorded", "core", doc(grant({"AWS": VENDOR}, "s3:GetObject",
                                                arn.format("vendor-recorded"))),
           record="SR-2026-01")
    bucket("insurer-core", "core", doc(grant({"AWS": INSURER}, "s3:Get*",
                                             arn.format("insurer-core"))))
    bucket("foreign-org", "sensitive", doc(grant(
        "*", "s3:GetObject", arn.format("foreign-org"),
        StringEquals={"aws:PrincipalOrgID": FOREIGN})))
    bucket("own-only", "core", None)
    bucket("general-shared", "general", doc(grant({"AWS": VENDOR}, "s3:GetObject",
                                                  arn.format("general-shared"))))
    # jsonencode() over the bucket's ARN: the document is known only after apply
    bucket("later-core", "core", None, unknown_policy=True)

    tags = {"dsscan:level": "important"}
    p.add("aws_dynamodb_table", "policies", {
        "name": "policies", "billing_mode": "PAY_PER_REQUEST", "hash_key": "k",
        "attribute": [{"name": "k", "type": "S"}], "tags": tags, "tags_all": tags,
        "point_in_time_recovery": [{"enabled": False}], "server_side_encryption": []},
        {"arn": True, "id": True, "stream_arn": True, "replica": True,
         "point_in_time_recovery": [{"recovery_period_in_days": True}]})
    table_arn = f"arn:aws-cn:dynamodb:{REGION}:{OWN}:table/policies"
    p.add("aws_dynamodb_resource_policy", "policies", {"policy": doc(grant(
        "*", "dynamodb:Query", table_arn,
        StringEquals={"aws:PrincipalAccount": INSURER}))},
        {"id": True, "revision_id": True, "confirm_remove_self_resource_access": True},
        refs={"resource_arn": "aws_dynamodb_table.policies.arn"})

    tags = {"dsscan:level": "core"}
    p.add("aws_backup_vault", "dr", {"name": "dr-vault", "force_destroy": False,
                                     "tags": tags, "tags_all": tags},
          {"arn": True, "id": True, "kms_key_arn": True, "recovery_points": True})
    p.add("aws_backup_vault_policy", "dr", {"policy": doc(grant(
        {"AWS": f"arn:aws-cn:iam::{VENDOR}:root"}, "backup:CopyFromBackupVault", "*"))},
        {"id": True, "backup_vault_arn": True},
        refs={"backup_vault_name": "aws_backup_vault.dr.name"})

    p.add("aws_db_instance", "ledger", {
        "identifier": "ledger", "engine": "postgres", "instance_class": "db.t3.micro",
        "allocated_storage": 20, "username": "u", "storage_encrypted": True,
        "publicly_accessible": False, "tags": tags, "tags_all": tags},
        {"arn": True, "id": True, "kms_key_id": True, "endpoint": True,
         "db_subnet_group_name": True, "vpc_security_group_ids": True})
    p.add("aws_db_snapshot", "ledger", {
        "db_snapshot_identifier": "ledger-snap", "shared_accounts": [VENDOR], "tags": tags,
        "tags_all": tags}, {"id": True, "db_snapshot_arn": True, "kms_key_id": True,
                            "encrypted": True},
        refs={"db_instance_identifier": "aws_db_instance.ledger.identifier"})

    # An EBS snapshot shared through a create-volume permission with the vendor
    p.add("aws_ebs_volume", "data", {"availability_zone": f"{REGION}a", "size": 10,
                                     "encrypted": True, "tags": tags, "tags_all": tags},
          {"arn": True, "id": True, "kms_key_id": True})
    p.add("aws_ebs_snapshot", "data", {"tags": {**tags, "Name": "data-snap"},
                                       "tags_all": {**tags, "Name": "data-snap"}},
          {"arn": True, "id": True, "kms_key_id": True, "encrypted": True},
          refs={"volume_id": "aws_ebs_volume.data.id"})
    p.add("aws_ebs_snapshot_create_volume_permission", "vendor", {"account_id": VENDOR},
          {"id": True}, refs={"snapshot_id": "aws_ebs_snapshot.data.id"})
    # An Aurora cluster shared with the vendor through AWS RAM
    p.add("aws_rds_cluster", "pool", {
        "cluster_identifier": "pool", "engine": "aurora-postgresql", "master_username": "u",
        "storage_encrypted": True, "tags": tags, "tags_all": tags},
        {"arn": True, "id": True, "kms_key_id": True, "endpoint": True,
         "db_subnet_group_name": True, "vpc_security_group_ids": True})
    p.add("aws_ram_resource_share", "pool", {"name": "pool-share",
                                             "allow_external_principals": True},
          {"arn": True, "id": True})
    p.add("aws_ram_resource_association", "pool", {}, {"id": True},
          refs={"resource_arn": "aws_rds_cluster.pool.arn",
                "resource_share_arn": "aws_ram_resource_share.pool.arn"})
    p.add("aws_ram_principal_association", "vendor", {"principal": VENDOR}, {"id": True},
          refs={"resource_share_arn": "aws_ram_resource_share.pool.arn"})
    return p.json()


# What a plan says beyond the live estate: the EBS snapshot's share and the cluster's RAM share
# (tests/test_shr_live.py pins RAM live with a Stubber); the bucket whose policy is unknown
# until apply is not assessed.
IAC_EXPECTED = EXPECTED | {("DS-SHR-001", "data-snap", "read_outside"),
                           ("DS-SHR-001", "pool", "read_outside")}
IAC_UNASSESSED = {("DS-SHR-001", "later-core"), ("DS-SHR-002", "later-core")}


def verdicts(inv: Any, raw: dict[str, Any] = CONFIG) -> tuple[set[Any], set[Any]]:
    result = run_scan(copy.deepcopy(inv), load_library(), ScanOptions(
        config=config_from_mapping(raw), include=("DS-SHR-001", "DS-SHR-002")))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    return ({(f.policy_id, names[f.asset_id], f.key) for f in result.findings},
            {(n.policy_id, names.get(n.asset_id)) for n in result.not_assessed
             if n.policy_id is not None})


@pytest.fixture(scope="module")
def plan_inventory(tmp_path_factory):
    path = Path(tmp_path_factory.mktemp("plan")) / "plan.json"
    path.write_text(json.dumps(estate_plan()), encoding="utf-8")
    return build_inventory(read_plan(str(path)), tool="terraform", files=[str(path)])


def test_terraform_gives_the_live_verdicts(plan_inventory):
    assert verdicts(plan_inventory) == (IAC_EXPECTED, IAC_UNASSESSED)


def test_terraform_readers(plan_inventory):
    by = {a["name"]: a for a in plan_inventory.assets}
    assert [p["account"] for p in by["vendor-core"]["access"]["readers"]] == [VENDOR]
    assert by["own-only"]["access"]["readers"] == []
    assert by["later-core"]["access"]["readers"] is None
    assert by["policies"]["access"]["readers"][0]["account"] == INSURER
    assert by["dr-vault"]["access"]["readers"][0]["account"] == VENDOR
    assert by["data-snap"]["access"]["shared_with"] == [VENDOR]


def test_an_unknown_ram_principal_leaves_the_readers_unknown(tmp_path):
    plan = estate_plan()
    for c in plan["resource_changes"]:
        if c["type"] == "aws_ram_principal_association":
            c["change"]["after"].pop("principal")
            c["change"]["after_unknown"]["principal"] = True
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    found, unassessed = verdicts(build_inventory(read_plan(str(path)), tool="terraform",
                                                 files=[str(path)]))
    assert ("DS-SHR-001", "pool", "read_outside") not in found
    assert ("DS-SHR-001", "pool") in unassessed


def test_unknown_share_list_is_not_assessed(tmp_path):
    plan = estate_plan()
    for c in plan["resource_changes"]:
        if c["type"] == "aws_db_snapshot":
            c["change"]["after"].pop("shared_accounts")
            c["change"]["after_unknown"]["shared_accounts"] = True
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    found, unassessed = verdicts(build_inventory(read_plan(str(path)), tool="terraform",
                                                 files=[str(path)]))
    assert ("DS-SHR-001", "ledger-snap", "read_outside") not in found
    assert ("DS-SHR-001", "ledger-snap") in unassessed


# ------------------------------------------------------------------ Pulumi

PROGRAM = Path(__file__).resolve().parent / "fixtures" / "pulumi" / "sharing"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    from parity_support import record_program

    return record_program(tmp_path_factory, PROGRAM)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi_gives_the_same_verdicts(source, recorded):
    from parity_support import pulumi_inventory

    inv = pulumi_inventory(source, PROGRAM, recorded)
    found, unassessed = verdicts(inv)
    assert found == IAC_EXPECTED
    assert unassessed == set()  # the program's policies are all known


# A policy resource whose store cannot be told before apply (its reference is untraceable)
# may be the store's: one letting another account read it leaves the readers unknown, not
# "no one" — though not public (the public reading asks only that).
def _maybe(principal: Any, action: str) -> str:
    return doc(grant(principal, action, "*"))


MAYBE = [
    ("a table, a vendor", "table", _maybe({"AWS": VENDOR}, "dynamodb:GetItem"), None),
    ("a table, its own account", "table", _maybe({"AWS": OWN}, "dynamodb:GetItem"), []),
    ("a table, a write-only grant", "table", _maybe({"AWS": VENDOR}, "dynamodb:PutItem"), []),
    ("a table, not a policy", "table", "{", None),
    ("a vault, a vendor", "vault", _maybe({"AWS": VENDOR}, "backup:CopyFromBackupVault"), None),
    ("a vault, an organization", "vault",
     doc(grant("*", "backup:StartRestoreJob", "*",
               StringEquals={"aws:PrincipalOrgID": FOREIGN})), None),
    ("a vault, a write-only grant", "vault",
     _maybe({"AWS": VENDOR}, "backup:CopyIntoBackupVault"), []),
]


@pytest.mark.parametrize(("case", "store", "policy", "want"), MAYBE, ids=[m[0] for m in MAYBE])
def test_a_policy_that_may_be_the_stores_and_lets_someone_read(case, store, policy, want):
    from iac_resources import assets, res

    from dsscan.scanners.iac.resources import UNTIL_APPLY

    if store == "table":
        rs = [res("aws_dynamodb_table.t", {"name": "ledger", "hash_key": "id"}, account=OWN),
              res("aws_dynamodb_resource_policy.p", {"resource_arn": UNTIL_APPLY,
                                                     "policy": policy}, account=OWN)]
    else:
        rs = [res("aws_backup_vault.v", {"name": "ledger"}, account=OWN),
              res("aws_backup_vault_policy.p", {"backup_vault_name": UNTIL_APPLY,
                                                "policy": policy}, account=OWN)]
    assert assets(rs)["ledger"]["access"]["readers"] == want
