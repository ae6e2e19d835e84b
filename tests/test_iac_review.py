"""Defects a review of dsscan on real Terraform plans found (tests/fixtures/terraform/review:
`terraform show -json` of Terraform 1.11.4 + hashicorp/aws 5.100.0, the HCL beside each; the
0.12-era and < 1.2 shapes, which today's Terraform cannot write, are built in the shape those
versions wrote). Each class is a table: every row failed (a wrong pass, or a refusal) before
the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.terraform import SCANNER

PLANS = Path(__file__).resolve().parent / "fixtures" / "terraform" / "review"


@pytest.fixture(scope="module")
def library() -> Any:
    return load_library()



def collect(*paths: Path | str) -> Any:
    return SCANNER.collect(tuple(str(p) for p in paths))


def assets_of(inv: Any) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in inv.assets}


# -- D1: a split resource aimed at a store outside the plan is a scope gap, never dropped ----

OUTSIDE = [
    ("aws_s3_bucket_policy.outside", "the bucket existing-bucket-name"),
    ("aws_s3_bucket_public_access_block.outside",
     "the bucket read by data.aws_s3_bucket.existing (bank-archive)"),
    ("aws_security_group_rule.outside", "the security group sg-0123456789abcdef0"),
]


@pytest.mark.parametrize(("address", "what"), OUTSIDE, ids=[o[0] for o in OUTSIDE])
def test_split_resource_for_a_store_outside_the_plan_is_a_gap(address, what):
    inv = collect(PLANS / "outside_plan.json")
    gaps = {g["scope"]: g["reason"] for g in inv.gaps}
    assert address in gaps
    assert what in gaps[address] and "not assessed" in gaps[address]


def test_outside_plan_scan_exits_3():
    res = dsscan("scan", "terraform", str(PLANS / "outside_plan.json"))
    assert res.returncode == 3, res.stdout + res.stderr


# -- D8: a forgotten store (removed block) is outside the plan, not a store with nothing on --

def test_forgotten_store_is_outside_the_plan():
    inv = collect(PLANS / "forget.json")
    ids = set(assets_of(inv))
    assert "aws_s3_bucket.old" not in ids and "aws_s3_bucket.kept" in ids
    assert any(g["scope"] == "aws_s3_bucket.old" and "forget" in g["reason"] for g in inv.gaps)


# -- D12: every key type a plan creates is customer-managed -----------------------------------

KMS = [
    ("aws_s3_bucket.dr", "aws_kms_replica_key.dr"),
    ("aws_s3_bucket.byok", "aws_kms_external_key.byok"),  # through its alias
    ("aws_dynamodb_table.dr", "aws_kms_replica_external_key.byok_dr"),
]


@pytest.mark.parametrize(("store", "key"), KMS, ids=[k[1] for k in KMS])
def test_created_key_types_are_customer_managed(store, key):
    a = assets_of(collect(PLANS / "kms_replica_external.json"))
    at_rest = a[store]["encryption"]["at_rest"]
    assert (at_rest["key_type"], at_rest["key_id"]) == ("customer_managed", key)
    assert a[key]["kind"] == "key"


# -- D13: the setup-terraform wrapper's output names the fix --------------------------------

WRAPPED = [
    "[command]/home/runner/work/_temp/3f2c/terraform-bin show -json tfplan\n"
    '{"format_version":"1.2","resource_changes":[]}\n',
    "\ufeff[command]/usr/local/bin/terraform show -json tfplan\n"
    '{"format_version":"1.2","resource_changes":[]}\n'
    "::debug::Terraform exited with code 0.\n",
]


@pytest.mark.parametrize("text", WRAPPED, ids=["wrapper", "wrapper-debug-lines"])
def test_setup_terraform_wrapper_output_names_the_fix(tmp_path, text):
    p = tmp_path / "plan.json"
    p.write_text(text, encoding="utf-8")
    res = dsscan("scan", "terraform", str(p))
    assert res.returncode == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "setup-terraform" in err and "terraform_wrapper: false" in err


# -- DynamoDB global tables: replicas (inline blocks, replica resources) feed DS-XBR-001 -----

REPLICAS = [
    # (table, its replicas' regions, DS-XBR-001 finds it, DS-XBR-001 not assessed)
    ("core-ledger", ["ap-southeast-1", "us-west-2"], True, False),
    ("core-accounts", ["eu-west-1"], True, False),  # aws_dynamodb_table_replica via aws.eu
    ("core-orders", [None], False, True),  # dynamic "replica" over values known at apply
]


@pytest.mark.slow
@pytest.mark.parametrize(("table", "regions", "finds", "unassessed"), REPLICAS,
                         ids=[r[0] for r in REPLICAS])
def test_global_table_replicas_outside_allowed_regions(library, table, regions, finds,
                                                       unassessed):
    inv = collect(PLANS / "replicas.json")
    a = {x["name"]: x for x in inv.assets}[table]
    assert sorted(r["region"] or "" for r in a["replicas"]) == sorted(x or "" for x in regions)
    result = run_scan(inv, library, ScanOptions(config=Config(allowed_regions=["us-east-1"])))
    names = {k: v.get("name") for k, v in result.assets.items()}
    found = {f.asset_name for f in result.findings if f.policy_id == "DS-XBR-001"}
    held = {names.get(n.asset_id) for n in result.not_assessed if n.policy_id == "DS-XBR-001"}
    assert (table in found) is finds
    assert (table in held) is unassessed
    if finds:
        msgs = [f.message for f in result.findings
                if f.policy_id == "DS-XBR-001" and f.asset_name == table]
        assert any(regions[-1] in m for m in msgs)


# -- D3: a dynamic block over values known at apply is unknown, never "not configured" -------

def _plan(rc: list[dict[str, Any]], resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A plan in the shape Terraform 1.x writes (a dynamic block leaves no expression in
    ``configuration``; its whole value is unknown in ``after_unknown``)."""
    return {"format_version": "1.2", "terraform_version": "1.11.4",
            "resource_changes": rc,
            "configuration": {"provider_config": {"aws": {
                "name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                "expressions": {"region": {"constant_value": "us-east-1"}}}},
                "root_module": {"resources": resources}}}


def _rc(address: str, after: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
    t, n = address.split(".")
    return {"address": address, "mode": "managed", "type": t, "name": n,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": None, "after": after,
                       "after_unknown": unknown}}


def _cfg(address: str, exprs: dict[str, Any]) -> dict[str, Any]:
    t, n = address.split(".")
    return {"address": address, "mode": "managed", "type": t, "name": n,
            "provider_config_key": "aws", "expressions": exprs}


_BUCKET = {"bucket": {"constant_value": "core-dyn"}}
DYNAMIC = [
    # (the split resource, its after, after_unknown, expressions, the bucket fact it leaves open)
    ("aws_s3_bucket_acl.a", {"bucket": "core-dyn"}, {"access_control_policy": True, "id": True},
     {"bucket": {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}}, "access"),
    ("aws_s3_bucket_server_side_encryption_configuration.e", {"bucket": "core-dyn"},
     {"rule": True, "id": True},
     {"bucket": {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}}, "encryption"),
]


@pytest.mark.parametrize(("address", "after", "unknown", "exprs", "aspect"), DYNAMIC,
                         ids=[d[0].split(".")[0] for d in DYNAMIC])
def test_unknown_dynamic_block_is_a_gap(tmp_path, address, after, unknown, exprs, aspect):
    doc = _plan([_rc("aws_s3_bucket.b", {"bucket": "core-dyn", "tags": {"data-level": "core"}},
                     {"id": True, "arn": True}), _rc(address, after, unknown)],
                [_cfg("aws_s3_bucket.b", _BUCKET), _cfg(address, exprs)])
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    a = assets_of(collect(p))["aws_s3_bucket.b"]
    assert aspect in {g["aspect"] for g in a["assessment"]["gaps"]}, a


def test_dynamic_block_plans_terraform_wrote(library):
    """dynamic "ingress" over an unknown list (Terraform writes one rule of unknowns): the
    group's rules are not assessed (this one held before too: a pin); dynamic "replica":
    core-orders above."""
    a = assets_of(collect(PLANS / "dynamic_unknown.json"))
    assert any(g["aspect"] == "network" for g in a["aws_security_group.db"]["assessment"]["gaps"])


# -- D6 / D7: module resources of older plans, and the provider configuration they use ------

MODULES = [
    # (plan, bucket, its region: None = cannot be told from the plan)
    # Terraform 0.12: provider_name is the configuration ("aws.eu"), keys "<call>:aws"
    ("modules_v0_12", "module.a.module.b.aws_s3_bucket.x[0]", "eu-west-1"),
    ("modules_v0_12", "module.a.module.b.aws_s3_bucket.x[1]", "eu-west-1"),
    ("modules_v0_12", "module.plain.aws_s3_bucket.x[1]", "us-east-1"),
    # Terraform 1.0: which configuration module "a" was passed is not in the plan, and the
    # two the plan has differ: not the root's default, unknown
    ("modules_v1_0", "module.a.module.b.aws_s3_bucket.x[0]", None),
    ("modules_v1_0", "module.plain.aws_s3_bucket.x[0]", None),
    # Terraform 1.11 resolves the key itself
    ("modules_v1_11", "module.a.module.b.aws_s3_bucket.x[1]", "eu-west-1"),
    ("modules_v1_11", "module.plain.aws_s3_bucket.x[0]", "us-east-1"),
    # a module's own provider block: var.region is the call's argument, not the root's
    # variable of the same name
    ("module_provider_var", "module.eu.aws_s3_bucket.x", "eu-west-1"),
]


@pytest.mark.parametrize(("plan", "bucket", "region"), MODULES,
                         ids=[f"{m[0]}-{m[1]}" for m in MODULES])
def test_module_resources_and_their_provider_region(plan, bucket, region):
    a = assets_of(collect(PLANS / f"{plan}.json"))
    assert a[bucket]["region"] == region
    if plan.startswith("modules_"):
        # its own block (count.index, two modules deep) is linked: all four settings off
        assert a[bucket]["access"]["public_access_block"] is False


def test_a_region_the_plan_cannot_tell_is_not_assessed(library):
    inv = collect(PLANS / "modules_v1_0.json")
    result = run_scan(inv, library, ScanOptions(config=Config(allowed_regions=["us-east-1"])))
    held = {n.asset_id for n in result.not_assessed if n.policy_id == "DS-XBR-001"}
    found = {f.asset_id for f in result.findings if f.policy_id == "DS-XBR-001"}
    nested = "module.a.module.b.aws_s3_bucket.x[0]"
    assert nested in held and nested not in found


def _update(address: str, before: dict[str, Any], after: dict[str, Any],
            unknown: dict[str, Any]) -> dict[str, Any]:
    rc = _rc(address, after, unknown)
    rc["change"].update(actions=["update"], before=before)
    return rc


_OWNER = [{"id": "c0ffee", "permissions": ["FULL_CONTROL"], "type": "CanonicalUser",
           "uri": ""}]
_SSE = [{"rule": [{"apply_server_side_encryption_by_default": [
    {"kms_master_key_id": "", "sse_algorithm": "AES256"}], "bucket_key_enabled": False}]}]
UPDATES = [
    # (the block a dynamic over an unknown list now sets, the facet it leaves open)
    ("grant", _OWNER, "access"),
    ("server_side_encryption_configuration", _SSE, "encryption"),
]


@pytest.mark.parametrize(("block", "before", "aspect"), UPDATES, ids=[u[0] for u in UPDATES])
def test_dynamic_block_of_an_existing_bucket_is_a_gap(tmp_path, block, before, aspect):
    """An existing bucket (update) whose block becomes a dynamic one over values known at
    apply: Terraform marks the whole block unknown and leaves it out of the configuration.
    Its public access block lets ACLs through, so a grant could open it."""
    old = {"bucket": "core-dyn", "id": "core-dyn", "arn": "arn:aws:s3:::core-dyn",
           "tags": {"data-level": "core"}, block: before}
    new = {k: v for k, v in old.items() if k != block}
    pab = {"bucket": "core-dyn", "block_public_acls": False, "block_public_policy": True,
           "ignore_public_acls": False, "restrict_public_buckets": True}
    doc = _plan([_update("aws_s3_bucket.b", old, {**new, "tags": {"data-level": "core",
                                                                  "x": "1"}}, {block: True}),
                 _rc("aws_s3_bucket_public_access_block.p", pab, {"id": True})],
                [_cfg("aws_s3_bucket.b", {**_BUCKET, "tags": {"constant_value": {}}}),
                 _cfg("aws_s3_bucket_public_access_block.p",
                      {**{k: {"constant_value": v} for k, v in pab.items() if k != "bucket"},
                       "bucket": {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}})])
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    a = assets_of(collect(p))["aws_s3_bucket.b"]
    assert aspect in {g["aspect"] for g in a["assessment"]["gaps"]}, a


_REPL = [{"role": "arn:aws:iam::111111111111:role/r", "rules": [
    {"id": "all", "status": "Enabled", "priority": 0, "prefix": "",
     "destination": [{"bucket": "arn:aws:s3:::core-dyn-copy", "storage_class": "STANDARD"}]}]}]
_VERS = [{"enabled": True, "mfa_delete": False}]
EXISTING = [
    # (block, before, the asset fact that must not be read from the unknown)
    ("replication_configuration", _REPL, "backup"),
    ("versioning", _VERS, "versioning"),
]


@pytest.mark.parametrize(("block", "before", "fact"), EXISTING, ids=[e[0] for e in EXISTING])
def test_unknown_inline_block_of_an_existing_bucket_is_not_read_as_set(tmp_path, block, before,
                                                                       fact):
    """Unknown replication is not "no replication" (its copies may be anywhere); unknown
    versioning is not "Enabled"."""
    old = {"bucket": "core-dyn", "id": "core-dyn", "arn": "arn:aws:s3:::core-dyn",
           "tags": {"data-level": "core"}, block: before}
    new = {k: v for k, v in old.items() if k != block}
    doc = _plan([_update("aws_s3_bucket.b", old, new, {block: True})],
                [_cfg("aws_s3_bucket.b", _BUCKET)])
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    a = assets_of(collect(p))["aws_s3_bucket.b"]
    if fact == "versioning":
        assert a["attributes"]["versioning"] == "unknown"
    else:
        assert fact in {g["aspect"] for g in a["assessment"]["gaps"]}, a
