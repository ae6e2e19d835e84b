# METADATA
# title: Backup data is stored separately from production data
# description: |
#   A store at sensitive level or above that has backups or snapshots keeps at least one of
#   them apart from it: in another account and/or region, as `backup_separation` in the
#   configuration requires (Python computes `separate` for each copy). A copy kept in the
#   store's own bucket or volume is never a backup: it is lost with the data, so it is a
#   finding whatever other copies exist.
# custom:
#   id: DS-BAK-001
#   articles: [37]
#   remediation: |
#     Copy backups to a separate backup account and/or region (AWS Backup cross-account or
#     cross-region copy rules, S3 replication to a bucket in the backup account, snapshot copy
#     to another region). Do not keep backups under a prefix of the bucket they protect.
#   kinds: [object_store, database, table, file_system, cache, warehouse]
package dsscan.policy.ds_bak_001

import rego.v1

copy_relations := {"backup", "snapshot"}

copies(a) := [b |
	some b in data.dsscan.lib.list(a, ["ctx", "backups"])
	is_object(b)
	is_string(b.id)
	b.relation in copy_relations
]

# A table inside a database is backed up with its database (judged there).
child_table(a) if {
	a.kind == "table"
	is_object(object.get(a, ["ctx", "parent"], null))
}

in_scope(a) if {
	data.dsscan.lib.is_store(a)
	data.dsscan.lib.assessable(a)
	not child_table(a)
	data.dsscan.lib.protect_rank(a) >= 2
	count(copies(a)) > 0
}

same_place(b) if {
	b.separate == false
	is_string(b.separation)
	startswith(lower(b.separation), "same bucket")
}

same_place(b) if {
	b.separate == false
	is_string(b.separation)
	startswith(lower(b.separation), "same volume")
}

in_place(a) := sort([b.id | some b in copies(a); same_place(b)])

has_separate(a) if {
	some b in copies(a)
	b.separate == true
}

has_unknown(a) if {
	some b in copies(a)
	not is_boolean(object.get(b, "separate", null))
}

evidence(a) := {"copies": [{
	"id": b.id,
	"account": object.get(b, "account", null),
	"region": object.get(b, "region", null),
	"separate": object.get(b, "separate", null),
	"separation": object.get(b, "separation", null),
} |
	some b in copies(a)
]}

deny contains finding if {
	some a in input.assets
	in_scope(a)
	ids := in_place(a)
	count(ids) > 0
	finding := {
		"asset": a.id,
		"related": ids,
		"level": data.dsscan.lib.level_of(a),
		"message": sprintf("%s keeps copies in its own bucket or volume (%s); a copy stored with the data it copies is not a separate backup.", [
			data.dsscan.lib.display_name(a), concat(", ", ids),
		]),
		"evidence": evidence(a),
	}
}

deny contains finding if {
	some a in input.assets
	in_scope(a)
	count(in_place(a)) == 0
	not has_separate(a)
	not has_unknown(a)
	ids := sort([b.id | some b in copies(a)])
	where := sort({s | some b in copies(a); s := b.separation; is_string(s)})
	finding := {
		"asset": a.id,
		"related": ids,
		"level": data.dsscan.lib.level_of(a),
		"message": sprintf("%s has no backup stored separately from it: its copies %s are in the same place (%s).", [
			data.dsscan.lib.display_name(a), concat(", ", ids), concat("; ", where),
		]),
		"evidence": evidence(a),
	}
}

not_assessed contains item if {
	some a in input.assets
	in_scope(a)
	count(in_place(a)) == 0
	not has_separate(a)
	has_unknown(a)
	item := {"asset": a.id, "reason": "the location of its backups relative to the store could not be determined"}
}
