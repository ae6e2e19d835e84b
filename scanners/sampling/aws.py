"""Sampling after an AWS sweep (``dsscan scan aws --sample-data``): the content of every S3
bucket and DynamoDB table the sweep found, through the same account sessions, call log and
retry settings as the sweep.

These are data reads. They are declared apart from the read-only scanner's operations
(dsscan.scanners.aws.operations), and granted by examples/iam/dsscan-sampling.json, never by
examples/iam/dsscan-readonly.json.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dsscan.scanners.aws.operations import Calls, iam_action, operations
from dsscan.scanners.sampling import Asset, new_scanner
from dsscan.scanners.sampling.blobs import Limits
from dsscan.scanners.sampling.dynamodb import sample_table
from dsscan.scanners.sampling.exports import DEFAULT_EXPORT_PREFIXES, athena_outputs, sample_exports
from dsscan.scanners.sampling.logs import LogLimits, capped, sample_log_group
from dsscan.scanners.sampling.s3 import BucketLimits, sample_bucket

# What sampling calls: data reads, declared as the sweep's collectors declare theirs
# (dsscan.scanners.aws.operations); examples/iam/dsscan-sampling.json is generated from it.
SAMPLING_CALLS = (Calls("s3", ("ListObjectsV2", "GetObject"), iam={"ListObjectsV2": "ListBucket"}),
                  Calls("dynamodb", ("Scan",)),
                  # DS-PII-001: log events, and where Athena writes query results (exports.py).
                  Calls("logs", ("FilterLogEvents",)),
                  Calls("athena", ("ListWorkGroups", "GetWorkGroup")))
SAMPLING_OPERATIONS = operations(SAMPLING_CALLS)
# Not an operation dsscan calls: what S3 and DynamoDB ask of the caller to read data
# encrypted with a customer-managed KMS key (granted only through those services).
SAMPLING_DECRYPT = "kms:Decrypt"


def sampling_iam_action(service: str, operation: str) -> str:
    return iam_action(service, operation, SAMPLING_CALLS)


def sampling_iam_actions() -> frozenset[str]:
    return frozenset({*(sampling_iam_action(c.client, op) for c in SAMPLING_CALLS
                        for op in c.operations), SAMPLING_DECRYPT})


@dataclass(frozen=True)
class SampleOptions:
    objects: int = 20  # objects per bucket
    bytes: int = 64 * 1024  # first bytes per object (plus a few ranges; docs/sampling.md)
    items: int = 1000  # items per DynamoDB table
    rows: int = 1000  # rows/records per object
    # CloudWatch Logs (DS-PII-001; docs/sampling.md): per group and groups per run.
    log_events: int = 1000
    log_bytes: int = 1024 * 1024
    log_hours: int = 168
    log_groups: int = 200
    # Top-level bucket prefixes sampled as exports (besides Athena output locations).
    export_prefixes: tuple[str, ...] = DEFAULT_EXPORT_PREFIXES

    def bucket_limits(self) -> BucketLimits:
        return BucketLimits(objects=self.objects,
                            blob=Limits(head_bytes=self.bytes, rows=self.rows))

    def log_limits(self) -> LogLimits:
        return LogLimits(events=self.log_events, bytes=self.log_bytes, hours=self.log_hours)


# Where Athena workgroups write query results: bucket name -> [(workgroup, prefix, account,
# region)] (the workgroup's account and region).
AthenaOutputs = dict[str, list[tuple[str, str, str, str]]]


def athena_tasks(scanned: Iterable[tuple[str, str]], sessions: Mapping[str, Any],
                 found: AthenaOutputs, gap: Callable[..., None]) -> list[Callable[[], None]]:
    """One task per (account, region) read: its Athena workgroups' output locations, added
    to ``found`` (:func:`athena_of`)."""
    import threading

    lock = threading.Lock()
    tasks: list[Callable[[], None]] = []
    for account, region in sorted(set(scanned)):
        session = sessions.get(account)
        if session is None:
            continue

        def run(session: Any = session, account: str = account, region: str = region) -> None:
            outs = athena_of(session, account, region, gap)
            with lock:
                for wg, bucket, prefix in outs or ():
                    found.setdefault(bucket, []).append((wg, prefix, account, region))
        tasks.append(run)
    return tasks


def athena_of(session: Any, account: str, region: str,
              gap: Callable[..., None]) -> list[tuple[str, str, str]] | None:
    """The (workgroup, bucket, prefix) of the Athena workgroups' output locations in one
    account and region; None and a gap of that account and region when they could not be
    read (``gap(template, why, account=, region=, collector=)``, the sweep's Sink.gap): any
    bucket may hold their output."""
    from dsscan.scanners.aws.failures import READ_ERRORS, ReadFailure

    try:
        return athena_outputs(session.client("athena", region))
    except ReadFailure as e:
        gap("{collector} in {account}/{region}", e, account=account, region=region,
            collector="athena output locations")
    except READ_ERRORS as e:
        gap("{collector} in {account}/{region}", ReadFailure("athena", "GetWorkGroup", e),
            account=account, region=region, collector="athena output locations")
    return None


def unswept_outputs(assets: Iterable[Asset], found: AthenaOutputs,
                    gap: Callable[..., None]) -> None:
    """A workgroup writing into a bucket the sweep did not read (another account, a region
    left out): its results were not sampled — a gap (service s3, any account), never
    silence."""
    swept = {a.get("name") for a in assets if a.get("type") == "AWS::S3::Bucket"}
    for bucket in sorted(set(found) - swept):
        for wg, _prefix, account, region in sorted(found[bucket]):
            gap("query results of Athena workgroup {workgroup} of {where}",
                "its output bucket was not read by this sweep (another account, or a region "
                "left out): not sampled", account=None, region=None, service="s3",
                workgroup=wg, where=f"{account}/{region}")


def sampling_tasks(assets: Iterable[Asset], sessions: Mapping[str, Any],
                   opts: SampleOptions, config: Any = None,
                   athena: AthenaOutputs | None = None) -> list[Callable[[], None]]:
    """One task per bucket, table and log group (:func:`sampled`): each samples its asset
    (:func:`sample_asset`). ``sessions``: the sweep's AccountSession of each account id;
    ``athena``: what :func:`athena_tasks` found."""
    return [functools.partial(sample_asset, a, sessions[a["account"]], opts, config,
                              bucket_outputs(a, athena))
            for a in sampled(assets, lambda a: a.get("account") in sessions, opts)]


def bucket_outputs(a: Asset, athena: AthenaOutputs | None) -> list[tuple[str, str]]:
    """The (workgroup, prefix) of the Athena output locations in bucket ``a``."""
    return [(wg, prefix) for wg, prefix, *_ in (athena or {}).get(a.get("name") or "", [])]


_SAMPLED = {("object_store", "AWS::S3::Bucket"), ("table", "AWS::DynamoDB::Table")}


def sampled(assets: Iterable[Asset], readable: Callable[[Asset], bool],
            opts: SampleOptions) -> list[Asset]:
    """The assets to sample: every bucket and table, and the log groups up to the run's cap
    (in a stable order; those beyond it get a gap, never a pass). ``readable``: whether the
    sweep entered the asset's account."""
    out: list[Asset] = []
    groups: list[Asset] = []
    for a in assets:
        if not a.get("account") or not readable(a) or not a.get("region"):
            continue
        if (a["kind"], a.get("type")) in _SAMPLED:
            out.append(a)
        elif a["kind"] == "log_sink" and a.get("type") == "AWS::Logs::LogGroup":
            groups.append(a)
    groups.sort(key=lambda g: (g.get("account") or "", g["region"], g.get("name") or ""))
    for g in groups[opts.log_groups:]:
        capped(opts.log_groups).apply(g)
    return out + groups[:opts.log_groups]


def sample_asset(a: Asset, session: Any, opts: SampleOptions, config: Any = None,
                 athena: list[tuple[str, str]] | None = None) -> None:
    """Sample one bucket (and its export and query-result prefixes: DS-PII-001, in the same
    task: one writer per asset), table or log group, and set its ``content``."""
    # One scanner per asset: the worker threads share nothing but the clients.
    if a["kind"] == "object_store":
        client = session.client("s3", a["region"])
        sample_bucket(client, a["name"], opts.bucket_limits(), new_scanner(config)).apply(a)
        sample_exports(client, a, athena or [], opts.export_prefixes, opts.bucket_limits(),
                       new_scanner(config))
    elif a["kind"] == "table":
        client = session.client("dynamodb", a["region"])
        sample_table(client, a["name"], opts.items, new_scanner(config)).apply(a)
    else:
        client = session.client("logs", a["region"])
        sample_log_group(client, a["name"], opts.log_limits(), new_scanner(config)).apply(a)
