"""Defects a review of dsscan on real Terraform plans found (tests/fixtures/terraform/review:
`terraform show -json` of Terraform 1.11.4 + hashicorp/aws 5.100.0, the HCL beside each; the
0.12-era and < 1.2 shapes, which today's Terraform cannot write, are built in the shape those
versions wrote). Each class is a table: every row failed (a wrong pass, or a refusal) before
the fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.terraform import SCANNER

PLANS = Path(__file__).resolve().parent / "fixtures" / "terraform" / "review"


@pytest.fixture(scope="module")
def library() -> Any:
    return load_library()


def dsscan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dsscan.cli.main", *args],
                          capture_output=True, text=True, timeout=120)


def collect(*paths: Path | str) -> Any:
    return SCANNER.collect(tuple(str(p) for p in paths))


def assets_of(inv: Any) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in inv.assets}


# -- D1: a split resource aimed at a store outside the plan is a scope gap, never dropped ----

OUTSIDE = [
    ("aws_s3_bucket_policy.outside", "the bucket existing-bucket-name"),
    ("aws_s3_bucket_public_access_block.outside",
     "the bucket read by data.aws_s3_bucket.existing (bank-archive)"),
    ("aws_security_group_rule.outside", "the security group sg-0123456789abcdef0"),
]


@pytest.mark.parametrize(("address", "what"), OUTSIDE, ids=[o[0] for o in OUTSIDE])
def test_split_resource_for_a_store_outside_the_plan_is_a_gap(address, what):
    inv = collect(PLANS / "outside_plan.json")
    gaps = {g["scope"]: g["reason"] for g in inv.gaps}
    assert address in gaps
    assert what in gaps[address] and "not assessed" in gaps[address]


def test_outside_plan_scan_exits_3():
    res = dsscan("scan", "terraform", str(PLANS / "outside_plan.json"))
    assert res.returncode == 3, res.stdout + res.stderr


# -- D8: a forgotten store (removed block) is outside the plan, not a store with nothing on --

def test_forgotten_store_is_outside_the_plan():
    inv = collect(PLANS / "forget.json")
    ids = set(assets_of(inv))
    assert "aws_s3_bucket.old" not in ids and "aws_s3_bucket.kept" in ids
    assert any(g["scope"] == "aws_s3_bucket.old" and "forget" in g["reason"] for g in inv.gaps)


# -- D12: every key type a plan creates is customer-managed -----------------------------------

KMS = [
    ("aws_s3_bucket.dr", "aws_kms_replica_key.dr"),
    ("aws_s3_bucket.byok", "aws_kms_external_key.byok"),  # through its alias
    ("aws_dynamodb_table.dr", "aws_kms_replica_external_key.byok_dr"),
]


@pytest.mark.parametrize(("store", "key"), KMS, ids=[k[1] for k in KMS])
def test_created_key_types_are_customer_managed(store, key):
    a = assets_of(collect(PLANS / "kms_replica_external.json"))
    at_rest = a[store]["encryption"]["at_rest"]
    assert (at_rest["key_type"], at_rest["key_id"]) == ("customer_managed", key)
    assert a[key]["kind"] == "key"


# -- D13: the setup-terraform wrapper's output names the fix --------------------------------

WRAPPED = [
    "[command]/home/runner/work/_temp/3f2c/terraform-bin show -json tfplan\n"
    '{"format_version":"1.2","resource_changes":[]}\n',
    "\ufeff[command]/usr/local/bin/terraform show -json tfplan\n"
    '{"format_version":"1.2","resource_changes":[]}\n'
    "::debug::Terraform exited with code 0.\n",
]


@pytest.mark.parametrize("text", WRAPPED, ids=["wrapper", "wrapper-debug-lines"])
def test_setup_terraform_wrapper_output_names_the_fix(tmp_path, text):
    p = tmp_path / "plan.json"
    p.write_text(text, encoding="utf-8")
    res = dsscan("scan", "terraform", str(p))
    assert res.returncode == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "setup-terraform" in err and "terraform_wrapper: false" in err
