# METADATA
# title: Each store sits in a network security domain rated for its level or higher
# description: |
#   Networks are divided into logical security domains by data level. A store placed in a
#   network (VPC, subnets or an explicit domain) sits in a declared network security domain
#   whose rated level is at least the store's level. A store of sensitive data or above in a
#   network that is not a declared domain, or in a domain without a rating, is a finding.
#   Stores without network placement (e.g. S3 buckets) are out of scope here; their exposure
#   is judged by DS-NET-003.
# custom:
#   id: DS-NET-001
#   articles: [41]
#   remediation: |
#     Move the store into subnets of a domain rated for its level (or re-rate the domain after
#     raising its controls to that level), declare the VPC or subnets as a network domain with
#     a level (domain tags such as dsscan:level, or `domains:` in the dsscan configuration).
#   kinds: [object_store, database, table, file_system, cache, warehouse]
package dsscan.policy.ds_net_001

import rego.v1

non_empty_string(x) if {
	is_string(x)
	x != ""
}

placed(a) if non_empty_string(object.get(a, ["network", "vpc_id"], null))

placed(a) if count(data.dsscan.lib.list(a, ["network", "subnets"])) > 0

placed(a) if non_empty_string(object.get(a, ["network", "domain"], null))

in_scope(a) if {
	data.dsscan.lib.is_store(a)
	data.dsscan.lib.assessable(a)
	placed(a)
}

domain(a) := d if {
	d := object.get(a, ["ctx", "domain"], null)
	is_object(d)
} else := null

# The domain carries a usable rating.
rated(d) if {
	object.get(d, "rated", true) != false
	data.dsscan.lib.rank(object.get(d, "level", null)) >= 1
}

# Where the store sits, for messages: the explicit domain, the VPC or the subnets.
network_name(a) := x if {
	x := object.get(a, ["network", "domain"], null)
	non_empty_string(x)
} else := x if {
	x := object.get(a, ["network", "vpc_id"], null)
	non_empty_string(x)
} else := concat(", ", data.dsscan.lib.strings(a, ["network", "subnets"]))

domain_name(d) := d.name if non_empty_string(object.get(d, "name", null)) else := object.get(d, "id", "(unnamed)")

deny contains finding if {
	some a in input.assets
	in_scope(a)
	domain(a) == null
	data.dsscan.lib.protect_rank(a) >= 2
	finding := {
		"asset": a.id,
		"level": data.dsscan.lib.level_of(a),
		"message": sprintf("%s holds %s data but sits in network %s, which is not a declared network security domain.", [
			data.dsscan.lib.display_name(a), data.dsscan.lib.level_label(a), network_name(a),
		]),
		"evidence": {
			"vpc_id": object.get(a, ["network", "vpc_id"], null),
			"subnets": data.dsscan.lib.strings(a, ["network", "subnets"]),
			"domain": null,
			"store_level": data.dsscan.lib.protect_level(a),
		},
	}
}

deny contains finding if {
	some a in input.assets
	in_scope(a)
	d := domain(a)
	d != null
	not rated(d)
	data.dsscan.lib.protect_rank(a) >= 2
	finding := {
		"asset": a.id,
		"related": [d.id],
		"level": data.dsscan.lib.level_of(a),
		"message": sprintf("%s holds %s data but sits in network domain %s, which has no rated level.", [
			data.dsscan.lib.display_name(a), data.dsscan.lib.level_label(a), domain_name(d),
		]),
		"evidence": {"domain": d.id, "domain_level": object.get(d, "level", null), "rated": false, "store_level": data.dsscan.lib.protect_level(a)},
	}
}

deny contains finding if {
	some a in input.assets
	in_scope(a)
	d := domain(a)
	d != null
	rated(d)
	data.dsscan.lib.rank(d.level) < data.dsscan.lib.protect_rank(a)
	finding := {
		"asset": a.id,
		"related": [d.id],
		"level": data.dsscan.lib.level_of(a),
		"message": sprintf("%s holds %s data but sits in network domain %s rated only %s.", [
			data.dsscan.lib.display_name(a), data.dsscan.lib.level_label(a), domain_name(d), d.level,
		]),
		"evidence": {"domain": d.id, "domain_level": d.level, "rated": true, "store_level": data.dsscan.lib.protect_level(a)},
	}
}
