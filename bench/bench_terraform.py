"""`dsscan scan terraform` on a generated plan of N AWS resources (default 5,000), side by side
with Checkov on the same file: wall time and peak RSS of each, in separate processes.

Checkov is not a dependency of dsscan: install it in its own virtualenv and name it.

    python3 -m venv /tmp/checkov-venv && /tmp/checkov-venv/bin/pip install checkov
    python bench/bench_terraform.py --checkov /tmp/checkov-venv/bin/checkov
    python bench/bench_terraform.py --resources 20000 --runs 3

Target (issue #4): dsscan ≤ 5 s and ≥ 15x faster than Checkov at 5,000 resources.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

AWS = "registry.terraform.io/hashicorp/aws"


def generate(n: int) -> dict[str, Any]:
    """A first plan of ~n resources: VPCs with subnets and security groups, buckets with their
    split configuration resources, databases in subnet groups; references as Terraform writes
    them, ids unknown until apply."""
    changes: list[dict[str, Any]] = []
    config: list[dict[str, Any]] = []
    planned: list[dict[str, Any]] = []

    def add(rtype: str, name: str, after: dict[str, Any], refs: dict[str, list[str]],
            unknown: list[str]) -> None:
        address = f"{rtype}.{name}"
        au: dict[str, Any] = dict.fromkeys(["id", "arn", *unknown], True)
        changes.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                        "provider_name": AWS, "change": {
                            "actions": ["create"], "before": None,
                            "after": {k: v for k, v in after.items() if k not in au},
                            "after_unknown": au}})
        planned.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                        "provider_name": AWS, "schema_version": 0,
                        "values": {k: v for k, v in after.items() if k not in au}})
        exprs: dict[str, Any] = {k: {"constant_value": v} for k, v in after.items()}
        for attr, targets in refs.items():
            exprs[attr] = {"references": [x for t in targets for x in (t, t.rsplit(".", 1)[0])]}
        config.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                       "provider_config_key": "aws", "expressions": exprs})

    levels = ("core", "important", "sensitive", "general")
    i = 0
    while len(changes) < n:
        v = f"v{i}"
        add("aws_vpc", v, {"cidr_block": f"10.{i % 250}.0.0/16", "tags": {
            "Name": v, "dsscan:level": levels[i % 4], "environment": "production"}}, {}, [])
        for s in range(2):
            add("aws_subnet", f"{v}_s{s}", {"cidr_block": f"10.{i % 250}.{s}.0/24"},
                {"vpc_id": [f"aws_vpc.{v}.id"]}, ["vpc_id"])
        add("aws_security_group", f"{v}_db", {"name": f"{v}-db", "ingress": [{
            "from_port": 5432, "to_port": 5432, "protocol": "tcp",
            "cidr_blocks": ["0.0.0.0/0" if i % 7 == 0 else f"10.{i % 250}.0.0/16"],
            "security_groups": [], "prefix_list_ids": [], "ipv6_cidr_blocks": [],
            "self": False}]}, {"vpc_id": [f"aws_vpc.{v}.id"]}, ["vpc_id"])
        add("aws_db_subnet_group", f"{v}_g", {"name": f"{v}-g"},
            {"subnet_ids": [f"aws_subnet.{v}_s0.id", f"aws_subnet.{v}_s1.id"]}, ["subnet_ids"])
        for d in range(2):
            add("aws_db_instance", f"{v}_db{d}", {
                "identifier": f"{v}-db{d}", "engine": "postgres", "storage_encrypted": d == 0,
                "backup_retention_period": 7 * d, "publicly_accessible": False,
                "db_subnet_group_name": f"{v}-g",
                "tags": {"dsscan:level": levels[(i + d) % 4], "environment": "production"}},
                {"db_subnet_group_name": [f"aws_db_subnet_group.{v}_g.name"],
                 "vpc_security_group_ids": [f"aws_security_group.{v}_db.id"]},
                ["vpc_security_group_ids"])
        for b in range(4):
            name = f"{v}-b{b}"
            tf = name.replace("-", "_")
            add("aws_s3_bucket", tf, {"bucket": name, "tags": {
                "dsscan:level": levels[(i + b) % 4], "environment": "production"}}, {}, [])
            on = {"bucket": [f"aws_s3_bucket.{tf}.id"]}
            add("aws_s3_bucket_server_side_encryption_configuration", tf, {"rule": [{
                "apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]},
                on, ["bucket"])
            add("aws_s3_bucket_public_access_block", tf, dict.fromkeys(
                ("block_public_acls", "ignore_public_acls", "block_public_policy",
                 "restrict_public_buckets"), b != 3), on, ["bucket"])
            add("aws_s3_bucket_versioning", tf, {"versioning_configuration": [
                {"status": "Enabled"}]}, on, ["bucket"])
        i += 1
    return {"format_version": "1.2", "terraform_version": "1.9.8",
            "resource_changes": changes,
            "planned_values": {"root_module": {"resources": planned}},
            "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
                "region": {"constant_value": "cn-north-1"}}}},
                "root_module": {"resources": config}}}


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit code) of one process."""
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_OUTPUT_FILE": "1"}
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resources", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3, help="median of this many runs")
    ap.add_argument("--checkov", default=os.environ.get("CHECKOV")
                    or shutil.which("checkov") or "/tmp/checkov-venv/bin/checkov")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp, "plan.json")
        doc = generate(args.resources)
        plan.write_text(json.dumps(doc))
        n = len(doc["resource_changes"])
        print(f"machine: {os.cpu_count()} CPUs; plan: {n} resources, "
              f"{plan.stat().st_size / 1e6:.1f} MB")
        rows: dict[str, tuple[float, float]] = {}
        tools = {"dsscan": [sys.executable, "-m", "dsscan.cli.main", "scan", "terraform",
                            str(plan), "-f", "json", "-o", str(Path(tmp, "dsscan.json"))]}
        if Path(args.checkov).exists():
            # --skip-download: no call to Prisma Cloud (nothing leaves 127.0.0.1).
            tools["checkov"] = [args.checkov, "-f", str(plan), "--framework", "terraform_plan",
                                "-o", "json", "--quiet", "--compact", "--skip-download"]
        else:
            print(f"checkov not found at {args.checkov}: only dsscan is measured")
        print(f"{'tool':<8} {'median s':>9} {'min s':>7} {'RSS MB':>7} {'exit':>5}")
        for name, cmd in tools.items():
            runs = [timed(cmd) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            rows[name] = (wall, rss)
            print(f"{name:<8} {wall:>9.2f} {min(r[0] for r in runs):>7.2f} {rss:>7.0f} "
                  f"{runs[0][2]:>5}")
        if "checkov" in rows:
            print(f"\ncheckov / dsscan wall time: {rows['checkov'][0] / rows['dsscan'][0]:.1f}x "
                  f"(target ≥ 15x); dsscan {rows['dsscan'][0]:.2f} s (target ≤ 5 s)")
        findings = len(json.loads(Path(tmp, "dsscan.json").read_text())["findings"])
        print(f"dsscan findings: {findings}")


if __name__ == "__main__":
    main()
