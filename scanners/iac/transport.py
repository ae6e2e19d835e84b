"""DS-TRN-001 from Terraform plans and Pulumi: whether each planned store refuses plaintext
(``encryption.in_transit``), by the rules of scanners/aws/transport.py that the live scanner
applies, so that every input gives the same verdict.

What decides it, per store type:

* ``aws_s3_bucket`` — its bucket policies (read by s3_access.py: ``secure_transport_required``);
* ``aws_db_instance`` / ``aws_rds_cluster`` — the ``parameter`` blocks of the
  ``aws_db_parameter_group`` / ``aws_rds_cluster_parameter_group`` named by
  ``parameter_group_name`` / ``db_cluster_parameter_group_name`` (by reference or by name).
  None named: AWS's default group of the engine, which cannot be changed: MySQL, MariaDB and
  Aurora MySQL leave require_secure_transport OFF; RDS for PostgreSQL sets rds.force_ssl=1
  from version 15 (0 before); SQL Server 0; Aurora PostgreSQL's default is not read (not
  assessed). A group named that the plan does not manage: not assessed;
* ``aws_redshift_cluster`` — ``require_ssl`` of its ``aws_redshift_parameter_group`` (none:
  ``default.redshift-1.0``, require_ssl=false);
* ``aws_elasticache_replication_group`` / ``_cluster`` — ``transit_encryption_enabled`` and
  ``transit_encryption_mode`` (provider v5 has no mode: enabled means required, AWS's default);
* ``aws_efs_file_system`` — ``aws_efs_file_system_policy`` resources naming it;
* ``aws_dynamodb_table`` — ``aws_dynamodb_resource_policy`` resources naming it;
* ``aws_opensearch_domain`` / ``aws_elasticsearch_domain`` — ``domain_endpoint_options
  .enforce_https`` (the provider's default when the block is set: true; without the block the
  API's default: off).

A value known only after apply is a gap ("not assessed until apply"), never a pass.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.transport import (
    cache_fact,
    db_parameter,
    denies_plaintext,
    fact,
    from_parameters,
    from_policy,
    https_fact,
    redshift_fact,
    unread,
)
from dsscan.scanners.iac.resources import IacResource, Unknown, configured, is_unknown
from dsscan.scanners.iac.values import as_bool, as_json, as_str, blocks, get

Asset = dict[str, Any]

DB_GROUP_TYPES = ("aws_db_parameter_group", "aws_rds_cluster_parameter_group")
TRANSPORT_CONFIG_TYPES = frozenset({*DB_GROUP_TYPES, "aws_redshift_parameter_group",
                                    "aws_efs_file_system_policy"})
_MYSQL = "require_secure_transport"


def _major(version: Any) -> int | None:
    s = as_str(version)
    head = s.split(".", 1)[0] if s else ""
    return int(head) if head.isdigit() else None


def default_group(engine: str | None, version: Any, mechanism: str) -> dict[str, Any]:
    """The engine's default (cluster) parameter group, which AWS does not let anyone change."""
    param = db_parameter(engine)
    noun = "default cluster parameter group" if mechanism == "cluster_parameter_group" \
        else "default parameter group"
    e = (engine or "").lower()
    if param is None:
        return from_parameters(None, None, mechanism, None, engine)
    if param == _MYSQL:
        return fact(False, mechanism, f"it uses the {noun}, which leaves "
                    "require_secure_transport OFF", setting=param, value="OFF")
    if e.startswith("postgres"):
        major = _major(version)
        if major is None:
            return unread(mechanism, f"it uses the {noun}, whose rds.force_ssl depends on the "
                          "engine version, not known", setting=param)
        on = major >= 15
        return fact(on, mechanism, f"it uses the {noun} of PostgreSQL {major}, which sets "
                    f"rds.force_ssl={int(on)}", setting=param, value=str(int(on)))
    if e.startswith("sqlserver"):
        return fact(False, mechanism, f"it uses the {noun}, which sets rds.force_ssl=0",
                    setting=param, value="0")
    return unread(mechanism, f"it uses the {noun}, whose rds.force_ssl is not read",
                  setting=param)


class TransportMapping:
    """Mixed into mapping.Mapper: ``transport()`` runs once every store is mapped."""

    plan: Any
    assets: dict[str, Asset]
    assets_of: dict[str, IacResource]
    gap: Any
    gap_text: Any
    linked: Any

    def transport(self) -> None:
        build = {"aws_s3_bucket": self._bucket_transit, "aws_db_instance": self._db_transit,
                 "aws_rds_cluster": self._db_transit,
                 "aws_redshift_cluster": self._redshift_transit,
                 "aws_elasticache_replication_group": self._cache_transit,
                 "aws_elasticache_cluster": self._cache_transit,
                 "aws_efs_file_system": self._efs_transit,
                 "aws_dynamodb_table": self._table_transit,
                 "aws_opensearch_domain": self._https_transit,
                 "aws_elasticsearch_domain": self._https_transit}
        for aid, a in self.assets.items():
            r = self.assets_of.get(aid)
            enc = a.get("encryption")
            if r is None or not isinstance(enc, dict) or a["kind"] == "volume":
                continue
            how = build.get(r.type)
            if how is not None:
                enc["in_transit"] = how(a, r)
            elif a["kind"] in ("database", "warehouse", "cache", "file_system", "table",
                               "object_store"):  # Neptune, DocumentDB: not read
                enc["in_transit"] = from_parameters(None, None, "parameter_group", None,
                                                    configured(r.values.get("engine"))
                                                    or r.type)

    # -- resource policies
    def _bucket_transit(self, a: Asset, r: IacResource) -> dict[str, Any]:
        st = (a.get("access") or {}).get("secure_transport_required")
        return from_policy(None, "bucket_policy", "s3", judged=st)

    def _policies_transit(self, a: Asset, r: IacResource, types: tuple[str, ...], ref: str,
                          mechanism: str, service: str, what: str) -> dict[str, Any]:
        hits, _ = self.linked(a, r, types, (ref,), aspect="encryption",
                                   what=f"be the {what} of {{target}}",
                                   weakens=lambda _: False)
        # (A policy that may be this store's can only add a refusal: never a gap.)
        verdicts: list[bool | None] = []
        for p in hits:
            raw = p.values.get("policy")
            if is_unknown(raw):
                self.gap(a, "encryption", f"the {what}", raw)
                verdicts.append(None)
                continue
            verdict = denies_plaintext(as_json(raw), service) if as_json(raw) is not None \
                else None
            if verdict is None:
                self.gap_text(a, "encryption", f"the {what} is not a policy document that "
                                               "can be judged")
            verdicts.append(verdict)
        if not hits:
            return from_policy(None, mechanism, service)
        # A store has one such policy: several resources setting it replace each other in an
        # order the plan does not show, so they must agree to tell anything.
        if all(v is True for v in verdicts):
            return from_policy({}, mechanism, service, judged=True)
        if None in verdicts or len(set(verdicts)) > 1:
            if len(set(verdicts) - {None}) > 1:
                self.gap_text(a, "encryption", f"{len(hits)} resources set its {what} and "
                                               "only one of them stays after apply")
            return unread(mechanism, f"the {what} is not known before apply or cannot be "
                                     "judged", setting="aws:SecureTransport")
        return from_policy({}, mechanism, service, judged=False)

    def _efs_transit(self, a: Asset, r: IacResource) -> dict[str, Any]:
        return self._policies_transit(a, r, ("aws_efs_file_system_policy",), "file_system_id",
                                      "file_system_policy", "efs", "file system policy")

    def _table_transit(self, a: Asset, r: IacResource) -> dict[str, Any]:
        return self._policies_transit(a, r, ("aws_dynamodb_resource_policy",), "resource_arn",
                                      "resource_policy", "dynamodb", "table resource policy")

    # -- parameter groups
    def _db_transit(self, a: Asset, r: IacResource) -> dict[str, Any]:
        cluster = r.type == "aws_rds_cluster"
        attr = "db_cluster_parameter_group_name" if cluster else "parameter_group_name"
        gtype = DB_GROUP_TYPES[1] if cluster else DB_GROUP_TYPES[0]
        mechanism = "cluster_parameter_group" if cluster else "parameter_group"
        engine = as_str(configured(r.values.get("engine")))
        if engine is None and cluster:
            engine = "aurora"  # the provider's default engine for aws_rds_cluster
        version = configured(r.values.get("engine_version"))
        param = db_parameter(engine)
        if param is None:
            return from_parameters(None, None, mechanism, None, engine)
        g = configured(self.plan.ref(r, attr, gtype))  # computed: none given, the default
        if g is None or (isinstance(g, str) and g.startswith("default.")):
            if is_unknown(version):
                self.gap(a, "encryption", "engine_version", version)
                version = None
            return default_group(engine, version, mechanism)
        if not isinstance(g, IacResource):
            if is_unknown(g):
                self.gap(a, "encryption", attr, g)
            else:
                self.gap_text(a, "encryption", f"its parameter group {g} is not managed in "
                                               "this input: its parameters are not known")
            return unread(mechanism, "the parameter group is not known before apply"
                          if is_unknown(g) else f"parameter group {g} is not in this input",
                          source=g if isinstance(g, str) else None, setting=param)
        return self._group_values(a, g, param, mechanism, engine)

    def _group_values(self, a: Asset, g: IacResource, param: str, mechanism: str,
                      engine: str | None) -> dict[str, Any]:
        name = as_str(g.values.get("name")) or g.name
        values: dict[str, Any] = {}
        for b in blocks(g.values, "parameter"):
            n, v = b.get("name"), b.get("value")
            if is_unknown(n) or is_unknown(v):
                if is_unknown(n) or str(n).lower() == param:
                    self.gap(a, "encryption", f"a parameter of {g.address}", Unknown())
                    return unread(mechanism, f"parameter group {name}'s {param} is not known "
                                  "before apply", source=name, setting=param)
                continue
            if isinstance(n, str):
                values[n] = v if v is None or isinstance(v, str) else str(v).lower() \
                    if isinstance(v, bool) else str(v)
        if is_unknown(g.values.get("parameter")):
            self.gap(a, "encryption", f"the parameters of {g.address}", g.values["parameter"])
            return unread(mechanism, f"parameter group {name}'s parameters are not known "
                          "before apply", source=name, setting=param)
        if param in values or param == _MYSQL:
            return from_parameters(values, param, mechanism, name, engine)
        # rds.force_ssl not set in a custom group: the family's default.
        family = as_str(configured(g.values.get("family"))) or ""
        major = _major(family.removeprefix("postgres")) if family.startswith("postgres") \
            else None
        if major is not None:
            on = major >= 15
            return fact(on, mechanism, f"parameter group {name} does not set rds.force_ssl "
                        f"(the {family} default, {int(on)})", source=name, setting=param,
                        value=str(int(on)))
        return from_parameters(values, param, mechanism, name, engine)

    def _redshift_transit(self, a: Asset, r: IacResource) -> dict[str, Any]:
        g = configured(self.plan.ref(r, "cluster_parameter_group_name",
                                     "aws_redshift_parameter_group"))
        if g is None:
            return redshift_fact({}, "default.redshift-1.0")
        if isinstance(g, str) and g.startswith("default."):
            return redshift_fact({}, g)
        if not isinstance(g, IacResource):
            if is_unknown(g):
                self.gap(a, "encryption", "cluster_parameter_group_name", g)
            else:
                self.gap_text(a, "encryption", f"its parameter group {g} is not managed in "
                                               "this input: its parameters are not known")
            return redshift_fact(None, g if isinstance(g, str) else None)
        name = as_str(g.values.get("name")) or g.name
        values: dict[str, Any] = {}
        for b in blocks(g.values, "parameter"):
            n, v = b.get("name"), b.get("value")
            if is_unknown(n) or (n == "require_ssl" and is_unknown(v)):
                self.gap(a, "encryption", f"a parameter of {g.address}", Unknown())
                return redshift_fact(None, name)
            if isinstance(n, str) and not is_unknown(v):
                values[n] = str(v).lower() if isinstance(v, bool) else v
        return redshift_fact(values, name)

    # -- caches, search domains
    def _cache_transit(self, a: Asset, r: IacResource) -> dict[str, Any]:
        enabled = as_bool(configured(r.values.get("transit_encryption_enabled")))
        mode = configured(r.values.get("transit_encryption_mode"))
        if is_unknown(enabled):
            self.gap(a, "encryption", "transit_encryption_enabled", enabled)
            return cache_fact(None, None)
        if is_unknown(mode):
            self.gap(a, "encryption", "transit_encryption_mode", mode)
            return cache_fact(None, None)
        return cache_fact(bool(enabled), as_str(mode))

    def _https_transit(self, a: Asset, r: IacResource) -> dict[str, Any]:
        opts = configured(r.values.get("domain_endpoint_options"))
        if is_unknown(opts):
            self.gap(a, "encryption", "domain_endpoint_options", opts)
            return https_fact(None)
        if not blocks(r.values, "domain_endpoint_options"):
            return https_fact(False)  # without the block: the API's default, off
        v = as_bool(configured(get(r.values, "domain_endpoint_options.enforce_https")))
        if is_unknown(v):
            self.gap(a, "encryption", "domain_endpoint_options.enforce_https", v)
            return https_fact(None)
        return https_fact(True if v is None else v)

