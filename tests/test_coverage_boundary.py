"""The coverage boundary: every article of the Measures is either judged by a policy the run
evaluated (the per-article table) or listed, once, with the reason dsscan does not judge it.
A compliance officer must see the boundary, not guess it from what is absent."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from cli_support import CATALOGUE, ESTATE, dsscan

from dsscan.articles import (
    BOUNDARY,
    LAST_ARTICLE,
    NOT_EVALUATED_TOPIC,
    article_ranges,
    boundary_rows,
)
from dsscan.policy_library import load_library

ALL = set(range(1, LAST_ARTICLE + 1))


def _shipped_cited() -> set[int]:
    return {a for p in load_library().policies if p.builtin for a in p.articles}


def test_the_groups_and_the_shipped_library_cover_every_article_exactly_once():
    grouped = [n for b in BOUNDARY for n in b.articles]
    assert len(grouped) == len(set(grouped)), "an article in two groups"
    cited = _shipped_cited()
    assert not cited & set(grouped), f"judged and listed as not judged: {cited & set(grouped)}"
    assert cited | set(grouped) == ALL, f"articles nowhere: {sorted(ALL - cited - set(grouped))}"
    for b in BOUNDARY:
        assert b.topic and b.reason.endswith("."), b


@pytest.mark.parametrize(("numbers", "text"), [
    ((5,), "Art. 5"), ((5, 6), "Art. 5\u20136"), ((9, 5, 6, 7), "Art. 5\u20137, 9"),
    ((1, 3, 5), "Art. 1, 3, 5"), ((70, 71, 72, 74, 75), "Art. 70\u201372, 74\u201375"),
])
def test_article_ranges_join_consecutive_articles(numbers, text):
    assert article_ranges(numbers) == text


@pytest.mark.parametrize("cited", [set(), {5}, {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
                                   {16, 41}, set(range(1, 82))])
def test_boundary_rows_list_each_uncited_article_once(cited):
    rows = boundary_rows(cited)
    listed = [n for r in rows for n in r.articles]
    assert len(listed) == len(set(listed))
    assert set(listed) == ALL - cited
    assert all(r.articles for r in rows)


def _markdown_articles(text: str) -> tuple[set[int], list[int]]:
    table, rest = text.split("## Articles dsscan does not judge", 1)
    judged = {int(m) for m in re.findall(r"^\| Art\. (\d+) \|", table, flags=re.M)}
    section = rest.split("\n## ", 1)[0]
    listed: list[int] = []
    for cell in re.findall(r"^\| Art\. ([\d\u2013, ]+) \|", section, flags=re.M):
        for part in cell.split(", "):
            lo, _, hi = part.partition("\u2013")
            listed += range(int(lo), int(hi or lo) + 1)
    return judged, listed


def test_the_markdown_report_places_every_article_once(tmp_path):
    out = tmp_path / "r.md"
    r = dsscan("scan", "inventory", str(ESTATE), "--catalogue", str(CATALOGUE), "-f",
               "markdown", "-o", str(out))
    assert r.returncode in (1, 3), r.stderr
    judged, listed = _markdown_articles(out.read_text("utf-8"))
    assert judged and judged <= _shipped_cited()
    assert len(listed) == len(set(listed)) and set(listed) | judged == ALL
    assert not judged & set(listed)


def test_articles_of_policies_left_out_are_listed_as_not_evaluated(tmp_path):
    out = tmp_path / "r.md"
    r = dsscan("scan", "inventory", str(ESTATE), "-f", "markdown", "-o", str(out),
               "--policy", "DS-ENC-*")
    assert r.returncode in (0, 1, 3), r.stderr
    text = out.read_text("utf-8")
    judged, listed = _markdown_articles(text)
    enc = {a for p in load_library().policies if p.id.startswith("DS-ENC-") for a in p.articles}
    assert judged == enc
    assert set(listed) == ALL - enc and len(listed) == len(set(listed))
    row = next(line for line in text.splitlines() if NOT_EVALUATED_TOPIC in line)
    assert "Art. 16" in row or "16" in row  # DS-CLS-001's article, not evaluated


def test_a_user_policy_citing_an_article_moves_it_out_of_the_boundary(tmp_path):
    pdir = tmp_path / "policies"
    pdir.mkdir()
    (pdir / "acme_gov.rego").write_text("""# METADATA
# title: Governance tag present
# description: Every bucket names its owning department (Art. 9).
# custom:
#   id: ACME-GOV-001
#   articles: [9]
#   remediation: Tag the owner.
#   kinds: [object_store]
package dsscan.policy.acme_gov_001

import rego.v1

deny contains f if {
\tsome a in input.assets
\ta.kind == "object_store"
\tnot a.tags.owner
\tf := {"asset": a.id, "message": "no owner tag", "level": a.ctx.level}
}
""", "utf-8")
    out = tmp_path / "r.html"
    r = dsscan("scan", "inventory", str(ESTATE), "--policy-dir", str(pdir), "-f", "html",
               "-o", str(out))
    assert r.returncode in (1, 3), r.stderr
    html = out.read_text("utf-8")

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.section: str | None = None
            self.cells: list[str] = []
            self._in_td = False

        def handle_starttag(self, tag, attrs):
            if tag == "section" and dict(attrs).get("id") == "boundary":
                self.section = "boundary"
            self._in_td = tag == "td" and self.section == "boundary"

        def handle_endtag(self, tag):
            if tag == "section":
                self.section = None
            self._in_td = False

        def handle_data(self, data):
            if self._in_td and data.startswith("Art. "):
                self.cells.append(data)

    p = Cells()
    p.feed(html)
    assert p.cells, "no boundary table in the HTML report"
    assert "Art. 5\u20138, 10\u201315" in p.cells
    assert 'id="art-9"' in html
