# METADATA
# title: Backup data is stored separately from production data
# description: |
#   A store at sensitive level or above that has backups or snapshots keeps at least one of
#   them apart from it: in another account and/or region, as `backup_separation` in the
#   configuration requires (Python computes `separate` for each copy). The store's built-in
#   backups (DynamoDB point-in-time recovery, RDS/Redshift automated backups, EFS automatic
#   backups) are kept by the service in the store's own account and region: they are backups,
#   but never separate ones. A copy kept in the store's own bucket or volume is never a
#   backup: it is lost with the data, so it is a finding whatever other copies exist. A
#   replica counts as a backup copy only when its destination keeps versions, delete markers
#   are not replicated to it and, for core data, it has Object Lock (computed in Python:
#   counts_as_backup on the copy); the message says which condition a replica misses.
# custom:
#   id: DS-BAK-001
#   articles: [37]
#   remediation: |
#     Copy backups to a separate backup account and/or region (AWS Backup cross-account or
#     cross-region copy rules, S3 replication to a versioned bucket in the backup account with
#     delete-marker replication disabled (and Object Lock for core data), snapshot copy
#     to another region, RDS automated-backup replication). Built-in backups alone (PITR,
#     automated snapshots) stay with the store. Do not keep backups under a prefix of the
#     bucket they protect.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume]
#   reads: [backup]
package dsscan.policy.ds_bak_001

import rego.v1

copy_relations := {"backup", "snapshot"}

# A copy that counts: a backup or snapshot, or a replica that counts as a backup copy
# (counts_as_backup, computed in Python: dsscan/replica_backup.py).
counts(b) if b.relation in copy_relations

counts(b) if {
	b.relation == "replica"
	b.counts_as_backup == true
}

# A replica stored apart whose standing as a backup could not be read: it might be the
# separate copy, so "no separate backup" is not assessed.
unknown_replica(a) if {
	some b in a.ctx.backups
	b.relation == "replica"
	not is_boolean(object.get(b, "counts_as_backup", null))
	not b.separate == false
}

why(b) := concat(" and ", [condition_phrase[m] | some m in b.missing])

condition_phrase := {
	"versioning": "its destination keeps no earlier versions",
	"delete_marker_replication": "delete markers are replicated to it",
	"object_lock": "its destination has no Object Lock (owed for core data)",
}

# Replicas that do not count as backups, and why (for the message).
not_counting(a) := concat("; ", sort([concat("", [object.get(b, "name", b.id), " does not count as a backup: ", why(b)]) |
	some b in a.ctx.backups
	b.relation == "replica"
	b.counts_as_backup == false
	is_array(b.missing)
]))

# (A fragment of the message, filled in Python: dsscan/messages.py.)
replica_note(a) := {"template": " Replicas: {replicas}.", "replicas": s} if {
	s := not_counting(a)
	s != ""
} else := ""

# A table inside a database is backed up with its database (judged there).
child_table(a) if {
	a.kind == "table"
	is_object(object.get(a, ["ctx", "parent"], null))
}

# Stores owing sensitive-level protection or above that have copies (ctx.backups, a list:
# dsscan.lib.assets) or built-in backups (ctx.built_in_backup, computed in Python; absent or
# null when the store has none), each with its copies, the ids of those kept in its own
# bucket or volume, its built-in backups (a list of zero or one) and whether one of them is
# known to be separate: computed once, in one pass with the lists built inline (no helper
# call per store: most stores are judged here).
judged := [j |
	some a in data.dsscan.lib.protected_stores
	not child_table(a)
	cs := [b | some b in a.ctx.backups; counts(b); is_string(b.id)]
	bs := [b | b := a.ctx.built_in_backup; is_object(b)]
	count(cs) + count(bs) > 0
	j := judge(a, cs, bs)
]

judge(a, cs, bs) := {"a": a, "copies": cs, "built_in": bs, "in_place": ids, "places": ps, "separate": sep} if {
	ids := sort([b.id | some b in cs; same_place(b)])
	ps := sort({b.same_place | some b in cs; same_place(b)})
	sep := count([1 | some b in array.concat(cs, bs); b.separate == true]) > 0
}

# The copy is kept in the store's own bucket or volume: decided by the structured same_place
# (computed in Python), never by the wording of `separation`, and whatever `separate` says.
same_place(b) if b.same_place in {"bucket", "volume"}

has_unknown(cs) if {
	some b in cs
	not is_boolean(object.get(b, "separate", null))
}

built_in_phrase := {
	"point_in_time_recovery": "point-in-time recovery",
	"automated_backups": "automated backups",
}

# Where the copies (and the built-in backups) are, for the message.
places(j) := concat("; ", sort({s |
	some b in array.concat(j.copies, j.built_in)
	s := b.separation
	is_string(s)
}))

# The message, by whether the store has copies and built-in backups (a store in `judged` has
# at least one of them).
not_separate_message := {
	[true, false]: "{asset} has no backup stored separately from it: its copies {copies} are in the same place ({places}).{replicas}",
	[false, true]: "{asset} has no backup stored separately from it: its built-in backups ({built_in}) are in the same place ({places}).{replicas}",
	[true, true]: "{asset} has no backup stored separately from it: its copies {copies} and its built-in backups ({built_in}) are in the same place ({places}).{replicas}",
}

evidence(j) := {"copies": [{
	"id": b.id,
	"account": object.get(b, "account", null),
	"region": object.get(b, "region", null),
	"separate": object.get(b, "separate", null),
	"separation": object.get(b, "separation", null),
} |
	some b in j.copies
], "built_in": [{
	"kind": b.kind,
	"account": object.get(b, "account", null),
	"region": object.get(b, "region", null),
	"separate": object.get(b, "separate", null),
	"separation": object.get(b, "separation", null),
} |
	some b in j.built_in
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
		"message": {
			"template": "{asset} keeps copies in its own {places} ({copies}); a copy stored with the data it copies is not a separate backup.",
			"places": concat(" and ", j.places), "copies": j.in_place,
		},
		"evidence": evidence(j),
	}
}

deny contains finding if {
	some j in judged
	j.separate == false
	count(j.in_place) == 0
	not has_unknown(j.copies)
	a := j.a
	not unknown_replica(a)
	ids := sort([b.id | some b in j.copies])
	finding := {
		"asset": a.id,
		"key": "not_separate",
		"related": ids,
		"level": a.ctx.level,
		"message": {
			"template": not_separate_message[[count(j.copies) > 0, count(j.built_in) > 0]],
			"copies": ids,
			"built_in": [built_in_phrase[b.kind] | some b in j.built_in],
			"places": places(j),
			"replicas": replica_note(a),
		},
		"evidence": evidence(j),
	}
}

not_assessed contains item if {
	some j in judged
	j.separate == false
	count(j.in_place) == 0
	has_unknown(j.copies)
	item := {"asset": j.a.id, "reason": "the location of its backups relative to the store could not be determined"}
}

not_assessed contains item if {
	some j in judged
	j.separate == false
	count(j.in_place) == 0
	not has_unknown(j.copies)
	unknown_replica(j.a)
	item := {"asset": j.a.id, "reason": "whether its replica counts as a backup (versioning, delete-marker replication, Object Lock) could not be read"}
}

# Assessed: stores below sensitive protection, by their level; the others that have copies or
# built-in backups to judge (a store with none has nothing to keep apart: DS-BAK-002's case).
assessed := union({
	data.dsscan.lib.unprotected_store_ids,
	{j.a.id | some j in judged},
})

