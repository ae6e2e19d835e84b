"""Who can reach a bucket from a plan or a Pulumi program (scanners/iac/s3_access.py): ACL
grants, several resources configuring one bucket, the account's block of the bucket's own
account, and access points. Each table row was a wrong pass (or a guess) before issue 11:
grants were never read, the first of several resources won, any account's block covered every
bucket, and access points were not mapped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from iac_resources import (
    ALL_USERS,
    AUTHENTICATED,
    CLOSED,
    LOG_DELIVERY,
    OPEN,
    PRIVATE,
    PUBLIC,
    aspects,
    assets,
    bucket,
    part,
    res,
)

from dsscan.scanners import pulumi_source as pu
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.iac.resources import UNTIL_APPLY


def split_grants(*grantees: Any) -> dict[str, Any]:
    """aws_s3_bucket_acl.access_control_policy with one READ grant per grantee."""
    return {"access_control_policy": [{
        "grant": [{"grantee": [g] if isinstance(g, dict) else g, "permission": "READ"}
                  for g in grantees],
        "owner": [{"id": "abc"}]}]}


def group(uri: Any) -> dict[str, Any]:
    return {"type": "Group", "uri": uri, "id": "", "email_address": ""}


CANONICAL = {"type": "CanonicalUser", "id": "abc", "uri": "", "email_address": ""}


def inline_grant(uri: str | None, gtype: str = "Group") -> list[dict[str, Any]]:
    return [{"type": gtype, "uri": uri or "", "id": "" if uri else "abc",
             "permissions": ["READ"]}]


# (case, the bucket's own values, its ACL resources' values, IgnorePublicAcls,
#  access.public, an access gap)
GRANTS = [
    ("split grant to AllUsers", {}, [split_grants(group(ALL_USERS))], False, True, False),
    ("split grant to AuthenticatedUsers", {}, [split_grants(group(AUTHENTICATED))], False,
     True, False),
    ("split grant to a canonical user", {}, [split_grants(CANONICAL)], False, False, False),
    ("split grant to the log delivery group", {}, [split_grants(group(LOG_DELIVERY))], False,
     False, False),
    ("split public grant among private ones", {},
     [split_grants(CANONICAL, group(ALL_USERS))], False, True, False),
    ("split grant to AllUsers, IgnorePublicAcls on", {}, [split_grants(group(ALL_USERS))],
     True, False, False),
    ("split grantee unknown", {}, [split_grants(UNTIL_APPLY)], False, None, True),
    ("split group uri unknown", {}, [split_grants(group(UNTIL_APPLY))], False, None, True),
    ("split grantee unknown, IgnorePublicAcls on", {}, [split_grants(UNTIL_APPLY)], True,
     False, True),
    ("canned public-read", {}, [{"acl": "public-read"}], False, True, False),
    ("canned authenticated-read", {}, [{"acl": "authenticated-read"}], False, True, False),
    ("canned private", {}, [{"acl": "private"}], False, False, False),
    ("canned unknown", {}, [{"acl": UNTIL_APPLY}], False, None, True),
    ("inline grant to AllUsers (provider v3)", {"grant": inline_grant(ALL_USERS)}, [], False,
     True, False),
    ("inline grant to AuthenticatedUsers", {"grant": inline_grant(AUTHENTICATED)}, [], False,
     True, False),
    ("inline grant to a canonical user", {"grant": inline_grant(None, "CanonicalUser")}, [],
     False, False, False),
    ("inline grant with an unknown uri", {"grant": [{"type": "Group", "uri": UNTIL_APPLY,
                                                     "permissions": ["READ"]}]}, [], False,
     None, True),
    # the bucket's own grant beside a split ACL: both may be what AWS keeps
    ("inline public grant beside a private split ACL", {"grant": inline_grant(ALL_USERS)},
     [{"acl": "private"}], False, True, False),
    ("two split ACLs, one public", {}, [{"acl": "private"}, split_grants(group(ALL_USERS))],
     False, True, False),
]


@pytest.mark.parametrize(("case", "own", "acls", "ignore", "public", "gap"), GRANTS,
                         ids=[c[0] for c in GRANTS])
def test_acl_grants_are_judged(case, own, acls, ignore, public, gap):
    rs = [bucket(values=own),
          part("aws_s3_bucket_public_access_block.p", {**OPEN, "ignore_public_acls": ignore})]
    rs += [part(f"aws_s3_bucket_acl.a{i}", v) for i, v in enumerate(acls)]
    a = assets(rs)["core-data"]
    assert a["access"]["public"] is public
    assert ("access" in aspects(a)) is gap


@pytest.mark.parametrize(("tool", "acl", "own", "public"), [
    # pulumi-aws BucketAclV2 / Bucket (v6): the same arguments in camelCase, grants plural
    ("pulumi", {"access_control_policy": {"grants": [
        {"grantee": {"type": "Group", "uri": ALL_USERS}, "permission": "READ"}],
        "owner": {"id": "abc"}}}, {}, True),
    ("pulumi", None, {"grants": [{"type": "Group", "uri": AUTHENTICATED,
                                  "permissions": ["READ"]}]}, True),
    ("pulumi", None, {"grants": [{"type": "CanonicalUser", "id": "abc",
                                  "permissions": ["FULL_CONTROL"]}]}, False),
])
def test_pulumi_grants_are_judged_alike(tool, acl, own, public):
    rs = [bucket(values=own, tool=tool),
          part("aws_s3_bucket_public_access_block.p", OPEN, tool=tool)]
    if acl is not None:
        rs.append(part("aws_s3_bucket_acl.a", acl, tool=tool))
    assert assets(rs, tool)["core-data"]["access"]["public"] is public


def test_a_read_back_grant_beside_a_split_acl_is_not_a_second_acl():
    """An existing bucket's ``grant`` that the configuration does not set is the provider's
    read-back (of what the split ACL sets, or set before): the split ACL decides."""
    own = bucket(values={"grant": inline_grant(ALL_USERS)}, action="update",
                 set_attrs=frozenset({"bucket", "tags"}))
    rs = [own, part("aws_s3_bucket_public_access_block.p", OPEN),
          part("aws_s3_bucket_acl.a", {"acl": "private"})]
    assert assets(rs)["core-data"]["access"]["public"] is False
    rs[1:] = [part("aws_s3_bucket_public_access_block.p", OPEN)]  # no split ACL: it is the ACL
    assert assets(rs)["core-data"]["access"]["public"] is True


# -- several resources configuring one bucket ------------------------------------------------

def pab(i: int, **settings: Any) -> Any:
    return part(f"aws_s3_bucket_public_access_block.p{i}", {**CLOSED, **settings})


def policy(i: int, doc: Any) -> Any:
    return part(f"aws_s3_bucket_policy.p{i}", {"policy": doc})


def sse(i: int, algo: str, key: str | None = None) -> Any:
    rule = {"sse_algorithm": algo, **({"kms_master_key_id": key} if key else {})}
    return part(f"aws_s3_bucket_server_side_encryption_configuration.e{i}",
                {"rule": [{"apply_server_side_encryption_by_default": [rule]}]})


KEY1 = "arn:aws:kms:us-east-1:111111111111:key/11111111-1111-1111-1111-111111111111"
KEY2 = "arn:aws:kms:us-east-1:111111111111:key/22222222-2222-2222-2222-222222222222"
KEYS = [res("aws_kms_key.k1", {"arn": KEY1}), res("aws_kms_key.k2", {"arn": KEY2})]

# (case, resources beside the bucket, {dotted fact: expected}, gap aspects)
SEVERAL = [
    ("a closed and an open block: the open one may be what AWS keeps",
     [pab(1), pab(2, **OPEN), policy(1, PUBLIC)],
     {"access.public": True, "access.public_access_block": False}, []),
    ("two closed blocks", [pab(1), pab(2), policy(1, PUBLIC)],
     {"access.public": False, "access.public_access_block": True}, []),
    ("a closed block and one whose restrict setting is unknown",
     [pab(1), pab(2, restrict_public_buckets=UNTIL_APPLY), policy(1, PUBLIC)],
     {"access.public": None, "access.public_access_block": None}, ["access"]),
    ("a private and a public policy", [pab(1, **OPEN), policy(1, PRIVATE), policy(2, PUBLIC)],
     {"access.public": True, "access.wildcard_principal": True}, []),
    ("a public and a private policy (order does not matter)",
     [pab(1, **OPEN), policy(1, PUBLIC), policy(2, PRIVATE)], {"access.public": True}, []),
    ("two private policies", [pab(1, **OPEN), policy(1, PRIVATE), policy(2, PRIVATE)],
     {"access.public": False}, []),
    ("a private policy and an unknown one", [pab(1, **OPEN), policy(1, PRIVATE),
                                             policy(2, UNTIL_APPLY)],
     {"access.public": None}, ["access"]),
    ("SSE with a customer key and SSE-S3: the weaker",
     [*KEYS, sse(1, "aws:kms", KEY1), sse(2, "AES256")],
     {"encryption.at_rest.key_type": "provider_managed"}, []),
    ("SSE with two customer keys: customer-managed, which key not told",
     [*KEYS, sse(1, "aws:kms", KEY1), sse(2, "aws:kms", KEY2)],
     {"encryption.at_rest.key_type": "customer_managed", "encryption.at_rest.key_id": None},
     []),
    ("SSE with a customer key and an unknown rule",
     [*KEYS, sse(1, "aws:kms", KEY1), sse(2, UNTIL_APPLY)],
     {"encryption.at_rest.key_type": None}, ["encryption"]),
    ("SSE-S3 and an unknown rule: nothing is weaker than SSE-S3",
     [sse(1, "AES256"), sse(2, UNTIL_APPLY)],
     {"encryption.at_rest.key_type": "provider_managed"}, ["encryption"]),
    ("versioning enabled and suspended",
     [part("aws_s3_bucket_versioning.v1", {"versioning_configuration": [{"status": "Enabled"}]}),
      part("aws_s3_bucket_versioning.v2",
           {"versioning_configuration": [{"status": "Suspended"}]})],
     {"attributes.versioning": "Suspended"}, []),
    ("two object locks: governance and the shorter retention",
     [part("aws_s3_bucket_object_lock_configuration.l1", {"rule": [{"default_retention": [
         {"mode": "COMPLIANCE", "days": 365}]}]}),
      part("aws_s3_bucket_object_lock_configuration.l2", {"rule": [{"default_retention": [
          {"mode": "GOVERNANCE", "days": 30}]}]})],
     {"access.lock.mode": "governance", "access.lock.min_retention_days": 30}, []),
    ("two replication configurations to different buckets: both, and which is kept unknown",
     [part(f"aws_s3_bucket_replication_configuration.r{i}", {"rule": [
         {"status": "Enabled", "destination": [{"bucket": f"arn:aws:s3:::dr-{i}"}]}]})
      for i in (1, 2)],
     {"attributes.replication_targets": ["arn:aws:s3:::dr-1", "arn:aws:s3:::dr-2"]},
     ["backup"]),
]


def fact(a: dict[str, Any], path: str) -> Any:
    for seg in path.split("."):
        a = a[seg]
    return a


@pytest.mark.parametrize(("case", "parts", "want", "gaps"), SEVERAL,
                         ids=[c[0] for c in SEVERAL])
def test_several_resources_of_one_bucket_are_judged_by_the_weakest(case, parts, want, gaps):
    a = assets([bucket(), *parts])["core-data"]
    for path, value in want.items():
        assert fact(a, path) == value, path
    assert aspects(a) == gaps


@pytest.mark.parametrize(("own", "public"), [
    # the bucket's own policy argument beside a split policy resource: either may win
    ({"policy": PUBLIC}, True),
    ({"acl": "public-read"}, True),
    ({"policy": PRIVATE}, False),
])
def test_an_inline_argument_beside_a_split_resource_counts(own, public):
    rs = [bucket(values=own), pab(1, **OPEN), policy(1, PRIVATE),
          part("aws_s3_bucket_acl.a", {"acl": "private"})]
    assert assets(rs)["core-data"]["access"]["public"] is public


# -- the account's block covers its own account ---------------------------------------------

def account_block(**kw: Any) -> Any:
    values = {**CLOSED, **kw.pop("values", {})}
    return res("aws_s3_account_public_access_block.acct", values, **kw)


A1, A2 = "111111111111", "222222222222"
# (case, bucket account/provider, account block kwargs, access.public)
ACCOUNTS = [
    ("same account, both known", {"account": A1}, {"account": A1}, False),
    ("another account, both known", {"account": A1}, {"account": A2, "provider": "aws.sec"},
     True),
    ("another account through the same provider alias names",
     {"account": A1, "provider": "aws.sec"}, {"account": A2, "provider": "aws.sec"}, True),
    ("accounts unknown, one provider configuration", {}, {}, False),
    ("accounts unknown, another provider configuration", {}, {"provider": "aws.security"},
     True),
    ("bucket account unknown, block of a known account through another provider", {},
     {"account": A2, "provider": "aws.security"}, True),
    ("the block's account_id argument names the bucket's account", {"account": A1},
     {"provider": "aws.security", "values": {"account_id": A1}}, False),
    ("the block's account_id argument names another account", {"account": A1},
     {"values": {"account_id": A2}}, True),
]


@pytest.mark.parametrize(("case", "where", "block", "public"), ACCOUNTS,
                         ids=[c[0] for c in ACCOUNTS])
def test_the_account_block_covers_only_its_own_account(case, where, block, public):
    rs = [bucket(**where), part("aws_s3_bucket_public_access_block.p", OPEN, **where),
          part("aws_s3_bucket_policy.p", {"policy": PUBLIC}, **where), account_block(**block)]
    assert assets(rs)["core-data"]["access"]["public"] is public


def test_an_existing_bucket_without_a_block_is_covered_only_by_its_own_accounts():
    rs = [bucket(action="no-op", account=A1)]
    mine = assets([*rs, account_block(account=A1)])["core-data"]
    assert mine["access"]["public_access_block"] is True and aspects(mine) == []
    other = assets([*rs, account_block(account=A2, provider="aws.sec")])["core-data"]
    assert other["access"]["public_access_block"] is None and aspects(other) == ["access"]


# -- access points ----------------------------------------------------------------------------

DELEGATE = ('{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", '
            '"Resource": "*", "Condition": {"StringEquals": '
            '{"s3:DataAccessPointAccount": "111111111111"}}}]}')


def access_point(name: str, policy_doc: Any = None, block: Any = None, **kw: Any) -> Any:
    values: dict[str, Any] = {"name": name, "bucket": UNTIL_APPLY}
    if policy_doc is not None:
        values["policy"] = policy_doc
    values["public_access_block_configuration"] = [block] if isinstance(block, dict) else (
        block if block is not None else [])
    return part(f"aws_s3_access_point.{name}", values, **kw)


def ap_policy(name: str, doc: Any) -> Any:
    return res(f"aws_s3control_access_point_policy.{name}",
               {"access_point_arn": UNTIL_APPLY, "policy": doc},
               refs={"access_point_arn": [f"aws_s3_access_point.{name}"]})


# (case, resources beside the bucket, access.public, the access points' verdicts, gap)
POINTS = [
    ("a public access point policy, its block off", [access_point("ap", PUBLIC, OPEN)],
     True, {"ap": True}, False),
    ("a public policy, the access point's default block (all on)",
     [access_point("ap", PUBLIC)], False, {"ap": False}, False),
    ("a public policy, only RestrictPublicBuckets on",
     [access_point("ap", PUBLIC, {**OPEN, "restrict_public_buckets": True})], False,
     {"ap": False}, False),
    ("a public policy, block off, the account's block on",
     [access_point("ap", PUBLIC, OPEN), account_block()], False, {"ap": False}, False),
    ("a public policy, block off, another account's block on",
     [access_point("ap", PUBLIC, OPEN), account_block(provider="aws.sec", account=A2)],
     True, {"ap": True}, False),
    ("a private access point policy", [access_point("ap", PRIVATE, OPEN)], False,
     {"ap": False}, False),
    ("a separate public access point policy (s3control)",
     [access_point("ap", None, OPEN), ap_policy("ap", PUBLIC)], True, {"ap": True}, False),
    ("a separate policy unknown until apply, block off",
     [access_point("ap", None, OPEN), ap_policy("ap", UNTIL_APPLY)], None, {"ap": None},
     True),
    ("a separate policy unknown until apply, default block",
     [access_point("ap", None), ap_policy("ap", UNTIL_APPLY)], False, {"ap": False}, False),
    ("an access point whose bucket cannot be told, public and open",
     [res("aws_s3_access_point.far", {"name": "far", "bucket": UNTIL_APPLY,
                                      "policy": PUBLIC,
                                      "public_access_block_configuration": [OPEN]})],
     None, {}, True),
    ("a bucket policy delegating to access points, no access point", [], False, {}, False),
]


@pytest.mark.parametrize(("case", "extra", "public", "points", "gap"), POINTS,
                         ids=[c[0] for c in POINTS])
def test_access_points_expose_their_bucket(case, extra, public, points, gap):
    rs = [bucket(), policy(1, DELEGATE), *extra]
    a = assets(rs)["core-data"]
    assert a["access"]["public"] is public
    got = {x["name"]: x["public"] for x in a["attributes"].get("access_points", [])}
    assert got == points
    assert ("access" in aspects(a)) is gap


def test_pulumi_access_points_are_mapped():
    rs = [bucket(tool="pulumi"),
          part("aws_s3_access_point.ap", {"name": "ap", "bucket": "core-data",
                                          "policy": PUBLIC,
                                          "public_access_block_configuration": OPEN},
               tool="pulumi")]
    a = assets(rs, "pulumi")["core-data"]
    assert a["access"]["public"] is True
    assert a["attributes"]["access_points"] == [
        {"id": "aws_s3_access_point.ap", "name": "ap", "public": True}]


@pytest.mark.parametrize(("block_provider", "public"), [("sec", True), ("default_6_0_0", False)])
def test_pulumi_export_account_block_by_provider(tmp_path, block_provider, public):
    """A stack export whose providers name no account: the account block of the explicit
    provider "sec" does not cover the bucket of the default provider; one of the default
    provider does. (Read through the real export reader.)"""
    base = "urn:pulumi:prod::bank::"
    prov = {name: f"{base}pulumi:providers:aws::{name}" for name in ("default_6_0_0", "sec")}

    def state(token: str, name: str, provider: str, **inputs: Any) -> dict[str, Any]:
        return {"urn": f"{base}{token}::{name}", "type": token, "custom": True, "id": name,
                "provider": f"{prov[provider]}::id-{provider}", "inputs": inputs,
                "outputs": inputs}

    resources = [
        *({"urn": urn, "type": "pulumi:providers:aws", "custom": True, "id": f"id-{name}",
           "inputs": {"region": "us-east-1"}} for name, urn in prov.items()),
        state("aws:s3/bucketV2:BucketV2", "data", "default_6_0_0", bucket="core-data",
              tags={"dsscan:level": "core"}),
        state("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab",
              "default_6_0_0", bucket="core-data", blockPublicAcls=False,
              ignorePublicAcls=False, blockPublicPolicy=False, restrictPublicBuckets=False),
        state("aws:s3/bucketPolicy:BucketPolicy", "pol", "default_6_0_0", bucket="core-data",
              policy=PUBLIC),
        state("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "acct",
              block_provider, blockPublicAcls=True, ignorePublicAcls=True,
              blockPublicPolicy=True, restrictPublicBuckets=True),
    ]
    p = tmp_path / "stack.json"
    p.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    inv = build_inventory(pu.read_path(str(p)).resources, tool="pulumi", files=[str(p)])
    (a,) = [x for x in inv.assets if x["kind"] == "object_store"]
    assert a["access"]["public"] is public


# [READ-AP] (DS-SHR-001/002) whom the access points' policies let read is a reader of the
# bucket: a bucket policy delegating to the account's access points hands them the decision.
VENDOR_AP = ('{"Statement": [{"Effect": "Allow", "Principal": {"AWS": '
             '"arn:aws:iam::999999999999:root"}, "Action": "s3:GetObject", "Resource": "*"}]}')
OWN = "* (account 111111111111)"
AP_READERS = [
    ("an access point granting a vendor", [access_point("ap", VENDOR_AP)],
     {OWN, "arn:aws:iam::999999999999:root"}),
    ("a separate policy granting a vendor",
     [access_point("ap"), ap_policy("ap", VENDOR_AP)], {OWN, "arn:aws:iam::999999999999:root"}),
    ("a separate policy unknown until apply", [access_point("ap"), ap_policy("ap", UNTIL_APPLY)],
     None),
    ("an access point without a policy", [access_point("ap")], {OWN}),
    ("an access point that may be this bucket's, granting a vendor",
     [res("aws_s3_access_point.far", {"name": "far", "bucket": UNTIL_APPLY,
                                      "policy": VENDOR_AP})], None),
    ("an access point that may be this bucket's, no policy",
     [res("aws_s3_access_point.far", {"name": "far", "bucket": UNTIL_APPLY})], {OWN}),
]


@pytest.mark.parametrize(("case", "extra", "want"), AP_READERS, ids=[c[0] for c in AP_READERS])
def test_access_point_policies_read_the_bucket(case, extra, want):
    a = assets([bucket(), policy(1, DELEGATE), *extra])["core-data"]
    got = a["access"]["readers"]
    assert (None if got is None else {p["principal"] for p in got}) == want
