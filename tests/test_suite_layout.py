"""The test suite's own rules: helpers shared between modules live in support modules, never in
a test module another one imports (importing a test module runs its collection-time code and
re-registers its tests); the CLI runs through tests/cli_support.py."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
    return names


def test_no_module_imports_a_test_module() -> None:
    offenders = {p.name: sorted(n for n in _imports(p) if n.startswith("test_"))
                 for p in sorted(TESTS.glob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_cli_is_started_through_cli_support_only() -> None:
    # Every `python -m dsscan.cli.main` outside cli_support is a process on purpose: the
    # modules below say why in their docstrings (file descriptors, leaks at the fd level,
    # concurrent processes, a memory limit, dropped capabilities, the fuzzer's comparison of
    # in-process and subprocess outcomes).
    allowed = {"cli_support.py", "fuzz_support.py", "planted_scenarios.py",
               "sampling_support.py", "test_ci_examples.py", "test_output_errors.py",
               "test_store_lock.py", "test_fuzz_table.py", "test_history_cli.py",
               "test_suite_layout.py"}
    starting = {p.name for p in TESTS.glob("*.py")
                if '"dsscan.cli.main"' in p.read_text("utf-8")}
    assert starting - allowed == set()
