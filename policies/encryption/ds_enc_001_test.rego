package dsscan.policy.ds_enc_001_test

import rego.v1

store(id, kind, level, at_rest) := {
	"id": id, "name": id, "kind": kind,
	"level": {"value": level},
	"environment": {"value": "production"},
	"encryption": {"at_rest": at_rest},
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_enc_001.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_enc_001.not_assessed with input as {"assets": assets}
}

test_unencrypted_sensitive_bucket_is_denied if {
	ds := denied([store("bkt", "object_store", "sensitive", {"enabled": false, "key_type": null})])
	count(ds) == 1
	some f in ds
	f.asset == "bkt"
	f.level == "sensitive"
	contains(f.message.template, "not encrypted at rest")
	f.evidence.encryption_enabled == false
}

test_encrypted_sensitive_bucket_passes if {
	a := store("bkt", "object_store", "sensitive", {"enabled": true, "key_type": "provider_managed"})
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_key_type_none_counts_as_unencrypted if {
	ds := denied([store("c", "cache", "important", {"enabled": null, "key_type": "none"})])
	some f in ds
	f.asset == "c"
	f.level == "important"
}

test_core_database_with_provider_key_is_denied if {
	ds := denied([store("db", "database", "core", {"enabled": true, "key_type": "provider_managed"})])
	count(ds) == 1
	some f in ds
	f.asset == "db"
	f.level == "core"
	contains(f.message.template, "provider-managed")
}

test_core_database_with_customer_key_passes if {
	a := store("db", "database", "core", {"enabled": true, "key_type": "customer_managed", "key_id": "k1"})
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_sensitive_with_provider_key_passes if {
	count(denied([store("db", "database", "sensitive", {"enabled": true, "key_type": "provider_managed"})])) == 0
}

test_general_store_unencrypted_is_ignored if {
	a := store("g", "object_store", "general", {"enabled": false})
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_unclassified_store_is_protected_as_sensitive if {
	ds := denied([store("u", "object_store", "unclassified", {"enabled": false})])
	some f in ds
	f.asset == "u"
	f.level == "unclassified"
	# the level is named in Python (dsscan/messages.py: "unclassified (protected as sensitive)")
	contains(f.message.template, "{level}")
}

test_unclassified_protected_as_core_needs_customer_key if {
	a := store("u", "database", "unclassified", {"enabled": true, "key_type": "provider_managed"})
	count(denied([a])) == 0
	ds := denied([a]) with data.dsscan.config as {"unclassified_protection_level": "core"}
	some f in ds
	f.asset == "u"
	f.level == "unclassified"
}

test_unknown_encryption_is_not_assessed if {
	a := store("db", "database", "core", {"enabled": null, "key_type": null})
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "db"
}

test_missing_encryption_block_is_not_assessed if {
	a := {"id": "db", "kind": "database", "level": {"value": "sensitive"}, "encryption": null}
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "db"
}

test_core_with_unknown_key_type_is_not_assessed if {
	a := store("db", "database", "core", {"enabled": true, "key_type": null})
	count(denied([a])) == 0
	some n in unassessed([a])
	contains(n.reason.template, "key type")
}

test_table_uses_parent_encryption if {
	t := {
		"id": "tbl", "kind": "table", "level": {"value": "important"}, "encryption": null,
		"ctx": {"parent": {"id": "db", "kind": "database", "encryption": {"at_rest": {"enabled": false}}}},
	}
	ds := denied([t])
	some f in ds
	f.asset == "tbl"
	f.related == ["db"]
	f.message.whose == {"template": " (judged by its parent {parent})", "parent": "db"}
	f.level == "important"
	count(unassessed([t])) == 0
}

test_table_with_encrypted_parent_passes if {
	t := {
		"id": "tbl", "kind": "table", "level": {"value": "important"}, "encryption": null,
		"ctx": {"parent": {"id": "db", "encryption": {"enabled": true, "key_type": "customer_managed"}}},
	}
	count(denied([t])) == 0
	count(unassessed([t])) == 0
}

test_not_assessed_asset_is_skipped if {
	a := object.union(
		store("db", "database", "core", {"enabled": false}),
		{"assessment": {"status": "not_assessed"}},
	)
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_non_store_kinds_are_ignored if {
	a := store("snap", "snapshot", "core", {"enabled": false})
	count(denied([a])) == 0
}

test_unencrypted_sensitive_block_volume_is_denied if {
	ds := denied([store("vol", "volume", "sensitive", {"enabled": false, "key_type": "none"})])
	some f in ds
	f.asset == "vol"
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_enc_001.assessed with input as {"assets": assets}
}

enc_store(id, level, enc) := {"id": id, "kind": "database", "level": {"value": level}, "encryption": enc}

test_assessed_lists_stores_whose_key_was_read_and_those_below_sensitive if {
	got := assessed_ids([
		enc_store("cmk", "core", {"at_rest": {"enabled": true, "key_type": "customer_managed"}}),
		enc_store("aws", "sensitive", {"at_rest": {"enabled": true, "key_type": "provider_managed"}}),
		enc_store("off", "core", {"at_rest": {"enabled": false, "key_type": "none"}}),
		enc_store("low", "general", null),
	])
	got == {"cmk", "aws", "off", "low"}
}

test_a_store_whose_encryption_was_not_read_is_not_assessed_as_passed if {
	got := assessed_ids([enc_store("unknown", "core", null)])
	got == set()
}
