"""Passed is explicit per policy: each policy's ``assessed`` rule lists the assets it judged on
facts it could read; an asset of its kinds it neither assessed nor reported on is not
applicable (out of scope), never passed. A policy without the rule falls back to its kinds.

The table runs the real pipeline and library (classification, relations, regorus) on one
asset per case, so each row pins what the compliance report counts for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dsscan.config import Config
from dsscan.engines.opa_server import OpaServerError, evaluate_remote
from dsscan.findings import NotAssessed, PolicyInfo, ScanResult
from dsscan.inventory import FORMAT, Inventory, parse_inventory
from dsscan.pipeline import ScanOptions, prepare, run_scan
from dsscan.policy_library import load_library
from dsscan.reports.compliance import NOT_ASSESSED, PASSED, article_rows, policy_states

NA = None  # not applicable: absent from the policy's states


def inv(*assets: dict[str, Any]) -> Inventory:
    return parse_inventory({"format": FORMAT, "assets": list(assets)}, "test")


def asset(id: str, kind: str, level: str, env: str = "production", **facts: Any) -> dict:
    return {"id": id, "kind": kind, "name": id, "provider": "aws", "account": "111111111111",
            "region": "cn-north-1",
            "tags": {"data-level": level, "environment": env}, **facts}


@pytest.fixture(scope="module")
def library():
    return load_library()


def state(library, policy: str, *assets: dict[str, Any]) -> str | None:
    result = run_scan(inv(*assets), library, ScanOptions(config=Config(), workers=1))
    return policy_states(result)[policy].get(assets[0]["id"])


ENC_CMK = {"at_rest": {"enabled": True, "key_type": "customer_managed", "key_id": "k"}}

CASES = [
    # Counted passed from kinds before, though the policy read nothing that judges them:
    ("DS-NET-003", NA, [asset("t", "table", "core", access=None, network=None),
                        asset("db", "database", "core", network={"publicly_accessible": False})],
     "a table inside a database, no exposure facts (its database is judged)"),
    ("DS-TST-002", NA, [asset("t", "database", "sensitive", "test")],
     "a test store never sampled"),
    ("DS-BAK-003", NA, [asset("b", "object_store", "core", access={"public": False},
                              backup={"backup_of": []})],
     "a bucket holding no backup is not backup storage"),
    ("DS-NET-001", NA, [asset("b", "object_store", "core", network=None)],
     "a sensitive+ store in no network"),
    ("DS-ENC-002", NA, [asset("db", "database", "core", encryption=ENC_CMK)],
     "a store that is no copy"),
    ("DS-BAK-001", NA, [asset("db", "database", "core", backup={"native": {"enabled": False}})],
     "a store with no backup has nothing to keep apart"),
    ("DS-BAK-002", NA, [asset("t", "table", "core"),
                        asset("db", "database", "core", backup={"native": {"enabled": True}})],
     "a table inside a database (its database's backups are judged)"),
    # Judged on facts read: passed.
    ("DS-NET-003", PASSED, [asset("db", "database", "core",
                                  network={"publicly_accessible": False})], "a private db"),
    ("DS-NET-003", PASSED, [asset("t", "table", "general")], "below sensitive, by its level"),
    ("DS-TST-002", PASSED, [asset("t", "database", "sensitive", "test",
                                  content={"status": "sampled", "detections": []})],
     "a sampled, clean test store"),
    ("DS-ENC-001", PASSED, [asset("db", "database", "core", encryption=ENC_CMK)], "CMK"),
    ("DS-BAK-002", PASSED, [asset("db", "database", "core",
                                  backup={"native": {"enabled": True}})], "backed up"),
    # Not read: not assessed, as before.
    ("DS-NET-003", NOT_ASSESSED, [asset("db", "database", "core", network=None)],
     "exposure unknown"),
    ("DS-TST-002", NOT_ASSESSED, [asset("t", "database", "sensitive", "test",
                                        content={"status": "error", "reason": "denied"})],
     "sampling failed"),
    # Unreadable as a whole: not assessed for each policy of its kind, never not applicable.
    ("DS-NET-003", NOT_ASSESSED, [asset("db", "database", "core",
                                        assessment={"status": "not_assessed", "gaps": [
                                            {"aspect": "*", "reason": "AccessDenied"}]})],
     "an asset nobody could read"),
]


def _with_parent(assets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose first asset is a table next to a database: the table is inside it."""
    first, *rest = assets
    if first["kind"] == "table" and rest and rest[0]["kind"] == "database":
        first = {**first, "parent": rest[0]["id"]}
    return [first, *rest]


@pytest.mark.slow
@pytest.mark.parametrize("policy, expected, assets, why", CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_an_asset_counts_passed_only_when_the_policy_assessed_it(library, policy, expected,
                                                                 assets, why):
    assert state(library, policy, *_with_parent(assets)) == expected, why


@pytest.mark.slow
def test_every_shipped_policy_says_what_it_assessed(library):
    missing = [p.id for p in library.policies
               if p.package not in library.assessed_packages]
    assert missing == []


# --- user policies without the rule: the kinds fallback ---------------------------------------

USER_POLICY = '''# METADATA
# title: Caches have a name
# description: Every cache is named.
# custom:
#   id: ACME-CCH-001
#   articles: [41]
#   remediation: Name it.
#   kinds: [cache]
package dsscan.policy.acme_cch_001

import rego.v1

deny contains f if {
	some a in input.assets
	a.kind == "cache"
	a.name == ""
	f := {"asset": a.id, "level": "general", "message": "unnamed"}
}
'''


@pytest.mark.slow
@pytest.mark.parametrize("assessed_rule, expected", [
    ("", PASSED),  # no rule: every asset of its kinds, as before
    ("assessed := set()\n", NA),  # says it assessed nothing: not applicable
    ('assessed contains a.id if { some a in input.assets; a.name != "" }\n', PASSED),
])
def test_a_policy_without_an_assessed_rule_falls_back_to_its_kinds(tmp_path: Path,
                                                                   assessed_rule, expected):
    (tmp_path / "cch.rego").write_text(USER_POLICY + assessed_rule, encoding="utf-8")
    lib = load_library([tmp_path])
    result = run_scan(inv(asset("c", "cache", "general")), lib,
                      ScanOptions(config=Config(), workers=1, include=("ACME-*",)))
    assert policy_states(result)["ACME-CCH-001"].get("c") == expected


@pytest.mark.slow
def test_assessed_must_be_a_set_of_ids(tmp_path: Path):
    from dsscan.errors import PolicyError

    (tmp_path / "cch.rego").write_text(USER_POLICY + "assessed(x) := x\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="'assessed' must be a set of asset ids"):
        load_library([tmp_path])


# --- the report figures ------------------------------------------------------------------------

def test_counts_and_status_follow_the_assessed_sets():
    enc = PolicyInfo(id="DS-ENC-001", title="t", package="p", path="p.rego", articles=(41,),
                     kinds=("database",))
    assets = {a: {"name": a, "kind": "database"} for a in ("ok", "na", "gone", "gap")}
    r = ScanResult(findings=[], not_assessed=[
        NotAssessed(reason="unreadable", asset_id="gone"),
        NotAssessed(reason="key unknown", asset_id="gap", policy_id="DS-ENC-001"),
    ], policies=[enc], asset_count=4, assets=assets,
        assessed={"DS-ENC-001": frozenset({"ok"})})
    assert policy_states(r)["DS-ENC-001"] == {"ok": PASSED, "gone": NOT_ASSESSED,
                                              "gap": NOT_ASSESSED}
    c = article_rows(r)[0].counts
    assert (c.in_scope, c.passed, c.not_assessed) == (3, 1, 2)
    nothing = ScanResult(findings=[], not_assessed=[], policies=[enc], asset_count=4,
                         assets=assets, assessed={"DS-ENC-001": frozenset()})
    assert article_rows(nothing)[0].status == "no_assets"  # neutral, never passed


# --- the OPA server path -----------------------------------------------------------------------

@pytest.mark.slow
def test_an_assessed_id_the_request_did_not_hold_is_refused(library):
    from opa_data_api_server import OpaDataApiServer

    from dsscan.bundle import bundle_bytes, make_bundle

    assets = prepare(inv(asset("db", "database", "core", encryption=ENC_CMK)),
                     ScanOptions(config=Config()))
    payload = bundle_bytes(make_bundle(library, Config().policy_data()))

    def elsewhere(r: Any) -> Any:
        r["DS-ENC-001"]["assessed"] = [*r["DS-ENC-001"]["assessed"], "another-estates-db"]
        return r

    with OpaDataApiServer(payload) as srv:
        out = evaluate_remote(library, assets, Config().policy_data(), url=srv.url)
        assert out.assessed["DS-ENC-001"] == {"db"}
    with OpaDataApiServer(payload, tamper=elsewhere) as srv, \
            pytest.raises(OpaServerError, match="assessed asset 'another-estates-db' that was "
                                                "not in the request"):
        evaluate_remote(library, assets, Config().policy_data(), url=srv.url)
