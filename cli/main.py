"""The `dsscan` command: option parsing and exit codes only; the work is in dsscan.pipeline."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
from typing import NoReturn

import click

from dsscan import __version__
from dsscan.cli.types import SuggestingGroup
from dsscan.errors import InputError

EXIT_CODES_HELP = """\b
Exit codes:
  0  no finding at or above --fail-on, and everything was assessed
  1  findings at or above --fail-on (waived ones and those in the --baseline do not count)
  2  usage or input error (bad option, unreadable or invalid file)
  3  the scan was incomplete (something could not be assessed) and nothing else failed"""

# Subcommands are imported on first use: `dsscan --help` must start in well under 0.5 s.
_COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("dsscan.cli.scan", "Evaluate a source against the policy library."),
    "inventory": ("dsscan.cli.inventory_cmd", "Write, validate and inspect inventories."),
    "policies": ("dsscan.cli.policies_cmd", "List, show, lint, test and bundle policies."),
    "sample": ("dsscan.cli.sample", "Sample databases and files for unmasked personal data."),
    "demo": ("dsscan.cli.demo", "Scan the embedded example bank estate."),
    "history": ("dsscan.cli.history", "Runs kept in the history store, with their counts."),
    "diff": ("dsscan.cli.diff_cmd", "What changed between two stored runs."),
    "baseline": ("dsscan.cli.baseline_cmd", "Record today's findings so only new ones fail."),
    "config": ("dsscan.cli.config_cmd", "Show the effective settings; write a starter file."),
}


class LazyGroup(SuggestingGroup):
    def __init__(self, *args: object, lazy: dict[str, tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self._lazy, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            import importlib

            return importlib.import_module(self._lazy[cmd_name][0]).command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in self._lazy.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy=_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(__version__, "--version", "-V", prog_name="dsscan",
                      message="%(prog)s %(version)s")
def cli() -> None:
    """dsscan checks that every place holding data meets the NFRA Data Security Management
    Measures (2024) for the data level it holds: core > important > sensitive > general.

    \b
    Pipeline: scan a source -> inventory -> data levels -> Rego policies -> findings.

    \b
    Examples:
      dsscan demo                                   scan the embedded example estate
      dsscan scan inventory estate.json             evaluate a saved inventory
      dsscan scan inventory estate.json --format sarif --output dsscan.sarif
      dsscan policies list                          the policy catalogue
      dsscan policies test ./my-policies            run Rego tests of your own policies
      dsscan inventory schema                       the inventory JSON Schema
      dsscan scan aws --store runs.sqlite -o compliance.html   keep the run; per-article report
      dsscan baseline create inventory estate.json  accept today's findings (then --baseline)
      dsscan history                                stored runs, counts by level and policy
      dsscan config show                            effective settings and their origins
    """


def main(argv: list[str] | None = None) -> None:
    # Everything this command writes -- reports, inventories, the store, messages on standard
    # output and error -- is masked in one session: one value, one masked form (dsscan.masking).
    from dsscan.inputs import in_use_session
    from dsscan.masked_streams import masked_std_streams
    from dsscan.masking import session

    with session(), masked_std_streams(), in_use_session():
        try:
            _main(argv)
        finally:
            _flush_stdout()


def _flush_stdout() -> None:
    """What is still buffered for standard output, written now: a full disk or /dev/full
    fails here as one line (exit 2), not in the interpreter's last flush with a traceback."""
    try:
        sys.stdout.flush()
    except OSError as e:
        _write_failed(e)


def _write_failed(e: OSError) -> NoReturn:
    """A write or read the system refused (no space left, a closed pipe, an I/O error): the
    environment, not a bug. One line; standard output is pointed at /dev/null, so that the
    flush at exit of what is still buffered does not fail a second time."""
    from dsscan.masking import mask_text

    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.__stdout__.fileno())  # type: ignore[union-attr]
    why = e.strerror or type(e).__name__
    if e.filename:
        text = f"{e.filename}: {why}"
    elif isinstance(e, BrokenPipeError) or e.errno in (errno.ENOSPC, errno.EPIPE, errno.EIO):
        text = f"cannot write standard output ({why})"
    else:
        text = why
    click.echo(f"dsscan: error: {_one_line(mask_text(text))}", err=True)
    sys.exit(2)


# Control characters (a line break in an output name) and bytes that are not UTF-8 (a file
# name with b"\xff", passed through as lone surrogates) make no name dsscan can write, quote
# in a one-line message or put in a report: refused before anything runs.
_BAD_ARG = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")


def _check_args(args: list[str]) -> None:
    from dsscan.masking import mask_text

    for a in args:
        m = _BAD_ARG.search(a)
        if m is None:
            continue
        shown = a.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        shown = shown.translate({c: f"\\x{c:02x}" for c in (*range(32), 127)})
        why = ("is not valid UTF-8 (a name with bytes such as \\xff): rename it"
               if "\ud800" <= m.group() <= "\udfff" else
               "holds a line break or control character: names and values are one line")
        click.echo(f"dsscan: error: argument '{mask_text(shown)}' {why}", err=True)
        sys.exit(2)


def _main(argv: list[str] | None) -> None:
    from dsscan.masking import mask_text

    _check_args(sys.argv[1:] if argv is None else list(argv))
    try:
        rv = cli.main(args=argv, prog_name="dsscan", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("dsscan: aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        if isinstance(e, _NO_ARGS_IS_HELP):  # `dsscan scan` alone: the help, as asked
            e.show()
            sys.exit(2)
        # One line, as every other error (a file argument that is a directory, a bad
        # option): a script or CI log reads the reason at once.
        ctx = getattr(e, "ctx", None)
        see = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        click.echo(f"dsscan: error: {_one_line(e.format_message())}{see}", err=True)
        sys.exit(2)
    except InputError as e:
        # Error messages quote input values (a file name, an asset id, a tag): masked.
        click.echo(f"dsscan: error: {_one_line(mask_text(str(e)))}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("dsscan: interrupted", err=True)
        sys.exit(130)
    except OSError as e:  # writing standard output or a file failed where no one caught it
        _write_failed(e)
    except Exception as e:  # a bug: one line, never a traceback full of data, unless asked
        if os.environ.get("DSSCAN_DEBUG"):
            import traceback

            # Printed here, on the masked standard error: a traceback quotes values too.
            traceback.print_exc()
            sys.exit(2)
        click.echo(f"dsscan: internal error: {type(e).__name__}: "
                   f"{_one_line(mask_text(str(e)))} (set DSSCAN_DEBUG=1 for a traceback)",
                   err=True)
        sys.exit(2)
    sys.exit(rv if isinstance(rv, int) else 0)


_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    main()
