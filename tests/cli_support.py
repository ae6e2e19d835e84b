"""The dsscan command as tests run it.

``dsscan(...)`` runs the command in this process (click's stream isolation): the same entry
point (``dsscan.cli.main.main``), exit codes, masked streams and environment a subprocess would
get, without starting an interpreter and importing dsscan again for every call -- the suite's
CLI tests went from ~1 s to a few milliseconds of overhead each.

``dsscan_process(...)`` starts ``python -m dsscan.cli.main`` for the tests where the process is
the point: what the interpreter prints at exit, writes to a full disk or a closed pipe, signals,
start-up time, an installed entry point.

Both return an object with ``returncode``, ``stdout`` and ``stderr`` (as
``subprocess.CompletedProcess``), and both run with the same minimal environment: ``PATH``,
``NO_COLOR=1``, ``CI=true``, ``COLUMNS=80`` plus what the test passes (a value of None
removes a variable) -- never the developer's own DSSCAN_* or AWS_* variables.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ESTATE = ROOT / "examples" / "bank-estate.json"
CATALOGUE = ROOT / "examples" / "catalogue.yaml"

# COLUMNS: the width a pipe gets (80), whether or not the tests run in a terminal (-s).
BASE_ENV = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "CI": "true", "COLUMNS": "80"}


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    args: tuple[str, ...] = ()


def command_env(env: Mapping[str, str | None] | None = None) -> dict[str, str]:
    merged: dict[str, str | None] = {**BASE_ENV, **(env or {})}
    return {k: v for k, v in merged.items() if v is not None}


@contextlib.contextmanager
def _environment(env: dict[str, str], cwd: Path | str | None) -> Iterator[None]:
    """This process's environment and working directory as a fresh process would have them,
    restored afterwards (tests run one at a time in a process)."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    try:
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def dsscan(*args: str | Path, cwd: Path | str | None = None,
           env: Mapping[str, str | None] | None = None) -> Result:
    """Run ``dsscan ARGS`` in this process; see the module docstring."""
    from click.testing import CliRunner

    from dsscan.cli.main import main

    argv = [str(a) for a in args]
    runner = CliRunner()
    with _environment(command_env(env), cwd), runner.isolation() as streams:
        try:
            main(argv)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return Result(code, out.decode(errors="replace"), err.decode(errors="replace"), tuple(argv))


def dsscan_process(*args: str | Path, cwd: Path | str | None = None,
                   env: Mapping[str, str | None] | None = None,
                   timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m dsscan.cli.main ARGS`` as a separate process; see the module docstring."""
    return subprocess.run([sys.executable, "-m", "dsscan.cli.main", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env=command_env(env))


def write_inventory(path: Path, *assets: dict) -> Path:
    path.write_text(json.dumps({"format": "dsscan-inventory/1", "assets": list(assets)}))
    return path


COMPLIANT_BUCKET = {
    "id": "arn:aws-cn:s3:::statements", "kind": "object_store", "name": "statements",
    "account": "111111111111", "region": "cn-north-1",
    "tags": {"dsscan:level": "sensitive", "environment": "production"},
    "encryption": {"at_rest": {"enabled": True, "key_type": "provider_managed"},
                   "in_transit": {"enforced": True}},  # DS-TRN-001: refuses plaintext
    "access": {"public": False, "wildcard_principal": False},
    # Built-in backups replicated to another region: a backup stored apart (DS-BAK-001).
    "backup": {"native": {"enabled": True, "retention_days": 30,
                          "replica_regions": ["cn-northwest-1"]},
               # ...and its restores verified by a restore-testing selection (DS-BAK-004).
               "restore_verification": {"testing_selections": ["monthly/all"],
                                        "restore_jobs": "read"}},
    # Server access logs kept forever (here in the bucket itself): DS-LOG-001/002.
    "logging": {"access_log": {"enabled": True, "target_bucket": "statements"}},
    "expiry": {"expires": False, "days": None},
}
