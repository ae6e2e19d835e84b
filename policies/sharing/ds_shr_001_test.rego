package dsscan.policy.ds_shr_001_test

import rego.v1

vendor := {"principal": "arn:aws:iam::999988887777:role/etl", "account": "999988887777", "via": "bucket policy statement Vendor", "anyone": false}

other_org := {"principal": "* (organization o-vendor00001)", "account": null, "org": "o-vendor00001", "via": "bucket policy", "anyone": false}

unplaced := {"principal": "callers of any account meeting aws:SourceVpce", "account": null, "via": "bucket policy", "anyone": false}

anyone := {"principal": "*", "account": null, "via": "snapshot share (public)", "anyone": true}

store(kind, level, outside, record) := {
	"id": "s1", "name": "ledger", "kind": kind,
	"ctx": {
		"level": level, "rank": data.dsscan.lib.rank(level), "protect_level": protect(level),
		"protect_rank": data.dsscan.lib.rank(protect(level)),
		"environment": "production", "test": false, "production": true, "assessable": true,
		"contents": [],
		"readers_outside": outside, "readers_other_entity": [], "readers_unknown": [],
		"entity": "Bank", "sharing_record": record,
	},
}

protect(level) := "sensitive" if level == "unclassified" else := level

denied(a) := d if {
	d := data.dsscan.policy.ds_shr_001.deny with input as {"assets": [a]}
}

unassessed(a) := r if {
	items := data.dsscan.policy.ds_shr_001.not_assessed with input as {"assets": [a]}
	r := {n.reason | some n in items}
}

assessed(a) := r if {
	r := data.dsscan.policy.ds_shr_001.assessed with input as {"assets": [a]}
}

# --- a table of classes: (kind, level, readers outside, record) -> findings, assessed
cases := [
	# named accounts, organizations, unplaced callers outside: a finding without a record
	{"kind": "object_store", "level": "core", "out": [vendor], "record": false, "findings": 1, "judged": true},
	{"kind": "table", "level": "sensitive", "out": [other_org], "record": false, "findings": 1, "judged": true},
	{"kind": "backup_vault", "level": "important", "out": [unplaced], "record": false, "findings": 1, "judged": true},
	{"kind": "snapshot", "level": "unclassified", "out": [vendor], "record": false, "findings": 1, "judged": true},
	# a sharing record approves the share
	{"kind": "snapshot", "level": "core", "out": [vendor], "record": true, "findings": 0, "judged": true},
	# unknown readers with a record: no share can be a finding
	{"kind": "snapshot", "level": "core", "out": null, "record": true, "findings": 0, "judged": true},
	# anyone: DS-NET-003 / DS-BAK-003 report it, not this policy
	{"kind": "snapshot", "level": "core", "out": [anyone], "record": false, "findings": 0, "judged": true},
	# nobody outside
	{"kind": "object_store", "level": "core", "out": [], "record": false, "findings": 0, "judged": true},
	# general data owes nothing here
	{"kind": "object_store", "level": "general", "out": [vendor], "record": false, "findings": 0, "judged": false},
	# not a kind judged here (a key is DS-KMS-001's)
	{"kind": "key", "level": "core", "out": [vendor], "record": false, "findings": 0, "judged": false},
	{"kind": "warehouse", "level": "core", "out": [vendor], "record": false, "findings": 0, "judged": false},
	# an Aurora cluster shared through AWS RAM
	{"kind": "database", "level": "important", "out": [vendor], "record": false, "findings": 1, "judged": true},
]

is_judged(a) := true if assessed(a) == {"s1"} else := false

test_table_of_classes if {
	every c in cases {
		a := store(c.kind, c.level, c.out, c.record)
		count(denied(a)) == c.findings
		is_judged(a) == c.judged
	}
}

test_finding_names_principals_ways_and_level if {
	a := store("object_store", "core", [vendor, other_org, unplaced, anyone], false)
	some f in denied(a)
	f.key == "read_outside"
	f.level == "core"
	f.message.level == "core"
	f.message.who == "account 999988887777 (via bucket policy statement Vendor); callers of any account meeting aws:SourceVpce (account not known, via bucket policy); the accounts of organization o-vendor00001 (not the institution's, via bucket policy)"
	f.evidence.principals == 3
	f.evidence.accounts == ["999988887777"]
}

test_unclassified_reads_as_protected_level if {
	some f in denied(store("snapshot", "unclassified", [vendor], false))
	f.level == "unclassified"
	f.message.level == {"template": "unclassified (protected as {owed})", "owed": "sensitive"}
}

test_unknown_readers_are_not_assessed_with_the_reason if {
	a := object.union(store("object_store", "core", null, false), {"ctx": {"readers_unknown": ["set institution_accounts"]}})
	count(denied(a)) == 0
	unassessed(a) == {{"template": "who outside the institution may read it is not known: {why}", "why": "set institution_accounts"}}
	assessed(a) == set()
}

test_unread_readers_are_not_assessed if {
	a := store("table", "important", null, false)
	unassessed(a) == {"who may read it (resource policy, snapshot shares) could not be read"}
}

test_input_that_cannot_say_is_not_applicable if {
	a := store("object_store", "core", [vendor], false)
	b := object.union(object.remove(a, ["ctx"]), {"ctx": object.remove(a.ctx, ["readers_outside"])})
	count(denied(b)) == 0
	count(unassessed(b)) == 0
	assessed(b) == set()
}

test_a_vault_is_judged_at_its_contents_level if {
	a := object.union(store("backup_vault", "unclassified", [vendor], false), {"ctx": {"level": "general", "protect_level": "general", "contents": [{"id": "rp", "name": "rp", "kind": "backup", "level": "core"}]}})
	some f in denied(a)
	f.level == "core"
}

test_not_assessable_asset_is_skipped if {
	a := object.union(store("object_store", "core", [vendor], false), {"ctx": {"assessable": false}})
	count(denied(a)) == 0
	assessed(a) == set()
}
