package dsscan.policy.ds_tst_003_test

import rego.v1

store(id, env, level, desens) := {
	"id": id, "name": id, "kind": "object_store",
	"level": {"value": level, "provenance": [{"source": "tag", "level": level}]},
	"environment": {"value": env},
	"desensitization": desens,
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_tst_003.deny with input as {"assets": assets}
}

test_sensitive_test_store_without_record_is_denied if {
	ds := denied([store("test-bkt", "test", "important", null)])
	count(ds) == 1
	some f in ds
	f.asset == "test-bkt"
	f.level == "important"
	f.evidence.level_sources == ["tag"]
	f.message == {
		"template": "{asset} in the {environment} environment is classified {classified} but has no desensitization record.",
		"environment": "test",
		"classified": "important",
	}
}

test_sensitive_test_store_with_record_passes if {
	count(denied([store("test-bkt", "test", "important", {"record": "DSR-2025-004", "source": "tag"})])) == 0
}

test_empty_record_is_no_record if {
	ds := denied([store("test-bkt", "development", "sensitive", {"record": " ", "source": "tag"})])
	some f in ds
	f.asset == "test-bkt"
	ds2 := denied([store("test-bkt", "development", "sensitive", {"record": null, "source": "tag"})])
	count(ds2) == 1
}

test_general_test_store_passes if {
	count(denied([store("test-bkt", "test", "general", null)])) == 0
}

test_unclassified_test_store_is_left_to_ds_cls_001 if {
	count(denied([store("test-bkt", "test", "unclassified", null)])) == 0
}

test_production_store_is_ignored if {
	count(denied([store("bkt", "production", "core", null)])) == 0
}

test_test_snapshot_is_in_scope if {
	a := object.union(store("test-snap", "test", "core", null), {"kind": "snapshot"})
	some f in denied([a])
	f.asset == "test-snap"
	f.level == "core"
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_tst_003.assessed with input as {"assets": assets}
}

test_assessed_lists_every_readable_store_and_copy if {
	got := assessed_ids([
		{"id": "t", "kind": "database", "level": {"value": "core"}, "environment": {"value": "test"}},
		{"id": "s", "kind": "snapshot", "environment": {"value": "production"}},
		{"id": "d", "kind": "network_domain", "environment": {"value": "test"}},
		{"id": "x", "kind": "database", "assessment": {"status": "not_assessed"}},
	])
	got == {"t", "s"}
}
