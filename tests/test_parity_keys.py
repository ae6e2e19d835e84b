"""DS-KMS-001 from every input: one estate of KMS keys and the buckets they protect, as a
Pulumi program (run under the SDK's mocks), its recorded stack export and preview, a Terraform
plan (provider v5 shapes: the key's ARN and id unknown until apply, the buckets' SSE naming the
key by reference, the key policy an aws_kms_key_policy, the grant an aws_kms_grant) and the
estate provisioned into moto, read by the live scanner. Every description gives the same
findings.

tests/fixtures/pulumi/keys/__main__.py says why each key is what it is; org-key's policy
confines ``*`` to another AWS Organization: a finding with the institution's organization
declared (``institution_organizations``), not assessed without it. A key pending deletion
is not in the shared estate: a plan shows it only as a key it destroys, a program not at all
(tests/test_iac_key_facts.py and tests/test_aws_kms_keys.py pin it per input).
"""

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
from dsscan.keyrel import UNKNOWN_ORGS
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROGRAM = FIXTURES / "pulumi" / "keys"
PLAN = FIXTURES / "terraform" / "keys-plan.json"
PARTNER = "arn:aws-cn:iam::999999999999:role/partner"

EXPECTED = {
    ("ledger-key", "rotation_off"), ("ledger-key", "decrypt_outside"),
    ("ledger-key", "shared_test_production"),
    ("archive-key", "disabled"),
    ("cards-key", "decrypt_outside"), ("org-key", "decrypt_outside"),
}
# The institution's organization: org-key's policy names another one.
ORGS = Config(institution_organizations=["o-bank000001"])
# Without it, whether that organization is the institution's is not known: not assessed.
UNDECLARED = {"who may decrypt with the key is not known: " + UNKNOWN_ORGS}
# Which buckets each key protects (ctx.protects), the relation the policy reads.
PROTECTS = {
    "ledger-key": {"kms-ledger", "kms-ledger-test"}, "archive-key": {"kms-archive"},
    "cards-key": {"kms-cards"}, "org-key": {"kms-org"}, "good-key": {"kms-good"},
}


def verdicts(inv: Inventory, config: Config = ORGS
             ) -> tuple[set[tuple[str, str]], set[str], dict[str, set[str]]]:
    inv = copy.deepcopy(inv)  # a scan classifies and relates the assets in place
    result = run_scan(inv, load_library(), ScanOptions(config=config,
                                                       include=("DS-KMS-001",)))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    found = {(names[f.asset_id], f.key) for f in result.findings}
    unassessed = {n.reason for n in result.not_assessed}
    protects = {a["name"]: {p["name"] for p in a["ctx"]["protects"]}
                for a in inv.assets if a["kind"] == "key"}
    return found, unassessed, protects


def assert_undeclared(inv: Inventory) -> None:
    """The same estate without institution_organizations: org-key is not assessed."""
    found, unassessed, _ = verdicts(inv, Config())
    assert (found, unassessed) == (EXPECTED - {("org-key", "decrypt_outside")}, UNDECLARED)


def provision() -> None:
    """The estate of the Pulumi program, in moto."""
    kms = boto3.client("kms", region_name=REGION)

    def key(name: str, rotation: bool) -> str:
        meta = kms.create_key(Description=name)["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{name}-key", TargetKeyId=meta["KeyId"])
        if rotation:
            kms.enable_key_rotation(KeyId=meta["KeyId"])
        return meta["Arn"]

    def store(name: str, level: str, env: str, arn: str) -> None:
        s3 = bucket(name, tags={"dsscan:level": level, "environment": env})
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                   "KMSMasterKeyID": arn}}]})

    ledger = key("ledger", False)
    kms.create_grant(KeyId=ledger, GranteePrincipal=PARTNER,
                     Operations=["Decrypt", "DescribeKey"], Name="partner")
    store("kms-ledger", "core", "production", ledger)
    store("kms-ledger-test", "general", "test", ledger)
    archive = key("archive", True)
    store("kms-archive", "sensitive", "production", archive)
    kms.disable_key(KeyId=archive.rsplit("/", 1)[-1])  # (moto takes the key id only)
    cards = key("cards", True)
    kms.put_key_policy(KeyId=cards, PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "Admin", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
             "Resource": "*"}]}))
    store("kms-cards", "important", "production", cards)
    org = key("org", True)
    kms.put_key_policy(KeyId=org, PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "Admin", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
             "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-vendor0001"}}}]}))
    store("kms-org", "sensitive", "production", org)
    good = key("good", True)
    store("kms-good", "core", "production", good)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: Any) -> dict[str, Path]:
    return record_program(tmp_path_factory, PROGRAM)


def test_terraform_plan() -> None:
    inv = build_inventory(read_plan(str(PLAN)), tool="terraform", files=[str(PLAN)])
    assert not any(s.get("skipped") for s in inv.sources)  # grants and key policies are read
    assert verdicts(inv) == (EXPECTED, set(), PROTECTS)
    assert_undeclared(inv)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi(source: str, recorded: dict[str, Path]) -> None:
    inv = pulumi_inventory(source, PROGRAM, recorded)
    assert verdicts(inv) == (EXPECTED, set(), PROTECTS)
    assert_undeclared(inv)


@pytest.mark.slow
def test_the_estate_in_moto() -> None:
    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        with mock_aws():
            provision()
            inv = sweep(SweepOptions(regions=[REGION], services=["s3", "kms"]))
    assert verdicts(inv) == (EXPECTED, set(), PROTECTS)
    assert_undeclared(inv)
