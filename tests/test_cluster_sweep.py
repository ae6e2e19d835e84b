"""The cluster sweep (``--cluster``) on a real Dask LocalCluster of 2 worker processes, over
an organization of 20 member accounts × 2 regions served by moto's threaded server on
127.0.0.1 (tests/org_support.py), with violations planted in several accounts.

What moto's server lacks (CloudTrail Lake's listing, AWS Backup restore testing and restore
jobs) is answered as an organization without those features answers on AWS, by the proxy in
front of it (tests/latency_proxy.py, org_support.MOTO_LACKS): unanswered, each is a 500 that
botocore retries, and every store would be not assessed by the policies that read them.

Pinned: the sweep on the cluster reads exactly what the single-process sweep reads (the same
inventory, hence the same findings); a worker process killed midway loses nothing (Dask
recomputes its shards); a shard that keeps failing is a gap on exactly its scope (exit 3);
an interrupted sweep resumed from the history store's journal reads only the shards it had
not finished, and the journal never holds an identifier in clear.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_support import FAKE_ENV, UNSET
from latency_proxy import LatencyProxy
from org_support import MOTO_LACKS, Org, provision_organization

from dsscan.inventory import Inventory, dump_inventory
from dsscan.run import RunRequest, execute
from dsscan.scanners.aws.cluster import ClusterOptions
from dsscan.scanners.aws.sweep import SweepOptions, sweep

distributed = pytest.importorskip("distributed") if not os.environ.get("CI") else \
    __import__("distributed")  # in CI a missing Dask fails the module, never skips it

pytestmark = pytest.mark.slow

REGIONS = ("cn-north-1", "cn-northwest-1")
ROLE = "DsscanReadOnly"
# Planted after provisioning: a bucket whose name holds a mobile number (an identifier the
# journal must never keep in clear), and an object of customer records for --sample-data.
PHONE = "13800138000"
ID_NUMBER = "11010519491231002X"


@pytest.fixture(scope="module")
def org(moto_url: str) -> Iterator[tuple[Org, str]]:
    """The organization, and the URL the sweeps use (the proxy in front of moto)."""
    with pytest.MonkeyPatch.context() as mp:
        for k in UNSET:
            mp.delenv(k, raising=False)
        for k, v in FAKE_ENV.items():
            mp.setenv(k, v)
        got = provision_organization(moto_url, accounts=20, regions=REGIONS, role_name=ROLE)
        _plant_identifiers(got, moto_url)
        with LatencyProxy(moto_url, 0.0, answers=MOTO_LACKS) as proxy:
            # Set before the cluster starts: its worker processes inherit this environment
            # (their own credential chain, as on a real cluster).
            mp.setenv("AWS_ENDPOINT_URL", proxy.url)
            yield got, proxy.url


def _plant_identifiers(org: Org, url: str) -> None:
    import boto3

    sts = boto3.client("sts", region_name=REGIONS[0], endpoint_url=url)
    c = sts.assume_role(RoleArn=f"arn:aws-cn:iam::{org.accounts[1]}:role/{ROLE}",
                        RoleSessionName="plant")["Credentials"]
    s3 = boto3.client("s3", region_name=REGIONS[0], endpoint_url=url,
                      aws_access_key_id=c["AccessKeyId"],
                      aws_secret_access_key=c["SecretAccessKey"],
                      aws_session_token=c["SessionToken"])
    name = f"owner-{PHONE}-reports"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGIONS[0]})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
        {"Key": "data-level", "Value": "sensitive"}, {"Key": "environment",
                                                       "Value": "production"}]})
    rows = "\n".join(f"name,id_number\ncustomer{i},{ID_NUMBER}" for i in range(20))
    s3.put_object(Bucket=name, Key="customers.csv", Body=rows.encode())


@pytest.fixture(scope="module")
def client(org: tuple[Org, str]) -> Iterator[Any]:
    """A LocalCluster of 2 worker processes on loopback, and its client."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=4, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


# The services most tests read: those of the planted violations (every service is read by
# the first test; moto's server answers ~70 calls a second, and a sweep of all of them over
# 40 (account, region) is ~2,600 calls).
SERVICES = ["s3", "network", "rds", "dynamodb", "kms"]


def options(**more: Any) -> SweepOptions:
    more.setdefault("services", SERVICES)
    return SweepOptions(organization=True, role_name=ROLE, regions=list(REGIONS),
                        max_attempts=2, timeout=30, **more)


def comparable(inv: Inventory) -> dict[str, Any]:
    doc = json.loads(dump_inventory(inv))
    doc.pop("generated_at", None)
    return doc


def untimed(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: untimed(v) for k, v in doc.items() if k != "sampled_at"}
    return [untimed(v) for v in doc] if isinstance(doc, list) else doc


@pytest.fixture(scope="module")
def single(org: tuple[Org, str]) -> Inventory:
    """The single-process sweep (the thread pool) of SERVICES: what the cluster must equal."""
    return sweep(options())


def findings(inv: Inventory, fail_on: str | None = None
             ) -> tuple[int, list[tuple[str, str, str]]]:
    """The exit code and the findings of evaluating ``inv`` with the built-in defaults."""
    result = execute(RunRequest(inventory=lambda: inv, no_config=True, default_format=None,
                                fail_on=fail_on))
    return result.exit_code, sorted((f.policy_id, f.asset_id, f.message)
                                    for f in result.scan.findings)


def test_the_cluster_sweep_reads_exactly_what_the_single_process_sweep_reads(
        org: tuple[Org, str], client: Any) -> None:
    """Every service: every kind of note the link pass needs (backup plans, RAM shares, DMS
    tasks, OUs) crosses from the workers as JSON and links as it does in one process."""
    o, _ = org
    local = sweep(options(services=[]))
    got = sweep(options(services=[], cluster=ClusterOptions(client)))
    assert comparable(got) == comparable(local)
    code, found = findings(got)
    assert (code, found) == findings(local)
    # The planted violations, each in its own account; the compliant twins have none of them.
    account_of = {a["id"]: a.get("account") for a in got.assets}
    by_policy_account = {(p, account_of.get(a)) for p, a, _ in found}
    for policy, account in o.planted:
        assert (policy, account) in by_policy_account, (policy, account)
    planted_policies = {p for p, _ in o.planted}
    for account in o.compliant:
        assert not {p for p, a in by_policy_account if a == account} & planted_policies
    assert len(got.assets) > 40 * 4  # every account and region was read


def test_a_worker_process_killed_midway_loses_nothing(org: tuple[Org, str],
                                                      single: Inventory) -> None:
    """SIGKILL to one of the two worker processes once a few shards are in: its shards are
    recomputed on the other (and on the one its nanny restarts), and the inventory is the
    single-process sweep's."""
    from distributed import Client, LocalCluster

    _, url = org
    killed: list[int] = []
    with LatencyProxy(url, 0.02) as slow, pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", slow.url)
        cluster = LocalCluster(n_workers=2, threads_per_worker=4, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        c = Client(cluster)
        try:
            def kill(driver: Any) -> None:
                """Kill the worker holding a shard's finished result the driver has not
                collected yet (and whatever it is running): its result is lost with it."""
                if killed or driver.done < 12 or not driver.futures:
                    return
                distributed.wait(list(driver.futures), return_when="FIRST_COMPLETED")
                held = [f for f in driver.futures if f.status == "finished"]
                holders = c.who_has(held)
                pids = c.run(os.getpid)
                victim = next(pids[w] for f in held for w in holders.get(f.key, ()))
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

            got = sweep(options(cluster=ClusterOptions(c, on_shard=kill)))
        finally:
            c.close()
            cluster.close()
    assert killed, "no worker was killed: the sweep finished before 12 shards?"
    assert got.gaps == single.gaps
    assert sorted(a["id"] for a in got.assets) == sorted(a["id"] for a in single.assets)
    assert comparable(got) == comparable(single)


class FailDynamoDB(distributed.WorkerPlugin):
    """A Dask worker plugin that makes the DynamoDB collector raise in one account: a shard
    that fails however often it is retried (a bug, or a reply no retry mends)."""

    name = "dsscan-test-fail-dynamodb"

    def __init__(self, account: str) -> None:
        self.account = account

    def setup(self, worker: Any) -> None:
        from dsscan.scanners.aws import reading

        self.original = reading.COLLECTORS["dynamodb"]
        account, original = self.account, self.original

        def failing(scope: Any) -> None:
            if scope.account == account:
                raise RuntimeError("injected")
            original(scope)
        reading.COLLECTORS["dynamodb"] = failing

    def teardown(self, worker: Any) -> None:
        from dsscan.scanners.aws import reading

        reading.COLLECTORS["dynamodb"] = self.original


def test_a_shard_that_keeps_failing_is_a_gap_on_exactly_its_scope_and_exit_3(
        org: tuple[Org, str], client: Any, single: Inventory) -> None:
    o, _ = org
    victim = o.accounts[3]
    client.register_plugin(FailDynamoDB(victim))
    try:
        got = sweep(options(cluster=ClusterOptions(client, retries=1)))
    finally:
        client.unregister_worker_plugin(FailDynamoDB.name)
    new = [g for g in got.gaps if g not in single.gaps]
    assert sorted((g["scope"], g["account"], g["region"]) for g in new) == [
        (f"every service in {victim}/{r}", victim, r) for r in REGIONS]
    assert all("failed on the cluster after 2 attempts (RuntimeError)" in g["reason"]
               for g in new)
    # Only that account's regional stores are missing; every other account is read in full.
    others = [a for a in single.assets if a.get("account") != victim]
    assert [a for a in got.assets if a.get("account") != victim] == others
    # The planted findings exit 1 first; with no finding failing the run, it is incomplete,
    # and what it could not assess, beyond what the single-process sweep could not (the
    # services left out), is the two scopes of the failed shards and nothing else.
    assert findings(got)[0] == 1 and findings(got, "never")[0] == 3

    def not_assessed(inv: Inventory) -> set[tuple[Any, ...]]:
        result = execute(RunRequest(inventory=lambda: inv, no_config=True,
                                    default_format=None))
        return {(n.scope, n.account, n.region, n.asset_id, n.policy_id)
                for n in result.scan.not_assessed}
    extra = not_assessed(got) - not_assessed(single)
    assert {(scope, acct, region) for scope, acct, region, _, _ in extra} == {
        (f"every service in {victim}/{r}", victim, r) for r in REGIONS}


def _journal(store: Path) -> list[tuple[str, bytes | None]]:
    with sqlite3.connect(store) as db:
        return db.execute("SELECT shard, result FROM sweep_shards").fetchall()


def test_an_interrupted_sweep_resumes_reading_only_the_shards_it_had_not_finished(
        org: tuple[Org, str], client: Any, single: Inventory, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"

    def interrupt(driver: Any) -> None:
        if driver.done >= 25:
            raise KeyboardInterrupt

    def run(co: ClusterOptions, drivers: list[Any]) -> Any:
        def record(driver: Any) -> None:
            if not drivers:
                drivers.append(driver)
            if co_hook is not None:
                co_hook(driver)
        co_hook = co.on_shard
        co.on_shard = record
        return execute(RunRequest(inventory=lambda: sweep(options(cluster=co)),
                                  store_url=str(store), no_config=True, default_format=None))

    first: list[Any] = []
    with pytest.raises(KeyboardInterrupt):
        run(ClusterOptions(client, on_shard=interrupt), first)
    run_id = first[0].journal.run_id
    journaled = _journal(store)
    assert len(journaled) >= 25
    # The journal holds no identifier in clear: the shard that read the bucket named with a
    # mobile number was journaled without its result (it is read again on resume).
    for _, blob in journaled:
        if blob is not None:
            text = zlib.decompress(blob).decode()
            assert PHONE not in text and ID_NUMBER not in text
    kept = {k for k, blob in journaled if blob is not None}
    assert store.read_bytes().count(PHONE.encode()) == 0

    second: list[Any] = []
    result = run(ClusterOptions(client, resume=run_id), second)
    d = second[0]
    assert not kept & set(d.submitted)  # nothing finished was read again
    assert len(kept) + len(d.submitted) == d.total  # and everything else was
    assert result.run_id == run_id
    assert _journal(store) == []  # the journal goes once the run is stored
    assert sorted((f.policy_id, f.asset_id, f.message) for f in result.scan.findings) == \
        findings(single)[1]


def test_sampling_on_the_cluster_finds_what_the_single_process_sweep_finds(
        org: tuple[Org, str], client: Any) -> None:
    from dsscan.scanners.sampling.aws import SampleOptions

    sample = SampleOptions(objects=5, bytes=4096, items=50)
    local = sweep(options(sample=sample, services=["s3", "dynamodb"]))
    got = sweep(options(sample=sample, services=["s3", "dynamodb"],
                        cluster=ClusterOptions(client)))
    # Equal but for when each store was sampled.
    assert untimed(comparable(got)) == untimed(comparable(local))
    hit = [a for a in got.assets if PHONE in a["name"]]
    assert hit and hit[0]["content"]["status"] == "sampled"
    assert hit[0]["content"]["detections"], hit[0]["content"]
