"""Who manages a store's KMS key, as the IaC mapping tells it (Terraform plans, Pulumi
previews and programs) and as the kms_keys setting decides it for keys outside the estate.

Not configured (absent, or computed by the provider) is the service's default key, AWS-managed;
configured but unknown until apply is *not assessed* — never assumed AWS- or customer-managed;
a key read from a data source is judged by what it read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan

from dsscan.config import Config, config_from_mapping
from dsscan.errors import InputError
from dsscan.inventory import Inventory
from dsscan.keys import apply_declared_keys, parse_kms_keys
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.pulumi_source import read_preview_doc
from dsscan.scanners.terraform import read_plan

AWS = "registry.terraform.io/hashicorp/aws"
CENTRAL = "arn:aws-cn:kms:cn-north-1:444455556666:key/1f0c2d9e-3b4a-4c5d-8e6f-7a8b9c0d1e2f"
OTHER = "arn:aws-cn:kms:cn-north-1:999988887777:key/0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"
LEVEL = {"dsscan:level": "core"}


def change(address: str, rtype: str, after: dict[str, Any], unknown: dict[str, Any] | None,
           *, mode: str = "managed", actions: tuple[str, ...] = ("create",)) -> dict[str, Any]:
    return {"address": address, "mode": mode, "type": rtype,
            "name": address.split(".")[-1], "provider_name": AWS,
            "change": {"actions": list(actions), "before": None, "after": after,
                       "after_unknown": unknown or {}}}


def config(address: str, rtype: str, exprs: dict[str, Any], mode: str = "managed") -> dict:
    return {"address": address, "mode": mode, "type": rtype,
            "name": address.split(".")[-1], "provider_config_key": "aws", "expressions": exprs}


def refs(*targets: str) -> dict[str, Any]:
    out: list[str] = []
    for t in targets:
        out += [t, t.rsplit(".", 1)[0]] if t.count(".") > 1 and not t.startswith("var.") \
            else [t]
    return {"references": out}


BUCKET_UNKNOWN = {"id": True, "arn": True, "acl": True, "policy": True,
                  "server_side_encryption_configuration": True, "tags_all": True,
                  "versioning": True, "logging": True, "replication_configuration": True}
KEY = change("aws_kms_key.k", "aws_kms_key", {"description": "k"},
             {"arn": True, "id": True, "key_id": True})
KEY_CFG = config("aws_kms_key.k", "aws_kms_key", {"description": {"constant_value": "k"}})


def v3_bucket(key_after: Any, key_unknown: bool, key_expr: dict[str, Any] | None) -> tuple:
    """Provider v3: SSE inline in aws_s3_bucket."""
    default: dict[str, Any] = {"sse_algorithm": "aws:kms"}
    if key_after is not None or not key_unknown:
        default["kms_master_key_id"] = key_after
    after = {"bucket": "ledger", "tags": LEVEL, "server_side_encryption_configuration": [
        {"rule": [{"apply_server_side_encryption_by_default": [default]}]}]}
    unknown = {"id": True, "arn": True}
    if key_unknown:
        unknown["server_side_encryption_configuration"] = [
            {"rule": [{"apply_server_side_encryption_by_default": [
                {"kms_master_key_id": True}]}]}]
    exprs: dict[str, Any] = {"sse_algorithm": {"constant_value": "aws:kms"}}
    if key_expr is not None:
        exprs["kms_master_key_id"] = key_expr
    cfg = config("aws_s3_bucket.b", "aws_s3_bucket", {
        "bucket": {"constant_value": "ledger"}, "tags": {"constant_value": LEVEL},
        "server_side_encryption_configuration": [
            {"rule": [{"apply_server_side_encryption_by_default": [exprs]}]}]})
    return change("aws_s3_bucket.b", "aws_s3_bucket", after, unknown), cfg


def v4_bucket(key_after: Any, key_unknown: bool,
              key_expr: dict[str, Any] | None) -> list[tuple]:
    """Provider v4+: the split SSE resource (and a bucket whose inline block is computed)."""
    bucket = (change("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": "ledger", "tags": LEVEL},
                     BUCKET_UNKNOWN),
              config("aws_s3_bucket.b", "aws_s3_bucket", {
                  "bucket": {"constant_value": "ledger"}, "tags": {"constant_value": LEVEL}}))
    default: dict[str, Any] = {"sse_algorithm": "aws:kms"}
    if not key_unknown:
        default["kms_master_key_id"] = key_after
    unknown: dict[str, Any] = {"id": True, "bucket": True}
    if key_unknown:
        unknown["rule"] = [{"apply_server_side_encryption_by_default": [
            {"kms_master_key_id": True}]}]
    exprs: dict[str, Any] = {"sse_algorithm": {"constant_value": "aws:kms"}}
    if key_expr is not None:
        exprs["kms_master_key_id"] = key_expr
    sse = (change("aws_s3_bucket_server_side_encryption_configuration.b",
                  "aws_s3_bucket_server_side_encryption_configuration",
                  {"rule": [{"apply_server_side_encryption_by_default": [default]}]}, unknown),
           config("aws_s3_bucket_server_side_encryption_configuration.b",
                  "aws_s3_bucket_server_side_encryption_configuration", {
                      "bucket": refs("aws_s3_bucket.b.id"),
                      "rule": [{"apply_server_side_encryption_by_default": [exprs]}]}))
    return [bucket, sse]


def data_source(address: str, rtype: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"address": address, "mode": "data", "type": rtype,
            "name": address.split(".")[-1], "provider_name": AWS, "values": values}


def write_plan(tmp_path: Path, pairs: list[tuple], prior: list[dict[str, Any]] = ()) -> Path:
    doc = {"format_version": "1.2", "resource_changes": [c for c, _ in pairs],
           "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
               "region": {"constant_value": "cn-north-1"},
               "allowed_account_ids": {"constant_value": ["111111111111"]}}}},
               "root_module": {"resources": [c for _, c in pairs]}}}
    if prior:
        doc["prior_state"] = {"format_version": "1.0",
                              "values": {"root_module": {"resources": list(prior)}}}
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc))
    return p


ALIAS_S3 = data_source("data.aws_kms_alias.s3", "aws_kms_alias", {
    "arn": "arn:aws-cn:kms:cn-north-1:111111111111:alias/aws/s3",
    "id": "arn:aws-cn:kms:cn-north-1:111111111111:alias/aws/s3", "name": "alias/aws/s3",
    "target_key_arn": "arn:aws-cn:kms:cn-north-1:111111111111:key/aaaa1111-2222-4333-8444-"
                      "555566667777", "target_key_id": "aaaa1111-2222-4333-8444-555566667777"})
ALIAS_CENTRAL = data_source("data.aws_kms_alias.central", "aws_kms_alias", {
    "arn": "arn:aws-cn:kms:cn-north-1:444455556666:alias/ledger", "name": "alias/ledger",
    "id": "arn:aws-cn:kms:cn-north-1:444455556666:alias/ledger", "target_key_arn": CENTRAL,
    "target_key_id": CENTRAL.rsplit("/", 1)[1]})
KEY_AWS = data_source("data.aws_kms_key.s3", "aws_kms_key", {
    "arn": "arn:aws-cn:kms:cn-north-1:111111111111:key/bbbb1111-2222-4333-8444-555566667777",
    "id": "bbbb1111-2222-4333-8444-555566667777", "key_id": "alias/aws/s3",
    "key_manager": "AWS"})
KEY_CUSTOMER = data_source("data.aws_kms_key.mine", "aws_kms_key", {
    "arn": CENTRAL, "id": CENTRAL.rsplit("/", 1)[1], "key_id": CENTRAL,
    "key_manager": "CUSTOMER"})
# A data source depending on something unknown is read at apply: all values unknown.
KEY_AT_APPLY = (change("data.aws_kms_key.late", "aws_kms_key", {"key_id": None},
                       {"arn": True, "id": True, "key_id": True, "key_manager": True},
                       mode="data", actions=("read",)),
                config("data.aws_kms_key.late", "aws_kms_key", {
                    "key_id": refs("aws_kms_alias.late.name")}, mode="data"))

UNTIL_APPLY_GAP = "not known before apply"
OUTSIDE_GAP = "is not in the plan"

# id -> (resources, prior_state data sources, expected key_type, key_id, gap fragment, gap key_id)
CASES: dict[str, tuple[Any, ...]] = {
    "v3 inline, key unknown until apply": (
        [v3_bucket(None, True, refs("var.key"))], [], None, None, UNTIL_APPLY_GAP, None),
    "v3 inline, key created by the plan": (
        [v3_bucket(None, True, refs("aws_kms_key.k.arn")), (KEY, KEY_CFG)], [],
        "customer_managed", "aws_kms_key.k", None, None),
    "v3 inline, no key: aws/s3": (
        [v3_bucket(None, False, None)], [], "provider_managed", "alias/aws/s3", None, None),
    "v4 split, key unknown until apply": (
        v4_bucket(None, True, refs("var.key")), [], None, None, UNTIL_APPLY_GAP, None),
    "v4 split, no key: aws/s3": (
        v4_bucket(None, False, None), [], "provider_managed", "alias/aws/s3", None, None),
    "v4 split, key outside the plan": (
        v4_bucket(OTHER, False, {"constant_value": OTHER}), [], None, OTHER, OUTSIDE_GAP,
        OTHER),
    "v4 split, alias/aws ARN": (
        v4_bucket("arn:aws-cn:kms:cn-north-1:111111111111:alias/aws/s3", False,
                  {"constant_value": "arn:aws-cn:kms:cn-north-1:111111111111:alias/aws/s3"}),
        [], "provider_managed", "arn:aws-cn:kms:cn-north-1:111111111111:alias/aws/s3", None,
        None),
    "data.aws_kms_alias alias/aws/s3": (
        v4_bucket(ALIAS_S3["values"]["target_key_arn"], False,
                  refs("data.aws_kms_alias.s3.target_key_arn")), [ALIAS_S3],
        "provider_managed", ALIAS_S3["values"]["target_key_arn"], None, None),
    "data.aws_kms_alias of a central key": (
        v4_bucket(CENTRAL, False, refs("data.aws_kms_alias.central.target_key_arn")),
        [ALIAS_CENTRAL], None, CENTRAL, OUTSIDE_GAP, CENTRAL),
    "data.aws_kms_key AWS-managed": (
        v4_bucket(KEY_AWS["values"]["arn"], False, refs("data.aws_kms_key.s3.arn")),
        [KEY_AWS], "provider_managed", KEY_AWS["values"]["arn"], None, None),
    "data.aws_kms_key customer-managed": (
        v4_bucket(CENTRAL, False, refs("data.aws_kms_key.mine.arn")), [KEY_CUSTOMER],
        "customer_managed", CENTRAL, None, None),
    "data.aws_kms_key read only at apply": (
        [*v4_bucket(None, True, refs("data.aws_kms_key.late.arn")), KEY_AT_APPLY], [],
        None, None, "read only at apply", None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_who_manages_the_key(tmp_path, case):
    pairs, prior, key_type, key_id, gap, gap_key = CASES[case]
    p = write_plan(tmp_path, pairs, prior)
    [bucket] = [a for a in build_inventory(read_plan(str(p)), tool="terraform",
                                           files=[str(p)]).assets
                if a["kind"] == "object_store"]
    rest = bucket["encryption"]["at_rest"]
    assert (rest["enabled"], rest["key_type"], rest["key_id"]) == (True, key_type, key_id)
    gaps = bucket["assessment"]["gaps"]
    if gap is None:
        assert gaps == []
    else:
        [g] = gaps
        assert g["aspect"] == "encryption" and gap in g["reason"]
        assert g.get("key_id") == gap_key
        assert "secret" not in g["reason"]


# -- other stores: not configured is the service default, never a gap ------------------------

def _one(tmp_path: Path, rtype: str, after: dict[str, Any], unknown: dict[str, Any],
         exprs: dict[str, Any]) -> dict[str, Any]:
    p = write_plan(tmp_path, [(change(f"{rtype}.x", rtype, after, unknown),
                               config(f"{rtype}.x", rtype, exprs))])
    [a] = build_inventory(read_plan(str(p)), tool="terraform", files=[str(p)]).assets
    return a


@pytest.mark.parametrize("rtype, after, unknown, exprs, want", [
    # RDS without kms_key_id: the AWS-managed aws/rds key
    ("aws_db_instance", {"identifier": "db", "storage_encrypted": True},
     {"kms_key_id": True, "arn": True, "backup_retention_period": True},
     {"storage_encrypted": {"constant_value": True}}, ("provider_managed", "alias/aws/rds")),
    # DynamoDB without SSE: an AWS-owned key (the block is computed in v5 plans)
    ("aws_dynamodb_table", {"name": "t"}, {"server_side_encryption": True, "arn": True},
     {"name": {"constant_value": "t"}}, ("provider_managed", None)),
    # DynamoDB SSE on without a key: aws/dynamodb
    ("aws_dynamodb_table", {"name": "t", "server_side_encryption": [{"enabled": True}]},
     {"server_side_encryption": [{"kms_key_arn": True}]},
     {"server_side_encryption": [{"enabled": {"constant_value": True}}]},
     ("provider_managed", "alias/aws/dynamodb")),
    # a backup vault without a key: aws/backup
    ("aws_backup_vault", {"name": "v"}, {"kms_key_arn": True, "arn": True},
     {"name": {"constant_value": "v"}}, ("provider_managed", "alias/aws/backup")),
    # configured from something unknown until apply: not assessed
    ("aws_db_instance", {"identifier": "db", "storage_encrypted": True},
     {"kms_key_id": True}, {"storage_encrypted": {"constant_value": True},
                            "kms_key_id": refs("var.key")}, (None, None)),
])
def test_not_configured_is_the_default_key_and_unknown_is_not_assessed(tmp_path, rtype, after,
                                                                       unknown, exprs, want):
    a = _one(tmp_path, rtype, after, unknown, exprs)
    rest = a["encryption"]["at_rest"]
    assert (rest["key_type"], rest["key_id"]) == want
    enc_gaps = [g for g in a["assessment"]["gaps"] if g["aspect"] == "encryption"]
    assert bool(enc_gaps) is (want[0] is None)
    assert not any("secret" in g["reason"] for g in a["assessment"]["gaps"])


def test_pulumi_preview_output_only_key_is_the_default_not_unknown():
    """A preview's kmsKeyId unknown in the outputs only (not an input): the provider picks
    the default key — as a plan's computed attribute."""
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    urn = "urn:pulumi:dev::bank::aws:rds/instance:Instance::ledger"
    doc = {"config": {"aws:region": "cn-north-1"}, "steps": [{"op": "create", "urn": urn,
           "newState": {"urn": urn, "type": "aws:rds/instance:Instance", "custom": True,
                        "inputs": {"identifier": "ledger", "storageEncrypted": True,
                                   "tags": LEVEL},
                        "outputs": {"identifier": "ledger", "storageEncrypted": True,
                                    "kmsKeyId": unknown, "arn": unknown}}}]}
    read = read_preview_doc(doc, "preview.json")
    [db] = build_inventory(read.resources, tool="pulumi", files=["preview.json"]).assets
    assert db["encryption"]["at_rest"]["key_type"] == "provider_managed"
    assert db["assessment"]["gaps"] == []


# -- the kms_keys setting --------------------------------------------------------------------

@pytest.mark.parametrize("raw, error", [
    ("444455556666", None),
    ({"account": "444455556666"}, None),
    ({"arn": "arn:aws-cn:kms:*:444455556666:key/*"}, None),
    ("arn:aws*:kms:*:444455556666:*", None),
    (444455556666, "quote the account id"),
    ("4444", "neither a 12-digit account id"),
    ("arn:aws-cn:kms:*:*:key/*", "must be a 12-digit account id"),
    ("arn:aws-cn:s3:::bucket", "neither a 12-digit"),
    ({"account": "444455556666", "arn": "x"}, "expected an account id"),
    ({"account": 444455556666}, "12-digit account id in quotes"),
])
def test_kms_keys_setting_is_validated(raw, error):
    if error is None:
        [entry] = parse_kms_keys([raw], "cfg.yaml")
        assert entry.account == "444455556666"
        return
    with pytest.raises(InputError, match=error) as e:
        config_from_mapping({"kms_keys": [raw]}, "cfg.yaml")
    assert str(e.value).startswith("cfg.yaml: kms_keys[0]")


def _store(key_id: str | None, key_type: str | None, account: str = "111111111111",
           gap_key: str | None = "same") -> dict[str, Any]:
    gaps = []
    if key_type is None:
        gaps.append({"aspect": "encryption", "reason": "who manages it is not known",
                     **({"key_id": key_id if gap_key == "same" else gap_key}
                        if gap_key else {})})
    gaps.append({"aspect": "network", "reason": "something else"})
    return {"id": f"s-{key_id}", "kind": "database", "name": "ledger", "account": account,
            "region": "cn-north-1", "tags": {"dsscan:level": "core"},
            "encryption": {"at_rest": {"enabled": True, "key_type": key_type,
                                       "key_id": key_id}},
            "assessment": {"status": "partial", "gaps": gaps}}


@pytest.mark.parametrize("setting, store, decided", [
    (["444455556666"], _store(CENTRAL, None), True),
    ([{"arn": "arn:aws-cn:kms:*:444455556666:key/*"}], _store(CENTRAL, None), True),
    (["arn:aws-cn:kms:*:444455556666:alias/*"], _store(CENTRAL, None), False),  # not an alias
    (["444455556666"], _store(OTHER, None), False),  # another account
    # A key of the store's own account could be AWS-managed (aws/s3 with DescribeKey
    # denied): a bare id, an account entry or a pattern never declares it; an exact ARN does.
    (["111111111111"], _store("mrk-0123456789abcdef", None), False),
    (["111111111111"], _store("arn:aws-cn:kms:cn-north-1:111111111111:key/k1", None), False),
    (["arn:aws-cn:kms:cn-north-1:111111111111:key/k1"],
     _store("arn:aws-cn:kms:cn-north-1:111111111111:key/k1", None), True),
    (["444455556666"], _store("arn:aws-cn:kms:cn-north-1:444455556666:alias/aws/s3", None),
     False),
    (["444455556666"], _store("arn:aws-cn:kms:cn-north-1:444455556666:key/k2", None,
                              account="444455556666"), False),
    (["arn:aws-cn:kms:*:111111111111:key/*"], _store("mrk-0123456789abcdef", None), False),
    (["444455556666"], _store(CENTRAL, "provider_managed"), False),  # scanner already judged
    (["444455556666"], _store(None, None), False),  # no key id: configured-but-unknown
])
def test_kms_keys_decides_only_unjudged_keys_it_covers(setting, store, decided):
    cfg = config_from_mapping({"kms_keys": setting}, "cfg.yaml")
    before = json.loads(json.dumps(store))
    assert apply_declared_keys([store], cfg.kms_keys) == int(decided)
    rest = store["encryption"]["at_rest"]
    if decided:
        assert rest["key_type"] == "customer_managed"
        assert rest["key_type_source"] == "kms_keys"
        # exactly the gap that key caused goes
        assert store["assessment"]["gaps"] == [{"aspect": "network",
                                                "reason": "something else"}]
    else:
        assert store == before


def test_kms_keys_takes_only_gaps_naming_that_key():
    store = _store(CENTRAL, None, gap_key=OTHER)
    apply_declared_keys([store], parse_kms_keys(["444455556666"], "cfg"))
    assert store["encryption"]["at_rest"]["key_type"] == "customer_managed"
    assert [g.get("key_id") for g in store["assessment"]["gaps"]] == [OTHER, None]


@pytest.mark.slow
def test_a_plan_using_a_central_key_stops_being_incomplete(tmp_path):
    """A bank's plan whose stores use keys of its central security account: exit 3 without
    the setting, a verdict with it — from one pass in the pipeline."""
    p = write_plan(tmp_path, v4_bucket(CENTRAL, False, {"constant_value": CENTRAL}))
    inv = build_inventory(read_plan(str(p)), tool="terraform", files=[str(p)])
    library = load_library()
    doc = json.loads(json.dumps(inv.to_document()))
    without = run_scan(inv, library, ScanOptions(config=Config()))
    assert not without.complete
    assert any("444455556666" in n.reason for n in without.not_assessed)
    again = Inventory(assets=doc["assets"], sources=doc["sources"], files=[str(p)])
    cfg = config_from_mapping({"kms_keys": ["444455556666"]}, "cfg.yaml")
    with_setting = run_scan(again, library, ScanOptions(config=cfg))
    assert with_setting.complete, [n.reason for n in with_setting.not_assessed]
    assert not [f for f in with_setting.findings if f.policy_id == "DS-ENC-001"]


def test_config_show_lists_kms_keys_as_written(tmp_path):

    cfg = tmp_path / ".dsscan.yaml"
    cfg.write_text('kms_keys: ["444455556666", {arn: "arn:aws-cn:kms:*:555566667777:key/*"}]\n')
    r = dsscan("config", "show", "--config", str(cfg), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["settings"]["kms_keys"] == ["444455556666",
                                           "arn:aws-cn:kms:*:555566667777:key/*"]
    assert doc["origins"]["kms_keys"].endswith(".dsscan.yaml:1")
    cfg.write_text("kms_keys: [444455556666]\n")
    r = dsscan("config", "show", "--config", str(cfg))
    assert r.returncode == 2 and "quote the account id" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
