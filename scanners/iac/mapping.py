"""Planned AWS resources (Terraform or Pulumi, in Terraform's vocabulary) -> inventory assets.

One mapping for both tools: a store's facts are gathered from the resource itself and from the
resources that configure it (the split S3 resources, an RDS instance's subnet group and
security groups, a vault's policy and lock, the routes and peerings of a VPC...). Which
resource configures which comes from references (Terraform configuration expressions, Pulumi
property dependencies) or, where the value is known, from the value itself.

A fact the configuration does not set (absent, or computed by the provider) takes AWS's
default for it; a fact set from a value known only after apply is recorded as a gap on the
asset ("not assessed until apply"): a policy that needs it reports the asset as not assessed,
never as passing. Resources of types the mapping does not read are counted per input
(``sources[].skipped``), so a report says what was not looked at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from dsscan import __version__
from dsscan.inventory import Inventory
from dsscan.scanners.iac.amis import AMI_TYPES, PERMISSION_TYPES, AmiMapping
from dsscan.scanners.iac.copies import CopyMapping
from dsscan.scanners.iac.copy_paths import DMS_TYPES, CopyPathMapping
from dsscan.scanners.iac.iam import IAM_CONFIG_TYPES, PRINCIPAL_TYPES, IamMapping
from dsscan.scanners.iac.key_facts import KEY_CONFIG_TYPES
from dsscan.scanners.iac.keys import CMK_TYPES, KeyMapping
from dsscan.scanners.iac.logging import LOG_CONFIG_TYPES, LOG_TYPES, LogMapping
from dsscan.scanners.iac.network import NetworkMapping
from dsscan.scanners.iac.plan import Plan, Target
from dsscan.scanners.iac.resources import IacResource, Unknown, configured, is_unknown
from dsscan.scanners.iac.restores import RestoreMapping
from dsscan.scanners.iac.retention import attach_plan_lifecycle
from dsscan.scanners.iac.s3 import SPLIT_TYPES, BucketMapping
from dsscan.scanners.iac.sharing import ram_readers
from dsscan.scanners.iac.stores import CLUSTERS, StoreMapping
from dsscan.scanners.iac.transport import TRANSPORT_CONFIG_TYPES, TransportMapping
from dsscan.scanners.iac.values import as_bool, as_int, as_str, get
from dsscan.scope_gaps import scope_gap

# The attribute a data source of a target type names its target by (for gap texts).
_TARGET_NAME = {"aws_s3_bucket": "bucket", "aws_dynamodb_table": "name",
                "aws_security_group": "id", "aws_backup_vault": "name",
                "aws_efs_file_system": "file_system_id"}

Asset = dict[str, Any]

# Stores by Terraform type (the kinds the live scanner gives them).
STORE_TYPES = {
    "aws_s3_bucket": "object_store", "aws_db_instance": "database", "aws_rds_cluster": "database",
    "aws_neptune_cluster": "database", "aws_docdb_cluster": "database",
    "aws_opensearch_domain": "database", "aws_elasticsearch_domain": "database",
    "aws_dynamodb_table": "table", "aws_ebs_volume": "volume", "aws_instance": "volume",
    "aws_launch_template": "volume", "aws_launch_configuration": "volume",
    "aws_redshift_cluster": "warehouse", "aws_efs_file_system": "file_system",
    "aws_elasticache_replication_group": "cache", "aws_elasticache_cluster": "cache",
}
STORE_KINDS = set(STORE_TYPES.values())

# Types read only for what they say about others (configuration, relations, defaults).
CONFIG_TYPES = frozenset({
    "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_public_access_block",
    "aws_s3_account_public_access_block", "aws_s3_bucket_policy", "aws_s3_bucket_versioning",
    "aws_s3_bucket_replication_configuration", "aws_s3_bucket_logging", "aws_s3_bucket_acl",
    "aws_s3_bucket_object_lock_configuration", "aws_s3_bucket_lifecycle_configuration",
    "aws_db_subnet_group", "aws_rds_cluster_instance", "aws_neptune_cluster_instance",
    "aws_neptune_subnet_group", "aws_docdb_cluster_instance", "aws_docdb_subnet_group",
    "aws_redshift_subnet_group", "aws_efs_mount_target", "aws_efs_backup_policy",
    "aws_elasticache_subnet_group", "aws_opensearch_domain_policy",
    "aws_elasticsearch_domain_policy", "aws_ebs_encryption_by_default",
    "aws_ebs_default_kms_key", "aws_dynamodb_resource_policy", "aws_dynamodb_table_replica",
    "aws_backup_vault_policy",
    "aws_backup_vault_lock_configuration",
    "aws_backup_plan", "aws_backup_selection", "aws_kms_alias", "aws_subnet",
    "aws_route_table", "aws_default_route_table", "aws_route", "aws_internet_gateway",
    "aws_internet_gateway_attachment", "aws_nat_gateway", "aws_vpc_peering_connection",
    "aws_vpc_peering_connection_accepter", "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule", "aws_ec2_managed_prefix_list",
    "aws_s3_access_point", "aws_s3control_access_point_policy",
    "aws_flow_log",
    "aws_backup_restore_testing_plan", "aws_backup_restore_testing_selection",
    *TRANSPORT_CONFIG_TYPES,  # DS-TRN-001: parameter groups, EFS file-system policies
    "aws_ebs_snapshot_create_volume_permission",  # DS-SHR-*: who a snapshot is shared with
    "aws_ram_resource_share", "aws_ram_resource_association",  # DS-SHR-*: AWS RAM shares
    "aws_ram_principal_association",
    *PERMISSION_TYPES,  # DS-SHR-*, DS-TST-004: who may launch an AMI
})


# How gaps name the target of a relation.
_NOUNS = {"aws_s3_bucket": "bucket", "aws_security_group": "security group",
          "aws_vpc": "VPC", "aws_route_table": "route table",
          "aws_default_route_table": "route table", "aws_efs_file_system": "file system",
          "aws_backup_vault": "vault", "aws_vpc_peering_connection": "peering connection",
          "aws_s3_access_point": "access point", "aws_dynamodb_table": "table",
          "aws_opensearch_domain": "domain", "aws_elasticsearch_domain": "domain",
          "aws_ebs_snapshot": "snapshot",
          **dict.fromkeys(AMI_TYPES, "AMI"),
          **dict.fromkeys(CLUSTERS, "cluster")}


# Resources that configure a store (or a security group guarding one) named by an attribute:
# (type, attribute, target types, noun). One aimed at something this plan does not manage
# (``bucket = "existing-bucket-name"``, a data source, a value unknown that names nothing in
# the plan) configures a store dsscan never sees: an inventory gap names it (not assessed),
# it never just vanishes.
_CONFIGURES: tuple[tuple[tuple[str, ...], str, tuple[str, ...], str], ...] = (
    ((*SPLIT_TYPES, "aws_s3_access_point"), "bucket",
     ("aws_s3_bucket",), "bucket"),
    (("aws_s3control_access_point_policy",), "access_point_arn", ("aws_s3_access_point",),
     "access point"),
    (("aws_security_group_rule", "aws_vpc_security_group_ingress_rule"), "security_group_id",
     ("aws_security_group",), "security group"),
    (("aws_dynamodb_resource_policy",), "resource_arn", ("aws_dynamodb_table",), "table"),
    (("aws_dynamodb_table_replica",), "global_table_arn", ("aws_dynamodb_table",), "table"),
    (("aws_opensearch_domain_policy", "aws_elasticsearch_domain_policy"), "domain_name",
     ("aws_opensearch_domain", "aws_elasticsearch_domain"), "domain"),
    (("aws_backup_vault_policy", "aws_backup_vault_lock_configuration"), "backup_vault_name",
     ("aws_backup_vault",), "vault"),
    (("aws_efs_mount_target", "aws_efs_backup_policy", "aws_efs_file_system_policy"),
     "file_system_id",
     ("aws_efs_file_system",), "file system"),
    (("aws_rds_cluster_instance", "aws_neptune_cluster_instance", "aws_docdb_cluster_instance"),
     "cluster_identifier", CLUSTERS, "cluster"),
    (("aws_ebs_snapshot_create_volume_permission",), "snapshot_id", ("aws_ebs_snapshot",),
     "snapshot"),
    (PERMISSION_TYPES, "image_id", AMI_TYPES, "AMI"),
)


class Mapper(NetworkMapping, KeyMapping, BucketMapping, StoreMapping, CopyMapping,
             RestoreMapping, TransportMapping, LogMapping, CopyPathMapping, IamMapping,
             AmiMapping):
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.assets: dict[str, Asset] = {}
        self.assets_of: dict[str, IacResource] = {}  # asset id -> the resource it maps
        # Inventory gaps: what the plan configures but does not manage (not assessed).
        self.scope_gaps: list[dict[str, Any]] = []

    # -- common
    def asset(self, r: IacResource, kind: str, name: str | None = None, *,
              ident: str | None = None, tags: Any = None) -> Asset:
        """A new asset for ``r`` (``ident``: its id when one resource gives several assets,
        e.g. an instance's volumes; ``tags``: its own tags instead of ``r``'s)."""
        a: Asset = {
            "id": ident or r.address, "kind": kind, "name": name or r.name, "type": r.type,
            "provider": "aws",
            "source": {"type": r.tool, "file": r.file, "address": r.address,
                       **({"line": r.line} if r.line else {})},
            "account": r.account, "region": r.region, "tags": {},
            "assessment": {"status": "complete", "gaps": []},
        }
        if not r.unstated_known:
            self.gap_text(a, "*", "imported into the stack: the settings its inputs do not "
                                  "state are those of the existing resource, which the input "
                                  "does not show (not the provider's defaults): not assessed")
        if ident is None:
            tags = r.values.get("tags")
            if is_unknown(tags):
                tags = r.values.get("tags_all")
        if is_unknown(tags) and configured(tags) is not None:
            self.gap(a, "tags", "tags", tags)
        elif isinstance(tags, dict):
            a["tags"] = {str(k): str(v) for k, v in tags.items()
                         if isinstance(v, str | int | float | bool) and not is_unknown(v)}
        attrs: dict[str, Any] = {}
        if r.action:
            attrs["planned_action"] = r.action
        if ident is None and isinstance(r.values.get("arn"), str):
            attrs["arn"] = r.values["arn"]
        if attrs:
            a["attributes"] = attrs
        self.assets[a["id"]] = a
        self.assets_of[a["id"]] = r
        return a

    @staticmethod
    def gap(a: Asset, aspect: str, what: str, value: Any) -> None:
        """A gap for a fact the input leaves unknown, saying why it is unknown."""
        why = value.why if isinstance(value, Unknown) else "until apply"
        if why == "secret":
            reason = f"{what} is a secret in the input"
        elif why == "computed":
            reason = f"not assessed until apply: {what} is chosen by the provider at apply"
        else:
            reason = f"not assessed until apply: {what} is not known before apply"
        Mapper.gap_text(a, aspect, reason)

    @staticmethod
    def gap_text(a: Asset, aspect: str, reason: str, **extra: Any) -> None:
        gap = {"aspect": aspect, "reason": reason,
               **{k: v for k, v in extra.items() if v is not None}}
        gaps = a["assessment"]["gaps"]
        if gap not in gaps:
            gaps.append(gap)
        a["assessment"]["status"] = "partial"

    def linked(self, a: Asset | list[Asset], target: IacResource, types: tuple[str, ...],
               paths: tuple[str, ...], *, aspect: str | None, what: str,
               weakens: Callable[[IacResource], bool] = lambda _: True,
               ) -> tuple[list[IacResource], list[IacResource]]:
        """The resources of ``types`` whose attribute (one of ``paths``) refers to ``target``,
        and those that may (their reference is ambiguous, or unknown and untraceable, e.g.
        through a ``local``) and could make the facet ``aspect`` weaker (``weakens``): each of
        these leaves that facet not assessed on ``a`` — one rule for every relation, never a
        guess that they are someone else's. ``what`` says what they may do to ``{target}``."""
        hits = self.plan.pointing_at(target, types, paths)
        unsure = [m for m in self.plan.maybe_pointing_at(target, types, paths)
                  if m not in hits and weakens(m)]
        noun = _NOUNS.get(target.type, "resource")
        for m in unsure if aspect else ():  # None: the caller decides what is unknown
            for x in (a if isinstance(a, list) else [a]):
                # "{target}": this one, or (a gap on another asset) the one it names
                text = what.replace("{target}", f"this {noun}" if x["id"] == target.address
                                    else f"the {noun} {target.address}")
                self.gap_text(x, aspect, f"not assessed until apply: {m.address} may {text}; "
                                         f"which {noun} it is for is not known before apply")
        return hits, unsure

    def encryption(self, a: Asset, enabled: Any, key: Target, *, key_attr: str,
                   enabled_attr: str, unkeyed: str | None = "provider_managed",
                   default: bool | None = False,
                   default_key: str | None = None) -> dict[str, Any]:
        """The ``encryption`` block. ``default``: whether encryption is on when the
        configuration does not say; ``unkeyed`` and ``default_key``: the key type and key
        when it is on and no key is configured (the service's AWS-managed or AWS-owned key).
        A key configured from a value known only after apply is not assessed."""
        state: dict[str, Any] = {"enabled": None, "key_type": None, "key_id": None}
        enabled = configured(enabled)
        on = default if enabled is None else as_bool(enabled)
        if is_unknown(on):
            self.gap(a, "encryption", enabled_attr, on)
            on = None
        state["enabled"] = on
        key = configured(key)
        if on is False:
            state["key_type"] = "none"
        elif on is True:
            if key is None:
                state["key_type"], state["key_id"] = unkeyed, default_key
            else:
                state["key_type"], state["key_id"] = self.key_type(a, key, key_attr)
        return {"at_rest": state}

    def net_key(self, t: Target) -> str | None:
        """How networks name a VPC, subnet or security group: its id when known, else its
        address (both sides of a relation use the same key)."""
        if isinstance(t, IacResource):
            ident = t.values.get("id")
            return ident if isinstance(ident, str) and ident and "." not in ident else t.address
        return t if isinstance(t, str) else None

    def sg_ids(self, r: IacResource, path: str, a: Asset) -> list[str]:
        """The security groups of a resource (none configured: the VPC's default group, which
        the plan does not describe, is not listed)."""
        groups, unknown = self.plan.refs_list(r, path, "aws_security_group")
        if unknown:
            self.gap(a, "network", path, Unknown())
        return [k for g in groups if (k := self.sg_key(g))]

    def sg_key(self, t: Target) -> str | None:
        return t.address if isinstance(t, IacResource) else (t if isinstance(t, str) else None)

    def subnets(self, r: IacResource, path: str, a: Asset) -> tuple[list[str], str | None]:
        """Subnet keys and the VPC key they are in."""
        subs, unknown = self.plan.refs_list(r, path, "aws_subnet")
        if unknown:
            self.gap(a, "network", path, Unknown())
        vpc = None
        for s in subs:
            if isinstance(s, IacResource):
                v = self.plan.ref(s, "vpc_id", "aws_vpc")
                if is_unknown(v):  # which network domain the store is in cannot be told
                    self.gap(a, "network", f"the VPC of {s.address}", v)
                vpc = vpc or self.net_key(v)
        return sorted(k for s in subs if (k := self.net_key(s))), vpc

    def subnet_group(self, r: IacResource, path: str, group_type: str,
                     a: Asset) -> tuple[list[str], str | None]:
        g = self.plan.ref(r, path, group_type)
        if isinstance(g, IacResource):
            return self.subnets(g, "subnet_ids", a)
        if is_unknown(g) and configured(g) is not None:
            self.gap(a, "network", path, g)
        return [], None

    def native_backup(self, a: Asset, retention: Any, attr: str,
                      default: int | None) -> dict[str, Any]:
        retention = configured(retention)
        if is_unknown(retention):
            self.gap(a, "backup", attr, retention)
            return {"native": {"enabled": None, "retention_days": None}}
        days = as_int(retention) if retention is not None else default
        return {"native": {"enabled": None if days is None else days > 0,
                           "retention_days": days}}

    # -- everything
    def run(self) -> list[Asset]:
        order = [
            *((t, self.kms_key) for t in CMK_TYPES), ("aws_vpc", self.vpc),
            ("aws_security_group", self.security_group), ("aws_s3_bucket", self.bucket),
            ("aws_db_instance", self.db_instance),
            *((t, self.cluster) for t in CLUSTERS),
            ("aws_dynamodb_table", self.dynamodb), ("aws_ebs_volume", self.ebs_volume),
            *((t, self.block_devices) for t in ("aws_instance", "aws_launch_template",
                                                 "aws_launch_configuration")),
            ("aws_redshift_cluster", self.redshift), ("aws_efs_file_system", self.efs),
            ("aws_elasticache_replication_group", self.elasticache),
            ("aws_elasticache_cluster", self.elasticache_cluster),
            ("aws_opensearch_domain", self.search_domain),
            ("aws_elasticsearch_domain", self.search_domain),
            ("aws_db_snapshot", self.db_snapshot), ("aws_ebs_snapshot", self.ebs_snapshot),
            ("aws_backup_vault", self.vault),
            # AMIs: copies of snapshots / an instance's volumes / another AMI (in that order)
            *((t, self.ami) for t in AMI_TYPES),
            # Operation logs (Art. 43): trails, event data stores, log groups.
            ("aws_cloudtrail", self.trail),
            ("aws_cloudtrail_event_data_store", self.event_data_store),
            ("aws_cloudwatch_log_group", self.log_group),
            # IAM principals (DS-IAM-001)
            *((t, self.principal) for t in PRINCIPAL_TYPES),
        ]
        for t, build in order:
            for r in self.plan.of_type(t):
                if not r.data:
                    build(r)
        self.backup_plans(tuple(STORE_TYPES), STORE_KINDS)
        attach_plan_lifecycle(list(self.assets.values()), self.plan,
                              self.maybe_plans)  # DS-RET-001
        self.restore_testing(tuple(STORE_TYPES), STORE_KINDS)  # DS-BAK-004
        self.copy_paths()  # DS-TST-004: backup copy rules and DMS tasks (after backup_plans)
        self.transport()  # DS-TRN-001: once every store and its configuration is mapped
        ram_readers(self)  # DS-SHR-001/002: AWS RAM shares of clusters and vaults
        self.store_logs()
        self._link_replicas()
        self._outside()
        return [self.assets[k] for k in sorted(self.assets)]

    def _outside(self) -> None:
        """An inventory gap for every configuration resource aimed at a store the plan does
        not manage (see ``_CONFIGURES``)."""
        for types, path, targets, noun in _CONFIGURES:
            for r in self.plan.of_type(*types):
                if r.data or (r.type == "aws_security_group_rule"
                              and r.values.get("type") == "egress"):
                    continue  # reads, or cannot open anything
                raw = get(r.values, path)
                if raw is None or (is_unknown(raw) and configured(raw) is None):
                    continue  # not set
                t = self.plan.ref(r, path, *targets)
                if isinstance(t, IacResource) and not t.data:
                    continue  # managed here: judged with it
                if isinstance(t, IacResource):
                    name = as_str(get(t.values, _TARGET_NAME.get(t.type, "id")))
                    what = (f"the {noun} read by {t.address}"
                            + (f" ({name})" if name else ""))
                elif isinstance(t, str):
                    what = f"the {noun} {t}"
                elif is_unknown(t) and not any(self.plan.resolve(x)
                                               for x in self.plan.refs_of(r, path)):
                    what = f"a {noun} not known before apply"
                else:
                    continue  # unknown, but refers to the plan's own: gaps on those
                # Where that store is, the plan does not say: any account and region.
                self.scope_gaps.append(scope_gap(
                    "{address}", f"{r.address} configures {what}, which this plan does not "
                                 f"manage: that {noun} is not assessed", address=r.address))

    def _link_replicas(self) -> None:
        for a in self.assets.values():
            for t in (a.get("attributes") or {}).get("replication_targets") or []:
                dest = self.assets.get(t) or next(
                    (b for b in self.assets.values()
                     if b["kind"] == "object_store" and t.rsplit(":", 1)[-1] == b["name"]), None)
                if dest is not None and a["id"] not in dest.setdefault("replica_of", []):
                    dest["replica_of"].append(a["id"])


MAPPED_TYPES = frozenset({*STORE_TYPES, *CONFIG_TYPES, *CMK_TYPES, "aws_vpc",
                          "aws_security_group", "aws_db_snapshot", "aws_ebs_snapshot",
                          "aws_backup_vault", *KEY_CONFIG_TYPES, *LOG_TYPES,
                          *LOG_CONFIG_TYPES, *DMS_TYPES, *PRINCIPAL_TYPES,
                          *IAM_CONFIG_TYPES, *AMI_TYPES})


def unmapped(resources: Iterable[IacResource]) -> Counter[str]:
    """Managed resources of types the mapping does not read, by type."""
    return Counter(r.type for r in resources if not r.data and r.type not in MAPPED_TYPES)


def skipped_text(skipped: Counter[str] | dict[str, int]) -> str:
    n = sum(skipped.values())
    kinds = ", ".join(f"{t} x{c}" for t, c in sorted(skipped.items()))
    return f"{n} resources of types dsscan does not map left out ({kinds})"


def build_inventory(resources: Iterable[IacResource], *, tool: str, files: list[str],
                    skipped: dict[str, Counter[str]] | None = None) -> Inventory:
    """The inventory of a plan / stack / program: one asset per mapped store, copy, vault,
    key, network and security group; configuration resources folded into what they configure.
    ``skipped``: per input file, the resources left out, by type (default: those of types
    the mapping does not read); each source lists its own in ``skipped``.
    """
    resources = list(resources)
    plan = Plan(resources)
    mapper = Mapper(plan)
    assets = mapper.run()
    read = sum(1 for r in plan.all if not r.data)
    left = unmapped(plan.all)
    sources = []
    for f in files:
        if skipped is not None and f in skipped:
            mine = Counter(skipped[f])
        elif len(files) == 1:
            mine = left
        else:
            mine = unmapped(r for r in plan.all if r.file == f)
        src: dict[str, Any] = {"type": tool, "file": f,
                               "detail": f"{read} resources read, {len(assets)} assets"}
        if mine:
            src["detail"] += f"; {skipped_text(mine)}"
            src["skipped"] = dict(sorted(mine.items()))
        sources.append(src)
    return Inventory(
        assets=assets, gaps=mapper.scope_gaps, sources=sources, files=list(files),
        generator={"tool": "dsscan", "version": __version__, "scanner": tool},
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
