"""No option that writes a file ever writes over a file the run reads: the inventory or
sampled file, the config (and its waivers), the catalogue, the baseline, the history store —
by any name (the path, a symlink, a hard link, a relative spelling). One line, exit 2, every
file as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from cli_support import dsscan

pytestmark = pytest.mark.slow  # the command per input/output pairing

ROOT = Path(__file__).resolve().parents[1]
ESTATE = ROOT / "examples" / "bank-estate.json"
CATALOGUE = ROOT / "examples" / "catalogue.yaml"


def _setup(d: Path) -> None:
    shutil.copy(ESTATE, d / "inv.json")
    shutil.copy(CATALOGUE, d / "cat.yaml")
    (d / "cfg.yaml").write_text("fail_on: critical\nwaivers: []\n")
    (d / "data.csv").write_text("name,id\na,11010519491231002X\n")
    con = sqlite3.connect(d / "bank.db")
    con.execute("CREATE TABLE t (v TEXT)")
    con.commit()
    con.close()
    r = dsscan("baseline", "create", "inventory", d / "inv.json", "--no-config",
               "-o", d / "base.json")
    assert r.returncode in (0, 3), r.stderr
    r = dsscan("scan", "inventory", d / "inv.json", "--no-config", "--store",
               d / "hist.db", "-f", "json", "-o", d / "first.json")
    assert r.returncode in (0, 1, 3), r.stderr
    (d / "link.json").symlink_to(d / "inv.json")
    os.link(d / "inv.json", d / "hard.json")


SCAN = ["scan", "inventory", "{d}/inv.json", "--no-config"]
# (case, arguments (with {d} the directory), the file that must stay as it was, what it is)
CASES: list[tuple[str, list[str], str, str]] = [
    ("report over the inventory", [*SCAN, "-o", "{d}/inv.json"], "inv.json", "inventory"),
    ("report over a symlink to it", [*SCAN, "-o", "{d}/link.json"], "inv.json", "inventory"),
    ("report over a hard link to it", [*SCAN, "-o", "{d}/hard.json"], "inv.json", "inventory"),
    ("report over it, relative spelling", [*SCAN, "-o", "{d}/sub/../inv.json"], "inv.json",
     "inventory"),
    ("second report over the inventory",
     [*SCAN, "-f", "json", "-o", "{d}/new.json", "-f", "sarif", "-o", "{d}/inv.json"],
     "inv.json", "inventory"),
    ("report over the config (its waivers)",
     ["scan", "inventory", "{d}/inv.json", "--config", "{d}/cfg.yaml", "-f", "json", "-o",
      "{d}/cfg.yaml"],
     "cfg.yaml", "config file"),
    ("report over the catalogue", [*SCAN, "--catalogue", "{d}/cat.yaml", "-f", "json", "-o",
                                   "{d}/cat.yaml"],
     "cat.yaml", "catalogue file"),
    ("report over the baseline", [*SCAN, "--baseline", "{d}/base.json", "-o",
                                  "{d}/base.json"], "base.json", "baseline file"),
    ("report over the history store", [*SCAN, "--store", "{d}/hist.db", "-f", "json", "-o",
                                       "{d}/hist.db"],
     "hist.db", "history store"),
    ("inventory over the sampled file", ["sample", "{d}/data.csv", "-o", "{d}/data.csv"],
     "data.csv", "sampled file"),
    ("--save-inventory over the sampled file",
     ["sample", "{d}/data.csv", "--scan", "--save-inventory", "{d}/data.csv"], "data.csv",
     "sampled file"),
    ("inventory over the sampled SQLite database", ["sample", "{d}/bank.db", "-o",
                                                    "{d}/bank.db"], "bank.db",
     "sampled database"),
    ("baseline over its inventory",
     ["baseline", "create", "inventory", "{d}/inv.json", "--no-config", "-o", "{d}/inv.json"],
     "inv.json", "inventory"),
]


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("case,args,kept,what", CASES, ids=[c[0] for c in CASES])
def test_output_over_a_file_in_use_is_refused(tmp_path: Path, case, args, kept, what):
    _setup(tmp_path)
    (tmp_path / "sub").mkdir()
    before = {p.name: _digest(p) for p in tmp_path.iterdir() if p.is_file()}
    r = dsscan(*[a.format(d=tmp_path) for a in args])
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"is the {what} this run reads" in lines[0]
    after = {p.name: _digest(p) for p in tmp_path.iterdir() if p.is_file()}
    assert after[kept] == before[kept]
    assert not (tmp_path / "new.json").exists()  # no report written before the refusal
    assert set(after) == set(before)  # nor any other file (a temporary one, say)


def test_report_beside_the_inputs_is_written(tmp_path: Path):
    _setup(tmp_path)
    r = dsscan("scan", "inventory", tmp_path / "inv.json", "--no-config", "--store",
               tmp_path / "hist.db", "-f", "json", "-o", tmp_path / "first.json")
    assert r.returncode in (0, 1, 3), r.stderr
    assert (tmp_path / "first.json").stat().st_size > 0


def test_a_file_an_earlier_command_read_may_be_written_by_the_next(tmp_path: Path):
    """The files in use are those of this command: a process running several (a test run,
    the fuzz harness) may write where an earlier one read, or on a deleted input's inode."""
    from dsscan.cli.main import main

    shutil.copy(ESTATE, tmp_path / "inv.json")
    shutil.copy(ESTATE, tmp_path / "other.json")
    for argv in (["scan", "inventory", str(tmp_path / "inv.json"), "--no-config", "-f", "json",
                  "-o", str(tmp_path / "r1.json")],
                 ["scan", "inventory", str(tmp_path / "other.json"), "--no-config", "-f",
                  "json", "-o", str(tmp_path / "inv.json")]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code in (0, 1, 3)
    assert (tmp_path / "inv.json").read_bytes() != ESTATE.read_bytes()  # the report now
