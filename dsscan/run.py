"""The application flow: settings → inventory → scan → reports, baseline and history.

One entry for every caller: the CLI (`dsscan scan …`, `dsscan demo`, `dsscan sample --scan`)
only parses options into a :class:`RunRequest`; the Pulumi CrossGuard pack, tests and Python
users call :func:`execute` the same way::

    from dsscan.run import RunRequest, execute
    from dsscan.scanners import get

    result = execute(RunRequest(inventory=lambda: get("terraform").collect(files=("plan.json",)),
                                formats=("sarif",), outputs=("report.sarif",)))
    result.exit_code, result.scan.findings

Nothing here prints: what a person should see goes through a :class:`RunUI` (the CLI's writes
to the terminal; the default is silent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dsscan.errors import InputError

if TYPE_CHECKING:
    from dsscan.catalogue import Catalogue
    from dsscan.config import Config
    from dsscan.findings import ScanResult
    from dsscan.inventory import Inventory
    from dsscan.policy_library import PolicyLibrary
    from dsscan.progress import Progress

FORMATS = ("table", "json", "sarif", "junit", "html", "markdown")
EXTENSIONS = {".sarif": "sarif", ".json": "json", ".xml": "junit", ".txt": "table",
              ".html": "html", ".htm": "html", ".md": "markdown"}
# Reports for people also pass the masking as a whole (see mask_report).
_TEXT_PASS = ("table", "html", "markdown")


@dataclass(frozen=True)
class RunRequest:
    """What to evaluate and what to do with the result. Flags set here win over the settings
    file, which wins over the defaults (docs/config.md)."""

    inventory: Callable[[], Inventory]  # called once, after settings and outputs are checked
    config_path: str | None = None
    no_config: bool = False  # True: built-in defaults and this request only
    catalogue_path: str | None = None
    policy_dirs: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # policy id globs; empty = all
    exclude: tuple[str, ...] = ()
    # Reports: the n-th output takes the n-th format (see plan_reports). Both empty: the
    # settings file's `reports`, else `default_format` on standard output (None: no report).
    formats: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    default_format: str | None = "table"
    color: bool = False  # colour in a table report on standard output
    fail_on: str | None = None
    baseline_path: str | None = None
    store_url: str | None = None
    opa_url: str | None = None
    opa_timeout: float | None = None
    reading: str | None = "Reading the estate"  # the stage shown while the inventory is read


@dataclass
class Setup:
    """Effective settings, catalogue and policy library: loaded once, reusable across runs
    (the CrossGuard pack evaluates every preview with the same ones)."""

    config: Config
    catalogue: Catalogue | None
    library: PolicyLibrary


@dataclass
class Report:
    format: str
    output: str | None  # None: standard output
    text: str


@dataclass
class RunResult:
    scan: ScanResult
    exit_code: int
    reports: list[Report] = field(default_factory=list)
    run_id: str | None = None  # the history store's id of this run
    fail_on: str = "low"  # the effective --fail-on, as given (a severity, a level, never)
    threshold: str | None = "low"  # the severity it means; None: never fails

    def summary(self) -> str:
        """One line: findings by severity, not assessed, and why the exit code is what it
        is (the CLI prints it on stderr when every report went to a file)."""
        from dsscan.pipeline import EXIT_FINDINGS, EXIT_INCOMPLETE
        from dsscan.reports import failing, severity_counts

        scan = self.scan
        by_sev = ", ".join(f"{n} {s}" for s, n in severity_counts(scan).items() if n)
        head = _count(len(scan.findings), "finding") + (f" ({by_sev})" if by_sev else "")
        head += f", {len(scan.not_assessed)} not assessed"
        if self.exit_code == EXIT_FINDINGS:
            n = failing(scan, self.threshold) or 0
            why = f"{_count(n, 'finding')} at or above {self.fail_on}"
        elif self.exit_code == EXIT_INCOMPLETE:
            why = "the scan was incomplete (something could not be assessed)"
        elif self.threshold is None:
            why = "--fail-on never, everything assessed"
        else:
            why = f"no finding at or above {self.fail_on}, everything assessed"
        return f"dsscan: {head}; exit {self.exit_code}: {why}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class RunUI:
    """What a person sees while a run works. The default shows nothing."""

    @contextmanager
    def status(self, text: str | None) -> Iterator[None]:  # long work under way
        yield

    def progress(self, event: Progress) -> None:  # counts from the work under status()
        pass

    def message(self, text: str) -> None:  # one line about files and stores (stderr in the CLI)
        pass

    def report(self, text: str) -> None:  # a report whose output is standard output
        pass


def plan_reports(formats: tuple[str, ...],
                 outputs: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Pair formats with output paths; None = standard output (at most one)."""
    fmts = list(formats)
    if not fmts and outputs:
        for out in outputs:
            ext = Path(out).suffix.lower()
            if ext not in EXTENSIONS:
                raise InputError(f"--output {out}: cannot tell the format from '{ext or 'no'}' "
                                 "extension; add --format")
            fmts.append(EXTENSIONS[ext])
    if not fmts:
        fmts = ["table"]
    if len(outputs) > len(fmts):
        raise InputError(f"{len(outputs)} --output paths but {len(fmts)} --format values; "
                         "give one --format per --output")
    plan: list[tuple[str, str | None]] = [
        (f, outputs[i] if i < len(outputs) else None) for i, f in enumerate(fmts)]
    if sum(1 for _, o in plan if o is None) > 1:
        raise InputError("more than one --format would go to standard output; "
                         "give an --output for each --format after the first")
    return plan


def load_config(config_path: str | None, catalogue_path: str | None, *,
                no_config: bool = False) -> tuple[Config, Catalogue | None]:
    """The effective settings (``config_path``, else discovered) and the data catalogue."""
    from dsscan.config_files import load_effective_config

    config = load_effective_config(config_path, discover=not no_config)
    path = catalogue_path or config.catalogue
    if not path:
        return config, None
    from dsscan.catalogue import load_catalogue

    return config, load_catalogue(path, config)


def load_setup(config_path: str | None = None, catalogue_path: str | None = None,
               policy_dirs: tuple[str, ...] = (), *, no_config: bool = False) -> Setup:
    from dsscan.policy_library import load_library

    config, catalogue = load_config(config_path, catalogue_path, no_config=no_config)
    library = load_library(extra_dirs=[*config.policy_dirs, *policy_dirs])
    return Setup(config, catalogue, library)


def execute(request: RunRequest, setup: Setup | None = None,
            ui: RunUI | None = None) -> RunResult:
    """Run one evaluation end to end. Usage errors (a bad format, an output that is one of
    the run's inputs, a store that cannot be opened) raise InputError before any scanning;
    every report is rendered before any is written, so a failure leaves no half-written file."""
    from dsscan.gc_pause import gc_paused
    from dsscan.inputs import refuse_in_use
    from dsscan.levels import SEVERITIES
    from dsscan.pipeline import ScanOptions, exit_code, fail_threshold, run_scan
    from dsscan.progress import reporting_to
    from dsscan.reports import get_reporter
    from dsscan.store.journal import journaling

    ui = ui or RunUI()
    setup = setup or load_setup(request.config_path, request.catalogue_path,
                                request.policy_dirs, no_config=request.no_config)
    config, catalogue = setup.config, setup.catalogue
    plan = _plan(request, config)  # usage errors before any work
    for fmt, _ in plan:
        get_reporter(fmt)
    fail_on = (request.fail_on or config.fail_on).lower()
    threshold = fail_threshold(fail_on, config)
    threshold_name = None if threshold is None else SEVERITIES[threshold]
    baseline = None
    baseline_path = request.baseline_path or config.baseline
    if baseline_path:
        from dsscan.baseline import load_baseline

        baseline = load_baseline(baseline_path)
    store = None
    store_url = request.store_url or config.store
    if store_url:  # opened first: a wrong URL fails before a long scan, not after it
        from dsscan.store import open_store

        store = open_store(store_url)
    outputs = [out for _, out in plan if out is not None]
    try:  # the store is closed whatever stops the run (a library caller's process goes on)
        for out in outputs:  # the config, catalogue, baseline, store: refused before the scan
            refuse_in_use(out)
        journal = None
        if store is not None:  # a sweep by shards journals them there (--resume)
            from datetime import UTC, datetime

            from dsscan.store.journal import Journal
            from dsscan.store.rows import new_run_id

            journal = Journal(store, new_run_id(datetime.now(UTC)))
        # Scanners, samplers and the evaluation report progress (dsscan.progress): to the UI.
        with ui.status(request.reading), reporting_to(ui.progress), journaling(journal):
            inventory = request.inventory()
        with ui.status(f"Evaluating {len(inventory.assets)} assets"), \
                reporting_to(ui.progress):
            scan = run_scan(inventory, setup.library, ScanOptions(
                config=config, catalogue=catalogue, include=request.include,
                exclude=request.exclude, baseline=baseline,
                opa_url=request.opa_url or config.opa_url,
                opa_timeout=request.opa_timeout or config.opa_timeout,
                store_facts=store is not None))
        if store is not None:
            with store.reading():
                scan.history = store.trend(limit=30)
                # Regulatory events since the latest stored run (Art. 19, 71, 73), for reports.
                scan.events = store.events_since_latest(scan)
        # Render everything before writing anything: a failure leaves no half-written report.
        # Reports build millions of short-lived acyclic objects: collector passes over them
        # cost a third of rendering 100k findings.
        with gc_paused():
            reports = [Report(fmt, out, mask_report(fmt, get_reporter(fmt)(
                scan, color=(out is None and request.color), threshold=threshold_name)))
                for fmt, out in plan]
        for out in outputs:  # the inventory's inputs too, before any file is written
            refuse_in_use(out)
        result = RunResult(scan=scan, exit_code=exit_code(scan, fail_on, config),
                           reports=reports, fail_on=fail_on, threshold=threshold_name)
        _deliver(reports, ui)
        if store is not None:
            # Under the id the sweep announced (the interrupted one's, resumed), if any.
            result.run_id = store.save_run(
                scan, run_id=journal.run_id if journal and journal.used else None)
            ui.message(f"dsscan: stored run {result.run_id} (dsscan history, dsscan diff)")
        if plan and all(out is not None for _, out in plan):
            # Every report went to a file: the outcome would otherwise be only an exit code.
            ui.message(result.summary())
    finally:
        if store is not None:
            store.close()
    return result


def _plan(request: RunRequest, config: Config) -> list[tuple[str, str | None]]:
    formats, outputs = request.formats, request.outputs
    if not formats and not outputs and config.reports:
        # Files first: plan_reports pairs the n-th format with the n-th output.
        reports = sorted(config.reports, key=lambda r: r["output"] is None)
        formats = tuple(str(r["format"]) for r in reports)
        outputs = tuple(str(r["output"]) for r in reports if r["output"])
    if not formats and not outputs:
        if request.default_format is None:
            return []
        formats = (request.default_format,)
    return plan_reports(formats, outputs)


def mask_report(fmt: str, text: str) -> str:
    # Reporters mask every field as they put it in (json, sarif: policy metadata too; junit:
    # every text and attribute once more). A report for people also passes the masking as a
    # whole: its layout joins fields, and nothing a reporter missed gets through (a pass over
    # a 150 MB JSON report would cost two thirds of making it).
    from dsscan.masking import mask_text

    return mask_text(text) if fmt in _TEXT_PASS else text


def _deliver(reports: list[Report], ui: RunUI) -> None:
    from dsscan.atomic_write import write_atomic

    for r in reports:
        if r.output is None:
            ui.report(r.text)
        else:
            write_atomic(r.output, r.text)
            ui.message(f"dsscan: wrote {r.output}")
