"""Terraform modules with count/for_each: every split S3 resource (and every other reference)
inside a module instance links to its owner in the same instance, exactly as in the root
module — never to another instance's — and a reference that cannot be told apart leaves the
facet it configures not assessed instead of linking nothing silently.

tests/fixtures/terraform/modules-plan.json is `terraform show -json` of this configuration,
written by hand in Terraform 1.9's format (hashicorp/aws 5.x):

```hcl
provider "aws" { region = "cn-north-1"; allowed_account_ids = ["111111111111"] }
resource "aws_kms_key" "data" { description = "bank data"; enable_key_rotation = true }

resource "aws_s3_bucket" "logs" {                      # root for_each
  for_each = { app = "sensitive", audit = "important" }
  bucket   = "bank-logs-${each.key}"
  tags     = { "dsscan:level" = each.value }
}
resource "aws_s3_bucket_public_access_block" "logs" {  # for_each over the buckets
  for_each = aws_s3_bucket.logs
  bucket   = each.value.id
  block_public_acls = each.key != "app"   # ... the other three alike
}
resource "aws_s3_bucket_policy" "app_logs" {           # a static instance key
  bucket = aws_s3_bucket.logs["app"].id
  policy = jsonencode({ ... Principal = "*", Action = "s3:GetObject" ... })
}
resource "aws_s3_bucket_logging" "ledger" {            # a module instance's output
  bucket        = module.store["ledger"].bucket_id
  target_bucket = aws_s3_bucket.logs["audit"].id
}

module "store" {                                        # module for_each
  source      = "./modules/store"
  for_each    = { ledger = "core", marketing = "general" }
  name        = "bank-${each.key}"
  level       = each.value
  public      = each.key == "marketing"
  kms_key_arn = each.key == "ledger" ? aws_kms_key.data.arn : null
}
# modules/store: aws_s3_bucket.this; _public_access_block.this (all = !var.public);
# _server_side_encryption_configuration.this (aws:kms, var.kms_key_arn);
# _versioning.this; _lifecycle_configuration.this; _policy.this (count = var.public ? 1 : 0);
# output "bucket_id" { value = aws_s3_bucket.this.id }

module "archive" {                                      # module count, nesting for_each
  source = "./modules/archive"; count = 1
  replica_arn = aws_s3_bucket.logs["audit"].arn
}
# modules/archive: module "vault" { source = "../vault"; for_each = toset(["2024"])
#                                   year = each.key; replica_arn = var.replica_arn }
# modules/vault: aws_kms_key.this; aws_s3_bucket.this; public access block all false; a
# public policy; SSE with aws_kms_key.this.arn; replication to var.replica_arn.
```
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "terraform"
MODULES = FIXTURES / "modules-plan.json"
AWS = "registry.terraform.io/hashicorp/aws"


def assets_of(path: Path) -> dict[str, dict[str, Any]]:
    inv = build_inventory(read_plan(str(path)), tool="terraform", files=[str(path)])
    return {a["name"]: a for a in inv.assets}


@pytest.fixture(scope="module")
def modules() -> dict[str, dict[str, Any]]:
    return assets_of(MODULES)


# name -> (public, public_access_block, key_type, key_id, versioning, access_logging,
#          replication_targets, replica_of); versioning "Disabled": nothing configures it
EXPECTED = {
    # root for_each: each block is its own bucket's (each.value.id, same key)
    "bank-logs-app": (True, False, "provider_managed", None, "Disabled", False, [], None),
    "bank-logs-audit": (False, True, "provider_managed", None, "Disabled", False, [],
                        ['module.archive[0].module.vault["2024"].aws_s3_bucket.this']),
    # module for_each: each instance's resources, never the other instance's
    "bank-ledger": (False, True, "customer_managed", "aws_kms_key.data", "Enabled", True, [],
                    None),
    "bank-marketing": (True, False, "provider_managed", "alias/aws/s3", "Enabled", False, [],
                       None),
    # module count > nested for_each: its own key, block, policy and replication
    "bank-archive-2024": (True, False, "customer_managed",
                          'module.archive[0].module.vault["2024"].aws_kms_key.this', "Disabled",
                          False, ['aws_s3_bucket.logs["audit"]'], None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_module_instances_link_to_their_own_owner(modules, name):
    a = modules[name]
    public, block, key_type, key_id, versioning, logging, targets, replica_of = EXPECTED[name]
    attrs = a["attributes"]
    assert a["access"]["public"] is public
    assert a["access"]["public_access_block"] is block
    assert (a["encryption"]["at_rest"]["key_type"], a["encryption"]["at_rest"]["key_id"]) == (
        key_type, key_id)
    assert attrs.get("versioning") == versioning
    assert attrs["access_logging"] is logging
    assert attrs["replication_targets"] == targets
    assert a.get("replica_of") == replica_of
    # v5 buckets: the deprecated inline arguments are computed, not "secrets" or unknowns
    assert a["assessment"] == {"status": "complete", "gaps": []}


@pytest.mark.slow
def test_module_plan_findings_name_the_public_buckets(modules):
    inv = build_inventory(read_plan(str(MODULES)), tool="terraform", files=[str(MODULES)])
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    public = {f.asset_name for f in result.findings if f.policy_id == "DS-NET-003"}
    assert public == {"bank-logs-app", "bank-archive-2024"}  # marketing is general: allowed
    assert result.complete


# -- small plans for the remaining shapes ----------------------------------------------------

def _plan(tmp_path: Path, changes: list[dict[str, Any]], root: dict[str, Any]) -> Path:
    doc = {"format_version": "1.2", "terraform_version": "1.9.8",
           "resource_changes": changes,
           "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
               "region": {"constant_value": "cn-north-1"}}}}, "root_module": root}}
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc))
    return p


def _rc(address: str, rtype: str, after: dict[str, Any],
        unknown: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": rtype,
            "name": address.rsplit(".", 1)[-1].split("[")[0], "provider_name": AWS,
            "change": {"actions": ["create"], "before": None, "after": after,
                       "after_unknown": {"id": True, "arn": True, **(unknown or {})}}}


def _cfg(address: str, rtype: str, exprs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": rtype,
            "name": address.rsplit(".", 1)[-1], "provider_config_key": "aws",
            "expressions": exprs, **extra}


POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*",
                                    "Action": "s3:GetObject", "Resource": "*"}]})
PRIVATE = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                     "Principal": {"AWS": "arn:aws-cn:iam::111111111111:root"},
                                     "Resource": "*"}]})


def _buckets(*addresses: str) -> list[dict[str, Any]]:
    return [_rc(a, "aws_s3_bucket", {"bucket": f"b{i}", "tags": {"dsscan:level": "sensitive"}})
            for i, a in enumerate(addresses)]


@pytest.mark.parametrize("case", ["count_index", "static_index", "conditional"])
def test_reference_shapes(tmp_path, case):
    """count.index pairs instances by index; a static index names one; a reference that
    could be either of two buckets links neither and leaves both not assessed. (Judged on
    the wildcard principal of the policy that reaches each bucket.)"""
    bucket_cfg = _cfg("aws_s3_bucket.b", "aws_s3_bucket", {}, count_expression={
        "constant_value": 2})
    if case == "count_index":
        changes = _buckets("aws_s3_bucket.b[0]", "aws_s3_bucket.b[1]") + [
            _rc(f"aws_s3_bucket_policy.p[{i}]", "aws_s3_bucket_policy",
                {"policy": POLICY if i == 1 else PRIVATE}, {"bucket": True}) for i in (0, 1)]
        cfg = [bucket_cfg, _cfg("aws_s3_bucket_policy.p", "aws_s3_bucket_policy", {
            "bucket": {"references": ["aws_s3_bucket.b", "count.index"]}},
            count_expression={"constant_value": 2})]
        want = {"b0": (False, []), "b1": (True, [])}
    elif case == "static_index":
        changes = [*_buckets("aws_s3_bucket.b[0]", "aws_s3_bucket.b[1]"),
                   _rc("aws_s3_bucket_policy.p", "aws_s3_bucket_policy", {"policy": POLICY},
                       {"bucket": True})]
        cfg = [bucket_cfg, _cfg("aws_s3_bucket_policy.p", "aws_s3_bucket_policy", {
            "bucket": {"references": ["aws_s3_bucket.b[1].id", "aws_s3_bucket.b[1]",
                                      "aws_s3_bucket.b"]}})]
        want = {"b0": (False, []), "b1": (True, [])}
    else:
        changes = [*_buckets("aws_s3_bucket.x", "aws_s3_bucket.y"),
                   _rc("aws_s3_bucket_policy.p", "aws_s3_bucket_policy", {"policy": POLICY},
                       {"bucket": True})]
        cfg = [_cfg("aws_s3_bucket.x", "aws_s3_bucket", {}),
               _cfg("aws_s3_bucket.y", "aws_s3_bucket", {}),
               _cfg("aws_s3_bucket_policy.p", "aws_s3_bucket_policy", {"bucket": {
                   "references": ["var.use_x", "aws_s3_bucket.x.id", "aws_s3_bucket.x",
                                  "aws_s3_bucket.y.id", "aws_s3_bucket.y"]}})]
        gap = ["access"]
        want = {"b0": (None, gap), "b1": (None, gap)}
    got = assets_of(_plan(tmp_path, changes, {"resources": cfg}))
    for name, (public, aspects) in want.items():
        a = got[name]
        assert a["access"]["wildcard_principal"] is public, name
        assert [g["aspect"] for g in a["assessment"]["gaps"]] == aspects, name


def test_a_key_passed_into_module_instances_by_for_each(tmp_path):
    """module "b" { for_each = aws_kms_key.k; key = each.value.arn }: instance "a" uses
    key "a", instance "b" key "b" (and not an ambiguity)."""
    changes = [_rc(f'aws_kms_key.k["{k}"]', "aws_kms_key", {}) for k in "ab"]
    for k in "ab":
        m = f'module.b["{k}"]'
        changes += [
            {**_rc(f"{m}.aws_s3_bucket.this", "aws_s3_bucket", {"bucket": f"bucket-{k}"}),
             "module_address": m},
            {**_rc(f"{m}.aws_s3_bucket_server_side_encryption_configuration.this",
                   "aws_s3_bucket_server_side_encryption_configuration",
                   {"rule": [{"apply_server_side_encryption_by_default": [
                       {"sse_algorithm": "aws:kms"}]}]},
                   {"bucket": True, "rule": [{"apply_server_side_encryption_by_default": [
                       {"kms_master_key_id": True}]}]}), "module_address": m}]
    root = {"resources": [_cfg("aws_kms_key.k", "aws_kms_key", {},
                               for_each_expression={"constant_value": ["a", "b"]})],
            "module_calls": {"b": {
                "source": "./b", "for_each_expression": {"references": ["aws_kms_key.k"]},
                "expressions": {"key": {"references": ["each.value.arn", "each.value"]}},
                "module": {"resources": [
                    _cfg("aws_s3_bucket.this", "aws_s3_bucket", {}),
                    _cfg("aws_s3_bucket_server_side_encryption_configuration.this",
                         "aws_s3_bucket_server_side_encryption_configuration", {
                             "bucket": {"references": ["aws_s3_bucket.this.id",
                                                       "aws_s3_bucket.this"]},
                             "rule": [{"apply_server_side_encryption_by_default": [{
                                 "kms_master_key_id": {"references": ["var.key"]},
                                 "sse_algorithm": {"constant_value": "aws:kms"}}]}]})]}}}}
    got = assets_of(_plan(tmp_path, changes, root))
    for k in "ab":
        rest = got[f"bucket-{k}"]["encryption"]["at_rest"]
        assert (rest["key_type"], rest["key_id"]) == ("customer_managed", f'aws_kms_key.k["{k}"]')


def _unresolvable(address: str, rtype: str, after: dict[str, Any]) -> tuple[dict, dict]:
    """A configuration resource whose bucket is a local (not in the plan's JSON): it may be
    any bucket's."""
    return (_rc(address, rtype, after, {"bucket": True}),
            _cfg(address, rtype, {"bucket": {"references": ["local.bucket"]}}))


@pytest.mark.parametrize("rtype, after, bucket_key, gap", [
    # a block that blocks everything cannot make any bucket weaker: no doubt
    ("aws_s3_bucket_public_access_block", dict.fromkeys(
        ("block_public_acls", "block_public_policy", "ignore_public_acls",
         "restrict_public_buckets"), True), False, None),
    # one that opens a setting could: not assessed
    ("aws_s3_bucket_public_access_block", {"block_public_acls": True,
                                           "block_public_policy": False,
                                           "ignore_public_acls": True,
                                           "restrict_public_buckets": True}, False, "access"),
    ("aws_s3_bucket_acl", {"acl": "private"}, False, None),
    ("aws_s3_bucket_acl", {"acl": "public-read"}, False, "access"),
    ("aws_s3_bucket_policy", {"policy": PRIVATE}, False, "access"),
    # an encryption rule: nothing is weaker than SSE-S3, but it could replace a customer key
    ("aws_s3_bucket_server_side_encryption_configuration", {"rule": [
        {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]},
     False, None),
    ("aws_s3_bucket_server_side_encryption_configuration", {"rule": [
        {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]},
     True, "encryption"),
])
def test_a_resource_that_may_be_any_buckets_counts_only_if_it_could_weaken(
        tmp_path, rtype, after, bucket_key, gap):
    changes = _buckets("aws_s3_bucket.b")
    cfg = [_cfg("aws_s3_bucket.b", "aws_s3_bucket", {})]
    if bucket_key:  # the bucket's own rule: a customer key of the plan
        changes += [_rc("aws_kms_key.k", "aws_kms_key", {}),
                    _rc("aws_s3_bucket_server_side_encryption_configuration.own",
                        "aws_s3_bucket_server_side_encryption_configuration",
                        {"rule": [{"apply_server_side_encryption_by_default": [
                            {"sse_algorithm": "aws:kms"}]}]},
                        {"bucket": True, "rule": [{"apply_server_side_encryption_by_default": [
                            {"kms_master_key_id": True}]}]})]
        cfg += [_cfg("aws_kms_key.k", "aws_kms_key", {}),
                _cfg("aws_s3_bucket_server_side_encryption_configuration.own",
                     "aws_s3_bucket_server_side_encryption_configuration", {
                         "bucket": {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]},
                         "rule": [{"apply_server_side_encryption_by_default": [{
                             "kms_master_key_id": {"references": ["aws_kms_key.k.arn",
                                                                  "aws_kms_key.k"]},
                             "sse_algorithm": {"constant_value": "aws:kms"}}]}]})]
    change, config = _unresolvable(f"{rtype}.other", rtype, after)
    a = assets_of(_plan(tmp_path, [*changes, change], {"resources": [*cfg, config]}))["b0"]
    assert [g["aspect"] for g in a["assessment"]["gaps"]] == ([gap] if gap else [])
    if gap == "encryption":
        assert a["encryption"]["at_rest"]["key_type"] is None
    elif bucket_key:
        assert a["encryption"]["at_rest"]["key_type"] == "customer_managed"
