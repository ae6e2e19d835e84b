"""Relations that need the whole estate, made once every shard of a sweep is in: replicas,
snapshots matched to their databases, RAM shares, which stores backup plans cover (and where
their copy rules and DMS tasks copy them), restore verification. The same pass for the
thread-pool sweep (sweep.py) and the cluster sweep (cluster.py): relations cross accounts."""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws import dms, ram, restores
from dsscan.scanners.aws.backup import PlanCoverage
from dsscan.scanners.aws.base import Asset, Sink
from dsscan.scanners.aws.failures import add_asset_gap
from dsscan.scanners.aws.selections import covers

STORE_KINDS = {"object_store", "database", "table", "file_system", "cache", "warehouse",
               "volume"}


def link(sink: Sink) -> None:
    """Relations that need the whole estate: replicas, and which stores backup plans cover."""
    buckets = {a["name"]: a for a in sink.assets if a["kind"] == "object_store"}
    for a in list(buckets.values()):
        for target in (a.get("attributes") or {}).get("replication_targets") or []:
            dest = buckets.get(target.rsplit(":", 1)[-1])
            if dest is not None and a["id"] not in dest.setdefault("replica_of", []):
                dest["replica_of"].append(a["id"])

    # A snapshot whose source ARN is not in the estate (a copy whose origin the API did not
    # name) is matched to its database by the resource id that snapshots carry along.
    # Both the resource id and the database name must match (moto gives every database
    # the same resource id).
    ids = {a["id"] for a in sink.assets}
    by_resource: dict[tuple[str, str], list[str]] = {}
    for a in sink.assets:
        rid = (a.get("attributes") or {}).get("resource_id")
        if a["kind"] == "database" and rid:
            by_resource.setdefault((rid, a["name"]), []).append(a["id"])
    for a in sink.assets:
        rid = (a.get("attributes") or {}).get("source_resource_id")
        b = a.get("backup") or {}
        src = b.get("backup_of") or []
        if not rid or len(src) != 1 or src[0] in ids:
            continue
        found = by_resource.get((rid, src[0].rsplit(":", 1)[-1]), [])
        if len(found) == 1:
            b["backup_of"] = found

    # AWS RAM shares: their principals read the shared stores (DS-SHR-001/002).
    ram.link(sink.assets, sink.notes.get("ram", []))

    coverage = {(c.account, c.region): c for c in sink.notes.get("backup", [])}
    for a in sink.assets:
        if a["kind"] not in STORE_KINDS:
            continue
        c = coverage.get((a["account"], a["region"]))
        if c is None:
            continue  # AWS Backup was not read here (not in --services)
        backup_block = a.get("backup")
        if not isinstance(backup_block, dict):
            backup_block = a["backup"] = {}
        if c.error:
            backup_block["plans"] = None
            a["copy_to"] = None  # DS-TST-004: the plans' copy rules are unknown too
            add_asset_gap(a, "backup", f"AWS Backup plans could not be read: {c.error}")
            continue
        maybe = _plans_of(a, c, backup_block)
        _copy_rules_of(a, c, backup_block, maybe)
    # Restore verification (DS-BAK-004): restore jobs may run in any region of the estate.
    restores.link(sink.assets, sink.notes.get("backup", []), STORE_KINDS)
    # DMS tasks (DS-TST-004): a copy_to entry on the store each task reads.
    dms.link(sink.assets, sink.notes.get("dms", []))


def _copy_rules_of(a: Asset, c: PlanCoverage, backup_block: dict[str, Any],
                   maybe: dict[str, str] | None = None) -> None:
    """DS-TST-004: where the copy rules of the plans covering a store copy its recovery
    points (``copy_to`` entries ``via: backup copy``); null when the plans covering it, or
    one of their rules, could not be read, or when a plan that may cover it (``maybe``: one
    plan surely covering the store settles "is it backed up", not where every plan copies
    it) has copy rules or unread ones."""
    plans = backup_block.get("plans")
    if plans is None:
        a["copy_to"] = None
        return
    for plan, why in sorted((maybe or {}).items()):
        if c.copy_rules.get(plan, []) != []:
            a["copy_to"] = None
            add_asset_gap(a, "backup", f"AWS Backup plan {plan} has copy rules and whether it "
                                       f"covers the store could not be told: {why}")
            return
    out: list[dict[str, Any]] = []
    for plan in plans:
        dests = c.copy_rules.get(plan, [])
        if dests is None:
            a["copy_to"] = None
            add_asset_gap(a, "backup", f"the copy rules of AWS Backup plan {plan} could not be "
                                       f"read: {c.copy_rules_error.get(plan, 'unknown')}")
            return
        for d in dests:
            parts = d.split(":", 6)
            out.append({"via": "backup copy", "target": d, "name": parts[-1],
                        "account": parts[4] if len(parts) > 5 and parts[4] else None,
                        "region": parts[3] if len(parts) > 5 and parts[3] else None,
                        "target_tags": None, "by": plan, "tags": None})
    a["copy_to"] = out


def _plans_of(a: Asset, c: PlanCoverage, backup_block: dict[str, Any]) -> dict[str, str]:
    """The plans covering a store (AWS Backup's selection semantics, selections.covers). A
    plan that may cover it, where that cannot be told, makes its plans unknown (null and a
    gap) unless another plan surely covers it. Returns those plans that may cover it (plan ->
    why unknown): how long they keep recovery points and where they copy them stay unknown
    (``plan_lifecycle`` null; ``_copy_rules_of``) even when another plan surely covers it."""
    tags_known = not any(g.get("aspect") == "tags"
                         for g in (a.get("assessment") or {}).get("gaps") or [])
    plans: set[str] = set()
    unknown: dict[str, str] = {}
    for s in c.selections:
        got, why = covers(s, a, c.opt_in, tags_known)
        if got:
            plans.add(s.plan)
        elif got is None:
            if why == "service opt-in settings could not be read" and c.opt_in_error:
                why = f"service opt-in settings could not be read: {c.opt_in_error}"
            unknown.setdefault(s.plan, why or "unknown")
    if plans or not unknown:
        backup_block["plans"] = sorted(plans)
        # DS-RET-001: how long the covering plans keep what they make (None: a plan unread).
        maybe = {p: w for p, w in unknown.items() if p not in plans}
        rules = [c.plan_rules.get(p) for p in sorted(plans)]
        backup_block["plan_lifecycle"] = (None if maybe or any(r is None for r in rules)
                                          else [x for r in rules for x in r or []])
        return maybe
    backup_block["plans"] = None
    for plan, why in sorted(unknown.items()):
        add_asset_gap(a, "backup", f"whether AWS Backup plan {plan} covers the store could not "
                                   f"be told: {why}")
    return {}

