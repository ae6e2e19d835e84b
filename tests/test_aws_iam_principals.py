"""IAM principals in the live scanner (scanners/aws/iam.py): roles, users and groups with their
attached managed (customer and AWS) and inline policies and a role's trust policy, read into
the facts DS-IAM-001 judges, and the policy's verdicts on a moto estate.

moto serves every call read here (ListRoles/Users/Groups, ListAttached*Policies,
List*Policies, Get*Policy, GetPolicy, GetPolicyVersion) and, with
``iam.load_aws_managed_policies``, the AWS managed policies themselves (their real documents,
in the ``aws-cn`` partition); faults are injected with botocore hooks.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, REGION, ClientHooks, bucket, by_name, fake_env
from botocore.exceptions import ClientError
from moto import mock_aws

from dsscan.config import config_from_mapping
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # moto estates swept end to end

VENDOR = "999999999999"
V = "2012-10-17"
AWS_POLICY = "arn:aws-cn:iam::aws:policy/"
EC2_TRUST = json.dumps({"Version": V, "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com.cn"},
    "Action": "sts:AssumeRole"}]})


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        yield


def iam() -> Any:
    return boto3.client("iam", region_name=REGION)


def role(name: str, *managed: str, trust: str = EC2_TRUST, path: str = "/") -> None:
    iam().create_role(RoleName=name, AssumeRolePolicyDocument=trust, Path=path)
    for m in managed:
        iam().attach_role_policy(RoleName=name, PolicyArn=m)


def estate() -> None:
    bucket("core-ledger", tags={"dsscan:level": "core"})
    role("admin", AWS_POLICY + "AdministratorAccess")
    role("auditor", AWS_POLICY + "ReadOnlyAccess")
    role("viewer", AWS_POLICY + "job-function/ViewOnlyAccess")
    role("vendor-reader", AWS_POLICY + "AmazonS3ReadOnlyAccess",
         trust=json.dumps({"Version": V, "Statement": [{
             "Effect": "Allow", "Principal": {"AWS": VENDOR}, "Action": "sts:AssumeRole"}]}))
    role("AWSServiceRoleForX", AWS_POLICY + "AdministratorAccess", path="/aws-service-role/x/")
    c = iam()
    c.create_user(UserName="analyst")
    c.put_user_policy(UserName="analyst", PolicyName="read-all", PolicyDocument=json.dumps({
        "Version": V, "Statement": [{"Sid": "All", "Effect": "Allow", "Action": "s3:GetObject",
                       "Resource": "arn:aws-cn:s3:::*/*"}]}))
    c.create_user(UserName="tagged-reader")
    c.put_user_policy(UserName="tagged-reader", PolicyName="by-tag", PolicyDocument=json.dumps({
        "Version": V, "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                       "Condition": {"StringEquals": {"aws:ResourceTag/team": "risk"}}}]}))
    arn = c.create_policy(PolicyName="scan-tables", PolicyDocument=json.dumps({
        "Version": V, "Statement": [{"Effect": "Allow", "Action": ["dynamodb:Scan", "s3:Get*"],
                       "Resource": "*"},
                      {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}))["Policy"]["Arn"]
    c.create_group(GroupName="data-team")
    c.attach_group_policy(GroupName="data-team", PolicyArn=arn)


def scan(*hooks: Any, **settings: Any) -> tuple[Any, Any]:
    with ClientHooks(*hooks):
        inv = sweep(SweepOptions(regions=[REGION], services=["s3", "iam"]))
    result = run_scan(inv, load_library(), ScanOptions(config=config_from_mapping(settings),
                                                       include=("DS-IAM-001",)))
    return inv, result


def found(result: Any) -> set[tuple[str, str]]:
    return {(f.asset_id.rsplit("/", 1)[-1], f.key) for f in result.findings}


def actions(inv: Any, name: str) -> set[str]:
    return {g["action"] for g in by_name(inv, name, "principal")["iam"]["data_access"]}


def test_principals_and_their_facts_are_read() -> None:
    estate()
    inv, _ = scan()
    names = {a["name"] for a in inv.assets if a["kind"] == "principal"}
    assert names == {"admin", "auditor", "viewer", "vendor-reader", "analyst",
                     "tagged-reader", "data-team"}  # the service-linked role is skipped
    assert any("AWS::IAM::Role" in s.get("skipped", {}) for s in inv.sources)
    admin = by_name(inv, "admin", "principal")
    assert admin["account"] == ACCOUNT and admin["region"] is None
    assert admin["iam"]["principal_type"] == "role" and admin["iam"]["trusted"] == []
    assert admin["assessment"]["gaps"] == []
    assert len(actions(inv, "admin")) == 14  # every data-reading action
    assert {a.split(":")[0] for a in actions(inv, "auditor")} == {"s3", "dynamodb"}
    assert actions(inv, "viewer") == set()
    assert actions(inv, "analyst") == {"s3:GetObject"}
    assert actions(inv, "tagged-reader") == set()
    assert actions(inv, "data-team") == {"dynamodb:Scan"}  # the Deny cancels s3:Get*
    assert by_name(inv, "data-team", "principal")["iam"]["principal_type"] == "group"
    vendor = by_name(inv, "vendor-reader", "principal")["iam"]["trusted"]
    assert [(p["principal"], p["account"]) for p in vendor] == [(VENDOR, VENDOR)]


def test_verdicts_on_the_estate() -> None:
    estate()
    _, result = scan()
    # the only important+ store is a core bucket: S3 reads are findings, the table scan not
    assert found(result) == {
        ("admin", "broad_read"), ("auditor", "broad_read"), ("analyst", "broad_read"),
        ("vendor-reader", "broad_read"), ("vendor-reader", "assumable_outside")}
    assert {f.level for f in result.findings} == {"core"}
    assert result.not_assessed == []


def refuse(op: str) -> tuple[str, Any]:
    def handler(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, op)
    return (f"before-call.iam.{op}", handler)


@pytest.mark.parametrize(("op", "unassessed"), [
    ("GetPolicyVersion", {"admin", "auditor", "viewer", "vendor-reader", "data-team"}),
    ("GetPolicy", {"admin", "auditor", "viewer", "vendor-reader", "data-team"}),
    ("ListAttachedRolePolicies", {"admin", "auditor", "viewer", "vendor-reader"}),
    ("GetUserPolicy", {"analyst", "tagged-reader"}),
    ("ListGroupPolicies", {"data-team"}),
])
def test_a_policy_that_cannot_be_read_is_not_assessed(op: str, unassessed: set[str]) -> None:
    estate()
    inv, result = scan(refuse(op))
    for name in unassessed:
        p = by_name(inv, name, "principal")
        assert p["iam"]["data_access"] is None
        assert p["assessment"]["gaps"][0]["aspect"] == "access"
    assert {n.asset_id.rsplit("/", 1)[-1] for n in result.not_assessed} == unassessed
    assert not {f.asset_id.rsplit("/", 1)[-1] for f in result.findings} & unassessed


@pytest.mark.parametrize("op", ["ListRoles", "ListUsers", "ListGroups"])
def test_a_listing_that_fails_is_a_gap_on_the_account(op: str) -> None:
    estate()
    inv, _ = scan(refuse(op))
    gaps = [g for g in inv.gaps if g["service"] == "iam"]
    assert [(g["account"], g["operation"]) for g in gaps] == [(ACCOUNT, op)]


def test_listings_are_paginated() -> None:
    for i in range(105):
        iam().create_user(UserName=f"u{i:03}")
    inv, _ = scan()
    assert sum(a["kind"] == "principal" for a in inv.assets) == 105


def test_no_store_at_important_or_above_is_not_a_finding() -> None:
    role("admin", AWS_POLICY + "AdministratorAccess")
    bucket("scratch", tags={"dsscan:level": "general"})
    _, result = scan()
    assert result.findings == [] and result.not_assessed == []
