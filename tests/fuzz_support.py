"""A seeded mutation fuzzer of every input file dsscan reads, through the real CLI entry.

Each case takes a realistic seed (examples/, tests/fixtures/fuzz/), mutates it (type swaps at
any depth, deletions, duplications, duplicate keys, NaN/Infinity, integers of thousands of
digits, lone surrogates, deep nesting, huge strings, truncation, byte flips, a line before
the content), writes it, and runs ``dsscan.cli.main.main`` in-process with a cheap command
(reading and validating) or, for a share of the cases, a whole scan. A case passes when:

- the exit code is 0, 1, 2 or 3 and stderr holds no traceback and no "internal error";
- on exit 2, stderr is exactly one line, and it names the mutated file;
- an output file given with -o is either the previous one, untouched (exit 2), or complete.

Used by tests/test_fuzz.py (a bounded run in CI) and bench/bench_fuzz.py (a larger run).
Every case is reproducible from (kind, base seed, index): ``Case.describe()`` says how.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fuzz_mutations import MUTATIONS, Doc, byte_mutation, serialize

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "fuzz"
BANK = ROOT / "examples" / "bank-estate.json"
PREVIOUS = b"previous output: must survive a failed run\n"
NO_PROFILE = "dsscan-fuzz-no-such-profile"
# A closed port, in case anything went further (no network beyond 127.0.0.1 here).
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "cn-north-1",
           "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_CONFIG_FILE": "/nonexistent",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"}
# What a run may print on exit 2 without naming the file: the accounts file was read and
# accepted, and the sweep went on to its first AWS call.
_AFTER_ACCOUNTS = re.compile(rf"^dsscan: error: --profile {NO_PROFILE}: no such AWS profile")
# A case that runs longer is reported as hanging (reading for ever, blocked on a FIFO).
HANG_GUARD_S = int(os.environ.get("DSSCAN_FUZZ_HANG_S", "120"))


# --- seeds and commands -----------------------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    name: str
    fmt: str            # json | yaml | toml
    seed: Path | None   # None: built at run time (the baseline)
    filename: str       # the name the mutated file is written under
    cheap: tuple[str, ...]   # the command reading the file; {f} the file, {o} an output file
    full: tuple[str, ...]    # a whole scan with the file
    full_share: float        # share of the cases run with ``full``


def _kinds() -> dict[str, Kind]:
    bank = str(BANK)
    rec = ROOT / "examples" / "pulumi" / "bank" / "recorded"
    return {k.name: k for k in (
        Kind("inventory", "json", BANK, "estate.json",
             ("inventory", "classify", "{f}", "-o", "{o}"),
             ("scan", "inventory", "{f}", "-f", "json", "-o", "{o}"), 0.15),
        Kind("terraform", "json", ROOT / "examples" / "terraform" / "bank" / "plan.json",
             "plan.json", ("inventory", "terraform", "{f}", "-o", "{o}"),
             ("scan", "terraform", "{f}", "-f", "json", "-o", "{o}"), 0.15),
        Kind("pulumi-export", "json", rec / "stack-export.json", "stack.json",
             ("inventory", "pulumi", "{f}", "-o", "{o}"),
             ("scan", "pulumi", "{f}", "-f", "sarif", "-o", "{o}"), 0.15),
        Kind("pulumi-preview", "json", rec / "preview.json", "preview.json",
             ("inventory", "pulumi", "{f}", "-o", "{o}"),
             ("scan", "pulumi", "{f}", "-f", "json", "-o", "{o}"), 0.15),
        Kind("config", "yaml", FIXTURES / "dsscan.yaml", ".dsscan.yaml",
             ("config", "show", "--config", "{f}"),
             ("scan", "inventory", bank, "--config", "{f}", "-f", "json", "-o", "{o}"), 0.2),
        Kind("pyproject", "toml", FIXTURES / "pyproject.toml", "pyproject.toml",
             ("config", "show", "--config", "{f}", "--format", "json"),
             ("scan", "inventory", bank, "--config", "{f}", "-f", "json", "-o", "{o}"), 0.2),
        Kind("catalogue", "yaml", ROOT / "examples" / "catalogue.yaml", "catalogue.yaml",
             ("inventory", "classify", bank, "--catalogue", "{f}", "-o", "{o}"),
             ("scan", "inventory", bank, "--catalogue", "{f}", "-f", "json", "-o", "{o}"), 0.15),
        Kind("waivers", "yaml", FIXTURES / "waivers.yaml", "waivers.yaml",
             ("config", "show", "--config", "{f}"),
             ("scan", "inventory", bank, "--config", "{f}", "-f", "json", "-o", "{o}"), 0.5),
        Kind("baseline", "json", None, "baseline.json",
             ("scan", "inventory", bank, "--baseline", "{f}", "-f", "json", "-o", "{o}"),
             ("scan", "inventory", bank, "--baseline", "{f}", "-f", "markdown", "-o", "{o}"),
             0.1),
        # An accounts file is read before anything touches AWS; one that was accepted stops
        # at the missing profile, at once (no AWS call is wanted or possible here).
        Kind("accounts", "yaml", FIXTURES / "accounts.yaml", "accounts.yaml",
             ("inventory", "aws", "--accounts-file", "{f}", "--regions", "cn-north-1",
              "--role-name", "DsscanReadOnly", "--profile", NO_PROFILE, "-o", "{o}"),
             ("scan", "aws", "--accounts-file", "{f}", "--regions", "cn-north-1",
              "--profile", NO_PROFILE, "-f", "json", "-o", "{o}"), 0.1),
    )}


KINDS = _kinds()


# --- running the CLI ----------------------------------------------------------------------------

@dataclass
class Outcome:
    code: Any
    stderr: str


def _cached_library() -> None:
    """Load the policy library once per process: it is not what is fuzzed here, and loading
    it is most of a scan's time (0.5 s). Every scan still evaluates the real library."""
    import dsscan.policy_library as pl

    if getattr(pl.load_library, "fuzz_cached", False):
        return
    original = pl.load_library

    @functools.lru_cache(maxsize=4)
    def by_dirs(dirs: tuple[str, ...]) -> Any:
        return original(extra_dirs=list(dirs))

    def load_library(extra_dirs: Any = (), include_builtin: bool = True,
                     lint: bool = True) -> Any:
        if not include_builtin or not lint:
            return original(extra_dirs, include_builtin, lint)
        return by_dirs(tuple(str(d) for d in extra_dirs))

    load_library.fuzz_cached = True  # type: ignore[attr-defined]
    pl.load_library = load_library  # type: ignore[assignment]


def _env() -> dict[str, str | None]:
    """The environment of every run: no settings file found by chance, nothing of the
    developer's (None: removed)."""
    return {"DSSCAN_NO_CONFIG": "1", "NO_COLOR": "1", "CI": "true", "DSSCAN_STORE": None,
            "DSSCAN_CONFIG": None, "DSSCAN_DEBUG": None, "DSSCAN_OPA_URL": None,
            "DSSCAN_MAX_INPUT_MB": None, "DSSCAN_MAX_SETTINGS_MB": None, **AWS_ENV}


class _Hang(BaseException):
    pass


def run_in_process(argv: list[str], env: dict[str, str | None] | None = None) -> Outcome:
    """``dsscan ARGV`` through the real entry point (dsscan.cli.main.main: option parsing,
    error handling, exit codes), its output captured by click's CliRunner. ``env``: changes
    to the fuzzer's environment (None removes a variable)."""
    from click.testing import CliRunner

    from dsscan.cli.main import main

    _cached_library()

    def hang(*_: Any) -> None:
        raise _Hang()

    runner = CliRunner()
    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(HANG_GUARD_S)
    try:
        with runner.isolation(env={**_env(), **(env or {})}) as streams:
            try:
                main(argv)
                code: Any = 0
            except SystemExit as e:
                code = e.code
            except _Hang:
                code = "hang"
            err = streams[1].getvalue().decode("utf-8", "replace")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return Outcome(code, err)


def run_subprocess(argv: list[str], cwd: Path) -> Outcome:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           **{k: v for k, v in _env().items() if v is not None}}
    r = subprocess.run([sys.executable, "-m", "dsscan.cli.main", *argv], capture_output=True,
                       text=True, env=env, cwd=cwd, timeout=HANG_GUARD_S)
    return Outcome(r.returncode, r.stderr)


def problems(outcome: Outcome, path: Path, kind: Kind, out: Path | None) -> list[str]:
    """What is wrong with one run's outcome (empty: it behaved)."""
    bad: list[str] = []
    err = outcome.stderr
    if outcome.code not in (0, 1, 2, 3):
        bad.append(f"exit code {outcome.code!r}")
    if "Traceback" in err or "internal error" in err:
        bad.append("internal error: " + err.strip()[-300:])
    if outcome.code == 2:
        lines = err.strip("\n").split("\n")
        if len(lines) != 1:
            bad.append(f"{len(lines)} lines on stderr: {err[:300]!r}")
        elif str(path) not in lines[0] and not (kind.name == "accounts"
                                                and _AFTER_ACCOUNTS.match(lines[0])):
            bad.append(f"the error does not name the file: {lines[0][:300]!r}")
    if out is not None and out.exists():
        data = out.read_bytes()
        if outcome.code == 2 and data != PREVIOUS:
            bad.append("a failed run changed its output file")
        elif outcome.code in (0, 1, 3) and data != PREVIOUS and out.suffix in (".json",
                                                                              ".sarif"):
            try:
                json.loads(data)
            except ValueError:
                bad.append("the output file is not complete JSON")
    return bad


# --- cases ------------------------------------------------------------------------------------

@functools.cache
def _seed_text(seed_path: str) -> str:
    return Path(seed_path).read_text("utf-8")


def _seed_tree(kind: str, seed_path: str) -> Any:
    """A fresh tree of the seed (parsing again is faster than a deep copy)."""
    text = _seed_text(seed_path)
    fmt = KINDS[kind].fmt
    if fmt == "json":
        import orjson

        return orjson.loads(text)
    if fmt == "yaml":
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    import tomllib

    return tomllib.loads(text)


@dataclass
class Case:
    kind: Kind
    base_seed: int
    index: int
    full: bool = False
    steps: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (f"{self.kind.name} case {self.index} (base seed {self.base_seed}; "
                f"{'full scan' if self.full else 'read'}): " + "; ".join(self.steps))


def make_case(kind: Kind, seed_path: Path, base_seed: int, index: int) -> tuple[Case, bytes]:
    rnd = random.Random(f"{kind.name}:{base_seed}:{index}")
    case = Case(kind, base_seed, index, full=rnd.random() < kind.full_share)
    doc = Doc(kind.fmt, _seed_tree(kind.name, str(seed_path)))
    ops, weights = zip(*MUTATIONS, strict=True)
    for _ in range(rnd.choice((1, 1, 1, 2, 3))):
        op = rnd.choices(ops, weights)[0]
        case.steps.append(op(rnd, doc))
    data = serialize(doc)
    if rnd.random() < 0.2:
        data, step = byte_mutation(rnd, data)
        case.steps.append(step)
    return case, data


class Fuzzer:
    """Runs cases in a scratch directory; ``baseline`` seeds are made there once."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.seeds = {name: k.seed for name, k in KINDS.items()}

    def seed_of(self, kind: Kind) -> Path:
        seed = self.seeds[kind.name]
        if seed is None:
            seed = self.workdir / "seed-baseline.json"
            got = run_in_process(["baseline", "create", "inventory", str(BANK), "-o",
                                  str(seed)])
            assert got.code in (0, 3) and seed.exists(), got.stderr  # 3: the bank is incomplete
            self.seeds[kind.name] = seed
        return seed

    def run(self, kind: Kind, base_seed: int, index: int,
            subprocess_too: bool = False) -> tuple[Case, Outcome, list[str]]:
        case, data = make_case(kind, self.seed_of(kind), base_seed, index)
        d = Path(tempfile.mkdtemp(prefix=f"{kind.name}-case{index}-run-", dir=self.workdir))
        path = d / kind.filename
        path.write_bytes(data)
        argv, out = self.argv(kind, case.full, path, d)
        outcome = run_in_process(argv)
        bad = problems(outcome, path, kind, out)
        if subprocess_too and not bad:
            if out is not None:
                out.write_bytes(PREVIOUS)
            sub = run_subprocess(argv, d)
            bad = problems(sub, path, kind, out)
            if (sub.code, sub.stderr) != (outcome.code, outcome.stderr) and not bad:
                bad.append(f"subprocess differs: {sub.code} {sub.stderr[:200]!r} against "
                           f"{outcome.code} {outcome.stderr[:200]!r}")
        if not bad:
            _remove(d)
        else:
            case.steps.append(f"input kept at {path}")
        return case, outcome, bad

    @staticmethod
    def argv(kind: Kind, full: bool, path: Path, d: Path) -> tuple[list[str], Path | None]:
        template = kind.full if full else kind.cheap
        out = None
        argv = []
        for a in template:
            if a == "{o}":
                suffix = {"markdown": ".md", "sarif": ".sarif"}.get(
                    template[template.index("-f") + 1] if "-f" in template else "", ".json")
                out = d / f"out{suffix}"
                out.write_bytes(PREVIOUS)
                a = str(out)
            argv.append(a.replace("{f}", str(path)))
        return argv, out


def _remove(d: Path) -> None:
    import shutil

    shutil.rmtree(d, ignore_errors=True)


def cases(n: int, kinds: list[str] | None = None) -> Iterator[tuple[str, int]]:
    """(kind, index) pairs, kinds in turn."""
    names = kinds or list(KINDS)
    for i in range(n):
        yield names[i % len(names)], i // len(names)


# --- damaged history stores -------------------------------------------------------------------

STORE_COMMANDS = (["history"], ["history", "--format", "json", "--policy", "DS-*"], ["diff"],
                  ["diff", "latest~2", "latest", "--format", "json"])


def make_store(workdir: Path) -> bytes:
    """A store of three runs of the bank estate, checkpointed into one file: its bytes."""
    import sqlite3

    store = workdir / "seed-history.sqlite"
    for _ in range(3):
        got = run_in_process(["scan", "inventory", str(BANK), "--store", str(store), "-o",
                              str(workdir / "seed-report.json")])
        assert got.code == 1, got.stderr
    with sqlite3.connect(store) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store.read_bytes()


def damage(data: bytes, rnd: random.Random) -> tuple[bytes, str]:
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


def run_store_case(seed_store: bytes, workdir: Path, base_seed: int,
                   index: int) -> tuple[str, list[Outcome], list[str]]:
    """One damaged copy of the store under every reading command: each exits 0 or 2 (one line
    naming the store), never with an internal error."""
    rnd = random.Random(f"store:{base_seed}:{index}")
    data, how = damage(seed_store, rnd)
    d = Path(tempfile.mkdtemp(prefix=f"store-case{index}-run-", dir=workdir))
    path = d / "history.sqlite"
    path.write_bytes(data)
    outcomes, bad = [], []
    for argv in STORE_COMMANDS:
        got = run_in_process([*argv, "--store", str(path)])
        outcomes.append(got)
        err = got.stderr.strip()
        if got.code not in (0, 2) or "internal error" in err or "Traceback" in err or (
                got.code == 2 and (err.count("\n") or str(path) not in err)):
            bad.append(f"{' '.join(argv)}: exit {got.code}: {err[:300]}")
    if bad:
        how += f"; store kept at {path}"
    else:
        _remove(d)
    return how, outcomes, bad
