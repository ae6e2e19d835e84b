package dsscan.policy.ds_bak_001_test

import rego.v1

db(id, level, backups) := {
	"id": id, "name": id, "kind": "database",
	"level": {"value": level},
	"ctx": {"backups": backups},
}

copy(id, relation, separate, separation) := {
	"id": id, "kind": "snapshot", "relation": relation,
	"account": "111111111111", "region": "cn-north-1",
	"separate": separate, "separation": separation,
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_bak_001.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_bak_001.not_assessed with input as {"assets": assets}
}

test_only_colocated_copies_are_denied if {
	ds := denied([db("db", "important", [copy("s1", "snapshot", false, "same account and region")])])
	count(ds) == 1
	some f in ds
	f.asset == "db"
	f.level == "important"
	f.related == ["s1"]
	f.evidence.copies[0].separation == "same account and region"
	contains(f.message, "same account and region")
}

test_one_separate_copy_passes if {
	a := db("db", "important", [
		copy("s1", "snapshot", false, "same account and region"),
		copy("s2", "backup", true, "different account"),
	])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_copy_in_same_bucket_is_denied_even_with_separate_copy if {
	a := {
		"id": "bkt", "name": "prod-data", "kind": "object_store", "level": {"value": "sensitive"},
		"ctx": {"backups": [
			copy("bkt/backup/", "backup", false, "same bucket (prefix backup/)"),
			copy("vault-rp", "backup", true, "different account"),
		]},
	}
	ds := denied([a])
	count(ds) == 1
	some f in ds
	f.asset == "bkt"
	f.related == ["bkt/backup/"]
	contains(f.message, "own bucket")
}

test_copy_in_same_volume_is_denied if {
	ds := denied([db("fs", "core", [copy("snap", "snapshot", false, "same volume")])])
	count(ds) == 1
	some f in ds
	f.asset == "fs"
	f.level == "core"
}

test_unknown_separation_is_not_assessed if {
	a := db("db", "core", [
		copy("s1", "snapshot", false, "same account and region"),
		copy("s2", "backup", null, null),
	])
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "db"
}

test_replicas_are_not_backups_here if {
	a := db("db", "core", [copy("r1", "replica", false, "same account and region")])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_general_store_is_ignored if {
	count(denied([db("db", "general", [copy("s1", "snapshot", false, "same account and region")])])) == 0
}

test_unclassified_store_is_protected_as_sensitive if {
	ds := denied([db("db", "unclassified", [copy("s1", "snapshot", false, "same account and region")])])
	some f in ds
	f.asset == "db"
	f.level == "unclassified"
}

test_store_without_copies_is_left_to_ds_bak_002 if {
	a := db("db", "core", [])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	count(denied([{"id": "x", "kind": "database", "level": {"value": "core"}, "ctx": {"backups": null}}])) == 0
}

test_not_assessed_asset_is_skipped if {
	a := object.union(
		db("db", "core", [copy("s1", "snapshot", false, "same account and region")]),
		{"assessment": {"status": "not_assessed"}},
	)
	count(denied([a])) == 0
}
