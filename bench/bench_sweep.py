"""Organization sweeps: the thread pool of one process against a Dask LocalCluster of 1, 2 and
4 worker processes, on the same organization, with every AWS call taking a fixed latency.

The organization is tests/org_support.py's (20 member accounts × 2 regions, and the
management account) in moto's server, in a process of its own. Between the sweep and moto,
bench/replay_proxy.py (another process) holds every call for ``--latency`` seconds and answers
from what it has seen: two warm-up sweeps (the thread pool and the cluster) fill it, and the
measured sweeps are served from memory — I/O-bound as against AWS, not bound by moto's CPU.

Each configuration makes the same number of calls at once: ``workers × shards per worker ×
calls per shard`` on the cluster, ``--max-workers`` of the same total for the thread pool.
Printed: wall, calls, calls/s, the speed-up against 1 worker and against the ideal (workers ×
1 worker's rate), the cluster's overhead at 1 worker against the thread pool, peak RSS per
worker process and of the driver, the machine's load; then an extrapolation to 1,000
accounts × 17 regions.

    python bench/bench_sweep.py                     # 20 accounts, 50 ms, 1/2/4 workers
    python bench/bench_sweep.py --quick             # 6 accounts, 1/2 workers
    python bench/bench_sweep.py --latency 0.1 --json sweep.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

REGIONS = ("cn-north-1", "cn-northwest-1")
ROLE = "DsscanReadOnly"
SHARDS_PER_WORKER = 2  # Dask threads per worker process: shards at once
CALLS_PER_SHARD = 4  # API calls at once inside one shard
GLOBAL = {"iam", "s3", "s3control", "organizations", "sts"}


def _wait_http(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"bench_sweep: nothing answers at {url}")


def _free_port() -> int:
    from aws_support import free_port

    return int(free_port())


def _stats(proxy: str, reset: bool = False) -> dict[str, int]:
    if reset:
        urllib.request.urlopen(urllib.request.Request(f"{proxy}/__reset_stats",
                                                      method="POST"), timeout=10)
        return {}
    return dict(json.loads(urllib.request.urlopen(f"{proxy}/__stats", timeout=10).read()))


def _options(**more: Any) -> Any:
    from dsscan.scanners.aws.sweep import SweepOptions

    return SweepOptions(organization=True, role_name=ROLE, regions=list(REGIONS),
                        max_attempts=2, timeout=60, **more)


def _timed(opts: Any, proxy: str) -> dict[str, Any]:
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.aws.sweep import sweep

    log = CallLog()
    _stats(proxy, reset=True)
    t0, c0 = time.perf_counter(), time.process_time()
    inv = sweep(opts, log)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    got = _stats(proxy)
    return {"wall_s": round(wall, 2), "driver_cpu_s": round(cpu, 2), "calls": log.total,
            "calls_per_s": round(log.total / wall, 1), "misses": got.get("misses", 0),
            "assets": len(inv.assets), "gaps": len(inv.gaps), "log": log}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds per call")
    ap.add_argument("--workers", default="1,2,4", help="worker processes to measure")
    ap.add_argument("--quick", action="store_true", help="6 accounts, 1 and 2 workers")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    if a.quick:
        a.accounts, a.workers = 6, "1,2"
    workers = [int(w) for w in a.workers.split(",")]

    from aws_support import FAKE_ENV, UNSET

    for k in UNSET:
        os.environ.pop(k, None)
    os.environ.update(FAKE_ENV)
    moto_port, proxy_port = _free_port(), _free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(moto_port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    moto_url = f"http://127.0.0.1:{moto_port}"
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    proxy = subprocess.Popen([sys.executable, str(ROOT / "bench" / "replay_proxy.py"),
                              "--target", moto_url, "--port", str(proxy_port),
                              "--delay", str(a.latency)])
    try:
        _wait_http(f"{moto_url}/moto-api/")
        _wait_http(f"{proxy_url}/__stats")
        from org_support import provision_organization

        t0 = time.perf_counter()
        org = provision_organization(moto_url, accounts=a.accounts, regions=REGIONS,
                                     role_name=ROLE)
        print(f"organization: {len(org.all_accounts)} accounts x {len(REGIONS)} regions, "
              f"provisioned in {time.perf_counter() - t0:.1f} s; latency "
              f"{a.latency * 1000:.0f} ms a call", flush=True)
        os.environ["AWS_ENDPOINT_URL"] = proxy_url
        run(a, workers, proxy_url)
    finally:
        proxy.terminate()
        moto.terminate()


def run(a: argparse.Namespace, workers: list[int], proxy: str) -> None:
    from distributed import Client, LocalCluster

    from dsscan.scanners.aws.cluster import ClusterOptions

    def cluster_of(n: int) -> tuple[Any, Any, float]:
        t0 = time.perf_counter()
        c = LocalCluster(n_workers=n, threads_per_worker=SHARDS_PER_WORKER, processes=True,
                         host="127.0.0.1", dashboard_address=None)
        return c, Client(c), time.perf_counter() - t0

    def on_cluster(client: Any) -> Any:
        return _options(max_workers=CALLS_PER_SHARD * SHARDS_PER_WORKER, cluster=ClusterOptions(
            client, account_shards=SHARDS_PER_WORKER, threads=CALLS_PER_SHARD))

    # Warm-up: every call either way of sweeping, into the proxy's memory (not measured).
    warm = _timed(_options(max_workers=16), proxy)
    cl, client, _ = cluster_of(1)
    _timed(on_cluster(client), proxy)
    client.close()
    cl.close()
    print(f"warm-up: {warm['calls']} calls, {warm['assets']} assets, {warm['gaps']} gaps",
          flush=True)

    rows: list[dict[str, Any]] = []
    for n in workers:
        width = n * SHARDS_PER_WORKER * CALLS_PER_SHARD
        pool = _timed(_options(max_workers=width), proxy)
        cl, client, started = cluster_of(n)
        try:
            got = _timed(on_cluster(client), proxy)
            rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        finally:
            client.close()
            cl.close()
        rows.append({"workers": n, "calls_at_once": width, "pool": pool, "cluster": got,
                     "startup_s": round(started, 1),
                     "worker_rss_mb": round(max(rss.values()), 0),
                     "load": round(os.getloadavg()[0], 2)})
        print(f"  {n} worker(s) x {SHARDS_PER_WORKER} shards x {CALLS_PER_SHARD} calls: "
              f"cluster {got['wall_s']} s ({got['calls_per_s']} calls/s, {got['misses']} "
              f"misses), thread pool at {width} calls {pool['wall_s']} s", flush=True)
    _report(rows, a, warm["log"])


def _report(rows: list[dict[str, Any]], a: argparse.Namespace, log: Any) -> None:
    base = rows[0]["cluster"]["calls_per_s"]
    print(f"\nload average now {os.getloadavg()[0]:.2f} (2-core machine); "
          f"driver peak RSS {_rss_mb():.0f} MB\n")
    print("| workers | calls at once | thread pool s | cluster s | calls/s | speed-up "
          "| ideal | of ideal | cluster/pool | worker RSS MB | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c, p = r["cluster"], r["pool"]
        speed = c["calls_per_s"] / base
        print(f"| {r['workers']} | {r['calls_at_once']} | {p['wall_s']} | {c['wall_s']} | "
              f"{c['calls_per_s']} | {speed:.2f}x | {r['workers'] / rows[0]['workers']:.0f}x | "
              f"{r['workers'] / rows[0]['workers'] / speed:.2f} | "
              f"{c['wall_s'] / p['wall_s']:.2f} | {r['worker_rss_mb']:.0f} | {r['load']} |")
    # Extrapolation: calls per shard kind, from the warm-up's calls by service.
    accounts = a.accounts + 1
    regional = sum(n for (svc, _), n in log.counts.items() if svc not in GLOBAL)
    per_region = regional / (accounts * len(REGIONS))
    per_account = (log.total - regional) / accounts
    total = 1000 * per_account + 1000 * 17 * per_region
    print(f"\ncalls per (account, region) {per_region:.0f}, per account (global, entering) "
          f"{per_account:.0f}; 1,000 accounts x 17 regions: {total:,.0f} calls")
    print("| workers x calls at once | at latency | hours (I/O-bound) |")
    print("|---|---|---|")
    for n in (4, 16, 64):
        width = n * SHARDS_PER_WORKER * CALLS_PER_SHARD * 4  # 8 shards per worker on a node
        print(f"| {n} x {width // n} | {a.latency * 1000:.0f} ms | "
              f"{total * a.latency / width / 3600:.2f} |")
    if a.json:
        for r in rows:
            for k in ("pool", "cluster"):
                r[k].pop("log", None)
        Path(a.json).write_text(json.dumps({"latency_s": a.latency, "accounts": accounts,
                                            "rows": rows, "calls_per_region": per_region,
                                            "calls_per_account": per_account}, indent=2))


if __name__ == "__main__":
    main()
