package dsscan.policy.ds_iam_001_test

import rego.v1

reach(service, level, rank, stores) := {
	"service": service, "store_class": concat("", [service, " stores"]),
	"actions": [concat("", [service, ":Read"])], "level": level, "rank": rank, "stores": stores,
}

principal(type, data_reach, account_rank, outside) := {
	"id": "p1", "name": "risk-analyst", "kind": "principal",
	"iam": {"principal_type": type},
	"ctx": {
		"level": "unclassified", "rank": 0, "protect_level": "sensitive", "protect_rank": 2,
		"environment": "unknown", "test": false, "production": false, "assessable": true,
		"data_reach": data_reach, "account_rank": account_rank,
		"assume_outside": outside, "assume_unknown": [],
	},
}

denied(p) := d if {
	d := data.dsscan.policy.ds_iam_001.deny with input as {"assets": [p]}
}

keys_of(p) := {f.key | some f in denied(p)}

unassessed(p) := r if {
	items := data.dsscan.policy.ds_iam_001.not_assessed with input as {"assets": [p]}
	r := {n.reason | some n in items}
}

assessed(p) := r if {
	r := data.dsscan.policy.ds_iam_001.assessed with input as {"assets": [p]}
}

vendor := {"principal": "222222222222", "account": "222222222222", "via": "trust policy"}

# A table of cases: (what the principal reaches, its account, who may assume it) -> verdict.
cases := [
	# broad read of core stores: a finding at core
	{"reach": [reach("s3", "core", 4, 2)], "acct": 4, "out": [], "keys": {"broad_read"}, "level": "core", "na": 0, "assessed": true},
	# important stores reached: a finding at important
	{"reach": [reach("dynamodb", "important", 3, 1)], "acct": 3, "out": [], "keys": {"broad_read"}, "level": "important", "na": 0, "assessed": true},
	# the class reached holds only sensitive data although the account holds core elsewhere
	{"reach": [reach("dynamodb", "sensitive", 2, 0)], "acct": 4, "out": [], "keys": set(), "level": null, "na": 0, "assessed": true},
	# reads no data broadly (ViewOnlyAccess): passes
	{"reach": [], "acct": 4, "out": [], "keys": set(), "level": null, "na": 0, "assessed": true},
	# nothing at important or above in its account: not applicable, assessed
	{"reach": [reach("s3", "general", 1, 0)], "acct": 1, "out": [], "keys": set(), "level": null, "na": 0, "assessed": true},
	{"reach": null, "acct": 2, "out": [], "keys": set(), "level": null, "na": 0, "assessed": true},
	# policies not read, account holds core: not assessed
	{"reach": null, "acct": 4, "out": [], "keys": set(), "level": null, "na": 1, "assessed": false},
	# assumable from outside with broad core reach: two findings
	{"reach": [reach("s3", "core", 4, 1)], "acct": 4, "out": [vendor], "keys": {"broad_read", "assumable_outside"}, "level": "core", "na": 0, "assessed": true},
	# assumable from outside, reaching nothing important: no finding
	{"reach": [], "acct": 4, "out": [vendor], "keys": set(), "level": null, "na": 0, "assessed": true},
	# trust not placed, broad core reach: the reach is a finding, the trust not assessed
	{"reach": [reach("kms", "core", 4, 3)], "acct": 4, "out": null, "keys": {"broad_read"}, "level": "core", "na": 1, "assessed": true},
]

test_cases if {
	every c in cases {
		p := principal("role", c.reach, c.acct, c.out)
		keys_of(p) == c.keys
		every f in denied(p) {
			f.level == c.level
		}
		c.assessed == ("p1" in assessed(p))
		count(unassessed(p)) == c.na
	}
}

test_finding_names_principal_actions_and_store_class if {
	p := principal("user", [reach("s3", "core", 4, 2), reach("kms", "important", 3, 1)], 4, [])
	some f in denied(p)
	f.key == "broad_read"
	f.level == "core"
	f.message.type == "user"
	f.message.reaches == "kms:Read on all kms stores (1 important or core, up to important); s3:Read on all s3 stores (2 important or core, up to core)"
	f.evidence.actions == "kms:Read, s3:Read"
	f.evidence.stores == 3
}

test_assumer_wording if {
	who := [
		vendor,
		{"principal": "*", "account": null, "via": "trust policy statement Open"},
		{"principal": "accounts.google.com", "account": null, "via": "trust policy"},
		{"principal": "* (organization o-abcdefghij)", "account": null, "org": "o-abcdefghij", "via": "trust policy"},
	]
	p := principal("role", [reach("s3", "core", 4, 1)], 4, who)
	some f in denied(p)
	f.key == "assumable_outside"
	f.message.who == "account 222222222222 (outside the institution, via trust policy); accounts.google.com (account not known, via trust policy); anyone (trust policy statement Open); the accounts of organization o-abcdefghij (not the institution's, via trust policy)"
	f.evidence.anyone == true
}

test_unplaced_trust_reason if {
	p := object.union(principal("role", [reach("s3", "core", 4, 1)], 4, null), {"ctx": {"assume_unknown": ["set institution_accounts"]}})
	unassessed(p) == {{"template": "who may assume the role is not known: {why}", "why": "set institution_accounts"}}
}

test_unread_trust_reason if {
	unassessed(principal("role", [reach("s3", "core", 4, 1)], 4, null)) == {"who may assume the role (its trust policy) could not be read"}
}

test_missing_account_rank_is_not_a_pass if {
	p := json.remove(principal("group", null, 0, []), ["ctx/account_rank"])
	count(unassessed(p)) == 1
	assessed(p) == set()
}

test_unreadable_principal_is_not_judged if {
	p := object.union(principal("role", [reach("s3", "core", 4, 1)], 4, []), {"ctx": {"assessable": false}})
	count(denied(p)) == 0
	assessed(p) == set()
}

test_other_kinds_are_not_judged if {
	s := object.union(principal("role", [reach("s3", "core", 4, 1)], 4, []), {"kind": "object_store"})
	count(denied(s)) == 0
	assessed(s) == set()
}
