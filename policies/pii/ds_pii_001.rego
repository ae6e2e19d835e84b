# METADATA
# title: No personal identifiers in clear in logs, exports or query results
# description: |
#   Art. 45: personal identification data is not kept in clear outside the stores governed
#   for it. Content sampling (--sample-data) read a bounded sample of the events of a
#   CloudWatch Logs group, and of the prefixes of a bucket that hold exports or Athena query
#   results (a workgroup's output location, an export-like prefix such as exports/ or
#   AWSDynamoDB/), and found values that are not masked: resident ID numbers, bank cards,
#   mobile numbers, ... The finding is at sensitive level, or the asset's own level when it
#   is known to be higher. Evidence lists the detectors, counts and masked examples only. A
#   log group or prefix whose sampling failed is not assessed; one not sampled is not judged.
# custom:
#   id: DS-PII-001
#   articles: [45]
#   remediation: |
#     Mask or tokenize identifiers before they are logged or exported (log formatters and
#     query projections that emit masked forms), purge the events and objects that hold them
#     in clear (shorter log retention, lifecycle expiry on export and query-result prefixes),
#     and move data that must stay in clear to a governed store.
#   kinds: [log_sink, object_store]
#   reads: [content]
package dsscan.policy.ds_pii_001

import rego.v1

count_of(d, key) := n if {
	n := object.get(d, key, 0)
	is_number(n)
} else := 0

unmasked(content) := [d |
	some d in data.dsscan.lib.list(content, ["detections"])
	is_object(d)
	count_of(d, "unmasked") > 0
]

level(a) := data.dsscan.lib.highest([data.dsscan.lib.level_of(a), "sensitive"])

evidence(ds) := {"detections": [{
	"detector": object.get(d, "detector", null),
	"location": object.get(d, "location", null),
	"unmasked": count_of(d, "unmasked"),
	"masked": count_of(d, "masked"),
	"examples": data.dsscan.lib.list(d, ["evidence"]),
} |
	some d in ds
]}

detectors(ds) := sort({x | some d in ds; x := d.detector; is_string(x)})

# As text, written here: a sum beyond 64 bits reaches Python as a rounded float.
total(ds) := sprintf("%d", [sum([count_of(d, "unmasked") | some d in ds])])

# The CloudWatch Logs groups and the buckets with export prefixes, read once.
log_groups := [a |
	some a in data.dsscan.lib.assets
	a.kind == "log_sink"
	is_object(a.content)
]

export_entries := [{"a": a, "e": e} |
	some a in data.dsscan.lib.assets
	a.kind == "object_store"
	some e in data.dsscan.lib.list(a, ["exports"])
	is_object(e)
]

deny contains finding if {
	some a in log_groups
	a.content.status == "sampled"
	ds := unmasked(a.content)
	count(ds) > 0
	finding := {
		"asset": a.id,
		"key": "log",
		"level": level(a),
		"message": {
			"template": "{asset} is a log that holds {unmasked} identifier(s) in clear found by {detectors}.",
			"unmasked": total(ds),
			"detectors": detectors(ds),
		},
		"evidence": evidence(ds),
	}
}

deny contains finding if {
	some x in export_entries
	x.e.content.status == "sampled"
	ds := unmasked(x.e.content)
	count(ds) > 0
	prefix := object.get(x.e, "prefix", "")
	finding := {
		"asset": x.a.id,
		"key": concat("", ["export:", prefix]),
		"level": level(x.a),
		"message": {
			"template": "{asset} holds {unmasked} identifier(s) in clear under {prefix} ({origin}) found by {detectors}.",
			"unmasked": total(ds),
			"detectors": detectors(ds),
			"prefix": prefix,
			"origin": origin_label[object.get(x.e, "origin", "")],
		},
		"evidence": object.union(evidence(ds), {"prefix": prefix, "workgroup": object.get(x.e, "workgroup", null)}),
	}
}

default origin_label := {}

origin_label := {
	"athena_workgroup": "the output location of an Athena workgroup",
	"prefix_pattern": "an export prefix",
	"declared": "an export prefix",
	"": "an export prefix",
}

failed(prefix, reason) := {"template": "content sampling{of} failed: {reason}", "of": of(prefix), "reason": reason} if {
	is_string(reason)
	reason != ""
} else := {"template": "content sampling{of} failed", "of": of(prefix)}

of(prefix) := "" if prefix == null else := {"template": " of {prefix}", "prefix": prefix}

not_assessed contains item if {
	some a in log_groups
	a.content.status == "error"
	item := {"asset": a.id, "reason": failed(null, object.get(a.content, "reason", null))}
}

not_assessed contains item if {
	some x in export_entries
	x.e.content.status == "error"
	item := {"asset": x.a.id, "reason": failed(object.get(x.e, "prefix", ""), object.get(x.e.content, "reason", null))}
}

# Null: the bucket's prefixes could not be listed (an export may be there).
not_assessed contains item if {
	some a in data.dsscan.lib.assets
	a.kind == "object_store"
	"exports" in object.keys(a)
	a.exports == null
	item := {"asset": a.id, "reason": "export prefixes could not be listed"}
}

# Assessed: log groups whose events were sampled; buckets with at least one export prefix
# sampled. A group or bucket never sampled, or not sampled, is not applicable, never passed.
assessed := union({
	{a.id | some a in log_groups; a.content.status == "sampled"},
	{x.a.id | some x in export_entries; x.e.content.status == "sampled"},
})
