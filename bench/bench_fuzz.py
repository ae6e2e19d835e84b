"""The input fuzzer, at length: seeded mutations of every input kind through the real CLI entry,
and damaged history stores (tests/fuzz_support.py; tests/test_fuzz.py runs 2,000 in CI).

Prints the cases per input kind, their exit codes, the internal errors (target 0) and any other
misbehaviour (more than one line on exit 2, an error not naming the file, a changed or partial
output file, a hang), with how to reproduce each. Exits 1 when anything misbehaved.

    python bench/bench_fuzz.py                        # 20,000 cases + 500 damaged stores
    python bench/bench_fuzz.py --cases 5000 --seed 7 --kinds terraform,pulumi-export
    python bench/bench_fuzz.py --full 1.0             # every case a whole scan
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzz_support as fs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=20_000, help="input cases in all")
    ap.add_argument("--stores", type=int, default=500, help="damaged-store cases")
    ap.add_argument("--seed", type=int, default=1, help="base seed")
    ap.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    ap.add_argument("--full", type=float, default=None,
                    help="share of cases run as a whole scan (default: each kind's own)")
    ap.add_argument("--subprocess", type=int, default=20,
                    help="cases (spread over the run) also run as a real process")
    args = ap.parse_args()

    kinds = dict(fs.KINDS)
    if args.full is not None:
        kinds = {k: replace(v, full_share=args.full) for k, v in kinds.items()}
    names = [k for k in (args.kinds.split(",") if args.kinds else kinds) if k]
    unknown = set(names) - set(kinds)
    if unknown:
        ap.error(f"unknown kinds: {', '.join(sorted(unknown))} (known: {', '.join(kinds)})")

    work = Path(tempfile.mkdtemp(prefix="dsscan-fuzz-"))
    fuzzer = fs.Fuzzer(work)
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    internal = 0
    failures: list[str] = []
    every = max(1, args.cases // max(1, args.subprocess)) if args.subprocess else 0
    t0 = time.perf_counter()
    for n, (name, i) in enumerate(fs.cases(args.cases, names)):
        case, outcome, bad = fuzzer.run(kinds[name], args.seed, i,
                                        subprocess_too=bool(every) and n % every == 0)
        counts[name][str(outcome.code)] += 1
        counts[name]["full scans"] += case.full
        if bad:
            internal += any(b.startswith("internal error") for b in bad)
            failures.append(f"{case.describe()}\n    -> " + "\n    -> ".join(bad))
    t_inputs = time.perf_counter() - t0

    store_codes: collections.Counter[str] = collections.Counter()
    t1 = time.perf_counter()
    if args.stores:
        seed = fs.make_store(work)
        for i in range(args.stores):
            how, outcomes, bad = fs.run_store_case(seed, work, args.seed, i)
            store_codes.update(str(o.code) for o in outcomes)
            internal += sum("internal error" in b for b in bad)
            failures += [f"store case {i} ({how}): {b}" for b in bad]
    t_stores = time.perf_counter() - t1

    print(f"dsscan input fuzzer: base seed {args.seed}, {args.cases:,} input cases in "
          f"{t_inputs:.1f} s ({args.cases / max(t_inputs, 1e-9):.0f}/s), {args.stores:,} "
          f"damaged stores x {len(fs.STORE_COMMANDS)} commands in {t_stores:.1f} s")
    print()
    print("| kind | cases | full scans | exit 0 | exit 1 | exit 2 | exit 3 | other |")
    print("|---|---|---|---|---|---|---|---|")
    total: collections.Counter[str] = collections.Counter()
    for name in names:
        c = counts[name]
        cases = sum(v for k, v in c.items() if k != "full scans")
        other = cases - sum(c[k] for k in "0123")
        total.update(c)
        print(f"| {name} | {cases:,} | {c['full scans']:,} | {c['0']:,} | {c['1']:,} | "
              f"{c['2']:,} | {c['3']:,} | {other:,} |")
    cases = sum(v for k, v in total.items() if k != "full scans")
    print(f"| **all** | **{cases:,}** | {total['full scans']:,} | {total['0']:,} | "
          f"{total['1']:,} | {total['2']:,} | {total['3']:,} | "
          f"{cases - sum(total[k] for k in '0123'):,} |")
    if args.stores:
        runs = sum(store_codes.values())
        print(f"| damaged store runs | {runs:,} | | {store_codes['0']:,} | | "
              f"{store_codes['2']:,} | | {runs - store_codes['0'] - store_codes['2']:,} |")
    print()
    print(f"internal errors: {internal} (target 0); misbehaving cases: {len(failures)}")
    for f in failures[:30]:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
