"""Relations resolved before Rego: domain membership, reachability, backups, sources (ctx)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from relation_builders import asset, db, domain, domain_of, run, sg

from dsscan.config import Config
from dsscan.relations import cidr_overlaps, domain_membership, is_internet_cidr

CTX_KEYS = {"domain", "backups", "built_in_backup", "replicas_outside", "sources", "vault",
            "contents", "parent", "restore_verification",
            "level", "rank", "protect_level", "protect_rank", "environment", "test", "production",
            "assessable",
            # operation logs (dsscan/log_sinks.py)
            "operation_logs", "operation_logs_unknown", "log_retention_required_days",
            "outsourced",
            # retention and orphan copies (dsscan/retention.py)
            "retention", "orphan"}


def sources_into(ctx_domain: dict[str, Any]) -> set[str]:
    return {r["from"] for r in ctx_domain["reachable_from"]}


# ---------------------------------------------------------------------------- CIDR math


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("10.0.0.0/16", "10.0.255.0/24", True),
    ("10.0.0.0/16", "10.1.0.0/16", False),
    ("0.0.0.0/0", "192.168.1.7/32", True),
    ("10.0.0.5", "10.0.0.0/24", True),  # a bare address is a /32
    ("2001:db8::/32", "2001:db8:1::/48", True),
    ("2001:db8::/32", "2001:db9::/32", False),
    ("::/0", "10.0.0.0/8", False),  # IPv6 never overlaps IPv4
    ("::ffff:10.0.0.0/104", "10.0.0.0/8", True),  # IPv4-mapped IPv6 compares as IPv4
    ("not-a-cidr", "10.0.0.0/8", False),
    ("10.0.0.0/33", "10.0.0.0/8", False),
    ("", "10.0.0.0/8", False),
])
def test_cidr_overlaps_compares_address_ranges_and_never_matches_bad_input(a, b, expected):
    assert cidr_overlaps(a, b) is expected
    assert cidr_overlaps(b, a) is expected


@pytest.mark.parametrize(("cidr", "expected"), [
    ("0.0.0.0/0", True), ("::/0", True), ("52.80.1.2/32", True), ("10.0.0.0/7", True),
    ("2400:da00::/32", True), ("::ffff:8.8.8.8/128", True),
    ("10.0.0.0/8", False), ("172.16.5.0/24", False), ("192.168.0.0/16", False),
    ("100.64.0.0/10", False), ("127.0.0.1/32", False), ("169.254.0.0/16", False),
    ("fd00:1::/64", False), ("fe80::/10", False), ("::1/128", False),
    ("300.1.1.1/32", False), ("garbage", False), ("", False), (None, False),
])
def test_is_internet_cidr_is_true_only_for_ranges_reaching_public_space(cidr, expected):
    assert is_internet_cidr(cidr) is expected


# ---------------------------------------------------------------------------- membership


def test_subnet_level_domain_beats_vpc_level_domain():
    assets = [
        domain("vpc-dom", vpc_id="vpc-1"),
        domain("subnet-dom", vpc_id="vpc-1", subnets=["subnet-a", "subnet-b"]),
        asset("db-in-subnet", "database", network={"vpc_id": "vpc-1", "subnets": ["subnet-a"]}),
        asset("db-elsewhere", "database", network={"vpc_id": "vpc-1", "subnets": ["subnet-z"]}),
    ]
    m = domain_membership(assets)
    assert m["db-in-subnet"] == "subnet-dom"
    assert m["db-elsewhere"] == "vpc-dom"


def test_most_specific_subnet_domain_wins_when_several_list_the_subnet():
    assets = [
        domain("a-whole-vpc", vpc_id="vpc-1", subnets=["s-1", "s-2", "s-3"]),
        domain("z-data-tier", vpc_id="vpc-1", subnets=["s-3"]),
        asset("db", "database", network={"subnets": ["s-3"]}),
        asset("spread", "database", network={"subnets": ["s-1", "s-3"]}),
    ]
    m = domain_membership(assets)
    assert m["db"] == "z-data-tier"
    assert m["spread"] == "a-whole-vpc"  # the domain holding most of its subnets


def test_explicit_domain_by_id_or_name_is_the_last_resort():
    assets = [
        domain("dom-x", name="prod-core", vpc_id="vpc-9"),
        asset("by-name", "database", network={"domain": "prod-core"}),
        asset("by-id", "database", network={"domain": "dom-x"}),
        asset("unknown", "database", network={"domain": "no-such-domain"}),
        asset("vpc-wins", "database", network={"vpc_id": "vpc-9", "domain": "other"}),
    ]
    m = domain_membership(assets)
    assert (m["by-name"], m["by-id"], m["vpc-wins"]) == ("dom-x", "dom-x", "dom-x")
    assert "unknown" not in m


def test_security_group_sits_in_its_vpc_domain_and_domain_maps_to_itself():
    assets = [domain("d1", vpc_id="vpc-1"), sg("sg-1", vpc="vpc-1"),
              asset("bucket", "object_store"), asset("no-net", "database", network=None)]
    m = domain_membership(assets)
    assert m == {"d1": "d1", "sg-1": "d1"}


def test_vpc_made_only_of_subnet_domains_does_not_guess_a_domain():
    assets = [
        domain("a", vpc_id="vpc-1", subnets=["s-1"]),
        domain("b", vpc_id="vpc-1", subnets=["s-2"]),
        asset("vpc-only", "database", network={"vpc_id": "vpc-1"}),
        domain("single", vpc_id="vpc-2", subnets=["s-9"]),
        asset("single-vpc", "database", network={"vpc_id": "vpc-2"}),
    ]
    m = domain_membership(assets)
    assert "vpc-only" not in m
    assert m["single-vpc"] == "single"


# ---------------------------------------------------------------------------- reachability


def _two_domains(**test_net: Any) -> list[dict[str, Any]]:
    """prod (10.0/16, core) holding a database whose SG admits the test range 10.1/16."""
    return [
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"]),
        domain("test", "general", "test", cidrs=["10.1.0.0/16"], **test_net),
        sg("sg-db", {"protocol": "tcp", "from_port": 5432, "to_port": 5432,
                     "cidrs": ["10.1.0.0/16"]}, vpc="vpc-prod"),
        db("db-1", "vpc-prod", ["sg-db"]),
    ]


def test_sg_rule_admits_other_domain_in_same_vpc():
    by = run(_two_domains(vpc_id="vpc-prod", subnets=["s-test"]))
    d = domain_of(by, "db-1")
    assert d["id"] == "prod"
    assert d["reachable_from"] == [{"from": "test", "name": "test", "level": "general",
                                    "environment": "test",
                                    "via": "sg-db ingress 10.1.0.0/16 tcp/5432"}]


def test_sg_rule_matching_an_unroutable_domain_is_not_a_path():
    by = run(_two_domains(vpc_id="vpc-test"))
    assert domain_of(by, "db-1")["reachable_from"] == []


@pytest.mark.parametrize(("status", "reached"), [
    ("active", True), (None, True), ("deleted", False), ("pending-acceptance", False)])
def test_sg_rule_path_across_vpcs_needs_an_active_peering(status, reached):
    peering = {"id": "pcx-1", "peer_vpc_id": "vpc-prod"}
    if status is not None:
        peering["status"] = status
    by = run(_two_domains(vpc_id="vpc-test", peerings=[peering]))
    assert ("test" in sources_into(domain_of(by, "db-1"))) is reached


def test_sg_rule_path_through_transit_gateway_route():
    by = run(_two_domains(vpc_id="vpc-test",
                          routes=[{"destination": "10.0.0.0/8", "target": "tgw-1"}]))
    assert sources_into(domain_of(by, "db-1")) == {"test"}


def _peered(prod_routes: list, test_routes: list, status: str = "active") -> list[dict]:
    return [
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"], routes=prod_routes,
               peerings=[{"id": "pcx-1", "peer_vpc_id": "vpc-test", "status": status}]),
        domain("test", "general", "test", vpc_id="vpc-test", cidrs=["10.1.0.0/16"],
               routes=test_routes),
        db("db-1", "vpc-prod", []),
    ]


def test_peering_with_route_on_the_reached_side_is_a_path():
    by = run(_peered([{"destination": "10.1.0.0/16", "target": "pcx-1"}], []))
    assert domain_of(by, "db-1")["reachable_from"] == [
        {"from": "test", "name": "test", "level": "general", "environment": "test",
         "via": "peering pcx-1 with route to 10.1.0.0/16"}]


def test_peering_with_route_only_on_the_other_side_is_a_path():
    by = run(_peered([], [{"destination": "10.0.0.0/8", "target": "pcx-1"}]))
    [entry] = domain_of(by, "db-1")["reachable_from"]
    assert entry["from"] == "test"
    assert entry["via"] == "peering pcx-1 with route from test to 10.0.0.0/8"
    # and symmetric: prod reaches test through the same peering
    assert sources_into(domain_of(by, "test")) == {"prod"}


@pytest.mark.parametrize("case", ["no route", "route elsewhere", "other peering", "inactive"])
def test_peering_without_route_into_the_peer_or_inactive_is_no_path(case):
    routes = {"no route": [],
              "route elsewhere": [{"destination": "10.9.0.0/16", "target": "pcx-1"}],
              "other peering": [{"destination": "10.1.0.0/16", "target": "pcx-2"}],
              "inactive": [{"destination": "10.1.0.0/16", "target": "pcx-1"}]}[case]
    by = run(_peered(routes, [], status="rejected" if case == "inactive" else "active"))
    assert domain_of(by, "db-1")["reachable_from"] == []


def _open_to_world(public: bool | None, **prod_net: Any) -> list[dict[str, Any]]:
    return [
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"], **prod_net),
        sg("sg-web", {"protocol": "tcp", "from_port": 443, "to_port": 443,
                      "cidrs": ["0.0.0.0/0"], "ipv6_cidrs": ["::/0"]}, vpc="vpc-prod"),
        db("db-1", "vpc-prod", ["sg-web"], publicly_accessible=public),
    ]


@pytest.mark.parametrize("net", [{"internet_gateway": True},
                                 {"routes": [{"destination": "0.0.0.0/0", "target": "igw-1"}]}])
def test_world_open_rule_in_domain_with_internet_gateway_is_effective(net):
    d = domain_of(run(_open_to_world(False, **net)), "db-1")
    assert d["internet_reachable"] is True
    assert {(r["from"], r["via"]) for r in d["reachable_from"]} == {
        ("internet", "sg-web ingress 0.0.0.0/0 tcp/443"),
        ("internet", "sg-web ingress ::/0 tcp/443")}
    assert d["latent_internet_rules"] == 0
    assert all(r["level"] is None and r["environment"] is None for r in d["reachable_from"])


def test_world_open_rule_on_publicly_accessible_asset_is_effective_without_gateway():
    d = domain_of(run(_open_to_world(True, internet_gateway=False)), "db-1")
    assert d["internet_reachable"] is True
    assert "sg-web ingress 0.0.0.0/0 tcp/443 to publicly accessible db-1" in {
        r["via"] for r in d["reachable_from"]}


def test_world_open_rule_without_gateway_or_public_asset_is_latent_only():
    d = domain_of(run(_open_to_world(False, internet_gateway=False)), "db-1")
    assert d["internet_reachable"] is False
    assert d["reachable_from"] == []
    assert d["latent_internet_rules"] == 2


def test_world_open_rule_also_admits_every_routable_domain():
    assets = [*_open_to_world(False),
              domain("dev", "general", "development", vpc_id="vpc-prod", subnets=["s-dev"],
                     cidrs=["10.0.200.0/24"]),
              domain("far", "general", vpc_id="vpc-far", cidrs=["10.5.0.0/16"])]
    assert sources_into(domain_of(run(assets), "db-1")) == {"dev"}


def test_referenced_security_group_brings_in_its_domain_and_its_members_domains():
    assets = [
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"]),
        domain("app", "important", vpc_id="vpc-prod", subnets=["s-app"], cidrs=["10.0.9.0/24"]),
        domain("batch", "sensitive", vpc_id="vpc-prod", subnets=["s-batch"],
               cidrs=["10.0.8.0/24"]),
        sg("sg-db", {"protocol": "tcp", "from_port": 5432, "to_port": 5432,
                     "security_groups": ["sg-app", "sg-db", "sg-gone"]}, vpc="vpc-prod"),
        sg("sg-app", vpc="vpc-prod"),
        asset("vm-app", "database", network={"subnets": ["s-app"], "security_groups": ["sg-app"]}),
        asset("vm-batch", "database",
              network={"subnets": ["s-batch"], "security_groups": ["sg-app"]}),
        db("db-1", "vpc-prod", ["sg-db"]),
    ]
    d = domain_of(run(assets), "db-1")
    got = {(r["from"], r["level"], r["via"]) for r in d["reachable_from"]}
    assert got == {
        ("app", "important", "sg-db ingress from sg-app tcp/5432"),
        ("batch", "sensitive", "sg-db ingress from sg-app tcp/5432"),
        # not in the inventory: who sits behind it is unknown (conservative)
        ("security-group:sg-gone", None, "sg-db ingress from sg-gone tcp/5432"),
    }  # sg-db referencing itself stays inside prod: a domain never lists itself


def test_referenced_group_without_members_brings_in_the_domain_it_sits_in():
    assets = [
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"],
               peerings=[{"id": "pcx-9", "peer_vpc_id": "vpc-ops", "status": "active"}]),
        domain("ops", "general", vpc_id="vpc-ops", cidrs=["10.7.0.0/16"]),
        domain("lab", "general", "test", vpc_id="vpc-lab", cidrs=["10.8.0.0/16"]),
        sg("sg-db", {"protocol": "tcp", "from_port": 22, "to_port": 22,
                     "security_groups": ["sg-ops", "sg-lab"]}, vpc="vpc-prod"),
        sg("sg-ops", vpc="vpc-ops"),
        sg("sg-lab", vpc="vpc-lab"),  # not routable to prod: no path
        db("db-1", "vpc-prod", ["sg-db"]),
    ]
    d = domain_of(run(assets), "db-1")
    assert [(r["from"], r["via"]) for r in d["reachable_from"]] == [
        ("ops", "sg-db ingress from sg-ops tcp/22")]


def test_prefix_list_is_an_unknown_source():
    assets = [domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"]),
              sg("sg-db", {"protocol": "-1", "prefix_lists": ["pl-0abc"]}, vpc="vpc-prod"),
              db("db-1", "vpc-prod", ["sg-db"])]
    d = domain_of(run(assets), "db-1")
    assert d["reachable_from"] == [{"from": "prefix-list:pl-0abc", "name": "prefix-list:pl-0abc",
                                    "level": None, "environment": None,
                                    "via": "sg-db ingress pl-0abc all traffic"}]


def test_security_groups_resolve_by_name_and_arn_tail():
    arn = "arn:aws-cn:ec2:cn-north-1:111111111111:security-group/sg-0abc"
    assets = [domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"]),
              domain("test", "general", "test", vpc_id="vpc-prod", subnets=["s-t"],
                     cidrs=["10.0.50.0/24"]),
              {**sg(arn, {"protocol": "tcp", "from_port": 22, "to_port": 22,
                          "cidrs": ["10.0.50.0/24"]}, vpc="vpc-prod"), "name": "db-sg"},
              db("by-tail", "vpc-prod", ["sg-0abc"]),
              db("by-name", "vpc-prod", ["db-sg"])]
    by = run(assets)
    for aid in ("by-tail", "by-name"):
        assert [r["via"] for r in domain_of(by, aid)["reachable_from"]] == [
            "sg-0abc ingress 10.0.50.0/24 tcp/22"]


def test_rules_of_unattached_groups_open_nothing_and_own_cidr_is_not_a_source():
    assets = [
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"]),
        domain("test", "general", "test", vpc_id="vpc-prod", subnets=["s-t"],
               cidrs=["10.0.50.0/24"]),
        sg("sg-unused", {"protocol": "tcp", "cidrs": ["10.0.50.0/24"]}, vpc="vpc-prod"),
        sg("sg-self", {"protocol": "tcp", "cidrs": ["10.0.1.0/24"]}, vpc="vpc-prod"),
        db("db-1", "vpc-prod", ["sg-self"]),
    ]
    assert domain_of(run(assets), "db-1")["reachable_from"] == []


def test_duplicate_paths_are_listed_once():
    rule = {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidrs": ["10.1.0.0/16"]}
    assets = _two_domains(vpc_id="vpc-prod", subnets=["s-test"])
    assets[2]["network"]["ingress"] = [rule, dict(rule)]
    assets.append(db("db-2", "vpc-prod", ["sg-db"]))
    d = domain_of(run(assets), "db-1")
    assert len(d["reachable_from"]) == 1


def test_malformed_cidrs_in_inventory_match_nothing_and_do_not_crash():
    assets = [
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16", "10.0.0.0/99"],
               routes=[{"destination": "bogus", "target": "igw-1"}]),
        domain("test", "general", vpc_id="vpc-prod", subnets=["s"], cidrs=["nonsense"]),
        sg("sg-db", {"protocol": "tcp", "cidrs": ["0.0.0.0/0/1", "10.1.0.0/16x"]},
           vpc="vpc-prod"),
        db("db-1", "vpc-prod", ["sg-db"]),
    ]
    d = domain_of(run(assets), "db-1")
    assert d["reachable_from"] == []
    assert d["internet_reachable"] is False
    assert d["latent_internet_rules"] == 0


def test_domain_context_carries_its_rating_and_is_shared_by_members():
    assets = [domain("prod", "unclassified", "unknown", vpc_id="vpc-prod"),
              db("db-1", "vpc-prod", []), db("db-2", "vpc-prod", []),
              sg("sg-x", vpc="vpc-prod")]
    by = run(assets)
    d = by["db-1"]["ctx"]["domain"]
    assert (d["id"], d["name"], d["level"], d["rated"], d["environment"]) == (
        "prod", "prod", "unclassified", False, "unknown")
    assert d is by["db-2"]["ctx"]["domain"]
    assert by["sg-x"]["ctx"]["domain"] is d
    # Members carry the brief; the domain's own record alone lists who reaches it.
    assert "reachable_from" not in d
    full = by["prod"]["ctx"]["domain"]
    assert full["reachable_from"] == [] and {k: full[k] for k in d} == d


def test_store_with_own_ingress_rules_opens_its_domain():
    assets = [domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"],
                     internet_gateway=True),
              asset("rds-whitelist", "database", "core",
                    network={"vpc_id": "vpc-prod",
                             "ingress": [{"protocol": "tcp", "cidrs": ["203.0.113.7/32"]}]})]
    d = domain_of(run(assets), "rds-whitelist")
    assert d["reachable_from"][0]["from"] == "internet"
    assert d["reachable_from"][0]["via"] == "rds-whitelist ingress 203.0.113.7/32 tcp"


# ---------------------------------------------------------------------------- backups


def _store(**extra: Any) -> dict[str, Any]:
    return asset("db-1", "database", "core", account="111", region="cn-north-1", **extra)


def _copy(aid: str = "bk-1", kind: str = "backup", **loc: Any) -> dict[str, Any]:
    return asset(aid, kind, "core", account="111", region="cn-north-1",
                 backup={"backup_of": ["db-1"], "location": loc})


@pytest.mark.parametrize(("mode", "loc", "separate", "reason"), [
    ("account_or_region", {}, False, "same account and region"),
    ("account_or_region", {"account": "222"}, True, "different account"),
    ("account_or_region", {"region": "cn-northwest-1"}, True, "different region"),
    ("account", {"region": "cn-northwest-1"}, False, "same account"),
    ("account", {"account": "222"}, True, "different account"),
    ("region", {"account": "222"}, False, "same region"),
    ("region", {"region": "cn-northwest-1"}, True, "different region"),
    ("account_and_region", {"account": "222"}, False, "same region"),
    ("account_and_region", {"account": "222", "region": "cn-northwest-1"}, True,
     "different account and region"),
])
def test_backup_separation_follows_configured_setting(mode, loc, separate, reason):
    by = run([_store(), _copy(**loc)], Config(backup_separation=mode))
    [b] = by["db-1"]["ctx"]["backups"]
    assert (b["separate"], b["separation"]) == (separate, reason)


def test_backup_location_falls_back_to_the_copys_own_account_and_region():
    copy = _copy()
    copy["account"], copy["region"] = "333", "cn-northwest-1"
    [b] = run([_store(), copy])["db-1"]["ctx"]["backups"]
    assert (b["account"], b["region"], b["separate"]) == ("333", "cn-northwest-1", True)


def test_copy_in_source_bucket_is_never_separate_even_in_other_region():
    bucket = asset("bkt", "object_store", "core", name="core-data", account="111",
                   region="cn-north-1")
    copy = asset("snap-1", "backup", "core", account="222", region="cn-northwest-1",
                 backup={"backup_of": ["bkt"], "location": {"bucket": "arn:aws:s3:::core-data"}})
    [b] = run([bucket, copy])["bkt"]["ctx"]["backups"]
    assert (b["separate"], b["separation"]) == (False, "same bucket core-data")
    assert b["relation"] == "backup"


def test_copy_on_source_volume_is_not_separate():
    by = run([_store(), _copy(kind="snapshot", volume="db-1", account="222")])
    [b] = by["db-1"]["ctx"]["backups"]
    assert (b["relation"], b["separate"], b["separation"]) == (
        "snapshot", False, "same volume db-1")


@pytest.mark.parametrize(("mode", "separate"), [
    ("account_or_region", None), ("region", None), ("account", False),
    ("account_and_region", False)])
def test_unknown_region_makes_separation_not_assessable_when_it_matters(mode, separate):
    store = _store()
    store["region"] = None
    [b] = run([store, _copy()], Config(backup_separation=mode))["db-1"]["ctx"]["backups"]
    assert b["separate"] is separate


def test_known_account_difference_settles_account_or_region_despite_unknown_region():
    store = _store()
    store["region"] = None
    [b] = run([store, _copy(account="222")])["db-1"]["ctx"]["backups"]
    assert (b["separate"], b["separation"]) == (True, "different account")


def test_replicas_and_snapshots_are_listed_with_their_relation_and_encryption():
    replica = asset("db-1-replica", "database", "core", account="111", region="cn-northwest-1",
                    replica_of=["db-1"],
                    encryption={"at_rest": {"enabled": True, "key_type": "customer_managed",
                                            "key_id": "k-1"}})
    snap = _copy("snap-1", "snapshot")
    by = run([_store(), replica, snap])
    got = {b["id"]: b for b in by["db-1"]["ctx"]["backups"]}
    assert got["db-1-replica"]["relation"] == "replica"
    assert got["db-1-replica"]["encryption"]["key_id"] == "k-1"
    assert got["db-1-replica"]["separate"] is True
    assert got["snap-1"]["relation"] == "snapshot"
    assert got["snap-1"]["encryption"] is None


def test_backups_are_direct_copies_only():
    copy_of_copy = asset("bk-2", "backup", "core", account="999", region="cn-north-1",
                         backup={"backup_of": ["bk-1"]})
    by = run([_store(), _copy(), copy_of_copy])
    assert [b["id"] for b in by["db-1"]["ctx"]["backups"]] == ["bk-1"]
    assert [b["id"] for b in by["bk-1"]["ctx"]["backups"]] == ["bk-2"]


def test_recovery_point_without_own_encryption_takes_vault_encryption_found_by_name():
    # The vault is in the copy's account: a vault of that name in another account cannot
    # hold it (vault names are per account and Region: tests/test_relation_index.py).
    vault = asset("arn:aws:backup:cn-north-1:222:backup-vault:core-vault", "backup_vault",
                  "core", name="core-vault",
                  encryption={"at_rest": {"enabled": True, "key_type": "customer_managed",
                                          "key_id": "k-vault"}},
                  access={"public": False, "lock": {"enabled": True}})
    rp = _copy("rp-1", vault="core-vault", account="222")
    by = run([_store(), rp, vault])
    [b] = by["db-1"]["ctx"]["backups"]
    assert b["vault"] == "core-vault"
    assert b["encryption"]["key_id"] == "k-vault"
    assert by["rp-1"]["ctx"]["vault"] == {
        "id": vault["id"], "name": "core-vault", "encryption": vault["encryption"]["at_rest"],
        "access": vault["access"]}
    assert by[vault["id"]]["ctx"]["contents"] == [{"id": "rp-1", "name": "rp-1",
                                                   "kind": "backup", "level": "core"}]
    assert by["db-1"]["ctx"]["vault"] is None


def test_own_encryption_of_a_copy_wins_over_its_vault():
    vault = asset("v", "backup_vault", encryption={"at_rest": {"enabled": True}})
    rp = _copy("rp-1", vault="v")
    rp["encryption"] = {"at_rest": {"enabled": False, "key_type": "none"}}
    [b] = run([_store(), rp, vault])["db-1"]["ctx"]["backups"]
    assert b["encryption"] == {"enabled": False, "key_type": "none"}


def test_unknown_vault_name_gives_no_vault_context():
    by = run([_store(), _copy(vault="not-in-inventory")])
    assert by["bk-1"]["ctx"]["vault"] is None


# ---------------------------------------------------------------------------- sources, parent


def test_sources_list_what_a_copy_or_aggregate_holds_and_flag_missing_ids():
    source = _store(encryption={"at_rest": {"enabled": True, "key_type": "provider_managed"}})
    agg = asset("wh-1", "warehouse", "important", derived_from=["db-1", "ghost"],
                replica_of=["db-1"])
    by = run([source, agg])
    assert by["wh-1"]["ctx"]["sources"] == [
        {"id": "db-1", "name": "db-1", "relation": "replica", "kind": "database", "level": "core",
         "account": "111", "region": "cn-north-1", "bucket": None, "volume": None,
         "encryption": {"enabled": True, "key_type": "provider_managed"}},
        {"id": "db-1", "name": "db-1", "relation": "derived", "kind": "database", "level": "core",
         "account": "111", "region": "cn-north-1", "bucket": None, "volume": None,
         "encryption": {"enabled": True, "key_type": "provider_managed"}},
        {"id": "ghost", "relation": "derived", "missing": True, "gone": False},
    ]
    assert by["db-1"]["ctx"]["sources"] == []


def test_snapshot_source_relation_and_bucket_of_object_store_source():
    bucket = asset("arn:aws:s3:::raw", "object_store", "sensitive", name="raw")
    snap = asset("snap", "snapshot", backup={"backup_of": [bucket["id"]]})
    [src] = run([bucket, snap])["snap"]["ctx"]["sources"]
    assert (src["relation"], src["bucket"], src["level"]) == ("snapshot", "raw", "sensitive")


def test_parent_context_or_missing_marker():
    parent = _store(encryption={"at_rest": {"enabled": True}}, network={"vpc_id": "vpc-1"})
    table = asset("db-1/t", "table", parent="db-1")
    orphan = asset("x/t", "table", parent="x")
    by = run([parent, table, orphan])
    assert by["db-1/t"]["ctx"]["parent"] == {"id": "db-1", "kind": "database",
                                             "encryption": {"enabled": True},
                                             "network": {"vpc_id": "vpc-1"}}
    assert by["x/t"]["ctx"]["parent"] == {"id": "x", "missing": True}
    assert by["db-1"]["ctx"]["parent"] is None


# ---------------------------------------------------------------------------- whole estate


def test_every_asset_gets_full_ctx_that_serializes_to_json():
    assets = [_store(), _copy(), asset("lonely", "cache"),
              domain("d", vpc_id="vpc-1"), db("db-9", "vpc-1", [])]
    by = run(assets)
    for a in by.values():
        # copies_to_test: ONLY on a production store owing sensitive or above (DS-TST-004)
        assert set(a["ctx"]) - {"copies_to_test"} == CTX_KEYS
        assert "copies_to_test" not in a["ctx"] or a["ctx"]["production"]
    assert by["lonely"]["ctx"] == {
        "domain": None, "backups": [], "built_in_backup": None, "replicas_outside": [],
        "sources": [], "vault": None,
        "contents": [], "parent": None, "restore_verification": None,
        "level": "general", "rank": 1,
        "protect_level": "general", "protect_rank": 1,
        "environment": "production", "test": False, "production": True, "assessable": True,
        "operation_logs": [], "operation_logs_unknown": [], "log_retention_required_days": None,
        "outsourced": False, "retention": None, "orphan": None}
    json.dumps(assets)


@pytest.mark.parametrize(("level", "env", "status", "expected"), [
    ("core", "test", "complete", ("core", 4, "core", 4, True, False, True)),
    ("unclassified", "production", None, ("unclassified", 0, "sensitive", 2, False, True, True)),
    (None, None, "not_assessed", ("unclassified", 0, "sensitive", 2, False, False, False)),
    ("bogus", "development", "partial", ("unclassified", 0, "sensitive", 2, True, False, True)),
])
def test_per_asset_facts_are_decided_once_for_the_policies(level, env, status, expected):
    a = {"id": "x", "kind": "database"}
    if level is not None:
        a["level"] = {"value": level}
    if env is not None:
        a["environment"] = {"value": env}
    if status is not None:
        a["assessment"] = {"status": status}
    c = run([a])["x"]["ctx"]
    assert (c["level"], c["rank"], c["protect_level"], c["protect_rank"], c["test"],
            c["production"], c["assessable"]) == expected


def test_unclassified_protection_level_follows_config():
    a = {"id": "x", "kind": "database"}
    c = run([a], Config(unclassified_protection_level="important"))["x"]["ctx"]
    assert (c["protect_level"], c["protect_rank"]) == ("important", 3)


def synthetic_estate(n: int, domains: int = 50, groups: int = 1000) -> list[dict[str, Any]]:
    out = [domain(f"dom-{i}", ("core", "important", "general", "unclassified")[i % 4],
                  vpc_id=f"vpc-{i // 2}", subnets=[f"s-{i}-{j}" for j in range(4)] if i % 2 else [],
                  cidrs=[f"10.{i}.0.0/16"], internet_gateway=i % 5 == 0,
                  routes=[{"destination": f"10.{(i + 1) % domains}.0.0/16", "target": f"pcx-{i}"}],
                  peerings=[{"id": f"pcx-{i}", "peer_vpc_id": f"vpc-{(i + 1) % domains // 2}"}])
           for i in range(domains)]
    out += [sg(f"sg-{k}", {"protocol": "tcp", "from_port": 5432, "to_port": 5432,
                           "cidrs": [f"10.{k % domains}.0.0/16", "0.0.0.0/0" if k % 50 == 0
                                     else "10.0.0.0/8"],
                           "security_groups": [f"sg-{(k + 1) % groups}"]}, vpc=f"vpc-{k % 25}")
            for k in range(groups)]
    out.append(asset("vault", "backup_vault", encryption={"at_rest": {"enabled": True}}))
    for i in range(n - len(out)):
        d = i % domains
        kind = ("database", "object_store", "snapshot", "table", "backup")[i % 5]
        a = asset(f"a-{i}", kind, "sensitive", account="111", region="cn-north-1",
                  network={"vpc_id": f"vpc-{d // 2}", "subnets": [f"s-{d}-{i % 4}"],
                           "security_groups": [f"sg-{i % groups}"],
                           "publicly_accessible": i % 1000 == 0})
        if kind in ("snapshot", "backup"):
            a["backup"] = {"backup_of": [f"a-{i - 2}"],
                           "location": {"vault": "vault", "region": "cn-northwest-1"}}
        if kind == "table":
            a["parent"] = f"a-{i - 3}"
        out.append(a)
    return out


@pytest.mark.slow
def test_context_for_fifty_thousand_assets():
    assets = synthetic_estate(50_000)
    by = run(assets)
    assert len(by) == 50_000
    # copies_to_test: ONLY on a production store owing sensitive or above (DS-TST-004)
    assert all(set(a["ctx"]) - {"copies_to_test"} == CTX_KEYS for a in assets)
    assert all("copies_to_test" not in a["ctx"] or a["ctx"]["production"] for a in assets)
    assert by["a-0"]["ctx"]["domain"]["id"] == "dom-0"
    assert by["a-0"]["ctx"]["backups"][0]["id"] == "a-2"
    assert by["a-0"]["ctx"]["backups"][0]["separate"] is True
    copies = sum(1 for a in assets if a["kind"] in ("snapshot", "backup"))
    assert len(by["vault"]["ctx"]["contents"]) == copies > 0
    assert by["dom-0"]["ctx"]["domain"]["internet_reachable"] is True


SAME = "same account and region (kept by the service)"


@pytest.mark.parametrize(("native", "expected"), [
    # DynamoDB point-in-time recovery, RDS/Redshift automated backups, EFS automatic backups:
    # the service keeps them in the store's own account and region.
    ({"enabled": True, "point_in_time_recovery": True},
     ("point_in_time_recovery", "cn-north-1", False, SAME)),
    ({"enabled": True, "retention_days": 35}, ("automated_backups", "cn-north-1", False, SAME)),
    ({"retention_days": 7}, ("automated_backups", "cn-north-1", False, SAME)),
    ({"enabled": True}, ("automated_backups", "cn-north-1", False, SAME)),
    ({"enabled": True, "retention_days": 7, "replica_regions": ["cn-northwest-1"]},
     ("automated_backups", "cn-northwest-1", True, "different region")),
    ({"enabled": True, "replica_regions": ["cn-north-1"]},
     ("automated_backups", "cn-north-1", False, SAME)),
    ({"enabled": False, "retention_days": 0}, None),
    ({"enabled": None, "point_in_time_recovery": None}, None),
    ({"retention_days": True}, None),
    ({}, None),
])
def test_built_in_backups_are_kept_where_the_store_is(native, expected):
    a = asset("t", "table", account="111111111111", region="cn-north-1",
              backup={"native": native})
    got = run([a])["t"]["ctx"]["built_in_backup"]
    if expected is None:
        assert got is None
    else:
        kind, region, separate, why = expected
        assert got == {"kind": kind, "account": "111111111111", "region": region,
                       "separate": separate, "separation": why}


def test_same_place_is_a_field_not_a_phrase():
    """DS-BAK-001 decides 'kept in its own bucket/volume' from same_place, never by reading
    the separation sentence."""
    b = asset("bkt", "object_store", name="prod-data", account="1", region="r")
    inside = asset("bkt/backup/", "backup", account="1", region="r",
                   backup={"backup_of": ["bkt"], "location": {"bucket": "prod-data"}})
    vol = asset("vol-1", "volume", account="1", region="r")
    snap = asset("snap-1", "snapshot", account="1", region="r",
                 backup={"backup_of": ["vol-1"], "location": {"volume": "vol-1"}})
    elsewhere = asset("snap-2", "snapshot", account="2", region="r",
                      backup={"backup_of": ["vol-1"]})
    by = run([b, inside, vol, snap, elsewhere])
    assert [c["same_place"] for c in by["bkt"]["ctx"]["backups"]] == ["bucket"]
    assert {c["id"]: c["same_place"] for c in by["vol-1"]["ctx"]["backups"]} == {
        "snap-1": "volume", "snap-2": None}


def test_replicas_outside_the_inventory_are_listed_with_their_region():
    src = asset("arn:aws:s3:::kyc", "object_store", name="kyc",
                attributes={"replication_targets": ["arn:aws:s3:::kyc-dr", "kyc-copy"]},
                replicas=[{"id": "arn:aws:dynamodb:ap-east-1:1:table/t", "region": "ap-east-1"},
                          {"id": "in-inventory", "region": "cn-north-1"}])
    copy_ = asset("arn:aws:s3:::kyc-copy", "object_store", name="kyc-copy")
    here = asset("in-inventory", "table")
    by = run([src, copy_, here])
    assert by["arn:aws:s3:::kyc"]["ctx"]["replicas_outside"] == [
        {"id": "arn:aws:dynamodb:ap-east-1:1:table/t", "region": "ap-east-1"},
        {"id": "arn:aws:s3:::kyc-dr", "region": None}]
