"""The history store: every stored run of dsscan, for trends (``dsscan history``, the HTML
report's charts) and diffs (``dsscan diff``).

    with open_store(".dsscan/history.sqlite") as store:
        run_id = store.save_run(result, label="nightly")
        result.history = store.trend()

URLs: a file path or ``sqlite:///path`` (SQLite, stdlib; ``sqlite:////abs/path`` for an
absolute path), or ``postgresql://user:password@host:port/db`` / ``postgres://`` (psycopg 3,
``pip install 'dsscan[postgres]'``). See docs/history.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from dsscan.errors import InputError
from dsscan.store.base import RunStore

__all__ = ["DEFAULT_STORE", "RunStore", "mask_url", "open_store", "parse_store_url",
           "store_url"]

# Where runs go when neither --store, DSSCAN_STORE nor the config name a store.
DEFAULT_STORE = ".dsscan/history.sqlite"
ENV_VAR = "DSSCAN_STORE"

_PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg")
_SECRET_PARAM = re.compile(r"(?i)([?&]password=)[^&]*")


def mask_url(url: str) -> str:
    """``url`` safe to print: the password (in the authority or a password= parameter)
    replaced by ***. (Not mask_text: the URL is the user's own setting, not asset data, and
    e-mail masking would mangle user@host.)

    Read as libpq reads it, not as urlsplit does: the user info runs to the "@" of the
    authority, and the authority to the first "/"; a "#" or "?" before that is part of the
    password (urlsplit would cut the authority there and print the rest of it)."""
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    at = _userinfo_end(rest)
    userinfo = ""
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1:]
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        userinfo += "@"
    return f"{scheme}://{userinfo}" + _SECRET_PARAM.sub(r"\1***", rest)


def _userinfo_end(rest: str) -> int:
    """Where the user info of ``rest`` (the URL after ``://``) ends: its last "@", or -1."""
    slash = rest.find("/")
    authority = rest if slash < 0 else rest[:slash]
    if "@" in authority:
        return authority.rfind("@")
    at = rest.rfind("@")
    if at < 0 or ":" not in authority or authority.startswith("["):
        return -1
    # "u:pass/word@host": libpq reads host "u", port "pass" and a strange database name, but
    # what the user wrote is a password and must not be printed. Only "host:5432/db?user=a@b"
    # (a port, then an "@" inside the query) is left as it is.
    if authority.split(":", 1)[1].isdigit() and "?" in rest[:at]:
        return -1
    return at


def parse_store_url(url: str) -> tuple[str, str]:
    """(dialect, target): ("sqlite", file path) or ("postgresql", libpq URL)."""
    url = (url or "").strip()
    if not url:
        raise InputError("--store: empty store URL (give a file path, sqlite:///path or "
                         "postgresql://user@host:port/db)")
    if "://" not in url:
        return "sqlite", _sqlite_file(url, url)
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme == "sqlite":
        # As SQLAlchemy: sqlite:///relative/file, sqlite:////absolute/file.
        if not rest.startswith("/") or not rest[1:]:
            raise InputError(f"--store {mask_url(url)}: a SQLite URL is sqlite:///path "
                             "(sqlite:////abs/path for an absolute path)")
        return "sqlite", _sqlite_file(rest[1:], url)
    if scheme in _PG_SCHEMES:
        return "postgresql", "postgresql://" + rest
    raise InputError(f"--store {mask_url(url)}: unsupported store URL scheme '{scheme}' "
                     "(use a file path, sqlite:///path or postgresql://...)")


def _sqlite_file(path: str, url: str) -> str:
    """The file of a SQLite store. sqlite3 would take ":memory:" (or "" ) as a database that
    vanishes when dsscan exits, and a "file:" name as a URI with options: a run "stored"
    there would be lost without a word, so neither is a store."""
    if path.strip() == ":memory:" or path.startswith("file:"):
        raise InputError(f"--store {mask_url(url)}: not a file a history store can be kept "
                         "in (an in-memory database or a SQLite URI keeps nothing); give a "
                         "file path or sqlite:///path")
    return path


def open_store(url: str, *, create: bool = True, migrate_to: int | None = None,
               read_only: bool = False) -> RunStore:
    """Open (and create or upgrade) the history store at ``url``.

    ``create=False``: a store that does not exist is an InputError instead of a new empty
    database. ``read_only=True`` (for readers such as ``dsscan history``; implies
    ``create=False``): a SQLite store is opened read-only and its journal mode is left as it
    is, so someone who may read the file but not write to its directory can still read it;
    an older store is upgraded only where the reader can write to it. ``migrate_to``: stop
    at that schema version (tests and tooling only; RunStore's methods need the latest).
    """
    dialect, target = parse_store_url(url)
    create = create and not read_only
    if dialect == "sqlite":
        from dsscan.store.sqlite import SQLiteStore

        return SQLiteStore(Path(target).expanduser(), create=create, migrate_to=migrate_to,
                           read_only=read_only)
    from dsscan.store.postgres import PostgresStore

    return PostgresStore(target, mask_url(url), create=create, migrate_to=migrate_to)


def store_url(option: str | None, config_store: str | None = None) -> str:
    """The store to use: the --store option (or DSSCAN_STORE, which click reads into it),
    then the config's ``store``, then DEFAULT_STORE in the working directory."""
    import os

    for cand in (option, os.environ.get(ENV_VAR), config_store):
        if cand and cand.strip():
            return cand.strip()
    return DEFAULT_STORE
