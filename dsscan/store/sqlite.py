"""The SQLite history store (the default): one file, stdlib sqlite3, safe for concurrent writers.

WAL mode lets readers go on while one process writes; every write (a run, a migration step, a
prune) is one BEGIN IMMEDIATE transaction, which takes the write lock up front, so two writers
queue on the busy timeout instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dsscan.errors import InputError
from dsscan.masking import mask_text
from dsscan.store import migrate
from dsscan.store.base import RunStore

# How long a writer waits for another one before giving up (a run of 100k findings takes
# a few seconds to insert; a queue of several such writers must not time out).
BUSY_TIMEOUT_S = 120.0

_RUN_INSERT = ("INSERT INTO runs (id, started_at, stored_at, tool_version, inputs, asset_count, "
               "complete, duration_s, findings, not_assessed, label, waived) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_RUN_FIELDS = ("started_at", "stored_at", "tool_version", "inputs", "asset_count", "complete",
               "duration_s", "findings", "not_assessed", "label", "waived")


class _Writer:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def insert_run(self, run_id: str, run: dict[str, Any]) -> int:
        cur = self.conn.execute(_RUN_INSERT, (run_id, *(run[k] for k in _RUN_FIELDS)))
        return int(cur.lastrowid or 0)

    def insert_rows(self, table: str, columns: Sequence[str],
                    rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                                  f"VALUES ({', '.join('?' * len(columns))})", rows)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, params).rowcount


class SQLiteStore(RunStore):
    dialect = "sqlite"

    def __init__(self, path: Path, *, create: bool = True,
                 migrate_to: int | None = None) -> None:
        super().__init__(str(path))
        self.path = path
        if path.is_dir():
            raise InputError(f"{self.url}: history store is a directory, not a SQLite file")
        if not path.exists():
            if not create:
                raise InputError(f"no history store at {self.url} (runs are stored by "
                                 f"'dsscan scan ... --store {self.url}'; or point --store "
                                 "or DSSCAN_STORE at an existing store)")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise InputError(f"{self.url}: cannot create the store's directory "
                                 f"({e.strerror or e})") from None
        self._conn: sqlite3.Connection | None = None
        with self._guard():
            # isolation_level=None: no implicit transactions; we BEGIN IMMEDIATE ourselves.
            self._conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S,
                                         isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate(create, migrate_to)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise InputError(f"{self.url}: history store is closed")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- migrations ------------------------------------------------------------------------
    def schema_version(self) -> int:
        has = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                "AND name = 'schema_version'").fetchone()
        if not has:
            return 0
        return int(self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                   .fetchone()[0])

    def _migrate(self, create: bool, migrate_to: int | None) -> None:
        target = migrate.latest_version(self.dialect) if migrate_to is None else migrate_to
        current = self.schema_version()
        migrate.check_not_newer(current, self.dialect, self.url)
        if current >= target:
            return
        if current == 0:
            others = self.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite_%'").fetchone()[0]
            if others:
                raise InputError(f"{self.url}: a SQLite database that is not a dsscan history "
                                 "store; give --store a new file")
            if not create:
                raise InputError(f"{self.url}: not a dsscan history store (empty database)")
        steps = migrate.migrations(self.dialect)
        while True:
            # One transaction per migration; BEGIN IMMEDIATE serialises processes that open a
            # new store at the same moment, and the version is re-read under the lock.
            with self._transaction() as conn:
                conn.execute(migrate.SCHEMA_VERSION_DDL)
                version = int(conn.execute("SELECT COALESCE(MAX(version), 0) "
                                           "FROM schema_version").fetchone()[0])
                migrate.check_not_newer(version, self.dialect, self.url)
                if version >= target:
                    return
                step = steps[version]
                for statement in migrate.sqlite_statements(step.sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version, name, applied_at) "
                             "VALUES (?, ?, ?)", (step.version, step.name,
                                                  datetime.now(UTC).isoformat(timespec="seconds")))

    # --- the backend interface -------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (e.g. disk full)
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[_Writer]:
        with self._transaction() as conn:
            yield _Writer(conn)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def _is_duplicate_id(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "runs.id" in str(exc)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise InputError(f"{self.url}: history store error: "
                             f"{' '.join(mask_text(str(e)).split())}") from None
