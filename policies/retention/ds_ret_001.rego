# METADATA
# title: A declared retention is enforced, and no copy outlives it
# description: |
#   Art. 38 asks that data be deleted when its retention period ends, and Art. 46 that it be
#   disposed of securely. A retention declared for a store (tags `dsscan:retention-days` /
#   `retention-days`, a number of days, or `dsscan:retention-until` / `retention-until`, a
#   date; or a catalogue rule's `retention_days` / `retention_until`) is enforced by the
#   infrastructure: an S3 bucket has an enabled lifecycle expiration rule covering every
#   object within it; the store's built-in backups and every AWS Backup plan rule covering
#   it keep copies no longer. A snapshot or backup of sensitive-or-above data (its own
#   retention, else its source's) older than the retention, or a store or copy still there
#   after its retention date, is a finding. Python judges the rules and the dates
#   (ctx.retention, dsscan/retention.py); what could not be read is not assessed. A store
#   that declares no retention is not judged (no default is invented); rows inside a
#   database are deleted by its application, which no input shows: its copies are judged.
# custom:
#   id: DS-RET-001
#   articles: [38, 46]
#   remediation: |
#     Add an enabled lifecycle expiration rule without a filter (every object) to the bucket
#     within the declared retention; set the AWS Backup plan rules' DeleteAfterDays and the
#     store's automated backup retention no longer than it; delete manual snapshots and
#     backups older than the retention (or correct the declared retention, with approval).
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume, snapshot, backup]
#   reads: [backup, tags, logging]
package dsscan.policy.ds_ret_001

import rego.v1

# Python sets ctx.retention (null when no retention is declared): read once here.
judged := [{"a": a, "r": r} |
	some a in data.dsscan.lib.assessable_data
	a.ctx.protect_rank >= 2
	r := object.get(a, ["ctx", "retention"], null)
	is_object(r)
]

# The declared retention, as the message names it.
kept(r) := {"template": "at most {days} days and until {until}", "days": r.days, "until": r.until} if {
	is_number(r.days)
	is_string(r.until)
} else := {"template": "at most {days} days", "days": r.days} if {
	is_number(r.days)
} else := {"template": "until {until}", "until": object.get(r, "until", null)}

# One fragment per violation (constant templates chosen by lookup; Python writes the text).
# A copy's date, not its age: a message that does not change from one day to the next.
why(v) := {"template": "its retention ended on {until} and it is still kept", "until": object.get(v, "until", null)} if {
	v.by == "retention_ended"
} else := "no enabled lifecycle expiration rule covers every object of the bucket" if {
	v.by == "lifecycle"
	object.get(v, "days", null) == null
	object.get(v, "date", null) == null
} else := {"template": "its lifecycle rules covering every object expire them only after {days} days (or on {date})", "days": object.get(v, "days", null), "date": object.get(v, "date", null)} if {
	v.by == "lifecycle"
} else := "its bucket is (or was) versioned and no enabled lifecycle rule covering every object expires noncurrent versions (an expired object stays as one)" if {
	v.by == "noncurrent_versions"
	object.get(v, "noncurrent_days", null) == null
} else := {"template": "its bucket is (or was) versioned: an expired object stays as a noncurrent version {noncurrent_days} more days (current objects expire after {days} days or on {date})", "noncurrent_days": object.get(v, "noncurrent_days", null), "days": object.get(v, "days", null), "date": object.get(v, "date", null)} if {
	v.by == "noncurrent_versions"
} else := {"template": "its built-in backups are kept {days} days", "days": object.get(v, "days", null)} if {
	v.by == "built_in_backup"
} else := "an AWS Backup plan rule keeps its recovery points (or their copies) forever" if {
	v.by == "backup_plan"
	object.get(v, "days", null) == null
} else := {"template": "an AWS Backup plan rule keeps recovery points {days} days", "days": object.get(v, "days", null)} if {
	v.by == "backup_plan"
} else := {"template": "it was made on {date}", "date": object.get(v, "date", null)} if {
	v.by == "age"
} else := "it is kept longer"

deny contains finding if {
	some j in judged
	j.r.enforced == false
	a := j.a
	r := j.r
	finding := {
		"asset": a.id,
		"key": object.get({"store": "retention_not_enforced", "copy": "copy_past_retention"}, r.check, "retention_not_enforced"),
		"level": a.ctx.level,
		"message": {
			"template": "{asset} holds {level} data to be kept {kept}, but {why}.",
			"kept": kept(r),
			"why": [why(v) | some v in r.violations],
		},
		"evidence": {
			"retention_days": object.get(r, "days", null),
			"retention_until": object.get(r, "until", null),
			"declared_by": object.get(r, "declared_by", null),
			"violations": [v.by | some v in r.violations],
			"created": object.get(r, "created", null),
			"age_days": object.get(r, "age_days", null),
		},
	}
}

reason(r) := {"template": "whether its declared retention is enforced is unknown: {what}", "what": r.unknown} if {
	is_array(r.unknown)
	count(r.unknown) > 0
} else := "whether its declared retention is enforced is unknown"

not_assessed contains item if {
	some j in judged
	j.r.enforced == null
	item := {"asset": j.a.id, "reason": reason(j.r)}
}

# Assessed: data below sensitive protection (by its level); the judged whose verdict is known.
# Data without a declared retention is not applicable.
assessed := union({
	{a.id |
		some a in data.dsscan.lib.assessable_data
		a.ctx.protect_rank < 2
		is_object(object.get(a, ["ctx", "retention"], null))
	},
	{j.a.id |
		some j in judged
		is_boolean(j.r.enforced)
	},
})
