# METADATA
# title: No path into a network domain from a lower-level domain or the internet
# description: |
#   Security-group ingress, peering and routes must not let a lower-rated network domain, or
#   the internet, open connections into a domain. Sources whose level is not known (an
#   unrated domain, a prefix list, an unmatched CIDR) count as lower for domains rated
#   sensitive or above. One finding per domain and source, with the rules or peerings that
#   open the path as evidence.
# custom:
#   id: DS-NET-002
#   articles: [41]
#   remediation: |
#     Remove the ingress rules or peering routes that open the path (evidence lists them), or
#     route the traffic through a controlled gateway/proxy in the higher domain. Internet
#     ingress into a data domain goes through a load balancer or API gateway in a DMZ domain,
#     never straight to the data tier.
#   kinds: [network_domain]
#   reads: [network]
package dsscan.policy.ds_net_002

import rego.v1

# Network domains with reachability facts (a kind check first: domains are few).
domains := [d |
	some d in data.dsscan.lib.assets
	d.kind == "network_domain"
	d.ctx.assessable
	is_object(d.ctx.domain)
]

entries(d) := [e |
	some e in data.dsscan.lib.list(d, ["ctx", "domain", "reachable_from"])
	is_object(e)
	is_string(e.from)
	e.from != d.id
]

sources(d) := {e.from | some e in entries(d)}

vias(d, src) := sort({v | some e in entries(d); e.from == src; v := e.via; is_string(v)})

# The source's rated level (general or above), or "unclassified" when no entry rates it.
source_level(d, src) := data.dsscan.lib.highest([object.get(e, "level", null) | some e in entries(d); e.from == src])

# How a source reads in messages: the source domain's name (reachability entries carry it),
# else its id (which stays in related and evidence).
source_name(d, src) := names[0] if {
	names := sort({n | some e in entries(d); e.from == src; n := e.name; is_string(n); n != ""})
	count(names) > 0
} else := src

domain_name(d) := data.dsscan.lib.display_name(d)

# Sources that are assets (domains); prefix lists and unknown security groups are not.
related(src) := [] if {
	some prefix in ["prefix-list:", "security-group:"]
	startswith(src, prefix)
} else := [src]

deny contains finding if {
	some d in domains
	"internet" in sources(d)
	finding := {
		"asset": d.id,
		"key": "internet",
		"level": d.ctx.level,
		"message": sprintf("Network domain %s (%s) is reachable from the internet.", [domain_name(d), d.ctx.level]),
		"evidence": {"from": "internet", "from_level": null, "domain_level": d.ctx.level, "via": vias(d, "internet")},
	}
}

deny contains finding if {
	some d in domains
	some src in sources(d)
	src != "internet"
	lvl := source_level(d, src)
	lvl != "unclassified"
	data.dsscan.lib.rank(lvl) < d.ctx.rank
	finding := {
		"asset": d.id,
		"key": "lower_domain",
		"related": related(src),
		"level": d.ctx.level,
		"message": sprintf("Network domain %s (%s) is reachable from lower-level domain %s (%s).", [
			domain_name(d), d.ctx.level, source_name(d, src), lvl,
		]),
		"evidence": {"from": src, "from_level": lvl, "domain_level": d.ctx.level, "via": vias(d, src)},
	}
}

deny contains finding if {
	some d in domains
	d.ctx.rank >= 2
	some src in sources(d)
	src != "internet"
	source_level(d, src) == "unclassified"
	finding := {
		"asset": d.id,
		"key": "unrated_source",
		"related": related(src),
		"level": d.ctx.level,
		"message": sprintf("Network domain %s (%s) is reachable from an unrated source %s.", [
			domain_name(d), d.ctx.level, source_name(d, src),
		]),
		"evidence": {"from": src, "from_level": null, "domain_level": d.ctx.level, "via": vias(d, src)},
	}
}

# Assessed: every readable network domain.
assessed := {d.id | some d in domains}
