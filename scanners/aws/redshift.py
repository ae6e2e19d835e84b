"""Redshift clusters (warehouses) and their snapshots."""

from __future__ import annotations

from dsscan.scanners.aws.base import Scope, pages, tag_dict
from dsscan.scanners.aws.gaps import ReadFailure, add_asset_gap


def collect(scope: Scope) -> None:
    rs = scope.client("redshift")
    clusters = list(pages(rs, "describe_clusters", "Clusters"))
    subnet_groups: dict[str, list[str]] | None = {}
    subnet_gap = ""
    if any(c.get("ClusterSubnetGroupName") for c in clusters):
        try:
            subnet_groups = {
                g["ClusterSubnetGroupName"]: sorted(s["SubnetIdentifier"]
                                                    for s in g.get("Subnets") or [])
                for g in pages(rs, "describe_cluster_subnet_groups", "ClusterSubnetGroups")}
        except ReadFailure as e:
            subnet_groups = None
            subnet_gap = e.reason
    for c in clusters:
        cid = c["ClusterIdentifier"]
        a = scope.asset(id=scope.arn("redshift", f"cluster:{cid}"), kind="warehouse", name=cid,
                        type="AWS::Redshift::Cluster", tags=tag_dict(c.get("Tags")))
        a["encryption"] = scope.encryption(a, bool(c.get("Encrypted")), c.get("KmsKeyId"))
        subnets: list[str] = []
        if c.get("ClusterSubnetGroupName"):
            if subnet_groups is None:
                add_asset_gap(a, "network", subnet_gap)
            else:
                subnets = subnet_groups.get(c["ClusterSubnetGroupName"], [])
        a["network"] = {
            "vpc_id": c.get("VpcId"), "subnets": subnets,
            "security_groups": sorted(g["VpcSecurityGroupId"]
                                      for g in c.get("VpcSecurityGroups") or []),
            "publicly_accessible": bool(c.get("PubliclyAccessible")),
        }
        a["access"] = {"public": bool(c.get("PubliclyAccessible"))}
        days = c.get("AutomatedSnapshotRetentionPeriod")
        a["backup"] = {"native": {"enabled": None if days is None else days > 0,
                                  "retention_days": days}}
        scope.sink.add(a)

    for s in pages(rs, "describe_cluster_snapshots", "Snapshots"):
        cid, sid = s.get("ClusterIdentifier"), s["SnapshotIdentifier"]
        a = scope.asset(id=scope.arn("redshift", f"snapshot:{cid}/{sid}"), kind="snapshot",
                        name=sid, type="AWS::Redshift::ClusterSnapshot",
                        tags=tag_dict(s.get("Tags")))
        a["encryption"] = scope.encryption(a, bool(s.get("Encrypted")), s.get("KmsKeyId"))
        a["backup"] = {"backup_of": [scope.arn("redshift", f"cluster:{cid}")] if cid else [],
                       "location": {"account": scope.account, "region": scope.region},
                       "automated": s.get("SnapshotType") == "automated"}
        who = sorted(x["AccountId"] for x in s.get("AccountsWithRestoreAccess") or []
                     if x.get("AccountId"))
        a["access"] = {"public": False, "shared_with": who}
        scope.sink.add(a)
