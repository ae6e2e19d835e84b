package dsscan.policy.ds_xbr_001_test

import rego.v1

store(id, kind, level, region) := {"id": id, "name": id, "kind": kind, "level": {"value": level}, "region": region}

cfg := {"allowed_regions": ["cn-north-1", "cn-northwest-1"]}

denied(assets) := d if {
	d := data.dsscan.policy.ds_xbr_001.deny with input as {"assets": assets} with data.dsscan.config as cfg
}

unassessed(assets) := n if {
	n := data.dsscan.policy.ds_xbr_001.not_assessed with input as {"assets": assets}
		with data.dsscan.config as cfg
}

test_sensitive_store_outside_the_allowed_regions_is_denied if {
	ds := denied([store("bkt", "object_store", "sensitive", "ap-southeast-1")])
	count(ds) == 1
	some f in ds
	f.asset == "bkt"
	f.evidence.region == "ap-southeast-1"
	f.evidence.allowed_regions == ["cn-north-1", "cn-northwest-1"]
	f.message == {
		"template": "{asset} holds {level} data in region {region}, outside the allowed regions ({allowed}).",
		"region": "ap-southeast-1", "allowed": ["cn-north-1", "cn-northwest-1"],
	}
}

test_backup_copied_overseas_is_denied if {
	ds := denied([store("snap", "snapshot", "core", "eu-west-1")])
	some f in ds
	f.asset == "snap"
	f.level == "core"
}

test_store_in_an_allowed_region_passes if {
	a := store("db", "database", "important", "cn-northwest-1")
	count(denied([a])) == 0
	count(unassessed([a])) == 0
}

test_general_data_may_be_anywhere if {
	count(denied([store("web", "object_store", "general", "us-east-1")])) == 0
}

test_unclassified_store_is_held_to_sensitive_protection if {
	ds := denied([store("x", "object_store", "unclassified", "us-east-1")])
	count(ds) == 1
}

test_nothing_is_checked_without_allowed_regions if {
	ds := data.dsscan.policy.ds_xbr_001.deny with input as {"assets": [store("bkt", "object_store", "core", "us-east-1")]}
	count(ds) == 0
	na := data.dsscan.policy.ds_xbr_001.not_assessed with input as {"assets": [store("bkt", "object_store", "core", null)]}
	count(na) == 0
}

test_unknown_region_is_not_assessed if {
	na := unassessed([store("db", "database", "sensitive", null)])
	some n in na
	n.asset == "db"
	count(denied([store("db", "database", "sensitive", null)])) == 0
}

test_network_domains_are_not_data_stores if {
	count(denied([store("vpc", "network_domain", "core", "us-east-1")])) == 0
}

with_replicas(a, rs) := object.union(a, {"ctx": {"replicas_outside": rs}})

test_replica_overseas_outside_the_inventory_is_denied if {
	t := with_replicas(store("tbl", "table", "core", "cn-north-1"), [
		{"id": "arn:aws:dynamodb:ap-southeast-1:111111111111:table/tbl", "region": "ap-southeast-1"},
		{"id": "arn:aws-cn:dynamodb:cn-northwest-1:111111111111:table/tbl", "region": "cn-northwest-1"},
	])
	ds := denied([t])
	count(ds) == 1
	some f in ds
	f.asset == "tbl"
	f.evidence.replica_region == "ap-southeast-1"
	f.key == "replica:ap-southeast-1"
	f.message == {
		"template": "{asset} holds {level} data and is replicated to region {region}, outside the allowed regions ({allowed}).",
		"region": "ap-southeast-1", "allowed": ["cn-north-1", "cn-northwest-1"],
	}
}

test_replication_target_of_unknown_region_is_not_assessed if {
	b := with_replicas(store("bkt", "object_store", "sensitive", "cn-north-1"), [{"id": "arn:aws:s3:::kyc-dr", "region": null}])
	count(denied([b])) == 0
	some n in unassessed([b])
	n.reason == {"template": "the region of its replication target {targets} could not be read", "targets": ["arn:aws:s3:::kyc-dr"]}
}

test_replicas_of_general_data_are_not_judged if {
	b := with_replicas(store("bkt", "object_store", "general", "cn-north-1"), [{"id": "x", "region": "eu-west-1"}])
	count(denied([b])) == 0
}

# --- assessed ---------------------------------------------------------------------------------

assessed_ids(assets) := ids if {
	ids := data.dsscan.policy.ds_xbr_001.assessed with input as {"assets": assets}
		with data.dsscan.config as {"allowed_regions": ["cn-north-1"]}
}

test_assessed_lists_stores_whose_region_is_known_and_those_below_sensitive if {
	known := {"id": "k", "kind": "database", "level": {"value": "core"}, "region": "cn-north-1"}
	unknown := {"id": "u", "kind": "database", "level": {"value": "core"}, "region": null}
	low := {"id": "low", "kind": "database", "level": {"value": "general"}, "region": null}
	assessed_ids([known, unknown, low]) == {"k", "low"}
}

test_nothing_is_assessed_without_allowed_regions if {
	a := {"id": "k", "kind": "database", "level": {"value": "core"}, "region": "cn-north-1"}
	got := data.dsscan.policy.ds_xbr_001.assessed with input as {"assets": [a]}
		with data.dsscan.config as {"allowed_regions": []}
	got == set()
}
