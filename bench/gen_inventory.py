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
    assets = assets[:n]
    _second_families(assets, rnd)
    return {"format": "dsscan-inventory/1", "generator": {"tool": "bench/gen_inventory.py"},
            "assets": assets}


RESTORABLE = {"object_store", "database", "table", "file_system", "warehouse", "volume"}


def _second_families(assets: list[dict[str, Any]], rnd: random.Random) -> None:
    """The facts of the second policy families (issue 14), compliant, violating and unknown
    in a fixed mix: transport enforcement, operation logs and their sinks, restore
    verification, flow logs on domains, and customer-managed keys the stores name. The count
    of assets stays n: keys and log sinks replace the last stores."""
    stores = [a for a in assets if a["kind"] not in ("network_domain", "security_group",
                                                      "snapshot")]
    n_keys = max(2, len(stores) // 200)
    extra: list[dict[str, Any]] = []
    for acct in ACCOUNTS[:2]:
        extra.append({  # one organisation-wide trail per account: data events of every bucket
            "id": f"arn:aws-cn:cloudtrail:cn-north-1:{acct}:trail/data-events", "kind": "log_sink",
            "name": f"data-events-{acct[:3]}", "account": acct, "region": "cn-north-1",
            "log": {"service": "cloudtrail", "logging": True, "multi_region": True,
                    "organization": False, "bucket": f"trail-logs-{acct[:3]}", "log_group": None,
                    "data_events": [{"type": "AWS::S3::Object", "arns": None, "exclude": [],
                                     "partial": False}]},
            "expiry": {"expires": True, "days": 400}})
    log_buckets = [f"trail-logs-{acct[:3]}" for acct in ACCOUNTS[:2]] + [
        f"access-logs-{k}" for k in range(7)]
    for k, name in enumerate(log_buckets):  # where the logs go, each with its retention
        extra.append({
            "id": f"arn:aws-cn:s3:::{name}", "kind": "object_store", "name": name,
            "account": ACCOUNTS[0], "region": "cn-north-1", "tags": {"dsscan:level": "general"},
            "encryption": {"at_rest": {"enabled": True, "key_type": "provider_managed",
                                       "key_id": None}},
            "access": {"public": False, "wildcard_principal": False},
            "logging": {"access_log": {"enabled": False, "target_bucket": None,
                                       "target_prefix": None}},
            "expiry": {"expires": k % 3 != 0, "days": 400 + 400 * (k % 3) if k % 3 else None}})
    for acct in ACCOUNTS[:2]:  # the databases' audit log groups (shared: a few per account)
        for k in range(5):
            extra.append({
                "id": f"arn:aws-cn:logs:cn-north-1:{acct}:log-group:/aws/rds/audit-{k}",
                "kind": "log_sink", "name": f"/aws/rds/audit-{k}", "account": acct,
                "region": "cn-north-1", "log": {"service": "cloudwatch_logs"},
                "expiry": {"expires": k != 0, "days": [None, 90, 400, 1100, 3650][k]}})
    keys = []
    for k in range(n_keys):
        acct = ACCOUNTS[k % 2]
        kid = f"arn:aws-cn:kms:cn-north-1:{acct}:key/gen-{k:05d}"
        keys.append(kid)
        extra.append({
            "id": kid, "kind": "key", "name": f"gen-{k:05d}", "account": acct,
            "region": "cn-north-1", "attributes": {"key_manager": "CUSTOMER"},
            "kms": {"rotation_enabled": k % 5 != 0, "state": "Enabled" if k % 31 else "Disabled",
                    "deletion_date": None, "origin": "AWS_KMS", "decrypters": [
                        {"principal": f"arn:aws-cn:iam::{acct}:root", "account": acct,
                         "via": "key policy statement root", "anyone": False},
                        *([{"principal": "*", "account": None, "via": "key policy statement open",
                            "anyone": True}] if k % 23 == 0 else [])]}})
    for i, a in enumerate(stores):
        kind = a["kind"]
        enc = a["encryption"]
        enc["in_transit"] = {"enforced": (None if i % 29 == 0 else i % 4 != 1),
                             "mechanism": "bucket_policy" if kind == "object_store" else
                             "parameter_group", "source": None, "setting": None,
                             "value": None, "detail": "generated"}
        if enc["at_rest"]["key_type"] == "customer_managed":
            enc["at_rest"]["key_id"] = keys[i % len(keys)]
        if kind == "object_store":
            a["logging"] = {"access_log": {"enabled": i % 3 == 0, "target_bucket":
                                           f"access-logs-{i % 7}" if i % 3 == 0 else None,
                                           "target_prefix": None}}
            a["expiry"] = {"expires": i % 11 == 0, "days": 30 if i % 11 == 0 else None}
        elif kind in ("database", "warehouse"):
            on = i % 5 != 2
            a["logging"] = {"audit": {"enabled": on, "destinations": [
                {"type": "cloudwatch_logs", "log_group": f"/aws/rds/audit-{i % 5}"}]
                if on else []}}
        if kind in RESTORABLE:
            a.setdefault("backup", {})["restore_verification"] = {
                "testing_selections": ["monthly/all"] if i % 4 else [],
                "last_successful_restore": None, "restore_jobs": "read" if i % 37 else None}
    for a in assets:
        if a["kind"] == "network_domain":
            d = int(a["name"].split("-")[1])
            a["network"]["flow_logs"] = [] if d % 3 == 1 else [
                {"id": f"fl-{d:06x}", "traffic_type": "ALL", "destination_type":
                 "cloud-watch-logs", "destination": "flow-logs"}]
    # keys and sinks take the places of the last stores, so the asset count stays n
    tail = [i for i, a in enumerate(assets) if a["kind"] not in ("network_domain",
                                                                  "security_group")]
    drop = set(tail[-len(extra):])
    kept = [a for i, a in enumerate(assets) if i not in drop]
    ids = {a["id"] for a in kept}
    for a in kept:  # a copy whose source was dropped would be an orphan: point it at a store
        of = (a.get("backup") or {}).get("backup_of")
        if of and of[0] not in ids:
            a["backup"]["backup_of"] = [stores[0]["id"]]
    assets[:] = kept + extra


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
