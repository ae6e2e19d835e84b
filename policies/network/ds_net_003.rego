# METADATA
# title: Stores at sensitive level or above are not publicly accessible
# description: |
#   A store holding sensitive data or above is neither reachable from the internet as an
#   endpoint (publicly accessible database, cache or warehouse) nor readable by anyone
#   through its access policy (public bucket or file system). The store is not assessed when
#   neither fact could be read.
# custom:
#   id: DS-NET-003
#   articles: [41, 53]
#   remediation: |
#     Turn off public accessibility (RDS/Redshift publicly_accessible = false, private
#     subnets only), enable S3 Block Public Access and remove public grants from bucket
#     policies and ACLs. Expose data to third parties only through a managed interface
#     platform (Art. 53), never by opening the store itself.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume]
#   reads: [network, access]
package dsscan.policy.ds_net_003

import rego.v1

# Kinds that can be opened to the public on their own. A table inside a database is exposed
# through its database; a table of its own (DynamoDB: a public endpoint and a resource
# policy) is exposed by its policy.
exposable_kinds := {"object_store", "database", "warehouse", "cache", "file_system"}

exposable(a) if a.kind in exposable_kinds

exposable(a) if {
	a.kind == "table"
	not is_object(object.get(a, ["ctx", "parent"], null))
}

publicly_accessible(a) := object.get(a, ["network", "publicly_accessible"], null)

access_public(a) := object.get(a, ["access", "public"], null)

# Exposed stores owing sensitive-level protection or above, by direct reads.
exposed := array.concat(
	[a |
		some a in data.dsscan.lib.protected_stores
		a.network.publicly_accessible == true
	],
	[a |
		some a in data.dsscan.lib.protected_stores
		a.access.public == true
		not a.network.publicly_accessible == true
	],
)

exposures(a) := [x |
	some x in ["publicly accessible endpoint", "public access policy"]
	exposure(a, x)
]

exposure(a, "publicly accessible endpoint") if publicly_accessible(a) == true

exposure(a, "public access policy") if access_public(a) == true

deny contains finding if {
	some a in exposed
	xs := exposures(a)
	finding := {
		"asset": a.id,
		"level": a.ctx.level,
		"message": {"template": "{asset} holds {level} data but is publicly accessible ({exposures}).", "exposures": xs},
		"evidence": {"publicly_accessible": publicly_accessible(a), "access_public": access_public(a)},
	}
}

# Neither fact is a boolean; the access fact first (most stores have it).
not_assessed contains item if {
	some a in data.dsscan.lib.protected_stores
	not a.access.public == false
	not a.access.public == true
	exposable(a)
	not is_boolean(publicly_accessible(a))
	item := {"asset": a.id, "reason": "whether the store is publicly accessible could not be read"}
}

# Assessed (docs/writing-policies.md): stores below sensitive protection, by their level; the
# others when at least one exposure fact could be read. A table inside a database with neither
# fact is not applicable (its database is judged), never passed.
# (One walk over the protected stores, not one per fact: each element a comprehension walks
# costs regorus ~1.5 µs, and this is asked of every protected store.)
assessed := data.dsscan.lib.unprotected_store_ids | {a.id |
	some a in data.dsscan.lib.protected_stores
	exposure_known(a)
}

exposure_known(a) := true if {
	is_boolean(object.get(a, ["access", "public"], null))
} else := true if {
	is_boolean(object.get(a, ["network", "publicly_accessible"], null))
}

