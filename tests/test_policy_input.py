"""The policy input contract (dsscan/schemas/policy-input-v1.json) holds for what Python really
hands to the engine: every chunk built for the example estates validates, a fact Python
attaches wrongly is caught with its JSON path, and the schema stays in step with the
inventory schema and with docs/architecture.md."""

from __future__ import annotations

import copy
import glob
import re
from pathlib import Path

import pytest

from dsscan import policy_input
from dsscan.catalogue import load_catalogue
from dsscan.cli.main import main
from dsscan.config import Config
from dsscan.errors import PolicyError
from dsscan.inventory import load_inventory
from dsscan.inventory import schema as inventory_schema
from dsscan.pipeline import ScanOptions, prepare

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "examples" / "bank-estate.json"


def bank_assets() -> list[dict]:
    opts = ScanOptions(config=Config(),
                       catalogue=load_catalogue(ROOT / "examples" / "catalogue.yaml"))
    return prepare(load_inventory(BANK), opts)


def test_every_asset_of_the_bank_estate_matches_the_schema():
    assets = bank_assets()
    assert len(assets) > 30
    policy_input.check_assets(assets, Config().policy_data())  # raises on any mismatch
    # Every relation the schema describes occurs in the estate, so each was validated.
    ctx = [a["ctx"] for a in assets]
    for key in ("domain", "built_in_backup", "vault"):  # (no table with a parent here)
        assert any(c[key] is not None for c in ctx), key
    for key in ("backups", "sources", "contents"):
        assert any(c[key] for c in ctx), key


# The example estates as the golden reports run them: the CLI validates every chunk it hands
# to the engine when DSSCAN_CHECK_POLICY_INPUT is set (the pool path included: chunks are
# checked before they are spread).
ESTATES = {
    "inventory": ["scan", "inventory", str(BANK), "--catalogue",
                  str(ROOT / "examples" / "catalogue.yaml")],
    "terraform": ["scan", "terraform", str(ROOT / "examples/terraform/bank/plan.json")],
    "pulumi-recorded": ["scan", "pulumi",
                        *sorted(glob.glob(str(ROOT / "examples/pulumi/bank/recorded/*")))],
    "demo-saved": ["demo", "--saved"],
}


@pytest.mark.parametrize("args", ESTATES.values(), ids=ESTATES.keys())
def test_the_cli_input_of_every_example_estate_matches_the_schema(args, monkeypatch, capsys,
                                                                  tmp_path):
    monkeypatch.setenv(policy_input.CHECK_ENV, "1")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main([*args, "-f", "json", "-o", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert "policy input does not match" not in err
    assert e.value.code in (0, 1, 3), err
    assert (tmp_path / "r.json").exists()


@pytest.mark.parametrize(("path", "value", "expected"), [
    (("ctx", "rank"), "high", "$.assets[0].ctx.rank"),
    (("ctx", "protect_level"), "secret", "$.assets[0].ctx.protect_level"),
    (("ctx", "test"), None, "$.assets[0].ctx.test"),
    (("ctx", "surprise"), 1, "$.assets[0].ctx"),
    (("ctx", "backups"), [{"id": "b", "relation": "backup", "separate": None}],
     "$.assets[0].ctx.backups[0]"),
    (("ctx", "domain"), {"id": "d"}, "$.assets[0].ctx.domain"),
    (("attributes",), {"x": 1}, None),  # never sent to the engine: not part of the input
])
def test_a_fact_attached_wrongly_is_caught_with_its_path(path, value, expected):
    assets = copy.deepcopy(bank_assets()[:1])
    target = assets[0]
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    if expected is None:
        policy_input.check_assets(assets, Config().policy_data())
        return
    with pytest.raises(PolicyError) as e:
        policy_input.check_assets(assets, Config().policy_data())
    assert expected in str(e.value)


def test_the_engine_checks_its_input_only_when_asked(monkeypatch):
    from dsscan.engines.local import evaluate
    from dsscan.policy_library import load_library

    assets = copy.deepcopy(bank_assets()[:2])
    assets[0]["ctx"]["rank"] = "high"
    lib = load_library()
    evaluate(lib, assets, Config().policy_data())  # not asked: no cost, no check
    monkeypatch.setenv(policy_input.CHECK_ENV, "1")
    with pytest.raises(PolicyError, match=r"\$\.assets\[0\]\.ctx\.rank"):
        evaluate(lib, assets, Config().policy_data())


def test_config_data_matches_the_schema():
    assert policy_input.config_errors(Config().policy_data()) == []
    bad = dict(Config().policy_data(), backup_separation="bucket")
    assert policy_input.config_errors(bad)


def test_policy_assets_are_inventory_assets_without_attributes_plus_ctx():
    inv = set(inventory_schema()["$defs"]["asset"]["properties"])
    pol = policy_input.schema()["$defs"]["asset"]["properties"]
    assert set(pol) == (inv - {"attributes"}) | {"ctx"}
    for name, prop in pol.items():  # referenced, never copied
        if name != "ctx":
            assert prop == {"$ref": f"inventory-v1.json#/$defs/asset/properties/{name}"}


def test_architecture_md_documents_every_ctx_field():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    ctx = policy_input.schema()["$defs"]["ctx"]["properties"]
    missing = [k for k in ctx if not re.search(rf'"{k}"|`{k}`', text)]
    assert missing == []
