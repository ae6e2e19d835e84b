"""S3 buckets: the bucket and the split resources that configure it (encryption, public access
block, policy, ACL, versioning, replication, logging, object lock), or the legacy inline
blocks of provider v3. Who can reach a bucket (blocks, policies, ACLs, access points) is
judged in :mod:`dsscan.scanners.iac.s3_access`.

AWS defaults where the plan leaves the choice to AWS: default encryption is SSE-S3 on every
bucket since January 2023 (and SSE-KMS without a key uses the AWS-managed ``aws/s3`` key); a
bucket created now (or, in a Pulumi export, created since May 2023) has all four public
access block settings on.

**Several resources configuring one bucket** (two ``aws_s3_bucket_policy``, a split resource
beside the inline argument): each apply overwrites the other, and which AWS keeps is the one
applied last — which the plan does not tell. The bucket is judged by the weakest of them,
never by the first one found.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.iac.keys import KEY_TYPES
from dsscan.scanners.iac.plan import Target
from dsscan.scanners.iac.resources import IacResource, configured, is_unknown
from dsscan.scanners.iac.s3_access import PAB_ATTRS, BucketAccessMapping, grants_public
from dsscan.scanners.iac.values import as_bool, as_int, as_str, blocks, get

Asset = dict[str, Any]

# Split configuration resources by role, and the facet one that may be a bucket's (but which
# bucket is not known) leaves not assessed where it could weaken it.
_PARTS = {
    "sse": ("aws_s3_bucket_server_side_encryption_configuration", "encryption"),
    "pab": ("aws_s3_bucket_public_access_block", "access"),
    "policy": ("aws_s3_bucket_policy", "access"),
    "acl": ("aws_s3_bucket_acl", "access"),
    "lock": ("aws_s3_bucket_object_lock_configuration", "access"),
    # Replication could copy the data elsewhere (another region or country): backup facts.
    "replication": ("aws_s3_bucket_replication_configuration", "backup"),
    "versioning": ("aws_s3_bucket_versioning", None),
    "logging": ("aws_s3_bucket_logging", None),
    "lifecycle": ("aws_s3_bucket_lifecycle_configuration", None),
}
SPLIT_TYPES = tuple(t for t, _ in _PARTS.values())
_PRIVATE_CANNED = ("private", "bucket-owner-full-control", "bucket-owner-read",
                   "log-delivery-write", "aws-exec-read")
# Weakest first: the versioning status a bucket has when several resources set it.
_VERSIONING_RANK = {"Disabled": 0, "Suspended": 1, "Enabled": 2}
_KEY_RANK = {"none": 0, "provider_managed": 1, "customer_managed": 2}


def _may_weaken(role: str, r: IacResource) -> bool:
    """Whether a configuration resource that may be a bucket's could make it weaker than
    what the bucket is judged without it: a block or ACL that opens nothing, a lock, a
    versioning... cannot (ignoring them errs towards a finding, never a pass)."""
    if role == "pab":
        return any(as_bool(configured(r.values.get(attr))) is not True
                   for attr in PAB_ATTRS.values())
    if role == "acl":
        acl = configured(r.values.get("acl"))
        return not ((acl is None or acl in _PRIVATE_CANNED) and grants_public(
            blocks(configured(r.values.get("access_control_policy")), "grant"),
            split=True) is False)
    return role in ("policy", "sse", "replication")


class BucketMapping(BucketAccessMapping):
    """Mixed into mapping.Mapper."""

    plan: Any
    asset: Any
    gap: Any
    gap_text: Any
    encryption: Any
    linked: Any

    def bucket(self, r: IacResource) -> None:
        name = as_str(r.values.get("bucket")) or r.name
        a = self.asset(r, "object_store", name)
        a["network"] = None
        attrs = a.setdefault("attributes", {})
        parts, unsure = self._configs(a, r)
        self._bucket_encryption(a, r, parts["sse"])
        if "sse" in unsure and a["encryption"]["at_rest"]["key_type"] == "customer_managed":
            # Another rule may apply: the key may not be the customer key after all. (Had
            # the bucket been judged SSE-S3, no rule could make it weaker.)
            a["encryption"]["at_rest"].update(key_type=None, key_id=None)
            self.gap_text(a, "encryption", f"not assessed until apply: {unsure['sse']} may "
                                           "configure this bucket; which bucket it is for is "
                                           "not known before apply")
        self.bucket_access(a, r, parts, unsure)
        a["backup"] = {"native": {"enabled": False}}
        versioning = [get(v.values, "versioning_configuration.status")
                      for v in parts["versioning"]]
        if self._inline(r, "versioning", bool(parts["versioning"])) is not None:
            on = as_bool(get(r.values, "versioning.enabled"))
            versioning.append("unknown" if is_unknown(on) else "Enabled" if on else "Disabled")
        if versioning:
            known = [v for v in versioning if v in _VERSIONING_RANK]
            attrs["versioning"] = min(known, key=_VERSIONING_RANK.__getitem__) \
                if len(known) == len(versioning) else "unknown"
        elif not self.plan.maybe_pointing_at(r, (_PARTS["versioning"][0],), ("bucket",)):
            # Nothing configures versioning (and nothing may): the bucket is created
            # unversioned (DS-RET-001: its expired objects leave no noncurrent versions).
            attrs["versioning"] = "Disabled"
        attrs["replication_targets"] = self._replication(a, r, parts["replication"])
        attrs["replication_delete_markers"] = self._delete_markers(r, parts["replication"])
        attrs["access_logging"] = bool(parts["logging"] or configured(
            r.values.get("logging")))
        self._lock(a, r, parts["lock"])

    @staticmethod
    def _inline(r: IacResource, attr: str, split: bool) -> Any:
        """The resource's own (legacy inline) argument, when it configures it: always when no
        split resource does; beside split resources, only when the configuration sets it
        (otherwise it is the provider's read-back of what the split ones set). Pulumi names
        repeated blocks in the plural (``grants``)."""
        key = attr if attr in r.values or attr + "s" not in r.values else attr + "s"
        value = configured(r.values.get(key))
        if value is None or (not is_unknown(value) and not value) or (
                split and not r.sets(key)):
            return None
        return value

    def _configs(self, a: Asset, bucket: IacResource) -> tuple[dict[str, list[IacResource]],
                                                               dict[str, str]]:
        """The split configuration resources of a bucket, by role (every one: several may
        configure one bucket), and the roles some resource may fill whose bucket cannot be
        told (ambiguous or unknown reference), with that resource's address: what those
        configure is not assessed where they could make the bucket weaker."""
        out: dict[str, list[IacResource]] = {}
        unsure: dict[str, str] = {}
        for role, (t, aspect) in _PARTS.items():
            # SSE: a gap only if the bucket is judged customer-keyed (bucket()).
            hits, maybe = self.linked(a, bucket, (t,), ("bucket",),
                                      aspect=aspect if role != "sse" else None,
                                      what="configure {target}",
                                      weakens=lambda m, role=role: _may_weaken(role, m))
            out[role] = list(hits)
            if maybe and aspect:
                unsure[role] = maybe[0].address
        return out, unsure

    # -- encryption
    def _bucket_encryption(self, a: Asset, r: IacResource, sse: list[IacResource]) -> None:
        """The split resources' rules and the legacy inline block (configured: not computed
        by provider v4+), else SSE-S3, the default of every bucket since January 2023.
        Several that differ: the weakest (no key < AWS-managed < customer-managed)."""
        sources: list[tuple[IacResource, str, dict[str, Any]]] = [
            (x, "rule", x.values) for x in sse]
        inline = self._inline(r, "server_side_encryption_configuration", bool(sse))
        if inline is not None:
            sources.append((r, "server_side_encryption_configuration.rule",
                            {"server_side_encryption_configuration": inline}))
        if not sources:
            a["encryption"] = {"at_rest": {"enabled": True, "key_type": "provider_managed",
                                           "key_id": None, "algorithm": "AES256"}}
            return
        judged = [self._one_encryption(a, *s) for s in sources]
        known = [e for e in judged if e["key_type"] in _KEY_RANK]
        weakest = min(known, key=lambda e: _KEY_RANK[e["key_type"]]) if known else None
        # S3 always encrypts: nothing an unknown rule says is weaker than an AWS-managed key.
        if weakest is not None and (len(known) == len(judged)
                                    or weakest["key_type"] in ("none", "provider_managed")):
            if len({(e["key_type"], e["key_id"]) for e in known if e["key_type"] ==
                    weakest["key_type"]}) > 1:
                weakest = {**weakest, "key_id": None}  # same kind of key, different keys
            a["encryption"] = {"at_rest": weakest}
        else:  # one of them is unknown, and none is as weak as can be
            a["encryption"] = {"at_rest": next(e for e in judged
                                               if e["key_type"] not in _KEY_RANK)}

    def _one_encryption(self, a: Asset, owner: IacResource, base: str,
                        src: dict[str, Any]) -> dict[str, Any]:
        default = configured(get(src, f"{base}.apply_server_side_encryption_by_default"))
        none: dict[str, Any] = {"enabled": None, "key_type": None, "key_id": None}
        if is_unknown(default):
            self.gap(a, "encryption", "the bucket encryption rule", default)
            return none
        algo = configured(get(default, "sse_algorithm")) if default else None
        if is_unknown(algo):
            self.gap(a, "encryption", "sse_algorithm", algo)
            return {**none, "enabled": True}
        if isinstance(algo, str) and algo.startswith("aws:kms"):
            key: Target = self.plan.ref(owner, f"{base}.apply_server_side_encryption_by_default"
                                               ".kms_master_key_id", *KEY_TYPES)
            enc = self.encryption(a, True, key, key_attr="kms_master_key_id",
                                  enabled_attr="sse_algorithm", default_key="alias/aws/s3")
            return {**enc["at_rest"], "algorithm": algo}
        return {"enabled": True, "key_type": "provider_managed", "key_id": None,
                "algorithm": algo or "AES256"}

    # -- copies and locks
    def _replication(self, a: Asset, r: IacResource, reps: list[IacResource]) -> list[str]:
        """Replication targets. Several configurations that differ: every target they name
        (where the data may go), and the backup facet not assessed (which one AWS keeps is
        not told, so no one of them can be counted on as the bucket's copy)."""
        configs: list[list[str]] = [self._targets(rep, blocks(rep.values, "rule"))
                                    for rep in reps]
        inline = self._inline(r, "replication_configuration", bool(reps))
        if is_unknown(inline):  # e.g. a dynamic block over values known at apply
            self.gap(a, "backup", "replication_configuration (where copies go)", inline)
        elif inline is not None:
            configs.append(self._targets(None, blocks(inline, "rules")))
        if len({tuple(c) for c in configs}) > 1:
            self.gap_text(a, "backup", "several replication configurations configure this "
                                       "bucket: which one AWS keeps (the last applied) is not "
                                       "known before apply")
        return list(dict.fromkeys(t for c in configs for t in c))

    def _delete_markers(self, r: IacResource, reps: list[IacResource]) -> dict[str, str | None]:
        """Per replication target: whether delete markers are replicated to it (the weakest
        enabled rule decides; see scanners/aws/s3.delete_markers). ``rule.
        delete_marker_replication.status`` of aws_s3_bucket_replication_configuration, or the
        legacy inline ``delete_marker_replication_status`` (only "Enabled"; omitted means
        disabled). A rule without ``filter`` is a V1 rule, which replicates them."""
        found: list[tuple[str, str | None]] = []
        for rep in reps:
            for i, rule in enumerate(blocks(rep.values, "rule")):
                dmr = get(rule, "delete_marker_replication.status")
                status = (dmr if dmr in ("Enabled", "Disabled") else None) if \
                    get(rule, "delete_marker_replication") not in (None, []) else (
                        None if blocks(rule, "filter") else "Enabled")
                found += [(t, status) for t in self._targets(rep if i == 0 else None, [rule])]
        inline = self._inline(r, "replication_configuration", bool(reps))
        if inline is not None and not is_unknown(inline):
            for rule in blocks(inline, "rules"):
                dmr = get(rule, "delete_marker_replication_status")
                status = ("Enabled" if dmr == "Enabled" or not blocks(rule, "filter")
                          else None if is_unknown(dmr) else "Disabled")
                found += [(t, status) for t in self._targets(None, [rule])]
        out: dict[str, str | None] = {}
        for target, status in found:
            have = out.get(target, "Disabled")
            out[target] = ("Enabled" if "Enabled" in (have, status)
                           else None if None in (have, status) else "Disabled")
        return out

    def _targets(self, rep: IacResource | None, rules: list[dict[str, Any]]) -> list[str]:
        targets = []
        for i, rule in enumerate(rules):
            if get(rule, "status") not in ("Enabled", None):
                continue
            dest: Target = None
            if rep and i == 0:
                dest = self.plan.ref(rep, "rule.destination.bucket", "aws_s3_bucket")
            else:
                dest = as_str(get(rule, "destination.bucket"))
            if isinstance(dest, str):
                dest = self.plan.find_by_value(dest, ("aws_s3_bucket",)) or dest
            if isinstance(dest, IacResource):
                targets.append(dest.address)
            elif isinstance(dest, str):
                targets.append(dest)
        return targets

    def _lock(self, a: Asset, r: IacResource, locks: list[IacResource]) -> None:
        """Object lock: the weakest of several configurations (governance below compliance,
        the shortest retention)."""
        if not locks:
            a["access"]["lock"] = {"enabled": as_bool(r.values.get("object_lock_enabled"))
                                   is True}
            return
        modes: list[str | None] = []
        days: list[int | None] = []
        for lock in locks:
            rule = get(lock.values, "rule.default_retention")
            d = as_int(get(rule, "days")) if isinstance(rule, dict | list) else None
            y = as_int(get(rule, "years")) if isinstance(rule, dict | list) else None
            mode = get(rule, "mode") if isinstance(rule, dict | list) else None
            modes.append(mode.lower() if isinstance(mode, str) else None)
            days.append(d or (y * 365 if y else None))
        mode = modes[0] if len(set(modes)) == 1 else (
            "governance" if "governance" in modes else None)
        a["access"]["lock"] = {"enabled": True, "mode": mode,
                               "min_retention_days": min(days) if None not in days else None}
