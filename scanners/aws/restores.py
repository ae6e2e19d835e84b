"""AWS Backup restore verification (DS-BAK-004, Art. 45): restore-testing selections (which
stores a restore-testing plan restores and validates) and completed restore jobs (when a
store's recovery point was last restored).

Read per account and region by ``read`` (called from the AWS Backup collector, into its
PlanCoverage); turned into each store's ``backup.restore_verification`` by ``link`` once the
whole estate is read (sweep.link), because a restore job may run in another region or
account than the store (a restore from a cross-region copy names the store as its source).

Restore-testing selections (backup:GetRestoreTestingSelection) are read as AWS Backup reads
them: ``ProtectedResourceType`` (one resource type), ``ProtectedResourceArns`` (``*`` = every
resource of that type) and ``ProtectedResourceConditions`` (``StringEquals`` /
``StringNotEquals`` on ``aws:ResourceTag/<key>``, all of which must hold), matched with the
backup-selection semantics of scanners/aws/selections.py. A completed restore job counts
unless its validation failed or timed out (a restore that did not prove usable). The store a
job restored is its ``SourceResourceArn``, else the source of its recovery point in the estate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dsscan.scanners.aws.base import Scope, call, pages
from dsscan.scanners.aws.failures import ReadFailure
from dsscan.scanners.aws.selections import Selection, covers, opt_in_type

_FAILED_VALIDATION = {"FAILED", "TIMED_OUT"}
_CONDITION_OPS = ("StringEquals", "StringNotEquals")


@dataclass
class RestoreTest:
    """One restore-testing selection: ``name`` is plan/selection."""

    name: str
    resource_type: str | None
    selection: Selection


def restore_test_of(plan: str, sel: dict[str, Any]) -> RestoreTest:
    name = f"{plan}/{sel.get('RestoreTestingSelectionName')}"
    s = Selection(plan=name, resources=[str(r) for r in sel.get("ProtectedResourceArns") or []])
    cond = sel.get("ProtectedResourceConditions") or {}
    for op in cond:
        if op not in _CONDITION_OPS:
            s.unreadable = f"condition operator {str(op)[:40]!r}"
    for op in _CONDITION_OPS:
        for c in cond.get(op) or []:
            key = str(c.get("Key") or "")
            if not key.startswith("aws:ResourceTag/"):
                s.unreadable = f"{op} on a key that is not aws:ResourceTag/..."
                continue
            s.conditions.append((op, key[len("aws:ResourceTag/"):], str(c.get("Value"))))
    return RestoreTest(name, sel.get("ProtectedResourceType"), s)


def _iso(when: Any) -> str | None:
    if isinstance(when, datetime):
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return None


def read(scope: Scope, bk: Any, coverage: Any) -> None:
    """Restore-testing selections and completed restore jobs of one account and region; a
    failed read is recorded on ``coverage`` (the stores it could concern are not assessed)."""
    try:
        for p in pages(bk, "list_restore_testing_plans", "RestoreTestingPlans"):
            plan = p["RestoreTestingPlanName"]
            for s in pages(bk, "list_restore_testing_selections", "RestoreTestingSelections",
                           RestoreTestingPlanName=plan):
                got = call(bk, "get_restore_testing_selection", RestoreTestingPlanName=plan,
                           RestoreTestingSelectionName=s["RestoreTestingSelectionName"])
                coverage.restore_tested.append(restore_test_of(plan,
                                                               got["RestoreTestingSelection"]))
    except ReadFailure as e:
        coverage.restore_testing_error = e.reason
    try:
        for j in pages(bk, "list_restore_jobs", "RestoreJobs", ByStatus="COMPLETED"):
            if j.get("Status") != "COMPLETED" or j.get("ValidationStatus") in _FAILED_VALIDATION:
                continue
            done = _iso(j.get("CompletionDate"))
            if done is not None:
                coverage.restores.append((j.get("SourceResourceArn"),
                                          j.get("RecoveryPointArn"), done))
    except ReadFailure as e:
        coverage.restore_jobs_error = e.reason


def _tested_by(a: dict[str, Any], tests: list[RestoreTest]) -> list[str] | None:
    """The restore-testing selections covering store ``a``; None when one may cover it and
    none surely does (its tags unread, a condition dsscan cannot read)."""
    kind = opt_in_type(a)
    tags_known = not any(g.get("aspect") == "tags"
                         for g in (a.get("assessment") or {}).get("gaps") or [])
    sure, maybe = [], False
    for t in tests:
        if kind is None or t.resource_type != kind:
            continue
        got, _ = covers(t.selection, a, {kind: True}, tags_known)
        if got:
            sure.append(t.name)
        elif got is None:
            maybe = True
    if sure or not maybe:
        return sorted(sure)
    return None


def link(assets: list[dict[str, Any]], coverages: list[Any], store_kinds: set[str]) -> None:
    """Set ``backup.restore_verification`` on every store in a region where AWS Backup was
    read (elsewhere it stays absent: not assessed)."""
    by_region = {(c.account, c.region): c for c in coverages}
    source_of = {a["id"]: ((a.get("backup") or {}).get("backup_of") or [None])[0]
                 for a in assets if a.get("kind") == "backup"}
    last: dict[str, str] = {}
    for c in coverages:
        for src, rp, done in c.restores:
            src = src or source_of.get(rp or "")
            if src and done > last.get(src, ""):
                last[src] = done
    for a in assets:
        c = by_region.get((a.get("account"), a.get("region")))
        if a.get("kind") not in store_kinds or c is None or c.error:
            continue
        tested = None if c.restore_testing_error else _tested_by(a, c.restore_tested)
        block = a.get("backup")
        if not isinstance(block, dict):
            block = a["backup"] = {}
        block["restore_verification"] = {
            "testing_selections": tested,
            "last_successful_restore": last.get(a["id"]),
            "restore_jobs": "unreadable" if c.restore_jobs_error else "read",
        }
