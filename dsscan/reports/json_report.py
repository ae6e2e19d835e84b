"""Machine-readable report, format ``dsscan-report/1``.

Sorted deterministically (findings: severity desc, policy, asset) so two runs over the same
estate diff cleanly; keys inside evidence are sorted for the same reason.
"""

from __future__ import annotations

from typing import Any

from dsscan.findings import ScanResult
from dsscan.levels import SEVERITIES
from dsscan.reports import (
    INFORMATION_URI,
    asset_name,
    canonical,
    fail_rank,
    failing,
    masked,
    register,
    severity_counts,
    sorted_findings,
    sorted_not_assessed,
    sorted_policies,
    to_json,
)

FORMAT = "dsscan-report/1"


def build(result: ScanResult, threshold: str | None = None) -> dict[str, Any]:
    """The report as a dict (also used by tests and by anything that embeds it)."""
    rank = fail_rank(threshold)
    findings = []
    for f in sorted_findings(result):
        d = f.to_dict()
        d["message"] = masked(d["message"])
        d["evidence"] = canonical(masked(d["evidence"]))
        d["location"] = canonical(d["location"])
        findings.append(d)
    not_assessed = []
    for n in sorted_not_assessed(result):
        d = n.to_dict()
        d["asset_name"] = asset_name(result, n.asset_id)
        d["reason"] = masked(d["reason"])
        not_assessed.append(d)
    per_policy: dict[str, int] = {}
    for f in result.findings:
        per_policy[f.policy_id] = per_policy.get(f.policy_id, 0) + 1
    policies = [{"id": p.id, "title": p.title, "articles": list(p.articles),
                 "description": p.description, "remediation": p.remediation,
                 "kinds": list(p.kinds), "package": p.package, "builtin": p.builtin,
                 "findings": per_policy.get(p.id, 0)}
                for p in sorted_policies(result)]
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
        },
        "findings": findings,
        "not_assessed": not_assessed,
        "policies": policies,
        "inputs": list(result.inputs),
    }


@register("json")
def render(result: ScanResult, *, color: bool = False, threshold: str | None = None) -> str:
    # One finding per line; Chinese asset names and messages stay readable (no \\u escapes).
    return to_json(build(result, threshold), expand_depth=2)
