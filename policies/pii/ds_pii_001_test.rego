package dsscan.policy.ds_pii_001_test

import rego.v1

ids := {
	"detector": "prc_resident_id", "location": "events",
	"unmasked": 12, "masked": 3, "sampled": 15,
	"evidence": ["110101********1234 (line 4)"],
}

masked_cards := {"detector": "bank_card", "location": "events", "unmasked": 0, "masked": 20, "evidence": ["6222 **** **** 1234"]}

mobiles := {"detector": "mobile_phone", "location": "events", "unmasked": 5, "masked": 0, "evidence": ["138****5678"]}

sampled(detections) := {"status": "sampled", "sample": {"rows": 100}, "detections": detections}

group(id, level, content) := {
	"id": id, "name": id, "kind": "log_sink", "type": "AWS::Logs::LogGroup",
	"level": {"value": level},
	"log": {"service": "cloudwatch_logs"},
	"content": content,
}

bucket(id, level, exports) := {
	"id": id, "name": id, "kind": "object_store",
	"level": {"value": level},
	"exports": exports,
}

export(prefix, origin, content) := {"prefix": prefix, "origin": origin, "workgroup": "analysts", "content": content}

denied(assets) := r if {
	r := data.dsscan.policy.ds_pii_001.deny with input as {"assets": assets}
}

unassessed(assets) := r if {
	r := data.dsscan.policy.ds_pii_001.not_assessed with input as {"assets": assets}
}

assessed_ids(assets) := r if {
	r := data.dsscan.policy.ds_pii_001.assessed with input as {"assets": assets}
}

# --- log groups: a table of contents and what they come to ------------------------------------

log_cases := [
	# [content, denied?, not assessed?, assessed?]
	[sampled([ids]), true, false, true],
	[sampled([ids, masked_cards, mobiles]), true, false, true],
	[sampled([masked_cards]), false, false, true],
	[sampled([]), false, false, true],
	[{"status": "sampled"}, false, false, true],
	[{"status": "error", "reason": "logs:FilterLogEvents AccessDenied"}, false, true, false],
	[{"status": "error"}, false, true, false],
	[{"status": "not_sampled", "reason": "no log events in the last 168 hours"}, false, false, false],
	[null, false, false, false],
	# unmasked counts that are not numbers are no finding (and not a pass either way)
	[sampled([object.union(ids, {"unmasked": "12"})]), false, false, true],
]

test_log_group_table if {
	every i, c in log_cases {
		a := group(sprintf("g%d", [i]), "unclassified", c[0])
		(count(denied([a])) == 1) == c[1]
		(count(unassessed([a])) == 1) == c[2]
		(a.id in assessed_ids([a])) == c[3]
	}
}

test_log_finding_is_sensitive_or_the_known_higher_level if {
	every pair in [["unclassified", "sensitive"], ["general", "sensitive"], ["sensitive", "sensitive"], ["important", "important"], ["core", "core"]] {
		some f in denied([group("g", pair[0], sampled([ids]))])
		f.level == pair[1]
	}
}

test_log_finding_carries_masked_evidence_and_a_template if {
	some f in denied([group("/app/payments", "unclassified", sampled([ids, masked_cards, mobiles]))])
	f.asset == "/app/payments"
	f.key == "log"
	f.message.template == "{asset} is a log that holds {unmasked} identifier(s) in clear found by {detectors}."
	f.message.unmasked == "17"
	f.message.detectors == ["mobile_phone", "prc_resident_id"]
	count(f.evidence.detections) == 2
	some d in f.evidence.detections
	d.detector == "prc_resident_id"
	d.examples == ["110101********1234 (line 4)"]
}

test_log_error_reason_is_a_template if {
	unassessed([group("g", "general", {"status": "error", "reason": "logs:FilterLogEvents throttled past retries (ThrottlingException)"})]) == {{
		"asset": "g",
		"reason": {"template": "content sampling{of} failed: {reason}", "of": "", "reason": "logs:FilterLogEvents throttled past retries (ThrottlingException)"},
	}}
}

# --- export prefixes -----------------------------------------------------------------------

export_cases := [
	# [exports, findings, not assessed items, assessed?]
	[[export("results/", "athena_workgroup", sampled([ids]))], 1, 0, true],
	[[export("results/", "athena_workgroup", sampled([ids])), export("exports/", "prefix_pattern", sampled([mobiles]))], 2, 0, true],
	[[export("exports/", "prefix_pattern", sampled([masked_cards]))], 0, 0, true],
	[[export("exports/", "prefix_pattern", {"status": "error", "reason": "s3:ListBucket AccessDenied"})], 0, 1, false],
	[[export("exports/", "prefix_pattern", {"status": "error", "reason": "x"}), export("results/", "athena_workgroup", sampled([]))], 0, 1, true],
	[[export("exports/", "prefix_pattern", {"status": "not_sampled"})], 0, 0, false],
	[[{"prefix": "exports/"}], 0, 0, false],
	[[], 0, 0, false],
	[null, 0, 1, false],
]

test_export_table if {
	every i, c in export_cases {
		a := bucket(sprintf("b%d", [i]), "unclassified", c[0])
		count(denied([a])) == c[1]
		count(unassessed([a])) == c[2]
		(a.id in assessed_ids([a])) == c[3]
	}
}

test_a_bucket_without_exports_is_not_applicable if {
	a := {"id": "b", "kind": "object_store", "content": sampled([ids])}
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed_ids([a]) == set()
}

test_export_finding_names_prefix_and_origin if {
	fs := denied([bucket("analytics", "important", [export("results/", "athena_workgroup", sampled([ids]))])])
	some f in fs
	f.asset == "analytics"
	f.key == "export:results/"
	f.level == "important"
	f.message.prefix == "results/"
	f.message.origin == "the output location of an Athena workgroup"
	f.evidence.prefix == "results/"
	f.evidence.workgroup == "analysts"
	f.evidence.detections[0].examples == ["110101********1234 (line 4)"]
}

test_export_without_origin_still_a_finding if {
	fs := denied([bucket("b", "unclassified", [{"prefix": "dump/", "content": sampled([ids])}])])
	some f in fs
	f.message.origin == "an export prefix"
	f.level == "sensitive"
}

test_export_error_names_the_prefix if {
	some n in unassessed([bucket("b", "general", [export("exports/", "prefix_pattern", {"status": "error", "reason": "s3:ListBucket AccessDenied"})])])
	n.reason.of == {"template": " of {prefix}", "prefix": "exports/"}
	n.reason.reason == "s3:ListBucket AccessDenied"
}

# --- scope: other kinds are not this policy's ----------------------------------------------

test_other_kinds_are_not_judged if {
	every kind in ["database", "table", "backup", "snapshot", "key"] {
		a := {"id": "x", "kind": kind, "content": sampled([ids]), "exports": [export("e/", "prefix_pattern", sampled([ids]))]}
		count(denied([a])) == 0
		count(unassessed([a])) == 0
		assessed_ids([a]) == set()
	}
}
