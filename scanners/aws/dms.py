"""AWS Database Migration Service: replication tasks, which copy a source endpoint's data to a
target endpoint (DS-TST-004: production data reaching test by copy, Art. 48).

DMS produces no asset of its own: each task becomes a ``copy_to`` entry (``via: dms task``)
on the store its source endpoint reads, decided after every collector has ran (``link``,
called by sweep.link). An endpoint is matched to a store by what it names: an S3 endpoint's
bucket, a database or warehouse endpoint's AWS host name (``<identifier>.<hash>.<region>.rds.
amazonaws.com[.cn]``, ``….redshift.amazonaws.com[.cn]``; an Aurora ``<cluster>.cluster-…``).
A source that names no store of the inventory (a custom DNS name, a server outside AWS) may be
any database of the task's account and region: each of them gets ``copy_to: null`` and a gap
(not assessed, never a pass). A target that names no store is judged by the endpoint's own
tags and name; its account is never taken from the endpoint's ARN (that is the task's
account, not where the data lands).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dsscan.scanners.aws.base import Asset, Scope, call, pages, tag_dict
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap
from dsscan.scanners.aws.operations import Calls, Collector

INFO = Collector(
    service="dms", title="Database Migration Service",
    kinds={},
    calls=(Calls("dms", ("DescribeEndpoints", "DescribeReplicationTasks",
                         "ListTagsForResource")),),
)

_SOURCE_KINDS = ("database", "warehouse", "object_store", "table")
_HOSTED = (".rds.amazonaws.com", ".rds.amazonaws.com.cn", ".redshift.amazonaws.com",
           ".redshift.amazonaws.com.cn", ".redshift-serverless.amazonaws.com")


@dataclass
class Task:
    arn: str
    name: str
    tags: dict[str, str] | None
    source: dict[str, Any] | None  # the endpoint, or None when DescribeEndpoints lacked it
    target: dict[str, Any] | None
    target_tags: dict[str, str] | None


@dataclass
class DmsTasks:
    """The DMS tasks of one account and region; ``error`` when they could not be read."""

    account: str
    region: str
    tasks: list[Task] = field(default_factory=list)
    error: str | None = None


def _tags(dms: Any, arn: str) -> dict[str, str] | None:
    try:
        return tag_dict(call(dms, "list_tags_for_resource", ResourceArn=arn).get("TagList"))
    except ReadFailure:
        return None


def collect(scope: Scope) -> None:
    dms = scope.client("dms")
    note = DmsTasks(scope.account, scope.region)
    scope.sink.note("dms", note)
    try:
        endpoints = {e["EndpointArn"]: e for e in pages(dms, "describe_endpoints", "Endpoints")}
        tasks = list(pages(dms, "describe_replication_tasks", "ReplicationTasks"))
    except ReadFailure as e:
        note.error = e.reason
        raise
    for t in tasks:
        arn = t.get("ReplicationTaskArn")
        if not isinstance(arn, str):
            continue
        target = endpoints.get(t.get("TargetEndpointArn"))
        note.tasks.append(Task(
            arn=arn, name=t.get("ReplicationTaskIdentifier") or arn, tags=_tags(dms, arn),
            source=endpoints.get(t.get("SourceEndpointArn")), target=target,
            target_tags=_tags(dms, target["EndpointArn"]) if target else None))


# ------------------------------------------------------------------------- link


def _host_id(server: Any) -> tuple[str, str | None] | None:
    """(identifier, region) of an AWS-hosted database host name; None for any other."""
    if not isinstance(server, str):
        return None
    host = server.lower().rstrip(".")
    if not any(host.endswith(s) for s in _HOSTED):
        return None
    labels = host.split(".")
    svc = next((i for i, x in enumerate(labels) if x in ("rds", "redshift",
                                                         "redshift-serverless")), None)
    region = labels[svc - 1] if svc is not None and svc >= 2 else None
    return labels[0], region


def match(endpoint: dict[str, Any] | None, assets: list[Asset]) -> list[Asset]:
    """The inventory stores an endpoint names (several: cannot be told which)."""
    if not endpoint:
        return []
    s3 = endpoint.get("S3Settings") or {}
    bucket = s3.get("BucketName") if isinstance(s3, dict) else None
    if isinstance(bucket, str) and bucket:
        return [a for a in assets if a.get("kind") == "object_store" and a.get("name") == bucket]
    got = _host_id(endpoint.get("ServerName"))
    if got is None:
        return []
    ident, region = got
    return [a for a in assets if a.get("kind") in ("database", "warehouse")
            and str(a.get("name") or "").lower() == ident
            and (region is None or a.get("region") in (None, region))]


def _entry(task: Task, assets: list[Asset]) -> dict[str, Any]:
    stores = match(task.target, assets)
    tgt = task.target or {}
    name = tgt.get("EndpointIdentifier") or tgt.get("EndpointArn") or "unknown endpoint"
    if len(stores) == 1:
        return {"via": "dms task", "target": stores[0]["id"], "name": stores[0].get("name"),
                "account": stores[0].get("account"), "region": stores[0].get("region"),
                "target_tags": None, "by": task.name, "tags": task.tags}
    return {"via": "dms task", "target": tgt.get("EndpointArn") or f"{task.arn}#target",
            "name": name, "account": None, "region": None,
            "target_tags": task.target_tags, "by": task.name, "tags": task.tags}


def _unknown(a: Asset, why: str) -> None:
    a["copy_to"] = None
    add_asset_gap(a, "backup", why)


def link(assets: list[Asset], notes: list[DmsTasks]) -> None:
    """Each task as a ``copy_to`` entry on the store its source endpoint reads."""
    for n in notes:
        here = [a for a in assets if a.get("kind") in _SOURCE_KINDS
                and a.get("account") == n.account and a.get("region") == n.region]
        for a in here:
            if "copy_to" not in a:
                a["copy_to"] = []
        if n.error:
            for a in here:
                _unknown(a, f"DMS replication tasks could not be read: {n.error}")
            continue
        for t in n.tasks:
            sources = match(t.source, assets)
            if len(sources) != 1:
                # Any database of the task's scope, and every store the endpoint may name (a
                # database of that identifier in another account the task reads across).
                for a in {id(x): x for x in [*here, *sources]}.values():
                    if a.get("kind") in ("database", "warehouse"):
                        _unknown(a, f"DMS task {t.name} reads an endpoint dsscan cannot match "
                                    "to one store: it may copy this one")
                continue
            src = sources[0]
            if src.get("copy_to") is None and "copy_to" in src:
                continue  # already unknown
            if t.tags is None or (t.target is not None and t.target_tags is None
                                  and len(match(t.target, assets)) != 1):
                _unknown(src, f"the tags of DMS task {t.name} or its target endpoint could "
                              "not be read")
                continue
            src.setdefault("copy_to", []).append(_entry(t, assets))
