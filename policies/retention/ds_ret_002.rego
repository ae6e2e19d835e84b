# METADATA
# title: No copy outlives the system it was taken from
# description: |
#   Art. 46 asks that the data of a system taken out of service be disposed of securely. A
#   snapshot, backup (recovery point) or replica whose source store no longer exists — a
#   decommissioned system whose data lingers — is a finding at its inherited level: the
#   source's level is gone with it, so the copy's own level (tag, catalogue), else the
#   protection owed by unclassified data (`unclassified_protection_level`). A source counts
#   as gone only when it is absent from an account and Region the live sweep read completely
#   for its service (a scope gap of another data service does not count; ctx.orphan,
#   dsscan/retention.py); a source elsewhere, a copy that names no source, or a Terraform
#   plan or Pulumi program (which does not see other stacks) is
#   not assessed, never passed.
# custom:
#   id: DS-RET-002
#   articles: [38, 46]
#   remediation: |
#     Delete the copy once the decommissioned system's retention has ended (securely: the
#     key that encrypts it too when nothing else uses it), or record why it is kept — tag it
#     with its level and a retention, and keep it in the catalogue as a store of its own.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume, snapshot, backup]
#   reads: [backup]
package dsscan.policy.ds_ret_002

import rego.v1

# Python sets ctx.orphan on every copy (null on the others): read once here.
judged := [{"a": a, "o": o} |
	some a in data.dsscan.lib.assessable_data
	o := object.get(a, ["ctx", "orphan"], null)
	is_object(o)
]

deny contains finding if {
	some j in judged
	j.o.orphan == true
	a := j.a
	finding := {
		"asset": a.id,
		"key": "orphan_copy",
		"level": a.ctx.protect_level,
		"message": {
			"template": "{asset} is a copy of {level} data whose source no longer exists ({count} gone from a fully read account and Region): a decommissioned system's data still kept.",
			"count": count(j.o.gone),
		},
		"evidence": {"gone": j.o.gone, "kind": a.kind},
	}
}

reason(o) := r if {
	r := o.reason
	is_string(r)
} else := "whether the store it copies still exists is unknown"

not_assessed contains item if {
	some j in judged
	j.o.orphan == null
	item := {"asset": j.a.id, "reason": reason(j.o)}
}

assessed := {j.a.id |
	some j in judged
	is_boolean(j.o.orphan)
}
