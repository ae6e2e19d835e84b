"""A ScanResult as the rows the store keeps: masked, counted once, the same for every backend.

Every text that came from an asset or a finding goes through mask_text here, before any
backend sees it: an asset id, name, scope or message may hold an identifier (a bucket named
after a resident ID number), and the store must never hold one in clear.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dsscan.findings import ScanResult
from dsscan.levels import LEVELS, SEVERITIES, UNCLASSIFIED
from dsscan.masking import mask_text
from dsscan.masking import session as masking_session

# Highest first, as every report lists them.
LEVEL_KEYS: tuple[str, ...] = (*reversed(LEVELS), UNCLASSIFIED)
SEVERITY_KEYS: tuple[str, ...] = tuple(reversed(SEVERITIES))

FINDING_COLUMNS = ("run_seq", "fingerprint", "policy_id", "asset_id", "asset_name", "level",
                   "severity", "status", "baseline", "message", "account", "region")
NOT_ASSESSED_COLUMNS = ("run_seq", "policy_id", "asset_id", "scope", "reason", "account", "region",
                        "service", "operation")
COUNT_COLUMNS = ("run_seq", "policy_id", "level", "severity", "status", "baseline", "n")
STORE_COLUMNS = ("run_seq", "asset_id", "kind", "level", "level_source", "approval",
                 "principals")


@dataclass
class RunRows:
    run: dict[str, Any]  # the runs row, without seq and id
    findings: list[tuple[Any, ...]]  # FINDING_COLUMNS without run_seq
    not_assessed: list[tuple[Any, ...]]  # NOT_ASSESSED_COLUMNS without run_seq
    counts: list[tuple[Any, ...]]  # COUNT_COLUMNS without run_seq
    # STORE_COLUMNS without run_seq (dsscan.events); None: the result has no store facts
    stores: list[tuple[Any, ...]] | None = None


_ID_LOCK = threading.Lock()
_last_id: list[int] = [0, 0]  # [ms since the epoch, suffix < 26**7] of this process's last id


_SUFFIX_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _letters(n: int) -> str:
    """``n`` (< 26**7) as 7 letters, a..z, most significant first: sorts as the number does."""
    out = []
    for _ in range(7):
        n, r = divmod(n, 26)
        out.append(_SUFFIX_LETTERS[r])
    return "".join(reversed(out))


def new_run_id(now: datetime) -> str:
    """Sortable by time of storing (to the millisecond), unique by 31 random bits. Within one
    process ids also sort in the order they were made: a second id in the same millisecond
    takes the previous suffix + 1 (as ULIDs do), not a new random one.

    The suffix is written in letters, never digits: a hex suffix that happened to be all
    decimal ("-851-03289783") made the id end in a 17-digit chain the output masker must
    treat as a possible identifier, and a report showed a run id nobody could paste back.
    Ids stored before (hex suffix) are still read and resolved as they are."""
    ms = int(now.timestamp() * 1000)
    with _ID_LOCK:
        last_ms, last_suffix = _last_id
        if ms > last_ms:
            suffix = secrets.randbits(31)  # 31: room to count up in the same millisecond
        elif last_suffix < 26 ** 7 - 1:
            ms, suffix = last_ms, last_suffix + 1
        else:
            ms, suffix = last_ms + 1, secrets.randbits(31)
        _last_id[:] = [ms, suffix]
    t = datetime.fromtimestamp(ms / 1000, UTC)
    return f"r{t:%Y%m%d-%H%M%S}-{t.microsecond // 1000:03d}-{_letters(suffix)}"


def utc_text(value: str | None, fallback: datetime) -> str:
    """ISO 8601 in UTC to the second, so text order is time order in both dialects."""
    if value:
        try:
            t = datetime.fromisoformat(value)
        except ValueError:
            t = fallback
        else:
            t = t.replace(tzinfo=UTC) if t.tzinfo is None else t
    else:
        t = fallback
    return t.astimezone(UTC).isoformat(timespec="seconds")


def _m(text: Any) -> str | None:
    return None if text is None else mask_text(str(text))


def run_rows(result: ScanResult, label: str | None, now: datetime) -> RunRows:
    # One masking session (the command's, when there is one): an asset id is masked the same
    # in each of its rows, and two ids never share a masked form.
    with masking_session():
        return _run_rows(result, label, now)


def _run_rows(result: ScanResult, label: str | None, now: datetime) -> RunRows:
    findings: list[tuple[Any, ...]] = []
    cube: Counter[tuple[str, str, str, str, str]] = Counter()
    waived = 0
    for f in result.findings:
        level = f.level or UNCLASSIFIED
        status = "waived" if f.waiver is not None else "open"
        waived += status == "waived"
        policy = mask_text(f.policy_id)
        # Where the asset is (for diff: was it in a scope the next run could not read?).
        where = result.assets.get(f.asset_id) or {}
        findings.append((f.fingerprint, policy, mask_text(f.asset_id), _m(f.asset_name), level,
                         f.severity, status, f.baseline, mask_text(f.message or ""),
                         _m(where.get("account") or None), _m(where.get("region") or None)))
        cube[(policy, level, f.severity, status, f.baseline or "")] += 1
    # A scope's place is masked as the findings' account and region are: compared as stored.
    not_assessed = [(_m(n.policy_id), _m(n.asset_id), _m(n.scope), mask_text(n.reason or ""),
                     _m(n.account), _m(n.region), _m(n.service), _m(n.operation))
                    for n in result.not_assessed]
    from dsscan import __version__

    run = {
        "started_at": utc_text(result.started_at, now),
        "stored_at": now.isoformat(timespec="seconds"),
        "tool_version": result.tool_version or __version__,
        "inputs": json.dumps([mask_text(str(i)) for i in result.inputs], ensure_ascii=False),
        "asset_count": int(result.asset_count),
        "complete": not result.not_assessed,
        "duration_s": float(result.duration_s or 0.0),
        "findings": len(findings),
        "not_assessed": len(not_assessed),
        "label": _m(label),
        "waived": waived,
        "stores_kept": result.stores is not None,
    }
    counts = [(*key, n) for key, n in sorted(cube.items())]
    return RunRows(run, findings, not_assessed, counts, store_rows(result.stores))


def store_rows(stores: dict[str, dict[str, Any]] | None) -> list[tuple[Any, ...]] | None:
    """dsscan.events.store_facts as run_stores rows, masked as every asset id the store
    keeps (call within the masking session of the run's other rows)."""
    if stores is None:
        return None
    # Kinds, levels and level sources are dsscan's own words: masked (once per distinct
    # value) only in case one is not; a principal recurs across stores (a vendor's account):
    # masked once too. ~100k stores per run in a large estate.
    words: dict[Any, str | None] = {None: None}
    masked: dict[str, str] = {}

    def word(v: Any) -> str | None:
        if v not in words:
            words[v] = _m(v)
        return words[v]

    def principal(p: Any) -> str:
        key = str(p)
        if key not in masked:
            masked[key] = mask_text(key)
        return masked[key]

    out = []
    for aid, s in sorted(stores.items()):
        principals = s.get("principals")
        text = (None if principals is None else "[]" if not principals else
                json.dumps(sorted(principal(p) for p in principals), ensure_ascii=False))
        out.append((mask_text(aid), word(s.get("kind")), word(s.get("level")) or UNCLASSIFIED,
                    word(s.get("level_source")), bool(s.get("approval")), text))
    return out


def empty_counts(keys: tuple[str, ...]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)

# The run row, in the column order both backends insert (qmark style; PostgreSQL converts).
RUN_FIELDS = ("started_at", "stored_at", "tool_version", "inputs", "asset_count", "complete",
              "duration_s", "findings", "not_assessed", "label", "waived", "stores_kept")
RUN_INSERT = (f"INSERT INTO runs (id, {', '.join(RUN_FIELDS)}) "
              f"VALUES ({', '.join('?' * (len(RUN_FIELDS) + 1))})")
