"""When a replica counts as a backup copy (DS-BAK-001, DS-BAK-002; Art. 37, 45).

A replica copies every change, deletions included, so on its own it is no backup: ransomware
that deletes or overwrites the source does the same to the replica. It counts as a backup copy
only when what is replicated cannot destroy what the destination keeps:

* ``versioning`` — the destination keeps earlier versions (S3 versioning Enabled), so an
  overwrite replicated to it leaves the old object behind;
* ``delete_marker_replication`` — the replication rule to it does not replicate delete markers
  (``DeleteMarkerReplication`` Disabled), so a deletion at the source hides nothing there;
* ``object_lock`` — for core data, the destination has S3 Object Lock, so not even its owner
  can delete the versions it keeps.

Only S3 replication can meet these: a DynamoDB global-table replica or a database read
replica applies deletions as they happen and keeps no earlier versions. Computed in Python
(dsscan.copies puts the result on the copy in ``ctx.backups``); an unread fact makes the answer
null (not assessed), never true.
"""

from __future__ import annotations

from typing import Any

Asset = dict[str, Any]

# The conditions, in the order messages list them.
CONDITIONS = ("versioning", "delete_marker_replication", "object_lock")


def _attrs(a: Asset) -> dict[str, Any]:
    v = a.get("attributes")
    return v if isinstance(v, dict) else {}


def _bucket(ref: Any) -> str | None:
    if not isinstance(ref, str) or not ref:
        return None
    if ref.startswith("arn:"):
        return ref.rsplit(":", 1)[-1].split("/", 1)[0]
    return ref


def _versioning(dest: Asset) -> bool | None:
    v = _attrs(dest).get("versioning")
    return True if v == "Enabled" else False if v in ("Suspended", "Disabled") else None


def _delete_markers_kept_back(src: Asset, dest: Asset) -> bool | None:
    """Whether the source's replication to ``dest`` leaves delete markers out: every rule
    to it must (the weakest rule decides); None when a rule's setting is not known."""
    rules = _attrs(src).get("replication_delete_markers")
    if not isinstance(rules, dict):
        return None
    names = {dest.get("id"), dest.get("name"), _bucket(dest.get("id"))} - {None}
    found = [status for target, status in rules.items()
             if target in names or _bucket(target) in names]
    if not found:
        return None
    if "Enabled" in found:
        return False
    return True if all(s == "Disabled" for s in found) else None


def _object_lock(dest: Asset) -> bool | None:
    access = dest.get("access")
    lock = access.get("lock") if isinstance(access, dict) else None
    enabled = lock.get("enabled") if isinstance(lock, dict) else None
    return enabled if isinstance(enabled, bool) else None


def replica_backup(src: Asset, dest: Asset, core: bool) -> dict[str, Any]:
    """``{"counts_as_backup": bool|None, "missing": [...], "unknown": [...]}`` for the replica
    ``dest`` of ``src`` (``core``: the source holds core data, so Object Lock is owed)."""
    if src.get("kind") != "object_store" or dest.get("kind") != "object_store":
        # Not S3 replication: deletions are applied and no earlier version is kept.
        return {"counts_as_backup": False,
                "missing": ["versioning", "delete_marker_replication"], "unknown": []}
    facts = {"versioning": _versioning(dest),
             "delete_marker_replication": _delete_markers_kept_back(src, dest)}
    if core:
        facts["object_lock"] = _object_lock(dest)
    missing = [c for c in CONDITIONS if facts.get(c, True) is False]
    unknown = [c for c in CONDITIONS if c in facts and facts[c] is None]
    counts = False if missing else None if unknown else True
    return {"counts_as_backup": counts, "missing": missing, "unknown": unknown}
