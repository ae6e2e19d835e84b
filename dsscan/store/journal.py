"""The sweep journal (schema version 6): the shards of a sweep that finished, kept as they
finish so that an interrupted sweep is resumed (``--resume RUN``) without reading them again.
A mixin of RunStore: the same SQL on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from dsscan.errors import InputError


class SweepJournal:
    url: str

    # RunStore's backend interface
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _guard(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def begin_sweep(self, run_id: str, options: str) -> None:
        """Record a new sweep whose run will be stored as ``run_id``."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._guard(), self._write() as w:
            w.execute("INSERT INTO sweeps (run_id, options, started_at) VALUES (?, ?, ?)",
                      (run_id, options, now))

    def resume_sweep(self, run_id: str, options: str) -> dict[str, bytes | None]:
        """The finished shards of the interrupted sweep ``run_id`` (shard -> its result,
        None: read it again). A sweep this store does not know, one stored already, or one
        started with other options is a usage error."""
        with self._guard():
            got = self._read("SELECT options FROM sweeps WHERE run_id = ?", (run_id,))
            if not got:
                stored = self._read("SELECT 1 FROM runs WHERE id = ?", (run_id,))
                raise InputError(
                    f"--resume {run_id}: " + ("that run finished and is stored already "
                                              "(dsscan history)" if stored else
                                              f"no interrupted sweep of that id in {self.url}"))
            if got[0][0] != options:
                raise InputError(f"--resume {run_id}: the sweep was started with other "
                                 "accounts, regions, services or sampling options; give the "
                                 "same ones, or start a new sweep without --resume")
            rows = self._read("SELECT shard, result FROM sweep_shards WHERE run_id = ?",
                              (run_id,))
        return {str(k): None if v is None else bytes(v) for k, v in rows}

    def journal_shard(self, run_id: str, shard: str, result: bytes | None) -> None:
        """A shard of ``run_id`` finished; ``result`` None: it must be read again on resume."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._guard(), self._write() as w:
            w.execute("DELETE FROM sweep_shards WHERE run_id = ? AND shard = ?",
                      (run_id, shard))
            w.execute("INSERT INTO sweep_shards (run_id, shard, result, done_at) "
                      "VALUES (?, ?, ?, ?)", (run_id, shard, result, now))

    @staticmethod
    def _end_sweep(w: Any, run_id: str) -> None:
        w.execute("DELETE FROM sweep_shards WHERE run_id = ?", (run_id,))
        w.execute("DELETE FROM sweeps WHERE run_id = ?", (run_id,))

    @staticmethod
    def _prune_sweeps(w: Any, cut: str) -> None:
        old = "(SELECT run_id FROM sweeps WHERE started_at < ?)"
        w.execute(f"DELETE FROM sweep_shards WHERE run_id IN {old}", (cut,))
        w.execute("DELETE FROM sweeps WHERE started_at < ?", (cut,))


class Journal:
    """A run's place in its history store, offered to a scanner that can journal its work
    (the sharded AWS sweep): the store, and the id the run will be stored under -- a new one,
    or the interrupted sweep's when the scanner resumes it (``resumed``)."""

    def __init__(self, store: SweepJournal, run_id: str) -> None:
        self.store, self.run_id = store, run_id
        self.used = False  # a scanner journaled into it: the run is stored as run_id
        self.done: dict[str, bytes | None] = {}  # shards finished (resume_sweep)


_current: ContextVar[Journal | None] = ContextVar("dsscan_journal", default=None)


def current() -> Journal | None:
    """The journal of the run reading its inventory now (None: no history store)."""
    return _current.get()


@contextmanager
def journaling(journal: Journal | None) -> Iterator[None]:
    token = _current.set(journal)
    try:
        yield
    finally:
        _current.reset(token)
