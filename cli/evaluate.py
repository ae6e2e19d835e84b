"""Options shared by every command that evaluates (scan <source>, demo, sample --scan); the
flow they start is dsscan.run."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from dsscan.cli.types import FiniteFloatRange
from dsscan.config import FAIL_ON_CHOICES
from dsscan.run import FORMATS, RunUI


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
                   reading: str | None = "Reading the estate") -> int:
    """The parsed options as a dsscan.run.RunRequest, run with the terminal's UI; returns the
    exit code. ``reading``: the status text while the inventory is collected (None: the
    scanner shows its own progress)."""
    from dsscan.run import RunRequest, execute

    request = RunRequest(
        inventory=inventory_factory, config_path=config_path, no_config=no_config,
        catalogue_path=catalogue_path, policy_dirs=policy_dirs, include=include,
        exclude=exclude, formats=formats, outputs=outputs, color=use_color(color),
        fail_on=fail_on, baseline_path=baseline_path, store_url=store_url, opa_url=opa_url,
        opa_timeout=opa_timeout, reading=reading)
    return execute(request, ui=TerminalUI()).exit_code


class TerminalUI(RunUI):
    """Reports on standard output, messages on stderr, a spinner on a terminal."""

    @contextmanager
    def status(self, text: str | None) -> Iterator[None]:
        # Only on a terminal: quiet in CI and pipes.
        if not (text and sys.stderr.isatty() and not os.environ.get("CI")):
            yield
            return
        from rich.console import Console

        with Console(stderr=True).status(text):
            yield

    def message(self, text: str) -> None:
        click.echo(text, err=True)

    def report(self, text: str) -> None:
        from dsscan.masked_streams import premasked

        with premasked():  # masked as it was rendered: not a second time
            click.echo(text, nl=not text.endswith("\n"))
