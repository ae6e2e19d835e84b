"""The SQLite history store (the default): one file, stdlib sqlite3, safe for concurrent writers.

WAL mode lets readers go on while one process writes; every write (a run, a migration step, a
prune) is one BEGIN IMMEDIATE transaction, which takes the write lock up front, so two writers
queue on the busy timeout instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

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

# How long a writer waits for another one before giving up (a run of 100k findings takes
# a few seconds to insert; a queue of several such writers must not time out).
BUSY_TIMEOUT_S = 120.0


class _Writer:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def insert_run(self, run_id: str, run: dict[str, Any]) -> int:
        cur = self.conn.execute(RUN_INSERT, (run_id, *(run[k] for k in RUN_FIELDS)))
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

    def __init__(self, path: Path, *, create: bool = True, migrate_to: int | None = None,
                 read_only: bool = False) -> None:
        super().__init__(str(path))
        self.path = path
        self._conn: sqlite3.Connection | None = None
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except OSError as e:  # a name too long, a loop of links, a parent we may not read
            raise InputError(f"{self.url}: cannot open the history store "
                             f"({e.strerror or e})") from None
        if is_dir:
            raise InputError(f"{self.url}: history store is a directory, not a SQLite file")
        if not exists:
            if not create:
                raise InputError(f"no history store at {self.url} (runs are stored by "
                                 f"'dsscan scan ... --store {self.url}'; or point --store "
                                 "or DSSCAN_STORE at an existing store)")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise InputError(f"{self.url}: cannot create the store's directory "
                                 f"({e.strerror or e})") from None
        try:
            with self._guard():
                if read_only:
                    self._open_for_reading(migrate_to)
                else:
                    self._open_for_writing(create, migrate_to)
        except BaseException:
            self.close()  # a store that failed to open holds no connection
            raise
        from dsscan.inputs import note_in_use

        note_in_use(path, "history store")  # no report is ever written over it

    def _connect(self, options: str = "") -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; we BEGIN IMMEDIATE ourselves.
        if options:
            target = f"file:{quote(str(self.path.absolute()))}?{options}"
            conn = sqlite3.connect(target, uri=True, timeout=BUSY_TIMEOUT_S,
                                   isolation_level=None)
        else:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S,
                                   isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        return conn

    def _open_for_writing(self, create: bool, migrate_to: int | None) -> None:
        self._conn = self._connect()
        self._wal(self._conn)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._migrate(create, migrate_to)

    @staticmethod
    def _wal(conn: sqlite3.Connection) -> None:
        """Switch a store to WAL once. Switching needs an exclusive lock, and SQLite answers
        "database is locked" at once, without its busy handler, when processes open a new
        file together: retried here within the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        delay = 0.005
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def _open_for_reading(self, migrate_to: int | None) -> None:
        """Journal mode untouched, nothing written unless an older store needs its upgrade:
        what `dsscan history` and `dsscan diff` use, so that someone who may read the store
        but not write to it (or to its directory) can still read it."""
        target = migrate.latest_version(self.dialect) if migrate_to is None else migrate_to
        # Read-write where the file allows it (SQLite opens it read-only where it does not).
        self._conn = self._connect()
        try:
            current = self.schema_version()
        except sqlite3.OperationalError as e:
            # A WAL store needs its -shm file to be read, and a reader who cannot write to
            # the directory cannot create it. Without a -wal file every committed run is in
            # the database file itself, which is then read as it stands ("immutable").
            if not _cannot_write(e) or _nonempty(Path(f"{self.path}-wal")):
                raise
            self._conn.close()
            self._conn = self._connect("mode=ro&immutable=1")
            current = self.schema_version()
        migrate.check_not_newer(current, self.dialect, self.url)
        if current == 0:
            self._refuse_unversioned(create=False)
        if current >= target:
            return
        # An older store: upgraded by the first reader who may write to it, as by any writer.
        try:
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate(False, migrate_to)
        except sqlite3.OperationalError as e:
            if not _cannot_write(e):
                raise
            raise InputError(
                f"{self.url}: history store has schema version {current}, older than this "
                f"dsscan's {target}, and cannot be upgraded from here (read-only: "
                f"{' '.join(str(e).split())}); open it once with a dsscan that may write to "
                "it (e.g. `dsscan history` as the store's owner), then read it again"
            ) from None

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
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(schema_version)")}
        if not migrate.SCHEMA_VERSION_COLUMNS.issubset(columns):
            raise migrate.not_ours(self.url)
        return self._max_version(self.conn)

    def _max_version(self, conn: sqlite3.Connection) -> int:
        value = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
        return migrate.version_number(value, self.url)

    def _refuse_unversioned(self, create: bool) -> None:
        """No schema_version: a new empty file becomes a store (when creating); anything else
        is another application's database, never taken over."""
        others = self.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                                   "AND name NOT LIKE 'sqlite_%'").fetchone()[0]
        if others:
            raise InputError(f"{self.url}: a SQLite database that is not a dsscan history "
                             "store; give --store a new file")
        if not create:
            raise InputError(f"{self.url}: not a dsscan history store (empty database)")

    def _migrate(self, create: bool, migrate_to: int | None) -> None:
        target = migrate.latest_version(self.dialect) if migrate_to is None else migrate_to
        current = self.schema_version()
        migrate.check_not_newer(current, self.dialect, self.url)
        if current >= target:
            return
        steps = migrate.migrations(self.dialect)
        while True:
            # One transaction per migration; BEGIN IMMEDIATE serialises processes that open a
            # new store at the same moment, and the version is re-read under the lock.
            with self._transaction() as conn:
                fresh = not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                         "AND name = 'schema_version'").fetchone()
                if fresh:
                    # Judged under the lock: another process may have made this file a store
                    # since we looked (its tables are then dsscan's, with a schema_version).
                    self._refuse_unversioned(create)
                conn.execute(migrate.SCHEMA_VERSION_DDL)
                version = self._max_version(conn)
                migrate.check_not_newer(version, self.dialect, self.url)
                if version >= target:
                    return
                step = steps[version]
                for statement in migrate.sqlite_statements(step.sql):
                    conn.execute(statement)
                fill = migrate.fill_step(step.version)
                if fill is not None:
                    fill(lambda sql, params, c=conn: c.execute(sql, params).fetchall())
                conn.execute("INSERT INTO schema_version (version, name, applied_at) "
                             "VALUES (?, ?, ?)", (step.version, step.name,
                                                  datetime.now(UTC).isoformat(timespec="seconds")))

    # --- the backend interface -------------------------------------------------------------
    def _begin(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE (the write lock). Writers queue on it quietly for a moment (runs
        of one sweep storing together); past that, say once what is waited for and how to
        give up, and wait in short steps, so that Ctrl-C ends the wait at once (SQLite's own
        busy handler would hold it until its timeout); past DSSCAN_STORE_WAIT seconds, one
        line and nothing written."""
        start = time.monotonic()
        wait = wait_seconds()
        deadline = start + wait
        conn.execute(f"PRAGMA busy_timeout = {int(min(QUIET_WAIT_S, wait) * 1000)}")
        try:
            said = False
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as e:
                    if not _locked(e):
                        raise
                conn.execute("PRAGMA busy_timeout = 0")
                now = time.monotonic()
                if not said:
                    said = True
                    waiting_for_lock(self.url, wait)
                if now >= deadline:
                    raise still_locked(self.url, wait)
                time.sleep(min(0.1, max(0.0, deadline - now)))
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        self._begin(conn)
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
        except UnicodeDecodeError:  # sqlite3 decodes stored text: only a damaged file fails
            raise InputError(f"{self.url}: history store is damaged: stored text is not "
                             "UTF-8; restore the file from a backup, or give --store a new "
                             "one") from None


def _locked(e: sqlite3.Error) -> bool:
    name = getattr(e, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(e)


def _cannot_write(e: sqlite3.Error) -> bool:
    """SQLite could not write (or create) a file it needed: the store is read-only to us."""
    name = getattr(e, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")) or any(
        p in str(e) for p in ("readonly database", "unable to open database file"))


def _nonempty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
