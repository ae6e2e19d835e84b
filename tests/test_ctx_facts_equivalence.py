"""The eight per-asset facts Python precomputes into ``ctx`` (level, rank, protect_level,
protect_rank, environment, test, production, assessable) and the Rego fallback that computes
them when absent (policies/lib/levels.rego ``with_facts``) must give the same verdicts.

Real scans take the fast path; the Rego unit tests take the fallback. Here hypothesis
generates inventories (levels from tags, environments, kinds, copies and their vaults,
network domains, parents, content samples, unreadable assets, settings), the library runs once
as is (dsscan.pipeline.prepare → dsscan.engines.local) and once with the eight facts removed
from every asset's ctx, and every policy's deny, not_assessed and assessed must be identical."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from inventory_strategies import CONFIGS, inventories

from dsscan.config import Config
from dsscan.engines.local import EngineSpec, EvalOutput, Evaluator, _collect, chunk_inputs
from dsscan.inventory import FORMAT, parse_inventory
from dsscan.pipeline import ScanOptions, prepare
from dsscan.policy_library import load_library

pytestmark = pytest.mark.slow  # generated inventories evaluated twice

FACTS = ("level", "rank", "protect_level", "protect_rank", "environment", "test",
         "production", "assessable")


@cache
def _evaluator(config_index: int) -> tuple[Config, Evaluator]:
    config = Config(**CONFIGS[config_index])
    # One engine per config, reused: loading the library for each example would dominate.
    return config, Evaluator(EngineSpec.build(load_library(), config.policy_data()))


def _run(ev: Evaluator, assets: list[dict[str, Any]]) -> EvalOutput:
    return _collect(ev.run_chunk(doc) for doc in chunk_inputs(assets, 50))


def without_facts(assets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = copy.deepcopy(assets)
    for a in out:
        for k in FACTS:
            a["ctx"].pop(k)
    return out


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inventories())
def test_precomputed_ctx_facts_and_the_rego_fallback_give_identical_results(drawn):
    config_index, raw = drawn
    config, ev = _evaluator(config_index)
    inv = parse_inventory({"format": FORMAT, "assets": raw}, "generated")
    assets = prepare(inv, ScanOptions(config=config))
    assert all(set(FACTS) <= set(a["ctx"]) for a in assets)
    fast = _run(ev, assets)
    fallback = _run(ev, without_facts(assets))
    assert fast.deny == fallback.deny
    assert fast.not_assessed == fallback.not_assessed
    assert fast.assessed == fallback.assessed


def test_the_generator_reaches_findings_gaps_and_both_paths():
    """The property above proves something only if the generated estates make policies
    fire: run a fixed sample and require findings, not-assessed items and assessed assets
    from most policies."""
    seen: dict[str, set[str]] = {"deny": set(), "not_assessed": set(), "assessed": set()}

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(inventories())
    def collect(drawn: tuple[int, list[dict[str, Any]]]) -> None:
        config_index, raw = drawn
        config, ev = _evaluator(config_index)
        assets = prepare(parse_inventory({"format": FORMAT, "assets": raw}, "generated"),
                         ScanOptions(config=config))
        out = _run(ev, assets)
        seen["deny"].update(pid for pid, _ in out.deny)
        seen["not_assessed"].update(pid for pid, _ in out.not_assessed)
        seen["assessed"].update(pid for pid, ids in out.assessed.items() if ids)

    collect()
    assert len(seen["deny"]) >= 10, seen["deny"]
    assert len(seen["not_assessed"]) >= 6, seen["not_assessed"]
    assert len(seen["assessed"]) >= 12, seen["assessed"]
