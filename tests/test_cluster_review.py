"""Review of the cluster sweep (issue 16): faults and estate shapes where the cluster sweep
must read, gap and journal as the thread-pool sweep does. A small organization (3 members,
1 region) in moto's server, a LocalCluster of 1 worker process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from aws_support import FAKE_ENV, UNSET
from latency_proxy import LatencyProxy
from org_support import MOTO_LACKS, Org, provision_organization

from dsscan.inventory import Inventory, dump_inventory
from dsscan.scanners.aws.cluster import ClusterOptions
from dsscan.scanners.aws.sweep import SweepOptions, sweep

distributed = pytest.importorskip("distributed") if not os.environ.get("CI") else \
    __import__("distributed")

pytestmark = pytest.mark.slow

REGIONS = ("cn-north-1",)
ROLE = "DsscanReadOnly"


@pytest.fixture(scope="module")
def org(moto_url: str) -> Iterator[tuple[Org, str]]:
    with pytest.MonkeyPatch.context() as mp:
        for k in UNSET:
            mp.delenv(k, raising=False)
        for k, v in FAKE_ENV.items():
            mp.setenv(k, v)
        got = provision_organization(moto_url, accounts=3, regions=REGIONS, role_name=ROLE)
        with LatencyProxy(moto_url, 0.0, answers=MOTO_LACKS) as proxy:
            mp.setenv("AWS_ENDPOINT_URL", proxy.url)
            yield got, proxy.url


@pytest.fixture(scope="module")
def client(org: tuple[Org, str]) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def options(**more: Any) -> SweepOptions:
    more.setdefault("services", ["s3"])
    return SweepOptions(organization=True, role_name=ROLE, regions=list(REGIONS),
                        max_attempts=2, timeout=30, **more)


def comparable(inv: Inventory) -> dict[str, Any]:
    doc = json.loads(dump_inventory(inv))
    doc.pop("generated_at", None)
    return doc


def test_global_services_alone_read_the_same_sources_as_the_thread_pool(
        org: tuple[Org, str], client: Any) -> None:
    """--services s3 (or iam): no regional collector, yet every (account, region) entered is
    read (a source), as in the thread pool; the Athena stage of --sample-data walks them."""
    for services in (["s3"], ["iam"]):
        local = sweep(options(services=services))
        got = sweep(options(services=services, cluster=ClusterOptions(client)))
        assert comparable(got).get("sources") == comparable(local).get("sources"), services
        assert comparable(got) == comparable(local)


def test_sampling_with_s3_alone_reads_the_athena_output_locations(
        org: tuple[Org, str], client: Any) -> None:
    """--services s3 --sample-data: the Athena workgroups of every (account, region) are read
    (their query results are sampled as exports of the bucket they land in): unread, a bucket
    holding query results full of identifiers would pass DS-PII-001."""
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.sampling.aws import SampleOptions

    sample = SampleOptions(objects=1, bytes=1024, items=5)
    local, cluster = CallLog(), CallLog()
    sweep(options(sample=sample), local)
    sweep(options(sample=sample, cluster=ClusterOptions(client)), cluster)
    athena = {k: n for k, n in local.counts.items() if k[0] == "athena"}
    assert athena
    assert {k: n for k, n in cluster.counts.items() if k[0] == "athena"} == athena


PHONE = "13800138000"


def _plant(org: Org, url: str, account: str, name: str) -> None:
    import boto3

    sts = boto3.client("sts", region_name=REGIONS[0], endpoint_url=url)
    c = sts.assume_role(RoleArn=f"arn:aws-cn:iam::{account}:role/{ROLE}",
                        RoleSessionName="plant")["Credentials"]
    s3 = boto3.client("s3", region_name=REGIONS[0], endpoint_url=url,
                      aws_access_key_id=c["AccessKeyId"],
                      aws_secret_access_key=c["SecretAccessKey"],
                      aws_session_token=c["SessionToken"])
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGIONS[0]})
    s3.put_object(Bucket=name, Key="a.csv", Body=b"name\nx\n")


class FailSampling(distributed.WorkerPlugin):
    """Sampling a bucket raises on the workers (a bug, or a reply no retry mends)."""

    name = "dsscan-review-fail-sampling"

    def setup(self, worker: Any) -> None:
        from dsscan.scanners.sampling import aws

        self.original = aws.sample_asset

        def failing(a: Any, *args: Any, **kw: Any) -> None:
            if a["kind"] == "object_store":
                raise RuntimeError("injected")
            self.original(a, *args, **kw)
        aws.sample_asset = failing

    def teardown(self, worker: Any) -> None:
        from dsscan.scanners.sampling import aws

        aws.sample_asset = self.original


def test_a_failing_sample_shard_never_logs_its_store_in_clear(
        org: tuple[Org, str], capfd: pytest.CaptureFixture[str]) -> None:
    """Dask's workers log a task that raised with the repr of its arguments ("Compute
    Failed", at ERROR: not silenced), on the worker's own standard error, which no masking of
    this process covers: a shard's arguments must not name a store in clear."""
    import logging

    from distributed import Client, LocalCluster

    from dsscan.scanners.sampling.aws import SampleOptions

    o, url = org
    _plant(o, url, o.accounts[0], f"owner-{PHONE}-reports")
    # As connect() makes it for --cluster local:1.
    cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                           host="127.0.0.1", dashboard_address=None,
                           silence_logs=logging.ERROR)
    c = Client(cluster)
    try:
        c.register_plugin(FailSampling())
        got = sweep(options(sample=SampleOptions(objects=1, bytes=1024),
                            cluster=ClusterOptions(c, retries=0)))
    finally:
        c.close()
        cluster.close()
    hit = [a for a in got.assets if PHONE in a["name"]]
    assert hit and hit[0]["content"]["status"] == "error"
    out, err = capfd.readouterr()
    assert "Compute Failed" in err  # the worker did log the failed shards
    assert PHONE not in out and PHONE not in err
