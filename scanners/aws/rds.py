"""RDS: DB instances and Aurora clusters (databases), and their snapshots.

An Aurora cluster is the store (encryption, backups and network are the cluster's); its member
instances are not separate assets. A snapshot is a copy of the instance or cluster it was
taken from, and of the snapshot it was copied from when it is a copy (cross-region or
cross-account copies keep the source ARN).
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import Asset, Scope, call, pages, tag_dict
from dsscan.scanners.aws.gaps import facet


def collect(scope: Scope) -> None:
    rds = scope.client("rds")
    clusters = list(pages(rds, "describe_db_clusters", "DBClusters"))
    instances = list(pages(rds, "describe_db_instances", "DBInstances"))
    by_cluster: dict[str, list[dict[str, Any]]] = {}
    for i in instances:
        if i.get("DBClusterIdentifier"):
            by_cluster.setdefault(i["DBClusterIdentifier"], []).append(i)

    for c in clusters:
        members = by_cluster.get(c["DBClusterIdentifier"], [])
        a = scope.asset(id=c["DBClusterArn"], kind="database", name=c["DBClusterIdentifier"],
                        type="AWS::RDS::DBCluster", tags=tag_dict(c.get("TagList")))
        a["encryption"] = scope.encryption(a, bool(c.get("StorageEncrypted")), c.get("KmsKeyId"))
        subnets, vpc = _subnet_group(members[0] if members else {})
        a["network"] = {
            "vpc_id": vpc, "subnets": subnets,
            "security_groups": sorted(g["VpcSecurityGroupId"]
                                      for g in c.get("VpcSecurityGroups") or []),
            "publicly_accessible": any(m.get("PubliclyAccessible") for m in members),
        }
        a["access"] = {"public": a["network"]["publicly_accessible"]}
        a["backup"] = _native(c.get("BackupRetentionPeriod"), c)
        a["attributes"] = {"engine": c.get("Engine"), "resource_id": c.get("DbClusterResourceId"),
                           "members": sorted(m["DBInstanceIdentifier"] for m in members)}
        scope.sink.add(a)

    for i in instances:
        if i.get("DBClusterIdentifier"):
            continue
        a = scope.asset(id=i["DBInstanceArn"], kind="database", name=i["DBInstanceIdentifier"],
                        type="AWS::RDS::DBInstance", tags=tag_dict(i.get("TagList")))
        a["encryption"] = scope.encryption(a, bool(i.get("StorageEncrypted")), i.get("KmsKeyId"))
        subnets, vpc = _subnet_group(i)
        a["network"] = {
            "vpc_id": vpc, "subnets": subnets,
            "security_groups": sorted(g["VpcSecurityGroupId"]
                                      for g in i.get("VpcSecurityGroups") or []),
            "publicly_accessible": bool(i.get("PubliclyAccessible")),
        }
        a["access"] = {"public": bool(i.get("PubliclyAccessible"))}
        a["backup"] = _native(i.get("BackupRetentionPeriod"), i)
        a["attributes"] = {"engine": i.get("Engine"), "instance_class": i.get("DBInstanceClass"),
                           "resource_id": i.get("DbiResourceId")}
        if i.get("ReadReplicaSourceDBInstanceIdentifier"):
            src = i["ReadReplicaSourceDBInstanceIdentifier"]
            a["replica_of"] = [src if src.startswith("arn:")
                               else scope.arn("rds", f"db:{src}")]
        scope.sink.add(a)

    for s in pages(rds, "describe_db_snapshots", "DBSnapshots"):
        a = _snapshot(scope, s, "DBSnapshotArn", "DBSnapshotIdentifier", "DBInstanceIdentifier",
                      "db", "AWS::RDS::DBSnapshot")
        if s.get("SnapshotType") == "manual":
            with facet(a, "access"):
                got = call(rds, "describe_db_snapshot_attributes",
                           DBSnapshotIdentifier=s["DBSnapshotIdentifier"])
                _shared(a, got["DBSnapshotAttributesResult"]["DBSnapshotAttributes"])
        scope.sink.add(a)

    for s in pages(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots"):
        a = _snapshot(scope, s, "DBClusterSnapshotArn", "DBClusterSnapshotIdentifier",
                      "DBClusterIdentifier", "cluster", "AWS::RDS::DBClusterSnapshot")
        if s.get("SnapshotType") == "manual":
            with facet(a, "access"):
                got = call(rds, "describe_db_cluster_snapshot_attributes",
                           DBClusterSnapshotIdentifier=s["DBClusterSnapshotIdentifier"])
                _shared(a, got["DBClusterSnapshotAttributesResult"]
                        ["DBClusterSnapshotAttributes"])
        scope.sink.add(a)


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


def _snapshot(scope: Scope, s: dict[str, Any], arn_key: str, name_key: str, source_key: str,
              source_kind: str, type_: str) -> Asset:
    a = scope.asset(id=s[arn_key], kind="snapshot", name=s[name_key], type=type_,
                    tags=tag_dict(s.get("TagList")))
    a["encryption"] = scope.encryption(a, bool(s.get("StorageEncrypted", s.get("Encrypted"))),
                                       s.get("KmsKeyId"))
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
                   "automated": s.get("SnapshotType") == "automated"}
    # Automated snapshots cannot be shared; a manual one is unknown until its attributes are read.
    automated = s.get("SnapshotType") == "automated"
    a["access"] = {"public": False if automated else None, "shared_with": []}
    a["attributes"] = {"snapshot_type": s.get("SnapshotType"),
                       "copied_from": origin if isinstance(origin, str) else None,
                       # The source's resource id survives copies: sweep.link falls back on it.
                       "source_resource_id": s.get("DbiResourceId") or s.get("DbClusterResourceId")}
    return a


def _shared(a: Asset, attributes: list[dict[str, Any]]) -> None:
    who = sorted({v for at in attributes if at.get("AttributeName") == "restore"
                  for v in at.get("AttributeValues") or []})
    a["access"] = {"public": "all" in who, "shared_with": who}
