"""DS-IAM-001's facts: which data-reading actions an identity's policies allow on every store
of a service (scanners/aws/iamdoc.py), pinned by tables of documents, and who may assume a
role. AWS managed policies are fixtures trimmed from their published documents
(tests/fixtures/iam_managed/): AdministratorAccess, ReadOnlyAccess, AmazonS3ReadOnlyAccess
and AmazonDynamoDBReadOnlyAccess are broad data access; ViewOnlyAccess is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsscan.scanners.aws.iamdoc import (
    DATA_ACTIONS,
    NotAPolicy,
    data_access,
    parse_document,
    trusted,
)

A = "111111111111"
MANAGED = Path(__file__).parent / "fixtures" / "iam_managed"
GO = {"s3:GetObject"}
EVERY = {a for acts in DATA_ACTIONS.values() for a in acts}


def managed(name: str) -> dict:
    return json.loads((MANAGED / f"{name}.json").read_text())["document"]


def services(found: list[dict]) -> set[str]:
    return {f["action"].split(":")[0] for f in found}


@pytest.mark.parametrize(("name", "expected"), [
    ("AdministratorAccess", {"s3", "dynamodb", "rds-data", "redshift-data", "kms"}),
    ("ReadOnlyAccess", {"s3", "dynamodb"}),          # s3:Get*, dynamodb:Scan/Query; no Decrypt
    ("AmazonS3ReadOnlyAccess", {"s3"}),
    ("AmazonDynamoDBReadOnlyAccess", {"dynamodb"}),
    ("ViewOnlyAccess", set()),                       # lists and describes: reads no data
])
def test_aws_managed_policies(name, expected):
    found = data_access([(name, managed(name))], A)
    assert services(found) == expected
    assert all(f["via"].startswith(name) for f in found)


def test_administrator_access_is_every_data_action():
    assert {f["action"] for f in data_access([("x", managed("AdministratorAccess"))], A)} == EVERY


def c(op, key, value):
    return {"Condition": {op: {key: value}}}


def allow(action, resource="*", **extra):
    return {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]}


@pytest.mark.parametrize(("doc", "expected"), [
    # [KMS-ACTION] action matching: wildcards, case, NotAction
    (allow("s3:GetObject"), GO),
    (allow("S3:getobject"), GO),
    (allow("s3:Get*"), {"s3:GetObject", "s3:GetObjectVersion"}),
    (allow("s3:GetObj?ct"), GO),
    (allow("s3:PutObject"), set()),
    (allow("s3:ListBucket"), set()),
    (allow(["dynamodb:Query", "dynamodb:DescribeTable"]), {"dynamodb:Query"}),
    (allow("rds-data:*"), set(DATA_ACTIONS["rds-data"])),
    (allow("redshift-data:*"), set(DATA_ACTIONS["redshift-data"])),
    (allow("kms:Decrypt"), {"kms:Decrypt"}),
    (allow("kms:Describe*"), set()),
    ({"Statement": [{"Effect": "Allow", "NotAction": ["s3:*", "dynamodb:*", "kms:*"],
                     "Resource": "*"}]},
     set(DATA_ACTIONS["rds-data"]) | set(DATA_ACTIONS["redshift-data"])),
    # [IAM-EVERY] resources that reach every store of the service, and those that do not
    (allow("s3:GetObject", "arn:aws:s3:::*"), GO),
    (allow("s3:GetObject", "arn:aws-cn:s3:::*/*"), GO),
    (allow("s3:GetObject", "arn:*:s3:::*"), GO),
    (allow("s3:GetObject", "arn:aws:s3:::prod-*/*"), set()),
    (allow("s3:GetObject", "arn:aws:s3:::loans/*"), set()),
    (allow("s3:GetObject", "arn:aws:s3:::*/${aws:username}/*"), set()),
    (allow("s3:GetObject", ["arn:aws:s3:::loans/*", "*"]), GO),
    (allow("dynamodb:Scan", f"arn:aws:dynamodb:*:{A}:table/*"), {"dynamodb:Scan"}),
    (allow("dynamodb:Scan", "arn:aws:dynamodb:cn-north-1:*:table/*"), {"dynamodb:Scan"}),
    (allow("dynamodb:Scan", "arn:aws:dynamodb:*:222222222222:table/*"), set()),  # not its own
    (allow("dynamodb:Scan", f"arn:aws:dynamodb:*:{A}:table/orders"), set()),
    (allow("dynamodb:Scan", "arn:aws:s3:::*"), set()),  # another service's resources
    (allow("kms:Decrypt", f"arn:aws:kms:*:{A}:key/*"), {"kms:Decrypt"}),
    (allow("kms:Decrypt", f"arn:aws:kms:*:{A}:key/1234abcd-12ab"), set()),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                     "NotResource": "arn:aws:s3:::audit/*"}]}, GO),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                     "NotResource": "arn:aws:s3:::*"}]}, set()),
    # [IAM-NARROW] conditions that select the data narrow; network and caller keys do not
    (allow("s3:GetObject", **c("StringEquals", "aws:ResourceTag/team", "risk")), set()),
    (allow("s3:GetObject", **c("StringEquals", "s3:ExistingObjectTag/x", "y")), set()),
    (allow("dynamodb:Query", Condition={"ForAllValues:StringEquals": {
        "dynamodb:LeadingKeys": ["${www.amazon.com:user_id}"]}}), {"dynamodb:Query"}),
    (allow("dynamodb:Query", Condition={"ForAnyValue:StringEquals": {
        "dynamodb:LeadingKeys": ["tenant-1"]}}), set()),
    (allow("kms:Decrypt", **c("StringEquals", "kms:ViaService", "s3.cn-north-1.amazonaws.com.cn")),
     set()),
    (allow("kms:Decrypt", **c("StringEquals", "kms:EncryptionContext:app", "x")), set()),
    (allow("s3:GetObject", **c("StringEquals", "aws:SourceVpce", "vpce-1a2b")), GO),
    (allow("s3:GetObject", **c("StringEquals", "aws:SourceVpc", "vpc-1a2b")), GO),
    (allow("s3:GetObject", **c("IpAddress", "aws:SourceIp", "10.0.0.0/16")), GO),
    (allow("s3:GetObject", **c("StringEquals", "aws:PrincipalTag/x", "y")), GO),
    (allow("s3:GetObject", **c("Bool", "aws:SecureTransport", "true")), GO),
    (allow("s3:GetObject", **c("StringNotEquals", "aws:ResourceTag/x", "y")), GO),
    (allow("s3:GetObject", **c("StringEqualsIfExists", "aws:ResourceTag/x", "y")), GO),
    (allow("s3:GetObject", **c("StringLike", "aws:ResourceTag/x", "*")), GO),
    (allow("s3:GetObject", **c("StringEquals", "aws:ResourceAccount", A)), GO),
    (allow("s3:GetObject", **c("StringEquals", "aws:ResourceAccount", "222222222222")), set()),
])
def test_statement_rules(doc, expected):
    assert {f["action"] for f in data_access([("p", doc)], A)} == expected


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(("denial", "left"), [
    (deny("s3:GetObject"), {"s3:GetObjectVersion"}),
    (deny("s3:*"), set()),
    (deny("*"), set()),
    (deny("S3:GET*"), set()),
    (deny("s3:GetObject*", "arn:aws:s3:::*/*"), set()),
    ({"Effect": "Deny", "NotAction": "s3:GetObjectVersion", "Resource": "*"},
     {"s3:GetObjectVersion"}),
    (deny("s3:*", "arn:aws:s3:::audit/*"), {"s3:GetObject", "s3:GetObjectVersion"}),  # some buckets
    ({"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::audit/*"},
     {"s3:GetObject", "s3:GetObjectVersion"}),
    (deny("s3:*", **c("Bool", "aws:MultiFactorAuthPresent", "false")),
     {"s3:GetObject", "s3:GetObjectVersion"}),  # may not apply
    (deny("dynamodb:*"), {"s3:GetObject", "s3:GetObjectVersion"}),
])
def test_deny_subtracts(denial, left):
    grant = allow("s3:Get*")
    # in the same document or in another of the principal's policies
    same = {"Statement": [*grant["Statement"], denial]}
    assert {f["action"] for f in data_access([("p", same)], A)} == left
    other = [("p", grant), ("q", {"Statement": denial})]
    assert {f["action"] for f in data_access(other, A)} == left


def test_unknown_account_fixed_account_pattern_counts():
    doc = allow("dynamodb:Scan", "arn:aws:dynamodb:*:333333333333:table/*")
    assert data_access([("p", doc)], None) == [{"action": "dynamodb:Scan", "via": "p"}]


def test_via_names_the_policy_and_statement():
    doc = {"Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
                          "Resource": "*"}]}
    assert data_access([("policy risk-read", doc)], A) == [
        {"action": "s3:GetObject", "via": "policy risk-read statement Read"}]


@pytest.mark.parametrize("doc", [
    None, [], "x", {"Statement": "x"},
    {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]},
    {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
    {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]},
    {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": [1]}]},
    allow("s3:GetObject", Condition=[]),
    # a broken statement that grants nothing still makes the document unjudgeable
    {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, {"Effect": 1}]},
])
def test_not_a_policy_fails_closed(doc):
    with pytest.raises(NotAPolicy):
        data_access([("p", doc)], A)


@pytest.mark.parametrize(("raw", "ok"), [
    ({"Statement": []}, True), ('{"Statement": []}', True),
    ("%7B%22Statement%22%3A%20%5B%5D%7D", True), ("{", False), (None, False),
])
def test_parse_document(raw, ok):
    if ok:
        assert parse_document(raw) == {"Statement": []}
    else:
        with pytest.raises(NotAPolicy):
            parse_document(raw)


def trust(principal, **extra):
    return {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole",
                           **extra}]}


@pytest.mark.parametrize(("doc", "expected"), [
    (trust({"Service": "ec2.amazonaws.com"}), []),
    (trust({"AWS": f"arn:aws:iam::{A}:root"}), [(f"arn:aws:iam::{A}:root", A, False)]),
    (trust({"AWS": "222222222222"}), [("222222222222", "222222222222", False)]),
    (trust("*"), [("*", None, True)]),
    (trust({"AWS": "*"}, **c("StringEquals", "aws:PrincipalAccount", A)),
     [(f"* (account {A})", A, False)]),
    (trust({"Federated": f"arn:aws:iam::{A}:saml-provider/corp"}, Action="sts:AssumeRoleWithSAML"),
     [(f"arn:aws:iam::{A}:saml-provider/corp", A, False)]),
    (trust({"Federated": "accounts.google.com"}, Action="sts:AssumeRoleWithWebIdentity"),
     [("accounts.google.com", None, False)]),
    (trust({"AWS": "222222222222"}, Action="sts:TagSession"), []),
    (trust({"AWS": "222222222222"}, Action="sts:*"), [("222222222222", "222222222222", False)]),
])
def test_trust_policy(doc, expected):
    assert [(p["principal"], p["account"], p["anyone"]) for p in trusted(doc)] == expected


GH = "token.actions.githubusercontent.com"


def oidc(host, *conds):
    cond: dict = {}
    for op, key, value in conds:
        cond.setdefault(op, {})[key] = value
    extra = {"Condition": cond} if cond else {}
    return trust({"Federated": f"arn:aws:iam::{A}:oidc-provider/{host}"},
                 Action="sts:AssumeRoleWithWebIdentity", **extra)


ANYONE_GH = [(f"* (any identity of {GH})", None, True)]
OWN_GH = [(f"arn:aws:iam::{A}:oidc-provider/{GH}", A, False)]


# [KMS-OIDC] a shared OIDC issuer's provider is the account's; its identities are anyone's
# unless the sub claim is held to an owner.
@pytest.mark.parametrize(("doc", "expected"), [
    (oidc(GH), ANYONE_GH),
    (oidc(GH, ("StringEquals", f"{GH}:aud", "sts.amazonaws.com")), ANYONE_GH),
    (oidc(GH, ("StringLike", f"{GH}:sub", "repo:*")), ANYONE_GH),
    (oidc(GH, ("StringLike", f"{GH}:sub", "*")), ANYONE_GH),
    (oidc(GH, ("StringLike", f"{GH}:sub", "repo:bank*")), ANYONE_GH),
    (oidc(GH, ("StringLike", f"{GH}:sub", ["repo:bank/app:*", "repo:*"])), ANYONE_GH),
    (oidc(GH, ("StringLikeIfExists", f"{GH}:sub", "repo:bank/app:*")), ANYONE_GH),
    (oidc(GH, ("StringNotLike", f"{GH}:sub", "repo:evil/*")), ANYONE_GH),
    (oidc(GH, ("ForAllValues:StringLike", f"{GH}:sub", "repo:bank/*")), ANYONE_GH),
    (oidc("GitLab.com"), [("* (any identity of gitlab.com)", None, True)]),
    (oidc(GH, ("StringLike", f"{GH}:sub", "repo:bank/app:*")), OWN_GH),
    (oidc(GH, ("StringEquals", f"{GH}:sub", "repo:bank/app:ref:refs/heads/main")), OWN_GH),
    (oidc(GH, ("StringLike", "TOKEN.actions.githubusercontent.com:SUB", "repo:bank/*")),
     OWN_GH),
    (oidc("app.terraform.io", ("StringLike", "app.terraform.io:sub",
                               "organization:bank:project:*")),
     [(f"arn:aws:iam::{A}:oidc-provider/app.terraform.io", A, False)]),
    # an issuer of the institution's own (an EKS cluster): its identities are the account's
    (oidc("oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC"),
     [(f"arn:aws:iam::{A}:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC", A,
       False)]),
])
def test_trust_policy_shared_oidc_issuer(doc, expected):
    assert [(p["principal"], p["account"], p["anyone"]) for p in trusted(doc)] == expected


@pytest.mark.parametrize("doc", [
    None, {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}])
def test_trust_policy_fails_closed(doc):
    with pytest.raises(NotAPolicy):
        trusted(doc)
