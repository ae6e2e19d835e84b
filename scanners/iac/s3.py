"""S3 buckets: the bucket and the split resources that configure it (encryption, public access
block, policy, ACL, versioning, replication, logging, object lock), or the legacy inline
blocks of provider v3.

AWS defaults where the plan leaves the choice to AWS: default encryption is SSE-S3 on every
bucket since January 2023 (and SSE-KMS without a key uses the AWS-managed ``aws/s3`` key); a
bucket created now (or, in a Pulumi export, created since May 2023) has all four public
access block settings on.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.policydoc import (
    any_true,
    blocks_of,
    denies_insecure_transport,
    exposed,
    judge,
)
from dsscan.scanners.iac.keys import KEY_TYPES
from dsscan.scanners.iac.plan import Target
from dsscan.scanners.iac.resources import IacResource, configured, is_unknown
from dsscan.scanners.iac.values import as_bool, as_int, as_json, as_str, blocks, get

Asset = dict[str, Any]

PAB_ATTRS = {"BlockPublicAcls": "block_public_acls", "IgnorePublicAcls": "ignore_public_acls",
             "BlockPublicPolicy": "block_public_policy",
             "RestrictPublicBuckets": "restrict_public_buckets"}
# Split configuration resources by role, and the facet an unlinked one leaves unknown.
_PARTS = {
    "sse": ("aws_s3_bucket_server_side_encryption_configuration", "encryption"),
    "pab": ("aws_s3_bucket_public_access_block", "access"),
    "policy": ("aws_s3_bucket_policy", "access"),
    "acl": ("aws_s3_bucket_acl", "access"),
    "lock": ("aws_s3_bucket_object_lock_configuration", "access"),
    "versioning": ("aws_s3_bucket_versioning", None),
    "replication": ("aws_s3_bucket_replication_configuration", None),
    "logging": ("aws_s3_bucket_logging", None),
    "lifecycle": ("aws_s3_bucket_lifecycle_configuration", None),
}
# The public access block became the default of new buckets in April 2023 (rolled out by
# the end of the month): a bucket a stack created after that got it.
PAB_DEFAULT_SINCE = "2023-05-01"


_MAYBE = "; which bucket it is for is not known before apply"


def _may_weaken(role: str, r: IacResource) -> bool:
    """Whether a configuration resource that may be a bucket's could make it weaker than
    what the bucket is judged without it: a block or ACL that opens nothing, a lock, a
    versioning... cannot (ignoring them errs towards a finding, never a pass)."""
    if role == "pab":
        return any(as_bool(configured(r.values.get(attr))) is not True
                   for attr in PAB_ATTRS.values())
    if role == "acl":
        acl = configured(r.values.get("acl"))
        return not (acl in ("private", "bucket-owner-full-control", "bucket-owner-read",
                            "log-delivery-write")
                    and configured(r.values.get("access_control_policy")) in (None, []))
    return role in ("policy", "sse")


def created_new(r: IacResource) -> bool:
    """Created by this plan/preview, or (an export) created since the PAB default."""
    if r.action in ("create", "replace"):
        return True
    return r.action is None and isinstance(r.created, str) and r.created >= PAB_DEFAULT_SINCE


class BucketMapping:
    """Mixed into mapping.Mapper."""

    plan: Any
    asset: Any
    gap: Any
    gap_text: Any
    encryption: Any

    def account_pab(self) -> dict[str, Any]:
        """Account-wide public access block settings the plan turns on."""
        out: dict[str, Any] = {}
        for r in self.plan.of_type("aws_s3_account_public_access_block"):
            for k, attr in PAB_ATTRS.items():
                if as_bool(r.values.get(attr)) is True:
                    out[k] = True
        return out

    def bucket(self, r: IacResource) -> None:
        name = as_str(r.values.get("bucket")) or r.name
        a = self.asset(r, "object_store", name)
        a["network"] = None
        attrs = a.setdefault("attributes", {})
        parts, unsure = self._configs(a, r)
        self._bucket_encryption(a, r, parts.get("sse"))
        if "sse" in unsure and a["encryption"]["at_rest"]["key_type"] == "customer_managed":
            # Another rule may apply: the key may not be the customer key after all. (Had
            # the bucket been judged SSE-S3, no rule could make it weaker.)
            a["encryption"]["at_rest"].update(key_type=None, key_id=None)
            self.gap_text(a, "encryption", f"not assessed until apply: {unsure['sse']} may "
                                           f"configure this bucket{_MAYBE}")
        self._bucket_access(a, r, parts, unsure)
        a["backup"] = {"native": {"enabled": False}}
        if parts.get("versioning"):
            status = get(parts["versioning"].values, "versioning_configuration.status")
            attrs["versioning"] = status if isinstance(status, str) else "unknown"
        elif isinstance(r.values.get("versioning"), dict | list):
            attrs["versioning"] = "Enabled" if as_bool(get(r.values, "versioning.enabled")) \
                else "Disabled"
        attrs["replication_targets"] = self._replication(r, parts.get("replication"))
        attrs["access_logging"] = bool(parts.get("logging") or configured(
            r.values.get("logging")))

    def _configs(self, a: Asset, bucket: IacResource) -> tuple[dict[str, IacResource],
                                                               dict[str, str]]:
        """The split configuration resources of a bucket, by role, and the roles some
        resource may fill whose bucket cannot be told (ambiguous or unknown reference), with
        that resource's address: what those configure is not assessed where they could make
        the bucket weaker than it is judged without them."""
        out: dict[str, IacResource] = {}
        unsure: dict[str, str] = {}
        for role, (t, aspect) in _PARTS.items():
            hits = self.plan.pointing_at(bucket, (t,), ("bucket",))
            if hits:
                out[role] = hits[0]
            maybe = [m for m in self.plan.maybe_pointing_at(bucket, (t,), ("bucket",))
                     if m not in hits and _may_weaken(role, m)]
            if maybe and aspect:
                unsure[role] = maybe[0].address
                if role != "sse":  # SSE: only if the bucket is judged customer-keyed
                    self.gap_text(a, aspect, f"not assessed until apply: {maybe[0].address} "
                                             f"may configure this bucket{_MAYBE}")
        return out, unsure

    def _bucket_encryption(self, a: Asset, r: IacResource, sse: IacResource | None) -> None:
        # The split resource, else the legacy inline block (configured: not computed by
        # provider v4+), else SSE-S3, the default of every bucket since January 2023.
        owner, base = (sse, "rule") if sse else (
            r, "server_side_encryption_configuration.rule")
        src = sse.values if sse else {"server_side_encryption_configuration": configured(
            r.values.get("server_side_encryption_configuration"))}
        default = configured(get(src, f"{base}.apply_server_side_encryption_by_default"))
        none: dict[str, Any] = {"enabled": None, "key_type": None, "key_id": None}
        if is_unknown(default):
            self.gap(a, "encryption", "the bucket encryption rule", default)
            a["encryption"] = {"at_rest": none}
            return
        algo = configured(get(default, "sse_algorithm")) if default else None
        if is_unknown(algo):
            self.gap(a, "encryption", "sse_algorithm", algo)
            a["encryption"] = {"at_rest": {**none, "enabled": True}}
        elif isinstance(algo, str) and algo.startswith("aws:kms"):
            key: Target = self.plan.ref(owner, f"{base}.apply_server_side_encryption_by_default"
                                               ".kms_master_key_id", *KEY_TYPES)
            a["encryption"] = self.encryption(a, True, key, key_attr="kms_master_key_id",
                                              enabled_attr="sse_algorithm",
                                              default_key="alias/aws/s3")
            a["encryption"]["at_rest"]["algorithm"] = algo
        else:
            a["encryption"] = {"at_rest": {"enabled": True, "key_type": "provider_managed",
                                           "key_id": None, "algorithm": algo or "AES256"}}

    def _bucket_access(self, a: Asset, r: IacResource, parts: dict[str, IacResource],
                       unsure: dict[str, str]) -> None:
        access: dict[str, Any] = {"public": None, "wildcard_principal": None,
                                  "public_access_block": None,
                                  "secure_transport_required": None}
        a["access"] = access
        account = self.account_pab()
        blocks_known = True
        pab_values: dict[str, Any] = {}
        if parts.get("pab"):
            for k, attr in PAB_ATTRS.items():
                v = as_bool(configured(parts["pab"].values.get(attr)))
                if is_unknown(v):
                    self.gap(a, "access", attr, v)
                    blocks_known = False
                pab_values[k] = v is True
        elif created_new(r):
            pab_values = dict.fromkeys(PAB_ATTRS, True)
            a["attributes"]["public_access_block"] = "AWS default for new buckets"
        elif all(account.get(k) for k in PAB_ATTRS):
            pass  # the account's block covers whatever the bucket has
        else:
            # An existing bucket without a block resource: what it was given outside the
            # plan (or before new buckets were blocked by default) is not known.
            self.gap_text(a, "access", "the bucket's public access block is not managed here: "
                                       "it cannot be told from the plan or state")
            blocks_known = False
        effective = blocks_of(pab_values, account) if blocks_known and "pab" not in unsure \
            else None
        if effective is not None:
            access["public_access_block"] = effective["all"]
        raw = parts["policy"].values.get("policy") if parts.get("policy") else \
            configured(r.values.get("policy"))
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
        if "policy" in unsure:
            policy_public = None
            access["wildcard_principal"] = True if access["wildcard_principal"] else None
            access["secure_transport_required"] = None
        acl_raw = parts["acl"].values.get("acl") if parts.get("acl") else \
            configured(r.values.get("acl"))
        if is_unknown(acl_raw):
            self.gap(a, "access", "the bucket ACL", acl_raw)
            acl_public: bool | None = None
        else:
            acl_public = as_str(acl_raw) in ("public-read", "public-read-write",
                                             "authenticated-read")
        if "acl" in unsure:
            acl_public = None
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

    def _replication(self, r: IacResource, rep: IacResource | None) -> list[str]:
        rules = blocks(rep.values, "rule") if rep else blocks(
            configured(r.values.get("replication_configuration")), "rules")
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
