# METADATA
# title: A declared level is not lower than what content or inheritance shows
# description: |
#   Classification keeps the higher level when a declared level (tag, catalogue, declared
#   inventory value) is lower than what content sampling or inheritance from a source shows,
#   and records the disagreement. A declaration that understates the data (a bucket tagged
#   general that holds resident ID numbers) misleads every control that reads it, so each
#   disagreement is reported: the level is to be adjusted through the approval process.
# custom:
#   id: DS-CLS-002
#   articles: [19, 18]
#   remediation: |
#     Review the data and correct the declared level (tag or catalogue entry) through the
#     level-change approval process; if the data should not be there, remove or desensitize
#     it instead.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume, backup, snapshot, backup_vault, network_domain, security_group, key, log_sink, principal]
#   reads: []
package dsscan.policy.ds_cls_002

import rego.v1

text(x) := x if is_string(x) else := "unknown"

# A plain field read first: most assets have no conflict (an empty list).
deny contains finding if {
	some a in data.dsscan.lib.assets
	a.level.conflicts != []
	a.ctx.assessable
	some c in data.dsscan.lib.list(a, ["level", "conflicts"])
	is_object(c)
	observed := object.get(c, "observed", null)
	finding := {
		"asset": a.id,
		"level": data.dsscan.lib.highest([observed, a.ctx.level]),
		"message": {
			"template": "{asset} is declared {declared} by {declared_source}, but {observed_source} shows {observed}.",
			"declared": text(object.get(c, "declared", null)), "declared_source": text(object.get(c, "declared_source", null)),
			"observed_source": text(object.get(c, "observed_source", null)), "observed": text(observed),
		},
		"evidence": object.union(
			{
				"declared": object.get(c, "declared", null),
				"declared_source": object.get(c, "declared_source", null),
				"observed": observed,
				"observed_source": object.get(c, "observed_source", null),
			},
			content_places(a, c),
		),
	}
}

# Where content showed the higher level: the detections that found unmasked values (object
# key / column, masked examples; the same shape as DS-TST-002's), so the report can say where
# the data is. Empty for a conflict observed by inheritance.
content_places(a, c) := {"detections": ds} if {
	object.get(c, "observed_source", null) == "content"
	ds := [{
		"detector": object.get(d, "detector", null),
		"location": object.get(d, "location", null),
		"unmasked": d.unmasked,
		"masked": object.get(d, "masked", 0),
		"examples": data.dsscan.lib.list(d, ["evidence"]),
	} |
		some d in data.dsscan.lib.list(a, ["content", "detections"])
		is_object(d)
		is_number(object.get(d, "unmasked", null))
		d.unmasked > 0
	]
	count(ds) > 0
} else := {}

# Assessed: every readable store, copy, vault and network domain (classification records its
# conflicts).
assessed := union({
	data.dsscan.lib.assessable_data_ids,
	data.dsscan.lib.assessable_vault_ids,
	data.dsscan.lib.assessable_domain_ids,
})
