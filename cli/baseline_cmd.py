"""`dsscan baseline create <source>`: record today's findings so later scans fail only on new
ones (`dsscan scan ... --baseline FILE`). The sources are those of `dsscan scan`."""

from __future__ import annotations

from typing import Any

import click

from dsscan import scanners
from dsscan.cli.types import SuggestingGroup
from dsscan.wording import count

_EXIT_CODES = """\b
Exit codes:
  0  the baseline was written
  2  usage or input error
  3  the baseline was written, but the scan was incomplete: what was not assessed has no
     entries, so its findings will show up as new once it can be read"""

_DEFAULT_NOTE = ("[default: the config's 'baseline', else .dsscan-baseline.json]")


def _output_option() -> click.Option:
    return click.Option(["--output", "-o"], type=click.Path(dir_okay=False),
                        help=f"Write the baseline here. {_DEFAULT_NOTE}")


def _settings_params() -> list[click.Parameter]:
    """The evaluation options that change which findings a scan has (as in `dsscan scan`)."""
    return [
        click.Option(["--config", "config_path"], type=click.Path(dir_okay=False),
                     help="Settings file (default: the nearest .dsscan.yaml or "
                          "[tool.dsscan] upward from here). Its waivers apply: waived "
                          "findings are left out of the baseline."),
        click.Option(["--no-config"], is_flag=True,
                     help="Do not look for a settings file."),
        click.Option(["--catalogue", "catalogue_path"], type=click.Path(dir_okay=False),
                     help="Data catalogue (YAML) mapping resources to data levels."),
        click.Option(["--policy-dir", "policy_dirs"], multiple=True,
                     type=click.Path(file_okay=False),
                     help="Directory of your own Rego policies. Repeatable."),
        click.Option(["--policy", "include"], multiple=True, metavar="ID",
                     help="Only these policies (glob). Repeatable."),
        click.Option(["--skip-policy", "exclude"], multiple=True, metavar="ID",
                     help="Not these policies (glob). Repeatable."),
    ]


def _written(n: int, path: str) -> None:
    click.echo(f"dsscan: baseline of {count(n, 'finding')} written to {path}")


def _waived_note(waived: int) -> None:
    if waived:
        click.echo(f"dsscan: {waived} waived findings are not in the baseline (they show up as "
                   "new when their waiver ends)", err=True)


def _source_command(scanner: scanners.Scanner) -> click.Command:
    source_params = scanner.params()
    names = [p.name for p in source_params]

    def callback(output: str | None, config_path: str | None, no_config: bool,
                 catalogue_path: str | None, policy_dirs: tuple[str, ...],
                 include: tuple[str, ...], exclude: tuple[str, ...], **kwargs: Any) -> int:
        from dsscan.baseline import DEFAULT_PATH, write_baseline
        from dsscan.pipeline import EXIT_INCOMPLETE, EXIT_OK, ScanOptions, run_scan
        from dsscan.policy_library import load_library
        from dsscan.run import load_config

        source_args = {n: kwargs.pop(n) for n in names}
        config, catalogue = load_config(config_path, catalogue_path, no_config=no_config)
        parent = click.get_current_context().find_object(_CreateState)
        path = output or (parent.output if parent else None) or config.baseline or DEFAULT_PATH
        library = load_library(extra_dirs=[*config.policy_dirs, *policy_dirs])
        inventory = scanner.collect(**source_args)
        # No baseline is applied while one is made: every finding of today goes in.
        result = run_scan(inventory, library, ScanOptions(config=config, catalogue=catalogue,
                                                          include=include, exclude=exclude))
        n = write_baseline(result, path)
        _written(n, path)
        _waived_note(sum(1 for f in result.findings if f.waived))
        if not result.complete:
            n = len(result.not_assessed)
            click.echo(f"dsscan: incomplete: {count(n, 'item')} not assessed "
                       "and have no entries in the baseline; exit code 3", err=True)
            return EXIT_INCOMPLETE
        return EXIT_OK

    return click.Command(
        scanner.name, callback=callback,
        params=[*source_params, _output_option(), *_settings_params()],
        help=f"Baseline of: {scanner.summary}\n\nScans the source exactly as 'dsscan scan "
             f"{scanner.name}' does and writes every finding that is not waived.\n\n"
             f"\b\nExample:\n  dsscan baseline create {scanner.name} ... -o .dsscan-baseline.json"
             f"\n  dsscan scan {scanner.name} ... --baseline .dsscan-baseline.json",
        short_help=scanner.summary, epilog=_EXIT_CODES)


class _CreateState:
    def __init__(self, output: str | None):
        self.output = output


class _CreateGroup(SuggestingGroup):
    """`baseline create <source>` for every scanner in the registry, built on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return scanners.names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in scanners.REGISTRY:
            return None
        return _source_command(scanners.get(cmd_name))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Sources"):
            formatter.write_dl([(n, scanners.summary(n)) for n in scanners.names()])


@click.group("baseline", cls=SuggestingGroup)
def command() -> None:
    """Accept today's findings: later scans with --baseline fail only on new ones.

    A baseline lists finding fingerprints (policy + asset + related assets), so it survives
    reordered inventories, reworded messages and changes the policies do not look at.
    Waived findings are never put in a baseline. See docs/baseline.md.

    \b
    Examples:
      dsscan baseline create inventory estate.json
      dsscan scan inventory estate.json --baseline .dsscan-baseline.json
    """


@command.group("create", cls=_CreateGroup, invoke_without_command=True,
               subcommand_metavar="SOURCE [ARGS]...", epilog=_EXIT_CODES)
@click.option("--from-report", "from_report", type=click.Path(dir_okay=False),
              metavar="REPORT.json",
              help="Make the baseline from a saved JSON report (--format json) instead of "
                   "scanning.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="With --from-report: write the baseline here. "
                   "[default: .dsscan-baseline.json]")
@click.pass_context
def create(ctx: click.Context, from_report: str | None, output: str | None) -> int | None:
    """Write a baseline of the findings of a source (as 'dsscan scan SOURCE' finds them), or
    of a saved JSON report.

    \b
    Examples:
      dsscan baseline create inventory estate.json
      dsscan baseline create inventory estate.json --config dsscan.yaml -o baseline.json
      dsscan baseline create aws --regions cn-north-1
      dsscan baseline create --from-report report.json -o .dsscan-baseline.json
    """
    ctx.obj = _CreateState(output)
    if ctx.invoked_subcommand is not None:
        if from_report:
            raise click.UsageError("give either a source or --from-report, not both")
        return None
    if not from_report:
        raise click.UsageError("give a source (e.g. 'dsscan baseline create inventory "
                               "estate.json') or --from-report REPORT.json")
    from dsscan.baseline import DEFAULT_PATH, write_baseline_from_report
    from dsscan.pipeline import EXIT_INCOMPLETE, EXIT_OK

    path = output or DEFAULT_PATH
    n, waived, complete = write_baseline_from_report(from_report, path)
    _written(n, path)
    _waived_note(waived)
    if not complete:
        click.echo("dsscan: incomplete: the report's scan did not assess everything; what "
                   "was not assessed has no entries in the baseline; exit code 3", err=True)
        return EXIT_INCOMPLETE
    return EXIT_OK
