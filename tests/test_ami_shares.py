"""AMI shares (issue 15 items 1 and 2): an AMI the institution owns is a copy of the EBS
snapshots behind it (an asset of kind ``snapshot``, ``attributes.resource_type: "ami"``,
``backup.backup_of`` its volumes and snapshots), so DS-SHR-001/002, DS-TST-004 and DS-BAK-003
judge its launch permissions as they judge a snapshot's share, with no policy of its own.

A table of launch-permission shapes (scanners/aws/readers.py [READ-IMAGE]) -> the verdicts of
the four policies, through the whole pipeline; the same verdicts under real OPA.
"""

from __future__ import annotations

from typing import Any

import pytest
from opa_support import needs_opa

from dsscan.config import config_from_mapping
from dsscan.engines.local import evaluate
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, prepare, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.readers import image_readers, image_shared_with

OWN, PROD2, TESTACC, INSURER = "111111111111", "444444444444", "222222222222", "555555555555"
VENDOR = "999999999999"
OUR_ORG, FOREIGN_ORG = "o-bank000001", "o-vendor0001"
REGION = "cn-north-1"
VOL = f"arn:aws-cn:ec2:{REGION}:{OWN}:volume/vol-0core"
SNAP = f"arn:aws-cn:ec2:{REGION}:{OWN}:snapshot/snap-0core"
AMI = f"arn:aws-cn:ec2:{REGION}:{OWN}:image/ami-0core"
SETTINGS = {
    "accounts": {OWN: {"entity": "Bank", "environment": "production"},
                 PROD2: {"entity": "Bank", "environment": "production"},
                 TESTACC: {"entity": "Bank", "environment": "test"},
                 INSURER: {"entity": "Insurance", "environment": "production"}},
    "institution_organizations": [OUR_ORG]}
POLICIES = ("DS-SHR-001", "DS-SHR-002", "DS-TST-004", "DS-BAK-003")


def org_arn(org: str) -> str:
    return f"arn:aws-cn:organizations::{OWN}:organization/{org}"


def ou_arn(org: str) -> str:
    return f"arn:aws-cn:organizations::{OWN}:ou/{org}/ou-ab12-cdef3456"


# shape -> (launch permissions or None: not read; verdicts of DS-SHR-001, DS-SHR-002 (on the
# AMI), DS-TST-004 (on the volume it copies), DS-BAK-003 (on the AMI)):
# F finding, P assessed and passes, N not assessed.
SHAPES: dict[str, tuple[list[dict[str, str]] | None, str]] = {
    "none": ([], "PPPP"),
    "account-outside": ([{"UserId": VENDOR}], "FPNP"),
    "account-inside": ([{"UserId": PROD2}], "PPPP"),
    "test-account": ([{"UserId": TESTACC}], "PPFP"),
    "other-entity": ([{"UserId": INSURER}], "PFPP"),
    # public: DS-BAK-003's (and the public-access policies'); DS-SHR-001 names the others
    "all": ([{"Group": "all"}], "PPNF"),
    "organization-ours": ([{"OrganizationArn": org_arn(OUR_ORG)}], "PFNP"),
    "organization-not-ours": ([{"OrganizationArn": org_arn(FOREIGN_ORG)}], "FPNP"),
    "ou-ours": ([{"OrganizationalUnitArn": ou_arn(OUR_ORG)}], "PFNP"),
    "ou-not-ours": ([{"OrganizationalUnitArn": ou_arn(FOREIGN_ORG)}], "FPNP"),
    "unread": (None, "NNNN"),
}


def ami_access(perms: list[dict[str, str]] | None) -> dict[str, Any]:
    """What scanners/aws/ebs.py writes (unread: public and readers null, no share list)."""
    if perms is None:
        return {"public": None, "readers": None}
    shared = image_shared_with(perms)
    return {"public": "all" in shared, "shared_with": shared, "readers": image_readers(perms)}


def estate(perms: list[dict[str, str]] | None, record: bool = False) -> list[dict[str, Any]]:
    base = {"account": OWN, "region": REGION}
    tags = {"dsscan:desensitization": "DSR-1", "dsscan:sharing-record": "SR-1"} if record else {}
    return [
        {"id": VOL, "kind": "volume", "name": "core-db-data", **base,
         "tags": {"dsscan:level": "core"},
         "encryption": {"at_rest": {"enabled": True, "key_type": "customer_managed"}}},
        {"id": SNAP, "kind": "snapshot", "name": "core-db-snap", **base, "tags": {},
         "backup": {"backup_of": [VOL]}, "access": {"public": False, "shared_with": []}},
        {"id": AMI, "kind": "snapshot", "name": "core-db-ami", "type": "AWS::EC2::Image",
         **base, "tags": tags, "backup": {"backup_of": [VOL, SNAP]},
         "attributes": {"resource_type": "ami"},
         "encryption": {"at_rest": {"enabled": True, "key_type": "customer_managed"}},
         "access": ami_access(perms)},
    ]


def _inventory(assets: list[dict[str, Any]]) -> Any:
    return parse_inventory({"format": "dsscan-inventory/1", "assets": assets}, "estate.json")


def verdicts(assets: list[dict[str, Any]]) -> str:
    result = run_scan(_inventory(assets), load_library(), ScanOptions(
        config=config_from_mapping(SETTINGS), include=POLICIES))
    found = {(f.policy_id, f.asset_id) for f in result.findings}
    unassessed = {(n.policy_id, n.asset_id) for n in result.not_assessed}
    out = ""
    for pid in POLICIES:
        asset = VOL if pid == "DS-TST-004" else AMI
        out += ("F" if (pid, asset) in found else "N" if (pid, asset) in unassessed else "P")
    return out


@pytest.mark.parametrize("shape", SHAPES)
def test_launch_permission_shapes(shape: str) -> None:
    perms, expected = SHAPES[shape]
    assert verdicts(estate(perms)) == expected


@pytest.mark.parametrize("shape", [s for s, (p, v) in SHAPES.items() if "F" in v])
def test_records_clear_the_share_and_the_test_copy(shape: str) -> None:
    """A sharing record (DS-SHR-*) and a desensitization record (DS-TST-004) on the AMI
    clear its findings; a public AMI stays a DS-BAK-003 finding (no record opens a backup to
    everyone)."""
    perms, expected = SHAPES[shape]
    got = verdicts(estate(perms, record=True))
    assert got[:3] == "".join("P" if v == "F" else v for v in expected[:3])
    assert got[3] == expected[3]


def test_the_ami_inherits_the_level_of_the_volume_it_copies() -> None:
    assets = prepare(_inventory(estate([{"UserId": VENDOR}])),
                     ScanOptions(config=config_from_mapping(SETTINGS)))
    ami = next(a for a in assets if a["id"] == AMI)
    assert ami["ctx"]["level"] == "core"
    assert [r["account"] for r in ami["ctx"]["readers_outside"]] == [VENDOR]


@pytest.mark.parametrize(("perms", "readers"), [
    ([{"UserId": VENDOR}], [(VENDOR, VENDOR, "image share", False, None)]),
    ([{"Group": "all"}], [("*", None, "image share (public)", True, None)]),
    ([{"OrganizationArn": org_arn(OUR_ORG)}],
     [(f"* (organization {OUR_ORG})", None, "image share", False, OUR_ORG)]),
    ([{"OrganizationalUnitArn": ou_arn(FOREIGN_ORG)}],
     [("* (organizational unit ou-ab12-cdef3456)", None, "image share", False, FOREIGN_ORG)]),
    # an ARN that names no organisation: a principal of no account (outside), not dropped
    ([{"OrganizationArn": "arn:aws-cn:organizations::1:bogus"}],
     [("arn:aws-cn:organizations::1:bogus", None, "image share", False, None)]),
    ([{"UserId": VENDOR}, {"UserId": VENDOR}], [(VENDOR, VENDOR, "image share", False, None)]),
    ([], []),
], ids=["account", "all", "org", "ou", "bad-arn", "duplicate", "none"])
def test_image_readers(perms: list[dict[str, str]], readers: list[tuple[Any, ...]]) -> None:
    got = image_readers(perms)
    assert got is not None
    assert [(r["principal"], r["account"], r["via"], r["anyone"], r.get("org"))
            for r in got] == readers


@pytest.mark.parametrize("perms", [[{"Mystery": "x"}], ["not-an-entry"]])
def test_an_unreadable_permission_is_not_read(perms: list[Any]) -> None:
    assert image_readers(perms) is None


@needs_opa
def test_same_verdicts_under_real_opa() -> None:
    lib = load_library()
    lib.policies = [p for p in lib.policies if p.id in POLICIES]
    cfg = config_from_mapping(SETTINGS)
    for shape, (perms, _) in SHAPES.items():
        assets = prepare(_inventory(estate(perms)), ScanOptions(config=cfg))
        ours = evaluate(lib, assets, cfg.policy_data(), chunk_size=8, workers=1)
        oracle = evaluate(lib, assets, cfg.policy_data(), chunk_size=8, workers=1,
                          engine="opa")
        assert (ours.deny, ours.not_assessed, ours.assessed) == (
            oracle.deny, oracle.not_assessed, oracle.assessed), shape
