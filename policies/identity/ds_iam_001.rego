# METADATA
# title: No identity reads every important or core store of its account, nor is assumable from outside with that right
# description: |
#   An IAM role, user or group (a principal asset) whose identity policies allow a data-reading
#   action — s3:GetObject, dynamodb:GetItem/Query/Scan, rds-data:*, redshift-data:*,
#   kms:Decrypt — on every store of that service (Resource "*" or a pattern matching them all,
#   after Deny statements; a condition on the resources' tags, DynamoDB leading keys, the
#   encryption context or kms:ViaService confines it, a network condition does not:
#   scanners/aws/iamdoc.py) is judged by the stores that grant reaches in its account
#   (ctx.data_reach, dsscan/iamrel.py): when one of them owes important or core protection, the
#   grant is broader than any duty needs (Art. 28 least privilege; Art. 53 access control).
#   A role with such a grant whose trust policy lets anyone, or an account or organization
#   outside the institution, assume it hands that reach outside. The finding names the
#   principal, the actions and the class of store, at the highest level reached. An account
#   with nothing at important or above is not applicable; policies or a trust policy that
#   could not be read are not assessed. Users inherit their groups' grants: the group is judged
#   as its own principal.
# custom:
#   id: DS-IAM-001
#   articles: [28, 43, 53]
#   remediation: |
#     Scope the grant to the named stores (Resource: the bucket, table, cluster or key ARNs)
#     or confine it with aws:ResourceTag conditions, or add an explicit Deny on the important
#     and core stores; do not attach AdministratorAccess, ReadOnlyAccess or the service
#     ReadOnly policies to identities in accounts holding core data (ViewOnlyAccess reads no
#     data). Remove trust-policy principals outside the institution, or confine them with
#     sts:ExternalId and an entrustment record; list the institution's accounts in
#     institution_accounts and its organizations in institution_organizations.
#   kinds: [principal]
#   reads: [access]
package dsscan.policy.ds_iam_001

import rego.v1

principals := [p |
	some p in data.dsscan.lib.assets
	p.kind == "principal"
	p.ctx.assessable
]

facts(p) := f if {
	f := p.iam
	is_object(f)
} else := {}

kind(p) := t if {
	t := facts(p).principal_type
	is_string(t)
} else := "principal"

# The classes of store a broad grant reaches that owe important or core protection.
reach(p) := [r |
	some r in data.dsscan.lib.list(p, ["ctx", "data_reach"])
	r.rank >= 3
]

# Missing (a hand-written input): counted as holding core data, never as a pass.
account_rank(p) := object.get(p, ["ctx", "account_rank"], 4)

level(rs) := data.dsscan.lib.highest([r.level | some r in rs])

# "s3:GetObject, s3:GetObjectVersion on every S3 buckets (3 important or core, up to core)"
reaches(rs) := concat("; ", sort([sprintf("%s on all %s (%d important or core, up to %s)", [
	concat(", ", r.actions), r.store_class, r.stores, r.level,
]) |
	some r in rs
]))

actions(rs) := concat(", ", sort({a | some r in rs; some a in r.actions}))

deny contains finding if {
	some p in principals
	rs := reach(p)
	count(rs) > 0
	finding := {
		"asset": p.id,
		"key": "broad_read",
		"level": level(rs),
		"message": {
			"template": "IAM {type} {asset} may read every store of a class in its account, {level} data among them: {reaches}.",
			"type": kind(p), "level": level(rs), "reaches": reaches(rs),
		},
		"evidence": {"principal_type": kind(p), "actions": actions(rs), "store_classes": concat(", ", sort({r.store_class | some r in rs})), "stores": sum([r.stores | some r in rs])},
	}
}

outside(p) := object.get(p, ["ctx", "assume_outside"], null)

deny contains finding if {
	some p in principals
	rs := reach(p)
	count(rs) > 0
	who := outside(p)
	is_array(who)
	count(who) > 0
	finding := {
		"asset": p.id,
		"key": "assumable_outside",
		"level": level(rs),
		"message": {
			"template": "IAM role {asset} can be assumed by {who}, and may read every store of a class in its account ({actions}), {level} data among them.",
			"who": concat("; ", sort({assumer(w) | some w in who})), "actions": actions(rs), "level": level(rs),
		},
		"evidence": {"principals": count(who), "anyone": count([w | some w in who; w.account == null; not is_string(object.get(w, "org", null))]) > 0, "actions": actions(rs)},
	}
}

assumer(w) := sprintf("the accounts of organization %s (not the institution's, via %s)", [w.org, w.via]) if {
	is_string(w.org)
} else := sprintf("anyone (%s)", [w.via]) if {
	w.account == null
	startswith(w.principal, "*")
} else := sprintf("%s (account not known, via %s)", [w.principal, w.via]) if {
	w.account == null
} else := sprintf("account %s (outside the institution, via %s)", [w.account, w.via])

not_assessed contains item if {
	some p in principals
	account_rank(p) >= 3
	not is_array(object.get(p, ["ctx", "data_reach"], null))
	item := {"asset": p.id, "reason": {
		"template": "what the {type}'s identity policies allow could not be read or judged (its account holds important or core data)",
		"type": kind(p),
	}}
}

not_assessed contains item if {
	some p in principals
	count(reach(p)) > 0
	not is_array(outside(p))
	item := {"asset": p.id, "reason": unplaced(p)}
}

unplaced(p) := {"template": "who may assume the role is not known: {why}", "why": concat("; ", why)} if {
	why := object.get(p, ["ctx", "assume_unknown"], [])
	is_array(why)
	count(why) > 0
} else := "who may assume the role (its trust policy) could not be read"

# Principals in accounts with nothing at important or above (not applicable, and passed), and
# those whose policies were read.
assessed := {p.id |
	some p in principals
	judged(p)
}

judged(p) if account_rank(p) < 3

judged(p) if is_array(object.get(p, ["ctx", "data_reach"], null))
