"""Options shared by every command that evaluates (scan <source>, demo, sample --scan); the
flow they start is dsscan.run."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from dsscan.cli.types import FiniteFloatRange
from dsscan.config import FAIL_ON_CHOICES
from dsscan.progress import PlainLines, Progress
from dsscan.run import FORMATS, RunUI

PROGRESS_CHOICES = ("auto", "always", "never")
# What progress lines measure elapsed time and their spacing by (tests put a fake one here).
CLOCK: Callable[[], float] = time.monotonic


def evaluation_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command with the evaluation and report options."""
    opts = [
        click.option("--config", "config_path", type=click.Path(dir_okay=False),
                     help="Settings file (YAML, or a pyproject.toml with [tool.dsscan]). "
                          "Default: the nearest .dsscan.yaml or [tool.dsscan] upward from "
                          "here. See 'dsscan config show' and docs/config.md."),
        click.option("--no-config", is_flag=True,
                     help="Do not look for a settings file (built-in defaults and flags only)."),
        click.option("--catalogue", "catalogue_path", type=click.Path(dir_okay=False),
                     help="Data catalogue (YAML) mapping resources to data levels "
                          "(overrides the config's 'catalogue')."),
        click.option("--policy-dir", "policy_dirs", multiple=True,
                     type=click.Path(file_okay=False),
                     help="Directory of your own Rego policies, added to the library. "
                          "Repeatable."),
        click.option("--policy", "include", multiple=True, metavar="ID",
                     help="Evaluate only these policies (glob, e.g. 'DS-NET-*'). Repeatable."),
        click.option("--skip-policy", "exclude", multiple=True, metavar="ID",
                     help="Do not evaluate these policies (glob). Repeatable."),
        click.option("--format", "-f", "formats", multiple=True,
                     type=click.Choice(FORMATS),
                     help="Report format: table (default), json, sarif, junit, html, markdown "
                          "(per-article compliance report). Repeatable; "
                          "pair each with an --output."),
        click.option("--output", "-o", "outputs", multiple=True, type=click.Path(dir_okay=False),
                     help="Write the report to this file (the n-th --output takes the n-th "
                          "--format; with no --format the file extension decides: .sarif, "
                          ".json, .xml=junit, .html, .md). Repeatable."),
        click.option("--fail-on", default=None,
                     type=click.Choice(FAIL_ON_CHOICES, case_sensitive=False),
                     help="Exit 1 when a finding has this severity (critical, high, medium, "
                          "low, info) or data level (core, important, sensitive, general) or "
                          "higher; 'never': findings never fail the run, but an incomplete "
                          "scan still exits 3 (not assessed is never a pass). Waived "
                          "findings, and findings in the --baseline, never fail a run. "
                          "[default: the config's fail_on, else low]"),
        click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
                     help="Accepted findings ('dsscan baseline create'): fail only on new "
                          "ones and list the fixed ones."),
        click.option("--store", "store_url", metavar="URL", envvar="DSSCAN_STORE",
                     help="Keep this run in a history store: a SQLite file path or "
                          "postgresql://user@host/db (env DSSCAN_STORE). Adds trends to "
                          "html/markdown reports. See 'dsscan history'."),
        click.option("--opa-url", metavar="URL", envvar="DSSCAN_OPA_URL",
                     help="Evaluate on a central OPA server holding the bundle of "
                          "'dsscan policies bundle' (env DSSCAN_OPA_URL; token in "
                          "DSSCAN_OPA_TOKEN) instead of the embedded engine."),
        click.option("--opa-timeout", type=FiniteFloatRange(min=0, max=86400, min_open=True),
                     metavar="SECONDS", default=None,
                     help="Timeout of each request to the OPA server. [default: 30]"),
        click.option("--color/--no-color", default=None,
                     help="Colour in the table report (default: on a terminal, unless "
                          "NO_COLOR is set)."),
        click.option("--progress", type=click.Choice(PROGRESS_CHOICES), default="auto",
                     show_default=True,
                     help="Progress on stderr: 'auto' draws a live bar on a terminal (not "
                          "where CI is set) and otherwise prints a plain line every few "
                          "seconds (stage, elapsed, counts); 'always' draws the live bar even "
                          "when stderr is not a terminal; 'never' shows none."),
        click.option("--quiet", "-q", is_flag=True,
                     help="No progress, no 'wrote' or summary lines on stderr; errors are "
                          "still shown."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def use_color(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def run_evaluation(inventory_factory: Callable[[], Any], *, config_path: str | None,
                   catalogue_path: str | None, policy_dirs: tuple[str, ...],
                   include: tuple[str, ...], exclude: tuple[str, ...],
                   formats: tuple[str, ...], outputs: tuple[str, ...], fail_on: str | None,
                   color: bool | None, no_config: bool = False,
                   baseline_path: str | None = None, store_url: str | None = None,
                   opa_url: str | None = None, opa_timeout: float | None = None,
                   progress: str = "auto", quiet: bool = False,
                   reading: str | None = "Reading the estate") -> int:
    """The parsed options as a dsscan.run.RunRequest, run with the terminal's UI; returns the
    exit code. ``reading``: the stage shown while the inventory is collected."""
    from dsscan.run import RunRequest, execute

    request = RunRequest(
        inventory=inventory_factory, config_path=config_path, no_config=no_config,
        catalogue_path=catalogue_path, policy_dirs=policy_dirs, include=include,
        exclude=exclude, formats=formats, outputs=outputs, color=use_color(color),
        fail_on=fail_on, baseline_path=baseline_path, store_url=store_url, opa_url=opa_url,
        opa_timeout=opa_timeout, reading=reading)
    return execute(request, ui=TerminalUI(progress, quiet=quiet)).exit_code


class TerminalUI(RunUI):
    """Reports on standard output; messages and progress on stderr: a live bar (rich) on a
    terminal, plain lines at most every ``interval`` seconds elsewhere (CI logs, pipes)."""

    def __init__(self, progress: str = "auto", *, quiet: bool = False,
                 clock: Callable[[], float] | None = None, interval: float = 5.0) -> None:
        self.quiet = quiet
        self.mode = "never" if quiet else progress
        if self.mode == "auto":
            # CI runners often give a pseudo-terminal that a log cannot replay: plain lines.
            tty = sys.stderr.isatty() and not os.environ.get("CI")
            self.mode = "live" if tty else "plain"
        elif self.mode == "always":
            self.mode = "live"
        self.interval = interval
        self._plain = PlainLines(lambda line: click.echo(line, err=True), interval=interval,
                                 clock=clock or CLOCK) if self.mode == "plain" else None
        self._live: Any = None  # (rich Progress, task id) while a stage runs

    @contextmanager
    def status(self, text: str | None) -> Iterator[None]:
        stage = text or "Working"
        if self._plain is not None:
            self._plain.begin(stage)
            with self._heartbeat(self._plain):
                yield
        elif self.mode == "live":
            with self._bar(stage):
                yield
        else:
            yield

    def progress(self, event: Progress) -> None:
        if self._plain is not None:
            self._plain.update(event)
        elif event.message is not None:
            if self.mode != "never":
                click.echo(f"dsscan: {event.message}", err=True)
        elif self._live is not None:
            bar, task = self._live
            counts = []
            if event.done is not None:
                counts.append(f"{event.done}/{event.total if event.total is not None else '?'}"
                              f" {event.unit}".rstrip())
            if event.assets is not None:
                counts.append(f"{event.assets} assets")
            counts.extend(event.extra)
            bar.update(task, description=event.stage[:1].upper() + event.stage[1:],
                       completed=event.done or 0, total=event.total,
                       counts=", ".join(counts))

    @contextmanager
    def _heartbeat(self, lines: PlainLines) -> Iterator[None]:
        """A line every ``interval`` even while nothing reports counts (moto's set-up, a
        slow API call): a CI log that stays silent looks hung."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.interval):
                lines.tick()

        t = threading.Thread(target=beat, name="dsscan-progress", daemon=True)
        t.start()
        try:
            yield
        finally:
            stop.set()
            t.join()

    @contextmanager
    def _bar(self, stage: str) -> Iterator[None]:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        # On stderr: standard output carries the report. Transient: gone when done.
        bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                       TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                       transient=True, console=Console(stderr=True, force_terminal=True))
        task = bar.add_task(stage, total=None, counts="")
        self._live = (bar, task)
        try:
            with bar:
                yield
        finally:
            self._live = None

    def message(self, text: str) -> None:
        if not self.quiet:
            click.echo(text, err=True)

    def report(self, text: str) -> None:
        from dsscan.masked_streams import premasked

        with premasked():  # masked as it was rendered: not a second time
            click.echo(text, nl=not text.endswith("\n"))
