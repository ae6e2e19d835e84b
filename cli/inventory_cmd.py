"""`dsscan inventory ...`: the inventory schema, validation, classification, explanation."""

from __future__ import annotations

import json
from typing import Any

import click

from dsscan.cli.types import SuggestingGroup
from dsscan.run import load_config
from dsscan.wording import count


class _InventoryGroup(SuggestingGroup):
    """The fixed subcommands, plus `inventory <source>` for every scanner in the registry."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from dsscan import scanners

        return [*super().list_commands(ctx),
                *(n for n in scanners.names() if n != "inventory")]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from dsscan import scanners

        if cmd_name in scanners.REGISTRY and cmd_name != "inventory":
            return _write_command(scanners.get(cmd_name))
        return super().get_command(ctx, cmd_name)


_INVENTORY_EXIT_CODES = """\b
Exit codes:
  0  everything was read
  2  usage or input error
  3  the inventory is incomplete: something could not be read (listed in it)"""


def _write_command(scanner: Any) -> click.Command:
    params = scanner.params()
    names = [p.name for p in params]

    def callback(output: str | None, **kwargs: Any) -> int:
        from dsscan.cli.evaluate import TerminalUI
        from dsscan.inventory import dump_inventory
        from dsscan.progress import reporting_to

        ui = TerminalUI()  # the sweep's progress, as in `dsscan scan` (dsscan.progress)
        with ui.status("Reading the estate"), reporting_to(ui.progress):
            inv = scanner.collect(**{n: kwargs[n] for n in names})
        text = dump_inventory(inv, output)
        if output is None:
            _echo_masked(text)
        else:
            click.echo(f"dsscan: wrote {output} ({count(len(inv.assets), 'asset')})", err=True)
        if inv.gaps or any((a.get("assessment") or {}).get("gaps") for a in inv.assets):
            click.echo("dsscan: incomplete: some of the estate could not be read (see 'gaps' "
                       "and each asset's 'assessment'); exit code 3", err=True)
            return 3
        return 0

    out = click.Option(["--output", "-o"], type=click.Path(dir_okay=False),
                       help="Write the inventory here (default: standard output).")
    help_text = scanner.inventory_help or (
        f"Write the inventory of: {scanner.summary}\n\nNothing is evaluated; evaluate it "
        "later with 'dsscan scan inventory FILE'. Exit code 3 when something could not be "
        "read (the inventory says what).\n\n\b\nExamples:\n"
        f"  dsscan inventory {scanner.name} {_args(params)}-o estate.json\n"
        "  dsscan scan inventory estate.json")
    return click.Command(scanner.name, callback=callback, params=[*params, out],
                         help=help_text, epilog=_INVENTORY_EXIT_CODES,
                         short_help=scanner.summary)


def _args(params: list[click.Parameter]) -> str:
    names = [p.human_readable_name for p in params if isinstance(p, click.Argument)]
    return "".join(f"{n} " for n in names)


@click.group("inventory", cls=_InventoryGroup)
def command() -> None:
    """Write, validate and inspect dsscan inventories (format dsscan-inventory/1).

    An inventory is the normalized JSON every scanner writes and every evaluation reads:
    one record per data store, backup, vault, network domain and security group.
    See docs/inventory.md for the fields.

    \b
    Examples:
      dsscan inventory schema > inventory.schema.json
      dsscan inventory validate estate.json
      dsscan inventory classify estate.json -o classified.json
      dsscan inventory explain estate.json arn:aws:s3:::bank-core-ledger
    """


@command.command("schema")
def schema_cmd() -> None:
    """Print the inventory JSON Schema (draft 2020-12)."""
    from dsscan.inventory import schema

    click.echo(json.dumps(schema(), indent=2, ensure_ascii=False))


@command.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate_cmd(files: tuple[str, ...]) -> int:
    """Check inventory files against the schema.

    Prints one line per valid file; the first invalid file stops with a one-line error
    naming the file and the first bad path (exit 2).

    \b
    Example:
      dsscan inventory validate estate.json
    """
    from dsscan.inventory import load_inventory

    for f in files:
        inv = load_inventory(f)
        click.echo(f"{f}: valid ({count(len(inv.assets), 'asset')}, {count(len(inv.gaps), 'gap')})")
    return 0


@command.command("classify")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file (YAML).")
@click.option("--no-config", is_flag=True,
              help="Do not look for a settings file (built-in defaults and flags only).")
@click.option("--catalogue", "catalogue_path", type=click.Path(dir_okay=False),
              help="Data catalogue (YAML).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the classified inventory here (default: standard output).")
def classify_cmd(files: tuple[str, ...], config_path: str | None, no_config: bool,
                 catalogue_path: str | None, output: str | None) -> int:
    """Assign data levels and environments, with provenance, and write the inventory.

    Each asset gets `level` (value, provenance, conflicts), `environment` and
    `desensitization`, decided from tags, the data catalogue, sampled content and
    inheritance (backups and replicas at least as high as their source).

    \b
    Example:
      dsscan inventory classify estate.json --catalogue catalogue.yaml -o classified.json
    """
    from dsscan.inventory import dump_inventory
    from dsscan.pipeline import ScanOptions, prepare
    from dsscan.scanners import get

    config, catalogue = load_config(config_path, catalogue_path, no_config=no_config)
    inv = get("inventory").collect(files=files)
    prepare(inv, ScanOptions(config=config, catalogue=catalogue))
    text = dump_inventory(inv, output)
    if output is None:
        _echo_masked(text)
    else:
        click.echo(f"dsscan: wrote {output} ({count(len(inv.assets), 'asset')})", err=True)
    return 0


@command.command("explain")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("asset_id")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file (YAML).")
@click.option("--no-config", is_flag=True,
              help="Do not look for a settings file (built-in defaults and flags only).")
@click.option("--catalogue", "catalogue_path", type=click.Path(dir_okay=False),
              help="Data catalogue (YAML).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the whole record as the policies see it (JSON), not the summary.")
def explain_cmd(file: str, asset_id: str, config_path: str | None, no_config: bool,
                catalogue_path: str | None, as_json: bool) -> int:
    """Show one asset as the policies see it: level and environment with their provenance,
    what could not be read, and the relations resolved for it (network domain, reachability,
    backups, sources). A readable summary by default; --json prints the full record.

    ASSET_ID is the asset's id or its name, its id masked as reports show it, or #N (the
    N-th asset, as an "ambiguous" error numbers them). Two assets whose ids hold different
    identifiers can share a masked form (110101********1234; the ~2 a report adds is not
    stable between runs): then nothing is picked, the error lists the candidates by number,
    kind, account, region and name, to be given again as #N or by the id in the file.

    \b
    Example:
      dsscan inventory explain estate.json bank-core-ledger
      dsscan inventory explain estate.json '#12'
      dsscan inventory explain estate.json bank-core-ledger --json
    """
    from dsscan.errors import InputError
    from dsscan.pipeline import ScanOptions, prepare
    from dsscan.scanners import get

    config, catalogue = load_config(config_path, catalogue_path, no_config=no_config)
    inv = get("inventory").collect(files=(file,))
    assets = prepare(inv, ScanOptions(config=config, catalogue=catalogue))
    from dsscan.masking import mask_value

    hits = _find_assets(assets, asset_id)
    if not hits:
        from dsscan.suggest import did_you_mean

        known = [str(a[k]) for a in assets for k in ("name", "id") if a.get(k)]
        raise InputError(f"{file}: no asset with id or name '{asset_id}'"
                         f"{did_you_mean(asset_id, known)}")
    if len(hits) > 1:
        listed = "; ".join(_candidate(i, a) for i, a in hits[:20])
        more = f"; +{len(hits) - 20} more" if len(hits) > 20 else ""
        raise InputError(
            f"{file}: '{asset_id}' is ambiguous: {len(hits)} assets match ({listed}{more}); "
            f"give one as #N (dsscan inventory explain {file} '#{hits[0][0]}') or by its "
            "id as the inventory file has it")
    shown = mask_value(hits[0][1])
    if as_json:
        _echo_masked(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
    else:
        from dsscan.cli.explain_text import explain_text

        _echo_masked(explain_text(shown))
    return 0


def _find_assets(assets: list[dict[str, Any]], asked: str) -> list[tuple[int, dict[str, Any]]]:
    """(number from 1, asset) of the assets ``asked`` names: #N, else the exact id (unique),
    else the exact name, else the id or name as masked (without the ~N of a report: its
    numbering depends on the order an output met the values). Every match is returned: the
    caller refuses to pick one of several."""
    numbered = list(enumerate(assets, 1))
    if asked.startswith("#") and asked[1:].isdigit():
        n = int(asked[1:])
        return [(n, assets[n - 1])] if 1 <= n <= len(assets) else []
    for key in ("id", "name"):
        hits = [(i, a) for i, a in numbered if a.get(key) == asked]
        if hits:
            return hits
    from dsscan.masking import Masker, comparable, mask_text_full

    want = comparable(asked)

    def plain(v: Any) -> str | None:  # the masked form with no numbering
        return mask_text_full(v, Masker()) if isinstance(v, str) else None

    for key in ("id", "name"):
        hits = [(i, a) for i, a in numbered if plain(a.get(key)) == want]
        if hits:
            return hits
    return []


def _candidate(n: int, a: dict[str, Any]) -> str:
    """One asset of an ambiguity, told apart by what is not masked (its values are masked
    by the error path)."""
    parts = [f"#{n}", str(a.get("kind") or "?")]
    parts += [str(a[k]) for k in ("account", "region") if a.get(k)]
    if a.get("name"):
        parts.append(f"name {a['name']}")
    return " ".join(parts)


def _echo_masked(text: str) -> None:
    """A document masked value by value already (mask_value): no second pass over the text."""
    from dsscan.masked_streams import premasked

    with premasked():
        click.echo(text, nl=False)
