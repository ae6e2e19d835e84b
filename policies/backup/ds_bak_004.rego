# METADATA
# title: Restores of backups are verified
# description: |
#   Art. 45 asks for a backup verification plan that ensures backup data is complete and
#   effective. A store at sensitive level or above, of a kind AWS Backup can restore, is
#   covered by an AWS Backup restore-testing selection or had a restore from its recovery
#   points complete within `restore_verification_days` (default 180). Python judges the dates
#   (ctx.restore_verification); unread facts are not assessed. A Terraform plan or Pulumi
#   program holds no restore jobs, so there only a restore-testing selection verifies a store.
#   A store that is itself a copy, and a table inside a database, are not judged here;
#   ElastiCache, OpenSearch domains and launch templates are not applicable (AWS Backup
#   neither restores nor restore-tests them).
# custom:
#   id: DS-BAK-004
#   articles: [37, 45]
#   remediation: |
#     Add the store to an AWS Backup restore-testing plan (a restore-testing selection naming
#     its ARN or its tags) so that its recovery points are restored and validated on a
#     schedule, or restore one of its recovery points and check the result at least every
#     `restore_verification_days` days.
#   kinds: [object_store, database, table, file_system, warehouse, volume]
#   reads: [backup]
package dsscan.policy.ds_bak_004

import rego.v1

restore_kinds := {"object_store", "database", "table", "file_system", "warehouse", "volume"}

child_table(a) if {
	a.kind == "table"
	is_object(object.get(a, ["ctx", "parent"], null))
}


# Python sets ctx.restore_verification on every store DS-BAK-004 applies to (null on the
# others: caches, OpenSearch domains, launch templates), an object even when nothing was read.
# Each judged store carries it with its verdict (true, false, or null when unknown): read once
# here instead of by a helper in every rule.
judged := [{"a": a, "r": r, "verified": object.get(r, "verified", null)} |
	some a in data.dsscan.lib.protected_stores
	a.kind in restore_kinds
	r := a.ctx.restore_verification
	is_object(r)
	not child_table(a)
	not data.dsscan.lib.only_a_copy(a) # only a copy: its source is judged
]

# The date, not the age: a message that does not change from one day to the next.
# (Fragments of the message, filled in Python: dsscan/messages.py.)
last_restore(r) := {"template": "the last completed on {date}", "date": substring(r.last_successful_restore, 0, 10)} if {
	is_string(object.get(r, "last_successful_restore", null))
} else := "none was found"

because(r) := msg if {
	r.restore_jobs == "not_in_input"
	msg := "no AWS Backup restore-testing selection covers it (restore jobs are not part of a Terraform plan or Pulumi program: there only a restore-testing selection shows that its backups are verified)"
} else := {
	"template": "no AWS Backup restore-testing selection covers it and no restore from its backups completed in the last {days} days ({last})",
	"days": r.within_days, "last": last_restore(r),
}

deny contains finding if {
	some j in judged
	j.verified == false
	a := j.a
	r := j.r
	finding := {
		"asset": a.id,
		"key": "restore_not_verified",
		"level": a.ctx.level,
		"message": {"template": "{asset} holds {level} data but its backups are not verified by a restore: {because}.", "because": because(r)},
		"evidence": {
			"testing_selections": object.get(r, "testing_selections", null),
			"last_successful_restore": object.get(r, "last_successful_restore", null),
			"within_days": r.within_days,
			"restore_jobs": object.get(r, "restore_jobs", null),
		},
	}
}

reason(r) := x if {
	x := object.get(r, "reason", null)
	is_string(x)
} else := "whether its restores are verified was not read"

not_assessed contains item if {
	some j in judged
	not is_boolean(j.verified)
	item := {"asset": j.a.id, "reason": reason(j.r)}
}

# Assessed: stores below sensitive protection, by their level; the judged ones whose
# verification is known. Copies, tables inside a database and caches are not applicable.
assessed := union({
	{a.id |
		some a in data.dsscan.lib.unprotected_stores
		a.kind in restore_kinds
		is_object(a.ctx.restore_verification)
	},
	{j.a.id |
		some j in judged
		is_boolean(j.verified)
	},
})
