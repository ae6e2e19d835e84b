"""ElastiCache replication groups (caches): at-rest encryption, network, snapshots."""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import Scope, call, pages, tag_dict
from dsscan.scanners.aws.gaps import facet


def collect(scope: Scope) -> None:
    ec = scope.client("elasticache")
    groups = list(pages(ec, "describe_replication_groups", "ReplicationGroups"))
    if not groups:
        return
    clusters = {c["CacheClusterId"]: c for c in pages(ec, "describe_cache_clusters",
                                                      "CacheClusters")}
    subnet_groups: dict[str, dict[str, Any]] = {}
    if any(c.get("CacheSubnetGroupName") for c in clusters.values()):
        subnet_groups = {g["CacheSubnetGroupName"]: g for g in pages(
            ec, "describe_cache_subnet_groups", "CacheSubnetGroups")}
    for g in groups:
        gid = g["ReplicationGroupId"]
        arn = g.get("ARN") or scope.arn("elasticache", f"replicationgroup:{gid}")
        a = scope.asset(id=arn, kind="cache", name=gid,
                        type="AWS::ElastiCache::ReplicationGroup")
        a["encryption"] = scope.encryption(a, bool(g.get("AtRestEncryptionEnabled")),
                                           g.get("KmsKeyId"))
        members = [clusters[m] for m in g.get("MemberClusters") or [] if m in clusters]
        sg_names = {m.get("CacheSubnetGroupName") for m in members} - {None}
        subnets = sorted({s["SubnetIdentifier"] for n in sg_names
                          for s in subnet_groups.get(n, {}).get("Subnets") or []})
        vpcs = sorted({subnet_groups[n].get("VpcId") for n in sg_names
                       if n in subnet_groups} - {None})
        a["network"] = {
            "vpc_id": vpcs[0] if vpcs else None, "subnets": subnets,
            "security_groups": sorted({s["SecurityGroupId"] for m in members
                                       for s in m.get("SecurityGroups") or []}),
            "publicly_accessible": False,
        }
        a["access"] = {"public": False}
        days = g.get("SnapshotRetentionLimit")
        a["backup"] = {"native": {"enabled": None if days is None else days > 0,
                                  "retention_days": days}}
        a["attributes"] = {"transit_encryption": g.get("TransitEncryptionEnabled")}
        with facet(a, "tags"):
            a["tags"] = tag_dict(call(ec, "list_tags_for_resource",
                                      ResourceName=arn)["TagList"])
        scope.sink.add(a)
