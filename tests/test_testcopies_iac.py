"""DS-TST-004 from Terraform plan JSON and a Pulumi stack export: the same estate, the same
findings (parity), and the mapping's unknowns (not assessed, never a pass).

The plan is written here from a compact table in provider v5 shapes: two provider
configurations (production and test accounts, ``allowed_account_ids``), ARNs and ids unknown
until apply, references in ``configuration``: a DB snapshot shared with the test account
(``shared_accounts``), S3 replication into a test bucket, an AWS Backup plan whose copy rule
names a test vault (``rule.copy_action.destination_vault_arn``), and a DMS task from the
production database's endpoint to a test endpoint. The Pulumi export holds the same resources
deployed (outputs known, ARNs real).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dsscan.config import config_from_mapping
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.pulumi_source import read_export_doc
from dsscan.scanners.terraform import read_plan

PROD, TEST = "111111111111", "222222222222"
REGION = "cn-north-1"
SETTINGS = {"accounts": {PROD: {"environment": "production"}, TEST: {"environment": "test"}}}
CORE = {"dsscan:level": "core", "environment": "production"}
EXPECTED = {("core-ledger", "snapshot share"), ("core-ledger", "backup copy"),
            ("core-ledger", "dms task"), ("core-docs", "replication")}

# address -> (provider, values known at plan time, unknown attributes, references by path)
Spec = tuple[str, dict[str, Any], list[str], dict[str, list[str]]]


def estate(*, share: bool = True, dest_known: bool = True) -> dict[str, Spec]:
    return {
        "aws_db_instance.ledger": ("aws", {
            "identifier": "core-ledger", "engine": "postgres", "instance_class": "db.t3.micro",
            "storage_encrypted": True, "tags": CORE}, ["arn", "address", "id"], {}),
        "aws_db_snapshot.share": ("aws", {
            "db_snapshot_identifier": "ledger-share",
            "shared_accounts": [TEST] if share else []},
            ["db_snapshot_arn", "id", "db_instance_identifier"],
            {"db_instance_identifier": ["aws_db_instance.ledger.identifier",
                                        "aws_db_instance.ledger"]}),
        "aws_s3_bucket.docs": ("aws", {"bucket": "core-docs", "tags": CORE}, ["arn", "id"], {}),
        "aws_s3_bucket.uat": ("aws.test", {"bucket": "docs-uat",
                                           "tags": {"environment": "test"}}, ["arn", "id"], {}),
        "aws_s3_bucket_replication_configuration.docs": ("aws", {
            "rule": [{"id": "all", "status": "Enabled",
                      "delete_marker_replication": [{"status": "Disabled"}],
                      "destination": [{}]}]},
            ["bucket", "role", "rule.destination.bucket"],
            {"bucket": ["aws_s3_bucket.docs.id", "aws_s3_bucket.docs"],
             "rule.destination.bucket": ["aws_s3_bucket.uat.arn", "aws_s3_bucket.uat"]}),
        "aws_backup_vault.uat": ("aws.test", {"name": "uat-copies"}, ["arn", "id"], {}),
        "aws_backup_plan.nightly": ("aws", {
            "name": "nightly",
            "rule": [{"rule_name": "daily", "target_vault_name": "prod-vault",
                      "copy_action": [{}]}]},
            ["arn", "id", "rule.copy_action.destination_vault_arn"],
            {"rule.copy_action.destination_vault_arn": (
                ["aws_backup_vault.uat.arn", "aws_backup_vault.uat"] if dest_known
                else ["var.copy_vault"])}),
        "aws_backup_selection.ledger": ("aws", {"name": "ledger"},
                                        ["plan_id", "resources", "iam_role_arn"],
                                        {"plan_id": ["aws_backup_plan.nightly.id",
                                                     "aws_backup_plan.nightly"],
                                         "resources": ["aws_db_instance.ledger.arn",
                                                       "aws_db_instance.ledger"]}),
        "aws_dms_endpoint.src": ("aws", {
            "endpoint_id": "ledger-src", "endpoint_type": "source", "engine_name": "postgres"},
            ["endpoint_arn", "server_name"],
            {"server_name": ["aws_db_instance.ledger.address", "aws_db_instance.ledger"]}),
        "aws_dms_endpoint.tgt": ("aws", {
            "endpoint_id": "ledger-tgt", "endpoint_type": "target", "engine_name": "postgres",
            "server_name": "10.9.0.12", "tags": {"environment": "test"}}, ["endpoint_arn"], {}),
        "aws_dms_replication_task.t": ("aws", {
            "replication_task_id": "ledger-to-uat", "migration_type": "full-load",
            "table_mappings": "{\"rules\": []}"},
            ["replication_task_arn", "source_endpoint_arn", "target_endpoint_arn"],
            {"source_endpoint_arn": ["aws_dms_endpoint.src.endpoint_arn",
                                     "aws_dms_endpoint.src"],
             "target_endpoint_arn": ["aws_dms_endpoint.tgt.endpoint_arn",
                                     "aws_dms_endpoint.tgt"]}),
    }


def _unknown_tree(paths: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in paths:
        segs = p.split(".")
        node = out
        for s in segs[:-1]:
            node = node.setdefault(s, [{}])[0]
        node[segs[-1]] = True
    return out


def _expressions(refs: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p, r in refs.items():
        segs = p.split(".")
        node = out
        for s in segs[:-1]:
            node = node.setdefault(s, [{}])[0]
        node[segs[-1]] = {"references": r}
    return out


def plan_json(spec: dict[str, Spec]) -> dict[str, Any]:
    changes, config = [], []
    for address, (provider, values, unknown, refs) in spec.items():
        rtype, name = address.split(".")
        changes.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                        "provider_name": "registry.terraform.io/hashicorp/aws",
                        "change": {"actions": ["create"], "before": None, "after": values,
                                   "after_unknown": {**_unknown_tree(unknown),
                                                     "tags_all": True}}})
        config.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                       "provider_config_key": provider, "expressions": _expressions(refs)})
    providers = {
        "aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                "expressions": {"region": {"constant_value": REGION},
                                "allowed_account_ids": {"constant_value": [PROD]}}},
        "aws.test": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                     "alias": "test",
                     "expressions": {"region": {"constant_value": REGION},
                                     "allowed_account_ids": {"constant_value": [TEST]}}}}
    return {"format_version": "1.2", "terraform_version": "1.9.8",
            "planned_values": {"root_module": {"resources": []}},
            "resource_changes": changes,
            "configuration": {"provider_config": providers,
                              "root_module": {"resources": config}},
            "applyable": True, "complete": True, "errored": False}


def _findings(inv: Any) -> tuple[set[tuple[str, str]], list[str]]:
    result = run_scan(inv, load_library(), ScanOptions(config=config_from_mapping(SETTINGS),
                                                       include=("DS-TST-004",)))
    names = {a["id"]: a.get("name") for a in inv.assets}
    return ({(names.get(f.asset_id), f.evidence["via"]) for f in result.findings},
            # (a bucket's public access block not in the export is a gap of its own)
            [n.reason for n in result.not_assessed if not n.reason.startswith("access:")])


def terraform(tmp_path: Path, spec: dict[str, Spec]) -> Any:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_json(spec)), encoding="utf-8")
    return build_inventory(read_plan(str(path)), tool="terraform", files=[str(path)])


# ------------------------------------------------------------------------- Pulumi export

def _arn(service: str, account: str, resource: str) -> str:
    return f"arn:aws-cn:{service}:{REGION}:{account}:{resource}"


def pulumi_export(*, share: bool = True) -> dict[str, Any]:
    stack = "urn:pulumi:prod::bank::"
    db_arn = _arn("rds", PROD, "db:core-ledger")
    host = f"core-ledger.c1a2b3.{REGION}.rds.amazonaws.com.cn"
    vault_arn = _arn("backup", TEST, "backup-vault:uat-copies")
    src_arn, tgt_arn = _arn("dms", PROD, "endpoint:SRC"), _arn("dms", PROD, "endpoint:TGT")

    def provider(name: str, account: str) -> dict[str, Any]:
        return {"urn": f"{stack}pulumi:providers:aws::{name}", "custom": True,
                "id": f"{name}-id", "type": "pulumi:providers:aws",
                "inputs": {"region": REGION, "allowedAccountIds": json.dumps([account])},
                "outputs": {"region": REGION, "allowedAccountIds": json.dumps([account])}}

    def res(typ: str, name: str, rid: str, outputs: dict[str, Any], prov: str = "prod",
            deps: dict[str, list[str]] | None = None) -> dict[str, Any]:
        return {"urn": f"{stack}{typ}::{name}", "custom": True, "id": rid, "type": typ,
                "inputs": outputs, "outputs": outputs,
                "provider": f"{stack}pulumi:providers:aws::{prov}::{prov}-id",
                "propertyDependencies": deps or {}}

    resources = [
        provider("prod", PROD), provider("test", TEST),
        res("aws:rds/instance:Instance", "ledger", "core-ledger", {
            "identifier": "core-ledger", "arn": db_arn, "address": host, "engine": "postgres",
            "storageEncrypted": True, "tags": CORE, "tagsAll": CORE}),
        res("aws:rds/snapshot:Snapshot", "share", "ledger-share", {
            "dbSnapshotIdentifier": "ledger-share", "dbInstanceIdentifier": "core-ledger",
            "dbSnapshotArn": _arn("rds", PROD, "snapshot:ledger-share"),
            "sharedAccounts": [TEST] if share else []},
            deps={"dbInstanceIdentifier": [f"{stack}aws:rds/instance:Instance::ledger"]}),
        res("aws:s3/bucketV2:BucketV2", "docs", "core-docs", {
            "bucket": "core-docs", "arn": "arn:aws-cn:s3:::core-docs", "tags": CORE,
            "tagsAll": CORE}),
        res("aws:s3/bucketV2:BucketV2", "uat", "docs-uat", {
            "bucket": "docs-uat", "arn": "arn:aws-cn:s3:::docs-uat",
            "tags": {"environment": "test"}, "tagsAll": {"environment": "test"}}, prov="test"),
        res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "docs", "core-docs", {
            "bucket": "core-docs", "role": _arn("iam", PROD, "role/r").replace(
                f":{REGION}:", "::"),
            "rules": [{"id": "all", "status": "Enabled",
                       "deleteMarkerReplication": {"status": "Disabled"},
                       "destination": {"bucket": "arn:aws-cn:s3:::docs-uat"}}]},
            deps={"bucket": [f"{stack}aws:s3/bucketV2:BucketV2::docs"],
                  "rules": [f"{stack}aws:s3/bucketV2:BucketV2::uat"]}),
        res("aws:backup/vault:Vault", "uat", "uat-copies", {
            "name": "uat-copies", "arn": vault_arn}, prov="test"),
        res("aws:backup/plan:Plan", "nightly", "plan-1", {
            "name": "nightly", "arn": _arn("backup", PROD, "backup-plan:plan-1"),
            "rules": [{"ruleName": "daily", "targetVaultName": "prod-vault",
                       "copyActions": [{"destinationVaultArn": vault_arn}]}]},
            deps={"rules": [f"{stack}aws:backup/vault:Vault::uat"]}),
        res("aws:backup/selection:Selection", "ledger", "sel-1", {
            "name": "ledger", "planId": "plan-1", "resources": [db_arn],
            "iamRoleArn": "arn:aws-cn:iam::111111111111:role/b"},
            deps={"planId": [f"{stack}aws:backup/plan:Plan::nightly"],
                  "resources": [f"{stack}aws:rds/instance:Instance::ledger"]}),
        res("aws:dms/endpoint:Endpoint", "src", "ledger-src", {
            "endpointId": "ledger-src", "endpointArn": src_arn, "endpointType": "source",
            "engineName": "postgres", "serverName": host},
            deps={"serverName": [f"{stack}aws:rds/instance:Instance::ledger"]}),
        res("aws:dms/endpoint:Endpoint", "tgt", "ledger-tgt", {
            "endpointId": "ledger-tgt", "endpointArn": tgt_arn, "endpointType": "target",
            "engineName": "postgres", "serverName": "10.9.0.12",
            "tags": {"environment": "test"}, "tagsAll": {"environment": "test"}}),
        res("aws:dms/replicationTask:ReplicationTask", "t", "ledger-to-uat", {
            "replicationTaskId": "ledger-to-uat", "migrationType": "full-load",
            "replicationTaskArn": _arn("dms", PROD, "task:T"),
            "sourceEndpointArn": src_arn, "targetEndpointArn": tgt_arn, "tags": {},
            "tagsAll": {}},
            deps={"sourceEndpointArn": [f"{stack}aws:dms/endpoint:Endpoint::src"],
                  "targetEndpointArn": [f"{stack}aws:dms/endpoint:Endpoint::tgt"]}),
    ]
    return {"version": 3, "deployment": {"manifest": {}, "resources": resources}}


def pulumi(doc: dict[str, Any]) -> Any:
    read = read_export_doc(doc, "stack.json")
    return build_inventory(read.resources, tool="pulumi", files=["stack.json"])


# ------------------------------------------------------------------------- tests

def test_terraform_plan_finds_every_path(tmp_path: Path) -> None:
    found, unassessed = _findings(terraform(tmp_path, estate()))
    assert found == EXPECTED
    assert unassessed == []


def test_pulumi_export_finds_the_same(tmp_path: Path) -> None:
    found, unassessed = _findings(pulumi(pulumi_export()))
    assert found == EXPECTED
    assert unassessed == []


@pytest.mark.parametrize("tool", ["terraform", "pulumi"])
def test_parity_without_the_share(tmp_path: Path, tool: str) -> None:
    inv = (terraform(tmp_path, estate(share=False)) if tool == "terraform"
           else pulumi(pulumi_export(share=False)))
    found, _ = _findings(inv)
    assert found == EXPECTED - {("core-ledger", "snapshot share")}


def test_copy_destination_outside_the_plan_unknown_until_apply_is_not_assessed(
        tmp_path: Path) -> None:
    found, _ = _findings(terraform(tmp_path, estate(dest_known=False)))
    assert ("core-ledger", "backup copy") not in found
    assert ("core-ledger", "snapshot share") in found  # a known finding stands
    inv = terraform(tmp_path, estate(dest_known=False))
    db = next(a for a in inv.assets if a.get("name") == "core-ledger")
    assert db["copy_to"] is None


# A plan that MAY cover the store (its selection known only after apply) while another plan
# surely covers it: one sure plan settles "is it backed up" (DS-BAK), not where every plan
# copies it. Its copy rule into test made copy_to [] (a pass) before; unknown now.
def _two_plans(maybe_selection: dict[str, Any], unknown: list[str],
               copies: bool = True) -> dict[str, Spec]:
    spec = estate(share=False)
    for k in [k for k in spec if k.startswith("aws_dms")]:
        del spec[k]
    spec["aws_backup_plan.nightly"] = ("aws", {"name": "nightly", "rule": [
        {"rule_name": "daily", "target_vault_name": "prod-vault"}]}, ["arn", "id"], {})
    weekly_rule: dict[str, Any] = {"rule_name": "w", "target_vault_name": "prod-vault"}
    if copies:
        weekly_rule["copy_action"] = [{}]
    spec["aws_backup_plan.weekly"] = ("aws", {"name": "weekly", "rule": [weekly_rule]},
                                      ["arn", "id"] + (
                                          ["rule.copy_action.destination_vault_arn"]
                                          if copies else []),
                                      {"rule.copy_action.destination_vault_arn": [
                                          "aws_backup_vault.uat.arn", "aws_backup_vault.uat"]}
                                      if copies else {})
    spec["aws_backup_selection.maybe"] = ("aws", {"name": "maybe", **maybe_selection},
                                          ["plan_id", "iam_role_arn", *unknown],
                                          {"plan_id": ["aws_backup_plan.weekly.id",
                                                       "aws_backup_plan.weekly"]})
    return spec


MAYBE_SELECTIONS = [
    # a tag selection whose value is known only after apply (unknown inclusion)
    ({"selection_tag": [{"type": "STRINGEQUALS", "key": "backup"}]}, ["selection_tag.value"]),
    # a tag selection whose key and value are known only after apply
    ({"selection_tag": [{"type": "STRINGEQUALS"}]}, ["selection_tag.key", "selection_tag.value"]),
]


@pytest.mark.parametrize("selection,unknown", MAYBE_SELECTIONS)
def test_a_plan_that_may_cover_the_store_and_copies_to_test_is_not_a_pass(
        tmp_path: Path, selection: dict[str, Any], unknown: list[str]) -> None:
    inv = terraform(tmp_path, _two_plans(selection, unknown))
    db = next(a for a in inv.assets if a.get("name") == "core-ledger")
    assert db["backup"]["plans"] == ["nightly"]
    assert db["copy_to"] is None  # was [] (weekly's copy rule into test ignored)
    assert db["backup"]["plan_lifecycle"] is None  # weekly's lifecycle unknown (DS-RET-001)
    found, unassessed = _findings(inv)
    assert ("core-ledger", "backup copy") not in found
    assert any("copy" in r for r in unassessed)


def test_a_plan_that_may_cover_the_store_without_copy_rules_changes_no_copy(
        tmp_path: Path) -> None:
    inv = terraform(tmp_path, _two_plans(*MAYBE_SELECTIONS[0], copies=False))
    db = next(a for a in inv.assets if a.get("name") == "core-ledger")
    assert db["copy_to"] == []
    assert db["backup"]["plan_lifecycle"] is None


# Who a snapshot is shared with, known only after apply: the mapping lists nobody (public
# false) and marks the readers unknown; DS-TST-004 read that as "shared with nobody" (a pass).
@pytest.mark.parametrize(("shared", "unknown"), [
    (None, ["shared_accounts"]),                 # the whole list
    ([PROD], ["shared_accounts[1]"]),            # one account of it
], ids=["list", "member"])
def test_snapshot_shared_with_accounts_known_after_apply_is_not_assessed(
        tmp_path: Path, shared: list[str] | None, unknown: list[str]) -> None:
    spec = estate(share=False)
    for k in [k for k in spec if not k.startswith(("aws_db_instance", "aws_db_snapshot"))]:
        del spec[k]
    prov, values, unk, refs = spec["aws_db_snapshot.share"]
    values = dict(values)
    values.pop("shared_accounts")
    if shared is not None:
        values["shared_accounts"] = [*shared, None]
    after_unknown = ["shared_accounts"] if shared is None else []
    spec["aws_db_snapshot.share"] = (prov, values, [*unk, *after_unknown], refs)
    plan = plan_json(spec)
    if shared is not None:  # one member unknown: after_unknown marks its index
        for rc in plan["resource_changes"]:
            if rc["address"] == "aws_db_snapshot.share":
                rc["change"]["after_unknown"]["shared_accounts"] = [False, True]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    inv = build_inventory(read_plan(str(path)), tool="terraform", files=[str(path)])
    found, unassessed = _findings(inv)
    assert found == set()
    assert any("could not be read" in r for r in unassessed), unassessed


# Two aws_backup_plan resources of one name (two Regions' providers): backup.plans names the
# plan by name, and the copy rules of the first were taken for both (was: copy_to [] when the
# one covering the store copies into test).
@pytest.mark.parametrize(("twin_copies", "copy_to_known"), [
    (False, False),   # the twin copies nowhere: which one covers the store decides
    (True, True),     # the twin copies to the same vault: the same either way
], ids=["different", "same"])
def test_backup_plans_sharing_a_name_must_agree_on_copy_rules(
        tmp_path: Path, twin_copies: bool, copy_to_known: bool) -> None:
    spec = estate(share=False)
    for k in [k for k in spec if k.startswith("aws_dms")]:
        del spec[k]
    nightly = spec["aws_backup_plan.nightly"]
    twin: Spec = (nightly if twin_copies else
                  ("aws", {"name": "nightly", "rule": [{"rule_name": "daily",
                                                        "target_vault_name": "prod-vault"}]},
                   ["arn", "id"], {}))
    spec = {"aws_backup_plan.a_twin": twin, **spec}
    inv = terraform(tmp_path, spec)
    db = next(a for a in inv.assets if a.get("name") == "core-ledger")
    assert (db["copy_to"] is not None) is copy_to_known
    found, _ = _findings(inv)
    assert (("core-ledger", "backup copy") in found) is copy_to_known
