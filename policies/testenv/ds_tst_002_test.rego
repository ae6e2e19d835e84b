package dsscan.policy.ds_tst_002_test

import rego.v1

store(id, env, level, content) := {
	"id": id, "name": id, "kind": "database",
	"level": {"value": level},
	"environment": {"value": env},
	"content": content,
}

sampled(detections) := {"status": "sampled", "sample": {"rows": 100}, "detections": detections}

id_numbers := {
	"detector": "prc_resident_id", "location": "customers.id_no",
	"unmasked": 12, "masked": 3, "sampled": 15,
	"evidence": ["110101********1234"],
}

masked_cards := {"detector": "bank_card", "location": "cards.pan", "unmasked": 0, "masked": 20, "evidence": ["6222 **** **** 1234"]}

denied(assets) := d if {
	d := data.dsscan.policy.ds_tst_002.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_tst_002.not_assessed with input as {"assets": assets}
}

test_unmasked_ids_in_test_store_are_denied if {
	ds := denied([store("test-db", "test", "sensitive", sampled([id_numbers, masked_cards]))])
	count(ds) == 1
	some f in ds
	f.asset == "test-db"
	f.level == "sensitive"
	f.message.template == "{asset} in the {environment} environment holds {unmasked} unmasked value(s) found by {detectors}."
	f.message.environment == "test"
	f.message.unmasked == "12"
	f.message.detectors == ["prc_resident_id"]
	count(f.evidence.detections) == 1
	f.evidence.detections[0].examples == ["110101********1234"]
	f.evidence.detections[0].location == "customers.id_no"
}

test_masked_data_in_test_store_passes if {
	count(denied([store("test-db", "test", "sensitive", sampled([masked_cards]))])) == 0
}

test_unmasked_data_in_production_is_not_this_policy if {
	count(denied([store("db", "production", "core", sampled([id_numbers]))])) == 0
}

test_level_is_at_least_sensitive if {
	ds := denied([store("dev-db", "development", "unclassified", sampled([id_numbers]))])
	some f in ds
	f.asset == "dev-db"
	f.level == "sensitive"
	ds2 := denied([store("dev-db", "development", "core", sampled([id_numbers]))])
	some f2 in ds2
	f2.level == "core"
}

test_sampling_error_is_not_assessed if {
	a := store("test-db", "test", "sensitive", {"status": "error", "reason": "access denied"})
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "test-db"
	n.reason == {"template": "content sampling failed: {reason}", "reason": "access denied"}
}

test_sampling_error_without_a_reason_is_still_not_assessed if {
	every content in [{"status": "error"}, {"status": "error", "reason": ""}, {"status": "error", "reason": null}] {
		unassessed([store("test-db", "test", "sensitive", content)]) == {{"asset": "test-db", "reason": "content sampling failed"}}
	}
}

test_not_sampled_is_neither_finding_nor_gap if {
	a := store("test-db", "test", "sensitive", {"status": "not_sampled"})
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	b := store("test-db2", "test", "sensitive", null)
	count(denied([b])) == 0
	count(unassessed([b])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_tst_002.assessed with input as {"assets": assets}
}

test_assessed_lists_sampled_test_stores_and_stores_outside_test if {
	sampled := {"id": "s", "kind": "database", "environment": {"value": "test"}, "content": {"status": "sampled", "detections": []}}
	prod := {"id": "p", "kind": "database", "environment": {"value": "production"}}
	assessed_ids([sampled, prod]) == {"s", "p"}
}

test_a_test_store_never_sampled_is_not_applicable_never_passed if {
	unsampled := {"id": "u", "kind": "database", "environment": {"value": "test"}}
	failed := {"id": "e", "kind": "database", "environment": {"value": "test"}, "content": {"status": "error"}}
	assessed_ids([unsampled, failed]) == set()
}
