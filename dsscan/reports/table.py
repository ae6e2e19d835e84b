"""Human report: findings by severity, what was NOT assessed, how to fix, one summary line.

Plain text (no ANSI codes, aligned by display width so CJK names line up) unless colour is
asked for, then rich renders the same content. The "Not assessed" section is printed whenever
anything was not assessed: a sweep that missed part of the estate must never look clean.
"""

from __future__ import annotations

import shutil
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dsscan.findings import Finding, PolicyInfo, ScanResult
from dsscan.masking import mask_text
from dsscan.reports import (
    REGULATION,
    articles_text,
    baseline_counts,
    clean,
    failing,
    finding_asset_label,
    not_assessed_target,
    register,
    severity_counts,
    sorted_findings,
    sorted_fixed,
    sorted_not_assessed,
    sorted_policies,
    waiver_label,
)
from dsscan.reports.where import places_text
from dsscan.waivers import is_notice
from dsscan.wording import count

ASSET_WIDTH = 40  # cells; ARNs are long, names rarely are
DEFAULT_WIDTH = 120  # line width when output is not a terminal (COLUMNS overrides)
MIN_LAST = 40  # the wrapped last column never gets narrower than this
# rich lays out ~1 ms per row: past this many rows colour mode keeps the plain layout and
# only paints the severities (same content, seconds instead of minutes for 100k findings).
RICH_MAX_ROWS = 2000
_SGR = {"critical": "1;37;41", "high": "1;31", "medium": "33", "low": "36", "info": "2"}
_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow",
          "low": "cyan", "info": "dim"}


@dataclass
class _Content:
    title: str
    findings: list[tuple[str, str, str, str, str]]  # severity, policy, level, asset, message
    not_assessed: list[tuple[str, str, str]]  # target, policy, reason
    fixes: list[tuple[str, str, str, str]]  # policy id, title, articles, remediation
    summary: str
    incomplete: bool
    # Waivers and baselines (empty without them, so the report reads as before):
    waived: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # sev, policy,
    #                                        level, asset, "waived until ... (who): reason"
    existing: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # baselined
    waiver_problems: list[tuple[str, str, str]] = field(default_factory=list)  # waiver,
    #                                                     "policy on asset", problem
    baseline_line: str = ""  # "N new, M in baseline, K fixed (baseline FILE)"
    fixed: list[tuple[str, str, str]] = field(default_factory=list)  # policy, asset, level


def cell_width(text: str) -> int:
    """Terminal cells: East Asian wide/fullwidth count 2, combining marks 0."""
    if text.isascii():
        return len(text)  # fast path: most ids and messages
    w = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def truncate(text: str, width: int) -> str:
    """Keep the head and the (more telling) tail of a long id: ``arn:aws…:db:ledger``."""
    if cell_width(text) <= width:
        return text
    head_w = (width - 1) // 3
    tail_w = width - 1 - head_w
    head = _take(text, head_w)
    tail = _take(text[::-1], tail_w)[::-1]
    return f"{head}…{tail}"


def _take(text: str, width: int) -> str:
    out, used = [], 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_width(text))


def _content(result: ScanResult, threshold: str | None) -> _Content:
    def row(f: Finding, text: str) -> tuple[str, str, str, str, str]:
        return (f.severity, f.policy_id, clean(f.level),
                truncate(clean(finding_asset_label(result, f)), ASSET_WIDTH), text)

    def message(f: Finding) -> str:
        # Where the data is and masked examples (dsscan.reports.where), one line each under
        # the message: the cell's lines are wrapped one by one.
        return "\n".join([clean(f.message), *(f"where: {p}" for p in places_text(f))])

    # Findings to act on first; waived and baselined ones get sections of their own, so the
    # main list is what fails the run.
    findings, waived, existing = [], [], []
    for f in sorted_findings(result):
        if f.waiver is not None:
            waived.append(row(f, f"{waiver_label(f.waiver)}: "
                                 f"{clean(str(f.waiver.get('reason') or ''))}"))
        elif f.baseline == "existing":
            existing.append(row(f, message(f)))
        else:
            findings.append(row(f, message(f)))
    problems = [(clean(str(p.get("id") or "")),
                 f"{clean(str(p.get('policy') or ''))} on {clean(str(p.get('asset') or ''))}",
                 clean(str(p.get("problem") or "")) + _waiver_tail(p))
                for p in result.waiver_problems]
    bcounts = baseline_counts(result)
    baseline_line = fixed = None
    if bcounts is not None:
        baseline_line = (f"Baseline: {bcounts['new']} new, {bcounts['existing']} in baseline, "
                         f"{bcounts['fixed']} fixed ({clean(result.baseline_path)})")
        fixed = [(clean(str(e.get("policy_id") or "")),
                  truncate(clean(str(e.get("asset_id") or "")), ASSET_WIDTH),
                  clean(str(e.get("level") or ""))) for e in sorted_fixed(result)]
    # Scopes are shown whole: their tail (account/region) is what tells them apart.
    gaps = [(truncate(clean(not_assessed_target(result, n)), ASSET_WIDTH) if n.asset_id
             else clean(not_assessed_target(result, n)), n.policy_id or "all", clean(n.reason))
            for n in sorted_not_assessed(result)]

    info: dict[str, PolicyInfo] = {p.id: p for p in sorted_policies(result)}
    fixes: dict[str, tuple[str, str, str, str]] = {}
    for f in sorted(result.findings, key=lambda f: f.policy_id):
        if f.policy_id in fixes:
            continue
        p = info.get(f.policy_id)
        fixes[f.policy_id] = (f.policy_id, p.title if p else f.title,
                              articles_text(p.articles if p else f.articles),
                              (p.remediation if p and p.remediation else f.remediation).strip())

    counts = severity_counts(result)
    by_sev = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    parts = [f"{count(result.asset_count, 'asset')} scanned",
             count(len(result.policies), "policy"),
             f"{count(len(result.findings), 'finding')} ({by_sev})",
             f"{len(result.not_assessed)} not assessed"]
    n_fail = failing(result, threshold)
    if waived:
        parts.append(f"{len(waived)} waived")
    if bcounts is not None:
        parts.append(f"{bcounts['new']} new, {bcounts['existing']} in baseline, "
                     f"{bcounts['fixed']} fixed")
    if n_fail is not None and threshold:
        parts.append(f"{n_fail} at or above --fail-on {threshold.lower()}")
    if result.skipped:  # resources no scanner maps: say so, they were never judged
        types = sorted(result.skipped.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{clean(t)} x{n}" for t, n in types[:5])
        more = f", +{len(types) - 5} more types" if len(types) > 5 else ""
        # Types dsscan does not map, or (live AWS) resources outside --regions/--services:
        # the inventory's sources[].detail says which.
        parts.append(f"{sum(result.skipped.values())} resources not looked at, never judged "
                     f"({shown}{more})")
    summary = "Summary: " + ", ".join(parts)
    if not result.complete:
        summary += " -- INCOMPLETE: not-assessed items are not a pass"

    version = f" {result.tool_version}" if result.tool_version else ""
    title = f"dsscan{version} -- data security findings ({REGULATION})"
    return _Content(title, findings, gaps, list(fixes.values()), summary, not result.complete,
                    waived=waived, existing=existing, waiver_problems=problems,
                    baseline_line=baseline_line or "", fixed=fixed or [])


def _masked(c: _Content) -> _Content:
    """Every text of the content masked, before any layout: a line wrapped (textwrap, rich's
    fold) can cut an identifier in two, and the pass over the whole rendered report would
    then see two harmless halves. Most cells are masked already (clean): a cache lookup."""
    def cells(rows: list[Any]) -> list[Any]:
        return [tuple(mask_text(x) if isinstance(x, str) else x for x in r) for r in rows]

    return replace(c, title=mask_text(c.title), summary=mask_text(c.summary),
                   baseline_line=mask_text(c.baseline_line),
                   **{k: cells(getattr(c, k)) for k in (
                       "findings", "not_assessed", "fixes", "waived", "existing",
                       "waiver_problems", "fixed")})


def _none_text(c: _Content) -> str:
    """What the report says when nothing is left to act on."""
    if c.waived or c.existing:
        parts = [f"{n} {what}" for n, what in ((len(c.waived), "waived"),
                                                (len(c.existing), "in the baseline")) if n]
        return "No findings to act on (" + ", ".join(parts) + ")."
    return "No findings" + (" among the assessed assets." if c.incomplete else ".")


# --- plain text -----------------------------------------------------------------------------

def _severity_grid(rows: list[tuple[str, str, str, str, str]], last: str, width: int,
                   paint: dict[str, str] | None = None) -> list[str]:
    """(severity, policy, level, asset, text) rows, grouped by severity."""
    return grid(("SEVERITY", "POLICY", "LEVEL", "ASSET", last),
                 [(sev.upper(), p, lv, a, m) for sev, p, lv, a, m in rows],
                 groups=[sev for sev, *_ in rows], paint=paint, width=width)


def grid(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ",
         groups: list[str] | None = None, paint: dict[str, str] | None = None,
         width: int = DEFAULT_WIDTH, rule: bool = True) -> list[str]:
    """Aligned rows; ``paint`` maps a group to an SGR code for its first cell (colour mode).
    The last column wraps to fit ``width`` (never narrower than MIN_LAST), continuation lines
    aligned under it; its line breaks are kept. Lines break at spaces only: an identifier
    (an ARN, an id) longer than the column overflows its line rather than being split, so
    it stays whole to copy. ``rule``: a dashed line under the header."""
    widths = [max(cell_width(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    widths.append(max(cell_width(line) for r in [header, *rows] for line in r[-1].split("\n")))
    lead = len(indent) + sum(w + 2 for w in widths[:-1])
    last = max(MIN_LAST, width - lead)
    widths[-1] = min(widths[-1], last)

    def lines(r: Sequence[str], sgr: str = "") -> list[str]:
        # Last column is not padded: no trailing blanks.
        cells = [_pad(c, widths[i]) for i, c in enumerate(r[:-1])]
        if sgr:
            cells[0] = f"\x1b[{sgr}m{r[0]}\x1b[0m" + " " * (widths[0] - cell_width(r[0]))
        wrapped = [w for para in r[-1].split("\n")
                   for w in (textwrap.wrap(para, last, break_on_hyphens=False,
                                           break_long_words=False) or [""])]
        first = (indent + "  ".join([*cells, wrapped[0]])).rstrip()
        return [first] + [(" " * lead + more).rstrip() for more in wrapped[1:]]

    out = lines(tuple(header)) + (lines(tuple("-" * w for w in widths)) if rule else [])
    prev = None
    for i, r in enumerate(rows):
        g = groups[i] if groups else None
        if prev is not None and g != prev:
            out.append("")  # a blank line between severity groups
        prev = g
        out += lines(r, (paint or {}).get(g or "", ""))
    return out


def _plain(c: _Content, ansi: bool = False, width: int = DEFAULT_WIDTH) -> str:
    lines = [c.title, ""]
    if c.findings:
        lines.append(f"Findings ({len(c.findings)})")
        lines += _severity_grid(c.findings, "MESSAGE", width, paint=_SGR if ansi else None)
    else:
        lines.append(_none_text(c))
    if c.baseline_line:
        lines += ["", c.baseline_line]
    if c.existing:
        lines += ["", f"In baseline ({len(c.existing)}) -- accepted before, not failing"]
        lines += _severity_grid(c.existing, "MESSAGE", width)
    if c.fixed:
        lines += ["", f"Fixed since the baseline ({len(c.fixed)})"]
        lines += grid(("POLICY", "ASSET", "LEVEL"), c.fixed, width=width)
    if c.waived:
        lines += ["", f"Waived ({len(c.waived)}) -- accepted risks, not failing"]
        lines += _severity_grid(c.waived, "WAIVER", width)
    if c.waiver_problems:
        lines += ["", f"Waiver problems ({len(c.waiver_problems)})"]
        lines += grid(("WAIVER", "COVERS", "PROBLEM"), c.waiver_problems, width=width)
    if c.not_assessed:
        lines += ["", f"Not assessed ({len(c.not_assessed)}) -- NOT checked, so NOT compliant "
                      "until assessed"]
        lines += grid(("ASSET / SCOPE", "POLICY", "REASON"), c.not_assessed, width=width)
    if c.fixes:
        lines += ["", "How to fix"]
        for pid, title, arts, remediation in c.fixes:
            lines.append(f"  {pid}  {clean(title)}" + (f"  [{arts}]" if arts else ""))
            for rl in (remediation or "(no remediation text)").splitlines():
                lines.append(("      " + rl).rstrip())
    summary = f"\x1b[1;31m{c.summary}\x1b[0m" if ansi and c.incomplete else c.summary
    lines += ["", summary]
    return "\n".join(lines) + "\n"


# --- colour (rich) --------------------------------------------------------------------------

def _rich(c: _Content) -> str:
    import io
    import shutil

    from rich import box
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    width = shutil.get_terminal_size((120, 24)).columns
    con = Console(file=buf, force_terminal=True, color_system="standard", width=width,
                  highlight=False, emoji=False, legacy_windows=False)

    def show(t: Table) -> None:
        # rich wraps cells at spaces but folds (or crops) a word longer than its column: a
        # table is drawn at least as wide as its longest words need, so an ARN stays whole
        # and overflows the terminal line instead of being cut.
        # (print's own width= is capped at the console's: widen the console for the table.)
        con.width = max(width, Measurement.get(con, con.options.update(max_width=1 << 16),
                                               t).minimum)
        con.print(t)
        con.width = width

    con.print(Text(c.title, style="bold"))
    con.print()
    if c.findings:
        t = Table(title=f"Findings ({len(c.findings)})", title_justify="left",
                  box=box.SIMPLE_HEAVY, show_lines=False)
        t.add_column("Severity", no_wrap=True)
        t.add_column("Policy", no_wrap=True)
        t.add_column("Level", no_wrap=True)
        t.add_column("Asset", overflow="fold", max_width=ASSET_WIDTH)
        t.add_column("Message", overflow="fold")
        prev = None
        for s, p, lv, a, m in c.findings:
            if prev is not None and s != prev:
                t.add_section()
            prev = s
            t.add_row(Text(s.upper(), style=_STYLE.get(s, "")), Text(p), Text(lv), Text(a),
                      Text(m))
        show(t)
    else:
        con.print(Text(_none_text(c), style="green" if not c.incomplete else "yellow"))
    if c.baseline_line:
        con.print(Text(c.baseline_line, style="bold"))
    for title, rows, head, style in (
            (f"In baseline ({len(c.existing)}) -- accepted before, not failing", c.existing,
             "Message", "dim"),
            (f"Waived ({len(c.waived)}) -- accepted risks, not failing", c.waived, "Waiver",
             "dim")):
        if not rows:
            continue
        t = Table(title=title, title_justify="left", title_style=style, box=box.SIMPLE_HEAVY)
        t.add_column("Severity", no_wrap=True)
        t.add_column("Policy", no_wrap=True)
        t.add_column("Level", no_wrap=True)
        t.add_column("Asset", overflow="fold", max_width=ASSET_WIDTH)
        t.add_column(head, overflow="fold")
        for s, p, lv, a, m in rows:
            t.add_row(Text(s.upper(), style=_STYLE.get(s, "")), Text(p), Text(lv), Text(a),
                      Text(m))
        show(t)
    for title, heads, rows3, style in (
            (f"Fixed since the baseline ({len(c.fixed)})", ("Policy", "Asset", "Level"),
             c.fixed, "green"),
            (f"Waiver problems ({len(c.waiver_problems)})", ("Waiver", "Covers", "Problem"),
             c.waiver_problems, "bold yellow")):
        if not rows3:
            continue
        t = Table(title=title, title_justify="left", title_style=style, box=box.SIMPLE_HEAVY)
        for h in heads:
            t.add_column(h, overflow="fold")
        for r3 in rows3:
            t.add_row(*(Text(x) for x in r3))
        show(t)
    if c.not_assessed:
        t = Table(title=f"Not assessed ({len(c.not_assessed)}) -- NOT checked, so NOT "
                        "compliant until assessed",
                  title_justify="left", title_style="bold yellow", box=box.SIMPLE_HEAVY)
        t.add_column("Asset / scope", overflow="fold", max_width=ASSET_WIDTH)
        t.add_column("Policy", no_wrap=True)
        t.add_column("Reason", overflow="fold")
        for target, pol, reason in c.not_assessed:
            t.add_row(Text(target), Text(pol), Text(reason))
        show(t)
    if c.fixes:
        con.print(Text("How to fix", style="bold"))
        for pid, title, arts, remediation in c.fixes:
            head = Text("  ")
            head.append(pid, style="bold")
            head.append(f"  {clean(title)}")
            if arts:
                head.append(f"  [{arts}]", style="dim")
            con.print(head)
            for rl in (remediation or "(no remediation text)").splitlines():
                con.print(Text("      " + rl))
    con.print()
    con.print(Text(c.summary, style="bold red" if c.incomplete else "bold"))
    return buf.getvalue()


@register("table")
def render(result: ScanResult, *, color: bool = False, threshold: str | None = None) -> str:
    content = _masked(_content(result, threshold))
    width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    if not color:
        return _plain(content, width=width)
    if (len(content.findings) + len(content.not_assessed) + len(content.waived)
            + len(content.existing) + len(content.fixed)) > RICH_MAX_ROWS:
        return _plain(content, ansi=True, width=width)
    return _rich(content)


__all__ = ["cell_width", "grid", "render", "truncate"]


def _waiver_tail(p: dict[str, Any]) -> str:
    """How many findings a waiver problem leaves failing, or (a catch-all accepted with
    scope: all) how many it waives; nothing for a stale waiver."""
    n = p.get("findings", 0)
    if not is_notice(p):
        return f" -- {count(n, 'finding')} not waived"
    return f" -- {count(n, 'finding')} waived" if p.get("kind") == "catch_all" else ""
