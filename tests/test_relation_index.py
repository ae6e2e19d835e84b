"""One resolver per relation (issue 12 item 3): classification (inheritance) and relations
(ctx) must agree on which vault holds a copy, which copy is of which source and which domain
an asset sits in — through dsscan.pipeline.prepare, the one place both stages run."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dsscan.config import Config
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, prepare, run_scan
from dsscan.policy_library import load_library

A1, A2 = "111111111111", "222222222222"
R1, R2 = "cn-north-1", "cn-northwest-1"
CMK = {"enabled": True, "key_type": "customer_managed", "key_id": "k-1"}
AWS_KEY = {"enabled": True, "key_type": "provider_managed", "key_id": None}
DB = f"arn:aws-cn:rds:{R1}:{A1}:db:ledger"


def vault_arn(account: str, region: str = R1, name: str = "prod-vault") -> str:
    return f"arn:aws-cn:backup:{region}:{account}:backup-vault:{name}"


def vault(account: str, region: str = R1, key: dict[str, Any] | None = None,
          name: str = "prod-vault", **extra: Any) -> dict[str, Any]:
    return {"id": vault_arn(account, region, name), "kind": "backup_vault", "name": name,
            "account": account, "region": region,
            "encryption": {"at_rest": dict(key or AWS_KEY)},
            "access": {"public": False, "wildcard_principal": False,
                       "lock": {"enabled": True}}, **extra}


def source() -> dict[str, Any]:
    return {"id": DB, "kind": "database", "name": "ledger", "account": A1, "region": R1,
            "tags": {"dsscan:level": "core", "environment": "production"},
            "encryption": {"at_rest": dict(CMK)}, "network": {"publicly_accessible": False},
            "backup": {"native": {"enabled": False}}}


def recovery_point(vault_ref: str, account: str | None = A2, region: str | None = R1,
                   own_account: str | None = None, rid: str = "rp-1") -> dict[str, Any]:
    """A recovery point with no encryption facts of its own: its vault's key protects it."""
    loc = {k: v for k, v in (("account", account), ("region", region)) if v is not None}
    return {"id": rid, "kind": "backup", "name": rid, "account": own_account,
            "backup": {"backup_of": [DB], "location": {**loc, "vault": vault_ref}}}


def prepared(*assets: dict[str, Any]) -> dict[str, dict[str, Any]]:
    inv = parse_inventory({"format": "dsscan-inventory/1",
                           "assets": [copy.deepcopy(a) for a in assets]}, "estate.json")
    return {a["id"]: a for a in prepare(inv, ScanOptions(config=Config()))}


def holders(by: dict[str, dict[str, Any]], rid: str) -> set[str]:
    """The vaults classification says hold ``rid`` (their level is inherited from it)."""
    return {aid for aid, a in by.items() if a.get("kind") == "backup_vault"
            and any(e.get("source") == "inheritance" and e.get("detail", "").startswith(
                f"holds {rid}") for e in a["level"]["provenance"])}


def ctx_vault(by: dict[str, dict[str, Any]], rid: str) -> str | None:
    v = by[rid]["ctx"]["vault"]
    return v["id"] if v else None


def contents_of(by: dict[str, dict[str, Any]], rid: str) -> set[str]:
    return {aid for aid, a in by.items() if a.get("kind") == "backup_vault"
            and any(c["id"] == rid for c in a["ctx"]["contents"])}


# -- the reproduction: four assets ------------------------------------------------------

def test_same_vault_name_in_two_accounts_classification_and_ctx_agree():
    """Two vaults named prod-vault (A1: customer-managed key, A2: AWS-managed key), a core
    source, a recovery point in A2's vault named by its name. Classification raised A2's vault
    to core; ctx.vault pointed at A1's, so DS-ENC-002 judged the copy by A1's stronger key."""
    v1, v2 = vault(A1, key=CMK), vault(A2)
    by = prepared(v1, v2, source(), recovery_point("prod-vault", account=A2))
    assert holders(by, "rp-1") == {v2["id"]}
    assert ctx_vault(by, "rp-1") == v2["id"]
    assert contents_of(by, "rp-1") == {v2["id"]}


@pytest.mark.slow
def test_same_vault_name_in_two_accounts_ds_enc_002_judges_by_the_right_key():
    v1, v2 = vault(A1, key=CMK), vault(A2)
    inv = parse_inventory({"format": "dsscan-inventory/1", "assets": [
        v1, v2, source(), recovery_point("prod-vault", account=A2)]}, "estate.json")
    r = run_scan(inv, load_library(), ScanOptions(config=Config()))
    got = {(f.asset_id, f.key) for f in r.findings if f.policy_id == "DS-ENC-002"}
    assert ("rp-1", "weaker_key") in got


# -- the class: every way a copy names its vault -------------------------------------------------

V1, V2 = vault_arn(A1), vault_arn(A2)
V2_R2 = vault_arn(A2, R2)

# (vaults, how the recovery point names its vault and where it is) -> the vault holding it
# (None: no vault in the inventory holds it; "ambiguous": several may, none is picked)
CASES = [
    # same name across accounts: the copy's account decides
    ([(A1, R1), (A2, R1)], ("prod-vault", A2, R1), V2),
    ([(A1, R1), (A2, R1)], ("prod-vault", A1, R1), V1),
    # same name across regions of one account: the copy's region decides
    ([(A2, R1), (A2, R2)], ("prod-vault", A2, R2), V2_R2),
    ([(A2, R1), (A2, R2)], ("prod-vault", A2, R1), V2),
    # by ARN: the ARN's account and region decide, whatever the inventory order
    ([(A1, R1), (A2, R1)], (V2, A2, R1), V2),
    ([(A2, R1), (A1, R1)], (V1, A1, R1), V1),
    # an ARN of a vault not in the inventory is not another account's vault of that name
    ([(A1, R1)], (V2, A2, R1), None),
    # a name whose only vault is in another account than the copy's: not that vault
    ([(A1, R1)], ("prod-vault", A2, R1), None),
    # one vault of that name, the copy's place unknown: that vault
    ([(A1, R1)], ("prod-vault", None, None), V1),
    # several of that name and the copy's account (or region) unknown: never pick one
    ([(A1, R1), (A2, R1)], ("prod-vault", None, R1), "ambiguous"),
    ([(A2, R1), (A2, R2)], ("prod-vault", A2, None), "ambiguous"),
    # a name not in the inventory
    ([(A1, R1)], ("other-vault", A1, R1), None),
]


@pytest.mark.parametrize(("vaults", "ref", "expected"), CASES)
@pytest.mark.parametrize("reverse", [False, True], ids=["order", "reversed"])
def test_one_vault_resolution_for_both_stages(vaults, ref, expected, reverse):
    vs = [vault(acct, reg) for acct, reg in vaults]
    if reverse:
        vs.reverse()
    name, acct, reg = ref
    by = prepared(*vs, source(), recovery_point(name, account=acct, region=reg))
    candidates = {v["id"] for v in vs}
    if expected == "ambiguous":
        # Every candidate holds it (over-classifying is the safe side), in both stages; no
        # single vault's key is taken for the copy's, and the run says why it is not assessed.
        assert holders(by, "rp-1") == candidates
        assert contents_of(by, "rp-1") == candidates
        assert ctx_vault(by, "rp-1") is None
        gaps = by["rp-1"]["assessment"]["gaps"]
        assert any(g["aspect"] == "backup" and "prod-vault" in g["reason"] for g in gaps)
    else:
        want = set() if expected is None else {expected}
        assert holders(by, "rp-1") == want
        assert contents_of(by, "rp-1") == want
        assert ctx_vault(by, "rp-1") == expected


@pytest.mark.slow
def test_an_ambiguous_vault_leaves_the_copy_not_assessed_never_passed():
    v1, v2 = vault(A1, key=CMK), vault(A2)
    inv = parse_inventory({"format": "dsscan-inventory/1", "assets": [
        v1, v2, source(), recovery_point("prod-vault", account=None)]}, "estate.json")
    r = run_scan(inv, load_library(), ScanOptions(config=Config()))
    assert not r.complete
    assert "rp-1" in {n.asset_id for n in r.not_assessed if n.policy_id == "DS-ENC-002"}
    assert not [f for f in r.findings if f.policy_id == "DS-ENC-002" and f.asset_id == "rp-1"]


# -- copy -> source: by id, in both stages ----------------------------------------------------

@pytest.mark.parametrize(("ref", "resolved"), [(DB, True), ("ledger", False)])
def test_copy_to_source_resolution_is_the_same_in_both_stages(ref, resolved):
    """A copy names its source by id; a name is not resolved by either stage (its source is
    then missing: not assessed by DS-ENC-002, never judged against a guessed store)."""
    rp = recovery_point(vault_arn(A1), account=A1)
    rp["backup"]["backup_of"] = [ref]
    by = prepared(vault(A1, key=CMK), source(), rp)
    inherited = any(e.get("source") == "inheritance" for e in by["rp-1"]["level"]["provenance"])
    [src] = by["rp-1"]["ctx"]["sources"]
    listed = [b["id"] for b in by[DB]["ctx"]["backups"]]
    assert inherited is resolved
    assert src.get("missing", False) is not resolved
    assert listed == (["rp-1"] if resolved else [])


# -- domain membership: one answer for classification and ctx -----------------------------------

def domain(did: str, account: str, env: str, name: str = "prod-net") -> dict[str, Any]:
    return {"id": did, "kind": "network_domain", "name": name, "account": account,
            "region": R1, "tags": {"environment": env}, "network": {}}


@pytest.mark.parametrize(("account", "expected"), [(A2, "d2"), (A1, "d1"), (None, None)])
def test_a_domain_named_by_name_is_resolved_in_the_assets_account(account, expected):
    """``network.domain`` naming two domains of one name (two accounts): the asset's account
    decides; unknown, neither is picked (the asset's domain is not assessed)."""
    d1, d2 = domain("d1", A1, "production"), domain("d2", A2, "test")
    store = {"id": "db-x", "kind": "database", "name": "x", "account": account, "region": R1,
             "network": {"domain": "prod-net"}}
    for order in ([d1, d2, store], [d2, d1, store]):
        by = prepared(*order)
        dom = by["db-x"]["ctx"]["domain"]
        assert (dom["id"] if dom else None) == expected
        env = by["db-x"]["environment"]["provenance"]
        from_domain = [e["detail"] for e in env if e["source"] == "domain"]
        assert from_domain == ([f"domain {expected}"] if expected else [])
        if expected is None:
            assert any(g["aspect"] == "network" and "prod-net" in g["reason"]
                       for g in by["db-x"]["assessment"]["gaps"])
