"""Sampling after an AWS sweep (``dsscan scan aws --sample-data``): the content of every S3
bucket and DynamoDB table the sweep found, through the same account sessions, call log and
retry settings as the sweep.

These are data reads. They are declared apart from the read-only scanner's operations
(dsscan.scanners.aws.operations), and granted by examples/iam/dsscan-sampling.json, never by
examples/iam/dsscan-readonly.json.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dsscan.scanners.aws.operations import Calls, iam_action, operations
from dsscan.scanners.sampling import Asset, new_scanner
from dsscan.scanners.sampling.blobs import Limits
from dsscan.scanners.sampling.dynamodb import sample_table
from dsscan.scanners.sampling.s3 import BucketLimits, sample_bucket

# What sampling calls: data reads, declared as the sweep's collectors declare theirs
# (dsscan.scanners.aws.operations); examples/iam/dsscan-sampling.json is generated from it.
SAMPLING_CALLS = (Calls("s3", ("ListObjectsV2", "GetObject"), iam={"ListObjectsV2": "ListBucket"}),
                  Calls("dynamodb", ("Scan",)))
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

    def bucket_limits(self) -> BucketLimits:
        return BucketLimits(objects=self.objects,
                            blob=Limits(head_bytes=self.bytes, rows=self.rows))


def sampling_tasks(assets: Iterable[Asset], sessions: Mapping[str, Any],
                   opts: SampleOptions, config: Any = None) -> list[Callable[[], None]]:
    """One task per bucket and table: each samples its asset and sets its ``content``.
    ``sessions``: the sweep's AccountSession of each account id."""
    tasks: list[Callable[[], None]] = []
    for a in assets:
        session = sessions.get(a.get("account") or "")
        if session is None or not a.get("region"):
            continue
        if a["kind"] == "object_store" and a.get("type") == "AWS::S3::Bucket":
            tasks.append(_bucket_task(a, session, opts, config))
        elif a["kind"] == "table" and a.get("type") == "AWS::DynamoDB::Table":
            tasks.append(_table_task(a, session, opts, config))
    return tasks


def _bucket_task(a: Asset, session: Any, opts: SampleOptions,
                 config: Any) -> Callable[[], None]:
    def run() -> None:
        client = session.client("s3", a["region"])
        # One scanner per task: the worker threads share nothing but the clients.
        sample_bucket(client, a["name"], opts.bucket_limits(), new_scanner(config)).apply(a)
    return run


def _table_task(a: Asset, session: Any, opts: SampleOptions,
                config: Any) -> Callable[[], None]:
    def run() -> None:
        client = session.client("dynamodb", a["region"])
        sample_table(client, a["name"], opts.items, new_scanner(config)).apply(a)
    return run
