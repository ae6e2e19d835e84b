"""The 'inventory' source: one or more saved inventory files, merged."""

from __future__ import annotations

from typing import Any

from dsscan.inventory import Inventory, load_inventory, merge
from dsscan.scanners import Scanner


def collect(files: tuple[str, ...]) -> Inventory:
    return merge([load_inventory(f) for f in files])


def _params() -> list[Any]:
    import click

    return [click.Argument(["files"], nargs=-1, required=True,
                           type=click.Path(dir_okay=False, allow_dash=False))]


SCANNER = Scanner(
    name="inventory",
    summary="Saved dsscan inventory files (JSON, format dsscan-inventory/1).",
    help="""Evaluate saved inventory files (written by 'dsscan inventory <source>' or by hand).

Several files are merged into one estate; an asset id may appear in one file only.

\b
Examples:
  dsscan scan inventory estate.json
  dsscan scan inventory prod.json test.json --fail-on high
  dsscan scan inventory estate.json --format sarif --output dsscan.sarif
""",
    collect=collect,
    params=_params,
)
