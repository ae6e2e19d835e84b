# METADATA
# title: Test environments are isolated from production networks
# description: |
#   The test environment is isolated from the production system. A test or development
#   store does not sit inside a production network domain, and no network path (security
#   group ingress, peering with routes) links a test domain and a production domain in
#   either direction. One finding per pair of domains; its level is the higher of the two.
#   Isolation is the absence of the link: a peering or a security-group rule joining a test
#   and a production domain is a finding even when no route carries traffic today (key
#   linked_no_route, one level below the pair's, never below general: a path stays more
#   severe). A link whose route tables could not be read is not assessed.
# custom:
#   id: DS-TST-001
#   articles: [48]
#   remediation: |
#     Move test stores into a test network domain; remove the peering (even one without
#     routes), transit gateway routes or security-group rules that connect test and
#     production domains. Move data between
#     them only through a controlled, audited desensitization pipeline.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume, network_domain]
#   reads: [network]
package dsscan.policy.ds_tst_001

import rego.v1

# A domain's environment: its own classification, else what ctx says about it.
domain_env(d) := e if {
	e := data.dsscan.lib.environment_of(d)
	e != "unknown"
} else := e if {
	e := object.get(d, ["ctx", "domain", "environment"], null)
	is_string(e)
} else := "unknown"

is_test_env(e) if e in data.dsscan.lib.config.test_environments

# Plain field reads first: few stores are test stores (ctx.domain is an object or null).
deny contains finding if {
	some a in data.dsscan.lib.assets
	a.ctx.test == true
	a.kind in data.dsscan.lib.store_kinds
	a.ctx.assessable
	d := a.ctx.domain
	d.environment == "production"
	finding := {
		"asset": a.id,
		"key": "in_production_domain",
		"related": [d.id],
		"level": data.dsscan.lib.highest([a.ctx.level, object.get(d, "level", null)]),
		"message": {
			"template": "{environment} store {asset} sits inside production network domain {domain}.",
			"environment": a.ctx.environment,
			"domain": data.dsscan.lib.display_name(d),
		},
		"evidence": {"environment": a.ctx.environment, "domain": d.id, "domain_environment": "production"},
	}
}

entries(d) := [e |
	some e in data.dsscan.lib.list(d, ["ctx", "domain", "reachable_from"])
	is_object(e)
	is_string(e.from)
	e.from != "internet"
	e.from != d.id
]

# (source id, source environment) pairs that cross the test/production boundary into d.
crossing(d) := {[e.from, env] |
	some e in entries(d)
	env := e.environment
	is_string(env)
	crosses(domain_env(d), env)
}

crosses("production", other) if is_test_env(other)

crosses(own, "production") if is_test_env(own)

# How a source domain reads in messages: its name (reachability entries carry it), else its
# id (which stays in related and evidence).
source_name(es, src) := names[0] if {
	names := sort({n | some e in es; n := e.name; is_string(n); n != ""})
	count(names) > 0
} else := src

deny contains finding if {
	some d in data.dsscan.lib.assets
	d.kind == "network_domain"
	d.ctx.assessable
	some pair in crossing(d)
	src := pair[0]
	src_env := pair[1]
	es := [e | some e in entries(d); e.from == src]
	finding := {
		"asset": d.id,
		"key": "reachable_from_production",
		"related": [src],
		"level": data.dsscan.lib.highest(array.concat([d.ctx.level], [object.get(e, "level", null) | some e in es])),
		"message": {
			"template": "{environment} network domain {asset} is reachable from {source_environment} domain {source}.",
			"environment": domain_env(d),
			"source_environment": src_env,
			"source": source_name(es, src),
		},
		"evidence": {
			"domain_environment": domain_env(d),
			"from": src,
			"from_environment": src_env,
			"via": sort({v | some e in es; v := e.via; is_string(v)}),
		},
	}
}

# --- links without a route today (ctx.domain.links; Python lists only sources without a path)

links(d) := [e |
	some e in data.dsscan.lib.list(d, ["ctx", "domain", "links"])
	is_object(e)
	is_string(e.from)
	e.from != "internet"
	e.from != d.id
]

has_path(d, src) if {
	some e in entries(d)
	e.from == src
}

# (source id, source environment, routed) of links crossing the test/production boundary.
linked(d) := {[e.from, env, e.routed] |
	some e in links(d)
	env := e.environment
	is_string(env)
	crosses(domain_env(d), env)
	not has_path(d, e.from)
}

deny contains finding if {
	some d in data.dsscan.lib.assets
	d.kind == "network_domain"
	d.ctx.assessable
	some t in linked(d)
	t[2] == false
	src := t[0]
	es := [e | some e in links(d); e.from == src; e.routed == false]
	pair := data.dsscan.lib.highest(array.concat([d.ctx.level], [object.get(e, "level", null) | some e in es]))
	finding := {
		"asset": d.id,
		"key": "linked_no_route",
		"related": [src],
		"level": data.dsscan.lib.level_names[max([1, data.dsscan.lib.rank(pair) - 1])],
		"message": {
			"template": "{environment} network domain {asset} is linked to {source_environment} domain {source}, no route today.",
			"environment": domain_env(d),
			"source_environment": t[1],
			"source": source_name(es, src),
		},
		"evidence": {
			"domain_environment": domain_env(d),
			"from": src,
			"from_environment": t[1],
			"via": sort({v | some e in es; v := e.via; is_string(v)}),
			"routed": false,
		},
	}
}

# A crossing link whose routes could not be read may be a path: neither a pass nor the lesser
# finding.
not_assessed contains item if {
	some d in data.dsscan.lib.assets
	d.kind == "network_domain"
	d.ctx.assessable
	some t in linked(d)
	t[2] == null
	src := t[0]
	es := [e | some e in links(d); e.from == src; e.routed == null]
	some v in sort({v | some e in es; v := e.via; is_string(v)})
	item := {
		"asset": d.id,
		"reason": {
			"template": "route tables not read: whether {via} from {source_environment} domain {source} carries traffic could not be told",
			"via": v,
			"source_environment": t[1],
			"source": source_name(es, src),
		},
	}
}

# Assessed: readable stores outside test environments, by their environment; test stores whose
# network domain's environment is known; readable network domains. A test store in no known
# domain is not applicable.
assessed := union({
	{a.id |
		some a in data.dsscan.lib.assessable_stores
		not a.ctx.test == true
	},
	{a.id |
		some a in data.dsscan.lib.assessable_stores
		a.ctx.test == true
		is_string(object.get(a, ["ctx", "domain", "environment"], null))
	},
	data.dsscan.lib.assessable_domain_ids,
})
