"""`dsscan inventory aws` against a moto server holding 1,000 S3 buckets, 200 RDS instances and
200 RDS snapshots: wall time, API calls per asset, peak RSS, and the ratio against the floor —
a serial loop issuing exactly the same calls (replayed from dsscan's --call-log) with plain
boto3, no dsscan code involved.

Every process is separate (moto server, each dsscan run, the floor) so each is measured alone.

    python bench/bench_aws.py                       # 1000 / 200 / 200
    python bench/bench_aws.py --buckets 200 --rds 50 --snapshots 50

Target (issue #3): dsscan ≤ 1.5x the floor with concurrency on.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REGION = "cn-north-1"
ENV = {
    "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
    "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "CI": "true",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(port: int) -> subprocess.Popen[bytes]:
    code = ("import sys, time; from moto.server import ThreadedMotoServer; "
            f"s = ThreadedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False); "
            "s.start(); print('ready', flush=True); sys.stdin.read()")
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env={**os.environ, **ENV})
    assert p.stdout is not None
    p.stdout.readline()
    return p


def provision(buckets: int, rds: int, snapshots: int) -> None:
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    levels = ("core", "important", "sensitive", "general")
    for i in range(buckets):
        name = f"bench-bucket-{i:05d}"
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": "dsscan:level", "Value": levels[i % 4]}]})
        if i % 3 == 0:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    db = boto3.client("rds", region_name=REGION)
    for i in range(rds):
        db.create_db_instance(DBInstanceIdentifier=f"bench-db-{i:04d}", Engine="postgres",
                              DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                              MasterUsername="admin1", MasterUserPassword="password1",
                              BackupRetentionPeriod=0,  # no automated snapshots: exact count
                              Tags=[{"Key": "dsscan:level", "Value": "sensitive"}])
    for i in range(snapshots):
        db.create_db_snapshot(DBSnapshotIdentifier=f"bench-snap-{i:04d}",
                              DBInstanceIdentifier=f"bench-db-{i % max(1, rds):04d}")


def run_dsscan(out: Path, calls: Path, workers: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "dsscan.cli.main", "inventory", "aws", "--regions", REGION,
           "--services", "s3,rds,kms", "--max-workers", str(workers), "-o", str(out),
           "--call-log", str(calls)]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env={**os.environ, **ENV}, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode() if p.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"dsscan failed: {err}")
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024}


FLOOR = r'''
import json, sys, time
from urllib.parse import urlsplit, urlunsplit
import boto3

def one_host(request, **_):  # S3 Control's {account}. host prefix does not fit one endpoint
    p = urlsplit(request.url)
    acct = request.headers.get("x-amz-account-id")
    acct = acct.decode() if isinstance(acct, bytes) else acct
    if acct and p.netloc.startswith(acct + "."):
        request.url = urlunsplit(p._replace(netloc=p.netloc[len(acct) + 1:]))

calls = [json.loads(l) for l in open(sys.argv[1])]
clients = {}
t = time.perf_counter()
for c in calls:
    key = (c["service"], c["region"])
    if key not in clients:
        clients[key] = boto3.client(c["service"], region_name=c["region"])
        clients[key].meta.events.register("before-sign.s3-control", one_host)
    cl = clients[key]
    method = {v: k for k, v in cl.meta.method_to_api_mapping.items()}[c["operation"]]
    try:
        getattr(cl, method)(**c["params"])
    except cl.exceptions.ClientError:
        pass  # "not configured" answers are part of the same work
print(time.perf_counter() - t)
'''


def run_floor(calls: Path) -> float:
    out = subprocess.run([sys.executable, "-c", FLOOR, str(calls)], env={**os.environ, **ENV},
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"floor failed: {out.stderr.strip().splitlines()[-1]}")
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--buckets", type=int, default=1000)
    ap.add_argument("--rds", type=int, default=200)
    ap.add_argument("--snapshots", type=int, default=200)
    ap.add_argument("--workers", type=int, default=16, help="dsscan --max-workers")
    args = ap.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ.update(ENV)
    os.environ["AWS_ENDPOINT_URL"] = url
    server = start_moto(port)
    try:
        t = time.perf_counter()
        provision(args.buckets, args.rds, args.snapshots)
        print(f"machine: {os.cpu_count()} CPUs; moto server on {url}")
        print(f"provisioned {args.buckets} buckets, {args.rds} RDS instances, "
              f"{args.snapshots} snapshots in {time.perf_counter() - t:.1f} s\n")
        with tempfile.TemporaryDirectory() as tmp:
            rows = []
            for workers in (args.workers, 1):
                inv, calls = Path(tmp, f"inv-{workers}.json"), Path(tmp, f"calls-{workers}.jsonl")
                r = run_dsscan(inv, calls, workers)
                n_assets = len(json.loads(inv.read_text())["assets"])
                n_calls = sum(1 for _ in calls.open())
                rows.append((workers, r, n_assets, n_calls, calls))
            floor = run_floor(rows[0][4])
            print(f"{'run':<28} {'wall s':>7} {'assets':>7} {'calls':>6} {'calls/asset':>11} "
                  f"{'RSS MB':>7} {'vs floor':>9}")
            for workers, r, n_assets, n_calls, _ in rows:
                print(f"{'dsscan --max-workers ' + str(workers):<28} {r['wall']:>7.2f} "
                      f"{n_assets:>7} {n_calls:>6} {n_calls / n_assets:>11.2f} "
                      f"{r['rss_mb']:>7.0f} {r['wall'] / floor:>8.2f}x")
            print(f"{'floor: same calls, serial':<28} {floor:>7.2f} {'':>7} {rows[0][3]:>6}")
            print(f"\ntarget ≤ 1.5x the floor with concurrency on: "
                  f"{rows[0][1]['wall'] / floor:.2f}x")
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
