"""Operation logs (Art. 43): which log sink logs which store, and how long it keeps them.

Part of the relations stage (``dsscan.relations.attach_context`` calls :func:`attach`). For
every store of a kind that AWS can log per operation (object_store, table, database,
warehouse) it sets, in ``ctx`` (schemas/policy-input-v1.json):

- ``operation_logs``: one entry per place a log of its operations is kept — CloudTrail
  data events of a trail selecting it (one entry per destination: bucket, log group), a
  CloudTrail Lake event data store selecting it, S3 server access logs (the target bucket),
  database and warehouse audit logs exported (each destination) — with that place's
  retention (``retention_days`` / ``unlimited``) and Object Lock days;
- ``operation_logs_unknown``: why a log may exist that could not be seen (fail closed:
  DS-LOG-001 does not pass a store when one is listed and nothing else logs it);
- ``log_retention_required_days``: Art. 43's figure for its level, or the outsourced figure;
- ``outsourced``: the store is marked outsourced or co-processed (``outsourced_tag_keys``, or
  a catalogue rule's ``outsourced: true``, set on the asset by classification).

Selectors are normalized once by :func:`data_events` (AWS API shape in, the inventory's
``log.data_events`` out), shared by the live scanner and the IaC mappers so all inputs agree.
User-facing rules: docs/relations.md#operation-logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dsscan.config import Config
from dsscan.levels import RANK, UNCLASSIFIED

Asset = dict[str, Any]

LOGGED_KINDS = ("object_store", "table", "database", "warehouse")
S3_OBJECT, DYNAMODB_TABLE = "AWS::S3::Object", "AWS::DynamoDB::Table"

_TRUE = {"true", "yes", "y", "1", "on", "是"}
_FALSE = {"false", "no", "n", "0", "off", "否", ""}
# Advanced-selector fields that only choose resources; any other field narrows the operations.
_RESOURCE_FIELDS = {"eventcategory", "resources.type", "resources.arn"}


# ---------------------------------------------------------------------------- selectors


def _all_of_type(value: str) -> bool:
    """``arn:aws:s3`` / ``arn:aws-cn:dynamodb`` / ``arn:aws:s3:::``: every resource of the type."""
    parts = value.split(":", 5)
    return len(parts) < 6 or parts[5] == ""


def data_events(event_selectors: Any, advanced: Any) -> list[dict[str, Any]]:
    """Normalized data-event selectors from CloudTrail's ``EventSelectors`` and
    ``AdvancedEventSelectors`` (the GetEventSelectors / GetEventDataStore shapes)."""
    out: list[dict[str, Any]] = []
    for sel in event_selectors or []:
        rw = sel.get("ReadWriteType") or "All"
        for res in sel.get("DataResources") or []:
            values = [v for v in res.get("Values") or [] if isinstance(v, str)]
            if not res.get("Type") or not values:
                continue
            arns = None if any(_all_of_type(v) for v in values) else values
            sel_ = {"type": res["Type"], "arns": arns, "exclude": [], "partial": rw != "All"}
            if arns is not None and res["Type"] != S3_OBJECT:
                sel_["exact"] = True  # basic selectors name DynamoDB tables by their ARN
            out.append(sel_)
    for sel in advanced or []:
        fields: dict[str, dict[str, list[str]]] = {}
        for f in sel.get("FieldSelectors") or []:
            name = str(f.get("Field") or "").lower()
            ops = fields.setdefault(name, {})
            for op in ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith",
                       "NotEndsWith"):
                if f.get(op):
                    ops.setdefault(op, []).extend(str(v) for v in f[op])
        category = fields.get("eventcategory", {})
        if "Data" not in category.get("Equals", []):
            continue
        arn = fields.get("resources.arn", {})
        partial = any(k not in _RESOURCE_FIELDS for k in fields) or bool(
            arn.get("EndsWith") or arn.get("NotEndsWith"))
        starts, equals = arn.get("StartsWith", []), arn.get("Equals", [])
        exclude = arn.get("NotStartsWith", []) + arn.get("NotEquals", [])
        # (No special "every resource" values here, unlike classic selectors: a StartsWith
        # such as arn:aws-cn:dynamodb:cn-north-1 is a prefix, read as one, region and all.)
        everything = not (starts or equals)
        for rtype in fields.get("resources.type", {}).get("Equals", []):
            if everything:
                out.append({"type": rtype, "arns": None, "exclude": exclude, "partial": partial})
                continue
            # StartsWith values are prefixes, Equals values exact ARNs, so that an exact table
            # ARN never selects the tables whose names merely begin with it. Both on one field
            # must both hold (read the strict way: never more selected than CloudTrail logs).
            if starts and equals:
                both = [e for e in equals if any(e.startswith(x) for x in starts)]
                out.append({"type": rtype, "arns": both, "exact": True, "exclude": exclude,
                            "partial": partial})
            elif starts:
                out.append({"type": rtype, "arns": starts, "exclude": exclude,
                            "partial": partial})
            else:
                out.append({"type": rtype, "arns": equals, "exact": True, "exclude": exclude,
                            "partial": partial})
    return out


def lifecycle_expiry(rules: Any) -> dict[str, Any]:
    """An object_store's ``expiry`` from its lifecycle rules (GetBucketLifecycleConfiguration
    shape): the shortest ``Expiration.Days`` of an enabled rule, whatever its filter (a rule
    on part of the bucket may be the part holding the logs: the shorter reading never passes
    what it should not). An expiration by date is unknown (expires null)."""
    days: list[int] = []
    for r in rules or []:
        if not isinstance(r, dict) or r.get("Status") != "Enabled":
            continue
        exp = r.get("Expiration") or {}
        if exp.get("Date") is not None:
            return {"expires": None, "days": None}
        d = exp.get("Days")
        if isinstance(d, int) and not isinstance(d, bool):
            days.append(d)
    return {"expires": True, "days": min(days)} if days else {"expires": False, "days": None}


def _norm(arn: str) -> str:
    """An ARN without ``arn:<partition>:`` (IaC inputs do not know the partition)."""
    parts = arn.split(":", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "arn" else arn


def _roots(a: Asset) -> tuple[str, list[str]]:
    """The selector type logging this store, and the ARNs (normalized) a selector value must
    be a prefix of to select all of its data."""
    if a["kind"] == "object_store":
        name = a.get("name") or a["id"]
        return S3_OBJECT, [f"s3:::{name}/"]
    return DYNAMODB_TABLE, [_norm(a["id"])] if a["id"].startswith("arn:") else []


def _selects(sel: dict[str, Any], a: Asset, kind: str, roots: list[str]) -> bool:
    """The selector logs every operation on the store (a value naming the store's id exactly
    counts: IaC mappers put a referenced resource's id where its ARN is not yet known)."""
    if sel.get("type") != kind or sel.get("partial"):
        return False
    arns = sel.get("arns")
    if arns is not None and sel.get("exact") is True:
        # an exact ARN selects one resource: a table by its ARN; never a whole bucket (an S3
        # object ARN names one object)
        if kind == S3_OBJECT or not any(v == a["id"] or _norm(v) in roots for v in arns):
            return False
    elif arns is not None and not any(
            v == a["id"] or any(r.startswith(_norm(v)) for r in roots) for v in arns):
        return False
    for x in sel.get("exclude") or []:
        nx = _norm(x)
        if x == a["id"] or any(r.startswith(nx) or nx.startswith(r) for r in roots):
            return False
    return True


# ---------------------------------------------------------------------------- sinks


def _expiry(a: Asset | None) -> tuple[int | None, bool | None]:
    """(retention_days, unlimited) of a sink asset: unknown when it is not in the inventory."""
    e = a.get("expiry") if a is not None else None
    if not isinstance(e, dict):
        return None, None
    if e.get("expires") is False:
        return None, True
    days = e.get("days")
    if e.get("expires") is True and isinstance(days, int) and not isinstance(days, bool):
        return days, False
    return None, None


def _lock_days(a: Asset | None) -> int | None:
    lock = (a.get("access") or {}).get("lock") if a is not None else None
    if isinstance(lock, dict) and lock.get("enabled") is True:
        d = lock.get("min_retention_days")
        return d if isinstance(d, int) and not isinstance(d, bool) else None
    return None


def _agree(x: Any, y: Any) -> bool:
    return x is None or y is None or x == y


def _group_name(ref: str) -> str:
    """A log group named by ARN (arn:aws:logs:r:a:log-group:NAME:*) compares by its name."""
    if ":log-group:" in ref:
        ref = ref.split(":log-group:", 1)[1]
        return ref[:-2] if ref.endswith(":*") else ref
    return ref


class _Sinks:
    """The estate's log sinks, indexed once."""

    def __init__(self, assets: list[Asset], gaps: Iterable[dict[str, Any]]) -> None:
        self.buckets: dict[str, Asset] = {}
        self.groups: dict[str, list[Asset]] = {}
        self.trails: list[Asset] = []
        for a in assets:
            k = a.get("kind")
            if k == "object_store" and isinstance(a.get("name"), str):
                self.buckets.setdefault(a["name"], a)
            elif k == "log_sink" and isinstance(a.get("log"), dict):
                svc = a["log"].get("service")
                if svc == "cloudwatch_logs":
                    self.groups.setdefault(_group_name(a.get("name") or a["id"]), []).append(a)
                    if a["id"] != a.get("name"):
                        self.groups.setdefault(_group_name(a["id"]), []).append(a)
                elif svc in ("cloudtrail", "cloudtrail_lake"):
                    self.trails.append(a)
        self.trail_gaps = [(g.get("account"), g.get("region"),
                            "CloudTrail Lake event data stores" if str(g.get("operation") or "")
                            .endswith(("EventDataStores", "EventDataStore")) else
                            "CloudTrail trails") for g in gaps
                           if isinstance(g, dict) and g.get("service") == "cloudtrail"]

    def entry(self, kind: str, dest: dict[str, Any], store: Asset,
              via: str | None = None) -> dict[str, Any]:
        """A log entry for a destination {type: s3|cloudwatch_logs, bucket, log_group}."""
        sink: Asset | None = None
        ref: str | None
        if dest.get("type") == "s3":
            ref = dest.get("bucket")
            sink = self.buckets.get(ref) if isinstance(ref, str) else None
        else:
            ref = dest.get("log_group")
            found = [g for g in self.groups.get(_group_name(ref), [])
                     if _agree(g.get("account"), store.get("account"))
                     and _agree(g.get("region"), store.get("region"))] if ref else []
            # Several groups of that name (account or Region unknown): the shortest keeps.
            sink = min(found, key=_keep_order) if found else None
        days, unlimited = _expiry(sink)
        return {"sink": sink["id"] if sink else (ref or "unknown"),
                "name": (sink.get("name") if sink else ref),
                "kind": kind, "via": via, "retention_days": days, "unlimited": unlimited,
                "object_lock_days": _lock_days(sink)}


def _keep_order(a: Asset) -> tuple[int, int]:
    days, unlimited = _expiry(a)
    return (0, days) if days is not None else (1 if unlimited is None else 2, 0)


def _trail_logs(s: _Sinks, a: Asset, out: list[dict[str, Any]], unknown: list[str]) -> None:
    kind, roots = _roots(a)
    for t in s.trails:
        log = t["log"]
        if not (log.get("organization") is True or _agree(t.get("account"), a.get("account"))):
            continue
        same_region = _agree(t.get("region"), a.get("region"))
        if not same_region and log.get("multi_region") is not True:
            if log.get("multi_region") is None:
                unknown.append(f"whether {t.get('name') or t['id']} records every Region "
                               "could not be read")
            continue
        sels = log.get("data_events")
        name = t.get("name") or t["id"]
        if sels is None:
            unknown.append(f"the data-event selectors of {name} could not be read")
            continue
        hits = [x for x in sels if isinstance(x, dict) and _selects(x, a, kind, roots)]
        if hits and all(x.get("unsure") for x in hits):
            unknown.append(f"the data-event selector of {name} naming it is known only after "
                           "apply")
            continue
        if not hits:
            continue
        if log.get("logging") is not True:
            if log.get("logging") is None:
                unknown.append(f"whether {name} is recording could not be read")
            continue
        if log["service"] == "cloudtrail_lake":
            days, unlimited = _expiry(t)
            out.append({"sink": t["id"], "name": name, "kind": "cloudtrail_lake", "via": None,
                        "retention_days": days, "unlimited": unlimited,
                        "object_lock_days": None})
            continue
        dests = [{"type": "s3", "bucket": log["bucket"]}] if log.get("bucket") else []
        if log.get("log_group"):
            dests.append({"type": "cloudwatch_logs", "log_group": log["log_group"]})
        for d in dests:
            out.append(s.entry("cloudtrail_data_events", d, a, via=name))
    seen: set[str] = set()
    for acct, region, what in s.trail_gaps:
        if what not in seen and _agree(acct, a.get("account")) and _agree(region,
                                                                           a.get("region")):
            seen.add(what)
            unknown.append(f"{what} of its account and Region could not be read")


def _own_logs(s: _Sinks, a: Asset, out: list[dict[str, Any]], unknown: list[str]) -> None:
    logging = a.get("logging")
    if not isinstance(logging, dict):
        unknown.append("its logging settings could not be read")
        return
    if a["kind"] == "object_store":
        al = logging.get("access_log")
        enabled = al.get("enabled") if isinstance(al, dict) else None
        if enabled is None:
            unknown.append("its server access logging could not be read")
        elif enabled:
            out.append(s.entry("s3_access_log", {"type": "s3", "bucket": al.get("target_bucket")},
                               a))
        return
    audit = logging.get("audit")
    enabled = audit.get("enabled") if isinstance(audit, dict) else None
    dests = audit.get("destinations") if isinstance(audit, dict) else None
    if enabled is False:
        return
    if enabled is None or dests is None:
        unknown.append("its audit log settings could not be read")
        return
    kind = "db_audit_log" if a["kind"] == "database" else "warehouse_audit_log"
    for d in dests:
        if isinstance(d, dict):
            out.append(s.entry(kind, d, a))


# ---------------------------------------------------------------------------- per store


class _Marker:
    """The outsourced / co-processed marker of a store (config ``outsourced_tag_keys``)."""

    def __init__(self, config: Config) -> None:
        self.keys = {k.lower() for k in config.outsourced_tag_keys}
        self.days = config.log_retention_days

    def outsourced(self, a: Asset) -> bool | None:
        """True/False by the tag's value; None for a value that is neither (it is treated as
        outsourced: the longer duty, never a wrong pass)."""
        cat = a.get("outsourced")
        if isinstance(cat, dict) and cat.get("value") is True:
            return True  # a catalogue rule marks it (a tag cannot unmark it)
        tags = a.get("tags")
        if not isinstance(tags, dict) or not tags:
            return False
        found = False
        for k, v in tags.items():
            if str(k).lower() in self.keys:
                val = str(v).strip().lower()
                if val in _TRUE:
                    return True
                if val not in _FALSE:
                    found = True
        return None if found else False

    def required(self, protect_level: str, outsourced: bool | None) -> int | None:
        if RANK.get(protect_level, 0) < RANK["sensitive"]:
            return None
        days = self.days[protect_level]
        return days if outsourced is False else max(days, self.days["outsourced"])


def attach(assets: list[Asset], config: Config, gaps: Iterable[dict[str, Any]] = ()) -> None:
    """Set the four operation-log fields of ``ctx`` on every asset (after relations)."""
    sinks = _Sinks(assets, gaps)
    marker = _Marker(config)
    fallback = config.unclassified_protection_level
    for a in assets:
        ctx = a["ctx"]
        if a.get("kind") not in LOGGED_KINDS:
            ctx["operation_logs"], ctx["operation_logs_unknown"] = [], []
            ctx["log_retention_required_days"], ctx["outsourced"] = None, False
            continue
        out: list[dict[str, Any]] = []
        unknown: list[str] = []
        if a["kind"] in ("object_store", "table"):
            _trail_logs(sinks, a, out, unknown)
        if a["kind"] != "table":
            _own_logs(sinks, a, out, unknown)
        outsourced = marker.outsourced(a)
        level = ctx.get("protect_level") or fallback
        if level == UNCLASSIFIED:
            level = fallback
        ctx["operation_logs"] = out
        ctx["operation_logs_unknown"] = unknown
        ctx["log_retention_required_days"] = marker.required(level, outsourced)
        ctx["outsourced"] = outsourced
