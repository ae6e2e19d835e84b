package dsscan.policy.ds_tst_001_test

import rego.v1

store(id, env, level, domain) := {
	"id": id, "name": id, "kind": "database",
	"level": {"value": level},
	"environment": {"value": env},
	"ctx": {"domain": domain},
}

ctxdom(id, env, level) := {"id": id, "name": id, "level": level, "rated": true, "environment": env, "reachable_from": []}

domain(id, env, level, reachable_from) := {
	"id": id, "name": id, "kind": "network_domain",
	"level": {"value": level},
	"environment": {"value": env},
	"ctx": {"domain": object.union(ctxdom(id, env, level), {"reachable_from": reachable_from})},
}

entry(from, env, level) := {"from": from, "environment": env, "level": level, "via": sprintf("pcx-%s", [from])}

denied(assets) := d if {
	d := data.dsscan.policy.ds_tst_001.deny with input as {"assets": assets}
}

test_test_store_in_production_domain_is_denied if {
	ds := denied([store("test-db", "test", "sensitive", ctxdom("vpc-prod", "production", "core"))])
	count(ds) == 1
	some f in ds
	f.asset == "test-db"
	f.related == ["vpc-prod"]
	f.level == "core"
}

test_test_store_in_test_domain_passes if {
	count(denied([store("test-db", "test", "sensitive", ctxdom("vpc-test", "test", "sensitive"))])) == 0
}

test_production_store_in_production_domain_passes if {
	count(denied([store("db", "production", "core", ctxdom("vpc-prod", "production", "core"))])) == 0
}

test_test_environments_follow_config if {
	a := store("stg-db", "staging", "general", ctxdom("vpc-prod", "production", "important"))
	count(denied([a])) == 0
	ds := denied([a]) with data.dsscan.config as {"test_environments": ["test", "development", "staging"]}
	some f in ds
	f.asset == "stg-db"
	f.level == "important"
}

test_test_domain_reachable_from_production_is_denied if {
	ds := denied([domain("vpc-test", "test", "general", [entry("vpc-prod", "production", "core")])])
	count(ds) == 1
	some f in ds
	f.asset == "vpc-test"
	f.related == ["vpc-prod"]
	f.level == "core"
	f.evidence.via == ["pcx-vpc-prod"]
}

test_production_domain_reachable_from_test_is_denied if {
	ds := denied([domain("vpc-prod", "production", "important", [entry("vpc-dev", "development", null)])])
	some f in ds
	f.asset == "vpc-prod"
	f.related == ["vpc-dev"]
	f.level == "important"
}

test_production_domains_reaching_each_other_pass if {
	count(denied([domain("vpc-prod", "production", "core", [entry("vpc-prod2", "production", "core")])])) == 0
}

test_unknown_source_environment_is_not_a_crossing if {
	count(denied([domain("vpc-prod", "production", "core", [entry("pl-1", null, null)])])) == 0
}

test_internet_is_not_a_test_domain if {
	count(denied([domain("vpc-test", "test", "general", [entry("internet", null, null)])])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_tst_001.assessed with input as {"assets": assets}
}

test_assessed_lists_stores_outside_test_test_stores_in_a_known_domain_and_domains if {
	prod := {"id": "p", "kind": "database", "level": {"value": "core"}, "environment": {"value": "production"}}
	placed := {"id": "t", "kind": "database", "level": {"value": "general"}, "environment": {"value": "test"}, "ctx": {"domain": {"id": "d", "environment": "test"}}}
	domain := {"id": "d", "kind": "network_domain", "environment": {"value": "test"}}
	assessed_ids([prod, placed, domain]) == {"p", "t", "d"}
}

test_a_test_store_in_no_known_domain_is_not_applicable if {
	loose := {"id": "t", "kind": "object_store", "level": {"value": "general"}, "environment": {"value": "test"}}
	assessed_ids([loose]) == set()
}

# --- links without a route today ------------------------------------------------------------

with_links(id, env, level, reachable_from, links) := object.union(domain(id, env, level, reachable_from), {"ctx": {"domain": {"links": links}}})

link(from, env, level, kind, routed) := {
	"from": from, "name": from, "environment": env, "level": level,
	"kind": kind, "via": sprintf("%s %s", [kind, from]), "routed": routed,
}

test_peering_between_test_and_production_without_route_is_denied_one_level_lower if {
	ds := denied([
		with_links("vpc-prod", "production", "core", [], [link("vpc-test", "test", "general", "peering", false)]),
		with_links("vpc-test", "test", "general", [], [link("vpc-prod", "production", "core", "peering", false)]),
	])
	count(ds) == 2
	{f.asset | some f in ds} == {"vpc-prod", "vpc-test"}
	every f in ds {
		f.key == "linked_no_route"
		f.level == "important"
		f.evidence.routed == false
		f.message.template == "{environment} network domain {asset} is linked to {source_environment} domain {source}, no route today."
	}
}

test_sg_rule_admitting_a_test_range_without_route_is_denied if {
	ds := denied([with_links("vpc-prod", "production", "sensitive", [], [link("vpc-dev", "development", "general", "sg_rule", false)])])
	some f in ds
	f.related == ["vpc-dev"]
	f.level == "general"
	f.evidence.from_environment == "development"
}

test_link_between_two_production_or_two_test_domains_passes if {
	count(denied([
		with_links("vpc-prod", "production", "core", [], [link("vpc-prod2", "production", "core", "peering", false)]),
		with_links("vpc-test", "test", "general", [], [link("vpc-dev", "development", "general", "peering", false)]),
	])) == 0
}

test_path_and_link_from_the_same_domain_give_the_path_finding_only if {
	ds := denied([with_links(
		"vpc-prod", "production", "core",
		[entry("vpc-test", "test", "general")],
		[link("vpc-test", "test", "general", "peering", false)],
	)])
	{f.key | some f in ds} == {"reachable_from_production"}
	some f in ds
	f.level == "core"
}

test_crossing_link_with_unread_routes_is_not_assessed if {
	inp := {"assets": [with_links("vpc-prod", "production", "core", [], [
		link("vpc-test", "test", "general", "peering", null),
		link("vpc-prod2", "production", "core", "peering", null),
	])]}
	count(data.dsscan.policy.ds_tst_001.deny) == 0 with input as inp
	r := data.dsscan.policy.ds_tst_001.not_assessed with input as inp
	r == {{"asset": "vpc-prod", "reason": {
		"template": "route tables not read: whether {via} from {source_environment} domain {source} carries traffic could not be told",
		"via": "peering vpc-test",
		"source_environment": "test",
		"source": "vpc-test",
	}}}
}
