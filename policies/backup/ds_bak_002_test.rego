package dsscan.policy.ds_bak_002_test

import rego.v1

db(id, level, backup, backups) := {
	"id": id, "name": id, "kind": "database",
	"level": {"value": level},
	"backup": backup,
	"ctx": {"backups": backups},
}

off := {"native": {"enabled": false, "retention_days": 0, "point_in_time_recovery": null}}

denied(assets) := d if {
	d := data.dsscan.policy.ds_bak_002.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_bak_002.not_assessed with input as {"assets": assets}
}

test_store_with_backups_off_is_denied if {
	ds := denied([db("db", "important", off, [])])
	count(ds) == 1
	some f in ds
	f.asset == "db"
	f.level == "important"
	f.evidence.native_backup_enabled == false
}

test_native_backup_passes if {
	a := db("db", "important", {"native": {"enabled": true, "retention_days": 7}}, [])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_point_in_time_recovery_passes if {
	a := db("tbl", "core", {"native": {"enabled": null, "point_in_time_recovery": true}}, [])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_retention_days_passes if {
	count(denied([db("db", "core", {"native": {"enabled": null, "retention_days": 7}}, [])])) == 0
}

test_unreadable_backup_plans_are_not_assessed_not_denied if {
	a := db("db", "core", {"native": {"enabled": false}, "plans": null}, [])
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "db"
	contains(n.reason, "backup plans")
}

test_no_plans_key_still_judges_native_backups if {
	count(denied([db("db", "core", {"native": {"enabled": false}}, [])])) == 1
}

test_backup_plan_passes if {
	count(denied([db("db", "core", {"native": {"enabled": false}, "plans": ["plan-daily"]}, [])])) == 0
}

test_snapshot_copy_passes_even_with_native_off if {
	a := db("db", "core", off, [{"id": "snap", "relation": "snapshot", "separate": true}])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

replica(id, counts, missing, unknown) := {"id": id, "relation": "replica", "separate": true,
	"counts_as_backup": counts, "missing": missing, "unknown": unknown}

test_replica_that_is_not_a_backup_is_denied_naming_what_it_misses if {
	ds := denied([db("db", "core", off, [replica("rep", false, ["delete_marker_replication", "object_lock"], [])])])
	some f in ds
	f.asset == "db"
	contains(f.message.replicas.replicas, "rep (delete markers are replicated to it and its destination has no Object Lock")
}

test_replica_that_counts_as_a_backup_passes if {
	a := db("db", "core", off, [replica("rep", true, [], [])])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	data.dsscan.policy.ds_bak_002.assessed == {"db"} with input as {"assets": [a]}
}

test_replica_of_unknown_standing_is_not_assessed if {
	a := db("db", "core", off, [replica("rep", null, [], ["versioning"])])
	count(denied([a])) == 0
	some n in unassessed([a])
	contains(n.reason, "replica")
	data.dsscan.policy.ds_bak_002.assessed == set() with input as {"assets": [a]}
}

test_a_replica_without_the_python_fact_is_never_a_backup_pass if {
	a := db("db", "core", off, [{"id": "rep", "relation": "replica", "separate": true}])
	count(unassessed([a])) == 1
}

test_unknown_backup_facts_are_not_assessed if {
	a := db("db", "core", null, [])
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "db"
}

test_null_native_facts_are_not_assessed if {
	a := db("db", "core", {"native": {"enabled": null, "retention_days": null}}, null)
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "db"
}

test_general_store_is_ignored if {
	a := db("db", "general", off, [])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_unclassified_store_is_protected_as_sensitive if {
	ds := denied([db("db", "unclassified", off, [])])
	some f in ds
	f.asset == "db"
	f.level == "unclassified"
	ds2 := denied([db("db", "unclassified", off, [])]) with data.dsscan.config as {"unclassified_protection_level": "general"}
	count(ds2) == 0
}

test_store_that_is_a_backup_is_not_judged if {
	a := object.union(db("bkt", "core", off, []), {"kind": "object_store", "backup": {"backup_of": ["db"]}})
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_table_inside_database_is_not_judged if {
	t := {"id": "t", "kind": "table", "level": {"value": "core"}, "backup": null, "ctx": {"parent": {"id": "db"}}}
	count(denied([t])) == 0
	count(unassessed([t])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_bak_002.assessed with input as {"assets": assets}
}

test_assessed_lists_stores_whose_backup_state_was_read if {
	on := {"id": "on", "kind": "database", "level": {"value": "core"}, "backup": {"native": {"enabled": true}}}
	off := {"id": "off", "kind": "database", "level": {"value": "core"}, "backup": {"native": {"enabled": false}, "plans": []}}
	low := {"id": "low", "kind": "database", "level": {"value": "general"}}
	assessed_ids([on, off, low]) == {"on", "off", "low"}
}

test_unknown_backups_and_tables_inside_a_database_are_not_assessed if {
	unknown := {"id": "u", "kind": "database", "level": {"value": "core"}}
	child := {"id": "t", "kind": "table", "level": {"value": "core"}, "ctx": {"parent": {"id": "db"}}}
	assessed_ids([unknown, child]) == set()
}

# `assessed` is written with set operations (covered = protected, not a child table, not
# judged): each class of store, its expected membership, and the verdict that goes with it.
assessed_cases := [
	["below sensitive", db("x", "general", off, []), true],
	["native backups on", db("x", "core", {"native": {"enabled": true}}, []), true],
	["retention days", db("x", "core", {"native": {"enabled": null, "retention_days": 7}}, []), true],
	["a snapshot copy", db("x", "core", off, [{"id": "s", "relation": "snapshot"}]), true],
	["only a copy", object.union(db("x", "core", off, []), {"backup": {"backup_of": ["src"]}}), true],
	["a table inside a database", {"id": "x", "kind": "table", "level": {"value": "core"}, "backup": off, "ctx": {"parent": {"id": "db"}}}, false],
	["a table inside a database, backed up", {"id": "x", "kind": "table", "level": {"value": "core"}, "backup": {"native": {"enabled": true}}, "ctx": {"parent": {"id": "db"}}}, false],
	["known off: a finding", object.union(db("x", "core", off, []), {"backup": {"plans": []}}), true],
	["known off, plans unread", object.union(db("x", "core", off, []), {"backup": {"plans": null}}), false],
	["nothing read", db("x", "core", null, []), false],
	["known off, a replica of unknown standing", db("x", "core", off, [replica("rep", null, [], ["versioning"])]), false],
]

test_assessed_membership_by_class if {
	got := [[c[0], "x" in ids] |
		some c in assessed_cases
		ids := data.dsscan.policy.ds_bak_002.assessed with input as {"assets": [c[1]]}
	]
	got == [[c[0], c[2]] | some c in assessed_cases]
}
