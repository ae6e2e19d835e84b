"""The history store (dsscan.store) on SQLite and on a real PostgreSQL server (conftest's
pg_store_url: a fresh database per test): saving runs, counts, trend, resolve, diff, masking,
atomicity, migrations (fresh, upgrade with data kept, newer than the code), concurrent writers
in several processes, and URL / connection errors."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from store_support import (
    CLEAR_ID,
    MASKED_ID,
    finding,
    leaky_result,
    result,
    three_findings,
    unique_prefix,
    without_write_access,
)

from dsscan.errors import InputError
from dsscan.findings import NotAssessed, ScanResult
from dsscan.store import mask_url, open_store, parse_store_url
from dsscan.store.migrate import latest_version, migrations

ROOT = Path(__file__).resolve().parent.parent
@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "history.sqlite")
    return request.getfixturevalue("pg_store_url")


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Straight to the database, past RunStore: what is really stored."""
    dialect, target = parse_store_url(url)
    if dialect == "sqlite":
        with sqlite3.connect(target) as conn:
            return conn.execute(sql, params).fetchall()
    import psycopg

    with psycopg.connect(target, autocommit=True) as conn:
        cur = conn.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []


# --- saving and reading --------------------------------------------------------------------

def test_save_run_stores_every_finding_and_counts_and_sets_run_id(url: str) -> None:
    r = result(three_findings(), not_assessed=[
        NotAssessed(reason="AccessDenied", scope="aws:111111111111/cn-north-1")])
    with open_store(url) as store:
        run_id = store.save_run(r, label="nightly")
        assert r.run_id == run_id and run_id.startswith("r")
        [run] = store.list_runs()
    assert run["run_id"] == run_id and run["label"] == "nightly"
    assert run["findings"] == 3 and run["not_assessed"] == 1 and run["complete"] is False
    assert run["assets"] == 10 and run["waived"] == 0 and run["inputs"] == ["estate.json"]
    assert run["by_level"] == {"core": 1, "important": 1, "sensitive": 1, "general": 0,
                               "unclassified": 0}
    assert run["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 0, "info": 0}
    assert run["by_policy"] == {"DS-ENC-001": 2, "DS-NET-002": 1}
    stored = query(url, "SELECT fingerprint, policy_id, asset_id, level, status FROM findings")
    assert sorted(stored) == sorted((f.fingerprint, f.policy_id, f.asset_id, f.level, "open")
                                    for f in r.findings)
    assert query(url, "SELECT reason, scope FROM not_assessed") == [
        ("AccessDenied", "aws:111111111111/cn-north-1")]


def test_waived_and_baseline_states_are_stored_and_counted(url: str) -> None:
    fs = three_findings()
    fs[0].waiver = {"id": "W-1", "reason": "accepted", "approver": "ciso", "expires": None,
                    "source": "dsscan.yaml"}
    fs[0].baseline, fs[1].baseline, fs[2].baseline = "existing", "existing", "new"
    with open_store(url) as store:
        store.save_run(result(fs))
        [run] = store.list_runs()
        [only_enc] = store.list_runs(policy=["DS-ENC-*"])
    assert run["waived"] == 1 and run["findings"] == 3
    assert only_enc["waived"] == 1 and only_enc["findings"] == 2
    assert sorted(query(url, "SELECT status, baseline FROM findings")) == [
        ("open", "existing"), ("open", "new"), ("waived", "existing")]


def test_list_runs_is_newest_first_and_trend_oldest_first_in_history_shape(url: str) -> None:
    with open_store(url) as store:
        ids = [store.save_run(result(three_findings()[:n], started_at=f"2025-03-0{n}T08:00:00"))
               for n in (1, 2, 3)]
        runs = store.list_runs()
        assert [r["run_id"] for r in runs] == ids[::-1]
        assert [r["run_id"] for r in store.list_runs(limit=2)] == ids[:0:-1]
        trend = store.trend()
        assert [t["run_id"] for t in store.trend(limit=2)] == ids[1:]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [t["run_id"] for t in trend] == ids
    for t in trend:  # exactly the ScanResult.history shape
        assert set(t) == {"run_id", "started_at", "findings", "by_level", "by_severity",
                          "not_assessed"}
    assert [t["findings"] for t in trend] == [1, 2, 3]
    assert trend[0]["started_at"] == "2025-03-01T08:00:00+00:00"  # naive taken as UTC
    assert trend[2]["by_level"]["sensitive"] == 1 and trend[0]["by_level"]["sensitive"] == 0


def test_run_ids_made_in_one_millisecond_still_sort_in_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from dsscan.store import rows

    monkeypatch.setattr(rows, "_last_id", [0, 0])  # as in a new process; restored after
    now = datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    ids = [rows.new_run_id(now) for _ in range(500)]
    assert ids == sorted(ids) and len(set(ids)) == 500
    assert all(i.startswith("r20250301-080000-123-") for i in ids)
    later = rows.new_run_id(datetime(2025, 3, 1, 8, 0, 1, tzinfo=UTC))
    assert later > ids[-1] and later.startswith("r20250301-080001-000-")
    # A clock that steps back never makes an id that sorts before the last one.
    assert rows.new_run_id(datetime(2025, 3, 1, 7, 0, 0, tzinfo=UTC)) > later


@pytest.mark.parametrize("suffix", [0, 1, 25, 26, 2 ** 31 - 1, 26 ** 7 - 1, 0x03289783])
def test_run_ids_are_never_taken_for_identifiers_by_the_masker(
        monkeypatch: pytest.MonkeyPatch, suffix: int) -> None:
    """A hex suffix that happened to be all decimal ("...-851-03289783") made a 17-digit chain
    the masker hid: a history listing showed a run id nobody could paste back."""
    from datetime import UTC, datetime

    from dsscan.masking import mask_text
    from dsscan.store import rows

    monkeypatch.setattr(rows, "_last_id", [0, 0])
    monkeypatch.setattr(rows.secrets, "randbits", lambda _bits: suffix)
    for when in (datetime(2026, 12, 7, 7, 16, 36, 851000, tzinfo=UTC),
                 datetime(2031, 1, 9, 23, 59, 59, 999000, tzinfo=UTC)):
        run_id = rows.new_run_id(when)
        assert mask_text(run_id) == run_id
        assert mask_text(f"run {run_id} stored") == f"run {run_id} stored"
        assert not any(c.isdigit() for c in run_id.rsplit("-", 1)[1])


def test_start_times_are_kept_in_utc(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "h.sqlite")) as store:
        store.save_run(result([], started_at="2025-03-01T16:30:00+08:00"))
        assert store.list_runs()[0]["started_at"] == "2025-03-01T08:30:00+00:00"


def test_policy_filter_counts_only_matching_policies(url: str) -> None:
    with open_store(url) as store:
        store.save_run(result(three_findings()))
        [net] = store.list_runs(policy=["ds-net-002"])  # case-insensitive, as --policy
        [none] = store.list_runs(policy=["DS-BAK-*"])
    assert net["findings"] == 1 and net["by_policy"] == {"DS-NET-002": 1}
    assert net["by_level"]["sensitive"] == 1 and net["by_level"]["core"] == 0
    assert none["findings"] == 0 and none["by_policy"] == {}
    assert none["not_assessed"] == 0  # not assessed stays the run's own total


def test_counts_agree_with_the_findings_table(url: str) -> None:
    fs = [finding(f"DS-P-{i % 5}", f"asset-{i}", ("core", "general", "unclassified")[i % 3])
          for i in range(97)]
    with open_store(url) as store:
        store.save_run(result(fs))
        [run] = store.list_runs()
    by_level = dict(query(url, "SELECT level, COUNT(*) FROM findings GROUP BY level"))
    assert {k: v for k, v in run["by_level"].items() if v} == by_level
    assert sum(run["by_policy"].values()) == run["findings"] == 97
    assert query(url, "SELECT SUM(n) FROM run_counts")[0][0] == 97


# --- resolve and diff ------------------------------------------------------------------------

def test_resolve_takes_full_ids_prefixes_and_latest_n(url: str) -> None:
    with open_store(url) as store:
        first = store.save_run(result([]))
        second = store.save_run(result([]))
        assert store.resolve(first) == first
        assert store.resolve("latest") == second
        assert store.resolve("latest~0") == second
        assert store.resolve("latest~1") == first
        assert store.resolve(unique_prefix(second, first)) == second
        with pytest.raises(InputError, match=r"holds only 2 runs"):
            store.resolve("latest~2")
        with pytest.raises(InputError, match=r"unknown run 'r1999"):
            store.resolve("r1999")
        with pytest.raises(InputError, match=r"ambiguous.*give more of the id"):
            store.resolve("r")
        with pytest.raises(InputError, match="empty"):
            store.resolve("  ")


def test_resolve_latest_on_an_empty_store_is_an_input_error(url: str) -> None:
    with open_store(url) as store, pytest.raises(InputError, match="no run stored"):
        store.resolve("latest")


@pytest.mark.slow
def test_diff_lists_new_fixed_and_changed_level_by_fingerprint(url: str) -> None:
    before = three_findings()
    after = [finding("DS-ENC-001", "arn:aws-cn:s3:::ledger", "core",
                     message="reworded: not a change"),
             finding("DS-ENC-001", "arn:aws-cn:s3:::reports", "core"),  # important -> core
             finding("DS-BAK-002", "arn:aws-cn:s3:::ledger", "core")]  # new
    with open_store(url) as store:
        a = store.save_run(result(before))
        b = store.save_run(result(after))
        d = store.diff(a, b)
        assert store.diff("latest~1", "latest") == d
        back = store.diff(b, a)
    assert set(d) == {"a_run", "b_run", "new", "fixed", "not_assessed_in_b", "changed_level"}
    assert d["a_run"] == {"run_id": a, "started_at": "2025-03-01T08:00:00+00:00",
                          "complete": True, "not_assessed": 0}
    assert d["b_run"]["run_id"] == b and d["not_assessed_in_b"] == []
    assert [(f["policy_id"], f["asset_id"], f["level"]) for f in d["new"]] == [
        ("DS-BAK-002", "arn:aws-cn:s3:::ledger", "core")]
    assert [(f["policy_id"], f["asset_id"]) for f in d["fixed"]] == [("DS-NET-002", "vpc-0prod")]
    assert d["fixed"][0]["fingerprint"] == before[2].fingerprint
    assert d["changed_level"] == [{"fingerprint": before[1].fingerprint,
                                   "policy_id": "DS-ENC-001",
                                   "asset_id": "arn:aws-cn:s3:::reports",
                                   "from": "important", "to": "core"}]
    assert [f["fingerprint"] for f in back["new"]] == [f["fingerprint"] for f in d["fixed"]]
    assert back["changed_level"][0]["from"] == "core"


def test_diff_of_a_run_with_itself_is_empty(url: str) -> None:
    with open_store(url) as store:
        store.save_run(result(three_findings()))
        d = store.diff("latest", "latest")
    assert d["new"] == d["fixed"] == d["not_assessed_in_b"] == d["changed_level"] == []


def _placed_findings() -> ScanResult:
    """Findings on assets in known places (account, region as the inventory gave them, or
    in their ARN) and in none (vpc-0prod: no ARN, no location)."""
    r = result([finding("DS-ENC-001", "arn:aws-cn:s3:::ledger", "core"),
                finding("DS-ENC-001", "arn:aws-cn:s3:::reports", "important"),
                finding("DS-NET-002", "vpc-0prod", "sensitive"),
                finding("DS-BAK-001", "arn:aws-cn:rds:cn-northwest-1:333333333333:db:hr", "core"),
                finding("DS-ENC-002", "arn:aws-cn:rds:cn-north-1:333333333333:db:pay", "core"),
                finding("DS-ENC-001", "db-x", "general")])
    r.assets = {"arn:aws-cn:s3:::ledger": {"account": "111111111111", "region": "cn-north-1"},
                "arn:aws-cn:s3:::reports": {"account": "222222222222",
                                            "region": "cn-north-1"},
                "db-x": {"account": "444444444444", "region": "cn-north-1"}}
    return r


def _later(*gaps: NotAssessed) -> ScanResult:
    return result([], not_assessed=list(gaps))


def test_diff_counts_as_fixed_only_what_the_later_run_could_assess(url: str) -> None:
    with open_store(url) as store:
        a = store.save_run(_placed_findings())
        b = store.save_run(_later(
            NotAssessed(reason="s3:ListBuckets AccessDenied",
                        scope="s3 in 111111111111/cn-north-1", account="111111111111",
                        region="cn-north-1"),
            NotAssessed(reason="rds:DescribeDBInstances AccessDenied",
                        scope="rds in 333333333333/cn-northwest-1", account="333333333333",
                        region="cn-northwest-1"),
            NotAssessed(reason="no backup facts", asset_id="db-x", policy_id="DS-BAK-002")))
        d = store.diff(a, b)
        whole = store.diff(a, store.save_run(_later(
            NotAssessed(reason="AssumeRole AccessDenied", scope="account 222222222222",
                        account="222222222222"))))
        nowhere = store.diff(a, store.save_run(_later(
            NotAssessed(reason="not read", scope="files beyond --max-files 100"))))
        one_asset = store.diff(a, store.save_run(_later(
            NotAssessed(reason="encryption: kms:DescribeKey AccessDenied", asset_id="db-x"))))
        complete = store.diff(a, store.save_run(_later()))

    def assets(items: list[dict[str, Any]]) -> set[str]:
        return {f["asset_id"] for f in items}

    # The S3 bucket in 111111111111/cn-north-1 (its place stored with the finding), the RDS
    # database in 333333333333/cn-northwest-1 (from its ARN), and vpc-0prod, whose place is
    # unknown: B could not assess them. The asset gap is another policy's: db-x is fixed.
    assert assets(d["not_assessed_in_b"]) == {"arn:aws-cn:s3:::ledger", "vpc-0prod",
                                              "arn:aws-cn:rds:cn-northwest-1:333333333333:db:hr"}
    assert assets(d["fixed"]) == {"arn:aws-cn:s3:::reports", "db-x",
                                  "arn:aws-cn:rds:cn-north-1:333333333333:db:pay"}
    ledger = next(f for f in d["not_assessed_in_b"] if f["asset_id"].endswith("ledger"))
    assert ledger["gap_in_b"] == {"policy_id": None, "asset_id": None,
                                  "scope": "s3 in 111111111111/cn-north-1",
                                  "reason": "s3:ListBuckets AccessDenied"}
    assert (ledger["account"], ledger["region"]) == ("111111111111", "cn-north-1")
    assert d["b_run"]["complete"] is False and d["b_run"]["not_assessed"] == 3
    # A whole account: every region of it, and the places nobody knows.
    assert assets(whole["not_assessed_in_b"]) == {"arn:aws-cn:s3:::reports", "vpc-0prod"}
    # A scope that names no account may hold anything: nothing is called fixed.
    assert nowhere["fixed"] == [] and len(nowhere["not_assessed_in_b"]) == 6
    # A gap of one asset for every policy.
    assert assets(one_asset["not_assessed_in_b"]) == {"db-x"}
    assert complete["not_assessed_in_b"] == [] and len(complete["fixed"]) == 6


# --- never leak, all or nothing ------------------------------------------------------------

def test_nothing_is_stored_in_clear_in_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    r = leaky_result()
    r.inputs = [f"/exports/{CLEAR_ID}.json"]
    with open_store(str(path)) as store:
        store.save_run(r, label=f"after {CLEAR_ID}")
        [f] = store.findings("latest")
        # The WAL holds the newest pages until a checkpoint: read both files, uncheckpointed.
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert CLEAR_ID.encode() not in raw and b"13812345678" not in raw
    assert MASKED_ID.encode() in raw
    assert MASKED_ID in f["asset_id"] and MASKED_ID in f["message"]
    assert "138****5678" in f["message"]


def test_nothing_is_stored_in_clear_in_postgresql(pg_store_url: str) -> None:
    r = leaky_result()
    r.inputs = [f"/exports/{CLEAR_ID}.json"]
    with open_store(pg_store_url) as store:
        store.save_run(r, label=f"after {CLEAR_ID}")
    dump = " ".join(str(row) for table in ("runs", "findings", "not_assessed", "run_counts")
                    for row in query(pg_store_url, f"SELECT t::text FROM {table} t"))
    assert CLEAR_ID not in dump and "13812345678" not in dump
    assert MASKED_ID in dump


def test_a_run_that_fails_half_way_leaves_nothing_behind(url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # A mock of a failure only: the real writer inserts the run row and its findings, then
    # this stand-in raises where the not-assessed rows would go in.
    from dsscan.store import postgres
    from dsscan.store import sqlite as sqlite_store

    module = sqlite_store if parse_store_url(url)[0] == "sqlite" else postgres
    real = module._Writer.insert_rows

    def failing(self: Any, table: str, columns: Any, rows: Any) -> None:
        if table == "not_assessed":
            raise RuntimeError("disk gone")
        real(self, table, columns, rows)

    monkeypatch.setattr(module._Writer, "insert_rows", failing)
    r = result(three_findings())
    with open_store(url) as store:
        with pytest.raises(RuntimeError, match="disk gone"):
            store.save_run(r)
        assert store.count_runs() == 0 and r.run_id is None
    for table in ("runs", "findings", "run_counts", "not_assessed"):
        assert query(url, f"SELECT COUNT(*) FROM {table}") == [(0,)]


# --- migrations ------------------------------------------------------------------------------

def test_at_least_two_migrations_ship_for_each_dialect() -> None:
    for dialect in ("sqlite", "postgresql"):
        steps = migrations(dialect)
        assert [m.version for m in steps] == list(range(1, len(steps) + 1))
        assert len(steps) >= 2 and latest_version(dialect) == len(steps)
    assert [m.name for m in migrations("sqlite")] == [m.name for m in migrations("postgresql")]


def test_a_fresh_store_is_migrated_to_the_latest_version(url: str) -> None:
    open_store(url).close()
    open_store(url).close()  # opening again applies nothing twice
    rows = query(url, "SELECT version, name FROM schema_version ORDER BY version")
    assert rows == [(m.version, m.name) for m in migrations(parse_store_url(url)[0])]


def _insert_v1_run(url: str) -> None:
    """A run as dsscan with schema version 1 stored it (no label, waived, run_counts)."""
    run = ("r20250101-080000-000-0000abcd", "2025-01-01T08:00:00+00:00",
           "2025-01-01T08:00:05+00:00", "0.0.9", '["old.json"]', 7, True, 1.0, 3, 0)
    rows = [("fp-a", "DS-ENC-001", "arn:a", None, "core", "critical", "waived", None, "m"),
            ("fp-b", "DS-ENC-001", "arn:b", "b", "general", "low", "open", None, "m"),
            ("fp-c", "DS-NET-002", "vpc-1", None, "core", "critical", "open", "new", "m")]
    dialect, target = parse_store_url(url)
    cols = ("id, started_at, stored_at, tool_version, inputs, asset_count, complete, "
            "duration_s, findings, not_assessed")
    if dialect == "sqlite":
        with sqlite3.connect(target) as conn:
            seq = conn.execute(f"INSERT INTO runs ({cols}) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", run).lastrowid
            conn.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [(seq, *r) for r in rows])
        return
    import psycopg

    with psycopg.connect(target) as conn:
        seq = conn.execute(f"INSERT INTO runs ({cols}) VALUES "
                           "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING seq",
                           run).fetchone()[0]
        conn.cursor().executemany("INSERT INTO findings VALUES "
                                  "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                                  [(seq, *r) for r in rows])


def test_upgrade_from_version_1_keeps_the_runs_and_backfills_counts(url: str) -> None:
    open_store(url, migrate_to=1).close()
    assert query(url, "SELECT version FROM schema_version") == [(1,)]
    _insert_v1_run(url)
    with open_store(url) as store:  # the current code upgrades it
        [run] = store.list_runs()
        later = store.save_run(result([finding("DS-ENC-001", "arn:b", "general")]))
        d = store.diff("r20250101", later)
    assert query(url, "SELECT version FROM schema_version ORDER BY version") == [
        (v,) for v in range(1, latest_version(parse_store_url(url)[0]) + 1)]
    assert run["run_id"] == "r20250101-080000-000-0000abcd" and run["label"] is None
    assert run["findings"] == 3 and run["waived"] == 1 and run["assets"] == 7
    assert run["by_level"]["core"] == 2 and run["by_level"]["general"] == 1
    assert run["by_policy"] == {"DS-ENC-001": 2, "DS-NET-002": 1}
    # The v1 findings are still there to diff against (fingerprints as stored then).
    assert sorted(f["fingerprint"] for f in d["fixed"]) == ["fp-a", "fp-b", "fp-c"]


def test_a_store_newer_than_this_dsscan_is_refused(url: str) -> None:
    open_store(url).close()
    query(url, "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
          (latest_version(parse_store_url(url)[0]) + 1, "future", "2030-01-01"))
    with pytest.raises(InputError, match=r"newer than this dsscan supports.*upgrade dsscan"):
        open_store(url)


@pytest.mark.slow
def test_migrating_postgresql_takes_the_advisory_lock(pg_store_url: str) -> None:
    import psycopg

    from dsscan.store.postgres import MIGRATION_LOCK

    holder = psycopg.connect(pg_store_url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    done: list[Any] = []
    t = threading.Thread(target=lambda: done.append(open_store(pg_store_url)))
    try:
        t.start()
        t.join(timeout=1.5)
        # Still waiting for the lock (not a speed figure: without the lock it would be done).
        assert t.is_alive() and not done
    finally:
        holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        holder.close()
        t.join(timeout=60)
    assert done and done[0].count_runs() == 0
    done[0].close()


@pytest.mark.slow
def test_a_sqlite_writer_waits_for_another_instead_of_failing(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite")
    open_store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing
    saved: list[str] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with open_store(path) as store:
                saved.append(store.save_run(result(three_findings())))
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=write)
    t.start()
    t.join(timeout=1.5)
    assert t.is_alive() and not saved  # queued behind the lock, not failed
    holder.execute("COMMIT")
    holder.close()
    t.join(timeout=60)
    assert not errors and len(saved) == 1


# --- concurrent writers in several processes -------------------------------------------------

WORKER = r"""
import sys, time
from dsscan.findings import Finding, ScanResult
from dsscan.store import open_store

url, runs, tag, start = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
LEVELS = ("core", "important", "sensitive", "general", "unclassified")

def result(i):
    fs = [Finding(policy_id=f"DS-P-{j % 6}", title="t", articles=(41,), severity="high",
                  level=LEVELS[j % 5], asset_id=f"{tag}-{i}-{j}", message="m", remediation="r")
          for j in range(40 + i)]
    return ScanResult(findings=fs, not_assessed=[], policies=[], asset_count=40 + i)

time.sleep(max(0.0, start - time.time()))  # every process opens the (new) store at once
with open_store(url) as store:
    for i in range(runs):
        print(store.save_run(result(i), label=tag), flush=True)
"""

PROCESSES, RUNS_EACH = 4, 12


def _run_writers(url: str) -> list[str]:
    start = time.time() + 3.0  # after every interpreter has started
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, str(RUNS_EACH), f"w{k}",
                               str(start)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT) for k in range(PROCESSES)]
    ids: list[str] = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert "locked" not in err and not err.strip(), err
        ids += out.split()
    return ids


def _assert_consistent(url: str, ids: list[str]) -> None:
    assert len(ids) == len(set(ids)) == PROCESSES * RUNS_EACH
    with open_store(url) as store:
        runs = store.list_runs(limit=1000)
    assert sorted(r["run_id"] for r in runs) == sorted(ids)
    per_worker = sorted(sum(r["findings"] for r in runs if r["label"] == f"w{k}")
                        for k in range(PROCESSES))
    assert per_worker == [sum(40 + i for i in range(RUNS_EACH))] * PROCESSES
    # Every run's precomputed counts match its own finding rows.
    stored = dict(query(url, "SELECT r.id, COUNT(f.run_seq) FROM runs r "
                        "LEFT JOIN findings f ON f.run_seq = r.seq GROUP BY r.id"))
    counted = dict(query(url, "SELECT r.id, SUM(c.n) FROM runs r "
                         "JOIN run_counts c ON c.run_seq = r.seq GROUP BY r.id"))
    for r in runs:
        assert stored[r["run_id"]] == counted[r["run_id"]] == r["findings"]
        assert sum(r["by_level"].values()) == r["findings"]
    versions = query(url, "SELECT version FROM schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, latest_version(parse_store_url(url)[0]) + 1)]


@pytest.mark.slow
def test_several_processes_write_to_one_new_sqlite_file(tmp_path: Path) -> None:
    url = str(tmp_path / "shared" / "history.sqlite")
    _assert_consistent(url, _run_writers(url))


@pytest.mark.slow
def test_several_processes_write_to_one_new_postgresql_database(pg_store_url: str) -> None:
    _assert_consistent(pg_store_url, _run_writers(pg_store_url))


# --- retention -----------------------------------------------------------------------------

def test_prune_deletes_older_runs_with_all_their_rows(url: str) -> None:
    with open_store(url) as store:
        store.save_run(result(three_findings(), started_at="2024-12-31T23:59:59+00:00",
                              not_assessed=[NotAssessed(reason="x")]))
        keep = store.save_run(result(three_findings(), started_at="2025-01-01T00:00:00+00:00"))
        assert store.prune("2025-01-01") == 1
        assert [r["run_id"] for r in store.list_runs()] == [keep]
        with pytest.raises(InputError, match="--prune-before 'soon'"):
            store.prune("soon")
    assert query(url, "SELECT COUNT(*) FROM findings") == [(3,)]
    assert query(url, "SELECT COUNT(*) FROM not_assessed") == [(0,)]
    assert query(url, "SELECT SUM(n) FROM run_counts") == [(3,)]


# --- URLs and connection errors --------------------------------------------------------------

def test_url_forms_and_parent_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for url, file in ((str(tmp_path / "a" / "b" / "h.sqlite"), tmp_path / "a/b/h.sqlite"),
                      ("sqlite:///rel/h.sqlite", tmp_path / "rel/h.sqlite"),
                      (f"sqlite:///{tmp_path}/abs/h.sqlite", tmp_path / "abs/h.sqlite")):
        with open_store(url) as store:
            store.save_run(result([]))
        assert file.is_file()
    assert parse_store_url("postgres://u@127.0.0.1:5/db") == ("postgresql",
                                                              "postgresql://u@127.0.0.1:5/db")
    assert parse_store_url("postgresql+psycopg://u@h/db")[0] == "postgresql"


@pytest.mark.parametrize("bad, message", [
    ("mysql://u:pw@127.0.0.1/db", "unsupported store URL scheme 'mysql'"),
    ("sqlite://relative.db", "a SQLite URL is sqlite:///path"),
    ("  ", "empty store URL"),
])
def test_bad_urls_are_one_line_input_errors(bad: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as e:
        open_store(bad)
    assert "pw" not in str(e.value) and "\n" not in str(e.value)


def test_mask_url_hides_passwords() -> None:
    assert mask_url("postgresql://u:s3cr%40t@127.0.0.1:5432/db") == \
        "postgresql://u:***@127.0.0.1:5432/db"
    assert mask_url("postgresql://u@127.0.0.1/db?sslmode=disable&password=s3cr") == \
        "postgresql://u@127.0.0.1/db?sslmode=disable&password=***"
    assert mask_url("/var/lib/dsscan/history.sqlite") == "/var/lib/dsscan/history.sqlite"


def test_reading_a_missing_sqlite_store_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "none" / "history.sqlite"
    with pytest.raises(InputError, match="no history store at"):
        open_store(str(path), create=False)
    assert not path.parent.exists()


def test_a_sqlite_file_of_another_application_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id TEXT)")
    with pytest.raises(InputError, match="not a dsscan history store"):
        open_store(str(path))
    (tmp_path / "text.sqlite").write_text("not a database at all " * 100)
    with pytest.raises(InputError, match="history store error"):
        open_store(str(tmp_path / "text.sqlite"))


def test_reading_an_empty_postgresql_database_creates_nothing(pg_store_url: str) -> None:
    with pytest.raises(InputError, match="no dsscan history in"):
        open_store(pg_store_url, create=False)
    assert query(pg_store_url, "SELECT to_regclass('schema_version')") == [(None,)]


def test_bad_credentials_never_show_the_password(pg_store_url: str) -> None:
    from conftest import HISTORIAN_PASSWORD

    wrong = pg_store_url.replace("h1st%3Ap%40ss%2Fw0rd", "Wr0ng-S3cret")
    assert wrong != pg_store_url
    with pytest.raises(InputError, match="password authentication failed") as e:
        open_store(wrong)
    text = str(e.value)
    assert "Wr0ng-S3cret" not in text and HISTORIAN_PASSWORD not in text and "***" in text
    assert "\n" not in text


def test_an_unreachable_server_is_one_line(pg_server: Any) -> None:
    from sampling_support import free_port

    url = f"postgresql://historian:T0pS3cret@127.0.0.1:{free_port()}/history"
    with pytest.raises(InputError, match="cannot connect to PostgreSQL") as e:
        open_store(url)
    assert "T0pS3cret" not in str(e.value) and "\n" not in str(e.value)


def test_postgresql_without_psycopg_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # Stands in for an installation without the extra: the import of psycopg fails.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(InputError, match=r"pip install 'dsscan\[postgres\]'"):
        open_store("postgresql://u:pw@127.0.0.1:1/db")


# --- a real run --------------------------------------------------------------------------------

def test_a_real_scan_of_the_example_estate_round_trips(url: str) -> None:
    from dsscan.inventory import load_inventory
    from dsscan.pipeline import ScanOptions, run_scan
    from dsscan.policy_library import load_library

    r = run_scan(load_inventory(ROOT / "examples" / "bank-estate.json"), load_library(),
                 ScanOptions())
    assert r.findings and r.not_assessed  # the example estate breaks policies on purpose
    with open_store(url) as store:
        store.save_run(r, label="example")
        [run] = store.list_runs()
        stored = store.findings("latest")
    assert run["findings"] == len(r.findings) and run["not_assessed"] == len(r.not_assessed)
    assert run["assets"] == r.asset_count and run["complete"] is False
    by_policy: dict[str, int] = {}
    for f in r.findings:
        by_policy[f.policy_id] = by_policy.get(f.policy_id, 0) + 1
    assert run["by_policy"] == dict(sorted(by_policy.items()))
    assert sorted(f["fingerprint"] for f in stored) == sorted(f.fingerprint for f in r.findings)


# --- passwords in store URLs -----------------------------------------------------------------

@pytest.mark.parametrize("password", ["s3cr#et", "s3cr?et", "s3/cret", "s3cr@et", "a#b?c@d"])
def test_mask_url_hides_passwords_holding_url_delimiters(password: str) -> None:
    """libpq reads the authority to the first "/", so "#" and "?" belong to the password
    (urlsplit would have cut the authority there and printed the rest of it)."""
    shown = mask_url(f"postgresql://u:{password}@127.0.0.1:5432/db")
    assert shown == "postgresql://u:***@127.0.0.1:5432/db"


def test_mask_url_keeps_an_at_sign_in_the_query_of_a_url_without_password() -> None:
    assert mask_url("postgresql://h:5432/db?user=a@corp&password=x") == \
        "postgresql://h:5432/db?user=a@corp&password=***"


def test_mask_url_shows_a_url_without_credentials_as_written() -> None:
    assert mask_url("sqlite://") == "sqlite://"  # was "sqlite::" (urlunsplit)
    with pytest.raises(InputError) as e:
        open_store("sqlite://")
    assert str(e.value).startswith("--store sqlite://: ")


@pytest.mark.parametrize("password", ["s3cr#et", "s3cr?et"])
def test_postgresql_connect_errors_never_show_a_password_with_url_delimiters(
        password: str) -> None:
    from sampling_support import free_port

    with pytest.raises(InputError, match="cannot connect to PostgreSQL") as e:
        open_store(f"postgresql://u:{password}@127.0.0.1:{free_port()}/db")
    assert password not in str(e.value) and "et@" not in str(e.value)
    assert "u:***@127.0.0.1" in str(e.value)


@pytest.mark.parametrize("host", ["a..b", "x" * 70 + ".example"])
def test_a_malformed_postgresql_host_is_an_input_error(host: str) -> None:
    with pytest.raises(InputError, match=r"cannot connect to PostgreSQL \(invalid host name\)"
                       ) as e:
        open_store(f"postgresql://u:pw-secret@{host}/db")
    assert "pw-secret" not in str(e.value) and "\n" not in str(e.value)


# --- input that must not become an internal error ---------------------------------------------

def test_resolve_far_beyond_the_store_is_an_input_error(url: str) -> None:
    with open_store(url) as store:
        store.save_run(result([]))
        with pytest.raises(InputError, match=r"holds only 1 run \(latest \.\. latest~0\)"):
            store.resolve("latest~99999999999999999999")  # past a 64-bit OFFSET


def test_list_runs_with_a_limit_past_64_bits_lists_every_run(url: str) -> None:
    with open_store(url) as store:
        ids = [store.save_run(result([])) for _ in range(2)]
        assert [r["run_id"] for r in store.list_runs(10**20)] == ids[::-1]
        assert len(store.trend(10**20)) == 2


@pytest.mark.parametrize("before", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_prune_before_a_time_outside_utc_dates_is_an_input_error(url: str, before: str) -> None:
    with open_store(url) as store:
        store.save_run(result([]))
        with pytest.raises(InputError, match=f"--prune-before '{re.escape(before)}': outside"):
            store.prune(before)
        assert store.count_runs() == 1


def test_a_store_path_too_long_for_the_file_system_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / ("x" * 300 + ".sqlite")
    for create in (True, False):
        with pytest.raises(InputError, match="cannot open the history store") as e:
            open_store(str(path), create=create)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("url", [":memory:", " :memory: ", "sqlite:///:memory:",
                                 "file:history.sqlite?mode=memory", "sqlite:///file:h.db"])
def test_in_memory_and_uri_sqlite_names_are_refused(url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlite3 would take them as a database that vanishes at exit: nothing kept."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="not a file a history store can be kept in"):
        open_store(url)
    assert list(tmp_path.iterdir()) == []


# --- another tool's schema_version table -------------------------------------------------------

FLYWAY_DDL = ("CREATE TABLE schema_version (installed_rank INTEGER PRIMARY KEY, "
              "version {type}, description TEXT, script TEXT, success BOOLEAN)")


@pytest.mark.parametrize("column_type, version", [("TEXT", "1.1"), ("INTEGER", 7)])
def test_another_tools_schema_version_table_is_not_a_dsscan_store(
        url: str, column_type: str, version: Any) -> None:
    """Flyway's older default table has the same name: neither its text versions nor an
    integer one are read as dsscan's ("written by a newer dsscan" would mislead)."""
    query(url, FLYWAY_DDL.format(type=column_type))
    query(url, "INSERT INTO schema_version (installed_rank, version, description, script, "
               "success) VALUES (1, ?, 'init', 'V1__init.sql', TRUE)", (version,))
    for create in (True, False):
        with pytest.raises(InputError, match="not a dsscan history store") as e:
            open_store(url, create=create)
        assert "newer" not in str(e.value)
    assert query(url, "SELECT COUNT(*) FROM schema_version") == [(1,)]  # left as it was


def test_a_dsscan_shaped_table_with_text_versions_is_not_a_dsscan_store(tmp_path: Path) -> None:
    path = str(tmp_path / "h.sqlite")
    query(path, "CREATE TABLE schema_version (version TEXT, name TEXT, applied_at TEXT)")
    query(path, "INSERT INTO schema_version VALUES ('1.1', 'x', 'y')")
    with pytest.raises(InputError, match="not a dsscan history store"):
        open_store(path)


# --- opening: connections, readers ------------------------------------------------------------

def test_a_failed_sqlite_open_closes_its_connection(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # The real sqlite3.connect, wrapped only to keep the connection it makes for the check.
    from dsscan.store import sqlite as sqlite_store

    made: list[sqlite3.Connection] = []
    real = sqlite3.connect

    def recording(*args: Any, **kw: Any) -> sqlite3.Connection:
        made.append(real(*args, **kw))
        return made[-1]

    path = tmp_path / "app.db"
    query(str(path), "CREATE TABLE customers (id TEXT)")
    monkeypatch.setattr(sqlite_store.sqlite3, "connect", recording)
    for options in ({}, {"read_only": True}):
        made.clear()
        with pytest.raises(InputError, match="not a dsscan history store"):
            open_store(str(path), **options)
        assert len(made) == 1
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            made[0].execute("SELECT 1")


def test_a_reader_leaves_the_journal_mode_as_it_is(tmp_path: Path) -> None:
    path = str(tmp_path / "h.sqlite")
    with open_store(path) as store:
        store.save_run(result(three_findings()))
    query(path, "PRAGMA journal_mode = DELETE")
    with open_store(path, read_only=True) as store:
        assert store.count_runs() == 1
    assert query(path, "PRAGMA journal_mode") == [("delete",)]
    with open_store(path) as store:  # a writer sets WAL, for its concurrent writers
        store.count_runs()
    assert query(path, "PRAGMA journal_mode") == [("wal",)]


def test_a_reader_who_may_write_upgrades_an_older_store(url: str) -> None:
    open_store(url, migrate_to=1).close()
    _insert_v1_run(url)
    with open_store(url, read_only=True) as store:
        assert store.list_runs()[0]["run_id"] == "r20250101-080000-000-0000abcd"
    assert query(url, "SELECT MAX(version) FROM schema_version") == [
        (latest_version(parse_store_url(url)[0]),)]


def test_a_reader_never_creates_a_store(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with pytest.raises(InputError, match="no history store at"):
        open_store(str(path), read_only=True, create=True)  # read_only wins
    assert not path.exists()


READER = r"""
import sys
from dsscan.errors import InputError
from dsscan.store import open_store
try:
    with open_store(sys.argv[1], read_only=True) as store:
        print(store.count_runs(), [f["policy_id"] for f in store.findings("latest")])
except InputError as e:
    print("InputError:", e)
"""


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Any:
    d = tmp_path / "ro"
    d.mkdir()
    yield d
    d.chmod(0o755)  # for pytest's clean-up
    for f in d.iterdir():
        f.chmod(0o644)


def test_a_reader_without_write_access_reads_a_sqlite_store(read_only_dir: Path) -> None:
    path = read_only_dir / "history.sqlite"
    with open_store(str(path)) as store:  # WAL mode, as every writer leaves it
        store.save_run(result(three_findings()))
    path.chmod(0o444)
    read_only_dir.chmod(0o555)
    proof = without_write_access(["sh", "-c", f"echo x > {read_only_dir}/probe"])
    assert proof.returncode != 0  # the check can fail: this really may not write there
    r = without_write_access([sys.executable, "-c", READER, str(path)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1 ['DS-ENC-001', 'DS-ENC-001', 'DS-NET-002']"
    assert sorted(p.name for p in read_only_dir.iterdir()) == ["history.sqlite"]


def test_a_reader_without_write_access_to_an_older_store_gets_one_clear_line(
        read_only_dir: Path) -> None:
    path = read_only_dir / "history.sqlite"
    open_store(str(path), migrate_to=1).close()
    path.chmod(0o444)
    read_only_dir.chmod(0o555)
    r = without_write_access([sys.executable, "-c", READER, str(path)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"InputError: {path}: history store has schema version 1, "
                               f"older than this dsscan's {latest_version('sqlite')}, and "
                               "cannot be upgraded from here (read-only")
    assert r.stdout.count("\n") == 1
    assert query(str(path), "SELECT MAX(version) FROM schema_version") == [(1,)]


def test_an_old_run_id_shown_masked_resolves(tmp_path: Path) -> None:
    """Ids stored before run ids ended in letters may end in an all-decimal hex suffix that
    every listing shows masked; the masked form a user copies from 'dsscan history' resolves
    to that run."""
    from dsscan.masking import mask_text

    path = tmp_path / "h.sqlite"
    with open_store(str(path)) as store:
        store.save_run(result([]))
    old = "r20261207-090714-338-03289783"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET id = ?", (old,))
    shown = mask_text(old)
    assert shown != old and "*" in shown
    with open_store(str(path)) as store:
        assert store.resolve(shown) == old
        with pytest.raises(InputError, match="unknown run"):
            store.resolve(mask_text("r20261207-090714-338-13289783").replace("9783", "9784"))
