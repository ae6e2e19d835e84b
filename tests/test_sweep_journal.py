"""The pieces of the cluster sweep that need no cluster: the sweep journal in the history
store (SQLite and a real PostgreSQL on 127.0.0.1), the JSON codec of a shard's result, and
the usage errors of --cluster and --resume (one line, exit 2)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from aws_support import FAKE_ENV
from store_support import result, three_findings

from dsscan.errors import InputError
from dsscan.scanners.aws.backup import PlanCoverage
from dsscan.scanners.aws.base import Sink
from dsscan.scanners.aws.dms import DmsTasks, Task
from dsscan.scanners.aws.ram import Shares
from dsscan.scanners.aws.restores import RestoreTest
from dsscan.scanners.aws.selections import Selection
from dsscan.scanners.aws.shard_codec import ShardResult, decode, encode
from dsscan.scanners.aws.shards import Shard
from dsscan.store import open_store, parse_store_url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "history.sqlite")
    return request.getfixturevalue("pg_store_url")


def rows(url: str, table: str) -> int:
    dialect, target = parse_store_url(url)
    if dialect == "sqlite":
        with sqlite3.connect(target) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    import psycopg

    with psycopg.connect(target, autocommit=True) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_a_journal_keeps_finished_shards_until_its_run_is_stored(url: str) -> None:
    with open_store(url) as st:
        st.begin_sweep("r-sweep", "opts")
        st.journal_shard("r-sweep", "account:111111111111", b"\x00blob")
        st.journal_shard("r-sweep", "global:111111111111", None)  # read again on resume
        st.journal_shard("r-sweep", "account:111111111111", b"again")  # a recomputed shard
    with open_store(url) as st:
        assert st.resume_sweep("r-sweep", "opts") == {"account:111111111111": b"again",
                                                      "global:111111111111": None}
        with pytest.raises(InputError, match="started with other accounts, regions"):
            st.resume_sweep("r-sweep", "other opts")
        with pytest.raises(InputError, match="no interrupted sweep of that id"):
            st.resume_sweep("r-unknown", "opts")
        assert st.save_run(result(three_findings()), run_id="r-sweep") == "r-sweep"
        assert rows(url, "sweep_shards") == rows(url, "sweeps") == 0
        with pytest.raises(InputError, match="finished and is stored already"):
            st.resume_sweep("r-sweep", "opts")
        with pytest.raises(InputError, match="is stored already"):
            st.save_run(result(three_findings()), run_id="r-sweep")
        assert [r["run_id"] for r in st.list_runs()] == ["r-sweep"]


def test_pruning_drops_the_journals_of_sweeps_never_finished(url: str) -> None:
    with open_store(url) as st:
        st.begin_sweep("r-old", "opts")
        st.journal_shard("r-old", "account:111111111111", b"x")
        st.prune("2999-01-01")
        assert rows(url, "sweep_shards") == rows(url, "sweeps") == 0


def every_note() -> ShardResult:
    sel = Selection(plan="daily", resources=["*"], list_of_tags=[("data-level", "core")],
                    conditions=[("StringEquals", "aws:ResourceTag/env", "prod")])
    cov = PlanCoverage("111111111111", "cn-north-1", selections=[sel],
                       restore_tested=[RestoreTest("rt", "RDS", sel)],
                       restores=[("arn:src", None, "2026-12-01T00:00:00Z")],
                       opt_in={"RDS": True}, copy_rules={"daily": ["arn:vault"], "x": None},
                       copy_rules_error={"x": "denied"},
                       plan_rules={"daily": [{"plan": "daily", "delete_after_days": 35}]})
    sink = Sink(assets=[{"id": "a", "kind": "database", "tags": {"$weird": "key"}}],
                gaps=[{"scope": "s", "reason": "r", "account": None}],
                scanned={("111111111111", "cn-north-1")},
                skipped={("111111111111", "cn-north-1"): Counter({"AWS::X": 2})},
                skip_reasons={("111111111111", "cn-north-1", "AWS::X"): "not mapped"},
                notes={"backup": [cov],
                       "ram": [Shares("111111111111", "cn-north-1", {"arn:r": [{"p": 1}]})],
                       "dms": [DmsTasks("111111111111", "cn-north-1",
                                        [Task("arn:t", "t", None, {"host": "h"}, None, None)])],
                       "organizational_units": [("111111111111", [{"id": "ou-1",
                                                                   "name": "bank"}])]})
    return ShardResult(sink=sink, calls=Counter({("s3", "ListBuckets"): 3}),
                       call_details=[{"service": "s3"}], regions=["cn-north-1"],
                       asset={"id": "a"}, athena=[("primary", "bucket", "results/")])


def test_a_shard_result_crosses_as_json_with_every_kind_of_note_rebuilt() -> None:
    r = every_note()
    back = decode(encode(r))
    for name in ("assets", "gaps", "scanned", "skipped", "skip_reasons", "notes"):
        assert getattr(back.sink, name) == getattr(r.sink, name), name
    assert (back.calls, back.call_details, back.regions, back.asset, back.athena) == \
        (r.calls, r.call_details, r.regions, r.asset, r.athena)
    assert isinstance(back.sink.notes["organizational_units"][0], tuple)
    assert back.sink.notes["backup"][0].selections[0].list_of_tags == [("data-level", "core")]


def test_a_shard_result_that_is_not_one_is_refused_not_run() -> None:
    import json
    import zlib

    forged = {"assets": [], "gaps": [], "scanned": [], "skipped": [], "skip_reasons": [],
              "notes": {"x": [{"$dc": "Popen", "f": {"args": "rm -rf /"}}]}, "calls": [],
              "call_details": [], "regions": None, "asset": None, "athena": None}
    with pytest.raises(ValueError, match="does not decode"):
        decode(zlib.compress(json.dumps(forged).encode()))
    with pytest.raises(ValueError, match="does not decode"):
        decode(b"not zlib")


def test_a_sampled_store_is_named_in_the_journal_by_a_hash_of_its_id() -> None:
    shard = Shard("sample", "111111111111", "cn-north-1",
                  asset="arn:aws-cn:s3:::kyc-110101199003077777")
    assert "110101" not in shard.key and shard.key.startswith("sample:111111111111:")
    assert Shard("region", "111111111111", "cn-north-1").key == \
        "region:111111111111:cn-north-1"


@pytest.mark.parametrize("args, says", [
    (["--resume", "r1"], "--resume: only a sweep run by shards keeps a journal"),
    (["--cluster", "local:0"], "--cluster local:0: local:N takes a number of worker"),
    (["--cluster", "somewhere"], "--cluster somewhere: give local, local:N or a scheduler"),
    (["--cluster", "local:1", "--resume", "r1"], "--resume r1: give the history store"),
])
def test_cluster_usage_errors_are_one_line_and_exit_2(aws: str, args: list[str],
                                                      says: str) -> None:
    from cli_support import dsscan

    r = dsscan("scan", "aws", "--services", "s3", "--regions", "cn-north-1", *args,
               env={**FAKE_ENV, "AWS_ENDPOINT_URL": aws})
    assert r.returncode == 2, r.stderr
    assert says in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert [line for line in r.stderr.splitlines() if "error" in line.lower()] == [
        line for line in r.stderr.splitlines() if says in line]


def test_resuming_a_sweep_the_store_does_not_know_is_a_usage_error(
        aws: str, tmp_path: Path) -> None:
    from cli_support import dsscan

    r = dsscan("scan", "aws", "--services", "s3", "--regions", "cn-north-1", "--cluster",
               "local:1", "--store", tmp_path / "h.sqlite", "--resume", "r-nope",
               env={**FAKE_ENV, "AWS_ENDPOINT_URL": aws})
    assert r.returncode == 2, r.stderr
    assert "--resume r-nope: no interrupted sweep of that id" in r.stderr




class _Client:
    """A Dask client that runs nothing: what Driver needs to queue shards."""

    def nthreads(self) -> dict[str, int]:
        return {"w": 1}


class _Journal:
    def __init__(self, done: dict[str, bytes | None]) -> None:
        self.done, self.run_id, self.store = done, "r-sweep", None


def _forged(**doc: object) -> bytes:
    import json
    import zlib

    base: dict[str, object] = {
        "assets": [], "gaps": [], "scanned": [], "skipped": [], "skip_reasons": [],
        "notes": {}, "calls": [], "call_details": [], "regions": ["cn-north-1"],
        "asset": None, "athena": None}
    base.update(doc)
    return zlib.compress(json.dumps(base).encode())


@pytest.mark.parametrize("blob", [
    b"not zlib at all",
    b"x\x9c\x03\x00\x00\x00\x00\x01",  # zlib of nothing: not JSON
    _forged(assets="abc"),  # a string where a list of assets goes
    _forged(assets=[{"no": "id"}]),
    _forged(gaps=["a gap that is no record"]),
    _forged(regions="cn-north-1"),  # each of its characters a region to read
    _forged(regions=["cn-north-1", 7]),
    _forged(scanned=[["111111111111", ["x"]]]),
    _forged(notes={"backup": [{"$dc": "PlanCoverage", "f": {"nope": 1}}]}),
    _forged(notes={"backup": {"not": "a list"}}),
    _forged(calls=[["s3", "ListBuckets", "many"]]),
])
def test_a_journaled_shard_that_does_not_decode_is_read_again(blob: bytes) -> None:
    """--resume with a journal row that is corrupt or forged into another shape: the shard is
    read again (never merged, never a crash of the sweep)."""
    from dsscan.scanners.aws.base import Sink
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.aws.cluster import ClusterOptions, Driver
    from dsscan.scanners.aws.shards import WorkerSpec
    from dsscan.scanners.aws.sweep import SweepPlan

    plan = SweepPlan(Sink(), own="111111111111", partition="aws-cn", home="cn-north-1")
    spec = WorkerSpec(own=plan.own, partition="aws-cn", home="cn-north-1",
                      services=("s3", "rds"), regions=("cn-north-1",))
    shard = Shard("account", "222222222222", role="arn:aws-cn:iam::222222222222:role/R")
    d = Driver(_Client(), spec, plan, ClusterOptions(_Client()), CallLog(),
               _Journal({shard.key: blob}))
    d.add(shard)
    assert [s for s, _ in d.queued["222222222222"]] == [shard]  # to be read again
    assert plan.sink.assets == [] and plan.sink.gaps == [] and d.done == 0


def test_a_sample_shard_whose_account_could_not_be_entered_leaves_its_store_in_error() -> None:
    """A worker that did not read the account enters it again for a sample shard; when that
    fails (throttled, a role changed), the store's sampling is an error (not assessed by the
    policies that read content), never a store silently left unsampled."""
    from dsscan.scanners.aws.base import Sink
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.aws.cluster import ClusterOptions, Driver
    from dsscan.scanners.aws.shards import WorkerSpec
    from dsscan.scanners.aws.sweep import SweepPlan

    plan = SweepPlan(Sink(), own="111111111111", partition="aws-cn", home="cn-north-1")
    spec = WorkerSpec(own=plan.own, partition="aws-cn", home="cn-north-1",
                      services=("s3",), regions=("cn-north-1",))
    d = Driver(_Client(), spec, plan, ClusterOptions(_Client()), CallLog(), None)
    asset = {"id": "arn:aws-cn:s3:::b", "kind": "object_store", "name": "b",
             "account": "222222222222", "region": "cn-north-1"}
    r = ShardResult()
    r.sink.gap("account {account}", "AccessDenied", account="222222222222", service="sts")
    d._finished(Shard("sample", "222222222222", "cn-north-1", asset=asset["id"]),
                (asset, []), r)
    assert asset["content"]["status"] == "error"
    assert plan.sink.gaps  # the account's gap stands too


def test_a_sampled_store_s_shard_name_cannot_be_reversed_to_its_identifier() -> None:
    """A hash of the id itself is a reversible pseudonym: ids follow templates and a mobile
    number is ~10^10 guesses of SHA-256 (seconds on a GPU). The name hashes the masked id,
    which holds no more than what every report shows."""
    import hashlib

    asset = "arn:aws-cn:s3:::kyc-13800138000"
    key = Shard("sample", "111111111111", "cn-north-1", asset=asset).key
    assert hashlib.sha256(asset.encode()).hexdigest()[:24] not in key
    # Two ids that differ only in the identifier share the name: nothing tells them apart.
    assert key == Shard("sample", "111111111111", "cn-north-1",
                        asset="arn:aws-cn:s3:::kyc-13812348000").key
    assert key != Shard("sample", "111111111111", "cn-north-1",
                        asset="arn:aws-cn:s3:::kyc-archive").key


def test_a_journaled_sample_of_another_store_is_not_applied_on_resume() -> None:
    """Two stores whose ids share a masked form share a shard name: a journaled sample is
    applied only to the store it sampled; the other is read again."""
    from dsscan.scanners.aws.base import Sink
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.aws.cluster import ClusterOptions, Driver
    from dsscan.scanners.aws.shards import WorkerSpec
    from dsscan.scanners.aws.sweep import SweepPlan

    plan = SweepPlan(Sink(), own="111111111111", partition="aws-cn", home="cn-north-1")
    spec = WorkerSpec(own=plan.own, partition="aws-cn", home="cn-north-1",
                      services=("s3",), regions=("cn-north-1",))
    sampled = ShardResult(asset={"id": "arn:aws-cn:s3:::a-1", "kind": "object_store",
                                 "content": {"status": "sampled"}})
    other = {"id": "arn:aws-cn:s3:::a-2", "kind": "object_store", "name": "a-2",
             "account": "111111111111", "region": "cn-north-1"}
    shard = Shard("sample", "111111111111", "cn-north-1", asset=other["id"])
    d = Driver(_Client(), spec, plan, ClusterOptions(_Client()), CallLog(),
               _Journal({shard.key: encode(sampled)}))
    d.add(shard, (other, []))
    assert "content" not in other and other["id"].endswith("a-2")
    assert [s for s, _ in d.queued["111111111111"]] == [shard]


def test_a_shard_that_could_not_enter_its_account_is_read_again_on_resume() -> None:
    """An account not entered (AssumeRole throttled, a trust or --external-id fixed since) is
    journaled without its result: a resumed sweep tries it again rather than keep the gap."""
    from dsscan.scanners.aws.base import Sink
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.aws.cluster import ClusterOptions, Driver
    from dsscan.scanners.aws.shards import WorkerSpec
    from dsscan.scanners.aws.sweep import SweepPlan

    written: dict[str, bytes | None] = {}

    class Store:
        def journal_shard(self, run_id: str, shard: str, result: bytes | None) -> None:
            written[shard] = result

    journal = _Journal({})
    journal.store = Store()  # type: ignore[assignment]
    plan = SweepPlan(Sink(), own="111111111111", partition="aws-cn", home="cn-north-1")
    spec = WorkerSpec(own=plan.own, partition="aws-cn", home="cn-north-1",
                      services=("s3",), regions=("cn-north-1",))
    d = Driver(_Client(), spec, plan, ClusterOptions(_Client()), CallLog(), journal)
    def refused(account: str) -> ShardResult:
        r = ShardResult()
        r.sink.gap("account {account}", "Throttling", account=account, service="sts")
        return r
    d._finished(Shard("account", "222222222222", role="arn:aws-cn:iam::2:role/R"), None,
                refused("222222222222"))
    d._finished(Shard("region", "333333333333", "cn-north-1", role="arn:aws-cn:iam::3:role/R"),
                None, refused("333333333333"))
    read = ShardResult(regions=["cn-north-1"])
    d._finished(Shard("account", "444444444444", role="arn:aws-cn:iam::4:role/R"), None, read)
    assert written == {"account:222222222222": None, "region:333333333333:cn-north-1": None,
                       "account:444444444444": encode(read)}
    assert plan.sink.gaps  # the gap of this run stands


@pytest.mark.parametrize("address", ["foo://x:1", "tcp://", "tls:///"])
def test_a_cluster_address_dask_cannot_take_is_a_usage_error_before_any_call(
        address: str) -> None:
    """Refused by check_address (before the sweep's first call), and by connect: never an
    internal error once AWS has been read."""
    from dsscan.scanners.aws.cluster import ClusterOptions, check_address, connect

    with pytest.raises(InputError, match="--cluster"):
        check_address(address)
    import dsscan.scanners.aws.cluster as cluster

    original = cluster.check_address
    cluster.check_address = lambda a: None  # connect's own refusal
    try:
        with pytest.raises(InputError, match="--cluster"):
            connect(ClusterOptions(address))
    finally:
        cluster.check_address = original


def test_a_lost_future_is_awaited_again_never_a_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that dies holding finished results: Dask marks their futures "lost" and
    computes them again; distributed.wait counts a lost future among the done ones. The
    driver waits for it again: no "cancelled" gap, no shard dropped."""
    import distributed

    from dsscan.scanners.aws.base import Sink
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.aws.cluster import ClusterOptions, Driver
    from dsscan.scanners.aws.shards import WorkerSpec
    from dsscan.scanners.aws.sweep import SweepPlan

    asset = {"id": "arn:aws-cn:s3:::b", "kind": "object_store", "name": "b"}

    class Future:
        def __init__(self) -> None:
            self.status = "lost"

        def result(self) -> bytes:
            return encode(ShardResult(sink=Sink(assets=[dict(asset)])))

        def release(self) -> None:
            pass

        def cancel(self) -> None:
            pass

    class Client(_Client):
        def submit(self, *args: object, **kw: object) -> Future:
            self.fut = Future()
            return self.fut

    class Done:
        def __init__(self, done: set[Future]) -> None:
            self.done = done

    waits: list[str] = []

    def wait(fs: list[Future], return_when: str) -> Done:
        waits.append(fs[0].status)
        if len(waits) > 1:
            fs[0].status = "finished"  # computed again
        return Done(set(fs))

    monkeypatch.setattr(distributed, "wait", wait)
    plan = SweepPlan(Sink(), own="111111111111", partition="aws-cn", home="cn-north-1")
    spec = WorkerSpec(own=plan.own, partition="aws-cn", home="cn-north-1",
                      services=("s3",), regions=("cn-north-1",))
    client = Client()
    d = Driver(client, spec, plan, ClusterOptions(client), CallLog(), None)
    d.add(Shard("global", "222222222222", role="arn:aws-cn:iam::2:role/R"), ["cn-north-1"])
    d.run()
    assert waits == ["lost", "lost"]
    assert plan.sink.gaps == [] and plan.sink.assets == [asset] and d.failed == 0


def test_a_journaled_sample_sets_the_sampling_of_a_store_read_afresh_not_its_old_read() -> None:
    """--resume: the store's own shard was read again (fresh: its bucket made public since),
    its sample comes from the journal (with the copy of the store sampled then): the store
    keeps its fresh read and takes only the sampling from the journal."""
    from dsscan.scanners.aws.base import Sink
    from dsscan.scanners.aws.clients import CallLog
    from dsscan.scanners.aws.cluster import ClusterOptions, Driver
    from dsscan.scanners.aws.shards import WorkerSpec
    from dsscan.scanners.aws.sweep import SweepPlan

    plan = SweepPlan(Sink(), own="111111111111", partition="aws-cn", home="cn-north-1")
    spec = WorkerSpec(own=plan.own, partition="aws-cn", home="cn-north-1",
                      services=("s3",), regions=("cn-north-1",))
    fresh = {"id": "arn:aws-cn:s3:::b", "kind": "object_store", "name": "b",
             "access": {"public": True}, "assessment": {"status": "complete", "gaps": []},
             "attributes": {"versioning": True}}
    old = {**fresh, "access": {"public": False}, "content": {"status": "sampled"},
           "exports": [], "attributes": {"versioning": True, "content_sampling": {"n": 1}},
           "assessment": {"status": "partial",
                          "gaps": [{"aspect": "content", "reason": "one object unread"}]}}
    shard = Shard("sample", "111111111111", "cn-north-1", asset=fresh["id"])
    d = Driver(_Client(), spec, plan, ClusterOptions(_Client()), CallLog(),
               _Journal({shard.key: encode(ShardResult(asset=old))}))
    d.add(shard, (fresh, []))
    assert fresh["access"] == {"public": True}
    assert fresh["content"] == {"status": "sampled"} and fresh["exports"] == []
    assert fresh["attributes"] == {"versioning": True, "content_sampling": {"n": 1}}
    assert fresh["assessment"] == old["assessment"]
