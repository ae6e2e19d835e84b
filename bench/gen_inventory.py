"""Generate a synthetic bank estate of N assets (dsscan-inventory/1) for benchmarks.

The mix resembles a real estate: ~1 network domain per 2,000 assets (min 4), ~1 security
group per 100, stores of every kind and level, and about one backup/snapshot per three stores,
some cross-account. Deterministic for a given N and seed.

    python bench/gen_inventory.py 100000 -o /tmp/estate-100k.json
"""

from __future__ import annotations

import argparse
import json
import random
from typing import Any

LEVELS = ["core", "important", "sensitive", "general"]
STORE_KINDS = ["object_store", "database", "table", "file_system", "cache", "warehouse"]
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
REGIONS = ["cn-north-1", "cn-northwest-1"]


def generate(n: int, seed: int = 7) -> dict[str, Any]:
    rnd = random.Random(seed)
    assets: list[dict[str, Any]] = []
    n_domains = max(4, n // 2000)
    n_sgs = max(4, n // 100)
    domains = []
    for d in range(n_domains):
        vpc = f"vpc-{d:06x}"
        env = "test" if d % 4 == 3 else "production"
        acct = ACCOUNTS[1] if env == "test" else ACCOUNTS[0]
        cidr = f"10.{d % 250}.{(d // 250) * 16 % 256}.0/20"
        peer = f"vpc-{(d + 1) % n_domains:06x}"
        tags = {"environment": env}
        if d % 7 != 5:
            tags["dsscan:level"] = LEVELS[d % 4]
        domains.append((vpc, acct))
        assets.append({
            "id": f"arn:aws-cn:ec2:cn-north-1:{acct}:vpc/{vpc}", "kind": "network_domain",
            "name": f"domain-{d}", "account": acct, "region": "cn-north-1", "tags": tags,
            "network": {"vpc_id": vpc, "cidrs": [cidr], "internet_gateway": d % 5 == 0,
                        "routes": [{"destination": "10.0.0.0/8", "target": f"pcx-{d:06x}"}],
                        "peerings": [{"id": f"pcx-{d:06x}", "peer_vpc_id": peer,
                                      "status": "active"}]},
        })
    for s in range(n_sgs):
        vpc, acct = domains[s % n_domains]
        src = "0.0.0.0/0" if s % 50 == 0 else f"10.{rnd.randrange(250)}.0.0/16"
        assets.append({
            "id": f"arn:aws-cn:ec2:cn-north-1:{acct}:security-group/sg-{s:08x}",
            "kind": "security_group", "name": f"sg-{s:08x}", "account": acct,
            "region": "cn-north-1",
            "network": {"vpc_id": vpc, "ingress": [
                {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidrs": [src]}]},
        })
    stores: list[dict[str, Any]] = []
    i = 0
    while len(assets) < n:
        kind = STORE_KINDS[i % len(STORE_KINDS)]
        acct = ACCOUNTS[i % 2]
        region = REGIONS[0]
        name = f"{kind.replace('_', '-')}-{i}" + ("-test" if i % 9 == 0 else "")
        tags = {} if i % 13 == 0 else {"dsscan:level": LEVELS[rnd.randrange(4)]}
        key_type = ["customer_managed", "provider_managed", "none"][rnd.randrange(3)]
        asset: dict[str, Any] = {
            "id": f"arn:aws-cn:{kind}:{region}:{acct}:{name}", "kind": kind, "name": name,
            "account": acct, "region": region, "tags": tags,
            "encryption": {"at_rest": {"enabled": key_type != "none", "key_type": key_type,
                                       "key_id": None}},
            "access": {"public": i % 41 == 0, "wildcard_principal": False},
            "backup": {"native": {"enabled": i % 3 != 0, "retention_days": 7}},
        }
        if kind in ("database", "cache", "warehouse", "file_system"):
            vpc, _ = domains[i % n_domains]
            asset["network"] = {"vpc_id": vpc, "subnets": [],
                                "security_groups": [f"sg-{i % n_sgs:08x}"],
                                "publicly_accessible": i % 97 == 0}
        if i % 17 == 0:
            asset["content"] = {"status": "sampled", "sample": {"rows": 100},
                                "detections": [{"detector": "prc_resident_id",
                                                "location": "t.id_no", "unmasked": i % 2 * 10,
                                                "masked": 5, "tokenized": 0, "sampled": 100,
                                                "evidence": ["110101********1234"]}]}
        assets.append(asset)
        stores.append(asset)
        i += 1
        if len(assets) < n and i % 3 == 0:
            src = stores[rnd.randrange(len(stores))]
            copy_acct = ACCOUNTS[2] if i % 2 else src["account"]
            copy_region = REGIONS[1] if i % 2 else src["region"]
            assets.append({
                "id": f"{src['id']}/snapshot-{i}", "kind": "snapshot",
                "name": f"snap-{i}", "account": copy_acct, "region": copy_region,
                "encryption": {"at_rest": {"enabled": True, "key_type": "provider_managed",
                                           "key_id": None}},
                "access": {"public": False},
                "backup": {"backup_of": [src["id"]],
                           "location": {"account": copy_acct, "region": copy_region}},
            })
    return {"format": "dsscan-inventory/1", "generator": {"tool": "bench/gen_inventory.py"},
            "assets": assets[:n]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("n", type=int)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump(generate(args.n, args.seed), fh)
    print(f"wrote {args.output} ({args.n} assets)")


if __name__ == "__main__":
    main()
