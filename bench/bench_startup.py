"""Start-up time of `dsscan --help`, beside a bare `python -c pass` (the floor).

    python bench/bench_startup.py [--runs 15]

Target (issue #2): `dsscan --help` ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def timed(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    exe = shutil.which("dsscan")
    dsscan = [exe] if exe else [sys.executable, "-m", "dsscan.cli.main"]
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("dsscan --help", [*dsscan, "--help"]),
        ("dsscan --version", [*dsscan, "--version"]),
        ("dsscan scan --help", [*dsscan, "scan", "--help"]),
    ]
    floor = None
    print(f"{'command':<22} {'median s':>9} {'min s':>7} {'vs python':>10}")
    for name, cmd in rows:
        t = timed(cmd, args.runs)
        med = statistics.median(t)
        floor = floor or med
        print(f"{name:<22} {med:>9.3f} {min(t):>7.3f} {med / floor:>9.1f}x")


if __name__ == "__main__":
    main()
