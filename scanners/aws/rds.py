"""RDS: DB instances and Aurora clusters (databases), and their snapshots.

An Aurora cluster is the store (encryption, backups and network are the cluster's); its member
instances are not separate assets. A snapshot is a copy of the instance or cluster it was
taken from, and of the snapshot it was copied from when it is a copy (cross-region or
cross-account copies keep the source ARN).

Members AWS always sends (StorageEncrypted, KmsKeyId of an encrypted store, PubliclyAccessible,
VpcSecurityGroups, BackupRetentionPeriod, SnapshotType, the ``restore`` attribute) are read by
subscript: a reply without one is malformed, a gap on the facet it decides (replies.Reply),
never the reading that would pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dsscan.scanners.aws.audit_logs import RDS_CALLS, RdsAudit
from dsscan.scanners.aws.base import (
    Asset,
    Scope,
    call,
    malformed,
    pages,
    required_bool,
    tag_dict,
    when,
)
from dsscan.scanners.aws.failures import facet
from dsscan.scanners.aws.operations import Calls, Collector
from dsscan.scanners.aws.parameter_groups import ParameterGroups, db_in_transit

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="rds", title="RDS",
    kinds={"database": ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"),
           "snapshot": ("AWS::RDS::DBSnapshot", "AWS::RDS::DBClusterSnapshot")},
    calls=(Calls("rds", ("DescribeDBInstances", "DescribeDBClusters", "DescribeDBSnapshots",
                         "DescribeDBClusterSnapshots", "DescribeDBSnapshotAttributes",
                         "DescribeDBClusterSnapshotAttributes",
                         # DS-TRN-001 (rds.force_ssl / require_secure_transport) and the
                         # audit-log settings (Art. 43): DescribeDBParameters and
                         # DescribeDBClusterParameters, DescribeOptionGroups
                         *RDS_CALLS)),),
)


def collect(scope: Scope) -> None:
    rds = scope.client("rds")
    clusters = list(pages(rds, "describe_db_clusters", "DBClusters"))
    instances = list(pages(rds, "describe_db_instances", "DBInstances"))
    by_id = {i["DBInstanceIdentifier"]: i for i in instances}
    by_cluster: dict[str, list[dict[str, Any]]] = {}
    for i in instances:
        if i.get("DBClusterIdentifier"):
            by_cluster.setdefault(i["DBClusterIdentifier"], []).append(i)
    listed = {c["DBClusterIdentifier"] for c in clusters}
    groups = ParameterGroups(rds)  # each group read once for this account and region
    audit = RdsAudit(scope, groups)  # audit-log settings (Art. 43): the same groups, read once

    for c in clusters:
        cid = c["DBClusterIdentifier"]
        members = by_cluster.get(cid, [])
        a = scope.asset(id=c["DBClusterArn"], kind="database", name=cid,
                        type="AWS::RDS::DBCluster", tags=tag_dict(c.get("TagList")))
        scope.stored_encryption(a, c, "StorageEncrypted")
        a["encryption"]["in_transit"] = db_in_transit(
            a, groups, "describe_db_cluster_parameters", "cluster_parameter_group",
            c.get("DBClusterParameterGroup"), c.get("Engine"))
        _network(a, c, members[0] if members else {}, lambda c=c, m=members: _cluster_public(
            c, m, by_id))
        a["backup"] = {"native": {"enabled": None, "retention_days": None}}
        with facet(a, "backup"):
            a["backup"] = _native(c["BackupRetentionPeriod"], c)
        a["attributes"] = {"engine": c.get("Engine"), "resource_id": c.get("DbClusterResourceId"),
                           "members": sorted(m["DBInstanceIdentifier"] for m in members)}
        audit.logging(a, c, cluster=True)
        scope.sink.add(a)

    for i in instances:
        if i.get("DBClusterIdentifier") in listed:
            continue  # its cluster is the store
        a = scope.asset(id=i["DBInstanceArn"], kind="database", name=i["DBInstanceIdentifier"],
                        type="AWS::RDS::DBInstance", tags=tag_dict(i.get("TagList")))
        scope.stored_encryption(a, i, "StorageEncrypted")
        a["encryption"]["in_transit"] = db_in_transit(
            a, groups, "describe_db_parameters", "parameter_group",
            next((g.get("DBParameterGroupName") for g in i.get("DBParameterGroups") or []),
                 None), i.get("Engine"))
        _network(a, i, i, lambda i=i: required_bool(i, "PubliclyAccessible"))
        a["backup"] = {"native": {"enabled": None, "retention_days": None}}
        with facet(a, "backup"):
            a["backup"] = _native(i["BackupRetentionPeriod"], i)
        a["attributes"] = {"engine": i.get("Engine"), "instance_class": i.get("DBInstanceClass"),
                           "resource_id": i.get("DbiResourceId")}
        if i.get("DBClusterIdentifier"):
            # A member of a cluster the cluster listing did not name (made or deleted between
            # the two listings): judged on its own rather than dropped.
            a["attributes"]["cluster"] = i["DBClusterIdentifier"]
        if i.get("ReadReplicaSourceDBInstanceIdentifier"):
            src = i["ReadReplicaSourceDBInstanceIdentifier"]
            a["replica_of"] = [src if src.startswith("arn:")
                               else scope.arn("rds", f"db:{src}")]
        audit.logging(a, i, cluster=False)
        scope.sink.add(a)

    for s in pages(rds, "describe_db_snapshots", "DBSnapshots"):
        a = _snapshot(scope, s, "DBSnapshotArn", "DBSnapshotIdentifier", "DBInstanceIdentifier",
                      "db", "AWS::RDS::DBSnapshot", "Encrypted")
        if a["attributes"]["snapshot_type"] == "manual":
            with facet(a, "access"):
                got = call(rds, "describe_db_snapshot_attributes",
                           DBSnapshotIdentifier=s["DBSnapshotIdentifier"])
                _shared(a, got["DBSnapshotAttributesResult"], "DBSnapshotAttributes")
        scope.sink.add(a)

    for s in pages(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots"):
        a = _snapshot(scope, s, "DBClusterSnapshotArn", "DBClusterSnapshotIdentifier",
                      "DBClusterIdentifier", "cluster", "AWS::RDS::DBClusterSnapshot",
                      "StorageEncrypted")
        if a["attributes"]["snapshot_type"] == "manual":
            with facet(a, "access"):
                got = call(rds, "describe_db_cluster_snapshot_attributes",
                           DBClusterSnapshotIdentifier=s["DBClusterSnapshotIdentifier"])
                _shared(a, got["DBClusterSnapshotAttributesResult"],
                        "DBClusterSnapshotAttributes")
        scope.sink.add(a)


def _cluster_public(c: Any, members: list[Any], by_id: dict[str, Any]) -> bool | None:
    """An Aurora cluster is reachable from the internet when any of its instances is (Multi-AZ
    DB clusters also say so on the cluster itself). A member the cluster names that the
    instance listing lacks (made between the two listings) leaves it unknown unless another
    member is public."""
    names = sorted({m["DBInstanceIdentifier"] for m in c["DBClusterMembers"]}
                   | {m["DBInstanceIdentifier"] for m in members})
    known = [required_bool(by_id[n], "PubliclyAccessible") for n in names if n in by_id]
    if c.get("PubliclyAccessible") is True or any(known):
        return True
    return None if len(known) < len(names) else False


def _network(a: Asset, described: Any, placed: Any, public: Callable[[], bool | None]) -> None:
    """Network placement and public accessibility; a member AWS always sends that is missing
    leaves both unknown (a gap on the network facet), never "private"."""
    subnets, vpc = _subnet_group(placed)
    a["network"] = {"vpc_id": vpc, "subnets": subnets, "security_groups": [],
                    "publicly_accessible": None}
    a["access"] = {"public": None}
    with facet(a, "network"):
        groups = sorted(g["VpcSecurityGroupId"] for g in described["VpcSecurityGroups"])
        accessible = public()
        a["network"].update(security_groups=groups, publicly_accessible=accessible)
        a["access"] = {"public": accessible}


def _subnet_group(instance: dict[str, Any]) -> tuple[list[str], str | None]:
    g = instance.get("DBSubnetGroup") or {}
    return sorted(s["SubnetIdentifier"] for s in g.get("Subnets") or []
                  if s.get("SubnetIdentifier")), g.get("VpcId")


def _native(retention: Any, described: dict[str, Any]) -> dict[str, Any]:
    """Automated backups: kept by RDS in the instance's own region, unless automated-backup
    replication copies them to another (DS-BAK-001 counts that as a separate backup)."""
    days = retention if isinstance(retention, int) else None
    regions = sorted({arn.split(":")[3] for r in described.get(
        "DBInstanceAutomatedBackupsReplications") or [] if isinstance(r, dict)
        and isinstance(arn := r.get("DBInstanceAutomatedBackupsArn"), str)
        and arn.count(":") >= 4 and arn.split(":")[3]})
    native: dict[str, Any] = {"enabled": None if days is None else days > 0,
                              "retention_days": days}
    if regions:
        native["replica_regions"] = regions
    return {"native": native}


def _snapshot(scope: Scope, s: Any, arn_key: str, name_key: str, source_key: str,
              source_kind: str, type_: str, encrypted_key: str) -> Asset:
    a = scope.asset(id=s[arn_key], kind="snapshot", name=s[name_key], type=type_,
                    tags=tag_dict(s.get("TagList")))
    scope.stored_encryption(a, s, encrypted_key)
    # Taken from a database here, or copied from a snapshot elsewhere: the ARN of the source
    # snapshot names the account and region the database lives in.
    src_region, src_account = scope.region, scope.account
    origin = s.get("SourceDBSnapshotIdentifier") or s.get("SourceDBClusterSnapshotArn")
    parts = origin.split(":") if isinstance(origin, str) else []
    if len(parts) > 4 and parts[0] == "arn":
        src_region, src_account = parts[3], parts[4]
    src_region = s.get("SourceRegion") or src_region
    sources = []
    if s.get(source_key):
        sources.append(scope.arn("rds", f"{source_kind}:{s[source_key]}",
                                 region=src_region, account=src_account))
    a["backup"] = {"backup_of": sources,
                   "location": {"account": scope.account, "region": scope.region},
                   "automated": None, "created": when(s.get("SnapshotCreateTime"))}
    # Automated snapshots cannot be shared; a manual one is unknown until its attributes are
    # read, as is any snapshot whose type the reply does not say.
    a["access"] = {"public": None, "shared_with": []}
    kind = None
    with facet(a, "access"):
        kind = s["SnapshotType"]
        a["backup"]["automated"] = kind == "automated"
        if kind == "automated":
            a["access"] = {"public": False, "shared_with": []}
    a["attributes"] = {"snapshot_type": kind,
                       "copied_from": origin if isinstance(origin, str) else None,
                       # The source's resource id survives copies: sweep.link falls back on it.
                       "source_resource_id": s.get("DbiResourceId") or s.get("DbClusterResourceId")}
    return a


def _shared(a: Asset, result: Any, key: str) -> None:
    """Who may restore a manual snapshot. AWS always answers the ``restore`` attribute (its
    values possibly empty): an answer without it is malformed, never "shared with nobody"."""
    restore = [at for at in result[key] if at["AttributeName"] == "restore"]
    if not restore:
        raise malformed(result, "no restore attribute")
    who = sorted({v for at in restore for v in at["AttributeValues"]})
    a["access"] = {"public": "all" in who, "shared_with": who}
