"""S3: a bounded sample of a bucket's objects (opt-in: ``--sample-data``; s3:GetObject reads
data, so it needs examples/iam/dsscan-sampling.json on top of the read-only policy).

Per bucket: one listing page (``s3:ListBucket``, at most ``list_keys`` keys, in key order),
from which the newest ``objects`` data objects are sampled — folders, empty objects, media and
archives (by extension) and archived storage classes are left out. Per object, Range GETs
only: the first bytes plus a few random ranges (scanners/sampling/blobs.py); the body is never
read past the range asked for, even from an endpoint that ignores ``Range``.

An object that cannot be read (AccessDenied, a KMS key the role may not use for SSE-KMS
objects, a timeout) makes the bucket's content partially assessed (a ``content`` gap); when
no object could be read, ``content.status`` is ``error``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from dsscan.masking import mask_text
from dsscan.scanners.aws.failures import READ_ERRORS, error_code, reason
from dsscan.scanners.sampling import Outcome, error_outcome
from dsscan.scanners.sampling.blobs import (
    BINARY_EXTENSIONS,
    GZIP_EXTENSIONS,
    Limits,
    sample_blob,
)
from dsscan.scanners.sampling.tally import SampleTally

# Archived objects: GetObject fails until they are restored; not sampled.
_ARCHIVED = {"GLACIER", "DEEP_ARCHIVE"}
_GONE = {"NoSuchKey", "InvalidObjectState", "InvalidRange"}


@dataclass(frozen=True)
class BucketLimits:
    objects: int = 20  # objects sampled per bucket
    list_keys: int = 1000  # keys listed per bucket (one ListObjectsV2 page)
    blob: Limits = field(default_factory=Limits)


class ObjectReadError(Exception):
    """A GetObject that failed, with the one-line reason (IAM action and code)."""

    def __init__(self, why: str, code: str | None) -> None:
        super().__init__(why)
        self.reason, self.code = why, code


class S3Object:
    """One object, read by Range GETs."""

    def __init__(self, client: Any, bucket: str, key: str, size: int | None) -> None:
        self.client, self.bucket, self.name, self.size = client, bucket, key, size
        self.content_type: str | None = None
        self.content_encoding: str | None = None
        self.requests: list[tuple[int, int]] = []  # (start, length) asked: the audit in tests

    def read(self, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        self.requests.append((start, length))
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self.name,
                                         Range=f"bytes={start}-{start + length - 1}")
        except READ_ERRORS as e:
            raise ObjectReadError(_get_reason(e), error_code(e)) from None
        body = got["Body"]
        try:
            data = body.read(length)  # never more than asked, whatever the endpoint sent
        except READ_ERRORS as e:
            raise ObjectReadError(_get_reason(e), error_code(e)) from None
        finally:
            body.close()
        self.content_type = self.content_type or got.get("ContentType")
        self.content_encoding = self.content_encoding or got.get("ContentEncoding")
        return data


def _get_reason(e: BaseException) -> str:
    """GetObject's failure; a denied KMS decrypt of an SSE-KMS object is named as such."""
    code = error_code(e) or ""
    if isinstance(e, ClientError):
        msg = str(e.response.get("Error", {}).get("Message") or "").lower()
        if code.startswith("KMS.") or (code == "AccessDenied" and "kms" in msg):
            # Only the fact is kept, not the message (it names keys and principals).
            return f"kms:Decrypt {'AccessDenied' if code == 'AccessDenied' else code} " \
                   "(SSE-KMS object)"
    return reason(e, "s3", "GetObject")


def _candidates(listing: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]],
                                                                    Counter[str]]:
    skipped: Counter[str] = Counter()
    keep = []
    for o in listing:
        key, size = o.get("Key") or "", o.get("Size")
        ext = key.lower()
        if ext.endswith(GZIP_EXTENSIONS):
            ext = ext.rsplit(".", 1)[0]
        ext = "." + ext.rsplit(".", 1)[1] if "." in ext.rsplit("/", 1)[-1] else ""
        if key.endswith("/") and not size:
            skipped["folder"] += 1
        elif size == 0:
            skipped["empty"] += 1
        elif o.get("StorageClass") in _ARCHIVED:
            skipped["archived"] += 1
        elif ext in BINARY_EXTENSIONS:
            skipped["binary type"] += 1
        else:
            keep.append(o)
    # The newest first: what was put there last is what a test load left behind.
    keep.sort(key=lambda o: (o.get("LastModified") is not None, o.get("LastModified")),
              reverse=True)
    return keep[:limit], skipped


def sample_bucket(client: Any, bucket: str, limits: BucketLimits, scanner: Any,
                  prefix: str = "") -> Outcome:
    """Sample one bucket through ``client`` (an S3 client in the bucket's region); with
    ``prefix``, only the objects under it (an export or Athena output prefix: exports.py)."""
    listing_params: dict[str, Any] = {"Bucket": bucket, "MaxKeys": limits.list_keys}
    if prefix:
        listing_params["Prefix"] = prefix
    try:
        page = client.list_objects_v2(**listing_params)
    except READ_ERRORS as e:
        return error_outcome(reason(e, "s3", "ListBucket"))
    listing = page.get("Contents") or []
    chosen, skipped = _candidates(listing, limits.objects)
    tally = SampleTally()
    tally.skipped.update(skipped)
    for o in chosen:
        obj = S3Object(client, bucket, o["Key"], o.get("Size"))
        try:
            res = sample_blob(obj, limits.blob, scanner, mask_text(o["Key"]))
        except ObjectReadError as e:
            if e.code in _GONE:  # deleted or archived since the listing
                tally.skipped["gone or archived"] += 1
            else:
                tally.fail(e.reason)
            continue
        tally.add(res)
    return tally.outcome(len(listing), {"objects_listed": len(listing),
                                        "listing_truncated": bool(page.get("IsTruncated"))})
