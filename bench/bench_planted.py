"""Planted identifiers: how many were planted, how many outputs were searched, how many leaked.

    python bench/bench_planted.py                      # 1,000-asset estate, 5x AWS estate
    python bench/bench_planted.py --assets 200 --scale 1 --rows 50     # quick

The larger run of tests/test_planted_identifiers.py. Valid resident IDs, bank cards and
mobiles (tests/planted.py: GB 11643 check characters and real birth dates, Luhn with issuer
prefixes, allocated mobile segments) are planted in every string field of a generated
inventory (bench/gen_inventory.py) and the example Terraform plan and Pulumi export, in
bucket names, object keys and contents, DynamoDB tables and items, RDS and snapshot
identifiers, KMS descriptions and aliases, security groups, volumes and backup vaults of a
moto estate (moto's server on 127.0.0.1), and in the file name, tables, columns and rows of
a SQLite database. Every command and format then runs as a subprocess (tests/
planted_scenarios.py: reports in six formats, inventory aws/terraform/pulumi/classify/
explain, baseline create, --store with history and diff, --call-log, --sample-data, dsscan
sample, input errors) and everything written -- files, the stores (SQL dump and raw bytes),
call logs, standard output and error -- is searched for every planted value, as written and
with spaces, dashes, underscores, dots or URL escapes between its characters.

Prints, per scenario and in total: planted values, commands run, outputs checked, MB
searched, values seen masked in the outputs, leaked. Exit 1 if anything leaked.

    python bench/bench_planted.py --cost 100000     # also: what the masking costs
    python bench/bench_planted.py --chains-only     # only: masking long digit chains

With --chains (or --chains-only) it also times mask_text on adversarial texts of 100 kB and
200 kB (a chain of one-digit groups "1 1 1 ...", "1-1-...", "%20"-separated digits, loose
"1.2 1.2", many "@"s with no address, a repeated resident ID): seconds each, and the ratio
200 kB / 100 kB (2 for linear time, 4 for quadratic).

With --cost N it also times, on a generated N-asset estate, what the writers' masking adds:
the pass over a whole rendered report for people (table, html, markdown) against rendering
it, the same pass over the JSON report for comparison (not done by dsscan: JSON, SARIF and
JUnit are masked field by field), and the masking of an inventory value by value
(dump_inventory) against encoding it as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from gen_inventory import generate  # noqa: E402
from planted import Planted  # noqa: E402
from planted_scenarios import (  # noqa: E402
    FAKE_ENV,
    aws_scenario,
    check,
    describe,
    files_scenario,
    sqlite_scenario,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assets", type=int, default=1000, help="assets of the generated estate")
    ap.add_argument("--scale", type=int, default=5,
                    help="AWS estate size (x2 buckets, x1 tables and databases)")
    ap.add_argument("--rows", type=int, default=500, help="rows of the SQLite tables")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--cost", type=int, default=0, metavar="N",
                    help="also time the masking of the outputs of an N-asset estate")
    ap.add_argument("--chains", action="store_true",
                    help="also time the masking of long digit chains (linear or not)")
    ap.add_argument("--chains-only", action="store_true", help="only the --chains figures")
    args = ap.parse_args()
    if args.chains_only:
        chains()
        return 0

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs each request
    tmp = Path(tempfile.mkdtemp(prefix="dsscan-planted-"))
    estate = tmp / "estate.json"
    estate.write_text(json.dumps(generate(args.assets)), "utf-8")

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(FAKE_ENV)
    os.environ["AWS_ENDPOINT_URL"] = endpoint

    rows = []
    total_leaks = []
    try:
        for name, make in (
                ("inventory, plan, export, settings, store, baseline, errors",
                 lambda p: files_scenario(p, tmp / "files", estate)),
                ("moto estate: aws, --sample-data, --call-log, --store",
                 lambda p: aws_scenario(p, tmp / "aws", endpoint, scale=args.scale)),
                ("SQLite database: dsscan sample",
                 lambda p: sqlite_scenario(p, tmp / "sqlite", rows=args.rows))):
            planted = Planted(seed=len(rows) + 101)
            t0 = time.perf_counter()
            run = make(planted)
            outputs = run.outputs()
            leaks, seen = check(planted, outputs)
            mb = sum(len(text.encode("utf-8")) for _, text in outputs) / 1e6
            rows.append((name, len(planted.values), run.commands, len(outputs), mb, seen,
                         len(leaks), time.perf_counter() - t0))
            total_leaks += leaks
    finally:
        server.stop()
        if args.keep:
            print(f"work directory: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    head = ("scenario", "planted", "commands", "outputs checked", "MB searched",
            "seen masked", "leaked", "s")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print(f"| {r[0]} | {r[1]:,} | {r[2]} | {r[3]} | {r[4]:.1f} | {r[5]:,} | {r[6]} | "
              f"{r[7]:.0f} |")
    tot = [sum(r[i] for r in rows) for i in range(1, 8)]
    print(f"| **total** | **{tot[0]:,}** | {tot[1]} | **{tot[2]}** | {tot[3]:.1f} | "
          f"{tot[4]:,} | **{tot[5]}** | {tot[6]:.0f} |")
    print(f"\nplanted {tot[0]:,} / outputs checked {tot[2]} / leaked {tot[5]}")
    if args.cost:
        cost(args.cost)
    if args.chains:
        chains()
    if total_leaks:
        print(describe(total_leaks))
        return 1
    return 0


def cost(n: int) -> None:
    """Seconds the masking adds to the outputs of an n-asset estate, beside what they cost."""
    from dsscan import masking
    from dsscan.inventory import parse_inventory
    from dsscan.pipeline import ScanOptions, run_scan
    from dsscan.policy_library import load_library
    from dsscan.reports import get_reporter

    doc = generate(n)
    result = run_scan(parse_inventory(json.loads(json.dumps(doc)), "estate"), load_library(),
                      ScanOptions())
    print(f"\nmasking cost, {n:,} assets, {len(result.findings):,} findings "
          "(seconds, best of 2):")
    print("| output | MB | made in | masking pass | pass / made |\n|---|---|---|---|---|")
    for fmt in ("table", "html", "markdown", "json"):
        made, text = _best(lambda f=fmt: get_reporter(f)(result))
        masking._CLEAN.clear()
        passed, _ = _best(lambda t=text: masking.mask_text(t))
        note = " (not done: for comparison)" if fmt == "json" else ""
        print(f"| {fmt} report{note} | {len(text) / 1e6:.0f} | {made:.2f} | {passed:.2f} | "
              f"{passed / made:.2f} |")
    doc = parse_inventory(json.loads(json.dumps(doc)), "estate").to_document()
    made, text = _best(lambda: json.dumps(doc, indent=2, ensure_ascii=False))

    def value_pass() -> object:
        masking._CLEAN.clear()
        return masking.mask_value(doc)

    passed, _ = _best(value_pass)
    print(f"| inventory (json.dumps / mask_value) | {len(text) / 1e6:.0f} | {made:.2f} | "
          f"{passed:.2f} | {passed / made:.2f} |")


CHAIN_UNITS = {"1 ": "one-digit groups, spaces", "1-": "one-digit groups, dashes",
               "1%20": "digits between %20", "12 ": "two-digit groups", "1.2 ": "loose: 1.2 1.2",
               "@a.b": "'@' with no address", "11010519491231002X ": "a resident ID, repeated"}


def chains() -> None:
    """Seconds mask_text_full takes on 100 kB and 200 kB of each adversarial unit."""
    from dsscan.masking import mask_text_full

    print("\nmasking long chains (mask_text_full, seconds, best of 2):")
    print("| text | 100 kB | 200 kB | ratio |\n|---|---|---|---|")
    for unit, what in CHAIN_UNITS.items():
        t = []
        for size in (100_000, 200_000):
            text = unit * (size // len(unit))
            t.append(_best(lambda x=text: mask_text_full(x))[0])
        print(f"| {what} (`{unit.strip()}` x N) | {t[0]:.3f} | {t[1]:.3f} | "
              f"{t[1] / max(t[0], 1e-9):.1f} |")


def _best(fn: object) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(2):
        t0 = time.perf_counter()
        out = fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best, out


if __name__ == "__main__":
    sys.exit(main())
