"""The sample of a bucket or directory, object by object: what was read, skipped or failed,
and the content block and gaps it comes to."""

from __future__ import annotations

from collections import Counter
from typing import Any

from dsscan.scanners.sampling import Detection, Outcome, content_block
from dsscan.scanners.sampling.blobs import BlobSample


class SampleTally:
    """The sample of a bucket or directory, object by object, and its outcome."""

    def __init__(self, what: str = "objects") -> None:
        self.what = what
        self.detections: list[Detection] = []
        self.rows = self.bytes = self.columns = self.objects = self.tried = 0
        self.failed: Counter[str] = Counter()  # read errors
        self.unreadable: Counter[str] = Counter()  # data not read (bounds, malformed)
        self.skipped: Counter[str] = Counter()  # not data (media, empty, archived)

    def add(self, res: BlobSample) -> None:
        self.tried += 1
        self.bytes += res.bytes
        if res.skipped is not None:
            kind, why = res.skipped
            (self.unreadable if kind == "unreadable" else self.skipped)[why] += 1
            return
        if res.partial:
            self.unreadable[res.partial] += 1
        self.objects += 1
        self.rows += res.rows
        self.columns += res.columns
        self.detections += res.detections

    def fail(self, why: str) -> None:
        self.tried += 1
        self.failed[why] += 1

    def outcome(self, listed: int, attributes: dict[str, Any]) -> Outcome:
        sample = {"rows": self.rows, "objects": self.objects, "bytes": self.bytes,
                  "columns": self.columns}
        if self.skipped:
            attributes[f"{self.what}_skipped"] = dict(sorted(self.skipped.items()))
        n, what = self.tried, self.what
        gaps = [f"{why} ({count} of {n} sampled {what})"
                for why, count in sorted(self.failed.items())]
        gaps += [f"{count} of {n} sampled {what} could not be read in full ({why})"
                 for why, count in sorted(self.unreadable.items())]
        if self.objects == 0 and gaps:
            return Outcome(content_block([], sample, status="error", reason="; ".join(gaps)),
                           gaps, attributes)
        if self.objects == 0 and listed:  # only folders, media, archives: nothing to judge
            why = ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items()))
            return Outcome(content_block([], sample, status="not_sampled",
                                         reason=f"no data {what} to sample ({why})"),
                           [], attributes)
        return Outcome(content_block(self.detections, sample), gaps, attributes)
