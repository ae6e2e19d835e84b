"""Catalogue ``re:`` patterns: one that cannot be compiled is refused when the catalogue is
loaded (one line, exit 2); one that backtracks catastrophically is bounded, and a rule whose
pattern ran out of time is undecided — a gap on the asset, never "no match"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan

from dsscan.catalogue import Catalogue, catalogue_from_mapping
from dsscan.classify import classify
from dsscan.config import Config
from dsscan.errors import InputError

SLOW = "re:^(a|aa)+$"  # exponential for a backtracking engine on "aaa…a!"
LONG = "a" * 60 + "!"


def cat(*rules: dict[str, Any]) -> Catalogue:
    return catalogue_from_mapping({"version": 1, "rules": list(rules)}, "cat.yaml")


BAD = [
    ("repeat count past the engine's limit", "re:a{99999999999}"),
    ("repeat count past 32 bits", "re:x{4294967296}"),
    ("unterminated group", "re:(aml"),
    ("unknown character name", r"re:\N{nothing such}"),
    ("nested past the parser", "re:" + "(" * 5000 + ")" * 5000),
]


@pytest.mark.parametrize("case,pattern", BAD, ids=[c[0] for c in BAD])
def test_bad_pattern_is_refused_in_one_line(case, pattern):
    with pytest.raises(InputError) as e:
        cat({"id": "CAT-X", "level": "core", "match": {"id": pattern}})
    msg = str(e.value)
    assert msg.startswith("cat.yaml: rules[0] (CAT-X): match.id: bad regular expression")
    assert "\n" not in msg


def _asset(i: str, **kw: Any) -> dict[str, Any]:
    return {"id": i, "kind": "object_store", "name": i.rsplit(":", 1)[-1],
            "assessment": {"status": "complete", "gaps": []}, **kw}


# (case, rules, the asset, the rule ids that must still match)
SLOW_CASES = [
    ("anchor pattern on the id", [{"id": "CAT-S", "level": "core", "match": {"id": SLOW}}],
     _asset(LONG), []),
    ("pattern on a tag", [{"id": "CAT-S", "level": "core",
                           "match": {"tags": {"owner": SLOW}}}],
     _asset("b1", tags={"owner": LONG}), []),
    ("pattern beside an anchor that matches",
     [{"id": "CAT-S", "level": "core", "match": {"kind": "object_store", "name": SLOW}}],
     _asset(LONG), []),
    ("a quick rule still applies beside the slow one",
     [{"id": "CAT-S", "level": "core", "match": {"id": SLOW}},
      {"id": "CAT-Q", "level": "sensitive", "match": {"id": "a*"}}], _asset(LONG), ["CAT-Q"]),
]


@pytest.mark.slow
@pytest.mark.parametrize("case,rules,asset,still", SLOW_CASES, ids=[c[0] for c in SLOW_CASES])
def test_slow_pattern_is_a_gap_never_no_match(case, rules, asset, still):
    c = cat(*rules)
    undecided: list[str] = []
    assert [r.id for r in c.match(asset, undecided)] == still
    assert len(undecided) == 1 and "CAT-S" in undecided[0] and "ran out of time" in undecided[0]
    # Without a place for the gap: an error, never an empty answer.
    with pytest.raises(InputError, match="CAT-S"):
        c.match(asset)
    classify([asset], Config(), c)
    gaps = asset["assessment"]["gaps"]
    assert asset["assessment"]["status"] == "partial"
    assert [g["aspect"] for g in gaps] == ["catalogue"]


def test_slow_derived_from_is_a_gap():
    c = cat({"id": "CAT-W", "level": "general", "match": {"id": "warehouse"},
             "derived_from": [SLOW]})
    wh, src = _asset("warehouse"), _asset(LONG)
    classify([wh, src], Config(), c)
    assert [g["aspect"] for g in wh["assessment"]["gaps"]] == ["catalogue"]
    assert "derived_from" in wh["assessment"]["gaps"][0]["reason"]


@pytest.mark.slow
def test_scan_reports_the_undecided_rule_as_not_assessed(tmp_path: Path):
    inv = {"format": "dsscan-inventory/1", "assets": [
        {"id": LONG, "kind": "object_store", "name": "b", "tags": {"data-level": "general"}}]}
    (tmp_path / "inv.json").write_text(json.dumps(inv))
    (tmp_path / "cat.yaml").write_text(
        f"version: 1\nrules:\n  - id: CAT-S\n    level: core\n    match: {{id: '{SLOW}'}}\n")
    r = dsscan("scan", "inventory", tmp_path / "inv.json", "--no-config", "--catalogue",
               tmp_path / "cat.yaml", "-f", "json")
    assert r.returncode == 3, r.stderr
    report = json.loads(r.stdout)
    assert report["summary"]["complete"] is False
    assert any("CAT-S" in n["reason"] and "ran out of time" in n["reason"]
               for n in report["not_assessed"])


@pytest.mark.slow
def test_bad_pattern_in_a_catalogue_file_is_exit_2(tmp_path: Path):
    (tmp_path / "inv.json").write_text(json.dumps({"format": "dsscan-inventory/1",
                                                   "assets": []}))
    (tmp_path / "cat.yaml").write_text(
        "version: 1\nrules:\n  - id: CAT-X\n    level: core\n"
        "    match: {id: 're:a{99999999999}'}\n")
    r = dsscan("scan", "inventory", tmp_path / "inv.json", "--no-config", "--catalogue",
               tmp_path / "cat.yaml")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "bad regular expression" in r.stderr
