"""A generated Pulumi Python program of N resources (default 500: 100 buckets, each with its
encryption, public access block, versioning and policy resources) read by dsscan under the
SDK's mocks: wall time of the program run (child process), of reading it into IacResource
records, and of `dsscan scan pulumi DIR` end to end.

    python bench/bench_pulumi.py                 # 500 resources, median of 3
    python bench/bench_pulumi.py --resources 2000 --runs 1
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PROGRAM = """
import json
import pulumi_aws as aws

key = aws.kms.Key("data", description="bench")
for i in range({buckets}):
    name = f"bench-{{i:05d}}"
    b = aws.s3.Bucket(name, bucket=name, tags={{"dsscan:level": "sensitive",
                                              "environment": "production"}})
    aws.s3.BucketServerSideEncryptionConfiguration(name, bucket=b.id, rules=[{{
        "apply_server_side_encryption_by_default": {{"sse_algorithm": "aws:kms",
                                                     "kms_master_key_id": key.arn}}}}])
    aws.s3.BucketPublicAccessBlock(name, bucket=b.id, block_public_acls=True,
                                   block_public_policy=True, ignore_public_acls=True,
                                   restrict_public_buckets=True)
    aws.s3.BucketVersioning(name, bucket=b.id, versioning_configuration={{"status": "Enabled"}})
    aws.s3.BucketPolicy(name, bucket=b.id, policy=json.dumps({{
        "Version": "2012-10-17", "Statement": [{{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": f"arn:aws-cn:s3:::{{name}}/*",
            "Condition": {{"Bool": {{"aws:SecureTransport": "false"}}}}}}]}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resources", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from dsscan.scanners import pulumi_source as pu

    buckets = max(1, -(-(args.resources - 1) // 5))  # the key, then 5 resources a bucket
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "bench"
        d.mkdir()
        (d / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
        (d / "Pulumi.dev.yaml").write_text("config:\n  aws:region: cn-north-1\n")
        (d / "__main__.py").write_text(textwrap.dedent(PROGRAM.format(buckets=buckets)))
        runs, reads = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            capture = pu.run_program(str(d))
            runs.append(time.perf_counter() - t)
            t = time.perf_counter()
            read = pu.read_program(str(d))
            reads.append(time.perf_counter() - t)
        n = sum(1 for r in capture["resources"] if r["custom"])
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "dsscan.cli.main", "scan", "pulumi", str(d),
                               "-f", "json", "-o", str(Path(tmp) / "report.json")],
                              capture_output=True, text=True)
        scan = time.perf_counter() - t
    print(f"program of {n} resources under mocks ({args.runs} runs, median):")
    print(f"  program run (child process, SDK + mocks): {statistics.median(runs):6.2f} s")
    print(f"  read into {len(read.resources)} IacResource records:  "
          f"{statistics.median(reads):6.2f} s")
    print(f"  dsscan scan pulumi DIR (end to end, exit {proc.returncode}):  {scan:6.2f} s")


if __name__ == "__main__":
    main()
