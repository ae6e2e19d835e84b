"""The asset's ``content`` field (inventory schema ``content``) from detection records."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from dsscan.masking import mask_text

STATUSES = ("sampled", "error", "not_sampled")
_SAMPLE_KEYS = ("rows", "objects", "bytes", "columns")
_COUNTS = ("unmasked", "masked", "tokenized", "sampled")
_MAX_EVIDENCE = 3


def content_block(detections: list[dict], sample: dict, *, status: str = "sampled",
                  reason: str | None = None) -> dict:
    """``{status, reason?, sample, detections, sampled_at}``; detections of the same detector
    and location are merged (counts summed, best score, first three examples)."""
    if status not in STATUSES:
        raise ValueError(f"content status must be one of {', '.join(STATUSES)}")
    out_sample: dict[str, int] = {}
    for key in _SAMPLE_KEYS:
        v = sample.get(key)
        if v is None:
            continue
        if type(v) is not int or v < 0:
            raise ValueError(f"content sample.{key} must be a non-negative integer")
        out_sample[key] = v
    merged: dict[tuple[str, str | None], dict[str, Any]] = {}
    for d in detections:
        key = (d["detector"], d.get("location"))
        cur = merged.get(key)
        if cur is None:
            merged[key] = cur = {"detector": d["detector"]}
            if d.get("location") is not None:
                cur["location"] = d["location"]
            for c in _COUNTS:
                cur[c] = 0
            cur["score"] = 0.0
            cur["evidence"] = []
        for c in _COUNTS:
            cur[c] += int(d.get(c) or 0)
        cur["score"] = max(cur["score"], float(d.get("score") or 0.0))
        for e in d.get("evidence") or ():
            # Second line of defence: evidence from elsewhere is masked again.
            e = mask_text(str(e))
            if len(cur["evidence"]) < _MAX_EVIDENCE and e not in cur["evidence"]:
                cur["evidence"].append(e)
    block: dict[str, Any] = {"status": status}
    if reason is not None:
        block["reason"] = mask_text(reason)
    block["sample"] = out_sample
    block["detections"] = list(merged.values())
    block["sampled_at"] = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return block

