"""The evaluation engine: one aggregate query per chunk, deterministic results, engine errors
as one-line PolicyErrors, the process pool, and regorus/OPA parity on a fixture library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from opa_support import needs_opa
from synthetic_inventory import synthetic_inventory

from dsscan.config import Config
from dsscan.engines.local import EngineSpec, EvalOutput, Evaluator, aggregator_module, evaluate
from dsscan.errors import InputError, PolicyError
from dsscan.policy_library import load_library

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
ACME = FIXTURES / "acme"
CONFIG = Config().policy_data()

def _store(aid: str, level: str = "core", enabled: Any = False, **extra: Any) -> dict[str, Any]:
    return {"id": aid, "name": aid, "kind": "object_store", "level": {"value": level},
            "encryption": {"at_rest": {"enabled": enabled}}, **extra}


@pytest.fixture(scope="module")
def acme():
    return load_library([ACME], include_builtin=False)


def test_evaluate_returns_deny_and_not_assessed_per_policy(acme):
    assets = [
        _store("s-plain", "core", False),
        _store("s-enc", "core", True),
        _store("s-unknown", "sensitive", None),
        _store("s-general", "general", False),
        {"id": "db1", "name": "db1", "kind": "database", "level": {"value": "important"},
         "encryption": {"at_rest": {"enabled": True}},
         "ctx": {"domain": {"id": "d1", "name": "dmz", "level": "general",
                            "reachable_from": []}}},
    ]
    out = evaluate(acme, assets, CONFIG)
    assert [(pid, item["asset"]) for pid, item in out.deny] == [
        ("ACME-ENC-001", "s-plain"), ("ACME-NET-001", "db1")]
    enc = dict(out.deny)["ACME-ENC-001"]
    assert enc == {"asset": "s-plain", "level": "core", "message": "s-plain is not encrypted "
                   "at rest.", "evidence": {"encryption_enabled": False}}
    assert out.not_assessed == [("ACME-ENC-001", {
        "asset": "s-unknown", "reason": "encryption at rest could not be read"})]


def test_booleans_reach_rego_as_booleans_not_numbers(acme):
    # regorus 0.9.1 turns Python bools given as objects into 1/0; JSON text keeps them.
    out = evaluate(acme, [_store("s1", "core", False)], CONFIG)
    assert [pid for pid, _ in out.deny] == ["ACME-ENC-001"]


def test_no_assets_or_no_policies_gives_empty_output(acme):
    assert evaluate(acme, [], CONFIG) == EvalOutput()
    empty = load_library([], include_builtin=False)
    assert evaluate(empty, [_store("s1")], CONFIG) == EvalOutput()


def test_results_do_not_depend_on_chunk_size(acme):
    assets = synthetic_inventory(120)
    whole = evaluate(acme, assets, CONFIG, chunk_size=1000, workers=1)
    assert whole.deny and whole.not_assessed
    for size in (1, 7, 50):
        assert evaluate(acme, assets, CONFIG, chunk_size=size, workers=1) == whole


@pytest.mark.slow
def test_worker_processes_give_the_same_sorted_result(acme):
    assets = synthetic_inventory(400)
    single = evaluate(acme, assets, CONFIG, chunk_size=25, workers=1)
    pooled = evaluate(acme, assets, CONFIG, chunk_size=25, workers=2)
    assert pooled == single
    keys = [(pid, item["asset"]) for pid, item in pooled.deny]
    assert keys == sorted(keys)


def test_identical_items_from_different_chunks_are_reported_once(acme):
    twice = [_store("dup", "core", False), _store("dup", "core", False)]
    out = evaluate(acme, twice, CONFIG, chunk_size=1, workers=1)
    assert [(pid, item["asset"]) for pid, item in out.deny] == [("ACME-ENC-001", "dup")]


def test_aggregator_references_not_assessed_only_where_defined(acme):
    src = aggregator_module(acme)
    assert "data.dsscan.policy.acme_enc_001.not_assessed" in src
    assert "data.dsscan.policy.acme_net_001.not_assessed" not in src
    assert src.count('"deny"') == len(acme.policies)


def _write_policy(d: Path, pid: str, body: str, name: str | None = None) -> Path:
    pkg = pid.lower().replace("-", "_")
    path = d / (name or f"{pkg}.rego")
    path.write_text(f"""# METADATA
# title: t
# description: d
# custom:
#   id: {pid}
#   articles: [41]
#   remediation: r
package dsscan.policy.{pkg}

import rego.v1

{body}
""", encoding="utf-8")
    return path


def test_runtime_conflict_in_a_user_policy_is_one_line_naming_policy_and_file(tmp_path):
    _write_policy(tmp_path, "ACME-BAD-001", """
mode := "a" if input.assets[0]
mode := "b" if input.assets[0]

deny contains {"asset": a.id, "level": "core", "message": mode} if some a in input.assets
""")
    lib = load_library([tmp_path], include_builtin=False)
    with pytest.raises(PolicyError) as exc:
        evaluate(lib, [_store("s1")], CONFIG, workers=1)
    msg = str(exc.value)
    assert isinstance(exc.value, InputError)
    assert "\n" not in msg and "Stack backtrace" not in msg
    assert msg.startswith("policy ACME-BAD-001 failed during evaluation: ")
    assert "acme_bad_001.rego:" in msg and "conflict" in msg


def test_runtime_error_in_a_worker_process_is_raised_as_policy_error(tmp_path):
    _write_policy(tmp_path, "ACME-BAD-002", """
mode := "a" if input.assets[0]
mode := "b" if input.assets[0]

deny contains {"asset": a.id, "level": "core", "message": mode} if some a in input.assets
""")
    lib = load_library([tmp_path], include_builtin=False)
    with pytest.raises(PolicyError, match=r"^policy ACME-BAD-002 failed during evaluation"):
        evaluate(lib, [_store(f"s{i}") for i in range(10)], CONFIG, chunk_size=2, workers=2)


@pytest.mark.parametrize(("body", "expected"), [
    ('deny contains {"level": "core"} if some a in input.assets',
     "every deny item must be an object with a string 'asset'"),
    ('deny contains {"asset": a.id, "level": "high"} if some a in input.assets',
     "has no valid 'level'"),
    ('deny contains {"asset": a.id, "level": "core"} if some a in input.assets\n'
     'not_assessed contains {"asset": a.id} if some a in input.assets',
     "has no 'reason' (a string, or an object with a string 'template')"),
    ('deny contains {"asset": a.id, "level": "core", "message": {"text": "x"}} '
     'if some a in input.assets',
     "'message' must be a string or an object with a string 'template'"),
    ('deny contains {"asset": a.id, "level": "core"} if some a in input.assets\n'
     'not_assessed contains {"asset": a.id, "reason": {"template": 3}} '
     'if some a in input.assets',
     "has no 'reason' (a string, or an object with a string 'template')"),
    ('deny contains {"asset": a.id, "level": "core", "related": 5} if some a in input.assets',
     "'related' must be an asset id or a list of asset ids"),
    ('deny contains {"asset": a.id, "level": "core", "key": 1} if some a in input.assets',
     "'key' must be a string"),
    ('deny contains {"asset": a.id, "level": "core", "evidence": [1]} if some a in input.assets',
     "'evidence' must be an object"),
])
def test_items_breaking_the_output_contract_are_policy_errors(tmp_path, body, expected):
    _write_policy(tmp_path, "ACME-OUT-001", body)
    lib = load_library([tmp_path], include_builtin=False)
    with pytest.raises(PolicyError, match="ACME-OUT-001") as exc:
        evaluate(lib, [_store("s1")], CONFIG)
    assert expected in str(exc.value)


def test_an_integer_too_large_to_compare_is_a_policy_error_not_a_crash():
    """Results parsed by Python (an OPA server's JSON) may hold integers beyond 64 bits;
    two items of one asset are then compared by digest: a PolicyError, never a crash."""
    from dsscan.engines.local import _collect

    items = [{"asset": "s1", "level": "core", "evidence": {"n": 2**70}},
             {"asset": "s1", "level": "core", "evidence": {"n": 1}}]
    with pytest.raises(PolicyError, match="cannot be compared"):
        _collect([{"ACME-BIG-001": {"deny": items}}])


def test_config_is_visible_as_data_dsscan_config(tmp_path):
    _write_policy(tmp_path, "ACME-CFG-001", """
deny contains {"asset": a.id, "level": "general", "message": "m"} if {
\tsome a in input.assets
\ta.environment.value in data.dsscan.config.test_environments
}
""")
    lib = load_library([tmp_path], include_builtin=False)
    assets = [{**_store("t1"), "environment": {"value": "uat"}}]
    assert evaluate(lib, assets, CONFIG).deny == []
    custom = {**CONFIG, "test_environments": ["uat"]}
    assert [item["asset"] for _, item in evaluate(lib, assets, custom).deny] == ["t1"]


def test_evaluator_loads_policies_once_and_reuses_them(acme):
    ev = Evaluator(EngineSpec.build(acme, CONFIG))
    first = ev.run_chunk('{"assets": [{"id": "s1", "kind": "object_store", '
                         '"name": "s1", "level": {"value": "core"}, '
                         '"encryption": {"at_rest": {"enabled": false}}}]}')
    second = ev.run_chunk('{"assets": []}')
    assert [i["asset"] for i in first["ACME-ENC-001"]["deny"]] == ["s1"]
    assert second["ACME-ENC-001"]["deny"] == []


@needs_opa
def test_regorus_and_opa_agree_on_the_fixture_library(acme):
    assets = synthetic_inventory(300, seed=11)
    ours = evaluate(acme, assets, CONFIG, chunk_size=100, workers=1)
    oracle = evaluate(acme, assets, CONFIG, chunk_size=100, workers=1, engine="opa")
    assert ours.deny and ours.not_assessed
    assert ours == oracle


def test_scanner_attributes_never_reach_rego(tmp_path):
    _write_policy(tmp_path, "ACME-ATT-001", """
deny contains {"asset": a.id, "level": "core", "message": "m"} if {
\tsome a in input.assets
\ta.attributes
}
""")
    # The field lint refuses this read (attributes is not in the policy input); the engine
    # must strip them even from a library loaded without it.
    lib = load_library([tmp_path], include_builtin=False, lint=False)
    assets = [{**_store("s1"), "attributes": {"raw": {"x": 1}}}]
    assert evaluate(lib, assets, CONFIG).deny == []
    assert "attributes" in assets[0]  # the caller's asset is left alone


def test_a_worker_that_dies_is_reported_with_its_last_error_line(acme):
    with pytest.raises(PolicyError) as exc:
        evaluate(acme, [_store(f"s{i}") for i in range(4)], CONFIG, chunk_size=1, workers=2,
                 engine="no-such-engine")
    msg = str(exc.value)
    assert msg.startswith("evaluation worker stopped unexpectedly (ValueError: unknown Rego")
    assert "\n" not in msg
