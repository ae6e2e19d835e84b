"""Resource policies are public unless AWS itself would call them non-public.

One table of documents, each with the verdict and the rule of scanners/aws/policydoc.py (which
cites the S3 User Guide's "The meaning of 'public'" and IAM Access Analyzer) that decides it.
For a public verdict the rule must be the one the module gives as its reason, so a document
that is public for the wrong reason fails too. Then the same documents go through the three
sources — live AWS (moto), a Terraform plan, a Pulumi export — which must agree with the table.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, REGION, fake_env
from moto import mock_aws

from dsscan.scanners.aws.policydoc import judge
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.iac.resources import IacResource

ANYONE = "*"
ORG = "o-a1b2c3d4e5"
VPC = "vpc-0a1b2c3d"


def st(principal: Any = ANYONE, condition: dict[str, Any] | None = None, *,
       effect: str = "Allow", not_principal: bool = False, sid: str | None = None,
       action: Any = "s3:GetObject") -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect, "Action": action,
                         "Resource": "arn:aws:s3:::b/*"}
    s["NotPrincipal" if not_principal else "Principal"] = principal
    if condition is not None:
        s["Condition"] = condition
    if sid:
        s["Sid"] = sid
    return s


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def c(op: str, key: str, value: Any) -> dict[str, Any]:
    return {op: {key: value}}


# (case, policy document, service, public, rule)
CASES: list[tuple[str, Any, str, bool | None, str]] = [
    # -- who: principals [S3-PUBLIC-PRINCIPAL]
    ("star principal", doc(st()), "s3", True, "S3-PUBLIC-PRINCIPAL"),
    ("AWS star", doc(st({"AWS": "*"})), "s3", True, "S3-PUBLIC-PRINCIPAL"),
    ("AWS star in a list", doc(st({"AWS": ["arn:aws:iam::111122223333:root", "*"]})), "s3",
     True, "S3-PUBLIC-PRINCIPAL"),
    ("any account's root", doc(st({"AWS": "arn:aws:iam::*:root"})), "s3", True,
     "S3-PUBLIC-PRINCIPAL"),
    ("wildcard role name", doc(st({"AWS": "arn:aws:iam::111122223333:role/*"})), "s3", True,
     "S3-PUBLIC-PRINCIPAL"),
    ("canonical user star", doc(st({"CanonicalUser": "*"})), "s3", True,
     "S3-PUBLIC-PRINCIPAL"),
    ("federated star", doc(st({"Federated": "*"})), "s3", True, "S3-PUBLIC-PRINCIPAL"),
    ("service star", doc(st({"Service": "*"})), "s3", True, "S3-PUBLIC-PRINCIPAL"),
    ("allow with NotPrincipal", doc(st({"AWS": "arn:aws:iam::111122223333:root"},
                                       not_principal=True)), "s3", True,
     "S3-PUBLIC-PRINCIPAL"),
    ("single statement as an object", {"Statement": st()}, "s3", True, "S3-PUBLIC-PRINCIPAL"),
    ("lower-case effect", doc(st(effect="allow")), "s3", True, "S3-PUBLIC-PRINCIPAL"),
    ("public put only", doc(st(action="s3:PutObject")), "s3", True, "S3-PUBLIC-PRINCIPAL"),
    ("named account", doc(st({"AWS": "arn:aws:iam::111122223333:root"})), "s3", False,
     "S3-PUBLIC-PRINCIPAL"),
    ("named account as a number", doc(st({"AWS": 111122223333})), "s3", False,
     "S3-PUBLIC-PRINCIPAL"),
    ("named role", doc(st({"AWS": "arn:aws:iam::111122223333:role/reader"})), "s3", False,
     "S3-PUBLIC-PRINCIPAL"),
    ("service principal", doc(st({"Service": "logging.s3.amazonaws.com"})), "s3", False,
     "S3-PUBLIC-PRINCIPAL"),
    ("cloudfront OAI user", doc(st({"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin "
                                           "Access Identity E2EXAMPLE"})), "s3", False,
     "S3-PUBLIC-PRINCIPAL"),
    # -- effect [IAM-DENY]
    ("deny to anyone", doc(st(effect="Deny")), "s3", False, "IAM-DENY"),
    ("deny does not rescue a public allow",
     doc(st(), st(effect="Deny", condition=c("StringNotEquals", "aws:SourceVpc", VPC))),
     "s3", True, "S3-PUBLIC-PRINCIPAL"),
    ("no statements", doc(), "s3", False, "IAM-DENY"),
    ("no policy", None, "s3", False, "IAM-DENY"),
    # -- fixed values of confining keys [S3-PUBLIC-FIXED]
    ("source vpc fixed", doc(st(condition=c("StringEquals", "aws:SourceVpc", VPC))), "s3",
     False, "S3-PUBLIC-FIXED"),
    ("source vpce fixed", doc(st(condition=c("StringEquals", "aws:SourceVpce",
                                             "vpce-1a2b3c4d"))), "s3", False,
     "S3-PUBLIC-FIXED"),
    ("org id fixed", doc(st(condition=c("StringEquals", "aws:PrincipalOrgID", ORG))), "s3",
     False, "S3-PUBLIC-FIXED"),
    ("org id case-insensitive key", doc(st(condition=c("StringEquals", "AWS:principalorgid",
                                                       ORG))), "s3", False, "S3-PUBLIC-FIXED"),
    ("source account fixed", doc(st(condition=c("StringEquals", "aws:SourceAccount",
                                                "111122223333"))), "s3", False,
     "S3-PUBLIC-FIXED"),
    ("source account as a number", doc(st(condition=c("StringEquals", "aws:SourceAccount",
                                                      111122223333))), "s3", False,
     "S3-PUBLIC-FIXED"),
    ("source arn fixed", doc(st(condition=c("ArnEquals", "aws:SourceArn",
                                            "arn:aws:cloudtrail:cn-north-1:111122223333:trail/"
                                            "t"))), "s3", False, "S3-PUBLIC-FIXED"),
    ("source arn ArnLike without wildcard", doc(st(condition=c(
        "ArnLike", "aws:SourceArn", "arn:aws:logs:cn-north-1:111122223333:log-group:g"))),
     "s3", False, "S3-PUBLIC-FIXED"),
    ("principal arn fixed", doc(st(condition=c("ArnEquals", "aws:PrincipalArn",
                                               "arn:aws:iam::111122223333:role/r"))), "s3",
     False, "S3-PUBLIC-FIXED"),
    ("principal account fixed", doc(st(condition=c("StringEquals", "aws:PrincipalAccount",
                                                   ["111122223333", "444455556666"]))), "s3",
     False, "S3-PUBLIC-FIXED"),
    ("source owner fixed", doc(st(condition=c("StringEquals", "aws:SourceOwner",
                                              "111122223333"))), "s3", False,
     "S3-PUBLIC-FIXED"),
    ("StringLike with a fixed value", doc(st(condition=c("StringLike", "aws:SourceVpc", VPC))),
     "s3", False, "S3-PUBLIC-FIXED"),
    ("StringEqualsIgnoreCase fixed", doc(st(condition=c("StringEqualsIgnoreCase",
                                                        "aws:SourceVpc", VPC))), "s3", False,
     "S3-PUBLIC-FIXED"),
    ("ForAnyValue fixed", doc(st(condition=c("ForAnyValue:StringEquals", "aws:SourceVpce",
                                             "vpce-1a2b3c4d"))), "s3", False,
     "S3-PUBLIC-FIXED"),
    ("access point account (S3 key)", doc(st(condition=c("StringEquals",
                                                         "s3:DataAccessPointAccount",
                                                         "111122223333"))), "s3", False,
     "S3-PUBLIC-FIXED"),
    ("SSE-KMS key id (S3 key)", doc(st(condition=c(
        "StringEquals", "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "arn:aws:kms:cn-north-1:111122223333:key/1234abcd"))), "s3", False, "S3-PUBLIC-FIXED"),
    ("S3 key on a vault confines nothing", doc(st(condition=c(
        "StringEquals", "s3:DataAccessPointAccount", "111122223333"))), "backup", True,
     "S3-PUBLIC-FIXED"),
    ("kms caller account on a key", doc(st(condition=c("StringEquals", "kms:CallerAccount",
                                                       "111122223333"))), "kms", False,
     "S3-PUBLIC-FIXED"),
    ("one confining condition among others", doc(st(condition={
        "Bool": {"aws:SecureTransport": "true"},
        "StringEquals": {"aws:SourceVpc": VPC}})), "s3", False, "S3-PUBLIC-FIXED"),
    ("vault confined to the organisation", doc(st(condition=c("StringEquals",
                                                              "aws:PrincipalOrgID", ORG))),
     "backup", False, "S3-PUBLIC-FIXED"),
    # -- values that are not fixed [S3-PUBLIC-FIXED]
    ("StringLike vpc-*", doc(st(condition=c("StringLike", "aws:SourceVpc", "vpc-*"))), "s3",
     True, "S3-PUBLIC-FIXED"),
    ("StringLike *", doc(st(condition=c("StringLike", "aws:SourceVpce", "*"))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("question-mark wildcard", doc(st(condition=c("StringLike", "aws:SourceAccount",
                                                  "11112222333?"))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("org id wildcard", doc(st(condition=c("StringLike", "aws:PrincipalOrgID", "o-*"))), "s3",
     True, "S3-PUBLIC-FIXED"),
    ("ArnLike any account", doc(st(condition=c("ArnLike", "aws:SourceArn",
                                               "arn:aws:cloudtrail:*:*:trail/*"))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("principal arn any account", doc(st(condition=c("ArnLike", "aws:PrincipalArn",
                                                     "arn:aws:iam::*:role/admin"))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("one loose value among fixed ones", doc(st(condition=c(
        "StringEquals", "aws:SourceVpc", [VPC, "vpc-*"]))), "s3", True, "S3-PUBLIC-FIXED"),
    ("policy variable", doc(st(condition=c("StringEquals", "aws:SourceAccount",
                                           "${aws:PrincipalAccount}"))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("empty value list", doc(st(condition=c("StringEquals", "aws:SourceVpc", []))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("empty string", doc(st(condition=c("StringEquals", "aws:SourceVpc", ""))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("condition on a key that confines nothing", doc(st(condition=c(
        "StringEquals", "aws:Referer", "https://example.com/"))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("secure transport only", doc(st(condition=c("Bool", "aws:SecureTransport", "true"))),
     "s3", True, "S3-PUBLIC-FIXED"),
    ("object tag condition", doc(st(condition=c("StringEquals",
                                                "s3:ExistingObjectTag/public", "yes"))), "s3",
     True, "S3-PUBLIC-FIXED"),
    ("date condition", doc(st(condition=c("DateLessThan", "aws:CurrentTime",
                                          "2030-01-01T00:00:00Z"))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("Bool on a confining key", doc(st(condition=c("Bool", "aws:SourceVpc", "true"))), "s3",
     True, "S3-PUBLIC-FIXED"),
    ("empty condition block", doc(st(condition={})), "s3", True, "S3-PUBLIC-PRINCIPAL"),
    # -- negated operators [IAM-NEGATED]
    ("StringNotEquals vpc", doc(st(condition=c("StringNotEquals", "aws:SourceVpc", VPC))),
     "s3", True, "IAM-NEGATED"),
    ("StringNotLike org", doc(st(condition=c("StringNotLike", "aws:PrincipalOrgID", ORG))),
     "s3", True, "IAM-NEGATED"),
    ("ArnNotEquals source", doc(st(condition=c("ArnNotEquals", "aws:SourceArn",
                                               "arn:aws:s3:::other"))), "s3", True,
     "IAM-NEGATED"),
    ("NotIpAddress", doc(st(condition=c("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"))), "s3",
     True, "IAM-NEGATED"),
    ("StringNotEqualsIgnoreCase", doc(st(condition=c("StringNotEqualsIgnoreCase",
                                                     "aws:SourceAccount", "111122223333"))),
     "s3", True, "IAM-NEGATED"),
    # -- IfExists, ForAllValues, Null [IAM-IFEXISTS]
    ("StringEqualsIfExists vpc", doc(st(condition=c("StringEqualsIfExists", "aws:SourceVpc",
                                                    VPC))), "s3", True, "IAM-IFEXISTS"),
    ("IpAddressIfExists", doc(st(condition=c("IpAddressIfExists", "aws:SourceIp",
                                             "203.0.113.0/24"))), "s3", True, "IAM-IFEXISTS"),
    ("ArnEqualsIfExists", doc(st(condition=c("ArnEqualsIfExists", "aws:PrincipalArn",
                                             "arn:aws:iam::111122223333:role/r"))), "s3", True,
     "IAM-IFEXISTS"),
    ("ForAllValues org", doc(st(condition=c("ForAllValues:StringEquals", "aws:PrincipalOrgID",
                                            ORG))), "s3", True, "IAM-IFEXISTS"),
    ("Null trick", doc(st(condition=c("Null", "aws:SourceVpc", "false"))), "s3", True,
     "IAM-IFEXISTS"),
    ("IfExists next to a real restriction", doc(st(condition={
        "StringEqualsIfExists": {"aws:SourceVpc": VPC},
        "StringEquals": {"aws:PrincipalOrgID": ORG}})), "s3", False, "S3-PUBLIC-FIXED"),
    # -- source addresses [S3-PUBLIC-CIDR]
    ("office range", doc(st(condition=c("IpAddress", "aws:SourceIp", "203.0.113.0/24"))),
     "s3", False, "S3-PUBLIC-CIDR"),
    ("single address", doc(st(condition=c("IpAddress", "aws:SourceIp", "203.0.113.7"))), "s3",
     False, "S3-PUBLIC-CIDR"),
    ("a /8", doc(st(condition=c("IpAddress", "aws:SourceIp", "10.0.0.0/8"))), "s3", False,
     "S3-PUBLIC-CIDR"),
    ("ipv6 /48", doc(st(condition=c("IpAddress", "aws:SourceIp", "2001:db8:1234::/48"))),
     "s3", False, "S3-PUBLIC-CIDR"),
    ("everywhere v4", doc(st(condition=c("IpAddress", "aws:SourceIp", "0.0.0.0/0"))), "s3",
     True, "S3-PUBLIC-CIDR"),
    ("everywhere v6", doc(st(condition=c("IpAddress", "aws:SourceIp", "::/0"))), "s3", True,
     "S3-PUBLIC-CIDR"),
    ("half the internet", doc(st(condition=c("IpAddress", "aws:SourceIp",
                                             ["0.0.0.0/1", "128.0.0.0/1"]))), "s3", True,
     "S3-PUBLIC-CIDR"),
    ("a /7", doc(st(condition=c("IpAddress", "aws:SourceIp", "10.0.0.0/7"))), "s3", True,
     "S3-PUBLIC-CIDR"),
    ("ipv6 /16", doc(st(condition=c("IpAddress", "aws:SourceIp", "2001::/16"))), "s3", True,
     "S3-PUBLIC-CIDR"),
    ("one wide range among narrow ones", doc(st(condition=c(
        "IpAddress", "aws:SourceIp", ["203.0.113.0/24", "0.0.0.0/0"]))), "s3", True,
     "S3-PUBLIC-CIDR"),
    ("not an address", doc(st(condition=c("IpAddress", "aws:SourceIp", "office"))), "s3", True,
     "S3-PUBLIC-CIDR"),
    ("StringEquals on an address", doc(st(condition=c("StringEquals", "aws:SourceIp",
                                                      "203.0.113.7"))), "s3", True,
     "S3-PUBLIC-CIDR"),
    # -- role sessions [S3-PUBLIC-USERID]
    ("role session ids", doc(st(condition=c("StringLike", "aws:userid",
                                            "AROAEXAMPLEID123:*"))), "s3", False,
     "S3-PUBLIC-USERID"),
    ("userid wildcard", doc(st(condition=c("StringLike", "aws:userid", "*"))), "s3", True,
     "S3-PUBLIC-FIXED"),
    ("userid prefix wildcard", doc(st(condition=c("StringLike", "aws:userid", "AROA*"))), "s3",
     True, "S3-PUBLIC-FIXED"),
    # -- documents that cannot be judged [FAIL-CLOSED]
    ("not an object", ["Statement"], "s3", None, "FAIL-CLOSED"),
    ("statement is a string", {"Statement": "allow all"}, "s3", None, "FAIL-CLOSED"),
    ("effect missing", doc({"Principal": "*", "Action": "s3:*"}), "s3", None, "FAIL-CLOSED"),
    ("allow without principal", doc({"Effect": "Allow", "Action": "s3:*"}), "s3", None,
     "FAIL-CLOSED"),
    ("principal is a number", doc(st(5)), "s3", None, "FAIL-CLOSED"),
    ("condition is a list", doc(st(condition=[{"StringEquals": {}}])), "s3", None,
     "FAIL-CLOSED"),
    ("condition value is an object", doc(st(condition=c("StringEquals", "aws:SourceVpc",
                                                        {"v": VPC}))), "s3", None,
     "FAIL-CLOSED"),
]


def test_the_table_is_large_and_covers_every_rule() -> None:
    assert len(CASES) >= 60
    rules = {rule for *_, rule in CASES}
    assert rules >= {"S3-PUBLIC-PRINCIPAL", "S3-PUBLIC-FIXED", "IAM-NEGATED", "IAM-IFEXISTS",
                     "S3-PUBLIC-CIDR", "S3-PUBLIC-USERID", "IAM-DENY", "FAIL-CLOSED"}
    assert len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "policy", "service", "public", "rule"), CASES,
                         ids=[x[0] for x in CASES])
def test_policy_verdict_follows_the_aws_rule(name: str, policy: Any, service: str,
                                            public: bool | None, rule: str) -> None:
    v = judge(policy, service)
    assert v.public is public, v.reasons
    if public is not False:
        # The reason given is the rule of the table, not another one.
        assert any(f"[{rule}]" in r for r in v.reasons), v.reasons
    if public is None:
        assert v.wildcard_principal is None


def test_a_wildcard_principal_is_reported_even_when_confined() -> None:
    v = judge(doc(st(condition=c("StringEquals", "aws:SourceVpc", VPC))))
    assert (v.public, v.wildcard_principal) == (False, True)


def test_reasons_name_the_statement() -> None:
    v = judge(doc(st(sid="PublicRead", condition=c("StringLike", "aws:SourceVpc", "vpc-*"))))
    assert v.reasons == ("statement PublicRead: [S3-PUBLIC-FIXED] aws:sourcevpc vpc-* holds a "
                         "wildcard or a policy variable",)


# -- the same verdict from every source --------------------------------------------------------

SOURCE_CASES = [x for x in CASES if x[2] == "s3" and isinstance(x[1], dict)
                and x[1].get("Statement") and x[3] is not None]


def _tf_bucket(name: str, policy: dict[str, Any], tool: str) -> dict[str, Any]:
    bucket = IacResource(address=f"aws_s3_bucket.{name}", type="aws_s3_bucket", name=name,
                         values={"bucket": name, "id": name, "arn": f"arn:aws:s3:::{name}"},
                         action="create", account=ACCOUNT, region=REGION, file="plan.json",
                         tool=tool)
    pol = IacResource(address=f"aws_s3_bucket_policy.{name}", type="aws_s3_bucket_policy",
                      name=name, values={"bucket": name, "policy": json.dumps(policy)},
                      action="create", account=ACCOUNT, region=REGION, file="plan.json",
                      refs={"bucket": [f"aws_s3_bucket.{name}"]})
    inv = build_inventory([bucket, pol], tool=tool, files=["plan.json"])
    (a,) = [x for x in inv.assets if x["kind"] == "object_store"]
    return a


@pytest.mark.parametrize("tool", ["terraform", "pulumi"])
def test_iac_sources_give_the_table_verdict(tool: str) -> None:
    for name, policy, _, public, _ in SOURCE_CASES:
        a = _tf_bucket("b", policy, tool)
        # A bucket created now has every public-access block on, which neutralises a public
        # policy; the policy's own verdict is what the wildcard and the gap say.
        assert a["access"]["wildcard_principal"] == judge(policy).wildcard_principal, name
        if public is None:
            assert a["assessment"]["status"] == "partial", name


@pytest.mark.parametrize("tool", ["terraform", "pulumi"])
def test_iac_public_verdict_without_a_block(tool: str) -> None:
    """With the account's block off, the bucket's exposure is the policy's verdict."""
    for name, policy, _, public, _ in SOURCE_CASES:
        bucket = IacResource(address="aws_s3_bucket.b", type="aws_s3_bucket", name="b",
                             values={"bucket": "b", "id": "b"}, action="create",
                             account=ACCOUNT, region=REGION, file="plan.json")
        pab = IacResource(address="aws_s3_bucket_public_access_block.b",
                          type="aws_s3_bucket_public_access_block", name="b",
                          values={"bucket": "b", "block_public_acls": False,
                                  "ignore_public_acls": False, "block_public_policy": False,
                                  "restrict_public_buckets": False},
                          action="create", account=ACCOUNT, region=REGION, file="plan.json",
                          refs={"bucket": ["aws_s3_bucket.b"]})
        pol = IacResource(address="aws_s3_bucket_policy.b", type="aws_s3_bucket_policy",
                          name="b", values={"bucket": "b", "policy": json.dumps(policy)},
                          action="create", account=ACCOUNT, region=REGION, file="plan.json",
                          refs={"bucket": ["aws_s3_bucket.b"]})
        inv = build_inventory([bucket, pab, pol], tool=tool, files=["plan.json"])
        (a,) = [x for x in inv.assets if x["kind"] == "object_store"]
        assert a["access"]["public"] is public, name


@pytest.mark.slow
def test_live_scan_gives_the_table_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_env(monkeypatch)
    cases = [x for x in SOURCE_CASES if not isinstance(x[1]["Statement"], dict)]
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        expected: dict[str, bool | None] = {}
        for i, (_name, policy, _, public, _) in enumerate(cases):
            b = f"policy-case-{i}"
            s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
                "BlockPublicAcls": False, "IgnorePublicAcls": False,
                "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
            s3.put_bucket_policy(Bucket=b, Policy=json.dumps(policy))
            expected[b] = public
        inv = sweep(SweepOptions(regions=[REGION], services=["s3"]))
    got = {a["name"]: a["access"]["public"] for a in inv.assets if a["kind"] == "object_store"}
    names = {f"policy-case-{i}": x[0] for i, x in enumerate(cases)}
    wrong = {names[b]: (got.get(b), want) for b, want in expected.items() if got.get(b) is not want}
    assert not wrong


@pytest.mark.parametrize("tool", ["terraform", "pulumi"])
def test_iac_table_resource_policy_gives_the_table_verdict(tool: str) -> None:
    """A DynamoDB table is reached through the service's public endpoint: its resource
    policy (aws_dynamodb_resource_policy) decides whether anyone can read it."""
    for name, policy, _, public, _ in SOURCE_CASES:
        arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t"
        table = IacResource(address="aws_dynamodb_table.t", type="aws_dynamodb_table",
                            name="t", values={"name": "t", "arn": arn}, action="create",
                            account=ACCOUNT, region=REGION, file="plan.json", tool=tool)
        pol = IacResource(address="aws_dynamodb_resource_policy.t",
                          type="aws_dynamodb_resource_policy", name="t",
                          values={"resource_arn": arn, "policy": json.dumps(policy)},
                          action="create", account=ACCOUNT, region=REGION, file="plan.json",
                          refs={"resource_arn": ["aws_dynamodb_table.t"]}, tool=tool)
        inv = build_inventory([table, pol], tool=tool, files=["plan.json"])
        (a,) = [x for x in inv.assets if x["kind"] == "table"]
        # S3's own keys (access points, SSE-KMS key) confine nothing on a table.
        want = judge(policy, "dynamodb").public
        assert a["access"]["public"] is want, name
        assert want is public or "(S3 key)" in name
    lone = IacResource(address="aws_dynamodb_table.u", type="aws_dynamodb_table", name="u",
                       values={"name": "u"}, action="create", account=ACCOUNT, region=REGION,
                       file="plan.json", tool=tool)
    (a,) = build_inventory([lone], tool=tool, files=["plan.json"]).assets
    assert a["access"] == {"public": False, "wildcard_principal": False, "readers": []}


@pytest.mark.slow
def test_live_scan_judges_table_resource_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_env(monkeypatch)
    picked = ["star principal", "source vpc fixed", "StringLike vpc-*", "StringNotEquals vpc",
              "StringEqualsIfExists vpc", "everywhere v4", "org id fixed",
              "access point account (S3 key)"]
    cases = {x[0]: x[1] for x in SOURCE_CASES if x[0] in picked}
    assert set(cases) == set(picked)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        for i, policy in enumerate(cases.values()):
            arn = ddb.create_table(
                TableName=f"t{i}", BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            )["TableDescription"]["TableArn"]
            ddb.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy))
        ddb.create_table(TableName="plain", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
        inv = sweep(SweepOptions(regions=[REGION], services=["dynamodb"]))
    got = {a["name"]: a["access"]["public"] for a in inv.assets if a["kind"] == "table"}
    want = {f"t{i}": judge(p, "dynamodb").public for i, p in enumerate(cases.values())}
    assert got == {**want, "plain": False}
    assert list(want.values()).count(True) == 6  # star, vpc-*, negated, IfExists, /0, S3 key


def test_a_known_public_table_policy_stays_public_beside_an_unknown_one() -> None:
    """One attached policy is public, another's target is unknown until apply: public
    (a finding), not merely not assessed."""
    from dsscan.scanners.iac.resources import UNTIL_APPLY

    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t"
    table = IacResource(address="aws_dynamodb_table.t", type="aws_dynamodb_table", name="t",
                        values={"name": "t", "arn": arn}, action="create", account=ACCOUNT,
                        region=REGION, file="plan.json")
    public = IacResource(address="aws_dynamodb_resource_policy.p",
                         type="aws_dynamodb_resource_policy", name="p",
                         values={"resource_arn": arn, "policy": json.dumps(doc(st()))},
                         action="create", account=ACCOUNT, region=REGION, file="plan.json",
                         refs={"resource_arn": ["aws_dynamodb_table.t"]})
    other = IacResource(address="aws_dynamodb_resource_policy.q",
                        type="aws_dynamodb_resource_policy", name="q",
                        values={"resource_arn": UNTIL_APPLY, "policy": "{}"},
                        action="create", account=ACCOUNT, region=REGION, file="plan.json")
    inv = build_inventory([table, public, other], tool="terraform", files=["plan.json"])
    (a,) = [x for x in inv.assets if x["kind"] == "table"]
    assert a["access"]["public"] is True
