package dsscan.policy.ds_net_003_test

import rego.v1

store(id, kind, level, publicly_accessible, public) := {
	"id": id, "name": id, "kind": kind,
	"level": {"value": level},
	"network": {"publicly_accessible": publicly_accessible},
	"access": {"public": public},
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_net_003.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_net_003.not_assessed with input as {"assets": assets}
}

test_publicly_accessible_database_is_denied if {
	ds := denied([store("db", "database", "important", true, null)])
	count(ds) == 1
	some f in ds
	f.asset == "db"
	f.level == "important"
	f.evidence.publicly_accessible == true
}

test_private_database_passes if {
	a := store("db", "database", "important", false, null)
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_public_bucket_is_denied if {
	ds := denied([store("bkt", "object_store", "sensitive", null, true)])
	some f in ds
	f.asset == "bkt"
	f.message.template == "{asset} holds {level} data but is publicly accessible ({exposures})."
	f.message.exposures == ["public access policy"]
}

test_private_bucket_passes if {
	a := {"id": "bkt", "kind": "object_store", "level": {"value": "core"}, "network": null, "access": {"public": false}}
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_general_public_store_is_ignored if {
	count(denied([store("bkt", "object_store", "general", null, true)])) == 0
}

test_unclassified_public_store_is_protected_as_sensitive if {
	ds := denied([store("bkt", "object_store", "unclassified", null, true)])
	some f in ds
	f.asset == "bkt"
	f.level == "unclassified"
}

test_unknown_exposure_is_not_assessed if {
	a := {"id": "c", "kind": "cache", "level": {"value": "sensitive"}, "network": {"publicly_accessible": null}}
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "c"
}

test_table_inside_a_database_without_exposure_facts_is_not_reported if {
	t := {"id": "t", "kind": "table", "level": {"value": "core"}, "ctx": {"parent": {"id": "db"}}}
	count(denied([t])) == 0
	count(unassessed([t])) == 0
}

# A table of its own (DynamoDB) is judged by its resource policy.
test_table_of_its_own_is_judged_by_its_resource_policy if {
	open := {"id": "t1", "kind": "table", "level": {"value": "important"}, "network": null, "access": {"public": true}}
	closed := {"id": "t2", "kind": "table", "level": {"value": "important"}, "network": null, "access": {"public": false}}
	unknown := {"id": "t3", "kind": "table", "level": {"value": "important"}, "network": null, "access": {"public": null}}
	[f.asset | some f in denied([open, closed, unknown])] == ["t1"]
	[n.asset | some n in unassessed([open, closed, unknown])] == ["t3"]
}

# --- assessed: judged on facts read; the rest of its kinds is not applicable ---------------

assessed(assets) := ids if {
	ids := data.dsscan.policy.ds_net_003.assessed with input as {"assets": assets}
}

test_assessed_lists_stores_whose_exposure_was_read_and_those_below_sensitive if {
	got := assessed([
		store("private", "database", "core", false, null),
		store("public", "object_store", "sensitive", null, true),
		store("low", "table", "general", null, null),
	])
	got == {"private", "public", "low"}
}

test_a_table_inside_a_database_with_no_exposure_facts_is_not_applicable if {
	t := {"id": "t", "kind": "table", "level": {"value": "core"}, "ctx": {"parent": {"id": "db"}}}
	count(denied([t])) == 0
	count(unassessed([t])) == 0
	assessed([t]) == set()
}

# `assessed`: a protected store when at least one exposure fact was read; below sensitive by
# its level; null, missing and non-boolean facts are not read.
net003_assessed_cases := [
	["both read", store("x", "database", "core", false, false), true],
	["only the endpoint read", store("x", "database", "core", false, null), true],
	["only the access policy read", store("x", "object_store", "core", null, true), true],
	["neither read", store("x", "database", "core", null, null), false],
	["neither, not booleans", store("x", "database", "core", "yes", 1), false],
	["no network or access block", {"id": "x", "kind": "database", "level": {"value": "core"}}, false],
	["below sensitive, nothing read", store("x", "database", "general", null, null), true],
]

test_assessed_membership_by_facts_read if {
	got := [[c[0], "x" in ids] |
		some c in net003_assessed_cases
		ids := data.dsscan.policy.ds_net_003.assessed with input as {"assets": [c[1]]}
	]
	got == [[c[0], c[2]] | some c in net003_assessed_cases]
}
