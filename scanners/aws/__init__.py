"""The live AWS scanner: `dsscan scan aws` / `dsscan inventory aws`.

Reads storage, databases, backups, keys and networks of one or many accounts and regions with
boto3 (read-only: examples/iam/dsscan-readonly.json lists every action it needs) into the
dsscan inventory. Modules: clients (sessions, retries, call log), gaps (fail closed), base
(shared helpers), one module per service, sweep (orchestration and linking), operations (what
each collector declares it produces and calls) and generate (the IAM policies and docs table
derived from those declarations).
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners import Scanner

# The collectors, by --services name: scanners/aws/<name>.py, each declaring its INFO
# (operations.Collector). Adding a service: a module with INFO and collect(), named here.
SERVICES = ("s3", "network", "kms", "rds", "dynamodb", "ebs", "redshift", "efs", "elasticache",
            "backup", "cloudtrail", "logs", "dms", "iam", "ram")

# AWS services that hold data and that the sweep does not read at all: named in every source
# of a live inventory, so that no report reads "nothing found" as "nothing there".
NOT_READ = ("OpenSearch Service / Elasticsearch", "OpenSearch Serverless",
            "ElastiCache Serverless", "MemoryDB", "DynamoDB Accelerator (DAX)",
            "Redshift Serverless", "DocumentDB Elastic Clusters", "Keyspaces", "Timestream",
            "QLDB", "Neptune Analytics", "FSx", "S3 Glacier vaults",
            "S3 directory buckets and table buckets", "EMR (HDFS)", "Lightsail databases")


def _split(values: tuple[str, ...]) -> list[str]:
    """A list option: comma- or space-separated, or repeated ("cn-north-1, cn-northwest-1"
    as one shell word is two regions, not one with a space in it)."""
    return [v for item in values for v in item.replace(",", " ").split()]


def collect(profile: str | None = None, regions: tuple[str, ...] = (),
            accounts: tuple[str, ...] = (), accounts_file: str | None = None,
            organization: bool = False, role_name: str | None = None,
            external_id: str | None = None, services: tuple[str, ...] = (),
            max_workers: int = 16, max_attempts: int = 8, timeout: float = 60.0,
            call_log: str | None = None, sample_data: bool = False, sample_objects: int = 20,
            sample_bytes: int = 64 * 1024, sample_items: int = 1000,
            sample_log_events: int = 1000, sample_log_bytes: int = 1024 * 1024,
            sample_log_groups: int = 200, sample_log_hours: int = 168,
            sample_export_prefixes: tuple[str, ...] = (), cluster: str | None = None,
            resume: str | None = None, account_shards: int = 4) -> Any:
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.aws.sweep import SweepOptions, sweep

    sample = None
    if sample_data:  # data reads: opt-in only (examples/iam/dsscan-sampling.json)
        from dsscan.scanners.sampling.aws import SampleOptions

        sample = SampleOptions(objects=sample_objects, bytes=sample_bytes, items=sample_items)
        # DS-PII-001: log groups, and the bucket prefixes sampled as exports.
        sample = _with_log_options(sample, sample_log_events, sample_log_bytes,
                                   sample_log_groups, sample_log_hours, sample_export_prefixes)
    log = CallLog(detailed=call_log is not None)
    on_cluster = None
    if resume and not cluster:
        from dsscan.errors import InputError

        raise InputError("--resume: only a sweep run by shards keeps a journal to resume "
                         "(--cluster local, local:N or tcp://...)")
    if cluster:  # shards on Dask workers (scanners/aws/cluster.py, docs/cluster.md)
        from dsscan.scanners.aws.cluster import ClusterOptions, check_address

        check_address(cluster.strip())  # before any call
        # --max-workers stays the calls at once per account, split among its shards.
        on_cluster = ClusterOptions(address=cluster.strip(), account_shards=account_shards,
                                    threads=max(1, max_workers // account_shards),
                                    resume=resume)
    try:
        return sweep(SweepOptions(
            profile=profile, regions=_split(regions), accounts=_split(accounts),
            accounts_file=accounts_file, organization=organization, role_name=role_name,
            external_id=external_id, services=_split(services), max_workers=max_workers,
            max_attempts=max_attempts, timeout=timeout, sample=sample, cluster=on_cluster),
            log)
    finally:
        if call_log is not None:
            log.write_jsonl(call_log)


def _with_log_options(sample: Any, events: int, size: int, groups: int, hours: int,
                      prefixes: tuple[str, ...]) -> Any:
    import dataclasses

    extra: dict[str, Any] = {"log_events": events, "log_bytes": size, "log_groups": groups,
                             "log_hours": hours}
    if prefixes:
        extra["export_prefixes"] = tuple(_split(prefixes))
    return dataclasses.replace(sample, **extra)


def _params() -> list[Any]:
    import click

    from dsscan.cli.types import FiniteFloatRange

    return [
        click.Option(["--profile"], metavar="NAME",
                     help="AWS profile (default: boto3's credential chain: environment, "
                          "config files, instance or task role)."),
        click.Option(["--regions"], multiple=True, metavar="LIST",
                     help="Regions to read, comma- or space-separated or repeated (default: "
                          "every region enabled in the account)."),
        click.Option(["--account", "accounts"], multiple=True, metavar="ID",
                     help="Account to read (repeatable; entered with --role-name). "
                          "Default: the caller's account."),
        click.Option(["--accounts-file"], type=click.Path(dir_okay=False), metavar="FILE",
                     help="YAML/JSON list of account ids (or {id, name, role_name}), or one "
                          "id per line."),
        click.Option(["--organization"], is_flag=True,
                     help="Read every active account of the AWS Organization (from the "
                          "management or a delegated administrator account)."),
        click.Option(["--role-name"], metavar="NAME",
                     help="Role assumed in each account other than the caller's "
                          "(sts:AssumeRole), e.g. DsscanReadOnly."),
        click.Option(["--external-id"], metavar="ID", help="External id for sts:AssumeRole."),
        click.Option(["--services"], multiple=True, metavar="LIST",
                     help=f"Only these services (default: all): {', '.join(SERVICES)}."),
        click.Option(["--max-workers"], type=click.IntRange(1, 128), default=16,
                     show_default=True,
                     help="Concurrent API calls (with --cluster: per account, shared "
                          "among its --account-shards)."),
        click.Option(["--max-attempts"], type=click.IntRange(1, 20), default=8,
                     show_default=True,
                     help="Attempts per API call (adaptive retries with backoff); a call that "
                          "still fails is recorded as not assessed."),
        click.Option(["--timeout"], type=FiniteFloatRange(0.1, 900), default=60.0,
                     show_default=True, metavar="SECONDS",
                     help="Time one API call may take in all -- connecting, every read, "
                          "every retry; a call still running then is cut off and recorded "
                          "as not assessed."),
        click.Option(["--call-log"], type=click.Path(dir_okay=False), metavar="FILE",
                     help="Write every AWS API call made (service, region, operation, "
                          "parameters) as JSON lines: an audit trail of what was asked."),
        click.Option(["--cluster"], envvar="DSSCAN_CLUSTER", metavar="ADDRESS",
                     help="Read the accounts on a Dask cluster, in shards: per account "
                          "(entering it), its global services (IAM, S3), each (account, "
                          "region), and with --sample-data each region's Athena outputs and "
                          "each sampled store. 'local:N' starts N worker processes on this "
                          "machine ('local': one per CPU); 'tcp://scheduler:8786' uses a "
                          "running cluster whose workers have their own AWS credentials "
                          "(env: DSSCAN_CLUSTER; needs dsscan[cluster]). Reports and exit "
                          "codes are the same. See docs/cluster.md."),
        click.Option(["--account-shards"], type=click.IntRange(1, 64), default=4,
                     show_default=True, metavar="N",
                     help="With --cluster: shards of one account read at once (AWS rate "
                          "limits are per account and Region)."),
        click.Option(["--resume"], metavar="RUN",
                     help="With --cluster and --store: go on with the interrupted sweep RUN "
                          "(the id it printed when it began), reading only the shards it "
                          "had not finished."),
        click.Option(["--sample-data"], is_flag=True,
                     help="Also read a bounded sample of the DATA in S3 buckets (and their "
                          "export and Athena query-result prefixes), DynamoDB tables and "
                          "CloudWatch Logs groups and look for unmasked personal data "
                          "(s3:GetObject, dynamodb:Scan, logs:FilterLogEvents: needs "
                          "examples/iam/dsscan-sampling.json). "
                          "Nothing sampled is ever written out in clear. See "
                          "docs/sampling.md."),
        click.Option(["--sample-objects"], type=click.IntRange(1, 10000), default=20,
                     show_default=True, metavar="N",
                     help="With --sample-data: objects sampled per bucket (the newest)."),
        click.Option(["--sample-bytes"], type=click.IntRange(1024, 64 * 1024 * 1024),
                     default=64 * 1024, show_default=True, metavar="BYTES",
                     help="With --sample-data: bytes read from the start of each object, "
                          "plus 3 random ranges of an eighth of that (Parquet: footer and "
                          "first row group within 16x, at least 1 MiB)."),
        click.Option(["--sample-items"], type=click.IntRange(1, 100000), default=1000,
                     show_default=True, metavar="N",
                     help="With --sample-data: items scanned per DynamoDB table (the first "
                          "page of each of 3 parallel-scan segments)."),
        click.Option(["--sample-log-events"], type=click.IntRange(1, 100000), default=1000,
                     show_default=True, metavar="N",
                     help="With --sample-data: log events read per CloudWatch Logs group "
                          "(logs:FilterLogEvents, the last --sample-log-hours)."),
        click.Option(["--sample-log-bytes"], type=click.IntRange(1024, 64 * 1024 * 1024),
                     default=1024 * 1024, show_default=True, metavar="BYTES",
                     help="With --sample-data: message bytes read per log group."),
        click.Option(["--sample-log-groups"], type=click.IntRange(1, 100000), default=200,
                     show_default=True, metavar="N",
                     help="With --sample-data: log groups sampled per run; the others are "
                          "not assessed (DS-PII-001)."),
        click.Option(["--sample-log-hours"], type=click.IntRange(1, 24 * 366), default=168,
                     show_default=True, metavar="HOURS",
                     help="With --sample-data: how far back log events are read."),
        click.Option(["--sample-export-prefixes"], multiple=True, metavar="GLOBS",
                     help="With --sample-data: top-level bucket prefixes sampled as exports "
                          "and query results, besides Athena workgroups' output locations "
                          "(default: export*/ athena*/ query-results/ query_results/ "
                          "AWSDynamoDB/ unload*/ dump*/ extract*/)."),
    ]


HELP = """Read live AWS accounts with boto3 and evaluate them.

Credentials come from boto3's normal chain (--profile, environment, instance roles);
AWS_ENDPOINT_URL is honoured. Accounts other than the caller's are entered with
sts:AssumeRole --role-name. Everything dsscan could not read (access denied, throttled past
retries, timeouts, a service not offered in a region) is reported as not assessed and makes
the scan incomplete (exit 3) -- never a pass. The read-only IAM policy it needs is
examples/iam/dsscan-readonly.json.

With --sample-data it also reads a bounded sample of the data in S3 buckets and DynamoDB
tables, of the events of CloudWatch Logs groups and of the bucket prefixes holding exports
and Athena query results (examples/iam/dsscan-sampling.json grants that) to find unmasked
resident IDs, cards, mobile numbers and e-mails (DS-TST-002, DS-CLS-002, DS-PII-001); what
could not be sampled is not assessed. Reports show masked examples only.

\b
Examples:
  dsscan scan aws --regions cn-north-1,cn-northwest-1
  dsscan scan aws --profile audit --organization --role-name DsscanReadOnly
  dsscan scan aws --accounts-file accounts.yaml --role-name DsscanReadOnly -f sarif -o aws.sarif
  dsscan scan aws --services s3,rds --fail-on important
  dsscan scan aws --services s3,dynamodb --sample-data --sample-objects 10
  dsscan scan aws --organization --role-name DsscanReadOnly --cluster local:4 \\
      --store postgresql://dsscan@db/dsscan
  dsscan scan aws --organization --role-name DsscanReadOnly --cluster local:4 \\
      --store postgresql://dsscan@db/dsscan --resume r20261208-020000-000-abcdefg
"""

INVENTORY_HELP = """Read live AWS accounts with boto3 and write the inventory; nothing is evaluated.

Evaluate it later, as often as you like, with 'dsscan scan inventory FILE': sweeps can read
the estate once and judge it against new policies or settings without calling AWS again.
What could not be read is recorded in the inventory ('gaps', each asset's 'assessment') and
makes the exit code 3.

\b
Examples:
  dsscan inventory aws --regions cn-north-1 -o estate.json
  dsscan inventory aws --organization --role-name DsscanReadOnly -o org.json
  dsscan inventory aws --regions cn-north-1 --sample-data -o estate.json
  dsscan scan inventory estate.json --fail-on high
"""

SCANNER = Scanner(
    name="aws",
    summary="Live AWS accounts and regions, read with boto3 (read-only).",
    help=HELP,
    collect=collect,
    params=_params,
    inventory_help=INVENTORY_HELP,
)
