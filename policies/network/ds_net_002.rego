# METADATA
# title: No path or link into a network domain from a lower-level domain or the internet
# description: |
#   Security-group ingress, peering and routes must not let a lower-rated network domain, or
#   the internet, open connections into a domain. Sources whose level is not known (an
#   unrated domain, a prefix list, an unmatched CIDR) count as lower for domains rated
#   sensitive or above. One finding per domain and source, with the rules or peerings that
#   open the path as evidence. Isolation is the absence of the link: a peering, or a rule
#   admitting a lower domain's range (or the internet), is a finding even when no route
#   carries traffic today (keys internet_link, lower_domain_link, unrated_source_link; their
#   level is one step below the domain's, never below general, so a path stays more
#   severe). A link whose route tables could not be read is not assessed.
# custom:
#   id: DS-NET-002
#   articles: [41]
#   remediation: |
#     Remove the ingress rules, peerings or peering routes that open the path or make the
#     link (evidence lists them; a link without a route is one route away from a path), or
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
		"message": {"template": "Network domain {asset} ({domain_level}) is reachable from the internet.", "domain_level": d.ctx.level},
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
		"message": {
			"template": "Network domain {asset} ({domain_level}) is reachable from lower-level domain {source} ({source_level}).",
			"domain_level": d.ctx.level,
			"source": source_name(d, src),
			"source_level": lvl,
		},
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
		"message": {
			"template": "Network domain {asset} ({domain_level}) is reachable from an unrated source {source}.",
			"domain_level": d.ctx.level,
			"source": source_name(d, src),
		},
		"evidence": {"from": src, "from_level": null, "domain_level": d.ctx.level, "via": vias(d, src)},
	}
}

# Assessed: every readable network domain.
assessed := {d.id | some d in domains}

# --- links without a route today (ctx.domain.links; Python lists only sources without a path)

links(d) := [e |
	some e in data.dsscan.lib.list(d, ["ctx", "domain", "links"])
	is_object(e)
	is_string(e.from)
	e.from != d.id
]

# A source with a path is judged by its path, the more severe finding.
has_path(d, src) if {
	some e in entries(d)
	e.from == src
}

link_sources(d) := {e.from | some e in links(d); e.routed == false; not has_path(d, e.from)}

link_vias(d, src) := sort({v | some e in links(d); e.from == src; e.routed == false; v := e.via; is_string(v)})

link_level(d, src) := data.dsscan.lib.highest([object.get(e, "level", null) | some e in links(d); e.from == src])

link_name(d, src) := names[0] if {
	names := sort({n | some e in links(d); e.from == src; n := e.name; is_string(n); n != ""})
	count(names) > 0
} else := src

# One level below the domain's, never below general: a link is one change away from a path,
# and a path stays the more severe finding.
below(d) := data.dsscan.lib.level_names[max([1, data.dsscan.lib.rank(d.ctx.level) - 1])]

deny contains finding if {
	some d in domains
	"internet" in link_sources(d)
	finding := {
		"asset": d.id,
		"key": "internet_link",
		"level": below(d),
		"message": {"template": "Network domain {asset} ({domain_level}) admits the internet in security-group rules, no route today (no internet gateway).", "domain_level": d.ctx.level},
		"evidence": {"from": "internet", "from_level": null, "domain_level": d.ctx.level, "via": link_vias(d, "internet"), "routed": false},
	}
}

deny contains finding if {
	some d in domains
	some src in link_sources(d)
	src != "internet"
	lvl := link_level(d, src)
	lvl != "unclassified"
	data.dsscan.lib.rank(lvl) < d.ctx.rank
	finding := {
		"asset": d.id,
		"key": "lower_domain_link",
		"related": [src],
		"level": below(d),
		"message": {
			"template": "Network domain {asset} ({domain_level}) is linked to lower-level domain {source} ({source_level}), no route today.",
			"domain_level": d.ctx.level,
			"source": link_name(d, src),
			"source_level": lvl,
		},
		"evidence": {"from": src, "from_level": lvl, "domain_level": d.ctx.level, "via": link_vias(d, src), "routed": false},
	}
}

deny contains finding if {
	some d in domains
	d.ctx.rank >= 2
	some src in link_sources(d)
	src != "internet"
	link_level(d, src) == "unclassified"
	finding := {
		"asset": d.id,
		"key": "unrated_source_link",
		"related": [src],
		"level": below(d),
		"message": {
			"template": "Network domain {asset} ({domain_level}) is linked to unrated domain {source}, no route today.",
			"domain_level": d.ctx.level,
			"source": link_name(d, src),
		},
		"evidence": {"from": src, "from_level": null, "domain_level": d.ctx.level, "via": link_vias(d, src), "routed": false},
	}
}

# A link whose routes could not be read (routed null) from a source that would be a finding:
# it may be a path, so it is neither a pass nor the lesser finding.
unknown_link(d, e) if e.from == "internet"

unknown_link(d, e) if {
	e.from != "internet"
	r := data.dsscan.lib.rank(object.get(e, "level", null))
	r >= 1
	r < d.ctx.rank
}

unknown_link(d, e) if {
	e.from != "internet"
	d.ctx.rank >= 2
	data.dsscan.lib.rank(object.get(e, "level", null)) == 0
}

not_assessed contains item if {
	some d in domains
	some e in links(d)
	e.routed == null
	not has_path(d, e.from)
	unknown_link(d, e)
	item := {
		"asset": d.id,
		"reason": {
			"template": "route tables not read: whether {via} from {source} carries traffic could not be told",
			"via": e.via,
			"source": link_name(d, e.from),
		},
	}
}
