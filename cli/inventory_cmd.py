"""`dsscan inventory ...`: the inventory schema, validation, classification, explanation."""

from __future__ import annotations

import json

import click

from dsscan.cli.evaluate import load_settings


@click.group("inventory")
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
        click.echo(f"{f}: valid ({len(inv.assets)} assets, {len(inv.gaps)} gaps)")
    return 0


@command.command("classify")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file (YAML).")
@click.option("--catalogue", "catalogue_path", type=click.Path(dir_okay=False),
              help="Data catalogue (YAML).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the classified inventory here (default: standard output).")
def classify_cmd(files: tuple[str, ...], config_path: str | None, catalogue_path: str | None,
                 output: str | None) -> int:
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

    config, catalogue = load_settings(config_path, catalogue_path)
    inv = get("inventory").collect(files=files)
    prepare(inv, ScanOptions(config=config, catalogue=catalogue))
    text = dump_inventory(inv, output)
    if output is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"dsscan: wrote {output} ({len(inv.assets)} assets)", err=True)
    return 0


@command.command("explain")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("asset_id")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file (YAML).")
@click.option("--catalogue", "catalogue_path", type=click.Path(dir_okay=False),
              help="Data catalogue (YAML).")
def explain_cmd(file: str, asset_id: str, config_path: str | None,
                catalogue_path: str | None) -> int:
    """Show one asset as the policies see it: level and environment with their provenance,
    and the relations resolved for it (network domain, reachability, backups, sources).

    ASSET_ID is the asset's id or its name.

    \b
    Example:
      dsscan inventory explain estate.json bank-core-ledger
    """
    from dsscan.errors import InputError
    from dsscan.pipeline import ScanOptions, prepare
    from dsscan.scanners import get

    config, catalogue = load_settings(config_path, catalogue_path)
    inv = get("inventory").collect(files=(file,))
    assets = prepare(inv, ScanOptions(config=config, catalogue=catalogue))
    hits = [a for a in assets if a["id"] == asset_id] or \
        [a for a in assets if a.get("name") == asset_id]
    if not hits:
        raise InputError(f"{file}: no asset with id or name '{asset_id}'")
    click.echo(json.dumps(hits[0], indent=2, ensure_ascii=False))
    return 0
