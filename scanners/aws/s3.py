"""S3 buckets: encryption, public access, policy, versioning, replication, logging, tags.

Buckets are listed once per account (the listing is global) and read in their own region.
Real AWS behaviour is coded, not moto's: since January 2023 every bucket is encrypted with
SSE-S3 by default, so "no encryption configuration" means SSE-S3, not "unencrypted".

A bucket is public when its policy or ACL is, or when one of its access points is: a bucket
policy may rightly delegate access to the account's access points (non-public), whose own
policies then decide. An access point exposes the bucket when its policy is public — by AWS's
own verdict (s3control:GetAccessPointPolicyStatus) or by policydoc.judge — it is reachable
from the internet (network origin Internet) and no RestrictPublicBuckets of the access point,
the bucket or the account restricts it (S3 User Guide, "Managing public access to access
points": a request through an access point is checked against all three). An access point
that cannot be read leaves the bucket's exposure unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dsscan.log_sinks import lifecycle_expiry
from dsscan.retention import whole_bucket_expiry
from dsscan.scanners.aws.base import (
    Asset,
    Scope,
    call,
    pages,
    required_bool,
    resource_policy,
    tag_dict,
)
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap, facet
from dsscan.scanners.aws.operations import Calls, Collector
from dsscan.scanners.aws.policydoc import (
    acl_public as acl_public_grant,
)
from dsscan.scanners.aws.policydoc import (
    any_true,
    blocks_of,
    exposed,
    judge,
)
from dsscan.scanners.aws.readers import policy_readers
from dsscan.scanners.aws.transport import from_policy, unread

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="s3", title="S3",
    kinds={"object_store": ("AWS::S3::Bucket",)},
    regional=False,  # listed once per account, each bucket read in its own region (sweep)
    calls=(
        Calls("s3", ("ListBuckets", "GetBucketLocation", "GetBucketTagging",
                     "GetBucketEncryption", "GetPublicAccessBlock", "GetBucketPolicy",
                     "GetBucketAcl", "GetBucketVersioning", "GetBucketReplication",
                     "GetBucketLogging", "GetObjectLockConfiguration",
                     "GetBucketLifecycleConfiguration"),
              iam={"ListBuckets": "ListAllMyBuckets",
                   "GetBucketEncryption": "GetEncryptionConfiguration",
                   "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
                   "GetBucketReplication": "GetReplicationConfiguration",
                   "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
                   "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration"}),
        Calls("s3control", ("GetPublicAccessBlock", "ListAccessPoints", "GetAccessPoint",
                            "GetAccessPointPolicy", "GetAccessPointPolicyStatus"),
              iam={"GetPublicAccessBlock": "GetAccountPublicAccessBlock"}),
    ),
)

# "Not configured" answers: a fact, not a failure.
_NO_TAGS = {"NoSuchTagSet", "NoSuchTagSetError"}
_NO_ENCRYPTION = {"ServerSideEncryptionConfigurationNotFoundError"}
_NO_PAB = {"NoSuchPublicAccessBlockConfiguration"}
_NO_POLICY = {"NoSuchBucketPolicy"}
_NO_REPLICATION = {"ReplicationConfigurationNotFoundError"}
_NO_LOCK = {"ObjectLockConfigurationNotFoundError"}
_NO_AP_POLICY = {"NoSuchAccessPointPolicy"}
_NO_LIFECYCLE = {"NoSuchLifecycleConfiguration"}

def list_buckets(scope: Scope) -> list[dict[str, Any]]:
    """Every bucket of the account (one global listing, made from the scope's region)."""
    buckets = list(pages(scope.client("s3"), "list_buckets", "Buckets"))
    # Every bucket has a name: a listing with a nameless one is malformed (ReadFailure here,
    # where it is a gap for the listing, rather than in each bucket's task).
    _ = [b["Name"] for b in buckets]
    return buckets


def bucket_region(scope: Scope, bucket: dict[str, Any]) -> str:
    if bucket.get("BucketRegion"):
        return bucket["BucketRegion"]
    loc = call(scope.client("s3"), "get_bucket_location", Bucket=bucket["Name"])
    # Legacy answers: None / "" is us-east-1, "EU" is eu-west-1.
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(
        loc.get("LocationConstraint"), loc.get("LocationConstraint"))


def _absent(fn: Callable[[], Any], codes: set[str]) -> Any:
    """The call's answer, or None when it answers "not configured"."""
    try:
        return fn()
    except ReadFailure as e:
        if e.code in codes:
            return None
        raise


def read_bucket(scope: Scope, name: str, region: str,
                account_pab: dict[str, Any] | None) -> Asset:
    s3 = scope.client("s3", region)
    a = scope.asset(id=f"arn:{scope.partition}:s3:::{name}", kind="object_store", name=name,
                    type="AWS::S3::Bucket", region=region)
    a["network"] = None
    attrs: dict[str, Any] = {}
    a["attributes"] = attrs

    with facet(a, "tags"):
        t = _absent(lambda: call(s3, "get_bucket_tagging", Bucket=name), _NO_TAGS)
        a["tags"] = tag_dict(t["TagSet"] if t is not None else [])

    a["encryption"] = {"at_rest": {"enabled": None, "key_type": None, "key_id": None}}
    with facet(a, "encryption"):
        enc = _absent(lambda: call(s3, "get_bucket_encryption", Bucket=name), _NO_ENCRYPTION)
        a["encryption"] = _encryption(scope, a, region, enc)

    access: dict[str, Any] = {"public": None, "wildcard_principal": None,
                              "public_access_block": None, "secure_transport_required": None,
                              "readers": None}
    a["access"] = access
    pab = policy = acl = None
    pab_read = policy_read = acl_read = False
    with facet(a, "access"):
        got = _absent(lambda: call(s3, "get_public_access_block", Bucket=name), _NO_PAB)
        pab = got["PublicAccessBlockConfiguration"] if got is not None else None
        pab_read = True
    with facet(a, "access"):
        policy = resource_policy(s3, "get_bucket_policy", _NO_POLICY, Bucket=name)
        policy_read = True
    with facet(a, "access"):
        acl = call(s3, "get_bucket_acl", Bucket=name)
        acl["Grants"]  # every ACL lists its grants: one without is malformed (ReadFailure)
        acl_read = True
    blocks = blocks_of(pab, account_pab) if pab_read and account_pab is not None else None
    if blocks is not None:
        access["public_access_block"] = blocks["all"]
    policy_public: bool | None = None
    acl_public: bool | None = None
    a["encryption"]["in_transit"] = unread("bucket_policy", "the bucket policy could not be "
                                           "read", setting="aws:SecureTransport")
    if policy_read:
        verdict = judge(policy, "s3")
        access["wildcard_principal"] = verdict.wildcard_principal
        access["readers"] = policy_readers(policy, "s3")  # DS-SHR-001/002
        # DS-TRN-001: refused only when a statement denies every request without TLS.
        a["encryption"]["in_transit"] = from_policy(policy, "bucket_policy", "s3")
        access["secure_transport_required"] = a["encryption"]["in_transit"]["enforced"]
        policy_public = verdict.public
        if verdict.public is None:
            add_asset_gap(a, "access", f"the bucket policy could not be judged: "
                                       f"{verdict.reasons[0]}")
    if acl_read:
        acl_public = acl_public_grant(acl)
    points_public: bool | None = None
    with facet(a, "access"):
        restrict = [None if not pab_read else bool((pab or {}).get("RestrictPublicBuckets")),
                    None if account_pab is None else bool(account_pab.get(
                        "RestrictPublicBuckets"))]
        bucket_readers, access["readers"] = access["readers"], None  # unknown until read
        points_public, point_readers = _access_points(scope, a, name, region, restrict)
        if isinstance(bucket_readers, list) and point_readers is not None:
            access["readers"] = [*bucket_readers, *point_readers]  # [READ-AP]
    access["public"] = any_true([exposed(policy_public, blocks, "RestrictPublicBuckets"),
                                 exposed(acl_public, blocks, "IgnorePublicAcls"),
                                 points_public])

    # S3 has no native backup; versioning and object lock are recorded for reference.
    a["backup"] = {"native": {"enabled": False}}
    with facet(a, "backup"):
        v = call(s3, "get_bucket_versioning", Bucket=name)
        attrs["versioning"] = v.get("Status") or "Disabled"
    with facet(a, "backup"):
        lock = _absent(lambda: call(s3, "get_object_lock_configuration", Bucket=name), _NO_LOCK)
        cfg = lock["ObjectLockConfiguration"] if lock is not None else {}
        if cfg.get("ObjectLockEnabled") == "Enabled":
            rule = (cfg.get("Rule") or {}).get("DefaultRetention") or {}
            days = rule.get("Days") or (rule.get("Years", 0) * 365) or None
            access["lock"] = {"enabled": True, "mode": (rule.get("Mode") or "").lower() or None,
                              "min_retention_days": days}
        else:
            access["lock"] = {"enabled": False}
    with facet(a, "backup"):
        rep = _absent(lambda: call(s3, "get_bucket_replication", Bucket=name), _NO_REPLICATION)
        rules = rep["ReplicationConfiguration"]["Rules"] if rep is not None else []
        attrs["replication_targets"] = sorted({
            r["Destination"]["Bucket"] for r in rules
            if r.get("Status") == "Enabled" and (r.get("Destination") or {}).get("Bucket")})
        attrs["replication_delete_markers"] = delete_markers(rules)
    a["logging"] = {"access_log": None}
    with facet(a, "logging"):
        log = call(s3, "get_bucket_logging", Bucket=name).get("LoggingEnabled") or {}
        attrs["access_logging"] = bool(log)
        if log.get("TargetBucket"):
            attrs["access_log_bucket"] = log["TargetBucket"]
        a["logging"] = {"access_log": {"enabled": bool(log),
                                       "target_bucket": log.get("TargetBucket"),
                                       "target_prefix": log.get("TargetPrefix")}}
    # How long objects are kept (a log bucket's retention: DS-LOG-002).
    a["expiry"] = {"expires": None, "days": None}
    with facet(a, "logging"):
        lc = _absent(lambda: call(s3, "get_bucket_lifecycle_configuration", Bucket=name),
                     _NO_LIFECYCLE)
        a["expiry"] = lifecycle_expiry(lc["Rules"] if lc is not None else [])
        # DS-RET-001: the rules covering every object (None: a rule not understood).
        a["expiry"]["whole_bucket"] = whole_bucket_expiry(lc["Rules"] if lc is not None else [])
    return a


def delete_markers(rules: list[dict[str, Any]]) -> dict[str, str | None]:
    """Per replication target: whether delete markers are replicated to it (a replica counts
    as a backup only when they are not: dsscan/replica_backup.py). The weakest of the enabled
    rules to a target decides. A rule without ``DeleteMarkerReplication`` is a V1 rule (no
    ``Filter``), which replicates delete markers; with a ``Filter`` the element is required,
    so its absence is read as unknown."""
    out: dict[str, str | None] = {}
    for r in rules:
        dest = (r.get("Destination") or {}).get("Bucket")
        if r.get("Status") != "Enabled" or not dest:
            continue
        dmr = r.get("DeleteMarkerReplication")
        status = (dmr.get("Status") if isinstance(dmr, dict) else None) if dmr is not None \
            else (None if "Filter" in r else "Enabled")
        status = status if status in ("Enabled", "Disabled") else None
        have = out.get(dest, "Disabled")
        out[dest] = ("Enabled" if "Enabled" in (have, status)
                     else None if None in (have, status) else "Disabled")
    return out


def _access_points(scope: Scope, a: Asset, name: str, region: str,
                   restrict: list[bool | None]
                   ) -> tuple[bool | None, list[dict[str, Any]] | None]:
    """Whether an access point of the bucket exposes it (see the module's docstring), and
    whom their policies let read (readers.py's [READ-AP]; None: one could not be judged);
    ``restrict``: RestrictPublicBuckets of the bucket and of the account (None: unread)."""
    s3c = scope.client("s3control", region)
    points = list(pages(s3c, "list_access_points", "AccessPointList", AccountId=scope.account,
                        Bucket=name))
    seen: list[dict[str, Any]] = []
    verdicts: list[bool | None] = []
    readers: list[dict[str, Any]] | None = []
    for p in points:
        ap = p["Name"]
        got = call(s3c, "get_access_point", AccountId=scope.account, Name=ap)
        origin = got["NetworkOrigin"]
        ap_restrict = bool(got["PublicAccessBlockConfiguration"].get("RestrictPublicBuckets"))
        status = _absent(lambda ap=ap: call(s3c, "get_access_point_policy_status",
                                            AccountId=scope.account, Name=ap), _NO_AP_POLICY)
        aws_public = required_bool(status["PolicyStatus"], "IsPublic") \
            if status is not None else False
        ap_policy = resource_policy(s3c, "get_access_point_policy", _NO_AP_POLICY,
                                    AccountId=scope.account, Name=ap)
        verdict = judge(ap_policy, "s3")
        got_readers = policy_readers(ap_policy, "s3", f"access point {ap} policy")
        readers = None if readers is None or got_readers is None else [*readers, *got_readers]
        if verdict.public is None:
            add_asset_gap(a, "access", f"the policy of access point {ap} could not be judged: "
                                       f"{verdict.reasons[0]}")
        grant = any_true([aws_public, verdict.public])
        if origin == "VPC":
            grant = False  # reachable only from its VPC (S3 rejects any other request)
        public = _restricted(grant, [ap_restrict, *restrict])
        verdicts.append(public)
        seen.append({"name": ap, "network_origin": origin, "public": public})
    if seen:
        a["attributes"]["access_points"] = seen
    return any_true(verdicts), readers


def _restricted(grant: bool | None, restrict: list[bool | None]) -> bool | None:
    """A public grant through an access point, unless any RestrictPublicBuckets applies."""
    if grant is False or True in restrict:
        return False
    if grant is None or None in restrict:
        return None
    return True


def account_public_access_block(scope: Scope) -> dict[str, Any] | None:
    """The account-wide public access block ({} when none is set); None if unreadable."""
    s3c = scope.client("s3control")
    try:
        got = _absent(lambda: call(s3c, "get_public_access_block", AccountId=scope.account),
                      _NO_PAB)
    except ReadFailure as e:
        scope.sink.gap("s3 account public access block of {account}", e, account=scope.account)
        return None
    return got["PublicAccessBlockConfiguration"] if got is not None else {}


def _encryption(scope: Scope, a: Asset, region: str, enc: Any) -> dict[str, Any]:
    if enc is None:  # no configuration: SSE-S3, the default for every bucket since 2023
        return {"at_rest": {"enabled": True, "key_type": "provider_managed", "key_id": None,
                            "algorithm": "AES256"}}
    rules = enc["ServerSideEncryptionConfiguration"]["Rules"]
    default = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
    algo = default.get("SSEAlgorithm") or "AES256"
    key = default.get("KMSMasterKeyID")
    if algo.startswith("aws:kms") and not key:
        key = "alias/aws/s3"  # SSE-KMS without a key id uses the AWS-managed S3 key
    return scope.encryption(a, True, key if algo.startswith("aws:kms") else None,
                            region=region, algorithm=algo)
