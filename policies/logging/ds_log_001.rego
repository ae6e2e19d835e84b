# METADATA
# title: Operations on sensitive data are logged
# description: |
#   Operations on stores holding sensitive, important or core data are recorded in an
#   operation log (Art. 43): CloudTrail data events of a recording trail or CloudTrail Lake
#   event data store that select the bucket or table (every read and write; a read-only,
#   write-only or prefix selector is not a log of the store), S3 server access logs, or for
#   databases and warehouses an audit log that is both enabled in the engine and exported
#   (to CloudWatch Logs or S3). Which sink logs which store is resolved in Python
#   (ctx.operation_logs); a trail or setting that could not be read leaves the store
#   not assessed, never passed.
# custom:
#   id: DS-LOG-001
#   articles: [43, 49]
#   remediation: |
#     Add a CloudTrail data-event selector (or advanced event selector) for the bucket or
#     table to a recording trail, or turn on S3 server access logging; for RDS/Aurora enable
#     the audit log (MariaDB audit plugin option with SERVER_AUDIT_EVENTS including QUERY /
#     server_audit_logging for Aurora MySQL, pgaudit logging read and write for PostgreSQL)
#     and export it (EnabledCloudwatchLogsExports: audit or postgresql); for Redshift turn on
#     audit logging to S3 or CloudWatch Logs (exporting useractivitylog) and set
#     enable_user_activity_logging=true in the cluster parameter group.
#   kinds: [object_store, table, database, warehouse]
#   reads: [logging]
package dsscan.policy.ds_log_001

import rego.v1

logged_kinds := {"object_store", "table", "database", "warehouse"}

# Stores owing sensitive-level protection or above, of a kind AWS can log per operation, each
# with its sinks read once (dsscan/log_sinks.py resolves them for every store; an input
# without them, hand-written, is not assessed rather than reported unlogged). Reading them
# here instead of through a helper in every rule makes the policy ~3x cheaper per store.
judged := [j |
	some a in data.dsscan.lib.protected_stores
	a.kind in logged_kinds
	logs := object.get(a.ctx, "operation_logs", null)
	unknown := object.get(a.ctx, "operation_logs_unknown", null)
	j := {
		"a": a,
		"resolved": is_array(logs),
		# [] when not a list, without a call to lib.list (iterating null is an error)
		"logged": count([1 | is_array(logs); some _ in logs]),
		"unknown": [u | is_array(unknown); some u in unknown],
	}
]

why(a) := "its audit log is enabled but not exported to CloudWatch Logs or S3" if {
	a.kind in {"database", "warehouse"}
	a.logging.audit.enabled == true
} else := "its audit log is off" if {
	a.kind in {"database", "warehouse"}
} else := "no CloudTrail data-event selector covers it and server access logging is off" if {
	a.kind == "object_store"
} else := "no CloudTrail data-event selector covers it"

deny contains finding if {
	some j in judged
	j.resolved
	j.logged == 0
	count(j.unknown) == 0
	a := j.a
	finding := {
		"asset": a.id,
		"key": "no_operation_log",
		"level": a.ctx.level,
		"message": {"template": "Operations on {level} store {asset} are not logged: {why} (Art. 43).", "why": why(a)},
		"evidence": {"operation_logs": []},
	}
}

not_assessed contains item if {
	some j in judged
	j.logged == 0
	count(j.unknown) > 0
	item := {"asset": j.a.id, "reason": {"template": "operation logs could not be read: {unknown}", "unknown": concat("; ", j.unknown)}}
}

not_assessed contains item if {
	some j in judged
	j.resolved == false
	item := {"asset": j.a.id, "reason": "operation logs were not resolved (ctx.operation_logs missing)"}
}

# Assessed: stores found logged, found not logged, and stores below sensitive (no duty).
assessed := {j.a.id |
	some j in judged
	j.resolved
	j.logged + count(j.unknown) == 0
} | {j.a.id |
	some j in judged
	j.logged > 0
} | {a.id |
	some a in data.dsscan.lib.unprotected_stores
	a.kind in logged_kinds
}
