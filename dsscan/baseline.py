"""Baselines: the findings an estate already had, so that only new ones gate.

A baseline file lists finding fingerprints (policy + asset + related assets, see
``Finding.fingerprint``): independent of asset order, of message wording and of settings the
policy does not look at. With a baseline, each finding is "existing" (in the file) or "new";
only new findings count for the exit code, and baseline entries no longer found are "fixed".

Waived findings are never written to a baseline: when their waiver expires they must come back
as new findings, not hide as accepted ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsscan.errors import InputError
from dsscan.masking import comparable, mask_text, mask_value
from dsscan.masking import session as masking_session

if TYPE_CHECKING:
    from dsscan.findings import ScanResult

VERSION = 1
DEFAULT_PATH = ".dsscan-baseline.json"
_ENTRY_KEYS = ("fingerprint", "policy_id", "asset_id", "level", "severity")
_TOP_KEYS = ("dsscan_baseline", "created_at", "tool_version", "findings")
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")  # used with fullmatch: no trailing newline


@dataclass(frozen=True)
class Baseline:
    path: str
    created_at: str = ""
    tool_version: str = ""
    # fingerprint -> {"fingerprint", "policy_id", "asset_id" (masked), "level", "severity"}
    entries: dict[str, dict[str, str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self.entries


# --- writing ------------------------------------------------------------------------------------

def _entry(fingerprint: str, policy_id: str, asset_id: str, level: str,
           severity: str) -> dict[str, str]:
    # Ids are masked like in every report: a store can be named after an ID number. Matching
    # uses the fingerprint, computed from the real id, so masking costs nothing there.
    return {"fingerprint": fingerprint, "policy_id": policy_id,
            "asset_id": mask_text(asset_id), "level": level, "severity": severity}


def _write(entries: dict[str, dict[str, str]], path: str | Path, tool_version: str) -> int:
    from dsscan.atomic_write import write_atomic
    from dsscan.reports import to_json

    doc = {"dsscan_baseline": VERSION,
           "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
           "tool_version": tool_version,
           "findings": [entries[fp] for fp in sorted(entries)]}
    # One entry per line: a baseline kept in git diffs one finding per line. Every value
    # passes the masking (entries hold masked ids already; policy ids of user policies and
    # anything added later too).
    with masking_session():
        doc = mask_value(doc)
    write_atomic(path, to_json(doc, expand_depth=2))
    return len(entries)


def baseline_entries(result: ScanResult) -> dict[str, dict[str, str]]:
    """The entries a baseline of ``result`` holds: every finding that is not waived, once per
    fingerprint (a policy may report one asset twice with different messages)."""
    from dsscan.levels import SEVERITY_RANK

    out: dict[str, dict[str, str]] = {}
    for f in result.findings:
        if f.waived:
            continue
        fp = f.fingerprint
        prev = out.get(fp)
        if prev is None or SEVERITY_RANK.get(f.severity, 0) > SEVERITY_RANK.get(prev["severity"],
                                                                                  0):
            out[fp] = _entry(fp, f.policy_id, f.asset_id, f.level, f.severity)
    return out


def write_baseline(result: ScanResult, path: str | Path) -> int:
    """Write the baseline of ``result`` to ``path`` (atomically); returns how many entries."""
    from dsscan import __version__

    return _write(baseline_entries(result), path, result.tool_version or __version__)


def write_baseline_from_report(report_path: str | Path,
                               path: str | Path) -> tuple[int, int, bool]:
    """A baseline from a saved JSON report (``dsscan-report/1``): its findings carry their
    fingerprints. Returns (entries written, waived findings left out, whether the report's
    scan was complete — an incomplete one is no full picture, as with a scanned source)."""
    from dsscan import __version__

    rp = Path(report_path)
    doc = _read_json(rp, "report")
    fmt = doc.get("format") if isinstance(doc, dict) else None
    if not (isinstance(fmt, str) and fmt.startswith("dsscan-report/")):
        raise InputError(f"{rp}: not a dsscan JSON report (no 'format': 'dsscan-report/1'; "
                         "write one with --format json)")
    if fmt != "dsscan-report/1":
        raise InputError(f"{rp}: report format '{fmt}' is not supported (this dsscan reads "
                         "dsscan-report/1)")
    findings = doc.get("findings")
    if not isinstance(findings, list):
        raise InputError(f"{rp}: findings: expected a list")
    entries: dict[str, dict[str, str]] = {}
    waived = 0
    for i, f in enumerate(findings):
        if not isinstance(f, dict):
            raise InputError(f"{rp}: findings[{i}]: expected an object")
        for key in _ENTRY_KEYS:
            if not isinstance(f.get(key), str):
                raise InputError(f"{rp}: findings[{i}].{key}: expected a string")
        if not _FINGERPRINT.fullmatch(f["fingerprint"]):
            raise InputError(f"{rp}: findings[{i}].fingerprint: expected 32 hex digits")
        if f.get("status") == "waived" or f.get("waiver"):
            waived += 1
            continue
        entries.setdefault(f["fingerprint"], _entry(
            f["fingerprint"], f["policy_id"], f["asset_id"], f["level"], f["severity"]))
    tool = doc.get("tool")
    version = tool.get("version") if isinstance(tool, dict) else None
    summary = doc.get("summary")
    complete = not (isinstance(summary, dict) and summary.get("complete") is False)
    n = _write(entries, path, version if isinstance(version, str) else __version__)
    return n, waived, complete


# --- reading ------------------------------------------------------------------------------------

def _read_json(p: Path, what: str) -> Any:
    from dsscan.inputs import load_json

    return load_json(p, f"{what} file")


def _shown(value: Any) -> str:
    """A value from the file in a message: masked, one line, bounded."""
    text = " ".join(mask_text(json.dumps(value, ensure_ascii=False, default=str)).split())
    return text if len(text) <= 40 else text[:39] + "…"


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline file; anything unreadable or malformed is an InputError naming it."""
    p = Path(path)
    doc = _read_json(p, "baseline")
    if not isinstance(doc, dict) or "dsscan_baseline" not in doc:
        raise InputError(f"{p}: not a dsscan baseline (no 'dsscan_baseline' version; write one "
                         "with 'dsscan baseline create')")
    version = doc["dsscan_baseline"]
    if type(version) is not int or version != VERSION:
        raise InputError(f"{p}: baseline version {_shown(version)} is not supported (this "
                         f"dsscan reads version {VERSION})")
    unknown = sorted(k for k in doc if k not in _TOP_KEYS)
    if unknown:
        raise InputError(f"{p}: unknown key '{mask_text(unknown[0])}' "
                         f"(known: {', '.join(_TOP_KEYS)})")
    for key in ("created_at", "tool_version"):
        if not isinstance(doc.get(key, ""), str):
            raise InputError(f"{p}: {key}: expected a string")
    findings = doc.get("findings")
    if not isinstance(findings, list):
        raise InputError(f"{p}: findings: expected a list")
    entries: dict[str, dict[str, str]] = {}
    for i, e in enumerate(findings):
        if not isinstance(e, dict):
            raise InputError(f"{p}: findings[{i}]: expected an object")
        for key in _ENTRY_KEYS:
            if not isinstance(e.get(key), str):
                raise InputError(f"{p}: findings[{i}].{key}: expected a string")
        extra = sorted(k for k in e if k not in _ENTRY_KEYS)
        if extra:
            raise InputError(f"{p}: findings[{i}]: unknown key '{mask_text(str(extra[0]))}' "
                             f"(known: {', '.join(_ENTRY_KEYS)})")
        if not _FINGERPRINT.fullmatch(e["fingerprint"]):
            raise InputError(f"{p}: findings[{i}].fingerprint: expected 32 hex digits")
        # The id masked again: a hand-edited file is input like any other.
        entries.setdefault(e["fingerprint"], {**{k: e[k] for k in _ENTRY_KEYS},
                                              "asset_id": mask_text(e["asset_id"])})
    return Baseline(path=str(p), created_at=doc.get("created_at", ""),
                    tool_version=doc.get("tool_version", ""), entries=entries)


# --- applying -----------------------------------------------------------------------------------

def apply_baseline(result: ScanResult, baseline: Baseline) -> None:
    """Mark each finding "existing" or "new" and list the baseline entries now fixed.

    An entry counts as fixed only when this run could have found it again (fail closed: what
    was not assessed is never a pass): its policy was evaluated, its asset was not "not
    assessed" for that policy, and -- when the asset is gone from the inventory -- no whole
    scope (account, region, service) was unreadable, since the asset could be in it.
    """
    current = set()
    for f in result.findings:
        fp = f.fingerprint
        current.add(fp)
        f.baseline = "existing" if fp in baseline.entries else "new"

    evaluated = {p.id for p in result.policies}
    # Masked ids are compared without the ~N that keeps two ids apart within one output: that
    # suffix can differ from the run that wrote the baseline, and two ids that meet without it
    # err towards "not fixed" (fail closed), never towards "fixed".
    present = {comparable(mask_text(a)) for a in result.assets}
    unassessed: set[tuple[str, str | None]] = set()  # (masked asset id, policy id or None=all)
    scope_gap = False
    for n in result.not_assessed:
        if n.asset_id is None:
            scope_gap = True
        else:
            unassessed.add((comparable(mask_text(n.asset_id)), n.policy_id))

    fixed = []
    for fp, e in baseline.entries.items():
        if fp in current or e["policy_id"] not in evaluated:
            continue
        aid = e["asset_id"]
        key = comparable(aid)
        if (key, None) in unassessed or (key, e["policy_id"]) in unassessed:
            continue
        if key not in present and scope_gap:
            continue
        fixed.append({"fingerprint": fp, "policy_id": e["policy_id"], "asset_id": aid,
                      "level": e["level"]})
    fixed.sort(key=lambda d: (d["policy_id"], d["asset_id"], d["fingerprint"]))
    result.fixed = fixed
    result.baseline_path = baseline.path


__all__ = ["DEFAULT_PATH", "Baseline", "apply_baseline", "baseline_entries", "load_baseline",
           "write_baseline", "write_baseline_from_report"]
