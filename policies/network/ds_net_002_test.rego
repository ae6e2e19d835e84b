package dsscan.policy.ds_net_002_test

import rego.v1

domain(id, level, reachable_from) := {
	"id": id, "name": id, "kind": "network_domain",
	"level": {"value": level},
	"environment": {"value": "production"},
	"ctx": {"domain": {
		"id": id, "name": id, "level": level, "rated": level != "unclassified",
		"environment": "production", "reachable_from": reachable_from,
	}},
}

entry(from, level, via) := {"from": from, "level": level, "environment": "production", "via": via}

denied(assets) := d if {
	d := data.dsscan.policy.ds_net_002.deny with input as {"assets": assets}
}

test_internet_ingress_is_denied if {
	ds := denied([domain("vpc-core", "core", [
		entry("internet", null, "sg-1 ingress 0.0.0.0/0 tcp/5432"),
		entry("internet", null, "sg-2 ingress 0.0.0.0/0 tcp/22"),
	])])
	count(ds) == 1
	some f in ds
	f.asset == "vpc-core"
	f.level == "core"
	f.evidence.via == ["sg-1 ingress 0.0.0.0/0 tcp/5432", "sg-2 ingress 0.0.0.0/0 tcp/22"]
}

test_internet_ingress_into_unclassified_domain_is_denied if {
	ds := denied([domain("vpc-x", "unclassified", [entry("internet", null, "igw")])])
	some f in ds
	f.asset == "vpc-x"
	f.level == "unclassified"
}

test_lower_level_domain_is_denied if {
	ds := denied([domain("vpc-core", "core", [entry("vpc-app", "general", "pcx-1 route 10.1.0.0/16")])])
	count(ds) == 1
	some f in ds
	f.asset == "vpc-core"
	f.related == ["vpc-app"]
	f.level == "core"
	f.evidence.from_level == "general"
}

test_same_or_higher_level_domain_passes if {
	count(denied([domain("vpc-imp", "important", [
		entry("vpc-imp2", "important", "sg-1 ingress sg-9"),
		entry("vpc-core", "core", "pcx-2"),
	])])) == 0
}

test_unrated_source_into_sensitive_domain_is_denied if {
	ds := denied([domain("vpc-s", "sensitive", [entry("pl-123", null, "sg-1 ingress pl-123 tcp/443")])])
	some f in ds
	f.asset == "vpc-s"
	f.related == ["pl-123"]
	f.message.template == "Network domain {asset} ({domain_level}) is reachable from an unrated source {source}."
	f.message.domain_level == "sensitive"
	f.message.source == "pl-123"
}

test_unrated_source_into_general_domain_passes if {
	count(denied([domain("vpc-g", "general", [entry("pl-123", null, "sg-1")])])) == 0
}

test_one_finding_per_domain_and_source if {
	ds := denied([domain("vpc-core", "core", [
		entry("vpc-app", "general", "sg-1 ingress 10.1.0.0/16 tcp/5432"),
		entry("vpc-app", "general", "pcx-1"),
		entry("vpc-dev", "sensitive", "sg-2"),
	])])
	count(ds) == 2
	some f in ds
	f.related == ["vpc-app"]
	count(f.evidence.via) == 2
}

test_self_reference_is_ignored if {
	count(denied([domain("vpc-core", "core", [entry("vpc-core", "core", "local")])])) == 0
}

test_non_domains_are_ignored if {
	a := object.union(domain("db", "core", [entry("internet", null, "x")]), {"kind": "database"})
	count(denied([a])) == 0
}

test_prefix_list_source_is_not_a_related_asset if {
	ds := denied([domain("vpc-s", "important", [entry("prefix-list:pl-9", null, "sg-1 ingress pl-9 tcp/443")])])
	some f in ds
	f.asset == "vpc-s"
	f.related == []
	f.evidence.from == "prefix-list:pl-9"
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_net_002.assessed with input as {"assets": assets}
}

test_assessed_lists_readable_network_domains if {
	got := assessed_ids([
		{"id": "d", "kind": "network_domain", "level": {"value": "core"}, "ctx": {"domain": {"reachable_from": []}}},
		{"id": "x", "kind": "network_domain", "assessment": {"status": "not_assessed"}, "ctx": {"domain": {}}},
		{"id": "db", "kind": "database", "level": {"value": "core"}},
	])
	got == {"d"}
}

# --- links without a route today ------------------------------------------------------------

linked(id, level, reachable_from, links) := object.union(domain(id, level, reachable_from), {"ctx": {"domain": {
	"id": id, "name": id, "level": level, "rated": level != "unclassified",
	"environment": "production", "reachable_from": reachable_from, "links": links,
}}})

link(from, level, kind, via, routed) := {
	"from": from, "name": from, "level": level, "environment": "test",
	"kind": kind, "via": via, "routed": routed,
}

test_internet_link_without_route_is_denied_one_level_lower if {
	ds := denied([linked("vpc-core", "core", [], [
		link("internet", null, "sg_rule", "sg-1 ingress 0.0.0.0/0 tcp/443", false),
		link("internet", null, "sg_rule", "sg-1 ingress ::/0 tcp/443", false),
	])])
	count(ds) == 1
	some f in ds
	f.key == "internet_link"
	f.level == "important"
	f.evidence.domain_level == "core"
	f.evidence.routed == false
	f.evidence.via == ["sg-1 ingress 0.0.0.0/0 tcp/443", "sg-1 ingress ::/0 tcp/443"]
	contains(f.message.template, "no route today")
	f.message.domain_level == "core"
}

test_peering_with_lower_domain_without_route_is_denied_one_level_lower if {
	ds := denied([linked("vpc-imp", "important", [], [link("vpc-test", "general", "peering", "peering pcx-1", false)])])
	count(ds) == 1
	some f in ds
	f.key == "lower_domain_link"
	f.related == ["vpc-test"]
	f.level == "sensitive"
	f.evidence.from_level == "general"
	f.evidence.via == ["peering pcx-1"]
}

test_link_level_never_drops_below_general if {
	some f in denied([linked("vpc-g", "general", [], [link("internet", null, "sg_rule", "sg-1 ingress 0.0.0.0/0 all traffic", false)])])
	f.level == "general"
	some g in denied([linked("vpc-s", "sensitive", [], [link("vpc-g", "general", "sg_rule", "sg-1 ingress 10.9.0.0/16 tcp/22", false)])])
	g.level == "general"
}

test_link_from_unrated_domain_into_sensitive_domain_is_denied if {
	ds := denied([linked("vpc-s", "sensitive", [], [link("vpc-x", "unclassified", "peering", "peering pcx-2", false)])])
	some f in ds
	f.key == "unrated_source_link"
	f.level == "general"
}

test_link_from_same_or_higher_level_passes if {
	count(denied([linked("vpc-imp", "important", [], [
		link("vpc-imp2", "important", "peering", "peering pcx-3", false),
		link("vpc-core", "core", "sg_rule", "sg-1 ingress 10.0.0.0/16 tcp/22", false),
	])])) == 0
}

test_unrated_link_into_general_domain_passes if {
	count(denied([linked("vpc-g", "general", [], [link("vpc-x", "unclassified", "peering", "peering pcx-2", false)])])) == 0
}

# A source with a path is judged by the path only: one finding, at the domain's level.
test_path_and_link_from_the_same_source_give_the_path_finding_only if {
	ds := denied([linked(
		"vpc-core", "core",
		[entry("vpc-test", "general", "sg-1 ingress 10.1.0.0/16 tcp/5432")],
		[link("vpc-test", "general", "peering", "peering pcx-1", false)],
	)])
	count(ds) == 1
	some f in ds
	f.key == "lower_domain"
	f.level == "core"
}

test_internet_path_hides_latent_internet_rules if {
	ds := denied([linked(
		"vpc-core", "core",
		[entry("internet", null, "sg-1 ingress 0.0.0.0/0 tcp/443 to publicly accessible db-1")],
		[link("internet", null, "sg_rule", "sg-2 ingress 0.0.0.0/0 tcp/22", false)],
	)])
	{f.key | some f in ds} == {"internet"}
}

test_link_with_unread_routes_is_not_assessed_not_passed if {
	inp := {"assets": [linked("vpc-core", "core", [], [
		link("vpc-test", "general", "peering", "peering pcx-1", null),
		link("internet", null, "sg_rule", "sg-1 ingress 0.0.0.0/0 tcp/443", null),
		link("vpc-core2", "core", "peering", "peering pcx-9", null),
	])]}
	count(data.dsscan.policy.ds_net_002.deny) == 0 with input as inp
	r := data.dsscan.policy.ds_net_002.not_assessed with input as inp
	unread := "route tables not read: whether {via} from {source} carries traffic could not be told"
	r == {
		{"asset": "vpc-core", "reason": {"template": unread, "via": "peering pcx-1", "source": "vpc-test"}},
		{"asset": "vpc-core", "reason": {"template": unread, "via": "sg-1 ingress 0.0.0.0/0 tcp/443", "source": "internet"}},
	}
}

test_domain_without_links_field_is_judged_on_paths_alone if {
	count(denied([domain("vpc-core", "core", [])])) == 0
}
