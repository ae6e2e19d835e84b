"""Machine-readable report, format ``dsscan-report/1``.

Sorted deterministically (findings: severity desc, policy, asset) so two runs over the same
estate diff cleanly; keys inside evidence are sorted for the same reason.
"""

from __future__ import annotations

import json
from typing import Any

from dsscan.findings import Finding, ScanResult
from dsscan.levels import SEVERITIES
from dsscan.reports import (
    INFORMATION_URI,
    EncodedItems,
    asset_name,
    baseline_counts,
    canonical_masked,
    compact_encoder,
    fail_rank,
    failing,
    finding_status,
    masked,
    register,
    severity_counts,
    sorted_findings,
    sorted_fixed,
    sorted_not_assessed,
    sorted_policies,
    to_json,
)

FORMAT = "dsscan-report/1"


def build(result: ScanResult, threshold: str | None = None) -> dict[str, Any]:
    """The report as a dict (also used by tests and by anything that embeds it)."""
    return _document(result, threshold, [_finding(f) for f in sorted_findings(result)])


def _finding(f: Finding) -> dict[str, Any]:
    d = f.to_dict()
    # Ids and names are masked too: a store can be named after an ID number.
    for k in ("policy_id", "title", "remediation"):  # a policy of one's own can quote anything
        d[k] = masked(d[k])
    d["asset_id"] = masked(d["asset_id"])
    d["asset_name"] = _masked_or_none(d["asset_name"])
    d["asset_kind"] = _masked_or_none(d["asset_kind"])
    d["related"] = [masked(r) for r in d["related"]]
    d["message"] = masked(d["message"])
    d["evidence"] = canonical_masked(d["evidence"])
    d["location"] = canonical_masked(d["location"])
    d["status"] = finding_status(f)
    d["waiver"] = canonical_masked(f.waiver) if f.waiver is not None else None
    d["baseline"] = f.baseline
    return d


def _encoded_findings(findings: list[Finding]) -> EncodedItems:
    """``[enc(_finding(f)) for f in findings]`` with enc the compact encoder of to_json, made
    without the dicts: the C encoder only for the values that need it, and what all findings
    of a policy share (title, articles, remediation) encoded once, not 100k times. Half the
    time of the report at 100k findings. Keys and their order are those of Finding.to_dict;
    tests/test_reports.py pins the result to the general path."""
    enc = compact_encoder()
    enc_str = json.encoder.encode_basestring  # = enc for a str

    def value(v: Any) -> str:
        return enc_str(v) if type(v) is str else enc(v)

    shared: dict[tuple[Any, ...], tuple[str, str]] = {}  # -> the text before/after asset_id
    out = EncodedItems()
    for f in findings:
        key = (f.policy_id, f.title, f.articles, f.severity, f.level, f.remediation)
        # Shared only between plain str/int values: 1, 1.0 and True are equal keys.
        plain = (type(f.policy_id) is type(f.title) is type(f.severity) is type(f.level)
                 is type(f.remediation) is str and type(f.articles) is tuple
                 and {*map(type, f.articles)} <= _INT)
        head = shared.get(key) if plain else None
        if head is None:
            head = (f'{{"policy_id": {value(masked(f.policy_id))}, '
                    f'"title": {value(masked(f.title))}, '
                    f'"articles": {enc(list(f.articles))}, "severity": {value(f.severity)}, '
                    f'"level": {value(f.level)}, "asset_id": ',
                    f', "remediation": {value(masked(f.remediation))}, "evidence": ')
            if plain:
                shared[key] = head
        # Ids and names are masked too: a store can be named after an ID number.
        aid, name, kind, msg = (masked(f.asset_id), _masked_or_none(f.asset_name),
                                _masked_or_none(f.asset_kind), masked(f.message))
        out.append(f'{head[0]}{enc_str(aid) if type(aid) is str else enc(aid)}, '
                   f'"asset_name": {enc_str(name) if type(name) is str else enc(name)}, '
                   f'"asset_kind": {enc_str(kind) if type(kind) is str else enc(kind)}, '
                   f'"related": {enc([masked(r) for r in f.related])}, '
                   f'"message": {enc_str(msg) if type(msg) is str else enc(msg)}{head[1]}'
                   f'{enc(canonical_masked(f.evidence))}, '
                   f'"location": {enc(canonical_masked(f.location))}, '
                   f'"fingerprint": {value(f.fingerprint)}, '
                   f'"status": {enc_str(finding_status(f))}, '
                   f'"waiver": {_NULL if f.waiver is None else enc(canonical_masked(f.waiver))}, '
                   f'"baseline": {_NULL if f.baseline is None else value(f.baseline)}}}')
    return out


_INT = {int}
_NULL = "null"


def _masked_or_none(v: Any) -> Any:
    return masked(v) if isinstance(v, str) else v


def _document(result: ScanResult, threshold: str | None, findings: list[Any]) -> dict[str, Any]:
    rank = fail_rank(threshold)
    counts = baseline_counts(result)
    not_assessed = []
    for n in sorted_not_assessed(result):
        d = n.to_dict()
        d["asset_name"] = _masked_or_none(asset_name(result, n.asset_id))
        d["asset_id"] = _masked_or_none(d["asset_id"])
        d["scope"] = _masked_or_none(d["scope"])
        d["reason"] = masked(d["reason"])
        not_assessed.append(d)
    per_policy: dict[str, int] = {}
    for f in result.findings:
        per_policy[f.policy_id] = per_policy.get(f.policy_id, 0) + 1
    # Policy metadata is masked too: a policy of one's own (--policy-dir) can quote anything.
    policies = masked([{"id": p.id, "title": p.title, "articles": list(p.articles),
                        "description": p.description, "remediation": p.remediation,
                        "kinds": list(p.kinds), "package": p.package, "builtin": p.builtin,
                        "findings": per_policy.get(p.id, 0)}
                       for p in sorted_policies(result)])
    return {
        "format": FORMAT,
        "tool": {"name": "dsscan", "version": result.tool_version,
                 "information_uri": INFORMATION_URI},
        "summary": {
            "assets": result.asset_count,
            "policies": len(result.policies),
            "findings": len(result.findings),
            "by_severity": severity_counts(result),
            "not_assessed": len(result.not_assessed),
            "complete": result.complete,
            "fail_on": SEVERITIES[rank] if rank is not None else None,
            "failing": failing(result, threshold),
            "started_at": result.started_at,
            "duration_s": round(result.duration_s, 3),
            # Waived findings are reported but never fail; "new": not in the --baseline.
            "waived": sum(1 for f in result.findings if f.waiver is not None),
            "new": counts["new"] if counts is not None else None,
            # Resources of types no scanner maps: not looked at, so never judged.
            # Types are names from the input (a module's own provider can call one anything).
            "not_looked_at": masked(dict(result.skipped)),
        },
        "findings": findings,
        "not_assessed": not_assessed,
        "policies": policies,
        "inputs": [masked(i) for i in result.inputs],
        "waiver_problems": [masked(dict(p)) for p in result.waiver_problems],
        "baseline": None if counts is None else {
            "path": masked(result.baseline_path), "new": counts["new"],
            "existing": counts["existing"],
            "fixed": [masked(dict(x)) for x in sorted_fixed(result)]},
    }


@register("json")
def render(result: ScanResult, *, color: bool = False, threshold: str | None = None) -> str:
    # One finding per line; Chinese asset names and messages stay readable (no \\u escapes).
    findings = _encoded_findings(sorted_findings(result))
    return to_json(_document(result, threshold, findings), expand_depth=2)
