# METADATA
# title: No unmasked sensitive data in test environments
# description: |
#   Data at sensitive level or above does not enter a test environment without
#   desensitization. Content sampling of a test or development store found values that are
#   not masked (resident ID numbers, bank cards, mobile numbers, ...). Evidence lists the
#   detectors, where they matched and the masked examples only. A store whose sampling
#   failed is not assessed; a store that was not sampled is not judged by this policy.
# custom:
#   id: DS-TST-002
#   articles: [48, 45]
#   remediation: |
#     Replace the data with desensitized (masked, tokenized or synthetic) data through the
#     approved desensitization process and record it; purge the unmasked copies, including
#     their snapshots and backups.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume, backup, snapshot]
#   reads: [network]  # the environment may come from the network domain
package dsscan.policy.ds_tst_002

import rego.v1

count_of(d, key) := n if {
	n := object.get(d, key, 0)
	is_number(n)
} else := 0

unmasked(a) := [d |
	some d in data.dsscan.lib.list(a, ["content", "detections"])
	is_object(d)
	count_of(d, "unmasked") > 0
]

# Plain field reads first: few assets are in a test environment, fewer were sampled. (A
# sampled or failed sampling status implies a content object.)
# Stores and their copies (dsscan.lib.assessable_data: the kinds of METADATA); identifiers in
# a log are another duty's.
deny contains finding if {
	some a in data.dsscan.lib.assessable_data
	a.ctx.test == true
	a.content.status == "sampled"
	ds := unmasked(a)
	count(ds) > 0
	detectors := sort({x | some d in ds; x := d.detector; is_string(x)})
	finding := {
		"asset": a.id,
		"level": data.dsscan.lib.highest([a.ctx.level, "sensitive"]),
		"message": {
			"template": "{asset} in the {environment} environment holds {unmasked} unmasked value(s) found by {detectors}.",
			"environment": a.ctx.environment,
			# As text, written here: a sum beyond 64 bits reaches Python as a rounded float.
			"unmasked": sprintf("%d", [sum([count_of(d, "unmasked") | some d in ds])]),
			"detectors": detectors,
		},
		"evidence": {"detections": [{
			"detector": object.get(d, "detector", null),
			"location": object.get(d, "location", null),
			"unmasked": count_of(d, "unmasked"),
			"masked": count_of(d, "masked"),
			"examples": data.dsscan.lib.list(d, ["evidence"]),
		} |
			some d in ds
		]},
	}
}

not_assessed contains item if {
	some a in data.dsscan.lib.assessable_data
	a.ctx.test == true
	a.content.status == "error"
	reason := object.get(a, ["content", "reason"], null)
	item := {"asset": a.id, "reason": failed(reason)}
}

failed(reason) := {"template": "content sampling failed: {reason}", "reason": reason} if {
	is_string(reason)
	reason != ""
} else := "content sampling failed"

# Assessed: readable stores and copies outside test environments, by their environment; test
# ones whose content was sampled. A test store never sampled is not applicable, never passed.
assessed := union({
	{a.id |
		some a in data.dsscan.lib.assessable_data
		not a.ctx.test == true
	},
	{a.id |
		some a in data.dsscan.lib.assessable_data
		a.ctx.test == true
		a.content.status == "sampled"
	},
})

