"""The schema migrations: numbered SQL files per dialect, applied in order, one transaction each.

``migrations/NNNN_name.DIALECT.sql`` (DIALECT: sqlite or postgresql), and for a migration that
must fill data SQL cannot compute, a Python step after it (:func:`fill_step`). The store's
``schema_version`` table records each applied version. The backends own the locking (SQLite:
BEGIN IMMEDIATE; PostgreSQL: a transaction-level advisory lock); this module only finds the
files, splits them and checks versions, so both backends agree on what "version N" means.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from dsscan.errors import InputError
from dsscan.store.legacy_scopes import Execute

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.(sqlite|postgresql)\.sql$")

# Created by the runner itself before any migration: it must exist to know where to start.
SCHEMA_VERSION_DDL = ("CREATE TABLE IF NOT EXISTS schema_version ("
                      "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                      "applied_at TEXT NOT NULL)")

# What tells dsscan's schema_version table from another tool's of the same name (Flyway's
# older default, say, with installed_rank and a text version such as '1.1').
SCHEMA_VERSION_COLUMNS = frozenset({"version", "name", "applied_at"})


class Migration(NamedTuple):
    version: int
    name: str
    sql: str


def fill_step(version: int) -> Callable[[Execute], None] | None:
    """The data a migration fills in Python after its SQL, in the same transaction, where
    plain SQL cannot (both dialects alike); None for most. Version 4: the place of scopes
    stored before scanners recorded it (dsscan/store/legacy_scopes.py)."""
    if version == 4:
        from dsscan.store.legacy_scopes import fill

        return fill
    return None


@cache
def migrations(dialect: str) -> tuple[Migration, ...]:
    """The shipped migrations of one dialect, in order; numbered 1..N without gaps."""
    from importlib.resources import files

    found: list[Migration] = []
    for entry in files("dsscan.store").joinpath("migrations").iterdir():
        m = _NAME.match(entry.name)
        if m and m.group(3) == dialect:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text("utf-8")))
    found.sort()
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        # A packaging mistake, not user input: fail loudly rather than half-migrate.
        raise RuntimeError(f"dsscan.store: {dialect} migrations are not numbered 1..N: "
                           f"{[m.version for m in found]}")
    return tuple(found)


def latest_version(dialect: str) -> int:
    return len(migrations(dialect))


def not_ours(where: str) -> InputError:
    return InputError(f"{where}: its schema_version table is not dsscan's (another tool's "
                      "migrations?): not a dsscan history store; give --store a new one")


def version_number(value: object, where: str) -> int:
    """MAX(version) of a schema_version table as dsscan's integer, or not a dsscan store."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise not_ours(where)
    return value


def check_not_newer(current: int, dialect: str, where: str) -> None:
    """A store written by a newer dsscan: refuse it rather than misread its tables."""
    known = latest_version(dialect)
    if current > known:
        raise InputError(f"{where}: history store has schema version {current}, newer than "
                         f"this dsscan supports ({known}); upgrade dsscan to read it")


def sqlite_statements(sql: str) -> list[str]:
    """One migration file as single statements (sqlite3 runs one per execute, and
    executescript would commit the open transaction first)."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise RuntimeError("dsscan.store: a SQLite migration ends without ';'")
    return out
