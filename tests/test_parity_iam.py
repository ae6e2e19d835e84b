"""DS-IAM-001 from every input: one estate of IAM principals and a core bucket, as a Pulumi
program (run under the SDK's mocks), its recorded stack export and preview, a Terraform plan
(provider v5 shapes: ARNs unknown until apply, an attachment's policy_arn a reference to a
policy of the plan, documents from aws_iam_policy_document data sources) and the estate
provisioned into moto (AWS managed policies served by moto), read by the live scanner. Every
description gives the same findings. tests/fixtures/pulumi/iam/__main__.py says why each
principal is what it is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_support import REGION, bucket, fake_env
from moto import mock_aws
from parity_support import pulumi_inventory, record_program

from dsscan.config import Config
from dsscan.inventory import Inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROGRAM = FIXTURES / "pulumi" / "iam"
PLAN = FIXTURES / "terraform" / "iam-plan.json"

EXPECTED = {("iam-admin", "broad_read"), ("iam-vendor", "broad_read"),
            ("iam-vendor", "assumable_outside"), ("iam-reader", "broad_read")}
PRINCIPALS = {"iam-admin", "iam-viewer", "iam-vendor", "iam-reader", "iam-scoped", "iam-ops"}


def verdicts(inv: Inventory) -> tuple[set[tuple[str, str]], list[Any], set[str]]:
    inv = copy.deepcopy(inv)
    result = run_scan(inv, load_library(), ScanOptions(config=Config(),
                                                       include=("DS-IAM-001",)))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    found = {(names[f.asset_id], f.key) for f in result.findings}
    principals = {a["name"] for a in inv.assets if a["kind"] == "principal"}
    return found, result.not_assessed, principals


def test_terraform_plan() -> None:
    inv = build_inventory(read_plan(str(PLAN)), tool="terraform", files=[str(PLAN)])
    assert not any(s.get("skipped") for s in inv.sources)  # every IAM resource is read
    assert verdicts(inv) == (EXPECTED, [], PRINCIPALS)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: Any) -> dict[str, Path]:
    return record_program(tmp_path_factory, PROGRAM)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi(source: str, recorded: dict[str, Path]) -> None:
    inv = pulumi_inventory(source, PROGRAM, recorded)
    assert verdicts(inv) == (EXPECTED, [], PRINCIPALS)


def provision() -> None:
    """The estate of the Pulumi program, in moto."""
    v = "2012-10-17"
    iam = boto3.client("iam", region_name=REGION)
    ec2 = json.dumps({"Version": v, "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com.cn"},
        "Action": "sts:AssumeRole"}]})

    def doc(action: str, resource: str) -> str:
        return json.dumps({"Version": v, "Statement": [{"Effect": "Allow", "Action": action,
                                                        "Resource": resource}]})

    bucket("iam-core-ledger", tags={"dsscan:level": "core", "environment": "production"})
    for name in ("iam-admin", "iam-viewer", "iam-reader", "iam-scoped"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=ec2)
    iam.create_role(RoleName="iam-vendor", AssumeRolePolicyDocument=json.dumps({
        "Version": v, "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws-cn:iam::999999999999:root"},
            "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="iam-admin",
                           PolicyArn="arn:aws-cn:iam::aws:policy/AdministratorAccess")
    iam.attach_role_policy(RoleName="iam-viewer",
                           PolicyArn="arn:aws-cn:iam::aws:policy/job-function/ViewOnlyAccess")
    iam.put_role_policy(RoleName="iam-vendor", PolicyName="read-all",
                        PolicyDocument=doc("s3:GetObject", "*"))
    for role, name, d in (("iam-reader", "iam-read-all", doc("s3:Get*", "arn:aws-cn:s3:::*/*")),
                          ("iam-scoped", "iam-read-one",
                           doc("s3:GetObject", "arn:aws-cn:s3:::iam-core-ledger/*"))):
        arn = iam.create_policy(PolicyName=name, PolicyDocument=d)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.create_group(GroupName="iam-ops")
    iam.put_group_policy(GroupName="iam-ops", PolicyName="scan",
                         PolicyDocument=doc("dynamodb:Scan", "*"))


@pytest.mark.slow
def test_live_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_env(monkeypatch)
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        provision()
        inv = sweep(SweepOptions(regions=[REGION], services=["s3", "iam"]))
    assert verdicts(inv) == (EXPECTED, [], PRINCIPALS)
