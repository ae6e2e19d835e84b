"""Per-policy cost of the policy library, in µs per asset, on one process.

Evaluates the whole library once, then each policy alone, over a prepared estate (classified,
relations attached) with one worker, so the figures compare policies rather than pool
scheduling. Each single-policy figure includes the ~15 µs/asset of handing the input over
(serializing it to JSON, which the engine parses).

    python bench/gen_inventory.py 10000 -o /tmp/estate-10000.json
    python bench/profile_policies.py /tmp/estate-10000.json

Budget (issue #2, 100k assets ≤ 10 s on 2 cores): the whole library ≤ 100 µs/asset.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from dsscan.config import Config
from dsscan.engines.local import evaluate
from dsscan.inventory import load_inventory
from dsscan.pipeline import ScanOptions, prepare
from dsscan.policy_library import load_library


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("estate", help="inventory JSON (e.g. from bench/gen_inventory.py)")
    args = parser.parse_args()

    inv = load_inventory(args.estate)
    lib = load_library()
    assets = prepare(inv, ScanOptions(config=Config()))
    cd = Config().policy_data()

    t = time.perf_counter()
    evaluate(lib, assets, cd, workers=1)
    full = time.perf_counter() - t
    print(f"all: {full:.2f}s  {full / len(assets) * 1e6:.0f} us/asset")
    for p in lib.policies:
        sub = dataclasses.replace(lib, policies=[p])
        t = time.perf_counter()
        evaluate(sub, assets, cd, workers=1)
        d = time.perf_counter() - t
        print(f"{p.id}: {d / len(assets) * 1e6:.0f} us/asset")


if __name__ == "__main__":
    main()
