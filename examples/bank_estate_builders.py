"""The accounts, regions and asset builders shared by the family modules of the example estate
(examples/bank_estate_*.py, assembled by build_bank_estate.py).

An asset's keys keep the order they are given in: bank-estate.json is written from these dicts
as they are, so a reordered argument changes the file.
"""

from __future__ import annotations

from typing import Any

P, T, DR = "111111111111", "222222222222", "333333333333"
R1, R2 = "cn-north-1", "cn-northwest-1"

SOURCE = {"type": "inventory", "file": "examples/bank-estate.json"}


def enc(enabled, kt=None, key=None) -> dict[str, Any]:
    return {"at_rest": {"enabled": enabled, "key_type": kt, "key_id": key}}


def cmk(acct, n, r=R1) -> str:
    return f"arn:aws-cn:kms:{r}:{acct}:key/{n}"


def rds(acct, n) -> str:
    return f"arn:aws-cn:rds:{R1}:{acct}:db:{n}"


def net(vpc, sgid, public=False) -> dict[str, Any]:
    return {"vpc_id": vpc, "subnets": [], "security_groups": [sgid], "publicly_accessible": public}


def asset(**kw) -> dict[str, Any]:
    """An asset with the defaults of the example estate (AWS, no tags, read completely)."""
    kw.setdefault("provider", "aws")
    kw.setdefault("tags", {})
    kw.setdefault("source", dict(SOURCE))
    kw.setdefault("assessment", {"status": "complete", "gaps": []})
    return kw


def bucket(name, acct, tags, access, *, kms_key=None, region=R1, replica_of=None,
           **after) -> dict[str, Any]:
    """An S3 bucket without a native backup, encrypted with ``kms_key`` (a customer-managed
    key's ARN) or else with the provider's key; ``replica_of`` names the bucket it replicates;
    ``after`` are the fields that follow its backup (content, attributes, logging, expiry)."""
    kw: dict[str, Any] = {
        "id": f"arn:aws-cn:s3:::{name}", "kind": "object_store", "name": name,
        "type": "AWS::S3::Bucket", "account": acct, "region": region, "tags": tags,
        "encryption": enc(True, "customer_managed", kms_key) if kms_key else
        enc(True, "provider_managed"),
        "network": None, "access": access,
    }
    if replica_of is not None:
        kw["replica_of"] = [f"arn:aws-cn:s3:::{replica_of}"]
    return asset(**kw, backup={"native": {"enabled": False}}, **after)
