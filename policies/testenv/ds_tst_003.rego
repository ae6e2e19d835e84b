# METADATA
# title: No test asset declared sensitive or above without a desensitization record
# description: |
#   A test or development store (or a copy of one) whose level is sensitive or above must
#   point to the desensitization record that approved the data it holds (a tag such as
#   dsscan:desensitization, or the data catalogue). Without one, sensitive data has entered
#   the test environment without proof of desensitization. Unclassified test stores are
#   reported by DS-CLS-001.
# custom:
#   id: DS-TST-003
#   articles: [48]
#   remediation: |
#     Desensitize the data through the approved process and tag the store with the record id
#     (e.g. dsscan:desensitization = DSR-2025-004), or register it in the data catalogue; if
#     the data is not desensitized, remove it from the test environment.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume, backup, snapshot]
#   reads: [network]  # the environment may come from the network domain
package dsscan.policy.ds_tst_003

import rego.v1

data_kinds := data.dsscan.lib.store_kinds | data.dsscan.lib.copy_kinds

has_record(a) if {
	r := object.get(a, ["desensitization", "record"], null)
	is_string(r)
	trim_space(r) != ""
}

# Plain field reads first: few assets are in a test environment.
deny contains finding if {
	some a in data.dsscan.lib.assets
	a.ctx.test == true
	a.ctx.rank >= 2
	a.kind in data_kinds
	a.ctx.assessable
	not has_record(a)
	finding := {
		"asset": a.id,
		"level": a.ctx.level,
		"message": {
			"template": "{asset} in the {environment} environment is classified {classified} but has no desensitization record.",
			"environment": a.ctx.environment,
			"classified": a.ctx.level,
		},
		"evidence": {
			"environment": a.ctx.environment,
			"level": a.ctx.level,
			"level_sources": sort({s | some p in data.dsscan.lib.list(a, ["level", "provenance"]); s := p.source; is_string(s)}),
		},
	}
}

# Assessed: every readable store and copy (environment, level and record are all read).
assessed := data.dsscan.lib.assessable_data_ids
