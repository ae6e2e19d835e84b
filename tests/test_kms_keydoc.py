"""DS-KMS-001's facts: who a key policy and grants let decrypt (scanners/aws/keydoc.py), which
stores a key protects and who is outside the institution (dsscan/keyrel.py), the
``institution_accounts`` setting."""

from __future__ import annotations

from typing import Any

import pytest

from dsscan.config import Config, config_from_mapping
from dsscan.errors import InputError
from dsscan.keyrel import attach_key_context, institution
from dsscan.scanners.aws.keydoc import NotAPolicy, grant_decrypters, policy_decrypters

OWN, OTHER = "111111111111", "999999999999"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, action: Any = "kms:Decrypt", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*",
            **extra}


def who(policy: Any) -> set[tuple[str, str | None, bool]]:
    return {(p["principal"], p["account"], p["anyone"]) for p in policy_decrypters(policy)}


ROOT = f"arn:aws-cn:iam::{OWN}:root"


@pytest.mark.parametrize(("policy", "expected"), [
    (None, set()),  # no policy document: AWS's default, the key's own account
    (doc(allow({"AWS": ROOT}, "kms:*")), {(ROOT, OWN, False)}),
    (doc(allow("*")), {("*", None, True)}),
    (doc(allow({"AWS": "*"}, "*")), {("*", None, True)}),
    (doc(allow({"AWS": "*"}, ["kms:De*"])), {("*", None, True)}),
    (doc(allow({"AWS": "*"}, "KMS:DECRYPT")), {("*", None, True)}),
    # a condition that confines nothing (transport, dates) leaves it to anyone
    (doc(allow("*", Condition={"Bool": {"aws:SecureTransport": "true"}})), {("*", None, True)}),
    # ...negated, or IfExists: not a restriction
    (doc(allow("*", Condition={"StringNotEquals": {"kms:CallerAccount": OTHER}})),
     {("*", None, True)}),
    (doc(allow("*", Condition={"StringEqualsIfExists": {"kms:CallerAccount": OWN}})),
     {("*", None, True)}),
    # confined to fixed accounts: exactly those accounts
    (doc(allow("*", Condition={"StringEquals": {
        "kms:CallerAccount": [OWN, OTHER], "kms:ViaService": "s3.cn-north-1.amazonaws.com.cn"}})),
     {(f"* (account {OWN})", OWN, False), (f"* (account {OTHER})", OTHER, False)}),
    (doc(allow("*", Condition={"ArnLike": {
        "aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/x"}})),
     {(f"* (account {OTHER})", OTHER, False)}),
    # confined to an organisation: every account of it (tests/test_kms_institution.py)
    (doc(allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
     {("* (organization o-abc123)", None, False)}),
    # a wildcard account in an ARN is anyone
    (doc(allow({"AWS": "arn:aws:iam::*:root"})), {("*", None, True)}),
    (doc({"Effect": "Allow", "NotPrincipal": {"AWS": ROOT}, "Action": "kms:Decrypt"}),
     {("*", None, True)}),
    # NotAction that leaves Decrypt allowed / takes it away
    (doc({"Effect": "Allow", "Principal": {"AWS": OTHER}, "NotAction": "kms:ScheduleKeyDeletion"}),
     {(OTHER, OTHER, False)}),
    # ...but everything except Decrypt still lets it grant itself Decrypt ([KMS-PATHS])
    (doc({"Effect": "Allow", "Principal": {"AWS": OTHER}, "NotAction": "kms:Decrypt"}),
     {(OTHER, OTHER, False)}),
    (doc({"Effect": "Allow", "Principal": {"AWS": OTHER}, "NotAction": [
        "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant", "kms:PutKeyPolicy"]}), set()),
    # the other ways to the data in clear: re-encrypt under one's own key, grant oneself
    # Decrypt, rewrite the key policy
    (doc(allow({"AWS": OTHER}, ["kms:ReEncrypt*", "kms:GenerateDataKey*"])),
     {(OTHER, OTHER, False)}),
    (doc(allow({"AWS": OTHER}, "kms:ReEncryptFrom")), {(OTHER, OTHER, False)}),
    (doc(allow({"AWS": OTHER}, "kms:CreateGrant")), {(OTHER, OTHER, False)}),
    (doc(allow({"AWS": OTHER}, "kms:PutKeyPolicy")), {(OTHER, OTHER, False)}),
    (doc(allow("*", "kms:Create*")), {("*", None, True)}),
    # encrypting, generating data keys, describing: no way to existing data
    (doc(allow({"AWS": OTHER}, ["kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey",
                                "kms:ReEncryptTo"])), set()),
    # other actions, denies and service principals do not let anyone decrypt
    (doc(allow("*", "kms:Encrypt")), set()),
    (doc({"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt"}), set()),
    (doc(allow({"Service": "logs.cn-north-1.amazonaws.com.cn"})), set()),
    # a list of named principals, one of another account
    (doc(allow({"AWS": [ROOT, f"arn:aws-cn:iam::{OTHER}:role/auditor"]})),
     {(ROOT, OWN, False), (f"arn:aws-cn:iam::{OTHER}:role/auditor", OTHER, False)}),
    (doc(allow({"AWS": OTHER})), {(OTHER, OTHER, False)}),
    (doc(allow({"Federated": f"arn:aws:iam::{OTHER}:saml-provider/idp"})),
     {(f"arn:aws:iam::{OTHER}:saml-provider/idp", OTHER, False)}),
])
def test_policy_decrypters(policy: Any, expected: set[Any]) -> None:
    assert who(policy) == expected


def net(*keys: str) -> tuple[str, None, bool]:
    return (f"callers of any account meeting {', '.join(keys)}", None, False)


def acct(a: str) -> tuple[str, str, bool]:
    return (f"* (account {a})", a, False)


VPCE, CIDR = "vpce-1a2b3c4d", "10.20.0.0/16"
# [KMS-UNPLACED] Principal "*" narrowed by a condition that names no account or organisation
# (network, user id, an ARN of no account): any account's caller reaching that network may
# decrypt; its account cannot be told, so dsscan/keyrel.py counts it outside (a finding).
# Keys that confine nothing at all (ViaService alone, PrincipalTag, PrincipalType) are anyone.
NARROWED = [
    ("SourceIp", {"IpAddress": {"aws:SourceIp": CIDR}}, {net("aws:SourceIp")}),
    ("SourceVpce", {"StringEquals": {"aws:SourceVpce": VPCE}}, {net("aws:SourceVpce")}),
    ("SourceVpc", {"StringEquals": {"aws:SourceVpc": "vpc-11112222"}}, {net("aws:SourceVpc")}),
    ("VpcSourceIp + SourceVpce", {"IpAddress": {"aws:VpcSourceIp": CIDR},
                                  "StringEquals": {"aws:SourceVpce": VPCE}},
     {net("aws:SourceVpce")}),
    ("userid (a role's sessions)", {"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}},
     {net("aws:userid")}),
    ("username alone confines nothing", {"StringEquals": {"aws:username": "alice"}},
     {("*", None, True)}),
    ("ViaService alone confines nothing",
     {"StringEquals": {"kms:ViaService": "ec2.cn-north-1.amazonaws.com.cn"}},
     {("*", None, True)}),
    ("PrincipalTag confines nothing", {"StringEquals": {"aws:PrincipalTag/team": "data"}},
     {("*", None, True)}),
    ("PrincipalType confines nothing", {"StringEquals": {"aws:PrincipalType": "AssumedRole"}},
     {("*", None, True)}),
    ("SourceArn with no account (a bucket)",
     {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::ledger-exports"}}, {net("aws:SourceArn")}),
    # an account key that does not confine leaves only the network
    ("SourceVpce + CallerAccount IfExists", {"StringEquals": {"aws:SourceVpce": VPCE},
                                             "StringEqualsIfExists": {"kms:CallerAccount": OWN}},
     {net("aws:SourceVpce")}),
    ("SourceVpce + PrincipalAccount ForAllValues",
     {"StringEquals": {"aws:SourceVpce": VPCE},
      "ForAllValues:StringEquals": {"aws:PrincipalAccount": OWN}}, {net("aws:SourceVpce")}),
    ("SourceVpce + PrincipalArn of a wildcard account",
     {"StringEquals": {"aws:SourceVpce": VPCE},
      "ArnLike": {"aws:PrincipalArn": [f"arn:aws:iam::{OWN}:root", "arn:aws:iam::*:role/x"]}},
     {net("aws:SourceVpce")}),
    ("SourceVpce + CallerAccount negated", {"StringEquals": {"aws:SourceVpce": VPCE},
                                            "StringNotEquals": {"kms:CallerAccount": OTHER}},
     {net("aws:SourceVpce")}),
    ("ArnEqualsIfExists PrincipalArn alone", {"ArnEqualsIfExists": {
        "aws:PrincipalArn": f"arn:aws:iam::{OWN}:root"}}, {("*", None, True)}),
    # an account key confines, whatever network key narrows it further
    ("SourceVpce + CallerAccount", {"StringEquals": {"aws:SourceVpce": VPCE,
                                                     "kms:CallerAccount": OTHER}},
     {acct(OTHER)}),
    ("SourceIp + PrincipalArn", {"IpAddress": {"aws:SourceIp": CIDR}, "ArnLike": {
        "aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/etl"}}, {acct(OTHER)}),
    ("ForAnyValue PrincipalAccount + SourceVpc",
     {"ForAnyValue:StringEquals": {"aws:PrincipalAccount": [OWN]},
      "StringEquals": {"aws:SourceVpc": "vpc-11112222"}}, {acct(OWN)}),
    ("SourceAccount", {"StringEquals": {"aws:SourceAccount": OTHER}}, {acct(OTHER)}),
    ("SourceOwner", {"StringEquals": {"aws:SourceOwner": OWN}}, {acct(OWN)}),
    ("SourceArn of an account", {"ArnLike": {
        "aws:SourceArn": f"arn:aws:logs:cn-north-1:{OTHER}:log-group:audit"}}, {acct(OTHER)}),
    # AWS's managed-key pattern (aws/ebs, aws/rds): through the service, one account's callers
    ("ViaService + CallerAccount (the AWS-managed key pattern)",
     {"StringEquals": {"kms:CallerAccount": OWN,
                       "kms:ViaService": "ec2.cn-north-1.amazonaws.com.cn"}}, {acct(OWN)}),
    ("ViaService + CallerAccount, as two operators",
     {"StringEquals": {"kms:CallerAccount": OWN},
      "StringLike": {"kms:ViaService": "rds.*.amazonaws.com"}}, {acct(OWN)}),
    # an organisation confines, the network narrows it further
    ("SourceIp + PrincipalOrgID", {"IpAddress": {"aws:SourceIp": CIDR},
                                   "StringEquals": {"aws:PrincipalOrgID": "o-abc1234567"}},
     {("* (organization o-abc1234567)", None, False)}),
]


@pytest.mark.parametrize(("case", "condition", "expected"), NARROWED,
                         ids=[c[0] for c in NARROWED])
def test_a_wildcard_narrowed_without_an_account(case: str, condition: dict[str, Any],
                                                expected: set[Any]) -> None:
    policy = doc(allow({"AWS": "*"}, ["kms:Decrypt", "kms:DescribeKey"], Condition=condition))
    assert who(policy) == expected


def test_a_narrowed_wildcard_is_outside_whatever_the_institution() -> None:
    """keyrel: its account cannot be told, so it is outside (a finding), never unplaced."""
    (p,) = policy_decrypters(doc(allow("*", Sid="Vpce", Condition={
        "StringEquals": {"aws:SourceVpce": VPCE}})))
    k = {"id": "k", "kind": "key", "account": OWN, "kms": {"decrypters": [p]}}
    attach_key_context([k], config_from_mapping({"institution_accounts": [OWN]}))
    assert k["ctx"]["decrypt_outside"] == [{
        "principal": "callers of any account meeting aws:SourceVpce", "account": None,
        "via": "key policy statement Vpce"}]
    assert k["ctx"]["decrypt_unknown"] == []


@pytest.mark.parametrize("policy", [
    "not a document", {"Statement": "x"}, {"Statement": [{"Effect": "Maybe"}]},
    doc({"Effect": "Allow", "Action": "kms:Decrypt"}),  # no principal
    doc({"Effect": "Allow", "Principal": "*"}),  # neither Action nor NotAction
])
def test_a_document_that_is_not_a_policy_fails_closed(policy: Any) -> None:
    with pytest.raises(NotAPolicy):
        policy_decrypters(policy)


def test_statement_id_is_named() -> None:
    (p,) = policy_decrypters(doc(allow("*", Sid="Open")))
    assert p["via"] == "key policy statement Open"


def test_grant_decrypters() -> None:
    got = grant_decrypters([
        {"grantee": f"arn:aws:iam::{OTHER}:role/app", "operations": ["Decrypt", "Encrypt"]},
        {"grantee": f"arn:aws:iam::{OWN}:role/app", "operations": ["Encrypt"]},
        {"grantee": "rds.cn-north-1.amazonaws.com.cn", "operations": ["Decrypt"]},
        # re-encrypting from the key, or granting onward, reaches the data too
        {"grantee": f"arn:aws:iam::{OTHER}:role/re", "operations": ["ReEncryptFrom",
                                                                    "GenerateDataKey"]},
        {"grantee": f"arn:aws:iam::{OTHER}:role/cg", "operations": ["CreateGrant"]},
        {"grantee": f"arn:aws:iam::{OTHER}:role/gdk", "operations": ["GenerateDataKey",
                                                                     "ReEncryptTo"]},
    ])
    assert [(p["principal"], p["account"], p["via"]) for p in got] == [
        (f"arn:aws:iam::{OTHER}:role/app", OTHER, "grant"),
        (f"arn:aws:iam::{OTHER}:role/re", OTHER, "grant"),
        (f"arn:aws:iam::{OTHER}:role/cg", OTHER, "grant")]
    with pytest.raises(NotAPolicy):
        grant_decrypters([{"grantee": None, "operations": ["Decrypt"]}])


# --------------------------------------------------------------------------- keyrel

ARN = f"arn:aws-cn:kms:cn-north-1:{OWN}:key/1234abcd"


def key_asset(decrypters: Any = (), **extra: Any) -> dict[str, Any]:
    return {"id": ARN, "kind": "key", "name": "ledger", "account": OWN, "region": "cn-north-1",
            "attributes": {"aliases": ["alias/ledger"]},
            "kms": {"decrypters": list(decrypters) if decrypters is not None else None},
            "ctx": {}, **extra}


def store(sid: str, key_id: str | None, account: str | None = OWN,
          region: str | None = "cn-north-1", **ctx: Any) -> dict[str, Any]:
    return {"id": sid, "kind": "database", "name": sid, "account": account, "region": region,
            "encryption": {"at_rest": {"enabled": True, "key_type": "customer_managed",
                                       "key_id": key_id}},
            "ctx": {"level": "core", "protect_level": "core", "environment": "production",
                    "test": False, "production": True, **ctx}}


@pytest.mark.parametrize(("ref", "account", "region", "found"), [
    (ARN, OWN, "cn-north-1", True),
    ("1234abcd", OWN, "cn-north-1", True),
    ("alias/ledger", OWN, "cn-north-1", True),
    (f"arn:aws-cn:kms:cn-north-1:{OWN}:alias/ledger", OTHER, "cn-north-1", True),
    ("1234abcd", None, None, True),  # a plan: account and region not known
    # the same id or alias in another account or region is another key
    ("1234abcd", OTHER, "cn-north-1", False),
    ("alias/ledger", OWN, "cn-northwest-1", False),
    (f"arn:aws-cn:kms:cn-north-1:{OTHER}:key/1234abcd", OWN, "cn-north-1", False),
    ("alias/other", OWN, "cn-north-1", False),
])
def test_which_stores_a_key_protects(ref: str, account: str | None, region: str | None,
                                     found: bool) -> None:
    k = key_asset()
    s = store("db", ref, account, region)
    attach_key_context([k, s], Config())
    assert [p["id"] for p in k["ctx"]["protects"]] == (["db"] if found else [])


def test_protects_carries_the_store_facts_and_iac_keys_match_by_address_and_arn() -> None:
    k = {"id": "aws_kms_key.ledger", "kind": "key", "name": "ledger", "account": None,
         "region": None, "attributes": {"aliases": [], "arn": ARN}, "ctx": {}}
    by_address = store("a", "aws_kms_key.ledger", None, None)
    by_arn = store("b", ARN, None, None, environment="test", test=True, production=False,
                   level="unclassified", protect_level="sensitive")
    attach_key_context([k, by_address, by_arn], Config())
    assert k["ctx"]["protects"] == [
        {"id": "a", "name": "a", "kind": "database", "level": "core", "protect_level": "core",
         "environment": "production", "test": False, "production": True},
        {"id": "b", "name": "b", "kind": "database", "level": "unclassified",
         "protect_level": "sensitive", "environment": "test", "test": True,
         "production": False}]
    assert k["ctx"]["decrypt_outside"] is None  # no key facts: not assessed


def test_an_ambiguous_reference_names_no_key() -> None:
    k1 = key_asset()
    k2 = {**key_asset(), "id": ARN.replace("cn-north-1", "cn-northwest-1"),
          "region": "cn-northwest-1"}
    s = store("db", "1234abcd", OWN, None)
    attach_key_context([k1, k2, s], Config())
    assert k1["ctx"]["protects"] == [] and k2["ctx"]["protects"] == []


SWEPT_OWN = [{"type": "aws", "account": OWN, "region": "cn-north-1"}]


def entry(principal: str, account: str | None, anyone: bool = False) -> dict[str, Any]:
    return {"principal": principal, "account": account, "via": "key policy", "anyone": anyone}


@pytest.mark.parametrize(("decrypters", "settings", "outside"), [
    ([], {}, []),
    ([entry(ROOT, OWN)], {}, []),  # the key's own account is swept
    ([entry("*", None, True)], {}, [("*", None)]),
    ([entry(OTHER, OTHER)], {}, [(OTHER, OTHER)]),
    ([entry(OTHER, OTHER)], {"institution_accounts": [OTHER]}, []),
    ([entry(OTHER, OTHER)], {"accounts": {OTHER: {"environment": "production"}}}, []),
    ([entry(OTHER, OTHER)], {"kms_keys": [OTHER]}, []),
    ([entry("some-principal", None)], {"institution_accounts": [OTHER]},
     [("some-principal", None)]),
    (None, {}, None),
])
def test_who_is_outside_the_institution(decrypters: Any, settings: dict[str, Any],
                                        outside: Any) -> None:
    k = key_asset(decrypters)
    attach_key_context([k], config_from_mapping(settings), SWEPT_OWN)
    got = k["ctx"]["decrypt_outside"]
    assert (None if got is None else [(p["principal"], p["account"]) for p in got]) == outside


def test_the_accounts_a_sweep_read_are_the_institutions() -> None:
    assert OTHER in institution([], Config(), [{"type": "aws", "account": OTHER,
                                                "region": "cn-north-1"}])


@pytest.mark.parametrize(("value", "message"), [
    ("111111111111", "must be a list"),
    ([111111111111], "quote the account id"),
    (["12345"], "institution_accounts[0] must be a 12-digit account id"),
    ([None], "institution_accounts[0] must be a 12-digit account id"),
])
def test_bad_institution_accounts_setting_is_one_line(value: Any, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config_from_mapping({"institution_accounts": value}, "dsscan.yaml")


def test_institution_accounts_setting_is_read() -> None:
    cfg = config_from_mapping({"institution_accounts": [OTHER]})
    assert cfg.institution_accounts == [OTHER]
    assert Config().institution_accounts == []
