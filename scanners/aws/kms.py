"""KMS keys: customer-managed keys as assets; every key's manager remembered for the others.

Key strength (DS-ENC-001/002) depends on who manages the key, so the other collectors ask
:class:`dsscan.scanners.aws.base.Keys`; listing the region's keys here fills its cache.

Each key asset carries the facts DS-KMS-001 judges (``kms``): its state and deletion date
(DescribeKey, read once by ``Keys``), whether rotation is on (GetKeyRotationStatus), and who
may decrypt (GetKeyPolicy and ListGrants, read by scanners/aws/keydoc.py). A call that fails
leaves its fact ``null`` with a gap on the key (``encryption`` for state and rotation,
``access`` for who may decrypt): not assessed, never a pass.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import Scope, call, json_document, pages
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap, error_code, facet
from dsscan.scanners.aws.keydoc import NotAPolicy, grant_decrypters, policy_decrypters
from dsscan.scanners.aws.operations import Calls, Collector

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="kms", title="KMS",
    kinds={"key": ("AWS::KMS::Key",)},
    calls=(Calls("kms", ("ListKeys", "ListAliases", "DescribeKey", "GetKeyRotationStatus",
                         "GetKeyPolicy", "ListGrants")),),
)


def collect(scope: Scope) -> None:
    kms = scope.client("kms")
    aliases: dict[str, list[str]] = {}
    for al in pages(kms, "list_aliases", "Aliases"):
        if al.get("TargetKeyId"):
            aliases.setdefault(al["TargetKeyId"], []).append(al["AliasName"])
    scope.keys.set_aws_aliased(scope.region, {
        kid for kid, names in aliases.items() if any(n.startswith("alias/aws/") for n in names)})
    for k in pages(kms, "list_keys", "Keys"):
        # A key whose manager cannot be read is not listed, and is no gap here: no policy
        # judges keys themselves, and every store encrypted with it carries the gap on its
        # encryption (naming the key, so that the kms_keys setting can settle it).
        key_type, _ = scope.keys.key_type(scope.region, k["KeyArn"])
        if key_type != "customer_managed":
            continue
        names = sorted(aliases.get(k["KeyId"], []))
        a = scope.asset(id=k["KeyArn"], kind="key",
                        name=names[0].removeprefix("alias/") if names else k["KeyId"],
                        type="AWS::KMS::Key")
        a["attributes"] = {"aliases": names, "key_manager": "CUSTOMER"}
        a["kms"] = key_facts(scope, a, kms, k["KeyArn"])
        scope.sink.add(a)


# Keys whose material AWS cannot rotate (imported, asymmetric, HMAC, custom key stores) answer
# GetKeyRotationStatus with this error: they are not rotated automatically, which is a fact.
_NO_ROTATION = "UnsupportedOperationException"


def key_facts(scope: Scope, a: dict[str, Any], kms: Any, arn: str) -> dict[str, Any]:
    """The ``kms`` block of one key asset."""
    meta = scope.keys.metadata(scope.region, arn)
    if meta is None:  # (listed only once described: kept for safety, never a pass)
        add_asset_gap(a, "encryption", "kms:DescribeKey: the key's state was not read")
        meta = {}
    deletion = meta.get("DeletionDate")
    facts: dict[str, Any] = {
        "rotation_enabled": None, "state": meta.get("KeyState"),
        "deletion_date": deletion.isoformat() if hasattr(deletion, "isoformat") else None,
        "origin": meta.get("Origin"), "decrypters": None,
    }
    try:
        facts["rotation_enabled"] = bool(
            call(kms, "get_key_rotation_status", KeyId=arn)["KeyRotationEnabled"])
    except ReadFailure as e:
        if error_code(e.cause) == _NO_ROTATION:
            facts["rotation_enabled"] = False
        else:
            add_asset_gap(a, "encryption", e.reason)
    with facet(a, "access"):
        raw = call(kms, "get_key_policy", KeyId=arn, PolicyName="default")["Policy"]
        policy = json_document(raw, kms, "get_key_policy")
        grants = [{"grantee": g.get("GranteePrincipal"), "operations": g.get("Operations")}
                  for g in pages(kms, "list_grants", "Grants", KeyId=arn)]
        try:
            facts["decrypters"] = policy_decrypters(policy) + grant_decrypters(grants)
        except NotAPolicy as e:
            add_asset_gap(a, "access", f"the key policy or a grant cannot be judged: {e}")
    return facts
