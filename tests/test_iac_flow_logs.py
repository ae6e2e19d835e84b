"""aws_flow_log from a Terraform plan onto its VPC's network domain (DS-LOG-003): by the
vpc_id reference; a flow log whose VPC is not known before apply and traces to none may be any
VPC's, so the VPCs' flow logs are unknown (null, a logging gap, DS-LOG-003 not assessed),
never "none" — unless a VPC's own logs already record all its traffic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

AWS = "registry.terraform.io/hashicorp/aws"


def _resource(address: str, rtype: str, after: dict[str, Any], unknown: list[str],
              exprs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    name = address.split(".", 1)[1]
    change = {"address": address, "mode": "managed", "type": rtype, "name": name,
              "provider_name": AWS, "change": {
                  "actions": ["create"], "before": None, "after": after,
                  "after_unknown": dict.fromkeys(["id", "arn", *unknown], True)}}
    config = {"address": address, "mode": "managed", "type": rtype, "name": name,
              "provider_config_key": "aws", "expressions": exprs}
    return change, config


def vpc(name: str, cidr: str) -> tuple[dict[str, Any], dict[str, Any]]:
    tags = {"Name": name, "dsscan:level": "important", "environment": "production"}
    return _resource(f"aws_vpc.{name}", "aws_vpc", {"cidr_block": cidr, "tags": tags},
                     ["main_route_table_id", "default_route_table_id"],
                     {"cidr_block": {"constant_value": cidr}, "tags": {"constant_value": tags}})


def flow_log(name: str, traffic: str, target: dict[str, Any],
             attr: str = "vpc_id") -> tuple[dict[str, Any], dict[str, Any]]:
    return _resource(f"aws_flow_log.{name}", "aws_flow_log",
                     {"traffic_type": traffic, "log_destination_type": "s3",
                      "log_destination": "arn:aws:s3:::flow-logs"}, [attr],
                     {"traffic_type": {"constant_value": traffic}, attr: target,
                      "log_destination_type": {"constant_value": "s3"},
                      "log_destination": {"constant_value": "arn:aws:s3:::flow-logs"}})


def ref(address: str) -> dict[str, Any]:
    return {"references": [f"{address}.id", address]}


def inventory(tmp_path: Path, *resources: tuple[dict[str, Any], dict[str, Any]]) -> Any:
    doc = {"format_version": "1.2", "terraform_version": "1.9.8",
           "resource_changes": [c for c, _ in resources],
           "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
               "region": {"constant_value": "us-east-1"}}}},
               "root_module": {"resources": [c for _, c in resources]}}}
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc))
    return build_inventory(read_plan(str(p)), tool="terraform", files=[str(p)])


def domains(inv: Any) -> dict[str, Any]:
    return {a["name"]: a for a in inv.assets if a["kind"] == "network_domain"}


def log003(inv: Any) -> tuple[set[str], set[str]]:
    r = run_scan(inv, load_library(), ScanOptions(config=Config(), include=("DS-LOG-003",)))
    names = {aid: s["name"] for aid, s in r.assets.items()}
    return ({f.asset_name for f in r.findings},
            {names[n.asset_id] for n in r.not_assessed if n.asset_id})


ALL = {"id": None, "traffic_type": "ALL", "destination_type": "s3",
       "destination": "arn:aws:s3:::flow-logs"}
# A reference through a local: Terraform names the local, not the VPC.
THROUGH_LOCAL = {"references": ["local.vpc_id"]}


@pytest.mark.parametrize(("logs", "a", "b", "denied", "unknown"), [
    # by reference: the VPC it names, no other
    ([flow_log("a", "ALL", ref("aws_vpc.a"))], [ALL], [], {"b"}, set()),
    # a log on a subnet records part of the traffic only
    ([flow_log("s", "ALL", {"constant_value": "subnet-0abc"}, attr="subnet_id")], [], [],
     {"a", "b"}, set()),
    # untraceable: may be either VPC's
    ([flow_log("x", "ALL", THROUGH_LOCAL)], None, None, set(), {"a", "b"}),
    # ... but a already records ALL of its traffic: known for a, unknown for b
    ([flow_log("a", "ALL", ref("aws_vpc.a")), flow_log("x", "ALL", THROUGH_LOCAL)],
     [ALL], None, set(), {"b"}),
    # a REJECT-only log of a's and an untraceable one: the untraceable may complete a
    ([flow_log("a", "REJECT", ref("aws_vpc.a")), flow_log("x", "ACCEPT", THROUGH_LOCAL)],
     None, None, set(), {"a", "b"}),
])
def test_flow_logs_follow_their_vpc_reference_and_unknown_is_never_none(
        tmp_path, logs, a, b, denied, unknown):
    inv = inventory(tmp_path, vpc("a", "10.1.0.0/16"), vpc("b", "10.2.0.0/16"), *logs)
    d = domains(inv)
    assert d["a"]["network"]["flow_logs"] == a
    assert d["b"]["network"]["flow_logs"] == b
    for name, logs_of in (("a", a), ("b", b)):
        gaps = d[name]["assessment"]["gaps"]
        assert any(g["aspect"] == "logging" for g in gaps) is (logs_of is None)
    assert log003(inv) == (denied, unknown)
