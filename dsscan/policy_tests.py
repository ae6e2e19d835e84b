"""Run the Rego unit tests of a policy library (``test_*`` rules in ``*_test.rego`` files).

A test passes iff its rule evaluates to ``true``; undefined, any other value, or an engine
error is a failure. The built-in library (``data.dsscan.lib``) and the default
``data.dsscan.config`` are always loaded, so user tests can use the shared helpers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsscan.config import Config
from dsscan.engines import UNDEFINED, EngineError, RegoEngine, make_engine
from dsscan.engines.local import dumps
from dsscan.errors import PolicyError
from dsscan.policy_library import ModuleFacts, PolicyLibrary, load_library

TEST_PREFIX = "test_"


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    package: str
    name: str
    file: str
    passed: bool
    error: str | None = None  # why it failed: "undefined", "evaluated to ...", engine error
    duration_s: float = 0.0

    @property
    def rule(self) -> str:
        """The test rule's name (alias of ``name``)."""
        return self.name

    @property
    def ref(self) -> str:
        """Full reference, ``data.<package>.<name>``."""
        return f"data.{self.package}.{self.name}"


def discover_tests(lib: PolicyLibrary, only_user: bool = False) -> list[tuple[ModuleFacts, str]]:
    """(module, rule name) of each test, in file then source order, each name once."""
    found = []
    for m in lib.module_facts:
        if not m.is_test or (only_user and m.builtin):
            continue
        names = sorted(((defs[0][1], name) for name, defs in m.rules.items()
                        if name.startswith(TEST_PREFIX) and "." not in name
                        and all(kind in ("compr", "default") for kind, _ in defs)))
        found += [(m, name) for _, name in names]
    return found


def run_policy_tests(source: PolicyLibrary | str | Path | Iterable[str | Path] | None = None,
                     engine: str = "regorus", match: str | None = None) -> list[TestResult]:
    """Run the tests of ``source``: a loaded library (all its tests), a user policy
    directory or several (their tests, with the built-in library loaded too), or None (the
    built-in library).

    ``match`` is a regular expression searched in ``package.rule``. Raises PolicyError when
    the library itself cannot be loaded.
    """
    if isinstance(source, str | Path):
        source = [source]
    if isinstance(source, PolicyLibrary):
        lib, only_user = source, False
    elif source is None:
        lib, only_user = load_library(), False
    else:
        lib, only_user = load_library(list(source)), True
    tests = discover_tests(lib, only_user=only_user)
    if match:
        try:
            pattern = re.compile(match)
        except re.error as e:
            raise PolicyError(f"--match: not a valid regular expression ({e})") from None
        tests = [(m, n) for m, n in tests if pattern.search(f"{m.package}.{n}")]
    if not tests:
        return []
    e = _loaded_engine(lib, engine)
    # OPA prepares (compiles) every new query, ~0.3 s each: evaluate all tests in one query
    # there, and fall back to one query per test (on a clean engine) only if that fails.
    # regorus is fast per query and so gives a real duration per test.
    batch, batch_s = _run_batch(e, tests) if engine == "opa" else (None, 0.0)
    if engine == "opa" and batch is None:
        e = _loaded_engine(lib, engine)
    results = []
    for k, (m, name) in enumerate(tests):
        t0 = time.perf_counter()
        error: str | None = None
        try:
            value = batch[k] if batch is not None else e.eval_rule(f"data.{m.package}.{name}")
            if value is UNDEFINED or value == _UNDEFINED_MARK:
                error = "undefined (a condition of the test did not hold)"
            elif value is not True:
                error = f"evaluated to {dumps(value)[:80]}, not true"
        except EngineError as err:
            error = str(err)
        duration = batch_s / len(tests) if batch is not None else time.perf_counter() - t0
        results.append(TestResult(package=m.package, name=name, file=m.path,
                                  passed=error is None, error=error, duration_s=duration))
    return results


def _loaded_engine(lib: PolicyLibrary, engine: str) -> RegoEngine:
    try:
        e = make_engine(engine)
        for m in lib.module_facts:
            e.add_module(m.path, m.source)
        e.add_data_json(dumps({"dsscan": {"config": Config().policy_data()}}))
    except EngineError as err:
        raise PolicyError(str(err)) from None
    e.set_input_json(None)
    return e


_UNDEFINED_MARK = {"dsscan_internal": "undefined"}
_BATCH_PACKAGE = "dsscan_internal.tests"


def _run_batch(e: RegoEngine, tests: list[tuple[ModuleFacts, str]]
               ) -> tuple[list[Any] | None, float]:
    """All test values from one query (None if it fails), and the time it took."""
    lines = [f"package {_BATCH_PACKAGE}", "", "import rego.v1", ""]
    for k, (m, name) in enumerate(tests):
        lines += [f"default t{k} := {dumps(_UNDEFINED_MARK)}",
                  f"t{k} := data.{m.package}.{name}", ""]
    lines.append("results := [" + ", ".join(f"t{k}" for k in range(len(tests))) + "]")
    t0 = time.perf_counter()
    try:
        e.add_module("dsscan_internal/tests.rego", "\n".join(lines) + "\n")
        out = e.eval_rule(f"data.{_BATCH_PACKAGE}.results")
    except EngineError:
        return None, 0.0
    ok = isinstance(out, list) and len(out) == len(tests)
    return (out if ok else None), time.perf_counter() - t0
