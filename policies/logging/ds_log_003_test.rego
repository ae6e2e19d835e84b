package dsscan.policy.ds_log_003_test

import rego.v1

domain(level, holds, flow_logs) := {
	"id": "vpc-1", "name": "prod", "kind": "network_domain",
	"level": {"value": level},
	"environment": {"value": "production"},
	"network": {"vpc_id": "vpc-1", "flow_logs": flow_logs},
	"ctx": {"domain": {
		"id": "vpc-1", "name": "prod", "level": level, "rated": level != "unclassified",
		"environment": "production", "reachable_from": [], "holds_level": holds,
	}},
}

log(t) := {"id": sprintf("fl-%s", [t]), "traffic_type": t, "destination_type": "s3", "destination": "arn:aws:s3:::flow"}

deny(d) := x if {
	x := data.dsscan.policy.ds_log_003.deny with input as {"assets": [d]}
}

na(d) := x if {
	x := data.dsscan.policy.ds_log_003.not_assessed with input as {"assets": [d]}
}

assessed(d) := x if {
	x := data.dsscan.policy.ds_log_003.assessed with input as {"assets": [d]}
}

test_sensitive_domain_without_flow_logs_is_denied if {
	ds := deny(domain("sensitive", null, []))
	count(ds) == 1
	some f in ds
	f.asset == "vpc-1"
	f.key == "no_flow_logs"
	f.level == "sensitive"
	f.message == {"template": "Network domain {asset} holds {level} data but no flow log records its traffic.", "level": "sensitive"}
	assessed(domain("sensitive", null, [])) == {"vpc-1"}
}

test_general_domain_holding_core_data_without_flow_logs_is_denied_at_core if {
	some f in deny(domain("general", "core", []))
	f.level == "core"
	f.message.level == "core" # the level it holds, not the domain's own label
	f.evidence.holds_level == "core"
	f.evidence.domain_level == "general"
}

test_unrated_domain_holding_unclassified_data_is_judged_at_the_protection_level if {
	# relations give holds_level "sensitive" for an unclassified store (the default floor)
	some f in deny(domain("unclassified", "sensitive", []))
	f.level == "sensitive"
}

test_domain_below_sensitive_is_assessed_and_passes if {
	count(deny(domain("general", "general", []))) == 0
	count(deny(domain("unclassified", null, []))) == 0
	assessed(domain("general", null, [])) == {"vpc-1"}
	count(na(domain("general", null, null))) == 0
}

test_all_traffic_or_accept_and_reject_pass if {
	count(deny(domain("core", null, [log("ALL")]))) == 0
	count(deny(domain("core", null, [log("ACCEPT"), log("REJECT")]))) == 0
	count(deny(domain("core", null, [log("REJECT"), log("ALL")]))) == 0
	assessed(domain("core", null, [log("ALL")])) == {"vpc-1"}
}

test_rejected_traffic_only_is_denied if {
	ds := deny(domain("important", null, [log("REJECT")]))
	count(ds) == 1
	some f in ds
	f.key == "partial_flow_logs"
	f.evidence.traffic_types == ["REJECT"]
	contains(f.message.template, "record only {types} traffic")
	f.message.types == "REJECT"
	f.message.level == "important"
}

test_unreadable_flow_logs_are_not_assessed_never_passed if {
	d := domain("core", null, null)
	count(deny(d)) == 0
	na(d) == {{"asset": "vpc-1", "reason": "the VPC's flow logs could not be read"}}
	count(assessed(d)) == 0
}

test_missing_flow_logs_field_is_not_assessed if {
	d := json.remove(domain("core", null, []), ["network/flow_logs"])
	count(deny(d)) == 0
	count(na(d)) == 1
}

test_unknown_traffic_type_is_not_assessed_unless_covered if {
	d := domain("core", null, [log("REJECT"), {"id": null, "traffic_type": null}])
	count(deny(d)) == 0
	na(d) == {{"asset": "vpc-1", "reason": "the traffic type of a flow log could not be read"}}
	count(deny(domain("core", null, [log("ALL"), {"id": null, "traffic_type": null}]))) == 0
	count(na(domain("core", null, [log("ALL"), {"id": null, "traffic_type": null}]))) == 0
}

test_unreadable_domain_is_not_judged if {
	d := object.union(domain("core", null, []), {"assessment": {"status": "not_assessed"}})
	count(deny(d)) == 0
}

test_partial_types_are_joined_by_and if {
	# a traffic type AWS may add later counts as neither
	some f in deny(domain("core", null, [log("REJECT"), log("OTHER"), log("REJECT")]))
	f.message.types == "OTHER and REJECT"
}
