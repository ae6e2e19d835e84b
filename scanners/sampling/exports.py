"""Exports and query results in S3: the prefixes of a bucket that hold copies of data made
outside the governed stores (DS-PII-001, Art. 45), sampled with the S3 sampler.

Which prefixes: the output locations of the Athena workgroups of each account and region
(``athena:ListWorkGroups`` / ``GetWorkGroup``: ``ResultConfiguration.OutputLocation``), and
the bucket's top-level prefixes whose name matches one of the ``export_prefixes`` patterns
(``exports/``, ``athena-results/``, DynamoDB's ``AWSDynamoDB/`` export folder, ...:
``ListObjectsV2`` with ``Delimiter='/'``, page after page up to ten; a bucket with more
top-level entries is a ``content`` gap). Each prefix is sampled like a bucket
(the newest objects under it, Range reads, the same bounds) and recorded on the bucket asset:

    "exports": [{"prefix": "athena-results/", "origin": "athena_workgroup",
                 "workgroup": "primary", "content": {...content block...}}]

``exports`` absent: not looked at (IaC, no --sample-data); ``null``: the prefixes could not
be listed (a ``content`` gap; DS-PII-001 not assessed); ``[]``: none found.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from dsscan.scanners.aws.base import pages
from dsscan.scanners.aws.failures import READ_ERRORS, reason
from dsscan.scanners.sampling import Asset, add_content_gap
from dsscan.scanners.sampling.s3 import BucketLimits, sample_bucket

# Top-level prefixes that hold exports, dumps and query results by common convention.
DEFAULT_EXPORT_PREFIXES = ("export*/", "athena*/", "query-results/", "query_results/",
                           "AWSDynamoDB/", "unload*/", "dump*/", "extract*/")
# Buckets that hold nothing but query results: the bucket Athena's console creates for them
# (results under Unsaved/ and one folder per saved query, whatever the workgroup says).
RESULT_BUCKETS = ("aws-athena-query-results-*",)
MAX_PREFIXES = 5  # prefixes sampled per bucket (each costs a bucket's sample)
MAX_LIST_PAGES = 10  # ListObjectsV2 pages of top-level entries read per bucket


def parse_s3_url(url: Any) -> tuple[str, str] | None:
    """``s3://bucket/some/prefix/`` -> (bucket, prefix); None when not an S3 URL."""
    if not isinstance(url, str) or not url.startswith("s3://"):
        return None
    bucket, _, prefix = url[5:].partition("/")
    return (bucket, prefix) if bucket else None


def athena_outputs(client: Any) -> list[tuple[str, str, str]]:
    """(workgroup, bucket, prefix) of every workgroup with an output location; raises the
    sweep's ReadFailure (via ``pages``) or a READ_ERROR when the workgroups cannot be read."""
    out = []
    for wg in pages(client, "list_work_groups", "WorkGroups"):
        name = wg.get("Name")
        if not name:
            continue
        got = client.get_work_group(WorkGroup=name).get("WorkGroup") or {}
        rc = (got.get("Configuration") or {}).get("ResultConfiguration") or {}
        loc = parse_s3_url(rc.get("OutputLocation"))
        if loc is not None:
            out.append((name, *loc))
    return out


def matching_prefixes(client: Any, bucket: str, patterns: Iterable[str]) -> list[str]:
    """The bucket's top-level prefixes that match a pattern (case-insensitive globs).

    Page after page (a bucket with many top-level objects fills the first pages before its
    folders are listed), at most ``MAX_LIST_PAGES``; a listing still truncated then raises
    :class:`PrefixesTruncated` with what was found: a prefix past it is not known."""
    pats = [p.lower() for p in patterns]
    found: list[str] = []
    params: dict[str, Any] = {"Bucket": bucket, "Delimiter": "/", "MaxKeys": 1000}
    for _ in range(MAX_LIST_PAGES):
        page = client.list_objects_v2(**params)
        found += [cp.get("Prefix") or "" for cp in page.get("CommonPrefixes") or ()]
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token or token == params.get("ContinuationToken"):
            break
        params["ContinuationToken"] = token
    else:
        raise PrefixesTruncated(_matching(found, pats))
    return _matching(found, pats)


def _matching(found: list[str], pats: list[str]) -> list[str]:
    return sorted(p for p in set(found) if any(fnmatch.fnmatchcase(p.lower(), x) for x in pats))


class PrefixesTruncated(Exception):
    """The top-level listing went past ``MAX_LIST_PAGES`` pages; ``found``: what matched in
    the pages read."""

    def __init__(self, found: list[str]) -> None:
        super().__init__("top-level listing truncated")
        self.found = found


def sample_exports(client: Any, a: Asset, athena: list[tuple[str, str]],
                   patterns: Iterable[str], limits: BucketLimits, scanner: Any) -> None:
    """Find and sample the export prefixes of bucket asset ``a``; ``athena``: (workgroup,
    prefix) of the workgroups writing into it."""
    chosen: dict[str, dict[str, Any]] = {}
    for wg, prefix in sorted(athena):
        chosen.setdefault(prefix, {"prefix": prefix, "origin": "athena_workgroup",
                                   "workgroup": wg})
    if any(fnmatch.fnmatchcase(str(a["name"]).lower(), b) for b in RESULT_BUCKETS):
        patterns = ["*/"]  # every top-level folder of a query-results bucket
    try:
        matched = matching_prefixes(client, a["name"], patterns)
    except PrefixesTruncated as e:
        matched = e.found
        add_content_gap(a, f"export prefixes: more than {MAX_LIST_PAGES} pages of top-level "
                           "entries; those past them not looked at")
    except READ_ERRORS as e:
        matched = None
        why = f"export prefixes: {reason(e, 's3', 'ListBucket')}"
        add_content_gap(a, why)
        if not chosen:
            a["exports"] = None
            return
    for prefix in matched or ():
        chosen.setdefault(prefix, {"prefix": prefix, "origin": "prefix_pattern",
                                   "workgroup": None})
    entries = list(chosen.values())
    for extra in entries[MAX_PREFIXES:]:
        add_content_gap(a, f"export prefix {extra['prefix']} not sampled: more than "
                           f"{MAX_PREFIXES} export prefixes in the bucket")
    out = []
    for e in entries[:MAX_PREFIXES]:
        res = sample_bucket(client, a["name"], limits, scanner, prefix=e["prefix"])
        e["content"] = res.content
        for why in res.gaps:
            add_content_gap(a, f"export prefix {e['prefix']}: {why}")
        out.append(e)
    a["exports"] = out
