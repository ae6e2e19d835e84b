# METADATA
# title: Operation logs are kept as long as the data's level requires
# description: |
#   Art. 43: logs of operations on data (and their backups) are kept at least 3 years
#   (1095 days) for core data, 1 year (365 days) for important and sensitive data, and 3 years
#   where the store is marked outsourced or co-processed (a tag: config outsourced_tag_keys).
#   The retention required of each store comes from its level (ctx.log_retention_required_days,
#   config log_retention_days); the store passes when one of its operation logs is kept that
#   long: a CloudWatch Logs group that never expires or keeps enough days, a log bucket whose
#   lifecycle keeps enough days or never expires them (or whose Object Lock default retention
#   is long enough), a CloudTrail Lake event data store with a long enough retention period.
#   A sink whose retention could not be read (not in the inventory, unreadable) leaves the
#   store not assessed when no other sink is long enough. Stores with no operation log at all
#   are DS-LOG-001's finding.
# custom:
#   id: DS-LOG-002
#   articles: [43]
#   remediation: |
#     Raise the retention of the log sink to at least the required days: the CloudWatch Logs
#     group's retention (retention_in_days 1096 or 1827, or never expire), the log bucket's
#     lifecycle expiration (or add an Object Lock default retention), the CloudTrail Lake
#     event data store's retention period. Copy logs to a longer-lived archive if the live
#     sink must stay short.
#   kinds: [object_store, table, database, warehouse]
#   reads: [logging]
package dsscan.policy.ds_log_002

import rego.v1

logged_kinds := {"object_store", "table", "database", "warehouse"}

# Each judged store once, with what every rule below needs: the days each of its sinks keeps
# the logs ("unlimited", a number, or null when unread) and whether one keeps them long
# enough. (Computed once per store: calling the per-sink helpers from each rule cost this
# policy ~95 µs per store at 100k assets, twice the rest of it.)
judged := [s |
	some a in data.dsscan.lib.protected_stores
	a.kind in logged_kinds
	count(a.ctx.operation_logs) > 0
	need := a.ctx.log_retention_required_days
	is_number(need)
	kept := [{"sink": object.get(e, "sink", null), "days": days(e)} | some e in a.ctx.operation_logs]
	s := {"a": a, "need": need, "kept": kept, "covered": covered(kept, need)}
]

# The days a sink keeps its logs: "unlimited", the longer of its retention and its object
# lock, or null when neither is known.
days(e) := "unlimited" if {
	e.unlimited == true
} else := max(ds) if {
	ds := [x |
		some x in [object.get(e, "retention_days", null), object.get(e, "object_lock_days", null)]
		is_number(x)
	]
	count(ds) > 0
} else := null

covered(kept, need) := true if {
	some k in kept
	k.days == "unlimited"
} else := true if {
	some k in kept
	is_number(k.days)
	k.days >= need
} else := false

# Sinks whose retention is unknown: one may keep the logs long enough.
unread(s) := sort([k.sink | some k in s.kept; k.days == null; is_string(k.sink)])

why(a) := " (marked outsourced or co-processed)" if a.ctx.outsourced != false else := ""

deny contains finding if {
	some s in judged
	s.covered == false
	count(unread(s)) == 0
	a := s.a
	kept := max([k.days | some k in s.kept; is_number(k.days)]) # the best sink is quoted
	finding := {
		"asset": a.id,
		"key": "log_retention",
		"level": a.ctx.level,
		"message": {
			"template": "Operation logs of {asset} keep {kept} days; {level} data{why} needs {need} (Art. 43).",
			"kept": kept, "why": why(a), "need": s.need,
		},
		"evidence": {
			"kept_days": kept,
			"required_days": s.need,
			"sinks": sort([k.sink | some k in s.kept; k.sink != null]),
		},
	}
}

not_assessed contains item if {
	some s in judged
	s.covered == false
	unread_sinks := unread(s)
	count(unread_sinks) > 0
	item := {"asset": s.a.id, "reason": {"template": "the retention of its log sink could not be read: {sinks}", "sinks": unread_sinks}}
}

assessed := {s.a.id |
	some s in judged
	s.covered == true
} | {s.a.id |
	some s in judged
	count(unread(s)) == 0
} | {a.id |
	some a in data.dsscan.lib.unprotected_stores
	a.kind in logged_kinds
}
