"""S3 access points decide whether a bucket is exposed (issue 11, wrong passes found by review:
a bucket with no policy of its own, reachable by anyone through an access point whose policy
is public, was reported private and DS-NET-003 passed).

An access point grants what its policy grants, within the bucket's policy; it is public when
its policy is public (s3control:GetAccessPointPolicyStatus, or dsscan's own reading of the
policy), it is reachable from the Internet (NetworkOrigin), and no RestrictPublicBuckets of
its own, of the bucket or of the account applies. moto 5.2 answers IsPublic: true for every
access point policy; the ``policy_status`` hook answers as AWS does (public only for the
documented public principal), so a private policy reads as private.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, REGION, ClientHooks, bucket, by_name, fake_env
from moto import mock_aws

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # a moto estate per access-point case

AP = "ledger-ap"
AP_OBJECTS = f"arn:aws-cn:s3:{REGION}:{ACCOUNT}:accesspoint/{AP}/object/*"
OPEN = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def ap_policy(principal: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
        "Resource": AP_OBJECTS}]})


PUBLIC = ap_policy("*")
OWN_ACCOUNT = ap_policy({"AWS": f"arn:aws-cn:iam::{ACCOUNT}:root"})


def policy_status(parsed: Any, context: Any, **_: Any) -> None:
    """IsPublic as AWS answers it (moto says true for any policy): the policy names '*'."""
    name = context.get("test_access_point")
    got = boto3.client("s3control", region_name=REGION).get_access_point_policy(
        AccountId=ACCOUNT, Name=name)["Policy"]
    principals = [s.get("Principal") for s in json.loads(got)["Statement"]]
    parsed["PolicyStatus"]["IsPublic"] = any(p in ("*", {"AWS": "*"}) for p in principals)


def remember(params: Any, context: Any, **_: Any) -> None:
    context["test_access_point"] = params.get("Name")


HOOKS = [("before-parameter-build.s3-control.GetAccessPointPolicyStatus", remember),
         ("after-call.s3-control.GetAccessPointPolicyStatus", policy_status)]

# (case, access point policy, its own block left on (names), Internet origin, the bucket's
#  block (names), the account's block (names), bucket exposed)
CASES = [
    ("public policy, the access point's block off", PUBLIC, [], True, [], [], True),
    ("public policy, the access point restricts", PUBLIC, ["RestrictPublicBuckets"], True,
     [], [], False),
    ("public policy, the bucket restricts", PUBLIC, [], True, ["RestrictPublicBuckets"], [],
     False),
    ("public policy, the account restricts", PUBLIC, [], True, [], ["RestrictPublicBuckets"],
     False),
    ("public policy, the bucket blocks public policies only", PUBLIC, [], True,
     ["BlockPublicPolicy"], [], True),
    ("public policy, reachable only from a VPC", PUBLIC, [], False, [], [], False),
    ("own-account policy", OWN_ACCOUNT, [], True, [], [], False),
    ("no policy", None, [], True, [], [], False),
]


@pytest.mark.parametrize(("case", "policy", "ap_block", "internet", "bucket_block",
                          "account_block", "exposed"), CASES, ids=[c[0] for c in CASES])
def test_an_access_point_decides_whether_its_bucket_is_exposed(
        case, policy, ap_block, internet, bucket_block, account_block, exposed):
    bucket("ledger", tags={"dsscan:level": "core"})
    s3c = boto3.client("s3control", region_name=REGION)
    kw: dict[str, Any] = {"PublicAccessBlockConfiguration": {k: k in ap_block for k in OPEN}}
    if not internet:
        vpc = boto3.client("ec2", region_name=REGION).create_vpc(
            CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        kw["VpcConfiguration"] = {"VpcId": vpc}
    s3c.create_access_point(AccountId=ACCOUNT, Name=AP, Bucket="ledger", **kw)
    if policy is not None:
        s3c.put_access_point_policy(AccountId=ACCOUNT, Name=AP, Policy=policy)
    if bucket_block:
        boto3.client("s3", region_name=REGION).put_public_access_block(
            Bucket="ledger", PublicAccessBlockConfiguration={k: k in bucket_block for k in OPEN})
    if account_block:
        s3c.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
            k: k in account_block for k in OPEN})
    with ClientHooks(*HOOKS):
        inv = sweep(SweepOptions(regions=[REGION], services=["s3"]))
    a = by_name(inv, "ledger")
    assert a["assessment"]["gaps"] == [] and inv.gaps == []
    assert a["access"]["public"] is exposed
    [point] = a["attributes"]["access_points"]
    assert (point["name"], point["public"]) == (AP, exposed)
    result = run_scan(inv, load_library(), ScanOptions(config=Config(), include=("DS-NET-003",)))
    assert [f.asset_name for f in result.findings] == (["ledger"] if exposed else [])
    assert result.complete


VENDOR = "999999999999"
DELEGATE = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*",
    "Condition": {"StringEquals": {"s3:DataAccessPointAccount": ACCOUNT}}}]})

# [READ-AP] (DS-SHR-001) a bucket policy delegating to the account's access points hands the
# decision to their policies: an access point letting a vendor read is a read from outside.
# (case, access point policy, DS-SHR-001 finds it)
READS = [
    ("an access point granting a vendor", ap_policy({"AWS": f"arn:aws-cn:iam::{VENDOR}:root"}),
     True),
    ("an access point granting a vendor's canonical user", ap_policy({"CanonicalUser": "ab12"}),
     True),
    ("an access point granting the own account", OWN_ACCOUNT, False),
    ("an access point without a policy", None, False),
]


@pytest.mark.parametrize(("case", "policy", "found"), READS, ids=[c[0] for c in READS])
def test_an_access_point_policy_lets_its_readers_read_the_bucket(case, policy, found):
    bucket("ledger", tags={"dsscan:level": "core"})
    boto3.client("s3", region_name=REGION).put_bucket_policy(Bucket="ledger", Policy=DELEGATE)
    s3c = boto3.client("s3control", region_name=REGION)
    s3c.create_access_point(AccountId=ACCOUNT, Name=AP, Bucket="ledger")
    if policy is not None:
        s3c.put_access_point_policy(AccountId=ACCOUNT, Name=AP, Policy=policy)
    with ClientHooks(*HOOKS):
        inv = sweep(SweepOptions(regions=[REGION], services=["s3"]))
    result = run_scan(inv, load_library(), ScanOptions(
        config=Config(institution_accounts=[ACCOUNT]), include=("DS-SHR-001",)))
    assert [f.asset_name for f in result.findings] == (["ledger"] if found else [])
    assert result.complete
