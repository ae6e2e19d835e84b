"""Content detectors: throughput (MB/s on one core) and precision/recall per detector.

    python bench/bench_detect.py                    # 50 MB dense CSV, 50 MB sparse log, accuracy
    python bench/bench_detect.py --mb 10            # smaller inputs
    python bench/bench_detect.py --presidio /tmp/presidio-venv/bin/python   # + Presidio, 1 MB

Throughput is end to end: reading the file, splitting it (csv.reader for the CSV, in chunks of
rows handed to ``scan_column`` per column, strings only), detecting and validating, and merging
the records with ``content_block``. The log is read and handed to ``scan_text`` in chunks of
lines. Inputs are generated with a fixed seed (dsscan.detection.synthetic) into a temp dir.

Targets (issue #5): >= 30 MB/s dense, >= 50 MB/s sparse; precision and recall >= 0.99 for
resident IDs, USCC, and cards under a column hint. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from operator import itemgetter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dsscan.detection import ContentScanner, content_block
from dsscan.detection import synthetic as syn

CSV_COLUMNS = ("customer_no", "name", "id_number", "mobile", "card_no", "email", "address",
               "opened_at", "balance", "remark")
CHUNK_ROWS = 20000
CHUNK_BYTES = 4 << 20


# ---------------------------------------------------------------- inputs


def write_dense_csv(path: Path, mb: float, seed: int = 1) -> None:
    """A customer table: every row carries an ID, mobile, card, e-mail and a name."""
    rng = random.Random(seed)
    target = int(mb * 1e6)
    roads = ["建国路", "中山路", "人民路", "解放路", "长安街", "南京路", "淮海路", "深南大道"]
    cities = ["北京市朝阳区", "上海市徐汇区", "深圳市南山区", "杭州市西湖区",
              "成都市武侯区", "武汉市江汉区"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        i = 0
        while f.tell() < target:
            rows = []
            for _ in range(2000):
                i += 1
                rows.append((
                    str(100000000 + i), syn.person_name(rng), syn.resident_id(rng),
                    syn.mobile(rng), syn.bank_card(rng), syn.email(rng),
                    f"{rng.choice(cities)}{rng.choice(roads)}{rng.randrange(1, 999)}号",
                    f"20{rng.randrange(10, 25)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)} "
                    f"0{rng.randrange(10)}:{rng.randrange(10, 60)}:{rng.randrange(10, 60)}",
                    f"{rng.random() * 100000:.2f}",
                    rng.choice(("", "", "VIP客户", "已核验", "待回访")),
                ))
            w.writerows(rows)


def write_sparse_log(path: Path, mb: float, seed: int = 2) -> None:
    """Application log lines; about one line in fifty carries an identifier."""
    rng = random.Random(seed)
    target = int(mb * 1e6)
    paths = ("/api/v1/orders", "/api/v1/accounts", "/health", "/api/v2/transfer", "/login")
    with path.open("w", encoding="utf-8") as f:
        n = 0
        while f.tell() < target:
            lines = []
            for _ in range(5000):
                n += 1
                line = (f"2024-05-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:"
                        f"{rng.randrange(60):02d}:{rng.randrange(60):02d}.{n % 1000:03d}Z "
                        f"{rng.choice(('INFO', 'INFO', 'INFO', 'WARN', 'DEBUG'))} "
                        f"[worker-{rng.randrange(16)}] {rng.choice(paths)} status=200 "
                        f"latency={rng.randrange(900)}ms "
                        f"trace={uuid.UUID(int=rng.getrandbits(128)).hex}")
                r = rng.random()
                if r < 0.005:
                    line += f" idcard={syn.resident_id(rng)}"
                elif r < 0.01:
                    line += f" 客户手机{syn.mobile(rng)}已通知"
                elif r < 0.015:
                    line += f" card_no={syn.bank_card(rng)}"
                elif r < 0.02:
                    line += f" mail to {syn.email(rng)}"
                lines.append(line)
            f.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------- throughput


def scan_csv(path: Path, scanner: ContentScanner) -> dict[str, Any]:
    records: list[dict] = []
    rows_seen = 0
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        getters = range(len(header))
        while True:
            chunk = [r for _, r in zip(range(CHUNK_ROWS), reader, strict=False)]
            if not chunk:
                break
            rows_seen += len(chunk)
            for i in getters:
                col = list(map(itemgetter(i), chunk))
                records += scanner.scan_column(f"customers.{header[i]}", col, name=header[i])
    return content_block(records, {"rows": rows_seen, "columns": len(header),
                                   "bytes": path.stat().st_size})


def scan_log(path: Path, scanner: ContentScanner) -> dict[str, Any]:
    records: list[dict] = []
    with path.open(encoding="utf-8") as f:
        while True:
            text = f.read(CHUNK_BYTES)
            if not text:
                break
            rest = f.readline()  # whole lines per chunk
            records += scanner.scan_text("logs/app.log", text + rest)
    return content_block(records, {"objects": 1, "bytes": path.stat().st_size})


def timed(fn: Any, path: Path, scanner: ContentScanner,
          repeat: int) -> tuple[float, float, Any]:
    """Best wall time and best CPU time of this process (the steadier figure on a machine
    other work shares) over ``repeat`` runs."""
    best = cpu = float("inf")
    out = None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn(path, scanner)
        best = min(best, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return best, cpu, out


# ---------------------------------------------------------------- accuracy


def accuracy(scanner: ContentScanner, rows: int) -> dict[str, dict[str, int]]:
    """TP/FP/FN of unmasked values per detector, over the labelled columns and log lines."""
    table: dict[str, dict[str, int]] = {}

    def add(det: str, key: str, n: int) -> None:
        table.setdefault(det, {"tp": 0, "fp": 0, "fn": 0})[key] += n

    for col in syn.corpus(seed=7, rows=rows):
        found = scanner.column_detail(col.name, col.values, name=col.name)
        label = "hinted" if scanner_hint(col.name) else "no hint"
        for det in set(found) | set(col.truth):
            got = set(found.get(det, ()))
            truth = col.truth.get(det, set())
            key = f"{det} ({label})" if det == "bank_card" else det
            add(key, "tp", len(got & truth))
            add(key, "fp", len(got - truth))
            add(key, "fn", len(truth - got))
    text, truth, _ = syn.text_corpus(seed=11, lines=rows * 10)
    found = scanner.text_detail("log", text)
    for det in set(found) | set(truth):
        got, want = set(found.get(det, ())), truth.get(det, set())
        add(f"{det} (text)", "tp", len(got & want))
        add(f"{det} (text)", "fp", len(got - want))
        add(f"{det} (text)", "fn", len(want - got))
    return table


def scanner_hint(name: str) -> bool:
    from dsscan.detection.hints import column_hints
    return bool(column_hints(name)[0])


def print_accuracy(table: dict[str, dict[str, int]]) -> None:
    print(f"\n{'detector':<44} {'TP':>6} {'FP':>5} {'FN':>5} {'precision':>10} {'recall':>8}")
    for det in sorted(table):
        t = table[det]
        p = t["tp"] / (t["tp"] + t["fp"]) if t["tp"] + t["fp"] else float("nan")
        r = t["tp"] / (t["tp"] + t["fn"]) if t["tp"] + t["fn"] else float("nan")
        print(f"{det:<44} {t['tp']:>6} {t['fp']:>5} {t['fn']:>5} {p:>10.4f} {r:>8.4f}")


# ---------------------------------------------------------------- Presidio


PRESIDIO_CHILD = r"""
import json, sys, time
from presidio_analyzer import RecognizerRegistry
registry = RecognizerRegistry()
registry.load_predefined_recognizers(languages=["en"])
recs = [r for r in registry.recognizers if not r.__class__.__name__.startswith("Spacy")]
text = open(sys.argv[1], encoding="utf-8").read()
t = time.perf_counter()
counts = {}
for r in recs:  # the whole slice at once, as Presidio is usually called
    for res in r.analyze(text, entities=r.supported_entities, nlp_artifacts=None):
        counts[res.entity_type] = counts.get(res.entity_type, 0) + 1
print(json.dumps({"seconds": time.perf_counter() - t, "counts": counts,
                  "recognizers": sorted(r.__class__.__name__ for r in recs)}))
"""


def presidio(python: str, slice_path: Path, scanner: ContentScanner) -> None:
    text = slice_path.read_text(encoding="utf-8")
    t = time.perf_counter()
    ours = scanner.scan_text("slice", text)
    ours_s = time.perf_counter() - t
    proc = subprocess.run([python, "-c", PRESIDIO_CHILD, str(slice_path)], capture_output=True,
                          text=True, timeout=1800, check=False)
    mb = slice_path.stat().st_size / 1e6
    markers = {"prc_resident_id": "idcard=", "mobile_phone": "客户手机", "bank_card": "card_no=",
               "email": "mail to"}
    inserted = {d: sum(m in line for line in text.splitlines()) for d, m in markers.items()}
    print(f"\nPresidio comparison on a {mb:.2f} MB slice of the sparse log")
    print(f"  identifiers the generator put in: {inserted}")
    if proc.returncode != 0:
        print("  Presidio could not run:", proc.stderr.strip().splitlines()[-1:])
        return
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  dsscan:   {ours_s:.3f} s ({mb / ours_s:.1f} MB/s); unmasked by detector: "
          f"{ {d['detector']: d['unmasked'] for d in ours} }")
    print(f"  Presidio: {res['seconds']:.3f} s ({mb / res['seconds']:.2f} MB/s), "
          f"pattern recognizers without NLP ({len(res['recognizers'])}): {res['counts']}")
    print(f"  ratio: dsscan is {res['seconds'] / ours_s:.0f}x faster")


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=50.0, help="size of each input (MB)")
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs")
    ap.add_argument("--accuracy-rows", type=int, default=2000, help="rows per labelled column")
    ap.add_argument("--presidio", metavar="PYTHON", help="python of a venv with presidio")
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()
    scanner = ContentScanner()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        dense, sparse = d / "customers.csv", d / "app.log"
        if not args.skip_throughput:
            write_dense_csv(dense, args.mb)
            write_sparse_log(sparse, args.mb)
            for label, fn, path in (("dense PII CSV", scan_csv, dense),
                                    ("sparse log text", scan_log, sparse)):
                mb = path.stat().st_size / 1e6
                secs, cpu, block = timed(fn, path, scanner, args.repeat)
                dets = {x["detector"]: x["unmasked"] for x in block["detections"]}
                print(f"{label:<16} {mb:6.1f} MB  {secs:6.2f} s  {mb / secs:6.1f} MB/s  "
                      f"CPU {mb / cpu:6.1f} MB/s  (pid {os.getpid()}, one core)  "
                      f"unmasked: {dets}")
        print_accuracy(accuracy(scanner, args.accuracy_rows))
        if args.presidio:
            slice_path = d / "slice.log"
            if not sparse.exists():
                write_sparse_log(sparse, 1.2)
            with sparse.open(encoding="utf-8") as f:
                slice_path.write_text(f.read(1_000_000).rsplit("\n", 1)[0] + "\n",
                                      encoding="utf-8")
            presidio(args.presidio, slice_path, scanner)


if __name__ == "__main__":
    main()
