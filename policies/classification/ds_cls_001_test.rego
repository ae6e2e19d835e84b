package dsscan.policy.ds_cls_001_test

import rego.v1

denied(assets) := d if {
	d := data.dsscan.policy.ds_cls_001.deny with input as {"assets": assets}
}

test_unclassified_bucket_is_denied if {
	ds := denied([{"id": "bkt", "name": "misc-data", "kind": "object_store", "level": {"value": "unclassified"}}])
	count(ds) == 1
	some f in ds
	f.asset == "bkt"
	f.level == "unclassified"
	f.evidence.protected_as == "sensitive"
	f.message == {"template": "{kind} {asset} has no data level: no tag, catalogue rule, content sample or source gives it one.", "kind": "object_store"}
}

test_classified_bucket_passes if {
	count(denied([{"id": "bkt", "kind": "object_store", "level": {"value": "general"}}])) == 0
}

test_missing_level_is_unclassified if {
	ds := denied([{"id": "vault", "kind": "backup_vault", "level": null}])
	some f in ds
	f.asset == "vault"
}

test_copies_are_in_scope if {
	some f in denied([{"id": "snap", "kind": "snapshot"}])
	f.asset == "snap"
}

test_non_data_kinds_are_ignored if {
	count(denied([
		{"id": "vpc", "kind": "network_domain", "level": {"value": "unclassified"}},
		{"id": "sg", "kind": "security_group"},
		{"id": "k", "kind": "key"},
	])) == 0
}

test_not_assessed_asset_is_skipped if {
	count(denied([{"id": "bkt", "kind": "object_store", "assessment": {"status": "not_assessed"}}])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_cls_001.assessed with input as {"assets": assets}
}

test_assessed_lists_every_readable_data_asset if {
	got := assessed_ids([
		{"id": "a", "kind": "database", "level": {"value": "core"}},
		{"id": "b", "kind": "backup_vault", "level": null},
		{"id": "d", "kind": "network_domain", "level": {"value": "core"}},
		{"id": "x", "kind": "database", "assessment": {"status": "not_assessed"}},
	])
	got == {"a", "b"}
}
