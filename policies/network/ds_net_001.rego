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
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume]
#   reads: [network]
package dsscan.policy.ds_net_001

import rego.v1

non_empty_string(x) if {
	is_string(x)
	x != ""
}

# The store sits in a network: a VPC, subnets or a named domain. (One else-chain, not three
# rules: regorus evaluates every rule of a function, and `assessed` asks this of every
# protected store; the VPC, the usual case, is read first.)
placed(a) := true if {
	non_empty_string(a.network.vpc_id)
} else := true if {
	x := a.network.subnets
	is_array(x)
	x != []
} else := true if {
	non_empty_string(a.network.domain)
}

# The domain carries a usable rating.
rated(d) if {
	object.get(d, "rated", true) != false
	data.dsscan.lib.rank(object.get(d, "level", null)) >= 1
}

# The rank a domain is rated at, 0 when it has no usable rating. (The first rule reads the
# usual shape, {"rated": true, "level": "..."}, directly.)
domain_rank(d) := r if {
	d.rated == true
	r := data.dsscan.lib.level_rank[d.level]
	r >= 1
} else := r if {
	rated(d)
	r := data.dsscan.lib.rank(object.get(d, "level", null))
} else := 0

# Stores owing sensitive-level protection or above (no rule below fires for a lower level: a
# rated domain is at least general). Where a store sits in a domain rated below its level
# (0: unrated), with that rating; placement is checked last, for these only.
misplaced := [{"a": a, "d": d, "r": r} |
	some a in data.dsscan.lib.protected_stores
	d := a.ctx.domain
	d != null
	r := domain_rank(d)
	r < a.ctx.protect_rank
	placed(a)
]

# Where the store sits, for messages: the explicit domain, the VPC or the subnets (a list:
# the message joins it with ", ").
network_name(a) := x if {
	x := object.get(a, ["network", "domain"], null)
	non_empty_string(x)
} else := x if {
	x := object.get(a, ["network", "vpc_id"], null)
	non_empty_string(x)
} else := data.dsscan.lib.strings(a, ["network", "subnets"])

domain_name(d) := d.name if non_empty_string(object.get(d, "name", null)) else := object.get(d, "id", "(unnamed)")

deny contains finding if {
	some a in data.dsscan.lib.protected_stores
	a.ctx.domain == null
	a.network != null
	placed(a)
	finding := {
		"asset": a.id,
		"key": "undeclared_network",
		"level": a.ctx.level,
		"message": {
			"template": "{asset} holds {level} data but sits in network {network}, which is not a declared network security domain.",
			"network": network_name(a),
		},
		"evidence": {
			"vpc_id": object.get(a, ["network", "vpc_id"], null),
			"subnets": data.dsscan.lib.strings(a, ["network", "subnets"]),
			"domain": null,
			"store_level": a.ctx.protect_level,
		},
	}
}

deny contains finding if {
	some m in misplaced
	m.r == 0
	a := m.a
	d := m.d
	finding := {
		"asset": a.id,
		"key": "unrated_domain",
		"related": [d.id],
		"level": a.ctx.level,
		"message": {
			"template": "{asset} holds {level} data but sits in network domain {domain}, which has no rated level.",
			"domain": domain_name(d),
		},
		"evidence": {"domain": d.id, "domain_level": object.get(d, "level", null), "rated": false, "store_level": a.ctx.protect_level},
	}
}

deny contains finding if {
	some m in misplaced
	m.r > 0
	a := m.a
	d := m.d
	finding := {
		"asset": a.id,
		"key": "underrated_domain",
		"related": [d.id],
		"level": a.ctx.level,
		"message": {
			"template": "{asset} holds {level} data but sits in network domain {domain} rated only {rating}.",
			"domain": domain_name(d),
			"rating": d.level,
		},
		"evidence": {"domain": d.id, "domain_level": d.level, "rated": true, "store_level": a.ctx.protect_level},
	}
}

# Assessed: stores below sensitive protection, by their level; the others when their network
# placement could be read. A store outside any network (a bucket) is not applicable.
assessed := union({
	data.dsscan.lib.unprotected_store_ids,
	{a.id |
		some a in data.dsscan.lib.protected_stores
		placed(a)
	},
})

