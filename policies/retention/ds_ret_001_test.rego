package dsscan.policy.ds_ret_001_test

import rego.v1

ret(check, enforced, extra) := object.union({"days": 365, "until": null, "declared_by": "tag",
	"check": check, "enforced": enforced, "violations": [], "unknown": [],
	"created": null, "age_days": null}, extra)

asset(id, kind, level, r) := {
	"id": id, "name": id, "kind": kind,
	"level": {"value": level},
	"ctx": {"retention": r},
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_ret_001.deny with input as {"assets": assets}
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_ret_001.not_assessed with input as {"assets": assets}
}

assessed(assets) := s if {
	s := data.dsscan.policy.ds_ret_001.assessed with input as {"assets": assets}
}

# A table of violations: each gives a finding with its fragment.
violation_cases := [
	{"v": {"by": "lifecycle", "days": null, "date": null}, "why": "no enabled lifecycle expiration rule covers every object of the bucket"},
	{"v": {"by": "lifecycle", "days": 400, "date": null}, "why": {"template": "its lifecycle rules covering every object expire them only after {days} days (or on {date})", "days": 400, "date": null}},
	{"v": {"by": "noncurrent_versions", "days": 30, "date": null, "noncurrent_days": null}, "why": "its bucket is (or was) versioned and no enabled lifecycle rule covering every object expires noncurrent versions (an expired object stays as one)"},
	{"v": {"by": "noncurrent_versions", "days": 300, "date": null, "noncurrent_days": 90}, "why": {"template": "its bucket is (or was) versioned: an expired object stays as a noncurrent version {noncurrent_days} more days (current objects expire after {days} days or on {date})", "noncurrent_days": 90, "days": 300, "date": null}},
	{"v": {"by": "built_in_backup", "days": 35}, "why": {"template": "its built-in backups are kept {days} days", "days": 35}},
	{"v": {"by": "backup_plan", "days": null, "plan": "p", "rule": "r", "copy": false}, "why": "an AWS Backup plan rule keeps its recovery points (or their copies) forever"},
	{"v": {"by": "backup_plan", "days": 3650, "plan": "p", "rule": "r", "copy": true}, "why": {"template": "an AWS Backup plan rule keeps recovery points {days} days", "days": 3650}},
	{"v": {"by": "retention_ended", "until": "2020-01-01"}, "why": {"template": "its retention ended on {until} and it is still kept", "until": "2020-01-01"}},
]

test_each_violation_is_a_finding_with_its_reason if {
	every c in violation_cases {
		ds := denied([asset("b", "object_store", "important", ret("store", false, {"violations": [c.v]}))])
		count(ds) == 1
		some f in ds
		f.key == "retention_not_enforced"
		f.level == "important"
		f.message.why == [c.why]
		f.message.kept == {"template": "at most {days} days", "days": 365}
		f.evidence.violations == [c.v.by]
	}
}

test_an_old_copy_is_a_finding_with_its_age if {
	r := ret("copy", false, {"declared_by": "source", "created": "2001-01-01T00:00:00Z", "age_days": 9000, "violations": [{"by": "age", "days": 9000, "date": "2001-01-01"}]})
	some f in denied([asset("snap", "snapshot", "core", r)])
	f.key == "copy_past_retention"
	f.message.why == [{"template": "it was made on {date}", "date": "2001-01-01"}]
	f.evidence.age_days == 9000
	f.evidence.created == "2001-01-01T00:00:00Z"
	f.evidence.declared_by == "source"
}

test_days_and_date_are_both_named if {
	r := ret("store", false, {"until": "2030-01-01", "violations": [{"by": "lifecycle", "days": null, "date": null}]})
	some f in denied([asset("b", "object_store", "sensitive", r)])
	f.message.kept == {"template": "at most {days} days and until {until}", "days": 365, "until": "2030-01-01"}
}


test_enforced_passes_and_is_assessed if {
	every kind in ["object_store", "database", "snapshot", "backup", "volume"] {
		a := asset("x", kind, "core", ret({true: "copy", false: "store"}[kind in {"snapshot", "backup"}], true, {}))
		count(denied([a])) == 0
		count(unassessed([a])) == 0
		assessed([a]) == {"x"}
	}
}

test_unknown_is_not_assessed_with_what if {
	a := asset("b", "object_store", "sensitive", ret("store", null, {"unknown": ["which AWS Backup plans cover it was not read"]}))
	count(denied([a])) == 0
	some n in unassessed([a])
	n.reason.what == ["which AWS Backup plans cover it was not read"]
	assessed([a]) == set()
}

test_no_declared_retention_is_not_applicable if {
	a := asset("b", "object_store", "core", null)
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed([a]) == set()
}

test_below_sensitive_is_assessed_without_a_finding if {
	a := asset("g", "object_store", "general", ret("store", false, {"violations": [{"by": "lifecycle", "days": null, "date": null}]}))
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed([a]) == {"g"}
}

test_unclassified_owes_sensitive_protection if {
	a := asset("u", "snapshot", "unclassified", ret("copy", false, {"violations": [{"by": "age", "days": 400}]}))
	count(denied([a])) == 1
}

test_other_kinds_are_not_judged if {
	every kind in ["backup_vault", "network_domain", "key", "log_sink"] {
		a := asset("k", kind, "core", ret("store", false, {"violations": [{"by": "age", "days": 1}]}))
		count(denied([a])) == 0
		assessed([a]) == set()
	}
}
