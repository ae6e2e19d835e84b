"""SARIF 2.1.0 (OASIS), shaped for GitHub code scanning and other SARIF viewers.

- one run; ``tool.driver.rules`` = every policy evaluated, so a clean run still documents
  what was checked;
- results match across runs by ``partialFingerprints["dsscanFinding/v1"]`` (policy + asset +
  related assets; independent of message wording and of order);
- assets are logical locations (``kind: resource``); IaC findings also get a physical location
  (file and line) so code scanning can annotate the source;
- not-assessed items are ``toolExecutionNotifications`` and make ``executionSuccessful`` false:
  an incomplete sweep is visible in every SARIF viewer.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import quote

from dsscan.findings import Finding, PolicyInfo, ScanResult
from dsscan.levels import SEVERITY_RANK
from dsscan.reports import (
    INFORMATION_URI,
    REGULATION,
    articles_text,
    asset_name,
    baseline_counts,
    canonical_masked,
    failing,
    masked,
    not_assessed_target,
    register,
    severity_counts,
    sorted_findings,
    sorted_fixed,
    sorted_not_assessed,
    sorted_policies,
    to_json,
)
from dsscan.wording import count

SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
FINGERPRINT_KEY = "dsscanFinding/v1"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning reads properties["security-severity"] (a number as a string, 0.0-10.0).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0",
                     "info": "0.0"}
# GitHub's "problem.severity" for non-security views.
PROBLEM_SEVERITY = {"critical": "error", "high": "error", "medium": "warning",
                    "low": "recommendation", "info": "recommendation"}
# Finding.baseline -> result.baselineState (absent: a baseline entry no longer found).
BASELINE_STATE = {"new": "new", "existing": "unchanged"}


def _rule_name(p: PolicyInfo) -> str:
    """SARIF wants a readable identifier: the title in PascalCase, else the id."""
    words = re.findall(r"[A-Za-z0-9]+", p.title)
    return "".join(w[:1].upper() + w[1:] for w in words) or p.id


def _help(remediation: str, articles: tuple[int, ...]) -> dict[str, str]:
    fix = remediation.strip() or "See the policy description."
    arts = articles_text(articles)
    text = fix + (f"\n\n{REGULATION}: {arts}" if arts else "")
    md = "**How to fix**\n\n" + fix + (f"\n\n**Regulation**: {REGULATION}, {arts}" if arts
                                        else "")
    return {"text": text, "markdown": md}


def _rule(p: PolicyInfo, worst: str | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        # "security" makes GitHub treat security-severity as the alert's severity.
        "tags": list(dict.fromkeys(["security", "nfra", "data-security",
                                    *(f"Art. {a}" for a in p.articles)])),
        "precision": "high",
        "articles": list(p.articles),
        "kinds": list(p.kinds),
    }
    if worst is not None:  # severity depends on the data level, so it is per run
        props["security-severity"] = SECURITY_SEVERITY[worst]
        props["problem.severity"] = PROBLEM_SEVERITY[worst]
    return {
        "id": p.id,
        "name": _rule_name(p),
        "shortDescription": {"text": p.title or p.id},
        "fullDescription": {"text": (p.description or p.title or p.id).strip()},
        "help": _help(p.remediation, p.articles),
        "properties": props,
    }


@functools.lru_cache(maxsize=4096)  # every finding of an inventory scan has the same file
def _uri(path: str) -> str:
    """A relative URI reference with forward slashes (GitHub matches it to the repository)."""
    s = path.replace("\\", "/")  # a backslash is never a path separator in a URI
    while s.startswith("./"):
        s = s[2:]
    return quote(s, safe="/:@-._~!$&'()*+,;=")


def _logical(result: ScanResult, asset_id: str, name: str | None = None) -> dict[str, Any]:
    # Masked: a store can be named after an ID number.
    return {"fullyQualifiedName": masked(asset_id),
            "name": masked(name or asset_name(result, asset_id) or asset_id),
            "kind": "resource"}


def _anchor(result: ScanResult, f: Finding) -> tuple[str | None, int | None, str]:
    """The file a result points at: its IaC source, else the one inventory file scanned.

    GitHub code scanning rejects a whole upload when a result has no physical location, so a
    finding on a live-cloud asset is anchored to the inventory file when that is unambiguous.
    """
    for src in (f.location, (result.assets.get(f.asset_id) or {}).get("location")):
        if isinstance(src, dict) and src.get("file"):
            line = src.get("line")
            ok = isinstance(line, int) and not isinstance(line, bool) and line >= 1
            return str(src["file"]), line if ok else None, "source"
    if len(result.inputs) == 1 and not _SCHEME.match(result.inputs[0]):
        return result.inputs[0], None, "input"
    return None, None, ""


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # aws:..., https://... are not files


def _location(result: ScanResult, f: Finding) -> dict[str, Any]:
    loc: dict[str, Any] = {"logicalLocations": [_logical(result, f.asset_id, f.asset_name)]}
    path, line, anchor = _anchor(result, f)
    if path:
        # Masked before it is URL-encoded: a file can be named after an ID number.
        phys: dict[str, Any] = {"artifactLocation": {"uri": _uri(masked(path))}}
        if line:
            phys["region"] = {"startLine": line}
        if anchor == "input":
            phys["properties"] = {"anchor": "inventory file (the asset has no source file)"}
        loc["physicalLocation"] = phys
    address = (f.location or {}).get("address")
    if address:
        loc["properties"] = {"address": masked(str(address))}
    return loc


def _result(result: ScanResult, f: Finding, rule_index: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": masked(f.policy_id),
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVEL.get(f.severity, "warning"),
        "message": {"text": masked(f.message) or masked(f.title)},
        "locations": [_location(result, f)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "severity": f.severity,
            "security-severity": SECURITY_SEVERITY.get(f.severity, "5.5"),
            "level": f.level,
            "articles": list(f.articles),
            "asset_id": masked(f.asset_id),
            "asset_kind": f.asset_kind,
            "related": sorted(masked(r) for r in f.related),
            "evidence": canonical_masked(f.evidence),
        },
    }
    if f.related:
        out["relatedLocations"] = [{"id": i + 1, "logicalLocations": [_logical(result, r)]}
                                   for i, r in enumerate(sorted(set(f.related)))]
    if f.waiver is not None:
        out["suppressions"] = [_suppression(f.waiver)]
    if f.baseline in BASELINE_STATE:
        out["baselineState"] = BASELINE_STATE[f.baseline]
    return out


def _suppression(w: dict[str, Any]) -> dict[str, Any]:
    """A waiver is an external suppression (declared in the settings, not in the source)."""
    by = f"approved by {w['approver']}" if w.get("approver") else "no approver"
    why = f"{w.get('reason') or 'waived'} ({by}, expires {w.get('expires')}, waiver {w.get('id')})"
    return {"kind": "external", "status": "accepted", "justification": masked(why),
            "properties": {"waiver": masked(dict(w))}}


def _absent(result: ScanResult, e: dict[str, Any], index: dict[str, int]) -> dict[str, Any]:
    """A baseline entry no longer found. ``kind: pass`` with ``level: none`` (SARIF 2.1.0:
    a level other than "none" requires kind "fail"): the rule ran and the problem is gone."""
    aid = masked(str(e.get("asset_id", "")))
    raw_pid = str(e.get("policy_id", ""))
    pid = masked(raw_pid)
    loc: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": aid, "name": aid,
                                                 "kind": "resource"}]}
    if len(result.inputs) == 1 and not _SCHEME.match(result.inputs[0]):
        loc["physicalLocation"] = {"artifactLocation": {"uri": _uri(masked(result.inputs[0]))},
                                   "properties": {"anchor": "inventory file"}}
    out: dict[str, Any] = {"ruleId": pid}
    if raw_pid in index:
        out["ruleIndex"] = index[raw_pid]
    out.update({
        "kind": "pass",
        "level": "none",
        "baselineState": "absent",
        "message": {"text": f"Fixed: no longer found on {aid} (was in the baseline)"},
        "locations": [loc],
        "partialFingerprints": {FINGERPRINT_KEY: str(e.get("fingerprint", ""))},
        "properties": {"level": e.get("level"), "asset_id": aid, "fixed": True},
    })
    return out


def _waiver_note(p: dict[str, Any]) -> dict[str, Any]:
    from dsscan.waivers import is_notice, is_stale

    n = p.get("findings", 0)
    target = f"{p.get('policy')} on {p.get('asset')}"
    tail = ("" if is_stale(p) else f"; waives {count(n, 'finding')}" if is_notice(p)
            else f"; does not waive the {count(n, 'finding')} it matches")
    text = f"Waiver {p.get('id')} ({target}, {p.get('source')}): {p.get('problem')}{tail}"
    # A catch-all stays a warning even when accepted: it hides whole duties.
    return {"level": "note" if is_stale(p) else "warning",
            "message": {"text": masked(text)},
            "descriptor": {"id": "dsscan/waiver-problem"},
            "properties": masked(dict(p))}


def _utc(ts: str) -> str | None:
    """SARIF wants UTC date-times; the pipeline writes ISO 8601 with +00:00."""
    if not ts:
        return None
    if ts.endswith("+00:00"):
        return ts[:-6] + "Z"
    return ts if ts.endswith("Z") else None


def build(result: ScanResult, threshold: str | None = None) -> dict[str, Any]:
    policies = sorted_policies(result)
    findings = sorted_findings(result)
    # A finding from a policy missing in result.policies still needs a rule to point at.
    known = {p.id for p in policies}
    for f in findings:
        if f.policy_id not in known:
            known.add(f.policy_id)
            policies.append(PolicyInfo(id=f.policy_id, title=f.title, package="", path="",
                                       articles=f.articles, remediation=f.remediation))
    index = {p.id: i for i, p in enumerate(policies)}
    worst: dict[str, str] = {}
    for f in findings:
        if SEVERITY_RANK.get(f.severity, 0) > SEVERITY_RANK.get(worst.get(f.policy_id, ""), -1):
            worst[f.policy_id] = f.severity

    notes = []
    for n in sorted_not_assessed(result):
        target = not_assessed_target(result, n)
        scope = f"policy {n.policy_id}" if n.policy_id else "all policies"
        note: dict[str, Any] = {
            "level": "warning",
            "message": {"text": f"Not assessed ({scope}): {masked(target)}: {masked(n.reason)}"},
            "descriptor": {"id": "dsscan/not-assessed"},
            "properties": {"asset_id": masked(n.asset_id) if n.asset_id else None,
                           "scope": masked(n.scope) if n.scope else None,
                           "policy_id": masked(n.policy_id), "reason": masked(n.reason)},
        }
        if n.asset_id:
            note["locations"] = [{"logicalLocations": [_logical(result, n.asset_id)]}]
        if n.policy_id in index:
            note["associatedRule"] = {"id": masked(n.policy_id), "index": index[n.policy_id]}
        notes.append(note)
    notes += [_waiver_note(p) for p in result.waiver_problems]

    invocation: dict[str, Any] = {"executionSuccessful": result.complete,
                                  "toolExecutionNotifications": notes}
    start = _utc(result.started_at)
    if start:
        invocation["startTimeUtc"] = start

    driver: dict[str, Any] = {"name": "dsscan"}
    if result.tool_version:
        driver["version"] = result.tool_version
        driver["semanticVersion"] = result.tool_version
    driver["informationUri"] = INFORMATION_URI
    # Policy metadata is masked too: a policy of one's own (--policy-dir) can quote anything.
    driver["rules"] = masked([_rule(p, worst.get(p.id)) for p in policies])

    run = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "results": [*(_result(result, f, index[f.policy_id]) for f in findings),
                    *(_absent(result, e, index) for e in sorted_fixed(result))],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "assets": result.asset_count,
            "by_severity": severity_counts(result),
            "not_assessed": len(result.not_assessed),
            "complete": result.complete,
            "failing": failing(result, threshold),
            "inputs": [masked(i) for i in result.inputs],
            "waived": sum(1 for f in findings if f.waiver is not None),
        },
    }
    counts = baseline_counts(result)
    if counts is not None:
        run["properties"]["baseline"] = {"path": masked(result.baseline_path), **counts}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


@register("sarif")
def render(result: ScanResult, *, color: bool = False, threshold: str | None = None) -> str:
    # Expanded down to each result's fields; deeper values stay compact (fast, still readable).
    return to_json(build(result, threshold), expand_depth=5)
