"""Each shipped policy is evaluated only over the assets of its METADATA kinds
(dsscan/engines/scope.py). That is sound only if no shipped policy judges another kind: a
policy that did would lose its findings on those assets — a wrong pass made by the engine.

So, over estates nobody tuned for this (the example bank estate, its Terraform plan and
recorded Pulumi export, the benchmark generator's estate, generated inventories, and the
bank estate with asset kinds swapped at random so that every kind carries every other kind's
facts), every policy is run over every asset and:

- every item it produces (deny, not_assessed, assessed) is about an asset of its kinds;
- the scoped evaluation equals the unscoped one, item for item — in one process and in the
  worker pool.

A user's policy keeps seeing every asset, whatever kinds it declares.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import random
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from inventory_strategies import CONFIGS, inventories, prepared

from dsscan.config import Config
from dsscan.engines.local import EvalOutput, evaluate
from dsscan.engines.scope import plan_chunks, scope
from dsscan.errors import InputError
from dsscan.inventory import FORMAT, parse_inventory
from dsscan.pipeline import ScanOptions, prepare
from dsscan.policy_library import PolicyLibrary, load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.pulumi_source import read_path
from dsscan.scanners.terraform import read_plan

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "examples" / "bank-estate.json"
PLAN = ROOT / "examples" / "terraform" / "bank" / "plan.json"
EXPORT = ROOT / "examples" / "pulumi" / "bank" / "recorded" / "stack-export.json"
KINDS = json.loads((ROOT / "dsscan" / "schemas" / "inventory-v1.json").read_text(
    encoding="utf-8"))["$defs"]["asset"]["properties"]["kind"]["enum"]


@cache
def library() -> PolicyLibrary:
    return load_library()


def _bench_estate(n: int) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("gen_inventory",
                                                  ROOT / "bench" / "gen_inventory.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.generate(n)["assets"]


def _prepared(raw: list[dict[str, Any]] | Any, config: Config | None = None,
              where: str = "estate") -> list[dict[str, Any]]:
    config = config or Config()
    inv = (raw if not isinstance(raw, list)  # prepare() adds ctx to the assets it is given
           else parse_inventory({"format": FORMAT, "assets": copy.deepcopy(raw)}, where))
    return prepare(inv, ScanOptions(config=config))


def _kind_swapped(seed: int) -> list[dict[str, Any]]:
    """The bank estate with about a third of its assets given another kind (facts kept)."""
    rnd = random.Random(seed)
    assets = copy.deepcopy(json.loads(BANK.read_text(encoding="utf-8"))["assets"])
    for a in assets:
        if rnd.random() < 0.35:
            a["kind"] = rnd.choice(KINDS)
    return assets


def _estates() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Estates by family, then by name."""
    bank = json.loads(BANK.read_text(encoding="utf-8"))["assets"]
    swapped: dict[str, list[dict[str, Any]]] = {}
    for seed in range(24):
        try:
            swapped[f"seed {seed}"] = _prepared(_kind_swapped(seed))
        except InputError:  # a kind whose required facts the swap left out
            continue
    assert len(swapped) >= 12, f"only {len(swapped)} kind-swapped estates are valid"
    return {
        "bank estate": {"default settings": _prepared(bank),
                        "other settings": _prepared(bank, Config(**CONFIGS[3]))},
        "terraform plan": {"plan": _prepared(build_inventory(
            read_plan(str(PLAN)), tool="terraform", files=[str(PLAN)]))},
        "pulumi export": {"export": _prepared(build_inventory(
            read_path(str(EXPORT)).resources, tool="pulumi", files=[str(EXPORT)]))},
        "benchmark estate": {"2000 assets": _prepared(_bench_estate(2000))},
        "kinds swapped": swapped,
    }


@cache
def estates() -> dict[str, dict[str, list[dict[str, Any]]]]:
    return _estates()


def _items(out: EvalOutput) -> list[tuple[str, str, str]]:
    """(policy, rule, asset id) of every item."""
    got = [(pid, "deny", item["asset"]) for pid, item in out.deny]
    got += [(pid, "not_assessed", item["asset"]) for pid, item in out.not_assessed]
    got += [(pid, "assessed", i) for pid, ids in out.assessed.items() for i in ids]
    return got


@pytest.mark.slow
@pytest.mark.parametrize("family", ["bank estate", "terraform plan", "pulumi export",
                                    "benchmark estate", "kinds swapped"])
def test_every_shipped_policy_judges_only_the_kinds_its_metadata_names(family):
    lib = library()
    kinds = {p.id: set(p.kinds) for p in lib.policies}
    seen: set[str] = set()
    for label, assets in estates()[family].items():
        kind_of = {a["id"]: a["kind"] for a in assets}
        out = evaluate(lib, assets, Config().policy_data(), workers=1, scoped=False)
        wrong = sorted({(pid, rule, kind_of[a]) for pid, rule, a in _items(out)
                        if kind_of[a] not in kinds[pid]})
        assert not wrong, (f"{family}, {label}: these policies judged kinds their METADATA "
                           f"does not name (add them to custom.kinds): {wrong}")
        seen.update(pid for pid, _, _ in _items(out))
    # The check means something only if the estates make the policies speak.
    assert len(seen) >= (10 if family in ("terraform plan", "pulumi export") else 15), seen


def _same(lib: PolicyLibrary, assets: list[dict[str, Any]], label: str, **kw: Any) -> None:
    data = Config().policy_data()
    scoped = evaluate(lib, assets, data, **kw)
    everything = evaluate(lib, assets, data, scoped=False, **kw)
    assert scoped.deny == everything.deny, label
    assert scoped.not_assessed == everything.not_assessed, label
    assert scoped.assessed == everything.assessed, label


@pytest.mark.slow
def test_scoped_and_unscoped_evaluation_give_identical_results():
    for family, members in estates().items():
        for label, assets in members.items():
            _same(library(), assets, f"{family}, {label}", chunk_size=7, workers=1)


@pytest.mark.slow
def test_scoped_evaluation_in_the_worker_pool_equals_the_unscoped_one():
    (assets,) = estates()["benchmark estate"].values()
    _same(library(), assets, "benchmark estate", chunk_size=20, workers=2)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inventories())
def test_scoped_evaluation_of_generated_inventories_equals_the_unscoped_one(drawn):
    config, assets = prepared(drawn)
    lib = library()
    scoped = evaluate(lib, assets, config.policy_data(), chunk_size=5, workers=1)
    everything = evaluate(lib, assets, config.policy_data(), chunk_size=5, workers=1,
                          scoped=False)
    assert (scoped.deny, scoped.not_assessed, scoped.assessed) == (
        everything.deny, everything.not_assessed, everything.assessed)


USER_POLICY = '''# METADATA
# title: Databases are named
# description: A user's policy whose kinds say object_store while it judges databases.
# custom:
#   id: ACME-DB-001
#   articles: [27]
#   remediation: Name it.
#   kinds: [object_store]
package dsscan.policy.acme_db_001

import rego.v1

deny contains {"asset": a.id, "level": "general", "message": "a database"} if {
\tsome a in input.assets
\ta.kind == "database"
}
'''


def test_a_user_policy_sees_every_asset_whatever_kinds_it_declares(tmp_path):
    (tmp_path / "acme_db_001.rego").write_text(USER_POLICY, encoding="utf-8")
    lib = load_library([tmp_path])
    assets = _prepared(json.loads(BANK.read_text(encoding="utf-8"))["assets"])
    out = evaluate(lib, assets, Config().policy_data(), workers=1)
    databases = sorted(a["id"] for a in assets if a["kind"] == "database")
    assert databases
    assert sorted(item["asset"] for pid, item in out.deny if pid == "ACME-DB-001") == databases


def test_each_group_holds_exactly_the_policies_its_kinds_need():
    lib = library()
    sc = scope(lib)
    assert {pid for g in sc.groups for pid in g} == {p.id for p in lib.policies}
    for kind, g in sc.by_kind.items():
        assert set(sc.groups[g]) == {p.id for p in lib.policies if kind in p.kinds}, kind
    assert sc.default is None  # every shipped policy names its kinds


def test_assets_no_selected_policy_reads_are_not_handed_to_the_engine():
    """``--policy DS-KMS-001``: only the keys reach the engine."""
    lib = library()
    keys_only = dataclasses.replace(lib, policies=[p for p in lib.policies
                                                  if p.id == "DS-KMS-001"])
    assets = [{"id": f"{k}-{i}", "kind": k} for i in range(3)
              for k in ("object_store", "key", "security_group")]
    chunks = plan_chunks(assets, scope(keys_only), 2)
    assert [[a["id"] for a in c] for _, c in chunks] == [["key-0", "key-1"], ["key-2"]]
    bank = _prepared(json.loads(BANK.read_text(encoding="utf-8"))["assets"])
    out = evaluate(keys_only, bank, Config().policy_data(), workers=1)
    assert {pid for pid, _ in out.deny} == {"DS-KMS-001"}
    assert set(out.assessed) == {"DS-KMS-001"}


def test_chunks_hold_one_group_in_inventory_order():
    sc = scope(library())
    assets = [{"id": f"{k}-{i}", "kind": k} for i in range(3)
              for k in ("object_store", "snapshot", "key")]
    chunks = plan_chunks(assets, sc, 2)
    assert [[a["id"] for a in c] for _, c in chunks] == [
        ["object_store-0", "object_store-1"], ["object_store-2"],
        ["snapshot-0", "snapshot-1"], ["snapshot-2"], ["key-0", "key-1"], ["key-2"]]
    assert len({g for g, _ in chunks}) == 3


def test_a_policy_none_of_whose_kinds_is_present_assessed_nothing():
    lib = library()
    assets = _prepared([a for a in json.loads(BANK.read_text(encoding="utf-8"))["assets"]
                        if a["kind"] != "key"])
    for scoped in (True, False):
        out = evaluate(lib, assets, Config().policy_data(), workers=1, scoped=scoped)
        assert out.assessed["DS-KMS-001"] == set()
