"""The test suite's own speed: the inner loop and the whole suite, wall and CPU seconds, beside
a reference checkout measured in the same run (issue 13: `pytest -m "not slow"` under 60 s, the
whole suite as `scripts/test` runs it).

    python bench/bench_suite.py                       # inner loop and whole suite, this tree
    python bench/bench_suite.py --only inner          # the inner loop alone (~1 min)
    python bench/bench_suite.py --reference ../old    # also a checkout with its own .venv
                                                      # (made by its scripts/test), one process

Each run is `python -m pytest -q -p no:cacheprovider` under CI=true (a skip fails), with
PYTHONDONTWRITEBYTECODE unset as scripts/test does. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(python: Path, cwd: Path, args: list[str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the run and its children, pytest's last line)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["CI"] = "true"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                       cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [x for x in r.stdout.splitlines() if re.search(r"\d+ (passed|failed)", x)]
    return wall, cpu, (lines[-1] if lines else f"exit {r.returncode}").strip("= ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["inner", "full"], help="one of the two runs")
    ap.add_argument("--reference", type=Path,
                    help="a checkout with its own .venv: its whole suite, in one process")
    ap.add_argument("--python", type=Path, default=Path(sys.executable),
                    help="the interpreter of this tree's test virtualenv (default: this one)")
    a = ap.parse_args()
    rows = []
    if a.only in (None, "inner"):
        rows.append(("inner loop: -m 'not slow', one process",
                     *run(a.python, ROOT, ["-m", "not slow"])))
    if a.only in (None, "full"):
        rows.append(("whole suite: -n auto", *run(a.python, ROOT, ["-n", "auto"])))
    if a.reference is not None:
        ref = a.reference.resolve()
        rows.append((f"reference {ref.name}: whole suite, one process",
                     *run(ref / ".venv" / "bin" / "python", ref, [])))
    print(f"{'run':<46} {'wall s':>8} {'CPU s':>8}  result")
    for name, wall, cpu, result in rows:
        print(f"{name:<46} {wall:8.1f} {cpu:8.1f}  {result}")
    if a.reference is not None and a.only in (None, "full"):
        print(f"whole suite, reference / this tree: {rows[-1][1] / rows[-2][1]:.2f}x wall, "
              f"{rows[-1][2] / rows[-2][2]:.2f}x CPU")


if __name__ == "__main__":
    main()
