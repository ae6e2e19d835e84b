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

judged := [a |
	some a in data.dsscan.lib.protected_stores
	a.kind in logged_kinds
	count(a.ctx.operation_logs) > 0
	is_number(a.ctx.log_retention_required_days)
]

# The days a sink keeps its logs, or undefined when it never expires or is unknown.
days(e) := max(ds) if {
	ds := [x |
		some x in [object.get(e, "retention_days", null), object.get(e, "object_lock_days", null)]
		is_number(x)
	]
	count(ds) > 0
}

long_enough(e, need) if e.unlimited == true

long_enough(e, need) if days(e) >= need

# A number of days is known (a rule, not `not days(e) >= 0`: OPA and regorus disagree on a
# negated comparison of an undefined call).
has_days(e) if {
	some x in [object.get(e, "retention_days", null), object.get(e, "object_lock_days", null)]
	is_number(x)
}

# Retention unknown: the sink may keep the logs long enough.
unread(e) if {
	not e.unlimited == true
	not has_days(e)
}

# Several sinks: the best known one is quoted.
best(a) := max([d | some e in a.ctx.operation_logs; d := days(e)])

short(a) if {
	need := a.ctx.log_retention_required_days
	count([e |
		some e in a.ctx.operation_logs
		not long_enough(e, need)
		not unread(e)
	]) == count(a.ctx.operation_logs)
}

why(a) := " (marked outsourced or co-processed)" if a.ctx.outsourced != false else := ""

deny contains finding if {
	some a in judged
	short(a)
	need := a.ctx.log_retention_required_days
	kept := best(a)
	finding := {
		"asset": a.id,
		"key": "log_retention",
		"level": a.ctx.level,
		"message": sprintf("Operation logs of %s keep %d days; %s data%s needs %d (Art. 43).", [
			data.dsscan.lib.display_name(a), kept, data.dsscan.lib.level_label(a), why(a), need,
		]),
		"evidence": {
			"kept_days": kept,
			"required_days": need,
			"sinks": sort([e.sink | some e in a.ctx.operation_logs]),
		},
	}
}

not_assessed contains item if {
	some a in judged
	need := a.ctx.log_retention_required_days
	not_long := [e | some e in a.ctx.operation_logs; long_enough(e, need)]
	count(not_long) == 0
	unread_sinks := sort([e.sink | some e in a.ctx.operation_logs; unread(e)])
	count(unread_sinks) > 0
	item := {"asset": a.id, "reason": sprintf("the retention of its log sink could not be read: %s", [concat(", ", unread_sinks)])}
}

assessed := {a.id |
	some a in judged
	some e in a.ctx.operation_logs
	long_enough(e, a.ctx.log_retention_required_days)
} | {a.id |
	some a in judged
	short(a)
} | {a.id |
	some a in data.dsscan.lib.unprotected_stores
	a.kind in logged_kinds
}
