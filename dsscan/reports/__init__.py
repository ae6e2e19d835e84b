"""Reporters: turn a ScanResult into text (table, JSON, SARIF 2.1.0, JUnit XML).

Each reporter is ``render(result, *, color=False, threshold=None) -> str`` and registers itself
here by name. Importing this package stays cheap (no rich, no I/O): the CLI imports it on every
run, and ``table`` loads rich only when asked for colour.

The helpers below are shared by every reporter so all formats agree on ordering, labels and
the ``--fail-on`` threshold.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from dsscan.findings import Finding, NotAssessed, PolicyInfo, ScanResult
from dsscan.levels import DEFAULT_SEVERITY_BY_LEVEL, RANK, SEVERITIES, SEVERITY_RANK
from dsscan.masking import _CLEAN, mask_text, mask_value

INFORMATION_URI = "https://dsscan.dev/"
REGULATION = "NFRA Data Security Management Measures (2024)"
# Highest first: the order every report lists severities in.
SEVERITY_ORDER: tuple[str, ...] = tuple(reversed(SEVERITIES))


class Reporter(Protocol):
    def __call__(self, result: ScanResult, *, color: bool = False,
                 threshold: str | None = None) -> str: ...


REPORTERS: dict[str, Reporter] = {}


def register(name: str) -> Callable[[Reporter], Reporter]:
    """Decorator: make ``render`` available as ``--format <name>``."""

    def deco(fn: Reporter) -> Reporter:
        if name in REPORTERS and REPORTERS[name] is not fn:
            raise ValueError(f"reporter '{name}' is already registered")
        REPORTERS[name] = fn
        return fn

    return deco


def get_reporter(name: str) -> Reporter:
    try:
        return REPORTERS[name]
    except KeyError:
        # Usage error (the CLI turns InputError into exit 2); imported here to keep it local.
        from dsscan.errors import InputError

        raise InputError(f"--format '{name}': expected one of "
                         f"{', '.join(sorted(REPORTERS))}") from None


# --- shared helpers -----------------------------------------------------------------------

def fail_rank(threshold: str | None) -> int | None:
    """Severity rank at or above which findings fail the run; None = no threshold.

    Accepts what ``--fail-on`` accepts: a severity, a data level (mapped with the default
    severity table; the CLI may pass the already-resolved severity instead) or ``never``.
    """
    if not threshold:
        return None
    t = threshold.strip().lower()
    if t in SEVERITY_RANK:
        return SEVERITY_RANK[t]
    if t in RANK:
        return SEVERITY_RANK[DEFAULT_SEVERITY_BY_LEVEL[t]]
    return None  # "never" or unknown: nothing is marked as failing


def failing(result: ScanResult, threshold: str | None) -> int | None:
    """How many gating findings (not waived, not in the baseline) are at or above the
    threshold (None when there is no threshold): what the exit code counts."""
    rank = fail_rank(threshold)
    if rank is None:
        return None
    return sum(1 for f in result.findings if f.gating and f.severity_rank() >= rank)


def finding_status(f: Finding) -> str:
    """"waived" (a valid waiver accepts it) or "open"."""
    return "waived" if f.waiver is not None else "open"


def waiver_label(waiver: dict[str, Any]) -> str:
    """``waived until 2027-03-31 (approved by ops-lead)``, masked, one line."""
    approver = waiver.get("approver")
    by = f" (approved by {clean(str(approver))})" if approver else " (no approver)"
    return f"waived until {clean(str(waiver.get('expires') or '?'))}{by}"


def waiver_terms(waiver: dict[str, Any]) -> str:
    """``until 2027-03-31, approved by ops-lead, waiver W-1``, masked, one line."""
    approver = waiver.get("approver")
    by = f"approved by {clean(str(approver))}" if approver else "no approver"
    return (f"until {clean(str(waiver.get('expires') or '?'))}, {by}, "
            f"waiver {clean(str(waiver.get('id') or '?'))}")


def baseline_counts(result: ScanResult) -> dict[str, int] | None:
    """{"new", "existing", "fixed"} with a baseline, else None."""
    if result.baseline_path is None:
        return None
    # Waived findings are counted under their waiver, not here: every format's baseline
    # line then agrees with its sections (a waived finding is neither "new" nor "in
    # baseline" work).
    new = sum(1 for f in result.findings if f.baseline == "new" and f.waiver is None)
    existing = sum(1 for f in result.findings if f.baseline == "existing" and f.waiver is None)
    return {"new": new, "existing": existing, "fixed": len(result.fixed)}


def sorted_findings(result: ScanResult) -> list[Finding]:
    """Severity (highest first), policy, asset, then related assets.

    The fingerprint is a function of policy, asset and sorted related assets, so it cannot
    break a tie among them: it is not computed here (two SHA-256 per finding per report)."""
    return sorted(result.findings, key=lambda f: (-f.severity_rank(), f.policy_id, f.asset_id,
                                                   tuple(sorted(f.related)), f.key))


def sorted_not_assessed(result: ScanResult) -> list[NotAssessed]:
    return sorted(result.not_assessed, key=lambda n: (n.policy_id or "", n.asset_id or "",
                                                      n.scope or "", n.reason))


def sorted_fixed(result: ScanResult) -> list[dict[str, Any]]:
    """Baseline entries no longer found: by policy, asset, fingerprint."""
    return sorted(result.fixed, key=lambda d: (str(d.get("policy_id")), str(d.get("asset_id")),
                                               str(d.get("fingerprint"))))


def sorted_policies(result: ScanResult) -> list[PolicyInfo]:
    return sorted(result.policies, key=lambda p: p.id)


def severity_counts(result: ScanResult) -> dict[str, int]:
    """Every severity, highest first, zeros included (stable keys for consumers)."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for f in result.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return counts


def asset_name(result: ScanResult, asset_id: str | None, fallback: str | None = None) -> str | None:
    if asset_id is None:
        return fallback
    info = result.assets.get(asset_id) or {}
    return info.get("name") or fallback


def finding_asset_label(result: ScanResult, f: Finding) -> str:
    return f.asset_name or asset_name(result, f.asset_id) or f.asset_id


def not_assessed_target(result: ScanResult, n: NotAssessed) -> str:
    """What was not assessed: an asset (by name), a scope, or the whole estate."""
    if n.asset_id:
        return asset_name(result, n.asset_id) or n.asset_id
    if n.scope:
        return n.scope
    return "(whole estate)"


def articles_text(articles: tuple[int, ...] | list[int]) -> str:
    return ", ".join(f"Art. {a}" for a in articles)


def clean(text: str | None) -> str:
    """Masked, single-line text for cells and attributes (third line of defence: the
    pipeline masked it already; a finding built elsewhere may not have been)."""
    return " ".join(mask_text(text or "").split())


def masked(value: Any) -> Any:
    return mask_text(value) if isinstance(value, str) else mask_value(value)


def canonical(value: Any) -> Any:
    """Dict keys sorted recursively: evidence from Rego has no guaranteed key order."""
    if isinstance(value, dict):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def canonical_masked(value: Any) -> Any:
    """``canonical(masked(value))`` in one pass: the same value, built once instead of twice.
    Keys are masked too (an evidence key can be a column or tag named after an identifier)
    and sorted as masked, so the order shows nothing of a masked key."""
    if isinstance(value, str):
        return mask_text(value)
    # Strings are masked inline: most evidence values are strings (as in mask_value).
    if isinstance(value, dict):
        items = [(mask_text(str(k)), v) for k, v in value.items()]
        items.sort(key=lambda kv: kv[0])
        return {k: mask_text(v) if type(v) is str else canonical_masked(v) for k, v in items}
    if isinstance(value, list | tuple):
        return [mask_text(v) if type(v) is str else canonical_masked(v) for v in value]
    return mask_value(value)  # numbers that are identifiers; anything else as it is


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def compact_encoder() -> Callable[[Any], str]:
    """``_COMPACT.encode`` without its set-up on every call (an encoder object and a closure,
    most of the cost of encoding a small value; a SARIF report of 100k findings makes 500k
    calls): the C encoder ``encode`` would use, with the same settings, made once per report.
    Its circular-reference markers are per report too; an error ends the report anyway."""
    make = json.encoder.c_make_encoder
    if make is None:  # no C accelerator: what encode itself would do
        return _COMPACT.encode
    c = _COMPACT
    iterencode = make({}, c.default, json.encoder.encode_basestring, c.indent, c.key_separator,
                      c.item_separator, c.sort_keys, c.skipkeys, c.allow_nan)
    join = "".join
    return lambda value: join(iterencode(value, 0))


class EncodedItems(list[str]):
    """A list whose items are JSON text already, each compact on one line: what ``to_json``
    would make of them where they are its leaves, made by a reporter that knows their shape
    and can do it faster. Only valid there (a list at depth ``expand_depth - 1``)."""


def to_json(doc: Any, expand_depth: int) -> str:
    """Indented JSON whose containers deeper than ``expand_depth`` stay on one line.

    ``json.dumps(indent=...)`` runs the pure-Python encoder (8 s for 100k findings); compact
    leaves use the C encoder, and one finding per line is also easy to grep and diff.

    Every key and value is masked as it is encoded (mask_text / mask_value): the one place a
    JSON output (the JSON and SARIF reports, a baseline) is written, so a field a reporter did
    not mask (a skipped resource type named after an ID) is masked all the same. Values the
    reporter masked already are clean texts of the cache: a set lookup each. EncodedItems
    are JSON text made by the reporter from masked fields (json_report._encoded_findings).
    """
    out: list[str] = []
    enc = compact_encoder()
    enc_str = json.encoder.encode_basestring  # what enc does with a str (ensure_ascii=False)
    key_json: dict[str, str] = {}  # the same few keys recur in every finding / SARIF result
    clean = _CLEAN

    def enc_key(k: Any) -> str:
        if type(k) is not str:  # 1, 1.0 and True are equal dict keys but encode differently
            return enc(mask_text(str(k)))
        e = key_json.get(k)
        if e is None:
            e = key_json[k] = enc_str(mask_text(k))
        return e

    def leaf(v: Any) -> str:
        return enc_str(v if v in clean else mask_text(v)) if type(v) is str else \
            enc(mask_value(v))

    def emit(value: Any, depth: int) -> None:
        pad = "  " * depth
        inner = pad + "  "
        leaves = depth + 1 == expand_depth  # the items are written compact, one per line
        if depth < expand_depth and isinstance(value, dict) and value:
            out.append("{\n")
            if leaves:  # one join instead of a Python step per item (100k findings)
                out.append(",\n".join([f"{inner}{enc_key(k)}: {leaf(v)}"
                                        for k, v in value.items()]))
                out.append("\n")
            else:
                for i, (k, v) in enumerate(value.items()):
                    out.append(f"{inner}{enc_key(k)}: ")
                    emit(v, depth + 1)
                    out.append(",\n" if i < len(value) - 1 else "\n")
            out.append(pad + "}")
        elif depth < expand_depth and isinstance(value, list) and value:
            out.append("[\n")
            if leaves:
                out.append(inner)
                out.append(f",\n{inner}".join(value if type(value) is EncodedItems
                                               else map(leaf, value)))
                out.append("\n")
            elif type(value) is EncodedItems:
                raise ValueError(f"EncodedItems at depth {depth}: its items are not leaves")
            else:
                for i, v in enumerate(value):
                    out.append(inner)
                    emit(v, depth + 1)
                    out.append(",\n" if i < len(value) - 1 else "\n")
            out.append(pad + "]")
        elif type(value) is EncodedItems and value:
            raise ValueError(f"EncodedItems at depth {depth}: its items are not leaves")
        else:
            out.append(leaf(value))

    emit(doc, 0)
    out.append("\n")  # appended, not concatenated: the report may be 100 MB
    return "".join(out)


# Register the built-in reporters. Kept at the bottom: they import the helpers above.
from dsscan.reports import html, json_report, junit, markdown, sarif, table  # noqa: E402, F401
