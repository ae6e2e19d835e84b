"""Counts agree with their nouns everywhere dsscan prints one: "1 policy", "1 finding" (issue
13 item 10), through one helper (dsscan.wording.count)."""

from __future__ import annotations

import json

import pytest
from cli_support import COMPLIANT_BUCKET, dsscan

from dsscan.wording import count, plural


@pytest.mark.parametrize("n, noun, expected", [
    (0, "finding", "0 findings"), (1, "finding", "1 finding"), (2, "finding", "2 findings"),
    (1, "policy", "1 policy"), (3, "policy", "3 policies"), (2, "key", "2 keys"),
    (2, "gap", "2 gaps"), (1, "changed level", "1 changed level"),
    (2, "changed level", "2 changed levels"), (2, "match", "2 matches"),
])
def test_count_agrees_with_its_number(n, noun, expected):
    assert count(n, noun) == expected


def test_an_irregular_plural_is_given():
    assert count(2, "child", "children") == "2 children" and plural("day") == "days"


PUBLIC_BUCKET = {**COMPLIANT_BUCKET, "access": {"public": True, "wildcard_principal": False}}


def test_the_table_summary_says_one_policy_and_one_finding(tmp_path):
    inv = tmp_path / "one.json"
    inv.write_text(json.dumps({"format": "dsscan-inventory/1", "assets": [PUBLIC_BUCKET]}))
    r = dsscan("scan", "inventory", inv, "--no-config", "--policy", "DS-NET-003")
    assert r.returncode == 1, r.stderr
    summary = next(ln for ln in r.stdout.splitlines() if ln.startswith("Summary:"))
    assert summary.startswith("Summary: 1 asset scanned, 1 policy, 1 finding (1 medium)"), summary
    valid = dsscan("inventory", "validate", inv)
    assert f"{inv}: valid (1 asset, 0 gaps)" in valid.stdout, valid.stdout
