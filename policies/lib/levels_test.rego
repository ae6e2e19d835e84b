package dsscan.lib_test

import rego.v1

test_rank_orders_levels if {
	data.dsscan.lib.rank("core") == 4
	data.dsscan.lib.rank("important") == 3
	data.dsscan.lib.rank("sensitive") == 2
	data.dsscan.lib.rank("general") == 1
	data.dsscan.lib.rank("unclassified") == 0
}

test_rank_of_unknown_values_is_zero if {
	data.dsscan.lib.rank(null) == 0
	data.dsscan.lib.rank("secret") == 0
	data.dsscan.lib.rank(3) == 0
}

test_config_defaults if {
	data.dsscan.lib.config.test_environments == ["test", "development"]
	data.dsscan.lib.config.unclassified_protection_level == "sensitive"
	data.dsscan.lib.config.backup_separation == "account_or_region"
}

test_config_partial_override_keeps_defaults if {
	c := data.dsscan.lib.config with data.dsscan.config as {"unclassified_protection_level": "core"}
	c.unclassified_protection_level == "core"
	c.test_environments == ["test", "development"]
}

test_level_of_missing_or_null_is_unclassified if {
	data.dsscan.lib.level_of({"id": "a"}) == "unclassified"
	data.dsscan.lib.level_of({"id": "a", "level": null}) == "unclassified"
	data.dsscan.lib.level_of({"id": "a", "level": {"value": null}}) == "unclassified"
	data.dsscan.lib.level_of({"id": "a", "level": {"value": "top"}}) == "unclassified"
	data.dsscan.lib.level_of({"id": "a", "level": {"value": "important"}}) == "important"
}

test_protect_level_of_unclassified_follows_config if {
	data.dsscan.lib.protect_level({"id": "a", "level": {"value": "unclassified"}}) == "sensitive"
	data.dsscan.lib.protect_rank({"id": "a"}) == 2
	data.dsscan.lib.protect_level({"id": "a"}) == "core" with data.dsscan.config as {"unclassified_protection_level": "core"}
}

test_protect_level_of_classified_is_own_level if {
	data.dsscan.lib.protect_level({"id": "a", "level": {"value": "general"}}) == "general"
	data.dsscan.lib.protect_rank({"id": "a", "level": {"value": "core"}}) == 4
}

test_highest if {
	data.dsscan.lib.highest(["general", "core", "sensitive"]) == "core"
	data.dsscan.lib.highest(["general", null]) == "general"
	data.dsscan.lib.highest([]) == "unclassified"
	data.dsscan.lib.highest({"important", "sensitive"}) == "important"
}

test_store_and_copy_kinds if {
	data.dsscan.lib.is_store({"kind": "database"})
	data.dsscan.lib.is_store({"kind": "table"})
	not data.dsscan.lib.is_store({"kind": "backup"})
	not data.dsscan.lib.is_store({"kind": "network_domain"})
	data.dsscan.lib.is_copy_kind({"kind": "snapshot"})
	not data.dsscan.lib.is_copy_kind({"kind": "object_store"})
}

test_is_test_uses_config_environments if {
	data.dsscan.lib.is_test({"environment": {"value": "development"}})
	not data.dsscan.lib.is_test({"environment": {"value": "staging"}})
	not data.dsscan.lib.is_test({"environment": null})
	not data.dsscan.lib.is_test({})
	data.dsscan.lib.is_test({"environment": {"value": "staging"}}) with data.dsscan.config as {"test_environments": ["staging"]}
}

test_is_production if {
	data.dsscan.lib.is_production({"environment": {"value": "production"}})
	not data.dsscan.lib.is_production({"environment": {"value": "unknown"}})
	not data.dsscan.lib.is_production({})
}

test_assessable if {
	data.dsscan.lib.assessable({"id": "a"})
	data.dsscan.lib.assessable({"assessment": {"status": "partial"}})
	not data.dsscan.lib.assessable({"assessment": {"status": "not_assessed"}})
}

test_display_name_falls_back_to_id if {
	data.dsscan.lib.display_name({"id": "arn:x", "name": "prod-db"}) == "prod-db"
	data.dsscan.lib.display_name({"id": "arn:x", "name": ""}) == "arn:x"
	data.dsscan.lib.display_name({"id": "arn:x"}) == "arn:x"
}

test_list_tolerates_null if {
	data.dsscan.lib.list({"ctx": {"backups": null}}, ["ctx", "backups"]) == []
	data.dsscan.lib.list({}, ["ctx", "backups"]) == []
	data.dsscan.lib.list({"ctx": {"backups": [1]}}, ["ctx", "backups"]) == [1]
}

test_at_rest_accepts_both_shapes if {
	data.dsscan.lib.at_rest({"at_rest": {"enabled": true}}) == {"enabled": true}
	data.dsscan.lib.at_rest({"enabled": false}) == {"enabled": false}
	data.dsscan.lib.at_rest({"at_rest": null}) == null
	data.dsscan.lib.at_rest(null) == null
}

test_key_strength if {
	data.dsscan.lib.key_strength({"enabled": false, "key_type": null}) == 0
	data.dsscan.lib.key_strength({"enabled": true, "key_type": "none"}) == 0
	data.dsscan.lib.key_strength({"enabled": null, "key_type": "none"}) == 0
	data.dsscan.lib.key_strength({"enabled": true, "key_type": "provider_managed"}) == 1
	data.dsscan.lib.key_strength({"enabled": true, "key_type": null}) == 1
	data.dsscan.lib.key_strength({"enabled": true, "key_type": "customer_managed"}) == 2
}

test_key_type_implies_encryption_when_enabled_is_unknown if {
	data.dsscan.lib.key_strength({"enabled": null, "key_type": "customer_managed"}) == 2
	data.dsscan.lib.key_strength({"key_type": "provider_managed"}) == 1
	data.dsscan.lib.key_strength({"enabled": false, "key_type": "customer_managed"}) == 0
}

test_key_strength_unknown_is_undefined if {
	not data.dsscan.lib.key_strength(null)
	not data.dsscan.lib.key_strength({"enabled": null, "key_type": null})
	not data.dsscan.lib.key_strength({})
}

test_key_type_unknown if {
	data.dsscan.lib.key_type_unknown({"enabled": true, "key_type": null})
	data.dsscan.lib.key_type_unknown({"enabled": true})
	not data.dsscan.lib.key_type_unknown({"enabled": true, "key_type": "provider_managed"})
	not data.dsscan.lib.key_type_unknown({"enabled": false, "key_type": null})
}

test_key_name if {
	data.dsscan.lib.key_name(0) == "none"
	data.dsscan.lib.key_name(2) == "customer_managed"
	data.dsscan.lib.key_name(null) == "unknown"
}

test_level_label if {
	data.dsscan.lib.level_label({"level": {"value": "core"}}) == "core"
	data.dsscan.lib.level_label({"level": null}) == "unclassified (protected as sensitive)"
}

test_level_label_from_ctx_facts if {
	data.dsscan.lib.level_label({"ctx": {"level": "important", "protect_level": "important"}}) == "important"
	data.dsscan.lib.level_label({"ctx": {"level": "unclassified", "protect_level": "core"}}) == "unclassified (protected as core)"
	# Facts that are not level names: decided from the asset as without facts.
	data.dsscan.lib.level_label({"ctx": {"level": "core", "protect_level": 3}}) == "core"
	data.dsscan.lib.level_label({"ctx": {"level": "unclassified", "protect_level": "secret"}}) == "unclassified (protected as secret)"
	data.dsscan.lib.level_label({"ctx": {"level": 4, "protect_level": "core"}, "level": {"value": "general"}}) == "general"
}

test_key_strength_known if {
	data.dsscan.lib.key_strength_known({"enabled": false})
	data.dsscan.lib.key_strength_known({"enabled": true, "key_type": "customer_managed"})
	not data.dsscan.lib.key_strength_known({"enabled": null})
	not data.dsscan.lib.key_strength_known(null)
}

test_strings_keeps_only_strings if {
	data.dsscan.lib.strings({"n": {"subnets": ["a", null, 3, "b"]}}, ["n", "subnets"]) == ["a", "b"]
	data.dsscan.lib.strings({}, ["n", "subnets"]) == []
}

# only_a_copy: a backup, or a one-way replica, is judged through its source; each side of a
# two-way replication is a store in its own right.
test_only_a_copy_backup if data.dsscan.lib.only_a_copy({"backup": {"backup_of": ["src"]}})

test_only_a_copy_one_way_replica if {
	data.dsscan.lib.only_a_copy({"replica_of": ["src"], "ctx": {"backups": []}})
}

test_only_a_copy_one_way_replica_without_ctx if data.dsscan.lib.only_a_copy({"replica_of": ["src"]})

test_only_a_copy_not_two_way_replication if {
	not data.dsscan.lib.only_a_copy({"replica_of": ["west"], "ctx": {"backups": [{"id": "west", "relation": "replica"}]}})
}

test_only_a_copy_not_when_one_replication_is_two_way if {
	not data.dsscan.lib.only_a_copy({"replica_of": ["west", "north"], "ctx": {"backups": [{"id": "west", "relation": "replica"}]}})
}

test_only_a_copy_not_a_store_without_sources if {
	not data.dsscan.lib.only_a_copy({"replica_of": [], "backup": {"backup_of": null}})
	not data.dsscan.lib.only_a_copy({"replica_of": null})
}
