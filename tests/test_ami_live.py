"""AMI shares from a live sweep (moto ``mock_aws``, which serves DescribeImages and
Describe/ModifyImageAttribute launchPermission, organization ARNs included): the account's
AMIs are snapshots of the EBS snapshots behind them; their launch permissions are their
readers; DS-SHR-001/002 and DS-BAK-003 give tests/ami_support.py's verdicts, as Terraform and
Pulumi do (tests/test_ami_iac.py).

moto registers an AMI over a snapshot of a volume it deletes at once: the AMI's level comes
from that snapshot (tagged core here), the volume is gone.
"""

from __future__ import annotations

import copy

import boto3
import pytest
from ami_support import ACCOUNT, CONFIG, EXPECTED, ORG_ARN, POLICIES, VENDOR
from aws_support import REGION, by_name, fake_env
from moto import mock_aws

from dsscan.config import config_from_mapping
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep


def image(ec2, name: str, perms: list[dict[str, str]]) -> str:
    iid = ec2.register_image(Name=name, RootDeviceName="/dev/xvda")["ImageId"]
    snap = ec2.describe_images(ImageIds=[iid])["Images"][0]["BlockDeviceMappings"][0][
        "Ebs"]["SnapshotId"]
    ec2.create_tags(Resources=[snap], Tags=[{"Key": "dsscan:level", "Value": "core"}])
    if perms:
        ec2.modify_image_attribute(ImageId=iid, Attribute="launchPermission",
                                   LaunchPermission={"Add": perms})
    return iid


@pytest.fixture(scope="module")
def inventory():
    mp = pytest.MonkeyPatch()
    fake_env(mp)
    try:
        with mock_aws():
            ec2 = boto3.client("ec2", region_name=REGION)
            image(ec2, "core-image", [{"UserId": VENDOR}, {"OrganizationArn": ORG_ARN}])
            image(ec2, "public-image", [{"Group": "all"}])
            image(ec2, "own-image", [])
            inv = sweep(SweepOptions(regions=[REGION], services=["ebs"]))
    finally:
        mp.undo()
    return inv


def test_amis_are_collected_as_copies_with_readers(inventory):
    a = by_name(inventory, "core-image", "snapshot")
    assert a["type"] == "AWS::EC2::Image"
    assert a["attributes"]["resource_type"] == "ami"
    assert a["account"] == ACCOUNT
    assert any("snapshot/snap-" in s for s in a["backup"]["backup_of"])
    assert a["access"]["shared_with"] == [VENDOR]
    assert a["access"]["public"] is False
    assert [(r["principal"], r.get("org")) for r in a["access"]["readers"]] == [
        ("* (organization o-bank000001)", "o-bank000001"), (VENDOR, None)]
    assert by_name(inventory, "public-image", "snapshot")["access"]["public"] is True
    assert by_name(inventory, "own-image", "snapshot")["access"]["readers"] == []


def verdicts(inv):
    result = run_scan(copy.deepcopy(inv), load_library(), ScanOptions(
        config=config_from_mapping(CONFIG), include=POLICIES))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    images = {aid for aid in result.assets if ":image/" in aid}
    return ({(f.policy_id, names[f.asset_id], f.key) for f in result.findings
             if f.asset_id in images},
            {(n.policy_id, names.get(n.asset_id)) for n in result.not_assessed
             if n.asset_id in images})


def test_live_verdicts(inventory):
    found, unassessed = verdicts(inventory)
    assert found == EXPECTED
    assert unassessed == set()


def test_an_unreadable_launch_permission_is_not_assessed(monkeypatch):
    """DescribeImageAttribute denied: readers and public unknown (no share list), the three
    policies not assessed on the AMI, never "shared with no one"."""
    from botocore.exceptions import ClientError

    fake_env(monkeypatch)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        image(ec2, "core-image", [{"UserId": VENDOR}])
        real = boto3.client("ec2", region_name=REGION).__class__._make_api_call

        def deny(self, op, params):
            if op == "DescribeImageAttribute":
                raise ClientError({"Error": {"Code": "UnauthorizedOperation",
                                             "Message": "denied"}}, op)
            return real(self, op, params)

        monkeypatch.setattr("botocore.client.BaseClient._make_api_call", deny)
        inv = sweep(SweepOptions(regions=[REGION], services=["ebs"]))
    a = by_name(inv, "core-image", "snapshot")
    assert a["access"] == {"public": None, "readers": None}
    found, unassessed = verdicts(inv)
    assert found == set()
    # the three policies, and the asset's own gap (policy None: the call that failed)
    assert unassessed == {(p, "core-image") for p in (*POLICIES, None)}


ENC_CASES = {
    # Ebs mappings (Encrypted, key: "cmk" / None) -> (enabled, key_type, key is the CMK)
    "one-cmk": ([(True, "cmk")], (True, "customer_managed", True)),
    "two-same-cmk": ([(True, "cmk"), (True, "cmk")], (True, "customer_managed", True)),
    "cmk-and-default": ([(True, "cmk"), (True, None)], (True, "provider_managed", False)),
    "one-unencrypted": ([(True, "cmk"), (False, None)], (False, "none", False)),
    "flag-missing": ([(True, "cmk"), (None, None)], (None, None, False)),
    "no-ebs": ([], (None, None, False)),
}


@pytest.mark.parametrize("case", ENC_CASES)
def test_ami_encryption_is_its_weakest_mapping(case, monkeypatch):
    """AWS sends Encrypted (and KmsKeyId) in each EBS mapping; moto sends neither: the
    reply is rewritten here (ClientHooks) to each shape."""
    from aws_support import ClientHooks

    mappings, (enabled, key_type, is_cmk) = ENC_CASES[case]
    fake_env(monkeypatch)
    with mock_aws():
        cmk = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        ec2 = boto3.client("ec2", region_name=REGION)
        image(ec2, "core-image", [])

        def rewrite(parsed, **_):
            for img in parsed.get("Images") or []:
                snap = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
                img["BlockDeviceMappings"] = [
                    {"DeviceName": f"/dev/xvd{chr(97 + i)}", "Ebs": {
                        "SnapshotId": snap,
                        **({} if flag is None else {"Encrypted": flag}),
                        **({"KmsKeyId": cmk} if key else {})}}
                    for i, (flag, key) in enumerate(mappings)]

        with ClientHooks(("after-call.ec2.DescribeImages", rewrite)):
            inv = sweep(SweepOptions(regions=[REGION], services=["ebs", "kms"]))
    at_rest = by_name(inv, "core-image", "snapshot")["encryption"]["at_rest"]
    assert (at_rest["enabled"], at_rest["key_type"], at_rest["key_id"] == cmk) == (
        enabled, key_type, is_cmk)
