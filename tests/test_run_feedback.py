"""What a run tells a person on stderr besides its reports (issue 13, items 4 and 5).

Progress: plain lines on a stderr that is not a terminal (a CI log), at most one per interval
by the UI's clock (a fake one here: no sleeping, no timing), none with --progress never or
--quiet; the reports on standard output are the same either way. The summary line: printed
when every report went to a file, built from the RunResult, absent when a report goes to
standard output and with --quiet.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from dsscan.cli import evaluate
from dsscan.inventory import Inventory, dump_inventory
from dsscan.progress import PlainLines, Progress, report, reporting_to
from dsscan.run import RunRequest, RunUI, execute

ESTATE = str(Path(__file__).parent.parent / "examples" / "bank-estate.json")
LINE = re.compile(r"^dsscan: [a-z][^…]*… (\d+) s(, .*)?$")


@dataclass
class Ran:
    code: int
    out: str
    err: str


def _dsscan(argv: list[str], clock_step: float = 10.0) -> Ran:
    """``dsscan ARGV`` in-process (stderr is not a terminal), the progress clock moving
    ``clock_step`` seconds each time it is read."""
    from dsscan.cli.main import main

    ticks = itertools.count()
    saved = evaluate.CLOCK
    evaluate.CLOCK = lambda: next(ticks) * clock_step
    try:
        with CliRunner().isolation(env={"CI": None, "NO_COLOR": "1"}) as (out, err, _):
            try:
                main(argv)
                code = 0
            except SystemExit as e:
                code = int(e.code or 0)
            return Ran(code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        evaluate.CLOCK = saved


def _progress_lines(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if LINE.match(ln)]


@pytest.mark.slow
def test_plain_progress_lines_on_a_non_terminal_and_none_when_asked_not_to() -> None:
    base = ["scan", "inventory", ESTATE, "--no-config", "--fail-on", "never"]
    shown = _dsscan(base)
    lines = _progress_lines(shown.err)
    assert lines, shown.err
    assert any("evaluating" in ln and "chunks" in ln for ln in lines), lines
    for flags in (["--progress", "never"], ["--quiet"], ["-q", "--progress", "always"]):
        silent = _dsscan(base + flags)
        assert _progress_lines(silent.err) == [], (flags, silent.err)
        assert silent.out == shown.out and silent.code == shown.code == 3
    # The report is the same as with no progress machinery at all (the Python API).
    direct = execute(RunRequest(inventory=lambda: _read(ESTATE), no_config=True,
                                fail_on="never"))
    assert shown.out.rstrip("\n") == direct.reports[0].text.rstrip("\n")


def _larger(tmp_path: Path, copies: int = 10) -> str:
    """The example estate ten times over (new ids): several evaluation chunks to count."""
    doc = json.loads(Path(ESTATE).read_text())
    doc["assets"] = [{**a, "id": f"{a['id']}-copy{k}"}
                     for k in range(copies) for a in doc["assets"]]
    path = tmp_path / "larger.json"
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.slow
def test_progress_lines_are_spaced_by_the_interval(tmp_path: Path) -> None:
    # A 2 s step against the 5 s interval: most events must be held back.
    ran = _dsscan(["scan", "inventory", _larger(tmp_path), "--no-config",
                   "-o", str(tmp_path / "r.json")], clock_step=2.0)
    elapsed = [int(LINE.match(ln).group(1)) for ln in _progress_lines(ran.err)]  # type: ignore[union-attr]
    assert elapsed, ran.err
    assert len(elapsed) >= 2 and all(b - a >= 5 for a, b in itertools.pairwise(elapsed)), \
        elapsed
    # one total, counted up front (how many depends on the estate's size)
    totals = {re.search(r"/(\d+) chunks", ln).group(1)  # type: ignore[union-attr]
              for ln in _progress_lines(ran.err)}
    assert len(totals) == 1 and int(totals.pop()) >= 2, ran.err


@pytest.mark.parametrize(("events", "due"), [
    # (clock reading of each event) -> which events print a line; the start is at 0.
    ([1, 2, 3, 4], []),
    ([5], [0]),
    ([4.9, 5.0, 9.9, 10.0, 10.1, 20], [1, 3, 5]),
    ([100, 100, 101, 106], [0, 3]),
])
def test_plain_lines_throttle_by_the_clock(events: list[float], due: list[int]) -> None:
    now = [0.0]
    written: list[str] = []
    lines = PlainLines(written.append, interval=5.0, clock=lambda: now[0])
    lines.begin("Reading the estate")
    printed = []
    for i, t in enumerate(events):
        now[0] = t
        before = len(written)
        lines.update(Progress("reading AWS", i, 10, "reads", assets=3))
        if len(written) > before:
            printed.append(i)
    assert printed == due
    for ln in written:
        assert LINE.match(ln) and "reads" in ln and "3 assets" in ln


def test_progress_events_reach_the_ui_only_inside_a_run() -> None:
    got: list[Progress] = []

    class Recorder(RunUI):
        def progress(self, event: Progress) -> None:
            got.append(event)

    report("outside", 1, 2)  # nobody listens: nothing happens
    with reporting_to(got.append):
        report("inside", 1, 2, "reads")
    assert [e.stage for e in got] == ["inside"]
    got.clear()
    execute(RunRequest(inventory=lambda: _read(ESTATE), no_config=True,
                       default_format=None), ui=Recorder())
    stages = {e.stage for e in got}
    assert stages == {"evaluating"}, stages
    assert got[-1].done == got[-1].total


def _read(path: str) -> Inventory:
    from dsscan.scanners import get

    return get("inventory").collect(files=(path,))


def _empty(tmp_path: Path) -> str:
    path = tmp_path / "empty.json"
    dump_inventory(Inventory(assets=[], sources=[]), str(path))
    return str(path)


SUMMARY = re.compile(r"^dsscan: \d+ findings?( \([^)]*\))?, \d+ not assessed; exit \d: .+$")


@pytest.mark.parametrize(("fail_on", "code", "reason"), [
    ("low", 1, r"exit 1: 67 findings at or above low$"),
    ("critical", 1, r"exit 1: 15 findings at or above critical$"),
    ("never", 3, r"exit 3: the scan was incomplete"),
])
def test_file_only_outputs_end_with_a_summary_line(tmp_path: Path, fail_on: str, code: int,
                                                   reason: str) -> None:
    ran = _dsscan(["scan", "inventory", ESTATE, "--no-config", "--fail-on", fail_on,
                   "-o", str(tmp_path / "r.json"), "-o", str(tmp_path / "r.sarif")])
    assert ran.code == code
    last = ran.err.splitlines()[-1]
    assert SUMMARY.match(last) and re.search(reason, last), ran.err
    assert last.startswith("dsscan: 67 findings (15 critical, 12 high, 39 medium, 1 low), "
                           "16 not assessed;")
    assert ran.out == ""
    quiet = _dsscan(["scan", "inventory", ESTATE, "--no-config", "--fail-on", fail_on,
                     "-o", str(tmp_path / "q.json"), "--quiet"])
    assert quiet.code == code and quiet.err == "" and quiet.out == ""


def test_summary_for_a_clean_run_and_from_the_python_api(tmp_path: Path) -> None:
    ran = _dsscan(["scan", "inventory", _empty(tmp_path), "--no-config",
                   "-o", str(tmp_path / "r.md")])
    assert ran.code == 0
    line = "dsscan: 0 findings, 0 not assessed; exit 0: no finding at or above low, " \
           "everything assessed"
    assert ran.err.splitlines()[-1] == line
    result = execute(RunRequest(inventory=lambda: _read(_empty(tmp_path)), no_config=True,
                                default_format=None))
    assert result.summary() == line


def test_no_summary_when_a_report_goes_to_standard_output(tmp_path: Path) -> None:
    for extra in ([], ["-f", "table", "-f", "json", "-o", str(tmp_path / "r.json")]):
        ran = _dsscan(["scan", "inventory", ESTATE, "--no-config", *extra])
        assert ran.code == 1 and ran.out
        assert not any(SUMMARY.match(ln) for ln in ran.err.splitlines()), ran.err


def test_quiet_sampling_prints_nothing_but_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text("name,city\nZhang,Beijing\nLi,Shanghai\n")
    base = ["sample", str(data), "--no-config"]
    for extra in (["-o", str(tmp_path / "inv.json")],
                  ["--scan", "-o", str(tmp_path / "r.json")]):
        loud = _dsscan(base + extra)
        assert "dsscan: sampled" in loud.err and "dsscan: wrote" in loud.err, loud.err
        quiet = _dsscan(base + extra + ["--quiet"])
        assert quiet.code == loud.code and quiet.err == "", quiet.err
    scanned = _dsscan([*base, "--scan", "-o", str(tmp_path / "r.json")])
    assert SUMMARY.match(scanned.err.splitlines()[-1]), scanned.err


@pytest.mark.slow
def test_the_demo_reports_each_stage_in_counts_only(tmp_path: Path) -> None:
    """The case of the issue: `dsscan demo` in a CI log (moto in this process, the real AWS
    sweep with sampling, the evaluation): a line per stage, counts and no identifier."""
    ran = _dsscan(["demo", "-o", str(tmp_path / "demo.json")])
    lines = _progress_lines(ran.err)
    stages = [LINE.match(ln).group(0).split("…")[0] for ln in lines]  # type: ignore[union-attr]
    for stage in ("dsscan: reading AWS", "dsscan: sampling data", "dsscan: evaluating"):
        assert stage in stages, ran.err
    assert any(re.search(r"\d+/\d+ reads, \d+ assets$", ln) for ln in lines), lines
    # Stage names and counts only: no account id, region, ARN or resource name.
    for ln in lines:
        assert re.fullmatch(r"dsscan: [a-zA-Z ]+… \d+ s(, \d+(/\d+)? [a-z]+)*", ln), ln
    assert SUMMARY.match(ran.err.splitlines()[-1]) and ran.code == 1
