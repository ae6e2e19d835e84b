"""`--format markdown`: the per-article compliance report as GitHub/GitLab-flavoured Markdown.

Same model and figures as the HTML report (dsscan.reports.compliance). Charts are tables
plus Mermaid ``xychart-beta`` blocks, which GitHub and GitLab render. Text from assets and
findings is masked by the model and escaped here: every character Markdown could read as
markup (``|`` ends a table cell, ``<`` opens raw HTML, a backtick a code span, ``$`` maths on
GitHub, …) is backslash-escaped, so a store name cannot inject HTML, break a table or forge
a link; Mermaid blocks carry only level names, policy ids and numbers, reduced to safe
characters.
"""

from __future__ import annotations

import re

from dsscan.articles import LAST_ARTICLE, REGULATION_EN, REGULATION_ZH
from dsscan.findings import ScanResult
from dsscan.reports import articles_text, register
from dsscan.reports.charts import colour
from dsscan.reports.compliance import (
    DEFINITIONS,
    FAILED,
    PASSED,
    STATUS_LABELS,
    WAIVED,
    ComplianceReport,
    Counts,
    FindingRow,
    build,
    fail_on_text,
)
from dsscan.reports.where import Place

# ASCII punctuation CommonMark/GFM can give meaning to mid-line (every user text here follows
# fixed text, so line-start markers like '-', '+', '1.' cannot start a block).
_SPECIAL = {ord(c): "\\" + c for c in "\\`*_[]<>|&~$#!"}
_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9 ._:/+-]")
_COUNT_HEADS = ("In scope", "Assessed", "Passed", "Failed", "Waived", "Not assessed")


def md(text: object) -> str:
    """Text for a Markdown paragraph, heading or table cell: literal, one line."""
    return " ".join(str(text).split()).translate(_SPECIAL)


def _label(text: str) -> str:
    """A quoted Mermaid label: only characters Mermaid reads literally."""
    return '"' + _MERMAID_UNSAFE.sub("_", text)[:40] + '"'


def _row(cells: list[str] | tuple[str, ...]) -> str:
    return "| " + " | ".join(c if c else " " for c in cells) + " |"


def _table(head: list[str] | tuple[str, ...], rows: list[list[str]],
           numeric_from: int | None = None) -> list[str]:
    """A GFM table; columns from ``numeric_from`` on are right-aligned."""
    align = ["---:" if numeric_from is not None and i >= numeric_from else "---"
             for i in range(len(head))]
    out = [_row(head), _row(align)]
    for r in rows:
        if len(r) != len(head):  # a bug here would silently shift columns
            raise ValueError(f"markdown row has {len(r)} cells, header {len(head)}")
        out.append(_row(r))
    return out


def _status(s: str) -> str:
    return f"**{STATUS_LABELS[s].upper()}**"


def _counts(c: Counts) -> list[str]:
    return [str(v) for v in (c.in_scope, c.assessed, c.passed, c.failed, c.waived,
                             c.not_assessed)]


def _header(r: ComplianceReport) -> list[str]:
    h = r.header
    out = ["# dsscan compliance report", "", f"{md(REGULATION_EN)} · {md(REGULATION_ZH)}", ""]
    if not h.complete:
        out += ["> [!WARNING]",
                f"> **INCOMPLETE SCAN: {h.not_assessed} item"
                f"{'s' if h.not_assessed != 1 else ''} NOT ASSESSED.** What could not be read "
                "was not checked, so it is not compliant until assessed; an article with "
                "anything not assessed is never shown as passed. See *Not assessed* below.",
                ""]
    if h.status == FAILED:
        out += [f"**Findings: {h.findings - h.waived} open"
                f"{f', {h.waived} waived' if h.waived else ''}.**", ""]
    elif h.complete and h.status in (PASSED, WAIVED):
        out += ["**Complete: every asset in scope was assessed and no finding is open"
                f"{f' ({h.waived} waived)' if h.waived else ''}.**", ""]
    sev = ", ".join(f"{n} {s}" for s, n in h.by_severity.items() if n) or "none"
    fail_on = fail_on_text(h)
    rows = [["Tool", md(f"dsscan {h.tool_version}".strip())],
            ["Scan started", md(h.started_at or "unknown")],
            ["Duration", f"{h.duration_s:.1f} s"],
            ["Inputs", md(", ".join(h.inputs) or "(none recorded)")],
            ["Assets", str(h.assets)],
            ["Policies evaluated", str(h.policies)],
            ["Findings", md(f"{h.findings} ({sev})" + (f", {h.waived} waived"
                                                        if h.waived else ""))],
            ["Complete", "yes" if h.complete else f"**NO: {h.not_assessed} not assessed**"],
            ["--fail-on", md(fail_on)]]
    if h.baseline_path:
        rows.append(["Baseline", md(h.baseline_path)])
    if h.run_id:
        rows.append(["Run id", md(h.run_id)])
    rows.append(["Overall", _status(h.status)])
    return [*out, *_table(["Item", "Value"], rows), ""]


def _articles(r: ComplianceReport) -> list[str]:
    out = ["## Compliance by article", "",
           "Assets per article: each asset counted once, with its worst state among the "
           "article's policies (failed \\> not assessed \\> waived \\> passed); see *How the "
           "counts are defined* at the end.", ""]
    out += _table(["Article", "Title", "Status", "Policies", *_COUNT_HEADS],
                  [[md(a.label), md(a.title), _status(a.status),
                    md(", ".join(p.id for p in a.policies)), *_counts(a.counts)]
                   for a in r.articles], numeric_from=4)
    out.append("")
    for a in r.articles:
        out += [f"### {md(a.label)} — {md(a.title)}", "", f"Status: {_status(a.status)}", ""]
        if a.summary:
            out += [f"*Article:* {md(a.summary)}", ""]
        rows = [[md(p.id), md(p.title), _status(p.status), str(p.findings), *_counts(p.counts)]
                for p in a.policies]
        rows.append([f"**{md(a.label)}: distinct assets**", "", "", "", *_counts(a.counts)])
        out += _table(["Policy", "Title", "Status", "Findings", *_COUNT_HEADS], rows,
                      numeric_from=3)
        out.append("")
        if a.scopes:
            refs = r.scope_refs
            out += ["Scopes not assessed: " + ", ".join(md(refs.get(s, s)) for s in a.scopes)
                    + " (listed under *Not assessed*; could not be read, their assets are not "
                    "counted above).", ""]
    return out


def _palette(levels: tuple[str, ...]) -> str:
    return ('%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "'
            + ", ".join(colour(lv) for lv in levels) + '"}}}}%%')


def _bar_chart(title: str, labels: list[str], values: list[int], bar_colour: str) -> list[str]:
    top = max(1, *values) if values else 1
    return ["```mermaid", _palette_raw(bar_colour), "xychart-beta",
            f"    title {_label(title)}",
            f"    x-axis [{', '.join(_label(x) for x in labels)}]",
            f'    y-axis "Findings" 0 --> {top}',
            f"    bar [{', '.join(str(v) for v in values)}]", "```", ""]


def _palette_raw(colours: str) -> str:
    return ('%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + colours
            + '"}}}}%%')


def _charts(r: ComplianceReport) -> list[str]:
    levels = tuple(lv for lv in r.levels
                   if r.by_level.get(lv) or any(t.by_level.get(lv) for t in r.trend)
                   or lv in ("core", "important", "sensitive", "general"))
    out = ["## Findings by data level and policy", "",
           "All findings" + (f", waived ones included ({r.header.waived} waived)"
                             if r.header.waived else "") + ".", ""]
    rows = [[md(pid), *(str(d.get(lv, 0)) for lv in levels), str(sum(d.values()))]
            for pid, d in r.by_policy]
    rows.append(["**All**", *(f"**{r.by_level.get(lv, 0)}**" for lv in levels),
                 f"**{sum(r.by_level.values())}**"])
    out += _table(["Policy", *(md(lv) for lv in levels), "Total"], rows, numeric_from=1)
    out.append("")
    out += _bar_chart("Findings by data level", list(levels),
                      [r.by_level.get(lv, 0) for lv in levels], "#374151")
    out += _bar_chart("Findings by policy", [pid for pid, _ in r.by_policy],
                      [sum(d.values()) for _, d in r.by_policy], "#374151")
    if r.trend:
        out += ["## Trend", "",
                f"Findings per run by data level, oldest first; the last row is this run "
                f"({len(r.trend)} runs).", ""]
        trows = []
        for t in r.trend:
            when = md(t.started_at or t.label) + (" **(this run)**" if t.current else "")
            trows.append([when, *(str(t.by_level.get(lv, 0)) for lv in levels),
                          str(t.findings), "" if t.not_assessed is None else str(t.not_assessed)])
        out += _table(["Run", *(md(lv) for lv in levels), "Findings", "Not assessed"], trows,
                      numeric_from=1)
        out.append("")
        shown = tuple(lv for lv in levels if any(t.by_level.get(lv) for t in r.trend))
        top = max(1, *(t.by_level.get(lv, 0) for t in r.trend for lv in shown))
        xs = [_label(f"{i + 1} {t.label}") for i, t in enumerate(r.trend)]  # unique labels
        out += ["```mermaid", _palette(shown), "xychart-beta",
                f"    title {_label('Findings per run by data level')}",
                f"    x-axis [{', '.join(xs)}]",
                f'    y-axis "Findings" 0 --> {top}']
        out += [f"    line [{', '.join(str(t.by_level.get(lv, 0)) for t in r.trend)}]"
                for lv in shown]
        if not shown:  # no finding in any run: one line of zeros (a chart needs a series)
            out.append(f"    line [{', '.join('0' for _ in r.trend)}]")
        out += ["```", ""]
        if shown:
            out += ["Lines, in order: " + ", ".join(f"{md(lv)} ({colour(lv)})" for lv in shown)
                    + ".", ""]
    return out


def _state(f: FindingRow) -> str:
    return f.state(md, lambda t: f"**{t}**")


def _what(p: Place) -> str:
    return f"{p.detector}, {p.unmasked} unmasked" if p.detector else f"{p.unmasked} unmasked"


def _findings(r: ComplianceReport) -> list[str]:
    out = ["## Findings", ""]
    if not r.finding_groups:
        out += ["No findings" + ("" if r.header.complete else " among the assessed assets")
                + ".", ""]
    for g in r.finding_groups:
        arts = articles_text(g.articles)
        out += [f"### {md(g.policy_id)} — {md(g.title)}" + (f" ({md(arts)})" if arts else "")
                + f" · {len(g.rows)}", ""]
        if g.remediation:
            out += [f"**Remediation:** {md(' '.join(g.remediation.splitlines()))}", ""]
        rows = []
        for f in g.rows:
            asset = md(f.asset)
            if f.asset != f.asset_id:
                asset += f" ({md(f.asset_id)})"
            if f.related:
                asset += f"; related: {md(', '.join(f.related))}"
            message = md(f.message) + "".join(
                f"<br>**{md(p.where)}** ({md(_what(p))})"
                + (f": e.g. {md('; '.join(p.examples))}" if p.examples else "")
                for p in f.places)
            rows.append([md(f.severity.upper()), md(f.level), asset, message, _state(f)])
        out += _table(["Severity", "Level", "Asset", "Message", "State"], rows)
        out.append("")
    if r.fixed:
        out += [f"### Fixed since the baseline ({len(r.fixed)})", ""]
        out += _table(["Policy", "Asset", "Level", "Fingerprint"],
                      [[md(x["policy_id"]), md(x["asset"]), md(x["level"]),
                        md(x["fingerprint"])] for x in r.fixed])
        out.append("")
    if r.waiver_problems:
        out += [f"### Waiver problems ({len(r.waiver_problems)})", "",
                "These waivers do not waive anything: the findings they name count as open.", ""]
        keys = ("id", "policy", "asset", "where", "problem", "findings", "reason", "approver",
                "expires")
        out += _table(["Waiver", "Policy", "Asset", "Where", "Problem", "Leaves failing",
                       "Reason", "Approver", "Expires"],
                      [[md(w[k]) for k in keys] for w in r.waiver_problems])
        out.append("")
    return out


def _not_assessed(r: ComplianceReport) -> list[str]:
    out = [f"## Not assessed ({len(r.not_assessed)})", ""]
    if not r.not_assessed:
        return [*out, "Nothing: every asset was read and assessed by every policy in scope.", ""]
    out += ["NOT checked, so NOT compliant until assessed.", ""]
    out += _table(["Asset / scope", "Policy", "Reason"],
                  [[md(g.target) + (f" *(scope {md(g.ref)})*" if g.scope else ""), md(g.policy),
                    md(g.reason)] for g in r.not_assessed])
    return [*out, ""]


def _boundary(r: ComplianceReport) -> list[str]:
    if not r.boundary:
        return []
    judged = sum(1 for a in r.articles if a.number is not None)
    out = ["## Articles dsscan does not judge", "",
           f"The Measures have {LAST_ARTICLE} articles; this report judges {judged} of them "
           "(above). dsscan does not judge the articles below, for the reason given: nothing "
           "in this report says they are met.", ""]
    out += _table(["Articles", "Topic", "Why dsscan does not judge them"],
                  [[md(b.label), md(b.topic), md(b.reason)] for b in r.boundary])
    return [*out, ""]


def render_report(r: ComplianceReport) -> str:
    parts = _header(r) + _articles(r) + _boundary(r) + _charts(r) + _findings(r) + _not_assessed(r)
    parts += ["## How the counts are defined", ""]
    parts += [f"- **{md(k)}**: {md(v)}" for k, v in DEFINITIONS]
    parts += ["", f"*dsscan {md(r.header.tool_version)} · {md(REGULATION_EN)}*"]
    return "\n".join(parts).rstrip("\n") + "\n"


@register("markdown")
def render(result: ScanResult, *, color: bool = False, threshold: str | None = None) -> str:
    """``color`` is ignored."""
    return render_report(build(result, threshold))


__all__ = ["md", "render", "render_report"]
