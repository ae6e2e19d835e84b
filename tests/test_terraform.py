"""Terraform plan JSON -> inventory: the example plan, unknown-until-apply facts, modules and
count, state files, bad input, and findings that point at the address and the plan file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan
from parity_estate import EXPECTED

from dsscan.config import Config
from dsscan.errors import InputError
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.iac.resources import is_unknown
from dsscan.scanners.terraform import read_plan

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "examples" / "terraform" / "bank" / "plan.json"
AWS = "registry.terraform.io/hashicorp/aws"


def inventory(path: Path) -> dict[str, dict[str, Any]]:
    inv = build_inventory(read_plan(str(path)), tool="terraform", files=[str(path)])
    return {a["name"]: a for a in inv.assets}


def findings(path: Path) -> set[tuple[str, str]]:
    inv = build_inventory(read_plan(str(path)), tool="terraform", files=[str(path)])
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    return {(f.policy_id, f.asset_name or f.asset_id) for f in result.findings}


def plan_file(tmp_path: Path, resources: list[dict[str, Any]],
              config: list[dict[str, Any]] | None = None, **extra: Any) -> Path:
    """A minimal plan: resources as (type, name, after, after_unknown, expressions)."""
    changes, cfg = [], []
    for r in resources:
        address = r.get("address", f"{r['type']}.{r['name']}")
        changes.append({"address": address, "mode": "managed", "type": r["type"],
                        "name": r["name"], "provider_name": AWS,
                        "change": {"actions": r.get("actions", ["create"]), "before": None,
                                   "after": r.get("after", {}),
                                   "after_unknown": r.get("unknown", {})}})
        cfg.append({"address": f"{r['type']}.{r['name']}", "mode": "managed",
                    "type": r["type"], "name": r["name"], "provider_config_key": "aws",
                    "expressions": r.get("exprs", {})})
    doc = {"format_version": "1.2", "resource_changes": changes,
           "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
               "region": {"constant_value": "cn-north-1"}}}},
               "root_module": {"resources": config if config is not None else cfg}},
           **extra}
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc))
    return p


def test_example_plan_maps_split_resources_onto_their_stores():
    assets = inventory(PLAN)
    st = assets["bank-statements"]
    assert st["id"] == "aws_s3_bucket.bank_statements" and st["kind"] == "object_store"
    assert st["region"] == "cn-north-1" and st["account"] == "111111111111"
    # The encryption resource names the key only by reference: a key in the plan is a
    # customer-managed key.
    assert st["encryption"]["at_rest"] == {"enabled": True, "key_type": "customer_managed",
                                           "key_id": "aws_kms_key.bank_data",
                                           "algorithm": "aws:kms"}
    assert st["access"]["public_access_block"] is True
    assert st["access"]["secure_transport_required"] is True
    assert st["backup"]["plans"] == ["daily"]  # the backup selection by tag
    assert st["source"] == {"type": "terraform", "file": str(PLAN),
                            "address": "aws_s3_bucket.bank_statements"}
    loan = assets["loan-documents"]
    assert loan["access"]["public"] is True and loan["access"]["wildcard_principal"] is True
    db = assets["core-ledger"]
    assert db["network"] == {"vpc_id": "aws_vpc.prod",
                             "subnets": ["aws_subnet.prod_a", "aws_subnet.prod_b"],
                             "security_groups": ["aws_security_group.db"],
                             "publicly_accessible": False}
    assert db["backup"]["native"] == {"enabled": True, "retention_days": 35}
    # storage_encrypted without kms_key_id: AWS uses the aws/rds key (provider-managed).
    assert assets["customer-profile"]["encryption"]["at_rest"]["key_type"] == "provider_managed"
    prod = assets["prod"]["network"]
    assert prod["internet_gateway"] is True
    assert {"destination": "10.30.0.0/16",
            "target": "pcx-(aws_vpc_peering_connection.prod_test)"} in prod["routes"]
    assert prod["peerings"][0]["peer_vpc_id"] == "aws_vpc.test"
    assert prod["peerings"][0]["status"] == "active"


@pytest.mark.slow
def test_example_plan_findings():
    assert findings(PLAN) == EXPECTED | {
        # The example declares no trail, access logging or audit export (Art. 43).
        ("DS-LOG-001", "bank-statements"), ("DS-LOG-001", "test-customer-db"),
        ("DS-LOG-001", "customer-profile"), ("DS-LOG-001", "core-ledger"),
        ("DS-LOG-001", "loan-documents"), ("DS-LOG-001", "card-transactions"),
    }


def test_fact_unknown_until_apply_is_not_assessed_never_a_pass(tmp_path):
    p = plan_file(tmp_path, [
        {"type": "aws_db_instance", "name": "ledger",
         "after": {"identifier": "ledger", "tags": {"dsscan:level": "core"},
                   "backup_retention_period": 7},
         "unknown": {"storage_encrypted": True}, "exprs": {
             "storage_encrypted": {"references": ["var.encrypt"]}}},
    ])
    inv = build_inventory(read_plan(str(p)), tool="terraform", files=[str(p)])
    [db] = inv.assets
    assert db["encryption"]["at_rest"]["enabled"] is None
    assert db["assessment"]["gaps"] == [{"aspect": "encryption", "reason":
                                         "not assessed until apply: storage_encrypted is not "
                                         "known before apply"}]
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    assert not [f for f in result.findings if f.policy_id == "DS-ENC-001"]
    assert any(n.policy_id == "DS-ENC-001" and n.asset_id == db["id"]
               for n in result.not_assessed)


def test_key_outside_the_plan_cannot_be_judged_before_apply(tmp_path):
    key = "arn:aws-cn:kms:cn-north-1:111111111111:key/0b0f5e2c-0000-4000-8000-000000000000"
    p = plan_file(tmp_path, [
        {"type": "aws_db_instance", "name": "ledger",
         "after": {"identifier": "ledger", "tags": {"dsscan:level": "core"},
                   "storage_encrypted": True, "kms_key_id": key}},
        {"type": "aws_db_instance", "name": "aws_key",
         "after": {"identifier": "aws-key", "storage_encrypted": True,
                   "kms_key_id": "arn:aws-cn:kms:cn-north-1:111111111111:alias/aws/rds"}},
    ])
    assets = inventory(p)
    assert assets["ledger"]["encryption"]["at_rest"] == {"enabled": True, "key_type": None,
                                                         "key_id": key}
    assert "not in the plan" in assets["ledger"]["assessment"]["gaps"][0]["reason"]
    assert assets["aws-key"]["encryption"]["at_rest"]["key_type"] == "provider_managed"


def test_count_and_module_instances_keep_their_addresses(tmp_path):
    resources = [
        {"address": f"module.data.aws_s3_bucket.b[{i}]", "type": "aws_s3_bucket", "name": "b",
         "after": {"bucket": f"data-{i}", "tags": {"dsscan:level": "sensitive"}}}
        for i in range(2)]
    config = [{"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket",
               "name": "b", "provider_config_key": "aws", "expressions": {}}]
    p = plan_file(tmp_path, resources, config=[])
    doc = json.loads(p.read_text())
    doc["configuration"]["root_module"]["module_calls"] = {
        "data": {"source": "./data", "module": {"resources": config}}}
    p.write_text(json.dumps(doc))
    assets = inventory(p)
    assert {a["id"] for a in assets.values()} == {"module.data.aws_s3_bucket.b[0]",
                                                 "module.data.aws_s3_bucket.b[1]"}


def test_deleted_resources_are_not_assets_and_nested_unknowns_are_marked(tmp_path):
    p = plan_file(tmp_path, [
        {"type": "aws_s3_bucket", "name": "gone", "actions": ["delete"],
         "after": None},
        {"type": "aws_s3_bucket_server_side_encryption_configuration", "name": "x",
         "after": {"rule": [{"apply_server_side_encryption_by_default": [
             {"sse_algorithm": "aws:kms"}]}]},
         "unknown": {"rule": [{"apply_server_side_encryption_by_default": [
             {"kms_master_key_id": True}]}]}},
    ])
    [gone, sse] = read_plan(str(p))
    assert gone.action == "delete"
    key = sse.values["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert is_unknown(key["kms_master_key_id"])
    assert inventory(p) == {}


def test_state_json_is_read_too(tmp_path):
    state = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket",
         "name": "b", "provider_name": AWS,
         "values": {"bucket": "deployed", "id": "deployed", "arn": "arn:aws-cn:s3:::deployed",
                    "tags": {"dsscan:level": "general"}}}]}}}
    p = tmp_path / "state.json"
    p.write_text(json.dumps(state))
    [b] = inventory(p).values()
    assert b["name"] == "deployed" and b["attributes"]["arn"] == "arn:aws-cn:s3:::deployed"


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "not valid JSON"),
    ('{"format": "dsscan-inventory/1", "assets": []}', "not Terraform plan or state JSON"),
    ("[]", "not Terraform plan or state JSON"),
])
def test_not_a_plan_is_a_one_line_error(tmp_path, content, fragment):
    p = tmp_path / "x.json"
    p.write_text(content)
    with pytest.raises(InputError, match=fragment):
        read_plan(str(p))
    r = dsscan("scan", "terraform", str(p))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert str(p) in r.stderr and "Traceback" not in r.stderr


def test_sarif_points_at_the_address_and_the_plan_file(tmp_path):
    out = tmp_path / "r.sarif"
    r = dsscan("scan", "terraform", str(PLAN), "-f", "sarif", "-o", str(out))
    assert r.returncode == 1, r.stderr
    run = json.loads(out.read_text())["runs"][0]
    res = next(x for x in run["results"] if x["ruleId"] == "DS-NET-003")
    [loc] = res["locations"]
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "aws_s3_bucket.loan_documents"
    assert loc["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "examples/terraform/bank/plan.json")
