"""The PostgreSQL history store (psycopg 3, the optional ``dsscan[postgres]`` extra).

Each run is one transaction; findings go in with COPY (about ten times faster than row
inserts). Migrations run under a transaction-level advisory lock, so processes that open a new
database at the same moment apply each migration once, one after the other. Tables live in the
connection's search_path (set it in the URL, e.g. ``?options=-csearch_path%3Ddsscan``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from dsscan.errors import InputError
from dsscan.masking import mask_text
from dsscan.store import migrate
from dsscan.store.base import (
    QUIET_WAIT_S,
    RunStore,
    still_locked,
    wait_seconds,
    waiting_for_lock,
)
from dsscan.store.rows import RUN_FIELDS, RUN_INSERT

# pg_advisory_xact_lock key for migrations: "dsscnmig" as a (positive) bigint.
MIGRATION_LOCK = int.from_bytes(b"dsscnmig", "big")
CONNECT_TIMEOUT_S = 10


def _rows(cur: Any, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    cur.execute(_pg(sql), tuple(params))
    return list(cur.fetchall()) if cur.description is not None else []


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")  # RunStore's SQL has no literal '?' or '%'


_RUN_INSERT = _pg(RUN_INSERT) + " RETURNING seq"


class _Writer:
    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def insert_run(self, run_id: str, run: dict[str, Any]) -> int:
        self.cur.execute(_RUN_INSERT, (run_id, *(run[k] for k in RUN_FIELDS)))
        return int(self.cur.fetchone()[0])

    def insert_rows(self, table: str, columns: Sequence[str],
                    rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.cur.execute(_pg(sql), tuple(params))
        return int(self.cur.rowcount)


class PostgresStore(RunStore):
    dialect = "postgresql"

    def __init__(self, url: str, display_url: str, *, create: bool = True,
                 migrate_to: int | None = None) -> None:
        super().__init__(display_url)
        try:
            import psycopg
        except ImportError:
            raise InputError(f"{display_url}: PostgreSQL history stores need psycopg: "
                             "pip install 'dsscan[postgres]'") from None
        self._psycopg = psycopg
        self._conn: Any = None
        try:
            params = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.Error:
            raise InputError(f"{display_url}: not a valid PostgreSQL URL") from None
        self._secret = str(params.get("password") or "")
        if len(self._secret) >= 4:
            # Defence in depth: whatever mask_url made of the URL, libpq's own reading of the
            # password is never printed. (Shorter ones would mangle the URL: mask_url hides
            # them where libpq reads them.)
            self.url = self.url.replace(self._secret, "***")
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        params.setdefault("application_name", "dsscan")
        try:
            # autocommit: reads hold no transaction open; writes use conn.transaction().
            self._conn = psycopg.connect(autocommit=True, **params)
        except psycopg.Error as e:
            raise InputError(f"{self.url}: cannot connect to PostgreSQL "
                             f"({self._scrub(e)})") from None
        except UnicodeError:  # the host name as IDNA: an empty label (a..b), one over 63
            raise InputError(f"{self.url}: cannot connect to PostgreSQL (invalid host "
                             "name)") from None
        except (ValueError, OSError) as e:
            raise InputError(f"{self.url}: cannot connect to PostgreSQL "
                             f"({self._scrub(e)})") from None
        try:
            with self._guard():
                self._migrate(create, migrate_to)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _scrub(self, exc: BaseException) -> str:
        """The driver's message on one line, the password (if it ever shows) removed."""
        text = str(exc)
        if self._secret:
            text = text.replace(self._secret, "***")
        return " ".join(mask_text(text).split()) or type(exc).__name__

    # --- migrations ------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self._conn.cursor() as cur:
            cur.execute("SELECT to_regclass('schema_version')")
            if cur.fetchone()[0] is None:
                return 0
            cur.execute("SELECT attname FROM pg_attribute WHERE attrelid = "
                        "to_regclass('schema_version') AND attnum > 0 AND NOT attisdropped")
            if not migrate.SCHEMA_VERSION_COLUMNS.issubset(r[0] for r in cur.fetchall()):
                raise migrate.not_ours(self.url)
            cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            return migrate.version_number(cur.fetchone()[0], self.url)

    def _migrate(self, create: bool, migrate_to: int | None) -> None:
        target = migrate.latest_version(self.dialect) if migrate_to is None else migrate_to
        current = self.schema_version()
        migrate.check_not_newer(current, self.dialect, self.url)
        if current >= target:
            return
        if current == 0 and not create:
            raise InputError(f"no dsscan history in {self.url} (runs are stored by "
                             f"'dsscan scan ... --store {self.url}')")
        try:
            self._apply(target)
        except self._psycopg.errors.InsufficientPrivilege as e:
            if current == 0:
                raise InputError(f"{self.url}: this role may not create the history store's "
                                 f"tables ({self._scrub(e)}); see docs/history.md for the "
                                 "privileges") from None
            raise InputError(f"{self.url}: history store has schema version {current}, older "
                             f"than this dsscan's {target}, and this role may not upgrade it "
                             f"({self._scrub(e)}); open it once as the owner of its tables, "
                             "then again") from None

    def _migration_lock(self, cur: Any) -> None:
        """pg_advisory_xact_lock, waited for as SQLite's write lock is: quietly for a moment,
        then one line saying what is waited for and how to give up (Ctrl-C), and past
        DSSCAN_STORE_WAIT one line, nothing written (never a silent wait without end)."""
        wait = wait_seconds()
        start = time.monotonic()
        said = False
        while True:
            cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            if cur.fetchone()[0]:
                return
            now = time.monotonic()
            if not said and now - start >= min(QUIET_WAIT_S, wait):
                said = True
                waiting_for_lock(self.url, wait)
            if now - start >= wait:
                if not said:
                    waiting_for_lock(self.url, wait)
                raise still_locked(self.url, wait)
            time.sleep(0.1)

    def _apply(self, target: int) -> None:
        steps = migrate.migrations(self.dialect)
        while True:
            with self._conn.transaction(), self._conn.cursor() as cur:
                # Released at COMMIT: the next process in the queue re-reads the version.
                self._migration_lock(cur)
                cur.execute(migrate.SCHEMA_VERSION_DDL)
                cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                version = migrate.version_number(cur.fetchone()[0], self.url)
                migrate.check_not_newer(version, self.dialect, self.url)
                if version >= target:
                    return
                step = steps[version]
                cur.execute(step.sql)  # several statements, no parameters: allowed by psycopg
                fill = migrate.fill_step(step.version)
                if fill is not None:
                    fill(lambda sql, params, c=cur: _rows(c, sql, params))
                cur.execute("INSERT INTO schema_version (version, name, applied_at) "
                            "VALUES (%s, %s, %s)",
                            (step.version, step.name,
                             datetime.now(UTC).isoformat(timespec="seconds")))

    # --- the backend interface -------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[_Writer]:
        with self._conn.transaction(), self._conn.cursor() as cur:
            yield _Writer(cur)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._conn.cursor() as cur:
            cur.execute(_pg(sql), tuple(params))
            return list(cur.fetchall())

    def _is_duplicate_id(self, exc: BaseException) -> bool:
        errors = self._psycopg.errors
        return (isinstance(exc, errors.UniqueViolation)
                and getattr(exc.diag, "constraint_name", "") == "runs_id_key")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        if self._conn is None:
            raise InputError(f"{self.url}: history store is closed")
        try:
            yield
        except self._psycopg.Error as e:
            raise InputError(f"{self.url}: history store error: {self._scrub(e)}") from None
