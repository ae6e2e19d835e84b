"""Shared fixtures. ``pg_bank``: a real PostgreSQL server (tests/sampling_support.py) holding
a generated bank database, started once per session and only by the tests that ask for it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sampling_corpus import COLUMNS, Corpus, masked_only
from sampling_support import PostgresServer, pg_bindir, postgres_required

SAMPLER = "sampler"
SAMPLER_PASSWORD = "s4mpl3r:p@ss/w0rd"  # URL-special characters on purpose
CUSTOMERS = 120


@dataclass
class PgBank:
    server: PostgresServer
    corpus: Corpus
    rows: list[dict[str, str]]
    sampler: str = SAMPLER  # the login role the samplers connect as

    def url(self, password: str | None = SAMPLER_PASSWORD, database: str = "bank") -> str:
        return self.server.url(database, SAMPLER, password)

    @property
    def port(self) -> int:
        return self.server.port


_DDL = """
CREATE TABLE customers (
  customer_no text PRIMARY KEY, full_name text, id_number varchar(18),
  id_number_num numeric(18, 0), id_masked text, id_token char(18), id_hash text,
  mobile text, mobile_masked text, card_no text, card_masked text, email text,
  email_masked text, note text, photo bytea, created_at timestamptz DEFAULT now());
CREATE SCHEMA crm;
CREATE TABLE crm.contacts_masked (
  customer_no text, id_masked text, id_token text, id_hash text, mobile_masked text,
  card_masked text, email_masked text, note text);
CREATE TABLE audit_log (at timestamptz);
CREATE FUNCTION record_read() RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO audit_log VALUES (now()); RETURN 'read'; END $$;
CREATE VIEW writes_view AS SELECT record_read() AS note;
CREATE TABLE restricted (id_number text);
CREATE TABLE big AS SELECT g AS id, 'row ' || g AS note FROM generate_series(1, 60000) g;
ANALYZE big;
"""


def _load(server: PostgresServer) -> PgBank:
    corpus = Corpus()
    rows = corpus.customers(CUSTOMERS)
    with server.admin() as admin:
        admin.execute("CREATE DATABASE bank")
        admin.execute(f"CREATE ROLE {SAMPLER} LOGIN PASSWORD '{SAMPLER_PASSWORD}'")
    with server.admin("bank") as db:
        db.execute(_DDL)
        cols = [c for c in COLUMNS]
        with db.cursor() as cur:
            cur.executemany(
                f"INSERT INTO customers ({', '.join(cols)}) VALUES "
                f"({', '.join(['%s'] * len(cols))})",
                [tuple(r[c] for c in cols) for r in rows])
            twin = masked_only(rows)
            keys = list(twin[0])
            cur.executemany(f"INSERT INTO crm.contacts_masked ({', '.join(keys)}) VALUES "
                            f"({', '.join(['%s'] * len(keys))})",
                            [tuple(r[k] for k in keys) for r in twin])
            cur.execute("INSERT INTO restricted VALUES (%s)", (corpus.resident_id(),))
        db.execute(f"GRANT USAGE ON SCHEMA crm TO {SAMPLER}")
        db.execute(f"GRANT SELECT ON customers, crm.contacts_masked, writes_view, "
                   f"big, audit_log TO {SAMPLER}")
        # The view's function may write: only the read-only transaction stops it.
        db.execute(f"GRANT INSERT ON audit_log TO {SAMPLER}")
    return PgBank(server, corpus, rows)


def _installed_bindir() -> Path:
    """PostgreSQL's binaries; a failure under CI (where .ci/run installs it), else a skip."""
    bindir = pg_bindir()
    if bindir is None:
        if postgres_required():
            pytest.fail("PostgreSQL is not installed (apt-get install -y postgresql)")
        pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql)")
    return bindir


@pytest.fixture(scope="session")
def pg_bank() -> Iterator[PgBank]:
    server = PostgresServer(_installed_bindir())
    try:
        server.start()
        yield _load(server)
    finally:
        server.stop()


# History store tests (tests/test_store.py, tests/test_history_cli.py): a server of their own
# (pg_bank's is untouched), a login role that owns the stores, and a fresh database per test.
HISTORIAN = "historian"
HISTORIAN_PASSWORD = "h1st:p@ss/w0rd"  # URL-special characters on purpose


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer(_installed_bindir())
    try:
        server.start()
        with server.admin() as admin:
            admin.execute(f"CREATE ROLE {HISTORIAN} LOGIN PASSWORD '{HISTORIAN_PASSWORD}'")
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_store_url(pg_server: PostgresServer) -> Iterator[str]:
    """The URL (password included) of a new, empty database owned by HISTORIAN."""
    import secrets

    name = f"history_{secrets.token_hex(4)}"
    with pg_server.admin() as admin:
        admin.execute(f"CREATE DATABASE {name} OWNER {HISTORIAN}")
    yield pg_server.url(name, HISTORIAN, HISTORIAN_PASSWORD)
    with pg_server.admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- moto's server for end-to-end AWS tests (a module may define its own `aws`) -------------

@pytest.fixture(scope="module")
def moto_url() -> Any:
    """moto's threaded server on 127.0.0.1 for a module's end-to-end tests."""
    from aws_support import free_port
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto server, and boto3 in this process pointed at it (to provision)."""
    import urllib.request

    import boto3
    from aws_support import FAKE_ENV

    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset",
                                                  method="POST"), timeout=10)
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return moto_url


@pytest.fixture(scope="module")
def estate() -> Iterator[None]:
    """aws_support's full estate in moto, for one test module (a module may define its own)."""
    from aws_support import fake_env, full_estate
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        with mock_aws():
            full_estate()
            yield


@pytest.fixture
def stand_in(estate: None) -> Iterator[Any]:
    """aws_support.StandIn (answers what moto lacks) over the module's estate."""
    from aws_support import StandIn

    s = StandIn()
    yield s
    s.close()


def pytest_configure(config: pytest.Config) -> None:
    """Under CI a missing oracle is an error, never a run of skips (tests/opa_support.py)."""
    import os

    from dsscan.engines.opa_engine import opa_available

    if os.environ.get("CI") and not opa_available():
        from opa_support import OPA_MISSING

        raise pytest.UsageError(f"CI is set but {OPA_MISSING}")


# --- markers: what a test needs, derived from the fixtures it uses --------------------------
# `pytest -m "not postgres"` and the like select by the real component a test starts. They are
# derived, not written on each test, so a new test that uses pg_store_url is marked without
# anyone remembering to. `slow` is written on the tests themselves (pyproject.toml lists all).
_FIXTURE_MARKS = {
    "pg_server": "postgres", "pg_store_url": "postgres", "pg_bank": "postgres",
    "moto_url": "moto_server", "moto_server": "moto_server",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        marks = {m for f, m in _FIXTURE_MARKS.items() if f in names}
        if "postgresql" in params.values():  # a store fixture parametrized over both backends
            marks.add("postgres")
        for mark in sorted(marks):
            item.add_marker(mark)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under CI a skipped test is a failed one: a real component or oracle that is missing
    (PostgreSQL, Chromium, OPA) must never turn into a green run of skips."""
    import os

    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which must run every test: {reason}"

