"""Content samplers: read a bounded sample of the data itself and hand it to the detectors.

What they read, and how little: S3 objects (``s3``), DynamoDB items (``dynamodb``), SQL tables
by SQLAlchemy URL (``sql``) and local files (``files``); ``blobs`` parses the formats the
object and file samplers share. Every read is bounded (objects, bytes, rows, items, time),
read-only, and fails closed: what could not be sampled becomes ``content.status: error`` plus
an assessment gap with aspect ``content``, never a silent pass.

Never leak: sampled values go to :class:`dsscan.detection.ContentScanner` as strings and nowhere
else. Nothing here logs, formats or raises with a value; error reasons are built from error
classes and codes (database messages are not quoted), and locations built from column names
or object keys are masked like any report text.

Modules import their heavy dependencies (boto3, SQLAlchemy, pyarrow) themselves: importing
this package costs nothing.
"""

from __future__ import annotations

from typing import Any

Asset = dict[str, Any]

# Detections handed over as plain dicts (the detectors' contract: docs/inventory.md `content`).
Detection = dict[str, Any]


def new_scanner(config: Any = None) -> Any:
    """A :class:`dsscan.detection.ContentScanner` (imported on first use)."""
    from dsscan.detection import ContentScanner

    return ContentScanner(config)


def content_block(detections: list[Detection], sample: dict[str, int], *,
                  status: str = "sampled", reason: str | None = None) -> dict[str, Any]:
    from dsscan.detection import content_block as block

    return block(detections, sample, status=status, reason=reason)


def add_content_gap(asset: Asset, reason: str) -> None:
    """Record on the asset that (part of) its content could not be sampled."""
    a = asset.setdefault("assessment", {"status": "complete", "gaps": []})
    a.setdefault("gaps", []).append({"aspect": "content", "reason": reason})
    if a.get("status") == "complete":
        a["status"] = "partial"


class Outcome:
    """What sampling one asset gave: its ``content`` block, the reasons of what could not be
    sampled (each becomes an assessment gap, aspect ``content``), facts for ``attributes``."""

    def __init__(self, content: dict[str, Any], gaps: list[str] | None = None,
                 attributes: dict[str, Any] | None = None) -> None:
        self.content = content
        self.gaps = gaps or []
        self.attributes = attributes or {}

    def apply(self, asset: Asset) -> None:
        asset["content"] = self.content
        for reason in self.gaps:
            add_content_gap(asset, reason)
        if self.attributes:
            asset.setdefault("attributes", {})["content_sampling"] = self.attributes


def error_outcome(reason: str) -> Outcome:
    """Nothing could be sampled: status ``error`` (DS-TST-002 reports it not assessed)."""
    return Outcome(content_block([], {"rows": 0, "objects": 0, "bytes": 0, "columns": 0},
                                 status="error", reason=reason), [reason])
