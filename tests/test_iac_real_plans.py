"""The wrong passes of issue 11 in plans Terraform itself wrote (tests/fixtures/terraform/
issue11: `terraform show -json` of Terraform 1.11.4 + hashicorp/aws 5.100.0, the HCL beside
each): through the whole pipeline — reader, mapping, classification, relations, the Rego
library — each case gives the finding (or the "not assessed") it must, where it passed
before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_support import Result, dsscan

from dsscan.config import Config
from dsscan.errors import InputError
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.terraform import SCANNER, read_plan

PLANS = Path(__file__).resolve().parent / "fixtures" / "terraform" / "issue11"


@pytest.fixture(scope="module")
def library() -> Any:
    return load_library()


def scan(library: Any, name: str) -> tuple[Any, dict[str, dict[str, Any]]]:
    inv = SCANNER.collect((str(PLANS / f"{name}.json"),))
    assets = {a["name"]: a for a in inv.assets}
    return run_scan(inv, library, ScanOptions(config=Config())), assets


def found(result: Any, policy: str) -> set[str]:
    return {f.asset_name for f in result.findings if f.policy_id == policy}


def unassessed(result: Any, policy: str) -> set[str]:
    """The assets the policy reports not assessed (by name)."""
    names = {k: v.get("name") for k, v in result.assets.items()}
    return {names.get(n.asset_id, n.asset_id) for n in result.not_assessed
            if n.policy_id == policy}


# (plan, policy, the assets it must find, the assets it must report not assessed)
CASES = [
    # 1. a grant to AllUsers / AuthenticatedUsers is a public ACL
    ("acl_grant_split", "DS-NET-003", {"core-grants"}, set()),
    ("acl_grant_inline", "DS-NET-003", {"core-grants-inline"}, set()),
    # 2. two blocks and two policies: judged by the open block and the public policy
    ("several_per_bucket", "DS-NET-003", {"core-statements"}, set()),
    # 3. another account's block does not cover this account's bucket
    ("account_block", "DS-NET-003", {"core-statements"}, set()),
    # 4. b[var.public_site]: the policy (bucket named in the plan) is bank-data-1's; the
    #    block (id unknown) may be either's: bank-data-1 is not assessed, never passed
    ("index_by_variable", "DS-NET-003", set(), {"bank-data-1"}),
    # 5. a public member instance through a local: the cluster is not assessed
    ("through_locals", "DS-NET-003", set(), {"core-ledger"}),
    # 5. a route in the VPC's main route table makes the domain internet-facing
    ("main_route_table", "DS-NET-002", {"core"}, set()),
    # 7. string_not_equals backup = exclude: the excluded table has no backup
    ("backup_condition", "DS-BAK-002", {"core-ledger"}, set()),
    # access points: a public access point opens the bucket (its policy delegates to them)
    ("access_point", "DS-NET-003", {"core-ap"}, set()),
]


@pytest.mark.parametrize(("plan", "policy", "finds", "not_assessed"), CASES,
                         ids=[c[0] for c in CASES])
def test_real_plans(library, plan, policy, finds, not_assessed):
    result, _ = scan(library, plan)
    assert found(result, policy) == finds
    assert unassessed(result, policy) == not_assessed


def test_the_facts_behind_the_verdicts(library):
    _, a = scan(library, "through_locals")
    assert a["core-ledger"]["access"]["public"] is None
    reasons = {g["reason"] for x in ("core-db", "core") for g in a[x]["assessment"]["gaps"]}
    assert any("aws_vpc_security_group_ingress_rule.pg_from_anywhere may add an ingress rule"
               in r for r in reasons)
    assert any("aws_route.out may be a route of" in r for r in reasons)
    _, a = scan(library, "backup_condition")
    assert a["core-ledger"]["backup"]["plans"] == []
    assert a["core-accounts"]["backup"]["plans"] == ["daily"]
    _, a = scan(library, "access_point")
    assert a["core-ap"]["attributes"]["access_points"] == [
        {"id": "aws_s3_access_point.blocked", "name": "blocked", "public": False},
        {"id": "aws_s3_access_point.open", "name": "open", "public": True}]
    _, a = scan(library, "index_by_variable")
    assert a["bank-data-1"]["access"]["wildcard_principal"] is True  # by the planned name
    assert a["bank-data-0"]["access"]["wildcard_principal"] is False


def cli(*args: str) -> Result:
    return dsscan(*args)


@pytest.mark.slow
def test_an_errored_plan_is_refused_in_one_line():
    """`terraform plan -out` saves a plan that failed (a precondition here); it lacks the
    block that opens the bucket, which would be judged by AWS's defaults: refused, exit 2."""
    path = str(PLANS / "errored.json")
    with pytest.raises(InputError, match="the plan failed"):
        read_plan(path)
    r = cli("scan", "terraform", path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert path in r.stderr and '"errored": true' in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_an_incomplete_plan_is_judged_and_named_as_a_gap(library):
    """-target plans only the target (and what it needs): judged, and the run says what it
    did not see — the plan file — and exits 3."""
    path = str(PLANS / "targeted.json")
    result, _ = scan(library, "targeted")
    assert not result.complete
    assert any(n.scope == f"Terraform plan {path}" and "-target" in n.reason
               for n in result.not_assessed)
    r = cli("scan", "terraform", path, "--fail-on", "never")
    assert r.returncode == 3, r.stderr
    assert "-target" in r.stdout
