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
#   kinds: [object_store, database, table, file_system, cache, warehouse, backup, snapshot]
package dsscan.policy.ds_tst_003

import rego.v1

in_scope(a) if {
	data.dsscan.lib.assessable(a)
	data.dsscan.lib.is_store(a)
}

in_scope(a) if {
	data.dsscan.lib.assessable(a)
	data.dsscan.lib.is_copy_kind(a)
}

has_record(a) if {
	r := object.get(a, ["desensitization", "record"], null)
	is_string(r)
	trim_space(r) != ""
}

deny contains finding if {
	some a in input.assets
	in_scope(a)
	data.dsscan.lib.is_test(a)
	data.dsscan.lib.rank(data.dsscan.lib.level_of(a)) >= 2
	not has_record(a)
	finding := {
		"asset": a.id,
		"level": data.dsscan.lib.level_of(a),
		"message": sprintf("%s in the %s environment is classified %s but has no desensitization record.", [
			data.dsscan.lib.display_name(a), data.dsscan.lib.environment_of(a), data.dsscan.lib.level_of(a),
		]),
		"evidence": {
			"environment": data.dsscan.lib.environment_of(a),
			"level": data.dsscan.lib.level_of(a),
			"level_sources": sort({s | some p in data.dsscan.lib.list(a, ["level", "provenance"]); s := p.source; is_string(s)}),
		},
	}
}
