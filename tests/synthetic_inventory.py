"""A synthetic classified inventory (assets with ``ctx``) varied so that most policy branches
fire: the engine tests and the policy-suite parity tests evaluate it on both engines."""

from __future__ import annotations

import random
from typing import Any

LEVELS = ["core", "important", "sensitive", "general", "unclassified"]
STORE_KINDS = ["object_store", "database", "table", "file_system", "cache", "warehouse"]
KINDS = [*STORE_KINDS, "backup", "snapshot", "backup_vault", "network_domain"]


def _enc(rnd: random.Random) -> dict[str, Any] | None:
    enabled = rnd.choice([True, True, False, None])
    if enabled is None and rnd.random() < 0.3:
        return None
    key_type = (rnd.choice(["customer_managed", "provider_managed", None]) if enabled
                else ("none" if enabled is False else None))
    return {"enabled": enabled, "key_type": key_type,
            "key_id": "arn:aws:kms:cn-north-1:111:key/k1" if key_type == "customer_managed"
            else None}


def synthetic_inventory(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Classified assets with ``ctx``, varied so that most policy branches fire: unknown
    (null) facts, test environments, public access, unmasked content, backups in the same or
    another account, domains of lower levels reachable from the internet."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        kind = rnd.choice(KINDS)
        level = rnd.choice(LEVELS)
        env = rnd.choice(["production", "production", "test", "development", "unknown"])
        account = rnd.choice(["111111111111", "222222222222"])
        region = rnd.choice(["cn-north-1", "cn-northwest-1"])
        unmasked = rnd.choice([0, 0, 3])
        asset: dict[str, Any] = {
            "id": f"arn:aws:svc:{region}:{account}:{kind}/a{i}",
            "name": f"{'test-' if env == 'test' else ''}asset-{i}",
            "kind": kind, "provider": "aws", "account": account, "region": region,
            "tags": {"data-level": level} if i % 3 else {},
            "level": {"value": level, "provenance": [{"source": "tag", "level": level}],
                      "conflicts": []},
            "environment": {"value": env, "provenance": [{"source": "tag"}]},
            "encryption": {"at_rest": _enc(rnd)} if rnd.random() < 0.9 else None,
            "network": {"vpc_id": f"vpc-{i % 4}", "subnets": [f"subnet-{i % 7}"],
                        "security_groups": [f"sg-{i % 5}"],
                        "publicly_accessible": rnd.choice([False, False, True, None])},
            "access": {"public": rnd.choice([False, True, None]),
                       "wildcard_principal": rnd.choice([False, True, None]),
                       "lock": {"enabled": rnd.choice([True, False])}},
            "content": {"status": "sampled", "sample": {"rows": 100},
                        "detections": [{"detector": "prc_resident_id", "location": "t.c",
                                        "unmasked": unmasked, "masked": 5, "sampled": 100,
                                        "evidence": ["110101********1234"]}]}
            if rnd.random() < 0.5 else None,
            "desensitization": {"record": "DSR-2025-004", "source": "tag"}
            if rnd.random() < 0.2 else None,
            "assessment": {"status": rnd.choice(["complete"] * 8 + ["partial", "not_assessed"]),
                           "gaps": []},
        }
        dlevel = rnd.choice(LEVELS[:4])
        reach = []
        if rnd.random() < 0.2:
            reach.append({"from": "internet", "level": None, "environment": None,
                          "via": "sg-0abc ingress 0.0.0.0/0 tcp/5432"})
        if rnd.random() < 0.2:
            reach.append({"from": "vpc-9", "level": rnd.choice(LEVELS),
                          "environment": rnd.choice(["test", "production", None]),
                          "via": "peering pcx-1"})
        backups = []
        for j in range(rnd.choice([0, 0, 1, 2])):
            separate = rnd.random() < 0.6
            backups.append({
                "id": f"{asset['id']}/bak{j}", "kind": rnd.choice(["snapshot", "backup"]),
                "relation": rnd.choice(["backup", "snapshot", "replica"]),
                "account": "333333333333" if separate else account, "region": region,
                "vault": rnd.choice([None, "vault-1"]), "bucket": None, "volume": None,
                "encryption": _enc(rnd), "separate": separate,
                "separation": "different account" if separate else "same account and region"})
        sources = []
        if kind in ("backup", "snapshot"):
            sources.append({"id": f"arn:src/{i}", "kind": "database",
                            "level": rnd.choice(LEVELS), "account": account,
                            "region": region, "bucket": None, "volume": None,
                            "encryption": _enc(rnd)})
        asset["ctx"] = {
            "domain": None if rnd.random() < 0.15 else {
                "id": f"vpc-{i % 4}", "name": f"domain-{i % 4}", "level": dlevel,
                "rated": rnd.random() < 0.8, "environment": rnd.choice(["production", "test"]),
                "internet_reachable": bool(reach and reach[0]["from"] == "internet"),
                "reachable_from": reach},
            "backups": backups,
            "sources": sources,
            "vault": {"id": "vault-1", "encryption": _enc(rnd),
                      "access": {"public": False, "wildcard_principal": rnd.random() < 0.3}}
            if kind in ("backup", "snapshot") and rnd.random() < 0.5 else None,
            "contents": [{"id": f"arn:c/{i}", "level": rnd.choice(LEVELS)}]
            if kind == "backup_vault" else [],
            "parent": {"id": f"arn:db/{i}", "kind": "database",
                       "encryption": {"at_rest": _enc(rnd)}, "network": None}
            if kind == "table" and rnd.random() < 0.7 else None,
        }
        out.append(asset)
    return out
