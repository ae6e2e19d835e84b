"""Bad input is never an internal error: a seeded mutation fuzzer over every input file dsscan
reads, through the real CLI entry (tests/fuzz_support.py says what a case is and what it must
do), and damaged history stores under `dsscan history` and `dsscan diff`.

A bounded run: DSSCAN_FUZZ_CASES cases in all (default 2,000), from DSSCAN_FUZZ_SEED. The larger
run is bench/bench_fuzz.py. A failure names the case (kind, seed, index, mutations) and keeps
its input file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fuzz_support import KINDS, Fuzzer, make_store, run_store_case

pytestmark = pytest.mark.slow  # hundreds of mutated inputs through the command

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
        case, _, bad = fuzzer.run(KINDS[kind], BASE_SEED, i, subprocess_too=i == 0)
        if bad:
            failed.append(f"{case.describe()}\n    -> " + "\n    -> ".join(bad))
    assert not failed, f"{len(failed)} of {n} {kind} cases misbehaved:\n" + "\n".join(
        failed[:8])


# --- damaged history stores -------------------------------------------------------------------

STORE_CASES = 60


def test_a_damaged_store_is_read_or_refused_in_one_line(tmp_path: Path) -> None:
    """Flipped bytes, truncation, a zeroed page: `dsscan history` and `dsscan diff` exit 0
    (what could be read) or 2 with one line naming the store."""
    seed = make_store(tmp_path)
    failed = []
    for i in range(STORE_CASES):
        how, _, bad = run_store_case(seed, tmp_path, BASE_SEED, i)
        failed += [f"store case {i} ({how}): {b}" for b in bad]
    assert not failed, "\n".join(failed[:8])
