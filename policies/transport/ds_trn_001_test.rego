package dsscan.policy.ds_trn_001_test

import rego.v1

store(id, kind, level, transit) := {
	"id": id, "name": id, "kind": kind,
	"level": {"value": level},
	"encryption": {"at_rest": {"enabled": true, "key_type": "customer_managed"}, "in_transit": transit},
}

pg(enforced, value) := {
	"enforced": enforced, "mechanism": "parameter_group", "source": "pg-x",
	"setting": "rds.force_ssl", "value": value,
	"detail": sprintf("parameter group pg-x has rds.force_ssl=%s", [value]),
}

denied(assets) := r if {
	r := data.dsscan.policy.ds_trn_001.deny with input as {"assets": assets}
}

unassessed(assets) := r if {
	r := data.dsscan.policy.ds_trn_001.not_assessed with input as {"assets": assets}
}

assessed(assets) := r if {
	r := data.dsscan.policy.ds_trn_001.assessed with input as {"assets": assets}
}

test_plaintext_database_is_denied_naming_the_parameter if {
	ds := denied([store("db", "database", "important", pg(false, "0"))])
	count(ds) == 1
	some f in ds
	f.asset == "db"
	f.level == "important"
	f.message.template == "{asset} holds {level} data but accepts plaintext connections: {detail}."
	f.message.detail == "parameter group pg-x has rds.force_ssl=0"
	f.evidence.mechanism == "parameter_group"
	f.evidence.setting == "rds.force_ssl"
}

test_enforced_database_passes if {
	a := store("db", "database", "core", pg(true, "1"))
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed([a]) == {"db"}
}

test_every_store_kind_but_volumes_is_judged if {
	off := {"enforced": false, "mechanism": "bucket_policy", "detail": "it has no bucket policy denying requests with aws:SecureTransport=false"}
	kinds := ["object_store", "database", "table", "file_system", "cache", "warehouse"]
	ds := denied([store(k, k, "sensitive", off) | some k in kinds])
	{f.asset | some f in ds} == {k | some k in kinds}
	count(denied([store("v", "volume", "core", off)])) == 0
	count(unassessed([store("v", "volume", "core", null)])) == 0
	count(assessed([store("v", "volume", "core", off)])) == 0
}

test_preferred_cache_is_denied if {
	t := {"enforced": false, "mechanism": "transit_encryption", "setting": "TransitEncryptionMode", "value": "preferred",
		"detail": "transit encryption mode is preferred (TLS offered, plaintext still accepted), not required"}
	ds := denied([store("c", "cache", "sensitive", t)])
	some f in ds
	contains(f.message.detail, "preferred")
	f.evidence.value == "preferred"
}

test_below_sensitive_is_not_judged_but_assessed if {
	a := store("g", "object_store", "general", {"enforced": false, "mechanism": "bucket_policy"})
	count(denied([a])) == 0
	count(unassessed([a])) == 0
	assessed([a]) == {"g"}
}

test_unknown_is_not_assessed_never_a_pass if {
	cases := [
		{"enforced": null, "mechanism": "parameter_group", "detail": "parameter group pg-x could not be read"},
		null,
		{},
	]
	every t in cases {
		a := store("db", "database", "sensitive", t)
		count(denied([a])) == 0
		count(unassessed([a])) == 1
		count(assessed([a])) == 0
	}
}

test_missing_encryption_block_is_not_assessed if {
	a := {"id": "t", "name": "t", "kind": "table", "level": {"value": "core"}}
	r := unassessed([a])
	r == {{"asset": "t", "reason": "whether it refuses plaintext connections could not be read"}}
	count(assessed([a])) == 0
}

test_not_assessed_reason_names_what_was_unread if {
	a := store("db", "database", "sensitive", pg(null, "x"))
	some n in unassessed([a])
	n.reason.template == "whether it refuses plaintext connections could not be read: {detail}"
	contains(n.reason.detail, "parameter group pg-x")
}

test_unclassified_counts_at_protection_level if {
	a := store("u", "object_store", "unclassified", {"enforced": false, "detail": "x"})
	count(denied([a])) == 1 with data.dsscan.config as {"unclassified_protection_level": "sensitive"}
	count(denied([a])) == 0 with data.dsscan.config as {"unclassified_protection_level": "general"}
}

test_detail_missing_still_names_the_mechanism if {
	ds := denied([store("b", "object_store", "core", {"enforced": false, "mechanism": "bucket_policy"})])
	some f in ds
	f.message.detail == {"template": "{mechanism} does not refuse it", "mechanism": "bucket_policy"}
}

# No mechanism: "nothing"; a null one reads as sprintf wrote it. The finding is never lost.
test_detail_and_mechanism_missing_still_deny if {
	some f in denied([store("b", "object_store", "core", {"enforced": false})])
	f.message.detail.mechanism == "nothing"
	some g in denied([store("b", "object_store", "core", {"enforced": false, "mechanism": null, "detail": ""})])
	g.message.detail.mechanism == "null"
}

test_unassessable_store_is_left_to_kinds if {
	a := object.union(store("db", "database", "core", pg(false, "0")), {"assessment": {"status": "not_assessed"}})
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}
