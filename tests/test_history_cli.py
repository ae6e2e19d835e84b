"""`dsscan history` and `dsscan diff` as a user runs them: the command, a real store (SQLite
file or the real PostgreSQL server of conftest), real exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_support import Result
from cli_support import dsscan as run_dsscan
from store_support import (
    CLEAR_ID,
    finding,
    leaky_result,
    result,
    three_findings,
    unique_prefix,
    without_write_access,
)

from dsscan.store import open_store

ROOT = Path(__file__).resolve().parent.parent



def dsscan(*args: str | Path, cwd: Path | None = None,
           env: dict[str, str] | None = None) -> Result:
    return run_dsscan(*args, cwd=cwd or ROOT, env=env)


def two_runs(url: str) -> tuple[str, str]:
    """Run 1: three findings, one not assessed. Run 2: one fixed, one at another level,
    one new, one waived."""
    from dsscan.findings import NotAssessed

    with open_store(url) as store:
        a = store.save_run(result(three_findings(), started_at="2025-03-01T08:00:00+00:00",
                                  not_assessed=[NotAssessed(reason="AccessDenied",
                                                            scope="aws:1/cn-north-1")]),
                           label="before fix")
        later = [finding("DS-ENC-001", "arn:aws-cn:s3:::ledger", "core"),
                 finding("DS-ENC-001", "arn:aws-cn:s3:::reports", "core",
                         waiver={"id": "W-7", "reason": "r", "approver": "a", "expires": None,
                                 "source": "dsscan.yaml"}),
                 finding("DS-BAK-002", "arn:aws-cn:s3:::ledger", "core")]
        b = store.save_run(result(later, started_at="2025-03-02T08:00:00+00:00"))
    return a, b


def one_line_error(r: Result) -> str:
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dsscan: error: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


# --- history ---------------------------------------------------------------------------------

def test_history_lists_runs_newest_first_with_counts_by_level_and_policy(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    a, b = two_runs(str(store))
    r = dsscan("history", "--store", store)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"Runs in {store}, newest first (2 of 2):"
    header = lines[2].split()
    assert header[:3] == ["run", "started", "(UTC)"]
    assert header[3:] == ["label", "assets", "findings", "core", "imp", "sens", "gen", "uncl",
                          "waived", "n/a", "complete"]
    newest, oldest = lines[3].split(), lines[4].split()
    # run, date, time, label, assets, findings, core, imp, sens, gen, uncl, waived, n/a, complete
    assert newest == [b, "2025-03-02", "08:00", "-", "10", "3", "3", "0", "0", "0", "0", "1",
                      "0", "yes"]
    assert oldest == [a, "2025-03-01", "08:00", "before", "fix", "10", "3", "1", "1", "1", "0",
                      "0", "0", "1", "no"]
    text = r.stdout
    assert f"Findings by policy in the latest run ({b}), change since {a}:" in text
    by_policy = {ln.split()[0]: ln.split()[1:] for ln in lines if ln.startswith("  DS-")}
    assert by_policy == {"DS-BAK-002": ["1", "+1"], "DS-ENC-001": ["2", "="],
                         "DS-NET-002": ["0", "-1"]}


def test_history_json_has_every_run_with_its_counts(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    a, b = two_runs(str(store))
    r = dsscan("history", "--store", store, "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["store"] == str(store) and doc["total_runs"] == 2 and doc["policy"] is None
    assert [x["run_id"] for x in doc["runs"]] == [b, a]
    assert doc["runs"][0]["by_level"] == {"core": 3, "important": 0, "sensitive": 0,
                                          "general": 0, "unclassified": 0}
    assert doc["runs"][0]["waived"] == 1 and doc["runs"][1]["not_assessed"] == 1
    assert doc["runs"][1]["label"] == "before fix"


def test_history_policy_filter_and_limit(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    _, b = two_runs(str(store))
    r = dsscan("history", "--store", store, "-f", "json", "--policy", "ds-enc-*", "--limit", "1")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["policy"] == ["ds-enc-*"] and [x["run_id"] for x in doc["runs"]] == [b]
    assert doc["runs"][0]["findings"] == 2 and doc["runs"][0]["by_policy"] == {"DS-ENC-001": 2}
    t = dsscan("history", "--store", store, "--policy", "DS-NET-002")
    assert t.returncode == 0 and "(policies DS-NET-002)" in t.stdout
    assert [ln.split()[1:] for ln in t.stdout.splitlines() if ln.startswith("  DS-")] == [
        ["0", "-1"]]


def test_history_finds_the_store_from_env_config_and_default(tmp_path: Path) -> None:
    default = tmp_path / ".dsscan" / "history.sqlite"
    with open_store(str(default)) as s:
        s.save_run(result([]), label="default-store")
    other = tmp_path / "other.sqlite"
    with open_store(str(other)) as s:
        s.save_run(result([]), label="env-store")
    configured = tmp_path / "configured.sqlite"
    with open_store(str(configured)) as s:
        s.save_run(result([]), label="config-store")
    cfg = tmp_path / "dsscan-conf.yaml"
    cfg.write_text(f"store: {configured}\n")

    def label(*args: str, env: dict[str, str] | None = None) -> str:
        r = dsscan("history", "-f", "json", *args, cwd=tmp_path, env=env)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["runs"][0]["label"]

    assert label() == "default-store"
    assert label(env={"DSSCAN_STORE": str(other)}) == "env-store"
    assert label("--config", str(cfg)) == "config-store"
    # --store beats DSSCAN_STORE, which beats the config.
    assert label("--config", str(cfg), env={"DSSCAN_STORE": str(other)}) == "env-store"
    assert label("--store", str(default), env={"DSSCAN_STORE": str(other)}) == "default-store"


def test_history_without_a_store_is_exit_2_and_creates_nothing(tmp_path: Path) -> None:
    err = one_line_error(dsscan("history", cwd=tmp_path))
    assert "no history store at .dsscan/history.sqlite" in err
    assert not (tmp_path / ".dsscan").exists()
    err = one_line_error(dsscan("diff", "--store", tmp_path / "none.sqlite"))
    assert "no history store at" in err and not (tmp_path / "none.sqlite").exists()


def test_history_of_an_empty_store_says_so(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    open_store(str(store)).close()
    r = dsscan("history", "--store", store)
    assert r.returncode == 0 and r.stdout.startswith(f"No runs stored in {store} yet")
    j = dsscan("history", "--store", store, "-f", "json")
    assert json.loads(j.stdout)["runs"] == []


def test_history_and_diff_on_postgresql_never_print_the_password(pg_store_url: str) -> None:
    from conftest import HISTORIAN_PASSWORD

    a, b = two_runs(pg_store_url)
    h = dsscan("history", "--store", pg_store_url)
    assert h.returncode == 0, h.stderr
    assert b in h.stdout and a in h.stdout and "historian:***@127.0.0.1" in h.stdout
    d = dsscan("diff", "--format", "json", env={"DSSCAN_STORE": pg_store_url})
    assert d.returncode == 0, d.stderr
    assert json.loads(d.stdout)["a"] == a
    for out in (h.stdout, h.stderr, d.stdout, d.stderr):
        assert HISTORIAN_PASSWORD not in out and "h1st%3Ap%40ss" not in out


def test_an_unreachable_store_is_exit_2_without_the_password() -> None:
    from sampling_support import free_port

    url = f"postgresql://dsscan:Sup3rS3cret@127.0.0.1:{free_port()}/history"
    err = one_line_error(dsscan("history", "--store", url))
    assert "cannot connect to PostgreSQL" in err and "Sup3rS3cret" not in err
    assert "dsscan:***@127.0.0.1" in err
    err = one_line_error(dsscan("history", "--store", "mysql://a:b@127.0.0.1/x"))
    assert "unsupported store URL scheme 'mysql'" in err


def test_history_prune_before_removes_older_runs(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    _, b = two_runs(str(store))
    r = dsscan("history", "--store", store, "--prune-before", "2025-03-02")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"Removed 1 run that started before 2025-03-02 from {store}."
    runs = json.loads(dsscan("history", "--store", store, "-f", "json").stdout)["runs"]
    assert [x["run_id"] for x in runs] == [b]
    assert "--prune-before" in one_line_error(
        dsscan("history", "--store", store, "--prune-before", "yesterday"))


# --- diff ------------------------------------------------------------------------------------

def test_diff_shows_new_fixed_and_changed_level(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    a, b = two_runs(str(store))
    r = dsscan("diff", a, b, "--store", store)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert text.splitlines()[0] == f"{a} -> {b} in {store}: 1 new, 1 fixed, 1 changed level"
    new = text.split(f"New in {b} (1):")[1].split("\n\n")[0]
    assert "DS-BAK-002" in new and "arn:aws-cn:s3:::ledger" in new
    fixed = text.split(f"Fixed since {a} (1):")[1].split("\n\n")[0]
    assert "DS-NET-002" in fixed and "vpc-0prod" in fixed
    changed = text.split("Changed level (1):")[1]
    assert "arn:aws-cn:s3:::reports" in changed and "important -> core" in changed


def test_diff_wraps_to_the_terminal_and_never_splits_an_identifier(tmp_path: Path) -> None:
    """Messages wrap to COLUMNS at spaces only: a line is longer than the terminal only to
    keep an ARN whole (copyable). (The message column is never narrower than 40 cells.)"""
    copies = [f"arn:aws-cn:rds:cn-north-1:111111111111:snapshot:ledger-nightly-copy-{c}"
              for c in "abc"]
    message = ("ledger has no backup stored separately from it: its copies "
               f"{', '.join(copies)} are all in the same account and region as the store")
    store = tmp_path / "history.sqlite"
    with open_store(str(store)) as st:
        a = st.save_run(result([], started_at="2025-03-01T08:00:00+00:00"))
        b = st.save_run(result([finding("DS-BAK-001", "arn:aws-cn:rds:cn-north-1:111111111111:"
                                        "db:ledger", "core", message=message)],
                               started_at="2025-03-02T08:00:00+00:00"))
    r = dsscan("diff", a, b, "--store", store, env={"COLUMNS": "130"})
    assert r.returncode == 0, r.stderr
    tokens = r.stdout.split()
    for arn in copies:
        assert arn in tokens or f"{arn}," in tokens, r.stdout
    for line in r.stdout.splitlines()[1:]:  # the first line names the store's path
        # Longer than the terminal only where an ARN that fits no column sits alone.
        assert len(line) <= 130 or line.split() in ([c] for c in copies) or \
            line.split() in ([f"{c},"] for c in copies), line


def test_diff_json_and_default_runs(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    a, b = two_runs(str(store))
    r = dsscan("diff", "--store", store, "-f", "json")  # latest~1 against latest
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["a"], doc["b"]) == (a, b)
    assert [f["policy_id"] for f in doc["new"]] == ["DS-BAK-002"]
    assert [f["asset_id"] for f in doc["fixed"]] == ["vpc-0prod"]
    assert [(c["from"], c["to"]) for c in doc["changed_level"]] == [("important", "core")]
    same = json.loads(dsscan("diff", unique_prefix(b, a), "latest", "--store", store,
                             "-f", "json").stdout)
    assert same["new"] == same["fixed"] == same["changed_level"] == []
    t = dsscan("diff", "latest", "latest", "--store", store)
    assert t.returncode == 0 and "No change in findings." in t.stdout


@pytest.mark.parametrize("refs, message", [
    (("r1999", "latest"), "unknown run 'r1999'"),
    (("latest~9", "latest"), "holds only 2 runs"),
    (("latest", "r"), "is ambiguous"),
])
def test_diff_with_a_bad_run_is_exit_2_on_one_line(tmp_path: Path, refs: tuple[str, str],
                                                   message: str) -> None:
    store = tmp_path / "history.sqlite"
    two_runs(str(store))
    assert message in one_line_error(dsscan("diff", *refs, "--store", store))


def test_history_and_diff_output_hold_no_identifier_in_clear(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    with open_store(str(store)) as s:
        s.save_run(result([]), label=f"before {CLEAR_ID}")
        s.save_run(leaky_result(), label=f"after {CLEAR_ID}")
    for args in (["history"], ["history", "-f", "json"], ["diff"], ["diff", "-f", "json"]):
        r = dsscan(*args, "--store", store)
        assert r.returncode == 0, r.stderr
        assert CLEAR_ID not in r.stdout and "13812345678" not in r.stdout
        if args != ["history"]:  # the table cuts labels short and shows no asset
            assert "110101********7777" in r.stdout


def test_help_teaches_with_examples() -> None:
    for cmd in ("history", "diff"):
        r = dsscan(cmd, "--help")
        assert r.returncode == 0 and "Examples:" in r.stdout and "DSSCAN_STORE" in r.stdout
    top = dsscan("--help")
    assert "history" in top.stdout and "diff" in top.stdout


# --- diff of an incomplete run ------------------------------------------------------------------

ESTATE = ROOT / "examples" / "bank-estate.json"
CATALOGUE = ROOT / "examples" / "catalogue.yaml"
WAREHOUSE = "arn:aws-cn:redshift:cn-north-1:111111111111:cluster:risk-warehouse"
HR_COPY = "arn:aws-cn:rds:cn-northwest-1:333333333333:snapshot:hr-share-copy"


def incomplete_estate(tmp_path: Path) -> Path:
    """The example estate as a later sweep saw it: S3 listing denied in 111111111111/
    cn-north-1, and two assets gone: risk-warehouse (in that account and region) and
    hr-share-copy (deleted, in 333333333333/cn-northwest-1, which was read in full)."""
    doc = json.loads(ESTATE.read_text())
    doc["assets"] = [a for a in doc["assets"] if a["id"] not in (WAREHOUSE, HR_COPY)]
    doc["gaps"].append({"scope": "s3 in 111111111111/cn-north-1",
                        "reason": "s3:ListBuckets AccessDenied", "account": "111111111111",
                        "region": "cn-north-1", "service": "s3", "operation": "ListBuckets"})
    out = tmp_path / "estate-b.json"
    out.write_text(json.dumps(doc))
    return out


def scan_into(store: Path, estate: Path) -> None:
    r = dsscan("scan", "inventory", estate, "--catalogue", CATALOGUE, "--no-config",
               "--store", store, "-f", "json", "-o", store.parent / "report.json")
    assert r.returncode in (1, 3), r.stderr  # findings (and not assessed items) on purpose
    assert "stored run" in r.stderr


def test_diff_never_calls_fixed_what_the_later_run_could_not_assess(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    scan_into(store, ESTATE)
    scan_into(store, incomplete_estate(tmp_path))
    doc = json.loads(dsscan("diff", "--store", store, "-f", "json").stdout)
    assert doc["b_run"]["complete"] is False and doc["b_run"]["not_assessed"] >= 2
    gone = {f["asset_id"] for f in doc["not_assessed_in_b"]}
    assert gone == {WAREHOUSE}  # its account/region could not be read in B: not fixed
    assert {f["gap_in_b"]["scope"] for f in doc["not_assessed_in_b"]} == {
        "s3 in 111111111111/cn-north-1"}
    assert [f["asset_id"] for f in doc["fixed"]] == [HR_COPY]  # 333333333333 was read: fixed
    assert any(w.startswith(f"run B ({doc['b']}) is incomplete") for w in doc["warnings"])
    assert any(w.startswith(f"run A ({doc['a']}) is incomplete") for w in doc["warnings"])

    t = dsscan("diff", "--store", store)
    assert t.returncode == 0, t.stderr
    lines = t.stdout.splitlines()
    # 1 changed level: the risk key's DS-KMS-001 finding, judged at the level of the data it
    # still protects once the core warehouse is gone (its snapshot); risk-warehouse's four
    # findings (DS-NET-001, DS-BAK-001, DS-TRN-001, DS-LOG-002) are not fixed but not
    # assessed in B
    assert lines[0].endswith(f": {len(doc['new'])} new, 1 fixed, 4 not assessed in B, "
                             "1 changed level")
    assert lines[1].startswith(f"Warning: run B ({doc['b']}) is incomplete: "
                               f"{doc['b_run']['not_assessed']} items not assessed; a finding "
                               "of run A on something it could not assess is listed as not "
                               "assessed in B, never as fixed")
    fixed = t.stdout.split(f"Fixed since {doc['a']} (1):")[1].split("\n\n")[0]
    assert HR_COPY in fixed and WAREHOUSE not in fixed
    unassessed = t.stdout.split("Not assessed in B (4):")[1].split("\n\n")[0]
    assert WAREHOUSE in unassessed
    assert "s3 in 111111111111/cn-north-1: s3:ListBuckets AccessDenied" in " ".join(
        unassessed.split())  # the reason column wraps (at spaces) to the terminal


def test_diff_of_complete_runs_has_no_warning(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    with open_store(str(store)) as s:
        s.save_run(result(three_findings()))
        s.save_run(result(three_findings()[:1]))
    doc = json.loads(dsscan("diff", "--store", store, "-f", "json").stdout)
    assert doc["warnings"] == [] and doc["not_assessed_in_b"] == []
    assert len(doc["fixed"]) == 2
    assert "Warning" not in dsscan("diff", "--store", store).stdout


# --- input that must not become an internal error ---------------------------------------------

def no_internal_error(r: Result) -> None:
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_diff_latest_far_beyond_the_store_is_exit_2_on_one_line(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    two_runs(str(store))
    err = one_line_error(dsscan("diff", "latest~99999999999999999999", "--store", store))
    assert "holds only 2 runs" in err


def test_history_limit_past_the_maximum_is_a_usage_error(tmp_path: Path) -> None:
    store = tmp_path / "history.sqlite"
    two_runs(str(store))
    r = dsscan("history", "--limit", "99999999999999999999", "--store", store)
    assert r.returncode == 2 and r.stdout == ""
    no_internal_error(r)
    assert "Invalid value for '--limit'" in r.stderr and "1<=x<=1000000" in r.stderr
    ok = dsscan("history", "--limit", "1000000", "--store", store, "-f", "json")
    assert ok.returncode == 0 and len(json.loads(ok.stdout)["runs"]) == 2


@pytest.mark.parametrize("before", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_history_prune_before_out_of_range_is_exit_2_on_one_line(tmp_path: Path,
                                                                  before: str) -> None:
    store = tmp_path / "history.sqlite"
    two_runs(str(store))
    err = one_line_error(dsscan("history", "--store", store, "--prune-before", before))
    assert f"--prune-before '{before}': outside the dates dsscan can compare" in err


def test_a_store_path_too_long_is_exit_2_on_one_line(tmp_path: Path) -> None:
    err = one_line_error(dsscan("history", "--store", "x" * 300 + ".sqlite", cwd=tmp_path))
    assert "cannot open the history store (File name too long)" in err


def test_scan_into_an_in_memory_store_is_refused_before_scanning(tmp_path: Path) -> None:
    for store in (":memory:", "file:h.sqlite?mode=memory"):
        r = dsscan("scan", "inventory", ESTATE, "--no-config", "--store", store, "-f", "json",
                   "-o", tmp_path / "out.json", cwd=tmp_path)
        assert "stored run" not in r.stderr
        assert "not a file a history store can be kept in" in one_line_error(r)
    assert not (tmp_path / "out.json").exists()


def test_history_never_prints_a_password_holding_hash_or_question_mark(pg_server: Any) -> None:
    """As a user types it: unencoded, the "#" and "?" inside the password (libpq takes the
    authority to the first "/", so this is the password it logs in with)."""
    password = "s3cr#et?x"
    with pg_server.admin() as admin:
        admin.execute(f"CREATE ROLE hashed LOGIN PASSWORD '{password}'")
        admin.execute("CREATE DATABASE hashed_history OWNER hashed")
    url = f"postgresql://hashed:{password}@127.0.0.1:{pg_server.port}/hashed_history"
    try:
        with open_store(url) as s:
            s.save_run(result(three_findings()))
        table = dsscan("history", "--store", url)
        as_json = dsscan("history", "--store", url, "-f", "json")
        wrong = dsscan("history", "--store", url.replace("?x@", "?y@"))
    finally:
        with pg_server.admin() as admin:
            admin.execute("DROP DATABASE IF EXISTS hashed_history WITH (FORCE)")
            admin.execute("DROP ROLE IF EXISTS hashed")
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith(f"Runs in postgresql://hashed:***@127.0.0.1:{pg_server.port}"
                                   "/hashed_history, newest first")
    assert json.loads(as_json.stdout)["store"] == (
        f"postgresql://hashed:***@127.0.0.1:{pg_server.port}/hashed_history")
    assert "password authentication failed" in one_line_error(wrong)
    for r in (table, as_json, wrong):
        assert "s3cr" not in r.stdout + r.stderr and "et?" not in r.stdout + r.stderr


# --- readers without write access ---------------------------------------------------------------

@pytest.mark.slow
def test_history_and_diff_read_a_store_they_may_not_write(tmp_path: Path) -> None:

    ro = tmp_path / "ro"
    ro.mkdir()
    store, old = ro / "history.sqlite", ro / "old.sqlite"
    a, b = two_runs(str(store))
    open_store(str(old), migrate_to=1).close()
    for f in (store, old):
        f.chmod(0o444)
    ro.chmod(0o555)
    cli = [sys.executable, "-m", "dsscan.cli.main"]
    try:
        h = without_write_access([*cli, "history", "--store", str(store), "-f", "json"])
        d = without_write_access([*cli, "diff", a, b, "--store", str(store), "-f", "json"])
        p = without_write_access([*cli, "history", "--store", str(store),
                                  "--prune-before", "2030-01-01"])
        o = without_write_access([*cli, "history", "--store", str(old)])
    finally:
        ro.chmod(0o755)
        for f in (store, old):
            f.chmod(0o644)
    assert h.returncode == 0, h.stderr
    assert [x["run_id"] for x in json.loads(h.stdout)["runs"]] == [b, a]
    assert d.returncode == 0, d.stderr
    assert [f["asset_id"] for f in json.loads(d.stdout)["fixed"]] == ["vpc-0prod"]
    assert "attempt to write a readonly database" in one_line_error(p)  # pruning writes
    assert "history store has schema version 1, older than this dsscan's" in one_line_error(o)
    assert sorted(x.name for x in ro.iterdir()) == ["history.sqlite", "old.sqlite"]


def test_history_and_diff_leave_the_stores_journal_mode_as_it_is(tmp_path: Path) -> None:
    import sqlite3

    store = tmp_path / "history.sqlite"
    two_runs(str(store))
    conn = sqlite3.connect(store)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    for args in (["history"], ["diff"]):
        r = dsscan(*args, "--store", store)
        assert r.returncode == 0, r.stderr
    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA journal_mode").fetchall() == [("delete",)]
    conn.close()
