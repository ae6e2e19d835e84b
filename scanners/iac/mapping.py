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
import json
from collections import defaultdict
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
    public_statements,
    wildcard_statements,
)
from dsscan.scanners.iac.resources import IacResource, Unknown, is_unknown

Asset = dict[str, Any]
Target = IacResource | str | Unknown | None

# CloudFormation-style names for the asset's ``type`` are not used: IaC assets keep their
# Terraform type, which is what the user wrote (Pulumi tokens are in ``attributes``).
_STORE_TYPES = {
    "aws_s3_bucket": "object_store", "aws_db_instance": "database", "aws_rds_cluster": "database",
    "aws_dynamodb_table": "table", "aws_ebs_volume": "volume", "aws_redshift_cluster": "warehouse",
    "aws_efs_file_system": "file_system", "aws_elasticache_replication_group": "cache",
}
_STORE_KINDS = set(_STORE_TYPES.values())
# The attribute naming each type's resource in references by value.
_NAME_ATTRS: dict[str, tuple[str, ...]] = {
    "aws_s3_bucket": ("bucket",), "aws_db_instance": ("identifier",),
    "aws_rds_cluster": ("cluster_identifier",), "aws_db_subnet_group": ("name",),
    "aws_dynamodb_table": ("name",), "aws_redshift_cluster": ("cluster_identifier",),
    "aws_redshift_subnet_group": ("name",), "aws_elasticache_replication_group":
        ("replication_group_id",), "aws_elasticache_subnet_group": ("name",),
    "aws_backup_vault": ("name",), "aws_backup_plan": ("name",), "aws_kms_alias": ("name",),
    "aws_kms_key": ("key_id",), "aws_security_group": ("name",),
}


# --- reading values -------------------------------------------------------------------------

def _step(value: Any, seg: str) -> Any:
    """One path segment; blocks are lists of one (Terraform) or objects (Pulumi), and Pulumi
    names repeated blocks in the plural."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return Unknown(value.why) if is_unknown(value) else None
    for k in (seg, seg + "s", seg.removesuffix("s")):
        if k in value:
            return value[k]
    return None


def get(values: Any, path: str) -> Any:
    """The value at a dotted path (None: not set; Unknown: not known before apply)."""
    v = values
    for seg in path.split("."):
        v = _step(v, seg)
        if v is None or is_unknown(v):
            return v
    return v


def blocks(values: Any, path: str) -> list[dict[str, Any]]:
    """Every block at ``path`` (a repeated block: list of objects, or one object)."""
    v = values
    segs = path.split(".")
    for seg in segs[:-1]:
        v = _step(v, seg)
    v = _step(v, segs[-1]) if isinstance(v, dict | list) else None
    if isinstance(v, dict):
        return [v]
    return [b for b in v if isinstance(b, dict)] if isinstance(v, list) else []


def _bool(v: Any) -> bool | Unknown | None:
    if is_unknown(v) or v is None or isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return None


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v)
    return None


def _json(v: Any) -> Any:
    if isinstance(v, dict):
        return v
    if isinstance(v, str) and v.strip():
        try:
            return json.loads(v)
        except ValueError:
            return None
    return None


# --- the plan as a whole --------------------------------------------------------------------

class _Plan:
    """The resources of one input, indexed for following references."""

    def __init__(self, resources: Iterable[IacResource]) -> None:
        self.all = [r for r in resources if r.action != "delete"]
        self.by_address = {r.address: r for r in self.all}
        self.by_type: dict[str, list[IacResource]] = defaultdict(list)
        self.by_value: dict[str, list[IacResource]] = defaultdict(list)
        # A Terraform reference names the configuration address; count/for_each instances
        # carry an index ([0], ["a"]).
        self.by_base: dict[str, list[IacResource]] = defaultdict(list)
        self._pointing: dict[tuple[Any, ...], dict[str, list[IacResource]]] = {}
        for r in self.all:
            self.by_type[r.type].append(r)
            self.by_base[_base_address(r.address)].append(r)
            for attr in ("id", "arn", *_NAME_ATTRS.get(r.type, ())):
                v = r.values.get(attr)
                if isinstance(v, str) and v:
                    self.by_value[v].append(r)

    def of_type(self, *types: str) -> list[IacResource]:
        return [r for t in types for r in self.by_type.get(t, ())]

    def _resolve(self, address: str) -> list[IacResource]:
        if address in self.by_address:
            return [self.by_address[address]]
        return self.by_base.get(address, [])

    def _refs(self, r: IacResource, path: str) -> list[str]:
        top = path.split(".", 1)[0]
        for key in (path, top, top + "s", top.removesuffix("s")):
            if key in r.refs:
                return r.refs[key]
        return []

    def ref(self, r: IacResource, path: str, *types: str) -> Target:
        """What ``r``'s attribute refers to: a planned resource of one of ``types``, else the
        literal value (something outside the plan), Unknown, or None when not set."""
        value = get(r.values, path)
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else value
        hit = self._by_refs(r, path, types, value)
        if hit is not None:
            return hit
        if isinstance(value, str) and value:
            return self._by_value(value, types) or value
        return value if is_unknown(value) else None

    def refs_list(self, r: IacResource, path: str, *types: str) -> tuple[list[Target], bool]:
        """Every resource a list attribute refers to; ``True`` second when some elements are
        unknown and no reference tells what they are."""
        value = get(r.values, path)
        refs = list(dict.fromkeys(
            x for a in self._refs(r, path) for x in self._resolve(a) if x.type in types))
        if is_unknown(value):
            return list(refs), not refs
        if not isinstance(value, list):
            return [], False
        out: list[Target] = []
        missing = 0
        for v in value:
            if isinstance(v, str) and v:
                out.append(self._by_value(v, types) or v)
            else:
                missing += 1
        if missing:  # unknown elements: the resources the configuration refers to
            out += [x for x in refs if x not in out]
        return list(dict.fromkeys(out)), missing > len(refs)

    def _by_refs(self, r: IacResource, path: str, types: tuple[str, ...],
                 value: Any) -> IacResource | None:
        cands = [x for a in self._refs(r, path) for x in self._resolve(a) if x.type in types]
        if len(cands) > 1 and isinstance(value, str):
            exact = [x for x in cands if value in (x.values.get("id"), x.values.get("arn"))]
            cands = exact or cands
        if len(cands) > 1:
            same = [x for x in cands if _index(x.address) == _index(r.address)]
            cands = same or cands
        return cands[0] if cands else None

    def _by_value(self, value: str, types: tuple[str, ...]) -> IacResource | None:
        for x in self.by_value.get(value, ()):
            if x.type in types:
                return x
        return None

    def pointing_at(self, target: IacResource, types: tuple[str, ...],
                    paths: tuple[str, ...]) -> list[IacResource]:
        """The resources of ``types`` whose attribute (one of ``paths``) refers to ``target``
        (indexed on first use: plans hold thousands of configuration resources)."""
        key = (types, paths, target.type)
        index = self._pointing.get(key)
        if index is None:
            index = defaultdict(list)
            for r in self.of_type(*types):
                for p in paths:
                    t = self.ref(r, p, target.type)
                    if isinstance(t, IacResource):
                        index[t.address].append(r)
                        break
            self._pointing[key] = index
        return index.get(target.address, [])


def _base_address(address: str) -> str:
    """aws_s3_bucket.b[0] -> aws_s3_bucket.b (module paths keep their own indexes)."""
    return address[:address.rindex("[")] if address.endswith("]") and "[" in address else address


def _index(address: str) -> str | None:
    return address[address.rindex("["):] if address.endswith("]") and "[" in address else None


# --- the mapping ----------------------------------------------------------------------------

class _Mapper:
    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.assets: dict[str, Asset] = {}
        self.account_pab = self._account_pab()

    # -- common
    def asset(self, r: IacResource, kind: str, name: str | None = None) -> Asset:
        a: Asset = {
            "id": r.address, "kind": kind, "name": name or r.name, "type": r.type,
            "provider": "aws",
            "source": {"type": r.tool, "file": r.file, "address": r.address},
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
            ident = _str(key.values.get("arn")) or key.address
            if key.type == "aws_kms_key":
                manager = _str(key.values.get("key_manager"))
                return ("provider_managed" if manager == "AWS" else "customer_managed"), ident
            if key.type == "aws_kms_alias":
                alias = _str(key.values.get("name")) or ""
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
        on = _bool(enabled)
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
        days = _int(retention) if retention is not None else default
        return {"native": {"enabled": None if days is None else days > 0,
                           "retention_days": days}}

    # -- S3
    def _account_pab(self) -> dict[str, Any] | None:
        """Account-wide public access block declared in the plan ({} when none)."""
        out: dict[str, Any] = {}
        for r in self.plan.of_type("aws_s3_account_public_access_block"):
            for k, attr in _PAB_ATTRS.items():
                v = _bool(r.values.get(attr))
                if v is True:
                    out[k] = True
        return out

    def bucket(self, r: IacResource) -> None:
        name = _str(r.values.get("bucket")) or r.name
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
                       if sse_src else _str(get(default, "kms_master_key_id")))
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
                v = _bool(parts["pab"].values.get(attr))
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
            doc = _json(raw)
            if doc is None:
                self.gap_text(a, "access", "the bucket policy is not a JSON policy document")
                policy_public = None
            else:
                access["wildcard_principal"] = bool(wildcard_statements(doc))
                access["secure_transport_required"] = denies_insecure_transport(doc)
                policy_public = bool(public_statements(doc))
        else:
            access["wildcard_principal"] = False
            access["secure_transport_required"] = False
        acl = _str(parts["acl"].values.get("acl")) if parts.get("acl") else \
            _str(r.values.get("acl"))
        acl_public = acl in ("public-read", "public-read-write", "authenticated-read")
        access["public"] = any_true([exposed(policy_public, effective, "RestrictPublicBuckets"),
                                     exposed(acl_public, effective, "IgnorePublicAcls")])
        if parts.get("lock"):
            rule = get(parts["lock"].values, "rule.default_retention")
            days = _int(get(rule, "days")) if isinstance(rule, dict | list) else None
            years = _int(get(rule, "years")) if isinstance(rule, dict | list) else None
            mode = get(rule, "mode") if isinstance(rule, dict | list) else None
            access["lock"] = {"enabled": True,
                              "mode": mode.lower() if isinstance(mode, str) else None,
                              "min_retention_days": days or (years * 365 if years else None)}
        else:
            access["lock"] = {"enabled": _bool(r.values.get("object_lock_enabled")) is True}

        a["backup"] = {"native": {"enabled": False}}
        if parts.get("versioning"):
            status = get(parts["versioning"].values, "versioning_configuration.status")
            attrs["versioning"] = status if isinstance(status, str) else "unknown"
        elif isinstance(r.values.get("versioning"), dict | list):
            attrs["versioning"] = "Enabled" if _bool(get(r.values, "versioning.enabled")) \
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
                    if i == 0 else _str(get(rule, "destination.bucket"))
            else:
                dest = _str(get(rule, "destination.bucket"))
            if isinstance(dest, str):
                dest = self.plan._by_value(dest, ("aws_s3_bucket",)) or dest
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
        a = self.asset(r, "database", _str(r.values.get("identifier")) or r.name)
        key = self.plan.ref(r, "kms_key_id", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, r.values.get("storage_encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="storage_encrypted")
        subnets, vpc = self.subnet_group(r, "db_subnet_group_name", "aws_db_subnet_group", a)
        public = _bool(r.values.get("publicly_accessible"))
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
        a = self.asset(r, "database", _str(r.values.get("cluster_identifier")) or r.name)
        key = self.plan.ref(r, "kms_key_id", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, r.values.get("storage_encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="storage_encrypted")
        subnets, vpc = self.subnet_group(r, "db_subnet_group_name", "aws_db_subnet_group", a)
        members = self.plan.pointing_at(r, ("aws_rds_cluster_instance",),
                                        ("cluster_identifier",))
        public: Any = any(_bool(m.values.get("publicly_accessible")) is True for m in members)
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "vpc_security_group_ids", a),
                        "publicly_accessible": public}
        a["access"] = {"public": public}
        a["backup"] = self.native_backup(a, r.values.get("backup_retention_period"),
                                         "backup_retention_period", 1)

    def dynamodb(self, r: IacResource) -> None:
        a = self.asset(r, "table", _str(r.values.get("name")) or r.name)
        a["network"] = None
        sse = r.values.get("server_side_encryption")
        enabled = get(r.values, "server_side_encryption.enabled") if sse else False
        if _bool(enabled) is True:
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
        pitr = _bool(get(r.values, "point_in_time_recovery.enabled"))
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
        a = self.asset(r, "warehouse", _str(r.values.get("cluster_identifier")) or r.name)
        key = self.plan.ref(r, "kms_key_id", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, r.values.get("encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="encrypted")
        subnets, vpc = self.subnet_group(r, "cluster_subnet_group_name",
                                         "aws_redshift_subnet_group", a)
        public = _bool(r.values.get("publicly_accessible"))
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
        a = self.asset(r, "cache", _str(r.values.get("replication_group_id")) or r.name)
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
        a = self.asset(r, "snapshot", _str(r.values.get("db_snapshot_identifier")) or r.name)
        db = self.plan.ref(r, "db_instance_identifier", "aws_db_instance")
        src = self.assets.get(db.address) if isinstance(db, IacResource) else None
        a["encryption"] = copy.deepcopy(src["encryption"]) if src else {
            "at_rest": {"enabled": _bool(r.values.get("encrypted")) if not is_unknown(
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
        a = self.asset(r, "backup_vault", _str(r.values.get("name")) or r.name)
        key = self.plan.ref(r, "kms_key_arn", "aws_kms_key", "aws_kms_alias")
        a["encryption"] = self.encryption(a, True, key or "alias/aws/backup",
                                          key_attr="kms_key_arn", enabled_attr="kms_key_arn")
        access: dict[str, Any] = {"public": False, "wildcard_principal": False,
                                  "lock": {"enabled": False, "mode": None,
                                           "min_retention_days": None}}
        a["access"] = access
        for p in self.plan.pointing_at(r, ("aws_backup_vault_policy",), ("backup_vault_name",)):
            raw = p.values.get("policy")
            doc = _json(raw)
            if is_unknown(raw):
                self.gap(a, "access", "the vault access policy", raw)
                access["public"] = access["wildcard_principal"] = None
            elif doc is None:
                self.gap_text(a, "access", "the vault access policy is not a JSON document")
                access["public"] = access["wildcard_principal"] = None
            else:
                access["wildcard_principal"] = bool(wildcard_statements(doc))
                access["public"] = bool(public_statements(doc))
        for lock in self.plan.pointing_at(r, ("aws_backup_vault_lock_configuration",),
                                          ("backup_vault_name",)):
            days = lock.values.get("min_retention_days")
            access["lock"] = {
                "enabled": True,
                # ChangeableForDays makes it compliance mode (immutable after the grace time).
                "mode": "compliance" if lock.values.get("changeable_for_days") is not None
                else "governance",
                "min_retention_days": _int(days)}

    def backup_plans(self) -> None:
        """Which stores each backup selection covers: by reference, ARN pattern or tags."""
        for sel in self.plan.of_type("aws_backup_selection"):
            plan = self.plan.ref(sel, "plan_id", "aws_backup_plan")
            name = (_str(plan.values.get("name")) or plan.name) if isinstance(
                plan, IacResource) else (_str(plan) or sel.name)
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
        aliases = [_str(x.values.get("name")) for x in
                   self.plan.pointing_at(r, ("aws_kms_alias",), ("target_key_id",))]
        names = sorted(n for n in aliases if n)
        a = self.asset(r, "key", names[0].removeprefix("alias/") if names else r.name)
        a.setdefault("attributes", {})["aliases"] = names

    # -- networks
    def vpc(self, r: IacResource) -> None:
        tags = r.values.get("tags") if isinstance(r.values.get("tags"), dict) else {}
        a = self.asset(r, "network_domain", str(tags.get("Name") or r.name))
        key = self.net_key(r)
        subnets = self.plan.pointing_at(r, ("aws_subnet",), ("vpc_id",))
        cidrs = [c for c in (r.values.get("cidr_block"), r.values.get("ipv6_cidr_block"))
                 if isinstance(c, str) and c]
        if is_unknown(r.values.get("cidr_block")):
            self.gap(a, "network", "cidr_block", r.values["cidr_block"])
        routes = self._routes(r)
        igws = self.plan.pointing_at(r, ("aws_internet_gateway",), ("vpc_id",))
        igws += [g for att in self.plan.pointing_at(r, ("aws_internet_gateway_attachment",),
                                                    ("vpc_id",))
                 if isinstance(g := self.plan.ref(att, "internet_gateway_id",
                                                  "aws_internet_gateway"), IacResource)]
        igw_targets = {self._target("igw-", g) for g in igws}
        a["network"] = {
            "vpc_id": key, "subnets": sorted(k for s in subnets if (k := self.net_key(s))),
            "cidrs": cidrs,
            "internet_gateway": any(rt["target"] in igw_targets for rt in routes),
            "routes": routes, "peerings": self._peerings(r), "security_groups": [],
        }

    def _route_tables(self, vpc: IacResource) -> list[IacResource]:
        return self.plan.pointing_at(vpc, ("aws_route_table", "aws_default_route_table"),
                                     ("vpc_id", "default_route_table_id"))

    def _routes(self, vpc: IacResource) -> list[dict[str, str]]:
        tables = self._route_tables(vpc)
        routes: dict[tuple[str, str], dict[str, str]] = {}
        cidr = vpc.values.get("cidr_block")
        if isinstance(cidr, str):
            routes[(cidr, "local")] = {"destination": cidr, "target": "local"}
        for t in tables:
            for rt in blocks(t.values, "route"):
                self._add_route(routes, t, rt, "route")
        for t in tables:
            for rt in self.plan.pointing_at(t, ("aws_route",), ("route_table_id",)):
                self._add_route(routes, rt, rt.values, None)
        return [routes[k] for k in sorted(routes)]

    def _add_route(self, routes: dict[tuple[str, str], dict[str, str]], owner: IacResource,
                   rt: dict[str, Any], block: str | None) -> None:
        dest = _str(rt.get("cidr_block") or rt.get("destination_cidr_block")
                    or rt.get("ipv6_cidr_block") or rt.get("destination_ipv6_cidr_block"))
        if dest is None:
            return
        for attr, types, prefix in _ROUTE_TARGETS:
            v = rt.get(attr)
            if v is None or v == "":
                continue
            t: Target = v
            if block is None:
                t = self.plan.ref(owner, attr, *types)
            elif isinstance(v, str):
                t = self.plan._by_value(v, types) or v
            else:  # unknown inside an inline block: the table's references tell
                hits = list(dict.fromkeys(
                    x for ref in self.plan._refs(owner, f"{block}.{attr}")
                    for x in self.plan._resolve(ref) if x.type in types))
                t = hits[0] if len(hits) == 1 else v
            if attr == "gateway_id" and isinstance(t, str) and t == "local":
                return
            routes[(dest, self._target(prefix, t))] = {"destination": dest,
                                                       "target": self._target(prefix, t)}
            return

    def _target(self, prefix: str, t: Target) -> str:
        """A route target as relations know them: igw-…, pcx-…, tgw-…, nat-…."""
        key = self.net_key(t) if not is_unknown(t) else None
        if key is None:
            return f"{prefix}(unknown)"
        return key if key.startswith(prefix) else f"{prefix}({key})"

    def _peerings(self, vpc: IacResource) -> list[dict[str, Any]]:
        out = []
        for p in self.plan.of_type("aws_vpc_peering_connection"):
            mine = self.plan.ref(p, "vpc_id", "aws_vpc")
            peer = self.plan.ref(p, "peer_vpc_id", "aws_vpc")
            if mine is vpc:
                other, acct, region = peer, p.values.get("peer_owner_id"), \
                    p.values.get("peer_region")
            elif peer is vpc:
                other, acct, region = mine, p.account, p.region
            else:
                continue
            accepted = _bool(p.values.get("auto_accept")) is True or any(
                _bool(x.values.get("auto_accept")) is True for x in self.plan.pointing_at(
                    p, ("aws_vpc_peering_connection_accepter",), ("vpc_peering_connection_id",)))
            other_key = self.net_key(other) if not is_unknown(other) else None
            if other_key is None:
                continue
            out.append({"id": self._target("pcx-", p), "peer_vpc_id": other_key,
                        "peer_account": acct if isinstance(acct, str) else None,
                        "peer_region": region if isinstance(region, str) else None,
                        "status": "active" if accepted else "pending-acceptance"})
        return sorted(out, key=lambda x: x["id"])

    def security_group(self, r: IacResource) -> None:
        a = self.asset(r, "security_group", _str(r.values.get("name")) or r.name)
        vpc = self.plan.ref(r, "vpc_id", "aws_vpc")
        rules = [self._rule(a, r, b, "ingress") for b in blocks(r.values, "ingress")]
        for x in self.plan.pointing_at(r, ("aws_security_group_rule",), ("security_group_id",)):
            if x.values.get("type") == "ingress":
                rules.append(self._rule(a, x, x.values, None))
        for x in self.plan.pointing_at(r, ("aws_vpc_security_group_ingress_rule",),
                                       ("security_group_id",)):
            rules.append(self._vpc_rule(a, x))
        a["network"] = {"vpc_id": self.net_key(vpc) if not is_unknown(vpc) else None,
                        "ingress": rules}

    def _cidrs(self, a: Asset, value: Any, what: str) -> list[str]:
        if is_unknown(value):
            self.gap(a, "network", what, value)
            return []
        vals = value if isinstance(value, list) else [value]
        out = [v for v in vals if isinstance(v, str) and v]
        if any(is_unknown(v) for v in vals):
            self.gap(a, "network", what, Unknown())
        return out

    def _prefix_lists(self, a: Asset, owner: IacResource, value: Any,
                      path: str | None) -> tuple[list[str], list[str]]:
        """(CIDRs of planned prefix lists, ids of the others)."""
        cidrs: list[str] = []
        ids: list[str] = []
        vals = value if isinstance(value, list) else ([value] if value else [])
        for v in vals:
            t: Target = self.plan._by_value(v, ("aws_ec2_managed_prefix_list",)) or v \
                if isinstance(v, str) else v
            if is_unknown(t) and path:
                hits = [x for ref in self.plan._refs(owner, path) for x in self.plan._resolve(ref)
                        if x.type == "aws_ec2_managed_prefix_list"]
                t = hits[0] if hits else t
            if isinstance(t, IacResource):
                cidrs += [c for e in blocks(t.values, "entry") if isinstance(c := e.get("cidr"),
                                                                           str)]
            elif isinstance(t, str):
                ids.append(t)
        return cidrs, ids

    def _rule(self, a: Asset, owner: IacResource, b: dict[str, Any],
              path: str | None) -> dict[str, Any]:
        pl_cidrs, pl_ids = self._prefix_lists(a, owner, b.get("prefix_list_ids"),
                                              f"{path}.prefix_list_ids" if path else
                                              "prefix_list_ids")
        groups: list[str] = []
        if path is None:  # a standalone rule resource
            if b.get("source_security_group_id") is not None:
                t = self.plan.ref(owner, "source_security_group_id", "aws_security_group")
                if (k := self.sg_key(t)) is not None:
                    groups.append(k)
                elif is_unknown(t):
                    self.gap(a, "network", "source_security_group_id", t)
        else:  # an inline block: unknown elements are the groups the configuration names
            v = b.get("security_groups")
            vals = v if isinstance(v, list) else ([v] if v is not None else [])
            for g in vals:
                if isinstance(g, str) and g:
                    groups.append(self.sg_key(self.plan._by_value(g, ("aws_security_group",))
                                              or g) or g)
            if is_unknown(v) or any(not isinstance(g, str) for g in vals):
                refs = [x.address for ref in self.plan._refs(owner, f"{path}.security_groups")
                        for x in self.plan._resolve(ref) if x.type == "aws_security_group"]
                groups += [g for g in refs if g not in groups]
                if not refs:
                    self.gap(a, "network", "ingress security_groups", Unknown())
        if _bool(b.get("self")) is True:
            groups.append(a["id"])
        rule: dict[str, Any] = {
            "protocol": str(b.get("protocol", "-1")),
            "from_port": _int(b.get("from_port")), "to_port": _int(b.get("to_port")),
            "cidrs": [*self._cidrs(a, b.get("cidr_blocks") or [], "cidr_blocks"), *pl_cidrs],
            "ipv6_cidrs": self._cidrs(a, b.get("ipv6_cidr_blocks") or [], "ipv6_cidr_blocks"),
            "security_groups": groups, "prefix_lists": pl_ids,
        }
        if _str(b.get("description")):
            rule["description"] = b["description"]
        return rule

    def _vpc_rule(self, a: Asset, x: IacResource) -> dict[str, Any]:
        v = x.values
        pl_cidrs, pl_ids = self._prefix_lists(a, x, v.get("prefix_list_id"), "prefix_list_id")
        ref = self.plan.ref(x, "referenced_security_group_id", "aws_security_group") \
            if v.get("referenced_security_group_id") is not None else None
        return {
            "protocol": str(v.get("ip_protocol", "-1")),
            "from_port": _int(v.get("from_port")), "to_port": _int(v.get("to_port")),
            "cidrs": [*self._cidrs(a, v.get("cidr_ipv4") or [], "cidr_ipv4"), *pl_cidrs],
            "ipv6_cidrs": self._cidrs(a, v.get("cidr_ipv6") or [], "cidr_ipv6"),
            "security_groups": [k] if (k := self.sg_key(ref)) else [],
            "prefix_lists": pl_ids,
        }

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
_ROUTE_TARGETS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("vpc_peering_connection_id", ("aws_vpc_peering_connection",), "pcx-"),
    ("transit_gateway_id", (), "tgw-"),
    ("gateway_id", ("aws_internet_gateway",), "igw-"),
    ("nat_gateway_id", ("aws_nat_gateway",), "nat-"),
    ("egress_only_gateway_id", (), "eigw-"),
    ("network_interface_id", (), "eni-"),
)


def build_inventory(resources: Iterable[IacResource], *, tool: str,
                    files: list[str]) -> Inventory:
    """The inventory of a plan / stack / program: one asset per mapped store, copy, vault,
    key, network and security group; configuration resources folded into what they configure.
    """
    resources = list(resources)
    plan = _Plan(resources)
    assets = _Mapper(plan).run()
    mapped = sum(1 for r in plan.all if not r.address.startswith("data."))
    sources = [{"type": tool, "file": f,
                "detail": f"{mapped} resources read, {len(assets)} assets"} for f in files]
    return Inventory(
        assets=assets, gaps=[], sources=sources, files=list(files),
        generator={"tool": "dsscan", "version": __version__, "scanner": tool},
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
