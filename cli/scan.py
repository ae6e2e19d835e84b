"""`dsscan scan <source>`: one subcommand per registered scanner."""

from __future__ import annotations

from typing import Any

import click

from dsscan import scanners
from dsscan.cli.evaluate import evaluation_options, run_evaluation
from dsscan.cli.main import EXIT_CODES_HELP
from dsscan.cli.types import SuggestingGroup


class ScannerGroup(SuggestingGroup):
    """Builds `scan <name>` from the scanner registry on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return scanners.names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in scanners.REGISTRY:
            return None
        return _scan_command(scanners.get(cmd_name))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Sources"):
            formatter.write_dl([(n, scanners.summary(n)) for n in scanners.names()])


def _scan_command(scanner: scanners.Scanner) -> click.Command:
    source_params = scanner.params()
    names = [p.name for p in source_params]

    def callback(**kwargs: Any) -> int:
        source_args = {n: kwargs.pop(n) for n in names}
        return run_evaluation(lambda: scanner.collect(**source_args), **kwargs)

    # click.option() decorators collect their params on the function, last-applied first.
    shared = list(reversed(evaluation_options(callback).__click_params__))
    return click.Command(scanner.name, callback=callback, params=source_params + shared,
                         help=scanner.help, short_help=scanner.summary, epilog=EXIT_CODES_HELP)


command = ScannerGroup(
    "scan",
    help="""Evaluate a source against the policy library and report findings.

\b
Examples:
  dsscan scan inventory estate.json
  dsscan scan inventory estate.json --config dsscan.yaml --catalogue catalogue.yaml
  dsscan scan inventory estate.json -f json -o report.json -f sarif -o report.sarif
  dsscan scan inventory estate.json --policy 'DS-ENC-*' --fail-on high
""",
    epilog=EXIT_CODES_HELP,
)
