"""Bad input is never an internal error: a seeded mutation fuzzer over every input file dsscan
reads, through the real CLI entry (tests/fuzz_support.py says what a case is and what it must
do), and damaged history stores under `dsscan history` and `dsscan diff`.

A bounded run: DSSCAN_FUZZ_CASES cases in all (default 2,000), from DSSCAN_FUZZ_SEED. The larger
run is bench/bench_fuzz.py. A failure names the case (kind, seed, index, mutations) and keeps
its input file.
"""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest
from fuzz_support import BANK, KINDS, Fuzzer, run_in_process

BASE_SEED = int(os.environ.get("DSSCAN_FUZZ_SEED", "20261207"))
CASES = int(os.environ.get("DSSCAN_FUZZ_CASES", "2000"))


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Fuzzer:
    return Fuzzer(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_mutated_input_is_read_or_refused_in_one_line(fuzzer: Fuzzer, kind: str) -> None:
    n = max(1, CASES // len(KINDS))
    failed = []
    for i in range(n):
        # The first case of each kind also runs as a real process: the in-process runs
        # must be what a user sees.
        case, bad = fuzzer.run(KINDS[kind], BASE_SEED, i, subprocess_too=i == 0)
        if bad:
            failed.append(f"{case.describe()}\n    -> " + "\n    -> ".join(bad))
    assert not failed, f"{len(failed)} of {n} {kind} cases misbehaved:\n" + "\n".join(
        failed[:8])


# --- damaged history stores -------------------------------------------------------------------

STORE_CASES = 60


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A store of three runs of the bank estate, checkpointed into one file."""
    d = tmp_path_factory.mktemp("store")
    store = d / "history.sqlite"
    for _ in range(3):
        got = run_in_process(["scan", "inventory", str(BANK), "--store", str(store), "-o",
                              str(d / "r.json")])
        assert got.code == 1, got.stderr
    with sqlite3.connect(store) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store.read_bytes()


def _damage(data: bytes, rnd: random.Random) -> tuple[bytes, str]:
    b = bytearray(data)
    op = rnd.choice(("flip", "flip", "truncate", "zero page"))
    if op == "flip":  # past the 100-byte header, so SQLite still takes it for a database
        spots = [rnd.randrange(100, len(b)) for _ in range(rnd.randint(1, 50))]
        for i in spots:
            b[i] ^= rnd.randrange(1, 256)
        return bytes(b), f"flip {len(spots)} bytes"
    if op == "truncate":
        at = rnd.randrange(len(b))
        return bytes(b[:at]), f"truncate at {at}"
    at = rnd.randrange(len(b))
    b[at:at + 4096] = bytes(len(b[at:at + 4096]))
    return bytes(b), f"zero 4 KiB at {at}"


def test_a_damaged_store_is_read_or_refused_in_one_line(good_store: bytes,
                                                         tmp_path: Path) -> None:
    failed = []
    for i in range(STORE_CASES):
        rnd = random.Random(f"store:{BASE_SEED}:{i}")
        data, how = _damage(good_store, rnd)
        path = tmp_path / f"damaged-{i}.sqlite"
        path.write_bytes(data)
        for argv in (["history"], ["history", "--format", "json", "--policy", "DS-*"],
                     ["diff"], ["diff", "latest~2", "latest", "--format", "json"]):
            got = run_in_process([*argv, "--store", str(path)])
            err = got.stderr.strip()
            ok = got.code in (0, 2) and "internal error" not in err and "Traceback" not in err \
                and (got.code == 0 or (err.count("\n") == 0 and str(path) in err))
            if not ok:
                failed.append(f"store case {i} ({how}), {' '.join(argv)}: exit {got.code}: "
                              f"{err[:300]}")
    assert not failed, "\n".join(failed[:8])
