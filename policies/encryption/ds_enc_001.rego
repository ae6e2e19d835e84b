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
#   kinds: [object_store, database, table, file_system, cache, warehouse]
package dsscan.policy.ds_enc_001

import rego.v1

# At-rest facts that apply to a store: its own or, for a table that has none, the facts of
# the database it lives in. {"state": null} when nothing is known.
facts(a) := {"state": s, "from": null} if {
	s := data.dsscan.lib.at_rest(object.get(a, "encryption", null))
	s != null
} else := {"state": s, "from": object.get(p, "id", null)} if {
	a.kind == "table"
	p := object.get(a, ["ctx", "parent"], null)
	is_object(p)
	s := data.dsscan.lib.at_rest(object.get(p, "encryption", null))
	s != null
} else := {"state": null, "from": null}

in_scope(a) if {
	data.dsscan.lib.is_store(a)
	data.dsscan.lib.assessable(a)
	data.dsscan.lib.protect_rank(a) >= 2
}

related(f) := [f.from] if f.from != null else := []

evidence(f) := {
	"encryption_enabled": object.get(f.state, "enabled", null),
	"key_type": object.get(f.state, "key_type", null),
	"key_id": object.get(f.state, "key_id", null),
	"facts_from": object.get(f, "from", null),
}

whose(f) := "" if f.from == null else := sprintf(" (judged by its parent %s)", [f.from])

deny contains finding if {
	some a in input.assets
	in_scope(a)
	f := facts(a)
	data.dsscan.lib.key_strength(f.state) == 0
	finding := {
		"asset": a.id,
		"related": related(f),
		"level": data.dsscan.lib.level_of(a),
		"message": sprintf("%s holds %s data but is not encrypted at rest%s.", [
			data.dsscan.lib.display_name(a), data.dsscan.lib.level_label(a), whose(f),
		]),
		"evidence": evidence(f),
	}
}

deny contains finding if {
	some a in input.assets
	in_scope(a)
	data.dsscan.lib.protect_rank(a) >= 3
	f := facts(a)
	data.dsscan.lib.key_strength(f.state) == 1
	f.state.key_type == "provider_managed"
	finding := {
		"asset": a.id,
		"related": related(f),
		"level": data.dsscan.lib.level_of(a),
		"message": sprintf("%s holds %s data but is encrypted with a provider-managed key, not a customer-managed one%s.", [
			data.dsscan.lib.display_name(a), data.dsscan.lib.level_label(a), whose(f),
		]),
		"evidence": evidence(f),
	}
}

not_assessed contains item if {
	some a in input.assets
	in_scope(a)
	f := facts(a)
	not data.dsscan.lib.key_strength_known(f.state)
	item := {"asset": a.id, "reason": "encryption at rest could not be read"}
}

not_assessed contains item if {
	some a in input.assets
	in_scope(a)
	data.dsscan.lib.protect_rank(a) >= 3
	f := facts(a)
	data.dsscan.lib.key_type_unknown(f.state)
	item := {
		"asset": a.id,
		"reason": sprintf("encrypted at rest, but the key type could not be read (%s data needs a customer-managed key)", [data.dsscan.lib.protect_level(a)]),
	}
}
