"""A hypothesis strategy of small inventories (dsscan-inventory/1 assets) that make every
policy fire: network domains, stores of every kind with levels from tags, environments,
encryption, exposure, backups, content samples, parents, vaults, copies (some of stores that
are gone) and unreadable assets, with one of ``CONFIGS`` to run them under.

Used by the tests that compare two ways of evaluating the same estate
(tests/test_ctx_facts_equivalence.py, tests/test_kind_scoped_evaluation.py).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

LEVELS = ["core", "important", "sensitive", "general", "unclassified", "secret", ""]
ENVS = ["production", "test", "development", "uat", "staging", ""]
STORE_KINDS = ["object_store", "database", "table", "file_system", "cache", "warehouse",
               "volume"]
ACCOUNTS = ["111111111111", "222222222222"]
REGIONS = ["cn-north-1", "cn-northwest-1"]
CONFIGS = [
    {},
    {"unclassified_protection_level": "important", "test_environments": ["test", "staging"]},
    {"unclassified_protection_level": "general", "allowed_regions": ["cn-north-1"]},
    {"unclassified_protection_level": "core", "test_environments": ["staging"],
     "backup_separation": "account"},
]

maybe_bool = st.sampled_from([True, False, None])
enc_state = st.one_of(st.none(), st.fixed_dictionaries({
    "enabled": maybe_bool,
    "key_type": st.sampled_from(["none", "provider_managed", "customer_managed", None]),
}))


@st.composite
def inventories(draw: Any) -> tuple[int, list[dict[str, Any]]]:
    n_domains = draw(st.integers(0, 3))
    n_stores = draw(st.integers(1, 10))
    assets: list[dict[str, Any]] = []

    def tags() -> dict[str, str]:
        t: dict[str, str] = {}
        if (lv := draw(st.sampled_from([*LEVELS, None]))) is not None:
            t["data-level"] = lv
        if (env := draw(st.sampled_from([*ENVS, None]))) is not None:
            t["environment"] = env
        return t

    def place() -> dict[str, Any]:
        return {"account": draw(st.sampled_from(ACCOUNTS)),
                "region": draw(st.sampled_from([*REGIONS, None]))}

    def status() -> dict[str, Any]:
        s = draw(st.sampled_from(["complete"] * 6 + ["partial", "not_assessed"]))
        gaps = [] if s == "complete" else [{"aspect": "*", "reason": "AccessDenied"}]
        return {"status": s, "gaps": gaps}

    for d in range(n_domains):
        acct = draw(st.sampled_from(ACCOUNTS))
        assets.append({
            "id": f"arn:aws-cn:ec2:cn-north-1:{acct}:vpc/vpc-{d}", "kind": "network_domain",
            "name": f"vpc-{d}", "account": acct, "region": "cn-north-1", "tags": tags(),
            "network": {"vpc_id": f"vpc-{d}", "cidrs": [f"10.{d}.0.0/16"],
                        "internet_gateway": draw(maybe_bool)},
            "assessment": status()})
    for i in range(n_stores):
        kind = draw(st.sampled_from(STORE_KINDS))
        where = place()
        vpc = draw(st.sampled_from([None, *[f"vpc-{d}" for d in range(n_domains)], "vpc-x"]))
        a: dict[str, Any] = {
            "id": f"arn:aws-cn:svc:cn-north-1:{where['account']}:{kind}/s{i}", "kind": kind,
            "name": f"s{i}", **where, "tags": tags(),
            "encryption": draw(st.one_of(st.none(), enc_state.map(lambda e: {"at_rest": e}))),
            "network": None if vpc is None else {
                "vpc_id": vpc, "subnets": [f"subnet-{i}"],
                "publicly_accessible": draw(maybe_bool)},
            "access": draw(st.one_of(st.none(), st.fixed_dictionaries({
                "public": maybe_bool, "wildcard_principal": maybe_bool}))),
            "backup": draw(st.one_of(st.none(), st.fixed_dictionaries({
                "native": st.fixed_dictionaries({"enabled": maybe_bool}),
                "plans": st.one_of(st.none(), st.just([]), st.just(["plan-1"]))}))),
            "content": draw(st.sampled_from([
                None, {"status": "error", "reason": "denied"},
                {"status": "sampled", "detections": []},
                {"status": "sampled", "detections": [
                    {"detector": "prc_resident_id", "location": "t.c", "unmasked": 2,
                     "masked": 1, "sampled": 10}]}])),
            "desensitization": draw(st.sampled_from([None, {"record": "DSR-1",
                                                             "source": "tag"}])),
            "assessment": status(),
        }
        if kind == "table" and i and draw(st.booleans()):
            a["parent"] = assets[-1]["id"]
        assets.append(a)
    stores = [a["id"] for a in assets if a["kind"] != "network_domain"]
    vaults = []
    for v in range(draw(st.integers(0, 2))):
        where = place()
        vid = f"arn:aws-cn:backup:cn-north-1:{where['account']}:backup-vault:vault-{v}"
        vaults.append(vid)
        assets.append({"id": vid, "kind": "backup_vault", "name": f"vault-{v}", **where,
                       "tags": tags(), "encryption": {"at_rest": draw(enc_state)},
                       "access": draw(st.one_of(st.none(), st.fixed_dictionaries({
                           "public": maybe_bool, "lock": st.fixed_dictionaries(
                               {"enabled": maybe_bool})}))),
                       "assessment": status()})
    for c in range(draw(st.integers(0, 4))):
        where = place()
        src = draw(st.sampled_from([*stores, "arn:aws-cn:rds:cn-north-1:9:db:gone"]))
        vault = draw(st.sampled_from([None, *vaults]))
        assets.append({
            "id": f"arn:aws-cn:backup:cn-north-1:{where['account']}:recovery-point:c{c}",
            "kind": draw(st.sampled_from(["backup", "snapshot"])), "name": f"c{c}", **where,
            "tags": tags(), "encryption": draw(st.one_of(
                st.none(), enc_state.map(lambda e: {"at_rest": e}))),
            "backup": {"backup_of": [src], "location": {
                "account": where["account"], "region": where["region"],
                "vault": None if vault is None else vault.rsplit(":", 1)[1],
                "bucket": None, "volume": None}},
            "assessment": status()})
    return draw(st.integers(0, len(CONFIGS) - 1)), assets


def prepared(drawn: tuple[int, list[dict[str, Any]]]) -> tuple[Any, list[dict[str, Any]]]:
    """(config, assets) of a drawn inventory, classified and with relations (ctx)."""
    from dsscan.config import Config
    from dsscan.inventory import FORMAT, parse_inventory
    from dsscan.pipeline import ScanOptions, prepare

    config_index, raw = drawn
    config = Config(**CONFIGS[config_index])
    inv = parse_inventory({"format": FORMAT, "assets": raw}, "generated")
    return config, prepare(inv, ScanOptions(config=config))
