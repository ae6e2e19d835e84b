"""Trend counts read back from a damaged history store (SQLite keeps 9e999 as infinity): the
compliance reports refuse them in one line, exit 2, never an internal OverflowError or a
trend drawn from a wrong number."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_support import dsscan

pytestmark = pytest.mark.slow  # stores filled with generated runs

ROOT = Path(__file__).resolve().parents[1]
ESTATE = ROOT / "examples" / "bank-estate.json"

DAMAGE = [
    ("infinite findings", "UPDATE runs SET findings = 9e999"),
    ("negative infinite not assessed", "UPDATE runs SET not_assessed = -9e999"),
    ("infinite per-level count", "UPDATE run_counts SET n = 9e999"),
    ("findings past 64 bits", "UPDATE runs SET findings = 99999999999999999999"),
]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hist")
    r = dsscan("scan", "inventory", ESTATE, "--no-config", "--store", d / "s.db", "-f",
               "json", "-o", d / "r.json")
    assert r.returncode in (0, 1, 3), r.stderr
    return d / "s.db"


@pytest.mark.parametrize("fmt", ["html", "markdown"])
@pytest.mark.parametrize("case,sql", DAMAGE, ids=[c[0] for c in DAMAGE])
def test_damaged_trend_count_is_one_line_exit_2(tmp_path: Path, stored: Path, case, sql, fmt):
    db = tmp_path / "s.db"
    db.write_bytes(stored.read_bytes())
    con = sqlite3.connect(db)
    con.execute(sql)
    con.commit()
    con.close()
    out = tmp_path / f"report.{fmt}"
    r = dsscan("scan", "inventory", ESTATE, "--no-config", "--store", db, "-f", fmt, "-o",
               out)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert "history store may be damaged" in lines[0]
    assert not out.exists()
