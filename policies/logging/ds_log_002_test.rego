package dsscan.policy.ds_log_002_test

import rego.v1

sink(id, days, unlimited, lock) := {"sink": id, "kind": "cloudtrail_data_events", "via": "trail", "retention_days": days, "unlimited": unlimited, "object_lock_days": lock}

store(level, need, outsourced, logs) := {
	"id": "s", "name": "loans", "kind": "table", "level": {"value": level},
	"ctx": {"operation_logs": logs, "operation_logs_unknown": [], "log_retention_required_days": need, "outsourced": outsourced},
}

denied(assets) := x if {
	x := data.dsscan.policy.ds_log_002.deny with input as {"assets": assets}
}

unassessed(assets) := x if {
	x := data.dsscan.policy.ds_log_002.not_assessed with input as {"assets": assets}
}

assessed_ids(assets) := x if {
	x := data.dsscan.policy.ds_log_002.assessed with input as {"assets": assets}
}

test_core_log_kept_90_days_is_denied if {
	ds := denied([store("core", 1095, false, [sink("lg", 90, false, null)])])
	count(ds) == 1
	some f in ds
	f.level == "core"
	f.message == {
		"template": "Operation logs of {asset} keep {kept} days; {level} data{why} needs {need} (Art. 43).",
		"kept": 90, "why": "", "need": 1095,
	}
	f.evidence.kept_days == 90
	f.evidence.required_days == 1095
}

test_important_log_kept_a_year_passes if {
	a := store("important", 365, false, [sink("lg", 365, false, null)])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed_ids([a]) == {"s"}
}

test_one_day_short_is_denied if {
	count(denied([store("sensitive", 365, false, [sink("lg", 364, false, null)])])) == 1
}

test_never_expiring_sink_passes if {
	a := store("core", 1095, false, [sink("lg", null, true, null)])
	count(denied([a])) == 0
	assessed_ids([a]) == {"s"}
}

test_object_lock_long_enough_passes if {
	a := store("core", 1095, false, [sink("bkt", 90, false, 1095)])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_best_sink_is_quoted if {
	some f in denied([store("core", 1095, false, [sink("a", 30, false, null), sink("b", 400, false, null)])])
	f.evidence.kept_days == 400
	f.evidence.sinks == ["a", "b"]
}

test_one_long_sink_is_enough if {
	a := store("core", 1095, false, [sink("a", 30, false, null), sink("b", null, true, null)])
	count(denied([a])) == 0
}

test_outsourced_store_says_so if {
	some f in denied([store("important", 1095, true, [sink("a", 400, false, null)])])
	f.message.why == " (marked outsourced or co-processed)"
	f.message.need == 1095
	f.message.kept == 400
}

test_unknown_retention_is_not_assessed if {
	a := store("core", 1095, false, [sink("a", 30, false, null), sink("lg", null, null, null)])
	count(denied([a])) == 0
	some n in unassessed([a])
	n.reason == {"template": "the retention of its log sink could not be read: {sinks}", "sinks": ["lg"]}
	assessed_ids([a]) == set()
}

test_unknown_retention_beside_a_long_sink_passes if {
	a := store("core", 1095, false, [sink("b", null, true, null), sink("lg", null, null, null)])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed_ids([a]) == {"s"}
}

test_store_without_logs_is_left_to_ds_log_001 if {
	a := store("core", 1095, false, [])
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_general_store_has_no_duty if {
	a := store("general", null, false, [sink("a", 1, false, null)])
	count(denied([a])) == 0
	assessed_ids([a]) == {"s"}
}
