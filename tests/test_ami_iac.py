"""AMI shares from Terraform (a plan JSON of provider v5 shapes written here: ids unknown
until apply, launch permissions referencing their AMI) and from the same estate as a Pulumi
program (tests/fixtures/pulumi/amis): the live sweep's verdicts (tests/ami_support.py,
tests/test_ami_live.py). Also: an AMI from an instance copies the instance's volumes (DS-TST-004
when launchable by the test account), an AMI copy copies its source AMI, and a permission
unknown until apply leaves the AMI not assessed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from ami_support import ACCOUNT, CONFIG, EXPECTED, ORG_ARN, POLICIES, VENDOR
from tfplan_support import Plan

from dsscan.config import config_from_mapping
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

REGION = "cn-north-1"
TEST = "333333333333"
CORE = {"dsscan:level": "core"}


def _permission(p: Plan, name: str, image: str, **attrs: Any) -> None:
    after = {"account_id": None, "group": None, "organization_arn": None,
             "organizational_unit_arn": None, **attrs}
    p.add("aws_ami_launch_permission", name, after, {"id": True},
          refs={"image_id": f"{image}.id"})


def estate_plan(*, unknown_account: bool = False) -> dict[str, Any]:
    p = Plan()
    p.add("aws_ebs_volume", "db", {"availability_zone": f"{REGION}a", "size": 100,
                                   "encrypted": True, "tags": CORE, "tags_all": CORE},
          {"arn": True, "id": True, "kms_key_id": True})
    p.add("aws_ebs_snapshot", "db", {"tags": {**CORE, "Name": "db-snap"},
                                     "tags_all": {**CORE, "Name": "db-snap"}},
          {"arn": True, "id": True, "kms_key_id": True, "encrypted": True},
          refs={"volume_id": "aws_ebs_volume.db.id"})
    for name in ("core-image", "public-image", "own-image"):
        res = name.replace("-", "_")
        p.add("aws_ami", res, {
            "name": name, "root_device_name": "/dev/xvda", "virtualization_type": "hvm",
            "ebs_block_device": [{"device_name": "/dev/xvda", "delete_on_termination": True,
                                  "volume_size": 100}],
            "tags": {}, "tags_all": {}},
            {"arn": True, "id": True, "image_location": True, "owner_id": True,
             "ebs_block_device": [{"snapshot_id": True, "encrypted": True,
                                   "volume_type": True}]},
            refs={"ebs_block_device.snapshot_id": "aws_ebs_snapshot.db.id"})
    _permission(p, "vendor", "aws_ami.core_image",
                account_id=None if unknown_account else VENDOR)
    if unknown_account:
        p.changes[-1]["change"]["after_unknown"]["account_id"] = True
    _permission(p, "org", "aws_ami.core_image", organization_arn=ORG_ARN)
    _permission(p, "public", "aws_ami.public_image", group="all")
    return p.json()


def _fix_nested_refs(plan: dict[str, Any]) -> dict[str, Any]:
    """ami_support.Plan writes a reference as a top-level expression: an ``aws_ami``'s
    snapshot reference lives in its ``ebs_block_device`` block, as Terraform writes it."""
    for r in plan["configuration"]["root_module"]["resources"]:
        e = r["expressions"]
        ref = e.pop("ebs_block_device.snapshot_id", None)
        if ref is not None:
            e["ebs_block_device"] = [{"device_name": {"constant_value": "/dev/xvda"},
                                      "snapshot_id": ref}]
    for c in plan["resource_changes"]:
        c["change"]["after_unknown"].pop("ebs_block_device.snapshot_id", None)
    return plan


def inventory(plan: dict[str, Any], tmp: Path) -> Any:
    path = tmp / "plan.json"
    path.write_text(json.dumps(_fix_nested_refs(plan)), encoding="utf-8")
    return build_inventory(read_plan(str(path)), tool="terraform", files=[str(path)])


def verdicts(inv: Any, raw: dict[str, Any] = CONFIG,
             policies: tuple[str, ...] = POLICIES) -> tuple[set[Any], set[Any]]:
    result = run_scan(copy.deepcopy(inv), load_library(), ScanOptions(
        config=config_from_mapping(raw), include=policies))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    return ({(f.policy_id, names[f.asset_id], f.key) for f in result.findings},
            {(n.policy_id, names.get(n.asset_id)) for n in result.not_assessed
             if n.policy_id is not None})


def test_terraform_gives_the_live_verdicts(tmp_path):
    inv = inventory(estate_plan(), tmp_path)
    by = {a["name"]: a for a in inv.assets}
    ami = by["core-image"]
    assert ami["kind"] == "snapshot" and ami["attributes"]["resource_type"] == "ami"
    assert ami["backup"]["backup_of"] == ["aws_ebs_snapshot.db"]
    assert ami["access"]["shared_with"] == [VENDOR]
    assert {r.get("org") for r in ami["access"]["readers"]} == {None, "o-bank000001"}
    assert by["own-image"]["access"]["readers"] == []
    found, unassessed = verdicts(inv)
    assert found == EXPECTED
    assert unassessed == set()


def test_a_permission_unknown_until_apply_is_not_assessed(tmp_path):
    inv = inventory(estate_plan(unknown_account=True), tmp_path)
    by = {a["name"]: a for a in inv.assets}
    assert by["core-image"]["access"] == {"public": None, "readers": None}
    found, unassessed = verdicts(inv)
    assert ("DS-SHR-001", "core-image", "read_outside") not in found
    assert {("DS-SHR-001", "core-image"), ("DS-SHR-002", "core-image"),
            ("DS-BAK-003", "core-image")} <= unassessed


def test_ami_from_instance_and_copy_reach_test(tmp_path):
    """An AMI of a production instance launchable by the test account: DS-TST-004 on the
    instance's volume; its copy inherits the level through the source AMI."""
    p = Plan()
    p.add("aws_instance", "db", {
        "ami": "ami-0123456789abcdef0", "instance_type": "m5.large",
        "root_block_device": [{"encrypted": True, "volume_size": 100,
                               "tags": {**CORE, "Name": "db-root"}}],
        "tags": CORE, "tags_all": CORE},
        {"arn": True, "id": True, "root_block_device": [{"kms_key_id": True,
                                                         "volume_id": True}]})
    p.add("aws_ami_from_instance", "db", {"name": "db-image", "tags": {}, "tags_all": {}},
          {"arn": True, "id": True, "ebs_block_device": True},
          refs={"source_instance_id": "aws_instance.db.id"})
    p.add("aws_ami_copy", "db", {"name": "db-image-copy", "source_ami_region": REGION,
                                 "encrypted": False, "tags": {}, "tags_all": {}},
          {"arn": True, "id": True, "ebs_block_device": True},
          refs={"source_ami_id": "aws_ami_from_instance.db.id"})
    _permission(p, "test", "aws_ami_from_instance.db", account_id=TEST)
    _permission(p, "vendor", "aws_ami_copy.db", account_id=VENDOR)
    inv = inventory(p.json(), tmp_path)
    by = {a["name"]: a for a in inv.assets}
    assert by["db-image"]["backup"]["backup_of"] == ["aws_instance.db.root_block_device"]
    assert by["db-image-copy"]["backup"]["backup_of"] == ["aws_ami_from_instance.db"]
    # encrypted = false on a copy does not decrypt: the copy is encrypted as its source
    assert by["db-image-copy"]["encryption"]["at_rest"]["enabled"] is True
    raw = {"accounts": {ACCOUNT: {"environment": "production"},
                        TEST: {"environment": "test"}},
           "institution_accounts": [ACCOUNT, TEST]}
    found, _ = verdicts(inv, raw, ("DS-TST-004", "DS-SHR-001"))
    assert ("DS-TST-004", "db-root") in {(f, n) for f, n, _ in found}
    assert ("DS-SHR-001", "db-image-copy", "read_outside") in found


# ------------------------------------------------------------------ Pulumi

PROGRAM = Path(__file__).resolve().parent / "fixtures" / "pulumi" / "amis"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    from parity_support import record_program

    return record_program(tmp_path_factory, PROGRAM)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi_gives_the_same_verdicts(source, recorded):
    from parity_support import pulumi_inventory

    inv = pulumi_inventory(source, PROGRAM, recorded)
    found, unassessed = verdicts(inv)
    assert found == EXPECTED
    assert unassessed == set()
