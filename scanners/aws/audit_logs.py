"""Audit logs of RDS/Aurora databases and Redshift warehouses (Art. 43, DS-LOG-001).

A database's operation log counts when the engine writes audit records **and** they are
exported (``logging.audit``: ``enabled`` and ``destinations``). What "enabled" means, per
engine (a setting that cannot be read, or an engine not listed: null, never a pass; AWS's default
option and parameter groups, which cannot be modified, turn nothing on):

- MySQL and MariaDB: an option group of the instance holds ``MARIADB_AUDIT_PLUGIN``; the
  export is the ``audit`` log;
- Aurora MySQL: the cluster parameter ``server_audit_logging`` is 1 (ON); export ``audit``;
- PostgreSQL and Aurora PostgreSQL: ``shared_preload_libraries`` loads ``pgaudit`` and
  ``pgaudit.log`` is set (not ``none``), or ``log_statement`` is ``all``; export
  ``postgresql`` (the engine log, which then carries the audit records).

Exported logs go to ``/aws/rds/instance/<id>/<log>`` (``/aws/rds/cluster/<id>/<log>`` for
a cluster), the CloudWatch Logs group whose retention DS-LOG-002 judges. Each parameter or
option group is read once per Region, whatever the number of databases using it.

Redshift: DescribeLoggingStatus's ``LoggingEnabled`` (audit logging: connection and user
logs, and user activity when ``enable_user_activity_logging`` is on), delivered to S3
(``BucketName``) or CloudWatch Logs (``/aws/redshift/cluster/<id>/<log>`` per export).
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import Asset, Scope, call, pages, required_bool
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap
from dsscan.scanners.aws.parameter_groups import ParameterGroups

RDS_CALLS = ("DescribeOptionGroups", "DescribeDBParameters", "DescribeDBClusterParameters")
REDSHIFT_CALLS = ("DescribeLoggingStatus",)

_MYSQL = ("mysql", "mariadb")
_POSTGRES = ("postgres", "aurora-postgresql")
_AURORA_MYSQL = ("aurora-mysql", "aurora")
_ON = {"1", "on", "true"}


class RdsAudit:
    """Option and parameter groups of one Region, each read once."""

    def __init__(self, scope: Scope, groups: ParameterGroups | None = None) -> None:
        self.rds = scope.client("rds")
        # Parameter groups are shared with DS-TRN-001's reader: one DescribeDBParameters /
        # DescribeDBClusterParameters per group and Region, whichever fact asks first.
        self.groups = groups if groups is not None else ParameterGroups(self.rds)
        self.cache: dict[tuple[str, str], Any] = {}

    def _read(self, kind: str, name: str) -> Any:
        """The group's settings, or the ReadFailure that kept them unread."""
        key = (kind, name)
        if name.startswith(("default:", "default.")):
            # AWS's default groups cannot be modified: no audit option, engine defaults only
            # (none of which turns auditing on). Not read.
            return set() if kind == "option" else {}
        if key not in self.cache:
            try:
                if kind == "option":
                    self.cache[key] = {o.get("OptionName") for g in pages(
                        self.rds, "describe_option_groups", "OptionGroupsList",
                        OptionGroupName=name) for o in g.get("Options") or []}
                else:
                    method = ("describe_db_cluster_parameters" if kind == "cluster"
                              else "describe_db_parameters")
                    self.cache[key] = {k.lower(): str(v or "")
                                       for k, v in self.groups.values(method, name).items()}
            except ReadFailure as e:
                self.cache[key] = e
        return self.cache[key]

    def logging(self, a: Asset, described: dict[str, Any], cluster: bool) -> None:
        """Set ``a["logging"]`` from a DescribeDBInstances / DescribeDBClusters entry."""
        engine = str(described.get("Engine") or "").lower()
        ident = described["DBClusterIdentifier" if cluster else "DBInstanceIdentifier"]
        log_type = "postgresql" if engine in _POSTGRES else "audit"
        exports = described.get("EnabledCloudwatchLogsExports") or []
        dests = ([{"type": "cloudwatch_logs",
                   "log_group": f"/aws/rds/{'cluster' if cluster else 'instance'}/{ident}/"
                                f"{log_type}"}] if log_type in exports else [])
        a["logging"] = {"audit": {"enabled": self._enabled(a, engine, described, cluster),
                                  "destinations": dests}}

    def _enabled(self, a: Asset, engine: str, d: dict[str, Any], cluster: bool) -> bool | None:
        if engine in _MYSQL and not cluster:
            names = [m["OptionGroupName"] for m in d.get("OptionGroupMemberships") or []
                     if m.get("OptionGroupName")]
            return self._any(a, [("option", n) for n in names],
                             lambda got: "MARIADB_AUDIT_PLUGIN" in got)
        if engine in _AURORA_MYSQL and cluster:
            name = d.get("DBClusterParameterGroup")
            return self._any(a, [("cluster", name)] if name else [],
                             lambda got: got.get("server_audit_logging", "").lower() in _ON)
        if engine in _POSTGRES:
            groups = ([("cluster", d["DBClusterParameterGroup"])]
                      if cluster and d.get("DBClusterParameterGroup") else
                      [("instance", g["DBParameterGroupName"])
                       for g in d.get("DBParameterGroups") or [] if g.get("DBParameterGroupName")])
            return self._any(a, groups, pgaudit_logs_data)
        return None  # an engine whose audit setting dsscan does not read: unknown

    def _any(self, a: Asset, groups: list[tuple[str, str]], on: Any) -> bool | None:
        if not groups:
            return None
        seen: list[bool] = []
        for kind, name in groups:
            got = self._read(kind, name)
            if isinstance(got, ReadFailure):
                add_asset_gap(a, "logging", got.reason)
                continue
            seen.append(bool(on(got)))
        if any(seen):
            return True
        return False if len(seen) == len(groups) else None


def pgaudit_logs_data(p: dict[str, str]) -> bool:
    """PostgreSQL logs every operation on data: pgaudit loaded with ``pgaudit.log`` covering
    reads and writes (``all``, or ``read`` and ``write``; an excluded ``-read``/``-write``
    takes them away), or ``log_statement = all``. DDL, role or connection logging alone
    records no operation on data (Art. 43 asks for those). Shared with scanners/iac."""
    classes = [c.strip().lower() for c in p.get("pgaudit.log", "").split(",") if c.strip()]
    included = {c for c in classes if not c.startswith("-")}
    excluded = {c[1:].strip() for c in classes if c.startswith("-")}
    data = ("all" in included or {"read", "write"} <= included) and not (
        {"read", "write", "all"} & excluded)
    pgaudit = "pgaudit" in p.get("shared_preload_libraries", "").lower() and data
    return pgaudit or p.get("log_statement", "").strip().lower() == "all"



def redshift_logging(scope: Scope, rs: Any, a: Asset, cid: str) -> None:
    """Set ``a["logging"]`` of a Redshift cluster (audit logging and where it goes)."""
    a["logging"] = {"audit": {"enabled": None, "destinations": None}}
    try:
        got = call(rs, "describe_logging_status", ClusterIdentifier=cid)
        enabled = required_bool(got, "LoggingEnabled")
    except ReadFailure as e:
        add_asset_gap(a, "logging", e.reason)
        return
    dests: list[dict[str, Any]] = []
    if enabled:
        if got.get("LogDestinationType") == "cloudwatch":
            dests = [{"type": "cloudwatch_logs", "log_group": f"/aws/redshift/cluster/{cid}/{x}"}
                     for x in got.get("LogExports") or []]
        elif got.get("BucketName"):
            dests = [{"type": "s3", "bucket": got["BucketName"]}]
    a["logging"] = {"audit": {"enabled": enabled, "destinations": dests}}
