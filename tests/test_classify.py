"""Classification: level sources and provenance, conflicts, inheritance, environment, records."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema_rs
import pytest

from dsscan.catalogue import Catalogue, catalogue_from_mapping
from dsscan.classify import classify, level_sources_summary
from dsscan.config import AccountInfo, Config, DomainRating
from dsscan.errors import InputError
from dsscan.inventory import schema

DB = "arn:aws:rds:cn-north-1:111111111111:db:core-ledger"


def cat(*rules: dict[str, Any]) -> Catalogue:
    return catalogue_from_mapping({"version": 1, "rules": list(rules)}, "test.yaml")


def run(assets: list[dict[str, Any]], config: Config | None = None,
        catalogue: Catalogue | None = None,
        domain_of: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    classify(assets, config or Config(), catalogue, domain_of=domain_of)
    return {a["id"]: a for a in assets}


def level(a: dict[str, Any]) -> str:
    return a["level"]["value"]


def sources(a: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["source"], e["level"]) for e in a["level"]["provenance"]]


def sampled(*detections: dict[str, Any]) -> dict[str, Any]:
    return {"status": "sampled", "detections": list(detections)}


# ------------------------------------------------------------------ level sources


def test_asset_without_any_source_is_unclassified_not_general() -> None:
    a = run([{"id": "s3", "kind": "object_store"}])["s3"]
    assert a["level"] == {"value": "unclassified", "provenance": [], "conflicts": []}


def test_tag_level_with_case_insensitive_key() -> None:
    a = run([{"id": "x", "kind": "database", "tags": {"Data-Level": "Important"}}])["x"]
    assert level(a) == "important"
    assert a["level"]["provenance"] == [
        {"source": "tag", "level": "important", "detail": "Data-Level=Important"}]


def test_chinese_tag_value_is_a_level() -> None:
    a = run([{"id": "x", "kind": "database", "tags": {"dsscan:level": "核心"}}])["x"]
    assert level(a) == "core"
    assert a["level"]["provenance"][0]["detail"] == "dsscan:level=核心"


def test_tag_value_that_is_not_a_level_is_ignored_not_general() -> None:
    a = run([{"id": "x", "kind": "database", "tags": {"data-level": "very secret"}}])["x"]
    assert level(a) == "unclassified"
    assert a["level"]["provenance"] == []


def test_bad_first_tag_falls_through_to_next_configured_key() -> None:
    a = run([{"id": "x", "kind": "database",
              "tags": {"dsscan:level": "tbd", "data-level": "sensitive"}}])["x"]
    assert sources(a) == [("tag", "sensitive")]


@pytest.mark.parametrize("tags", [
    {"data-level": "general", "dsscan:level": "core"},
    {"dsscan:level": "general", "DataLevel": "core"},   # the first key's value is not the end
])
def test_every_level_tag_counts_and_the_highest_wins(tags) -> None:
    a = run([{"id": "x", "kind": "database", "tags": tags}])["x"]
    assert level(a) == "core"
    assert sorted(e["level"] for e in a["level"]["provenance"]) == ["core", "general"]


def test_level_synonyms_from_config() -> None:
    cfg = Config(level_synonyms={"C1": "core"})
    a = run([{"id": "x", "kind": "database", "tags": {"data-level": "c1"}}], cfg)["x"]
    assert level(a) == "core"


def test_bad_level_synonym_in_config_is_an_input_error() -> None:
    cfg = Config(level_synonyms={"c1": "secret"}, source_path="dsscan.yaml")
    with pytest.raises(InputError, match=r"^dsscan\.yaml: level_synonyms\.c1 'secret'"):
        classify([], cfg)


def test_catalogue_source_records_every_matching_rule() -> None:
    c = cat({"id": "CAT-DB", "level": "important", "match": {"kind": "database"}},
            {"id": "CAT-LEDGER", "level": "core", "match": {"name": "core-ledger"}})
    a = run([{"id": DB, "kind": "database"}], catalogue=c)[DB]
    assert level(a) == "core"
    assert a["level"]["provenance"] == [
        {"source": "catalogue", "level": "important", "detail": "CAT-DB"},
        {"source": "catalogue", "level": "core", "detail": "CAT-LEDGER"}]


def test_content_source_gives_detector_and_count_never_a_value() -> None:
    asset = {"id": "x", "kind": "table", "content": sampled(
        {"detector": "prc_resident_id", "location": "t.id_no", "unmasked": 3, "masked": 1,
         "evidence": ["110101********1234"]},
        {"detector": "prc_resident_id", "location": "t.id2", "unmasked": 2},
        {"detector": "mobile_phone", "unmasked": 0, "masked": 9})}
    a = run([asset])["x"]
    assert level(a) == "sensitive"
    assert a["level"]["provenance"] == [
        {"source": "content", "level": "sensitive", "detail": "prc_resident_id: 5 unmasked"}]
    assert "1234" not in str(a["level"])


def test_content_unknown_detector_is_sensitive_and_config_can_raise_it() -> None:
    asset = {"id": "x", "kind": "table",
             "content": sampled({"detector": "custom_acct", "unmasked": 1})}
    assert level(run([copy.deepcopy(asset)])["x"]) == "sensitive"
    cfg = Config(content_levels={"custom_acct": "important"})
    assert level(run([asset], cfg)["x"]) == "important"


def test_masked_content_or_not_sampled_gives_no_level() -> None:
    masked = {"id": "m", "kind": "table",
              "content": sampled({"detector": "bank_card", "unmasked": 0, "masked": 50})}
    not_sampled = {"id": "n", "kind": "table",
                   "content": {"status": "error", "reason": "access denied",
                               "detections": [{"detector": "bank_card", "unmasked": 4}]}}
    out = run([masked, not_sampled])
    assert level(out["m"]) == "unclassified"
    assert level(out["n"]) == "unclassified"


def test_declared_entries_are_kept_and_other_old_entries_recomputed() -> None:
    asset = {"id": "x", "kind": "database",
             "level": {"value": "core", "provenance": [
                 {"source": "declared", "level": "important", "detail": "owner: treasury"},
                 {"source": "tag", "level": "core", "detail": "data-level=core"}],
                 "conflicts": [{"declared": "x"}]}}
    a = run([asset])["x"]
    assert level(a) == "important"
    assert a["level"] == {"value": "important", "conflicts": [], "provenance": [
        {"source": "declared", "level": "important", "detail": "owner: treasury"}]}


def test_highest_level_wins_and_all_sources_are_recorded() -> None:
    c = cat({"id": "CAT-CARDS", "level": "important", "match": {"name": "cards"}})
    asset = {"id": "x", "kind": "database", "name": "cards", "tags": {"data-level": "general"},
             "content": sampled({"detector": "bank_card", "unmasked": 7})}
    a = run([asset], catalogue=c)["x"]
    assert level(a) == "important"
    assert sources(a) == [("tag", "general"), ("catalogue", "important"),
                          ("content", "sensitive")]


def test_classifying_twice_gives_the_same_result() -> None:
    c = cat({"id": "CAT-LEDGER", "level": "core", "match": {"name": "core-ledger"},
             "desensitization": "DSR-1", "environment": "production"})
    assets = [
        {"id": DB, "kind": "database", "tags": {"data-level": "general"},
         "level": {"provenance": [{"source": "declared", "level": "sensitive"}]}},
        {"id": "snap", "kind": "snapshot", "backup": {"backup_of": [DB]},
         "content": sampled({"detector": "email", "unmasked": 1})},
        {"id": "vpc-1", "kind": "network_domain", "tags": {"env": "test"}},
        {"id": "bucket", "kind": "object_store", "name": "prod-x-test"},
    ]
    dom = {"bucket": "vpc-1"}
    classify(assets, Config(), c, domain_of=dom)
    first = copy.deepcopy(assets)
    classify(assets, Config(), c, domain_of=dom)
    assert assets == first
    assert level(assets[1]) == "core"


def test_classified_assets_satisfy_the_inventory_schema() -> None:
    c = cat({"id": "R", "level": "core", "match": {"kind": "database"},
             "desensitization": "DSR-9"})
    assets = [{"id": DB, "kind": "database", "tags": {"data-level": "general"}},
              {"id": "s", "kind": "snapshot", "backup": {"backup_of": [DB]}},
              {"id": "d", "kind": "network_domain", "network": {"vpc_id": "vpc-1"}}]
    classify(assets, Config(domains={"vpc-1": DomainRating(level="core",
                                                           environment="prod")}), c)
    validator = jsonschema_rs.validator_for(schema())
    doc = {"format": "dsscan-inventory/1", "assets": assets}
    assert validator.is_valid(doc), [e.message for e in validator.iter_errors(doc)]


# ------------------------------------------------------------------ conflicts


def test_tag_lower_than_content_is_a_conflict() -> None:
    asset = {"id": "x", "kind": "object_store", "tags": {"data-level": "general"},
             "content": sampled({"detector": "prc_resident_id", "unmasked": 12})}
    a = run([asset])["x"]
    assert level(a) == "sensitive"
    assert a["level"]["conflicts"] == [{
        "declared": "general", "declared_source": "tag", "observed": "sensitive",
        "observed_source": "content",
        "detail": "tag data-level=general says general; prc_resident_id: 12 unmasked shows "
                  "sensitive"}]


def test_conflict_uses_highest_declared_and_reports_inheritance() -> None:
    c = cat({"id": "CAT-BK", "level": "sensitive", "match": {"kind": "snapshot"}})
    assets = [{"id": DB, "kind": "database", "tags": {"data-level": "core"}},
              {"id": "snap", "kind": "snapshot", "tags": {"data-level": "general"},
               "backup": {"backup_of": [DB]}}]
    a = run(assets, catalogue=c)["snap"]
    assert level(a) == "core"
    (conflict,) = a["level"]["conflicts"]
    assert (conflict["declared"], conflict["declared_source"]) == ("sensitive", "catalogue")
    assert (conflict["observed"], conflict["observed_source"]) == ("core", "inheritance")
    assert DB in conflict["detail"]


def test_no_conflict_when_declared_is_not_lower_or_nothing_declared() -> None:
    content = sampled({"detector": "bank_card", "unmasked": 1})
    out = run([{"id": "a", "kind": "table", "tags": {"data-level": "sensitive"},
                "content": content},
               {"id": "b", "kind": "table", "content": content}])
    assert out["a"]["level"]["conflicts"] == []
    assert out["b"]["level"]["conflicts"] == []
    assert level(out["b"]) == "sensitive"


# ------------------------------------------------------------------ inheritance


def test_snapshot_of_replica_of_core_db_is_core() -> None:
    assets = [{"id": "snap", "kind": "snapshot", "backup": {"backup_of": ["replica"]}},
              {"id": "replica", "kind": "database", "replica_of": [DB]},
              {"id": DB, "kind": "database", "tags": {"data-level": "core"}}]
    out = run(assets)
    assert level(out["replica"]) == "core"
    assert level(out["snap"]) == "core"
    assert out["snap"]["level"]["provenance"] == [{
        "source": "inheritance", "level": "core",
        "detail": f"snapshot of replica (level from {DB})"}]
    assert out["replica"]["level"]["provenance"][0]["detail"] == f"replica of {DB}"


def test_inheritance_through_a_cycle_terminates_and_spreads() -> None:
    assets = [{"id": "a", "kind": "database", "tags": {"data-level": "core"},
               "backup": {"backup_of": ["b"]}},
              {"id": "b", "kind": "database", "replica_of": ["c"]},
              {"id": "c", "kind": "database", "replica_of": ["a"]},
              {"id": "d", "kind": "snapshot", "backup": {"backup_of": ["b"]}}]
    out = run(assets)
    assert [level(out[i]) for i in "abcd"] == ["core"] * 4
    # The cycle does not echo a's own level back to it as "inheritance".
    assert sources(out["a"]) == [("tag", "core")]


def test_cycle_keeps_the_best_level_from_another_origin() -> None:
    # a → v → u → {a, b}: a's own core comes back round, but b's important is real.
    assets = [{"id": "a", "kind": "database", "tags": {"data-level": "core"},
               "derived_from": ["v"]},
              {"id": "v", "kind": "warehouse", "derived_from": ["u"]},
              {"id": "u", "kind": "warehouse", "derived_from": ["a", "b"]},
              {"id": "b", "kind": "database", "tags": {"data-level": "important"}}]
    out = run(assets)
    assert sources(out["a"]) == [("tag", "core"), ("inheritance", "important")]
    assert out["a"]["level"]["provenance"][1]["detail"] == "derived from v (level from b)"
    assert level(out["u"]) == "core"


def test_missing_source_id_is_no_inheritance_and_no_error() -> None:
    out = run([{"id": "snap", "kind": "snapshot", "backup": {"backup_of": ["gone"]},
                "replica_of": ["also-gone"]}])
    assert out["snap"]["level"] == {"value": "unclassified", "provenance": [], "conflicts": []}


def test_aggregate_has_the_highest_of_its_sources() -> None:
    assets = [{"id": "s1", "kind": "table", "tags": {"data-level": "sensitive"}},
              {"id": "s2", "kind": "table", "tags": {"data-level": "important"}},
              {"id": "s3", "kind": "table"},
              {"id": "dw", "kind": "warehouse", "derived_from": ["s1", "s2", "s3"]}]
    dw = run(assets)["dw"]
    assert dw["level"]["provenance"] == [
        {"source": "inheritance", "level": "important", "detail": "derived from s2"}]


def test_vault_has_the_highest_level_of_backups_stored_in_it() -> None:
    assets = [
        {"id": DB, "kind": "database", "tags": {"data-level": "core"}},
        {"id": "vault-arn", "kind": "backup_vault", "name": "prod-vault"},
        {"id": "other-vault", "kind": "backup_vault", "name": "misc"},
        {"id": "rp1", "kind": "backup",
         "backup": {"backup_of": [DB], "location": {"vault": "prod-vault"}}},
        {"id": "rp2", "kind": "backup", "tags": {"data-level": "sensitive"},
         "backup": {"location": {"vault": "other-vault"}}},
    ]
    out = run(assets)
    assert level(out["vault-arn"]) == "core"  # referenced by name
    assert out["vault-arn"]["level"]["provenance"][0]["detail"] == f"holds rp1 (level from {DB})"
    assert level(out["other-vault"]) == "sensitive"  # referenced by id


def test_database_has_at_least_the_level_of_its_tables() -> None:
    assets = [{"id": "db", "kind": "database", "tags": {"data-level": "general"}},
              {"id": "db/t1", "kind": "table", "parent": "db",
               "content": sampled({"detector": "bank_card", "unmasked": 2})},
              {"id": "db/t2", "kind": "table", "parent": "db"}]
    out = run(assets)
    assert level(out["db"]) == "sensitive"
    assert out["db"]["level"]["provenance"][1] == {
        "source": "inheritance", "level": "sensitive", "detail": "contains db/t1"}
    assert out["db"]["level"]["conflicts"][0]["observed_source"] == "inheritance"
    # Tables do not inherit from their database.
    assert level(out["db/t2"]) == "unclassified"


# ------------------------------------------------------------------ environment


def env_sources(a: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["source"], e["environment"]) for e in a["environment"]["provenance"]]


def test_environment_order_tag_catalogue_account_name_domain() -> None:
    cfg = Config(accounts={"111": AccountInfo(environment="staging", name="pre")})
    c = cat({"id": "CAT-ENV", "environment": "development", "match": {"kind": "database"}})
    full = {"id": "x", "kind": "database", "account": "111", "name": "test-db",
            "tags": {"Environment": "prod"}}
    domain = {"id": "vpc", "kind": "network_domain", "tags": {"env": "uat"}}
    out = run([copy.deepcopy(full), copy.deepcopy(domain)], cfg, c, {"x": "vpc"})
    assert out["x"]["environment"]["value"] == "production"
    assert env_sources(out["x"]) == [("tag", "production"), ("catalogue", "development"),
                                     ("account", "staging"), ("name", "test"),
                                     ("domain", "test")]
    assert out["x"]["environment"]["provenance"][2]["detail"] == "account 111 (pre)"

    def value_without(*drop: str, catalogue: Catalogue | None = c) -> str:
        asset = {k: v for k, v in full.items() if k not in drop}
        return run([asset, copy.deepcopy(domain)], cfg, catalogue,
                   {"x": "vpc"})["x"]["environment"]["value"]

    assert value_without("tags") == "development"
    assert value_without("tags", catalogue=None) == "staging"
    assert value_without("tags", "account", catalogue=None) == "test"
    assert value_without("tags", "account", "name", catalogue=None) == "test"  # domain (uat)


def test_environment_default_is_unknown() -> None:
    a = run([{"id": "arn:aws:s3:::ledger", "kind": "object_store"}])["arn:aws:s3:::ledger"]
    assert a["environment"]["value"] == "unknown"
    assert env_sources(a) == [("default", "unknown")]


def test_unknown_environment_tag_value_is_ignored() -> None:
    a = run([{"id": "x", "kind": "database", "name": "ledger",
              "tags": {"env": "blue", "Env": "qa"}}])["x"]
    assert env_sources(a) == [("tag", "test")]


def test_name_pattern_order_and_id_fallback() -> None:
    out = run([{"id": "a", "kind": "object_store", "name": "prod-copy-test"},
               {"id": "arn:aws:rds:cn-north-1:1:db:billing-dev", "kind": "database"}])
    assert env_sources(out["a"]) == [("name", "test")]  # test is tried before production
    b = out["arn:aws:rds:cn-north-1:1:db:billing-dev"]
    assert b["environment"]["provenance"] == [
        {"source": "name", "environment": "development",
         "detail": "name 'billing-dev' matches '*-dev'"}]


def test_custom_name_patterns_and_bad_environment_name() -> None:
    cfg = Config(environment_name_patterns={"prod": ["p[0-9]*"], "test": ["*"]})
    out = run([{"id": "a", "kind": "cache", "name": "P1-cache"},
               {"id": "b", "kind": "cache", "name": "x"}], cfg)
    assert env_sources(out["a"]) == [("name", "production")]
    assert env_sources(out["b"]) == [("name", "test")]
    with pytest.raises(InputError, match=r"environment_name_patterns\.moon"):
        classify([], Config(environment_name_patterns={"moon": ["*"]}))


def test_domain_is_rated_by_config_under_id_name_or_vpc() -> None:
    cfg = Config(domains={"prod-core": DomainRating(level="core", environment="production"),
                          "vpc-9": DomainRating(level="sensitive")})
    assets = [{"id": "vpc-0abc", "kind": "network_domain", "name": "prod-core"},
              {"id": "d2", "kind": "network_domain", "network": {"vpc_id": "vpc-9"},
               "tags": {"data-level": "important"}},
              {"id": "db", "kind": "database", "name": "ledger"}]
    out = run(assets, cfg, domain_of={"db": "vpc-0abc"})
    d1 = out["vpc-0abc"]
    assert d1["level"]["provenance"] == [
        {"source": "config", "level": "core", "detail": "domains.prod-core"}]
    assert env_sources(d1) == [("config", "production"), ("name", "production")]
    assert sources(out["d2"]) == [("tag", "important"), ("config", "sensitive")]
    assert out["db"]["environment"]["provenance"] == [
        {"source": "domain", "environment": "production", "detail": "domain vpc-0abc"}]
    # A member does not inherit its domain's level.
    assert level(out["db"]) == "unclassified"


def test_declared_environment_in_inventory_is_kept() -> None:
    asset = {"id": "x", "kind": "database", "name": "prod-db",
             "environment": {"value": "test", "provenance": [
                 {"source": "declared", "environment": "test"},
                 {"source": "name", "environment": "production"}]}}
    a = run([asset])["x"]
    assert env_sources(a) == [("declared", "test"), ("name", "production")]
    assert a["environment"]["value"] == "test"


# ------------------------------------------------------------------ desensitization


def test_desensitization_record_from_tag_then_catalogue_else_null() -> None:
    c = cat({"id": "CAT-UAT", "desensitization": "DSR-2025-004",
             "match": {"account": "222222222222"}})
    assets = [{"id": "t", "kind": "database", "account": "222222222222",
               "tags": {"Desensitization-Record": "DSR-2025-011"}},
              {"id": "c", "kind": "database", "account": "222222222222"},
              {"id": "n", "kind": "database", "account": "111111111111"}]
    out = run(assets, catalogue=c)
    assert out["t"]["desensitization"] == {"record": "DSR-2025-011", "source": "tag"}
    assert out["c"]["desensitization"] == {"record": "DSR-2025-004", "source": "catalogue"}
    assert out["n"]["desensitization"] is None


@pytest.mark.parametrize(("value", "record"), [
    ("DSR-2025-011", "DSR-2025-011"), ("  MANILA-1 ", "MANILA-1"), ("0", None),
    ("", None), ("   ", None), ("none", None), ("N/A", None), ("-", None), ("pending", None),
    ("TBD", None), ("无", None), ("待审批", None), ("ｎｏｎｅ", None),
])
def test_a_placeholder_is_no_record_for_any_record_kind(value: str, record: str | None) -> None:
    """The desensitization record (DS-TST-003/004), the sharing record (DS-SHR-001/002) and
    the level-change approval (Art. 19) say "there is none" the same way: one rule
    (dsscan.levels.means_no_record), whether the value is a tag or a catalogue rule's."""
    from dsscan.sharerel import has_record

    tags = {"dsscan:desensitization": value, "dsscan:level-change-approval": value,
            "dsscan:sharing-record": value}
    kept = value if value.strip() else "x"
    c = cat({"id": "CAT", "desensitization": kept, "sharing_record": kept,
             "level_change_approval": kept, "match": {"account": "222222222222"}})
    out = run([{"id": "t", "kind": "database", "tags": tags},
               {"id": "c", "kind": "database", "account": "222222222222"}], catalogue=c)
    for a, source in ((out["t"], "tag"), (out["c"], "catalogue")):
        if source == "catalogue" and not value.strip():
            continue  # the catalogue refuses an empty record id when it is loaded
        want = None if record is None else {"record": record, "source": source}
        assert a["desensitization"] == want, source
        assert a["level_change_approval"] == want, source
        assert has_record(a, frozenset({"dsscan:sharing-record"})) is (record is not None)


def test_copies_of_desensitized_data_carry_its_record_their_own_wins() -> None:
    assets = [{"id": "db", "kind": "database", "tags": {"dsscan:desensitization": "DSR-9"}},
              {"id": "snap", "kind": "snapshot", "backup": {"backup_of": ["db"]}},
              {"id": "copy", "kind": "snapshot", "backup": {"backup_of": ["snap"]}},
              {"id": "own", "kind": "snapshot", "backup": {"backup_of": ["db"]},
               "tags": {"dsscan:desensitization": "DSR-10"}},
              {"id": "raw", "kind": "snapshot", "backup": {"backup_of": ["other"]}}]
    out = run(assets)
    assert out["snap"]["desensitization"] == {"record": "DSR-9", "source": "inheritance"}
    assert out["copy"]["desensitization"] == {"record": "DSR-9", "source": "inheritance"}
    assert out["own"]["desensitization"] == {"record": "DSR-10", "source": "tag"}
    assert out["raw"]["desensitization"] is None
    # Classifying again does not keep an inherited record whose source lost it.
    del out["db"]["tags"]["dsscan:desensitization"]
    again = run(list(out.values()))
    assert again["snap"]["desensitization"] is None


# ------------------------------------------------------------------ summary and scale


def test_level_sources_summary() -> None:
    c = cat({"id": "CAT-CORE-LEDGER", "level": "core", "match": {"name": "core-ledger"}})
    out = run([{"id": DB, "kind": "database", "tags": {"data-level": "core"}},
               {"id": "s", "kind": "snapshot", "tags": {"data-level": "general"},
                "backup": {"backup_of": [DB]}},
               {"id": "u", "kind": "cache"}], catalogue=c)
    assert level_sources_summary(out[DB]) == "core (tag data-level=core; catalogue CAT-CORE-LEDGER)"
    assert level_sources_summary(out["s"]) == (
        f"core (tag data-level=general [general]; inheritance snapshot of {DB})")
    assert level_sources_summary(out["u"]) == "unclassified (no level source)"


@pytest.mark.slow
def test_twenty_thousand_assets_classify_correctly() -> None:
    """Chains db → replica → snapshot → vault, plus catalogue rules, at a realistic size."""
    c = cat(*[{"id": f"CAT-{k}", "level": "important", "match": {"name": f"app{k}-*"}}
              for k in range(40)],
            {"id": "CAT-LEDGER", "level": "core", "match": {"tags": {"app": "ledger"}}})
    assets: list[dict[str, Any]] = []
    for i in range(4000):
        db = f"db-{i}"
        tags = {"app": "ledger"} if i % 10 == 0 else {}
        assets += [
            {"id": db, "kind": "database", "name": f"app{i % 80}-db-{i}", "tags": tags},
            {"id": f"rep-{i}", "kind": "database", "replica_of": [db]},
            {"id": f"snap-{i}", "kind": "snapshot",
             "backup": {"backup_of": [f"rep-{i}"], "location": {"vault": f"vault-{i % 50}"}}},
            {"id": f"{db}/t", "kind": "table", "parent": db,
             "content": sampled({"detector": "prc_resident_id", "unmasked": 1})},
            {"id": f"bucket-{i}", "kind": "object_store", "name": f"logs-{i}-test"},
        ]
    assets += [{"id": f"vault-{k}", "kind": "backup_vault"} for k in range(50)]
    out = run(assets, catalogue=c)
    assert len(out) == 20050
    for i in (0, 1, 41, 3999):
        expected = "core" if i % 10 == 0 else "important" if i % 80 < 40 else "sensitive"
        assert level(out[f"snap-{i}"]) == expected, i
        assert level(out[f"db-{i}"]) == expected
        assert out[f"bucket-{i}"]["environment"]["value"] == "test"
        assert level(out[f"bucket-{i}"]) == "unclassified"
    # vault-k holds the snapshots i ≡ k (mod 50): a core one when k is a multiple of 10.
    assert [level(out[f"vault-{k}"]) for k in range(50)] == [
        "core" if k % 10 == 0 else "important" for k in range(50)]


# ------------------------------------------------------------------ saved (masked) inventories

_KYC = "kyc440305198511220029"  # a valid resident ID glued to letters: masked when written
_CARD = "6222021234567890123"


@pytest.mark.parametrize(("match", "name"), [
    ({"name": f"{_KYC}*"}, f"{_KYC}-ledger"),                      # glob quoting an ID
    ({"name": f"{_KYC}-ledger"}, f"{_KYC}-ledger"),                # literal
    ({"name": [f"*-{_CARD}", "other"]}, f"cards-{_CARD}"),         # glob before a card
    ({"id": f"arn:aws-cn:s3:::{_KYC}-*"}, f"{_KYC}-ledger"),       # on the id
    ({"tags": {"owner": f"TEL{'13812345678'}"}}, "plain-name"),   # on a tag value
    ({"name": f"re:^{_KYC}-"}, f"{_KYC}-ledger"),                  # a regex: kept as recorded
])
def test_a_saved_inventory_keeps_the_level_a_rule_quoting_an_identifier_gave(
        match: dict[str, Any], name: str) -> None:
    """A saved inventory holds names, ids and tags masked; a catalogue rule quoting an
    identifier matched the live store, and scanning the saved file again must not drop the
    store to unclassified (every duty above the floor silently unchecked)."""
    import json

    from dsscan.inventory import Inventory, dump_inventory, parse_inventory

    c = cat({"id": "CAT-KYC", "level": "core", "match": match})
    asset = {"id": f"arn:aws-cn:s3:::{name}", "kind": "object_store", "name": name,
             "tags": {"owner": "TEL13812345678"}}
    fresh = copy.deepcopy(asset)
    live = run([asset], catalogue=c)[asset["id"]]
    assert level(live) == "core"
    text = dump_inventory(Inventory(assets=[live]))
    assert _KYC not in text and _CARD not in text and "13812345678" not in text
    [saved] = parse_inventory(json.loads(text), "saved.json").assets
    assert level(run([saved], catalogue=c)[saved["id"]]) == "core"
    # ...and from a saved inventory that was never classified (inventory aws|terraform -o):
    # only the masked form of the rule can match it (a regex cannot be converted)
    [raw] = parse_inventory(
        json.loads(dump_inventory(Inventory(assets=[fresh]))), "raw.json").assets
    want = "unclassified" if "name" in match and str(match["name"]).startswith("re:") \
        else "core"
    assert level(run([raw], catalogue=c)[raw["id"]]) == want


def test_a_rule_removed_from_the_catalogue_no_longer_counts_for_a_saved_inventory() -> None:
    c = cat({"id": "CAT-KYC", "level": "core", "match": {"name": f"re:^{_KYC}"}})
    a = {"id": "arn:aws-cn:s3:::b1", "kind": "object_store", "name": f"{_KYC}-x"}
    run([a], catalogue=c)
    other = cat({"id": "CAT-OTHER", "level": "general", "match": {"name": "nothing"}})
    assert level(run([a], catalogue=other)[a["id"]]) == "unclassified"


def _saved(asset: dict[str, Any], c: Catalogue | None) -> dict[str, Any]:
    """The asset (classified with ``c`` first, unless None) as a saved inventory holds it."""
    import json

    from dsscan.inventory import Inventory, dump_inventory, parse_inventory

    a = copy.deepcopy(asset)
    if c is not None:
        run([a], catalogue=c)
    [saved] = parse_inventory(json.loads(dump_inventory(Inventory(assets=[a]))),
                              "saved.json").assets
    return saved


def test_a_masked_form_gives_another_identifiers_store_only_the_level_never_the_rest() -> None:
    """kyc440305198511220029* and kyc440305199001070029 share their masked form: the rule
    may raise the other store's level, but its environment and desensitization record
    (which would hide a DS-TST finding) are not applied."""
    c = cat({"id": "CAT-TESTCOPY", "level": "core", "environment": "test",
             "desensitization": "DSR-2025-004", "match": {"name": f"{_KYC}*"}})
    other = {"id": "arn:aws-cn:s3:::kyc440305199001070029-ledger", "kind": "object_store",
             "name": "kyc440305199001070029-ledger", "tags": {"environment": "production"}}
    for saved in (_saved(other, c), _saved(other, None)):
        got = run([saved], catalogue=c)[saved["id"]]
        assert level(got) == "core"
        assert got["environment"]["value"] == "production"
        assert got["desensitization"] is None


@pytest.mark.parametrize("rule", [
    # a re: rule giving only the environment: recorded in environment.provenance
    {"id": "CAT-UAT", "environment": "test", "match": {"name": f"re:^{_KYC}"}},
    # a rule id quoting an identifier: recorded masked
    {"id": "KYC-440305198511220029", "level": "core", "match": {"name": f"re:^{_KYC}"}},
])
def test_a_recorded_rule_is_found_whatever_it_gave_and_however_its_id_was_written(rule) -> None:
    c = cat(rule)
    asset = {"id": f"arn:aws-cn:s3:::{_KYC}-ledger", "kind": "object_store",
             "name": f"{_KYC}-ledger", "tags": {"dsscan:level": "important"}}
    live = run([copy.deepcopy(asset)], catalogue=c)[asset["id"]]
    saved = _saved(asset, c)
    got = run([saved], catalogue=c)[saved["id"]]
    assert level(got) == level(live)
    assert got["environment"]["value"] == live["environment"]["value"]
