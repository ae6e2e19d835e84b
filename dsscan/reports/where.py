"""Where a finding's sensitive data is, and masked examples of it, for the human reports.

One reader of a finding's structured evidence for the table, HTML and Markdown reports (the
JSON and SARIF reports carry the evidence whole): content detections
(``evidence.detections[] {detector, location, unmasked, examples}``, docs/policies.md) become
``Place`` rows. The message text is never parsed: a policy's wording may change, its
evidence fields are its contract. Every text is masked here (``clean``), whatever the
evidence says — examples are masked by the detectors already; a location can hold an object
key or a column named after an identifier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dsscan.findings import Finding
from dsscan.reports import clean

# Kinds whose detection locations are object keys / file paths (``key#column`` for
# structured formats, the key alone for text); other kinds' locations are column paths
# (``schema.table.column``, ``table.attribute``). docs/sampling.md, "Formats".
_OBJECT_KINDS = frozenset({"object_store", "file_system"})
MAX_EXAMPLES = 3  # what the detectors keep per location (dsscan.detection.tally)


@dataclass(frozen=True)
class Place:
    detector: str  # what was found there: "prc_resident_id"
    object: str  # object key / file path ("" for a database column)
    column: str  # column / key path / attribute ("" for a text object)
    unmasked: int
    examples: tuple[str, ...]  # masked
    log: bool = False  # a log group's sampled events (DS-PII-001): no object, no column

    @property
    def where(self) -> str:
        """"object exports/c.csv, column id_number" / "column public.customers.id"."""
        if self.log:
            return "log events"
        parts = [f"object {self.object}" if self.object else "",
                 f"column {self.column}" if self.column else ""]
        return ", ".join(p for p in parts if p) or "(location not recorded)"

    @property
    def text(self) -> str:
        """One line: where, what, how many, examples."""
        what = f"{self.detector}, {self.unmasked} unmasked" if self.detector else \
            f"{self.unmasked} unmasked"
        line = f"{self.where} ({what})"
        if self.examples:
            line += ": e.g. " + "; ".join(self.examples)
        return line


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def _split(location: str, kind: str | None) -> tuple[str, str]:
    if "#" in location:
        obj, _, col = location.partition("#")
        return obj, col
    if kind in _OBJECT_KINDS:
        return location, ""
    return "", location


def places(f: Finding) -> tuple[Place, ...]:
    """The finding's content detections, as recorded (policy order), masked."""
    ev = f.evidence if isinstance(f.evidence, dict) else {}
    dets = ev.get("detections")
    if not isinstance(dets, list):
        return ()
    out = []
    for d in dets:
        if not isinstance(d, dict):
            continue
        loc = d.get("location")
        obj, col = _split(loc, f.asset_kind) if isinstance(loc, str) and loc else ("", "")
        ex = d.get("examples")
        examples: Iterable[Any] = ex if isinstance(ex, list) else ()
        out.append(Place(detector=clean(str(d.get("detector") or "")), object=clean(obj),
                         column=clean(col), unmasked=_int(d.get("unmasked")),
                         examples=tuple(clean(str(e)) for e in examples
                                        if isinstance(e, str | int))[:MAX_EXAMPLES],
                         log=f.asset_kind == "log_sink"))
    return tuple(out)


def places_text(f: Finding) -> list[str]:
    """``Place.text`` of each place: the lines the text formats print under a finding."""
    return [p.text for p in places(f)]


__all__ = ["Place", "places", "places_text"]
