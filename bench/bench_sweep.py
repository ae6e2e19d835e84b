"""The organization sweep, thread pool against a Dask LocalCluster of 1, 2 and 4 worker
processes, I/O-bound as on AWS: an organization of ``--accounts`` members × 2 regions
(tests/org_support.py) in moto's server (its own process), recorded once through
bench/replay_proxy.py and then every measured sweep *replayed* from the recording after a
fixed delay per request (``--latency``, 50 ms), never touching moto (moto's server is
CPU-bound at ~85 requests/s: a latency proxy in front of it would measure moto).

Each measured sweep runs in a fresh process (the driver), so its peak RSS is its own; a
LocalCluster is started before the clock starts (its start-up is reported apart). For each:
wall s, calls, calls/s, speed-up against 1 worker and against the ideal (workers × the
1-worker speed), the 1-worker overhead against the thread pool at the same concurrency,
peak RSS of the driver and of each worker process, the load average beside every figure,
the requests the recording missed (must be 0), and whether the inventory equals the
recorded one (``dump_inventory`` less ``generated_at``). Then an extrapolation to 1,000
accounts × 17 regions from the calls measured per shard.

    python bench/bench_sweep.py                     # 20 member accounts, 1/2/4 workers
    python bench/bench_sweep.py --quick             # 6 accounts, 1/2 workers (< 2 min)
    python bench/bench_sweep.py --latency 0.1 --workers 1 2 4 --json sweep.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

ROLE = "DsscanReadOnly"
REGIONS = ("cn-north-1", "cn-northwest-1")


def load() -> float:
    return round(os.getloadavg()[0], 2)


# --- one measured sweep (a child process: the driver) --------------------------------------

def child(spec: dict[str, Any]) -> dict[str, Any]:
    from dsscan.inventory import dump_inventory
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.aws.cluster import ClusterOptions
    from dsscan.scanners.aws.sweep import SweepOptions, sweep

    out: dict[str, Any] = {"load_before": load()}
    client = cluster = None
    co = None
    if spec["workers"]:
        from distributed import Client, LocalCluster

        t = time.perf_counter()
        cluster = LocalCluster(n_workers=spec["workers"],
                               threads_per_worker=spec["worker_threads"], processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
        client.wait_for_workers(spec["workers"])
        out["cluster_start_s"] = round(time.perf_counter() - t, 2)
        out["_w0"] = sum(client.run(_cpu).values())
        co = ClusterOptions(client, account_shards=spec["account_shards"],
                            threads=spec["threads"], worker_threads=spec["worker_threads"])
    opts = SweepOptions(organization=True, role_name=ROLE, regions=list(REGIONS),
                        max_attempts=2, timeout=60, max_workers=spec["max_workers"],
                        services=spec["services"], cluster=co)
    log = CallLog()
    stream = None
    cpu0 = _cpu()
    t = time.perf_counter()
    if client is not None:
        from distributed import get_task_stream

        with get_task_stream(client) as ts:
            inv = sweep(opts, log)
        stream = ts.data
    else:
        inv = sweep(opts, log)
    out["wall_s"] = time.perf_counter() - t
    out["driver_cpu_s"] = round(_cpu() - cpu0, 2)
    out["load_after"] = load()
    out["calls"] = log.total
    doc = json.loads(dump_inventory(inv))
    doc.pop("generated_at", None)
    text = json.dumps(doc, sort_keys=True)
    out["inventory_sha"] = hashlib.sha256(text.encode()).hexdigest()[:16]
    out["assets"] = len(inv.assets)
    Path(spec["dump"]).write_text(text)
    out["driver_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if client is not None:
        rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        out["worker_rss_mb"] = sorted(round(v / 1024) for v in rss.values())
        out["worker_cpu_s"] = round(sum(client.run(_cpu).values()) - out.pop("_w0"), 2)
        out["shards"] = shard_stats(stream or [], out["wall_s"],
                                    spec["workers"] * spec["worker_threads"])
        client.close()
        cluster.close()  # type: ignore[union-attr]
    return out


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def shard_stats(stream: list[dict[str, Any]], wall: float, slots: int) -> dict[str, Any]:
    """From Dask's task stream: per shard kind, count and mean/max seconds computing; the
    busy share of the cluster's shard slots; when the first region shard started."""
    kinds: dict[str, list[float]] = {}
    starts: dict[str, float] = {}
    busy = 0.0
    t0 = min((s["start"] for t in stream for s in t.get("startstops", ())
              if s.get("action") == "compute"), default=0.0)
    for t in stream:
        kind = str(t.get("key", "")).removeprefix("dsscan-").split(":")[0]
        for s in t.get("startstops", ()):
            if s.get("action") != "compute":
                continue
            d = s["stop"] - s["start"]
            busy += d
            kinds.setdefault(kind, []).append(d)
            starts[kind] = min(starts.get(kind, 1e18), s["start"] - t0)
    return {"slot_busy_share": round(busy / (wall * slots), 3) if wall and slots else None,
            "kinds": {k: {"n": len(v), "mean_s": round(sum(v) / len(v), 3),
                          "max_s": round(max(v), 3), "first_start_s": round(starts[k], 2)}
                      for k, v in kinds.items()}}


def run_child(spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    p = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], env=env,
                       capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise SystemExit(f"child failed ({spec}):\n{p.stderr[-4000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# --- the servers -----------------------------------------------------------------------------

def start_moto(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    code = ("import sys; from moto.server import ThreadedMotoServer; "
            "s = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False); "
            "s.start(); print('ready', s._server.server_address[1], flush=True); "
            "sys.stdin.read()")
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert p.stdout is not None
    port = p.stdout.readline().split()[1].decode()
    return p, f"http://127.0.0.1:{port}"


def start_replay(target: str, delay: float) -> tuple[subprocess.Popen[bytes], str]:
    p = subprocess.Popen([sys.executable, str(HERE / "replay_proxy.py"), "--target", target,
                          "--delay", str(delay)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    assert p.stdout is not None
    return p, p.stdout.readline().split()[1].decode()


def control(url: str, what: str) -> dict[str, Any]:
    req = urllib.request.Request(f"{url}/__replay/{what}", method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


# --- extrapolation ---------------------------------------------------------------------------

# AWS's request-rate limits, per account and Region unless said. Sources looked up
# 2026-12-08; where no number is published, a conservative assumption, labelled.
LIMITS = {
    "ec2": (20.0, 100, "published: EC2 Describe* token bucket 100, refill 20/s per API, per "
            "account per Region (https://docs.amazonaws.cn/ec2/latest/devguide/"
            "ec2-api-throttling.html)"),
    "sts": (100.0, 100, "ASSUMED: no number found for AWS STS AssumeRole "
            "(https://repost.aws/knowledge-center/iam-sts-throttling-error says STS is a "
            "token bucket, no figure); 100/s in the caller's account"),
    "organizations": (5.0, 5, "ASSUMED: the Organizations quotas page "
                      "(https://docs.aws.amazon.com/organizations/latest/userguide/"
                      "orgs_reference_limits.html) has a throttling section whose figures "
                      "were not in the stored text; 5/s for the whole organization (one "
                      "management account)"),
    "iam": (10.0, 10, "ASSUMED: IAM throttles with token buckets per API "
            "(https://aws.amazon.com/blogs/security/how-to-monitor-and-query-iam-resources-"
            "at-scale-part-2/), no figure published; 10/s per account"),
    "s3": (50.0, 50, "ASSUMED: bucket-configuration reads (GetBucket*) have no published "
           "per-account rate (5,500 GET/s per prefix is for objects); 50/s per account"),
    "other": (20.0, 100, "ASSUMED: other regional services as EC2's Describe* "
              "(20/s refill per API)"),
}


def extrapolate(per: dict[str, float], by_service: dict[str, dict[str, float]],
                latency: float, accounts: int, regions: int, configs: list[tuple[int, int,
                                                                                 int]],
                account_shards: int) -> dict[str, Any]:
    """Calls and time of a sweep of ``accounts`` × ``regions`` from the calls per shard
    measured. ``by_service``: per shard kind, calls by service (for the rate limits)."""
    region_calls = per["region"] * accounts * regions
    global_calls = per["global"] * accounts
    account_calls = per["account"] * accounts
    total = region_calls + global_calls + account_calls
    rows = []
    for n, s, t in configs:
        conc = n * s * t
        rows.append({"workers": n, "shards_per_worker": s, "threads": t,
                     "concurrency": conc, "io_bound_s": total * latency / conc})
    # Floors from rate limits. (a) the caller's account: every AssumeRole (once per account
    # per worker process: at least once per account) and the Organizations reads.
    sts_calls = by_service["account"].get("sts", 0) * accounts
    org_calls = by_service["account"].get("organizations", 0) * accounts
    floor_sts = sts_calls / LIMITS["sts"][0]
    floor_org = org_calls / LIMITS["organizations"][0]
    # (b) one member account: its per-Region buckets refill independently, so one region
    # shard's busiest API bounds that shard; K shards of the account at once.
    worst_api = max(per.get("region_max_api", 0), 0)
    region_shard_floor = max(0.0, worst_api - LIMITS["ec2"][1]) / LIMITS["ec2"][0]
    waves = -(-regions // account_shards)
    floor_account = waves * region_shard_floor
    iam = by_service["global"].get("iam", 0)
    s3 = by_service["global"].get("s3", 0)
    floor_global = max(max(0, iam - LIMITS["iam"][1]) / LIMITS["iam"][0],
                       max(0, s3 - LIMITS["s3"][1]) / LIMITS["s3"][0])
    return {"accounts": accounts, "regions": regions, "calls": round(total),
            "calls_region": round(region_calls), "calls_global": round(global_calls),
            "calls_account": round(account_calls), "latency_s": latency, "rows": rows,
            "floor_caller_sts_s": floor_sts, "floor_caller_organizations_s": floor_org,
            "floor_per_account_s": floor_account + floor_global,
            "region_shard_rate_floor_s": region_shard_floor,
            "account_shards": account_shards, "limits": {k: v[2] for k, v in LIMITS.items()}}


# --- main ----------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=20, help="member accounts")
    ap.add_argument("--latency", type=float, default=0.05, help="s per replayed request")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--worker-threads", type=int, default=4, help="shards at once per "
                    "worker process")
    ap.add_argument("--threads", type=int, default=2, help="API calls at once per shard")
    ap.add_argument("--account-shards", type=int, default=4)
    ap.add_argument("--services", default="", help="comma-separated; empty: all")
    ap.add_argument("--runs", type=int, default=1, help="repetitions (median kept)")
    ap.add_argument("--quick", action="store_true", help="6 accounts, 1 and 2 workers")
    ap.add_argument("--dask-profile", choices=("on", "off"), default="on",
                    help="Dask's statistical profiler on the workers (a thread sampling "
                    "every thread's stack every 10 ms; on by default in Dask)")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    if args.quick:
        args.accounts, args.workers = 6, [w for w in args.workers if w <= 2] or [1]

    from aws_support import FAKE_ENV, UNSET

    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(FAKE_ENV)
    os.environ.clear()
    os.environ.update(env)
    services = [s for s in args.services.split(",") if s]
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    started = time.time()
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()}")

    moto, moto_url = start_moto(env)
    from latency_proxy import LatencyProxy
    from org_support import MOTO_LACKS, provision_organization

    t = time.perf_counter()
    org = provision_organization(moto_url, accounts=args.accounts, regions=REGIONS,
                                 role_name=ROLE)
    print(f"organization: {len(org.all_accounts)} accounts × {len(REGIONS)} regions "
          f"provisioned in {time.perf_counter() - t:.1f} s")
    lacks = LatencyProxy(moto_url, 0.0, answers=MOTO_LACKS).start()
    replay, url = start_replay(lacks.url, args.latency)
    child_env = {**env, "AWS_ENDPOINT_URL": url}
    if args.dask_profile == "off":  # inherited by the LocalCluster's worker processes
        child_env["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"] = "False"
    S, T, K = args.worker_threads, args.threads, args.account_shards

    def spec(workers: int, max_workers: int, name: str) -> dict[str, Any]:
        return {"workers": workers, "worker_threads": S, "threads": T, "account_shards": K,
                "max_workers": max_workers, "services": services,
                "dump": str(tmp / f"{name}.json")}

    # Recording: the thread pool and a 1-worker cluster (the same requests but for who
    # assumes roles when), moto behind.
    control(url, "record")
    t = time.perf_counter()
    rec = run_child(spec(0, 16, "recorded"), child_env)
    rec_c = run_child(spec(1, 16, "recorded-cluster"), child_env)
    st = control(url, "replay")
    print(f"recorded: {st['recorded']} distinct requests of {st['recorded_calls']} calls in "
          f"{time.perf_counter() - t:.1f} s (moto); inventory {rec['inventory_sha']} "
          f"({rec['assets']} assets); the cluster's recording "
          f"{'equal' if rec_c['inventory_sha'] == rec['inventory_sha'] else 'DIFFERENT'}")
    reference = rec["inventory_sha"]

    results: list[dict[str, Any]] = []
    for n in args.workers:
        conc = n * S * T
        for kind, workers in (("pool", 0), ("cluster", n)):
            runs = []
            for i in range(args.runs):
                s0 = control(url, "reset-stats")
                r = run_child(spec(workers, conc, f"{kind}-{n}-{i}"), child_env)
                s = control(url, "stats")
                r["proxy_cpu_s"] = round(s["cpu_s"] - s0["cpu_s"], 2)
                r["cpu_s"] = round(r["driver_cpu_s"] + r.get("worker_cpu_s", 0)
                                   + r["proxy_cpu_s"], 2)
                r.update(served=s["served"], misses=s["misses"], missed=s["missed"],
                         by_scope=s["by_scope"], same_inventory=r["inventory_sha"] == reference)
                runs.append(r)
                print(f"  {kind:7} n={n} concurrency {conc:3}: {r['wall_s']:6.2f} s, "
                      f"{r['calls']} calls, CPU {r['cpu_s']} s (driver "
                      f"{r['driver_cpu_s']}, workers {r.get('worker_cpu_s', 0)}, replay "
                      f"{r['proxy_cpu_s']}), load {r['load_before']}→{r['load_after']}, "
                      f"misses {r['misses']}, same inventory {r['same_inventory']}",
                      flush=True)
            runs.sort(key=lambda r: r["wall_s"])
            best = runs[len(runs) // 2]
            best.update(kind=kind, workers=n, concurrency=conc,
                        walls=[round(r["wall_s"], 2) for r in runs])
            results.append(best)

    # The table.
    one = next((r for r in results if r["kind"] == "cluster" and r["workers"] == 1), None)
    print(f"\nlatency {args.latency * 1000:.0f} ms per request; {len(org.all_accounts)} "
          f"accounts × {len(REGIONS)} regions; Dask profiler {args.dask_profile}; "
          f"cluster: N worker processes × {S} shards "
          f"× {T} calls (concurrency N×{S * T}), --account-shards {K}; pool: max_workers = "
          "the same concurrency")
    head = ("| run | workers | concurrency | wall s | calls | calls/s | vs 1 worker | "
            "vs ideal | vs pool | CPU s (all processes) | driver RSS MB | worker RSS MB | "
            "cluster start s | misses | same inventory | load |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in results:
        r["calls_per_s"] = r["calls"] / r["wall_s"]
        pool = next(p for p in results if p["kind"] == "pool" and p["workers"] == r["workers"])
        if r["kind"] == "cluster" and one is not None:
            r["speedup"] = one["wall_s"] / r["wall_s"]
            r["of_ideal"] = r["speedup"] / r["workers"]
            r["vs_pool"] = r["wall_s"] / pool["wall_s"] - 1
        print(f"| {r['kind']} | {r['workers'] if r['kind'] == 'cluster' else '-'} | "
              f"{r['concurrency']} | {r['wall_s']:.2f} | {r['calls']} | "
              f"{r['calls_per_s']:.0f} | "
              + (f"{r['speedup']:.2f}× | {r['of_ideal']:.2f} | {r['vs_pool']:+.1%} | "
                 if "speedup" in r else "| | | ")
              + f"{r['cpu_s']} | {r['driver_rss_mb']:.0f} | {r.get('worker_rss_mb', '')} | "
              f"{r.get('cluster_start_s', '')} | {r['misses']} | {r['same_inventory']} | "
              f"{r['load_before']}→{r['load_after']} |")
    for r in results:
        if r["kind"] == "cluster":
            print(f"  shards, {r['workers']} workers: busy share of shard slots "
                  f"{r['shards']['slot_busy_share']}; " + "; ".join(
                      f"{k} n={v['n']} mean {v['mean_s']} s max {v['max_s']} s first at "
                      f"{v['first_start_s']} s" for k, v in r["shards"]["kinds"].items()))
    if one is not None:
        over = one["vs_pool"]
        print(f"\n1 worker vs thread pool at concurrency {one['concurrency']}: {over:+.1%} "
              f"(goal ≤ +5 %: {'met' if over <= 0.05 else 'NOT met'})")
        for r in results:
            if r["kind"] == "cluster" and r["workers"] > 1:
                ok = r["speedup"] * 1.2 >= r["workers"]
                print(f"{r['workers']} workers: {r['speedup']:.2f}× of an ideal "
                      f"{r['workers']}× (goal within 1.2× of ideal, ≥ "
                      f"{r['workers'] / 1.2:.2f}×: {'met' if ok else 'NOT met'})")

    # Calls per shard, from the 1-worker cluster's requests by (account, service, region).
    ref = one or results[0]
    n_acc, n_reg = len(org.all_accounts), len(REGIONS)
    by_kind: dict[str, dict[str, float]] = {"account": {}, "global": {}, "region": {}}
    for _account, service, _region, n in ref["by_scope"]:
        # by service: the management account (read with the caller's own keys) is one of
        # the accounts, its reads are shards like any other's
        kind = ("account" if service in ("sts", "organizations")
                else "global" if service in ("iam", "s3") else "region")
        by_kind[kind][service] = by_kind[kind].get(service, 0) + n
    per = {"account": sum(by_kind["account"].values()) / n_acc,
           "global": sum(by_kind["global"].values()) / n_acc,
           "region": sum(by_kind["region"].values()) / (n_acc * n_reg)}
    per_service = {k: {s: c / (n_acc * (n_reg if k == "region" else 1)) for s, c in v.items()}
                   for k, v in by_kind.items()}
    # The busiest single service in a region shard (EC2 counts as one bucket per API; this
    # sums EC2's APIs, an upper bound).
    per["region_max_api"] = max(per_service["region"].values(), default=0)
    print(f"\ncalls per shard (measured): account {per['account']:.1f}, global "
          f"{per['global']:.1f}, region {per['region']:.1f}; per region shard by service: "
          + ", ".join(f"{s} {c:.1f}" for s, c in sorted(per_service['region'].items())))
    configs = [(n, S, T) for n in (1, 4, 16, 64)] + [(16, 8, 4), (64, 8, 4)]
    ex = extrapolate(per, per_service, args.latency, 1000, 17, configs, K)
    print(f"\n1,000 accounts × 17 regions: {ex['calls']:,} calls (region shards "
          f"{ex['calls_region']:,}, global {ex['calls_global']:,}, account "
          f"{ex['calls_account']:,}), latency {args.latency * 1000:.0f} ms")
    print("| workers × shards × threads | calls at once | I/O-bound time |")
    print("|---|---|---|")
    for row in ex["rows"]:
        print(f"| {row['workers']} × {row['shards_per_worker']} × {row['threads']} | "
              f"{row['concurrency']} | {row['io_bound_s'] / 60:.1f} min |")
    print(f"floors from rate limits: the caller's AssumeRole {ex['floor_caller_sts_s']:.0f} s,"
          f" Organizations reads {ex['floor_caller_organizations_s']:.0f} s (one "
          f"organization-wide bucket: {ex['floor_caller_organizations_s'] / 60:.1f} min); "
          f"per member account with --account-shards {K}: {ex['floor_per_account_s']:.1f} s "
          "(accounts run in parallel)")
    for k, why in ex["limits"].items():
        print(f"  {k}: {why}")
    total = round(time.time() - started)
    print(f"\nbench took {total} s; load now {os.getloadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": time.strftime("%Y-%m-%d %H:%M"), "latency_s": args.latency,
            "accounts": n_acc, "regions": n_reg, "worker_threads": S, "threads": T,
            "account_shards": K, "dask_profile": args.dask_profile,
            "recording": st | {"by_scope": None},
            "results": results, "per_shard": per, "per_shard_service": per_service,
            "extrapolation": ex}, indent=1, default=str))
    replay.stdin.close()  # type: ignore[union-attr]
    replay.wait()
    lacks.close()
    moto.stdin.close()  # type: ignore[union-attr]
    moto.wait()


if __name__ == "__main__":
    main()
