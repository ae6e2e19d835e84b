"""The per-article compliance report (--format html / markdown): its figures, pinned on a small
hand-built estate with expectations computed by hand; what it shows of waivers, baselines,
history and gaps; escaping and masking; and the reports of the real pipeline over the saved
example estate."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from cli_support import dsscan
from markdown_it import MarkdownIt

from dsscan.articles import ARTICLES, UNKNOWN_TITLE
from dsscan.detection.checksums import mod11_2_check_char
from dsscan.findings import Finding, NotAssessed, PolicyInfo, ScanResult
from dsscan.reports import REPORTERS, get_reporter
from dsscan.reports.compliance import (
    FAILED,
    NO_ASSETS,
    NOT_ASSESSED,
    PASSED,
    WAIVED,
    Counts,
    article_rows,
    build,
    policy_states,
)
from dsscan.reports.markdown import md

# --- the small estate -----------------------------------------------------------------------
#
# 8 assets: databases db1 db2, buckets b1 b2 b3, network domains vpc1 vpc2, a vault.
# Policies (articles; kinds):
#   ENC DS-ENC-001 (41, 45; database, object_store)    -> db1 db2 b1 b2 b3
#   NET DS-NET-002 (41, 53; network_domain)            -> vpc1 vpc2
#   CLS DS-CLS-001 (16, 18; no kinds = every asset)    -> all 8
#   CL2 DS-CLS-002 (19; backup_vault)                  -> vault1
#   BAK DS-BAK-003 (37; backup_vault)                  -> vault1
#   TST DS-TST-001 (48; cache)                         -> nothing
# Findings: ENC on db1 (open); ENC on db2 (waived); ENC on b1 twice (one waived, one open);
#   NET on vpc1 twice (both waived); CLS on b2 (open, "existing" in the baseline).
# Not assessed: b3 for every policy; db2 for ENC; b1 for ENC; vault1 for CL2;
#   the scope aws:111111111111/cn-north-1 for ENC.

ENC = PolicyInfo(id="DS-ENC-001", title="Stores are encrypted at rest", package="p.enc",
                 path="enc.rego", articles=(41, 45), kinds=("database", "object_store"))
NET = PolicyInfo(id="DS-NET-002", title="No path from a lower domain", package="p.net",
                 path="net.rego", articles=(41, 53), kinds=("network_domain",))
CLS = PolicyInfo(id="DS-CLS-001", title="Every store has a level", package="p.cls",
                 path="cls.rego", articles=(16, 18))
CL2 = PolicyInfo(id="DS-CLS-002", title="Declared level not too low", package="p.cl2",
                 path="cl2.rego", articles=(19,), kinds=("backup_vault",))
BAK = PolicyInfo(id="DS-BAK-003", title="Backup storage access restricted", package="p.bak",
                 path="bak.rego", articles=(37,), kinds=("backup_vault",))
TST = PolicyInfo(id="DS-TST-001", title="Test environments isolated", package="p.tst",
                 path="tst.rego", articles=(48,), kinds=("cache",))
POLICIES = [ENC, NET, CLS, CL2, BAK, TST]
SCOPE = "aws:111111111111/cn-north-1"
ASSETS = {"db1": "database", "db2": "database", "b1": "object_store", "b2": "object_store",
          "b3": "object_store", "vpc1": "network_domain", "vpc2": "network_domain",
          "vault1": "backup_vault"}
WAIVER = {"id": "W-1", "reason": "compensating control", "approver": "ciso",
          "expires": "2027-03-31", "source": "waivers.yaml"}


def finding(p: PolicyInfo, asset: str, *, level: str = "core", severity: str = "critical",
            waived: bool = False, **kw) -> Finding:
    return Finding(policy_id=p.id, title=p.title, articles=p.articles, severity=severity,
                   level=level, asset_id=asset, message=f"{p.id} on {asset}",
                   remediation="fix it", asset_name=kw.pop("asset_name", asset),
                   waiver=dict(WAIVER) if waived else None, **kw)


def estate(**changes) -> ScanResult:
    findings = [
        finding(ENC, "db1"),
        finding(ENC, "db2", level="important", severity="high", waived=True),
        finding(ENC, "b1", level="sensitive", severity="medium", waived=True),
        finding(ENC, "b1", level="sensitive", severity="medium", related=("vpc1",)),
        finding(NET, "vpc1", level="important", severity="high", waived=True),
        finding(NET, "vpc1", level="important", severity="high", waived=True,
                related=("vpc2",)),
        finding(CLS, "b2", level="unclassified", severity="medium", baseline="existing"),
    ]
    not_assessed = [
        NotAssessed(reason="bucket unreadable", asset_id="b3"),
        NotAssessed(reason="encryption unreadable", asset_id="db2", policy_id=ENC.id),
        NotAssessed(reason="key policy unreadable", asset_id="b1", policy_id=ENC.id),
        NotAssessed(reason="level unreadable", asset_id="vault1", policy_id=CL2.id),
        NotAssessed(reason="AccessDenied", scope=SCOPE, policy_id=ENC.id),
    ]
    r = ScanResult(findings=findings, not_assessed=not_assessed, policies=list(POLICIES),
                   asset_count=len(ASSETS), inputs=["estate.json"], tool_version="0.1.0",
                   started_at="2026-03-01T08:00:00+00:00", duration_s=1.25,
                   assets={a: {"name": a, "kind": k} for a, k in ASSETS.items()})
    return replace(r, **changes)


def html_of(r: ScanResult, threshold: str | None = "low") -> str:
    return get_reporter("html")(r, threshold=threshold)


def md_of(r: ScanResult, threshold: str | None = "low") -> str:
    return get_reporter("markdown")(r, threshold=threshold)


# --- figures --------------------------------------------------------------------------------

def test_per_policy_asset_states_follow_the_documented_rules():
    s = policy_states(estate())
    assert s[ENC.id] == {"db1": FAILED, "db2": NOT_ASSESSED, "b1": FAILED, "b2": PASSED,
                         "b3": NOT_ASSESSED}
    assert s[NET.id] == {"vpc1": WAIVED, "vpc2": PASSED}
    assert s[CLS.id] == {"db1": PASSED, "db2": PASSED, "b1": PASSED, "b2": FAILED,
                         "b3": NOT_ASSESSED, "vpc1": PASSED, "vpc2": PASSED, "vault1": PASSED}
    assert s[CL2.id] == {"vault1": NOT_ASSESSED}
    assert s[BAK.id] == {"vault1": PASSED}
    assert s[TST.id] == {}


def test_policy_counts_and_statuses_match_hand_computed_figures():
    pol = {p.id: p for a in article_rows(estate()) for p in a.policies}
    #                        in scope, failed, not assessed, waived, passed
    assert pol[ENC.id].counts == Counts(5, 2, 2, 0, 1)
    assert pol[NET.id].counts == Counts(2, 0, 0, 1, 1)
    assert pol[CLS.id].counts == Counts(8, 1, 1, 0, 6)
    assert pol[CL2.id].counts == Counts(1, 0, 1, 0, 0)
    assert pol[BAK.id].counts == Counts(1, 0, 0, 0, 1)
    assert pol[TST.id].counts == Counts(0, 0, 0, 0, 0)
    assert {k: p.status for k, p in pol.items()} == {
        ENC.id: FAILED, NET.id: WAIVED, CLS.id: FAILED, CL2.id: NOT_ASSESSED,
        BAK.id: PASSED, TST.id: NO_ASSETS}
    assert pol[ENC.id].findings == 4 and pol[NET.id].findings == 2
    assert pol[ENC.id].scopes == (SCOPE,) and pol[NET.id].scopes == ()
    assert pol[ENC.id].counts.assessed == 3


def test_article_counts_take_each_assets_worst_state_across_its_policies():
    rows = {a.number: a for a in article_rows(estate())}
    assert list(rows) == [16, 18, 19, 37, 41, 45, 48, 53]  # ascending, each cited once
    # Art. 41 = ENC + NET: db1 F, db2 NA, b1 F, b2 P, b3 NA, vpc1 W, vpc2 P.
    assert rows[41].counts == Counts(7, 2, 2, 1, 2)
    assert rows[45].counts == Counts(5, 2, 2, 0, 1)
    assert rows[16].counts == rows[18].counts == Counts(8, 1, 1, 0, 6)
    assert rows[19].counts == Counts(1, 0, 1, 0, 0)
    assert rows[37].counts == Counts(1, 0, 0, 0, 1)
    assert rows[48].counts == Counts(0, 0, 0, 0, 0)
    assert rows[53].counts == Counts(2, 0, 0, 1, 1)
    assert {n: a.status for n, a in rows.items()} == {
        16: FAILED, 18: FAILED, 19: NOT_ASSESSED, 37: PASSED, 41: FAILED, 45: FAILED,
        48: NO_ASSETS, 53: WAIVED}
    assert [p.id for p in rows[41].policies] == [ENC.id, NET.id]
    assert rows[41].scopes == rows[45].scopes == (SCOPE,) and rows[16].scopes == ()
    assert rows[41].title == ARTICLES[41].title and rows[41].summary == ARTICLES[41].summary


def test_counts_are_disjoint_and_add_up_to_what_is_in_scope():
    for a in article_rows(estate()):
        for c in (a.counts, *(p.counts for p in a.policies)):
            assert c.failed + c.not_assessed + c.waived + c.passed == c.in_scope


def test_a_waiver_does_not_cover_what_could_not_be_read():
    # db2: its ENC finding is waived, but its encryption could not be read: not assessed.
    assert policy_states(estate())[ENC.id]["db2"] == NOT_ASSESSED
    # Without the gap it is waived.
    r = estate(not_assessed=[n for n in estate().not_assessed if n.asset_id != "db2"])
    assert policy_states(r)[ENC.id]["db2"] == WAIVED


def test_an_asset_a_policy_reports_on_is_in_scope_whatever_its_kind():
    r = estate()
    r.findings.append(finding(BAK, "b2", level="sensitive", severity="medium"))
    states = policy_states(r)[BAK.id]
    assert states == {"vault1": PASSED, "b2": FAILED}


def test_an_unreadable_scope_for_every_policy_makes_no_article_passed():
    r = estate(findings=[], not_assessed=[NotAssessed(reason="AccessDenied", scope=SCOPE)])
    rows = article_rows(r)
    assert {a.status for a in rows} == {NOT_ASSESSED}  # Art. 48 (no assets) included
    assert all(a.scopes == (SCOPE,) for a in rows)
    assert build(r).header.status == NOT_ASSESSED


def test_a_complete_scan_with_only_waived_findings_is_waived_and_no_article_fails():
    r = estate(findings=[f for f in estate().findings if f.waived], not_assessed=[])
    rows = {a.number: a for a in article_rows(r)}
    assert rows[41].status == WAIVED and rows[41].counts == Counts(7, 0, 0, 3, 4)
    assert rows[16].status == PASSED
    assert build(r).header.status == WAIVED


def test_policies_citing_no_article_form_their_own_group_and_unknown_articles_say_so():
    free = PolicyInfo(id="ACME-001", title="House rule", package="p.acme", path="a.rego")
    odd = PolicyInfo(id="ACME-002", title="Odd rule", package="p.odd", path="o.rego",
                     articles=(99,), kinds=("database",))
    rows = article_rows(estate(policies=[*POLICIES, free, odd]))
    assert rows[-1].number is None and [p.id for p in rows[-1].policies] == ["ACME-001"]
    assert rows[-1].counts.in_scope == 8
    art99 = next(a for a in rows if a.number == 99)
    assert art99.title == UNKNOWN_TITLE and art99.counts == Counts(2, 0, 0, 0, 2)


def test_every_article_a_shipped_policy_cites_has_a_title_and_summary():
    from dsscan.policy_library import load_library

    cited = {a for p in load_library().policies if p.builtin for a in p.articles}
    assert cited, "the shipped library cites no article?"
    missing = sorted(cited - set(ARTICLES))
    assert not missing, f"articles without a title in dsscan/articles.py: {missing}"
    for a in ARTICLES.values():
        assert a.title and len(a.title) <= 70 and a.summary.endswith(".")


def test_docs_article_table_matches_the_shipped_library_and_titles():
    from dsscan.policy_library import load_library

    want: dict[int, set[str]] = {}
    for p in load_library().policies:
        for a in p.articles:
            want.setdefault(a, set()).add(p.id)
    doc = (Path(__file__).parent.parent / "docs" / "reports.md").read_text("utf-8")
    section = doc.split("## The articles", 1)[1].split("\n## ", 1)[0]
    got = {}
    for m in re.finditer(r"^\| (\d+) \| (.+?) \| (.+?) \|$", section, flags=re.M):
        n = int(m.group(1))
        assert m.group(2) == ARTICLES[n].title, n
        got[n] = set(m.group(3).split(", "))
    assert got == want


# --- header, waivers, baseline, history -----------------------------------------------------

def test_header_counts_failing_findings_as_the_exit_code_does():
    h = build(estate(), "high").header
    # At or above high: db1 (critical, open), db2 (high, waived), the two NET (waived).
    assert (h.at_or_above, h.failing) == (4, 1)
    assert build(estate(), "low").header.failing == 2  # + b1's open finding; b2 is "existing"
    assert build(estate(), None).header.failing is None
    assert build(estate(), "never").header.threshold is None
    text = html_of(estate(), "high")
    assert "high: 1 finding fail it" in text and "3 more at or above are waived" in text
    assert "high: 1 finding fail it" in md_of(estate(), "high")


def test_an_incomplete_scan_is_flagged_and_never_shown_complete():
    for text in (html_of(estate()), md_of(estate())):
        assert "INCOMPLETE SCAN: 5 items NOT ASSESSED" in text
        assert "Complete: every asset in scope was assessed" not in text
    # Even with nothing failing, a gap no article owns keeps the report from looking green.
    r = estate(findings=[], not_assessed=[NotAssessed(reason="x", asset_id="ghost",
                                                       policy_id="DS-GONE-001")])
    assert build(r).header.status == NOT_ASSESSED
    assert "Complete: every asset" not in html_of(r)
    assert 'class="banner ok"' not in html_of(r)


def test_a_complete_clean_scan_says_so():
    r = estate(findings=[], not_assessed=[])
    assert 'class="banner ok"' in html_of(r) and "INCOMPLETE" not in html_of(r)
    assert "**Complete: every asset in scope was assessed" in md_of(r)


def test_waived_findings_show_reason_approver_and_expiry_and_baseline_state():
    r = estate()
    text = html_of(r)
    assert ("<strong>waived</strong> W-1; reason: compensating control; approver: ciso; "
            "expires: 2027-03-31") in text
    assert "baseline: existing" in text
    assert "**waived** W-1; reason: compensating control; approver: ciso; expires: 2027-03-31" \
        in md_of(r)


def test_fixed_findings_and_waiver_problems_are_listed():
    r = estate(baseline_path="baseline.json",
               fixed=[{"fingerprint": "f" * 32, "policy_id": ENC.id, "asset_id": "db9",
                       "level": "core"}],
               waiver_problems=[{"id": "W-9", "policy": NET.id, "asset": "vpc2",
                                 "reason": "legacy", "approver": None,
                                 "expires": "2025-01-01", "problem": "expired"}])
    for text in (html_of(r), md_of(r)):
        assert "Fixed since the baseline (1)" in text and "f" * 32 in text
        assert "Waiver problems (1)" in text and "expired" in text and "W-9" in text
        assert "baseline.json" in text


def history(n: int) -> list[dict]:
    return [{"run_id": f"r{i}", "started_at": f"2026-0{i}-01T08:00:00+00:00",
             "findings": 10 + i, "by_level": {"core": i, "sensitive": 10},
             "by_severity": {"critical": i, "medium": 10}, "not_assessed": 2}
            for i in range(1, n + 1)]


def test_trend_is_the_history_oldest_first_then_this_run():
    r = estate(history=history(2), run_id="r3")
    t = build(r).trend
    assert [p.label for p in t] == ["2026-01-01 08:00", "2026-02-01 08:00", "2026-03-01 08:00"]
    assert [p.findings for p in t] == [11, 12, 7]
    assert [p.current for p in t] == [False, False, True]
    assert t[-1].by_level == {"core": 1, "important": 3, "sensitive": 2, "unclassified": 1}
    assert t[-1].not_assessed == 5


def test_this_run_already_in_the_store_is_not_counted_twice():
    r = estate(history=[*history(2), {**history(3)[2], "run_id": "now"}], run_id="now")
    assert len(build(r).trend) == 3


def test_trend_chart_only_with_history():
    assert "Trend" not in md_of(estate()) and 'id="trend"' not in html_of(estate())
    r = estate(history=history(2))
    text = html_of(r)
    assert 'id="trend"' in text and "<polygon" in text
    assert text.count('<circle class="pt"') == 3
    m = md_of(r)
    assert "## Trend" in m
    block = m.split("## Trend", 1)[1].split("```mermaid", 1)[1].split("```", 1)[0]
    assert "xychart-beta" in block and "line [1, 2, 1]" in block  # core per run


def test_chart_bars_carry_the_figures_they_draw():
    text = html_of(estate())
    # By level: core 1 (db1), important 3 (db2 + 2 NET), sensitive 2 (b1), unclassified 1.
    for want in ("core · core: 1", "important · important: 3", "sensitive · sensitive: 2",
                 "unclassified · unclassified: 1",
                 "DS-ENC-001 · core: 1", "DS-ENC-001 · important: 1",
                 "DS-ENC-001 · sensitive: 2", "DS-NET-002 · important: 2",
                 "DS-CLS-001 · unclassified: 1"):
        assert f"<title>{want}</title>" in text
    m = md_of(estate())
    assert 'x-axis ["core", "important", "sensitive", "general", "unclassified"]' in m
    assert "bar [1, 3, 2, 0, 1]" in m
    assert "| DS-ENC-001 | 1 | 1 | 2 | 0 | 0 | 4 |" in m


# --- both formats, same figures ------------------------------------------------------------

class _Tables(HTMLParser):
    """Rows of every table: list of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_rows(text: str) -> list[list[str]]:
    p = _Tables()
    p.feed(text)
    return p.rows


def md_rendered_rows(text: str) -> list[list[str]]:
    return html_rows(MarkdownIt("commonmark", {"html": True}).enable("table").render(text))


def test_html_and_markdown_show_the_same_article_overview():
    r = estate()
    want = [["Art. 16", ARTICLES[16].title, "FAILED", "DS-CLS-001", "8", "7", "6", "1", "0", "1"],
            ["Art. 41", ARTICLES[41].title, "FAILED", "DS-ENC-001, DS-NET-002",
             "7", "5", "2", "2", "1", "2"],
            ["Art. 48", ARTICLES[48].title, "NO ASSETS IN SCOPE", "DS-TST-001",
             "0", "0", "0", "0", "0", "0"],
            ["Art. 53", ARTICLES[53].title, "WAIVED", "DS-NET-002", "2", "2", "1", "0", "1", "0"]]
    for rows in (html_rows(html_of(r)), md_rendered_rows(md_of(r))):
        for w in want:
            assert w in rows, w


# --- masking and escaping ------------------------------------------------------------------

def resident_id() -> str:
    body = "11010519491231002"
    return body + mod11_2_check_char(body)


def hostile(rid: str) -> ScanResult:
    evil = f"<script>alert(1)</script> | `tick` *b* [x](javascript:alert(1)) $x$ {rid}"
    r = estate()
    r.findings.append(finding(ENC, f"arn:aws-cn:s3:::{rid}", asset_name=f"客户-{rid} {evil}",
                              level="sensitive", severity="medium",
                              related=("b2",)))
    r.findings[-1].message = f"holds {rid} and {evil}"
    r.findings[-1].waiver = {"id": f"W-{rid}", "reason": evil, "approver": rid,
                             "expires": "2027-01-01", "source": "w.yaml"}
    r.assets[f"arn:aws-cn:s3:::{rid}"] = {"name": f"客户-{rid} {evil}", "kind": "object_store"}
    r.not_assessed.append(NotAssessed(reason=f"cannot read {rid} {evil}", scope=f"s {rid}"))
    r.inputs.append(f"/tmp/{rid}.json")
    r.waiver_problems.append({"id": rid, "policy": ENC.id, "asset": rid, "reason": evil,
                              "approver": rid, "expires": None, "problem": f"bad {rid}"})
    r.fixed.append({"fingerprint": rid, "policy_id": ENC.id, "asset_id": rid,
                    "level": "core"})
    r.history = [{"run_id": rid, "started_at": rid, "findings": 1, "by_level": {rid: 1},
                  "by_severity": {}, "not_assessed": 0}]
    r.run_id = f"run-{rid}"
    r.baseline_path = f"/b/{rid}.json"
    return r


def test_a_resident_id_in_names_messages_and_gaps_never_appears_in_clear():
    rid = resident_id()
    masked = rid[:6] + "*" * 8 + rid[-4:]
    r = hostile(rid)
    for fmt in ("html", "markdown"):
        text = get_reporter(fmt)(r, threshold="low")
        assert rid not in text, fmt
        assert masked in text or masked.replace("*", "\\*") in text, fmt


def test_html_escapes_every_text_so_nothing_is_injected():
    text = html_of(hostile(resident_id()))
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'href="javascript' not in text


def test_markdown_escapes_cells_so_tables_hold_and_no_html_is_injected():
    rid = resident_id()
    hidden = rid[:6] + "*" * 8 + rid[-4:]
    text = md_of(hostile(rid))
    out = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    assert "<script" not in out.lower() and "<a " not in out and "<code>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    # Pipes and backticks come out literally, inside the message cell (an unescaped pipe
    # would end the cell there, and GFM drops the cells past the header's width).
    assert (f"<td>holds {hidden} and &lt;script&gt;alert(1)&lt;/script&gt; | `tick` "
            f"*b* [x](javascript:alert(1)) $x$ {hidden}</td>") in out
    # The hostile cell stays one cell: every rendered row has its table's header width.
    for table in re.findall(r"<table>.*?</table>", out, flags=re.S):
        rows = html_rows(table)
        assert len({len(r) for r in rows}) == 1, rows[0]


def test_markdown_tables_are_well_formed_and_each_article_has_a_heading():
    r = hostile(resident_id())
    text = md_of(r)
    rows = {a.number for a in article_rows(r)}
    for n in rows:
        assert re.search(rf"^### Art\. {n} — ", text, flags=re.M), n
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            widths = {len(re.split(r"(?<!\\)\|", row)) for row in block}
            assert len(widths) == 1, block
            assert re.fullmatch(r"\|( ---:? \|)+", block[1]), block[1]
            block = []


def test_md_escapes_what_markdown_would_read_as_markup():
    assert md("a|b<c>`d`*e*_f_[g](h)~i~$j$&k#l!m\\n") == (
        "a\\|b\\<c\\>\\`d\\`\\*e\\*\\_f\\_\\[g\\](h)\\~i\\~\\$j\\$\\&k\\#l\\!m\\\\n")
    assert md("two\nlines") == "two lines"


def test_html_is_self_contained():
    text = html_of(hostile(resident_id()))
    refs = re.findall(r"""(?:src|href|xlink:href|action|poster)\s*=\s*["']([^"']*)""", text,
                      flags=re.I)
    assert refs and all(u.startswith("#") for u in refs), refs
    assert "@import" not in text and "url(" not in text and "<link" not in text
    assert "<script" not in text and "<iframe" not in text
    assert "default-src 'none'" in text
    assert "Noto Sans CJK SC" in text and '<meta charset="utf-8">' in text
    assert "@media print" in text


# --- registry, determinism, the real pipeline ----------------------------------------------

def test_html_and_markdown_are_registered_formats():
    assert {"html", "markdown"} <= set(REPORTERS)


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_reports_are_deterministic_and_independent_of_input_order(fmt):
    r = estate(history=history(2))
    first = get_reporter(fmt)(r, threshold="low")
    shuffled = replace(r, findings=list(reversed(r.findings)),
                       not_assessed=list(reversed(r.not_assessed)),
                       policies=list(reversed(r.policies)),
                       assets=dict(reversed(list(r.assets.items()))))
    assert get_reporter(fmt)(shuffled, threshold="low") == first


def saved_estate_result() -> ScanResult:
    from dsscan.catalogue import load_catalogue
    from dsscan.config import Config
    from dsscan.inventory import load_inventory
    from dsscan.pipeline import ScanOptions, run_scan
    from dsscan.policy_library import load_library

    ex = resources.files("dsscan.examples")
    config = Config()
    with resources.as_file(ex / "bank-estate.json") as estate_path, \
            resources.as_file(ex / "catalogue.yaml") as cat:
        inv = load_inventory(estate_path)
        return run_scan(inv, load_library(), ScanOptions(
            config=config, catalogue=load_catalogue(str(cat), config)))


def test_saved_example_estate_figures_follow_from_the_inventory():
    """Counted from the inventory file itself, not from the model: the network domains DS-NET-002
    judges, the three the README says are reachable from below or the internet, and
    legacy-reports (unreadable) not assessed wherever an object store is in scope."""
    with resources.as_file(resources.files("dsscan.examples") / "bank-estate.json") as p:
        doc = json.loads(Path(p).read_text("utf-8"))
    domains = [a for a in doc["assets"] if a["kind"] == "network_domain"]
    stores = [a for a in doc["assets"] if a["kind"] == "object_store"]
    r = saved_estate_result()
    pol = {p.id: p for a in article_rows(r) for p in a.policies}
    net = pol["DS-NET-002"]
    assert net.counts.in_scope == len(domains)
    assert net.counts.failed == 3 and net.counts.not_assessed == 0
    assert net.status == FAILED
    states = policy_states(r)
    legacy = next(a["id"] for a in stores if a["name"] == "legacy-reports")
    for pid, st in states.items():
        if legacy in st:
            assert st[legacy] in (NOT_ASSESSED, FAILED), pid
    assert states["DS-ENC-001"][legacy] == NOT_ASSESSED
    rows = {a.number: a for a in article_rows(r)}
    assert all(a.status in (FAILED, NOT_ASSESSED) for a in rows.values())  # incomplete scan
    assert all(a.scopes for a in rows.values())  # the elasticache sweep gap is for all policies


def test_cli_writes_html_and_markdown_by_extension(tmp_path):
    html_path, md_path = tmp_path / "compliance.html", tmp_path / "compliance.md"
    proc = dsscan("demo", "--saved", "-o", str(html_path), "-o", str(md_path))
    assert proc.returncode == 1, proc.stderr  # the demo estate has findings
    page, doc = html_path.read_text("utf-8"), md_path.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Compliance by article" in page
    assert doc.startswith("# dsscan compliance report") and "### Art. 41 — " in doc
    assert "INCOMPLETE SCAN" in page and "INCOMPLETE SCAN" in doc


def test_waiver_problems_say_where_the_waiver_applies_and_what_it_leaves_failing():
    r = ScanResult(findings=[], not_assessed=[], policies=[], asset_count=0, waiver_problems=[
        {"id": "W-OLD", "policy": "DS-BAK-002", "asset": "legacy-*", "account": "222222222222",
         "region": None, "reason": "migration", "approver": "ciso", "expires": "2026-01-01",
         "source": "x", "problem": "expired on 2026-01-01", "findings": 3}])
    for fmt in ("html", "markdown"):
        text = get_reporter(fmt)(r)
        assert "account 222222222222" in text and "expired on 2026-01-01" in text, fmt
        assert re.search(r"Leaves failing", text), fmt


@pytest.mark.parametrize("render", [html_of, md_of])
def test_a_scope_not_assessed_is_listed_once_and_referred_to_from_each_article(render):
    """A whole-scope gap applies to every article: it is listed once (Not assessed) and the
    articles name it by reference, instead of repeating it under each of them."""
    r = estate(findings=[], not_assessed=[NotAssessed(reason="AccessDenied", scope=SCOPE)])
    text = render(r)
    assert text.count(SCOPE) == 1
    n_articles = len(article_rows(r))
    assert re.sub(r"<[^>]+>", "", text).count("Scopes not assessed: ") == n_articles
    assert "(scope S1)" in text.replace("*", "").replace("<em>", "").replace("</em>", "")


def test_a_live_scan_header_lists_the_accounts_and_regions_it_read():
    """A sweep reads no file: the header names its sources instead of "(none recorded)"."""
    from dsscan.config import Config
    from dsscan.inventory import parse_inventory
    from dsscan.pipeline import ScanOptions, run_scan
    from dsscan.policy_library import load_library

    inv = parse_inventory({"format": "dsscan-inventory/1", "assets": [], "sources": [
        {"type": "aws", "account": "111111111111", "region": "cn-north-1"},
        {"type": "aws", "account": "222222222222", "region": "cn-northwest-1"}]}, "sweep")
    inv.files = []  # as scanners/aws/sweep.py builds it: sources, no file
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    assert result.inputs == ["aws 111111111111/cn-north-1", "aws 222222222222/cn-northwest-1"]
    for text in (html_of(result), md_of(result)):
        assert "(none recorded)" not in text
        assert "aws 111111111111/cn-north-1, aws 222222222222/cn-northwest-1" in text
