"""Terraform plans that leave operation-log facts open until apply: never a pass (DS-LOG-001/
002), on variants of tests/fixtures/terraform/logging-plan.json."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

PLAN = Path(__file__).resolve().parent / "fixtures" / "terraform" / "logging-plan.json"


def change(doc: dict[str, Any], address: str) -> dict[str, Any]:
    return next(r["change"] for r in doc["resource_changes"] if r["address"] == address)


def selector_unknown(doc: dict[str, Any]) -> None:
    """`values = ["${aws_s3_bucket.ledger_docs.arn}/"]`: known only after apply."""
    c = change(doc, "aws_cloudtrail.data_events")
    c["after"]["event_selector"][0]["data_resource"][0]["values"] = None
    c["after_unknown"]["event_selector"] = [{"data_resource": [{"values": True}]}]


def lifecycle_unknown(doc: dict[str, Any]) -> None:
    c = change(doc, "aws_s3_bucket_lifecycle_configuration.trail_logs")
    c["after"]["rule"][0]["expiration"][0]["days"] = None
    c["after_unknown"]["rule"] = [{"expiration": [{"days": True}]}]


def group_never_expires(doc: dict[str, Any]) -> None:
    change(doc, "aws_cloudwatch_log_group.core_db")["after"]["retention_in_days"] = 0


def group_unknown(doc: dict[str, Any]) -> None:
    c = change(doc, "aws_cloudwatch_log_group.core_db")
    c["after"]["retention_in_days"] = None
    c["after_unknown"]["retention_in_days"] = True


def delivery_unknown(doc: dict[str, Any]) -> None:
    """`s3_bucket_name = var.log_bucket`: which bucket (and its lifecycle) is not known."""
    c = change(doc, "aws_cloudtrail.data_events")
    c["after"]["s3_bucket_name"] = None
    c["after_unknown"]["s3_bucket_name"] = True
    for r in doc["configuration"]["root_module"]["resources"]:
        if r["address"] == "aws_cloudtrail.data_events":
            r["expressions"]["s3_bucket_name"] = {"references": ["var.log_bucket"]}


# (variant, store, DS-LOG policy, verdict: deny / unknown / pass)
CASES = [
    (None, "ledger-docs", "DS-LOG-002", "deny"),
    (selector_unknown, "ledger-docs", "DS-LOG-001", "unknown"),
    (lifecycle_unknown, "ledger-docs", "DS-LOG-002", "unknown"),
    (None, "core-db", "DS-LOG-002", "deny"),
    (group_never_expires, "core-db", "DS-LOG-002", "pass"),
    (group_unknown, "core-db", "DS-LOG-002", "unknown"),
    (delivery_unknown, "ledger-docs", "DS-LOG-001", "pass"),
    (delivery_unknown, "ledger-docs", "DS-LOG-002", "unknown"),
]


@pytest.mark.parametrize("variant,store,policy,verdict", CASES,
                         ids=[f"{c[0].__name__ if c[0] else 'as planned'}-{c[1]}" for c in CASES])
def test_open_facts_are_not_assessed(tmp_path: Path, variant: Any, store: str, policy: str,
                                     verdict: str) -> None:
    doc = json.loads(PLAN.read_text())
    if variant is not None:
        variant(doc)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(copy.deepcopy(doc)))
    inv = build_inventory(read_plan(str(path)), tool="terraform", files=[str(path)])
    res = run_scan(inv, load_library(), ScanOptions(config=Config(), include=(policy,)))
    names = {aid: s["name"] for aid, s in res.assets.items()}
    denied = {f.asset_name for f in res.findings}
    unknown = {names.get(n.asset_id or "") for n in res.not_assessed if n.policy_id == policy}
    got = "deny" if store in denied else "unknown" if store in unknown else "pass"
    assert got == verdict
    ids = {name: aid for aid, name in names.items()}
    assert (ids[store] in res.assessed[policy]) == (verdict != "unknown")
