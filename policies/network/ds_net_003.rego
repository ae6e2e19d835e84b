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
#   kinds: [object_store, database, table, file_system, cache, warehouse]
package dsscan.policy.ds_net_003

import rego.v1

# Kinds that can be opened to the public on their own (a table is exposed through its store).
exposable_kinds := {"object_store", "database", "warehouse", "cache", "file_system"}

in_scope(a) if {
	data.dsscan.lib.is_store(a)
	data.dsscan.lib.assessable(a)
	data.dsscan.lib.protect_rank(a) >= 2
}

publicly_accessible(a) := object.get(a, ["network", "publicly_accessible"], null)

access_public(a) := object.get(a, ["access", "public"], null)

exposures(a) := [x |
	some x in ["publicly accessible endpoint", "public access policy"]
	exposure(a, x)
]

exposure(a, "publicly accessible endpoint") if publicly_accessible(a) == true

exposure(a, "public access policy") if access_public(a) == true

deny contains finding if {
	some a in input.assets
	in_scope(a)
	xs := exposures(a)
	count(xs) > 0
	finding := {
		"asset": a.id,
		"level": data.dsscan.lib.level_of(a),
		"message": sprintf("%s holds %s data but is publicly accessible (%s).", [
			data.dsscan.lib.display_name(a), data.dsscan.lib.level_label(a), concat(", ", xs),
		]),
		"evidence": {"publicly_accessible": publicly_accessible(a), "access_public": access_public(a)},
	}
}

not_assessed contains item if {
	some a in input.assets
	in_scope(a)
	a.kind in exposable_kinds
	not is_boolean(publicly_accessible(a))
	not is_boolean(access_public(a))
	item := {"asset": a.id, "reason": "whether the store is publicly accessible could not be read"}
}
