package dsscan.policy.ds_bak_005_test

import rego.v1

vault(id, level, lock) := {
	"id": id, "name": id, "kind": "backup_vault",
	"level": {"value": level},
	"access": {"public": false, "lock": lock},
	"ctx": {"contents": []},
}

bucket(id, level, lock) := {
	"id": id, "name": id, "kind": "object_store",
	"level": {"value": level},
	"access": {"public": false, "lock": lock},
	"backup": {"backup_of": ["src"]},
}

compliance := {"enabled": true, "mode": "compliance"}

denied(assets) := d if {
	d := data.dsscan.policy.ds_bak_005.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_bak_005.not_assessed with input as {"assets": assets}
}

assessed(assets) := s if {
	s := data.dsscan.policy.ds_bak_005.assessed with input as {"assets": assets}
}

test_important_vault_without_lock_is_denied if {
	ds := denied([vault("v", "important", {"enabled": false})])
	count(ds) == 1
	some f in ds
	f.key == "no_lock"
	f.level == "important"
	f.message.lock == "vault lock"
	contains(f.message.template, "has no {lock}")
}

test_core_vault_in_governance_mode_is_denied if {
	some f in denied([vault("v", "core", {"enabled": true, "mode": "governance"})])
	f.key == "governance_mode"
	f.level == "core"
}

test_vault_holding_core_contents_is_judged_at_core if {
	a := object.union(vault("v", "general", {"enabled": false}), {"ctx": {"contents": [{"id": "rp", "level": "core"}]}})
	some f in denied([a])
	f.level == "core"
}

test_compliance_mode_passes if {
	xs := [vault("v", "core", compliance), bucket("b", "important", compliance)]
	count(denied(xs)) == 0
	count(unassessed(xs)) == 0
	assessed(xs) == {"v", "b"}
}

test_backup_bucket_without_object_lock_is_denied if {
	some f in denied([bucket("b", "important", {"enabled": false})])
	f.message.lock == "S3 Object Lock"
	f.key == "no_lock"
}

test_unknown_lock_or_mode_is_not_assessed if {
	xs := [vault("v", "core", {"enabled": null}), bucket("b", "core", {"enabled": true, "mode": null}), object.union(vault("w", "core", {}), {"access": {}})]
	count(denied(xs)) == 0
	count(unassessed(xs)) == 3
	assessed(xs) == set()
}

test_sensitive_storage_and_plain_buckets_are_not_judged if {
	plain := object.union(bucket("p", "core", {"enabled": false}), {"backup": {"backup_of": []}})
	xs := [vault("v", "sensitive", {"enabled": false}), bucket("b", "sensitive", {"enabled": false}), plain]
	count(denied(xs)) == 0
	count(unassessed(xs)) == 0
	assessed(xs) == set()
}
