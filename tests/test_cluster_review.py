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


def test_every_service_crosses_the_codec_as_the_thread_pool_reads_it(
        org: tuple[Org, str], client: Any) -> None:
    """Every collector's assets, gaps and notes pass the shape the journal's codec checks
    (shard_codec._shaped) and link as in one process."""
    local = sweep(options(services=[]))
    got = sweep(options(services=[], cluster=ClusterOptions(client)))
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
    single = sweep(options(sample=sample), local)
    got = sweep(options(sample=sample, cluster=ClusterOptions(client)), cluster)

    def untimed(doc: Any) -> Any:
        if isinstance(doc, dict):
            return {k: untimed(v) for k, v in doc.items() if k != "sampled_at"}
        return [untimed(v) for v in doc] if isinstance(doc, list) else doc
    assert untimed(comparable(got)) == untimed(comparable(single))
    assert any((a.get("content") or {}).get("status") == "sampled" for a in got.assets)
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


def _clients(url: str, account: str, region: str = REGIONS[0]) -> Any:
    import boto3

    sts = boto3.client("sts", region_name=REGIONS[0], endpoint_url=url)
    c = sts.assume_role(RoleArn=f"arn:aws-cn:iam::{account}:role/{ROLE}",
                        RoleSessionName="plant")["Credentials"]
    return boto3.Session(aws_access_key_id=c["AccessKeyId"],
                         aws_secret_access_key=c["SecretAccessKey"],
                         aws_session_token=c["SessionToken"], region_name=region)


@pytest.fixture(scope="module")
def shapes(org: tuple[Org, str]) -> tuple[Org, str]:
    """Relations across accounts: replication into another account's bucket, a bucket under
    another account's KMS key, a backup plan copying into another account's vault; and a
    bucket in a region --regions leaves out."""
    o, url = org
    a, b = o.accounts[0], o.accounts[1]
    sa, sb = _clients(url, a), _clients(url, b)
    key = sb.client("kms", endpoint_url=url).create_key(Description="shared")["KeyMetadata"]
    s3a = sa.client("s3", endpoint_url=url)
    s3b = sb.client("s3", endpoint_url=url)
    loc = {"LocationConstraint": REGIONS[0]}
    for s3, name in ((s3a, "shape-src"), (s3b, "shape-dst")):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration=loc)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": "data-level", "Value": "sensitive"},
            {"Key": "environment", "Value": "production"}]})
    s3a.put_bucket_encryption(Bucket="shape-src", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]})
    s3a.put_bucket_replication(Bucket="shape-src", ReplicationConfiguration={
        "Role": f"arn:aws-cn:iam::{a}:role/replication",
        "Rules": [{"ID": "r", "Status": "Enabled", "Priority": 1, "Filter": {},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": "arn:aws-cn:s3:::shape-dst", "Account": b}}]})
    other = "cn-northwest-1"
    _clients(url, a, other).client("s3", endpoint_url=url).create_bucket(
        Bucket="shape-elsewhere", CreateBucketConfiguration={"LocationConstraint": other})
    bk_b = sb.client("backup", endpoint_url=url)
    vault = bk_b.create_backup_vault(BackupVaultName="copies")["BackupVaultArn"]
    bk_a = sa.client("backup", endpoint_url=url)
    bk_a.create_backup_vault(BackupVaultName="primary")
    plan = bk_a.create_backup_plan(BackupPlan={"BackupPlanName": "daily", "Rules": [{
        "RuleName": "daily", "TargetBackupVaultName": "primary",
        "ScheduleExpression": "cron(0 5 ? * * *)",
        "Lifecycle": {"DeleteAfterDays": 35},
        "CopyActions": [{"DestinationBackupVaultArn": vault,
                         "Lifecycle": {"DeleteAfterDays": 35}}]}]})
    del plan  # moto's server has no backup selections
    # (moto's RAM refuses ARNs of the aws-cn partition: no share is planted.)
    return o, url


@pytest.mark.parametrize("regions", [list(REGIONS), []])
def test_relations_across_accounts_read_as_in_the_thread_pool(
        shapes: tuple[Org, str], client: Any, regions: list[str]) -> None:
    services = ["s3", "kms", "backup", "dynamodb", "ram", "iam"]
    local = sweep(SweepOptions(organization=True, role_name=ROLE, regions=regions,
                               services=services, max_attempts=2, timeout=30))
    got = sweep(SweepOptions(organization=True, role_name=ROLE, regions=regions,
                             services=services, max_attempts=2, timeout=30,
                             cluster=ClusterOptions(client)))
    names = {a["name"] for a in got.assets}
    assert {"shape-src", "shape-dst"} <= names
    assert ("shape-elsewhere" in names) == (not regions)
    dst = next(a for a in got.assets if a["name"] == "shape-dst")
    assert dst.get("replica_of")  # linked across accounts
    assert comparable(got) == comparable(local)


def test_the_own_account_is_never_read_with_workers_credentials_of_another(
        org: tuple[Org, str]) -> None:
    """The workers' credential chain names a member account, the driver's the management
    account: the management account (entered without a role) is a gap, never the member's
    estate read as the management account's; the members are read in full."""
    from distributed import Client, LocalCluster

    o, url = org
    member = o.accounts[2]
    creds = _clients(url, member).get_credentials()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
        mp.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
        mp.setenv("AWS_SESSION_TOKEN", creds.token)
        cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    c = Client(cluster)
    try:
        assert c.run(lambda: os.environ["AWS_ACCESS_KEY_ID"]) != {}
        got = sweep(options(cluster=ClusterOptions(c)))
    finally:
        c.close()
        cluster.close()
    local = sweep(options())
    assert not [a for a in got.assets if a.get("account") == o.management]
    gaps = [g for g in got.gaps if g["account"] == o.management]
    assert gaps and "credentials are of another account" in gaps[0]["reason"]
    assert [a for a in got.assets if a.get("account") != o.management] == \
        [a for a in local.assets if a.get("account") != o.management]


class FailIAM(distributed.WorkerPlugin):
    """IAM's collector raises in one account: its global shard fails however retried."""

    name = "dsscan-review-fail-iam"

    def __init__(self, account: str) -> None:
        self.account = account

    def setup(self, worker: Any) -> None:
        from dsscan.scanners.aws import iam

        self.original = iam.collect_account
        account, original = self.account, self.original

        def failing(scope: Any) -> None:
            if scope.account == account:
                raise RuntimeError("injected")
            original(scope)
        iam.collect_account = failing

    def teardown(self, worker: Any) -> None:
        from dsscan.scanners.aws import iam

        iam.collect_account = self.original


def test_a_failed_global_shard_is_a_gap_of_its_account_s_s3_and_iam_alone(
        org: tuple[Org, str], client: Any) -> None:
    from dsscan.run import RunRequest, execute

    o, _ = org
    victim = o.accounts[1]
    services = ["s3", "iam", "kms"]
    local = sweep(options(services=services))
    client.register_plugin(FailIAM(victim))
    try:
        got = sweep(options(services=services, cluster=ClusterOptions(client, retries=0)))
    finally:
        client.unregister_worker_plugin(FailIAM.name)
    new = [g for g in got.gaps if g not in local.gaps]
    assert sorted((g["scope"], g["account"], g["region"], g["service"]) for g in new) == [
        (f"{s} in {victim}", victim, None, s) for s in ("iam", "s3")]
    global_types = ("AWS::S3::Bucket", "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
    assert [a for a in got.assets if a.get("account") == victim
            and a["type"] in global_types] == []
    assert [a for a in got.assets if not (a.get("account") == victim
                                          and a["type"] in global_types)] == \
        [a for a in local.assets if not (a.get("account") == victim
                                         and a["type"] in global_types)]
    result = execute(RunRequest(inventory=lambda: got, no_config=True, default_format=None,
                                fail_on="never"))
    assert result.exit_code == 3


def test_losing_the_scheduler_stops_the_sweep_with_one_line_and_keeps_nothing(
        org: tuple[Org, str]) -> None:
    """docs/cluster.md: the scheduler goes away mid-sweep: the run stops (a usage error, exit
    2) saying how many shards finished; never a run whose unread shards are gaps or a pass,
    and never a hang."""
    import socket
    import subprocess
    import sys
    import time

    from distributed import Client

    from dsscan.errors import InputError

    _, url = org
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dask = os.path.join(os.path.dirname(sys.executable), "dask")
    addr = f"tcp://127.0.0.1:{port}"
    with LatencyProxy(url, 0.05) as slow, pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", slow.url)
        sched = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], stderr=subprocess.DEVNULL)
        worker = subprocess.Popen([dask, "worker", addr, "--nworkers", "1", "--nthreads",
                                   "2", "--no-dashboard"], stderr=subprocess.DEVNULL)
        try:
            c = Client(addr, timeout="20s")
            c.wait_for_workers(1, timeout=30)

            def kill(driver: Any) -> None:
                if driver.done == 3 and sched.poll() is None:
                    sched.kill()
                    sched.wait()
            t0 = time.monotonic()
            with pytest.raises(InputError, match="lost the Dask scheduler"):
                sweep(options(services=["s3", "kms", "dynamodb"],
                              cluster=ClusterOptions(c, on_shard=kill)))
            assert time.monotonic() - t0 < 120
            c.close()
        finally:
            for p in (worker, sched):
                if p.poll() is None:
                    p.kill()
                    p.wait()


def test_a_shard_cancelled_on_the_cluster_is_a_gap_of_its_scope(
        org: tuple[Org, str], client: Any) -> None:
    """An operator cancels a running shard (the dashboard, client.cancel): that shard is a
    gap on its scope and the sweep goes on (exit 3), never a crash of the whole run."""
    local = sweep(options(services=["s3", "kms"]))
    cancelled: list[Any] = []

    def cancel(driver: Any) -> None:
        if not cancelled:
            for fut, (shard, _) in driver.futures.items():
                if shard.kind == "region":
                    driver.client.cancel([fut])
                    cancelled.append(shard)
                    return
    got = sweep(options(services=["s3", "kms"], cluster=ClusterOptions(client,
                                                                      on_shard=cancel)))
    assert cancelled
    new = [g for g in got.gaps if g not in local.gaps]
    assert [(g["account"], g["region"]) for g in new] == \
        [(cancelled[0].account, cancelled[0].region)]
    assert "cancelled" in new[0]["reason"]


def test_a_worker_killed_holding_finished_shards_loses_none_of_them(
        org: tuple[Org, str]) -> None:
    """Shards finished on a worker whose results the driver has not fetched yet: the worker
    dies, Dask marks their futures lost and recomputes them. They are read again, never
    gaps ("cancelled") nor dropped."""
    import signal
    import time

    from distributed import Client, LocalCluster

    services = ["s3", "kms"]
    local = sweep(options(services=services))
    cluster = LocalCluster(n_workers=1, threads_per_worker=4, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    c = Client(cluster)
    killed: list[int] = []
    try:
        def kill(driver: Any) -> None:
            if not killed:
                time.sleep(3)  # the worker finishes what it holds; the driver fetches none
                pid = next(iter(c.run(os.getpid).values()))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                time.sleep(3)  # the scheduler and this client learn of it
        got = sweep(options(services=services, cluster=ClusterOptions(c, on_shard=kill)))
    finally:
        c.close()
        cluster.close()
    assert killed
    assert [g for g in got.gaps if g not in local.gaps] == []
    assert comparable(got) == comparable(local)


def _refuse(account: str) -> Any:
    """An ``enter`` that refuses ``account`` (sts:AssumeRole AccessDenied) and enters others."""
    from botocore.exceptions import ClientError

    from dsscan.scanners.aws import reading
    from dsscan.scanners.aws.failures import ReadFailure

    original = reading.enter

    def enter(acct: str, *args: Any, **kw: Any) -> Any:
        if acct == account:
            raise ReadFailure("sts", "AssumeRole", ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not allowed"},
                 "ResponseMetadata": {"HTTPStatusCode": 403}}, "AssumeRole"))
        return original(acct, *args, **kw)
    return enter


class RefuseAccount(distributed.WorkerPlugin):
    name = "dsscan-review-refuse-account"

    def __init__(self, account: str) -> None:
        self.account = account

    def setup(self, worker: Any) -> None:
        from dsscan.scanners.aws import shards

        self.original = shards.enter
        shards.enter = _refuse(self.account)

    def teardown(self, worker: Any) -> None:
        from dsscan.scanners.aws import shards

        shards.enter = self.original


def test_an_account_that_cannot_be_entered_reads_and_exits_as_in_the_thread_pool(
        org: tuple[Org, str], client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from dsscan.run import RunRequest, execute
    from dsscan.scanners.aws import sweep as sweep_module

    o, _ = org
    victim = o.accounts[0]
    services = ["s3", "kms"]
    with monkeypatch.context() as mp:
        mp.setattr(sweep_module, "enter", _refuse(victim))
        local = sweep(options(services=services))
    client.register_plugin(RefuseAccount(victim))
    try:
        got = sweep(options(services=services, cluster=ClusterOptions(client)))
    finally:
        client.unregister_worker_plugin(RefuseAccount.name)
    assert [g for g in local.gaps if g["account"] == victim]
    assert comparable(got) == comparable(local)
    for fail_on in (None, "never"):
        codes = [execute(RunRequest(inventory=lambda inv=inv: inv, no_config=True,
                                    default_format=None, fail_on=fail_on)).exit_code
                 for inv in (local, got)]
        assert codes[0] == codes[1]
    assert codes == [3, 3]


def test_a_resumed_sweep_reads_accounts_the_organization_gained_and_equals_a_fresh_one(
        org: tuple[Org, str], client: Any, tmp_path: Any) -> None:
    """Interrupted, then the organization gains an account, then resumed: the new account is
    read, nothing finished is read again or merged twice, and the run equals a fresh sweep
    (--sample-data too: athena and sample shards are journaled as well)."""
    import sqlite3

    from dsscan.run import RunRequest, execute
    from dsscan.scanners.sampling.aws import SampleOptions

    _, url = org
    store = tmp_path / "runs.sqlite"
    sample = SampleOptions(objects=1, bytes=1024, items=5)
    drivers: list[Any] = []

    def interrupt(driver: Any) -> None:
        drivers.append(driver)
        if driver.done >= 6:
            raise KeyboardInterrupt

    def run(co: ClusterOptions) -> Any:
        return execute(RunRequest(inventory=lambda: sweep(options(sample=sample, cluster=co)),
                                  store_url=str(store), no_config=True, default_format=None))

    with pytest.raises(KeyboardInterrupt):
        run(ClusterOptions(client, on_shard=interrupt))
    run_id = drivers[0].journal.run_id
    with sqlite3.connect(store) as db:
        kept = {k for k, v in db.execute("SELECT shard, result FROM sweep_shards")
                if v is not None}
    assert kept
    import boto3

    orgs = boto3.client("organizations", region_name=REGIONS[0], endpoint_url=url)
    orgs.create_account(AccountName="member-new", Email="member-new@bank.example")
    again: list[Any] = []
    result = run(ClusterOptions(client, resume=run_id, on_shard=again.append))
    assert result.run_id == run_id
    d = again[0]
    assert not kept & set(d.submitted)
    fresh = sweep(options(sample=sample))
    got_ids = sorted(a["id"] for a in d.sink.assets)
    assert len(got_ids) == len(set(got_ids))  # nothing merged twice
    assert got_ids == sorted(a["id"] for a in fresh.assets)
    assert len(fresh.sources) == len({(s["account"], s["region"]) for s in fresh.sources})


def test_a_long_lived_cluster_reads_each_sweep_s_ou_names_afresh(
        org: tuple[Org, str], client: Any) -> None:
    """The workers of a running cluster (tcp://) serve sweep after sweep: an OU renamed
    between two sweeps (a legal entity's OU, DS-SHR-002) is read under its new name, as the
    thread pool reads it, never a name a worker kept from an earlier sweep."""
    import boto3

    o, url = org
    orgs = boto3.client("organizations", region_name=REGIONS[0], endpoint_url=url)
    root = orgs.list_roots()["Roots"][0]["Id"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="entity-a")["OrganizationalUnit"]
    orgs.move_account(AccountId=o.accounts[2], SourceParentId=root,
                      DestinationParentId=ou["Id"])

    def names(inv: Inventory) -> list[Any]:
        return [s.get("organizational_units") for s in inv.sources
                if s["account"] == o.accounts[2]]
    first = sweep(options(cluster=ClusterOptions(client)))
    assert names(first) == [[{"id": ou["Id"], "name": "entity-a"}]]
    orgs.update_organizational_unit(OrganizationalUnitId=ou["Id"], Name="entity-b")
    second = sweep(options(cluster=ClusterOptions(client)))
    assert names(second) == names(sweep(options())) == [[{"id": ou["Id"], "name": "entity-b"}]]
