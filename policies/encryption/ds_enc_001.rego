# METADATA
# title: Stores at sensitive level or above are encrypted at rest
# description: |
#   Every data store whose level is sensitive or above (an unclassified store counts at the
#   configured protection level) is encrypted at rest. Core and important data are encrypted
#   with a customer-managed key, so that the institution, not the provider, controls who can
#   decrypt it. A table without its own encryption facts is judged by the database or bucket
#   it lives in.
# custom:
#   id: DS-ENC-001
#   articles: [41, 45]
#   remediation: |
#     Enable encryption at rest on the store (S3 default encryption, RDS/Aurora storage
#     encryption, DynamoDB SSE, EFS/ElastiCache/Redshift encryption). For core and important
#     data use a customer-managed KMS key (SSE-KMS with your own key, RDS kms_key_id, ...);
#     stores that cannot be re-encrypted in place are restored from an encrypted snapshot.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume]
#   reads: [encryption]
package dsscan.policy.ds_enc_001

import rego.v1

# At-rest facts that apply to a store: its own or, for a table that has none, the facts of
# the database it lives in ({"state": null} when nothing is known), with what a finding
# shows of known facts. The first rule reads the usual case, a complete own state, directly.
facts(a) := {"state": s, "from": null, "related": [], "whose": "", "evidence": e} if {
	s := a.encryption.at_rest
	e := {"encryption_enabled": s.enabled, "key_type": s.key_type, "key_id": s.key_id, "facts_from": null}
} else := _with_evidence({"state": s, "from": null}) if {
	s := data.dsscan.lib.at_rest(object.get(a, "encryption", null))
	s != null
} else := _with_evidence({"state": s, "from": object.get(p, "id", null)}) if {
	a.kind == "table"
	p := object.get(a, ["ctx", "parent"], null)
	is_object(p)
	s := data.dsscan.lib.at_rest(object.get(p, "encryption", null))
	s != null
} else := {"state": null, "from": null}

_with_evidence(f) := object.union(f, {"related": related(f), "whose": whose(f), "evidence": evidence(f)})

related(f) := [f.from] if f.from != null else := []

evidence(f) := {
	"encryption_enabled": object.get(f.state, "enabled", null),
	"key_type": object.get(f.state, "key_type", null),
	"key_id": object.get(f.state, "key_id", null),
	"facts_from": object.get(f, "from", null),
}

whose(f) := "" if f.from == null else := {"template": " (judged by its parent {parent})", "parent": f.from}

# Stores owing sensitive-level protection or above, less those whose own key is plainly
# customer-managed (and not switched off): those pass every rule below, and are many.
candidates := array.concat(
	[a |
		some a in data.dsscan.lib.protected_stores
		not a.encryption.at_rest.key_type == "customer_managed"
	],
	[a |
		some a in data.dsscan.lib.protected_stores
		a.encryption.at_rest.key_type == "customer_managed"
		a.encryption.at_rest.enabled == false
	],
)

# Each candidate with its facts and key strength k (null: unknown), computed once.
judged := [{"a": a, "f": f, "k": data.dsscan.lib.key_strength_or_null(f.state)} |
	some a in candidates
	f := facts(a)
]

deny contains finding if {
	some j in judged
	j.k == 0
	a := j.a
	finding := {
		"asset": a.id,
		"key": "unencrypted",
		"related": j.f.related,
		"level": a.ctx.level,
		"message": {"template": "{asset} holds {level} data but is not encrypted at rest{whose}.", "whose": j.f.whose},
		"evidence": j.f.evidence,
	}
}

deny contains finding if {
	some j in judged
	j.k == 1
	a := j.a
	a.ctx.protect_rank >= 3
	j.f.state.key_type == "provider_managed"
	finding := {
		"asset": a.id,
		"key": "provider_managed_key",
		"related": j.f.related,
		"level": a.ctx.level,
		"message": {"template": "{asset} holds {level} data but is encrypted with a provider-managed key, not a customer-managed one{whose}.", "whose": j.f.whose},
		"evidence": j.f.evidence,
	}
}

# The candidates whose key strength could not be read (own or parent's): walked once, for
# the not-assessed items and for `assessed` (every other store is assessed).
unknown_strength := [j | some j in judged; j.k == null]

not_assessed contains item if {
	some j in unknown_strength
	item := {"asset": j.a.id, "reason": "encryption at rest could not be read"}
}

not_assessed contains item if {
	some j in judged
	j.k == 1
	a := j.a
	a.ctx.protect_rank >= 3
	data.dsscan.lib.key_type_unknown(j.f.state)
	item := {
		"asset": a.id,
		"reason": {"template": "encrypted at rest, but the key type could not be read ({owed} data needs a customer-managed key)", "owed": a.ctx.protect_level},
	}
}

# Assessed: stores below sensitive protection, by their level; the others when their key
# strength (own, or a table's parent's) could be read: every store but the unknown ones.
assessed := data.dsscan.lib.assessable_store_ids - {j.a.id | some j in unknown_strength}

