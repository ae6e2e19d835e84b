"""Operation logs in Terraform plans and Pulumi (Art. 43, DS-LOG-001/002): the IaC mapping.

The same facts the live scanner collects (scanners/aws/cloudtrail.py, logs.py, audit_logs.py),
from the resources that declare them:

* ``aws_cloudtrail`` -> a ``log_sink`` (``event_selector`` / ``advanced_event_selector`` in
  the AWS API shape, normalized by ``dsscan.log_sinks.data_events``; ``enable_logging``
  default true; ``is_multi_region_trail``, ``is_organization_trail`` default false; the
  delivery bucket and log group, by reference or by value). A selector value known only after
  apply (``${aws_s3_bucket.b.arn}/``) names the stores it refers to as *unsure*: those stores
  are not assessed, never logged by guess;
* ``aws_cloudtrail_event_data_store`` -> a ``log_sink`` (``retention_period`` default 2557,
  ``multi_region_enabled`` default true, ``suspend``);
* ``aws_cloudwatch_log_group`` -> a ``log_sink`` (``retention_in_days`` 0 or unset: never
  expires);
* buckets: ``aws_s3_bucket_logging`` (or the inline ``logging`` block) -> ``logging.access_log``;
  ``aws_s3_bucket_lifecycle_configuration`` (or inline ``lifecycle_rule``) -> ``expiry``;
* ``aws_db_instance`` / ``aws_rds_cluster``: ``enabled_cloudwatch_logs_exports`` and the audit
  setting of the engine (``aws_db_option_group`` option ``MARIADB_AUDIT_PLUGIN`` and its
  ``SERVER_AUDIT_EVENTS`` option setting, ``aws_db_parameter_group`` /
  ``aws_rds_cluster_parameter_group`` parameters), judged by the rules of
  scanners/aws/audit_logs.py (a group not in the plan, or a value known after apply: unknown);
* ``aws_redshift_logging`` (or the cluster's ``logging`` block) -> ``logging.audit``, with
  ``enable_user_activity_logging`` of the ``aws_redshift_parameter_group`` named by
  ``cluster_parameter_group_name`` (none: AWS's default group, off) and, to CloudWatch Logs,
  ``useractivitylog`` in ``log_exports`` (scanners/aws/audit_logs.redshift_audit).
"""

from __future__ import annotations

from typing import Any

from dsscan.log_sinks import data_events, lifecycle_expiry
from dsscan.retention import whole_bucket_expiry
from dsscan.scanners.aws.audit_logs import (
    USER_ACTIVITY,
    mariadb_audit_in_options,
    pgaudit_logs_data,
    redshift_audit,
    redshift_user_activity,
)
from dsscan.scanners.iac.resources import IacResource, Unknown, configured, is_unknown
from dsscan.scanners.iac.retention import api_filter
from dsscan.scanners.iac.values import as_bool, as_int, as_str, blocks, get

Asset = dict[str, Any]

LOG_TYPES = ("aws_cloudtrail", "aws_cloudtrail_event_data_store", "aws_cloudwatch_log_group")
LOG_CONFIG_TYPES = ("aws_db_option_group", "aws_db_parameter_group",
                    "aws_rds_cluster_parameter_group", "aws_redshift_logging")
_STORES = ("aws_s3_bucket", "aws_dynamodb_table")
_MYSQL, _POSTGRES = ("mysql", "mariadb"), ("postgres", "aurora-postgresql")
_AURORA_MYSQL = ("aurora-mysql", "aurora")
_FIELD_OPS = {"equals": "Equals", "starts_with": "StartsWith", "ends_with": "EndsWith",
              "not_equals": "NotEquals", "not_starts_with": "NotStartsWith",
              "not_ends_with": "NotEndsWith"}


def _bool(v: Any, default: bool) -> bool | None:
    v = configured(v)
    b = default if v is None else as_bool(v)
    return None if is_unknown(b) or b is None else b


def _expiry_days(v: Any, never: tuple[Any, ...] = (None, 0)) -> dict[str, Any]:
    v = configured(v)
    if is_unknown(v):
        return {"expires": None, "days": None}
    days = as_int(v) if v is not None else None
    if days in never:
        return {"expires": False, "days": None}
    return {"expires": True, "days": days} if days is not None else {"expires": None,
                                                                       "days": None}


class LogMapping:
    """Mixed into mapping.Mapper (which provides ``plan``, ``asset``, ``assets``, ``gap``,
    ``gap_text``, ``linked``, ``assets_of``)."""

    plan: Any
    asset: Any
    assets: dict[str, Asset]
    assets_of: dict[str, IacResource]
    gap: Any
    gap_text: Any
    linked: Any

    # -- sinks
    def trail(self, r: IacResource) -> None:
        a = self.asset(r, "log_sink", as_str(r.values.get("name")) or r.name)
        a["network"] = None
        v = r.values
        bucket = self.plan.ref(r, "s3_bucket_name", "aws_s3_bucket")
        group = self.plan.ref(r, "cloud_watch_logs_group_arn", "aws_cloudwatch_log_group")
        a["log"] = {
            "service": "cloudtrail", "logging": _bool(v.get("enable_logging"), True),
            "multi_region": _bool(v.get("is_multi_region_trail"), False),
            "organization": _bool(v.get("is_organization_trail"), False),
            "data_events": self._selectors(a, r),
            # A delivery bucket known only after apply: logged, kept for an unknown time.
            "bucket": self._name(bucket, "bucket") or (
                "(bucket known after apply)" if is_unknown(bucket) else None),
            "log_group": self._name(group, "name")}

    def event_data_store(self, r: IacResource) -> None:
        a = self.asset(r, "log_sink", as_str(r.values.get("name")) or r.name)
        a["network"] = None
        v = r.values
        suspend = configured(v.get("suspend"))
        a["log"] = {"service": "cloudtrail_lake",
                    "logging": None if is_unknown(suspend) else str(suspend).lower() != "true",
                    "multi_region": _bool(v.get("multi_region_enabled"), True),
                    "organization": _bool(v.get("organization_enabled"), False),
                    "data_events": self._selectors(a, r, classic=False)}
        # Unset: CloudTrail Lake's default of 2557 days (7 years).
        a["expiry"] = _expiry_days(v.get("retention_period") or 2557, never=())

    def log_group(self, r: IacResource) -> None:
        name = as_str(r.values.get("name")) or r.name
        a = self.asset(r, "log_sink", name)
        a["network"] = None
        a["log"] = {"service": "cloudwatch_logs"}
        a["expiry"] = _expiry_days(r.values.get("retention_in_days"))
        if a["expiry"]["expires"] is None:
            self.gap(a, "logging", "retention_in_days", r.values.get("retention_in_days"))

    def _name(self, t: Any, attr: str) -> str | None:
        if isinstance(t, IacResource):
            return as_str(t.values.get(attr)) or t.address
        return t if isinstance(t, str) else None

    def _selectors(self, a: Asset, r: IacResource, classic: bool = True
                   ) -> list[dict[str, Any]] | None:
        """The trail's selectors in the AWS API shape, normalized; unknown values that refer
        to stores of the plan become *unsure* selectors of those stores; any other unknown
        leaves every selector unknown (null)."""
        stores = [x for x in self.plan.candidates(r, "event_selector", _STORES)
                  + self.plan.candidates(r, "advanced_event_selector", _STORES)]
        unsure = False
        classic_sels = []
        for s in blocks(r.values, "event_selector") if classic else []:
            res = []
            for d in blocks(s, "data_resource"):
                vals = configured(d.get("values"))
                if is_unknown(vals) or (isinstance(vals, list) and any(
                        is_unknown(x) for x in vals)):
                    unsure = True
                    vals = [x for x in vals if isinstance(x, str)] if isinstance(vals,
                                                                                 list) else []
                res.append({"Type": d.get("type"), "Values": vals or []})
            rw = configured(s.get("read_write_type"))
            classic_sels.append({"ReadWriteType": rw if isinstance(rw, str) else "All",
                                 "DataResources": res})
        advanced = []
        for s in blocks(r.values, "advanced_event_selector"):
            fields = []
            for f in blocks(s, "field_selector"):
                entry: dict[str, Any] = {"Field": f.get("field")}
                for k, op in _FIELD_OPS.items():
                    vals = configured(f.get(k))
                    if is_unknown(vals) or (isinstance(vals, list) and any(
                            is_unknown(x) for x in vals)):
                        unsure = True
                        vals = [x for x in vals if isinstance(x, str)] if isinstance(
                            vals, list) else []
                    if vals:
                        entry[op] = vals
                fields.append(entry)
            advanced.append({"FieldSelectors": fields})
        out = data_events(classic_sels, advanced)
        if unsure:
            if not stores:
                self.gap_text(a, "logging", "not assessed until apply: the data-event "
                                            "selectors name resources known only after apply")
                return None
            for x in stores:
                out.append({"type": "AWS::S3::Object" if x.type == "aws_s3_bucket"
                            else "AWS::DynamoDB::Table", "arns": [x.address], "exclude": [],
                            "partial": False, "unsure": True})
        return out

    # -- what stores say about their own logs
    def store_logs(self) -> None:
        for aid, a in self.assets.items():
            r = self.assets_of.get(aid)
            if r is None:
                continue
            if r.type == "aws_s3_bucket":
                self._bucket_logs(a, r)
            elif r.type in ("aws_db_instance", "aws_rds_cluster"):
                self._db_audit(a, r)
            elif r.type == "aws_redshift_cluster":
                self._redshift_audit(a, r)

    def _bucket_logs(self, a: Asset, r: IacResource) -> None:
        hits, maybe = self.linked(a, r, ("aws_s3_bucket_logging",), ("bucket",),
                                  aspect="logging", what="turn on access logging for {target}")
        access: dict[str, Any] | None = {"enabled": False, "target_bucket": None,
                                         "target_prefix": None}
        confs = [(h, "target_bucket", "target_prefix") for h in hits]
        inline = configured(r.values.get("logging"))
        if inline and not hits:
            confs.append((r, "logging.target_bucket", "logging.target_prefix"))
        for h, tb, tp in confs:
            t = self.plan.ref(h, tb, "aws_s3_bucket")
            name = self._name(t, "bucket")
            if name is None:
                self.gap(a, "logging", "the access-log target bucket", Unknown())
                access = None
                break
            access = {"enabled": True, "target_bucket": name,
                      "target_prefix": as_str(get(h.values, tp))}
        a["logging"] = {"access_log": None if maybe and not hits else access}
        lc, lmaybe = self.linked(a, r, ("aws_s3_bucket_lifecycle_configuration",), ("bucket",),
                                 aspect="logging", what="expire the objects of {target}")
        rules: list[dict[str, Any]] = []
        unknown = bool(lmaybe)
        for h in lc:
            # Rules known only after apply: how long objects are kept is unknown.
            unknown |= is_unknown(configured(h.values.get("rule") or h.values.get("rules")))
            for rule in blocks(h.values, "rule"):
                exp = blocks(rule, "expiration")
                days = configured(get(exp[0], "days")) if exp else None
                date = configured(get(exp[0], "date")) if exp else None
                status = configured(rule.get("status"))
                # noncurrent versions (a versioned bucket keeps expired objects as them)
                nce = blocks(rule, "noncurrent_version_expiration")
                nc = configured(get(nce[0], "noncurrent_days")) if nce else None
                newer = configured(get(nce[0], "newer_noncurrent_versions")) if nce else None
                unknown |= any(is_unknown(x) for x in (days, date, status, nc, newer)) or \
                    is_unknown(configured(rule.get("noncurrent_version_expiration")))
                rules.append({"Status": status, "Expiration": {
                    "Days": as_int(days), "Date": date if isinstance(date, str) and date
                    else None}, **api_filter(rule),  # the filter: DS-RET-001
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": as_int(nc),
                        # (a string in provider v5; unreadable: the rule is not understood)
                        "NewerNoncurrentVersions": None if newer in (None, "") else
                        as_int(newer) if as_int(newer) is not None else str(newer)}})
        if not lc:
            unknown |= is_unknown(configured(r.values.get("lifecycle_rule")))
            for rule in blocks(r.values, "lifecycle_rule"):
                exp = blocks(rule, "expiration")
                enabled = as_bool(configured(rule.get("enabled")))
                days = configured(get(exp[0], "days")) if exp else None
                nce = blocks(rule, "noncurrent_version_expiration")
                nc = configured(get(nce[0], "days")) if nce else None
                unknown |= is_unknown(enabled) or is_unknown(days) or is_unknown(nc) or \
                    is_unknown(configured(rule.get("noncurrent_version_expiration")))
                rules.append({"Status": "Enabled" if enabled else "Disabled",
                              "Expiration": {"Days": as_int(days)},
                              "NoncurrentVersionExpiration": {"NoncurrentDays": as_int(nc)},
                              **api_filter(rule, inline=True)})
        a["expiry"] = {"expires": None, "days": None} if unknown else lifecycle_expiry(rules)
        # Each lifecycle configuration replaces the bucket's whole configuration when applied:
        # of several, one survives (which is not known), so no rule of them surely holds.
        several = len(lc) > 1
        if several:
            self.gap_text(a, "logging", f"{len(lc)} lifecycle configurations name the bucket "
                                        "and each replaces the others when applied: which "
                                        "rules hold is not known")
        a["expiry"]["whole_bucket"] = None if unknown or several else whole_bucket_expiry(rules)

    def _db_audit(self, a: Asset, r: IacResource) -> None:
        v = r.values
        engine = str(configured(v.get("engine")) or "").lower()
        cluster = r.type == "aws_rds_cluster"
        ident = as_str(configured(v.get("cluster_identifier" if cluster else "identifier")))
        exports = configured(v.get("enabled_cloudwatch_logs_exports"))
        log_type = "postgresql" if engine in _POSTGRES else "audit"
        dests: list[dict[str, Any]] | None = []
        if is_unknown(exports):
            self.gap(a, "logging", "enabled_cloudwatch_logs_exports", exports)
            dests = None
        elif isinstance(exports, list) and log_type in exports:
            where = "cluster" if cluster else "instance"
            dests = [{"type": "cloudwatch_logs",
                      "log_group": f"/aws/rds/{where}/{ident}/{log_type}" if ident else None}]
        a["logging"] = {"audit": {"enabled": self._db_enabled(a, r, engine, cluster),
                                  "destinations": dests}}

    def _db_enabled(self, a: Asset, r: IacResource, engine: str, cluster: bool) -> bool | None:
        def group(path: str, types: tuple[str, ...]) -> Any:
            raw = configured(get(r.values, path))
            if raw is None:
                return None  # the default group: no audit setting
            t = self.plan.ref(r, path, *types)
            if isinstance(t, IacResource) and not t.data:
                return t
            self.gap_text(a, "logging", f"the {path} {raw if isinstance(raw, str) else ''} "
                                        "is not in the plan: whether it turns auditing on "
                                        "cannot be told".replace("  ", " "))
            return Unknown()

        def params(t: IacResource) -> dict[str, str]:
            return {str(p.get("name")).lower(): str(configured(p.get("value")) or "")
                    for p in blocks(t.values, "parameter")}

        if engine in _MYSQL and not cluster:
            g = group("option_group_name", ("aws_db_option_group",))
            if g is None or is_unknown(g):
                return None if g is not None else False
            return self._option_audit(a, g)
        if engine in _AURORA_MYSQL and cluster:
            g = group("db_cluster_parameter_group_name", ("aws_rds_cluster_parameter_group",))
            if g is None or is_unknown(g):
                return None if g is not None else False
            return params(g).get("server_audit_logging", "").lower() in ("1", "on", "true")
        if engine in _POSTGRES:
            path, types = (("db_cluster_parameter_group_name",
                            ("aws_rds_cluster_parameter_group",)) if cluster
                           else ("parameter_group_name", ("aws_db_parameter_group",)))
            g = group(path, types)
            if g is None or is_unknown(g):
                return None if g is not None else False
            return pgaudit_logs_data(params(g))
        return None

    def _option_audit(self, a: Asset, g: IacResource) -> bool | None:
        """The option group's audit plugin logs operations on data (the live rule,
        mariadb_audit_in_options); an option or setting known only after apply: unknown."""
        unsure = is_unknown(configured(g.values.get("option")))
        options: dict[str, dict[str, Any]] = {}
        for o in blocks(g.values, "option"):
            name = configured(o.get("option_name"))
            settings: dict[str, Any] = {}
            open_names = is_unknown(configured(o.get("option_settings")))
            for x in blocks(o, "option_settings"):
                n = configured(x.get("name"))
                open_names |= is_unknown(n)
                if isinstance(n, str):
                    settings[n.upper()] = configured(x.get("value"))
            if open_names and not isinstance(settings.get("SERVER_AUDIT_EVENTS"), str):
                settings["SERVER_AUDIT_EVENTS"] = Unknown()  # any setting may be it
            unsure |= is_unknown(name)
            if isinstance(name, str):
                options[name] = settings
        got = mariadb_audit_in_options(options)
        events = options.get("MARIADB_AUDIT_PLUGIN", {}).get("SERVER_AUDIT_EVENTS")
        if got is None and not is_unknown(events):
            self.gap_text(a, "logging", f"SERVER_AUDIT_EVENTS of {g.address} has no value")
        elif got is None or (got is False and unsure):
            self.gap(a, "logging", f"the audit option settings of {g.address}", Unknown())
            return None
        return got

    def _redshift_audit(self, a: Asset, r: IacResource) -> None:
        hits, maybe = self.linked(a, r, ("aws_redshift_logging",), ("cluster_identifier",),
                                  aspect="logging", what="turn on audit logging for {target}")
        confs = list(hits)
        inline = blocks(r.values, "logging")
        unknown = {"enabled": None, "destinations": None}
        if maybe and not hits:
            a["logging"] = {"audit": unknown}
            return
        if not confs and inline:
            enable = as_bool(configured(inline[0].get("enable")))
            if is_unknown(enable):
                self.gap(a, "logging", "logging.enable", enable)
                a["logging"] = {"audit": unknown}
                return
            if enable is True:
                confs = [IacResource(address=r.address, type="inline", name=r.name,
                                     values=inline[0])]
        if not confs:
            a["logging"] = {"audit": {"enabled": False, "destinations": []}}
            return
        h = confs[-1]  # one logging configuration per cluster stays after apply
        dest_type = configured(h.values.get("log_destination_type")) or "s3"
        exports = configured(h.values.get("log_exports"))
        if is_unknown(dest_type) or (dest_type == "cloudwatch" and is_unknown(exports)):
            self.gap(a, "logging", "where the audit logs go",
                     dest_type if is_unknown(dest_type) else exports)
            a["logging"] = {"audit": unknown}
            return
        t = self.plan.ref(h, "bucket_name", "aws_s3_bucket") if h.type != "inline" \
            else configured(h.values.get("bucket_name"))
        # A bucket known only after apply: logged into it, kept for an unknown time.
        bucket = self._name(t, "bucket") or "(bucket known after apply)"
        a["logging"] = {"audit": redshift_audit(
            True, self._redshift_user_activity(a, r), as_str(dest_type),
            [x for x in exports if isinstance(x, str)] if isinstance(exports, list) else [],
            bucket, as_str(configured(r.values.get("cluster_identifier"))))}

    def _redshift_user_activity(self, a: Asset, r: IacResource) -> bool | None:
        """``enable_user_activity_logging`` of the cluster's parameter group (none, or one of
        AWS's ``default.`` groups: false)."""
        g = configured(self.plan.ref(r, "cluster_parameter_group_name",
                                     "aws_redshift_parameter_group"))
        if g is None or (isinstance(g, str) and g.startswith("default.")):
            return False
        if not isinstance(g, IacResource) or g.data:
            if is_unknown(g):
                self.gap(a, "logging", "cluster_parameter_group_name", g)
            else:
                self.gap_text(a, "logging", f"its parameter group {g if isinstance(g, str) else ''}"
                                            " is not in the input: whether it turns user "
                                            "activity logging on cannot be told"
                              .replace("  ", " "))
            return None
        if is_unknown(configured(g.values.get("parameter"))):
            self.gap(a, "logging", f"the parameters of {g.address}", Unknown())
            return None
        values: dict[str, Any] = {}
        for b in blocks(g.values, "parameter"):
            n, v = configured(b.get("name")), configured(b.get("value"))
            if is_unknown(n) or (isinstance(n, str) and n.lower() == USER_ACTIVITY
                                 and is_unknown(v)):
                self.gap(a, "logging", f"a parameter of {g.address}", Unknown())
                return None
            if isinstance(n, str):
                values[n.lower()] = str(v).lower() if isinstance(v, bool) else v
        on = redshift_user_activity(values)
        if on is None:
            self.gap_text(a, "logging", f"{g.address} has an unreadable {USER_ACTIVITY}")
        return on
