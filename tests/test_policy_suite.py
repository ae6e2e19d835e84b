"""The shipped policy library's own Rego tests pass under regorus AND real OPA with identical
per-test results, every policy has tests, and both engines give the same verdicts on an
inventory. Also pins down the test runner (``dsscan policies test``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from opa_support import needs_opa
from synthetic_inventory import synthetic_inventory

from dsscan.config import Config
from dsscan.engines.local import evaluate
from dsscan.errors import PolicyError
from dsscan.policy_library import load_library
from dsscan.policy_tests import discover_tests, run_policy_tests

FIXTURES = Path(__file__).parent / "fixtures" / "policies"


@pytest.fixture(scope="module")
def shipped():
    return load_library()


@pytest.fixture(scope="module")
def regorus_results(shipped):
    return run_policy_tests(shipped, engine="regorus")


def _failures(results):
    return [f"{r.package}.{r.name} ({Path(r.file).name}): {r.error}"
            for r in results if not r.passed]


@pytest.mark.slow
def test_shipped_library_tests_pass_under_regorus(regorus_results):
    assert regorus_results, "the shipped library has no Rego test"
    assert _failures(regorus_results) == []


@pytest.mark.slow
@needs_opa
def test_shipped_library_tests_pass_under_opa_with_identical_results(shipped, regorus_results):
    oracle = run_policy_tests(shipped, engine="opa")
    assert _failures(oracle) == []
    assert [(r.package, r.name, r.passed) for r in oracle] == [
        (r.package, r.name, r.passed) for r in regorus_results]


def test_every_shipped_policy_has_a_test_file_with_passing_and_failing_cases(shipped):
    assert shipped.policies, "the shipped library has no policy"
    tests_by_file: dict[str, int] = {}
    for module, _ in discover_tests(shipped):
        tests_by_file[module.path] = tests_by_file.get(module.path, 0) + 1
    problems = []
    for p in shipped.policies:
        test_file = str(Path(p.path).with_name(Path(p.path).stem + "_test.rego"))
        n = tests_by_file.get(test_file, 0)
        if n < 2:
            problems.append(f"{p.id}: {Path(test_file).name} has {n} test rule(s), needs >= 2 "
                            "(a passing and a failing case)")
    assert problems == []


def _parity(lib, n: int, seed: int) -> None:
    cfg = Config().policy_data()
    assets = synthetic_inventory(n, seed=seed)
    ours = evaluate(lib, assets, cfg, chunk_size=64, workers=1)
    oracle = evaluate(lib, assets, cfg, chunk_size=64, workers=1, engine="opa")
    assert ours.deny, "the inventory triggers no finding: the comparison would prove nothing"
    assert ours.deny == oracle.deny
    assert ours.not_assessed == oracle.not_assessed
    assert ours.assessed, "no policy said what it assessed: the comparison would prove nothing"
    assert ours.assessed == oracle.assessed


@pytest.mark.slow
@needs_opa
def test_shipped_library_gives_identical_verdicts_under_regorus_and_opa(shipped):
    assert shipped.policies
    _parity(shipped, 400, seed=3)


@pytest.mark.slow
@needs_opa
def test_shipped_and_user_libraries_together_give_identical_verdicts():
    _parity(load_library([FIXTURES / "acme"]), 200, seed=5)


# --- the runner itself ----------------------------------------------------------------------

def _write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.slow
@pytest.mark.parametrize("given", [[FIXTURES / "uses_builtin_lib"],
                                   str(FIXTURES / "uses_builtin_lib"),
                                   FIXTURES / "uses_builtin_lib"])
def test_user_tests_run_with_the_builtin_lib_loaded(given):
    results = run_policy_tests(given)
    assert [(r.name, r.passed) for r in results] == [
        ("test_lib_is_visible", True),
        ("test_untagged_core_store_is_denied", True),
        ("test_tagged_core_store_passes", True)]
    assert {r.package for r in results} == {"dsscan.policy.acme_cls_001_test"}


@pytest.mark.slow
def test_failing_undefined_and_erroring_tests_are_failures(tmp_path):
    path = _write(tmp_path, "x_test.rego", """package acme.x_test

import rego.v1

test_ok if 1 + 1 == 2

test_false if 1 + 1 == 3

test_not_true := 7

conflict := 1 if true
conflict := 2 if true

test_error if conflict == 1
""")
    results = {r.name: r for r in run_policy_tests([tmp_path])}
    assert list(results) == ["test_ok", "test_false", "test_not_true", "test_error"]
    assert results["test_ok"].passed and results["test_ok"].error is None
    assert results["test_ok"].rule == "test_ok"
    assert results["test_ok"].ref == "data.acme.x_test.test_ok"
    assert not results["test_false"].passed
    assert results["test_false"].error.startswith("undefined")
    assert results["test_not_true"].error == "evaluated to 7, not true"
    err = results["test_error"].error
    assert err.startswith(f"{path}:") and "conflict" in err and "\n" not in err
    assert all(r.file == str(path) and r.duration_s >= 0 for r in results.values())


@pytest.mark.slow
@needs_opa
def test_runner_gives_the_same_verdicts_under_opa(tmp_path):
    _write(tmp_path, "y_test.rego", """package acme.y_test

import rego.v1

test_ok if count([1, 2]) == 2

test_false if count([1]) == 2

conflict := 1 if true
conflict := 2 if true

test_error if conflict == 1

test_with_input if input.x == 1 with input as {"x": 1}
""")
    ours = [(r.name, r.passed) for r in run_policy_tests([tmp_path])]
    oracle = run_policy_tests([tmp_path], engine="opa")
    assert [(r.name, r.passed) for r in oracle] == ours == [
        ("test_ok", True), ("test_false", False), ("test_error", False),
        ("test_with_input", True)]
    assert "conflict" in oracle[2].error


@pytest.mark.slow
def test_match_selects_tests_by_package_and_name():
    results = run_policy_tests([FIXTURES / "acme"], match=r"acme_enc_001_test\.test_un")
    assert [r.name for r in results] == ["test_unencrypted_core_store_is_denied",
                                         "test_unknown_encryption_is_not_assessed"]
    assert run_policy_tests([FIXTURES / "acme"], match="no_such_test") == []


@pytest.mark.slow
def test_bad_match_pattern_is_a_one_line_error():
    with pytest.raises(PolicyError, match="--match: not a valid regular expression"):
        run_policy_tests([FIXTURES / "acme"], match="(")


@pytest.mark.slow
def test_default_runs_the_builtin_library_tests(regorus_results):
    assert [(r.package, r.name) for r in run_policy_tests()] == [
        (r.package, r.name) for r in regorus_results]
    assert all(Path(r.file).name.endswith("_test.rego") for r in regorus_results)


@pytest.mark.slow
def test_the_example_in_the_policy_writing_guide_passes_its_tests(tmp_path):
    import re

    guide = Path(__file__).parents[1] / "docs" / "writing-policies.md"
    # The guide's whole files (a package each); its other rego blocks are fragments.
    policy, tests = [b for b in re.findall(r"```rego\n(.*?)```",
                                           guide.read_text(encoding="utf-8"), re.S)
                     if "\npackage " in "\n" + b]
    _write(tmp_path, "acme_enc_001.rego", policy)
    _write(tmp_path, "acme_enc_001_test.rego", tests)
    results = run_policy_tests([tmp_path])
    assert len(results) == 4 and _failures(results) == []


def test_the_policy_catalogue_page_lists_every_shipped_policy_with_its_articles():
    """docs/policies.md: one table row and one section per shipped policy, the articles as
    the policy's METADATA cites them (a policy merged without its docs fails here)."""
    import re

    doc = (Path(__file__).parents[1] / "docs" / "policies.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r"^\| \[(DS-[A-Z]+-\d+)\]\(#[a-z0-9-]+\) \| .+? \| ([\d, ]+) \|$", doc, flags=re.M)}
    sections = re.findall(r"^## (DS-[A-Z]+-\d+)$", doc, flags=re.M)
    shipped = {p.id: p for p in load_library().policies if p.builtin}
    assert set(rows) == set(shipped)
    assert sorted(sections) == sorted(shipped)
    for pid, arts in rows.items():
        assert [int(a) for a in arts.split(", ")] == list(shipped[pid].articles), pid
    assert f"dsscan ships {len(shipped)} Rego policies" in doc
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| (DS-[A-Z]+-\d+) \|", readme, flags=re.M)) == set(shipped)
