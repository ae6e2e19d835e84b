"""Redshift clusters (warehouses) and their snapshots.

Encrypted, PubliclyAccessible, VpcSecurityGroups and the snapshot retention of a cluster, and
Encrypted and SnapshotType of a snapshot, are members AWS always sends: read by subscript, a
reply without one is a gap on the facet it decides, never the reading that would pass. An
encrypted cluster need not name its key (Redshift's default is an AWS-owned key): no key
reads as provider-managed.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.audit_logs import REDSHIFT_CALLS, redshift_logging
from dsscan.scanners.aws.base import Asset, Scope, pages, required_bool, tag_dict, when
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap, facet
from dsscan.scanners.aws.operations import Calls, Collector
from dsscan.scanners.aws.parameter_groups import ParameterGroups
from dsscan.scanners.aws.transport import redshift_fact, unread

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="redshift", title="Redshift",
    kinds={"warehouse": ("AWS::Redshift::Cluster",),
           "snapshot": ("AWS::Redshift::ClusterSnapshot",)},
    calls=(Calls("redshift", ("DescribeClusters", "DescribeClusterSnapshots",
                              "DescribeClusterSubnetGroups",
                              "DescribeClusterParameters",  # DS-TRN-001: require_ssl
                              *REDSHIFT_CALLS)),),
)


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
    groups = ParameterGroups(rs)  # each group read once for this account and region
    for c in clusters:
        cid = c["ClusterIdentifier"]
        a = scope.asset(id=scope.arn("redshift", f"cluster:{cid}"), kind="warehouse", name=cid,
                        type="AWS::Redshift::Cluster", tags=tag_dict(c.get("Tags")))
        scope.stored_encryption(a, c, "Encrypted", key_always_sent=False)
        a["encryption"]["in_transit"] = _in_transit(a, groups, c)
        subnets: list[str] = []
        if c.get("ClusterSubnetGroupName"):
            if subnet_groups is None:
                add_asset_gap(a, "network", subnet_gap)
            else:
                subnets = subnet_groups.get(c["ClusterSubnetGroupName"], [])
        a["network"] = {"vpc_id": c.get("VpcId"), "subnets": subnets, "security_groups": [],
                        "publicly_accessible": None}
        a["access"] = {"public": None}
        with facet(a, "network"):
            sgs = sorted(g["VpcSecurityGroupId"] for g in c["VpcSecurityGroups"])
            public = required_bool(c, "PubliclyAccessible")
            a["network"].update(security_groups=sgs, publicly_accessible=public)
            a["access"] = {"public": public}
        a["backup"] = {"native": {"enabled": None, "retention_days": None}}
        with facet(a, "backup"):
            days = c["AutomatedSnapshotRetentionPeriod"]
            a["backup"] = {"native": {"enabled": days > 0 if isinstance(days, int) else None,
                                      "retention_days": days if isinstance(days, int) else None}}
        redshift_logging(scope, rs, a, c, groups)  # audit logs (Art. 43): the same groups
        scope.sink.add(a)

    for s in pages(rs, "describe_cluster_snapshots", "Snapshots"):
        cid, sid = s.get("ClusterIdentifier"), s["SnapshotIdentifier"]
        a = scope.asset(id=scope.arn("redshift", f"snapshot:{cid}/{sid}"), kind="snapshot",
                        name=sid, type="AWS::Redshift::ClusterSnapshot",
                        tags=tag_dict(s.get("Tags")))
        scope.stored_encryption(a, s, "Encrypted", key_always_sent=False)
        a["backup"] = {"backup_of": [scope.arn("redshift", f"cluster:{cid}")] if cid else [],
                       "location": {"account": scope.account, "region": scope.region},
                       "automated": None, "created": when(s.get("SnapshotCreateTime"))}
        with facet(a, "backup"):
            a["backup"]["automated"] = s["SnapshotType"] == "automated"
        who = sorted(x["AccountId"] for x in s.get("AccountsWithRestoreAccess") or []
                     if x.get("AccountId"))
        a["access"] = {"public": False, "shared_with": who}
        scope.sink.add(a)


def _in_transit(a: Asset, groups: ParameterGroups, c: Any) -> dict[str, Any]:
    """require_ssl of the cluster's parameter group (a group that cannot be read: a gap)."""
    group = next((g.get("ParameterGroupName") for g in c.get("ClusterParameterGroups") or []),
                 None)
    if not group:
        add_asset_gap(a, "encryption", "the reply names no cluster parameter group")
        return unread("parameter_group", "no parameter group is named", setting="require_ssl")
    try:
        return redshift_fact(groups.values("describe_cluster_parameters", group), group)
    except ReadFailure as e:
        add_asset_gap(a, "encryption", e.reason)
        return redshift_fact(None, group)
