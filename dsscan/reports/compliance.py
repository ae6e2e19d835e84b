"""The per-article compliance model the HTML and Markdown reports both render.

Everything a reporter shows is computed here, from the ScanResult only, and every text is
masked here (``clean``), so the two formats cannot disagree on a figure or leak a value.

How an asset counts for one policy (docs/reports.md, "How the counts are defined"):

- **in scope**: the assets the policy says it assessed (its Rego ``assessed`` rule: judged on
  facts it could read), plus any asset it reported a finding or a not-assessed item on, plus
  any asset of one of its ``kinds`` that could not be read at all (not assessed for every
  policy). An asset of its kinds it neither assessed nor reported on is not applicable: out
  of scope, never passed. A policy without an ``assessed`` rule (an older user policy) falls
  back to its kinds: every asset whose kind it lists (every asset when it lists none);
- **failed**: at least one finding of the policy on the asset that is not waived;
- **not assessed**: otherwise, a NotAssessed item for that asset and that policy, or for that
  asset and every policy (``policy_id`` None);
- **waived**: otherwise, the asset has findings of the policy and all of them are waived;
- **passed**: in scope and none of the above (so only an asset the policy assessed).

So the four are disjoint and add up to "in scope"; "assessed" is in scope minus not assessed.
An asset that both fails and was partly unreadable counts as failed (what was read already
fails); one with waived findings and an unread facet counts as not assessed (fail closed: a
waiver does not cover what nobody could read).

For an article, an asset in scope of several of its policies takes its worst state among
them, in the order failed > not assessed > waived > passed. Whole-scope gaps (an account,
region or service that could not be listed; ``asset_id`` None) apply to every policy when
their ``policy_id`` is None, else to that policy; they are listed per article as scopes.

Status of a policy or an article, first rule that holds:
failed (an asset failed) > not assessed (an asset not assessed, or a scope gap) > waived
(findings, all waived) > passed (assets in scope, all passed) > no assets in scope (nothing
to check: neutral, never shown as a pass).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dsscan.articles import (
    NO_ARTICLE_TITLE,
    BoundaryRow,
    article_summary,
    article_title,
    boundary_rows,
)
from dsscan.errors import InputError
from dsscan.findings import Finding, NotAssessed, PolicyInfo, ScanResult
from dsscan.levels import RANK
from dsscan.masking import mask_text
from dsscan.reports import (
    clean,
    fail_rank,
    failing,
    finding_asset_label,
    not_assessed_target,
    severity_counts,
    sorted_findings,
    sorted_not_assessed,
    sorted_policies,
)
from dsscan.reports.where import Place, places

FAILED, NOT_ASSESSED, WAIVED, PASSED, NO_ASSETS = (
    "failed", "not_assessed", "waived", "passed", "no_assets")
# Worst first: an asset's (or an article's) state is the first of these that applies.
STATE_ORDER: tuple[str, ...] = (FAILED, NOT_ASSESSED, WAIVED, PASSED)
_WORST = {s: i for i, s in enumerate(STATE_ORDER)}
STATUS_LABELS: dict[str, str] = {
    FAILED: "failed", NOT_ASSESSED: "not assessed", WAIVED: "waived",
    PASSED: "passed", NO_ASSETS: "no assets in scope",
}
# Chart and table order: highest level first, unclassified last.
LEVEL_ORDER: tuple[str, ...] = ("core", "important", "sensitive", "general", "unclassified")
WHOLE_ESTATE = "(whole estate)"
# The rules above, as both reports print them under "How the counts are defined".
DEFINITIONS = (
    ("In scope", "assets the policy assessed on facts it could read, plus any asset it "
                 "reported on or that could not be read at all; an asset it did not assess is "
                 "not applicable, never passed. (A policy that does not say what it assessed: "
                 "every asset of a kind it applies to.)"),
    ("Failed", "at least one finding of the policy on the asset is not waived."),
    ("Not assessed", "otherwise, the asset could not be assessed for that policy or for "
                     "every policy."),
    ("Waived", "otherwise, the asset has findings of the policy and all are waived."),
    ("Passed", "in scope and none of the above. Assessed = in scope − not assessed."),
    ("Article status", "failed if an asset failed; else not assessed if an asset or a scope "
                       "was not assessed; else waived if findings are all waived; else "
                       "passed; an article with no asset in scope is shown as such, never as "
                       "passed."),
)


@dataclass(frozen=True)
class Counts:
    in_scope: int = 0
    failed: int = 0
    not_assessed: int = 0
    waived: int = 0
    passed: int = 0

    @property
    def assessed(self) -> int:
        return self.in_scope - self.not_assessed


@dataclass(frozen=True)
class PolicyRow:
    id: str
    title: str
    articles: tuple[int, ...]
    counts: Counts
    findings: int  # findings of this policy (several may be on one asset)
    scopes: tuple[str, ...]  # whole scopes not assessed for this policy
    status: str


@dataclass(frozen=True)
class ArticleRow:
    number: int | None  # None: the group of policies citing no article
    title: str
    summary: str
    policies: tuple[PolicyRow, ...]
    counts: Counts
    scopes: tuple[str, ...]
    status: str

    @property
    def label(self) -> str:
        return f"Art. {self.number}" if self.number is not None else "No article"


@dataclass(frozen=True)
class FindingRow:
    severity: str
    level: str
    policy_id: str
    asset: str  # name, else id (masked)
    asset_id: str
    related: tuple[str, ...]
    message: str
    waiver: dict[str, str] | None  # masked {"id", "reason", "approver", "expires", "source"}
    baseline: str | None
    fingerprint: str
    places: tuple[Place, ...] = ()  # where the sensitive data is, masked examples

    def state(self, escape: Callable[[str], str], strong: Callable[[str], str]) -> str:
        """"open" or "waived <id>; reason: …; approver: …; expires: …", then the baseline
        state: the words every format shows, escaped and emphasised its own way."""
        if self.waiver is not None:
            w = self.waiver
            parts = [f"{strong('waived')} {escape(w['id'])}".rstrip()]
            if w["reason"]:
                parts.append(f"reason: {escape(w['reason'])}")
            parts.append(f"approver: {escape(w['approver'] or '(none)')}")
            parts.append(f"expires: {escape(w['expires'] or '(never)')}")
            text = "; ".join(parts)
        else:
            text = strong("open")
        if self.baseline:
            text += f"; baseline: {escape(self.baseline)}"
        return text


@dataclass(frozen=True)
class FindingGroup:
    policy_id: str
    title: str
    articles: tuple[int, ...]
    rows: tuple[FindingRow, ...]
    remediation: str = ""  # the policy's, as written (line breaks kept), masked


@dataclass(frozen=True)
class GapRow:
    target: str  # asset name, scope, or the whole estate
    policy: str  # policy id or "all policies"
    reason: str
    scope: bool  # a whole scope rather than one asset
    ref: str = ""  # "S1": how the articles refer to a scope (listed once, here)


@dataclass(frozen=True)
class TrendPoint:
    label: str
    started_at: str
    findings: int
    by_level: dict[str, int]
    not_assessed: int | None
    current: bool


@dataclass(frozen=True)
class Header:
    tool_version: str
    started_at: str
    duration_s: float
    inputs: tuple[str, ...]
    assets: int
    policies: int
    findings: int
    waived: int
    by_severity: dict[str, int]
    complete: bool
    not_assessed: int
    threshold: str | None
    failing: int | None  # reports.failing: what the exit code counts
    at_or_above: int | None  # every finding at or above the threshold, waived ones included
    baseline_path: str | None
    run_id: str | None
    status: str  # the worst article status


@dataclass
class ComplianceReport:
    header: Header
    articles: list[ArticleRow]
    levels: tuple[str, ...]  # the levels the charts show, in order
    by_level: dict[str, int]
    by_policy: list[tuple[str, dict[str, int]]]  # every evaluated policy, by id
    trend: list[TrendPoint]  # empty without history
    finding_groups: list[FindingGroup]
    not_assessed: list[GapRow]
    fixed: list[dict[str, str]] = field(default_factory=list)
    waiver_problems: list[dict[str, str]] = field(default_factory=list)
    # the articles no evaluated policy cites, grouped with the reason dsscan cannot judge them
    boundary: list[BoundaryRow] = field(default_factory=list)

    @property
    def scope_refs(self) -> dict[str, str]:
        """Scope label -> "S1": each scope not assessed is listed once, in the Not assessed
        section; articles refer to it by this label instead of repeating it."""
        return {g.target: g.ref for g in self.not_assessed if g.scope and g.ref}


# --- counting -------------------------------------------------------------------------------

@dataclass
class _Index:
    """The result regrouped once, so each policy is counted in time linear in its assets."""

    findings: dict[str, dict[str, list[Finding]]]  # policy -> asset -> findings
    na_policy: dict[str, set[str]]  # policy -> assets not assessed for it
    na_all: set[str]  # assets not assessed for every policy
    scope_gaps: list[NotAssessed]
    by_kind: dict[Any, list[str]]  # kind -> asset ids
    all_assets: list[str]
    unknown_kind: list[str]  # not-assessed assets the result has no summary for
    assessed: dict[str, frozenset[str]]  # policy -> assets it assessed (when it says)
    kind_of: dict[str, Any]  # asset id -> kind


def _index(result: ScanResult) -> _Index:
    findings: dict[str, dict[str, list[Finding]]] = {}
    for f in result.findings:
        findings.setdefault(f.policy_id, {}).setdefault(f.asset_id, []).append(f)
    na_policy: dict[str, set[str]] = {}
    na_all: set[str] = set()
    scope_gaps: list[NotAssessed] = []
    for n in result.not_assessed:
        if n.asset_id is None:
            scope_gaps.append(n)
        elif n.policy_id is None:
            na_all.add(n.asset_id)
        else:
            na_policy.setdefault(n.policy_id, set()).add(n.asset_id)
    by_kind: dict[Any, list[str]] = {}
    for aid, info in result.assets.items():
        by_kind.setdefault((info or {}).get("kind"), []).append(aid)
    # An asset known only from a not-assessed item has no kind: in scope of every policy
    # (fail closed; the pipeline summarises every asset, so this is a guard).
    unknown = sorted(a for a in na_all if a not in result.assets)
    return _Index(findings, na_policy, na_all, scope_gaps, by_kind, list(result.assets),
                  unknown, result.assessed,
                  {aid: (info or {}).get("kind") for aid, info in result.assets.items()})


def _asset_states(p: PolicyInfo, ix: _Index) -> dict[str, str]:
    """asset id -> state for one policy, over the assets in its scope."""
    explicit = ix.assessed.get(p.id)
    scope: set[str]
    if explicit is not None:
        scope = set(explicit)
        # An asset nobody could read was judged by no policy: not assessed for each policy
        # of its kind (fail closed), rather than not applicable.
        scope.update(a for a in ix.na_all
                     if not p.kinds or ix.kind_of.get(a) in p.kinds)
    elif p.kinds:
        scope = set()
        for k in p.kinds:
            scope.update(ix.by_kind.get(k, ()))
    else:
        scope = set(ix.all_assets)
    scope.update(ix.unknown_kind)
    by_asset = ix.findings.get(p.id, {})
    na = ix.na_policy.get(p.id, set())
    scope.update(by_asset)
    scope.update(na)
    states: dict[str, str] = {}
    for aid in scope:
        fs = by_asset.get(aid)
        if fs and any(not f.waived for f in fs):
            states[aid] = FAILED
        elif aid in na or aid in ix.na_all:
            states[aid] = NOT_ASSESSED
        elif fs:
            states[aid] = WAIVED
        else:
            states[aid] = PASSED
    return states


def _counts(states: dict[str, str]) -> Counts:
    tally = dict.fromkeys(STATE_ORDER, 0)
    for s in states.values():
        tally[s] += 1
    return Counts(in_scope=len(states), failed=tally[FAILED], not_assessed=tally[NOT_ASSESSED],
                  waived=tally[WAIVED], passed=tally[PASSED])


def _status(c: Counts, scopes: Iterable[str]) -> str:
    if c.failed:
        return FAILED
    if c.not_assessed or any(True for _ in scopes):
        return NOT_ASSESSED
    if c.waived:
        return WAIVED
    return PASSED if c.in_scope else NO_ASSETS


def _scope_label(n: NotAssessed) -> str:
    return clean(n.scope) if n.scope else WHOLE_ESTATE


def _scopes_for(policy_id: str, ix: _Index) -> tuple[str, ...]:
    return tuple(sorted({_scope_label(n) for n in ix.scope_gaps
                         if n.policy_id is None or n.policy_id == policy_id}))


def policy_states(result: ScanResult) -> dict[str, dict[str, str]]:
    """policy id -> asset id -> state: the per-asset verdicts the counts are made of."""
    ix = _index(result)
    return {p.id: _asset_states(p, ix) for p in sorted_policies(result)}


def article_rows(result: ScanResult) -> list[ArticleRow]:
    """One row per article cited by an evaluated policy, ascending; policies citing no
    article last, as a group of their own."""
    ix = _index(result)
    per_policy: dict[str, tuple[PolicyRow, dict[str, str]]] = {}
    for p in sorted_policies(result):
        states = _asset_states(p, ix)
        counts = _counts(states)
        scopes = _scopes_for(p.id, ix)
        row = PolicyRow(id=clean(p.id), title=clean(p.title), articles=tuple(p.articles),
                        counts=counts, findings=sum(len(v) for v in
                                                    ix.findings.get(p.id, {}).values()),
                        scopes=scopes, status=_status(counts, scopes))
        per_policy[p.id] = (row, states)

    groups: dict[int | None, list[str]] = {}
    for p in sorted_policies(result):
        for a in (sorted(set(p.articles)) or [None]):
            groups.setdefault(a, []).append(p.id)

    rows: list[ArticleRow] = []
    for number in sorted(groups, key=lambda a: (a is None, a or 0)):
        pids = groups[number]
        if len(pids) == 1:  # most articles: the policy's own figures
            counts = per_policy[pids[0]][0].counts
        else:
            merged: dict[str, str] = {}
            for pid in pids:
                for aid, s in per_policy[pid][1].items():
                    prev = merged.get(aid)
                    if prev is None or _WORST[s] < _WORST[prev]:
                        merged[aid] = s
            counts = _counts(merged)
        scopes = tuple(sorted({s for pid in pids for s in per_policy[pid][0].scopes}))
        rows.append(ArticleRow(
            number=number,
            title=article_title(number) if number is not None else NO_ARTICLE_TITLE,
            summary=article_summary(number) if number is not None else "",
            policies=tuple(per_policy[pid][0] for pid in pids),
            counts=counts, scopes=scopes, status=_status(counts, scopes)))
    return rows


# --- charts and trend -----------------------------------------------------------------------

def _level_keys(extra: Iterable[str]) -> tuple[str, ...]:
    """LEVEL_ORDER, then any other level a custom policy or an old run used, by rank."""
    others = sorted({k for k in extra if k not in LEVEL_ORDER},
                    key=lambda k: (-RANK.get(k, -1), k))
    return (*LEVEL_ORDER, *others)


def _by_level(findings: Iterable[Finding]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        out[f.level] = out.get(f.level, 0) + 1
    return out


def _trend(result: ScanResult, current_by_level: dict[str, int]) -> list[TrendPoint]:
    if not result.history:
        return []
    points: list[TrendPoint] = []
    for run in result.history:
        # The current run may already be stored: it is added once, as the last point.
        if result.run_id is not None and run.get("run_id") == result.run_id:
            continue
        by_level = {clean(str(k)): _int(v) for k, v in (run.get("by_level") or {}).items()}
        na = run.get("not_assessed")
        points.append(TrendPoint(
            label=_when(str(run.get("started_at") or "")) or clean(str(run.get("run_id"))),
            started_at=clean(str(run.get("started_at") or "")),
            findings=_int(run.get("findings", sum(by_level.values()))),
            by_level=by_level, not_assessed=None if na is None else _int(na), current=False))
    points.append(TrendPoint(label=_when(result.started_at) or "this run",
                             started_at=clean(result.started_at),
                             findings=len(result.findings), by_level=dict(current_by_level),
                             not_assessed=len(result.not_assessed), current=True))
    return points


def _int(v: Any) -> int:
    """A count of a stored run. An infinite or huge one (a damaged store: SQLite keeps
    9e999 as infinity) is refused in one line — int() of it is an OverflowError, and a
    trend drawn from it would be wrong."""
    try:
        n = int(v)
    except (TypeError, ValueError):
        return 0
    except OverflowError:
        n = 1 << 64  # infinity: refused below
    if not -(1 << 63) <= n < 1 << 63:
        raise InputError("history: a stored run has a count that is not a number of findings "
                         f"({mask_text(str(v))[:30]}); the history store may be damaged — "
                         "restore it from a backup, or give --store a new one")
    return n


def _when(iso: str) -> str:
    """'2025-03-01T08:00:00+00:00' -> '2025-03-01 08:00' (as stored: no clock of ours)."""
    iso = clean(iso)
    if len(iso) >= 16 and iso[10] in "T ":
        return f"{iso[:10]} {iso[11:16]}"
    return iso


def fail_on_text(h: Header) -> str:
    """'high: 3 findings fail it (…); 2 more at or above are waived or in the baseline'."""
    if h.threshold is None:
        return "none (--fail-on never)"
    n = h.failing or 0
    text = (f"{h.threshold}: {n} finding{'s' if n != 1 else ''} fail it (at or above "
            f"{h.threshold}, not waived, not already in the baseline)")
    more = (h.at_or_above or 0) - n
    if more > 0:
        verb = "are" if more != 1 else "is"
        text += f"; {more} more at or above {verb} waived or in the baseline"
    return text


# --- the report -----------------------------------------------------------------------------

def _finding_row(result: ScanResult, f: Finding) -> FindingRow:
    waiver = None
    if f.waiver is not None:
        waiver = {k: clean(str(f.waiver.get(k) or "")) for k in
                  ("id", "reason", "approver", "expires", "source")}
    related = tuple(clean((result.assets.get(r) or {}).get("name") or r) for r in f.related)
    return FindingRow(severity=f.severity, level=clean(f.level), policy_id=clean(f.policy_id),
                      asset=clean(finding_asset_label(result, f)), asset_id=clean(f.asset_id),
                      related=related, message=clean(f.message), waiver=waiver,
                      baseline=f.baseline, fingerprint=f.fingerprint, places=places(f))


def _groups(result: ScanResult) -> list[FindingGroup]:
    info = {p.id: p for p in result.policies}
    rows: dict[str, list[FindingRow]] = {}
    for f in sorted_findings(result):
        rows.setdefault(f.policy_id, []).append(_finding_row(result, f))
    out = []
    for pid in sorted(rows):
        p = info.get(pid)
        first = next(f for f in result.findings if f.policy_id == pid) if p is None else None
        remediation = (p.remediation if p and p.remediation else
                       first.remediation if first else
                       next((f.remediation for f in result.findings if f.policy_id == pid), ""))
        out.append(FindingGroup(policy_id=clean(pid),
                                title=clean(p.title if p else first.title if first else ""),
                                articles=tuple(p.articles if p else
                                               first.articles if first else ()),
                                rows=tuple(rows[pid]),
                                remediation="\n".join(clean(line) for line in
                                                       (remediation or "").strip().splitlines())))
    return out


def _gap_rows(result: ScanResult) -> list[GapRow]:
    refs: dict[str, str] = {}
    out = []
    for n in sorted_not_assessed(result):
        target = clean(not_assessed_target(result, n))
        scope = n.asset_id is None
        if scope and target not in refs:
            refs[target] = f"S{len(refs) + 1}"
        out.append(GapRow(target=target,
                          policy=clean(n.policy_id) if n.policy_id else "all policies",
                          reason=clean(n.reason), scope=scope,
                          ref=refs[target] if scope else ""))
    return out


def _waiver_where(w: dict[str, Any]) -> str:
    """"account 111111111111, region cn-north-1", or "any account and region"."""
    parts = [f"{k} {clean(str(w[k]))}" for k in ("account", "region") if w.get(k)]
    return ", ".join(parts) or "any account and region"


def _text_dict(d: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    return {k: clean("" if d.get(k) is None else str(d.get(k))) for k in keys}


def build(result: ScanResult, threshold: str | None = None) -> ComplianceReport:
    articles = article_rows(result)
    by_level = _by_level(result.findings)
    trend = _trend(result, by_level)
    levels = _level_keys([*by_level, *(k for t in trend for k in t.by_level)])
    per_policy: dict[str, dict[str, int]] = {p.id: {} for p in result.policies}
    for f in result.findings:
        d = per_policy.setdefault(f.policy_id, {})
        d[f.level] = d.get(f.level, 0) + 1
    rank = fail_rank(threshold)
    at_or_above = (None if rank is None else
                   sum(1 for f in result.findings if f.severity_rank() >= rank))
    worst = min((a.status for a in articles if a.status != NO_ASSETS),
                key=lambda s: _WORST[s], default=NO_ASSETS)
    if not result.complete and worst in (PASSED, WAIVED, NO_ASSETS):
        worst = NOT_ASSESSED  # a gap no article owns still makes the whole scan not green
    header = Header(
        tool_version=clean(result.tool_version), started_at=clean(result.started_at),
        duration_s=result.duration_s, inputs=tuple(clean(i) for i in result.inputs),
        assets=result.asset_count, policies=len(result.policies),
        findings=len(result.findings), waived=sum(1 for f in result.findings if f.waived),
        by_severity=severity_counts(result), complete=result.complete,
        not_assessed=len(result.not_assessed),
        threshold=threshold.lower() if threshold and rank is not None else None,
        failing=failing(result, threshold), at_or_above=at_or_above,
        baseline_path=clean(result.baseline_path) if result.baseline_path else None,
        run_id=clean(result.run_id) if result.run_id else None, status=worst)
    fixed = sorted(
        ({**_text_dict(x, ("fingerprint", "policy_id", "asset_id", "level")),
          "asset": clean((result.assets.get(x.get("asset_id") or "") or {}).get("name")
                         or str(x.get("asset_id") or ""))}
         for x in result.fixed),
        key=lambda d: (d["policy_id"], d["asset"], d["fingerprint"]))
    problems = sorted(
        ({**_text_dict(w, ("id", "policy", "asset", "reason", "approver", "expires",
                           "problem", "findings")), "where": _waiver_where(w)}
         for w in result.waiver_problems),
        key=lambda d: (d["id"], d["policy"], d["asset"], d["problem"]))
    return ComplianceReport(
        header=header, articles=articles, levels=levels, by_level=by_level,
        by_policy=[(clean(pid), per_policy[pid]) for pid in sorted(per_policy)],
        trend=trend, finding_groups=_groups(result), not_assessed=_gap_rows(result),
        fixed=fixed, waiver_problems=problems,
        boundary=boundary_rows({a for p in result.policies for a in p.articles}))


__all__ = ["DEFINITIONS", "FAILED", "LEVEL_ORDER", "NOT_ASSESSED", "NO_ASSETS", "PASSED",
           "STATE_ORDER", "STATUS_LABELS", "WAIVED", "ArticleRow", "ComplianceReport", "Counts",
           "FindingGroup", "FindingRow", "GapRow", "Header", "PolicyRow", "TrendPoint",
           "article_rows", "build", "fail_on_text", "policy_states"]
