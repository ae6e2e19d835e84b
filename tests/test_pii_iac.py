"""DS-PII-001 from Terraform and Pulumi: a plan or a program describes log groups and buckets,
never their content, so the policy neither passes nor fails them — every description gives
no finding, no not-assessed item of its own and nothing assessed (not applicable), the same as
a live sweep without --sample-data. The live side: tests/test_pii_sampling.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from parity_support import pulumi_inventory, record_program

from dsscan.config import Config
from dsscan.engines.local import evaluate
from dsscan.pipeline import ScanOptions, prepare
from dsscan.policy_library import load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLAN = FIXTURES / "terraform" / "logging-plan.json"
PROGRAM = FIXTURES / "pulumi" / "logging"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: Any) -> dict[str, Path]:
    return record_program(tmp_path_factory, PROGRAM)


def pii_items(inv: Any) -> tuple[list[Any], list[Any], set[str], int]:
    lib = load_library()
    lib = dataclasses.replace(lib, policies=[p for p in lib.policies if p.id == "DS-PII-001"])
    assets = prepare(inv, ScanOptions(config=Config()))
    groups = [a for a in assets if a["kind"] == "log_sink" and a.get("content") is None
              and "exports" not in a]
    out = evaluate(lib, assets, Config().policy_data(), workers=1)
    return out.deny, out.not_assessed, out.assessed.get("DS-PII-001", set()), len(groups)


def test_terraform_plan_never_decides_it():
    deny, na, assessed, groups = pii_items(
        build_inventory(read_plan(str(PLAN)), tool="terraform", files=[str(PLAN)]))
    assert (deny, na, assessed) == ([], [], set())
    assert groups > 0  # the plan's log groups are there, without content


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi_never_decides_it(source: str, recorded: dict[str, Path]):
    deny, na, assessed, groups = pii_items(pulumi_inventory(source, PROGRAM, recorded))
    assert (deny, na, assessed) == ([], [], set())
    assert groups > 0
