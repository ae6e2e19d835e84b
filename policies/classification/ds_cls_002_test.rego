package dsscan.policy.ds_cls_002_test

import rego.v1

conflict(declared, dsrc, observed, osrc) := {
	"declared": declared, "declared_source": dsrc,
	"observed": observed, "observed_source": osrc,
	"detail": "synthetic",
}

bucket(conflicts) := {
	"id": "bkt", "name": "reports", "kind": "object_store",
	"level": {"value": "sensitive", "conflicts": conflicts},
}

denied(assets) := d if {
	d := data.dsscan.policy.ds_cls_002.deny with input as {"assets": assets}
}

test_each_conflict_is_denied if {
	ds := denied([bucket([
		conflict("general", "tag", "sensitive", "content"),
		conflict("general", "catalogue", "sensitive", "content"),
	])])
	count(ds) == 2
	some f in ds
	f.asset == "bkt"
	f.level == "sensitive"
	f.evidence == {"declared": "general", "declared_source": "tag", "observed": "sensitive", "observed_source": "content"}
	f.message == {
		"template": "{asset} is declared {declared} by {declared_source}, but {observed_source} shows {observed}.",
		"declared": "general", "declared_source": "tag", "observed_source": "content", "observed": "sensitive",
	}
}

test_no_conflicts_passes if {
	count(denied([bucket([])])) == 0
	count(denied([{"id": "x", "kind": "database", "level": {"value": "core"}}])) == 0
	count(denied([{"id": "x", "kind": "database", "level": null}])) == 0
}

test_level_is_observed_level if {
	ds := denied([object.union(bucket([conflict("sensitive", "tag", "core", "inheritance")]), {"level": {"value": "core"}})])
	some f in ds
	f.level == "core"
	f.evidence.observed_source == "inheritance"
}

test_not_assessed_asset_is_skipped if {
	a := object.union(bucket([conflict("general", "tag", "sensitive", "content")]), {"assessment": {"status": "not_assessed"}})
	count(denied([a])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_cls_002.assessed with input as {"assets": assets}
}

test_assessed_lists_every_readable_asset_of_its_kinds if {
	got := assessed_ids([
		{"id": "a", "kind": "database", "level": {"value": "core", "conflicts": []}},
		{"id": "d", "kind": "network_domain", "level": {"value": "core"}},
		{"id": "k", "kind": "kms_key"},
		{"id": "x", "kind": "database", "assessment": {"status": "not_assessed"}},
	])
	got == {"a", "d"}
}

test_a_conflict_shown_by_content_says_where_the_data_is if {
	det := {"detector": "prc_resident_id", "location": "scans/index.csv#id_number", "unmasked": 3, "masked": 0, "evidence": ["110101********1234 (row 1)"]}
	quiet := {"detector": "mobile_phone", "location": "scans/index.csv#phone", "unmasked": 0, "masked": 4, "evidence": []}
	asset := object.union(bucket([conflict("general", "tag", "sensitive", "content")]), {"content": {"status": "sampled", "detections": [det, quiet]}})
	some f in denied([asset])
	f.evidence.detections == [{"detector": "prc_resident_id", "location": "scans/index.csv#id_number", "unmasked": 3, "masked": 0, "examples": ["110101********1234 (row 1)"]}]
	# Inherited: no detections of its own to point at.
	some g in denied([object.union(bucket([conflict("general", "tag", "core", "inheritance")]), {"content": {"status": "sampled", "detections": [det]}})])
	not "detections" in object.keys(g.evidence)
}
