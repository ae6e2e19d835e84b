"""The history store: storing runs, reading history, diffing, on SQLite and PostgreSQL.

    python bench/bench_store.py                       1,000 runs x 1,000 findings, both stores
    python bench/bench_store.py --runs 50 --findings 200     quick mode
    python bench/bench_store.py --no-postgres

Reference, side by side: what teams keep without a store — each run's JSON report as a file
(a CI artifact) — timed for writing a run and for answering `dsscan history`'s question (runs
with counts by level) by reading every report back.

Each run differs from the one before (1 % of findings fixed, 1 % new, 0.5 % at another level),
as nightly sweeps do. Figures: seconds per run stored (mean, p50, p95) and in total, database
size, `list_runs` / `trend` / `diff` latency in-process (median), and `dsscan history` as a
user runs it (a subprocess, median wall time, beside `dsscan --version` for the start-up
floor). PostgreSQL: a throwaway server on 127.0.0.1 started here from Debian's packages as the
tests do (tests/sampling_support.py), fsync off as there, so its figures are the database's
work, not the disk's. No assertions: figures only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # sampling_support: the PostgreSQL test server

from dsscan.findings import Finding, NotAssessed, ScanResult  # noqa: E402
from dsscan.store import open_store  # noqa: E402

POLICIES = ("DS-ENC-001", "DS-ENC-002", "DS-BAK-001", "DS-BAK-002", "DS-BAK-003", "DS-NET-001",
            "DS-NET-002", "DS-NET-003", "DS-TST-001", "DS-TST-002", "DS-TST-003", "DS-CLS-001")
LEVELS = ("core", "important", "sensitive", "general", "unclassified")
START = datetime(2024, 1, 1, 2, 0, tzinfo=UTC)  # one nightly run a day from here
SEVERITY = {"core": "critical", "important": "high", "sensitive": "medium", "general": "low",
            "unclassified": "medium"}


def make_run(k: int, n: int) -> ScanResult:
    """Run k: a window over a pool of findings moved by 1 % per run (1 % fixed, 1 % new), and
    0.5 % of them one level up on odd runs."""
    shift = max(1, n // 100)
    bump = set(range(0, n, 200)) if k % 2 else set()
    findings = []
    for i in range(k * shift, k * shift + n):
        level = LEVELS[(i + (1 if i % n in bump else 0)) % len(LEVELS)]
        pid = POLICIES[i % len(POLICIES)]
        asset = f"arn:aws-cn:s3:::bank-data-{i:07d}"
        findings.append(Finding(
            policy_id=pid, title="t", articles=(41,), severity=SEVERITY[level], level=level,
            asset_id=asset, asset_name=f"bank-data-{i:07d}", remediation="r",
            message=f"Bucket bank-data-{i:07d} holds {level} data and breaks {pid}: "
                    "encryption at rest with a customer-managed key is required",
            waiver={"id": "W-1"} if i % 50 == 0 else None))
    na = [NotAssessed(reason="AccessDenied on elasticache:DescribeCacheClusters",
                      scope="aws:222222222222/cn-north-1")]
    # What a real scan records of each asset: the store keeps account and region per finding,
    # so a gap in another account does not hide this account's fixes.
    assets = {f.asset_id: {"name": f.asset_name, "kind": "object_store", "level": f.level,
                           "account": "111111111111", "region": "cn-north-1"}
              for f in findings}
    return ScanResult(findings=findings, not_assessed=na, policies=[], asset_count=n * 2,
                      assets=assets,
                      inputs=["aws:111111111111"], tool_version="0.1.0",
                      started_at=(START + timedelta(days=k)).isoformat(), duration_s=9.0)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def median_of(fn: Callable[[], Any], times: int) -> float:
    out = []
    for _ in range(times):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def cli_median(args: list[str], times: int) -> float:
    exe = shutil.which("dsscan")
    cmd = [exe] if exe else [sys.executable, "-m", "dsscan.cli.main"]
    out = []
    for _ in range(times):
        t = time.perf_counter()
        subprocess.run([*cmd, *args], check=True, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def bench(name: str, url: str, runs: int, n: int, size: Callable[[], int], cli_times: int,
          results: list[ScanResult], settle: Callable[[], None] = lambda: None
          ) -> dict[str, Any]:
    per_run = []
    with open_store(url) as store:
        t0 = time.perf_counter()
        for r in results:
            t = time.perf_counter()
            store.save_run(r, label="nightly")
            per_run.append(time.perf_counter() - t)
        total = time.perf_counter() - t0
        settle()
        list_s = median_of(lambda: store.list_runs(20), 21)
        trend_s = median_of(lambda: store.trend(30), 21)
        d = store.diff("latest~1", "latest")
        diff_s = median_of(lambda: store.diff("latest~1", "latest"), 5)
    return {
        "store": name, "runs": runs, "findings": n, "mean": statistics.mean(per_run),
        "p50": pct(per_run, 0.5), "p95": pct(per_run, 0.95), "total": total,
        "size_mb": size() / 1e6, "list_runs": list_s, "trend": trend_s, "diff": diff_s,
        "diff_counts": (len(d["new"]), len(d["fixed"]), len(d["changed_level"]),
                        len(d.get("not_assessed_in_b") or [])),
        "history_cli": cli_median(["history", "--store", url], cli_times),
        "history_json_cli": cli_median(["history", "--store", url, "-f", "json"], cli_times),
    }


def reference_json_files(results: list[ScanResult], tmp: Path) -> dict[str, float]:
    """The JSON-artifact practice: one report file per run; history = read them all back."""
    import orjson

    from dsscan.reports import get_reporter

    render = get_reporter("json")
    out = tmp / "reports"
    out.mkdir()
    per_run = []
    for k, r in enumerate(results):
        t = time.perf_counter()
        (out / f"run-{k:05d}.json").write_text(render(r), encoding="utf-8")
        per_run.append(time.perf_counter() - t)
    t = time.perf_counter()
    counts = []
    for f in sorted(out.glob("run-*.json")):
        doc = orjson.loads(f.read_bytes())
        by_level: dict[str, int] = {}
        for x in doc["findings"]:
            by_level[x["level"]] = by_level.get(x["level"], 0) + 1
        counts.append(by_level)
    history = time.perf_counter() - t
    size = sum(f.stat().st_size for f in out.glob("run-*.json"))
    shutil.rmtree(out)
    return {"mean": statistics.mean(per_run), "history": history, "size_mb": size / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--findings", type=int, default=1000)
    ap.add_argument("--cli-times", type=int, default=7, help="dsscan history subprocess runs")
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()

    t = time.perf_counter()
    results = [make_run(k, args.findings) for k in range(args.runs)]
    print(f"built {args.runs} runs x {args.findings} findings in "
          f"{time.perf_counter() - t:.1f} s (not timed below)", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dsscan-bench-store-") as tmp:
        path = Path(tmp) / "history.sqlite"

        def sqlite_size() -> int:
            import sqlite3

            with sqlite3.connect(path) as conn:  # fold the WAL in: the file as it stays
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return sum(p.stat().st_size for p in Path(tmp).glob("history.sqlite*"))

        rows.append(bench("sqlite", str(path), args.runs, args.findings, sqlite_size,
                          args.cli_times, results))
        print(f"sqlite done: {rows[-1]['total']:.1f} s", flush=True)
        ref = reference_json_files(results, Path(tmp))
        print(f"reference (JSON report files) done: {ref['mean'] * len(results):.1f} s",
              flush=True)
    if not args.no_postgres:
        from sampling_support import PostgresServer, pg_bindir

        bindir = pg_bindir()
        if bindir is None:
            print("PostgreSQL is not installed (apt-get install -y postgresql): skipped")
        else:
            server = PostgresServer(bindir)
            try:
                server.start()
                with server.admin() as admin:
                    admin.execute("CREATE DATABASE bench")
                url = server.url("bench")

                def pg_size() -> int:
                    with server.admin("bench") as db:
                        return int(db.execute("SELECT pg_database_size('bench')").fetchone()[0])

                with server.admin("bench") as db:
                    empty = int(db.execute("SELECT pg_database_size('bench')").fetchone()[0])
                def analyze() -> None:
                    # What autovacuum does on a live server after a load; reads are measured
                    # on the settled database, not against autovacuum running on 2 cores.
                    with server.admin("bench") as db:
                        db.execute("VACUUM ANALYZE")

                rows.append(bench("postgresql", url, args.runs, args.findings, pg_size,
                                  args.cli_times, results, analyze))
                rows[-1]["empty_mb"] = empty / 1e6
            finally:
                server.stop()
    version = cli_median(["--version"], args.cli_times)
    t = []
    for _ in range(args.cli_times):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import psycopg"], check=True)
        t.append(time.perf_counter() - t0)
    psycopg_import = statistics.median(t)

    print()
    print(f"{args.runs} runs x {args.findings} findings per run")
    print(f"{'store':<11} {'mean s/run':>10} {'p50':>7} {'p95':>7} {'total s':>8} "
          f"{'size MB':>8} {'list_runs ms':>12} {'trend ms':>9} {'diff ms':>8} "
          f"{'history s':>9} {'-f json s':>9}")
    for r in rows:
        print(f"{r['store']:<11} {r['mean']:>10.4f} {r['p50']:>7.4f} {r['p95']:>7.4f} "
              f"{r['total']:>8.1f} {r['size_mb']:>8.1f} {r['list_runs'] * 1e3:>12.2f} "
              f"{r['trend'] * 1e3:>9.2f} {r['diff'] * 1e3:>8.1f} {r['history_cli']:>9.3f} "
              f"{r['history_json_cli']:>9.3f}")
    for r in rows:
        extra = f"; empty database {r['empty_mb']:.1f} MB" if "empty_mb" in r else ""
        print(f"{r['store']}: diff latest~1 latest = {r['diff_counts'][0]} new, "
              f"{r['diff_counts'][1]} fixed, {r['diff_counts'][2]} changed level, "
              f"{r['diff_counts'][3]} not assessed in the later run{extra}")
    print(f"reference: a JSON report file per run: {ref['mean']:.4f} s per run written, "
          f"{ref['size_mb']:.0f} MB; counting by level over all of them {ref['history']:.2f} s")
    for r in rows:
        print(f"{r['store']} vs reference: storing a run {r['mean'] / ref['mean']:.2f}x the "
              f"time of writing its report file; history query in-process "
              f"{ref['history'] / r['list_runs']:.0f}x faster than reading the files, whole "
              f"`dsscan history` command {ref['history'] / r['history_cli']:.1f}x faster; "
              f"size {r['size_mb'] / ref['size_mb']:.2f}x")
    print(f"dsscan --version (start-up floor): {version:.3f} s; "
          f"python -c 'import psycopg': {psycopg_import:.3f} s")


if __name__ == "__main__":
    main()
