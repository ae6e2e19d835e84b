"""JUnit XML for CI test-report views (GitLab ``artifacts:reports:junit``, Jenkins ``junit``).

One <testsuite> per policy. Inside it: one failing <testcase> per asset that violates the
policy, one passing "no violations" case when the policy found nothing (so the UI lists the
policy as passing), and one <error type="not_assessed"> case per thing the policy could not
judge. Not assessed is an error, never <skipped>: skipped reads as "fine" in most CI UIs.
Items not assessed for every policy (unreadable asset or scope) get their own suite.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import xml.etree.ElementTree as ET
from typing import Any

from dsscan.findings import Finding, NotAssessed, PolicyInfo, ScanResult
from dsscan.masking import mask_text
from dsscan.reports import (
    REGULATION,
    articles_text,
    canonical_masked,
    clean,
    finding_asset_label,
    not_assessed_target,
    register,
    sorted_findings,
    sorted_not_assessed,
    sorted_policies,
    waiver_label,
    waiver_terms,
)
from dsscan.wording import count

ALL_POLICIES_SUITE = "dsscan: not assessed (all policies)"
WAIVERS_SUITE = "dsscan: waivers"
MESSAGE_MAX = 500  # attribute length: CI UIs show it on one line
# Characters XML 1.0 cannot carry at all (ElementTree would write them and break the file).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _attr(text: str) -> str:
    """One line, bounded; callers pass text that is already masked."""
    t = _x(" ".join(text.split()))
    return t if len(t) <= MESSAGE_MAX else t[: MESSAGE_MAX - 1] + "…"


def _evidence_lines(evidence: dict[str, Any]) -> list[str]:
    return [f"  {k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
            for k, v in canonical_masked(evidence).items()]


def _repo_path(file: str) -> str | None:
    """A path GitLab can link: relative, with forward slashes; an absolute path outside the
    working directory (the checkout) is not given at all."""
    p = file.replace("\\", "/")
    if p.startswith("/"):
        cwd = os.getcwd().rstrip("/") + "/"
        if not p.startswith(cwd):
            return None
        p = p[len(cwd):]
    while p.startswith("./"):
        p = p[2:]
    return None if ".." in p.split("/") else p


def _failure_case(suite: ET.Element, result: ScanResult, pid: str, group: list[Finding],
                  policy: PolicyInfo | None,
                  skipped: tuple[str, str] | None = None) -> None:
    """A failing case; with ``skipped`` (what goes before and after the message) a skipped
    one: findings waived or in the baseline are shown in full but do not fail, as they do not
    fail the run."""
    first = group[0]  # sorted: highest severity first
    label = clean(finding_asset_label(result, first))
    case = ET.SubElement(suite, "testcase", {
        "classname": f"dsscan.{pid}",
        "name": _attr(f"{label} ({clean(first.asset_id)})" if label != clean(first.asset_id)
                      else label),
        "time": "0",
    })
    # GitLab shows a case's file (and copies it for "copy failed tests"): the IaC source of
    # the resource; a live-cloud asset has none.
    src = first.location or (result.assets.get(first.asset_id) or {}).get("location") or {}
    if isinstance(src, dict) and isinstance(src.get("file"), str) and src.get("address"):
        path = _repo_path(src["file"])
        if path:
            case.set("file", _attr(clean(path)))
    messages = [clean(f.message) for f in group]
    msg = messages[0] + (f" (and {len(group) - 1} more)" if len(group) > 1 else "")
    body = [f"asset: {clean(first.asset_id)}"]
    if first.asset_kind:
        body.append(f"kind: {first.asset_kind}")
    for f, m in zip(group, messages, strict=True):
        body += ["", f"[{f.severity}] {m}", f"data level: {f.level}"]
        if f.related:
            body.append("related: " + ", ".join(sorted(clean(r) for r in f.related)))
        if f.evidence:
            body += ["evidence:", *_evidence_lines(f.evidence)]
        body.append(f"fingerprint: {f.fingerprint}")
        if f.waiver is not None:
            w = f.waiver
            body.append(f"{waiver_label(w)}: {clean(str(w.get('reason') or ''))} "
                        f"(waiver {clean(str(w.get('id') or ''))}, "
                        f"{clean(str(w.get('source') or ''))})")
        elif f.baseline == "existing":
            body.append("in baseline: accepted when the baseline was made")
    remediation = ((policy.remediation if policy and policy.remediation else first.remediation)
                   .strip())
    arts = articles_text(policy.articles if policy else first.articles)
    if remediation:
        body += ["", "How to fix:", remediation]
    if arts:
        body += ["", f"{REGULATION}: {arts}"]
    if skipped is None:
        fail = ET.SubElement(case, "failure", {"message": _attr(msg), "type": first.severity})
    else:
        fail = ET.SubElement(case, "skipped",
                             {"message": _attr(f"{skipped[0]}{msg}{skipped[1]}")})
    fail.text = _x("\n".join(body))


def _waiver_case(suite: ET.Element, p: dict[str, Any]) -> None:
    """A waiver problem. One that stops a waiver from waiving (expired, no approver, too long)
    is a failure: someone must renew or remove it, and the findings it covered fail again; a
    stale waiver (valid, covers nothing) is only skipped: informational, yet visible."""
    from dsscan.waivers import is_notice, is_stale

    wid, pol, asset = (clean(str(p.get(k) or "")) for k in ("id", "policy", "asset"))
    case = ET.SubElement(suite, "testcase", {"classname": "dsscan.waivers",
                                             "name": _attr(f"waiver {wid}: {pol} on {asset}"),
                                             "time": "0"})
    problem = clean(str(p.get("problem") or ""))
    n = p.get("findings", 0)
    body = [f"waiver: {wid}", f"declared in: {clean(str(p.get('source') or ''))}",
            f"policy: {pol}", f"asset: {asset}"]
    for key in ("account", "region"):
        if p.get(key):
            body.append(f"{key}: {clean(str(p[key]))}")
    body += [f"reason: {clean(str(p.get('reason') or ''))}",
             f"approver: {clean(str(p.get('approver') or '(none)'))}",
             f"expires: {clean(str(p.get('expires') or ''))}", f"problem: {problem}"]
    if is_stale(p):
        el = ET.SubElement(case, "skipped", {"message": _attr(f"stale waiver: {problem}")})
        body.append("Remove the waiver, or fix its policy/asset patterns.")
    elif is_notice(p):
        el = ET.SubElement(case, "skipped", {"message": _attr(
            f"catch-all waiver: {problem}; {count(n, 'finding')} waived")})
        body.append(f"findings it waives: {n}. Narrow it to the policies and assets it is "
                    "meant for.")
    else:
        el = ET.SubElement(case, "failure", {"message": _attr(
            f"waiver does not apply: {problem}; {count(n, 'finding')} no longer waived"),
            "type": "waiver_problem"})
        body.append(f"findings it matches (now failing): {n}")
    el.text = _x("\n".join(body))


def _error_case(suite: ET.Element, result: ScanResult, n: NotAssessed, taken: set[str]) -> None:
    """``taken``: the case names already in the suite. GitLab keys a case by suite, classname
    and name and keeps one per key, so a second not-assessed facet of the same target gets
    the facet in its name instead of vanishing."""
    target = clean(not_assessed_target(result, n))
    aid = clean(n.asset_id) if n.asset_id else None
    name = f"{target} ({aid})" if aid and target != aid else target
    reason = clean(n.reason)
    label = _attr(f"not assessed: {name}")
    if label in taken:
        facet = reason.split(":", 1)[0].strip() or reason
        for i in itertools.count(1):
            suffix = f" [{facet}]" if i == 1 else f" [{facet} {i}]"
            candidate = label[: MESSAGE_MAX - len(suffix)] + suffix
            if candidate not in taken:
                label = candidate
                break
    taken.add(label)
    case = ET.SubElement(suite, "testcase", {
        "classname": f"dsscan.{n.policy_id}" if n.policy_id else "dsscan.not-assessed",
        "name": label,
        "time": "0",
    })
    err = ET.SubElement(case, "error", {"message": _attr(f"not assessed: {reason}"),
                                        "type": "not_assessed"})
    body = [f"reason: {reason}", f"policy: {n.policy_id or 'all policies'}"]
    if n.asset_id:
        body.append(f"asset: {aid}")
    if n.scope:
        body.append(f"scope: {n.scope}")
    body.append("Not assessed is not compliant: give the scanner access and scan again.")
    err.text = _x("\n".join(body))


def _suite(root: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(root, "testsuite", {"name": _attr(clean(name))})


def _close(suite: ET.Element) -> tuple[int, int, int, int]:
    cases = suite.findall("testcase")
    tests = len(cases)
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", "0")
    return tests, failures, errors, skipped


def build(result: ScanResult) -> ET.Element:
    root = ET.Element("testsuites", {"name": "dsscan"})
    policies = {p.id: p for p in sorted_policies(result)}
    by_policy: dict[str, dict[str, list[Finding]]] = {}
    for f in sorted_findings(result):
        by_policy.setdefault(f.policy_id, {}).setdefault(f.asset_id, []).append(f)
    gaps: dict[str | None, list[NotAssessed]] = {}
    for n in sorted_not_assessed(result):
        gaps.setdefault(n.policy_id, []).append(n)

    ids = sorted({*policies, *by_policy, *(k for k in gaps if k is not None)})
    for pid in ids:
        p = policies.get(pid)
        per_asset = by_policy.get(pid, {})
        title = p.title if p else next(iter(per_asset.values()))[0].title if per_asset else ""
        suite = _suite(root, f"{pid} {title}".strip())
        if p and p.articles:
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", {"name": "articles",
                                              "value": articles_text(p.articles)})
        # Failures: worst first, then by asset id (group order follows sorted_findings).
        groups = sorted(per_asset.items(),
                        key=lambda kv: (-kv[1][0].severity_rank(), kv[0]))
        for _, group in groups:
            failing = [f for f in group if f.gating]
            waived = [f for f in group if f.waiver is not None]
            existing = [f for f in group if f.waiver is None and f.baseline == "existing"]
            if failing:
                _failure_case(suite, result, pid, failing, p)
            if waived:
                w = waived[0].waiver or {}
                _failure_case(suite, result, pid, waived, p, skipped=(
                    "waived: ", f" -- {clean(str(w.get('reason') or ''))} ({waiver_terms(w)})"))
            if existing:
                _failure_case(suite, result, pid, existing, p, skipped=("in baseline: ", ""))
        taken: set[str] = set()
        for n in gaps.get(pid, []):
            _error_case(suite, result, n, taken)
        if not per_asset:
            ET.SubElement(suite, "testcase", {"classname": f"dsscan.{pid}",
                                              "name": "no violations", "time": "0"})
    if gaps.get(None):
        suite = _suite(root, ALL_POLICIES_SUITE)
        taken_all: set[str] = set()
        for n in gaps[None]:
            _error_case(suite, result, n, taken_all)
    if result.waiver_problems:
        suite = _suite(root, WAIVERS_SUITE)
        for wp in result.waiver_problems:
            _waiver_case(suite, wp)

    totals = [0, 0, 0, 0]
    for suite in root.findall("testsuite"):
        for i, v in enumerate(_close(suite)):
            totals[i] += v
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    root.set("skipped", str(totals[3]))
    root.set("time", f"{result.duration_s:.3f}")
    return root


def _mask_tree(root: ET.Element) -> None:
    """Every text and attribute of the document passes the masking once more (fields are
    masked as they are put in; policy titles and remediation, and anything added later, are
    caught here): the JUnit writer's last line of defence, cheaper than a pass over the text."""
    for el in root.iter():
        if el.text:
            el.text = mask_text(el.text)
        for k, v in el.attrib.items():
            el.attrib[k] = mask_text(v)


@register("junit")
def render(result: ScanResult, *, color: bool = False, threshold: str | None = None) -> str:
    root = build(result)
    _mask_tree(root)
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
