package dsscan.policy.ds_shr_002_test

import rego.v1

insurer := {"principal": "arn:aws:iam::222233334444:role/actuary", "account": "222233334444", "via": "bucket policy statement Group", "anyone": false, "entity": "Insurance"}

whole_org := {"principal": "* (organization o-bank000001)", "account": null, "org": "o-bank000001", "via": "resource policy", "anyone": false}

store(kind, level, crossing, record) := {
	"id": "s1", "name": "ledger", "kind": kind,
	"ctx": {
		"level": level, "rank": data.dsscan.lib.rank(level), "protect_level": protect(level),
		"protect_rank": data.dsscan.lib.rank(protect(level)),
		"environment": "production", "test": false, "production": true, "assessable": true,
		"contents": [], "protects": [],
		"readers_outside": [], "readers_other_entity": crossing, "readers_unknown": [],
		"entity": "Bank", "sharing_record": record,
	},
}

protect(level) := "sensitive" if level == "unclassified" else := level

key(protects, crossing, record) := object.union(store("key", "unclassified", crossing, record), {"ctx": {"protects": protects}})

protected(level) := {"id": "db", "name": "db", "kind": "database", "level": level, "protect_level": protect(level), "environment": "production", "test": false, "production": true}

denied(a) := d if {
	d := data.dsscan.policy.ds_shr_002.deny with input as {"assets": [a]}
}

unassessed(a) := r if {
	items := data.dsscan.policy.ds_shr_002.not_assessed with input as {"assets": [a]}
	r := {n.reason | some n in items}
}

assessed(a) := r if {
	r := data.dsscan.policy.ds_shr_002.assessed with input as {"assets": [a]}
}

is_judged(a) := true if assessed(a) == {"s1"} else := false

# --- a table of classes: (kind, level, readers of another entity, record) -> findings, assessed
cases := [
	{"kind": "object_store", "level": "core", "cross": [insurer], "record": false, "findings": 1, "judged": true},
	{"kind": "table", "level": "sensitive", "cross": [whole_org], "record": false, "findings": 1, "judged": true},
	{"kind": "snapshot", "level": "important", "cross": [insurer], "record": false, "findings": 1, "judged": true},
	{"kind": "backup_vault", "level": "unclassified", "cross": [insurer], "record": false, "findings": 1, "judged": true},
	{"kind": "snapshot", "level": "core", "cross": [insurer], "record": true, "findings": 0, "judged": true},
	{"kind": "snapshot", "level": "core", "cross": null, "record": true, "findings": 0, "judged": true},
	{"kind": "object_store", "level": "core", "cross": [], "record": false, "findings": 0, "judged": true},
	{"kind": "object_store", "level": "general", "cross": [insurer], "record": false, "findings": 0, "judged": false},
	{"kind": "object_store", "level": "core", "cross": null, "record": false, "findings": 0, "judged": false},
	{"kind": "database", "level": "core", "cross": [insurer], "record": false, "findings": 1, "judged": true},
	{"kind": "warehouse", "level": "core", "cross": [insurer], "record": false, "findings": 0, "judged": false},
]

test_table_of_classes if {
	every c in cases {
		a := store(c.kind, c.level, c.cross, c.record)
		count(denied(a)) == c.findings
		is_judged(a) == c.judged
	}
}

test_core_cites_the_art_34_review if {
	some f in denied(store("object_store", "core", [insurer], false))
	f.key == "other_entity"
	f.level == "core"
	f.message.entity == "Bank"
	f.message.read == "read"
	f.message.who == "account 222233334444 of Insurance (via bucket policy statement Group)"
	contains(f.message.why, "Art. 34")
	f.evidence.entities == ["Insurance"]
}

test_sensitive_cites_the_art_29_firewall if {
	some f in denied(store("table", "sensitive", [whole_org], false))
	contains(f.message.why, "Art. 29")
	f.message.who == "every account of the institution's organization o-bank000001 (via resource policy)"
}

test_key_is_judged_by_the_data_it_protects if {
	some f in denied(key([protected("core")], [insurer], false))
	f.level == "core"
	f.message.read == "decrypted"
	count(denied(key([protected("general")], [insurer], false))) == 0
	count(denied(key([], [insurer], false))) == 0
	assessed(key([], [insurer], false)) == set()
}

test_unknown_entity_is_not_assessed_with_the_reason if {
	a := object.union(store("object_store", "core", null, false), {"ctx": {"readers_unknown": ["set accounts.<id>.entity or legal_entities"]}})
	unassessed(a) == {{"template": "whether another legal entity may read it is not known: {why}", "why": "set accounts.<id>.entity or legal_entities"}}
	count(denied(a)) == 0
}

test_unread_readers_are_not_assessed if {
	unassessed(store("snapshot", "core", null, false)) == {"who may read it (resource policy, snapshot shares, key policy) could not be read"}
}
