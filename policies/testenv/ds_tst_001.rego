# METADATA
# title: Test environments are isolated from production networks
# description: |
#   The test environment is isolated from the production system. A test or development
#   store does not sit inside a production network domain, and no network path (security
#   group ingress, peering with routes) links a test domain and a production domain in
#   either direction. One finding per pair of domains; its level is the higher of the two.
# custom:
#   id: DS-TST-001
#   articles: [48]
#   remediation: |
#     Move test stores into a test network domain; remove the peering, transit gateway routes
#     or security-group rules that connect test and production domains. Move data between
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
		"message": sprintf("%s store %s sits inside production network domain %s.", [
			a.ctx.environment, data.dsscan.lib.display_name(a), data.dsscan.lib.display_name(d),
		]),
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
		"message": sprintf("%s network domain %s is reachable from %s domain %s.", [
			domain_env(d), data.dsscan.lib.display_name(d), src_env, source_name(es, src),
		]),
		"evidence": {
			"domain_environment": domain_env(d),
			"from": src,
			"from_environment": src_env,
			"via": sort({v | some e in es; v := e.via; is_string(v)}),
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
