"""RunStore: what the history store does, written once over a tiny backend interface.

The backends (dsscan.store.sqlite, dsscan.store.postgres) only connect, migrate, run SQL and
insert rows in bulk; every query here is plain SQL that both dialects read alike (written with
``?`` placeholders, which the PostgreSQL backend turns into ``%s``).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from dsscan.errors import InputError
from dsscan.findings import ScanResult
from dsscan.masking import mask_text
from dsscan.store.gaps import Gaps
from dsscan.store.journal import SweepJournal
from dsscan.store.rows import (
    COUNT_COLUMNS,
    FINDING_COLUMNS,
    LEVEL_KEYS,
    NOT_ASSESSED_COLUMNS,
    SEVERITY_KEYS,
    STORE_COLUMNS,
    empty_counts,
    new_run_id,
    run_rows,
    store_rows,
)
from dsscan.wording import count

_RUN_COLUMNS = ("seq", "id", "started_at", "stored_at", "label", "tool_version", "inputs",
                "asset_count", "complete", "duration_s", "findings", "waived", "not_assessed")
_LATEST = re.compile(r"^latest(?:~(\d+))?$")
# Beyond any store, and within a 64-bit SQL integer (a larger LIMIT would overflow the driver).
_MAX_LIMIT = 2**62

# A writer that finds the store locked by another process (SQLite's write lock, PostgreSQL's
# migration lock) waits quietly for QUIET_WAIT_S (runs of one sweep storing together), then
# says once what it waits for and how to give up, up to DSSCAN_STORE_WAIT seconds.
WAIT_ENV = "DSSCAN_STORE_WAIT"
DEFAULT_WAIT_S = 120.0
QUIET_WAIT_S = 3.0


def wait_seconds() -> float:
    """How long a writer waits for another one: DSSCAN_STORE_WAIT, else DEFAULT_WAIT_S."""
    raw = os.environ.get(WAIT_ENV, "").strip()
    if not raw:
        return DEFAULT_WAIT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise InputError(f"{WAIT_ENV}={mask_text(raw)[:40]!r}: not a number of seconds "
                         "from 0 to 86400")
    return value


def waiting_for_lock(url: str, wait: float) -> None:
    import click

    click.echo(f"dsscan: {url}: history store is locked by another process writing to it "
               f"(another dsscan run storing its results?); waiting up to {wait:g} s for it — "
               f"press Ctrl-C to give up (set {WAIT_ENV} to wait longer or shorter)", err=True)


def still_locked(url: str, wait: float) -> InputError:
    return InputError(f"{url}: history store still locked by another process after {wait:g} "
                      f"s; nothing was written (try again when it has finished, or set "
                      f"{WAIT_ENV})")
_FINDING_COLUMNS = ("fingerprint", "policy_id", "asset_id", "asset_name", "level", "severity",
                    "status", "baseline", "message", "account", "region")


class Writer(Protocol):
    """One write transaction, as a backend hands it to RunStore."""

    def insert_run(self, run_id: str, run: dict[str, Any]) -> int: ...

    def insert_rows(self, table: str, columns: Sequence[str],
                    rows: Sequence[tuple[Any, ...]]) -> None: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...


class RunStore(SweepJournal):
    """Runs of dsscan kept for trends and diffs. Open with dsscan.store.open_store(url)."""

    dialect = ""

    def __init__(self, display_url: str) -> None:
        self.url = display_url  # password masked: safe to print

    # --- the backend interface -------------------------------------------------------------
    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Writer]:
        raise NotImplementedError

    def _is_duplicate_id(self, exc: BaseException) -> bool:
        raise NotImplementedError

    def _guard(self) -> AbstractContextManager[None]:
        """Turns the driver's errors into one-line InputErrors naming the store."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Around reading the store and using what was read: a value that does not decode or
        has the wrong type (a damaged file -- flipped bytes, a half-copied file -- or tables
        that only look like dsscan's) is one line naming the store, not an internal error.
        Only for reading: a failed write is never blamed on the file."""
        try:
            yield
        except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError,
                IndexError) as e:
            raise InputError(f"{self.url}: history store is damaged: a stored value cannot "
                             f"be read ({type(e).__name__}); restore the file from a backup, "
                             "or give --store a new one") from None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------------
    def save_run(self, result: ScanResult, *, label: str | None = None,
                 run_id: str | None = None) -> str:
        """Store one run (its row, counts, findings and not-assessed items) in one
        transaction: all of it or, on any error, nothing. Sets ``result.run_id``.
        ``run_id``: the id a sweep announced when it began (its journal goes with it)."""
        now = datetime.now(UTC)
        rows = run_rows(result, label, now)
        given = run_id
        with self._guard():
            for attempt in range(5):
                run_id = given or new_run_id(now if attempt == 0 else datetime.now(UTC))
                try:
                    with self._write() as w:
                        seq = w.insert_run(run_id, rows.run)
                        if given:
                            self._end_sweep(w, given)
                        w.insert_rows("findings", FINDING_COLUMNS,
                                      [(seq, *r) for r in rows.findings])
                        w.insert_rows("not_assessed", NOT_ASSESSED_COLUMNS,
                                      [(seq, *r) for r in rows.not_assessed])
                        w.insert_rows("run_counts", COUNT_COLUMNS,
                                      [(seq, *r) for r in rows.counts])
                        w.insert_rows("run_stores", STORE_COLUMNS,
                                      [(seq, *r) for r in rows.stores or ()])
                    break
                except Exception as e:
                    if given and self._is_duplicate_id(e):
                        raise InputError(f"run {given} is stored already in {self.url}") \
                            from None
                    # Two processes stored a run in the same millisecond and drew the same bits.
                    if attempt == 4 or not self._is_duplicate_id(e):
                        raise
        result.run_id = run_id
        return run_id

    def prune(self, before: str) -> int:
        """Delete the runs that started before ``before`` (an ISO date or time, UTC when
        it has no offset); returns how many."""
        try:
            t = datetime.fromisoformat(before)
            cutoff = (t.replace(tzinfo=UTC) if t.tzinfo is None else t).astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+05:00: before year 1 in UTC
            raise InputError(f"--prune-before '{mask_text(before)}': outside the dates "
                             "dsscan can compare (years 1 to 9999 in UTC)") from None
        except ValueError:
            raise InputError(f"--prune-before '{mask_text(before)}': not an ISO date "
                             "(e.g. 2025-01-31 or 2025-01-31T12:00:00+08:00)") from None
        cut = cutoff.isoformat(timespec="seconds")
        old = "(SELECT seq FROM runs WHERE started_at < ?)"
        with self._guard(), self._write() as w:
            for table in ("findings", "not_assessed", "run_counts", "run_stores"):
                w.execute(f"DELETE FROM {table} WHERE run_seq IN {old}", (cut,))
            self._prune_sweeps(w, cut)  # journals of sweeps never finished
            return w.execute("DELETE FROM runs WHERE started_at < ?", (cut,))

    # --- reading ---------------------------------------------------------------------------
    def count_runs(self) -> int:
        with self._guard():
            return int(self._read("SELECT COUNT(*) FROM runs")[0][0])

    def list_runs(self, limit: int = 20, *, policy: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The newest ``limit`` runs, newest first, with their counts (from run_counts:
        the findings table is never read). ``policy``: id globs; counts of findings then
        cover only the matching policies (not assessed stays the run's total)."""
        with self._guard():
            runs = self._read(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs "
                              "ORDER BY seq DESC LIMIT ?", (max(0, min(int(limit), _MAX_LIMIT)),))
            return self._with_counts(runs, tuple(policy))

    def trend(self, limit: int = 30) -> list[dict[str, Any]]:
        """The newest ``limit`` runs oldest first, in the shape of ScanResult.history."""
        return [{"run_id": r["run_id"], "started_at": r["started_at"],
                 "findings": r["findings"], "by_level": r["by_level"],
                 "by_severity": r["by_severity"], "not_assessed": r["not_assessed"]}
                for r in reversed(self.list_runs(limit))]

    def _with_counts(self, runs: list[tuple[Any, ...]],
                     policy: tuple[str, ...]) -> list[dict[str, Any]]:
        if not runs:
            return []
        seqs = [r[0] for r in runs]
        cube = self._read("SELECT run_seq, policy_id, level, severity, status, n "
                          f"FROM run_counts WHERE run_seq IN ({', '.join('?' * len(seqs))})",
                          seqs)
        pats = [p.upper() for p in policy]
        out: dict[int, dict[str, Any]] = {}
        for r in runs:
            row = dict(zip(_RUN_COLUMNS, r, strict=True))
            out[row["seq"]] = {
                "run_id": row["id"], "started_at": row["started_at"],
                "stored_at": row["stored_at"], "label": row["label"],
                "tool_version": row["tool_version"], "inputs": json.loads(row["inputs"]),
                "assets": row["asset_count"], "complete": bool(row["complete"]),
                "duration_s": row["duration_s"],
                "findings": 0 if pats else row["findings"],
                "by_level": empty_counts(LEVEL_KEYS), "by_severity": empty_counts(SEVERITY_KEYS),
                "by_policy": {}, "waived": 0 if pats else row["waived"],
                "not_assessed": row["not_assessed"],
            }
        for seq, pid, level, severity, status, n in cube:
            if pats and not any(fnmatch.fnmatchcase(pid.upper(), p) for p in pats):
                continue
            run = out[seq]
            run["by_level"][level] = run["by_level"].get(level, 0) + n
            run["by_severity"][severity] = run["by_severity"].get(severity, 0) + n
            run["by_policy"][pid] = run["by_policy"].get(pid, 0) + n
            if pats:
                run["findings"] += n
                run["waived"] += n if status == "waived" else 0
        for run in out.values():
            run["by_policy"] = dict(sorted(run["by_policy"].items()))
        return [out[s] for s in seqs]

    def resolve(self, ref: str) -> str:
        """A run's full id from: the full id, a unique prefix, ``latest`` or ``latest~N``
        (N runs before the latest). Unknown or ambiguous: InputError."""
        ref = (ref or "").strip()
        shown = mask_text(ref)
        with self._guard():
            m = _LATEST.match(ref)
            if m:
                back = int(m.group(1) or 0)
                total = self.count_runs()
                # Checked before the query: an OFFSET past a 64-bit integer would overflow.
                rows = [] if back >= total else self._read(
                    "SELECT id FROM runs ORDER BY seq DESC LIMIT 1 OFFSET ?", (back,))
                if not rows:
                    total = self.count_runs()  # again: a prune may have run meanwhile
                    if not total:
                        raise InputError(f"run '{shown}': no run stored in {self.url} yet")
                    raise InputError(f"run '{shown}': {self.url} holds only "
                                     f"{count(total, 'run')} (latest .. "
                                     f"latest~{total - 1})")
                return str(rows[0][0])
            if not ref:
                raise InputError("run reference is empty (give a run id, a prefix of one, "
                                 "'latest' or 'latest~N')")
            if self._read("SELECT id FROM runs WHERE id = ?", (ref,)):
                return ref
            rows = self._read("SELECT id FROM runs WHERE substr(id, 1, ?) = ? "
                              "ORDER BY seq DESC LIMIT 3", (len(ref), ref))
            if not rows and "*" in ref:
                # A run id as a listing showed it masked (an id stored before run ids ended
                # in letters, whose hex suffix happened to be all digits): the runs whose
                # masked id it is.
                head = ref.split("*", 1)[0]
                rows = [r for r in self._read("SELECT id FROM runs WHERE substr(id, 1, ?) = ? "
                                              "ORDER BY seq DESC", (len(head), head))
                        if mask_text(str(r[0])) == ref][:3]
        if not rows:
            raise InputError(f"unknown run '{shown}' in {self.url} (see 'dsscan history')")
        if len(rows) > 1:
            raise InputError(f"run '{shown}' is ambiguous in {self.url}: it begins "
                             f"{' and '.join(str(r[0]) for r in rows[:2])}"
                             f"{' and others' if len(rows) > 2 else ''}; give more of the id")
        return str(rows[0][0])

    def findings(self, ref: str) -> list[dict[str, Any]]:
        """One run's findings (masked as stored), ordered by policy and asset. ``account``
        and ``region`` (of the asset) are None for runs stored before schema version 3."""
        return self._findings_of(self.resolve(ref))

    def _findings_of(self, run_id: str) -> list[dict[str, Any]]:
        cols = _FINDING_COLUMNS
        with self._guard():
            rows = self._read(f"SELECT {', '.join('f.' + c for c in cols)} FROM findings f "
                              "JOIN runs r ON r.seq = f.run_seq WHERE r.id = ?", (run_id,))
        out = [dict(zip(cols, r, strict=True)) for r in rows]
        out.sort(key=lambda f: (f["policy_id"], f["asset_id"], f["fingerprint"]))
        return out

    def run_summary(self, ref: str) -> dict[str, Any]:
        """``{"run_id", "started_at", "complete", "not_assessed"}`` of one run."""
        run_id = self.resolve(ref)
        with self._guard():
            [(started, complete, not_assessed)] = self._read(
                "SELECT started_at, complete, not_assessed FROM runs WHERE id = ?", (run_id,))
        return {"run_id": run_id, "started_at": started, "complete": bool(complete),
                "not_assessed": int(not_assessed)}

    def _gaps_of(self, run_id: str) -> Gaps:
        with self._guard():
            return Gaps(self._read("SELECT n.policy_id, n.asset_id, n.scope, n.reason, "
                                   "n.account, n.region "
                                   "FROM not_assessed n JOIN runs r ON r.seq = n.run_seq "
                                   "WHERE r.id = ?", (run_id,)))

    def diff(self, a: str, b: str) -> dict[str, Any]:
        """What changed from run ``a`` to run ``b``, keyed on finding fingerprints.

        ``new``: in b only. ``fixed``: in a only, and b could assess them. ``not_assessed_in_b``:
        in a only, but b could not assess their asset (a not-assessed row for it, or for a scope
        that may hold it; each item says which, under ``gap_in_b``): not a fix (fail closed).
        ``changed_level``: in both, at another data level. ``a_run`` / ``b_run``: each run's
        id, start, completeness and number of not-assessed items, for the caller to warn."""
        run_a, run_b = self.run_summary(a), self.run_summary(b)
        old = {f["fingerprint"]: f for f in self._findings_of(run_a["run_id"])}
        new = {f["fingerprint"]: f for f in self._findings_of(run_b["run_id"])}
        gaps = self._gaps_of(run_b["run_id"])
        fixed: list[dict[str, Any]] = []
        unassessed: list[dict[str, Any]] = []
        for fp, f in old.items():
            if fp in new:
                continue
            gap = gaps.blocking(f) if gaps else None
            if gap is None:
                fixed.append(f)
            else:
                unassessed.append({**f, "gap_in_b": gap.to_dict()})
        changed = [{"fingerprint": fp, "policy_id": f["policy_id"], "asset_id": f["asset_id"],
                    "from": old[fp]["level"], "to": f["level"]}
                   for fp, f in new.items() if fp in old and old[fp]["level"] != f["level"]]
        return {
            "a_run": run_a,
            "b_run": run_b,
            "new": [f for fp, f in new.items() if fp not in old],
            "fixed": fixed,
            "not_assessed_in_b": unassessed,
            "changed_level": changed,
        }

    # --- regulatory events (dsscan.events) -------------------------------------------------
    def stores_of(self, run_id: str) -> dict[str, dict[str, Any]] | None:
        """The stores one run kept (asset id -> kind, level, level_source, approval,
        principals; masked as stored), or None for a run stored before schema version 5."""
        with self._guard():
            [(kept,)] = self._read("SELECT stores_kept FROM runs WHERE id = ?", (run_id,))
            if not kept:
                return None
            rows = self._read("SELECT s.asset_id, s.kind, s.level, s.level_source, s.approval, "
                              "s.principals FROM run_stores s JOIN runs r ON r.seq = s.run_seq "
                              "WHERE r.id = ?", (run_id,))
        out: dict[str, dict[str, Any]] = {}
        for aid, kind, level, source, approval, principals in rows:
            out[str(aid)] = {"kind": kind, "level": level, "level_source": source,
                             "approval": bool(approval),
                             "principals": None if principals is None else
                             [] if principals == "[]" else  # most stores: no JSON to parse
                             [str(p) for p in json.loads(principals)]}
        return out

    def events(self, a: str, b: str) -> dict[str, Any]:
        """Regulatory events from run ``a`` to run ``b`` (dsscan.events.events), with
        ``a`` and ``b``: the runs' full ids."""
        from dsscan.events import events

        run_a, run_b = self.resolve(a), self.resolve(b)
        out = events(self.stores_of(run_a), self.stores_of(run_b), a_run=run_a, b_run=run_b,
                     unlisted_in_a=self._gaps_of(run_a).unlisted)
        return {"a": run_a, "b": run_b, **out}

    def events_since_latest(self, result: ScanResult) -> dict[str, Any] | None:
        """Events from the latest stored run to ``result`` (not stored yet), for its reports;
        None when the store holds no run to compare with."""
        from dsscan.events import events
        from dsscan.masking import session as masking_session

        if not self.count_runs():
            return None
        run_a = self.resolve("latest")
        with masking_session():
            rows = store_rows(result.stores)
        now = None if rows is None else {
            r[0]: {"kind": r[1], "level": r[2], "level_source": r[3], "approval": r[4],
                   "principals": None if r[5] is None else [] if r[5] == "[]" else
                   json.loads(r[5])} for r in rows}
        out = events(self.stores_of(run_a), now, a_run=run_a, b_run="this scan",
                     unlisted_in_a=self._gaps_of(run_a).unlisted)
        return {"a": run_a, "b": None, **out}
