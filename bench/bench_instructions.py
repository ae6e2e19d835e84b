"""Instructions per asset spent evaluating the policy catalogue, counted by valgrind: a figure
that does not move with the load of a shared machine (wall and CPU time here vary ±20 %
from run to run, more than the differences worth measuring).

Each figure is the instruction count of a child process that loads an inventory, prepares it
and evaluates it in-process (one worker), less that of the same child stopping before the
evaluation, divided by the number of assets. valgrind runs code ~40x slower: use small
estates (2,000 assets take ~20 s per count).

    python bench/bench_instructions.py                            # this tree, 2,000 assets
    python bench/bench_instructions.py --reference ../old          # side by side, same estate
    python bench/bench_instructions.py --reference ../old --per-policy

With ``--reference DIR`` (a checkout of an earlier revision with its own ``.venv``) the estate
is written by the reference's generator (so its schema accepts it) and both trees count
it. ``--per-policy`` adds each policy's marginal cost: the whole catalogue less the
catalogue without that policy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = """
import dataclasses, os, sys
from dsscan.config import Config
from dsscan.engines.local import EngineSpec, Evaluator, evaluate
from dsscan.inventory import load_inventory
from dsscan.pipeline import ScanOptions, prepare
from dsscan.policy_library import load_library
lib = load_library()
drop = os.environ.get("DSSCAN_BENCH_DROP")
if drop:
    lib = dataclasses.replace(lib, policies=[p for p in lib.policies if p.id != drop])
assets = prepare(load_inventory(sys.argv[1]), ScanOptions(config=Config()))
Evaluator(EngineSpec.build(lib, Config().policy_data()))  # loading the engine: both modes
if sys.argv[2] == "eval":
    evaluate(lib, assets, Config().policy_data(), workers=1)
"""


def count(tree: Path, python: str, estate: str, mode: str, drop: str | None) -> int:
    env = dict(os.environ, RUST_LIB_BACKTRACE="0", PYTHONDONTWRITEBYTECODE="1")
    env.pop("DSSCAN_BENCH_DROP", None)
    if drop:
        env["DSSCAN_BENCH_DROP"] = drop
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         python, "-c", CHILD, estate, mode],
        cwd=tree, env=env, capture_output=True, text=True, check=False)
    m = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if out.returncode != 0 or m is None:
        tail = out.stderr.strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"bench_instructions: the count in {tree} failed: {tail[0]}")
    return int(m.group(1).replace(",", ""))


def per_asset(tree: Path, python: str, estate: str, n: int, drop: str | None = None) -> float:
    return (count(tree, python, estate, "eval", drop)
            - count(tree, python, estate, "load", drop)) / n


def policy_ids(tree: Path, python: str) -> list[str]:
    out = subprocess.run([python, "-c", "from dsscan.policy_library import load_library; "
                          "print(' '.join(p.id for p in load_library().policies))"],
                         cwd=tree, capture_output=True, text=True, check=True)
    return out.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="assets (default 2000)")
    parser.add_argument("--reference", help="an earlier checkout with its own .venv")
    parser.add_argument("--per-policy", action="store_true",
                        help="each policy's marginal instructions per asset")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("bench_instructions: valgrind is not installed (apt-get install "
                         "valgrind)")
    trees = [("this tree", HERE.parent, sys.executable)]
    gen_tree, gen_python = HERE.parent, sys.executable
    if args.reference:
        ref = Path(args.reference).resolve()
        ref_python = str(ref / ".venv" / "bin" / "python")
        if not Path(ref_python).exists():
            raise SystemExit(f"bench_instructions: {ref} has no .venv/bin/python")
        trees.insert(0, ("reference", ref, ref_python))
        gen_tree, gen_python = ref, ref_python
    with tempfile.TemporaryDirectory() as tmp:
        estate = os.path.join(tmp, "estate.json")
        subprocess.run([gen_python, str(gen_tree / "bench" / "gen_inventory.py"),
                        str(args.size), "-o", estate], check=True, capture_output=True)
        n = len(json.loads(Path(estate).read_text(encoding="utf-8"))["assets"])
        totals: dict[str, float] = {}
        for name, tree, python in trees:
            totals[name] = per_asset(tree, python, estate, n)
            print(f"{name:>10}: {totals[name]:,.0f} instructions per asset "
                  f"({len(policy_ids(tree, python))} policies, {n} assets)", flush=True)
            if args.per_policy:
                for pid in policy_ids(tree, python):
                    marginal = totals[name] - per_asset(tree, python, estate, n, pid)
                    print(f"{'':>12}{pid}: {marginal:,.0f}", flush=True)
        if len(totals) == 2:
            print(f"this tree / reference: {totals['this tree'] / totals['reference']:.2f}x")


if __name__ == "__main__":
    main()
