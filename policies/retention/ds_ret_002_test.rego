package dsscan.policy.ds_ret_002_test

import rego.v1

orphan(o, gone, unknown, reason) := {"orphan": o, "gone": gone, "unknown": unknown, "reason": reason}

asset(id, kind, level, o) := {
	"id": id, "name": id, "kind": kind,
	"level": {"value": level},
	"ctx": {"orphan": o},
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_ret_002.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_ret_002.not_assessed with input as {"assets": assets}
}

assessed(assets) := s if {
	s := data.dsscan.policy.ds_ret_002.assessed with input as {"assets": assets}
}

# (kind, level, expected finding level): the copy's own level, else unclassified's protection.
level_cases := [
	["snapshot", "core", "core"],
	["backup", "important", "important"],
	["snapshot", "general", "general"],
	["snapshot", "unclassified", "sensitive"],
	["object_store", "sensitive", "sensitive"],
]

test_orphan_is_a_finding_at_its_inherited_level if {
	every c in level_cases {
		ds := denied([asset("c", c[0], c[1], orphan(true, ["arn:aws:rds:cn-north-1:111111111111:db:gone"], [], null))])
		count(ds) == 1
		some f in ds
		f.level == c[2]
		f.key == "orphan_copy"
		f.message.count == 1
		f.evidence.gone == ["arn:aws:rds:cn-north-1:111111111111:db:gone"]
	}
}

test_unclassified_follows_the_configured_protection if {
	a := asset("c", "snapshot", "unclassified", orphan(true, ["x"], [], null))
	ds := denied([a]) with data.dsscan.config as {"unclassified_protection_level": "important"}
	some f in ds
	f.level == "important"
}

test_source_present_passes if {
	a := asset("c", "snapshot", "core", orphan(false, [], [], null))
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed([a]) == {"c"}
}

test_unknown_source_is_not_assessed_never_passed if {
	every why in ["a store it copies is not in the inventory", "it does not name the store it copies"] {
		a := asset("c", "backup", "core", orphan(null, [], ["x"], why))
		count(denied([a])) == 0
		unassessed([a]) == {{"asset": "c", "reason": why}}
		assessed([a]) == set()
	}
}

test_not_a_copy_is_not_applicable if {
	a := asset("db", "database", "core", null)
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed([a]) == set()
}
