"""`--format html`: the per-article compliance report as one self-contained HTML page.

Inline CSS and SVG only: no script, no font, image or style sheet from anywhere (a
Content-Security-Policy of ``default-src 'none'`` says so to the browser too), so the file
can be mailed, archived and opened offline, and it prints on A4 as shown. Chinese text uses
the CJK fonts installed locally (Noto Sans CJK SC first). Every text is masked by the model
(dsscan.reports.compliance) and escaped here.
"""

from __future__ import annotations

from html import escape
from typing import Any

from dsscan.articles import LAST_ARTICLE, REGULATION_EN, REGULATION_ZH
from dsscan.findings import ScanResult
from dsscan.reports import articles_text, register
from dsscan.reports.charts import colour, stacked_bars, trend_area
from dsscan.reports.compliance import (
    DEFINITIONS,
    FAILED,
    PASSED,
    STATUS_LABELS,
    WAIVED,
    ArticleRow,
    ComplianceReport,
    Counts,
    FindingRow,
    build,
    fail_on_text,
)

FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
              '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, '
              '-apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif')
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"

CSS = """
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-family:%FONTS%;color:#111827;background:#fff;margin:0 auto;max-width:1100px;
 padding:24px;font-size:14px;line-height:1.45}
h1{font-size:24px;margin:0 0 2px}
h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #111827;padding-bottom:3px}
h3{font-size:16px;margin:18px 0 6px}
.sub{color:#374151;margin:0 0 12px}
.banner{border:2px solid;border-radius:6px;padding:10px 14px;margin:10px 0;font-size:15px}
.banner.incomplete{background:#fef3c7;border-color:#b45309;color:#78350f}
.banner.fail{background:#fee2e2;border-color:#991b1b;color:#7f1d1d}
.banner.ok{background:#dcfce7;border-color:#166534;color:#14532d}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:10px 0}
dl.meta dt{font-weight:bold;color:#374151}
dl.meta dd{margin:0;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid #d1d5db;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f4f6}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.id{word-break:break-all}
td.pid{white-space:nowrap}
table.findings{table-layout:fixed}
table.findings td{overflow-wrap:anywhere}
thead{display:table-header-group}
tr{break-inside:avoid}
.st{display:inline-block;border:1px solid;border-radius:4px;padding:0 6px;font-weight:bold;
 white-space:nowrap;font-size:12px}
.st-failed{background:#fee2e2;color:#991b1b}
.st-not_assessed{background:#fef3c7;color:#92400e}
.st-waived{background:#e0e7ff;color:#3730a3}
.st-passed{background:#dcfce7;color:#166534}
.st-no_assets{background:#f3f4f6;color:#374151}
.sev{font-weight:bold;text-transform:uppercase;font-size:12px}
.sev-critical{color:#7f1d1d}.sev-high{color:#b91c1c}.sev-medium{color:#b45309}
.sev-low{color:#1d4ed8}.sev-info{color:#4b5563}
.summary{color:#374151;margin:4px 0 6px;font-style:italic}
section.article{break-inside:avoid-page}
.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;
 border:1px solid #374151}
svg.chart{display:block;max-width:100%;height:auto;margin:6px 0}
svg.chart text{font-family:inherit;font-size:12px;fill:#111827}
.muted{color:#6b7280}
ul.where{margin:4px 0 0;padding-left:18px;overflow-wrap:anywhere}
ul.where .ex{font-family:ui-monospace,monospace;font-size:12px}
p.fix{margin:2px 0 6px}
footer{margin-top:30px;color:#6b7280;font-size:12px;border-top:1px solid #d1d5db;
 padding-top:6px}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;padding:0;font-size:11px}h2{break-after:avoid}
 h3{break-after:avoid}a{color:inherit;text-decoration:none}}
""".replace("%FONTS%", FONT_STACK)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _status(status: str) -> str:
    return f'<span class="st st-{status}">{_e(STATUS_LABELS[status].upper())}</span>'


def _counts_cells(c: Counts) -> str:
    return "".join(f'<td class="n">{v}</td>' for v in
                   (c.in_scope, c.assessed, c.passed, c.failed, c.waived, c.not_assessed))


_COUNT_HEADS = ("In scope", "Assessed", "Passed", "Failed", "Waived", "Not assessed")


def _count_heads() -> str:
    return "".join(f'<th class="n">{h}</th>' for h in _COUNT_HEADS)


def _header(r: ComplianceReport) -> list[str]:
    h = r.header
    out = ["<header>",
           "<h1>Data security compliance report</h1>",
           f'<p class="sub">{_e(REGULATION_EN)} · <span lang="zh-CN">{_e(REGULATION_ZH)}'
           "</span></p>"]
    if not h.complete:
        out.append(f'<div class="banner incomplete" role="alert"><strong>INCOMPLETE SCAN: '
                   f"{h.not_assessed} item{'s' if h.not_assessed != 1 else ''} NOT ASSESSED."
                   "</strong> What could not be read was not checked, so it is not compliant "
                   "until assessed; an article with anything not assessed is never shown as "
                   'passed. See <a href="#not-assessed">Not assessed</a>.</div>')
    if h.status == FAILED:
        out.append(f'<div class="banner fail"><strong>Findings: {h.findings - h.waived} open'
                   f"{f', {h.waived} waived' if h.waived else ''}.</strong> "
                   'See <a href="#articles">Compliance by article</a>.</div>')
    elif h.complete and h.status in (PASSED, WAIVED):
        extra = f" ({h.waived} finding{'s' if h.waived != 1 else ''} waived)" if h.waived else ""
        out.append(f'<div class="banner ok"><strong>Complete: every asset in scope was '
                   f"assessed and no finding is open{extra}.</strong></div>")
    sev = ", ".join(f"{n} {s}" for s, n in h.by_severity.items() if n) or "none"
    fail_on = fail_on_text(h)
    rows = [("Tool", f"dsscan {h.tool_version}".strip()),
            ("Scan started", h.started_at or "unknown"),
            ("Duration", f"{h.duration_s:.1f} s"),
            ("Inputs", ", ".join(h.inputs) or "(none recorded)"),
            ("Assets", str(h.assets)),
            ("Policies evaluated", str(h.policies)),
            ("Findings", f"{h.findings} ({sev})" + (f", {h.waived} waived" if h.waived else "")),
            ("Complete", "yes" if h.complete else f"NO: {h.not_assessed} not assessed"),
            ("--fail-on", fail_on)]
    if h.baseline_path:
        rows.append(("Baseline", h.baseline_path))
    if h.run_id:
        rows.append(("Run id", h.run_id))
    out.append('<dl class="meta">')
    out += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows]
    out.append(f"<dt>Overall</dt><dd>{_status(h.status)}</dd>")
    out += ["</dl>", "</header>"]
    return out


def _anchor(a: ArticleRow) -> str:
    return f"art-{a.number}" if a.number is not None else "art-none"


def _articles(r: ComplianceReport) -> list[str]:
    out = ['<section id="articles"><h2>Compliance by article</h2>',
           '<p class="muted">Assets per article: each asset counted once, with its worst state '
           "among the article's policies (failed &gt; not assessed &gt; waived &gt; passed). "
           'See <a href="#definitions">how the counts are defined</a>.</p>',
           "<table><thead><tr><th>Article</th><th>Title</th><th>Status</th><th>Policies</th>"
           f"{_count_heads()}</tr></thead><tbody>"]
    for a in r.articles:
        out.append(f'<tr><td><a href="#{_anchor(a)}">{_e(a.label)}</a></td><td>{_e(a.title)}'
                   f"</td><td>{_status(a.status)}</td>"
                   f"<td>{_e(', '.join(p.id for p in a.policies))}</td>"
                   f"{_counts_cells(a.counts)}</tr>")
    out.append("</tbody></table>")
    for a in r.articles:
        out.append(f'<section class="article" id="{_anchor(a)}">'
                   f"<h3>{_e(a.label)} — {_e(a.title)} {_status(a.status)}</h3>")
        if a.summary:
            out.append(f'<p class="summary">{_e(a.summary)}</p>')
        out.append("<table><thead><tr><th>Policy</th><th>Title</th><th>Status</th>"
                   f'<th class="n">Findings</th>{_count_heads()}</tr></thead><tbody>')
        for p in a.policies:
            pid = (f'<a href="#pol-{_e(p.id)}">{_e(p.id)}</a>' if p.findings else _e(p.id))
            out.append(f'<tr><td class="pid">{pid}</td>'
                       f"<td>{_e(p.title)}</td><td>{_status(p.status)}</td>"
                       f'<td class="n">{p.findings}</td>{_counts_cells(p.counts)}</tr>')
        c = a.counts
        out.append(f'<tr><th colspan="4">{_e(a.label)}: distinct assets</th>'
                   f"{_counts_cells(c).replace('<td', '<th').replace('</td>', '</th>')}</tr>")
        out.append("</tbody></table>")
        if a.scopes:
            out.append(f"<p>{_scopes_ref(a.scopes, r.scope_refs)}</p>")
        out.append("</section>")
    out.append("</section>")
    return out


def _boundary(r: ComplianceReport) -> list[str]:
    if not r.boundary:
        return []
    judged = sum(1 for a in r.articles if a.number is not None)
    out = ['<section id="boundary"><h2>Articles dsscan does not judge</h2>',
           f"<p>The Measures have {LAST_ARTICLE} articles; this report judges {judged} of them "
           "(above). dsscan does not judge the articles below, for the reason given: nothing "
           "in this report says they are met.</p>",
           "<table><thead><tr><th>Articles</th><th>Topic</th>"
           "<th>Why dsscan does not judge them</th></tr></thead><tbody>"]
    out += [f"<tr><td>{_e(b.label)}</td><td>{_e(b.topic)}</td><td>{_e(b.reason)}</td></tr>"
            for b in r.boundary]
    out.append("</tbody></table></section>")
    return out


def _scopes_ref(scopes: tuple[str, ...], refs: dict[str, str]) -> str:
    """The article's scopes by reference: each is listed once, under Not assessed."""
    links = ", ".join(f'<a href="#gap-{_e(refs[s])}">{_e(refs[s])}</a>' if s in refs
                      else _e(s) for s in scopes)
    return (f"<strong>Scopes not assessed:</strong> {links} (see "
            '<a href="#not-assessed">Not assessed</a>; could not be read, their assets are '
            "not counted above).")


def _places(f: FindingRow) -> str:
    """Where the data is and masked examples, under the message."""
    if not f.places:
        return ""
    items = []
    for p in f.places:
        what = _e(f"{p.detector}, {p.unmasked} unmasked" if p.detector
                  else f"{p.unmasked} unmasked")
        ex = f'<br><span class="ex">e.g. {_e("; ".join(p.examples))}</span>' if p.examples \
            else ""
        items.append(f"<li><strong>{_e(p.where)}</strong> ({what}){ex}</li>")
    return '<ul class="where">' + "".join(items) + "</ul>"


def _legend(levels: tuple[str, ...]) -> str:
    return ('<p class="legend">' + "".join(
        f'<span><span class="sw" style="background:{colour(lv)}"></span>{_e(lv)}</span>'
        for lv in levels) + "</p>")


def _charts(r: ComplianceReport) -> list[str]:
    levels = tuple(lv for lv in r.levels
                   if r.by_level.get(lv) or any(t.by_level.get(lv) for t in r.trend)
                   or lv in ("core", "important", "sensitive", "general"))
    out = ['<section id="charts"><h2>Findings by data level and policy</h2>']
    waived = r.header.waived
    out.append(f'<p class="muted">All findings, waived ones included ({waived} waived).</p>'
               if waived else '<p class="muted">All findings.</p>')
    out.append(_legend(levels))
    out.append("<h3>By data level</h3>")
    out.append(stacked_bars("Findings by data level",
                            [(lv, {lv: r.by_level.get(lv, 0)}) for lv in levels], levels))
    out.append("<h3>By policy, stacked by data level</h3>")
    out.append(stacked_bars("Findings by policy, stacked by data level", r.by_policy, levels))
    out.append("<table><thead><tr><th>Policy</th>"
               + "".join(f'<th class="n">{_e(lv)}</th>' for lv in levels)
               + '<th class="n">Total</th></tr></thead><tbody>')
    for pid, d in r.by_policy:
        out.append(f"<tr><td>{_e(pid)}</td>"
                   + "".join(f'<td class="n">{d.get(lv, 0)}</td>' for lv in levels)
                   + f'<td class="n">{sum(d.values())}</td></tr>')
    out.append("<tr><th>All</th>"
               + "".join(f'<th class="n">{r.by_level.get(lv, 0)}</th>' for lv in levels)
               + f'<th class="n">{sum(r.by_level.values())}</th></tr>')
    out.append("</tbody></table></section>")
    if r.trend:
        out.append('<section id="trend"><h2>Trend</h2>'
                   f'<p class="muted">Findings per run by data level, oldest first; the last '
                   f"point is this run ({len(r.trend)} runs).</p>")
        out.append(_legend(levels))
        out.append(trend_area(r.trend, levels))
        out.append("<table><thead><tr><th>Run</th>"
                   + "".join(f'<th class="n">{_e(lv)}</th>' for lv in levels)
                   + '<th class="n">Findings</th><th class="n">Not assessed</th></tr>'
                   "</thead><tbody>")
        for t in r.trend:
            na = "" if t.not_assessed is None else str(t.not_assessed)
            label = _e(t.started_at or t.label) + (" <strong>(this run)</strong>"
                                                    if t.current else "")
            out.append(f"<tr><td>{label}</td>"
                       + "".join(f'<td class="n">{t.by_level.get(lv, 0)}</td>' for lv in levels)
                       + f'<td class="n">{t.findings}</td><td class="n">{na}</td></tr>')
        out.append("</tbody></table></section>")
    return out


def _state(f: FindingRow) -> str:
    return f.state(_e, lambda t: f"<strong>{t}</strong>")


def _findings(r: ComplianceReport) -> list[str]:
    out = ['<section id="findings"><h2>Findings</h2>']
    if not r.finding_groups:
        out.append("<p>No findings" + ("" if r.header.complete else
                                      " among the assessed assets") + ".</p>")
    for g in r.finding_groups:
        arts = articles_text(g.articles)
        out.append(f'<h3 id="pol-{_e(g.policy_id)}">{_e(g.policy_id)} — {_e(g.title)}'
                   f"{f' <span class=muted>({_e(arts)})</span>' if arts else ''}"
                   f' <span class="muted">· {len(g.rows)}</span></h3>')
        if g.remediation:
            out.append('<p class="fix"><strong>Remediation:</strong> '
                       + "<br>".join(_e(line) for line in g.remediation.splitlines()) + "</p>")
        out.append('<table class="findings"><colgroup><col style="width:9%">'
                   '<col style="width:10%"><col style="width:27%"><col>'
                   '<col style="width:18%"></colgroup>'
                   "<thead><tr><th>Severity</th><th>Level</th><th>Asset</th>"
                   "<th>Message</th><th>State</th></tr></thead><tbody>")
        for f in g.rows:
            asset = _e(f.asset)
            if f.asset != f.asset_id:
                asset += f'<br><span class="muted">{_e(f.asset_id)}</span>'
            if f.related:
                asset += f'<br><span class="muted">related: {_e(", ".join(f.related))}</span>'
            out.append(f'<tr><td><span class="sev sev-{_e(f.severity)}">{_e(f.severity)}'
                       f'</span></td><td>{_e(f.level)}</td><td class="id">{asset}</td>'
                       f"<td>{_e(f.message)}{_places(f)}</td><td>{_state(f)}</td></tr>")
        out.append("</tbody></table>")
    if r.fixed:
        out.append(f'<h3 id="fixed">Fixed since the baseline ({len(r.fixed)})</h3>'
                   "<table><thead><tr><th>Policy</th><th>Asset</th><th>Level</th>"
                   "<th>Fingerprint</th></tr></thead><tbody>")
        out += [f"<tr><td>{_e(x['policy_id'])}</td><td class=\"id\">{_e(x['asset'])}</td>"
                f"<td>{_e(x['level'])}</td><td class=\"id\">{_e(x['fingerprint'])}</td></tr>"
                for x in r.fixed]
        out.append("</tbody></table>")
    if r.waiver_problems:
        out.append(f'<h3 id="waiver-problems">Waiver problems ({len(r.waiver_problems)})</h3>'
                   '<p class="muted">These waivers do not waive anything: the findings they '
                   "name count as open.</p>"
                   "<table><thead><tr><th>Waiver</th><th>Policy</th><th>Asset</th><th>Where</th>"
                   "<th>Problem</th><th>Leaves failing</th><th>Reason</th><th>Approver</th>"
                   "<th>Expires</th></tr>"
                   "</thead><tbody>")
        out += ["<tr>" + "".join(f"<td>{_e(w[k])}</td>" for k in
                                 ("id", "policy", "asset", "where", "problem", "findings",
                                  "reason", "approver", "expires")) + "</tr>"
                for w in r.waiver_problems]
        out.append("</tbody></table>")
    out.append("</section>")
    return out


def _not_assessed(r: ComplianceReport) -> list[str]:
    out = [f'<section id="not-assessed"><h2>Not assessed ({len(r.not_assessed)})</h2>']
    if not r.not_assessed:
        out.append("<p>Nothing: every asset was read and assessed by every policy in scope."
                   "</p></section>")
        return out
    out.append('<p class="muted">NOT checked, so NOT compliant until assessed.</p>'
               "<table><thead><tr><th>Asset / scope</th><th>Policy</th><th>Reason</th></tr>"
               "</thead><tbody>")
    seen: set[str] = set()  # one anchor per scope (the articles link to it), on its first row
    for g in r.not_assessed:
        anchor = f' id="gap-{_e(g.ref)}"' if g.ref and g.ref not in seen else ""
        seen.add(g.ref)
        label = f" <em>(scope {_e(g.ref)})</em>" if g.scope else ""
        out.append(f'<tr{anchor}><td class="id">{_e(g.target)}{label}</td>'
                   f"<td>{_e(g.policy)}</td><td>{_e(g.reason)}</td></tr>")
    out.append("</tbody></table></section>")
    return out


def _definitions() -> list[str]:
    out = ['<section id="definitions"><h2>How the counts are defined</h2><dl class="meta">']
    out += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in DEFINITIONS]
    out.append("</dl></section>")
    return out


def _events(found: dict[str, Any] | None) -> list[str]:
    """Regulatory events since the latest stored run (dsscan.events; docs/history.md)."""
    if found is None:
        return []
    from dsscan.events import describe

    evs, unknown = found.get("events") or [], found.get("not_known") or []
    out = [f'<section id="events"><h2>Regulatory events since {_e(found.get("a"))} '
           f"({len(evs)})</h2>",
           '<p class="muted">Art. 19: a level lowered without an approval record; Art. 71: '
           "a new important or core store (update the important-data catalogue); Art. 73: a "
           "new principal outside the institution on a sensitive-or-above store (report "
           "20 working days before).</p>"]
    if evs:
        out.append("<table><thead><tr><th>Article</th><th>Event</th><th>Store</th>"
                   "<th>What</th></tr></thead><tbody>")
        for e in evs:
            out.append(f"<tr><td>Art. {_e(e['article'])}</td><td>{_e(e['event'])}</td>"
                       f"<td>{_e(e['asset_id'])}</td><td>{_e(describe(e))}</td></tr>")
        out.append("</tbody></table>")
    elif found.get("known") and not unknown:
        out.append("<p>None.</p>")
    if unknown:
        out.append(f"<p><strong>Not known ({len(unknown)})</strong> — not a pass:</p><ul>")
        for u in unknown[:200]:
            where = f"{_e(u['asset_id'])}: " if u.get("asset_id") else ""
            out.append(f"<li>Art. {_e(u['article'])} {where}{_e(u['reason'])}</li>")
        if len(unknown) > 200:
            out.append(f"<li>… and {len(unknown) - 200} more (dsscan diff)</li>")
        out.append("</ul>")
    out.append("</section>")
    return out


def render_report(r: ComplianceReport, events: dict[str, Any] | None = None) -> str:
    title = "dsscan compliance report"
    if r.header.started_at:
        title += f" — {r.header.started_at}"
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f'<meta name="generator" content="dsscan {_e(r.header.tool_version)}">',
             f"<title>{_e(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>"]
    parts += _header(r)
    parts += ["<main>"]
    parts += _articles(r)
    parts += _boundary(r)
    parts += _charts(r)
    parts += _events(events)
    parts += _findings(r)
    parts += _not_assessed(r)
    parts += _definitions()
    parts += ["</main>", f"<footer>dsscan {_e(r.header.tool_version)} · {_e(REGULATION_EN)}"
              f"{' · ' + _e(NOT_ASSESSED_NOTE) if not r.header.complete else ''}</footer>",
              "</body>", "</html>"]
    return "\n".join(parts) + "\n"


NOT_ASSESSED_NOTE = "INCOMPLETE: not-assessed items are not a pass"


@register("html")
def render(result: ScanResult, *, color: bool = False, threshold: str | None = None) -> str:
    """``color`` is ignored: the page has its own colours."""
    return render_report(build(result, threshold), result.events)


__all__ = ["CSP", "FONT_STACK", "render", "render_report"]
