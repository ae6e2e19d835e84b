"""Evaluation of the full policy catalogue over generated estates: wall time, assets/s, peak RSS,
with the embedded engine (regorus) side by side with real OPA in-process (the oracle).

Each measurement runs in a fresh subprocess so its peak RSS is its own (workers included).

    python bench/bench_eval.py                  # 1k, 10k, 100k; regorus and OPA
    python bench/bench_eval.py --sizes 1000 --engines regorus

Targets (issue #2): 100k assets ≤ 10 s wall and ≤ 1.5 GB peak RSS on the 2-core machine;
dsscan at least as fast as real OPA.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure_one(path: str, engine: str, workers: int | None) -> dict[str, float]:
    """Inside the child: load → classify+relations → evaluate → findings, timed per stage."""
    from dsscan.config import Config
    from dsscan.engine import evaluate
    from dsscan.inventory import gc_paused, load_inventory
    from dsscan.pipeline import ScanOptions, prepare
    from dsscan.policy_library import load_library

    t0 = time.perf_counter()
    inv = load_inventory(path)
    t1 = time.perf_counter()
    lib = load_library()
    with gc_paused():
        assets = prepare(inv, ScanOptions(config=Config()))
    t2 = time.perf_counter()
    with gc_paused():
        out = evaluate(lib, assets, Config().policy_data(), workers=workers, engine=engine)
    t3 = time.perf_counter()
    rss_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                 resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"assets": len(assets), "load_s": t1 - t0, "prepare_s": t2 - t1,
            "evaluate_s": t3 - t2, "total_s": t3 - t0, "findings": len(out.deny),
            "not_assessed": len(out.not_assessed), "peak_rss_mb": rss_kb / 1024}


def run_child(path: str, engine: str, workers: int | None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", path, "--engine", engine]
    if workers:
        cmd += ["--workers", str(workers)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--engines", nargs="+", default=["regorus", "opa"])
    ap.add_argument("--workers", type=int, default=None,
                    help="engine worker processes (default: dsscan's choice, ≤ 2)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="regorus", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        print(json.dumps(measure_one(args.child, args.engine, args.workers)))
        return

    sys.path.insert(0, str(HERE))
    from gen_inventory import generate

    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    header = (f"{'assets':>8} {'engine':>8} {'load s':>7} {'prep s':>7} {'eval s':>7} "
              f"{'total s':>8} {'assets/s':>9} {'RSS MB':>7} {'findings':>9}")
    print(header)
    rows: dict[tuple[int, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = os.path.join(tmp, f"estate-{n}.json")
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(generate(n), fh)
            for engine in args.engines:
                r = run_child(path, engine, args.workers)
                rows[(n, engine)] = r
                print(f"{n:>8} {engine:>8} {r['load_s']:>7.2f} {r['prepare_s']:>7.2f} "
                      f"{r['evaluate_s']:>7.2f} {r['total_s']:>8.2f} "
                      f"{n / r['total_s']:>9.0f} {r['peak_rss_mb']:>7.0f} "
                      f"{int(r['findings']):>9}", flush=True)
    if "regorus" in args.engines and "opa" in args.engines:
        print("\nratio dsscan(regorus) / real OPA, same pipeline (lower is better):")
        for n in args.sizes:
            a, b = rows[(n, "regorus")], rows[(n, "opa")]
            same = "identical" if (a["findings"], a["not_assessed"]) == \
                (b["findings"], b["not_assessed"]) else "DIFFERENT"
            print(f"{n:>8} assets: evaluate {a['evaluate_s'] / b['evaluate_s']:.2f}x, "
                  f"total {a['total_s'] / b['total_s']:.2f}x; findings {same}")
    big = max(args.sizes)
    if (big, "regorus") in rows and big >= 100000:
        r = rows[(big, "regorus")]
        print(f"\ntarget 100k ≤ 10 s and ≤ 1.5 GB: {r['total_s']:.2f} s, "
              f"{r['peak_rss_mb']:.0f} MB peak RSS")


if __name__ == "__main__":
    main()
