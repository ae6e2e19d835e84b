"""Evaluation of the full policy catalogue over generated estates: wall time, assets/s, peak RSS,
with the embedded engine (regorus) side by side with real OPA in-process (the oracle).

Each measurement runs in a fresh subprocess so its peak RSS is its own (workers included).

The stage figures (load → prepare → evaluate) leave out what a user also waits for: building
the findings (masking every message and evidence value), rendering the report and writing it.
So, for each size, the real CLI is timed end to end as well, the way a user runs it:
``dsscan scan inventory FILE -f FMT -o OUT`` in a subprocess (regorus, dsscan's default worker
count), wall time from start to exit and the peak RSS of its largest process (os.wait4), for
json, table and sarif reports. OUT is removed before each run, as in a fresh CI job.

    python bench/bench_eval.py                  # 1k, 10k, 100k; regorus and OPA; CLI
    python bench/bench_eval.py --sizes 1000 --engines regorus
    python bench/bench_eval.py --sizes 100000 --engines regorus --cli-runs 3 --formats json
    python bench/bench_eval.py --sizes 100000 --reference ../old --runs 3   # catalogue growth

With ``--reference DIR`` (a checkout of an earlier revision with its own ``.venv``) each size
is generated once by the reference's own generator (so its schema accepts it), then evaluated
by the reference and by this tree in alternating fresh processes, ``--runs`` times each; the
medians of evaluation wall and CPU seconds per asset are compared: what a larger catalogue
costs on the same inventory. The CLI runs and the OPA comparison are skipped in this mode.

Targets (issue #2): 100k assets ≤ 10 s wall and ≤ 1.5 GB peak RSS on the 2-core machine;
dsscan at least as fast as real OPA; the 100k CLI run (json report) ≤ 10 s end to end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure_one(path: str, engine: str, workers: int | None) -> dict[str, float]:
    """Inside the child: load → classify+relations → evaluate → findings, timed per stage."""
    from dsscan.config import Config
    from dsscan.engines.local import evaluate
    from dsscan.gc_pause import gc_paused
    from dsscan.inventory import load_inventory
    from dsscan.pipeline import ScanOptions, prepare
    from dsscan.policy_library import load_library

    t0 = time.perf_counter()
    inv = load_inventory(path)
    t1 = time.perf_counter()
    lib = load_library()
    with gc_paused():
        assets = prepare(inv, ScanOptions(config=Config()))
    t2 = time.perf_counter()
    c2 = _cpu()
    with gc_paused():
        out = evaluate(lib, assets, Config().policy_data(), workers=workers, engine=engine)
    t3 = time.perf_counter()
    c3 = _cpu()
    rss_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                 resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"assets": len(assets), "load_s": t1 - t0, "prepare_s": t2 - t1,
            "evaluate_s": t3 - t2, "evaluate_cpu_s": c3 - c2, "total_s": t3 - t0,
            "findings": len(out.deny), "policies": len(lib.policies),
            "assessed": sum(len(v) for v in out.assessed.values()),
            "not_assessed": len(out.not_assessed), "peak_rss_mb": rss_kb / 1024}


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the engine workers): on a shared
    machine this moves far less with other load than wall time does."""
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                  resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_child(path: str, engine: str, workers: int | None,
              tree: Path | None = None) -> dict[str, float]:
    """One measurement in a fresh process: of this tree, or of ``tree`` (its .venv and its
    own copy of this script)."""
    python, script = ((str(tree / ".venv" / "bin" / "python"),
                       str(tree / "bench" / "bench_eval.py")) if tree else
                      (sys.executable, __file__))
    cmd = [python, script, "--child", path, "--engine", engine]
    if workers:
        cmd += ["--workers", str(workers)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cli_command() -> list[str]:
    """The ``dsscan`` console script of this interpreter's environment (as a user runs it),
    else the same entry point through ``-m``."""
    script = Path(sys.executable).with_name("dsscan")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "dsscan.cli.main"]


def run_cli(path: str, fmt: str, out: str) -> dict[str, float]:
    """One end-to-end CLI run: wall time until the process has exited, and its peak RSS.

    ``os.wait4`` reports the child's own rusage, whose ru_maxrss covers the engine workers it
    waited for too (the largest of them, as RUSAGE_CHILDREN does for the stage figures)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(out)
    cmd = [*cli_command(), "scan", "inventory", path, "-f", fmt, "-o", out]
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if code not in (0, 1, 3):  # 1: findings, 3: incomplete; 2 or a signal: it failed
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} exited {code}: "
                             f"{err.read().decode('utf-8', 'replace').strip()[-500:]}")
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
            "report_mb": os.path.getsize(out) / 1e6, "exit": code}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--engines", nargs="+", default=["regorus", "opa"])
    ap.add_argument("--workers", type=int, default=None,
                    help="engine worker processes (default: dsscan's choice, ≤ 2)")
    ap.add_argument("--formats", nargs="*", default=["json", "table", "sarif"],
                    choices=["json", "table", "sarif", "junit"],
                    help="report formats of the end-to-end CLI runs (none: skip them)")
    ap.add_argument("--cli-runs", type=int, default=1,
                    help="CLI runs per size and format; the median is shown (default 1)")
    ap.add_argument("--reference", type=Path, default=None,
                    help="a checkout of an earlier revision with its own .venv: evaluate the "
                         "same inventories with both catalogues, alternating")
    ap.add_argument("--runs", type=int, default=3,
                    help="with --reference: measurements per tree and size (median)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="regorus", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        print(json.dumps(measure_one(args.child, args.engine, args.workers)))
        return

    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    if args.reference is not None:
        compare_catalogues(args.reference.resolve(), args.sizes, args.workers, args.runs)
        return
    header = (f"{'assets':>8} {'engine':>8} {'load s':>7} {'prep s':>7} {'eval s':>7} "
              f"{'eval cpu':>8} {'total s':>8} {'assets/s':>9} {'RSS MB':>7} {'findings':>9} "
              f"{'assessed':>9}")
    print(header)
    rows: dict[tuple[int, str], dict[str, float]] = {}
    cli: dict[tuple[int, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths: dict[int, str] = {}
        for n in args.sizes:
            path = paths[n] = os.path.join(tmp, f"estate-{n}.json")
            # In a child: building 100k assets here would leave this process at ~200 MB, which
            # every process it starts counts as its own peak RSS (the kernel's high-water mark
            # survives exec).
            subprocess.run([sys.executable, str(HERE / "gen_inventory.py"), str(n), "-o", path],
                           check=True, stdout=subprocess.DEVNULL)
            for engine in args.engines:
                r = run_child(path, engine, args.workers)
                rows[(n, engine)] = r
                print(f"{n:>8} {engine:>8} {r['load_s']:>7.2f} {r['prepare_s']:>7.2f} "
                      f"{r['evaluate_s']:>7.2f} {r['evaluate_cpu_s']:>8.2f} "
                      f"{r['total_s']:>8.2f} "
                      f"{n / r['total_s']:>9.0f} {r['peak_rss_mb']:>7.0f} "
                      f"{int(r['findings']):>9} {int(r['assessed']):>9}", flush=True)
        if args.formats:
            print(f"\nend to end: {' '.join(cli_command())} scan inventory FILE -f FMT -o OUT "
                  f"(regorus; median of {args.cli_runs}; vs stages: seconds beyond the "
                  "load → prepare → evaluate total above)")
            print(f"{'assets':>8} {'format':>8} {'wall s':>7} {'assets/s':>9} {'RSS MB':>7} "
                  f"{'report MB':>10} {'vs stages':>10}")
            for n in args.sizes:
                for fmt in args.formats:
                    runs = [run_cli(paths[n], fmt, os.path.join(tmp, f"out-{n}.{fmt}"))
                            for _ in range(max(1, args.cli_runs))]
                    wall = statistics.median(r["wall_s"] for r in runs)
                    c = cli[(n, fmt)] = {**runs[0], "wall_s": wall,
                                         "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}
                    # How much longer than load → prepare → evaluate the user waits.
                    stages = rows.get((n, "regorus"), {}).get("total_s")
                    extra = f"{wall - stages:+10.2f}" if stages else f"{'':>10}"
                    print(f"{n:>8} {fmt:>8} {wall:>7.2f} {n / wall:>9.0f} "
                          f"{c['peak_rss_mb']:>7.0f} {c['report_mb']:>10.1f} {extra}",
                          flush=True)
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
    if (big, "json") in cli and big >= 100000:
        c = cli[(big, "json")]
        print(f"target 100k CLI (json report) ≤ 10 s end to end: {c['wall_s']:.2f} s, "
              f"{c['peak_rss_mb']:.0f} MB peak RSS")


def compare_catalogues(ref: Path, sizes: list[int], workers: int | None, runs: int) -> None:
    """The same inventories through the reference's catalogue and this tree's, alternating
    so that load on a shared machine falls on both alike."""
    gen = [str(ref / ".venv" / "bin" / "python"), str(ref / "bench" / "gen_inventory.py")]
    print(f"reference: {ref} (its generator writes the inventories); {runs} runs each, "
          "alternating; medians")
    print(f"{'assets':>8} {'tree':>10} {'policies':>8} {'eval s':>7} {'eval cpu':>8} "
          f"{'µs/asset':>9} {'cpu µs/asset':>12} {'findings':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = os.path.join(tmp, f"estate-{n}.json")
            subprocess.run([*gen, str(n), "-o", path], check=True, stdout=subprocess.DEVNULL)
            got: dict[str, list[dict[str, float]]] = {"reference": [], "this tree": []}
            for _ in range(max(1, runs)):
                got["reference"].append(run_child(path, "regorus", workers, ref))
                got["this tree"].append(run_child(path, "regorus", workers))
            med: dict[str, tuple[float, float]] = {}
            for tree, rs in got.items():
                wall = statistics.median(r["evaluate_s"] for r in rs)
                cpu = statistics.median(r["evaluate_cpu_s"] for r in rs)
                med[tree] = (wall, cpu)
                print(f"{n:>8} {tree:>10} {int(rs[0].get('policies', 0)):>8} {wall:>7.2f} "
                      f"{cpu:>8.2f} {wall / n * 1e6:>9.1f} {cpu / n * 1e6:>12.1f} "
                      f"{int(rs[0]['findings']):>9}", flush=True)
            (rw, rc), (tw, tc) = med["reference"], med["this tree"]
            print(f"{n:>8} this tree / reference: evaluation {tw / rw:.2f}x wall, "
                  f"{tc / rc:.2f}x CPU per asset")


if __name__ == "__main__":
    main()
