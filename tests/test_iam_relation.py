"""DS-IAM-001 end to end: which stores a principal's broad data grants reach in its account
(dsscan/iamrel.py), who outside the institution may assume a role (keyrel's placement), and
the verdicts — identical under regorus and real OPA. AWS managed policies (trimmed fixtures)
decide: AdministratorAccess on a role of a core account is broad data access; ViewOnlyAccess
is not; nothing at important or above in the account is not applicable; a policy that could
not be read is not assessed."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from opa_support import needs_opa

from dsscan.config import config_from_mapping
from dsscan.engines.local import evaluate
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, prepare, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.iamdoc import data_access, trusted

OWN, DEV, VENDOR = "111111111111", "333333333333", "999999999999"
R = "cn-north-1"
MANAGED = Path(__file__).parent / "fixtures" / "iam_managed"


def managed(name: str) -> dict[str, Any]:
    return json.loads((MANAGED / f"{name}.json").read_text())["document"]


def store(kind: str, name: str, level: str, account: str = OWN, cmk: bool = False
          ) -> dict[str, Any]:
    a: dict[str, Any] = {"id": f"arn:aws-cn:x:{R}:{account}:{kind}/{name}", "kind": kind,
                         "name": name, "account": account, "region": R,
                         "source": {"type": "inventory"}, "tags": {"dsscan:level": level}}
    if cmk:
        a["encryption"] = {"at_rest": {"enabled": True, "key_type": "customer_managed",
                                       "key_id": "k"}}
    return a


def principal(name: str, policies: list[str] | None, account: str = OWN, *,
              type_: str = "role", trust: Any = None) -> dict[str, Any]:
    iam: dict[str, Any] = {"principal_type": type_, "data_access": None}
    if policies is not None:
        iam["data_access"] = data_access([(p, managed(p)) for p in policies], account)
    if type_ == "role":
        iam["trusted"] = trusted(trust or {"Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"}]})
    return {"id": f"arn:aws-cn:iam::{account}:{type_}/{name}", "kind": "principal",
            "name": name, "account": account, "region": None, "type": "AWS::IAM::Role",
            "source": {"type": "inventory"}, "iam": iam}


ESTATE = [
    store("object_store", "core-ledger", "core"),
    store("table", "customer-profiles", "important"),
    store("database", "loans", "sensitive", cmk=True),
    store("object_store", "dev-scratch", "general", account=DEV),
]


def inventory(*principals: dict[str, Any]) -> Any:
    doc = {"format": "dsscan-inventory/1", "assets": [*ESTATE, *principals]}
    return parse_inventory(copy.deepcopy(doc), "estate.json")


@functools.cache
def library() -> Any:
    return load_library()


def scan(*principals: dict[str, Any], **settings: Any) -> Any:
    settings.setdefault("institution_accounts", [OWN, DEV])
    return run_scan(inventory(*principals), library(), ScanOptions(
        config=config_from_mapping(settings), include=("DS-IAM-001",)))


def ctx_of(p: dict[str, Any], **settings: Any) -> dict[str, Any]:
    settings.setdefault("institution_accounts", [OWN, DEV])
    assets = prepare(inventory(p), ScanOptions(config=config_from_mapping(settings)))
    return next(a for a in assets if a["kind"] == "principal")["ctx"]


# (case, principal, DS-IAM-001 finding keys, level, not assessed, assessed)
CASES = [
    ("AdministratorAccess on a role of a core account",
     principal("admin", ["AdministratorAccess"]), {"broad_read"}, "core", False, True),
    ("ReadOnlyAccess reads the core bucket", principal("ro", ["ReadOnlyAccess"]),
     {"broad_read"}, "core", False, True),
    ("AmazonS3ReadOnlyAccess", principal("s3ro", ["AmazonS3ReadOnlyAccess"], type_="user"),
     {"broad_read"}, "core", False, True),
    ("AmazonDynamoDBReadOnlyAccess: the important table",
     principal("ddb", ["AmazonDynamoDBReadOnlyAccess"], type_="group"),
     {"broad_read"}, "important", False, True),
    ("ViewOnlyAccess reads no data", principal("view", ["ViewOnlyAccess"]),
     set(), None, False, True),
    ("AdministratorAccess in an account holding only general data",
     principal("dev-admin", ["AdministratorAccess"], account=DEV), set(), None, False, True),
    ("policies not read, core account", principal("unread", None), set(), None, True, False),
    ("policies not read, general account", principal("unread-dev", None, account=DEV),
     set(), None, False, True),
    ("AdministratorAccess assumable by a vendor account",
     principal("vendor-admin", ["AdministratorAccess"],
               trust={"Statement": [{"Effect": "Allow", "Principal": {"AWS": VENDOR},
                                     "Action": "sts:AssumeRole"}]}),
     {"broad_read", "assumable_outside"}, "core", False, True),
    ("ViewOnlyAccess assumable by a vendor: no data read",
     principal("vendor-view", ["ViewOnlyAccess"],
               trust={"Statement": [{"Effect": "Allow", "Principal": {"AWS": VENDOR},
                                     "Action": "sts:AssumeRole"}]}),
     set(), None, False, True),
    ("AdministratorAccess assumable from another institution account",
     principal("dev-ops", ["AdministratorAccess"],
               trust={"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                     "Principal": {"AWS": f"arn:aws-cn:iam::{DEV}:root"}}]}),
     {"broad_read"}, "core", False, True),
]


@pytest.mark.parametrize(("case", "p", "keys", "level", "unassessed", "assessed"), CASES,
                         ids=[c[0] for c in CASES])
def test_verdicts(case, p, keys, level, unassessed, assessed):
    result = scan(p)
    assert {f.key for f in result.findings} == keys
    assert {f.level for f in result.findings} == ({level} if level else set())
    assert bool(result.not_assessed) == unassessed
    assert (p["id"] in result.assessed.get("DS-IAM-001", frozenset())) == assessed


def test_reach_names_store_classes_and_levels():
    c = ctx_of(principal("admin", ["AdministratorAccess"]))
    assert c["account_rank"] == 4
    by = {r["service"]: (r["store_class"], r["level"], r["stores"]) for r in c["data_reach"]}
    assert by == {
        "s3": ("S3 buckets", "core", 1),
        "dynamodb": ("DynamoDB tables", "important", 1),
        "rds-data": ("RDS/Aurora databases (Data API)", "sensitive", 0),
        "redshift-data": ("Redshift warehouses (Data API)", "unclassified", 0),
        "kms": ("stores encrypted with a customer-managed KMS key", "sensitive", 0),
    }
    assert c["assume_outside"] == []


def test_unknown_institution_leaves_the_trust_not_assessed():
    p = principal("x", ["AmazonS3ReadOnlyAccess"], trust={"Statement": [{
        "Effect": "Allow", "Principal": {"AWS": VENDOR}, "Action": "sts:AssumeRole"}]})
    result = scan(p, institution_accounts=[])
    assert {f.key for f in result.findings} == {"broad_read"}
    assert "institution_accounts" in " ".join(str(n.reason) for n in result.not_assessed)


def test_message_names_principal_action_and_class():
    f = scan(principal("s3ro", ["AmazonS3ReadOnlyAccess"], type_="user")).findings[0]
    assert "IAM user" in f.message and "s3:GetObject" in f.message
    assert "S3 buckets" in f.message and "core" in f.message


@needs_opa
def test_same_verdicts_under_opa():
    assets = prepare(inventory(*[c[1] for c in CASES]),
                     ScanOptions(config=config_from_mapping({"institution_accounts": [OWN, DEV]})))
    lib = library()
    cfg = config_from_mapping({}).policy_data()
    ours = evaluate(lib, assets, cfg, chunk_size=4, workers=1)
    oracle = evaluate(lib, assets, cfg, chunk_size=4, workers=1, engine="opa")
    assert any(pid == "DS-IAM-001" for pid, _ in ours.deny)
    assert ours.deny == oracle.deny
    assert ours.not_assessed == oracle.not_assessed
    assert ours.assessed == oracle.assessed


@pytest.mark.parametrize(("account", "rank", "s3_level"), [
    (OWN, 4, "core"), (DEV, 1, "general"),
    (None, 4, "core"),  # not known (a plan without an account): any account's stores
    ("444444444444", 0, "unclassified"),  # an account holding no store
])
def test_reach_is_the_principals_own_account(account, rank, s3_level):
    p = principal("x", ["AmazonS3ReadOnlyAccess"], account=OWN)
    p["account"] = account
    c = ctx_of(p)
    assert c["account_rank"] == rank
    assert [(r["service"], r["level"]) for r in c["data_reach"]] == [("s3", s3_level)]


def test_users_and_groups_are_not_assumed():
    c = ctx_of(principal("u", ["AdministratorAccess"], type_="user"))
    assert (c["assume_outside"], c["assume_unknown"]) == ([], [])
