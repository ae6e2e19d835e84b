"""Outputs that cannot be written, and names that cannot be written or quoted: one line on
standard error, exit 2, never a traceback or an "internal error".

A table of cases, each run as a subprocess with real file descriptors (standard output on
/dev/full, a closed pipe), with non-UTF-8 bytes in file names (os.fsencode / surrogateescape,
as the shell passes them) and line breaks in output names.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a dsscan process per case (real file descriptors)

ROOT = Path(__file__).resolve().parent.parent
ESTATE = str(ROOT / "examples" / "bank-estate.json")
CATALOGUE = str(ROOT / "examples" / "catalogue.yaml")
FULL = "/dev/full"
BAD = os.fsdecode(b"\xff")  # the lone surrogate the shell's b"\xff" arrives as


def _run(args: list[str], cwd: Path, stdout: object = subprocess.PIPE) -> tuple[int, str]:
    env = {**os.environ, "NO_COLOR": "1", "CI": "true"}
    env.pop("DSSCAN_DEBUG", None)
    r = subprocess.run([sys.executable, "-m", "dsscan.cli.main", *args], cwd=cwd, env=env,
                       stdout=stdout, stderr=subprocess.PIPE, timeout=600)
    return r.returncode, r.stderr.decode("utf-8", "backslashreplace")


CASES = [  # (name, arguments, standard output on /dev/full, what the line says)
    ("report to /dev/full", ["scan", "inventory", ESTATE, "-f", "json", "-o", FULL], False,
     "/dev/full"),
    ("report on stdout, stdout /dev/full", ["scan", "inventory", ESTATE, "-f", "json"], True,
     "cannot write standard output"),
    ("table on stdout, stdout /dev/full", ["scan", "inventory", ESTATE], True,
     "cannot write standard output"),
    ("policies list, stdout /dev/full", ["policies", "list"], True,
     "cannot write standard output"),
    ("inventory to stdout /dev/full", ["inventory", "classify", ESTATE], True,
     "cannot write standard output"),
    ("demo report to /dev/full", ["demo", "--saved", "-f", "json", "-o", FULL], False,
     "/dev/full"),
    ("demo, stdout /dev/full", ["demo", "--saved"], True, "cannot write standard output"),
    ("line break in an output name", ["scan", "inventory", ESTATE, "-f", "json", "-o",
                                      "a\nb.json"], False, "line break"),
    ("carriage return in an output name", ["inventory", "classify", ESTATE, "-o", "x\r.json"],
     False, "line break"),
    ("line break in --save-inventory", ["sample", ESTATE, "--save-inventory", "s\n.json"],
     False, "line break"),
    ("non-UTF-8 inventory name", ["scan", "inventory", f"{BAD}.json"], False, "UTF-8"),
    ("non-UTF-8 catalogue name", ["scan", "inventory", ESTATE, "--catalogue", f"c{BAD}.yaml"],
     False, "UTF-8"),
    ("non-UTF-8 sample path", ["sample", f"d{BAD}"], False, "UTF-8"),
    ("non-UTF-8 sample file:// path", ["sample", f"file:///tmp/d{BAD}"], False, "UTF-8"),
    ("non-UTF-8 output name", ["scan", "inventory", ESTATE, "-o", f"o{BAD}.json"], False,
     "UTF-8"),
]


@pytest.mark.parametrize(("args", "full", "says"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_unwritable_outputs_and_bad_names_are_one_line_errors(tmp_path, args, full, says):
    # The inputs exist (under their bad names too): the name is the only problem.
    for a in args:
        if BAD in a and a.endswith((".json", ".yaml")):
            (tmp_path / a).write_bytes(Path(CATALOGUE if a.endswith(".yaml") else ESTATE)
                                       .read_bytes())
    (tmp_path / f"d{BAD}").mkdir()
    (tmp_path / f"d{BAD}" / "x.csv").write_text("a,b\n1,2\n")
    if full:
        with open(FULL, "wb") as out:
            code, err = _run(args, tmp_path, stdout=out)
    else:
        code, err = _run(args, tmp_path)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len([x for x in lines if x.startswith("dsscan: error:")]) == 1, err
    assert says in lines[-1], err
    assert not any("\n" in p.name or "\r" in p.name for p in tmp_path.iterdir())


def test_a_name_that_is_not_utf8_found_inside_a_directory_is_shown_replaced(tmp_path):
    # Refused as an argument, but a file found while walking a directory is sampled: its
    # name reaches the reports through the masking, which writes U+FFFD for the bytes.
    d = tmp_path / "d"
    d.mkdir()
    (d / f"x{BAD}.csv").write_text("a,b\n1,2\n")
    env = {**os.environ, "NO_COLOR": "1", "CI": "true"}
    r = subprocess.run([sys.executable, "-m", "dsscan.cli.main", "sample", str(d), "--scan",
                        "-f", "json", "-o", "r.json", "-f", "sarif", "-o", "r.sarif"],
                       cwd=tmp_path, env=env, capture_output=True, timeout=600)
    err = r.stderr.decode("utf-8", "backslashreplace")
    assert r.returncode in (0, 1, 3), err
    assert "Traceback" not in err and "internal error" not in err, err
    for name in ("r.json", "r.sarif"):
        (tmp_path / name).read_bytes().decode("utf-8")  # valid UTF-8 throughout
