"""Prose is never data (issue 12 §2): a whole-scope gap says where it is (account, region) and
which call failed (service, operation) in fields, set by every scanner that writes one; which
findings of an earlier run `dsscan diff` may not call fixed is decided from those fields alone.

Each table failed before: the history store read accounts and regions out of the scope
sentence, so rewording it (a scope phrased otherwise, an account id in a plan's path or in the
account an organization was listed from, an account-like word in a vault's name) changed what
the diff called fixed — once towards a wrong "fixed" — and no scanner wrote the fields.
Live AWS runs on moto, faults from tests/aws_support.StandIn as in test_aws_faults.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aws_support import (
    ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    ClientHooks,
    StandIn,
    fault_reply,
)

from dsscan.config import Config
from dsscan.findings import Finding, PolicyInfo, ScanResult
from dsscan.inventory import Inventory, parse_inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.terraform import SCANNER as TERRAFORM
from dsscan.store import open_store, parse_store_url

FIELDS = ("account", "region", "service", "operation")
A1, A2, A3 = "111111111111", "222222222222", "333333333333"
N, NW = "cn-north-1", "cn-northwest-1"

# Run A's findings, by where their assets are (None: an asset whose place is unknown).
PLACES: dict[str, tuple[str | None, str | None]] = {
    "ledger": (A1, N), "archive": (A1, NW), "reports": (A2, N), "hr": (A3, NW),
    "vpc-0prod": (None, None)}
EVERYTHING = set(PLACES)


def finding(name: str) -> Finding:
    return Finding(policy_id="DS-ENC-001", title="t", articles=(41,), severity="critical",
                   level="core", asset_id=f"asset:{name}", message=f"{name} is not encrypted",
                   remediation="fix it")


def run_a() -> ScanResult:
    r = ScanResult(findings=[finding(n) for n in PLACES], not_assessed=[],
                   policies=[PolicyInfo(id="DS-ENC-001", title="t", package="p", path="x")],
                   asset_count=len(PLACES), started_at="2025-03-01T08:00:00+00:00")
    r.assets = {f"asset:{n}": {"account": a, "region": g} for n, (a, g) in PLACES.items()
                if a is not None}
    return r


def gap(scope: str, reason: str, account: str | None, region: str | None = None,
        service: str | None = None, operation: str | None = None) -> dict[str, Any]:
    return {"scope": scope, "reason": reason, "account": account, "region": region,
            "service": service, "operation": operation}


# (case, the gap's fields, its wordings (scope, reason), the findings it may hold)
REWORDED: list[tuple[str, dict[str, Any], list[tuple[str, str]], set[str]]] = [
    ("one region of one account", dict(account=A1, region=N, service="s3",
                                       operation="ListBuckets"),
     [(f"s3 in {A1}/{N}", "s3:ListAllMyBuckets AccessDenied"),
      (f"S3 listing of {N} in account {A1}", "s3:ListAllMyBuckets AccessDenied"),
      # an account and a place in the reason are not the gap's
      (f"s3 in {A1}/{N}", f"AccessDenied for arn:aws-cn:iam::{A2}:role/x in {A2}/{NW}")],
     {"ledger", "vpc-0prod"}),
    ("a whole account", dict(account=A2, service="sts", operation="AssumeRole"),
     [(f"account {A2}", "sts:AssumeRole AccessDenied"),
      (f"role of {A2}/{NW} could not be assumed", "sts:AssumeRole AccessDenied")],
     {"reports", "vpc-0prod"}),
    ("an account-like word in a vault's name", dict(account=A3, region=NW, service="backup",
                                                   operation="ListRecoveryPointsByBackupVault"),
     [(f"recovery points of vault copy-of-{A1} in {A3}/{NW}", "backup:… AccessDenied"),
      (f"recovery points of vault dr in {A3}/{NW}", "backup:… AccessDenied")],
     {"hr", "vpc-0prod"}),
    ("an organization's account list", dict(account=None, service="organizations",
                                            operation="ListAccounts"),
     [(f"accounts of the organization (listed from {A1})", "organizations:ListAccounts "
       "throttled past retries"),
      ("accounts of the organization", "organizations:ListAccounts throttled past retries")],
     EVERYTHING),
    ("a Terraform plan reaching any account", dict(account=None),
     [(f"Terraform plan plans/{A1}/{N}/tfplan.json", "the plan is incomplete"),
      ("Terraform plan tfplan.json", "the plan is incomplete")],
     EVERYTHING),
    ("a region botocore cannot address", dict(account=A1, region="cn-south-9"),
     [(f"region 'cn-south-9' of account {A1}", "not a region botocore can address"),
      (f"cn-south-9 ({A1})", "not a region botocore can address")],
     {"vpc-0prod"}),
    ("no place at all", dict(account=None),
     [("files beyond --max-files 100", "not read"), ("the caller's account", "not read")],
     EVERYTHING),
]


@pytest.fixture(scope="module")
def library() -> Any:
    return load_library()


def blocked(store: Any, a: str, b_gaps: list[dict[str, Any]], library: Any) -> set[str]:
    """The findings of run A that the diff to a run B with these inventory gaps does not call
    fixed: B is scanned from an inventory (the pipeline's path) and stored."""
    b = run_scan(Inventory(assets=[], gaps=b_gaps), library, ScanOptions(config=Config()))
    d = store.diff(a, store.save_run(b))
    assert len(d["fixed"]) + len(d["not_assessed_in_b"]) == len(PLACES)
    return {f["asset_id"].removeprefix("asset:") for f in d["not_assessed_in_b"]}


@pytest.mark.slow
@pytest.mark.parametrize(("fields", "wordings", "holds"), [c[1:] for c in REWORDED],
                         ids=[c[0] for c in REWORDED])
def test_rewording_a_gap_never_changes_what_the_diff_calls_fixed(
        tmp_path: Path, library: Any, fields: dict[str, Any], wordings: list[tuple[str, str]],
        holds: set[str]) -> None:
    with open_store(str(tmp_path / "h.sqlite")) as store:
        a = store.save_run(run_a())
        got = {w: blocked(store, a, [gap(*w, **fields)], library) for w in wordings}
    assert got == {w: holds for w in wordings}


# --- runs stored before the fields: migration 4 fills them once from the text -----------------

# (scope as an older dsscan stored it, the place migration 4 gives it)
LEGACY: list[tuple[str | None, tuple[str | None, str | None]]] = [
    (f"rds in {A1}/{N}", (A1, N)),
    (f"recovery points of vault copy-of-{A2} in {A3}/{NW}", (A3, NW)),
    (f"prefix list pl-0abc in {A1}/{NW}", (A1, NW)),
    (f"s3 in {A2}", (A2, None)),
    (f"s3 bucket ledger in {A1}", (A1, None)),
    (f"s3 bucket mars in {A1} (region 'xx-mars-1')", (A1, None)),
    (f"account {A2}", (A2, None)),
    (f"region list of account {A3} (only {N} was scanned)", (A3, None)),
    (f"region 'cn-south-9' of account {A1}", (A1, None)),
    (f"s3 account public access block of {A2}", (A2, None)),
    # what names an account that is not its place, or no place: anywhere (fail closed)
    (f"accounts of the organization (listed from {A1})", (None, None)),
    (f"Terraform plan plans/{A1}/{N}/tfplan.json", (None, None)),
    (f'aws_s3_bucket_policy.p["{A1}/{N}"]', (None, None)),
    (f"{A1}/{N} rds", (None, None)),
    ("the caller's account", (None, None)),
    ("", (None, None)),
    (None, (None, None)),
]


@pytest.mark.parametrize(("scope", "place"), LEGACY, ids=[str(c[0]) for c in LEGACY])
def test_legacy_scope_sentences_give_their_place(scope: str | None,
                                                 place: tuple[str | None, str | None]) -> None:
    from dsscan.store.legacy_scopes import legacy_place  # new with the fields

    assert legacy_place(scope) == place


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "history.sqlite")
    return request.getfixturevalue("pg_store_url")


def _sql(url: str, sql: str, rows: list[tuple[Any, ...]] = ()) -> list[tuple[Any, ...]]:
    dialect, target = parse_store_url(url)
    if dialect == "sqlite":
        with sqlite3.connect(target) as conn:
            if rows:
                conn.executemany(sql, rows)
                return []
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(target, autocommit=True) as conn:
        if rows:
            conn.cursor().executemany(sql.replace("?", "%s"), rows)
            return []
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


@pytest.mark.slow
def test_runs_stored_before_the_fields_get_them_once_and_diff_alike(url: str) -> None:
    """A version-3 store holding run A, and a run B with scope rows only text: opened by this
    dsscan, each row gets its place once (migration 4), and the diff decides from it."""
    with open_store(url, migrate_to=3):
        pass
    legacy = [s for s, _ in LEGACY if s]
    _sql(url, "INSERT INTO runs (id, started_at, stored_at, tool_version, inputs, asset_count, "
              "complete, duration_s, findings, not_assessed, waived) VALUES "
              "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         [("r20250101-080000-000-aaaaaaa", "2025-01-01T08:00:00+00:00",
           "2025-01-01T08:00:05+00:00", "0.9", "[]", 5, False, 1.0, 0, len(legacy), 0)])
    [(seq,)] = _sql(url, "SELECT seq FROM runs")
    _sql(url, "INSERT INTO not_assessed (run_seq, policy_id, asset_id, scope, reason) "
              "VALUES (?, ?, ?, ?, ?)",
         [(seq, None, None, s, "not read") for s in legacy]
         + [(seq, None, "asset:x", f"rds in {A1}/{N}", "an asset's row keeps no place")])
    with open_store(url) as store:
        a = store.save_run(run_a())
        d = store.diff(a, "r20250101-080000-000-aaaaaaa")
    stored = dict(_sql(url, "SELECT scope, account || '/' || COALESCE(region, '*') "
                            "FROM not_assessed WHERE asset_id IS NULL"))
    assert stored == {s: (f"{p[0]}/{p[1] or '*'}" if p[0] else None) for s, p in LEGACY if s}
    assert _sql(url, "SELECT account FROM not_assessed WHERE asset_id IS NOT NULL") == [(None,)]
    assert d["fixed"] == []  # a row with no place may hold everything


@pytest.mark.slow
def test_a_later_run_with_fields_is_decided_by_its_fields_after_the_upgrade(
        url: str, library: Any) -> None:
    with open_store(url) as store:
        a = store.save_run(run_a())
        got = blocked(store, a, [gap(f"accounts of the organization (listed from {A1})",
                                     "throttled", None, None, "organizations", "ListAccounts")],
                      library)
    assert got == EVERYTHING
    assert sorted(_sql(url, "SELECT service, operation FROM not_assessed")) == [
        ("organizations", "ListAccounts")]


# --- every scanner writes the fields -------------------------------------------------------

def assert_fields(inv: Inventory) -> None:
    """Every inventory gap carries the four fields, and the inventory is valid."""
    assert all(set(FIELDS) <= set(g) for g in inv.gaps), inv.gaps
    parse_inventory(inv.to_document(), "test")


# (service, operation, fault, sweep options, the gap's scope, its fields)
LIVE: list[tuple[str, str, str, dict[str, Any], str, dict[str, Any]]] = [
    ("s3", "ListBuckets", "denied", dict(services=["s3"]), f"s3 in {ACCOUNT}",
     dict(account=ACCOUNT, region=None, service="s3", operation="ListBuckets")),
    ("s3", "GetBucketLocation", "denied", dict(services=["s3"]),
     f"s3 bucket estate-ledger in {ACCOUNT}",
     dict(account=ACCOUNT, region=None, service="s3", operation="GetBucketLocation")),
    ("s3control", "GetPublicAccessBlock", "denied", dict(services=["s3"]),
     f"s3 account public access block of {ACCOUNT}",
     dict(account=ACCOUNT, region=None, service="s3control",
          operation="GetPublicAccessBlock")),
    ("rds", "DescribeDBInstances", "denied", dict(services=["rds"]), f"rds in {ACCOUNT}/{REGION}",
     dict(account=ACCOUNT, region=REGION, service="rds", operation="DescribeDBInstances")),
    ("ec2", "DescribeManagedPrefixLists", "denied", dict(services=["network"]),
     f"prefix lists in {ACCOUNT}/{REGION}",
     dict(account=ACCOUNT, region=REGION, service="ec2",
          operation="DescribeManagedPrefixLists")),
    ("backup", "ListBackupPlans", "denied", dict(services=["backup"]),
     f"backup plans in {ACCOUNT}/{REGION}",
     dict(account=ACCOUNT, region=REGION, service="backup", operation="ListBackupPlans")),
    ("ec2", "DescribeRegions", "denied", dict(services=["ebs"], regions=[]),
     f"region list of account {ACCOUNT} (only {REGION} was scanned)",
     dict(account=ACCOUNT, region=None, service="ec2", operation="DescribeRegions")),
    ("organizations", "ListAccounts", "5xx", dict(services=["ebs"], organization=True),
     f"accounts of the organization (listed from {ACCOUNT})",
     dict(account=None, region=None, service="organizations", operation="ListAccounts")),
    ("sts", "GetCallerIdentity", "5xx", dict(services=["s3"]), "the caller's account",
     dict(account=None, region=None, service="sts", operation="GetCallerIdentity")),
    ("sts", "GetCallerIdentity", "5xx",
     dict(services=["s3"], accounts=[OTHER_ACCOUNT], role_name="DsscanReadOnly"),
     f"account {OTHER_ACCOUNT}",
     dict(account=OTHER_ACCOUNT, region=None, service="sts", operation="GetCallerIdentity")),
    ("sts", "AssumeRole", "denied",
     dict(services=["s3"], accounts=[OTHER_ACCOUNT], role_name="DsscanReadOnly"),
     f"account {OTHER_ACCOUNT}",
     dict(account=OTHER_ACCOUNT, region=None, service="sts", operation="AssumeRole")),
]


@pytest.mark.slow
@pytest.mark.parametrize(("service", "op", "fault", "opts", "scope", "fields"), LIVE,
                         ids=[f"{c[1]}-{c[4]}" for c in LIVE])
def test_live_aws_scope_gaps_carry_their_place_and_call(
        stand_in: StandIn, service: str, op: str, fault: str, opts: dict[str, Any], scope: str,
        fields: dict[str, Any]) -> None:
    stand_in.answer(service, op, *fault_reply(service, fault))
    opts = {"regions": [REGION], **opts, "max_attempts": 1}
    with ClientHooks(stand_in=stand_in):
        inv = sweep(SweepOptions(**opts))
    assert stand_in.requests.get((service, op)), "the operation was not called"
    assert_fields(inv)
    # The sentence reports show is unchanged, and rendered from the same fields.
    assert {k: g.get(k) for g in inv.gaps if g["scope"] == scope for k in FIELDS} == fields, \
        inv.gaps


PLANS = Path(__file__).resolve().parent / "fixtures" / "terraform" / "review"


def test_terraform_gaps_carry_the_fields_and_hold_any_account() -> None:
    """A plan's gaps (a store outside it, a forgotten one) may be in any account and region:
    whatever their address says."""
    for plan in ("outside_plan.json", "forget.json"):
        inv = TERRAFORM.collect((str(PLANS / plan),))
        assert inv.gaps
        assert_fields(inv)
        assert all(g["account"] is g["region"] is g["service"] is g["operation"] is None
                   for g in inv.gaps), inv.gaps


def test_an_incomplete_plan_under_an_account_named_path_holds_every_account(
        tmp_path: Path, library: Any) -> None:
    """A plan at plans/111111111111/cn-north-1/: its gap is the whole plan's, which may hold
    resources of any account (main read the path as the gap's place and called the other
    accounts' findings fixed)."""
    import json

    doc = json.loads((PLANS / "forget.json").read_text())
    doc["complete"] = False
    path = tmp_path / "plans" / A1 / N / "tfplan.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc))
    inv = TERRAFORM.collect((str(path),))
    [whole] = [g for g in inv.gaps if g["scope"] == f"Terraform plan {path}"]
    assert whole["account"] is None
    with open_store(str(tmp_path / "h.sqlite")) as store:
        a = store.save_run(run_a())
        assert blocked(store, a, inv.gaps, library) == EVERYTHING
