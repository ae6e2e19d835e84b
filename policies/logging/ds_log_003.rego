# METADATA
# title: Network domains holding sensitive data or above record their traffic (VPC flow logs)
# description: |
#   A network domain rated sensitive or above, or holding a store whose level is sensitive or
#   above (an unclassified store counts at the configured protection level), has a flow log
#   on its VPC that records both accepted and rejected traffic (traffic type ALL, or an
#   ACCEPT and a REJECT log), so that who connected to the data, and who tried, can be traced
#   (Art. 41 network monitoring; Art. 43 operation logs). Flow logs on some subnets or
#   network interfaces only do not count. Flow logs that could not be read: not assessed.
# custom:
#   id: DS-LOG-003
#   articles: [41, 43]
#   remediation: |
#     Create a VPC flow log on the domain's VPC with traffic type ALL (aws_flow_log with
#     vpc_id and traffic_type = "ALL"; EC2 CreateFlowLogs), delivered to CloudWatch Logs or
#     an S3 bucket whose retention follows the data's level (DS-LOG-002).
#   kinds: [network_domain]
#   reads: [logging]
package dsscan.policy.ds_log_003

import rego.v1

# Readable domains that owe monitoring: rated sensitive or above, or holding such data. The
# highest of the two levels is what a finding carries. (Domains are few: kind check first.)
judged := [{"d": d, "level": lvl} |
	some d in data.dsscan.lib.assets
	d.kind == "network_domain"
	d.ctx.assessable
	held := object.get(d, ["ctx", "domain", "holds_level"], null)
	lvl := data.dsscan.lib.highest([d.ctx.level, held])
	data.dsscan.lib.rank(lvl) >= 2
]

flow_logs(d) := object.get(d, ["network", "flow_logs"], null)

# (lib.list: [] for null, which regorus would refuse to iterate)
types(d) := {t | some f in data.dsscan.lib.list(d, ["network", "flow_logs"]); is_object(f); t := object.get(f, "traffic_type", null)}

covered(d) if "ALL" in types(d)

covered(d) if {
	"ACCEPT" in types(d)
	"REJECT" in types(d)
}

# A log whose traffic type is unknown may be the missing one.
unknown_type(d) if {
	some f in data.dsscan.lib.list(d, ["network", "flow_logs"])
	not is_string(object.get(f, "traffic_type", null))
}

evidence(d) := {
	"domain_level": d.ctx.level,
	"holds_level": object.get(d, ["ctx", "domain", "holds_level"], null),
	"traffic_types": sort([t | some t in types(d); is_string(t)]),
}

deny contains finding if {
	some j in judged
	d := j.d
	flow_logs(d) == []
	finding := {
		"asset": d.id,
		"key": "no_flow_logs",
		"level": j.level,
		"message": {"template": "Network domain {asset} holds {level} data but no flow log records its traffic.", "level": j.level},
		"evidence": evidence(d),
	}
}

deny contains finding if {
	some j in judged
	d := j.d
	is_array(flow_logs(d))
	flow_logs(d) != []
	not covered(d)
	not unknown_type(d)
	finding := {
		"asset": d.id,
		"key": "partial_flow_logs",
		"level": j.level,
		"message": {
			"template": "Network domain {asset} holds {level} data but its flow logs record only {types} traffic.",
			"level": j.level, "types": concat(" and ", sort([t | some t in types(d); is_string(t)])),
		},
		"evidence": evidence(d),
	}
}

not_assessed contains item if {
	some j in judged
	not is_array(flow_logs(j.d))
	item := {"asset": j.d.id, "reason": "the VPC's flow logs could not be read"}
}

not_assessed contains item if {
	some j in judged
	is_array(flow_logs(j.d))
	not covered(j.d)
	unknown_type(j.d)
	item := {"asset": j.d.id, "reason": "the traffic type of a flow log could not be read"}
}

# Assessed: readable domains below sensitive (nothing owed), and the others whose flow logs
# were read.
assessed := union({
	{d.id |
		some d in data.dsscan.lib.assets
		d.kind == "network_domain"
		d.ctx.assessable
		data.dsscan.lib.rank(data.dsscan.lib.highest([d.ctx.level, object.get(d, ["ctx", "domain", "holds_level"], null)])) < 2
	},
	{j.d.id | some j in judged; is_array(flow_logs(j.d))},
})
