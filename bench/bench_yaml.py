"""Strict YAML loading (config, catalogue, waivers, accounts files): seconds and MB/s of
``dsscan.inputs.parse_yaml`` on generated settings files, beside PyYAML's own pure-Python
SafeLoader and libyaml's CSafeLoader (no strictness) as references.

    python bench/bench_yaml.py [--mb 1 4 16] [--runs 3]

The files: a catalogue of N rules (matchers, tags, descriptions in Chinese) and a config with
N waivers, sized to the given MB; 16 MB is the default DSSCAN_MAX_SETTINGS_MB.
"""

from __future__ import annotations

import argparse
import statistics
import time

import yaml

from dsscan.inputs import parse_yaml


def catalogue(mb: float) -> str:
    rule = ("  - id: CAT-{i:06d}\n"
            "    description: \"核心账务数据 {i} — ledger of branch {i}\"\n"
            "    level: important\n"
            "    environment: production\n"
            "    match:\n"
            "      id: \"arn:aws-cn:s3:::bank-{i}-*\"\n"
            "      tags: {{owner: \"team-{i}\", cost-centre: \"cc-{i}\"}}\n"
            "      account: [\"111111111111\", \"222222222222\"]\n")
    out, i, size = ["version: 1\nrules:\n"], 0, 0
    while size < mb * (1 << 20):
        s = rule.format(i=i)
        out.append(s)
        size += len(s.encode())
        i += 1
    return "".join(out)


def best(fn, text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - t)
    return min(times) if runs < 3 else statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=float, nargs="+", default=[1, 4, 16])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-reference", action="store_true",
                    help="only dsscan's loader (the pure-Python reference is slow)")
    args = ap.parse_args()
    print(f"libyaml: {yaml.__with_libyaml__}")
    print(f"{'MB':>5} {'dsscan strict s':>16} {'MB/s':>7} {'PyYAML SafeLoader s':>20} "
          f"{'CSafeLoader s':>14}")
    for mb in args.mb:
        text = catalogue(mb)
        real_mb = len(text.encode()) / (1 << 20)
        ours = best(lambda t: parse_yaml(t, "bench.yaml"), text, args.runs)
        ref = "-" if args.no_reference else \
            f"{best(lambda t: yaml.load(t, Loader=yaml.SafeLoader), text, 1):.2f}"
        fast = "-" if not yaml.__with_libyaml__ else \
            f"{best(lambda t: yaml.load(t, Loader=yaml.CSafeLoader), text, args.runs):.2f}"
        print(f"{real_mb:>5.1f} {ours:>16.2f} {real_mb / ours:>7.2f} {ref:>20} {fast:>14}")


if __name__ == "__main__":
    main()
