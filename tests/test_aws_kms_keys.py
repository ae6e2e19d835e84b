"""KMS keys in the live scanner: the facts DS-KMS-001 judges (state, deletion date, rotation,
who may decrypt from the key policy and grants) and the policy's verdicts on a moto estate.

moto serves every call read here (DescribeKey with KeyState and DeletionDate,
GetKeyRotationStatus, GetKeyPolicy, ListGrants); faults are injected with botocore hooks.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, REGION, ClientHooks, bucket, by_name, fake_env
from botocore.exceptions import ClientError
from moto import mock_aws

from dsscan.config import Config
from dsscan.keyrel import UNKNOWN_ORGS
from dsscan.pipeline import ScanOptions, exit_code, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # moto estates swept end to end

OTHER = "999999999999"


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def key(alias: str, *, rotation: bool = True) -> str:
    kms = boto3.client("kms", region_name=REGION)
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=f"alias/{alias}", TargetKeyId=kid)
    if rotation:
        kms.enable_key_rotation(KeyId=kid)
    return kid


def store(name: str, kid: str, level: str, env: str = "production") -> None:
    """A bucket encrypted with the key, by alias (as S3 names it when set so)."""
    s3 = bucket(name, tags={"dsscan:level": level, "environment": env})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                               "KMSMasterKeyID": kid}}]})


def scan(*hooks: Any, config: Config | None = None) -> tuple[Any, Any]:
    with ClientHooks(*hooks):
        inv = sweep(SweepOptions(regions=[REGION], services=["s3", "kms"]))
    result = run_scan(inv, load_library(), ScanOptions(config=config or Config(),
                                                       include=("DS-KMS-001",)))
    return inv, result


def found(result: Any) -> set[tuple[str, str]]:
    return {(f.asset_id.rsplit("/", 1)[-1], f.key) for f in result.findings}


def test_the_facts_of_a_key_are_read() -> None:
    kid = key("ledger")
    kms = boto3.client("kms", region_name=REGION)
    kms.create_grant(KeyId=kid, GranteePrincipal=f"arn:aws-cn:iam::{OTHER}:role/app",
                     Operations=["Decrypt"])
    inv, _ = scan()
    k = by_name(inv, "ledger", "key")
    assert k["kms"] == {
        "rotation_enabled": True, "state": "Enabled", "deletion_date": None,
        "origin": "AWS_KMS",
        "decrypters": [
            {"principal": f"arn:aws-cn:iam::{ACCOUNT}:root", "account": ACCOUNT,
             "via": "key policy statement Enable IAM User Permissions", "anyone": False},
            {"principal": f"arn:aws-cn:iam::{OTHER}:role/app", "account": OTHER,
             "via": "grant", "anyone": False}]}
    assert k["assessment"]["gaps"] == []


def test_a_key_pending_deletion_names_its_date() -> None:
    kid = key("old")
    boto3.client("kms", region_name=REGION).schedule_key_deletion(KeyId=kid,
                                                                  PendingWindowInDays=7)
    inv, _ = scan()
    facts = by_name(inv, "old", "key")["kms"]
    assert facts["state"] == "PendingDeletion"
    assert isinstance(facts["deletion_date"], str) and facts["deletion_date"][:2] == "20"


# (case, how the estate is built, DS-KMS-001 findings as (key id, finding key))
def _rotation_off() -> str:
    kid = key("k", rotation=False)
    store("ledger", kid, "important")
    return kid


def _rotation_off_sensitive() -> str:
    kid = key("k", rotation=False)
    store("ledger", kid, "sensitive")
    return kid


def _pending_deletion() -> str:
    kid = key("k")
    store("ledger", kid, "sensitive")
    boto3.client("kms", region_name=REGION).schedule_key_deletion(KeyId=kid,
                                                                  PendingWindowInDays=7)
    return kid


def _disabled() -> str:
    kid = key("k")
    store("ledger", kid, "core")
    boto3.client("kms", region_name=REGION).disable_key(KeyId=kid)
    return kid


def _disabled_general() -> str:
    kid = key("k", rotation=False)
    store("brochures", kid, "general")
    boto3.client("kms", region_name=REGION).disable_key(KeyId=kid)
    return kid


def _open_policy() -> str:
    return _org_policy(None)


def _grant_outside() -> str:
    kid = key("k")
    store("ledger", kid, "sensitive")
    boto3.client("kms", region_name=REGION).create_grant(
        KeyId=kid, GranteePrincipal=f"arn:aws-cn:iam::{OTHER}:root", Operations=["Decrypt"])
    return kid


def _shared_with_test() -> str:
    kid = key("k")
    store("ledger", kid, "important")
    store("ledger-test", kid, "general", env="test")
    return kid


def _healthy() -> str:
    kid = key("k")
    store("ledger", kid, "core")
    store("ledger-copy", kid, "core")
    return kid


CASES = [
    ("rotation off, important data", _rotation_off, {"rotation_off"}),
    ("rotation off, sensitive data only", _rotation_off_sensitive, set()),
    ("pending deletion", _pending_deletion, {"pending_deletion"}),
    ("disabled", _disabled, {"disabled"}),
    ("disabled, general data only", _disabled_general, set()),
    ("key policy lets anyone decrypt", _open_policy, {"decrypt_outside"}),
    ("grant to another account", _grant_outside, {"decrypt_outside"}),
    ("shared by important production and test", _shared_with_test,
     {"shared_test_production"}),
    ("healthy", _healthy, set()),
]


@pytest.mark.parametrize(("case", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_ds_kms_001_on_a_live_estate(case: str, build: Any, expected: set[str]) -> None:
    kid = build()
    _, result = scan()
    assert found(result) == {(kid, k) for k in expected}
    assert result.complete
    assert exit_code(result, "low", Config()) == (1 if expected else 0)


def test_an_outside_account_the_institution_declares_is_its_own() -> None:
    kid = _grant_outside()
    _, result = scan(config=Config(institution_accounts=[OTHER]))
    assert found(result) == set()
    assert kid


ORG, FOREIGN = "o-bank000001", "o-vendor0001"


def _org_policy(condition: dict[str, Any] | None) -> str:
    """A key of a core store whose policy lets ``*`` decrypt, under ``condition`` if any."""
    kid = key("k")
    store("ledger", kid, "core")
    open_to_all: dict[str, Any] = {"Sid": "Open", "Effect": "Allow", "Principal": "*",
                                   "Action": "kms:Decrypt", "Resource": "*"}
    if condition is not None:
        open_to_all["Condition"] = condition
    boto3.client("kms", region_name=REGION).put_key_policy(
        KeyId=kid, PolicyName="default", Policy=json.dumps({"Statement": [
            {"Sid": "Admin", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws-cn:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"}, open_to_all]}))
    return kid


BY_ORG = {"StringEquals": {"aws:PrincipalOrgID": FOREIGN}}
BY_PATH = {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{FOREIGN}/r-ab12/ou-ab12-1/"]}}
# (case, key policy condition, settings, findings, not assessed)
ORG_CASES = [
    ("another organization", BY_ORG, {"institution_organizations": [ORG]},
     {"decrypt_outside"}, False),
    ("another organization by path", BY_PATH, {"institution_organizations": [ORG]},
     {"decrypt_outside"}, False),
    ("the institution's organization", BY_ORG, {"institution_organizations": [FOREIGN]},
     set(), False),
    ("no organization declared: not assessed", BY_ORG, {}, set(), True),
    ("the key's own organization (aws:ResourceOrgID) confines no caller",
     {"StringEquals": {"aws:ResourceOrgID": ORG}}, {"institution_organizations": [ORG]},
     {"decrypt_outside"}, False),
    # keydoc [KMS-UNPLACED]: narrowed by the network only, any account's caller may decrypt
    ("a VPC endpoint only: outside", {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
     {}, {"decrypt_outside"}, False),
    ("a VPC endpoint and the own account (IfExists does not confine): outside",
     {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"},
      "StringEqualsIfExists": {"kms:CallerAccount": ACCOUNT}}, {}, {"decrypt_outside"}, False),
    ("the AWS-managed key pattern (ViaService + the own CallerAccount)",
     {"StringEquals": {"kms:CallerAccount": ACCOUNT,
                       "kms:ViaService": f"ec2.{REGION}.amazonaws.com.cn"}}, {}, set(), False),
]


@pytest.mark.parametrize(("case", "condition", "settings", "expected", "unassessed"),
                         ORG_CASES, ids=[c[0] for c in ORG_CASES])
def test_a_key_policy_confined_to_an_organization(case: str, condition: dict[str, Any],
                                                  settings: dict[str, Any],
                                                  expected: set[str], unassessed: bool) -> None:
    """[KMS-ORG]: an AWS Organization may decrypt; inside only if it is declared the
    institution's (the sweep reads no organization id: Organizations ListAccounts only)."""
    kid = _org_policy(condition)
    _, result = scan(config=Config(**settings))
    assert found(result) == {(kid, k) for k in expected}
    assert [n.reason for n in result.not_assessed if n.asset_id.endswith(kid)] == (
        ["who may decrypt with the key is not known: " + UNKNOWN_ORGS] if unassessed else [])


def _refuse(op: str) -> tuple[str, Any]:
    def refuse(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, op)
    return (f"before-call.kms.{op}", refuse)


@pytest.mark.parametrize(("op", "aspect", "fact"), [
    ("GetKeyRotationStatus", "encryption", "rotation_enabled"),
    ("GetKeyPolicy", "access", "decrypters"),
    ("ListGrants", "access", "decrypters"),
])
def test_a_call_that_fails_is_a_gap_never_a_pass(op: str, aspect: str, fact: str) -> None:
    kid = key("k", rotation=False)
    store("ledger", kid, "core")
    boto3.client("kms", region_name=REGION).create_grant(
        KeyId=kid, GranteePrincipal=f"arn:aws-cn:iam::{OTHER}:root", Operations=["Decrypt"])
    inv, result = scan(_refuse(op))
    k = by_name(inv, "k", "key")
    assert k["kms"][fact] is None
    assert k["assessment"]["gaps"] == [{"aspect": aspect,
                                        "reason": f"kms:{op} AccessDeniedException"}]
    # The fact that was read still gives its finding; the other is not assessed.
    assert found(result) == {(kid, "decrypt_outside" if fact == "rotation_enabled"
                              else "rotation_off")}
    assert any(n.asset_id.endswith(kid) for n in result.not_assessed)
    assert not result.complete  # findings decide the exit code (1); the gap is reported


def test_a_key_whose_material_cannot_rotate_is_not_rotated() -> None:
    kid = key("k", rotation=False)
    store("ledger", kid, "important")

    def unsupported(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "UnsupportedOperationException",
                                     "Message": "imported key material"}},
                          "GetKeyRotationStatus")
    inv, result = scan(("before-call.kms.GetKeyRotationStatus", unsupported))
    assert by_name(inv, "k", "key")["kms"]["rotation_enabled"] is False
    assert found(result) == {(kid, "rotation_off")}
