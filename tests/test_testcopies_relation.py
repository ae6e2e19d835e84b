"""DS-TST-004 (Art. 48): production data reaching a test environment by copy
(dsscan/testcopies.py -> ctx.copies_to_test -> policies/testenv/ds_tst_004.rego).

A table of the copy paths (snapshot share, snapshot copy, replication, backup copy rule, DMS
task) x (no record / record / target environment unknown / target production), through the
whole pipeline, with the same verdicts under real OPA. Unknown is not assessed, never a pass.
"""

from __future__ import annotations

from typing import Any

import pytest
from opa_support import needs_opa

from dsscan.config import config_from_mapping
from dsscan.engines.local import evaluate
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, prepare, run_scan
from dsscan.policy_library import load_library

PROD, TEST, OTHER, PROD2 = "111111111111", "222222222222", "333333333333", "444444444444"
REGION = "cn-north-1"
DB = f"arn:aws-cn:rds:{REGION}:{PROD}:db:core-ledger"
BUCKET = "arn:aws-cn:s3:::core-ledger-docs"
SETTINGS = {"accounts": {PROD: {"environment": "production"}, TEST: {"environment": "test"},
                         PROD2: {"environment": "production"}}}
RECORD = {"dsscan:desensitization": "DSR-2026-001"}


def _store(**extra: Any) -> dict[str, Any]:
    return {"id": DB, "kind": "database", "name": "core-ledger", "account": PROD,
            "region": REGION, "tags": {"dsscan:level": "core"},
            "encryption": {"at_rest": {"enabled": True, "key_type": "customer_managed"}},
            **extra}


def _bucket(**extra: Any) -> dict[str, Any]:
    return {"id": BUCKET, "kind": "object_store", "name": "core-ledger-docs", "account": PROD,
            "region": REGION, "tags": {"dsscan:level": "core"}, **extra}


def snapshot_share(target: str) -> list[dict[str, Any]]:
    """A manual snapshot in the store's account shared with one account (record on the
    snapshot for the 'record' case)."""
    account = {"unknown": OTHER, "production": PROD2}.get(target, TEST)
    tags = RECORD if target == "record" else {}
    return [_store(), {"id": f"{DB}:snap1", "kind": "snapshot", "name": "snap1",
                       "account": PROD, "region": REGION, "tags": tags,
                       "backup": {"backup_of": [DB]},
                       "access": {"public": False, "shared_with": [account]}}]


def snapshot_copy(target: str) -> list[dict[str, Any]]:
    """A snapshot copied into another account."""
    account = {"unknown": OTHER, "production": PROD2}.get(target, TEST)
    tags = RECORD if target == "record" else {}
    return [_store(), {"id": f"arn:aws-cn:rds:{REGION}:{account}:snapshot:copy1",
                       "kind": "snapshot", "name": "copy1", "account": account,
                       "region": REGION, "tags": tags, "backup": {"backup_of": [DB]},
                       "access": {"public": False, "shared_with": []}}]


def replication(target: str) -> list[dict[str, Any]]:
    """S3 replication into a bucket of the inventory (tagged by environment)."""
    tags = {"environment": "production" if target == "production" else "test"}
    if target == "unknown":
        tags = {}
    if target == "record":
        tags = {**tags, **RECORD}
    return [_bucket(attributes={"replication_targets": ["arn:aws-cn:s3:::ledger-copy"]}),
            {"id": "arn:aws-cn:s3:::ledger-copy", "kind": "object_store", "name": "ledger-copy",
             "account": OTHER, "region": REGION, "tags": tags, "replica_of": [BUCKET]}]


def _copy_to(via: str, target: str) -> dict[str, Any]:
    account = {"unknown": OTHER, "production": PROD2}.get(target, TEST)
    ref = (f"arn:aws-cn:backup:{REGION}:{account}:backup-vault:copies" if via == "backup copy"
           else f"arn:aws-cn:dms:{REGION}:{account}:endpoint:TARGET1")
    if target == "production":
        return {"via": via, "target": ref, "name": "copies", "account": account,
                "target_tags": {"environment": "production"}, "by": "p", "tags": {}}
    return {"via": via, "target": ref, "name": "copies", "account": account,
            "target_tags": {}, "by": "plan-or-task", "tags": RECORD if target == "record" else {}}


def backup_copy(target: str) -> list[dict[str, Any]]:
    return [_store(copy_to=[_copy_to("backup copy", target)])]


def dms_task(target: str) -> list[dict[str, Any]]:
    return [_store(copy_to=[_copy_to("dms task", target)])]


PATHS = {"snapshot share": snapshot_share, "snapshot copy": snapshot_copy,
         "replication": replication, "backup copy": backup_copy, "dms task": dms_task}
# target -> (finding?, not assessed?)
CASES = {"test": (True, False), "record": (False, False), "unknown": (False, True),
         "production": (False, False)}
TABLE = [(p, t) for p in PATHS for t in CASES]


def _inventory(assets: list[dict[str, Any]]) -> Any:
    return parse_inventory({"format": "dsscan-inventory/1", "assets": assets}, "estate.json")


def _scan(assets: list[dict[str, Any]], settings: dict[str, Any] = SETTINGS) -> Any:
    return run_scan(_inventory(assets), load_library(),
                    ScanOptions(config=config_from_mapping(settings), include=("DS-TST-004",)))


@pytest.mark.parametrize(("path", "target"), TABLE, ids=[f"{p}-{t}" for p, t in TABLE])
def test_copy_paths(path: str, target: str) -> None:
    result = _scan(PATHS[path](target))
    found, unassessed = CASES[target]
    assert bool(result.findings) == found, [f.message for f in result.findings]
    assert bool(result.not_assessed) == unassessed, [n.reason for n in result.not_assessed]
    for f in result.findings:
        assert f.evidence["via"] == path
        assert "without a desensitization record" in f.message


@pytest.mark.parametrize(("path", "target"), TABLE, ids=[f"{p}-{t}" for p, t in TABLE])
def test_ctx_entries(path: str, target: str) -> None:
    inv = _inventory(PATHS[path](target))
    assets = prepare(inv, ScanOptions(config=config_from_mapping(SETTINGS)))
    store = next(a for a in assets if a["id"] in (DB, BUCKET))
    entries = store["ctx"]["copies_to_test"]
    assert [e["via"] for e in entries] == ([] if target == "production" else [path])
    for e in entries:
        assert e["target_environment"] == (None if target == "unknown" else "test")
        assert e["desensitized"] == (target == "record")
    others = [a for a in assets if not a["ctx"]["production"]]
    assert all("copies_to_test" not in a["ctx"] for a in others)


@pytest.mark.parametrize("assets", [
    # a snapshot whose sharing was not read
    [_store(), {"id": "s", "kind": "snapshot", "name": "s", "account": PROD, "region": REGION,
                "backup": {"backup_of": [DB]}, "access": {"public": None, "shared_with": []}}],
    # copy rules / DMS tasks not read
    [_store(copy_to=None)],
    # shared with everyone: every account, test ones too, unknown which
    [_store(), {"id": "s", "kind": "snapshot", "name": "s", "account": PROD, "region": REGION,
                "backup": {"backup_of": [DB]}, "access": {"shared_with": ["all"]}}],
    # replication to a bucket dsscan did not read
    [_bucket(attributes={"replication_targets": ["arn:aws-cn:s3:::elsewhere"]})],
    # public, no account listed: every account, test ones too (was a pass)
    [_store(), {"id": "s", "kind": "snapshot", "name": "s", "account": PROD, "region": REGION,
                "backup": {"backup_of": [DB]}, "access": {"public": True, "shared_with": []}}],
    # public beside a production account (was a pass)
    [_store(), {"id": "s", "kind": "snapshot", "name": "s", "account": PROD, "region": REGION,
                "backup": {"backup_of": [DB]},
                "access": {"public": True, "shared_with": [PROD2]}}],
    # whether it is public is unknown, one production account listed (was a pass)
    [_store(), {"id": "s", "kind": "snapshot", "name": "s", "account": PROD, "region": REGION,
                "backup": {"backup_of": [DB]},
                "access": {"public": None, "shared_with": [PROD2]}}],
    # its readers unknown (IaC: shared_accounts known only after apply) (was a pass)
    [_store(), {"id": "s", "kind": "snapshot", "name": "s", "account": PROD, "region": REGION,
                "backup": {"backup_of": [DB]},
                "access": {"public": False, "shared_with": [], "readers": None}}],
], ids=["sharing-unread", "copy-to-unread", "shared-with-all", "target-not-read",
        "public", "public-and-listed", "public-unknown-listed", "readers-unknown"])
def test_unknown_is_not_assessed(assets: list[dict[str, Any]]) -> None:
    result = _scan(assets)
    assert not result.findings
    assert len(result.not_assessed) == 1


@pytest.mark.parametrize(("assets", "found"), [
    # a copy in the store's own account with no environment of its own: the store's place
    ([_store(), {"id": "s", "kind": "snapshot", "name": "s", "account": PROD + "",
                 "region": REGION, "tags": {}, "backup": {"backup_of": [DB]},
                 "access": {"public": False, "shared_with": []}}], False),
    # the same snapshot tagged test: in test, whatever its account
    ([_store(), {"id": "s", "kind": "snapshot", "name": "s", "account": PROD, "region": REGION,
                 "tags": {"environment": "test"}, "backup": {"backup_of": [DB]},
                 "access": {"public": False, "shared_with": []}}], True),
    # a development copy counts (test_environments)
    ([_store(copy_to=[{"via": "dms task", "target": "t", "name": "dev-ledger",
                       "target_tags": {"environment": "development"}}])], True),
    # general production data is not judged
    ([{**_store(copy_to=[_copy_to("dms task", "test")]), "tags": {"dsscan:level": "general"}}],
     False),
    # a path not read does not hide a copy already found in test
    ([_store(copy_to=None), {"id": "s", "kind": "snapshot", "name": "s", "account": TEST,
                             "region": REGION, "backup": {"backup_of": [DB]},
                             "access": {"public": False, "shared_with": []}}], True),
], ids=["same-account-unknown", "tagged-test", "development", "general", "unread-and-found"])
def test_edges(assets: list[dict[str, Any]], found: bool) -> None:
    result = _scan(assets)
    assert bool(result.findings) == found
    assert not result.not_assessed


def test_two_snapshots_shared_with_one_account_are_judged_each() -> None:
    masked = snapshot_share("record")[1]
    plain = dict(snapshot_share("test")[1], id=f"{DB}:snap2", name="snap2")
    result = _scan([_store(), masked, plain])
    assert [f.evidence["via"] for f in result.findings] == ["snapshot share"]
    assert len(result.findings) == 1


def test_name_patterns_place_a_target_outside_the_inventory() -> None:
    settings = {**SETTINGS, "environment_name_patterns": {"test": ["*-uat*"]}}
    result = _scan([_bucket(attributes={"replication_targets": ["arn:aws-cn:s3:::ledger-uat"]})],
                   settings)
    assert [f.evidence["via"] for f in result.findings] == ["replication"]


@needs_opa
def test_same_verdicts_under_real_opa() -> None:
    lib = load_library()
    lib.policies = [p for p in lib.policies if p.id == "DS-TST-004"]
    assets: list[dict[str, Any]] = []
    for n, (path, target) in enumerate(TABLE):
        for a in PATHS[path](target):
            a = dict(a, id=f"{a['id']}#{n}")
            for key in ("replica_of",):
                if key in a:
                    a[key] = [f"{x}#{n}" for x in a[key]]
            if "backup" in a:
                a["backup"] = {"backup_of": [f"{x}#{n}" for x in a["backup"]["backup_of"]]}
            assets.append(a)
    config = config_from_mapping(SETTINGS)
    prepared = prepare(_inventory(assets), ScanOptions(config=config))
    cfg = config.policy_data()
    ours = evaluate(lib, prepared, cfg, chunk_size=7, workers=1)
    oracle = evaluate(lib, prepared, cfg, chunk_size=7, workers=1, engine="opa")
    assert ours.deny and ours.not_assessed and ours.assessed
    assert ours.deny == oracle.deny
    assert ours.not_assessed == oracle.not_assessed
    assert ours.assessed == oracle.assessed


def _dest(env: str | None, replica_of: bool, id_: str = "arn:aws-cn:s3:::ledger-copy"
          ) -> dict[str, Any]:
    return {"id": id_, "kind": "object_store", "name": "ledger-copy", "account": OTHER,
            "region": REGION, "tags": {"environment": env} if env else {},
            **({"replica_of": [BUCKET]} if replica_of else {})}


# A replication target that is an inventory bucket was skipped on the assumption that it
# names the store in replica_of (the sweep's link): a hand-written inventory, or a target
# written in another form (another partition, an IaC address), left the copy unjudged.
@pytest.mark.parametrize(("target", "dest", "found"), [
    ("arn:aws-cn:s3:::ledger-copy", _dest("test", False), ["replication"]),    # by id
    ("arn:aws:s3:::ledger-copy", _dest("test", False), ["replication"]),       # by name
    ("ledger-copy", _dest("test", False, "aws_s3_bucket.copy"), ["replication"]),
    ("arn:aws-cn:s3:::ledger-copy", _dest("test", True), ["replication"]),     # once
    ("arn:aws:s3:::ledger-copy", _dest("test", True), ["replication"]),        # once
    ("arn:aws-cn:s3:::ledger-copy", _dest("production", False), []),
], ids=["id", "name", "address", "linked", "linked-other-form", "production"])
def test_replication_into_an_inventory_bucket_is_judged_once(
        target: str, dest: dict[str, Any], found: list[str]) -> None:
    result = _scan([_bucket(attributes={"replication_targets": [target]}), dest])
    assert [f.evidence["via"] for f in result.findings] == found
    assert not result.not_assessed
