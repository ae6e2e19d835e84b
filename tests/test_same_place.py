"""Prose is for people (issue 12 item 2, copies): DS-BAK-001 decides from the structured
``same_place`` and ``separate`` facts of each copy; rewording the separation sentences that
Python renders never changes a verdict — only the words of the messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dsscan import copies
from dsscan.config import Config
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library

pytestmark = pytest.mark.slow  # every wording x combination on both engines

A1, A2, R1, R2 = "111111111111", "222222222222", "cn-north-1", "cn-northwest-1"
CMK = {"enabled": True, "key_type": "customer_managed", "key_id": "k-1"}


def store(sid: str, kind: str = "database", **extra: Any) -> dict[str, Any]:
    return {"id": sid, "kind": kind, "name": sid, "account": A1, "region": R1,
            "tags": {"dsscan:level": "core", "environment": "production"},
            "encryption": {"at_rest": dict(CMK)}, "network": {"publicly_accessible": False},
            "access": {"public": False}, "backup": {"native": {"enabled": False}}, **extra}


def backup(bid: str, of: str, kind: str = "backup", **loc: Any) -> dict[str, Any]:
    return {"id": bid, "kind": kind, "name": bid, "account": A1, "region": R1,
            "encryption": {"at_rest": dict(CMK)},
            "backup": {"backup_of": [of], "location": loc}}


# One store per case: (its copies) — every verdict DS-BAK-001 can give.
ESTATE = [
    store("bkt", "object_store", name="prod-data"),
    backup("bkt-in-place", "bkt", bucket="prod-data"),                   # own bucket
    backup("bkt-away", "bkt", account=A2),                               # + a separate one
    store("vol-db"),
    backup("vol-snap", "vol-db", "snapshot", volume="vol-db", account=A2),  # own volume
    store("near-db"),
    backup("near-bk", "near-db"),                                        # same account+region
    store("far-db"),
    backup("far-bk", "far-db", region=R2),                               # separate
    store("lost-db", region=None),
    backup("lost-bk", "lost-db"),                                        # region unknown
    store("pitr-db", backup={"native": {"enabled": True, "point_in_time_recovery": True}}),
]

REWORDINGS = [
    pytest.param(lambda sp, w: f"same bucket {sp}", id="says-bucket"),
    pytest.param(lambda sp, w: "different account and region", id="says-separate"),
    pytest.param(lambda sp, w: "", id="empty"),
    pytest.param(lambda sp, w: "同一位置", id="translated"),
]


def verdicts(result: Any) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    return ({(f.asset_id, f.key, f.related) for f in result.findings
             if f.policy_id == "DS-BAK-001"},
            {(n.asset_id, n.reason) for n in result.not_assessed
             if n.policy_id == "DS-BAK-001"})


def scan() -> Any:
    inv = parse_inventory({"format": "dsscan-inventory/1",
                           "assets": copy.deepcopy(ESTATE)}, "estate.json")
    return run_scan(inv, load_library(), ScanOptions(config=Config()))


@pytest.mark.parametrize("reword", REWORDINGS)
def test_rewording_the_separation_sentences_never_changes_a_verdict(monkeypatch, reword):
    before = scan()
    found, unassessed = verdicts(before)
    # The estate gives every verdict: own bucket/volume, not separate, not assessed, pass.
    assert {(a, k) for a, k, _ in found} == {("bkt", "own_location"), ("vol-db", "own_location"),
                                             ("near-db", "not_separate"),
                                             ("pitr-db", "not_separate")}
    assert {a for a, _ in unassessed} == {"lost-db"}

    original = copies.separation
    monkeypatch.setattr(copies, "same_place_text", reword)
    monkeypatch.setattr(copies, "separation",
                        lambda mode, src, w: (original(mode, src, w)[0], reword(None, w)))
    after = scan()
    assert verdicts(after) == (found, unassessed)
    # ... while the words did change (the patch reached the messages).
    near = [f.message for f in after.findings if f.asset_id == "near-db"]
    assert near and f"({reword(None, {})})" in near[0]


@pytest.mark.parametrize(("loc", "same_place", "separate", "separation"), [
    ({"bucket": "prod-data"}, "bucket", False, "same bucket prod-data"),
    ({"bucket": "arn:aws:s3:::prod-data", "account": A2}, "bucket", False,
     "same bucket prod-data"),
    ({"bucket": "s3://prod-data/backups/"}, "bucket", False, "same bucket prod-data"),
    ({"volume": "bkt", "region": R2}, "volume", False, "same volume bkt"),
    ({"bucket": "other-bucket"}, None, False, "same account and region"),
    ({"account": A2}, None, True, "different account"),
])
def test_same_place_is_computed_in_python_and_the_sentence_rendered_from_it(
        loc, same_place, separate, separation):
    from dsscan.pipeline import prepare

    inv = parse_inventory({"format": "dsscan-inventory/1", "assets": [
        store("bkt", "object_store", name="prod-data"), backup("c", "bkt", **loc)]}, "e.json")
    by = {a["id"]: a for a in prepare(inv, ScanOptions(config=Config()))}
    [b] = by["bkt"]["ctx"]["backups"]
    assert (b["same_place"], b["separate"], b["separation"]) == (same_place, separate,
                                                                  separation)
