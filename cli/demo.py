"""`dsscan demo`: the main job on the embedded example bank estate, no cloud account needed."""

from __future__ import annotations

from importlib import resources
from typing import Any

import click

from dsscan.cli.evaluate import evaluation_options, run_evaluation
from dsscan.cli.main import EXIT_CODES_HELP

ESTATE = "bank-estate.json"
CATALOGUE = "catalogue.yaml"


@click.command("demo", epilog=EXIT_CODES_HELP)
@evaluation_options
def command(**kwargs: Any) -> int:
    """Scan the embedded example bank estate and print the report.

    The estate (examples/bank-estate.json in the source tree) has a production and a test
    network domain, stores of all four data levels, backups in the same and in another
    account and region, a public bucket and a test database holding unmasked ID numbers.
    It breaks every policy family at least once, next to compliant twins. Its data
    catalogue (examples/catalogue.yaml) is used unless --catalogue is given.

    \b
    Examples:
      dsscan demo
      dsscan demo --format sarif --output demo.sarif
      dsscan demo --policy 'DS-BAK-*'
    """
    from dsscan.scanners import get

    examples = resources.files("dsscan.examples")
    with resources.as_file(examples / ESTATE) as estate, \
            resources.as_file(examples / CATALOGUE) as catalogue:
        if not kwargs.get("catalogue_path"):
            kwargs["catalogue_path"] = str(catalogue)
        return run_evaluation(lambda: get("inventory").collect(files=(str(estate),)), **kwargs)
