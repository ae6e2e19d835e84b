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

# A copy kept in the store's own bucket or volume (same_place, computed in Python).
in_place(id, where) := object.union(copy(id, "backup", false, "anything"), {"same_place": where})

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
	f.message.places == "same account and region"
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
			in_place("bkt/backup/", "bucket"),
			copy("vault-rp", "backup", true, "different account"),
		]},
	}
	ds := denied([a])
	count(ds) == 1
	some f in ds
	f.asset == "bkt"
	f.related == ["bkt/backup/"]
	f.message.places == "bucket"
}

test_copy_in_same_volume_is_denied if {
	ds := denied([db("fs", "core", [in_place("snap", "volume")])])
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

test_wording_of_separation_never_decides if {
	# Prose is for people: a copy described as "same bucket" but not in the store's own bucket
	# (same_place null) is judged as any other colocated copy.
	ds := denied([db("db", "core", [copy("s1", "backup", false, "same bucket somewhere")])])
	count(ds) == 1
	some f in ds
	f.key == "not_separate"
}

# Whatever the separation sentence says, the verdict follows same_place and separate.
wordings := [
	"same bucket prod-data", "same volume vol-1", "different account", "same account and region",
	"", null, "anything at all",
]

# same_place, separate -> verdict (key of the finding, not_assessed or pass)
place_cases := [
	["bucket", false, "own_location"],
	["volume", false, "own_location"],
	["bucket", true, "own_location"],
	["bucket", null, "own_location"],
	[null, false, "not_separate"],
	[null, true, "pass"],
	[null, null, "not_assessed"],
]

placed(separation, where, separate) := object.union(copy("c1", "backup", separate, separation), {"same_place": where})

test_rewording_separation_never_changes_the_verdict if {
	got := [[w, c[0], c[1], bak001_verdict(db("db", "core", [placed(w, c[0], c[1])]))] |
		some w in wordings
		some c in place_cases
	]
	want := [[w, c[0], c[1], c[2]] |
		some w in wordings
		some c in place_cases
	]
	got == want
}

test_own_place_message_is_rendered_from_same_place if {
	some f in denied([db("db", "core", [placed("x", "volume", false)])])
	f.message == {"template": own_place, "places": "volume", "copies": ["c1"]}
	some g in denied([db("db", "core", [placed("x", "bucket", false), object.union(placed("y", "volume", false), {"id": "c2"})])])
	g.message == {"template": own_place, "places": "bucket and volume", "copies": ["c1", "c2"]}
}

own_place := "{asset} keeps copies in its own {places} ({copies}); a copy stored with the data it copies is not a separate backup."

store_with_built_in(backups, built_in) := object.union(db("db", "core", backups), {"ctx": {"built_in_backup": built_in}})

pitr := {"kind": "point_in_time_recovery", "account": "111111111111", "region": "cn-north-1", "separate": false, "separation": "same account and region (kept by the service)"}

replicated := {"kind": "automated_backups", "account": "111111111111", "region": "cn-northwest-1", "separate": true, "separation": "different region"}

# copies, built-in backups -> verdict
bak001_cases := [
	[[], pitr, "not_separate"],
	[[], replicated, "pass"],
	[[], null, "pass"],
	[[copy("s2", "backup", true, "different account")], pitr, "pass"],
	[[copy("s1", "snapshot", false, "same account and region")], pitr, "not_separate"],
	[[copy("s1", "snapshot", false, "same account and region")], replicated, "pass"],
	[[copy("s2", "backup", null, null)], pitr, "not_assessed"],
]

bak001_verdict(a) := f.key if {
	some f in denied([a])
} else := "not_assessed" if {
	count(unassessed([a])) > 0
} else := "pass"

test_built_in_backups_are_never_separate if {
	got := [bak001_verdict(store_with_built_in(c[0], c[1])) | some c in bak001_cases]
	got == [c[2] | some c in bak001_cases]
}

test_built_in_only_message_and_evidence if {
	some f in denied([store_with_built_in([], pitr)])
	f.related == []
	f.message == {
		"template": "{asset} has no backup stored separately from it: its built-in backups ({built_in}) are in the same place ({places}).{replicas}",
		"copies": [], "built_in": ["point-in-time recovery"],
		"places": "same account and region (kept by the service)", "replicas": "",
	}
	f.evidence.built_in[0].kind == "point_in_time_recovery"
}

test_built_in_backups_of_a_general_store_are_ignored if {
	count(denied([object.union(store_with_built_in([], pitr), {"level": {"value": "general"}})])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_bak_001.assessed with input as {"assets": assets}
}

test_assessed_lists_stores_with_copies_to_judge_and_those_below_sensitive if {
	with_copy := {"id": "db", "kind": "database", "level": {"value": "core"}, "ctx": {"backups": [
		{"id": "snap", "relation": "snapshot", "separate": true},
	]}}
	low := {"id": "low", "kind": "database", "level": {"value": "general"}}
	assessed_ids([with_copy, low]) == {"db", "low"}
}

test_a_sensitive_store_with_no_backup_is_not_applicable if {
	bare := {"id": "bkt", "kind": "object_store", "level": {"value": "sensitive"}, "ctx": {"backups": []}}
	assessed_ids([bare]) == set()
}

# --- replicas that are backups (counts_as_backup, computed in Python) --------------------------

replica(id, separate, counts, missing) := {"id": id, "kind": "object_store", "relation": "replica",
	"account": "222222222222", "region": "cn-north-1", "separate": separate,
	"separation": "different account", "counts_as_backup": counts, "missing": missing, "unknown": []}

test_replica_that_counts_is_the_separate_backup if {
	a := db("db", "core", [copy("s1", "snapshot", false, "same account and region"), replica("r", true, true, [])])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_replica_that_does_not_count_leaves_no_separate_backup_and_says_why if {
	a := db("db", "core", [copy("s1", "snapshot", false, "same account and region"), replica("r", true, false, ["versioning"])])
	ds := denied([a])
	count(ds) == 1
	some f in ds
	f.key == "not_separate"
	f.related == ["s1"]
	f.message.replicas.replicas == "r does not count as a backup: its destination keeps no earlier versions"
}

test_replica_of_unknown_standing_makes_separation_not_assessed if {
	r := object.union(replica("r", true, null, []), {"unknown": ["delete_marker_replication"]})
	a := db("db", "core", [copy("s1", "snapshot", false, "same account and region"), r])
	count(denied([a])) == 0
	some n in unassessed([a])
	contains(n.reason, "replica")
}

test_only_counting_replicas_are_judged_for_separation if {
	a := db("db", "core", [replica("r", false, true, [])])
	some f in denied([a])
	f.key == "not_separate"
	f.related == ["r"]
}
