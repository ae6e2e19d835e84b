# METADATA
# title: Sensitive and core data do not cross the institution's legal entities without a record
# description: |
#   Parent bank and subsidiaries (insurance, wealth...) are separate legal entities
#   (accounts.<id>.entity, legal_entities: dsscan/entities.py). A store or copy owing
#   sensitive-level protection or above that an institution account of another legal entity
#   may read (resource policy, snapshot share; ctx.readers_other_entity), or a KMS key
#   protecting such data that another entity may decrypt with, is a finding unless it carries
#   a sharing record (sharing_record_tag_keys): core data crossing entities needs the Art. 34
#   review, sensitive data the Art. 29 "firewall". Other accounts of the institution reading a
#   store whose or whose readers' entity is not known, or with no entity configured at all,
#   are not assessed; a store read only by its own account or outside the institution
#   crosses no entity (DS-SHR-001 judges reads from outside).
# custom:
#   id: DS-SHR-002
#   articles: [29, 34]
#   remediation: |
#     Remove the statements, snapshot shares or key grants that let another legal entity's
#     accounts read the data, or record the approved sharing (its review under Art. 34 for
#     core data) and tag the store, snapshot or key with its id (dsscan:sharing-record).
#     Set each account's legal entity (accounts.<id>.entity, or legal_entities by AWS
#     Organizations OU).
#   kinds: [object_store, table, backup_vault, snapshot, database, key]
#   reads: [access, tags, encryption]
package dsscan.policy.ds_shr_002

import rego.v1

kinds := {"object_store", "table", "backup_vault", "snapshot", "database", "key"}

judged := [a |
	some a in data.dsscan.lib.assets
	a.kind in kinds
	a.ctx.assessable
	"readers_other_entity" in object.keys(a.ctx)
	data.dsscan.lib.rank(owed(a)) >= 2
]

# The data at stake: a store's own and its contents' (a vault); a key's, what it protects
# (DS-KMS-001's reading; a key protecting nothing owes nothing).
contents(a) := [c.level | some c in data.dsscan.lib.list(a, ["ctx", "contents"])]

protects(a) := [p.level | some p in data.dsscan.lib.list(a, ["ctx", "protects"])]

protects_owed(a) := [p.protect_level | some p in data.dsscan.lib.list(a, ["ctx", "protects"])]

owed(a) := data.dsscan.lib.highest(protects_owed(a)) if {
	a.kind == "key"
} else := data.dsscan.lib.highest(array.concat([a.ctx.protect_level], contents(a)))

level(a) := data.dsscan.lib.highest(protects(a)) if {
	a.kind == "key"
} else := data.dsscan.lib.highest(array.concat([a.ctx.level], contents(a)))

label(a) := l if {
	l := level(a)
	l != "unclassified"
} else := {"template": "unclassified (protected as {owed})", "owed": owed(a)}

recorded(a) if object.get(a, ["ctx", "sharing_record"], false) == true

crossing(a) := object.get(a, ["ctx", "readers_other_entity"], null)

# Art. 34 for core data, Art. 29 for the rest.
why(a) := "core data crossing legal entities needs the Art. 34 security review" if {
	level(a) == "core"
} else := "the Art. 29 firewall between parent and subsidiaries"

deny contains finding if {
	some a in judged
	not recorded(a)
	who := crossing(a)
	is_array(who)
	count(who) > 0
	finding := {
		"asset": a.id,
		"key": "other_entity",
		"level": level(a),
		"message": {
			"template": "{asset} ({level} data, legal entity {entity}) can be {read} by {who} of another legal entity, with no sharing record: {why}.",
			"level": label(a), "entity": object.get(a, ["ctx", "entity"], "unknown"),
			"read": verb(a), "who": concat("; ", sort({reader(p) | some p in who})), "why": why(a),
		},
		"evidence": {
			"principals": count(who),
			"entities": sort({e | some p in who; e := object.get(p, "entity", "every entity of the organization")}),
			"via": sort({p.via | some p in who}),
			"sharing_record": false,
		},
	}
}

verb(a) := "decrypted" if a.kind == "key" else := "read"

reader(p) := sprintf("every account of the institution's organization %s (via %s)", [p.org, p.via]) if {
	is_string(object.get(p, "org", null))
} else := sprintf("account %s of %s (via %s)", [p.account, object.get(p, "entity", "another entity"), p.via])

not_assessed contains item if {
	some a in judged
	not recorded(a)
	not is_array(crossing(a))
	item := {"asset": a.id, "reason": unknown(a)}
}

unknown(a) := {"template": "whether another legal entity may read it is not known: {why}", "why": concat("; ", why)} if {
	why := object.get(a, ["ctx", "readers_unknown"], [])
	is_array(why)
	count(why) > 0
} else := "who may read it (resource policy, snapshot shares, key policy) could not be read"

assessed := {a.id |
	some a in judged
	is_array(crossing(a))
} | {a.id |
	some a in judged
	recorded(a)
}
