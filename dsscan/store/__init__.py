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
from urllib.parse import urlsplit, urlunsplit

from dsscan.errors import InputError
from dsscan.store.base import RunStore

__all__ = ["DEFAULT_STORE", "RunStore", "mask_url", "open_store", "parse_store_url",
           "store_url"]

# Where runs go when neither --store, DSSCAN_STORE nor the config name a store.
DEFAULT_STORE = ".dsscan/history.sqlite"
ENV_VAR = "DSSCAN_STORE"

_PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg")
_SECRET_PARAM = re.compile(r"(?i)((?:^|&)password=)[^&]*")


def mask_url(url: str) -> str:
    """``url`` safe to print: the password (in the authority or a password= parameter)
    replaced by ***. (Not mask_text: the URL is the user's own setting, not asset data, and
    e-mail masking would mangle user@host.)"""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"://[^/@]*@", "://***@", url)
    netloc = parts.netloc
    if "@" in netloc:
        auth, _, host = netloc.rpartition("@")
        if ":" in auth:
            auth = auth.split(":", 1)[0] + ":***"
        netloc = f"{auth}@{host}"
    query = _SECRET_PARAM.sub(r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def parse_store_url(url: str) -> tuple[str, str]:
    """(dialect, target): ("sqlite", file path) or ("postgresql", libpq URL)."""
    url = (url or "").strip()
    if not url:
        raise InputError("--store: empty store URL (give a file path, sqlite:///path or "
                         "postgresql://user@host:port/db)")
    if "://" not in url:
        return "sqlite", url
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme == "sqlite":
        # As SQLAlchemy: sqlite:///relative/file, sqlite:////absolute/file.
        if not rest.startswith("/") or not rest[1:]:
            raise InputError(f"--store {mask_url(url)}: a SQLite URL is sqlite:///path "
                             "(sqlite:////abs/path for an absolute path)")
        return "sqlite", rest[1:]
    if scheme in _PG_SCHEMES:
        return "postgresql", "postgresql://" + rest
    raise InputError(f"--store {mask_url(url)}: unsupported store URL scheme '{scheme}' "
                     "(use a file path, sqlite:///path or postgresql://...)")


def open_store(url: str, *, create: bool = True, migrate_to: int | None = None) -> RunStore:
    """Open (and create or upgrade) the history store at ``url``.

    ``create=False`` (for readers such as ``dsscan history``): a store that does not exist is
    an InputError instead of a new empty database. ``migrate_to``: stop at that schema
    version (tests and tooling only; RunStore's methods need the latest).
    """
    dialect, target = parse_store_url(url)
    if dialect == "sqlite":
        from dsscan.store.sqlite import SQLiteStore

        return SQLiteStore(Path(target).expanduser(), create=create, migrate_to=migrate_to)
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
