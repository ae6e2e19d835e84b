"""Regions the account enables are all read, or named as gaps (issue 11, wrong passes found by
review): ec2:DescribeRegions may list a region launched after this botocore's release. botocore
builds endpoints for any region name of the partition's pattern, so such a region is read; a
name it cannot address is a gap naming it. Buckets located there follow the same rule, and a
bucket --regions leaves out is counted as not looked at. Never a silent skip.

moto answers DescribeRegions with botocore's own list, and S3 accepts any region name: a
botocore ``after-call`` hook adds the new region to the list (or moves a bucket there), as
AWS would answer. Only S3 is read in the new region (moto has no other service there).
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, LAST, REGION, ClientHooks, bucket, by_name, fake_env
from moto import mock_aws

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, exit_code, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws import SERVICES
from dsscan.scanners.aws.regions import addressable
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # moto sweeps over several regions

NEW = "cn-south-1"  # of aws-cn's pattern, not in this botocore's list
ALIEN = "xx-mars-1"  # of no pattern of partition aws-cn


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def enabled(*extra: str) -> tuple[str, Any]:
    def handler(parsed: Any, **_: Any) -> None:
        parsed["Regions"] = [*parsed.get("Regions", []), *(
            {"RegionName": r, "Endpoint": f"ec2.{r}.amazonaws.com.cn",
             "OptInStatus": "opt-in-not-required"} for r in extra)]
    return ("after-call.ec2.DescribeRegions", handler)


def located(name: str, region: str) -> list[tuple[Any, ...]]:
    """GetBucketLocation answers ``region`` for bucket ``name`` (ClientHooks makes the
    scanner ask, as for an endpoint whose ListBuckets names no region). The answer runs
    after botocore's own handler, which sets LocationConstraint from the reply's body."""
    def remember(params: Any, context: Any, **_: Any) -> None:
        context["test_bucket"] = params.get("Bucket")

    def answer(parsed: Any, context: Any, **_: Any) -> None:
        if context.get("test_bucket") == name:
            parsed["LocationConstraint"] = region

    return [("before-parameter-build.s3.GetBucketLocation", remember),
            ("after-call.s3.GetBucketLocation", answer, LAST)]


def test_a_region_botocore_does_not_list_is_read_when_it_can_be_addressed():
    assert NEW not in boto3.Session().get_available_regions("ec2", "aws-cn")
    assert addressable(NEW, "aws-cn") and not addressable(ALIEN, "aws-cn")
    bucket("south-ledger", region=NEW, tags={"dsscan:level": "core"})
    with ClientHooks(enabled(NEW)):
        inv = sweep(SweepOptions(services=["s3"]))
    south = by_name(inv, "south-ledger")
    assert south["region"] == NEW and south["encryption"]["at_rest"]["enabled"] is True
    assert (ACCOUNT, NEW) in {(s["account"], s["region"]) for s in inv.sources}
    assert inv.gaps == []


def test_a_region_botocore_cannot_address_is_a_gap_naming_it():
    bucket("north-ledger", tags={"dsscan:level": "core"})
    with ClientHooks(enabled(ALIEN)):
        inv = sweep(SweepOptions(services=["s3"]))
    assert by_name(inv, "north-ledger")["region"] == REGION  # the rest is read
    [gap] = inv.gaps
    assert gap["scope"] == f"region '{ALIEN}' of account {ACCOUNT}"
    # Only that region of the account is unread: no call failed, every service there.
    assert (gap["account"], gap["region"], gap["service"], gap["operation"]) == (
        ACCOUNT, ALIEN, None, None)
    assert "partition aws-cn" in gap["reason"] and "not read" in gap["reason"]
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    assert not result.complete and exit_code(result, "never", Config()) == 3


def test_a_bucket_in_a_region_that_cannot_be_addressed_is_a_gap_not_dropped():
    bucket("mars-ledger", tags={"dsscan:level": "core"})
    bucket("north-ledger", tags={"dsscan:level": "core"})
    with ClientHooks(*located("mars-ledger", ALIEN)):
        inv = sweep(SweepOptions(services=["s3"]))
    assert {a["name"] for a in inv.assets} == {"north-ledger"}
    [gap] = inv.gaps
    assert gap["scope"] == f"s3 bucket mars-ledger in {ACCOUNT} (region '{ALIEN}')"
    assert (gap["account"], gap["region"], gap["service"], gap["operation"]) == (
        ACCOUNT, ALIEN, "s3", None)
    assert "partition aws-cn" in gap["reason"]


def test_a_bucket_in_an_enabled_region_outside_the_list_is_still_read():
    # A region list that failed, or one AWS answered before the bucket's region was enabled:
    # the bucket is read in its own region all the same.
    bucket("south-ledger", region=NEW)
    with ClientHooks():
        inv = sweep(SweepOptions(services=["s3"]))
    assert by_name(inv, "south-ledger")["region"] == NEW
    assert inv.gaps == []


def test_buckets_outside_the_chosen_regions_are_counted_as_not_looked_at():
    bucket("north-ledger")
    bucket("south-ledger", region=NEW)
    inv = sweep(SweepOptions(regions=[REGION], services=["s3"]))
    assert {a["name"] for a in inv.assets} == {"north-ledger"}
    [src] = [s for s in inv.sources if s["region"] == REGION]
    assert src["skipped"] == {"AWS::S3::Bucket": 1}
    assert "in a region --regions left out" in src["detail"]
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    assert result.skipped == {"AWS::S3::Bucket": 1}


def test_every_source_names_what_was_not_looked_at():
    """--services left out, data services dsscan does not read, resources seen and left out:
    each (account, region) source says so, so that no report reads "nothing found" as
    "nothing there"."""
    bucket("north-ledger")
    bucket("south-ledger", region=NEW)
    inv = sweep(SweepOptions(regions=[REGION], services=["s3", "rds"]))
    [src] = inv.sources
    assert (src["account"], src["region"]) == (ACCOUNT, REGION)
    detail = src["detail"]
    assert "AWS::S3::Bucket x1: in a region --regions left out" in detail
    left_out = ", ".join(s for s in SERVICES if s not in ("s3", "rds"))
    assert f"{left_out} (left out by --services)" in detail
    assert "MemoryDB" in detail and "(not read by dsscan)" in detail
