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
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume, backup, snapshot, backup_vault, network_domain]
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
		"message": sprintf("%s is declared %s by %s, but %s shows %s.", [
			data.dsscan.lib.display_name(a),
			text(object.get(c, "declared", null)), text(object.get(c, "declared_source", null)),
			text(object.get(c, "observed_source", null)), text(observed),
		]),
		"evidence": {
			"declared": object.get(c, "declared", null),
			"declared_source": object.get(c, "declared_source", null),
			"observed": observed,
			"observed_source": object.get(c, "observed_source", null),
		},
	}
}

# Assessed: every readable store, copy, vault and network domain (classification records its
# conflicts).
assessed := union({
	data.dsscan.lib.assessable_data_ids,
	data.dsscan.lib.assessable_vault_ids,
	data.dsscan.lib.assessable_domain_ids,
})
