"""`dsscan sample TARGET...`: sample databases and local files into an inventory, or (with
--scan) evaluate them. The samplers are in dsscan.scanners.sampling; SQLAlchemy and the
database drivers are imported only when a database is sampled."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from dsscan.cli.evaluate import evaluation_options, run_evaluation
from dsscan.cli.main import EXIT_CODES_HELP
from dsscan.cli.types import FiniteFloatRange
from dsscan.config import ENVIRONMENTS
from dsscan.errors import InputError
from dsscan.levels import LEVELS
from dsscan.run import load_config
from dsscan.wording import count

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# What sampled content can decide. The other policies need facts a sampler does not read
# (encryption, backups, network): on sampled assets they could only say "not assessed".
CONTENT_POLICIES = ("DS-TST-002", "DS-TST-003", "DS-CLS-001", "DS-CLS-002")

HELP = """Sample databases and local files for unmasked personal data.

TARGET is a SQLAlchemy database URL (postgresql://user@host:5432/db, sqlite:///bank.db,
mysql://user@host/db), a SQLite file, or a local file or directory (CSV, TSV, JSON, JSON
Lines, Parquet, text; gzip). Every read is bounded and read-only: databases in READ ONLY
transactions with a statement timeout, at most --rows rows per table (text and numeric
columns only); files at most --bytes from the start plus a few random ranges. Each table
becomes an inventory asset (kind table, its parent the database asset); each file or
directory one asset (kind file_system). What could not be sampled (refused connection,
timeout, permission denied) is recorded as not assessed, never skipped.

Nothing sampled is ever written out in clear: the inventory and every report hold counts
and masked examples only (110101********1234). Asset ids and messages never carry a
password; prefer PGPASSWORD or ~/.pgpass to a password in the URL.

Without --scan the inventory is written (-o FILE, else standard output; exit 3 when
something could not be sampled). With --scan it is evaluated like 'dsscan scan inventory'
(all the evaluation options apply; -o is then a report); --save-inventory keeps the
inventory too. Without --policy (or --policy-dir), --scan evaluates the policies content
can decide (DS-TST-002, DS-TST-003, DS-CLS-001, DS-CLS-002): a sampler reads no encryption,
backup or network facts. --policy 'DS-*' evaluates them all (the rest then report not
assessed). A sampled store needs an environment for DS-TST-002 (--environment test, or
a --tag your settings read) and may carry a declared level (--level) that DS-CLS-002 holds
against the content.

\b
Examples:
  dsscan sample postgresql://audit@db.test.bank:5432/crm --environment test -o crm.json
  dsscan sample sqlite:///uat.db --tables 'customer*' --rows 500 --scan
  dsscan sample ./exports/ --environment test --level general --scan -f sarif -o s.sarif
  dsscan sample postgresql://audit@db/crm --tag env=uat --tag owner=retail --scan \\
      --config dsscan.yaml --policy 'DS-TST-*' --policy 'DS-CLS-*'
"""

_SAMPLE_EXIT_CODES = """\b
Exit codes (without --scan):
  0  everything was sampled
  2  usage or input error (bad option, unknown target, driver not installed)
  3  something could not be sampled (recorded in the inventory as not assessed)
With --scan: as 'dsscan scan' (0, 1 findings, 2, 3 incomplete)."""


def _parse_tags(ctx: click.Context, param: click.Parameter,
                values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        key, eq, value = v.partition("=")
        if not eq or not key.strip():
            raise click.BadParameter(f"'{v}': expected KEY=VALUE", ctx=ctx, param=param)
        out[key.strip()] = value.strip()
    return out


@click.command("sample", help=HELP, epilog=f"{_SAMPLE_EXIT_CODES}\n\n{EXIT_CODES_HELP}",
               short_help="Sample databases and files for unmasked personal data.")
@click.argument("targets", nargs=-1, required=True, metavar="URL_OR_PATH...")
@click.option("--rows", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
              metavar="N", help="Rows read per table, and records/lines per file.")
@click.option("--bytes", "nbytes", type=click.IntRange(1024, 64 * 1024 * 1024),
              default=64 * 1024, show_default=True, metavar="BYTES",
              help="Bytes read from the start of each file, plus 3 random ranges of an eighth "
                   "of that (gzip: inflated to at most 8x; Parquet: footer and first row "
                   "group within 16x, at least 1 MiB).")
@click.option("--tables", multiple=True, metavar="PATTERN",
              help="Only tables matching this glob, on 'schema.table' or 'table' "
                   "(case-insensitive). Repeatable.")
@click.option("--max-tables", type=click.IntRange(1, 1_000_000), default=1000,
              show_default=True, metavar="N",
              help="Tables sampled per database; the rest are recorded as not sampled (not "
                   "assessed).")
@click.option("--max-files", type=click.IntRange(1, 1_000_000), default=1000,
              show_default=True, metavar="N", help="Files sampled per directory.")
@click.option("--catalogued-only", is_flag=True,
              help="Sample only the tables that a rule of the data catalogue (--catalogue, "
                   "or the settings' 'catalogue') matches.")
@click.option("--timeout", type=FiniteFloatRange(0.1, 3600), default=30.0, show_default=True,
              metavar="SECONDS", help="Per database statement, and to connect.")
@click.option("--environment", type=click.Choice(ENVIRONMENTS[:-1]),
              help="Declare the environment of every asset sampled (DS-TST-002 judges test "
                   "and development stores).")
@click.option("--level", type=click.Choice(LEVELS),
              help="Declare the data level of every asset sampled (DS-CLS-002 reports a "
                   "level lower than the content shows).")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", callback=_parse_tags,
              help="Tag every asset sampled (e.g. environment=test, dsscan:level=general; "
                   "the keys your settings read). Repeatable.")
@click.option("--scan", is_flag=True,
              help="Evaluate the sampled inventory against the policy library and report.")
@click.option("--save-inventory", type=click.Path(dir_okay=False), metavar="FILE",
              help="With --scan: also write the sampled inventory here.")
@evaluation_options
@click.pass_context
def command(ctx: click.Context, targets: tuple[str, ...], rows: int, nbytes: int,
            tables: tuple[str, ...], max_tables: int, max_files: int, catalogued_only: bool,
            timeout: float, environment: str | None, level: str | None, tags: dict[str, str],
            scan: bool, save_inventory: str | None, **evaluation: Any) -> int:
    _refuse_outputs_over_targets(targets, (*evaluation["outputs"], save_inventory))
    quiet = evaluation["quiet"]

    def collect() -> Any:
        inv = collect_samples(
            targets, rows=rows, nbytes=nbytes, tables=tables, max_tables=max_tables,
            max_files=max_files, catalogued_only=catalogued_only, timeout=timeout,
            environment=environment, level=level, tags=tags,
            config_path=evaluation["config_path"], catalogue_path=evaluation["catalogue_path"],
            quiet=quiet)
        if save_inventory:
            from dsscan.inventory import dump_inventory

            dump_inventory(inv, save_inventory)
            if not quiet:
                click.echo(f"dsscan: wrote {save_inventory} "
                           f"({count(len(inv.assets), 'asset')})", err=True)
        return inv

    if scan:
        if not evaluation["include"] and not evaluation["policy_dirs"]:
            evaluation["include"] = CONTENT_POLICIES
        return run_evaluation(collect, **evaluation, reading="Sampling")
    _only_with_scan(ctx, save_inventory)
    outputs = evaluation["outputs"]
    if len(outputs) > 1:
        raise InputError("without --scan, give at most one --output (the inventory file)")
    from dsscan.cli.evaluate import TerminalUI
    from dsscan.inventory import dump_inventory
    from dsscan.progress import reporting_to

    ui = TerminalUI(evaluation["progress"], quiet=quiet)
    with ui.status("Sampling"), reporting_to(ui.progress):
        inv = collect()
    out = outputs[0] if outputs else None
    text = dump_inventory(inv, out)
    if out is None:
        from dsscan.masked_streams import premasked

        with premasked():  # masked value by value (dump_inventory)
            click.echo(text, nl=False)
    elif not quiet:
        click.echo(f"dsscan: wrote {out} ({count(len(inv.assets), 'asset')})", err=True)
    if inv.gaps or any((a.get("assessment") or {}).get("gaps") for a in inv.assets):
        click.echo("dsscan: incomplete: something could not be sampled (see each asset's "
                   "'assessment' and 'content.reason'); exit code 3", err=True)
        return 3
    return 0


def _refuse_outputs_over_targets(targets: tuple[str, ...],
                                 outputs: tuple[str | None, ...]) -> None:
    """Before anything is sampled: no output may be a file or SQLite database given to
    sample (files inside a directory given are checked again as they are read)."""
    from dsscan.inputs import note_in_use, refuse_in_use

    for target in targets:
        path = target[len("sqlite:///"):] if target.startswith("sqlite:///") else \
            target[len("file://"):] if target.startswith("file://") else target
        if not _URL.match(path) and Path(path).is_file():
            note_in_use(path, "sampled database" if _target(target)[0] == "sql"
                        else "sampled file")
    for out in outputs:
        if out:
            refuse_in_use(out)


def _only_with_scan(ctx: click.Context, save_inventory: str | None) -> None:
    from click.core import ParameterSource

    given = [p for p in ("formats", "policy_dirs", "include", "exclude", "fail_on", "color")
             if ctx.get_parameter_source(p) not in (ParameterSource.DEFAULT, None)]
    if save_inventory:
        given.append("save_inventory")
    if given:
        names = ", ".join("--" + n.replace("_", "-") for n in given)
        raise InputError(f"{names}: only with --scan (without it, dsscan sample writes the "
                         "inventory: -o FILE)")


def collect_samples(targets: tuple[str, ...], *, rows: int = 1000, nbytes: int = 64 * 1024,
                    tables: tuple[str, ...] = (), max_tables: int = 1000,
                    max_files: int = 1000, catalogued_only: bool = False,
                    timeout: float = 30.0, environment: str | None = None,
                    level: str | None = None, tags: dict[str, str] | None = None,
                    config_path: str | None = None,
                    catalogue_path: str | None = None, quiet: bool = False) -> Any:
    """The inventory of what ``targets`` hold (the work of `dsscan sample`); unless
    ``quiet``, one line per target on stderr."""
    from dsscan import __version__
    from dsscan.inventory import Inventory
    from dsscan.progress import report as report_progress
    from dsscan.scanners.sampling import new_scanner
    from dsscan.scanners.sampling.blobs import Limits
    from dsscan.scanners.sampling.files import FileOptions, sample_path

    config, catalogue = load_config(config_path, catalogue_path)
    select = None
    if catalogued_only:
        if catalogue is None:
            raise InputError("--catalogued-only needs a data catalogue (--catalogue FILE)")
        # A rule undecided (its pattern ran out of time) may name the asset: sampled.
        select = lambda a: bool(catalogue.match(a, undecided := [])) or bool(undecided)  # noqa: E731
    tags = dict(tags or {})
    assets: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    seen: set[str] = set()
    todo = list(dict.fromkeys(targets))
    for i, target in enumerate(todo):
        report_progress("sampling", i, len(todo), "targets", assets=len(assets))
        kind, where = _target(target)
        if kind == "sql":
            from dsscan.scanners.sampling.sql import SqlOptions, sample_database

            got = sample_database(where, SqlOptions(
                rows=rows, timeout=timeout, tables=tables, max_tables=max_tables, tags=tags,
                environment=environment, level=level, select=select),
                lambda: new_scanner(config))
            sources.append({"type": "sql", "detail": got[0]["id"]})
        else:
            got = [sample_path(where, FileOptions(
                limits=Limits(head_bytes=nbytes, rows=rows), max_files=max_files, tags=tags,
                environment=environment, level=level), new_scanner(config))]
            sources.append({"type": "file", "file": where})
        for a in got:
            if a["id"] in seen:
                raise InputError(f"{target}: {a['id']} was given twice")
            seen.add(a["id"])
            assets.append(a)
        if not quiet:
            _progress(got)
    return Inventory(assets=assets, sources=sources,
                     generator={"tool": "dsscan", "version": __version__, "scanner": "sample"},
                     generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _target(target: str) -> tuple[str, str]:
    """("sql", url) or ("path", path)."""
    if target.startswith("file://"):
        # A file URL is percent-encoded (RFC 8089; the ids dsscan writes are, file:///d%FF):
        # decoded, so that file:///cust%31%31... is the directory cust11..., and bytes that
        # are not UTF-8 stay bytes of the name (surrogateescape, as the OS gave them).
        from urllib.parse import unquote

        path = target[len("file://"):]
        if path.startswith("localhost/"):
            path = path[len("localhost"):]
        return "path", unquote(path, errors="surrogateescape")
    if _URL.match(target):
        scheme = target.split("://", 1)[0].lower()
        if scheme in ("s3", "s3a", "s3n"):
            raise InputError(f"{scheme}:// targets: use 'dsscan scan aws --sample-data' (it "
                             "reads buckets with the AWS scanner's sessions and gaps)")
        return "sql", target
    from dsscan.scanners.sampling.sql import is_sqlite_file

    if Path(target).is_file() and is_sqlite_file(target):
        return "sql", "sqlite:///" + str(Path(target).resolve())
    return "path", target


def _progress(assets: list[dict[str, Any]]) -> None:
    """One line per target on stderr: what was sampled, what not (ids and counts only)."""
    if not assets:
        return
    top = assets[0]
    content = top.get("content") or {}
    if content.get("status") == "error" and len(assets) == 1:
        click.echo(f"dsscan: {top['id']}: not assessed: {content.get('reason')}", err=True)
        return
    parts = assets[1:] or assets
    bad = sum(1 for a in parts if (a.get("assessment") or {}).get("gaps"))
    rows = sum(((a.get("content") or {}).get("sample") or {}).get("rows") or 0 for a in parts)
    if len(assets) > 1 or top["kind"] == "database":
        what = count(len(parts), "table")
    else:
        what = count((content.get("sample") or {}).get("objects") or 0, "file")
    tail = f", {bad} not fully assessed" if bad else ""
    click.echo(f"dsscan: sampled {top['id']}: {what}, {count(rows, 'row')}{tail}", err=True)

