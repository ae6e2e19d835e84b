"""Audit logs of RDS/Aurora databases and Redshift warehouses (Art. 43, DS-LOG-001).

A database's operation log counts when the engine writes audit records **and** they are
exported (``logging.audit``: ``enabled`` and ``destinations``). What "enabled" means, per
engine (a setting that cannot be read, or an engine not listed: null, never a pass; AWS's default
option and parameter groups, which cannot be modified, turn nothing on):

- MySQL and MariaDB: an option group of the instance holds ``MARIADB_AUDIT_PLUGIN`` whose
  ``SERVER_AUDIT_EVENTS`` records queries (``QUERY`` or ``QUERY_DML``; unset: RDS's default
  ``CONNECT,QUERY``) -- connections, DDL, DCL or ``QUERY_DML_NO_SELECT`` (writes without
  reads) alone are not a log of operations on data; the export is the ``audit`` log;
- Aurora MySQL: the cluster parameter ``server_audit_logging`` is 1 (ON); export ``audit``;
- PostgreSQL and Aurora PostgreSQL: ``shared_preload_libraries`` loads ``pgaudit`` and
  ``pgaudit.log`` is set (not ``none``), or ``log_statement`` is ``all``; export
  ``postgresql`` (the engine log, which then carries the audit records).

Exported logs go to ``/aws/rds/instance/<id>/<log>`` (``/aws/rds/cluster/<id>/<log>`` for
a cluster), the CloudWatch Logs group whose retention DS-LOG-002 judges. Each parameter or
option group is read once per Region, whatever the number of databases using it.

Redshift: operations on data are only in the *user activity log* (the connection and user
logs hold logins and user definitions). It is written when DescribeLoggingStatus's
``LoggingEnabled`` is true **and** the cluster's parameter group sets
``enable_user_activity_logging`` to true (AWS's default group: false; a group that cannot be
read, or a true value not yet applied to the cluster: unknown); it reaches S3 (``BucketName``:
every log goes there) or, with destination ``cloudwatch``, only when ``LogExports`` has
``useractivitylog`` (``/aws/redshift/cluster/<id>/useractivitylog``). The parameter groups are
those DS-TRN-001 reads for ``require_ssl``: each read once per Region.
"""

from __future__ import annotations

from collections.abc import Callable
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
            return {}
        if key not in self.cache:
            try:
                if kind == "option":
                    self.cache[key] = {
                        o.get("OptionName"): option_settings(o)
                        for g in pages(self.rds, "describe_option_groups", "OptionGroupsList",
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
            return self._any(a, [("option", n) for n in names], mariadb_audit_in_options)
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

    def _any(self, a: Asset, groups: list[tuple[str, str]],
             on: Callable[[Any], bool | None]) -> bool | None:
        """True when one group turns the log of operations on, False when every group is
        read and none does; otherwise unknown (a group unread, or a setting unreadable)."""
        if not groups:
            return None
        seen: list[bool | None] = []
        for kind, name in groups:
            got = self._read(kind, name)
            if isinstance(got, ReadFailure):
                add_asset_gap(a, "logging", got.reason)
                seen.append(None)
                continue
            verdict = on(got)
            if verdict is None:
                add_asset_gap(a, "logging", f"the audit setting of {kind} group {name} "
                                            "cannot be read")
            seen.append(verdict)
        if any(x is True for x in seen):
            return True
        return False if all(x is False for x in seen) else None


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


def option_settings(option: dict[str, Any]) -> dict[str, Any]:
    """{setting name (upper case): value} of one option of DescribeOptionGroups; a setting
    listed without a Value has its DefaultValue, one with neither is left out (the documented
    default applies)."""
    out: dict[str, Any] = {}
    for x in option.get("OptionSettings") or []:
        value = x.get("Value", x.get("DefaultValue"))
        if x.get("Name") and value is not None:
            out[str(x["Name"]).upper()] = value
    return out


# RDS's default when the option does not set SERVER_AUDIT_EVENTS (the RDS User Guide, MariaDB
# Audit Plugin option settings).
AUDIT_EVENTS_DEFAULT = "CONNECT,QUERY"


def mariadb_audit_logs_data(settings: dict[str, Any]) -> bool | None:
    """The MariaDB audit plugin (MySQL and MariaDB on RDS) logs reads and writes of data:
    ``SERVER_AUDIT_EVENTS`` (unset: ``CONNECT,QUERY``) has ``QUERY`` (every statement) or
    ``QUERY_DML`` (DML with SELECT). ``CONNECT``, ``QUERY_DDL``, ``QUERY_DCL`` record no
    operation on data; ``QUERY_DML_NO_SELECT`` records writes but never reads, and reads of
    sensitive data are what Art. 43 asks to trace: not enough alone. A value that is set but
    empty or not a string: unknown. ``settings``: setting name (upper case) -> value. Shared
    with scanners/iac."""
    v = settings.get("SERVER_AUDIT_EVENTS", AUDIT_EVENTS_DEFAULT)
    if not isinstance(v, str) or not v.strip():
        return None
    events = {e.strip().upper() for e in v.split(",")}
    return bool(events & {"QUERY", "QUERY_DML"})


def mariadb_audit_in_options(options: dict[str, dict[str, Any]]) -> bool | None:
    """An option group (option name -> settings) turns the audit of operations on data on."""
    if "MARIADB_AUDIT_PLUGIN" not in options:
        return False
    return mariadb_audit_logs_data(options["MARIADB_AUDIT_PLUGIN"])


USER_ACTIVITY = "enable_user_activity_logging"


def redshift_user_activity(params: dict[str, Any]) -> bool | None:
    """``enable_user_activity_logging`` of a Redshift parameter group (not listed: false, the
    default; neither true nor false: unknown). Shared with scanners/iac."""
    value = params.get(USER_ACTIVITY)
    v = "false" if value is None else str(value).strip().lower()
    return {"true": True, "false": False}.get(v)


def redshift_audit(on: bool, user_activity: bool | None, destination: str | None,
                   exports: list[str] | None, bucket: str | None,
                   cid: str | None) -> dict[str, Any]:
    """``logging.audit`` of a Redshift cluster: ``enabled`` when audit logging is on and the
    parameter group turns the user activity log on (the only log of operations on data);
    ``destinations``: the S3 bucket (every log goes there), or with ``cloudwatch`` the
    user activity log group when ``useractivitylog`` is exported (``exports`` None: not
    known). Shared with scanners/iac."""
    if not on:
        return {"enabled": False, "destinations": []}
    dests: list[dict[str, Any]] | None
    if destination == "cloudwatch":
        dests = None if exports is None else [
            {"type": "cloudwatch_logs",
             "log_group": f"/aws/redshift/cluster/{cid}/useractivitylog" if cid else None}
        ] if "useractivitylog" in exports else []
    else:
        dests = [{"type": "s3", "bucket": bucket}] if bucket else []
    return {"enabled": user_activity, "destinations": dests}


def redshift_logging(scope: Scope, rs: Any, a: Asset, c: dict[str, Any],
                     groups: ParameterGroups) -> None:
    """Set ``a["logging"]`` of a Redshift cluster (audit logging and where it goes);
    ``groups``: the Region's parameter groups, shared with DS-TRN-001's ``require_ssl``."""
    cid = c["ClusterIdentifier"]
    a["logging"] = {"audit": {"enabled": None, "destinations": None}}
    try:
        got = call(rs, "describe_logging_status", ClusterIdentifier=cid)
        enabled = required_bool(got, "LoggingEnabled")
    except ReadFailure as e:
        add_asset_gap(a, "logging", e.reason)
        return
    activity = _user_activity(a, groups, c) if enabled else False
    a["logging"] = {"audit": redshift_audit(
        enabled, activity, got.get("LogDestinationType"), got.get("LogExports") or [],
        got.get("BucketName"), cid)}


def _user_activity(a: Asset, groups: ParameterGroups, c: dict[str, Any]) -> bool | None:
    """``enable_user_activity_logging`` of the cluster's parameter group, as applied."""
    g = next(iter(c.get("ClusterParameterGroups") or []), None) or {}
    name = g.get("ParameterGroupName")
    if not name:
        add_asset_gap(a, "logging", "the reply names no cluster parameter group")
        return None
    if name.startswith("default."):
        return False  # AWS's default group cannot be modified: user activity logging off
    try:
        on = redshift_user_activity(groups.values("describe_cluster_parameters", name))
    except ReadFailure as e:
        add_asset_gap(a, "logging", e.reason)
        return None
    if on is None:
        add_asset_gap(a, "logging", f"parameter group {name} has an unreadable {USER_ACTIVITY}")
        return None
    # A static parameter: turned on in the group, it takes effect at the cluster's next
    # reboot. Until then the cluster may not write the log.
    status = {s.get("ParameterName"): s.get("ParameterApplyStatus")
              for s in g.get("ClusterParameterStatusList") or []}.get(
        USER_ACTIVITY, g.get("ParameterApplyStatus"))
    if on and status not in (None, "in-sync"):
        add_asset_gap(a, "logging", f"{USER_ACTIVITY} of parameter group {name} is not yet "
                                    f"applied to the cluster ({status})")
        return None
    return on
