"""The SQL sampler against a real PostgreSQL server (tests/conftest.py: pg_bank) and SQLite.

Tests marked "verdict" check what the real detectors (dsscan.detection) say about the sampled
columns; the others check the sampler's own contract — read only, bounded, timeouts, fail
closed, values handed over as exact strings — with a recording scanner.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan
from sampling_corpus import COLUMNS, Corpus
from sampling_support import Recorder, detection, unmasked

from dsscan.errors import InputError
from dsscan.inventory import FORMAT, parse_inventory
from dsscan.scanners.sampling import new_scanner
from dsscan.scanners.sampling.sql import (
    SqlOptions,
    database_id,
    parse_url,
    read_only_connection,
    read_only_transaction,
    redact,
    sample_database,
)


def by_name(assets: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [a] = [a for a in assets if a.get("name") == name]
    return a


def sample(url: str, scanner: Any = None, **opts: Any) -> list[dict[str, Any]]:
    assets = sample_database(url, SqlOptions(**opts), lambda: scanner or new_scanner())
    # Whatever the sampler writes is a valid inventory.
    parse_inventory(json.loads(json.dumps({"format": FORMAT, "assets": assets})), "sample")
    return assets


# --- PostgreSQL: what is read -----------------------------------------------------------

@pytest.mark.slow
def test_postgres_tables_become_table_assets_under_a_credential_free_database_id(pg_bank):
    assets = sample(pg_bank.url(), Recorder(), tables=("customers", "crm.*"))
    db = assets[0]
    assert db["id"] == f"postgresql://127.0.0.1:{pg_bank.port}/bank"
    assert db["kind"] == "database" and db["assessment"]["status"] == "complete"
    customers, masked = by_name(assets, "customers"), by_name(assets, "contacts_masked")
    assert customers["id"] == f"{db['id']}/public.customers"
    assert masked["id"] == f"{db['id']}/crm.contacts_masked"
    assert {a["parent"] for a in (customers, masked)} == {db["id"]}
    assert {a["kind"] for a in assets[1:]} == {"table"}
    text = json.dumps(assets)
    assert "sampler" not in text and "s4mpl3r" not in text  # neither user nor password
    # Binary and timestamp columns are not read; every text/numeric column is.
    assert customers["content"]["sample"]["rows"] == 120
    assert customers["content"]["sample"]["columns"] == len(COLUMNS)
    assert customers["attributes"]["content_sampling"]["columns_skipped"] == {"binary": 1,
                                                                              "other": 1}


@pytest.mark.slow
def test_numeric_ids_reach_the_detectors_as_exact_strings(pg_bank):
    rec = Recorder()
    sample(pg_bank.url(), rec, tables=("customers",))
    got = rec.columns["public.customers.id_number_num"]
    # NUMERIC(18,0) comes back as Decimal and is rendered digit for digit: no float on the way.
    assert sorted(got) == sorted(r["id_number_num"] for r in pg_bank.rows)
    assert sorted(rec.columns["public.customers.id_token"]) == \
        sorted(r["id_token"] for r in pg_bank.rows)
    assert rec.names["public.customers.mobile"] == "mobile"  # the column-name hint


def test_rows_are_bounded_and_large_tables_use_tablesample(pg_bank):
    rec = Recorder()
    assets = sample(pg_bank.url(), rec, tables=("big", "customers"), rows=50)
    big, customers = by_name(assets, "big"), by_name(assets, "customers")
    assert big["attributes"]["content_sampling"]["method"] == "tablesample"
    assert 25 <= big["content"]["sample"]["rows"] <= 50
    assert customers["attributes"]["content_sampling"]["method"] == "limit"
    assert customers["content"]["sample"]["rows"] == 50
    assert len(rec.columns["public.customers.id_number"]) == 50


def test_tables_pattern_and_catalogue_selection(pg_bank):
    assets = sample(pg_bank.url(), Recorder(), tables=("CRM.*",))
    assert [a["name"] for a in assets[1:]] == ["contacts_masked"]
    assets = sample(pg_bank.url(), Recorder(), tables=("customers", "crm.*"),
                    select=lambda a: a["name"].startswith("contacts"))
    assert [a["name"] for a in assets[1:]] == ["contacts_masked"]


# --- PostgreSQL: read only, timeouts, fail closed -----------------------------------------

def test_a_write_inside_the_samplers_session_is_refused(pg_bank):
    with read_only_connection(pg_bank.url(), timeout=5) as conn, \
            read_only_transaction(conn, timeout=5):
        from sqlalchemy.exc import DBAPIError

        with pytest.raises(DBAPIError) as e:
            conn.exec_driver_sql("INSERT INTO audit_log VALUES (now())")
        assert e.value.orig.sqlstate == "25006"  # read_only_sql_transaction
    with pg_bank.server.admin("bank") as db:
        assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_a_view_that_writes_is_refused_by_the_read_only_transaction(pg_bank):
    assets = sample(pg_bank.url(), Recorder(), tables=("writes_view",))
    view = by_name(assets, "writes_view")
    assert view["type"] == "PostgreSQL view"
    assert view["content"]["status"] == "error"
    assert "read-only transaction" in view["content"]["reason"]
    assert view["assessment"]["status"] == "partial"
    assert view["assessment"]["gaps"][0]["aspect"] == "content"
    with pg_bank.server.admin("bank") as db:
        assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


@pytest.fixture
def slow_view(pg_bank):
    """A view that takes a minute, for this test only (every other test samples the whole
    database and would wait for it): a timeout that works ends it in well under that."""
    with pg_bank.server.admin("bank") as db:
        db.execute("CREATE VIEW slow_view AS SELECT (SELECT 'x'::text FROM pg_sleep(60)) AS note")
        db.execute(f"GRANT SELECT ON slow_view TO {pg_bank.sampler}")
    yield
    with pg_bank.server.admin("bank") as db:
        db.execute("DROP VIEW slow_view")


@pytest.mark.slow
def test_statement_timeout_makes_a_slow_view_not_assessed(pg_bank, slow_view):
    t0 = time.monotonic()
    assets = sample(pg_bank.url(), Recorder(), tables=("slow_view", "customers"), timeout=0.5)
    assert time.monotonic() - t0 < 30  # stopped at the timeout, not after the view's minute
    slow = by_name(assets, "slow_view")
    assert slow["content"] == {**slow["content"], "status": "error"}
    assert slow["content"]["reason"].startswith("statement timeout (0.5 s)")
    assert slow["assessment"]["gaps"] == [{"aspect": "content",
                                           "reason": slow["content"]["reason"]}]
    # The session goes on: the next table is sampled.
    assert by_name(assets, "customers")["content"]["status"] == "sampled"


def test_permission_denied_on_a_table_is_not_assessed(pg_bank):
    assets = sample(pg_bank.url(), Recorder(), tables=("restricted",))
    t = by_name(assets, "restricted")
    assert t["content"]["status"] == "error"
    assert t["content"]["reason"] == "permission denied"
    assert t["assessment"]["gaps"][0] == {"aspect": "content", "reason": "permission denied"}


@pytest.mark.slow
def test_bad_password_is_not_assessed_and_never_shown(pg_bank, tmp_path):
    wrong = "Wr0ng#p@ss:word"
    [db] = sample(pg_bank.url(password=wrong), Recorder())
    assert db["assessment"]["status"] == "not_assessed"
    reason = db["assessment"]["gaps"][0]["reason"]
    assert "password authentication failed" in reason
    assert db["content"] == {**db["content"], "status": "error"}
    assert wrong not in json.dumps(db) and "Wr0ng" not in json.dumps(db)

    out = tmp_path / "inv.json"
    r = dsscan("sample", pg_bank.url(password=wrong), "-o", out)
    assert r.returncode == 3, r.stderr
    for text in (r.stdout, r.stderr, out.read_text()):
        assert "Wr0ng" not in text and SAMPLER_PASSWORD_FRAGMENT not in text
    assert "not assessed" in r.stderr and "password authentication failed" in r.stderr


SAMPLER_PASSWORD_FRAGMENT = "s4mpl3r"


def test_unreachable_server_is_not_assessed(pg_bank):
    from sampling_support import free_port

    url = f"postgresql://sampler:secret-pw@127.0.0.1:{free_port()}/bank"
    [db] = sample(url, Recorder(), timeout=2)
    assert db["assessment"]["status"] == "not_assessed"
    assert db["assessment"]["gaps"][0]["reason"].startswith("cannot connect")
    assert "secret-pw" not in json.dumps(db)


# --- PostgreSQL: verdicts of the real detectors -------------------------------------------

def test_verdict_unmasked_masked_and_tokenized_columns(pg_bank):
    assets = sample(pg_bank.url(), tables=("customers", "crm.*"))
    c = by_name(assets, "customers")
    loc = "public.customers."
    n = len(pg_bank.rows)
    assert unmasked(c, loc + "id_number", "prc_resident_id") == n
    assert unmasked(c, loc + "id_number_num", "prc_resident_id") == n  # no digit lost
    assert unmasked(c, loc + "mobile", "mobile_phone") == n
    assert unmasked(c, loc + "card_no", "bank_card") > 0
    assert unmasked(c, loc + "email", "email") > 0
    masked = detection(c, loc + "id_masked", "prc_resident_id")
    assert masked is not None and masked["masked"] > 0 and masked["unmasked"] == 0
    assert unmasked(c, loc + "id_token", "prc_resident_id") == 0
    assert unmasked(c, loc + "id_hash", "prc_resident_id") == 0
    assert unmasked(c, loc + "mobile_masked", "mobile_phone") == 0
    twin = by_name(assets, "contacts_masked")
    assert twin["content"]["status"] == "sampled"
    assert not [d for d in twin["content"]["detections"] if d.get("unmasked")]


@pytest.mark.slow
def test_verdict_sample_scan_reports_the_test_table_and_the_understated_level(pg_bank, tmp_path):
    report = tmp_path / "r.json"
    r = dsscan("sample", pg_bank.url(), "--tables", "customers", "--tables", "crm.*",
               "--environment", "test", "--level", "general", "--scan", "-f", "json",
               "-o", report)
    assert r.returncode == 1, r.stderr
    found = {(f["policy_id"], f["asset_name"]) for f in json.loads(report.read_text())["findings"]}
    assert ("DS-TST-002", "customers") in found
    assert ("DS-CLS-002", "customers") in found
    assert ("DS-TST-002", "contacts_masked") not in found


# --- SQLite -------------------------------------------------------------------------------

@pytest.fixture
def sqlite_bank(tmp_path) -> tuple[Path, list[dict[str, str]]]:
    rows = Corpus(seed=7).customers(60)
    path = tmp_path / "uat bank.db"  # a space: the read-only URI must keep the name intact
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (" + ", ".join(
        f"{c} {'NUMERIC(18,0)' if c == 'id_number_num' else 'TEXT'}" for c in COLUMNS) +
        ", photo BLOB)")
    db.executemany(f"INSERT INTO customers VALUES ({', '.join('?' * (len(COLUMNS) + 1))})",
                   [(*[int(r[c]) if c == "id_number_num" else r[c] for c in COLUMNS], b"\0")
                    for r in rows])
    db.execute("CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
               "FROM c WHERE x < 100000000) SELECT CAST(sum(x) AS TEXT) AS note FROM c")
    db.commit()
    db.close()
    return path, rows


def test_sqlite_file_is_opened_read_only(sqlite_bank):
    path, _ = sqlite_bank
    before = path.stat().st_mtime_ns
    with read_only_connection(f"sqlite:///{path}") as conn, read_only_transaction(conn):
        from sqlalchemy.exc import DBAPIError

        with pytest.raises(DBAPIError, match=r"readonly|query_only"):
            conn.exec_driver_sql("DELETE FROM customers")
    assets = sample(f"sqlite:///{path}", Recorder(), tables=("customers",))
    assert assets[0]["id"] == "sqlite:///" + str(path.resolve()).lstrip("/").replace(" ", "%20")
    assert path.stat().st_mtime_ns == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no journal left


def test_sqlite_values_are_exact_and_binary_is_skipped(sqlite_bank):
    path, rows = sqlite_bank
    rec = Recorder()
    [_, t] = sample(f"sqlite:///{path}", rec, tables=("customers",))
    assert sorted(rec.columns["main.customers.id_number_num"]) == \
        sorted(r["id_number_num"] for r in rows)
    assert "main.customers.photo" not in rec.columns
    assert t["content"]["sample"]["rows"] == 60


def test_sqlite_statement_timeout(sqlite_bank):
    path, _ = sqlite_bank
    t0 = time.monotonic()
    [_, slow] = sample(f"sqlite:///{path}", Recorder(), tables=("slow",), timeout=0.3)
    assert time.monotonic() - t0 < 5
    assert slow["content"]["status"] == "error"
    assert slow["content"]["reason"] == "statement timeout (0.3 s)"


@pytest.mark.slow
def test_verdict_sqlite_file_given_as_a_path(sqlite_bank, tmp_path):
    path, rows = sqlite_bank
    out = tmp_path / "inv.json"
    r = dsscan("sample", path, "--tables", "customers", "--environment", "test", "-o", out)
    assert r.returncode == 0, r.stderr
    assets = json.loads(out.read_text())["assets"]
    t = by_name(assets, "customers")
    assert t["environment"]["value"] == "test"
    assert unmasked(t, "main.customers.id_number", "prc_resident_id") == len(rows)
    assert unmasked(t, "main.customers.id_number_num", "prc_resident_id") == len(rows)


# --- URLs -----------------------------------------------------------------------------------

def test_urls_ids_and_redaction():
    assert database_id(parse_url("postgresql://u:pw@db.bank:5433/crm")) == \
        "postgresql://db.bank:5433/crm"
    assert database_id(parse_url("postgres://u:pw@db.bank/crm?password=x")) == \
        "postgresql://db.bank:5432/crm"
    assert parse_url("postgresql://h/db").drivername == "postgresql+psycopg"
    assert database_id(parse_url("mysql://u:pw@10.0.0.5/core")) == "mysql://10.0.0.5:3306/core"
    assert redact("postgresql://u:s3cret@h/db?password=s3cret") == \
        "postgresql://u:***@h/db?password=***"
    with pytest.raises(InputError) as e:
        parse_url("postgresql://u:s3cret@h:notaport/db")
    assert "s3cret" not in str(e.value)


@pytest.mark.slow
def test_bad_url_and_missing_driver_are_usage_errors(tmp_path):
    r = dsscan("sample", "postgresql://u:s3cret@h:notaport/db")
    assert r.returncode == 2 and "s3cret" not in r.stderr and "not a database URL" in r.stderr
    r = dsscan("sample", "oracle+nosuchdriver://u:s3cret@h/db")
    assert r.returncode == 2 and "s3cret" not in r.stderr, r.stderr
    r = dsscan("sample", tmp_path / "missing.csv")
    assert r.returncode == 2 and "no such file" in r.stderr
    r = dsscan("sample", tmp_path, "--format", "json")
    assert r.returncode == 2 and "only with --scan" in r.stderr
