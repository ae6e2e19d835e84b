package dsscan.policy.ds_net_001_test

import rego.v1

dom(id, level, rated) := {"id": id, "name": id, "level": level, "rated": rated, "environment": "production", "reachable_from": []}

db(id, level, domain) := {
	"id": id, "name": id, "kind": "database",
	"level": {"value": level},
	"network": {"vpc_id": "vpc-1", "subnets": ["subnet-a"], "publicly_accessible": false},
	"ctx": {"domain": domain},
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_net_001.deny with input as {"assets": assets}
}

test_core_store_in_general_domain_is_denied if {
	ds := denied([db("db", "core", dom("dmz", "general", true))])
	count(ds) == 1
	some f in ds
	f.asset == "db"
	f.level == "core"
	f.related == ["dmz"]
	f.evidence.domain_level == "general"
}

test_store_in_domain_rated_at_its_level_passes if {
	count(denied([db("db", "core", dom("core-net", "core", true))])) == 0
}

test_store_in_higher_rated_domain_passes if {
	count(denied([db("db", "sensitive", dom("core-net", "important", true))])) == 0
}

test_store_outside_any_declared_domain_is_denied if {
	ds := denied([db("db", "important", null)])
	some f in ds
	f.asset == "db"
	f.level == "important"
	f.message.template == "{asset} holds {level} data but sits in network {network}, which is not a declared network security domain."
	f.message.network == "vpc-1"
}

test_general_store_outside_declared_domain_passes if {
	count(denied([db("db", "general", null)])) == 0
}

test_store_in_unrated_domain_is_denied if {
	ds := denied([db("db", "sensitive", dom("lab", null, false))])
	some f in ds
	f.asset == "db"
	f.evidence.rated == false
	contains(f.message.template, "no rated level")
	f.message.domain == "lab"
}

test_unclassified_store_is_protected_as_sensitive if {
	ds := denied([db("db", "unclassified", dom("dmz", "general", true))])
	some f in ds
	f.asset == "db"
	f.level == "unclassified"
	count(denied([db("db", "unclassified", dom("app", "sensitive", true))])) == 0
}

test_store_without_network_placement_is_out_of_scope if {
	b := {"id": "bkt", "kind": "object_store", "level": {"value": "core"}, "network": null, "ctx": {"domain": null}}
	count(denied([b])) == 0
	b2 := object.union(b, {"network": {"vpc_id": null, "subnets": []}})
	count(denied([b2])) == 0
}

test_not_assessed_asset_is_skipped if {
	a := object.union(db("db", "core", null), {"assessment": {"status": "not_assessed"}})
	count(denied([a])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_net_001.assessed with input as {"assets": assets}
}

test_assessed_lists_placed_stores_and_those_below_sensitive if {
	placed := {"id": "db", "kind": "database", "level": {"value": "core"}, "network": {"vpc_id": "vpc-1"}}
	low := {"id": "low", "kind": "object_store", "level": {"value": "general"}}
	assessed_ids([placed, low]) == {"db", "low"}
}

test_a_sensitive_store_in_no_network_is_not_applicable if {
	bucket := {"id": "b", "kind": "object_store", "level": {"value": "core"}, "network": null}
	assessed_ids([bucket]) == set()
}
