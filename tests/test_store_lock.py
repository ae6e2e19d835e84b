"""A history store another process is writing to: the run says what it waits for and how
to give up, stores its run once the lock is free, and past the wait ends with one line,
exit 2, nothing written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sampling_support import run_dsscan

pytestmark = pytest.mark.slow  # several dsscan processes contending for one store

ROOT = Path(__file__).resolve().parents[1]
ESTATE = ROOT / "examples" / "bank-estate.json"


def _store(tmp_path: Path) -> Path:
    db = tmp_path / "hist.db"
    r = run_dsscan("scan", "inventory", ESTATE, "--no-config", "--store", db, "-f", "json",
                   "-o", tmp_path / "r.json")
    assert r.returncode in (0, 1, 3), r.stderr
    return db


def _runs(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    finally:
        con.close()


def _hold(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")  # the write lock, as a run storing its results holds it
    return con


def test_locked_store_times_out_with_one_line_and_writes_nothing(tmp_path: Path):
    db = _store(tmp_path)
    con = _hold(db)
    try:
        r = run_dsscan("scan", "inventory", ESTATE, "--no-config", "--store", db, "-f", "json",
                       "-o", tmp_path / "r2.json", env={"DSSCAN_STORE_WAIT": "0"}, timeout=300)
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert "Traceback" not in r.stderr
    wait = [ln for ln in lines if "waiting up to 0 s" in ln]
    assert len(wait) == 1 and "locked by another process" in wait[0] and "Ctrl-C" in wait[0]
    assert lines[-1].endswith("still locked by another process after 0 s; nothing was "
                              "written (try again when it has finished, or set "
                              "DSSCAN_STORE_WAIT)")
    assert _runs(db) == 1


def test_run_waits_for_the_lock_then_stores(tmp_path: Path):
    db = _store(tmp_path)
    con = _hold(db)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1", "CI": "true",
           "DSSCAN_STORE_WAIT": "600"}
    p = subprocess.Popen([sys.executable, "-m", "dsscan.cli.main", "scan", "inventory",
                          str(ESTATE), "--no-config", "--store", str(db), "-f", "json", "-o",
                          str(tmp_path / "r2.json")], stderr=subprocess.PIPE, text=True,
                         env=env)
    try:
        assert p.stderr is not None
        for line in p.stderr:  # blocks until the run says it waits
            if "history store is locked" in line:
                assert "waiting up to 600 s" in line and "Ctrl-C to give up" in line
                break
        else:
            raise AssertionError("no wait message")
        con.execute("COMMIT")
        rest = p.stderr.read()
        assert p.wait(timeout=300) in (0, 1, 3), rest
    finally:
        con.close()
        if p.poll() is None:
            p.kill()
    assert _runs(db) == 2


def test_bad_wait_setting_is_one_line(tmp_path: Path):
    db = _store(tmp_path)
    con = _hold(db)
    try:
        r = run_dsscan("scan", "inventory", ESTATE, "--no-config", "--store", db, "-f", "json",
                       "-o", tmp_path / "r2.json", env={"DSSCAN_STORE_WAIT": "soon"})
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "dsscan: error: DSSCAN_STORE_WAIT='soon': not a number of seconds from 0 to 86400")


def test_postgres_migration_lock_times_out_with_one_line(pg_store_url: str, tmp_path: Path):
    """A new PostgreSQL store whose migration lock another session holds (a run creating
    the same store): the same wait line, and past DSSCAN_STORE_WAIT one line, exit 2."""
    import psycopg

    from dsscan.store.postgres import MIGRATION_LOCK

    with psycopg.connect(pg_store_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        r = run_dsscan("scan", "inventory", ESTATE, "--no-config", "--store", pg_store_url,
                       "-f", "json", "-o", tmp_path / "r.json",
                       env={"DSSCAN_STORE_WAIT": "0"}, timeout=300)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in r.stderr
    assert "history store is locked by another process" in lines[0] and "Ctrl-C" in lines[0]
    assert "still locked by another process after 0 s; nothing was written" in lines[1]
    assert "p@ss" not in r.stderr  # the URL's password is never shown
    assert not (tmp_path / "r.json").exists()
