"""SQL databases by SQLAlchemy URL: a bounded sample of rows per table, read only.

Supported and tested: PostgreSQL (psycopg 3) and SQLite; MySQL/MariaDB (PyMySQL or
mysqlclient) are handled the same way. Tables, views and materialized views are discovered
from the database's own catalogue (the SQLAlchemy inspector), system schemas left out,
optionally narrowed by ``--tables`` patterns or to what the dsscan data catalogue names.

Read only, three ways over:
- every transaction is ``READ ONLY`` (PostgreSQL ``SET TRANSACTION READ ONLY``, MySQL
  ``SET SESSION TRANSACTION READ ONLY``); SQLite files are opened ``mode=ro`` with
  ``PRAGMA query_only``;
- only ``SELECT`` of the text and numeric columns, ``LIMIT rows`` (PostgreSQL: ``TABLESAMPLE
  SYSTEM`` on large tables, so the sample is not just the oldest rows);
- each statement has a timeout (PostgreSQL ``SET LOCAL statement_timeout`` and
  ``lock_timeout``, MySQL ``max_execution_time``, MariaDB ``max_statement_time``, SQLite a
  progress-handler deadline), and so has the connection.

Fail closed: a database that cannot be reached (refused, timed out, authentication) is an
asset *not assessed* with the reason; a table that cannot be read (timeout, permission) is
``content.status: error`` with an assessment gap. Never leak: asset ids are
``backend://host:port/database`` without user or password, a password is scrubbed from every
reason, and a database's own error text is quoted only for connection failures (a query's
error can quote a row: then the reason is the SQLSTATE class alone).
"""

from __future__ import annotations

import contextlib
import fnmatch
import math
import re
import sqlite3
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from dsscan.errors import InputError
from dsscan.masking import mask_text
from dsscan.scanners.sampling import Asset, Outcome, add_content_gap, content_block, error_outcome
from dsscan.scanners.sampling.blobs import render

_SYSTEM_SCHEMAS = {
    "postgresql": {"information_schema", "pg_catalog", "pg_toast"},
    "mysql": {"information_schema", "mysql", "performance_schema", "sys"},
    "mariadb": {"information_schema", "mysql", "performance_schema", "sys"},
    "mssql": {"sys", "information_schema", "guest"},
}
_SYSTEM_PREFIXES = ("pg_temp_", "pg_toast_temp_", "db_")
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433,
                  "oracle": 1521}
_LABEL = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB",
          "sqlite": "SQLite", "mssql": "SQL Server", "oracle": "Oracle"}
# Default drivers when the URL names none: the ones dsscan is tested with.
_DEFAULT_DRIVER = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
                   "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
_DRIVER_HINT = {"psycopg": "psycopg[binary]", "pymysql": "PyMySQL", "psycopg2": "psycopg2-binary",
                "mysqldb": "mysqlclient"}
_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class SqlOptions:
    rows: int = 1000  # rows per table
    timeout: float = 30.0  # seconds per statement, and to connect
    tables: tuple[str, ...] = ()  # glob patterns on "schema.table" or "table" (any may match)
    max_tables: int = 1000
    tags: dict[str, str] = field(default_factory=dict)
    environment: str | None = None  # declared environment of every asset
    level: str | None = None  # declared level of every asset
    select: Callable[[Asset], bool] | None = None  # e.g. only tables the catalogue names


# --- URLs, ids, reasons --------------------------------------------------------------------

def redact(text: str) -> str:
    """A URL as it may be shown: no password, in the authority or the query."""
    text = re.sub(r"(://[^/?#@:]*):[^@/?#]*@", r"\1:***@", text)
    return re.sub(r"(?i)([?&](?:password|passwd|pwd)=)[^&#]*", r"\1***", text)


def is_sqlite_file(path: str | Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def _packages_for(text: str) -> str:
    """What to install to sample the database ``text`` names: SQLAlchemy, and the driver its
    URL needs. SQLite needs no driver (the standard library's sqlite3): asking for psycopg
    there would send someone to install a PostgreSQL driver they have no use for."""
    scheme, _, driver = text.split("://", 1)[0].lower().partition("+") if "://" in text \
        else ("sqlite", "", "")
    if not driver:
        driver = _DEFAULT_DRIVER.get(scheme, "").partition("+")[2]
    packages = ["'sqlalchemy>=2'"]
    if scheme != "sqlite" and driver:
        packages.append(f"'{_DRIVER_HINT.get(driver, driver)}'")
    return " ".join(packages)


def parse_url(text: str) -> Any:
    """A SQLAlchemy URL from ``text`` (driver defaults for PostgreSQL and MySQL); a bad URL is
    an InputError whose message never shows the password."""
    try:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError
    except ImportError:
        raise InputError("sampling databases needs SQLAlchemy: "
                         f"pip install {_packages_for(text)}") from None
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        # SQLAlchemy's own message quotes the URL, password included: not shown.
        raise InputError(f"{redact(text)}: not a database URL (expected e.g. "
                         "postgresql://user@host:5432/db or sqlite:///path.db)") from None
    name = url.drivername
    if name in _DEFAULT_DRIVER:
        url = url.set(drivername=_DEFAULT_DRIVER[name])
    return url


def database_id(url: Any) -> str:
    """``postgresql://host:5432/db``: stable, and without user or password."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        db = url.database
        if not db or db == ":memory:":
            return "sqlite://:memory:"
        return "sqlite:///" + quote(str(Path(db).resolve()).lstrip("/"), safe="/")
    host = url.host or url.query.get("host") or "localhost"
    if isinstance(host, tuple):
        host = host[0]
    port = url.port or _DEFAULT_PORTS.get(backend)
    where = f"{host}:{port}" if port else str(host)
    return f"{backend}://{where}/{quote_plus(url.database or '')}"


def _scrub(text: str, secrets: list[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return " ".join(mask_text(text).split())


def _secrets(url: Any) -> list[str]:
    pw = url.password
    vals = [str(pw)] if pw else []
    for k in ("password", "passwd", "pwd"):
        v = url.query.get(k)
        vals += [str(x) for x in (v if isinstance(v, tuple) else [v]) if x]
    return [*vals, *(quote_plus(v) for v in vals), *(quote(v, safe="") for v in vals)]


# SQLSTATE (PostgreSQL, also set by MySQL drivers for some) → what a report says.
_SQLSTATE = {
    "57014": "statement timeout ({t} s) or cancelled",
    "55P03": "lock timeout ({t} s)",
    "42501": "permission denied",
    "28P01": "password authentication failed",
    "28000": "authentication rejected",
    "25006": "the read refused a write (read-only transaction)",
    "3D000": "database does not exist",
    "53300": "too many connections",
    "42P01": "table no longer exists",
    "57P01": "server shut down",
}
_MYSQL = {1045: "authentication rejected", 1044: "permission denied",
          1142: "permission denied", 1143: "permission denied",
          3024: "statement timeout ({t} s)", 1969: "statement timeout ({t} s)",
          1792: "the read refused a write (read-only transaction)",
          1049: "database does not exist", 2003: "cannot connect", 2002: "cannot connect",
          2013: "connection lost"}
_SQLITE = (("interrupted", "statement timeout ({t} s)"),
           ("readonly database", "the read refused a write (read-only database)"),
           ("unable to open", "cannot open the database file"),
           ("database is locked", "database is locked"),
           ("not a database", "not a SQLite database"),
           ("no such table", "table no longer exists"))


def failure_reason(exc: BaseException, url: Any, timeout: float, *, connecting: bool) -> str:
    """One line for a failed connection or statement, without the password and without
    any text a row could have put into a database's error message."""
    orig = getattr(exc, "orig", None) or exc
    t = f"{timeout:g}"
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _SQLSTATE:
        return _SQLSTATE[state].format(t=t)
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL:
        return _MYSQL[args[0]].format(t=t)
    if isinstance(orig, sqlite3.Error):
        msg = str(orig).lower()
        for needle, why in _SQLITE:
            if needle in msg:
                return why.format(t=t)
    if connecting:
        # Connection errors come from the client library, before any row was read: useful
        # (refused, timeout, unknown host), and scrubbed of the password all the same.
        lines = [ln for ln in str(orig).splitlines() if ln.strip()]
        if lines:
            return "cannot connect: " + _scrub(lines[0], _secrets(url))[:240]
        return f"cannot connect ({type(orig).__name__})"
    if state:
        return f"query failed (SQLSTATE {state})"
    return f"query failed ({type(orig).__name__})"


# --- read-only sessions --------------------------------------------------------------------

def _engine(url: Any, timeout: float) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import NoSuchModuleError
    from sqlalchemy.pool import NullPool

    backend = url.get_backend_name()
    opts: dict[str, Any] = {"poolclass": NullPool, "hide_parameters": True}
    wait = max(1, math.ceil(timeout))
    if backend == "sqlite":
        db = url.database
        if not db or db == ":memory:":
            raise InputError("sqlite: give a database file (an in-memory database is empty)")
        path = Path(db).resolve()
        if not path.is_file():
            raise InputError(f"{path}: no such SQLite database file")
        # mode=ro: SQLite itself refuses writes; the URI keeps odd file names intact.
        uri = f"{path.as_uri()}?mode=ro"
        opts["creator"] = lambda: sqlite3.connect(uri, uri=True, timeout=wait,
                                                  check_same_thread=False)
        target: Any = "sqlite://"
    else:
        target = url
        if backend == "postgresql":
            opts["connect_args"] = {"connect_timeout": wait, "application_name": "dsscan-sample"}
        elif backend in ("mysql", "mariadb"):
            opts["connect_args"] = {"connect_timeout": wait, "read_timeout": wait + 5}
    try:
        return create_engine(target, **opts)
    except (NoSuchModuleError, ImportError) as e:
        driver = url.get_driver_name()
        hint = _DRIVER_HINT.get(driver, driver)
        raise InputError(f"{database_id(url)}: the database driver '{driver}' is not "
                         f"installed (pip install '{hint}')") from e


def _prepare_connection(conn: Any) -> None:
    backend = conn.dialect.name
    if backend == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")
        conn.commit()
    elif backend in ("mysql", "mariadb"):
        conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        conn.commit()


def _begin(conn: Any, timeout: float) -> None:
    """First statements of every transaction: read only, with a statement timeout."""
    backend = conn.dialect.name
    ms = max(1, int(timeout * 1000))
    if backend == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
    elif backend in ("mysql", "mariadb"):
        if getattr(conn.dialect, "is_mariadb", False):
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {ms / 1000:.3f}")
        else:
            conn.exec_driver_sql(f"SET SESSION max_execution_time = {ms}")
    elif backend == "sqlite":
        deadline = time.monotonic() + timeout
        raw = conn.connection.driver_connection
        # A non-zero answer interrupts the running statement ("interrupted").
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)


@contextlib.contextmanager
def read_only_connection(url: Any, timeout: float = 30.0) -> Iterator[Any]:
    """A SQLAlchemy connection set up as the sampler uses it (no transaction yet)."""
    url = parse_url(url) if isinstance(url, str) else url
    engine = _engine(url, timeout)
    try:
        with engine.connect() as conn:
            _prepare_connection(conn)
            yield conn
    finally:
        engine.dispose()


@contextlib.contextmanager
def read_only_transaction(conn: Any, timeout: float = 30.0) -> Iterator[Any]:
    """One read-only transaction with a statement timeout; always rolled back (it changed
    nothing: committing would only be a write to the database's log)."""
    tx = conn.begin()
    try:
        _begin(conn, timeout)
        yield conn
    except BaseException:
        with contextlib.suppress(Exception):  # a dead connection: the first error tells
            tx.rollback()
        raise
    tx.rollback()


# --- discovery -----------------------------------------------------------------------------

@dataclass
class _Table:
    schema: str | None
    name: str
    kind: str  # table | view | materialized view
    columns: list[dict[str, Any]]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def _system(backend: str, schema: str) -> bool:
    s = schema.lower()
    return s in _SYSTEM_SCHEMAS.get(backend, set()) or (
        backend in ("postgresql", "mssql") and s.startswith(_SYSTEM_PREFIXES))


def _wanted(t: _Table, patterns: tuple[str, ...]) -> bool:
    if not patterns:
        return True
    names = (t.qualified.lower(), t.name.lower())
    return any(fnmatch.fnmatchcase(n, p.lower()) for p in patterns for n in names)


def _discover(conn: Any, opts: SqlOptions) -> list[_Table]:
    from sqlalchemy import inspect
    from sqlalchemy.engine.reflection import ObjectKind

    backend = conn.dialect.name
    insp = inspect(conn)
    out: list[_Table] = []
    with warnings.catch_warnings():
        # "Did not recognize type ..." for extension types: such columns are skipped anyway.
        warnings.simplefilter("ignore")
        for schema in insp.get_schema_names():
            if _system(backend, schema):
                continue
            views = set(insp.get_view_names(schema=schema))
            mviews = set(insp.get_materialized_view_names(schema=schema)) \
                if backend == "postgresql" else set()
            columns = insp.get_multi_columns(schema=schema, kind=ObjectKind.ANY)
            for (_, name), cols in sorted(columns.items(), key=lambda kv: kv[0][1]):
                kind = "view" if name in views else \
                    "materialized view" if name in mviews else "table"
                t = _Table(schema, name, kind, cols)
                if _wanted(t, opts.tables):
                    out.append(t)
    return out


def _scannable(t: Any) -> str | None:
    """Why a column type is not read (None: it is read)."""
    from sqlalchemy import types as T

    if isinstance(t, T._Binary | T.LargeBinary):
        return "binary"
    if isinstance(t, T.Boolean | T.Date | T.DateTime | T.Time | T.Interval | T.Uuid):
        return "other"
    if isinstance(t, T.String | T.Numeric | T.Integer | T.JSON | T.ARRAY | T.NullType):
        return None  # NullType: a type SQLAlchemy does not know, e.g. SQLite without one
    return "other"


# --- sampling ------------------------------------------------------------------------------

def _values(value: Any, path: str, out: dict[str, list[str | None]],
            unread: Counter[str]) -> None:
    """(path, text) of a cell: JSON and arrays by key path. A loop, not recursion (a JSON
    cell nested thousands deep is no RecursionError). Bytes in a column declared as text
    (SQLite keeps what it is given) are read as UTF-8; what is not UTF-8 is counted in
    ``unread``: a coverage gap, never a silent skip."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        v, p = stack.pop()
        if v is None:
            out.setdefault(p, []).append(None)
        elif isinstance(v, bytes | bytearray | memoryview):
            try:
                out.setdefault(p, []).append(bytes(v).decode("utf-8"))
            except UnicodeDecodeError:
                unread["binary values in a text or numeric column"] += 1
        elif isinstance(v, dict):
            stack.extend(reversed([(x, f"{p}.{k}") for k, x in v.items()]))
        elif isinstance(v, list | tuple):
            stack.extend(reversed([(x, f"{p}[]") for x in v]))
        elif isinstance(v, str | int | float | Decimal) and not isinstance(v, bool):
            out.setdefault(p, []).append(render(v))


def _estimate(conn: Any, t: _Table) -> float:
    from sqlalchemy import text

    got = conn.execute(text(
        "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :s AND c.relname = :t"), {"s": t.schema, "t": t.name}).scalar()
    return float(got or 0)


def _read_rows(conn: Any, t: _Table, cols: list[str], rows: int) -> tuple[list[Any], str]:
    import sqlalchemy as sa

    tbl = sa.table(t.name, *[sa.column(c) for c in cols], schema=t.schema)
    if conn.dialect.name == "postgresql" and t.kind == "table":
        est = _estimate(conn, t)
        if est > rows * 20:
            # Blocks spread over the whole table, seeded: the same sample on every run.
            pct = min(100.0, max(0.001, rows * 400.0 / est))
            ts = tbl.tablesample(sa.func.system(pct), seed=sa.literal(20240101))
            got = list(conn.execute(sa.select(*ts.c).limit(rows)))
            if len(got) >= min(rows, est) / 2:
                return got, "tablesample"
    return list(conn.execute(sa.select(*tbl.c).limit(rows))), "limit"


def _sample_table(conn: Any, t: _Table, url: Any, opts: SqlOptions,
                  scanner: Any) -> Outcome:
    cols, skipped = [], {"binary": 0, "other": 0}
    for c in t.columns:
        why = _scannable(c["type"])
        if why is None:
            cols.append(c["name"])
        else:
            skipped[why] += 1
    attrs: dict[str, Any] = {"columns_skipped": {k: v for k, v in skipped.items() if v}}
    if not cols:
        return Outcome(content_block([], {"rows": 0, "columns": 0}, status="not_sampled",
                                     reason="no text or numeric columns"), attributes=attrs)
    try:
        with read_only_transaction(conn, opts.timeout):
            rows, how = _read_rows(conn, t, cols, opts.rows)
    except RecursionError:  # a JSON value nested past the driver's parser
        return error_outcome("a value nested too deep to read")
    except Exception as e:
        if not _database_error(e):
            raise
        return error_outcome(failure_reason(e, url, opts.timeout, connecting=False))
    attrs["method"] = how
    values: dict[str, list[str | None]] = {}
    unread: Counter[str] = Counter()
    for row in rows:
        for name, v in zip(cols, row, strict=True):
            _values(v, name, values, unread)
    detections: list[dict[str, Any]] = []
    for path, vals in values.items():
        safe = mask_text(path)[:80]
        detections += scanner.scan_column(f"{t.qualified}.{safe}", vals,
                                          name=safe.rsplit(".", 1)[-1].rstrip("[]"))
    gaps = [f"{n} {why} not read" for why, n in sorted(unread.items())]
    if gaps and not values:
        return Outcome(content_block([], {"rows": len(rows), "columns": len(cols)},
                                     status="error", reason="; ".join(gaps)), gaps, attrs)
    return Outcome(content_block(detections, {"rows": len(rows), "columns": len(cols)}),
                   gaps, attributes=attrs)


def _database_error(e: BaseException) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(e, SQLAlchemyError | sqlite3.Error | OSError | TimeoutError)


def _declared(asset: Asset, opts: SqlOptions) -> None:
    """--tag, --environment, --level: on the database and every table alike (a table's own
    level is what DS-CLS-002 holds against its content)."""
    if opts.tags:
        asset["tags"] = dict(opts.tags)
    if opts.environment:
        asset["environment"] = {"value": opts.environment, "provenance": [
            {"source": "declared", "environment": opts.environment,
             "detail": "dsscan sample --environment"}]}
    if opts.level:
        asset["level"] = {"value": opts.level, "provenance": [
            {"source": "declared", "level": opts.level, "detail": "dsscan sample --level"}],
            "conflicts": []}


def sample_database(url_text: str, opts: SqlOptions,
                    scanner_factory: Callable[[], Any]) -> list[Asset]:
    """The database asset and one ``table`` asset per table sampled."""
    url = parse_url(url_text)
    backend = url.get_backend_name()
    db_id = database_id(url)
    label = _LABEL.get(backend, backend)
    db: Asset = {"id": db_id, "kind": "database",
                 "name": Path(url.database).name if backend == "sqlite" and url.database
                 else (url.database or db_id),
                 "type": f"{label} database", "provider": backend, "source": {"type": "sql"},
                 "account": None, "region": None, "tags": {},
                 "assessment": {"status": "complete", "gaps": []}, "attributes": {}}
    _declared(db, opts)
    if backend == "sqlite" and url.database and url.database != ":memory:":
        from dsscan.inputs import note_in_use

        note_in_use(url.database, "sampled database")
    engine = _engine(url, opts.timeout)
    try:
        try:
            conn = engine.connect()
        except Exception as e:
            if not _database_error(e):
                raise
            return [_unreadable(db, failure_reason(e, url, opts.timeout, connecting=True))]
        with conn:
            try:
                _prepare_connection(conn)
                with read_only_transaction(conn, opts.timeout):
                    tables = _discover(conn, opts)
            except Exception as e:
                if not _database_error(e):
                    raise
                why = failure_reason(e, url, opts.timeout, connecting=False)
                return [_unreadable(db, f"tables could not be listed: {why}")]
            assets = [db]
            sampled = 0
            for t in tables:
                a = _table_asset(db, t, label, opts)
                if opts.select is not None and not opts.select(a):
                    continue
                if sampled >= opts.max_tables:
                    a["content"] = content_block([], {"rows": 0}, status="not_sampled",
                                                 reason=f"beyond --max-tables {opts.max_tables}")
                    add_content_gap(a, f"not sampled: beyond --max-tables {opts.max_tables}")
                else:
                    _sample_table(conn, t, url, opts, scanner_factory()).apply(a)
                    sampled += 1
                assets.append(a)
            db["attributes"]["tables"] = len(assets) - 1
            return assets
    finally:
        engine.dispose()


def _unreadable(db: Asset, why: str) -> Asset:
    db["content"] = content_block([], {"rows": 0}, status="error", reason=why)
    db["assessment"] = {"status": "not_assessed", "gaps": [{"aspect": "content",
                                                             "reason": why}]}
    return db


def _table_asset(db: Asset, t: _Table, label: str, opts: SqlOptions) -> Asset:
    a: Asset = {"id": f"{db['id']}/{t.qualified}", "kind": "table", "name": t.name,
                "type": f"{label} {t.kind}", "provider": db["provider"], "parent": db["id"],
                "source": {"type": "sql", "address": t.qualified}, "account": None,
                "region": None, "tags": {}, "assessment": {"status": "complete", "gaps": []},
                "attributes": {"schema": t.schema, "table_type": t.kind}}
    _declared(a, opts)
    return a
