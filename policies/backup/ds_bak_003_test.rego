package dsscan.policy.ds_bak_003_test

import rego.v1

private := {"public": false, "wildcard_principal": false, "shared_with": []}

vault(id, level, access) := {
	"id": id, "name": id, "kind": "backup_vault",
	"level": {"value": level},
	"access": access,
	"ctx": {"contents": []},
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_bak_003.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_bak_003.not_assessed with input as {"assets": assets}
}

test_public_vault_is_denied if {
	ds := denied([vault("v", "important", object.union(private, {"public": true}))])
	count(ds) == 1
	some f in ds
	f.asset == "v"
	f.level == "important"
	"public" in f.message.problems
}

test_private_vault_passes if {
	a := vault("v", "important", private)
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_wildcard_principal_is_denied if {
	ds := denied([vault("v", "sensitive", object.union(private, {"wildcard_principal": true}))])
	some f in ds
	f.asset == "v"
	f.evidence.wildcard_principal == true
}

test_snapshot_shared_with_all_is_denied if {
	s := {
		"id": "snap", "name": "db-snap", "kind": "snapshot", "level": {"value": "core"},
		"access": {"public": null, "shared_with": ["222222222222", "all"]},
	}
	ds := denied([s])
	some f in ds
	f.asset == "snap"
	f.level == "core"
	"shared with all accounts" in f.message.problems
}

test_snapshot_shared_with_named_account_passes if {
	s := {"id": "snap", "kind": "snapshot", "level": {"value": "core"}, "access": {"shared_with": ["222222222222"]}}
	count(denied([s])) == 0
	count(unassessed([s])) == 0
}

test_backup_bucket_public_is_denied if {
	b := {
		"id": "bkt", "kind": "object_store", "level": {"value": "sensitive"},
		"backup": {"backup_of": ["db"]}, "access": {"public": true},
	}
	ds := denied([b])
	some f in ds
	f.asset == "bkt"
}

test_ordinary_bucket_is_out_of_scope if {
	b := {"id": "bkt", "kind": "object_store", "level": {"value": "sensitive"}, "access": {"public": true}}
	count(denied([b])) == 0
	count(unassessed([b])) == 0
}

test_unknown_access_is_not_assessed if {
	a := vault("v", "important", null)
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "v"
}

test_recovery_point_without_access_is_judged_by_its_vault if {
	rp := {"id": "rp", "kind": "backup", "level": {"value": "core"}, "access": null, "ctx": {"vault": {"id": "v"}}}
	count(denied([rp])) == 0
	count(unassessed([rp])) == 0
}

# Locks are DS-BAK-005's: an unlocked or unread lock is no DS-BAK-003 finding nor gap.
test_vault_lock_is_not_judged_here if {
	unlocked := vault("v", "core", object.union(private, {"lock": {"enabled": false}}))
	count(denied([unlocked])) == 0
	count(unassessed([unlocked])) == 0
	count(unassessed([vault("w", "core", private)])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_bak_003.assessed with input as {"assets": assets}
}

test_assessed_lists_backup_storage_whose_access_was_read if {
	vault := {"id": "v", "kind": "backup_vault", "level": {"value": "sensitive"}, "access": {"public": false}}
	bucket := {"id": "b", "kind": "object_store", "level": {"value": "sensitive"}, "backup": {"backup_of": ["db"]}, "access": {"public": true}}
	assessed_ids([vault, bucket]) == {"v", "b"}
}

test_plain_buckets_and_unread_access_are_not_assessed if {
	plain := {"id": "p", "kind": "object_store", "level": {"value": "sensitive"}, "backup": {"backup_of": []}, "access": {"public": false}}
	unread := {"id": "v", "kind": "backup_vault", "level": {"value": "sensitive"}}
	assessed_ids([plain, unread]) == set()
}
