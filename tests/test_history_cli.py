"""`dsscan history` and `dsscan diff` as a user runs them: a subprocess, a real store (SQLite
file or the real PostgreSQL server of conftest), real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_store import CLEAR_ID, _leaky_result, finding, result, three_findings, unique_prefix

from dsscan.store import open_store

ROOT = Path(__file__).resolve().parent.parent


def dsscan(*args: str | Path, cwd: Path | None = None,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1", "CI": "true"}
    return subprocess.run([sys.executable, "-m", "dsscan.cli.main", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=120,
                          env={**base, **(env or {})})


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


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
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
        s.save_run(_leaky_result(), label=f"after {CLEAR_ID}")
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
