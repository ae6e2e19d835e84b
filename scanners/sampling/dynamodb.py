"""DynamoDB: a bounded Scan of a table (opt-in: ``--sample-data``; dynamodb:Scan reads data).

At most ``items`` items: the first page (at most 1 MB, DynamoDB's own limit) of each of three
parallel-scan segments, eventually consistent (half the read capacity of a strongly
consistent scan). The low-level client is used on purpose: it gives numbers (``N``) as the
text DynamoDB stores, so an 18-digit ID kept as a number keeps every digit. Attributes are
scanned per path (``table.attr``, ``table.map.key``, ``table.list[]``); binary attributes
are skipped.
"""

from __future__ import annotations

import math
from typing import Any

from dsscan.masking import mask_text
from dsscan.scanners.aws.failures import READ_ERRORS, reason
from dsscan.scanners.sampling import Outcome, content_block, error_outcome

_MAX_PATHS = 256


def _flatten(value: dict[str, Any], path: str, out: dict[str, list[str | None]]) -> None:
    if not isinstance(value, dict) or len(value) != 1:
        return
    ((kind, v),) = value.items()
    if kind in ("S", "N"):
        _add(out, path, v)
    elif kind in ("SS", "NS"):
        for x in v:
            _add(out, path, x)
    elif kind == "M":
        for k, x in v.items():
            _flatten(x, f"{path}.{k}", out)
    elif kind == "L":
        for x in v:
            _flatten(x, f"{path}[]", out)
    elif kind == "NULL":
        _add(out, path, None)
    # B, BS, BOOL: nothing the detectors read


def _add(out: dict[str, list[str | None]], path: str, value: str | None) -> None:
    col = out.get(path)
    if col is None:
        if len(out) >= _MAX_PATHS:
            return
        col = out[path] = []
    col.append(value)


def sample_table(client: Any, table: str, items: int, scanner: Any,
                 segments: int = 3) -> Outcome:
    """Scan at most ``items`` items of ``table`` through the low-level ``client``: the first
    page of each of ``segments`` parallel-scan segments, so the sample spreads over the key
    space. Never a follow-up page: an ``ExclusiveStartKey`` would carry an item's key (which
    may be an ID number) into the request and the call log."""
    columns: dict[str, list[str | None]] = {}
    segments = max(1, min(segments, items))
    per = math.ceil(items / segments)
    got = 0
    gaps: list[str] = []
    for seg in range(segments):
        if got >= items:
            break
        params: dict[str, Any] = {"TableName": table, "Limit": min(per, items - got)}
        if segments > 1:
            params.update(Segment=seg, TotalSegments=segments)
        try:
            page = client.scan(**params)
        except READ_ERRORS as e:
            if got == 0 and seg == 0:
                return error_outcome(reason(e, "dynamodb", "Scan"))
            # What was read is judged; the rest of the bounded sample is a gap.
            gaps.append(f"{reason(e, 'dynamodb', 'Scan')} after {got} items")
            break
        for item in (page.get("Items") or [])[:items - got]:
            got += 1
            for name, value in item.items():
                _flatten(value, name, columns)
    detections: list[dict[str, Any]] = []
    for path, values in columns.items():
        safe = mask_text(path)[:80]
        detections += scanner.scan_column(f"{table}.{safe}", values, name=safe)
    return Outcome(content_block(detections, {"rows": got, "columns": len(columns)}),
                   gaps, attributes={"segments": segments})
