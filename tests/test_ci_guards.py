"""Under CI a missing real component fails the run; it is never a green run of skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test starts pytest in a subprocess

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_under_ci_a_missing_opa_oracle_stops_the_session(tmp_path: Path) -> None:
    broken = tmp_path / "opa_bindings"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('not here')\n", encoding="utf-8")
    env = {**os.environ, "CI": "true",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--collect-only", "tests/test_readme.py"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0
    assert "CI is set but opa_bindings" in r.stdout + r.stderr

    env.pop("CI")  # outside CI the same machine collects, and the OPA tests would skip
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--collect-only", "tests/test_readme.py"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


PROBE = "tests/probes/skip_probe.py"  # one test that skips as a missing component does


def _pytest(*args: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_under_ci_a_skipped_test_fails_the_run() -> None:
    # PostgreSQL not installed, an OPA marker, any future pytest.skip: under CI each is a
    # failure naming its reason, so a green CI run has run every test.
    r = _pytest(PROBE, ci=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed" in r.stdout
    assert "skipped under CI, which must run every test: " in r.stdout
    assert "the component is not installed" in r.stdout


def test_outside_ci_the_same_test_is_a_skip() -> None:
    r = _pytest(PROBE, "-rs", ci=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 skipped" in r.stdout and "the component is not installed" in r.stdout


def test_markers_follow_the_components_a_test_starts() -> None:
    # Derived from the fixtures (tests/conftest.py): a test that starts PostgreSQL or moto's
    # server carries the marker, so `-m "not postgres"` really runs without the server.
    r = _pytest("--collect-only", "-m", "postgres", "tests/test_store.py",
                "tests/test_history_cli.py", ci=False)
    ids = {x for x in r.stdout.splitlines() if "::" in x}
    assert {  # by a fixture it uses, and by the backend parameter of the `url` fixture
        "tests/test_store.py::test_an_unreachable_server_is_one_line",
        "tests/test_history_cli.py::test_history_never_prints_a_password_holding_hash_or_"
        "question_mark",
        "tests/test_store.py::test_diff_of_a_run_with_itself_is_empty[postgresql]",
    } <= ids, ids
    assert not any("[sqlite]" in x for x in ids)
    r = _pytest("--collect-only", "-m", "moto_server", "tests/test_aws_cli.py", ci=False)
    assert len([x for x in r.stdout.splitlines() if "::" in x]) >= 5, r.stdout
