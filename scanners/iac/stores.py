"""Databases and the other stores: RDS instances and clusters (Aurora, Neptune, DocumentDB),
DynamoDB, EBS volumes (standalone, and the root and data volumes of EC2 instances, launch
templates and launch configurations), Redshift, EFS, ElastiCache (replication groups and
single-node clusters) and OpenSearch/Elasticsearch domains — in the shape the live scanner
gives them.

A fact the configuration does not set (absent, or computed by the provider) takes the
service's documented default; a fact set from something known only after apply is a gap.
"""

from __future__ import annotations

import json
from typing import Any

from dsscan.scanners.aws.policydoc import judge
from dsscan.scanners.iac.keys import KEY_TYPES
from dsscan.scanners.iac.resources import IacResource, Unknown, configured, is_unknown
from dsscan.scanners.iac.sharing import documents_readers
from dsscan.scanners.iac.values import as_bool, as_json, as_str, blocks, get

Asset = dict[str, Any]

# RDS-API clusters: (key attribute, subnet group attribute and type, member type, default key).
CLUSTERS: dict[str, tuple[str, str, str, str]] = {
    "aws_rds_cluster": ("kms_key_id", "db_subnet_group_name", "aws_db_subnet_group",
                        "aws_rds_cluster_instance"),
    "aws_neptune_cluster": ("kms_key_arn", "neptune_subnet_group_name",
                            "aws_neptune_subnet_group", "aws_neptune_cluster_instance"),
    "aws_docdb_cluster": ("kms_key_id", "db_subnet_group_name", "aws_docdb_subnet_group",
                          "aws_docdb_cluster_instance"),
}
# Instance-like resources whose block devices are EBS volumes.
_BLOCK_DEVICE_OWNERS = ("aws_instance", "aws_launch_template", "aws_launch_configuration")


def _judged(raw: Any, service: str) -> bool | None:
    """Whether a resource policy document is public (None: unknown or not judged)."""
    doc = None if is_unknown(raw) else as_json(raw)
    return judge(doc, service).public if doc is not None else None


def a_name(r: IacResource) -> str:
    tags = r.values.get("tags")
    name = tags.get("Name") if isinstance(tags, dict) else None
    return name if isinstance(name, str) and name else r.name


class StoreMapping:
    """Mixed into mapping.Mapper."""

    plan: Any
    asset: Any
    gap: Any
    gap_text: Any
    encryption: Any
    native_backup: Any
    subnet_group: Any
    subnets: Any
    sg_ids: Any
    net_key: Any
    linked: Any

    def db_instance(self, r: IacResource) -> None:
        a = self.asset(r, "database", as_str(r.values.get("identifier")) or r.name)
        key = self.plan.ref(r, "kms_key_id", *KEY_TYPES)
        a["encryption"] = self.encryption(a, r.values.get("storage_encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="storage_encrypted",
                                          default_key="alias/aws/rds")
        subnets, vpc = self.subnet_group(r, "db_subnet_group_name", "aws_db_subnet_group", a)
        public = as_bool(configured(r.values.get("publicly_accessible")))
        if is_unknown(public):
            self.gap(a, "network", "publicly_accessible", public)
            public = None
        elif public is None:
            public = False
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "vpc_security_group_ids", a),
                        "publicly_accessible": public}
        a["access"] = {"public": public}
        src = self.plan.ref(r, "replicate_source_db", "aws_db_instance")
        # AWS keeps automated backups 1 day unless told otherwise (0 for a read replica).
        a["backup"] = self.native_backup(a, r.values.get("backup_retention_period"),
                                         "backup_retention_period", 0 if src else 1)
        if isinstance(src, IacResource):
            a["replica_of"] = [src.address]

    def cluster(self, r: IacResource) -> None:
        """An Aurora, Neptune or DocumentDB cluster: the store (as the live scanner: its
        member instances are not assets of their own)."""
        key_attr, group_attr, group_type, member_type = CLUSTERS[r.type]
        a = self.asset(r, "database", as_str(r.values.get("cluster_identifier")) or r.name)
        key = self.plan.ref(r, key_attr, *KEY_TYPES)
        # Aurora Serverless v1 is always encrypted; otherwise not unless asked.
        serverless = configured(r.values.get("engine_mode")) == "serverless"
        a["encryption"] = self.encryption(a, r.values.get("storage_encrypted"), key,
                                          key_attr=key_attr, enabled_attr="storage_encrypted",
                                          default=serverless, default_key="alias/aws/rds")
        subnets, vpc = self.subnet_group(r, group_attr, group_type, a)
        members, unsure = self.linked(
            a, r, (member_type,), ("cluster_identifier",), aspect="network",
            what="be a member instance of {target}",
            weakens=lambda m: as_bool(configured(m.values.get("publicly_accessible")))
            is not False)
        flags = [as_bool(configured(m.values.get("publicly_accessible"))) for m in members]
        public: bool | None = True if True in flags else (
            None if unsure or any(is_unknown(f) for f in flags) else False)
        if any(is_unknown(f) for f in flags) and True not in flags:
            self.gap_text(a, "network", "not assessed until apply: whether a member instance "
                                        "is publicly accessible is not known before apply")
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "vpc_security_group_ids", a),
                        "publicly_accessible": public}
        a["access"] = {"public": public}
        a["backup"] = self.native_backup(a, r.values.get("backup_retention_period"),
                                         "backup_retention_period", 1)
        engine = as_str(r.values.get("engine"))
        if engine:
            a.setdefault("attributes", {})["engine"] = engine

    def dynamodb(self, r: IacResource) -> None:
        a = self.asset(r, "table", as_str(r.values.get("name")) or r.name)
        a["network"] = None
        sse = configured(r.values.get("server_side_encryption"))
        enabled = configured(get(sse, "enabled")) if sse else None
        if is_unknown(sse) or is_unknown(enabled):
            a["encryption"] = self.encryption(a, enabled if sse else sse, None,
                                              key_attr="kms_key_arn",
                                              enabled_attr="server_side_encryption.enabled")
        elif as_bool(enabled) is True:  # KMS: the given key, else the AWS-managed one
            key = self.plan.ref(r, "server_side_encryption.kms_key_arn", *KEY_TYPES)
            a["encryption"] = self.encryption(a, True, key, key_attr="kms_key_arn",
                                              enabled_attr="server_side_encryption.enabled",
                                              default_key="alias/aws/dynamodb")
        else:  # no SSE (or SSE off): an AWS-owned key, always on
            a["encryption"] = {"at_rest": {"enabled": True, "key_type": "provider_managed",
                                           "key_id": None}}
        # A table is reached through DynamoDB's public endpoint: its resource policy decides.
        readers: dict[str, Any] = {}
        public, wildcard = self.resource_policies(
            a, r, ("aws_dynamodb_resource_policy",), "resource_arn", "policy",
            service="dynamodb", what="table resource policy", readers=readers)
        a["access"] = {"public": public, "wildcard_principal": wildcard,
                       "readers": readers.get("readers")}  # DS-SHR-001/002
        pitr = as_bool(configured(get(r.values, "point_in_time_recovery.enabled")))
        if is_unknown(pitr):
            self.gap(a, "backup", "point_in_time_recovery", pitr)
            pitr = None
        elif pitr is None:  # not configured: off
            pitr = False
        a["backup"] = {"native": {"enabled": pitr is True if pitr is not None else None,
                                  "point_in_time_recovery": bool(pitr) if pitr is not None
                                  else None}}
        a["replicas"] = self._table_replicas(a, r)

    def _table_replicas(self, a: Asset, r: IacResource) -> list[dict[str, Any]]:
        """The global table's replicas (DS-XBR-001: where copies of the data are): inline
        ``replica`` blocks (``region_name``) and ``aws_dynamodb_table_replica`` resources (in
        their provider's region). A region not known before apply is null, with a gap: the
        copy is not assessed, never left out."""
        out: list[dict[str, Any]] = []
        raw = configured(r.values.get("replica", r.values.get("replicas")))  # Pulumi: plural
        if is_unknown(raw):  # e.g. a dynamic "replica" block over values known at apply
            self.gap(a, "backup", "replica (where the table's copies are)", raw)
            out.append({"id": f"{r.address}.replica", "region": None})
        for i, b in enumerate(raw if isinstance(raw, list) else []):
            region = configured(get(b, "region_name")) if isinstance(b, dict) else None
            if is_unknown(region) or not isinstance(region, str) or not region:
                self.gap(a, "backup", f"replica[{i}].region_name",
                         region if is_unknown(region) else Unknown())
                region = None
            out.append({"id": f"{r.address}.replica[{region or i}]", "region": region})
        hits, _ = self.linked(a, r, ("aws_dynamodb_table_replica",),
                              ("global_table_arn",), aspect="backup",
                              what="be a replica of {target} (in a region of its own)")
        for rep in hits:
            if not rep.region:
                self.gap_text(a, "backup", f"not assessed: the region of the replica "
                                           f"{rep.address} (its provider's) is not known")
            out.append({"id": rep.address, "region": rep.region})
        return out

    def maybe_readers(self, r: IacResource, types: tuple[str, ...], ref: str, attr: str,
                      service: str, hits: list[IacResource]) -> bool:
        """DS-SHR-001/002: whether a policy resource that may be ``r``'s (its reference cannot
        be traced) may let someone read it — a policy need not be public to let another
        account read (``linked``'s ``weakens`` asks about public exposure only)."""
        for m in self.plan.maybe_pointing_at(r, types, (ref,)):
            got = None if m in hits else documents_readers([m.values.get(attr)], service)
            if m not in hits and (got is None or any(
                    p.get("account") is None or p.get("account") != r.account for p in got)):
                return True
        return False

    def resource_policies(self, a: Asset, r: IacResource, types: tuple[str, ...], ref: str,
                          attr: str, *, service: str, what: str,
                          inline: Any = None, readers: dict[str, Any] | None = None
                          ) -> tuple[bool | None, bool | None]:
        """(public, wildcard principal) of the resource policies attached to ``r`` (resources
        of ``types`` whose ``ref`` attribute names it, and an ``inline`` document), judged by
        policydoc.judge; None where a policy, or which resource it is for, is unknown."""
        hits, unknown = self.linked(a, r, types, (ref,), aspect="access",
                                    what=f"be the {what} of {{target}}",
                                    weakens=lambda p: _judged(p.values.get(attr), service)
                                    is not False)
        policies = [p.values.get(attr) for p in hits]
        public = wildcard = False
        if inline is not None:
            policies.append(inline)
        if readers is not None:  # DS-SHR-001/002: who the documents let read the store
            readers["readers"] = documents_readers(
                policies, service, bool(unknown) or self.maybe_readers(r, types, ref, attr,
                                                                       service, hits))
        for p in policies:
            if is_unknown(p):
                self.gap(a, "access", f"the {what}", p)
                unknown = True
                continue
            doc = as_json(p)
            verdict = judge(doc, service) if doc is not None else None
            if verdict is None or verdict.public is None:
                why = verdict.reasons[0] if verdict and verdict.reasons else \
                    "it is not a JSON policy document"
                self.gap_text(a, "access", f"the {what} could not be judged: {why}")
                unknown = True
                continue
            public = public or bool(verdict.public)
            wildcard = wildcard or bool(verdict.wildcard_principal)
        # A known public policy is public whatever else is unknown; otherwise unknown wins.
        return (True if public else None if unknown else False,
                True if wildcard else None if unknown else False)

    # -- EBS
    def ebs_default(self, r: IacResource) -> tuple[bool | None, Any]:
        """The account's EBS encryption by default in ``r``'s region, as the plan manages it:
        (on?, the default key reference); None when the plan does not say."""
        def here(x: IacResource) -> bool:
            return x.region == r.region and (x.account is None or r.account is None
                                             or x.account == r.account)

        on: bool | None = None
        for x in self.plan.of_type("aws_ebs_encryption_by_default"):
            if here(x):
                v = as_bool(configured(x.values.get("enabled")))
                on = True if v is None else (None if is_unknown(v) else v)
        key = None
        for x in self.plan.of_type("aws_ebs_default_kms_key"):
            if here(x):
                key = self.plan.ref(x, "key_arn", *KEY_TYPES)
        return on, key

    def volume_encryption(self, a: Asset, r: IacResource, enc: Any, key: Any,
                          where: str) -> dict[str, Any]:
        """A volume's encryption: ``encrypted`` as set, else the account's EBS encryption by
        default when the plan manages it, else not known (AWS decides, from the account
        setting or the snapshot the volume is made from)."""
        key = configured(key)
        if configured(enc) is not None:
            return self.encryption(a, enc, key, key_attr=f"{where}kms_key_id",
                                   enabled_attr=f"{where}encrypted", default_key="alias/aws/ebs")
        on, default_key = self.ebs_default(r)
        if on is None:
            self.gap_text(a, "encryption", f"{where}encrypted is not set: the volume is encrypted "
                                           "only if the account's EBS encryption by default is "
                                           "on (or its snapshot is encrypted), which this plan "
                                           "does not manage; set encrypted = true")
        return self.encryption(a, on, key or default_key, key_attr=f"{where}kms_key_id",
                               enabled_attr=f"{where}encrypted", default=on,
                               default_key="alias/aws/ebs")

    def ebs_volume(self, r: IacResource) -> None:
        a = self.asset(r, "volume", a_name(r))
        key = self.plan.ref(r, "kms_key_id", *KEY_TYPES)
        a["encryption"] = self.volume_encryption(a, r, r.values.get("encrypted"), key, "")
        a["network"] = None
        a["backup"] = {"native": {"enabled": False}}

    def block_devices(self, r: IacResource) -> None:
        """The EBS volumes an instance (launch template, launch configuration) gets: its root
        volume, always, and each EBS block device — one volume asset each, as live."""
        devices: list[tuple[str, str, dict[str, Any], str]] = []  # id suffix, name, block, path
        if r.type == "aws_launch_template":
            for b in blocks(r.values, "block_device_mappings"):
                dev = as_str(b.get("device_name")) or "?"
                ebs = get(b, "ebs")
                if isinstance(ebs, dict | list):
                    devices.append((f"block_device_mappings[{json.dumps(dev)}]", dev,
                                    blocks(b, "ebs")[0] if blocks(b, "ebs") else {},
                                    "block_device_mappings.ebs."))
        else:
            root = blocks(r.values, "root_block_device")  # none configured: still a root
            devices.append(("root_block_device", "root", root[0] if root else {},
                            "root_block_device."))
            for b in blocks(r.values, "ebs_block_device"):
                dev = as_str(b.get("device_name")) or "?"
                devices.append((f"ebs_block_device[{json.dumps(dev)}]", dev, b,
                                "ebs_block_device."))
        volume_tags = configured(r.values.get("volume_tags"))
        if r.type == "aws_launch_template":
            volume_tags = next((get(t, "tags") for t in blocks(r.values, "tag_specifications")
                                if get(t, "resource_type") == "volume"), None)
        for suffix, dev, block, path in devices:
            tags = configured(block.get("tags")) or volume_tags
            name = (tags.get("Name") if isinstance(tags, dict) else None) or f"{r.name} {dev}"
            a = self.asset(r, "volume", str(name), ident=f"{r.address}.{suffix}", tags=tags)
            key = self.plan.ref(r, f"{path}kms_key_id", *KEY_TYPES) \
                if configured(block.get("kms_key_id")) is not None else None
            a["encryption"] = self.volume_encryption(a, r, block.get("encrypted"), key, path)
            a["network"] = None
            a["backup"] = {"native": {"enabled": False}}
            attrs = a.setdefault("attributes", {})
            attrs["attached_to"] = [r.address] if r.type == "aws_instance" else []
            attrs["device_name"] = dev
            if isinstance(block.get("volume_type"), str):
                attrs["volume_type"] = block["volume_type"]

    # -- warehouses, file systems, caches, search domains
    def redshift(self, r: IacResource) -> None:
        a = self.asset(r, "warehouse", as_str(r.values.get("cluster_identifier")) or r.name)
        key = self.plan.ref(r, "kms_key_id", *KEY_TYPES)
        # Since January 2025 AWS encrypts every new provisioned cluster (an AWS-owned key
        # unless one is given); provider v6 / pulumi-aws 7 default to it too.
        a["encryption"] = self.encryption(a, r.values.get("encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="encrypted",
                                          default=True)
        subnets, vpc = self.subnet_group(r, "cluster_subnet_group_name",
                                         "aws_redshift_subnet_group", a)
        public = as_bool(configured(r.values.get("publicly_accessible")))
        if is_unknown(public):
            self.gap(a, "network", "publicly_accessible", public)
            public = None
        elif public is None:  # not public by default since January 2025 (provider v6 too)
            public = False
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "vpc_security_group_ids", a),
                        "publicly_accessible": public}
        a["access"] = {"public": public}
        a["backup"] = self.native_backup(a, r.values.get("automated_snapshot_retention_period"),
                                         "automated_snapshot_retention_period", 1)

    def efs(self, r: IacResource) -> None:
        a = self.asset(r, "file_system", a_name(r))
        key = self.plan.ref(r, "kms_key_id", *KEY_TYPES)
        a["encryption"] = self.encryption(a, r.values.get("encrypted"), key,
                                          key_attr="kms_key_id", enabled_attr="encrypted",
                                          default_key="alias/aws/elasticfilesystem")
        subnets: list[str] = []
        groups: list[str] = []
        vpc = None
        mounts, _ = self.linked(a, r, ("aws_efs_mount_target",), ("file_system_id",),
                                aspect="network",
                                what="place {target} in a subnet (a mount target)")
        for m in mounts:
            s = self.plan.ref(m, "subnet_id", "aws_subnet")
            if (k := self.net_key(s)) is not None:
                subnets.append(k)
            elif is_unknown(s):
                self.gap(a, "network", f"the subnet of {m.address}", s)
            if isinstance(s, IacResource):
                vpc = vpc or self.net_key(self.plan.ref(s, "vpc_id", "aws_vpc"))
            groups += self.sg_ids(m, "security_groups", a)
        a["network"] = {"vpc_id": vpc, "subnets": sorted(set(subnets)),
                        "security_groups": sorted(set(groups)), "publicly_accessible": False}
        a["access"] = {"public": False}
        policies, unsure = self.linked(
            a, r, ("aws_efs_backup_policy",), ("file_system_id",), aspect="backup",
            what="be the backup policy of {target}",
            weakens=lambda p: get(p.values, "backup_policy.status") not in ("ENABLED",
                                                                          "ENABLING"))
        # Several policies: the weakest (AWS keeps the last applied).
        states = [get(p.values, "backup_policy.status") for p in policies] or ["DISABLED"]
        for st in states:
            if is_unknown(st):
                self.gap(a, "backup", "backup_policy.status", st)
        on = [None if is_unknown(st) else st in ("ENABLED", "ENABLING") for st in states]
        enabled = False if False in on else (None if None in on or unsure else True)
        a["backup"] = {"native": {"enabled": enabled}}

    def elasticache(self, r: IacResource) -> None:
        a = self.asset(r, "cache", as_str(r.values.get("replication_group_id")) or r.name)
        key = self.plan.ref(r, "kms_key_id", *KEY_TYPES)
        a["encryption"] = self.encryption(a, r.values.get("at_rest_encryption_enabled"), key,
                                          key_attr="kms_key_id",
                                          enabled_attr="at_rest_encryption_enabled")
        self._cache_network(a, r)
        a["backup"] = self.native_backup(a, r.values.get("snapshot_retention_limit"),
                                         "snapshot_retention_limit", 0)

    def elasticache_cluster(self, r: IacResource) -> None:
        """A cluster outside a replication group: a single-node Redis or a Memcached
        cluster. Neither can be encrypted at rest (CreateCacheCluster has no such option)."""
        if configured(r.values.get("replication_group_id")) is not None:
            return  # a member of a replication group: that group is the store
        a = self.asset(r, "cache", as_str(r.values.get("cluster_id")) or r.name)
        a["encryption"] = {"at_rest": {"enabled": False, "key_type": "none", "key_id": None}}
        self._cache_network(a, r)
        engine = as_str(r.values.get("engine"))
        a["backup"] = self.native_backup(
            a, r.values.get("snapshot_retention_limit") if engine != "memcached" else 0,
            "snapshot_retention_limit", 0)
        if engine:
            a.setdefault("attributes", {})["engine"] = engine

    def _cache_network(self, a: Asset, r: IacResource) -> None:
        subnets, vpc = self.subnet_group(r, "subnet_group_name", "aws_elasticache_subnet_group",
                                         a)
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "security_group_ids", a),
                        "publicly_accessible": False}
        a["access"] = {"public": False}

    def search_domain(self, r: IacResource) -> None:
        """An OpenSearch or Elasticsearch domain: a database of documents. Outside a VPC it
        has a public endpoint, open to whoever its access policy lets in."""
        a = self.asset(r, "database", as_str(r.values.get("domain_name")) or r.name)
        key = self.plan.ref(r, "encrypt_at_rest.kms_key_id", *KEY_TYPES)
        rest = configured(r.values.get("encrypt_at_rest"))
        a["encryption"] = self.encryption(
            a, get(rest, "enabled") if rest is not None else None, key,
            key_attr="encrypt_at_rest.kms_key_id", enabled_attr="encrypt_at_rest.enabled",
            default_key="alias/aws/es")
        vpc_opts = configured(r.values.get("vpc_options"))
        in_vpc = bool(blocks(r.values, "vpc_options")) if not is_unknown(vpc_opts) else None
        subnets: list[str] = []
        vpc = None
        if in_vpc:
            subnets, vpc = self.subnets(r, "vpc_options.subnet_ids", a)
        a["network"] = {"vpc_id": vpc, "subnets": subnets,
                        "security_groups": self.sg_ids(r, "vpc_options.security_group_ids", a)
                        if in_vpc else [],
                        "publicly_accessible": None if in_vpc is None else not in_vpc}
        public, _ = self.resource_policies(
            a, r, ("aws_opensearch_domain_policy", "aws_elasticsearch_domain_policy"),
            "domain_name", "access_policies", service="es", what="domain access policy",
            inline=configured(r.values.get("access_policies")))
        network_public = a["network"]["publicly_accessible"]
        a["access"] = {"public": False if network_public is False else (
            None if network_public is None or public is None else public)}
        # Automated snapshots: hourly, kept 14 days by the service.
        a["backup"] = {"native": {"enabled": True, "retention_days": 14}}
