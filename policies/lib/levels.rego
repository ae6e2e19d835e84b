# Shared helpers for the dsscan policy library: level ranks, the protection level of an
# unclassified asset, asset kinds, environments and encryption key strength.
#
# Facts may be null ("could not be read"); every helper here is total over null/missing
# input (regorus raises on type errors where OPA is lenient, so guard types explicitly).
#
# Speed: regorus does not cache function results, so each helper call costs microseconds on
# every asset and in every policy. Python (dsscan.relations) therefore precomputes eight
# per-asset facts into ctx (docs/architecture.md §3): level, rank, protect_level,
# protect_rank, environment, test, production, assessable. Each helper below reads its fact
# when present and computes it otherwise (policy tests and hand-written inputs have no
# facts); `assets` hands policies every asset with all eight facts, so a policy can reject an
# asset with plain field reads (`a.ctx.protect_rank >= 2`) before calling anything.
package dsscan.lib

import rego.v1

level_names := ["unclassified", "general", "sensitive", "important", "core"]

level_rank := {"unclassified": 0, "general": 1, "sensitive": 2, "important": 3, "core": 4}

# rank of a level name; anything that is not a level (null, typo) ranks as unclassified.
# (Looking up a non-string key is undefined, not an error, in both engines.)
rank(level) := r if {
	r := level_rank[level]
} else := 0

default_config := {
	"test_environments": ["test", "development"],
	"unclassified_protection_level": "sensitive",
	"backup_separation": "account_or_region",
	"allowed_regions": [],
}

# data.dsscan.config as handed over by Python (Config.policy_data()); keys it omits keep
# their defaults so a test or an old caller can pass a partial object.
default user_config := {}

user_config := data.dsscan.config if is_object(data.dsscan.config)

config := object.union(default_config, user_config)

# --- the assets as policies read them ------------------------------------------------------

# input.assets as given when every asset carries the eight ctx facts (dsscan sets them all
# together, with these types); otherwise each asset with its facts and ctx relations filled
# in here. A complete rule is evaluated once per query and shared by every policy.
assets := input.assets if {
	count(_with_all_facts) == count(input.assets)
} else := _filled

# (An array of the eight refs is undefined, so the asset is skipped, when one is missing;
# the same in OPA and regorus, unlike a negated call or `not x in s` on a missing value.)
_with_all_facts := [1 |
	some a in input.assets
	_ := [
		a.ctx.level, a.ctx.rank, a.ctx.protect_level, a.ctx.protect_rank,
		a.ctx.environment, a.ctx.test, a.ctx.production, a.ctx.assessable,
	]
]

_filled := [with_facts(a) | some a in input.assets]

# The asset with its ctx facts (kept when present and well typed, computed otherwise) and the
# ctx relations Python always sets: lists ([] when missing) and objects (null when missing).
with_facts(a) := object.union(a, {"ctx": object.union(_ctx(a), {
	"level": level_of(a),
	"rank": rank_of(a),
	"protect_level": protect_level(a),
	"protect_rank": protect_rank(a),
	"environment": environment_of(a),
	"test": _test_flag(a),
	"production": _production_flag(a),
	"assessable": _assessable_flag(a),
	"backups": list(a, ["ctx", "backups"]),
	"sources": list(a, ["ctx", "sources"]),
	"contents": list(a, ["ctx", "contents"]),
	"domain": _object(a, ["ctx", "domain"]),
	"vault": _object(a, ["ctx", "vault"]),
	"parent": _object(a, ["ctx", "parent"]),
})}) if is_object(a) else := a

_ctx(a) := c if {
	c := a.ctx
	is_object(c)
} else := {}

_object(obj, path) := v if {
	v := object.get(obj, path, null)
	is_object(v)
} else := null

_test_flag(a) := true if is_test(a) else := false

_production_flag(a) := true if is_production(a) else := false

_assessable_flag(a) := true if assessable(a) else := false

# Assessable stores owing sensitive-level protection or above: the scope most policies start
# from, filtered once for all of them.
protected_stores := [a |
	some a in assets
	a.ctx.protect_rank >= 2
	a.kind in store_kinds
	a.ctx.assessable
]

# Assessable stores below it: a policy whose duty starts at sensitive judges them by their
# level alone (they pass), so each such policy lists them in its `assessed`.
unprotected_stores := [a |
	some a in assets
	a.ctx.protect_rank < 2
	a.kind in store_kinds
	a.ctx.assessable
]

# Their ids, built once per chunk for every policy that lists them in its `assessed` (a set
# union costs less than each policy walking the assets again).
unprotected_store_ids := {a.id | some a in unprotected_stores}

# The ids of every assessable store, either side of the sensitive line. A policy's
# `assessed` is best written as this set less the few stores whose facts were unknown: set
# operations run natively, while each element a comprehension walks costs regorus ~1.5 µs,
# and `assessed` is evaluated by every policy for every chunk (a fifth of the library's
# instructions when each policy walked its stores again).
protected_store_ids := {a.id | some a in protected_stores}

assessable_store_ids := unprotected_store_ids | protected_store_ids

# Every assessable store or copy (backup, snapshot): the subjects of the policies that judge
# data wherever it is kept.
assessable_data := [a |
	some a in assets
	a.kind in data_kinds
	a.ctx.assessable
]

assessable_data_ids := {a.id | some a in assessable_data}

# Every assessable store, whatever protection it owes.
assessable_stores := array.concat(protected_stores, unprotected_stores)

# Readable backup vaults and network domains, by id, from one walk over the assets.
_vaults_and_domains := [a |
	some a in assets
	a.kind in {"backup_vault", "network_domain"}
	a.ctx.assessable
]

assessable_vault_ids := {a.id | some a in _vaults_and_domains; a.kind == "backup_vault"}

assessable_domain_ids := {a.id | some a in _vaults_and_domains; a.kind == "network_domain"}

# --- per-asset facts: ctx fast path, computed fallback ---------------------------------------

# The asset's level name; null/missing/unknown values are "unclassified".
level_of(a) := v if {
	v := a.ctx.level
	is_string(v)
} else := v if {
	v := object.get(a, ["level", "value"], null)
	is_string(v)
	level_rank[v] >= 0
} else := "unclassified"

# The level whose protection an asset owes: its own, or, when unclassified, the configured
# protection level (unknown is never treated as general: docs/catalogue.md).
protect_level(a) := v if {
	v := a.ctx.protect_level
	is_string(v)
} else := config.unclassified_protection_level if {
	level_of(a) == "unclassified"
} else := level_of(a)

protect_rank(a) := r if {
	r := a.ctx.protect_rank
	is_number(r)
} else := rank(protect_level(a))

# Rank of the asset's own level (0 when unclassified).
rank_of(a) := r if {
	r := a.ctx.rank
	is_number(r)
} else := rank(level_of(a))

# How the level reads in a message: "core", or "unclassified (protected as sensitive)".
# The first two rules read the ctx facts when both are level names (by lookups: a table of
# every pair would be rebuilt for each chunk, ~1 µs per asset at 50 assets a chunk).
level_label(a) := l if {
	l := a.ctx.level
	l != "unclassified"
	level_rank[l] >= 0
	level_rank[a.ctx.protect_level] >= 0
} else := sprintf("unclassified (protected as %s)", [p]) if {
	a.ctx.level == "unclassified"
	p := a.ctx.protect_level
	level_rank[p] >= 0
} else := v if {
	v := level_of(a)
	v != "unclassified"
} else := sprintf("unclassified (protected as %s)", [protect_level(a)])

# Highest level among a collection of level names (nulls and non-levels ignored);
# "unclassified" for an empty collection. (A non-level has no rank here instead of rank 0:
# the same maximum, as 0 is always in the list.)
highest(levels) := level_names[max(array.concat([0], [r | some l in levels; r := level_rank[l]]))]

store_kinds := {"object_store", "database", "table", "file_system", "cache", "warehouse", "volume"}

copy_kinds := {"backup", "snapshot"}

data_kinds := store_kinds | copy_kinds

is_store(a) if a.kind in store_kinds

is_copy_kind(a) if a.kind in copy_kinds

environment_of(a) := v if {
	v := a.ctx.environment
	is_string(v)
} else := v if {
	v := object.get(a, ["environment", "value"], null)
	is_string(v)
} else := "unknown"

is_test(a) if a.ctx.test == true

is_test(a) if {
	not is_boolean(object.get(a, ["ctx", "test"], null))
	environment_of(a) in config.test_environments
}

is_production(a) if a.ctx.production == true

is_production(a) if {
	not is_boolean(object.get(a, ["ctx", "production"], null))
	environment_of(a) == "production"
}

# Assets the scanner could not read at all are reported by Python, not by policies.
# (In a negation, read a possibly missing fact with object.get: OPA makes `not f(x.missing)`
# fail where regorus makes it succeed.)
assessable(a) if a.ctx.assessable == true

assessable(a) if {
	not is_boolean(object.get(a, ["ctx", "assessable"], null))
	not _unreadable(a)
}

_unreadable(a) if a.assessment.status == "not_assessed"

# How an asset is named in messages: its name, else its id.
display_name(a) := a.name if {
	is_string(a.name)
	a.name != ""
} else := a.id

# A list-valued fact or [] when it is null/missing (iteration over null is an error in regorus).
# The asset is only a copy of other stores, judged through its sources: a backup of something,
# or a replica of a store that does not replicate back to it. Two-way replication makes both
# buckets live stores: each is judged as a store (its backup duty, its restores), and each
# is also a replica in the other's ctx.backups.
# (Direct field reads, not list(): called for most stores by DS-BAK-002 and DS-BAK-004.)
only_a_copy(a) if {
	x := a.backup.backup_of
	is_array(x)
	count(x) > 0
}

only_a_copy(a) if {
	x := a.replica_of
	is_array(x)
	count(x) > 0
	not _two_way(a)
}

_two_way(a) if {
	some src in list(a, ["replica_of"])
	some b in list(a, ["ctx", "backups"])
	b.id == src
}

list(obj, path) := v if {
	v := object.get(obj, path, [])
	is_array(v)
} else := []

# The string elements of a list-valued fact (ids, subnets) for concat/sort in messages.
strings(obj, path) := [x | some x in list(obj, path); is_string(x)]

# The at-rest encryption state from either an asset's `encryption` block ({at_rest: {...}})
# or an already flattened state ({enabled, key_type, ...}) as found in ctx; null if unknown.
at_rest(enc) := s if {
	s := enc.at_rest
	is_object(s)
} else := enc if {
	is_object(enc)
	not "at_rest" in object.keys(enc)
} else := null

# Key strength of an at-rest encryption state: 0 not encrypted, 1 provider-managed key (or
# encrypted with an unknown key type), 2 customer-managed key; undefined when unknown.
# A known key type implies encryption even when `enabled` itself could not be read.
# The table answers the usual states in one lookup; the rules after it decide the others.
key_strength(enc) := k if {
	k := _strength[enc.enabled][enc.key_type]
} else := 0 if {
	is_object(enc)
	_unencrypted(enc)
} else := 2 if {
	is_object(enc)
	enc.key_type == "customer_managed"
} else := 1 if {
	is_object(enc)
	enc.key_type == "provider_managed"
} else := 1 if {
	is_object(enc)
	enc.enabled == true
}

_strength := {
	false: {"none": 0, "provider_managed": 0, "customer_managed": 0, null: 0},
	true: {"none": 0, "provider_managed": 1, "customer_managed": 2, null: 1},
	null: {"none": 0, "provider_managed": 1, "customer_managed": 2},
}

_unencrypted(enc) if enc.enabled == false

# key_strength, or null when it is unknown (to bind it once where undefined would drop a row).
key_strength_or_null(enc) := k if {
	k := key_strength(enc)
} else := null

# The key strength could be read (use instead of `not key_strength(x)`: a strength of 0 is a
# value, and negating a number-valued call is easy to misread).
key_strength_known(enc) if key_strength(enc) >= 0

_unencrypted(enc) if enc.key_type == "none"

# Encrypted, but the key type could not be read: strength 1 is only a lower bound.
key_type_unknown(enc) if {
	key_strength(enc) == 1
	object.get(enc, "key_type", null) == null
}

key_names := ["none", "provider_managed", "customer_managed"]

# Human name of a strength for messages/evidence.
key_name(strength) := key_names[strength] if is_number(strength) else := "unknown"
