"""DynamoDB global tables in the live scanner: each replica DescribeTable names is a
``replicas`` entry (issue 11: the live scanner left the field empty, so a core table
replicated to a region outside allowed_regions passed DS-XBR-001 whenever that region was not
read).

moto 5.2 has no global tables (neither UpdateTable ReplicaUpdates nor CreateTable version
2019.11.21 replicas): a botocore ``after-call`` hook on DescribeTable alone adds the documented
``Replicas`` member to moto's reply, as AWS answers for a global table. Every other call
(ListTables, tags, backups, the tables themselves) is moto.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, DR_REGION, REGION, ClientHooks, by_name, fake_env
from moto import mock_aws

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, exit_code, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # moto estates swept end to end

FAR = "cn-south-9"  # a region of aws-cn's pattern the sweep does not read


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def table(name: str, region: str = REGION, level: str = "core") -> None:
    ddb = boto3.client("dynamodb", region_name=region)
    arn = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                           )["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "dsscan:level", "Value": level}])


def global_table(name: str, *regions: str, drop: str | None = None) -> tuple[str, Any]:
    """DescribeTable of ``name`` names a replica in each of ``regions`` (the table's own
    region included, as a caller may see it); ``drop`` removes that member from each."""
    def handler(parsed: Any, **_: Any) -> None:
        t = parsed.get("Table") or {}
        if t.get("TableName") == name:
            t["Replicas"] = [{"RegionName": r, "ReplicaStatus": "ACTIVE"} for r in regions]
            for r in t["Replicas"]:
                r.pop(drop or "-", None)
    return ("after-call.dynamodb.DescribeTable", handler)


def scan(*hooks: Any, regions: tuple[str, ...] = (REGION,), allowed: list[str]) -> Any:
    with ClientHooks(*hooks):
        inv = sweep(SweepOptions(regions=list(regions), services=["dynamodb"]))
    config = Config(allowed_regions=allowed)
    return inv, run_scan(inv, load_library(), ScanOptions(config=config,
                                                          include=("DS-XBR-001",))), config


def arn(region: str, name: str = "ledger") -> str:
    return f"arn:aws-cn:dynamodb:{region}:{ACCOUNT}:table/{name}"


# (case, replica regions DescribeTable names, regions read, allowed regions,
#  DS-XBR-001 findings as (asset region, key))
CASES = [
    ("replica outside allowed_regions, not read",
     (REGION, DR_REGION), (REGION,), [REGION], {(REGION, f"replica:{DR_REGION}")}),
    ("replica inside allowed_regions", (REGION, DR_REGION), (REGION,), [REGION, DR_REGION],
     set()),
    ("two replicas, one outside", (REGION, DR_REGION, FAR), (REGION,), [REGION, DR_REGION],
     {(REGION, f"replica:{FAR}")}),
    # The replica read as a table of its own is judged as itself, not twice.
    ("replica read, outside allowed_regions",
     (REGION, DR_REGION), (REGION, DR_REGION), [REGION], {(DR_REGION, "")}),
    ("not a global table", (), (REGION,), [REGION], set()),
]


@pytest.mark.parametrize(("case", "replicas", "regions", "allowed", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_replicas_of_a_global_table_are_judged_against_allowed_regions(
        case, replicas, regions, allowed, expected):
    table("ledger")
    if DR_REGION in regions:
        table("ledger", region=DR_REGION)
    hooks = [global_table("ledger", *replicas)] if replicas else []
    inv, result, config = scan(*hooks, regions=regions, allowed=allowed)
    ledger = by_name(inv, "ledger") if len(regions) == 1 else next(
        a for a in inv.assets if a["id"] == arn(REGION))
    assert ledger["replicas"] == [{"id": arn(r), "region": r}
                                  for r in sorted(set(replicas) - {REGION})]
    assert ledger["assessment"]["gaps"] == []
    regions_of = {a["id"]: a["region"] for a in inv.assets}
    assert {(regions_of[f.asset_id], f.key) for f in result.findings} == expected
    assert result.complete
    assert exit_code(result, "low", config) == (1 if expected else 0)


def test_a_replica_without_its_region_is_a_gap_never_a_pass():
    table("ledger")
    inv, result, config = scan(global_table("ledger", REGION, DR_REGION, drop="RegionName"),
                               allowed=[REGION])
    ledger = by_name(inv, "ledger")
    assert ledger.get("replicas") is None
    assert ledger["assessment"]["gaps"] == [{
        "aspect": "backup",
        "reason": "dynamodb:DescribeTable malformed reply (no RegionName)"}]
    assert not result.complete and exit_code(result, "low", config) == 3


def test_a_table_that_cannot_be_described_has_its_replicas_unread():
    table("ledger")

    def refuse(**_: Any) -> Any:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                          "DescribeTable")
    inv, result, config = scan(("before-call.dynamodb.DescribeTable", refuse),
                               allowed=[REGION])
    ledger = by_name(inv, "ledger")
    assert ledger.get("replicas") is None
    assert {g["aspect"] for g in ledger["assessment"]["gaps"]} == {"encryption", "backup"}
    assert not result.complete and exit_code(result, "low", config) == 3
