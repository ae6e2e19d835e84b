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
