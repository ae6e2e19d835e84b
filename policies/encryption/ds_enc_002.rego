# METADATA
# title: Backups, snapshots and backup vaults are encrypted at least as strongly as their source
# description: |
#   A copy of data (backup, snapshot, replica, recovery point) must not be easier to read than
#   the data it copies: its at-rest key is at least as strong as the strongest of its sources
#   (none < provider-managed < customer-managed). A copy without its own encryption facts is
#   judged by the vault it is stored in. A copy of sensitive data (or above) is never left
#   unencrypted, even when its source is unencrypted too. A backup vault is encrypted as the
#   highest level it holds requires: a customer-managed key for core and important data.
# custom:
#   id: DS-ENC-002
#   articles: [37, 42, 45]
#   remediation: |
#     Encrypt the copy with the source's customer-managed KMS key or a key of the same kind
#     (copy the snapshot with a KMS key, set the backup vault's encryption key, enable default
#     encryption with SSE-KMS on the backup bucket). Backup vault keys cannot be changed after
#     creation: create a vault with a customer-managed key and move the backup plans to it.
#   kinds: [backup, snapshot, backup_vault, object_store, database, table, file_system, cache, warehouse]
package dsscan.policy.ds_enc_002

import rego.v1

copy_relations := {"backup", "snapshot", "replica"}

# Which ctx.sources entries the asset is a copy of (not "derived": an aggregate is no copy).
copy_source(_, s) if s.relation in copy_relations

copy_source(a, s) if {
	not is_string(object.get(s, "relation", null))
	data.dsscan.lib.is_copy_kind(a)
}

copy_source(a, s) if {
	not is_string(object.get(s, "relation", null))
	s.id in array.concat(data.dsscan.lib.list(a, ["backup", "backup_of"]), data.dsscan.lib.list(a, ["replica_of"]))
}

# Sources absent from the inventory ("missing": true) have no facts to compare with.
sources(a) := [s |
	some s in data.dsscan.lib.list(a, ["ctx", "sources"])
	is_object(s)
	is_string(s.id)
	object.get(s, "missing", false) != true
	copy_source(a, s)
]

is_copy(a) if data.dsscan.lib.is_copy_kind(a)

is_copy(a) if count(sources(a)) > 0

src_state(s) := data.dsscan.lib.at_rest(object.get(s, "encryption", null))

# The copy's own at-rest state when it can be read, else its vault's; state null if neither.
own(a) := {"state": s, "from": "own"} if {
	s := data.dsscan.lib.at_rest(object.get(a, "encryption", null))
	data.dsscan.lib.key_strength_known(s)
} else := {"state": s, "from": object.get(v, "id", null)} if {
	v := object.get(a, ["ctx", "vault"], null)
	is_object(v)
	s := data.dsscan.lib.at_rest(object.get(v, "encryption", null))
	data.dsscan.lib.key_strength_known(s)
} else := {"state": null, "from": null}

levels_involved(a) := array.concat([data.dsscan.lib.level_of(a)], [object.get(s, "level", null) | some s in sources(a)])

# Sources whose key is stronger than the copy's.
stronger(a, strength) := sort([s.id |
	some s in sources(a)
	data.dsscan.lib.key_strength(src_state(s)) > strength
])

source_key_types(a) := {s.id: data.dsscan.lib.key_name(k) |
	some s in sources(a)
	k := data.dsscan.lib.key_strength(src_state(s))
}

copy_in_scope(a) if {
	is_copy(a)
	data.dsscan.lib.assessable(a)
}

# The copy's strength, when it is exact (a known key type or unencrypted).
exact_strength(a) := k if {
	o := own(a)
	k := data.dsscan.lib.key_strength(o.state)
	not data.dsscan.lib.key_type_unknown(o.state)
}

weaker_than_source(a) if {
	k := exact_strength(a)
	count(stronger(a, k)) > 0
}

unencrypted_sensitive_copy(a) if {
	exact_strength(a) == 0
	not weaker_than_source(a)
	max([data.dsscan.lib.protect_rank(a), data.dsscan.lib.rank(data.dsscan.lib.highest(levels_involved(a)))]) >= 2
}

copy_evidence(a) := {
	"copy_key_type": data.dsscan.lib.key_name(data.dsscan.lib.key_strength(own(a).state)),
	"copy_encryption_from": own(a).from,
	"source_key_types": source_key_types(a),
}

key_phrase(k) := replace(data.dsscan.lib.key_name(k), "_", "-")

weaker_message(a, 0, ids) := sprintf("%s %s is not encrypted at rest, while its source %s is.", [
	a.kind, data.dsscan.lib.display_name(a), concat(", ", ids),
])

weaker_message(a, k, ids) := sprintf("%s %s is encrypted with a %s key, weaker than the key of its source %s.", [
	a.kind, data.dsscan.lib.display_name(a), key_phrase(k), concat(", ", ids),
]) if k > 0

deny contains finding if {
	some a in input.assets
	copy_in_scope(a)
	weaker_than_source(a)
	k := exact_strength(a)
	ids := stronger(a, k)
	finding := {
		"asset": a.id,
		"related": ids,
		"level": data.dsscan.lib.highest(levels_involved(a)),
		"message": weaker_message(a, k, ids),
		"evidence": copy_evidence(a),
	}
}

deny contains finding if {
	some a in input.assets
	copy_in_scope(a)
	unencrypted_sensitive_copy(a)
	lvl := data.dsscan.lib.highest(levels_involved(a))
	finding := {
		"asset": a.id,
		"related": sort([s.id | some s in sources(a)]),
		"level": lvl,
		"message": sprintf("%s %s is a copy of %s data but is not encrypted at rest.", [
			a.kind, data.dsscan.lib.display_name(a), data.dsscan.lib.protect_level({"level": {"value": lvl}}),
		]),
		"evidence": copy_evidence(a),
	}
}

not_assessed contains item if {
	some a in input.assets
	copy_in_scope(a)
	own(a).state == null
	item := {"asset": a.id, "reason": "encryption at rest of the copy (and of its vault) could not be read"}
}

not_assessed contains item if {
	some a in input.assets
	copy_in_scope(a)
	o := own(a)
	data.dsscan.lib.key_type_unknown(o.state)
	count(stronger(a, 1)) > 0
	item := {"asset": a.id, "reason": "the copy is encrypted, but its key type could not be read to compare it with its source's customer-managed key"}
}

# A copy that is not weaker than its known sources, but some source's encryption is unknown.
not_assessed contains item if {
	some a in input.assets
	copy_in_scope(a)
	k := exact_strength(a)
	k < 2
	not weaker_than_source(a)
	not unencrypted_sensitive_copy(a)
	unknown := sort([s.id | some s in sources(a); not data.dsscan.lib.key_strength_known(src_state(s))])
	count(unknown) > 0
	item := {"asset": a.id, "reason": sprintf("encryption at rest of its source %s could not be read", [concat(", ", unknown)])}
}

# --- backup vaults -------------------------------------------------------------------------

vault_level(v) := data.dsscan.lib.highest(array.concat(
	[data.dsscan.lib.protect_level(v)],
	[object.get(c, "level", null) | some c in data.dsscan.lib.list(v, ["ctx", "contents"]); is_object(c)],
))

reported_vault_level(v) := data.dsscan.lib.highest(array.concat(
	[data.dsscan.lib.level_of(v)],
	[object.get(c, "level", null) | some c in data.dsscan.lib.list(v, ["ctx", "contents"]); is_object(c)],
))

# Key strength a vault's contents require.
required(v) := 2 if {
	data.dsscan.lib.rank(vault_level(v)) >= 3
} else := 1 if {
	data.dsscan.lib.rank(vault_level(v)) == 2
} else := 0

vault_in_scope(v) if {
	v.kind == "backup_vault"
	data.dsscan.lib.assessable(v)
	required(v) > 0
}

vault_message(v, 0) := sprintf("Backup vault %s holds %s data but is not encrypted at rest.", [
	data.dsscan.lib.display_name(v), vault_level(v),
])

vault_message(v, k) := sprintf("Backup vault %s holds %s data but is encrypted with a %s key; it needs a %s key.", [
	data.dsscan.lib.display_name(v), vault_level(v), key_phrase(k), key_phrase(required(v)),
]) if k > 0

vault_state(v) := data.dsscan.lib.at_rest(object.get(v, "encryption", null))

deny contains finding if {
	some v in input.assets
	vault_in_scope(v)
	s := vault_state(v)
	k := data.dsscan.lib.key_strength(s)
	k < required(v)
	not data.dsscan.lib.key_type_unknown(s)
	finding := {
		"asset": v.id,
		"related": sort([c.id | some c in data.dsscan.lib.list(v, ["ctx", "contents"]); is_object(c); is_string(c.id)]),
		"level": reported_vault_level(v),
		"message": vault_message(v, k),
		"evidence": {
			"key_type": data.dsscan.lib.key_name(k),
			"key_id": object.get(s, "key_id", null),
			"required_key_type": data.dsscan.lib.key_name(required(v)),
		},
	}
}

not_assessed contains item if {
	some v in input.assets
	vault_in_scope(v)
	not data.dsscan.lib.key_strength_known(vault_state(v))
	item := {"asset": v.id, "reason": "encryption at rest of the backup vault could not be read"}
}

not_assessed contains item if {
	some v in input.assets
	vault_in_scope(v)
	required(v) == 2
	data.dsscan.lib.key_type_unknown(vault_state(v))
	item := {"asset": v.id, "reason": "the backup vault is encrypted, but its key type could not be read"}
}
