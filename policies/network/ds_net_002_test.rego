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
	contains(f.message, "unrated source")
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
