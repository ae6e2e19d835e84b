# METADATA
# title: Production data at sensitive level or above does not reach test by copy without desensitization
# description: |
#   Network isolation is not enough (Art. 48): a copy carries production data across it. A
#   production store owing sensitive protection or above fails when one of its copies reaches
#   a test environment (test_environments) without a desensitization record: a snapshot or
#   recovery point kept in a test account, a snapshot shared with an account of a test
#   environment, S3 replication into a test bucket, an AWS Backup copy rule into a vault of a
#   test environment, or a DMS task writing to a test endpoint (ctx.copies_to_test, resolved
#   in Python by dsscan/testcopies.py with dsscan's one environment resolution). A copy whose
#   target's environment cannot be told, or a copy path that could not be read, is not
#   assessed, never a pass. The record is DS-TST-003's (desensitization_tag_keys or the
#   catalogue) on the copy, on the copy rule or task, or on its target.
# custom:
#   id: DS-TST-004
#   articles: [48]
#   remediation: |
#     Do not copy production data into test: stop the share (ModifyDBSnapshotAttribute
#     remove, shared_accounts), the replication rule, the backup copy rule or the DMS task. If
#     test needs the data, desensitize it through the approved process first and tag the copy
#     (or the task / copy rule) with the record id, e.g. dsscan:desensitization = DSR-2025-004.
#     Tell dsscan which environment an account is in (the accounts map) so copies can be judged.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume]
#   reads: [backup, access]
package dsscan.policy.ds_tst_004

import rego.v1

# Only production stores owing sensitive or above carry the field (dsscan/testcopies.py).
stores := [a |
	some a in data.dsscan.lib.assets
	a.ctx.production == true
	a.kind in data.dsscan.lib.store_kinds
	a.ctx.assessable
	data.dsscan.lib.rank(object.get(a, ["ctx", "protect_level"], "unclassified")) >= 2
]

copies(a) := object.get(a, ["ctx", "copies_to_test"], null)

# What a copy is, in a message.
what := {
	"snapshot share": "a snapshot shared with account {copy} of the {env} environment",
	"snapshot copy": "snapshot {name} kept in the {env} environment",
	"backup copy": "a backup copy in {name} of the {env} environment",
	"replication": "replication into {name} in the {env} environment",
	"dms task": "a DMS task writing to {name} in the {env} environment",
}

deny contains finding if {
	some a in stores
	cs := copies(a)
	is_array(cs)
	some c in cs
	is_string(c.target_environment)
	c.desensitized == false
	finding := {
		"asset": a.id,
		# One finding per path and copy (two snapshots shared with one account: two). The copy
		# and its name go in `related` (masked in every report), never in the key: a key is
		# written as it is.
		"key": c.via,
		"related": sort({c.copy, c.name}),
		"level": a.ctx.protect_level,
		"message": {
			"template": "Production store {asset} ({level}) reaches the test environment by copy: {what}, without a desensitization record.",
			"level": data.dsscan.lib.level_label(a),
			"what": {"template": object.get(what, c.via, "{name}"), "copy": c.copy, "name": c.name, "env": c.target_environment},
		},
		"evidence": {"via": c.via, "target_environment": c.target_environment, "desensitized": false},
	}
}

failing := {f.asset | some f in deny}

not_assessed contains item if {
	some a in stores
	copies(a) == null
	item := {"asset": a.id, "reason": "whether the store's data reaches a test environment by copy could not be read (a snapshot's sharing, backup copy rules or DMS tasks)"}
}

not_assessed contains item if {
	some a in stores
	not a.id in failing
	cs := copies(a)
	is_array(cs)
	unknown := sort({sprintf("%s %s", [c.via, c.name]) | some c in cs; c.target_environment == null})
	count(unknown) > 0
	item := {"asset": a.id, "reason": {
		"template": "the environment of where its copies go cannot be told ({copies}): set the accounts map or tag the target",
		"copies": unknown,
	}}
}

# Assessed: every production store owing sensitive or above whose copy paths were read.
assessed := {a.id |
	some a in stores
	is_array(copies(a))
}
