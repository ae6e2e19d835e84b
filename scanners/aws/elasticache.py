"""ElastiCache caches: replication groups (Redis/Valkey) and clusters outside any group
(Memcached, single-node Redis) — at-rest and in-transit encryption, network, snapshots.

A replication group is the store; its member clusters only place it in subnets and security
groups. A cluster outside a group is a store of its own, mapped as the IaC side maps
``aws_elasticache_cluster``: CreateCacheCluster has no at-rest encryption option and
Memcached keeps no snapshots, so such a cluster is unencrypted at rest (unless AWS says
otherwise) and a Memcached one has no native backup.

Members AWS always sends — a group's AtRestEncryptionEnabled, TransitEncryptionEnabled,
MemberClusters and SnapshotRetentionLimit, a VPC cluster's SecurityGroups — are read by
subscript: a reply without one is a gap on the facet it decides. A cluster's encryption flags
may be left out (moto does): absent reads as off, the reading that cannot pass.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import Asset, Scope, call, pages, required_bool, tag_dict
from dsscan.scanners.aws.failures import add_asset_gap, facet
from dsscan.scanners.aws.operations import Calls, Collector
from dsscan.scanners.aws.transport import cache_fact

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="elasticache", title="ElastiCache",
    kinds={"cache": ("AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::CacheCluster")},
    calls=(Calls("elasticache", ("DescribeReplicationGroups", "DescribeCacheClusters",
                                 "DescribeCacheSubnetGroups", "ListTagsForResource")),),
)

_MEMCACHED = "memcached"


def collect(scope: Scope) -> None:
    ec = scope.client("elasticache")
    groups = list(pages(ec, "describe_replication_groups", "ReplicationGroups"))
    clusters = {c["CacheClusterId"]: c for c in pages(ec, "describe_cache_clusters",
                                                      "CacheClusters")}
    if not groups and not clusters:
        return
    subnet_groups: dict[str, Any] = {}
    if any(c.get("CacheSubnetGroupName") for c in clusters.values()):
        subnet_groups = {g["CacheSubnetGroupName"]: g for g in pages(
            ec, "describe_cache_subnet_groups", "CacheSubnetGroups")}
    grouped: set[str] = set()
    for g in groups:
        gid = g["ReplicationGroupId"]
        arn = g.get("ARN") or scope.arn("elasticache", f"replicationgroup:{gid}")
        a = scope.asset(id=arn, kind="cache", name=gid,
                        type="AWS::ElastiCache::ReplicationGroup")
        # A group encrypted at rest without a KmsKeyId uses ElastiCache's default
        # (AWS-managed) key: no key reads as provider-managed.
        scope.stored_encryption(a, g, "AtRestEncryptionEnabled", key_always_sent=False)
        a["network"] = _unplaced()
        a["access"] = {"public": False}  # a cache lives in its VPC: no public endpoint
        a["attributes"] = {"transit_encryption": None}
        with facet(a, "network"):
            names = list(g["MemberClusters"])
            grouped |= set(names)
            missing = [m for m in names if m not in clusters]
            members = [clusters[m] for m in names if m not in missing]
            _place(a, members, subnet_groups)
            if missing:  # created between the two listings: where they sit is unknown
                add_asset_gap(a, "network", f"member clusters {', '.join(missing)} were not "
                                            "in the cluster listing")
        a["encryption"]["in_transit"] = cache_fact(None, None)
        with facet(a, "encryption"):
            a["attributes"]["transit_encryption"] = required_bool(g, "TransitEncryptionEnabled")
            a["encryption"]["in_transit"] = cache_fact(
                a["attributes"]["transit_encryption"], g.get("TransitEncryptionMode"))
        _snapshots(a, g)
        _tags(ec, a, arn)
        scope.sink.add(a)

    for cid, c in sorted(clusters.items()):
        if cid in grouped:
            continue
        # Outside every listed group (a Memcached or single-node Redis cluster, or the member
        # of a group made after the group listing): a store of its own.
        engine = c.get("Engine")
        arn = c.get("ARN") or scope.arn("elasticache", f"cluster:{cid}")
        a = scope.asset(id=arn, kind="cache", name=cid, type="AWS::ElastiCache::CacheCluster")
        at_rest = engine != _MEMCACHED and c.get("AtRestEncryptionEnabled") is True
        a["encryption"] = scope.encryption(a, at_rest, c.get("KmsKeyId") if at_rest else None)
        # Memcached with TLS on accepts TLS only; Redis as its TransitEncryptionMode says.
        a["encryption"]["in_transit"] = cache_fact(c.get("TransitEncryptionEnabled") is True,
                                                   c.get("TransitEncryptionMode"))
        a["network"] = _unplaced()
        a["access"] = {"public": False}
        with facet(a, "network"):
            _place(a, [c], subnet_groups)
        a["attributes"] = {"engine": engine,
                           "transit_encryption": c.get("TransitEncryptionEnabled") is True}
        if c.get("ReplicationGroupId"):
            a["attributes"]["replication_group"] = c["ReplicationGroupId"]
        if engine == _MEMCACHED:
            a["backup"] = {"native": {"enabled": False, "retention_days": 0}}
        else:
            _snapshots(a, c)
        _tags(ec, a, arn)
        scope.sink.add(a)


def _unplaced() -> dict[str, Any]:
    return {"vpc_id": None, "subnets": [], "security_groups": [], "publicly_accessible": False}


def _place(a: Asset, members: list[Any], subnet_groups: dict[str, Any]) -> None:
    """Subnets, VPC and security groups of the clusters a cache runs on. A cluster in a VPC
    (it has a subnet group) always names its security groups."""
    names = {m["CacheSubnetGroupName"] for m in members if m.get("CacheSubnetGroupName")}
    groups: set[str] = set()
    for m in members:
        if m.get("CacheSubnetGroupName"):
            groups |= {s["SecurityGroupId"] for s in m["SecurityGroups"]}
    subnets = sorted({s["SubnetIdentifier"] for n in names
                      for s in subnet_groups.get(n, {}).get("Subnets") or []})
    vpcs = sorted({subnet_groups[n].get("VpcId") for n in names if n in subnet_groups} - {None})
    a["network"].update(vpc_id=vpcs[0] if vpcs else None, subnets=subnets,
                        security_groups=sorted(groups))


def _snapshots(a: Asset, described: Any) -> None:
    a["backup"] = {"native": {"enabled": None, "retention_days": None}}
    with facet(a, "backup"):
        days = described["SnapshotRetentionLimit"]
        a["backup"] = {"native": {"enabled": days > 0 if isinstance(days, int) else None,
                                  "retention_days": days if isinstance(days, int) else None}}


def _tags(ec: Any, a: Asset, arn: str) -> None:
    with facet(a, "tags"):
        a["tags"] = tag_dict(call(ec, "list_tags_for_resource", ResourceName=arn)["TagList"])
