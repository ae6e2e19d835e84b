"""KMS keys: customer-managed keys as assets; every key's manager remembered for the others.

Key strength (DS-ENC-001/002) depends on who manages the key, so the other collectors ask
:class:`dsscan.scanners.aws.base.Keys`; listing the region's keys here fills its cache.
"""

from __future__ import annotations

from dsscan.scanners.aws.base import Scope, pages
from dsscan.scanners.aws.operations import Calls, Collector

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="kms", title="KMS",
    kinds={"key": ("AWS::KMS::Key",)},
    calls=(Calls("kms", ("ListKeys", "ListAliases", "DescribeKey")),),
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
        scope.sink.add(a)
