"""Which regions a sweep reads: those --regions names, or every region the account enables.

botocore knows the regions of its release; AWS launches more. botocore's endpoint rules
address any region name of a partition's pattern (``cn-*-N`` in aws-cn), so a region the
account enables and botocore does not list is read all the same. A region it cannot address
at all is a gap naming it — never silently skipped.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import boto3

from dsscan.errors import InputError
from dsscan.scanners.aws.base import Sink, call
from dsscan.scanners.aws.clients import AccountSession
from dsscan.scanners.aws.failures import ReadFailure
from dsscan.scanners.aws.operations import Calls

# The regions an account has enabled (enabled_regions).
REGION_CALLS = (Calls("ec2", ("DescribeRegions",)),)


def shown(value: Any) -> str:
    """A value from a reply or a file in a message: masked, one line, bounded."""
    from dsscan.masking import mask_text

    text = " ".join(mask_text("" if value is None else str(value)).split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


def check_regions(base: boto3.Session, partition: str, regions: list[str]) -> None:
    known = set(base.get_available_regions("ec2", partition))
    for r in regions:
        if known and r not in known:
            raise InputError(f"--regions: '{r}' is not a region of partition {partition} "
                             f"(known: {', '.join(sorted(known))})")


def enabled_regions(session: AccountSession, home: str, partition: str,
                     sink: Sink) -> list[str]:
    """Every region the account has enabled. A region newer than this botocore is read all
    the same when botocore can address it in the partition (it builds endpoints for any name
    of the partition's pattern); one it cannot address is a gap naming it, never skipped."""
    try:
        got = [r["RegionName"] for r in call(session.client("ec2", home), "describe_regions")
               ["Regions"] if r.get("OptInStatus") in (None, "opt-in-not-required", "opted-in")]
    except ReadFailure as e:
        sink.gap("region list of account {account} (only {home} was scanned)", e,
                 account=session.account, home=home)
        return [home]
    regions = []
    for r in got:
        owner = partition_of(r)
        if owner == partition:
            regions.append(r)
        elif owner is None:
            sink.gap("region {shown} of account {account}", unaddressable(r, partition),
                     account=session.account, region=r, shown=shown(r))
        # A region of another partition holds nothing of an account of this one (accounts
        # live in one partition; moto lists every partition's regions): not this sweep's.
    return sorted(set(regions)) or [home]


@functools.cache
def _partitions() -> tuple[dict[str, Any], ...]:
    """botocore's partitions (data/partitions.json: the regions it lists and the pattern its
    endpoint rules accept), read once."""
    import botocore.session

    return tuple(botocore.session.get_session().get_component("data_loader")
                 .load_data("partitions")["partitions"])


def partition_of(region: Any) -> str | None:
    """The partition botocore's endpoint rules put ``region`` in, as they do: a partition
    that lists it, else the first whose region pattern it matches; None when botocore cannot
    address it at all."""
    from botocore.exceptions import InvalidRegionError
    from botocore.utils import validate_region_name

    if not isinstance(region, str) or not region:
        return None
    try:
        validate_region_name(region)
    except InvalidRegionError:
        return None
    parts = _partitions()
    for p in parts:
        if region in (p.get("regions") or {}):
            return str(p.get("id"))
    for p in parts:
        if re.match(p.get("regionRegex") or r"(?!)", region):
            return str(p.get("id"))
    return None


def addressable(region: Any, partition: str) -> bool:
    """Whether botocore can build endpoints for ``region`` in ``partition``: a region it
    lists there, or a name of the partition's region pattern (how botocore's endpoint rules
    resolve regions launched after its release)."""
    return partition_of(region) == partition


def unaddressable(region: str, partition: str) -> str:
    import botocore

    return (f"not a region botocore {botocore.__version__} can address in partition "
            f"{partition}: not read (a newer botocore reads it)")
