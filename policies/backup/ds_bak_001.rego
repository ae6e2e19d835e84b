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
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume]
package dsscan.policy.ds_bak_001

import rego.v1

copy_relations := {"backup", "snapshot"}

# The asset's backup and snapshot copies (ctx.backups is a list: dsscan.lib.assets).
copies(a) := [b |
	some b in a.ctx.backups
	b.relation in copy_relations
	is_string(b.id)
]

# A table inside a database is backed up with its database (judged there).
child_table(a) if {
	a.kind == "table"
	is_object(object.get(a, ["ctx", "parent"], null))
}

# Stores owing sensitive-level protection or above that have copies, each with its copies,
# the ids of those kept in its own bucket or volume, and whether one is known to be
# separate (computed once). Plain field reads first: most stores have no backups at all.
judged := [{"a": a, "copies": cs, "in_place": ids, "separate": sep} |
	some a in data.dsscan.lib.protected_stores
	a.ctx.backups != []
	not child_table(a)
	cs := copies(a)
	count(cs) > 0
	ids := sort([b.id | some b in cs; b.separate == false; same_place(b)])
	sep := count([1 | some b in cs; b.separate == true]) > 0
]

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

has_unknown(cs) if {
	some b in cs
	not is_boolean(object.get(b, "separate", null))
}

evidence(cs) := {"copies": [{
	"id": b.id,
	"account": object.get(b, "account", null),
	"region": object.get(b, "region", null),
	"separate": object.get(b, "separate", null),
	"separation": object.get(b, "separation", null),
} |
	some b in cs
]}

deny contains finding if {
	some j in judged
	count(j.in_place) > 0
	a := j.a
	finding := {
		"asset": a.id,
		"key": "own_location",
		"related": j.in_place,
		"level": a.ctx.level,
		"message": sprintf("%s keeps copies in its own bucket or volume (%s); a copy stored with the data it copies is not a separate backup.", [
			data.dsscan.lib.display_name(a), concat(", ", j.in_place),
		]),
		"evidence": evidence(j.copies),
	}
}

deny contains finding if {
	some j in judged
	j.separate == false
	count(j.in_place) == 0
	not has_unknown(j.copies)
	a := j.a
	ids := sort([b.id | some b in j.copies])
	where := sort({s | some b in j.copies; s := b.separation; is_string(s)})
	finding := {
		"asset": a.id,
		"key": "not_separate",
		"related": ids,
		"level": a.ctx.level,
		"message": sprintf("%s has no backup stored separately from it: its copies %s are in the same place (%s).", [
			data.dsscan.lib.display_name(a), concat(", ", ids), concat("; ", where),
		]),
		"evidence": evidence(j.copies),
	}
}

not_assessed contains item if {
	some j in judged
	j.separate == false
	count(j.in_place) == 0
	has_unknown(j.copies)
	item := {"asset": j.a.id, "reason": "the location of its backups relative to the store could not be determined"}
}
