package dsscan.policy.ds_kms_001_test

import rego.v1

store(id, level, env) := {
	"id": id, "name": id, "kind": "database", "level": level,
	"protect_level": protect(level), "environment": env,
	"test": env == "test", "production": env == "production",
}

protect(level) := "sensitive" if level == "unclassified" else := level

healthy := {"rotation_enabled": true, "state": "Enabled", "deletion_date": null, "origin": "AWS_KMS", "decrypters": []}

key(facts, protects, outside) := {
	"id": "k1", "name": "ledger-key", "kind": "key",
	"kms": facts,
	"ctx": {
		"level": "unclassified", "rank": 0, "protect_level": "sensitive", "protect_rank": 2,
		"environment": "unknown", "test": false, "production": false, "assessable": true,
		"protects": protects, "decrypt_outside": outside,
	},
}

denied(k) := d if {
	d := data.dsscan.policy.ds_kms_001.deny with input as {"assets": [k]}
}

keys_of(k) := {f.key | some f in denied(k)}

unassessed(k) := r if {
	items := data.dsscan.policy.ds_kms_001.not_assessed with input as {"assets": [k]}
	r := {n.reason | some n in items}
}

assessed(k) := r if {
	r := data.dsscan.policy.ds_kms_001.assessed with input as {"assets": [k]}
}

core_prod := [store("db-core", "core", "production")]

# --- compliant

test_healthy_key_of_core_data_passes if {
	k := key(healthy, core_prod, [])
	count(denied(k)) == 0
	count(unassessed(k)) == 0
	assessed(k) == {"k1"}
}

# --- rotation

test_rotation_off_for_important_data_is_denied if {
	k := key(object.union(healthy, {"rotation_enabled": false}), [store("db", "important", "production")], [])
	some f in denied(k)
	f.key == "rotation_off"
	f.level == "important"
	not "related" in object.keys(f)
	contains(f.message.template, "automatic rotation of its key material is off{imported}.")
	f.message.level == "important"
	f.message.stores == ["db"]
	f.message.imported == ""
}

test_rotation_off_for_sensitive_data_only_passes if {
	k := key(object.union(healthy, {"rotation_enabled": false}), [store("db", "sensitive", "production")], [])
	count(denied(k)) == 0
	assessed(k) == {"k1"}
}

test_rotation_unknown_is_not_assessed if {
	k := key(object.union(healthy, {"rotation_enabled": null}), core_prod, [])
	count(denied(k)) == 0
	unassessed(k) == {"whether the key's rotation is on could not be read"}
}

test_imported_material_says_so if {
	k := key(object.union(healthy, {"rotation_enabled": false, "origin": "EXTERNAL"}), core_prod, [])
	some f in denied(k)
	f.key == "rotation_off"
	contains(f.message.imported, "imported")
}

# --- state

test_pending_deletion_is_denied_at_the_highest_level if {
	facts := object.union(healthy, {"state": "PendingDeletion", "deletion_date": "2026-12-14T00:00:00Z"})
	k := key(facts, [store("a", "sensitive", "production"), store("b", "core", "production"), store("c", "general", "production")], [])
	fs := [f | some f in denied(k); f.key == "pending_deletion"]
	count(fs) == 1
	f := fs[0]
	f.level == "core"
	f.message.stores == ["a", "b"]
	f.message.what == "pending deletion"
	f.message.when == {"template": " (deleted on {date})", "date": "2026-12-14T00:00:00Z"}
}

test_replica_pending_deletion_is_denied if {
	k := key(object.union(healthy, {"state": "PendingReplicaDeletion"}), core_prod, [])
	keys_of(k) == {"pending_deletion"}
}

test_disabled_key_is_denied if {
	k := key(object.union(healthy, {"state": "Disabled"}), [store("s", "sensitive", "staging")], [])
	keys_of(k) == {"disabled"}
}

test_pending_import_and_unavailable_are_unusable if {
	keys_of(key(object.union(healthy, {"state": "PendingImport"}), core_prod, [])) == {"disabled"}
	keys_of(key(object.union(healthy, {"state": "Unavailable"}), core_prod, [])) == {"disabled"}
}

test_pending_deletion_of_key_of_general_data_passes if {
	k := key(object.union(healthy, {"state": "PendingDeletion"}), [store("g", "general", "production")], [])
	count(denied(k)) == 0
	count(unassessed(k)) == 0
	count(assessed(k)) == 0
}

test_unclassified_store_counts_at_protection_level if {
	k := key(object.union(healthy, {"state": "PendingDeletion"}), [store("u", "unclassified", "production")], [])
	some f in denied(k)
	f.key == "pending_deletion"
	f.level == "unclassified"
	contains(f.message.template, "{level} data depends on it ({stores})")
	f.message.level == {"template": "unclassified (protected as {owed})", "owed": "sensitive"}
	f.message.stores == ["u"]
	f.message.when == ""
}

test_key_protecting_nothing_is_not_applicable if {
	k := key(object.union(healthy, {"state": "PendingDeletion", "rotation_enabled": null}), [], null)
	count(denied(k)) == 0
	count(unassessed(k)) == 0
	count(assessed(k)) == 0
}

test_state_unknown_is_not_assessed if {
	k := key(object.union(healthy, {"state": null}), core_prod, [])
	count(denied(k)) == 0
	"the key's state (enabled, disabled, pending deletion) could not be read" in unassessed(k)
}

test_no_key_facts_at_all_is_not_assessed_three_ways if {
	k := object.remove(key(healthy, core_prod, null), ["kms"])
	count(denied(k)) == 0
	count(unassessed(k)) == 3
}

# --- who may decrypt

test_decrypt_by_anyone_is_denied if {
	k := key(healthy, core_prod, [{"principal": "*", "account": null, "via": "key policy statement Open"}])
	some f in denied(k)
	f.key == "decrypt_outside"
	f.level == "core"
	f.message.who == "anyone (key policy statement Open)"
	f.evidence.anyone == true
}

test_decrypt_by_outside_account_is_denied if {
	k := key(healthy, [store("s", "sensitive", "production")], [{"principal": "arn:aws:iam::999999999999:root", "account": "999999999999", "via": "grant"}])
	some f in denied(k)
	f.key == "decrypt_outside"
	f.message.who == "account 999999999999 (outside the institution, via grant)"
	f.message.level == "sensitive"
}

test_decrypt_by_principal_of_unknown_account_is_denied if {
	k := key(healthy, core_prod, [{"principal": "someone", "account": null, "via": "grant"}])
	some f in denied(k)
	f.message.who == "someone (account not known, via grant)"
}

test_decrypt_unknown_is_not_assessed if {
	k := key(healthy, core_prod, null)
	count(denied(k)) == 0
	unassessed(k) == {"who may decrypt with the key (key policy, grants) could not be read"}
}

test_decrypt_by_another_organization_is_denied if {
	k := key(healthy, core_prod, [{"principal": "* (organization o-partner0001)", "account": null, "org": "o-partner0001", "via": "key policy statement Org"}])
	some f in denied(k)
	f.key == "decrypt_outside"
	f.message.who == "the accounts of organization o-partner0001 (not the institution's, via key policy statement Org)"
	f.evidence.anyone == false
}

test_decrypt_by_principals_not_placed_is_not_assessed_with_the_setting_to_set if {
	k0 := key(healthy, core_prod, null)
	k := object.union(k0, {"ctx": {"decrypt_unknown": ["it lets the accounts of an AWS Organization decrypt: set institution_organizations"]}})
	count(denied(k)) == 0
	unassessed(k) == {{
		"template": "who may decrypt with the key is not known: {why}",
		"why": "it lets the accounts of an AWS Organization decrypt: set institution_organizations",
	}}
}

test_decrypt_outside_of_key_of_general_data_passes if {
	k := key(healthy, [store("g", "general", "production")], [{"principal": "*", "account": null, "via": "key policy"}])
	count(denied(k)) == 0
}

# --- shared between production and test

test_shared_between_core_production_and_test_is_denied if {
	k := key(healthy, [store("prod", "core", "production"), store("t", "general", "test")], [])
	fs := [f | some f in denied(k); f.key == "shared_test_production"]
	count(fs) == 1
	fs[0].level == "core"
	fs[0].message.stores == ["prod"]
	fs[0].message.tests == ["t"]
	fs[0].message.level == "core"
}

test_shared_between_sensitive_production_and_test_passes if {
	k := key(healthy, [store("prod", "sensitive", "production"), store("t", "sensitive", "test")], [])
	count(denied(k)) == 0
}

test_shared_between_important_staging_and_test_passes if {
	k := key(healthy, [store("stg", "important", "staging"), store("t", "important", "test")], [])
	count(denied(k)) == 0
}

test_several_problems_give_one_finding_each if {
	facts := object.union(healthy, {"rotation_enabled": false, "state": "Disabled"})
	k := key(facts, [store("prod", "important", "production"), store("t", "general", "test")], [{"principal": "*", "account": null, "via": "key policy"}])
	keys_of(k) == {"rotation_off", "disabled", "decrypt_outside", "shared_test_production"}
}

test_long_lists_of_stores_are_shortened if {
	ps := [store(sprintf("db%d", [i]), "core", "production") | some i in numbers.range(1, 7)]
	k := key(object.union(healthy, {"state": "Disabled"}), ps, [])
	some f in denied(k)
	f.message.stores == {"template": "{first} and {more} more", "first": ["db1", "db2", "db3", "db4", "db5"], "more": 2}
	f.evidence.stores == 7
}

test_unassessable_key_is_skipped if {
	k := object.union(key(object.union(healthy, {"state": "Disabled"}), core_prod, []), {"ctx": {"assessable": false}})
	count(denied(k)) == 0
	count(assessed(k)) == 0
}

test_without_ctx_facts_the_library_fills_them if {
	k := object.remove(key(object.union(healthy, {"state": "Disabled"}), core_prod, []), ["ctx"])
	k2 := object.union(k, {"ctx": {"protects": core_prod, "decrypt_outside": []}})
	keys_of(k2) == {"disabled"}
}

test_several_principals_are_sorted_and_joined_by_semicolons if {
	who := [
		{"principal": "arn:aws:iam::999999999999:root", "account": "999999999999", "via": "grant"},
		{"principal": "*", "account": null, "via": "key policy"},
	]
	some f in denied(key(healthy, core_prod, who))
	f.message.who == "account 999999999999 (outside the institution, via grant); anyone (key policy)"
}

test_several_unplaced_principals_are_joined_by_semicolons if {
	k := object.union(key(healthy, core_prod, null), {"ctx": {"decrypt_unknown": ["a", "b"]}})
	some n in data.dsscan.policy.ds_kms_001.not_assessed with input as {"assets": [k]}
	n.reason.why == "a; b"
}

test_five_stores_are_all_named if {
	ps := [store(sprintf("db%d", [i]), "core", "production") | some i in numbers.range(1, 5)]
	some f in denied(key(object.union(healthy, {"state": "Disabled"}), ps, []))
	f.message.stores == ["db1", "db2", "db3", "db4", "db5"]
}
