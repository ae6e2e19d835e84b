"""Small builders of planned resources (the shape every IaC reader produces) for mapping
tests: a bucket, its split configuration resources, and the inventory they map to."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.iac.resources import IacResource

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
PUBLIC = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]})
PRIVATE = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": "s3:GetObject", "Resource": "*"}]})
OPEN = dict.fromkeys(("block_public_acls", "ignore_public_acls", "block_public_policy",
                      "restrict_public_buckets"), False)
CLOSED = dict.fromkeys(OPEN, True)


def res(address: str, values: dict[str, Any], *, refs: dict[str, list[str]] | None = None,
        rtype: str | None = None, **kw: Any) -> IacResource:
    """A planned resource; its type is the address's (``aws_s3_bucket_acl.a``)."""
    kw.setdefault("action", "create")
    kw.setdefault("provider", "aws")
    kw.setdefault("region", "us-east-1")
    # (Fields a version of IacResource does not have are left out, so the same tables run
    # against an older mapping to show what it got wrong.)
    known = {f.name for f in fields(IacResource)}
    return IacResource(address=address, type=rtype or address.split(".")[-2],
                       name=address.split(".")[-1], values=values, refs=refs or {},
                       file="plan.json", **{k: v for k, v in kw.items() if k in known})


def part(address: str, values: dict[str, Any], bucket: str = "aws_s3_bucket.b",
         **kw: Any) -> IacResource:
    """A split configuration resource of ``bucket`` (referenced, as a new bucket's are)."""
    return res(address, values, refs={"bucket": [bucket]}, **kw)


def bucket(name: str = "core-data", address: str = "aws_s3_bucket.b", **kw: Any) -> IacResource:
    values = {"bucket": name, "tags": {"dsscan:level": "core"}, **kw.pop("values", {})}
    return res(address, values, **kw)


def assets(resources: list[IacResource], tool: str = "terraform") -> dict[str, dict[str, Any]]:
    """The inventory's assets by name."""
    inv = build_inventory(resources, tool=tool, files=["plan.json"])
    return {a["name"]: a for a in inv.assets}


def aspects(a: dict[str, Any]) -> list[str]:
    return sorted({g["aspect"] for g in a["assessment"]["gaps"]})
