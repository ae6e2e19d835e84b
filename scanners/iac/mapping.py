"""Planned AWS resources (Terraform or Pulumi, in Terraform's vocabulary) -> inventory assets.

One mapping for both tools: a store's facts are gathered from the resource itself and from the
resources that configure it (the split S3 resources, an RDS instance's subnet group and
security groups, a vault's policy and lock, the routes and peerings of a VPC...). Which
resource configures which comes from references (Terraform configuration expressions, Pulumi
property dependencies) or, where the value is known, from the value itself.

What the plan leaves unknown is recorded as a gap on the asset ("not assessed until apply"):
a policy that needs it reports the asset as not assessed, never as passing.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from dsscan import __version__
from dsscan.inventory import Inventory
from dsscan.scanners.aws.policydoc import (
    any_true,
    blocks_of,
    denies_insecure_transport,
    exposed,
    judge,
)
from dsscan.scanners.iac.network import NetworkMapping
from dsscan.scanners.iac.plan import Plan, Target
from dsscan.scanners.iac.resources import IacResource, Unknown, is_unknown
from dsscan.scanners.iac.values import as_bool, as_int, as_json, as_str, blocks, get

Asset = dict[str, Any]

# CloudFormation-style names for the asset's ``type`` are not used: IaC assets keep their
# Terraform type, which is what the user wrote (Pulumi tokens are in ``attributes``).
_STORE_TYPES = {
    "aws_s3_bucket": "object_store", "aws_db_instance": "database", "aws_rds_cluster": "database",
    "aws_dynamodb_table": "table", "aws_ebs_volume": "volume", "aws_redshift_cluster": "warehouse",
    "aws_efs_file_system": "file_system", "aws_elasticache_replication_group": "cache",
}
_STORE_KINDS = set(_STORE_TYPES.values())


class Mapper(NetworkMapping):
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.assets: dict[str, Asset] = {}
        self.account_pab = self._account_pab()

    # -- common
    def asset(self, r: IacResource, kind: str, name: str | None = None) -> Asset:
        a: Asset = {
            "id": r.address, "kind": kind, "name": name or r.name, "type": r.type,
            "provider": "aws",
            "source": {"type": r.tool, "file": r.file, "address": r.address,
                       **({"line": r.line} if r.line else {})},
            "account": r.account, "region": r.region, "tags": {},
            "assessment": {"status": "complete", "gaps": []},
        }
        tags = r.values.get("tags")
        if is_unknown(tags):
            tags = r.values.get("tags_all")
        if is_unknown(tags):
            self.gap(a, "tags", "tags", tags)
        elif isinstance(tags, dict):
            a["tags"] = {str(k): str(v) for k, v in tags.items()
                         if isinstance(v, str | int | float | bool) and not is_unknown(v)}
        attrs: dict[str, Any] = {}
        if r.action:
            attrs["planned_action"] = r.action
        if isinstance(r.values.get("arn"), str):
            attrs["arn"] = r.values["arn"]
        if attrs:
            a["attributes"] = attrs
        self.assets[r.address] = a
        return a

    @staticmethod
    def gap(a: Asset, aspect: str, what: str, value: Any) -> None:
        why = value.why if isinstance(value, Unknown) else "until apply"
        reason = (f"not assessed until apply: {what} is not known before apply"
                  if why == "until apply" else f"{what} is a secret in the input")
        gaps = a["assessment"]["gaps"]
        if not any(g["aspect"] == aspect and g["reason"] == reason for g in gaps):
            gaps.append({"aspect": aspect, "reason": reason})
        a["assessment"]["status"] = "partial"

    def key_type(self, a: Asset, key: Target, what: str) -> tuple[str | None, str | None]:
        """(key_type, key id) of a KMS key reference; gaps for what cannot be told."""
        if isinstance(key, IacResource):
            ident = as_str(key.values.get("arn")) or key.address
            if key.type == "aws_kms_key":
                manager = as_str(key.values.get("key_manager"))
                return ("provider_managed" if manager == "AWS" else "customer_managed"), ident
            if key.type == "aws_kms_alias":
                alias = as_str(key.values.get("name")) or ""
                if alias.startswith("alias/aws/"):
                    return "provider_managed", alias
                target = self.plan.ref(key, "target_key_id", "aws_kms_key")
                if isinstance(target, IacResource):
                    return self.key_type(a, target, what)
                return self.key_type(a, target, what)
        if isinstance(key, str):
            if "alias/aws/" in key:
                return "provider_managed", key
            self.gap_text(a, "encryption", f"{what} {key} is not in the plan: who manages the "
                                           "key cannot be told before apply")
            return None, key
        if is_unknown(key):
            self.gap(a, "encryption", what, key)
        return None, None

    @staticmethod
    def gap_text(a: Asset, aspect: str, reason: str) -> None:
        a["assessment"]["gaps"].append({"aspect": aspect, "reason": reason})
        a["assessment"]["status"] = "partial"

    def encryption(self, a: Asset, enabled: Any, key: Target, *, key_attr: str,
                   enabled_attr: str, unkeyed: str | None = "provider_managed",
                   default: bool | None = False) -> dict[str, Any]:
        """The ``encryption`` block. ``unkeyed``: key type when encryption is on and no key is
        named (the service's AWS-managed or AWS-owned key); ``default``: when not set."""
        state: dict[str, Any] = {"enabled": None, "key_type": None, "key_id": None}
        on = as_bool(enabled)
        if on is None and enabled is None:
            on = default
        if is_unknown(on):
            self.gap(a, "encryption", enabled_attr, on)
            on = None
        state["enabled"] = on
        if isinstance(key, Unknown) and key.why == "computed":
            key = None  # not configured: the provider picks the service's default key
        if on is False:
            state["key_type"] = "none"
        elif on is True:
            if key is None:
                state["key_type"] = unkeyed
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
                vpc = vpc or self.net_key(self.plan.ref(s, "vpc_id", "aws_vpc"))
        return sorted(k for s in subs if (k := self.net_key(s))), vpc

    def subnet_group(self, r: IacResource, path: str, group_type: str,
                     a: Asset) -> tuple[list[str], str | None]:
        g = self.plan.ref(r, path, group_type)
        if isinstance(g, IacResource):
            return self.subnets(g, "subnet_ids", a)
        if is_unknown(g):
            self.gap(a, "network", path, g)
        return [], None

    def native_backup(self, a: Asset, retention: Any, attr: str,
                      default: int | None) -> dict[str, Any]:
        if is_unknown(retention):
            self.gap(a, "backup", attr, retention)
            return {"native": {"enabled": None, "retention_days": None}}
        days = as_int(retention) if retention is not None else default
        return {"native": {"enabled": None if days is None else days > 0,
                           "retention_days": days}}

    # -- S3
    def _account_pab(self) -> dict[str, Any] | None:
        """Account-wide public access block declared in the plan ({} when none)."""
        out: dict[str, Any] = {}
        for r in self.plan.of_type("aws_s3_account_public_access_block"):
            for k, attr in _PAB_ATTRS.items():
                v = as_bool(r.values.get(attr))
                if v is True:
                    out[k] = True
        return out

    def bucket(self, r: IacResource) -> None:
        name = as_str(r.values.get("bucket")) or r.name
        a = self.asset(r, "object_store", name)
        a["network"] = None
        attrs = a.setdefault("attributes", {})
        parts = self._configs(r, {
            "sse": "aws_s3_bucket_server_side_encryption_configuration",
            "pab": "aws_s3_bucket_public_access_block", "policy": "aws_s3_bucket_policy",
            "versioning": "aws_s3_bucket_versioning",
            "replication": "aws_s3_bucket_replication_configuration",
            "logging": "aws_s3_bucket_logging", "acl": "aws_s3_bucket_acl",
            "lock": "aws_s3_bucket_object_lock_configuration"})

        # Encryption: the split resource, else the legacy inline block, else SSE-S3, the
        # default of every bucket since January 2023.
        sse_src = parts.get("sse")
        rule_src = sse_src.values if sse_src else r.values.get(
            "server_side_encryption_configuration")
        default = get(rule_src, "rule.apply_server_side_encryption_by_default") \
            if rule_src else None
        if is_unknown(default):
            self.gap(a, "encryption", "the bucket encryption rule", default)
            a["encryption"] = {"at_rest": {"enabled": None, "key_type": None, "key_id": None}}
        elif default:
            algo = get(default, "sse_algorithm")
            if is_unknown(algo):
                self.gap(a, "encryption", "sse_algorithm", algo)
                a["encryption"] = {"at_rest": {"enabled": True, "key_type": None,
                                               "key_id": None}}
            elif isinstance(algo, str) and algo.startswith("aws:kms"):
                key = (self.plan.ref(sse_src, "rule.apply_server_side_encryption_by_default."
                                     "kms_master_key_id", "aws_kms_key", "aws_kms_alias")
                       if sse_src else as_str(get(default, "kms_master_key_id")))
                if key is None:
                    key = "alias/aws/s3"  # SSE-KMS without a key: the AWS-managed S3 key
                a["encryption"] = self.encryption(a, True, key, key_attr="kms_master_key_id",
                                                  enabled_attr="sse_algorithm")
                a["encryption"]["at_rest"]["algorithm"] = algo
            else:
                a["encryption"] = {"at_rest": {"enabled": True, "key_type": "provider_managed",
                                               "key_id": None, "algorithm": algo or "AES256"}}
        else:
            a["encryption"] = {"at_rest": {"enabled": True, "key_type": "provider_managed",
                                           "key_id": None, "algorithm": "AES256"}}

        # Public access: block settings, policy, ACL.
        access: dict[str, Any] = {"public": None, "wildcard_principal": None,
                                  "public_access_block": None,
                                  "secure_transport_required": None}
        a["access"] = access
        blocks_known = True
        pab_values: dict[str, Any] = {}
        if parts.get("pab"):
            for k, attr in _PAB_ATTRS.items():
                v = as_bool(parts["pab"].values.get(attr))
                if is_unknown(v):
                    self.gap(a, "access", attr, v)
                    blocks_known = False
                pab_values[k] = v is True
        elif r.action is None:
            # A deployed bucket without a block resource: whatever it was given outside the
            # program (new buckets are blocked by default since April 2023) is not known.
            self.gap_text(a, "access", "the bucket's public access block is not managed by "
                                       "this stack: it cannot be told from the state")
            blocks_known = False
        else:
            # A bucket created now gets AWS's default: all four settings on.
            pab_values = dict.fromkeys(_PAB_ATTRS, True)
            attrs["public_access_block"] = "AWS default for new buckets"
        effective = blocks_of(pab_values, self.account_pab or {}) if blocks_known else None
        if effective is not None:
            access["public_access_block"] = effective["all"]
        raw = parts["policy"].values.get("policy") if parts.get("policy") else \
            r.values.get("policy")
        policy_public: bool | None = False
        if is_unknown(raw):
            self.gap(a, "access", "the bucket policy", raw)
            policy_public = None
        elif raw:
            doc = as_json(raw)
            if doc is None:
                self.gap_text(a, "access", "the bucket policy is not a JSON policy document")
                policy_public = None
            else:
                verdict = judge(doc, "s3")
                access["wildcard_principal"] = verdict.wildcard_principal
                access["secure_transport_required"] = denies_insecure_transport(doc)
                policy_public = verdict.public
                if verdict.public is None:
                    self.gap_text(a, "access", "the bucket policy could not be judged: "
                                               f"{verdict.reasons[0]}")
        else:
            access["wildcard_principal"] = False
            access["secure_transport_required"] = False
        acl = as_str(parts["acl"].values.get("acl")) if parts.get("acl") else \
            as_str(r.values.get("acl"))
        acl_public = acl in ("public-read", "public-read-write", "authenticated-read")
        access["public"] = any_true([exposed(policy_public, effective, "RestrictPublicBuckets"),
                                     exposed(acl_public, effective, "IgnorePublicAcls")])
        if parts.get("lock"):
            rule = get(parts["lock"].values, "rule.default_retention")
            days = as_int(get(rule, "days")) if isinstance(rule, dict | list) else None
            years = as_int(get(rule, "years")) if isinstance(rule, dict | list) else None
            mode = get(rule, "mode") if isinstance(rule, dict | list) else None
            access["lock"] = {"enabled": True,
                              "mode": mode.lower() if isinstance(mode, str) else None,
                              "min_retention_days": days or (years * 365 if years else None)}
        else:
            access["lock"] = {"enabled": as_bool(r.values.get("object_lock_enabled")) is True}

        a["backup"] = {"native": {"enabled": False}}
        if parts.get("versioning"):
            status = get(parts["versioning"].values, "versioning_configuration.status")
            attrs["versioning"] = status if isinstance(status, str) else "unknown"
        elif isinstance(r.values.get("versioning"), dict | list):
            attrs["versioning"] = "Enabled" if as_bool(get(r.values, "versioning.enabled")) \
                else "Disabled"
        rep = parts.get("replication")
        rules = blocks(rep.values, "rule") if rep else blocks(
            r.values.get("replication_configuration"), "rules")
        targets = []
        for i, rule in enumerate(rules):
            if get(rule, "status") not in ("Enabled", None):
                continue
            dest: Target = None
            if rep:
                dest = self.plan.ref(rep, "rule.destination.bucket", "aws_s3_bucket") \
                    if i == 0 else as_str(get(rule, "destination.bucket"))
            else:
                dest = as_str(get(rule, "destination.bucket"))
            if isinstance(dest, str):
                dest = self.plan.find_by_value(dest, ("aws_s3_bucket",)) or dest
            if isinstance(dest, IacResource):
                targets.append(dest.address)
            elif isinstance(dest, str):
                targets.append(dest)
        attrs["replication_targets"] = targets
        attrs["access_logging"] = bool(parts.get("logging") or r.values.get("logging"))

    def _configs(self, bucket: IacResource, types: dict[str, str]) -> dict[str, IacResource]:
        """The split configuration resources of a bucket, by role."""
        out: dict[str, IacResource] = {}
        for role, t in types.items():
            hits = self.plan.pointing_at(bucket, (t,), ("bucket",))
            if hits:
                out[role] = hits[0]
        return out

    # -- databases and other stores
    def db_instance(self, r: IacResource) -> None:
        a = self.asset(r, "database", as_str(r.values.get("identifier")) or r.name)
        key = self.plan.ref(r, "kms_key_id", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, r.values.get("storage_encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="storage_encrypted")
        subnets, vpc = self.subnet_group(r, "db_subnet_group_name", "aws_db_subnet_group", a)
        public = as_bool(r.values.get("publicly_accessible"))
        if is_unknown(public):
            self.gap(a, "network", "publicly_accessible", public)
            public = None
        elif public is None:
            public = False
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "vpc_security_group_ids", a),
                        "publicly_accessible": public}
        a["access"] = {"public": public}
        a["backup"] = self.native_backup(a, r.values.get("backup_retention_period"),
                                         "backup_retention_period", 0)
        src = self.plan.ref(r, "replicate_source_db", "aws_db_instance")
        if isinstance(src, IacResource):
            a["replica_of"] = [src.address]

    def rds_cluster(self, r: IacResource) -> None:
        a = self.asset(r, "database", as_str(r.values.get("cluster_identifier")) or r.name)
        key = self.plan.ref(r, "kms_key_id", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, r.values.get("storage_encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="storage_encrypted")
        subnets, vpc = self.subnet_group(r, "db_subnet_group_name", "aws_db_subnet_group", a)
        members = self.plan.pointing_at(r, ("aws_rds_cluster_instance",),
                                        ("cluster_identifier",))
        public: Any = any(as_bool(m.values.get("publicly_accessible")) is True for m in members)
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "vpc_security_group_ids", a),
                        "publicly_accessible": public}
        a["access"] = {"public": public}
        a["backup"] = self.native_backup(a, r.values.get("backup_retention_period"),
                                         "backup_retention_period", 1)

    def dynamodb(self, r: IacResource) -> None:
        a = self.asset(r, "table", as_str(r.values.get("name")) or r.name)
        a["network"] = None
        sse = r.values.get("server_side_encryption")
        enabled = get(r.values, "server_side_encryption.enabled") if sse else False
        if as_bool(enabled) is True:
            key = self.plan.ref(r, "server_side_encryption.kms_key_arn", "aws_kms_key",
                                "aws_kms_alias")
            a["encryption"] = self.encryption(a, True, key, key_attr="kms_key_arn",
                                              enabled_attr="server_side_encryption.enabled")
            if key is None:  # KMS without a key: the AWS-managed aws/dynamodb key
                a["encryption"]["at_rest"]["key_id"] = "alias/aws/dynamodb"
        elif is_unknown(enabled):
            a["encryption"] = self.encryption(a, enabled, None, key_attr="kms_key_arn",
                                              enabled_attr="server_side_encryption.enabled")
        else:  # no SSE block: an AWS-owned key, always on
            a["encryption"] = {"at_rest": {"enabled": True, "key_type": "provider_managed",
                                           "key_id": None}}
        pitr = as_bool(get(r.values, "point_in_time_recovery.enabled"))
        if is_unknown(pitr):
            self.gap(a, "backup", "point_in_time_recovery", pitr)
            pitr = None
        a["backup"] = {"native": {"enabled": pitr is True if pitr is not None else None,
                                  "point_in_time_recovery": bool(pitr) if pitr is not None
                                  else None}}

    def ebs_volume(self, r: IacResource) -> None:
        a = self.asset(r, "volume", a_name(r))
        key = self.plan.ref(r, "kms_key_id", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, r.values.get("encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="encrypted")
        a["network"] = None
        a["backup"] = {"native": {"enabled": False}}

    def redshift(self, r: IacResource) -> None:
        a = self.asset(r, "warehouse", as_str(r.values.get("cluster_identifier")) or r.name)
        key = self.plan.ref(r, "kms_key_id", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, r.values.get("encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="encrypted")
        subnets, vpc = self.subnet_group(r, "cluster_subnet_group_name",
                                         "aws_redshift_subnet_group", a)
        public = as_bool(r.values.get("publicly_accessible"))
        if is_unknown(public):
            self.gap(a, "network", "publicly_accessible", public)
            public = None
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "vpc_security_group_ids", a),
                        "publicly_accessible": public if public is not None else None}
        a["access"] = {"public": public}
        a["backup"] = self.native_backup(a, r.values.get("automated_snapshot_retention_period"),
                                         "automated_snapshot_retention_period", 1)

    def efs(self, r: IacResource) -> None:
        a = self.asset(r, "file_system", a_name(r))
        key = self.plan.ref(r, "kms_key_id", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, r.values.get("encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="encrypted")
        subnets: list[str] = []
        groups: list[str] = []
        vpc = None
        for m in self.plan.pointing_at(r, ("aws_efs_mount_target",), ("file_system_id",)):
            s = self.plan.ref(m, "subnet_id", "aws_subnet")
            if (k := self.net_key(s)) is not None:
                subnets.append(k)
            if isinstance(s, IacResource):
                vpc = vpc or self.net_key(self.plan.ref(s, "vpc_id", "aws_vpc"))
            groups += self.sg_ids(m, "security_groups", a)
        a["network"] = {"vpc_id": vpc, "subnets": sorted(set(subnets)),
                        "security_groups": sorted(set(groups)), "publicly_accessible": False}
        a["access"] = {"public": False}
        policies = self.plan.pointing_at(r, ("aws_efs_backup_policy",), ("file_system_id",))
        status = get(policies[0].values, "backup_policy.status") if policies else "DISABLED"
        if is_unknown(status):
            self.gap(a, "backup", "backup_policy.status", status)
            a["backup"] = {"native": {"enabled": None}}
        else:
            a["backup"] = {"native": {"enabled": status in ("ENABLED", "ENABLING")}}

    def elasticache(self, r: IacResource) -> None:
        a = self.asset(r, "cache", as_str(r.values.get("replication_group_id")) or r.name)
        key = self.plan.ref(r, "kms_key_id", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, r.values.get("at_rest_encryption_enabled"), key,
                                          key_attr="kms_key_id",
                                          enabled_attr="at_rest_encryption_enabled")
        subnets, vpc = self.subnet_group(r, "subnet_group_name", "aws_elasticache_subnet_group",
                                         a)
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "security_group_ids", a),
                        "publicly_accessible": False}
        a["access"] = {"public": False}
        a["backup"] = self.native_backup(a, r.values.get("snapshot_retention_limit"),
                                         "snapshot_retention_limit", 0)

    # -- copies
    def db_snapshot(self, r: IacResource) -> None:
        a = self.asset(r, "snapshot", as_str(r.values.get("db_snapshot_identifier")) or r.name)
        db = self.plan.ref(r, "db_instance_identifier", "aws_db_instance")
        src = self.assets.get(db.address) if isinstance(db, IacResource) else None
        a["encryption"] = copy.deepcopy(src["encryption"]) if src else {
            "at_rest": {"enabled": as_bool(r.values.get("encrypted")) if not is_unknown(
                r.values.get("encrypted")) else None, "key_type": None, "key_id": None}}
        shared = r.values.get("shared_accounts")
        who = sorted(x for x in shared if isinstance(x, str)) if isinstance(shared, list) else []
        a["access"] = {"public": "all" in who, "shared_with": who}
        a["backup"] = {"backup_of": [db.address] if isinstance(db, IacResource) else [],
                       "location": {"account": r.account, "region": r.region},
                       "automated": False}

    def ebs_snapshot(self, r: IacResource) -> None:
        a = self.asset(r, "snapshot", a_name(r))
        vol = self.plan.ref(r, "volume_id", "aws_ebs_volume")
        src = self.assets.get(vol.address) if isinstance(vol, IacResource) else None
        enc = r.values.get("encrypted")
        a["encryption"] = copy.deepcopy(src["encryption"]) if src and not isinstance(enc, bool) \
            else \
            self.encryption(a, enc, self.plan.ref(r, "kms_key_id", "aws_kms_key"),
                            key_attr="kms_key_id", enabled_attr="encrypted")
        a["access"] = {"public": False, "shared_with": []}
        a["backup"] = {"backup_of": [vol.address] if isinstance(vol, IacResource) else [],
                       "location": {"account": r.account, "region": r.region},
                       "automated": False}

    # -- AWS Backup
    def vault(self, r: IacResource) -> None:
        a = self.asset(r, "backup_vault", as_str(r.values.get("name")) or r.name)
        key = self.plan.ref(r, "kms_key_arn", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, True, key or "alias/aws/backup",
                                          key_attr="kms_key_arn", enabled_attr="kms_key_arn")
        access: dict[str, Any] = {"public": False, "wildcard_principal": False,
                                  "lock": {"enabled": False, "mode": None,
                                           "min_retention_days": None}}
        a["access"] = access
        for p in self.plan.pointing_at(r, ("aws_backup_vault_policy",), ("backup_vault_name",)):
            raw = p.values.get("policy")
            doc = as_json(raw)
            if is_unknown(raw):
                self.gap(a, "access", "the vault access policy", raw)
                access["public"] = access["wildcard_principal"] = None
            elif doc is None:
                self.gap_text(a, "access", "the vault access policy is not a JSON document")
                access["public"] = access["wildcard_principal"] = None
            else:
                verdict = judge(doc, "backup")
                access["wildcard_principal"] = verdict.wildcard_principal
                access["public"] = verdict.public
                if verdict.public is None:
                    self.gap_text(a, "access", "the vault access policy could not be judged: "
                                               f"{verdict.reasons[0]}")
        for lock in self.plan.pointing_at(r, ("aws_backup_vault_lock_configuration",),
                                          ("backup_vault_name",)):
            days = lock.values.get("min_retention_days")
            access["lock"] = {
                "enabled": True,
                # ChangeableForDays makes it compliance mode (immutable after the grace time).
                "mode": "compliance" if lock.values.get("changeable_for_days") is not None
                else "governance",
                "min_retention_days": as_int(days)}

    def backup_plans(self) -> None:
        """Which stores each backup selection covers: by reference, ARN pattern or tags."""
        for sel in self.plan.of_type("aws_backup_selection"):
            plan = self.plan.ref(sel, "plan_id", "aws_backup_plan")
            name = (as_str(plan.values.get("name")) or plan.name) if isinstance(
                plan, IacResource) else (as_str(plan) or sel.name)
            covered, _ = self.plan.refs_list(sel, "resources", *_STORE_TYPES)
            patterns = [p for p in get(sel.values, "resources") or [] if isinstance(p, str)]
            tags = [(get(t, "key"), get(t, "value")) for t in blocks(sel.values, "selection_tag")
                    if str(get(t, "type") or "STRINGEQUALS").upper() == "STRINGEQUALS"]
            for a in self.assets.values():
                if a["kind"] not in _STORE_KINDS:
                    continue
                hit = any(isinstance(c, IacResource) and c.address == a["id"] for c in covered)
                arn = a.get("attributes", {}).get("arn")
                if not hit and patterns:
                    hit = any(p == "*" or (arn and fnmatch.fnmatchcase(arn, p))
                              for p in patterns)
                if not hit and tags:
                    hit = any(a["tags"].get(str(k)) == v for k, v in tags)
                if hit:
                    plans = a.setdefault("backup", {}).setdefault("plans", [])
                    if name not in plans:
                        plans.append(name)
        for a in self.assets.values():
            if a["kind"] in _STORE_KINDS:
                a.setdefault("backup", {}).setdefault("plans", [])

    # -- keys
    def kms_key(self, r: IacResource) -> None:
        aliases = [as_str(x.values.get("name")) for x in
                   self.plan.pointing_at(r, ("aws_kms_alias",), ("target_key_id",))]
        names = sorted(n for n in aliases if n)
        a = self.asset(r, "key", names[0].removeprefix("alias/") if names else r.name)
        a.setdefault("attributes", {})["aliases"] = names

    # -- everything
    def run(self) -> list[Asset]:
        order = [
            ("aws_kms_key", self.kms_key), ("aws_vpc", self.vpc),
            ("aws_security_group", self.security_group), ("aws_s3_bucket", self.bucket),
            ("aws_db_instance", self.db_instance), ("aws_rds_cluster", self.rds_cluster),
            ("aws_dynamodb_table", self.dynamodb), ("aws_ebs_volume", self.ebs_volume),
            ("aws_redshift_cluster", self.redshift), ("aws_efs_file_system", self.efs),
            ("aws_elasticache_replication_group", self.elasticache),
            ("aws_db_snapshot", self.db_snapshot), ("aws_ebs_snapshot", self.ebs_snapshot),
            ("aws_backup_vault", self.vault),
        ]
        for t, build in order:
            for r in self.plan.of_type(t):
                if not r.address.startswith("data."):
                    build(r)
        self.backup_plans()
        self._link_replicas()
        return [self.assets[k] for k in sorted(self.assets)]

    def _link_replicas(self) -> None:
        for a in self.assets.values():
            for t in (a.get("attributes") or {}).get("replication_targets") or []:
                dest = self.assets.get(t) or next(
                    (b for b in self.assets.values()
                     if b["kind"] == "object_store" and t.rsplit(":", 1)[-1] == b["name"]), None)
                if dest is not None and a["id"] not in dest.setdefault("replica_of", []):
                    dest["replica_of"].append(a["id"])


def a_name(r: IacResource) -> str:
    tags = r.values.get("tags")
    name = tags.get("Name") if isinstance(tags, dict) else None
    return name if isinstance(name, str) and name else r.name


_PAB_ATTRS = {"BlockPublicAcls": "block_public_acls", "IgnorePublicAcls": "ignore_public_acls",
              "BlockPublicPolicy": "block_public_policy",
              "RestrictPublicBuckets": "restrict_public_buckets"}
# Route target attributes, the planned types they name, and the prefix relations expect.


def build_inventory(resources: Iterable[IacResource], *, tool: str,
                    files: list[str]) -> Inventory:
    """The inventory of a plan / stack / program: one asset per mapped store, copy, vault,
    key, network and security group; configuration resources folded into what they configure.
    """
    resources = list(resources)
    plan = Plan(resources)
    assets = Mapper(plan).run()
    mapped = sum(1 for r in plan.all if not r.address.startswith("data."))
    sources = [{"type": tool, "file": f,
                "detail": f"{mapped} resources read, {len(assets)} assets"} for f in files]
    return Inventory(
        assets=assets, gaps=[], sources=sources, files=list(files),
        generator={"tool": "dsscan", "version": __version__, "scanner": tool},
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
