"""Regulatory events from history (Art. 19, 71, 73; dsscan/events.py, docs/history.md):
the facts kept per store, the events between two runs by table of cases, the store round
trip on SQLite and PostgreSQL, an old-schema store upgraded, `dsscan diff` / `dsscan history`
with --fail-on-event, and the HTML report."""

from __future__ import annotations

import copy
import json
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan as run_dsscan
from store_support import CLEAR_ID, MASKED_ID, result, three_findings

from dsscan.events import events, external_principals, store_facts
from dsscan.store import open_store, parse_store_url

ROOT = Path(__file__).resolve().parent.parent
OURS = ("111111111111", "222222222222")


def reader(principal: str | None, account: str | None = None, *, anyone: bool = False,
           via: str = "bucket-policy") -> dict[str, Any]:
    """One reader of the readers contract (BRIEF: access.readers / ctx.readers_outside)."""
    return {"principal": principal, "account": account, "via": via, "anyone": anyone}


def store(aid: str = "arn:aws-cn:rds:cn-north-1:111111111111:snapshot:s", **kw: Any
          ) -> dict[str, Any]:
    a: dict[str, Any] = {"id": aid, "kind": kw.pop("kind", "snapshot"),
                         "account": "111111111111",
                         "level": {"value": kw.pop("level", "sensitive"),
                                   "provenance": [{"source": "tag", "level": "sensitive"}]}}
    a.update(kw)
    return a


# --- external principals: both inputs, either absent, unknown -------------------------------

PRINCIPAL_CASES = [
    # (id, asset fields, institution, expected)
    ("neither field: input cannot express readers", {}, OURS, []),
    ("readers_outside empty", {"ctx": {"readers_outside": []}}, OURS, []),
    ("readers_outside null = unknown", {"ctx": {"readers_outside": None}}, OURS, None),
    ("reader by principal",
     {"ctx": {"readers_outside": [reader("arn:aws-cn:iam::999999999999:role/vendor",
                                         "999999999999")]}}, OURS,
     ["arn:aws-cn:iam::999999999999:role/vendor"]),
    ("reader by account only", {"ctx": {"readers_outside": [reader(None, "999999999999")]}},
     OURS, ["999999999999"]),
    ("anyone", {"ctx": {"readers_outside": [reader("*", None, anyone=True)]}}, OURS,
     ["anyone"]),
    ("malformed reader = unknown", {"ctx": {"readers_outside": ["x"]}}, OURS, None),
    ("shared with an outside account",
     {"access": {"public": False, "shared_with": ["999999999999"]}}, OURS, ["999999999999"]),
    ("shared with the institution only",
     {"access": {"public": False, "shared_with": ["111111111111", "222222222222"]}}, OURS, []),
    ("shared with all", {"access": {"public": True, "shared_with": ["all"]}}, OURS, ["anyone"]),
    ("shared, institution unknown = unknown",
     {"access": {"public": False, "shared_with": ["999999999999"]}}, (), None),
    ("shared with own account, institution unknown",
     {"access": {"public": False, "shared_with": ["111111111111"]}}, (), []),
    ("shared_with null = unknown", {"access": {"public": None, "shared_with": None}}, OURS, None),
    ("access null = unknown", {"access": None}, OURS, None),
    ("share attributes unread (gap) = unknown",
     {"access": {"public": None, "shared_with": []},
      "assessment": {"status": "partial", "gaps": [{"aspect": "access", "reason": "denied"}]}},
     OURS, None),
    ("both fields, united",
     {"ctx": {"readers_outside": [reader("arn:aws-cn:iam::888888888888:root", "888888888888")]},
      "access": {"public": False, "shared_with": ["999999999999"]}}, OURS,
     ["999999999999", "arn:aws-cn:iam::888888888888:root"]),
]


@pytest.mark.parametrize(("fields", "ours", "expected"),
                         [c[1:] for c in PRINCIPAL_CASES], ids=[c[0] for c in PRINCIPAL_CASES])
def test_external_principals(fields: dict[str, Any], ours: tuple[str, ...],
                             expected: list[str] | None) -> None:
    assert external_principals(store(**fields), ours) == expected


def test_store_facts_level_source_approval_and_inherited_approval() -> None:
    src = store("arn:aws-cn:s3:::ledger", kind="object_store",
                level_change_approval={"record": "LCA-1", "source": "tag"})
    replica = store("arn:aws-cn:s3:::ledger-replica", kind="object_store",
                    replica_of=["arn:aws-cn:s3:::ledger"])
    replica["level"]["provenance"] = [{"source": "inheritance", "level": "sensitive"}]
    tagged_copy = store("arn:aws-cn:s3:::ledger-copy", kind="object_store",
                        replica_of=["arn:aws-cn:s3:::ledger"])  # its own tag: its own record
    vpc = {"id": "vpc-1", "kind": "network_domain", "level": {"value": "core"}}
    facts = store_facts([src, replica, tagged_copy, vpc], OURS)
    assert set(facts) == {src["id"], replica["id"], tagged_copy["id"]}
    assert facts[src["id"]] == {"kind": "object_store", "level": "sensitive",
                                "level_source": "tag", "approval": True, "principals": []}
    assert facts[replica["id"]]["approval"] is True
    assert facts[replica["id"]]["level_source"] == "inheritance"
    assert facts[tagged_copy["id"]]["approval"] is False


# --- the events between two runs: a table of cases ------------------------------------------

def row(level: str, *, approval: bool = False, principals: list[str] | None = None,
        kind: str = "object_store") -> dict[str, Any]:
    return {"kind": kind, "level": level, "level_source": "tag", "approval": approval,
            "principals": [] if principals is None else principals}


UNKNOWN = object()  # principals not known

EVENT_CASES = [
    # (id, row in A or None, row in B, expected [(event, detail)], expected not known events)
    ("level down without record", row("core"), row("sensitive"),
     [("level_down", "core->sensitive")], []),
    ("level down with record", row("core"), row("sensitive", approval=True), [], []),
    ("level down to unclassified", row("general"), row("unclassified"),
     [("level_down", "general->unclassified")], []),
    ("level up: no Art. 19 event", row("general"), row("sensitive"), [], []),
    ("unchanged", row("important"), row("important"), [], []),
    ("new core store", None, row("core"), [("new_important", "None->core")], []),
    ("new important store", None, row("important"), [("new_important", "None->important")], []),
    ("new sensitive store: no Art. 71 event", None, row("sensitive"), [], []),
    ("new core snapshot (a copy): no Art. 71 event", None, row("core", kind="snapshot"), [], []),
    ("new core backup (a copy): no Art. 71 event", None, row("core", kind="backup"), [], []),
    ("new core replica bucket", None, row("core", kind="object_store"),
     [("new_important", "None->core")], []),
    ("new core snapshot shared outside: Art. 73", None,
     row("core", kind="snapshot", principals=["999999999999"]),
     [("new_external_principal", "999999999999")], []),
    ("raised to important", row("sensitive"), row("important"),
     [("new_important", "sensitive->important")], []),
    ("core lowered to important: Art. 19 only", row("core"), row("important"),
     [("level_down", "core->important")], []),
    ("new principal on sensitive store", row("sensitive"),
     row("sensitive", principals=["999999999999"]),
     [("new_external_principal", "999999999999")], []),
    ("same principal: no event", row("sensitive", principals=["999999999999"]),
     row("sensitive", principals=["999999999999"]), [], []),
    ("principal removed: no event", row("sensitive", principals=["999999999999"]),
     row("sensitive"), [], []),
    ("principal on a general store: no event", row("general"),
     row("general", principals=["anyone"]), [], []),
    ("new shared sensitive store", None, row("sensitive", principals=["anyone"]),
     [("new_external_principal", "anyone")], []),
    ("unknown readers in B: not known", row("sensitive"), row("sensitive", principals=UNKNOWN),
     [], ["new_external_principal"]),
    ("unknown readers in A: not known", row("core", principals=UNKNOWN), row("core"),
     [], ["new_external_principal"]),
    ("unknown readers on a general store: nothing to know", row("general"),
     row("general", principals=UNKNOWN), [], []),
]


def _fix(r: dict[str, Any] | None) -> dict[str, Any] | None:
    if r is not None and r["principals"] is UNKNOWN:
        return {**r, "principals": None}
    return r


@pytest.mark.parametrize(("before", "after", "expected", "unknown"),
                         [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES])
def test_events_table(before: dict[str, Any] | None, after: dict[str, Any],
                      expected: list[tuple[str, str]], unknown: list[str]) -> None:
    a = {} if before is None else {"s": _fix(before)}
    got = events(a, {"s": _fix(after)})
    detail = {"level_down": lambda e: f"{e['from']}->{e['to']}",
              "new_important": lambda e: f"{e['from']}->{e['to']}",
              "new_external_principal": lambda e: ",".join(e["principals"])}
    assert got["known"] is True
    assert [(e["event"], detail[e["event"]](e)) for e in got["events"]] == expected
    assert [u["event"] for u in got["not_known"]] == unknown
    arts = {"level_down": "19", "new_important": "71", "new_external_principal": "73"}
    assert all(e["article"] == arts[e["event"]] for e in got["events"])


@pytest.mark.parametrize("side", ["a", "b", "both"])
def test_a_run_without_store_rows_is_not_known_never_no_events(side: str) -> None:
    rows = {"s": row("core")}
    got = events(None if side in ("a", "both") else rows, None if side in ("b", "both") else rows,
                 a_run="rA", b_run="rB")
    assert got["known"] is False and got["events"] == []
    assert {u["event"] for u in got["not_known"]} == {"level_down", "new_important",
                                                      "new_external_principal"}
    assert all("not known" in u["reason"] and "schema version 5" in u["reason"]
               for u in got["not_known"])


def test_a_removed_store_is_no_event() -> None:
    assert events({"s": row("core")}, {})["events"] == []


# --- the store: round trip on both databases, masking, old runs -----------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "history.sqlite")
    return request.getfixturevalue("pg_store_url")


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    dialect, target = parse_store_url(url)
    if dialect == "sqlite":
        with sqlite3.connect(target) as conn:
            return conn.execute(sql, params).fetchall()
    import psycopg

    with psycopg.connect(target, autocommit=True) as conn:
        cur = conn.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []


LEAKY = f"arn:aws-cn:s3:::kyc-{CLEAR_ID}"


def with_stores(stores: dict[str, dict[str, Any]] | None, started: str) -> Any:
    r = result(three_findings(), started_at=started)
    r.stores = stores
    return r


def test_store_round_trip_masks_and_finds_events(url: str) -> None:
    a_rows = {LEAKY: row("core", principals=[f"arn:aws-cn:iam::999999999999:user/{CLEAR_ID}"]),
              "arn:aws-cn:s3:::ledger": row("important", approval=True),
              "arn:aws-cn:s3:::unknown": _fix(row("sensitive", principals=UNKNOWN))}
    b_rows = copy.deepcopy(a_rows)
    b_rows[LEAKY]["level"] = "sensitive"  # lowered, no record: Art. 19
    b_rows[LEAKY]["principals"].append("888888888888")  # new outside account: Art. 73
    b_rows["arn:aws-cn:s3:::vault"] = row("core", kind="backup_vault")  # new core: Art. 71
    with open_store(url) as st:
        a = st.save_run(with_stores(a_rows, "2025-03-01T08:00:00+00:00"))
        b = st.save_run(with_stores(b_rows, "2025-03-02T08:00:00+00:00"))
        kept = st.stores_of(a)
        found = st.events(a, b)
    masked = LEAKY.replace(CLEAR_ID, MASKED_ID)
    assert kept is not None and set(kept) == {masked, "arn:aws-cn:s3:::ledger",
                                              "arn:aws-cn:s3:::unknown"}
    assert kept[masked] == {"kind": "object_store", "level": "core", "level_source": "tag",
                            "approval": False,
                            "principals": [f"arn:aws-cn:iam::999999999999:user/{MASKED_ID}"]}
    assert kept["arn:aws-cn:s3:::ledger"]["approval"] is True
    assert kept["arn:aws-cn:s3:::unknown"]["principals"] is None
    assert [(e["event"], e["asset_id"]) for e in found["events"]] == [
        ("level_down", masked), ("new_external_principal", masked),
        ("new_important", "arn:aws-cn:s3:::vault")]
    assert found["events"][1]["principals"] == ["888888888888"]
    assert [u["asset_id"] for u in found["not_known"]] == ["arn:aws-cn:s3:::unknown"]
    dump = " ".join(str(r) for r in query(url, "SELECT * FROM run_stores"))
    assert CLEAR_ID not in dump and MASKED_ID in dump
    # Retention removes a run's stores with it.
    with open_store(url) as st:
        st.prune("2025-03-02")
    assert query(url, "SELECT COUNT(*) FROM run_stores")[0][0] == len(b_rows)


def test_a_run_stored_without_store_facts_is_not_known(url: str) -> None:
    with open_store(url) as st:
        a = st.save_run(with_stores(None, "2025-03-01T08:00:00+00:00"))
        b = st.save_run(with_stores({"s": row("core")}, "2025-03-02T08:00:00+00:00"))
        assert st.stores_of(a) is None
        assert st.events(a, b)["known"] is False


def _insert_v4_run(url: str) -> None:
    run = ("r20250101-080000-000-aaaaaaa", "2025-01-01T08:00:00+00:00",
           "2025-01-01T08:01:00+00:00", "0.1.0", "[]", 7, True, 1.0, 0, 0, "old", 0)
    cols = ("id, started_at, stored_at, tool_version, inputs, asset_count, complete, "
            "duration_s, findings, not_assessed, label, waived")
    query(url, f"INSERT INTO runs ({cols}) VALUES ({', '.join('?' * len(run))})", run)


def test_an_old_schema_store_is_upgraded_and_its_runs_are_not_known(url: str,
                                                                    tmp_path: Path) -> None:
    open_store(url, migrate_to=4).close()
    _insert_v4_run(url)
    with open_store(url) as st:  # upgraded to the latest version in place
        later = st.save_run(with_stores({"s": row("core")}, "2025-03-02T08:00:00+00:00"))
        [_, old] = st.list_runs()
        found = st.events("r20250101", later)
    assert query(url, "SELECT MAX(version) FROM schema_version") == [(6,)]
    assert old["label"] == "old" and old["assets"] == 7
    assert found["known"] is False and found["events"] == []
    r = dsscan("diff", "--store", url, "--fail-on-event")
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "Not known: run r20250101-080000-000-aaaaaaa was stored before dsscan kept its " \
           "stores" in " ".join(r.stdout.split())
    r = dsscan("history", "--store", url, "--fail-on-event")
    assert r.returncode == 3 and "not known" in r.stdout


# --- the commands ---------------------------------------------------------------------------

def dsscan(*args: str | Path) -> Any:
    return run_dsscan(*args, cwd=ROOT)


def two_runs(url: str, b_rows: dict[str, dict[str, Any]]) -> tuple[str, str]:
    with open_store(url) as st:
        a = st.save_run(with_stores({"arn:aws-cn:s3:::ledger": row("core")},
                                    "2025-03-01T08:00:00+00:00"))
        b = st.save_run(with_stores(b_rows, "2025-03-02T08:00:00+00:00"))
    return a, b


@pytest.mark.parametrize(("b_rows", "code"), [
    ({"arn:aws-cn:s3:::ledger": row("general")}, 1),
    ({"arn:aws-cn:s3:::ledger": row("general", approval=True)}, 0),
    ({"arn:aws-cn:s3:::ledger": _fix(row("core", principals=UNKNOWN))}, 3),
    ({"arn:aws-cn:s3:::ledger": row("core"), "arn:aws-cn:s3:::new": row("important")}, 1),
], ids=["event", "approved", "not-known", "new-important"])
def test_fail_on_event_exit_codes(b_rows: dict[str, dict[str, Any]], code: int,
                                  tmp_path: Path) -> None:
    url = str(tmp_path / "h.sqlite")
    two_runs(url, b_rows)
    for cmd in ("diff", "history"):
        r = dsscan(cmd, "--store", url, "--fail-on-event")
        assert r.returncode == code, (cmd, r.stdout, r.stderr)
        assert dsscan(cmd, "--store", url).returncode == 0  # without the flag: a report


def test_diff_and_history_list_events(url: str) -> None:
    a, b = two_runs(url, {"arn:aws-cn:s3:::ledger": row("sensitive", principals=["anyone"])})
    r = dsscan("diff", "--store", url)
    assert r.returncode == 0, r.stderr
    assert "Regulatory events (2;" in r.stdout
    lines = r.stdout.split("Regulatory events", 1)[1].splitlines()
    assert any("Art. 19" in x and "level_down" in x and "core -> sensitive" in x for x in lines)
    assert any("Art. 73" in x and "new: anyone" in x for x in lines)
    doc = json.loads(dsscan("diff", "--store", url, "-f", "json").stdout)
    assert doc["events"]["known"] is True
    assert [e["article"] for e in doc["events"]["events"]] == ["19", "73"]
    r = dsscan("history", "--store", url)
    assert "Regulatory events (2; " in r.stdout and f"{a} -> {b}:" in r.stdout
    doc = json.loads(dsscan("history", "--store", url, "-f", "json").stdout)
    assert doc["events"]["a"] == a and len(doc["events"]["events"]) == 2


def test_no_events_says_none(tmp_path: Path) -> None:
    url = str(tmp_path / "h.sqlite")
    two_runs(url, {"arn:aws-cn:s3:::ledger": row("core")})
    r = dsscan("diff", "--store", url)
    assert "Regulatory events (0;" in r.stdout and "  none" in r.stdout


# --- a real scan: facts from the example estate, the HTML report ----------------------------

def test_scans_of_the_estate_list_events_in_diff_and_html(tmp_path: Path) -> None:
    """The example estate, then the same a week later (examples/bank_estate_events.py, one
    event of each article), with a resident ID in the shared snapshot's id: masked."""
    from dsscan.examples import bank_estate_events as ev

    later = tmp_path / "later.json"
    r = run_dsscan_module("dsscan.examples.bank_estate_events", later)
    assert r.returncode == 0, r.stderr
    doc = json.loads(later.read_text("utf-8"))
    [shared] = [a for a in doc["assets"] if a["id"] == ev.SHARED]
    shared["id"] += f"-{CLEAR_ID}"
    later.write_text(json.dumps(doc), "utf-8")
    ex = resources.files("dsscan.examples")
    db, out = tmp_path / "h.sqlite", tmp_path / "r.html"
    with resources.as_file(ex / "bank-estate.json") as estate_path, \
            resources.as_file(ex / "catalogue.yaml") as catalogue:
        r = dsscan("scan", "inventory", estate_path, "--catalogue", catalogue, "--store", db,
                   "-f", "html", "-o", out)
        assert r.returncode == 1, r.stderr
        assert 'id="events"' not in out.read_text("utf-8")  # nothing stored to compare with
        r = dsscan("scan", "inventory", later, "--catalogue", catalogue, "--store", db,
                   "-f", "html", "-o", out)
        assert r.returncode == 1, r.stderr
    html = out.read_text("utf-8")
    section = html.split('<section id="events">', 1)[1].split("</section>", 1)[0]
    assert f"{ev.LOWERED}<" in section  # lowered, no record
    assert f"{ev.APPROVED}<" not in section  # lowered with a record
    assert f"{ev.APPROVED}-replica" not in section  # its copy: covered by the same record
    assert "new core store" in section and f"new: {ev.VENDOR}" in section
    assert CLEAR_ID not in html and MASKED_ID in section
    r = dsscan("diff", "--store", db, "--fail-on-event", "-f", "json")
    assert r.returncode == 1
    got = {(e["event"], e["asset_id"]) for e in json.loads(r.stdout)["events"]["events"]}
    masked_shared = f"{ev.SHARED}-{MASKED_ID}"
    assert {("level_down", ev.LOWERED), ("new_important", ev.NEW_CORE),
            ("new_external_principal", masked_shared)} <= got
    # Beyond those: only the lowered store's copies, which inherit its level.
    assert {a for _, a in got} - {ev.LOWERED, ev.NEW_CORE, masked_shared} == {
        a for _, a in got if "bank-statements" in a and a != ev.LOWERED}


def run_dsscan_module(module: str, *args: str | Path) -> Any:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


# --- the approval record: tag (configurable keys), catalogue rule, hand-made inventory ------

def _classified(assets: list[dict[str, Any]], config: Any = None,
                rules: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    from dsscan.catalogue import catalogue_from_mapping
    from dsscan.classify import classify
    from dsscan.config import Config

    cat = (catalogue_from_mapping({"version": 1, "rules": rules}, "test.yaml")
           if rules else None)
    classify(assets, config or Config(), cat)
    return {a["id"]: a for a in assets}


APPROVAL_CASES = [
    ("default tag key", {"tags": {"dsscan:level-change-approval": "LCA-1"}}, None, None,
     {"record": "LCA-1", "source": "tag"}),
    ("second default key, any case", {"tags": {"Level-Change-Approval": " LCA-2 "}}, None, None,
     {"record": "LCA-2", "source": "tag"}),
    ("empty tag is no record", {"tags": {"level-change-approval": " "}}, None, None, None),
    ("configured key", {"tags": {"approval-id": "LCA-3"}}, ["approval-id"], None,
     {"record": "LCA-3", "source": "tag"}),
    ("default key not configured", {"tags": {"level-change-approval": "LCA-3"}},
     ["approval-id"], None, None),
    ("catalogue rule", {"account": "111111111111"}, None,
     [{"id": "R1", "level_change_approval": "LCA-4", "match": {"account": "111111111111"}}],
     {"record": "LCA-4", "source": "catalogue"}),
    ("tag wins over catalogue", {"account": "111111111111", "tags": {
        "level-change-approval": "LCA-5"}}, None,
     [{"id": "R1", "level_change_approval": "LCA-4", "match": {"account": "111111111111"}}],
     {"record": "LCA-5", "source": "tag"}),
    ("hand-made inventory record kept",
     {"level_change_approval": {"record": "LCA-6", "source": "inventory"}}, None, None,
     {"record": "LCA-6", "source": "inventory"}),
    ("stale tag record not kept",
     {"level_change_approval": {"record": "LCA-7", "source": "tag"}}, None, None, None),
    ("none", {}, None, None, None),
]


@pytest.mark.parametrize(("fields", "keys", "rules", "expected"),
                         [c[1:] for c in APPROVAL_CASES], ids=[c[0] for c in APPROVAL_CASES])
def test_level_change_approval_record(fields: dict[str, Any], keys: list[str] | None,
                                      rules: list[dict[str, Any]] | None,
                                      expected: dict[str, Any] | None) -> None:
    from dsscan.config import config_from_mapping

    config = config_from_mapping({"level_change_approval_tag_keys": keys}) if keys else None
    a = {"id": "arn:aws-cn:s3:::x", "kind": "object_store", **fields}
    got = _classified([a], config, rules)["arn:aws-cn:s3:::x"]
    assert got["level_change_approval"] == expected
    assert store_facts([got])["arn:aws-cn:s3:::x"]["approval"] is (expected is not None)


@pytest.mark.parametrize(("value", "error"), [
    ("", "'level_change_approval' must be a record id"),
    (3, "'level_change_approval' must be a record id"),
])
def test_catalogue_refuses_a_bad_approval_record(value: Any, error: str) -> None:
    from dsscan.catalogue import catalogue_from_mapping
    from dsscan.errors import InputError

    with pytest.raises(InputError, match=error):
        catalogue_from_mapping({"version": 1, "rules": [
            {"id": "R", "level_change_approval": value, "match": {"kind": "table"}}]}, "c.yaml")


@pytest.mark.parametrize("value", [[""], "x", [3]])
def test_the_setting_refuses_bad_tag_keys(value: Any) -> None:
    from dsscan.config import config_from_mapping
    from dsscan.errors import InputError

    with pytest.raises(InputError, match="level_change_approval_tag_keys"):
        config_from_mapping({"level_change_approval_tag_keys": value})


def test_history_of_one_run_has_nothing_to_compare_not_known(tmp_path: Path) -> None:
    url = str(tmp_path / "h.sqlite")
    with open_store(url) as st:
        st.save_run(with_stores({"s": row("core")}, "2025-03-01T08:00:00+00:00"))
    r = dsscan("history", "--store", url, "--fail-on-event")
    assert r.returncode == 3, (r.stdout, r.stderr)
    doc = json.loads(dsscan("history", "--store", url, "-f", "json").stdout)
    assert doc["events"] is None


def test_a_scan_keeps_the_readers_the_relation_stage_sets(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Through run_scan: ctx.readers_outside as the SHR relation sets it (stood in for here,
    after the real relation stage), access.shared_with as the scanners read it."""
    from dsscan import relations
    from dsscan.config import Config
    from dsscan.inventory import Inventory
    from dsscan.pipeline import ScanOptions, run_scan
    from dsscan.policy_library import load_library

    real = relations.attach_context

    def with_readers(assets: list[dict[str, Any]], *args: Any, **kw: Any) -> None:
        real(assets, *args, **kw)
        for a in assets:
            if a["id"] == "arn:aws-cn:s3:::ledger":
                a["ctx"]["readers_outside"] = [reader("arn:aws-cn:iam::999999999999:root",
                                                      "999999999999")]
            elif a["id"] == "arn:aws-cn:s3:::unread":
                a["ctx"]["readers_outside"] = None

    monkeypatch.setattr(relations, "attach_context", with_readers)
    bucket = {"kind": "object_store", "account": "111111111111", "region": "cn-north-1",
              "tags": {"dsscan:level": "core"}}
    assets = [{"id": "arn:aws-cn:s3:::ledger", "name": "ledger", **copy.deepcopy(bucket)},
              {"id": "arn:aws-cn:s3:::unread", "name": "unread", **copy.deepcopy(bucket)},
              {"id": "arn:aws-cn:rds:cn-north-1:111111111111:snapshot:s", "name": "s",
               "kind": "snapshot", "account": "111111111111", "region": "cn-north-1",
               "tags": {"dsscan:level": "sensitive"},
               "access": {"public": False, "shared_with": ["888888888888"]}}]
    config = Config(institution_accounts=["111111111111"])
    got = run_scan(Inventory(assets=assets), load_library(),
                   ScanOptions(config=config, include=("DS-ENC-001",))).stores
    assert got is not None
    assert got["arn:aws-cn:s3:::ledger"]["principals"] == ["arn:aws-cn:iam::999999999999:root"]
    assert got["arn:aws-cn:s3:::ledger"]["level_source"] == "tag"
    assert got["arn:aws-cn:s3:::unread"]["principals"] is None
    assert got["arn:aws-cn:rds:cn-north-1:111111111111:snapshot:s"]["principals"] == [
        "888888888888"]
    # A run that will not be stored (no --store) does not compute them.
    assert run_scan(Inventory(assets=copy.deepcopy(assets)), load_library(), ScanOptions(
        config=config, include=("DS-ENC-001",), store_facts=False)).stores is None


@pytest.mark.slow
def test_the_events_demo_lists_one_event_of_each_article_and_leaves_no_store(
        tmp_path: Path) -> None:
    """`dsscan demo --events`: last week's saved estate and today's in a temporary store; the
    events of examples/bank_estate_events.py are listed (the lowered level reaches the copies
    that inherit it), and nothing is left in the working directory."""
    r = run_dsscan("demo", "--events", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    section = r.stdout.split("Regulatory events (", 1)[1]
    lines = section.splitlines()
    events = [ln.split() for ln in lines if ln.startswith("  Art. ")]
    assert ("19", "level_down") in {(e[1], e[2]) for e in events}
    assert any(e[1] == "71" and e[3].endswith("core-ledger-archive") for e in events)
    assert any(e[1] == "73" and e[3].endswith("customer-profile-export-vendor")
               for e in events)
    assert not any("loan-documents" in ln for ln in lines)  # lowered with an approval record
    assert list(tmp_path.iterdir()) == []


# --- review r15-c: stores and principals matched across runs by masked ids ------------------

K = f"arn:aws-cn:s3:::kyc-{MASKED_ID}"  # a bucket named after an ID number, as stored
K2 = K + "~2"  # a second one masked to the same form in one run
U = f"arn:aws-cn:iam::999999999999:user/{MASKED_ID}"

MASKED_CASES = [
    # The same store got ~2 in run A (another id was masked first) and no suffix in run B:
    # it used to look new in B, and its lowered level went unreported.
    ("suffix in A only: matched", {K2: row("core")}, {K: row("general")},
     [("level_down", K)], []),
    ("suffix in B only: matched", {K: row("core")}, {K2: row("general")},
     [("level_down", K2)], []),
    # Two stores of one form in a run: which is which between the runs is not known.
    ("two stores of one form, swapped", {K: row("core"), K2: row("general")},
     {K: row("general"), K2: row("core")}, [],
     [(K, "level_down"), (K, "new_important"), (K, "new_external_principal"),
      (K2, "level_down"), (K2, "new_important"), (K2, "new_external_principal")]),
    ("a second store of the form in B", {K: row("core")},
     {K: row("core"), K2: row("general")}, [],
     [(K, "level_down"), (K, "new_important"), (K, "new_external_principal"),
      (K2, "level_down"), (K2, "new_important"), (K2, "new_external_principal")]),
    ("two new stores of one form: both new", {}, {K: row("core"), K2: row("core")},
     [("new_important", K), ("new_important", K2)], []),
    # Principals: the same one with another suffix is not new; one more of a form is.
    ("principal suffix changed: not new", {"s": row("core", principals=[U + "~2"])},
     {"s": row("core", principals=[U])}, [], []),
    ("one more principal of a form: new", {"s": row("core", principals=[U])},
     {"s": row("core", principals=[U, U + "~2"])}, [("new_external_principal", "s")], []),
]


@pytest.mark.parametrize(("a", "b", "expected", "unknown"), [c[1:] for c in MASKED_CASES],
                         ids=[c[0] for c in MASKED_CASES])
def test_stores_are_matched_across_runs_without_masking_suffixes(
        a: dict[str, Any], b: dict[str, Any], expected: list[tuple[str, str]],
        unknown: list[tuple[str, str]]) -> None:
    got = events(a, b)
    assert [(e["event"], e["asset_id"]) for e in got["events"]] == expected
    assert [(u["asset_id"], u["event"]) for u in got["not_known"]] == unknown


# An approval record that says there is none is no approval (Art. 19): tag, catalogue rule or
# hand-made inventory record.
@pytest.mark.parametrize("value", ["none", "N/A", "-", "pending", "TBD", "无", "待审批", "no",
                                   "false", " null ", "０"])
@pytest.mark.parametrize("where", ["tag", "catalogue", "inventory"])
def test_a_placeholder_approval_is_no_approval(value: str, where: str) -> None:
    fields: dict[str, Any] = {"account": "111111111111"}
    rules = None
    if where == "tag":
        fields["tags"] = {"dsscan:level-change-approval": value}
    elif where == "catalogue":
        rules = [{"id": "R1", "level_change_approval": value,
                  "match": {"account": "111111111111"}}]
    else:
        fields["level_change_approval"] = {"record": value, "source": "inventory"}
    a = {"id": "arn:aws-cn:s3:::x", "kind": "object_store", **fields}
    got = _classified([a], None, rules)["arn:aws-cn:s3:::x"]
    assert got["level_change_approval"] is None
    assert store_facts([got])["arn:aws-cn:s3:::x"]["approval"] is False


@pytest.mark.parametrize("value", ["CHG-2024-001", "MANILA-1", "审批2024-17", "LCA-NONE-7"])
def test_a_record_id_that_contains_a_marker_is_a_record(value: str) -> None:
    a = {"id": "arn:aws-cn:s3:::x", "kind": "object_store",
         "tags": {"dsscan:level-change-approval": value}}
    got = _classified([a])["arn:aws-cn:s3:::x"]
    assert got["level_change_approval"] == {"record": value, "source": "tag"}


ROOT_ARN = "arn:aws-cn:iam::999999999999:root"

ACCOUNT_FORM_CASES = [
    ("id, then its root ARN: not new", ["999999999999"], [ROOT_ARN], []),
    ("root ARN, then its id: not new", [ROOT_ARN], ["999999999999"], []),
    ("both forms, then one: not new", [ROOT_ARN, "999999999999"], ["999999999999"], []),
    ("id, then both forms: not new", ["999999999999"], [ROOT_ARN, "999999999999"], []),
    ("another account's root: new", ["999999999999"],
     ["999999999999", "arn:aws-cn:iam::888888888888:root"],
     ["arn:aws-cn:iam::888888888888:root"]),
    ("a role of the account: new", [ROOT_ARN], [ROOT_ARN, "arn:aws-cn:iam::999999999999:role/r"],
     ["arn:aws-cn:iam::999999999999:role/r"]),
]


@pytest.mark.parametrize(("old", "now", "added"), [c[1:] for c in ACCOUNT_FORM_CASES],
                         ids=[c[0] for c in ACCOUNT_FORM_CASES])
def test_an_account_is_one_principal_as_id_or_root_arn(old: list[str], now: list[str],
                                                       added: list[str]) -> None:
    got = events({"s": row("core", principals=old)}, {"s": row("core", principals=now)})
    assert [p for e in got["events"] for p in e["principals"]] == added


def test_a_share_with_the_own_account_as_root_arn_is_not_outside() -> None:
    a = store(access={"public": False, "shared_with": ["arn:aws-cn:iam::111111111111:root",
                                                       "arn:aws-cn:iam::222222222222:root"]})
    assert external_principals(a, OURS) == []


# A store missing from a run that could not list a scope that may hold it: its earlier level
# is not known. It used to look new, and a level lowered meanwhile was "no event" (exit 0).
UNLISTED_CASES = [
    ("region unread: may hold it", ("111111111111", "cn-north-1"),
     "arn:aws-cn:rds:cn-north-1:111111111111:db:ledger", ["level_down"]),
    ("whole account unread", ("111111111111", None),
     "arn:aws-cn:rds:cn-north-1:111111111111:db:ledger", ["level_down"]),
    ("anywhere", (None, None), "arn:aws-cn:s3:::ledger", ["level_down"]),
    ("S3 bucket ARN has no account: may be there", ("111111111111", "cn-north-1"),
     "arn:aws-cn:s3:::ledger", ["level_down"]),
    ("another region: seen, new", ("111111111111", "cn-northwest-1"),
     "arn:aws-cn:rds:cn-north-1:111111111111:db:ledger", []),
    ("another account: seen, new", ("222222222222", None),
     "arn:aws-cn:rds:cn-north-1:111111111111:db:ledger", []),
]


@pytest.mark.parametrize(("where", "aid", "unknown"), [c[1:] for c in UNLISTED_CASES],
                         ids=[c[0] for c in UNLISTED_CASES])
def test_a_store_unseen_in_an_incomplete_run_has_no_known_earlier_level(
        url: str, where: tuple[str | None, str | None], aid: str, unknown: list[str]) -> None:
    from dsscan.findings import NotAssessed

    gap = NotAssessed(reason="rds:DescribeDBInstances AccessDenied", scope="rds in somewhere",
                      account=where[0], region=where[1], service="rds",
                      operation="DescribeDBInstances")
    a_run = result(three_findings(), not_assessed=[gap], started_at="2025-03-01T08:00:00+00:00")
    a_run.stores = {}
    with open_store(url) as st:
        a = st.save_run(a_run)
        b = st.save_run(with_stores({aid: row("general")}, "2025-03-02T08:00:00+00:00"))
        found = st.events(a, b)
    assert found["events"] == []
    assert [u["event"] for u in found["not_known"]] == unknown
    from dsscan.cli.diff_cmd import event_exit_code

    assert event_exit_code(found) == (3 if unknown else 0)


def _src(level: str, source: str, *, approval: bool = False) -> dict[str, Any]:
    return {**row(level, approval=approval, kind="snapshot"), "level_source": source}


# A copy's inherited approval (its source's record) covers a level it inherits, not one it
# had of its own: dropping its own tag to inherit a lower level used to pass as approved.
INHERITED_CASES = [
    ("own tag dropped, inherits lower, source's record", _src("core", "tag"),
     _src("general", "inheritance", approval=True), ["level_down"]),
    ("catalogue level dropped, inherits lower", _src("core", "catalogue"),
     _src("general", "inheritance", approval=True), ["level_down"]),
    ("inherited, source lowered with its record", _src("core", "inheritance"),
     _src("general", "inheritance", approval=True), []),
    ("own tag lowered with its own record", _src("core", "tag"),
     _src("general", "tag", approval=True), []),
    ("no record at all", _src("core", "inheritance"), _src("general", "inheritance"),
     ["level_down"]),
]


@pytest.mark.parametrize(("before", "after", "expected"), [c[1:] for c in INHERITED_CASES],
                         ids=[c[0] for c in INHERITED_CASES])
def test_an_inherited_approval_covers_an_inherited_level_only(
        before: dict[str, Any], after: dict[str, Any], expected: list[str]) -> None:
    got = events({"c": before}, {"c": after})
    assert [e["event"] for e in got["events"]] == expected


@pytest.mark.slow
def test_the_events_demo_keeps_a_machine_report_on_stdout_clean(tmp_path: Path) -> None:
    """-f json on standard output: the report stays JSON, the events go to stderr."""
    r = run_dsscan("demo", "--events", "-f", "json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["findings"]
    assert "Regulatory events (" in r.stderr

