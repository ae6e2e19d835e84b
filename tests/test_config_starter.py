"""`dsscan config init`: the starter it writes reproduces the built-in defaults exactly, so
adopting it changes no verdict, no severity and no exit code (issue 13: a starter with fewer
level tag keys turned a store tagged DataLevel=core into an unclassified one)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan

from dsscan.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
PULUMI = EX / "pulumi" / "bank" / "recorded"

# Every example estate, as the README and docs scan it.
ESTATES = {
    "inventory": ["scan", "inventory", EX / "bank-estate.json",
                  "--catalogue", EX / "catalogue.yaml"],
    "terraform": ["scan", "terraform", EX / "terraform" / "bank" / "plan.json"],
    "pulumi": ["scan", "pulumi", PULUMI / "stack-export.json", PULUMI / "preview.json"],
}
_TIMING = {"started_at", "finished_at", "duration_s", "generated_at", "elapsed_s", "time"}


def _init(tmp_path: Path) -> Path:
    path = tmp_path / ".dsscan.yaml"
    r = dsscan("config", "init", path)
    assert r.returncode == 0, r.stderr
    return path


def _fields(cfg: Config) -> dict[str, Any]:
    return {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)
            if f.name not in ("source_path", "origins")}


def test_the_starter_loads_to_exactly_the_built_in_defaults(tmp_path):
    loaded = _fields(load_config(_init(tmp_path)))
    assert loaded == _fields(Config())


def test_the_starter_keeps_every_default_level_tag_key(tmp_path):
    text = _init(tmp_path).read_text()
    assert "DataLevel" in text and "fail_on: low" in text


def _untimed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k not in _TIMING}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


@pytest.mark.parametrize("estate", sorted(ESTATES))
def test_a_scan_with_the_starter_reports_what_the_defaults_report(tmp_path, estate):
    starter = _init(tmp_path)
    reports, codes = [], []
    for i, how in enumerate((["--no-config"], ["--config", starter])):
        out = tmp_path / f"report-{i}.json"
        r = dsscan(*ESTATES[estate], *how, "-f", "json", "-o", out)
        codes.append(r.returncode)
        reports.append(_untimed(json.loads(out.read_text())))
    assert codes[0] == codes[1]
    assert reports[0]["findings"], "the example estate should have findings to compare"
    assert reports[0] == reports[1]
