# METADATA
# title: Every data store has a data level
# description: |
#   Every store, copy and backup vault has a data level (core, important, sensitive or
#   general) from a tag, the data catalogue, content sampling or inheritance from its
#   sources. An unclassified store cannot be protected according to its level; dsscan
#   protects it as the configured level meanwhile (sensitive by default) and reports it here.
# custom:
#   id: DS-CLS-001
#   articles: [16, 18]
#   remediation: |
#     Classify the store: tag it with its level (e.g. data-level = sensitive), or add a rule
#     for it to the data catalogue. Backups and replicas inherit their source's level once
#     the source is classified.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume, backup, snapshot, backup_vault]
#   reads: []
package dsscan.policy.ds_cls_001

import rego.v1

data_kinds := (data.dsscan.lib.store_kinds | data.dsscan.lib.copy_kinds) | {"backup_vault"}

# Plain field reads, the most selective first: few assets are unclassified.
deny contains finding if {
	some a in data.dsscan.lib.assets
	a.ctx.level == "unclassified"
	a.kind in data_kinds
	a.ctx.assessable
	finding := {
		"asset": a.id,
		"level": "unclassified",
		"message": {"template": "{kind} {asset} has no data level: no tag, catalogue rule, content sample or source gives it one.", "kind": a.kind},
		"evidence": {"kind": a.kind, "protected_as": a.ctx.protect_level},
	}
}

# Assessed: every readable store, copy and vault (its level, or its lack of one, is known).
assessed := data.dsscan.lib.assessable_data_ids | data.dsscan.lib.assessable_vault_ids
