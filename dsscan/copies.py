"""Copies of data: where a store's backups, snapshots and replicas are, whether they are
stored apart from it, what a copy copies, and the store's own (built-in) backups.

Part of the relations stage (dsscan.relations builds ``ctx`` from these); one place for what
"a copy" and "stored separately" mean (DS-BAK-001, DS-ENC-002, DS-XBR-001 read the results).
"""

from __future__ import annotations

from typing import Any

from dsscan.levels import UNCLASSIFIED
from dsscan.replica_backup import replica_backup

Asset = dict[str, Any]


# ---------------------------------------------------------------------------- small helpers


def strs(value: Any) -> list[str]:
    """The strings of a list field; tolerant of null and stray non-strings."""
    if not value or not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v]


def sub(a: Asset, key: str) -> dict[str, Any]:
    v = a.get(key)
    return v if isinstance(v, dict) else {}


def level_of(a: Asset) -> str:
    return sub(a, "level").get("value") or UNCLASSIFIED


def at_rest(a: Asset) -> dict[str, Any] | None:
    v = sub(a, "encryption").get("at_rest")
    return v if isinstance(v, dict) else None


def bucket_name(ref: str | None) -> str | None:
    """A bucket named by ARN (arn:aws:s3:::b) or URL (s3://b/prefix) compares by its name."""
    if not ref:
        return None
    if ref.startswith("arn:"):
        return ref.rsplit(":", 1)[-1].split("/", 1)[0]
    if "://" in ref:
        return ref.split("://", 1)[1].split("/", 1)[0]
    return ref


# ---------------------------------------------------------------------------- where copies are


_COPY_KINDS = ("backup", "snapshot")


def where(a: Asset, copy: bool = True) -> dict[str, str | None]:
    """Where an asset's data is stored. A copy is where its backup location says (falling back
    to its own account/region); a store (``copy=False``, unless it is a backup or snapshot
    itself) is in its own account/region, its ``backup.location`` only filling gaps."""
    loc = sub(a, "backup").get("location")
    loc = loc if isinstance(loc, dict) else {}
    bucket = loc.get("bucket") or (a.get("name") if a.get("kind") == "object_store" else None)
    first, second = (loc, a) if copy or a.get("kind") in _COPY_KINDS else (a, loc)
    return {"account": first.get("account") or second.get("account"),
            "region": first.get("region") or second.get("region"),
            "vault": loc.get("vault"), "bucket": bucket, "volume": loc.get("volume")}


def own_stores(x: Asset, by_id: dict[str, Asset]) -> tuple[set[str], set[str]]:
    """Buckets and volumes holding X itself (or its parent): a copy there is not apart from it."""
    here = where(x)
    buckets: set[str | None] = {bucket_name(here["bucket"])}
    volumes: set[str | None] = {here["volume"], x["id"]}
    if x.get("kind") == "object_store":
        buckets.add(bucket_name(x["id"]))
    parent = by_id.get(x.get("parent") or "")
    if parent is not None:
        if parent.get("kind") == "object_store":
            buckets |= {bucket_name(parent.get("name")), bucket_name(parent["id"])}
        volumes |= {parent["id"], where(parent)["volume"]}
    buckets.discard(None)
    volumes.discard(None)
    return buckets, volumes  # type: ignore[return-value]


def _tri(a: str | None, b: str | None) -> bool | None:
    """Do two places differ? None when either is unknown."""
    return None if a is None or b is None else a != b


def separation(mode: str, src: dict[str, str | None],
               copy: dict[str, str | None]) -> tuple[bool | None, str]:
    """Is the copy apart from its source per ``config.backup_separation``? (value, reason)."""
    acct = _tri(src["account"], copy["account"])
    reg = _tri(src["region"], copy["region"])
    if mode == "account":
        return acct, {True: "different account", False: "same account",
                      None: "account unknown"}[acct]
    if mode == "region":
        return reg, {True: "different region", False: "same region", None: "region unknown"}[reg]
    if mode == "account_and_region":
        if acct is False or reg is False:
            return False, "same account" if acct is False else "same region"
        if acct and reg:
            return True, "different account and region"
        return None, "account unknown" if acct is None else "region unknown"
    # account_or_region (default): one known difference is enough.
    if acct and reg:
        return True, "different account and region"
    if acct or reg:
        return True, "different account" if acct else "different region"
    if acct is False and reg is False:
        return False, "same account and region"
    return None, "account unknown" if acct is None else "region unknown"


# ---------------------------------------------------------------------------- per-asset context


def swept_scopes(sources: list[dict[str, Any]], gaps: list[dict[str, Any]]
                 ) -> frozenset[tuple[str, str]]:
    """The (account, region) scopes of an inventory's live AWS sources, when nothing in the
    inventory was left unread (any scope gap: none, since which service it hid is not told)."""
    if gaps:
        return frozenset()
    return frozenset((s["account"], s["region"]) for s in sources
                     if isinstance(s, dict) and s.get("type") == "aws"
                     and isinstance(s.get("account"), str) and isinstance(s.get("region"), str))


def same_place_text(same_place: str, w: dict[str, str | None]) -> str:
    """The separation sentence of a copy kept in its source's own bucket or volume."""
    return (f"same bucket {bucket_name(w['bucket'])}" if same_place == "bucket"
            else f"same volume {w['volume']}")


def backups_of(x: Asset, found: Any, by_id: dict[str, Asset], mode: str,
             encryption: Any) -> list[dict[str, Any]]:
    if not found:
        return []
    src = where(x, copy=False)
    buckets, volumes = own_stores(x, by_id)
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for rel, b in found:
        if (b["id"], rel) in seen or b["id"] == x["id"]:
            continue
        seen.add((b["id"], rel))
        w = where(b)
        # same_place: the copy sits in the very bucket or volume it copies (lost with it). The
        # fact DS-BAK-001 decides by; the separation sentence is rendered from it, for people.
        same_place = ("bucket" if bucket_name(w["bucket"]) in buckets
                      else "volume" if w["volume"] in volumes else None)
        sep: tuple[bool | None, str] = ((False, same_place_text(same_place, w)) if same_place
                                        else separation(mode, src, w))
        out.append({"id": b["id"], "name": b.get("name") or b["id"], "kind": b.get("kind"),
                    "relation": rel, **w,
                    "encryption": encryption(b), "separate": sep[0], "separation": sep[1],
                    "same_place": same_place})
        if rel == "replica":  # whether it counts as a backup copy (dsscan.replica_backup)
            out[-1].update(replica_backup(x, b, level_of(x) == "core"))
    return out


def replicas_outside(a: Asset, by_id: dict[str, Asset],
                      bucket_names: dict[Any, str]) -> list[dict[str, Any]]:
    """Copies the service keeps of ``a`` that are not assets of the inventory (a replica in
    the inventory is judged as itself): DynamoDB global-table replicas (``replicas``) and S3
    replication targets (``attributes.replication_targets``) in an account or region not
    read. Their region, when the scanner could tell it, else null."""
    out: list[dict[str, Any]] = []
    for r in a.get("replicas") or ():
        if isinstance(r, dict) and r.get("id") not in by_id:
            out.append({"id": r.get("id"), "region": r.get("region")})
    attrs = a.get("attributes")
    targets = attrs.get("replication_targets") if isinstance(attrs, dict) else None
    for t in strs(targets):
        if t in by_id or t.rsplit(":", 1)[-1] in bucket_names:
            continue
        out.append({"id": t, "region": None})
    return out


def built_in_backup(a: Asset, mode: str) -> dict[str, Any] | None:
    """The store's own backups (DynamoDB point-in-time recovery, RDS/Redshift automated
    backups, ElastiCache snapshots, EFS automatic backups), when they are on: kept by the
    service in the store's own account and region, so never stored apart from it (Art. 37).
    ``replica_regions`` (e.g. RDS automated-backup replication) counts as another region."""
    native = sub(a, "backup").get("native")
    if not isinstance(native, dict):
        return None
    days = native.get("retention_days")
    on = (native.get("enabled") is True or native.get("point_in_time_recovery") is True
          or (isinstance(days, int | float) and not isinstance(days, bool) and days > 0))
    if not on:
        return None
    here = where(a, copy=False)
    kind = ("point_in_time_recovery" if native.get("point_in_time_recovery") is True
            else "automated_backups")
    regions = [r for r in strs(native.get("replica_regions")) if r != here["region"]]
    if not regions:  # the store's own place, whatever is known of it
        return {"kind": kind, "account": here["account"], "region": here["region"],
                "separate": False, "separation": "same account and region (kept by the service)"}
    separate, why = separation(mode, here, dict(here, region=regions[0]))
    return {"kind": kind, "account": here["account"], "region": regions[0],
            "separate": separate, "separation": why}


def _arn_scope(ref: str) -> tuple[str, str] | None:
    parts = ref.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[3] and parts[4]:
        return parts[4], parts[3]
    return None


def sources_of(b: Asset, by_id: dict[str, Asset],
             swept: frozenset[tuple[str, str]] = frozenset()) -> list[dict[str, Any]]:
    backup = b.get("backup")
    if not ((isinstance(backup, dict) and backup.get("backup_of")) or b.get("replica_of")
            or b.get("derived_from")):
        return []
    backup_rel = "snapshot" if b.get("kind") == "snapshot" else "backup"
    refs = ([(backup_rel, s) for s in strs(sub(b, "backup").get("backup_of"))]
            + [("replica", s) for s in strs(b.get("replica_of"))]
            + [("derived", s) for s in strs(b.get("derived_from"))])
    out: list[dict[str, Any]] = []
    for rel, sid in refs:
        s = by_id.get(sid)
        if s is None:
            # Missing: "gone" when the sweep read its whole account and region (it was
            # deleted: the copy stands alone), else it is somewhere dsscan did not look.
            out.append({"id": sid, "relation": rel, "missing": True,
                        "gone": _arn_scope(sid) in swept})
            continue
        w = where(s, copy=False)
        out.append({"id": sid, "name": s.get("name") or sid, "relation": rel,
                    "kind": s.get("kind"), "level": level_of(s),
                    "account": w["account"], "region": w["region"], "bucket": w["bucket"],
                    "volume": w["volume"], "encryption": at_rest(s)})
    return out


