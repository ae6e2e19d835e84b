package dsscan.policy.ds_bak_004_test

import rego.v1

rv(verified, extra) := object.union({"verified": verified, "within_days": 180, "by": null,
	"testing_selections": [], "last_successful_restore": null, "age_days": null,
	"restore_jobs": "read", "reason": null}, extra)

store(id, kind, level, r) := {
	"id": id, "name": id, "kind": kind,
	"level": {"value": level},
	"ctx": {"restore_verification": r},
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_bak_004.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_bak_004.not_assessed with input as {"assets": assets}
}

assessed(assets) := s if {
	s := data.dsscan.policy.ds_bak_004.assessed with input as {"assets": assets}
}

test_unverified_store_is_denied_with_the_period_and_last_restore if {
	ds := denied([store("db", "database", "core", rv(false, {"age_days": 400, "last_successful_restore": "2025-10-01T00:00:00Z"}))])
	count(ds) == 1
	some f in ds
	f.asset == "db"
	f.level == "core"
	f.key == "restore_not_verified"
	f.message.because.days == 180
	f.message.because.last == {"template": "the last completed on {date}", "date": "2025-10-01"}
	f.evidence.last_successful_restore == "2025-10-01T00:00:00Z"
}

test_never_restored_says_none_found if {
	some f in denied([store("b", "object_store", "sensitive", rv(false, {}))])
	f.message.because.last == "none was found"
}

test_plan_without_testing_selection_says_restore_jobs_are_not_in_a_plan if {
	some f in denied([store("b", "object_store", "important", rv(false, {"restore_jobs": "not_in_input"}))])
	contains(f.message.because, "not part of a Terraform plan")
	f.evidence.restore_jobs == "not_in_input"
}

test_verified_store_passes_and_is_assessed if {
	a := store("db", "database", "core", rv(true, {"by": "restore_testing", "testing_selections": ["p/s"]}))
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed([a]) == {"db"}
}

test_unknown_is_not_assessed_with_the_reason if {
	a := store("t", "table", "important", rv(null, {"reason": "its restore jobs could not be read"}))
	count(denied([a])) == 0
	some n in unassessed([a])
	n.reason == "its restore jobs could not be read"
	assessed([a]) == set()
}

test_nothing_read_is_not_assessed if {
	a := store("v", "volume", "sensitive", rv(null, {"reason": "whether its restores are verified was not read"}))
	count(denied([a])) == 0
	count(unassessed([a])) == 1
}

# Python gives null where DS-BAK-004 does not apply (an OpenSearch domain, a launch template).
test_not_applicable_without_python_fact if {
	a := store("search", "database", "core", null)
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed([a]) == set()
}

test_general_store_is_assessed_without_a_finding if {
	a := store("g", "database", "general", rv(false, {}))
	count(denied([a])) == 0
	assessed([a]) == {"g"}
}

test_copies_child_tables_and_caches_are_not_judged if {
	replica := object.union(store("r", "object_store", "core", rv(false, {})), {"replica_of": ["src"]})
	backup_bucket := object.union(store("bb", "object_store", "core", rv(false, {})), {"backup": {"backup_of": ["db"]}})
	child := object.union(store("t", "table", "core", rv(false, {})), {"ctx": {"parent": {"id": "db", "kind": "database"}}})
	cache := store("c", "cache", "core", null)
	assets := [replica, backup_bucket, child, cache]
	count(denied(assets)) == 0
	count(unassessed(assets)) == 0
	assessed(assets) == set()
}
