package dsscan.policy.ds_log_001_test

import rego.v1

trail_log := {"sink": "log-bucket", "kind": "cloudtrail_data_events", "via": "org-trail", "retention_days": null, "unlimited": true, "object_lock_days": null}

store(id, kind, level, logs, unknown) := {
	"id": id, "name": id, "kind": kind, "level": {"value": level},
	"ctx": {"operation_logs": logs, "operation_logs_unknown": unknown},
}

denied(assets) := x if {
	x := data.dsscan.policy.ds_log_001.deny with input as {"assets": assets}
}

unassessed(assets) := x if {
	x := data.dsscan.policy.ds_log_001.not_assessed with input as {"assets": assets}
}

assessed_ids(assets) := x if {
	x := data.dsscan.policy.ds_log_001.assessed with input as {"assets": assets}
}

test_unlogged_core_bucket_is_denied if {
	ds := denied([store("b", "object_store", "core", [], [])])
	count(ds) == 1
	some f in ds
	f.asset == "b"
	f.level == "core"
	f.message.template == "Operations on {level} store {asset} are not logged: {why} (Art. 43)."
	f.message.why == "no CloudTrail data-event selector covers it and server access logging is off"
	not "level" in object.keys(f.message) # dsscan fills the store's own level_label
}

test_logged_bucket_passes if {
	a := store("b", "object_store", "core", [trail_log], [])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed_ids([a]) == {"b"}
}

test_each_logged_kind_is_judged if {
	ds := denied([
		store("t", "table", "sensitive", [], []),
		store("w", "warehouse", "important", [], []),
		store("f", "file_system", "core", [], []),
	])
	{f.asset | some f in ds} == {"t", "w"}
}

test_database_audit_enabled_not_exported if {
	db := object.union(store("db", "database", "important", [], []), {"logging": {"audit": {"enabled": true, "destinations": []}}})
	some f in denied([db])
	f.message.why == "its audit log is enabled but not exported to CloudWatch Logs or S3"
}

test_database_audit_off if {
	db := object.union(store("db", "database", "important", [], []), {"logging": {"audit": {"enabled": false, "destinations": null}}})
	some f in denied([db])
	f.message.why == "its audit log is off"
}

test_unknown_is_not_assessed_not_passed if {
	a := store("b", "object_store", "core", [], ["CloudTrail trails of its account and Region could not be read"])
	count(denied([a])) == 0
	some n in unassessed([a])
	n.asset == "b"
	n.reason.template == "operation logs could not be read: {unknown}"
	n.reason.unknown == "CloudTrail trails of its account and Region could not be read"
	assessed_ids([a]) == set()
}

test_a_found_log_outweighs_an_unknown_one if {
	a := store("b", "object_store", "core", [trail_log], ["its server access logging could not be read"])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed_ids([a]) == {"b"}
}

test_unresolved_input_is_not_assessed if {
	a := {"id": "b", "kind": "object_store", "level": {"value": "core"}}
	count(denied([a])) == 0
	count(unassessed([a])) == 1
}

test_general_store_has_no_duty if {
	a := store("g", "object_store", "general", [], [])
	count(denied([a])) == 0
	assessed_ids([a]) == {"g"}
}

test_unclassified_is_protected_as_sensitive if {
	some f in denied([store("u", "table", "unclassified", [], [])])
	f.asset == "u"
	# {level}: "unclassified (protected as sensitive)", filled by dsscan from the store
	contains(f.message.template, "Operations on {level} store {asset}")
	not "level" in object.keys(f.message)
	f.message.why == "no CloudTrail data-event selector covers it"
}

test_several_unknowns_are_joined_by_semicolons if {
	a := store("b", "object_store", "core", [], ["x could not be read", "y could not be read"])
	some n in unassessed([a])
	n.reason.unknown == "x could not be read; y could not be read"
}

test_unreadable_store_is_left_to_python if {
	a := object.union(store("b", "object_store", "core", [], []), {"assessment": {"status": "not_assessed"}})
	count(denied([a])) == 0
}
