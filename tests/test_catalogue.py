"""The data catalogue: rule matching (indexed) and one-line errors naming file and rule."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from dsscan.catalogue import Catalogue, asset_name, catalogue_from_mapping, load_catalogue
from dsscan.config import Config
from dsscan.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "catalogue.yaml"


def cat(*rules: dict[str, Any]) -> Catalogue:
    return catalogue_from_mapping({"version": 1, "rules": list(rules)}, "test.yaml")


def ids(c: Catalogue, asset: dict[str, Any]) -> list[str]:
    return [r.id for r in c.match(asset)]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "catalogue.yaml"
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------ matching


def test_example_catalogue_loads_and_classifies_ledger_as_core() -> None:
    c = load_catalogue(EXAMPLE)
    ledger = {"id": "arn:aws:rds:cn-north-1:111111111111:db:core-ledger-01", "kind": "database",
              "account": "111111111111"}
    rules = c.match(ledger)
    assert [r.id for r in rules] == ["CAT-CORE-LEDGER"]
    assert rules[0].level == "core" and rules[0].environment == "production"
    clearing = next(r for r in c.rules if r.id == "CAT-CORE-CLEARING")
    assert clearing.level == "core"  # written as 核心 in the file


def test_id_glob_is_case_sensitive_and_whole_value() -> None:
    c = cat({"id": "R", "level": "core", "match": {"id": "arn:aws:s3:::core-*"}})
    assert ids(c, {"id": "arn:aws:s3:::core-ledger", "kind": "object_store"}) == ["R"]
    assert ids(c, {"id": "arn:aws:s3:::CORE-ledger", "kind": "object_store"}) == []
    assert ids(c, {"id": "x-arn:aws:s3:::core-ledger", "kind": "object_store"}) == []


def test_arn_is_an_alias_of_id() -> None:
    c = cat({"id": "R", "level": "core", "match": {"arn": "arn:aws:s3:::ledger"}})
    assert ids(c, {"id": "arn:aws:s3:::ledger", "kind": "object_store"}) == ["R"]
    assert ids(c, {"id": "arn:aws:s3:::other", "kind": "object_store"}) == []


def test_list_of_patterns_means_any_of() -> None:
    c = cat({"id": "R", "level": "sensitive", "match": {"name": ["crm-*", "kyc"]}})
    assert ids(c, {"id": "a", "kind": "database", "name": "crm-main"}) == ["R"]
    assert ids(c, {"id": "b", "kind": "database", "name": "kyc"}) == ["R"]
    assert ids(c, {"id": "c", "kind": "database", "name": "kyc-2"}) == []


def test_all_matchers_must_match() -> None:
    c = cat({"id": "R", "level": "core", "match": {"name": "ledger*", "kind": ["database"],
                                                   "account": "111111111111"}})
    base = {"id": "x", "kind": "database", "name": "ledger-1", "account": "111111111111"}
    assert ids(c, base) == ["R"]
    assert ids(c, {**base, "kind": "snapshot"}) == []
    assert ids(c, {**base, "account": "222222222222"}) == []
    assert ids(c, {**base, "name": "cards"}) == []


def test_tag_matcher_needs_the_key_and_globs_the_value() -> None:
    c = cat({"id": "R", "level": "important", "match": {"tags": {"app": "ledger*"}}})
    assert ids(c, {"id": "a", "kind": "database", "tags": {"app": "ledger-core"}}) == ["R"]
    # Tag keys compare case-insensitively, like the level/environment tag keys.
    assert ids(c, {"id": "b", "kind": "database", "tags": {"App": "ledger"}}) == ["R"]
    assert ids(c, {"id": "c", "kind": "database", "tags": {"app": "cards"}}) == []
    assert ids(c, {"id": "d", "kind": "database", "tags": {"team": "ledger"}}) == []
    assert ids(c, {"id": "e", "kind": "database"}) == []


def test_regex_pattern_is_searched() -> None:
    c = cat({"id": "R", "level": "important", "match": {"id": r"re:(aml|str)-cases\d*$"}})
    assert ids(c, {"id": "arn:aws:s3:::aml-cases2", "kind": "object_store"}) == ["R"]
    assert ids(c, {"id": "arn:aws:s3:::str-cases", "kind": "object_store"}) == ["R"]
    assert ids(c, {"id": "arn:aws:s3:::aml-cases-old", "kind": "object_store"}) == []


def test_name_matcher_falls_back_to_last_segment_of_id() -> None:
    assert asset_name({"id": "arn:aws:rds:cn-north-1:1:db:core-ledger"}) == "core-ledger"
    assert asset_name({"id": "urn:pulumi:prod::bank::aws:s3/bucket:Bucket::cards"}) == "cards"
    c = cat({"id": "R", "level": "core", "match": {"name": "core-*"}})
    assert ids(c, {"id": "arn:aws:rds:cn-north-1:1:db:core-ledger", "kind": "database"}) == ["R"]


def test_several_matching_rules_come_back_in_catalogue_order() -> None:
    c = cat({"id": "B", "level": "general", "match": {"kind": "database"}},
            {"id": "A", "level": "core", "match": {"name": "ledger"}},
            {"id": "C", "level": "sensitive", "match": {"tags": {"x": "*"}}})
    assert ids(c, {"id": "1", "kind": "database", "name": "ledger", "tags": {"x": "y"}}) == [
        "B", "A", "C"]


def test_level_and_environment_synonyms_are_normalized() -> None:
    c = cat({"id": "R", "level": "重要", "environment": "PROD", "match": {"kind": "cache"}})
    assert (c.rules[0].level, c.rules[0].environment) == ("important", "production")
    cfg = Config(level_synonyms={"secret": "core"})
    c2 = catalogue_from_mapping({"rules": [{"id": "S", "level": "secret",
                                            "match": {"kind": "cache"}}]}, "t.yaml", cfg)
    assert c2.rules[0].level == "core"


@pytest.mark.slow
def test_index_agrees_with_checking_every_rule() -> None:
    """The anchored index must return exactly what a rule-by-rule scan returns."""
    rng = random.Random(7)
    rules: list[dict[str, Any]] = []
    for i in range(60):
        choice = i % 6
        if choice == 0:
            m: dict[str, Any] = {"name": f"svc{i % 7}-*", "kind": rng.choice(["database", "table"])}
        elif choice == 1:
            m = {"id": [f"arn:aws:s3:::b{i % 5}*", f"*-{i % 3}"]}
        elif choice == 2:
            m = {"tags": {"team": f"t{i % 4}", "app": "*"}}
        elif choice == 3:
            m = {"account": str(100 + i % 3), "name": "re:svc[0-3]"}
        elif choice == 4:
            m = {"kind": "snapshot", "region": "cn-*"}
        else:
            m = {"id": r"re:b\d+-1$"}
        rules.append({"id": f"R{i}", "level": "general", "match": m})
    c = cat(*rules)
    total = 0
    for n in range(3000):
        asset = {"id": f"arn:aws:s3:::b{n % 9}{n}-{n % 3}",
                 "kind": rng.choice(["database", "table", "snapshot", "object_store"]),
                 "name": f"svc{n % 8}-{n}", "account": str(100 + n % 4),
                 "region": rng.choice(["cn-north-1", "ap-east-1"]),
                 "tags": {"team": f"t{n % 5}", "app": "x"} if n % 2 else {}}
        expected = [r.id for r in c.rules if r.matches(asset)]
        got = ids(c, asset)
        assert got == expected, asset
        total += len(got)
    assert total > 1000  # the synthetic estate really exercises the rules


# ------------------------------------------------------------------ errors


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(InputError) as exc:
        load_catalogue(write(tmp_path, text))
    msg = str(exc.value)
    assert "\n" not in msg
    assert "catalogue.yaml" in msg
    return msg


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "version: 1\nrules:\n  - id: A\n    match: {kind: [database}\n")
    assert "not valid YAML at line 4" in msg


def test_unknown_level_names_rule_index_and_id(tmp_path: Path) -> None:
    text = """version: 1
rules:
  - {id: A, level: core, match: {kind: database}}
  - {id: B, level: general, match: {kind: table}}
  - {id: CAT-X, level: secret, match: {kind: table}}
"""
    msg = error_of(tmp_path, text)
    assert msg.endswith("catalogue.yaml: rules[2] (CAT-X): unknown level 'secret' "
                        "(expected one of core, important, sensitive, general)")


def test_missing_id(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "rules:\n  - {level: core, match: {kind: database}}\n")
    assert "rules[0]: missing 'id'" in msg


def test_rule_without_matcher(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "rules:\n  - {id: A, level: core}\n")
    assert "rules[0] (A): 'match' needs at least one matcher" in msg
    msg = error_of(tmp_path, "rules:\n  - {id: A, level: core, match: {}}\n")
    assert "rules[0] (A): 'match' needs at least one matcher" in msg


def test_bad_regex(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "rules:\n  - {id: A, level: core, match: {name: 're:(ledger'}}\n")
    assert "rules[0] (A): match.name: bad regular expression 're:(ledger'" in msg


def test_unknown_matcher_field_and_kind(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "rules:\n  - {id: A, level: core, match: {nmae: x}}\n")
    assert "rules[0] (A): unknown matcher 'match.nmae'" in msg
    msg = error_of(tmp_path, "rules:\n  - {id: A, level: core, match: {kind: databse}}\n")
    assert "rules[0] (A): match.kind: unknown kind 'databse'" in msg
    msg = error_of(tmp_path, "rules:\n  - {id: A, level: core, lvl: x, match: {kind: cache}}\n")
    assert "rules[0] (A): unknown field 'lvl'" in msg


def test_unquoted_account_is_rejected(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "rules:\n  - {id: A, level: core, match: {account: 111111111111}}\n")
    assert "rules[0] (A): match.account: pattern 111111111111 must be a string" in msg


def test_duplicate_id(tmp_path: Path) -> None:
    text = ("rules:\n  - {id: A, level: core, match: {kind: cache}}\n"
            "  - {id: A, level: general, match: {kind: table}}\n")
    assert "rules[1] (A): duplicate id, already used by rules[0]" in error_of(tmp_path, text)


def test_rule_that_sets_nothing_and_bad_environment(tmp_path: Path) -> None:
    msg = error_of(tmp_path, "rules:\n  - {id: A, match: {kind: cache}}\n")
    assert "rules[0] (A): missing 'level'" in msg
    msg = error_of(tmp_path, "rules:\n  - {id: A, environment: moon, match: {kind: cache}}\n")
    assert "rules[0] (A): unknown environment 'moon'" in msg


def test_wrong_shapes_and_version(tmp_path: Path) -> None:
    assert "must be a mapping" in error_of(tmp_path, "- a\n- b\n")
    assert "'rules' must be a list" in error_of(tmp_path, "rules: {a: 1}\n")
    assert "version 2 is not supported" in error_of(tmp_path, "version: 2\nrules: []\n")
    assert "rules[0]: a rule must be a mapping" in error_of(tmp_path, "rules: [x]\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.yaml: cannot read catalogue file"):
        load_catalogue(tmp_path / "nope.yaml")


def test_empty_catalogue_matches_nothing(tmp_path: Path) -> None:
    c = load_catalogue(write(tmp_path, "version: 1\nrules: []\n"))
    assert c.match({"id": "a", "kind": "database"}) == []


# ------------------------------------------------------------------ lineage


def test_derived_from_rule_makes_an_aggregate_inherit_its_sources_levels() -> None:
    from dsscan.classify import classify

    c = cat({"id": "CAT-LIN", "match": {"kind": "warehouse"},
             "derived_from": ["arn:aws:rds:*:db:ledger-*", "arn:aws:rds:cn-north-1:1:db:crm",
                              "arn:aws:rds:cn-north-1:1:db:not-in-the-inventory"]})
    assets = [
        {"id": "arn:aws:rds:cn-north-1:1:db:ledger-eu", "kind": "database",
         "tags": {"dsscan:level": "core"}},
        {"id": "arn:aws:rds:cn-north-1:1:db:crm", "kind": "database",
         "tags": {"dsscan:level": "sensitive"}},
        {"id": "arn:aws:rds:cn-north-1:1:db:hr", "kind": "database",
         "tags": {"dsscan:level": "important"}},
        {"id": "wh", "kind": "warehouse", "name": "wh", "derived_from": ["from-the-inventory"]},
    ]
    classify(assets, Config(), c)
    wh = assets[3]
    assert wh["derived_from"] == ["from-the-inventory", "arn:aws:rds:cn-north-1:1:db:ledger-eu",
                                  "arn:aws:rds:cn-north-1:1:db:crm"]
    assert wh["level"]["value"] == "core"
    assert any(p["source"] == "inheritance" and "ledger-eu" in p["detail"]
               for p in wh["level"]["provenance"])


def test_lineage_only_rule_is_valid_and_patterns_must_be_strings(tmp_path: Path) -> None:
    assert cat({"id": "L", "match": {"kind": "warehouse"}, "derived_from": "db-*"}).rules
    p = write(tmp_path, "rules:\n- id: L\n  match: {kind: warehouse}\n  derived_from: [12]\n")
    with pytest.raises(InputError, match=r"rules\[0\] \(L\): derived_from: pattern 12 must be"):
        load_catalogue(p)
