# Shared helpers for the dsscan policy library: level ranks, the protection level of an
# unclassified asset, asset kinds, environments and encryption key strength.
#
# Facts may be null ("could not be read"); every helper here is total over null/missing
# input (regorus raises on type errors where OPA is lenient, so guard types explicitly).
package dsscan.lib

import rego.v1

level_names := ["unclassified", "general", "sensitive", "important", "core"]

level_rank := {"unclassified": 0, "general": 1, "sensitive": 2, "important": 3, "core": 4}

# rank of a level name; anything that is not a level (null, typo) ranks as unclassified.
rank(level) := r if {
	is_string(level)
	r := level_rank[level]
} else := 0

default_config := {
	"test_environments": ["test", "development"],
	"unclassified_protection_level": "sensitive",
	"backup_separation": "account_or_region",
}

# data.dsscan.config as handed over by Python (Config.policy_data()); keys it omits keep
# their defaults so a test or an old caller can pass a partial object.
default user_config := {}

user_config := data.dsscan.config if is_object(data.dsscan.config)

config := object.union(default_config, user_config)

# The asset's level name; null/missing/unknown values are "unclassified".
level_of(a) := v if {
	v := object.get(a, ["level", "value"], null)
	is_string(v)
	level_rank[v] >= 0
} else := "unclassified"

# The level whose protection an asset owes: its own, or, when unclassified, the configured
# protection level (unknown is never treated as general, DESIGN §1).
protect_level(a) := config.unclassified_protection_level if {
	level_of(a) == "unclassified"
} else := level_of(a)

protect_rank(a) := rank(protect_level(a))

# How the level reads in a message: "core", or "unclassified (protected as sensitive)".
level_label(a) := sprintf("unclassified (protected as %s)", [protect_level(a)]) if {
	level_of(a) == "unclassified"
} else := level_of(a)

# Highest level among a collection of level names (nulls and non-levels ignored);
# "unclassified" for an empty collection.
highest(levels) := level_names[max(array.concat([0], [rank(l) | some l in levels]))]

store_kinds := {"object_store", "database", "table", "file_system", "cache", "warehouse"}

copy_kinds := {"backup", "snapshot"}

is_store(a) if a.kind in store_kinds

is_copy_kind(a) if a.kind in copy_kinds

environment_of(a) := v if {
	v := object.get(a, ["environment", "value"], null)
	is_string(v)
} else := "unknown"

is_test(a) if environment_of(a) in config.test_environments

is_production(a) if environment_of(a) == "production"

# Assets the scanner could not read at all are reported by Python, not by policies.
assessable(a) if not _unreadable(a)

_unreadable(a) if a.assessment.status == "not_assessed"

# How an asset is named in messages: its name, else its id.
display_name(a) := a.name if {
	is_string(a.name)
	a.name != ""
} else := a.id

# A list-valued fact or [] when it is null/missing (iteration over null is an error in regorus).
list(obj, path) := v if {
	v := object.get(obj, path, [])
	is_array(v)
} else := []

# The string elements of a list-valued fact (ids, subnets) for concat/sort in messages.
strings(obj, path) := [x | some x in list(obj, path); is_string(x)]

# The at-rest encryption state from either an asset's `encryption` block ({at_rest: {...}})
# or an already flattened state ({enabled, key_type, ...}) as found in ctx; null if unknown.
at_rest(enc) := s if {
	is_object(enc)
	s := object.get(enc, "at_rest", null)
	is_object(s)
} else := enc if {
	is_object(enc)
	not "at_rest" in object.keys(enc)
} else := null

# Key strength of an at-rest encryption state: 0 not encrypted, 1 provider-managed key (or
# encrypted with an unknown key type), 2 customer-managed key; undefined when unknown.
# A known key type implies encryption even when `enabled` itself could not be read.
key_strength(enc) := 0 if {
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

_unencrypted(enc) if enc.enabled == false

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
