# METADATA
# title: Sensitive data is not readable from outside the institution without a sharing record
# description: |
#   A store or copy owing sensitive-level protection or above (a bucket, a DynamoDB table, a
#   backup vault, a snapshot) whose resource policy or share list lets a named account, an
#   AWS Organization, or callers of an account that cannot be told outside the institution
#   read it (ctx.readers_outside: dsscan/sharerel.py) is a finding unless it carries a sharing
#   or entrustment record (sharing_record_tag_keys; for a snapshot, on the snapshot). Reads by
#   anyone (public) are DS-NET-003's and DS-BAK-003's findings, which no record excuses: not
#   repeated here. A KMS key's decrypt paths outside the institution are DS-KMS-001's. Readers
#   that could not be read or placed (institution_accounts, institution_organizations unset)
#   are not assessed.
# custom:
#   id: DS-SHR-001
#   articles: [22, 30, 31, 32, 33, 34, 53, 61]
#   remediation: |
#     Remove the statements or snapshot shares that let accounts or organizations outside the
#     institution read the data, or record the approved sharing / entrustment (the contract,
#     its security review) and tag the store or snapshot with its id (dsscan:sharing-record).
#     List the institution's own accounts in institution_accounts and its organizations in
#     institution_organizations.
#   kinds: [object_store, table, backup_vault, snapshot, database]
#   reads: [access, tags]
package dsscan.policy.ds_shr_001

import rego.v1

kinds := {"object_store", "table", "backup_vault", "snapshot", "database"}

# Stores whose readers the input says (ctx.readers_outside is present, possibly null) and
# that owe sensitive-level protection or above, by their own level or their contents' (a
# vault holding core recovery points).
judged := [a |
	some a in data.dsscan.lib.assets
	a.kind in kinds
	a.ctx.assessable
	"readers_outside" in object.keys(a.ctx)
	data.dsscan.lib.rank(owed(a)) >= 2
]

contents(a) := [c.level | some c in data.dsscan.lib.list(a, ["ctx", "contents"])]

owed(a) := data.dsscan.lib.highest(array.concat([a.ctx.protect_level], contents(a)))

level(a) := data.dsscan.lib.highest(array.concat([a.ctx.level], contents(a)))

label(a) := l if {
	l := level(a)
	l != "unclassified"
} else := {"template": "unclassified (protected as {owed})", "owed": owed(a)}

recorded(a) if object.get(a, ["ctx", "sharing_record"], false) == true

outside(a) := object.get(a, ["ctx", "readers_outside"], null)

# Named readers outside: everyone but "anyone" (public exposure is another policy's).
named(a) := [p |
	some p in outside(a)
	object.get(p, "anyone", false) != true
]

deny contains finding if {
	some a in judged
	not recorded(a)
	is_array(outside(a))
	who := named(a)
	count(who) > 0
	finding := {
		"asset": a.id,
		"key": "read_outside",
		"level": level(a),
		"message": {
			"template": "{asset} ({level} data) can be read from outside the institution by {who}, with no sharing or entrustment record on it.",
			"level": label(a), "who": concat("; ", sort({reader(p) | some p in who})),
		},
		"evidence": {
			"principals": count(who),
			"accounts": sort({p.account | some p in who; is_string(p.account)}),
			"via": sort({p.via | some p in who}),
			"sharing_record": false,
		},
	}
}

reader(p) := sprintf("the accounts of organization %s (not the institution's, via %s)", [p.org, p.via]) if {
	is_string(object.get(p, "org", null))
} else := sprintf("%s (account not known, via %s)", [p.principal, p.via]) if {
	not is_string(p.account)
} else := sprintf("account %s (via %s)", [p.account, p.via])

not_assessed contains item if {
	some a in judged
	not recorded(a)
	not is_array(outside(a))
	item := {"asset": a.id, "reason": unknown(a)}
}

unknown(a) := {"template": "who outside the institution may read it is not known: {why}", "why": concat("; ", why)} if {
	why := object.get(a, ["ctx", "readers_unknown"], [])
	is_array(why)
	count(why) > 0
} else := "who may read it (resource policy, snapshot shares) could not be read"

assessed := {a.id |
	some a in judged
	is_array(outside(a))
} | {a.id |
	some a in judged
	recorded(a)
}
