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
#   kinds: [backup, snapshot, backup_vault, object_store, database, table, file_system, cache, warehouse, volume]
#   reads: [encryption, backup]
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

# Sources absent from the inventory ("missing": true) have no facts to compare with. The
# first list is the usual case (a copy relation), read directly; the second holds entries
# without a copy relation, which copy_source decides. (ctx.sources is a list: lib.assets.)
sources(a) := array.concat(
	[s |
		some s in a.ctx.sources
		s.relation in copy_relations
		is_string(s.id)
		not s.missing == true
	],
	[s |
		some s in a.ctx.sources
		not s.relation == "backup"
		not s.relation == "snapshot"
		not s.relation == "replica"
		is_object(s)
		is_string(s.id)
		not s.missing == true
		copy_source(a, s)
	],
)

src_state(s) := data.dsscan.lib.at_rest(object.get(s, "encryption", null))

# Key strength of a source, or null when unknown. ctx gives a source's flattened at-rest
# state; the first rule reads it directly (an {at_rest: ...} block, as a hand-written input
# may have, has no strength of its own: the second rule unwraps it).
src_strength(s) := k if {
	k := data.dsscan.lib.key_strength(s.encryption)
} else := data.dsscan.lib.key_strength_or_null(src_state(s))

# The copy's own at-rest state when it can be read, else its vault's, with its key strength
# k and its exact strength (null when not exact: only strength 1 can be a lower bound, when
# the key type is unknown); state, k and exact null if neither can be read. The first two
# rules read the usual case, the copy's own state with a known key type, directly.
own(a) := {"state": s, "from": "own", "k": k, "exact": k} if {
	s := a.encryption.at_rest
	k := data.dsscan.lib.key_strength(s)
	k != 1
} else := {"state": s, "from": "own", "k": 1, "exact": 1} if {
	s := a.encryption.at_rest
	s.key_type == "provider_managed"
	data.dsscan.lib.key_strength(s) == 1
} else := with_exact(o) if {
	o := own_state(a)
}

own_state(a) := {"state": s, "from": "own", "k": data.dsscan.lib.key_strength(s)} if {
	s := data.dsscan.lib.at_rest(object.get(a, "encryption", null))
	data.dsscan.lib.key_strength_known(s)
} else := {"state": s, "from": object.get(v, "id", null), "k": data.dsscan.lib.key_strength(s)} if {
	v := object.get(a, ["ctx", "vault"], null)
	is_object(v)
	s := data.dsscan.lib.at_rest(object.get(v, "encryption", null))
	data.dsscan.lib.key_strength_known(s)
} else := {"state": null, "from": null, "k": null}

with_exact(o) := object.union(o, {"exact": exact(o)})

exact(o) := k if {
	k := data.dsscan.lib.key_strength(o.state)
	not data.dsscan.lib.key_type_unknown(o.state)
} else := null

# Ids of the sources whose key is stronger than `strength`.
stronger(srcs, strength) := sort([s.id |
	some s in srcs
	src_strength(s) > strength
])

weaker_than(srcs, k) := stronger(srcs, k) if k != null else := []

# Ids of the sources that might be stronger than `strength` without being known to be: their
# encryption could not be read, or they are encrypted with a key whose type could not be read
# (a customer-managed key as far as anyone knows). Never a pass: the copy is not assessed.
uncertain(srcs, strength) := sort([s.id |
	some s in srcs
	not src_strength(s) > strength
	source_unknown(s, strength)
])

source_unknown(s, _) if src_strength(s) == null

source_unknown(s, strength) if {
	strength < 2
	data.dsscan.lib.key_type_unknown(src_state(s))
}

# --- copies --------------------------------------------------------------------------------

# Copies: backups and snapshots, and stores with copy sources (a replica; not a derived
# table, which copy_source rules out). Plain field reads first.
copy_assets := array.concat(
	[a |
		some a in data.dsscan.lib.assets
		a.kind in data.dsscan.lib.copy_kinds
		a.ctx.assessable
	],
	[a |
		some a in data.dsscan.lib.assets
		a.ctx.sources != []
		a.kind in data.dsscan.lib.store_kinds
		a.ctx.assessable
		not a.kind == "backup"
		not a.kind == "snapshot"
		count(sources(a)) > 0
	],
)

# Each copy with what every rule below needs, computed once: its copy sources, its own (or
# its vault's) at-rest state, its exact key strength k (null when not exact) and the ids of
# the sources whose key is stronger than k.
copies := [c |
	some a in copy_assets
	srcs := sources(a)
	o := own(a)
	c := {"a": a, "sources": srcs, "own": o, "k": o.exact, "weaker": weaker_than(srcs, o.exact)}
]

levels_involved(c) := array.concat([c.a.ctx.level], [object.get(s, "level", null) | some s in c.sources])

source_key_types(srcs) := {s.id: data.dsscan.lib.key_name(k) |
	some s in srcs
	k := src_strength(s)
	k != null
}

unencrypted_sensitive_copy(c) if {
	c.k == 0
	count(c.weaker) == 0
	max([c.a.ctx.protect_rank, data.dsscan.lib.rank(data.dsscan.lib.highest(levels_involved(c)))]) >= 2
}

copy_evidence(c) := {
	"copy_key_type": data.dsscan.lib.key_name(c.own.k),
	"copy_encryption_from": c.own.from,
	"source_key_types": source_key_types(c.sources),
}

key_phrase(k) := replace(data.dsscan.lib.key_name(k), "_", "-")

# (Templates filled in Python, dsscan/messages.py: {asset} is the copy's name.)
weaker_message(a, 0, ids) := {"template": "{kind} {asset} is not encrypted at rest, while its source {sources} is.", "kind": a.kind, "sources": ids}

weaker_message(a, k, ids) := {
	"template": "{kind} {asset} is encrypted with a {key} key, weaker than the key of its source {sources}.",
	"kind": a.kind, "key": key_phrase(k), "sources": ids,
} if k > 0

deny contains finding if {
	some c in copies
	count(c.weaker) > 0
	finding := {
		"asset": c.a.id,
		"key": "weaker_key",
		"related": c.weaker,
		"level": data.dsscan.lib.highest(levels_involved(c)),
		"message": weaker_message(c.a, c.k, c.weaker),
		"evidence": copy_evidence(c),
	}
}

deny contains finding if {
	some c in copies
	unencrypted_sensitive_copy(c)
	lvl := data.dsscan.lib.highest(levels_involved(c))
	finding := {
		"asset": c.a.id,
		"key": "copy_unencrypted",
		"related": sort([s.id | some s in c.sources]),
		"level": lvl,
		"message": {
			"template": "{kind} {asset} is a copy of {owed} data but is not encrypted at rest.",
			"kind": c.a.kind, "owed": data.dsscan.lib.protect_level({"level": {"value": lvl}}),
		},
		"evidence": copy_evidence(c),
	}
}

not_assessed contains item if {
	some c in copies
	c.own.state == null
	item := {"asset": c.a.id, "reason": "encryption at rest of the copy (and of its vault) could not be read"}
}

not_assessed contains item if {
	some c in copies
	c.k == null
	data.dsscan.lib.key_type_unknown(c.own.state)
	count(stronger(c.sources, 1)) + count(uncertain(c.sources, 1)) > 0
	item := {"asset": c.a.id, "reason": "the copy is encrypted, but its key type could not be read to compare it with its source's key"}
}

# A copy that is not weaker than its known sources, but some source's encryption or key type
# is unknown (a source key that could not be described may be customer-managed).
not_assessed contains item if {
	some c in copies
	c.k != null
	c.k < 2
	count(c.weaker) == 0
	not unencrypted_sensitive_copy(c)
	unknown := uncertain(c.sources, c.k)
	count(unknown) > 0
	item := {"asset": c.a.id, "reason": {"template": "encryption at rest of its source {sources} could not be read (or its key type): the copy cannot be compared with it", "sources": unknown}}
}

# A copy whose source is not in the inventory but may exist (another account or region not
# swept, a store outside the plan; not "gone": deleted from a scope read completely): its key
# cannot be compared, so the copy is not assessed unless its own key is customer-managed (as
# strong as any source).
not_assessed contains item if {
	some a in copy_assets
	own(a).exact != 2
	missing := sort([s.id |
		some s in a.ctx.sources
		s.missing == true
		not s.gone == true
		s.relation in copy_relations
	])
	count(missing) > 0
	item := {"asset": a.id, "reason": {"template": "its source {sources} is not in the inventory: the copy's key cannot be compared with the source's", "sources": missing}}
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

# Vaults whose contents require encryption (a kind check first: vaults are few).
vaults := [v |
	some v in readable_vaults
	required(v) > 0
]

readable_vaults := [v |
	some v in data.dsscan.lib.assets
	v.kind == "backup_vault"
	v.ctx.assessable
]

vault_message(v, 0) := {"template": "Backup vault {asset} holds {held} data but is not encrypted at rest.", "held": vault_level(v)}

vault_message(v, k) := {
	"template": "Backup vault {asset} holds {held} data but is encrypted with a {key} key; it needs a {needed} key.",
	"held": vault_level(v), "key": key_phrase(k), "needed": key_phrase(required(v)),
} if k > 0

vault_state(v) := data.dsscan.lib.at_rest(object.get(v, "encryption", null))

deny contains finding if {
	some v in vaults
	s := vault_state(v)
	k := data.dsscan.lib.key_strength(s)
	k < required(v)
	not data.dsscan.lib.key_type_unknown(s)
	finding := {
		"asset": v.id,
		"key": "vault_key",
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
	some v in vaults
	not data.dsscan.lib.key_strength_known(vault_state(v))
	item := {"asset": v.id, "reason": "encryption at rest of the backup vault could not be read"}
}

not_assessed contains item if {
	some v in vaults
	required(v) == 2
	data.dsscan.lib.key_type_unknown(vault_state(v))
	item := {"asset": v.id, "reason": "the backup vault is encrypted, but its key type could not be read"}
}

# Assessed: copies whose own encryption (or their vault's) could be read; vaults whose contents
# need no key, by their level, and the others whose key could be read. A store that is no
# copy of another is not applicable.
assessed := union({
	{c.a.id |
		some c in copies
		c.own.state != null
	},
	{v.id |
		some v in readable_vaults
		required(v) == 0
	},
	{v.id |
		some v in vaults
		data.dsscan.lib.key_strength_known(vault_state(v))
	},
})

