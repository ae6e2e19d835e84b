"""`dsscan demo`: the main job on an embedded example bank estate, no cloud account needed.

By default the estate is provisioned into moto running in this process (examples/
aws_estate.py) and read back by the real AWS scanner, so the demo exercises everything a
sweep of a live account does. ``--saved`` evaluates the saved estate examples/bank-estate.json
instead, which also carries sampled-content results; ``--events`` stores it as last week's
run, scans it a week later into the same history store and lists the regulatory events.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import click

from dsscan.cli.evaluate import evaluation_options, run_evaluation
from dsscan.cli.main import EXIT_CODES_HELP
from dsscan.errors import InputError

ESTATE = "bank-estate.json"
CATALOGUE = "catalogue.yaml"

# The demo's own AWS: fake credentials for moto; nothing may leave this process.
_DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "dsscan-demo", "AWS_SECRET_ACCESS_KEY": "dsscan-demo",
    "AWS_SESSION_TOKEN": "dsscan-demo", "AWS_DEFAULT_REGION": "cn-north-1",
    "AWS_REGION": "cn-north-1", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@click.command("demo", epilog=EXIT_CODES_HELP)
@click.option("--saved", is_flag=True,
              help="Evaluate the saved example inventory (examples/bank-estate.json, with "
                   "sampled-content results) instead of provisioning moto.")
@click.option("--events", is_flag=True,
              help="Show the regulatory events between two stored runs (Art. 19, 71, 73; "
                   "docs/history.md): the saved estate is stored as last week's run, the same "
                   "estate a week later is scanned and reported, then the events between the "
                   "two are listed, as `dsscan diff` lists them. A temporary history store is "
                   "used unless --store is given.")
@evaluation_options
def command(saved: bool, events: bool, **kwargs: Any) -> int:
    """Provision an example bank estate into moto, scan it with the AWS scanner, report.

    The estate (examples/aws_estate.py) is a small bank on three accounts -- production,
    test and disaster recovery -- in cn-north-1 and cn-northwest-1: network domains rated
    core, important, general and unrated, a peered test VPC, stores of all four data
    levels, public buckets, unencrypted caches and snapshots, backups in the same and in a
    separate account and region. It breaks every policy family next to compliant twins. Its
    data catalogue (examples/catalogue.yaml) is used unless --catalogue is given.

    The scan samples the buckets' and tables' content too (as --sample-data does): a
    general-tagged archive full of resident ID numbers, an undesensitized extract in the
    test account; and the last week of application log groups and the buckets' export
    prefixes (DS-PII-001): a payments log with resident ID numbers in clear.

    moto runs inside this process with fake credentials: nothing reaches AWS. moto 5.2 does
    not implement AWS Backup recovery points, selections, restore testing or vault access
    policies; the demo reports them as not assessed, as dsscan does for any API it cannot
    read; nor Athena workgroups to current botocore (its rest-json protocol): their output
    locations are not assessed too (export-like prefixes are still sampled by name). Needs
    moto: pip install 'dsscan[demo]'.

    \b
    Examples:
      dsscan demo
      dsscan demo --format sarif --output demo.sarif
      dsscan demo --policy 'DS-BAK-*'
      dsscan demo --saved
      dsscan demo --events
    """
    examples = resources.files("dsscan.examples")
    with resources.as_file(examples / CATALOGUE) as catalogue:
        if not kwargs.get("catalogue_path"):
            kwargs["catalogue_path"] = str(catalogue)
        if events:
            return _events(**kwargs)
        if saved:
            with resources.as_file(examples / ESTATE) as estate:
                from dsscan.scanners import get

                return run_evaluation(lambda: get("inventory").collect(files=(str(estate),)),
                                      **kwargs)
        return run_evaluation(_live_estate, **kwargs)


def _events(**kwargs: Any) -> int:
    """The saved estate stored as last week's run, the estate a week later scanned into the
    same store (examples/bank_estate_events.py: one event of each article), then the events
    between the two runs. The later scan's exit code is the demo's."""
    import tempfile

    from dsscan.cli.diff_cmd import event_lines
    from dsscan.examples.bank_estate_events import later
    from dsscan.run import plan_reports
    from dsscan.scanners import get
    from dsscan.store import open_store

    estate = json.loads(resources.files("dsscan.examples").joinpath(ESTATE).read_text("utf-8"))
    with tempfile.TemporaryDirectory(prefix="dsscan-demo-") as tmp:
        store = kwargs.pop("store_url", None) or str(Path(tmp, "history.sqlite"))
        files = {"before": Path(tmp, "last-week.json"), "later": Path(tmp, "today.json")}
        files["before"].write_text(json.dumps(estate), "utf-8")
        files["later"].write_text(json.dumps(later(estate)), "utf-8")

        def inventory(name: str) -> Any:
            return lambda: get("inventory").collect(files=(str(files[name]),))

        quiet = {**kwargs, "formats": ("json",), "quiet": True, "store_url": store,
                 "outputs": (str(Path(tmp, "last-week-report.json")),)}
        code = run_evaluation(inventory("before"), **quiet)
        if code == 2:  # bad input (a --config, --catalogue, --policy): said already
            return code
        code = run_evaluation(inventory("later"), **kwargs, store_url=store)
        if code == 2:
            return code
        with open_store(store, create=False) as st, st.reading():
            found = st.events(st.resolve("latest~1"), st.resolve("latest"))
        # On the terminal after the table; on stderr when standard output carries a report
        # meant for a program (-f json without -o), which a text section would corrupt.
        formats, outputs = kwargs.get("formats") or (), kwargs.get("outputs") or ()
        to_err = bool(formats or outputs) and any(
            out is None and fmt != "table" for fmt, out in plan_reports(formats, outputs))
        click.echo("", err=to_err)
        click.echo("\n".join(event_lines(found)), err=to_err)
    return code


def _live_estate() -> Any:
    try:
        import moto
    except ImportError:
        raise InputError("dsscan demo runs the example estate in moto, which is not "
                         "installed: pip install 'dsscan[demo]' (or run 'dsscan demo "
                         "--saved')") from None
    from dsscan.examples import aws_estate
    from dsscan.scanners.aws.sweep import SweepOptions, sweep
    from dsscan.scanners.sampling.aws import SampleOptions

    with _demo_environment(), moto.mock_aws():
        import boto3

        aws_estate.provision(boto3.Session(region_name=aws_estate.REGIONS[0]))
        return sweep(SweepOptions(regions=list(aws_estate.REGIONS),
                                  accounts=list(aws_estate.ACCOUNTS),
                                  role_name=aws_estate.ROLE_NAME, sample=SampleOptions()))


@contextlib.contextmanager
def _demo_environment() -> Iterator[None]:
    """Fake credentials and no endpoint, profile or role from the user's environment: with an
    AWS_ENDPOINT_URL set, requests would bypass moto and go to that endpoint."""
    saved = dict(os.environ)
    for k in list(os.environ):
        if k.startswith(("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                         "AWS_ROLE_", "AWS_WEB_IDENTITY", "AWS_CONTAINER_")):
            del os.environ[k]
    os.environ.update(_DEMO_ENV)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
