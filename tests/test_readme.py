"""The README stays true: CI runs its test command, and its policy example works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsscan.engines.local import evaluate
from dsscan.policy_library import load_library

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command():
    quick = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    install_run, test_cmd = [b.strip() for b in code_blocks("sh") if b.strip() in quick][:2]
    assert "dsscan demo" in install_run
    assert test_cmd == "scripts/test"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_cmd in ci  # a line of its own: the command exactly as the README writes it
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    assert "python -m pytest" in script and "apt-get install" in script
    assert (ROOT / "scripts" / "test").stat().st_mode & 0o111  # runs as written


@pytest.mark.slow
def test_readme_policy_example_loads_lints_and_finds_core_data_abroad(tmp_path):
    [rego] = code_blocks("rego")
    (tmp_path / "bank_reg_001.rego").write_text(rego, encoding="utf-8")
    lib = load_library(extra_dirs=[tmp_path])  # lints: a bad example would raise
    policy = lib.policy("BANK-REG-001")
    assert policy is not None and policy.articles == (36,)
    assets = [
        {"id": "abroad", "kind": "database", "name": "abroad", "region": "eu-west-1",
         "level": {"value": "core"}},
        {"id": "home", "kind": "database", "name": "home", "region": "cn-north-1",
         "level": {"value": "core"}},
    ]
    only = type(lib)(policies=[policy], module_facts=lib.module_facts,
                     not_assessed_packages=lib.not_assessed_packages)
    out = evaluate(only, assets, {})
    assert [item["asset"] for _, item in out.deny] == ["abroad"]
