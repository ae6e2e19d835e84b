"""dsscan.run: the application flow as a library call, the one entry of the CLI, the demo, the
CrossGuard pack and Python users. What the CLI adds is option parsing and where text goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import dsscan

from dsscan.errors import InputError
from dsscan.run import RunRequest, RunUI, execute, load_setup, plan_reports
from dsscan.scanners import get

ROOT = Path(__file__).resolve().parent.parent
ESTATE = str(ROOT / "examples" / "bank-estate.json")
CATALOGUE = str(ROOT / "examples" / "catalogue.yaml")


def _estate() -> object:
    return get("inventory").collect(files=(ESTATE,))


class _Recorder(RunUI):
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.reports: list[str] = []
        self.statuses: list[str | None] = []

    def message(self, text: str) -> None:
        self.lines.append(text)

    def report(self, text: str) -> None:
        self.reports.append(text)


def test_execute_returns_the_scan_the_exit_code_and_every_rendered_report(tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"
    ui = _Recorder()
    result = execute(RunRequest(inventory=_estate, catalogue_path=CATALOGUE, no_config=True,
                                formats=("sarif", "json"), outputs=(str(out),)), ui=ui)
    assert [(r.format, r.output) for r in result.reports] == [("sarif", str(out)),
                                                              ("json", None)]
    assert json.loads(out.read_text())["runs"][0]["results"]
    assert ui.reports == [result.reports[1].text]  # the one on standard output, through the UI
    assert ui.lines == [f"dsscan: wrote {out}"]
    assert result.exit_code == 1 and result.scan.findings
    assert result.run_id is None


def test_the_cli_and_the_library_give_the_same_report_and_exit_code(tmp_path: Path) -> None:
    cli_out = tmp_path / "cli.json"
    r = dsscan("scan", "inventory", ESTATE, "--catalogue", CATALOGUE, "--no-config",
               "-f", "json", "-o", cli_out)
    lib = execute(RunRequest(inventory=_estate, catalogue_path=CATALOGUE, no_config=True,
                             formats=("json",)))

    def stable(text: str) -> dict[str, object]:
        doc = json.loads(text)
        for k in ("started_at", "duration_s"):
            doc["summary"].pop(k, None)
        return doc

    assert r.returncode == lib.exit_code == 1
    assert stable(cli_out.read_text()) == stable(lib.reports[0].text)


def test_a_silent_ui_by_default_and_no_report_without_a_format(
        capsys: pytest.CaptureFixture[str]) -> None:
    result = execute(RunRequest(inventory=_estate, no_config=True, default_format=None))
    assert result.reports == [] and result.scan.asset_count > 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("request_args, says", [
    ({"formats": ("pdf",)}, "pdf"),
    ({"formats": ("json", "sarif")}, "standard output"),
    ({"outputs": ("report.unknown",)}, "extension"),
    ({"fail_on": "sometimes"}, "--fail-on"),
    ({"baseline_path": "/nonexistent/baseline.json"}, "baseline"),
])
def test_usage_errors_come_before_the_inventory_is_read(request_args: dict[str, object],
                                                        says: str, tmp_path: Path) -> None:
    read: list[int] = []

    def inventory() -> object:
        read.append(1)
        return _estate()

    with pytest.raises(InputError, match=says):
        execute(RunRequest(inventory=inventory, no_config=True, **request_args))  # type: ignore[arg-type]
    assert read == []


def test_an_output_that_is_an_input_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    estate = tmp_path / "estate.json"
    estate.write_text(Path(ESTATE).read_text())
    before = estate.read_bytes()
    with pytest.raises(InputError):
        execute(RunRequest(inventory=lambda: get("inventory").collect(files=(str(estate),)),
                           no_config=True, formats=("json",), outputs=(str(estate),)))
    assert estate.read_bytes() == before


def test_a_setup_is_loaded_once_and_reused_across_runs() -> None:
    setup = load_setup(None, CATALOGUE, no_config=True)
    first = execute(RunRequest(inventory=_estate, default_format=None), setup)
    second = execute(RunRequest(inventory=_estate, default_format=None), setup)
    assert [f.fingerprint for f in first.scan.findings] == [
        f.fingerprint for f in second.scan.findings]
    assert first.scan.findings  # the catalogue of the setup was applied


def test_plan_reports_pairs_formats_and_outputs() -> None:
    assert plan_reports((), ("a.sarif", "b.md")) == [("sarif", "a.sarif"), ("markdown", "b.md")]
    assert plan_reports(("json", "table"), ("a.json",)) == [("json", "a.json"),
                                                            ("table", None)]
    assert plan_reports((), ()) == [("table", None)]
