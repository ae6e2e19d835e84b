"""Options shared by every command that evaluates (scan <source>, demo), and what they do."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dsscan.cli.types import FiniteFloatRange
from dsscan.errors import InputError
from dsscan.pipeline import FAIL_ON_CHOICES

FORMATS = ("table", "json", "sarif", "junit", "html", "markdown")
_EXTENSIONS = {".sarif": "sarif", ".json": "json", ".xml": "junit", ".txt": "table",
               ".html": "html", ".htm": "html", ".md": "markdown"}


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
                          "higher; 'never' to report only. Waived findings, and findings in "
                          "the --baseline, never fail a run. [default: the config's fail_on, "
                          "else low]"),
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


def plan_outputs(formats: tuple[str, ...],
                 outputs: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Pair formats with output paths; None = standard output (at most one)."""
    fmts = list(formats)
    if not fmts and outputs:
        for out in outputs:
            ext = Path(out).suffix.lower()
            if ext not in _EXTENSIONS:
                raise InputError(f"--output {out}: cannot tell the format from '{ext or 'no'}' "
                                 "extension; add --format")
            fmts.append(_EXTENSIONS[ext])
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


def use_color(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def load_settings(config_path: str | None, catalogue_path: str | None, *,
                  no_config: bool = False) -> tuple[Any, Any]:
    """The effective settings (--config, else discovered) and the data catalogue."""
    from dsscan.config_files import load_effective_config

    config = load_effective_config(config_path, discover=not no_config)
    catalogue = None
    path = catalogue_path or config.catalogue
    if path:
        from dsscan.catalogue import load_catalogue

        catalogue = load_catalogue(path, config)
    return config, catalogue


def run_evaluation(inventory_factory: Callable[[], Any], *, config_path: str | None,
                   catalogue_path: str | None, policy_dirs: tuple[str, ...],
                   include: tuple[str, ...], exclude: tuple[str, ...],
                   formats: tuple[str, ...], outputs: tuple[str, ...], fail_on: str | None,
                   color: bool | None, no_config: bool = False,
                   baseline_path: str | None = None, store_url: str | None = None,
                   opa_url: str | None = None, opa_timeout: float | None = None,
                   reading: str | None = "Reading the estate") -> int:
    """Everything after option parsing: returns the exit code. ``reading`` is the spinner
    text while the inventory is collected (None: the scanner shows its own progress).

    Flags win over the settings file, which wins over the defaults."""
    from dsscan.inventory import gc_paused, write_json_atomic
    from dsscan.levels import SEVERITIES
    from dsscan.masking import premasked
    from dsscan.pipeline import ScanOptions, exit_code, fail_threshold, run_scan
    from dsscan.policy_library import load_library
    from dsscan.reports import get_reporter

    config, catalogue = load_settings(config_path, catalogue_path, no_config=no_config)
    if not formats and not outputs and config.reports:
        # Files first: plan_outputs pairs the n-th format with the n-th output.
        reports = sorted(config.reports, key=lambda r: r["output"] is None)
        formats = tuple(str(r["format"]) for r in reports)
        outputs = tuple(str(r["output"]) for r in reports if r["output"])
    plan = plan_outputs(formats, outputs)  # usage errors before any work
    for fmt, _ in plan:
        get_reporter(fmt)
    fail_on = (fail_on or config.fail_on).lower()
    threshold = fail_threshold(fail_on, config)
    threshold_name = None if threshold is None else SEVERITIES[threshold]
    baseline = None
    baseline_path = baseline_path or config.baseline
    if baseline_path:
        from dsscan.baseline import load_baseline

        baseline = load_baseline(baseline_path)
    store = None
    store_url = store_url or config.store
    if store_url:  # opened first: a wrong URL fails before a long scan, not after it
        from dsscan.store import open_store

        store = open_store(store_url)
    from dsscan.inputs import refuse_in_use

    for out in outputs:  # the config, catalogue, baseline, store: refused before the scan
        refuse_in_use(out)
    try:
        library = load_library(extra_dirs=[*config.policy_dirs, *policy_dirs])
        with _status(reading):
            inventory = inventory_factory()
        with _status(f"Evaluating {len(inventory.assets)} assets"):
            result = run_scan(inventory, library, ScanOptions(
                config=config, catalogue=catalogue, include=include, exclude=exclude,
                baseline=baseline, opa_url=opa_url or config.opa_url,
                opa_timeout=opa_timeout or config.opa_timeout))
        if store is not None:
            with store.reading():
                result.history = store.trend(limit=30)
        # Render everything before writing anything: a failure leaves no half-written report.
        # Reports build millions of short-lived acyclic objects: collector passes over them
        # cost a third of rendering 100k findings.
        # Reporters mask every field as they put it in (json, sarif: policy metadata too;
        # junit: every text and attribute once more). A report for people also passes the
        # masking as a whole: its layout joins fields, and nothing a reporter missed gets
        # through (a pass over a 150 MB JSON report would cost two thirds of making it).
        with gc_paused():
            rendered = [(_masked_as_text(fmt, get_reporter(fmt)(
                result, color=(out is None and use_color(color)), threshold=threshold_name)),
                out) for fmt, out in plan]
        for _, out in rendered:  # the inventory's inputs too, before any file is written
            if out is not None:
                refuse_in_use(out)
        for text, out in rendered:
            if out is None:
                with premasked():
                    click.echo(text, nl=not text.endswith("\n"))
            else:
                write_json_atomic(out, text)
                click.echo(f"dsscan: wrote {out}", err=True)
        if store is not None:
            run_id = store.save_run(result)
            click.echo(f"dsscan: stored run {run_id} (dsscan history, dsscan diff)", err=True)
    finally:
        if store is not None:
            store.close()
    return exit_code(result, fail_on, config)


_TEXT_PASS = ("table", "html", "markdown")


def _masked_as_text(fmt: str, text: str) -> str:
    from dsscan.masking import mask_text

    return mask_text(text) if fmt in _TEXT_PASS else text


class _status:
    """A spinner on stderr while long work runs, only on a terminal (quiet in CI and pipes)."""

    def __init__(self, text: str | None):
        self.text = text
        self._ctx: Any = None

    def __enter__(self) -> None:
        if self.text and sys.stderr.isatty() and not os.environ.get("CI"):
            from rich.console import Console

            self._ctx = Console(stderr=True).status(self.text)
            self._ctx.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
