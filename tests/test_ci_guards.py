"""Under CI a missing real component fails the run; it is never a green run of skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
