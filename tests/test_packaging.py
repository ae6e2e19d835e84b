"""The wheel: built once per module (offline, with the installed setuptools), it holds every
module, policy, schema, migration and example, and the build prints no warning (setuptools
warns about package data outside the declared packages, and about a deprecated license table,
hundreds of lines in every CI log)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds the wheel

ROOT = Path(__file__).resolve().parent.parent
# Source directory -> where its files land in the wheel (pyproject's package-dir).
PACKAGE_DIRS = {"dsscan": "dsscan", "cli": "dsscan/cli", "scanners": "dsscan/scanners",
                "policies": "dsscan/policies", "examples": "dsscan/examples"}
# Not sources: what a checkout accumulates (venvs, build output, caches, bench results).
_SKIP = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__",
                               "*.pyc", ".ruff_cache", ".pytest_cache", "bench")


@dataclass
class Built:
    names: set[str]
    metadata: str
    output: str


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Built:
    # PEP 639 (a license string) needs setuptools 77; the test extra requires it.
    major = int(version("setuptools").split(".")[0])
    assert major >= 77, f"setuptools {version('setuptools')} is too old to build dsscan"
    # A copy of the tree: a stale build/ in the checkout would put files into the wheel that
    # the sources no longer have (and two builds at once would share it).
    src = tmp_path_factory.mktemp("src") / "dsscan"
    shutil.copytree(ROOT, src, ignore=_SKIP)
    out = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "-w", str(out), str(src)],
        capture_output=True, text=True, env=env, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    (whl,) = out.glob("dsscan-*.whl")
    with zipfile.ZipFile(whl) as z:
        names = set(z.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = z.read(meta).decode()
    return Built(names, metadata, output)


def _shipped(source: str, pattern: str) -> list[str]:
    """The wheel paths of the files under ``source`` matching ``pattern``."""
    top = source.split("/")[0]
    return sorted(f"{PACKAGE_DIRS[top]}/{p.relative_to(ROOT / top).as_posix()}"
                  for p in (ROOT / source).rglob(pattern)
                  if p.is_file() and "__pycache__" not in p.parts)


@pytest.mark.slow
def test_the_build_prints_no_warning(wheel: Built) -> None:
    warnings = [ln for ln in wheel.output.splitlines() if "warn" in ln.lower()]
    assert not warnings, "\n".join(warnings)


def test_the_license_is_an_spdx_expression(wheel: Built) -> None:
    assert "License-Expression: Apache-2.0" in wheel.metadata.splitlines()
    assert "License: " not in wheel.metadata  # the deprecated free-text field


@pytest.mark.parametrize(("source", "pattern"), [
    ("policies", "*.rego"),
    ("dsscan/schemas", "*.json"),
    ("dsscan/store/migrations", "*.sql"),
    ("examples", "*"),  # the examples directory whole: `dsscan demo` and the docs use it
    ("dsscan", "*.py"), ("cli", "*.py"), ("scanners", "*.py"), ("policies", "*.py"),
])
def test_every_file_is_in_the_wheel(wheel: Built, source: str, pattern: str) -> None:
    expected = _shipped(source, pattern)
    assert expected, f"no {pattern} under {source}: the test looks in the wrong place"
    missing = [n for n in expected if n not in wheel.names]
    assert not missing, f"not in the wheel: {missing}"


def test_the_marker_and_the_demo_inputs_are_in_the_wheel(wheel: Built) -> None:
    from dsscan.cli.demo import CATALOGUE, ESTATE

    for name in ("dsscan/py.typed", f"dsscan/examples/{CATALOGUE}",
                 f"dsscan/examples/{ESTATE}"):
        assert name in wheel.names, name
