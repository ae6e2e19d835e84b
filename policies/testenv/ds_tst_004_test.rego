package dsscan.policy.ds_tst_004_test

import rego.v1

store(level, env, copies) := {
	"id": "db1", "name": "core-db", "kind": "database",
	"ctx": {
		"level": level, "rank": data.dsscan.lib.rank(level),
		"protect_level": protect(level), "protect_rank": data.dsscan.lib.rank(protect(level)),
		"environment": env, "test": env == "test", "production": env == "production",
		"assessable": true, "copies_to_test": copies,
	},
}

protect(level) := "sensitive" if level == "unclassified" else := level

copy(via, env, desensitized) := {
	"via": via, "copy": "c1", "name": "target-1",
	"target_environment": env, "desensitized": desensitized,
}

denied(a) := d if {
	d := data.dsscan.policy.ds_tst_004.deny with input as {"assets": [a]}
}

unassessed(a) := r if {
	r := data.dsscan.policy.ds_tst_004.not_assessed with input as {"assets": [a]}
}

assessed(a) := r if {
	r := data.dsscan.policy.ds_tst_004.assessed with input as {"assets": [a]}
}

vias := ["snapshot share", "snapshot copy", "backup copy", "replication", "dms task"]

# --- each path x (no record / record / target unknown)

test_every_path_without_record_is_denied if {
	every via in vias {
		ds := denied(store("core", "production", [copy(via, "test", false)]))
		count(ds) == 1
		some f in ds
		f.evidence.via == via
		f.level == "core"
		f.key == via
		f.related == ["c1", "target-1"]
		contains(f.message.template, "reaches the test environment by copy: {what}")
		f.message.what.env == "test"
	}
}

test_every_path_with_record_passes if {
	every via in vias {
		a := store("core", "production", [copy(via, "test", true)])
		count(denied(a)) == 0
		count(unassessed(a)) == 0
		assessed(a) == {"db1"}
	}
}

test_every_path_with_unknown_target_is_not_assessed if {
	every via in vias {
		a := store("important", "production", [copy(via, null, false)])
		count(denied(a)) == 0
		some n in unassessed(a)
		n.reason.copies == [sprintf("%s target-1", [via])]
	}
}

# A copy into production or staging is never listed by the relation: an empty list passes.
test_no_copies_to_test_passes if {
	a := store("sensitive", "production", [])
	count(denied(a)) == 0
	count(unassessed(a)) == 0
	assessed(a) == {"db1"}
}

test_unread_paths_are_not_assessed if {
	a := store("core", "production", null)
	count(denied(a)) == 0
	count(unassessed(a)) == 1
	assessed(a) == set()
}

# A known finding stands when another path is unknown (no second not-assessed item).
test_finding_with_unknown_path_is_denied if {
	a := store("core", "production", [copy("replication", null, false), object.union(copy("dms task", "development", false), {"copy": "c2"})])
	count(denied(a)) == 1
	count(unassessed(a)) == 0
}

# Two snapshots shared with one account: two findings.
test_two_snapshots_shared_with_one_account_are_two_findings if {
	one := copy("snapshot share", "test", false)
	two := object.union(one, {"name": "target-2"})
	count(denied(store("core", "production", [one, two]))) == 2
}

# --- who is judged

test_general_and_test_stores_are_not_judged if {
	every a in [
		store("general", "production", [copy("replication", "test", false)]),
		store("core", "test", [copy("replication", "test", false)]),
		store("core", "unknown", [copy("replication", "test", false)]),
	] {
		count(denied(a)) == 0
		count(unassessed(a)) == 0
		assessed(a) == set()
	}
}

test_unclassified_production_store_is_judged_at_its_protection_level if {
	ds := denied(store("unclassified", "production", [copy("snapshot share", "test", false)]))
	some f in ds
	f.level == "sensitive"
	f.message.level == "unclassified (protected as sensitive)"
}

# The field absent (a hand-written input without the relation stage): not assessed.
test_absent_field_is_not_assessed if {
	a := json.remove(store("core", "production", []), ["ctx/copies_to_test"])
	count(denied(a)) == 0
	count(unassessed(a)) == 1
}
