"""Links, not only paths (issue 14 item 5): ``ctx.domain.links`` lists the peerings and
security-group rules that join a domain to another (or to the internet) without a route that
carries traffic today; ``ctx.domain.holds_level`` the highest level the stores inside owe
protection for (DS-LOG-003). One table of cases per fact."""

from __future__ import annotations

from typing import Any

import pytest
from relation_builders import db, domain, domain_of, run, sg

from dsscan.config import Config

PEER = {"id": "pcx-1", "peer_vpc_id": "vpc-test", "status": "active"}
TO_TEST = {"destination": "10.1.0.0/16", "target": "pcx-1"}
TO_PROD = {"destination": "10.0.0.0/16", "target": "pcx-1"}
ADMIT_TEST = {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidrs": ["10.1.0.0/16"]}
WORLD = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidrs": ["0.0.0.0/0"]}


def estate(prod: dict[str, Any], test: dict[str, Any], rules: list[dict[str, Any]],
           public: bool = False) -> dict[str, dict]:
    """prod (core, 10.0/16) holding a database behind sg-db; test (general, 10.1/16)."""
    return run([
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"], **prod),
        domain("test", "general", "test", vpc_id="vpc-test", cidrs=["10.1.0.0/16"], **test),
        sg("sg-db", *rules, vpc="vpc-prod"),
        db("db-1", "vpc-prod", ["sg-db"], publicly_accessible=public),
        db("db-t", "vpc-test", []),
    ])


def links(by: dict[str, dict], aid: str) -> set[tuple[str, str, str, bool | None]]:
    return {(x["from"], x["kind"], x["via"], x["routed"])
            for x in domain_of(by, aid)["links"]}


def reached(by: dict[str, dict], aid: str) -> set[str]:
    return {x["from"] for x in domain_of(by, aid)["reachable_from"]}


# (prod's network, test's network, prod's SG rules,
#  links into prod, links into test, sources reaching prod)
CASES = {
    "peering, no route either way": (
        {"routes": [], "peerings": [PEER]}, {"routes": []}, [],
        {("test", "peering", "peering pcx-1", False)},
        {("prod", "peering", "peering pcx-1", False)}, set()),
    "peering, route from prod": (
        {"routes": [TO_TEST], "peerings": [PEER]}, {"routes": []}, [], set(), set(), {"test"}),
    "peering, route from test only": (
        {"routes": [], "peerings": [PEER]}, {"routes": [TO_PROD]}, [], set(), set(), {"test"}),
    "peering pending acceptance": (
        {"routes": [], "peerings": [{**PEER, "status": "pending-acceptance"}]},
        {"routes": []}, [], set(), set(), set()),
    "peering deleted": (
        {"routes": [TO_TEST], "peerings": [{**PEER, "status": "Deleted"}]},
        {"routes": []}, [], set(), set(), set()),
    # AWS's codes in another case, a state between accepted and active, a state the scanner
    # could not read, a state dsscan does not know: a live peering (never "no link")
    **{f"peering {status!r}, no route": (
        {"routes": [], "peerings": [{**PEER, "status": status}]}, {"routes": []}, [],
        {("test", "peering", "peering pcx-1", False)},
        {("prod", "peering", "peering pcx-1", False)}, set())
       for status in ("Active", "ACTIVE", "provisioning", "unknown", None, "brand-new-state")},
    "peering 'Active' listed on test's side only, route from prod": (
        {"routes": [TO_TEST]}, {"routes": [], "peerings": [
            {"id": "pcx-1", "peer_vpc_id": "vpc-prod", "status": "Active"}]}, [],
        set(), set(), {"test"}),
    "peering, prod's route tables not read": (
        {"peerings": [PEER]}, {"routes": []}, [],
        {("test", "peering", "peering pcx-1", None)},
        {("prod", "peering", "peering pcx-1", None)}, set()),
    "SG rule admits test's range, no peering, no route": (
        {"routes": []}, {"routes": []}, [ADMIT_TEST],
        {("test", "sg_rule", "sg-db ingress 10.1.0.0/16 tcp/5432", False)}, set(), set()),
    "SG rule admits test's range, transit-gateway route": (
        {"routes": []}, {"routes": [{"destination": "10.0.0.0/8", "target": "tgw-1"}]},
        [ADMIT_TEST], set(), set(), {"test"}),
    # An active peering makes the pair routable for security-group rules (docs/relations.md):
    # the rule is a path, judged as one, and the peering adds no link of its own.
    "SG rule admits test's range across a peering without routes": (
        {"routes": [], "peerings": [PEER]}, {"routes": []}, [ADMIT_TEST], set(),
        {("prod", "peering", "peering pcx-1", False)}, {"test"}),
    "SG rule admits test's range, test's route tables not read": (
        {"routes": []}, {}, [ADMIT_TEST],
        {("test", "sg_rule", "sg-db ingress 10.1.0.0/16 tcp/5432", None)}, set(), set()),
    "world-open rule, no internet gateway": (
        {"routes": [], "internet_gateway": False}, {"routes": []}, [WORLD],
        {("internet", "sg_rule", "sg-db ingress 0.0.0.0/0 tcp/443", False)}, set(), set()),
    "world-open rule, routes not read, gateway flag not read": (
        {}, {"routes": []}, [WORLD],
        {("internet", "sg_rule", "sg-db ingress 0.0.0.0/0 tcp/443", None)}, set(), set()),
    "world-open rule, routes not read, no gateway": (
        {"internet_gateway": False}, {"routes": []}, [WORLD],
        {("internet", "sg_rule", "sg-db ingress 0.0.0.0/0 tcp/443", False)}, set(), set()),
    "world-open rule, internet gateway": (
        {"routes": [{"destination": "0.0.0.0/0", "target": "igw-1"}]}, {"routes": []}, [WORLD],
        set(), set(), {"internet"}),
    "no rule, no peering": ({"routes": []}, {"routes": []}, [], set(), set(), set()),
}


@pytest.mark.parametrize("case", CASES)
def test_links_without_routes_are_listed_and_paths_stay_paths(case):
    prod, test, rules, into_prod, into_test, reach = CASES[case]
    by = estate(prod, test, rules)
    assert links(by, "db-1") == into_prod
    assert links(by, "db-t") == into_test
    assert reached(by, "db-1") == reach


def test_a_world_open_rule_on_a_public_asset_is_a_path_and_no_link_is_repeated():
    by = estate({"routes": [], "internet_gateway": False}, {"routes": []},
                [WORLD, {**WORLD, "from_port": 22, "to_port": 22}], public=True)
    assert reached(by, "db-1") == {"internet"}
    assert links(by, "db-1") == set()
    # the latent count is unchanged by links (each rule of a public asset is effective)
    assert domain_of(by, "db-1")["latent_internet_rules"] == 0


def test_a_world_open_rule_is_one_internet_link_not_a_link_from_every_domain():
    by = run([
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"], routes=[]),
        domain("far", "general", vpc_id="vpc-far", cidrs=["10.5.0.0/16"], routes=[]),
        sg("sg-db", {"protocol": "-1", "cidrs": ["0.0.0.0/0"]}, vpc="vpc-prod"),
        db("db-1", "vpc-prod", ["sg-db"]),
    ])
    assert links(by, "db-1") == {("internet", "sg_rule", "sg-db ingress 0.0.0.0/0 all traffic",
                                  False)}
    assert domain_of(by, "db-1")["latent_internet_rules"] == 1


def test_a_rule_naming_a_group_of_an_unrouted_domain_is_a_link_with_its_level():
    by = run([
        domain("prod", "core", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"], routes=[]),
        domain("dev", "general", "development", vpc_id="vpc-dev", cidrs=["10.7.0.0/16"],
               routes=[]),
        sg("sg-db", {"protocol": "tcp", "from_port": 5432, "to_port": 5432,
                     "security_groups": ["sg-app"]}, vpc="vpc-prod"),
        sg("sg-app", vpc="vpc-dev"),
        db("db-1", "vpc-prod", ["sg-db"]),
    ])
    [entry] = domain_of(by, "db-1")["links"]
    assert entry == {"from": "dev", "name": "dev", "level": "general",
                     "environment": "development", "kind": "sg_rule",
                     "via": "sg-db ingress from sg-app tcp/5432", "routed": False}


def test_links_and_held_level_are_on_the_domains_own_record_only():
    by = estate({"routes": [], "peerings": [PEER]}, {"routes": []}, [])
    member = by["db-1"]["ctx"]["domain"]
    assert "links" not in member and "holds_level" not in member
    assert by["prod"]["ctx"]["domain"]["links"]


@pytest.mark.parametrize(("stores", "expected"), [
    ([], None),
    ([("general",)], "general"),
    ([("general",), ("core",)], "core"),
    # unclassified data owes the configured protection level (sensitive by default)
    ([("unclassified",)], "sensitive"),
    ([("unclassified",), ("important",)], "important"),
])
def test_a_domain_holds_the_highest_level_its_stores_owe(stores, expected):
    assets = [domain("prod", "general", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"], routes=[]),
              # a security group and the domain itself hold no data
              sg("sg-x", vpc="vpc-prod")]
    assets += [db(f"db-{i}", "vpc-prod", [], level=lv) for i, (lv,) in enumerate(stores)]
    by = run(assets)
    assert by["prod"]["ctx"]["domain"]["holds_level"] == expected


def test_an_unclassified_store_counts_at_the_configured_protection_level():
    assets = [domain("prod", "general", vpc_id="vpc-prod", cidrs=["10.0.0.0/16"], routes=[]),
              db("db-0", "vpc-prod", [], level="unclassified")]
    by = run(assets, Config(unclassified_protection_level="important"))
    assert by["prod"]["ctx"]["domain"]["holds_level"] == "important"
