"""Who is the institution when DS-KMS-001 asks who may decrypt with a key (dsscan/keyrel.py
[INST-ACCOUNTS], [INST-ORGS]; scanners/aws/keydoc.py [KMS-ORG]).

Two wrong passes are pinned here: an asset of a vendor's account that merely appears in the
inventory made that vendor's account "the institution's" (its decrypt grant passed), and a key
policy confining ``*`` to an AWS Organization passed whatever the organization. Unknown is
not assessed, never a pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan
from iac_resources import bucket, part, res

from dsscan.config import Config, config_from_mapping
from dsscan.errors import InputError
from dsscan.inventory import parse_inventory
from dsscan.keyrel import UNKNOWN_ACCOUNTS, UNKNOWN_ORGS, attach_key_context
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.keydoc import policy_decrypters
from dsscan.scanners.iac.mapping import build_inventory

OWN, OTHER, THIRD = "111111111111", "999999999999", "888888888888"
ORG, FOREIGN = "o-bank000001", "o-vendor0001"
REGION = "cn-north-1"
KEY_ARN = f"arn:aws-cn:kms:{REGION}:{OWN}:key/k1"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def open_to(condition: dict[str, Any], action: str = "kms:Decrypt") -> dict[str, Any]:
    return doc({"Effect": "Allow", "Principal": "*", "Action": action, "Resource": "*",
                "Condition": condition})


# ------------------------------------------------------------------ keydoc: [KMS-ORG]

def org(o: str) -> tuple[str, str | None, bool, str | None]:
    return (f"* (organization {o})", None, False, o)


def anyone() -> tuple[str, str | None, bool, str | None]:
    return ("*", None, True, None)


ORG_POLICIES = [
    ("PrincipalOrgID", open_to({"StringEquals": {"aws:PrincipalOrgID": FOREIGN}}),
     {org(FOREIGN)}),
    ("two organizations", open_to({"StringEquals": {"aws:PrincipalOrgID": [ORG, FOREIGN]}}),
     {org(ORG), org(FOREIGN)}),
    ("ForAnyValue PrincipalOrgPaths: the path's first segment",
     open_to({"ForAnyValue:StringEquals": {
         "aws:PrincipalOrgPaths": [f"{FOREIGN}/r-ab12/ou-ab12-11111111/"]}}),
     {org(FOREIGN)}),
    ("SourceOrgID (a service acting for that organization's resources)",
     open_to({"StringEquals": {"aws:SourceOrgID": FOREIGN}}), {org(FOREIGN)}),
    ("SourceOrgPaths", open_to({"StringEquals": {"aws:SourceOrgPaths": f"{FOREIGN}/r-ab12/"}}),
     {org(FOREIGN)}),
    ("IgnoreCase: the id as AWS writes it",
     open_to({"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": FOREIGN.upper()}}),
     {org(FOREIGN)}),
    ("org and a network key: still every account of the organization",
     open_to({"StringEquals": {"aws:PrincipalOrgID": FOREIGN,
                               "aws:SourceVpce": "vpce-1a2b3c4d"}}), {org(FOREIGN)}),
    ("org and an account key: only that account (it must be in the org too)",
     open_to({"StringEquals": {"aws:PrincipalOrgID": ORG, "kms:CallerAccount": OTHER}}),
     {(f"* (account {OTHER})", OTHER, False, None)}),
    ("a way to decrypt other than Decrypt",
     open_to({"StringEquals": {"aws:PrincipalOrgID": FOREIGN}}, "kms:CreateGrant"),
     {org(FOREIGN)}),
    # not confined to an organization at all: anyone
    ("ResourceOrgID is the key's organization, not the caller's",
     open_to({"StringEquals": {"aws:ResourceOrgID": ORG}}), {anyone()}),
    ("negated", open_to({"StringNotEquals": {"aws:PrincipalOrgID": FOREIGN}}), {anyone()}),
    ("IfExists", open_to({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}), {anyone()}),
    ("a wildcard in the id", open_to({"StringLike": {"aws:PrincipalOrgID": "o-bank*"}}),
     {anyone()}),
    ("ForAllValues holds for a caller of no organization",
     open_to({"ForAllValues:StringEquals": {"aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/"]}}),
     {anyone()}),
    # confined by the network only: any account's caller may meet it (keydoc [KMS-UNPLACED])
    ("network only", open_to({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
     {("callers of any account meeting aws:SourceVpce", None, False, None)}),
    ("network and an org key that does not confine (IfExists): no organization named",
     open_to({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"},
              "StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}),
     {("callers of any account meeting aws:SourceVpce", None, False, None)}),
]


@pytest.mark.parametrize(("case", "policy", "expected"), ORG_POLICIES,
                         ids=[c[0] for c in ORG_POLICIES])
def test_org_confined_statements(case: str, policy: Any, expected: set[Any]) -> None:
    got = {(p["principal"], p["account"], p["anyone"], p.get("org"))
           for p in policy_decrypters(policy)}
    assert got == expected


# ------------------------------------------------------------- keyrel: the institution

def named(acct: str) -> dict[str, Any]:
    return {"principal": f"arn:aws-cn:iam::{acct}:root", "account": acct, "via": "grant",
            "anyone": False}


def in_org(o: str) -> dict[str, Any]:
    return {"principal": f"* (organization {o})", "account": None, "org": o,
            "via": "key policy statement Org", "anyone": False}


OPEN = {"principal": "*", "account": None, "via": "key policy", "anyone": True}
SOMEONE = {"principal": "someone", "account": None, "via": "grant", "anyone": False}


def key(source: str | None = None, account: str | None = OWN) -> dict[str, Any]:
    k: dict[str, Any] = {"id": KEY_ARN, "kind": "key", "name": "ledger", "account": account,
                         "region": REGION, "ctx": {}}
    if source:
        k["source"] = {"type": source}
    return k


def asset(kind: str, account: str, source: str | None) -> dict[str, Any]:
    a: dict[str, Any] = {"id": f"{kind}-{account}-{source}", "kind": kind, "account": account,
                         "region": REGION, "ctx": {}}
    if source:
        a["source"] = {"type": source}
    return a


def swept(acct: str) -> dict[str, Any]:
    return {"type": "aws", "account": acct, "region": REGION}


VENDOR_SNAPSHOT = asset("snapshot", OTHER, "inventory")

# (case, key, other assets, sources, gaps, settings, decrypters, outside, unknown)
# outside: [(principal, account)] or None (not assessed).
INSTITUTION = [
    ("a live sweep's account is the institution's",
     key("aws"), [], [swept(OWN)], [], {}, [named(OWN)], [], []),
    ("a vendor's snapshot in the inventory does not make the vendor the institution",
     key("aws"), [VENDOR_SNAPSHOT], [swept(OWN)], [], {}, [named(OTHER)],
     [(f"arn:aws-cn:iam::{OTHER}:root", OTHER)], []),
    ("...whatever source the record claims: only the sweep's sources count",
     key("aws"), [asset("snapshot", OTHER, "aws")], [swept(OWN)], [], {}, [named(OTHER)],
     [(f"arn:aws-cn:iam::{OTHER}:root", OTHER)], []),
    ("an account the sweep was asked to read but could not (its gap) is the institution's",
     key("aws"), [], [swept(OWN)],
     [{"account": OTHER, "region": None, "service": "sts", "operation": "AssumeRole"}], {},
     [named(OTHER)], [], []),
    ("an IaC reader's gap names no account of the institution",
     key("terraform"), [], [], [{"account": OTHER, "region": None, "service": None,
                                 "operation": None}], {}, [named(OTHER)],
     [(f"arn:aws-cn:iam::{OTHER}:root", OTHER)], []),
    ("an account a Terraform plan deploys into",
     key("terraform"), [], [], [], {}, [named(OWN)], [], []),
    ("an account a Pulumi stack deploys into, and another outside",
     key("pulumi"), [asset("object_store", THIRD, "pulumi")], [], [], {},
     [named(OWN), named(THIRD), named(OTHER)], [(f"arn:aws-cn:iam::{OTHER}:root", OTHER)], []),
    ("a hand-written record's account counts for nothing: not assessed",
     key("inventory"), [VENDOR_SNAPSHOT], [], [], {}, [named(OWN)], None, [UNKNOWN_ACCOUNTS]),
    ("no account known at all: not assessed, never inside",
     key(None, None), [], [], [], {}, [named(OTHER)], None, [UNKNOWN_ACCOUNTS]),
    ("...but anyone is outside whatever the institution",
     key(None, None), [], [], [], {}, [OPEN, named(OTHER)], [("*", None)], [UNKNOWN_ACCOUNTS]),
    ("...and so is a principal whose account cannot be told",
     key(None, None), [], [], [], {}, [SOMEONE], [("someone", None)], []),
    ("declared accounts", key(None, None), [], [], [], {"institution_accounts": [OTHER]},
     [named(OTHER)], [], []),
    ("the accounts map", key(None, None), [], [], [], {"accounts": {OTHER: {}}},
     [named(OTHER)], [], []),
    ("kms_keys accounts", key(None, None), [], [], [], {"kms_keys": [OTHER]},
     [named(OTHER)], [], []),
    # organizations
    ("the institution's organization",
     key("aws"), [], [swept(OWN)], [], {"institution_organizations": [ORG]}, [in_org(ORG)],
     [], []),
    ("another organization",
     key("aws"), [], [swept(OWN)], [], {"institution_organizations": [ORG]},
     [in_org(FOREIGN)], [(f"* (organization {FOREIGN})", None)], []),
    ("an organization when none is declared: not assessed",
     key("aws"), [], [swept(OWN)], [], {}, [in_org(ORG)], None, [UNKNOWN_ORGS]),
    ("...nor do declared accounts tell the organization",
     key("aws"), [], [swept(OWN)], [], {"institution_accounts": [OTHER]}, [in_org(ORG)],
     None, [UNKNOWN_ORGS]),
    ("an unknown organization beside anyone: the finding stands",
     key("aws"), [], [swept(OWN)], [], {}, [in_org(ORG), OPEN], [("*", None)],
     [UNKNOWN_ORGS]),
    ("both unknown", key(None, None), [], [], [], {}, [in_org(ORG), named(OTHER)], None,
     sorted([UNKNOWN_ACCOUNTS, UNKNOWN_ORGS])),
    ("facts not read", key("aws"), [], [swept(OWN)], [], {}, None, None, []),
]


@pytest.mark.parametrize(
    ("case", "k", "others", "sources", "gaps", "settings", "decrypters", "outside",
     "unknown"), INSTITUTION, ids=[c[0] for c in INSTITUTION])
def test_who_is_the_institution(case: str, k: dict[str, Any], others: list[dict[str, Any]],
                                sources: list[dict[str, Any]], gaps: list[dict[str, Any]],
                                settings: dict[str, Any], decrypters: Any, outside: Any,
                                unknown: list[str]) -> None:
    k = {**k, "kms": {"decrypters": decrypters}, "ctx": {}}
    attach_key_context([k, *[dict(a) for a in others]], config_from_mapping(settings),
                       sources, gaps)
    got = k["ctx"]["decrypt_outside"]
    assert (None if got is None else [(p["principal"], p["account"]) for p in got]) == outside
    assert k["ctx"]["decrypt_unknown"] == unknown
    if got:
        assert all(p.get("org") == FOREIGN for p in got if "org" in p)


@pytest.mark.parametrize(("value", "message"), [
    (ORG, "must be a list of organization ids"),
    (["o-short"], r"institution_organizations\[0\] must be an AWS Organizations id"),
    ([ORG, "O-BANK000001"], r"institution_organizations\[1\] must be"),
    ([123], r"institution_organizations\[0\] must be"),
    (["r-ab12"], r"institution_organizations\[0\] must be"),
])
def test_bad_institution_organizations_setting_is_one_line(value: Any, message: str) -> None:
    with pytest.raises(InputError, match=message) as e:
        config_from_mapping({"institution_organizations": value}, "dsscan.yaml")
    assert "\n" not in str(e.value) and "o-short" not in str(e.value)


def test_institution_organizations_setting_is_read() -> None:
    assert config_from_mapping({"institution_organizations": [ORG]}
                               ).institution_organizations == [ORG]
    assert Config().institution_organizations == []


# ------------------------------------------------ IaC: the accounts the input deploys into

def policy_of(*accounts: str) -> str:
    return json.dumps(doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                           "Principal": {"AWS": [f"arn:aws-cn:iam::{a}:root"
                                                 for a in accounts]}}))


def estate(policy: str, account: str | None, *extra: Any) -> list[Any]:
    """A key the input manages (its ARN known: a deployed stack) and a core bucket it
    protects, both deployed through a provider of ``account``."""
    return [
        res("aws_kms_key.k", {"description": "k", "arn": KEY_ARN, "key_id": "k1",
                              "enable_key_rotation": True, "policy": policy},
            account=account, region=REGION),
        bucket("core-data", account=account, region=REGION),
        part("aws_s3_bucket_server_side_encryption_configuration.b", {"rule": [{
            "apply_server_side_encryption_by_default": [{
                "sse_algorithm": "aws:kms", "kms_master_key_id": KEY_ARN}]}]},
             account=account, region=REGION),
        *extra,
    ]


VENDOR_DATA = res("data.aws_ebs_snapshot.vendor", {"id": "snap-vendor", "owner_id": OTHER},
                  data=True, account=OTHER, region=REGION)

IAC = [
    ("the provider's account", estate(policy_of(OWN), OWN), {}, set(), set()),
    ("another account", estate(policy_of(OWN, OTHER), OWN), {}, {"decrypt_outside"}, set()),
    ("another account the plan only reads (a data source): still outside",
     estate(policy_of(OWN, OTHER), OWN, VENDOR_DATA), {}, {"decrypt_outside"}, set()),
    ("another account the plan deploys into (a second provider)",
     estate(policy_of(OWN, OTHER), OWN,
            bucket("dr-data", address="aws_s3_bucket.dr", account=OTHER, region=REGION)),
     {}, set(), set()),
    ("no provider account: not assessed, says what to set",
     estate(policy_of(OWN), None), {}, set(), {"institution_accounts"}),
    ("no provider account, declared", estate(policy_of(OWN), None),
     {"institution_accounts": [OWN]}, set(), set()),
    ("no provider account, and anyone: the finding stands",
     estate(json.dumps(open_to({"Bool": {"aws:SecureTransport": "true"}})), None), {},
     {"decrypt_outside"}, set()),
    ("an organization, none declared", estate(json.dumps(open_to(
        {"StringEquals": {"aws:PrincipalOrgID": ORG}})), OWN), {}, set(),
     {"institution_organizations"}),
    ("the institution's organization", estate(json.dumps(open_to(
        {"StringEquals": {"aws:PrincipalOrgID": ORG}})), OWN),
     {"institution_organizations": [ORG]}, set(), set()),
    ("another organization", estate(json.dumps(open_to(
        {"StringEquals": {"aws:PrincipalOrgID": FOREIGN}})), OWN),
     {"institution_organizations": [ORG]}, {"decrypt_outside"}, set()),
    # keydoc [KMS-UNPLACED]: a network names no account; any account's caller may meet it
    ("a VPC endpoint only: outside", estate(json.dumps(open_to(
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})), OWN), {},
     {"decrypt_outside"}, set()),
    ("the AWS-managed key pattern: ViaService and the own CallerAccount",
     estate(json.dumps(open_to({"StringEquals": {
         "kms:CallerAccount": OWN, "kms:ViaService": f"rds.{REGION}.amazonaws.com.cn"}})), OWN),
     {}, set(), set()),
]


@pytest.mark.parametrize("tool", ["terraform", "pulumi"])
@pytest.mark.parametrize(("case", "resources", "settings", "found", "unassessed"), IAC,
                         ids=[c[0] for c in IAC])
def test_iac_inputs(tool: str, case: str, resources: list[Any], settings: dict[str, Any],
                    found: set[str], unassessed: set[str]) -> None:
    for r in resources:
        r.tool = tool
    inv = build_inventory(resources, tool=tool, files=["plan.json"])
    result = run_scan(inv, load_library(), ScanOptions(config=config_from_mapping(settings),
                                                       include=("DS-KMS-001",)))
    assert {f.key for f in result.findings} == found
    reasons = " ".join(n.reason for n in result.not_assessed)
    assert {s for s in ("institution_accounts", "institution_organizations")
            if s in reasons} == unassessed
    assert bool(result.not_assessed) == bool(unassessed)


# ------------------------------------------------------- end to end: dsscan scan inventory

def inventory(decrypters: list[dict[str, Any]], *, sources: bool = True,
              vendor: bool = False) -> dict[str, Any]:
    assets: list[dict[str, Any]] = [
        {"id": KEY_ARN, "kind": "key", "name": "ledger-key", "account": OWN, "region": REGION,
         "source": {"type": "inventory"},
         "kms": {"rotation_enabled": True, "state": "Enabled", "deletion_date": None,
                 "origin": "AWS_KMS", "decrypters": decrypters}},
        {"id": "arn:aws-cn:s3:::core-ledger", "kind": "object_store", "name": "core-ledger",
         "account": OWN, "region": REGION, "source": {"type": "inventory"},
         "tags": {"dsscan:level": "core", "environment": "production"},
         "encryption": {"at_rest": {"enabled": True, "key_type": "customer_managed",
                                    "key_id": KEY_ARN}}},
    ]
    if vendor:  # the vendor's copy, shared with the bank and encrypted with its key
        assets.append({"id": f"arn:aws-cn:ec2:{REGION}:{OTHER}:snapshot/snap-vendor",
                       "kind": "snapshot", "name": "snap-vendor", "account": OTHER,
                       "region": REGION, "source": {"type": "inventory"},
                       "encryption": {"at_rest": {"enabled": True,
                                                  "key_type": "customer_managed",
                                                  "key_id": KEY_ARN}}})
    return {"format": "dsscan-inventory/1",
            "sources": [swept(OWN)] if sources else [], "assets": assets}


E2E = [
    ("a vendor's grant, the vendor's snapshot in the inventory",
     inventory([named(OWN), named(OTHER)], vendor=True), None, 1, f"account {OTHER}"),
    ("another organization", inventory([in_org(FOREIGN)]),
     {"institution_organizations": [ORG]}, 1, f"organization {FOREIGN}"),
    ("an organization, none declared", inventory([in_org(ORG)]), None, 3,
     "set institution_organizations"),
    ("the institution's organization", inventory([in_org(ORG)]),
     {"institution_organizations": [ORG]}, 0, "0 findings"),
    ("no account known", inventory([named(OWN)], sources=False), None, 3,
     "set institution_accounts"),
    ("no account known, declared", inventory([named(OWN)], sources=False),
     {"institution_accounts": [OWN]}, 0, "0 findings"),
]


@pytest.mark.parametrize(("case", "doc_", "settings", "code", "says"), E2E,
                         ids=[c[0] for c in E2E])
def test_dsscan_scan(tmp_path: Path, case: str, doc_: dict[str, Any],
                     settings: dict[str, Any] | None, code: int, says: str) -> None:
    inv = tmp_path / "estate.json"
    inv.write_text(json.dumps(doc_))
    args: list[str | Path] = ["scan", "inventory", inv, "--policy", "DS-KMS-001"]
    if settings is None:
        args.append("--no-config")
    else:
        cfg = tmp_path / "dsscan.yaml"
        cfg.write_text(json.dumps(settings))
        args += ["--config", cfg]
    r = dsscan(*args, cwd=tmp_path, env={"COLUMNS": "400"})
    assert r.returncode == code, r.stdout + r.stderr
    assert says in " ".join(r.stdout.split()), r.stdout


def test_an_inventory_with_an_org_principal_is_valid() -> None:
    inv = parse_inventory(inventory([in_org(ORG)]), "estate.json")
    assert inv.assets[0]["kms"]["decrypters"][0]["org"] == ORG
