package dsscan.policy.ds_enc_002_test

import rego.v1

cmk := {"enabled": true, "key_type": "customer_managed", "key_id": "k1"}

pmk := {"enabled": true, "key_type": "provider_managed"}

off := {"enabled": false, "key_type": null}

unknown := {"enabled": null, "key_type": null}

snapshot(id, level, at_rest, srcs) := {
	"id": id, "name": id, "kind": "snapshot",
	"level": {"value": level},
	"encryption": {"at_rest": at_rest},
	"ctx": {"sources": srcs, "vault": null},
}

src(id, level, enc) := {"id": id, "kind": "database", "relation": "snapshot", "level": level, "encryption": enc}

vault(id, level, at_rest, contents) := {
	"id": id, "name": id, "kind": "backup_vault",
	"level": {"value": level},
	"encryption": {"at_rest": at_rest},
	"ctx": {"contents": contents},
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_enc_002.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_enc_002.not_assessed with input as {"assets": assets}
}

test_snapshot_weaker_than_source_is_denied if {
	ds := denied([snapshot("snap", "core", pmk, [src("db", "core", cmk)])])
	count(ds) == 1
	some f in ds
	f.asset == "snap"
	f.level == "core"
	f.related == ["db"]
	f.evidence.copy_key_type == "provider_managed"
	f.evidence.source_key_types == {"db": "customer_managed"}
	f.message == {
		"template": "{kind} {asset} is encrypted with a {key} key, weaker than the key of its source {sources}.",
		"kind": "snapshot", "key": "provider-managed", "sources": ["db"],
	}
}

test_snapshot_as_strong_as_source_passes if {
	a := snapshot("snap", "core", cmk, [src("db", "core", cmk)])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_level_is_highest_of_copy_and_sources if {
	ds := denied([snapshot("snap", "general", off, [src("db", "important", pmk)])])
	count(ds) == 1
	some f in ds
	f.asset == "snap"
	f.level == "important"
	f.message == {"template": "{kind} {asset} is not encrypted at rest, while its source {sources} is.", "kind": "snapshot", "sources": ["db"]}
}

test_unencrypted_copy_of_unencrypted_sensitive_source_is_denied if {
	ds := denied([snapshot("snap", "sensitive", off, [src("db", "sensitive", off)])])
	count(ds) == 1
	some f in ds
	f.asset == "snap"
	f.level == "sensitive"
	contains(f.message.template, "not encrypted")
	f.message.owed == "sensitive"
}

test_unencrypted_copy_of_general_source_passes if {
	count(denied([snapshot("snap", "general", off, [src("db", "general", off)])])) == 0
}

test_unencrypted_unclassified_copy_is_protected_as_sensitive if {
	ds := denied([snapshot("snap", "unclassified", off, [])])
	some f in ds
	f.asset == "snap"
	f.level == "unclassified"
}

test_copy_without_own_facts_uses_vault if {
	a := object.union(snapshot("rp", "core", null, [src("db", "core", cmk)]), {
		"kind": "backup", "encryption": null,
		"ctx": {"vault": {"id": "vault-1", "encryption": {"at_rest": pmk}}},
	})
	ds := denied([a])
	some f in ds
	f.asset == "rp"
	f.evidence.copy_encryption_from == "vault-1"
	a2 := object.union(a, {"ctx": {"vault": {"encryption": {"at_rest": cmk}}}})
	count(denied([a2])) == 0
}

test_copy_with_unknown_own_and_vault_encryption_is_not_assessed if {
	a := snapshot("snap", "core", unknown, [src("db", "core", cmk)])
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "snap"
}

test_copy_with_unknown_key_type_is_not_assessed_against_cmk_source if {
	a := snapshot("snap", "core", {"enabled": true, "key_type": null}, [src("db", "core", cmk)])
	count(denied([a])) == 0
	some n in unassessed([a])
	contains(n.reason, "key type")
}

test_unknown_source_encryption_is_not_assessed if {
	a := snapshot("snap", "core", pmk, [src("db", "core", null)])
	count(denied([a])) == 0
	some n in unassessed([a])
	n.reason.sources == ["db"]
}

test_replica_store_is_a_copy if {
	r := {
		"id": "replica-bkt", "kind": "object_store", "level": {"value": "important"},
		"encryption": {"at_rest": pmk},
		"ctx": {"sources": [object.union(src("bkt", "important", cmk), {"relation": "replica"})]},
	}
	ds := denied([r])
	some f in ds
	f.asset == "replica-bkt"
	f.related == ["bkt"]
}

test_store_with_aggregate_sources_is_not_a_copy if {
	r := {
		"id": "dw", "kind": "warehouse", "level": {"value": "important"},
		"encryption": {"at_rest": pmk},
		"ctx": {"sources": [object.union(src("db", "important", cmk), {"relation": "derived"})]},
	}
	count(denied([r])) == 0
}

test_core_vault_with_provider_key_is_denied if {
	ds := denied([vault("v", "core", pmk, [{"id": "snap", "level": "core"}])])
	count(ds) == 1
	some f in ds
	f.asset == "v"
	f.level == "core"
	f.evidence.required_key_type == "customer_managed"
	f.message == {
		"template": "Backup vault {asset} holds {held} data but is encrypted with a {key} key; it needs a {needed} key.",
		"held": "core", "key": "provider-managed", "needed": "customer-managed",
	}
}

test_vault_level_follows_contents if {
	ds := denied([vault("v", "general", pmk, [{"id": "snap", "level": "important"}])])
	some f in ds
	f.asset == "v"
	f.level == "important"
}

test_sensitive_vault_with_provider_key_passes if {
	a := vault("v", "sensitive", pmk, [])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_unencrypted_sensitive_vault_is_denied if {
	ds := denied([vault("v", "sensitive", off, [])])
	some f in ds
	f.asset == "v"
	f.level == "sensitive"
}

test_general_vault_is_ignored if {
	a := vault("v", "general", off, [])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_vault_with_unknown_encryption_is_not_assessed if {
	a := vault("v", "core", unknown, [])
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "v"
}

test_deleted_source_is_not_compared if {
	# "gone": the sweep read the source's whole account and region and it was not there.
	a := snapshot("snap", "sensitive", pmk, [{"id": "deleted", "relation": "snapshot", "missing": true, "gone": true}])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_snapshot_without_relation_field_uses_all_sources if {
	ds := denied([snapshot("snap", "core", pmk, [{"id": "db", "level": "core", "encryption": cmk}])])
	some f in ds
	f.related == ["db"]
}

# A source whose key could not be described (encrypted, key type unknown) may be
# customer-managed: a copy that is not customer-managed cannot be said to match it.
key_unknown := {"enabled": true, "key_type": null, "key_id": "arn:aws:kms:cn-north-1:111111111111:key/k"}

# copy state, source state -> "deny" | "not_assessed" | "pass"
enc002_cases := [
	[pmk, key_unknown, "not_assessed"],
	[pmk, unknown, "not_assessed"],
	[cmk, key_unknown, "pass"],
	[cmk, unknown, "pass"],
	[key_unknown, key_unknown, "not_assessed"],
	[key_unknown, cmk, "not_assessed"],
	[key_unknown, pmk, "pass"],
	[off, key_unknown, "deny"],
	[pmk, cmk, "deny"],
	[pmk, pmk, "pass"],
]

verdict(assets) := "deny" if {
	count(denied(assets)) > 0
} else := "not_assessed" if {
	count(unassessed(assets)) > 0
} else := "pass"

test_copy_of_a_source_with_an_unknown_key_is_never_passed if {
	got := [v |
		some c in enc002_cases
		v := verdict([snapshot("snap", "core", c[0], [src("db", "core", c[1])])])
	]
	got == [c[2] | some c in enc002_cases]
}

test_unknown_source_key_is_named_in_the_reason if {
	ns := unassessed([snapshot("snap", "important", pmk, [src("db", "important", key_unknown)])])
	count(ns) == 1
	some n in ns
	n.reason.sources == ["db"]
}

test_copy_of_a_source_outside_the_inventory_is_not_assessed if {
	missing := {"id": "db-elsewhere", "relation": "snapshot", "missing": true}
	weak := snapshot("snap", "core", pmk, [missing])
	ns := unassessed([weak])
	count(ns) == 1
	some n in ns
	n.reason.sources == ["db-elsewhere"]
	count(denied([weak])) == 0
	# A customer-managed copy is as strong as any source: nothing to compare.
	count(unassessed([snapshot("snap2", "core", cmk, [missing])])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_enc_002.assessed with input as {"assets": assets}
}

test_assessed_lists_copies_and_vaults_whose_encryption_was_read if {
	snap := {"id": "s", "kind": "snapshot", "level": {"value": "core"}, "encryption": {"at_rest": {"enabled": true, "key_type": "customer_managed"}}}
	vault := {"id": "v", "kind": "backup_vault", "level": {"value": "core"}, "encryption": {"at_rest": {"enabled": true, "key_type": "customer_managed"}}}
	low_vault := {"id": "lv", "kind": "backup_vault", "level": {"value": "general"}}
	assessed_ids([snap, vault, low_vault]) == {"s", "v", "lv"}
}

test_stores_that_copy_nothing_and_unread_copies_are_not_assessed if {
	store := {"id": "db", "kind": "database", "level": {"value": "core"}, "encryption": {"at_rest": {"enabled": true, "key_type": "customer_managed"}}}
	unread := {"id": "s", "kind": "snapshot", "level": {"value": "core"}}
	assessed_ids([store, unread]) == set()
}
