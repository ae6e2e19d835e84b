# METADATA
# title: Keys that protect sensitive data are rotated, usable, private and not shared with test
# description: |
#   A customer-managed KMS key is judged by the data it protects (ctx.protects: the stores and
#   copies whose encryption names it), at the highest level among them. A key protecting
#   important or core data has automatic rotation on. A key protecting sensitive data or above
#   is neither pending deletion (the deletion destroys every byte it encrypts) nor disabled
#   (nor without key material or unavailable), and neither its key policy nor its grants let
#   anyone, an account or an AWS Organization outside the institution call kms:Decrypt (or
#   ReEncryptFrom, CreateGrant, PutKeyPolicy: the same data in clear). One key never protects
#   both a production store of important or core data and a test store: that is a decrypt path
#   across the separation of test from production (Art. 48). A key protecting only general
#   data, or nothing the inventory holds, is not applicable. Facts that could not be read, and
#   principals the settings cannot place inside or outside the institution, are not assessed.
# custom:
#   id: DS-KMS-001
#   articles: [37]
#   remediation: |
#     Enable automatic key rotation (EnableKeyRotation; enable_key_rotation = true). Cancel a
#     scheduled deletion (CancelKeyDeletion) and re-enable a disabled key that still protects
#     data, or re-encrypt the data with another key first. Remove key-policy statements and
#     grants that let "*" or accounts outside the institution call kms:Decrypt (or confine them
#     with kms:CallerAccount / aws:PrincipalOrgID); list the institution's own accounts in the
#     institution_accounts setting and its organizations in institution_organizations. Give
#     test stores their own key.
#   kinds: [key]
#   reads: [encryption, access]
package dsscan.policy.ds_kms_001

import rego.v1

keys := [k |
	some k in data.dsscan.lib.assets
	k.kind == "key"
	k.ctx.assessable
]

protects(k) := data.dsscan.lib.list(k, ["ctx", "protects"])

# What the key protects that owes protection of rank r or more (an unclassified store counts
# at the configured protection level).
owing(k, r) := [p |
	some p in protects(k)
	data.dsscan.lib.rank(p.protect_level) >= r
]

facts(k) := f if {
	f := k.kms
	is_object(f)
} else := {}

level(ps) := data.dsscan.lib.highest([p.level | some p in ps])

# How the level reads in a message: "core", or "unclassified (protected as sensitive)" (a
# template dsscan fills: the level of the data, not the key's own level_label).
label(ps) := l if {
	l := level(ps)
	l != "unclassified"
} else := l if {
	owed := data.dsscan.lib.highest([p.protect_level | some p in ps])
	l := {"template": "unclassified (protected as {owed})", "owed": owed}
}

# The stores' names (dsscan joins a list with ", "): the first five and how many more.
names(ps) := xs if {
	xs := sort({p.name | some p in ps})
	count(xs) <= 5
} else := s if {
	xs := sort({p.name | some p in ps})
	s := {"template": "{first} and {more} more", "first": array.slice(xs, 0, 5), "more": count(xs) - 5}
}

# One finding per key and problem (its `key`), with no `related` list: the fingerprint is
# then the key and the problem, stable when stores start or stop using the key (a waiver or
# baseline entry keeps matching); the message names the stores.

# --- rotation: keys protecting important or core data ----------------------------------------

deny contains finding if {
	some k in keys
	ps := owing(k, 3)
	count(ps) > 0
	facts(k).rotation_enabled == false
	finding := {
		"asset": k.id,
		"key": "rotation_off",
		"level": level(ps),
		"message": {
			"template": "KMS key {asset} protects {level} data ({stores}) but automatic rotation of its key material is off{imported}.",
			"level": label(ps), "stores": names(ps), "imported": imported(k),
		},
		"evidence": {"rotation_enabled": false, "origin": object.get(facts(k), "origin", null), "stores": count(ps)},
	}
}

imported(k) := " (its material is imported: rotate it by hand or move to a key AWS can rotate)" if {
	facts(k).origin == "EXTERNAL"
} else := ""

not_assessed contains item if {
	some k in keys
	count(owing(k, 3)) > 0
	not is_boolean(object.get(facts(k), "rotation_enabled", null))
	item := {"asset": k.id, "reason": "whether the key's rotation is on could not be read"}
}

# --- state: keys protecting sensitive data or above ------------------------------------------

doomed := {"PendingDeletion": "pending deletion", "PendingReplicaDeletion": "pending deletion"}

unusable := {
	"Disabled": "disabled",
	"PendingImport": "without key material (pending import)",
	"Unavailable": "unavailable (its custom key store is disconnected)",
}

deny contains finding if {
	some k in keys
	state := facts(k).state
	what := doomed[state]
	ps := owing(k, 2)
	count(ps) > 0
	finding := {
		"asset": k.id,
		"key": "pending_deletion",
		"level": level(ps),
		"message": {
			"template": "KMS key {asset} is {what}{when}, yet {level} data depends on it ({stores}): once deleted, that data can never be decrypted again.",
			"what": what, "when": deletion_date(k), "level": label(ps), "stores": names(ps),
		},
		"evidence": {"state": state, "deletion_date": object.get(facts(k), "deletion_date", null), "stores": count(ps)},
	}
}

deletion_date(k) := {"template": " (deleted on {date})", "date": d} if {
	d := facts(k).deletion_date
	is_string(d)
} else := ""

deny contains finding if {
	some k in keys
	state := facts(k).state
	what := unusable[state]
	ps := owing(k, 2)
	count(ps) > 0
	finding := {
		"asset": k.id,
		"key": "disabled",
		"level": level(ps),
		"message": {
			"template": "KMS key {asset} is {what}, yet {level} data depends on it ({stores}): that data cannot be decrypted.",
			"what": what, "level": label(ps), "stores": names(ps),
		},
		"evidence": {"state": state, "stores": count(ps)},
	}
}

not_assessed contains item if {
	some k in keys
	count(owing(k, 2)) > 0
	not is_string(object.get(facts(k), "state", null))
	item := {"asset": k.id, "reason": "the key's state (enabled, disabled, pending deletion) could not be read"}
}

# --- who may decrypt: keys protecting sensitive data or above ---------------------------------

outside(k) := object.get(k, ["ctx", "decrypt_outside"], null)

deny contains finding if {
	some k in keys
	who := outside(k)
	is_array(who)
	count(who) > 0
	ps := owing(k, 2)
	count(ps) > 0
	finding := {
		"asset": k.id,
		"key": "decrypt_outside",
		"level": level(ps),
		"message": {
			"template": "KMS key {asset} lets {who} decrypt with it (kms:Decrypt or a way to it), yet it protects {level} data ({stores}).",
			"who": concat("; ", sort({grantee(p) | some p in who})), "level": label(ps), "stores": names(ps),
		},
		"evidence": {"principals": count(who), "anyone": count([p | some p in who; p.account == null; not is_string(object.get(p, "org", null))]) > 0, "stores": count(ps)},
	}
}

grantee(p) := sprintf("the accounts of organization %s (not the institution's, via %s)", [p.org, p.via]) if {
	is_string(p.org)
} else := sprintf("anyone (%s)", [p.via]) if {
	p.account == null
	startswith(p.principal, "*")
} else := sprintf("%s (account not known, via %s)", [p.principal, p.via]) if {
	p.account == null
} else := sprintf("account %s (outside the institution, via %s)", [p.account, p.via])

not_assessed contains item if {
	some k in keys
	count(owing(k, 2)) > 0
	not is_array(outside(k))
	item := {"asset": k.id, "reason": unplaced(k)}
}

# Why who may decrypt is not known: principals the institution's settings cannot place
# (ctx.decrypt_unknown: set institution_accounts / institution_organizations), or unread facts.
unplaced(k) := {"template": "who may decrypt with the key is not known: {why}", "why": concat("; ", why)} if {
	why := object.get(k, ["ctx", "decrypt_unknown"], [])
	is_array(why)
	count(why) > 0
} else := "who may decrypt with the key (key policy, grants) could not be read"

# --- one key for important production data and for test data ----------------------------------

deny contains finding if {
	some k in keys
	prod := [p | some p in owing(k, 3); p.production == true]
	count(prod) > 0
	tests := [p | some p in protects(k); p.test == true]
	count(tests) > 0
	finding := {
		"asset": k.id,
		"key": "shared_test_production",
		"level": level(prod),
		"message": {
			"template": "KMS key {asset} protects both production {level} data ({stores}) and test stores ({tests}): whoever can decrypt the test data can decrypt production's.",
			"level": label(prod), "stores": names(prod), "tests": names(tests),
		},
		"evidence": {"production_stores": count(prod), "test_stores": count(tests)},
	}
}

# Keys protecting sensitive data or above: the only ones with a duty here (a production store
# of important data is one of them, so the sharing rule adds none).
assessed := {k.id |
	some k in keys
	count(owing(k, 2)) > 0
}
