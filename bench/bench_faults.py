"""The fault matrix (issue 11, "Done when"): every operation the live AWS scanner calls
(dsscan.scanners.aws.operations.OPERATIONS) x AccessDenied, throttling past retries, a reply
that hangs (a byte every half second: a timeout), HTTP 5xx, a malformed 200 (an HTML page)
and an empty 200, each injected alone into `dsscan inventory aws` run in-process over a small
moto estate on which every operation is called (tests/aws_support.full_estate).

A fault is injected for real: a botocore hook sends the operation's requests to an HTTP
stand-in on 127.0.0.1 (tests/aws_support.StandIn) that answers in the protocol's own words,
so botocore's retries, the call deadline and the parsers all run. Each run is classified:

  gap        exit 3, and a gap naming the operation's IAM action on the scope the call was for
             (an asset facet whose asset the call named, or the account/region scope)
  refused    exit 2 with the one-line usage error meant for it: credentials STS refuses
             (sts:GetCallerIdentity AccessDenied), --organization where listing is denied
  noted      recorded in the inventory's sources, by design: restore testing, which no
             policy reads, and AWS Backup's service opt-in where no store's coverage
             needed it (docs/aws.md)
  misplaced  a gap naming the operation, on another scope
  usage      exit 2 with a usage error where the run should have been incomplete
  silent     exit 0, or no gap naming the operation: the fault vanished (a wrong pass)
  internal   an internal error (exit 2 "internal error", or a traceback)
  -          the operation was never called (declared in OPERATIONS, unused)

    python bench/bench_faults.py                       # all operations x all faults
    python bench/bench_faults.py --jobs 1              # in this process only
    python bench/bench_faults.py --ops dynamodb:ListTables,s3:ListBuckets --faults timeout
    python bench/bench_faults.py --json faults.json    # every run's outcome and gaps
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import aws_support as support  # noqa: E402

GLOBAL = {"s3", "s3control", "sts", "organizations"}  # scopes without a region
SERVICE_OF = {  # the --services that make an operation be called
    "ec2": "network", "s3": "s3", "s3control": "s3", "kms": "kms", "rds": "rds",
    "dynamodb": "dynamodb", "redshift": "redshift", "efs": "efs",
    "elasticache": "elasticache", "backup": "backup", "sts": "kms", "organizations": "kms",
}
EBS_OPS = {"DescribeVolumes", "DescribeSnapshots", "DescribeSnapshotAttribute"}
RESTORE_TESTING = {"ListRestoreTestingPlans", "ListRestoreTestingSelections",
                   "GetRestoreTestingSelection"}
# Read but deciding no verdict on the bench estate: restore testing (no policy reads it) and
# AWS Backup's service opt-in (its selections name their resource types: a store whose
# coverage needs the opt-in gets a backup gap, tests/test_aws_backup_selections.py).
NOTED = RESTORE_TESTING | {"DescribeRegionSettings"}
BY_DESIGN = {("sts", "GetCallerIdentity", "denied"): "AWS rejected the credentials",
             ("organizations", "ListAccounts", "denied"): "--organization: cannot list"}
SYMBOL = {"gap": "G", "refused": "R", "noted": "N", "misplaced": "m", "usage": "U",
          "silent": "S", "internal": "E", "not called": "-"}


def cli_args(service: str, op: str, fault: str, out: str) -> list[str]:
    services = "ebs" if op in EBS_OPS else "ebs,kms" if op == "DescribeKey" else \
        SERVICE_OF[service]
    args = ["inventory", "aws", "-o", out, "--services", services, "--max-attempts", "2",
            "--timeout", "1" if fault == "timeout" else "30"]
    if op != "DescribeRegions":
        args += ["--regions", support.REGION]
    if op == "AssumeRole":
        args += ["--account", support.ACCOUNT, "--account", support.OTHER_ACCOUNT,
                 "--role-name", "DsscanReadOnly"]
    if service == "organizations":
        args += ["--organization"]
    return args


class Recorder:
    """The parameters of every call of the faulted operation (which resource it was for)."""

    def __init__(self) -> None:
        self.target: tuple[str, str] | None = None
        self.values: set[str] = set()

    def __call__(self, params: dict[str, Any], event_name: str, **_: Any) -> None:
        if support.event_operation(event_name) == self.target:
            self.values |= {v for v in _strings(params) if len(v) > 3}


def _strings(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        return [s for x in v.values() for s in _strings(x)]
    if isinstance(v, list):
        return [s for x in v for s in _strings(x)]
    return []


def run_cli(args: list[str]) -> tuple[int, str]:
    from dsscan.cli.main import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 2
        except Exception as e:  # a traceback past the CLI's own handler
            print(f"Traceback: {type(e).__name__}: {e}", file=err)
            code = -1
    return code, err.getvalue()


def classify(service: str, op: str, fault: str, code: int, stderr: str, inv: dict[str, Any],
             called: bool, params: set[str]) -> tuple[str, list[list[str]]]:
    from dsscan.scanners.aws.operations import iam_action

    if not called:
        return "not called", []
    if code == -1 or code not in (0, 2, 3) or "internal error" in stderr \
            or "Traceback" in stderr:
        return "internal", []
    if code == 2:
        meant = BY_DESIGN.get((service, op, fault))
        return ("refused" if meant and meant in stderr else "usage"), [[stderr.strip()]]
    action = iam_action(service, op)
    gaps = [[g["scope"], g["reason"], ""] for g in inv.get("gaps", [])] + [
        [a["name"], g["reason"], json.dumps(a)] for a in inv.get("assets", [])
        for g in (a.get("assessment") or {}).get("gaps") or []]
    named = [g for g in gaps if g[1].startswith(action)]
    shown = [g[:2] for g in named]
    if op in NOTED and any(action in (s.get("detail") or "")
                                     for s in inv.get("sources", [])):
        return "noted", shown
    if code != 3 or not named:
        return "silent", [g[:2] for g in gaps]
    accounts = (support.ACCOUNT, support.OTHER_ACCOUNT, "the caller's account")
    here = f'"account": "{support.ACCOUNT}"'
    for scope, _, asset in named:
        # On the asset the call named; or, for a call that named none of the estate (a
        # listing read for a detail, a mount target), on an asset where the call was made.
        if asset and (any(p in asset for p in params) or (not params and here in asset and (
                service in GLOBAL or f'"region": "{support.REGION}"' in asset))):
            return "gap", shown
        if not asset and any(a in scope for a in accounts) and (
                service in GLOBAL or op == "DescribeRegions" or support.REGION in scope
                or any(p in scope for p in params)):
            return "gap", shown
    return "misplaced", shown


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", help="service:Operation,... (default: all of OPERATIONS)")
    ap.add_argument("--faults", help=f"comma-separated, of {','.join(support.FAULTS)}")
    ap.add_argument("--json", help="write every run's outcome here")
    ap.add_argument("--jobs", type=int, default=4,
                    help="processes, each with its own estate and a share of the operations "
                         "(the runs mostly wait: on back-offs, throttling, the deadline)")
    ap.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)  # a job's own
    args = ap.parse_args()

    for k in support.UNSET:
        os.environ.pop(k, None)
    os.environ.update(support.FAKE_ENV)
    os.environ["CI"] = "true"  # no progress bar
    # Each run opens a new boto3 session, whose loader parses the service models again
    # (~1 s a run): one loader for all of them. What is measured is the outcome, not speed.
    import botocore.loaders
    import botocore.session

    shared = botocore.loaders.create_loader()
    botocore.session.create_loader = lambda *_, **__: shared  # type: ignore[attr-defined]

    from dsscan.scanners.aws.operations import OPERATIONS

    ops = [(s, op) for s, names in OPERATIONS.items() for op in names]
    if args.ops:
        wanted = {tuple(x.split(":", 1)) for x in args.ops.split(",")}
        ops = [o for o in ops if o in wanted]
    faults = args.faults.split(",") if args.faults else list(support.FAULTS)

    started = time.monotonic()
    if args.jobs > 1 and len(ops) > 1:
        results = in_jobs(ops, faults, args.jobs)
    else:
        results = run_matrix(ops, faults)
    if not args.quiet:
        report(results, faults, time.monotonic() - started)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


def in_jobs(ops: list[tuple[str, str]], faults: list[str], jobs: int) -> list[dict[str, Any]]:
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for i in range(min(jobs, len(ops))):
            share = ",".join(f"{s}:{op}" for s, op in ops[i::jobs])
            out = Path(tmp) / f"job{i}.json"
            procs.append((out, subprocess.Popen(
                [sys.executable, __file__, "--jobs", "1", "--quiet", "--ops", share,
                 "--faults", ",".join(faults), "--json", str(out)])))
        results: list[dict[str, Any]] = []
        for out, p in procs:
            if p.wait() != 0:
                raise SystemExit(f"a job failed (exit {p.returncode})")
            results += json.loads(out.read_text())
    order = {f"{s}:{op}": i for i, (s, op) in enumerate(ops)}
    return sorted(results, key=lambda r: (order[r["operation"]], faults.index(r["fault"])))


def run_matrix(ops: list[tuple[str, str]], faults: list[str]) -> list[dict[str, Any]]:
    from moto import mock_aws

    results: list[dict[str, Any]] = []
    with mock_aws(), tempfile.TemporaryDirectory() as tmp:
        support.full_estate()
        stand_in = support.StandIn()
        recorder = Recorder()
        out = str(Path(tmp) / "inventory.json")
        with support.ClientHooks(("before-parameter-build", recorder), stand_in=stand_in):
            # The estate read once without faults: a call's parameter that names nothing in
            # it (a mount target id, a plan id) cannot tell which asset a gap belongs to.
            run_cli(["inventory", "aws", "-o", out, "--regions", support.REGION])
            estate = Path(out).read_text()
            for service, op in ops:
                for fault in faults:
                    Path(out).unlink(missing_ok=True)
                    stand_in.answer(service, op, *support.fault_reply(service, fault))
                    stand_in.requests.clear()
                    recorder.target, recorder.values = (service, op), set()
                    t = time.monotonic()
                    code, stderr = run_cli(cli_args(service, op, fault, out))
                    took = time.monotonic() - t
                    stand_in.forget(service, op)
                    inv = json.loads(Path(out).read_text()) if Path(out).exists() else {}
                    named = {v for v in recorder.values if v in estate}
                    outcome, gaps = classify(service, op, fault, code, stderr, inv,
                                             bool(stand_in.requests.get((service, op))), named)
                    results.append({"operation": f"{service}:{op}", "fault": fault,
                                    "exit": code, "outcome": outcome, "gaps": gaps,
                                    "seconds": round(took, 2)})
        stand_in.close()
    return results


def report(results: list[dict[str, Any]], faults: list[str], seconds: float) -> None:
    by_op: dict[str, dict[str, str]] = {}
    for r in results:
        by_op.setdefault(r["operation"], {})[r["fault"]] = r["outcome"]
    width = max(len(o) for o in by_op)
    print(f"{'operation':<{width}}  " + "  ".join(f"{f:>9}" for f in faults))
    for op, cells in by_op.items():
        print(f"{op:<{width}}  " + "  ".join(f"{SYMBOL[cells[f]]:>9}" for f in faults))
    print("\n" + "  ".join(f"{s} {k}" for k, s in SYMBOL.items()))
    counted = [r for r in results if r["outcome"] != "not called"]
    totals = Counter(r["outcome"] for r in counted)
    per_fault = {f: Counter(r["outcome"] for r in counted if r["fault"] == f) for f in faults}
    print(f"\n{'outcome':<12}" + "".join(f"{f:>11}" for f in faults) + f"{'total':>9}")
    for outcome in ("gap", "refused", "noted", "misplaced", "usage", "silent", "internal"):
        print(f"{outcome:<12}" + "".join(f"{per_fault[f][outcome]:>11}" for f in faults)
              + f"{totals[outcome]:>9}")
    n = len(counted)
    survived = totals["gap"] + totals["refused"] + totals["noted"]
    never = sorted({r["operation"] for r in results if r["outcome"] == "not called"})
    print(f"\n{n} faults injected on {len({r['operation'] for r in counted})} operations "
          f"in {seconds:.0f} s; never called (declared only): {', '.join(never) or 'none'}")
    print(f"survived: {survived}/{n} = {100 * survived / max(n, 1):.1f} % "
          f"(gaps on the right scope {totals['gap']}, usage errors by design "
          f"{totals['refused']}, noted by design {totals['noted']}); misplaced "
          f"{totals['misplaced']}, usage errors instead of gaps {totals['usage']}, silent "
          f"{totals['silent']}, internal errors {totals['internal']}")
    for r in counted:
        if r["outcome"] in ("misplaced", "usage", "silent", "internal"):
            print(f"  {r['outcome']}: {r['operation']} x {r['fault']} (exit {r['exit']}): "
                  f"{r['gaps'][:3]}")


if __name__ == "__main__":
    main()
