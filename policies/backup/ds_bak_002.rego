# METADATA
# title: Stores at sensitive level or above have a backup
# description: |
#   Data at sensitive level or above is backed up for disaster recovery. A store passes when
#   it has a backup or snapshot copy, a native backup (automated backups, point-in-time
#   recovery, a retention period above zero) or a backup plan covering it; when the backup
#   plans could not be read (backup.plans is null) it is not assessed. A replica counts only
#   when its destination keeps versions, delete markers are not replicated to it and, for
#   core data, it has Object Lock (counts_as_backup, computed in Python); otherwise it
#   replicates deletions and encryption by ransomware, and the message says which condition
#   it misses. A store that is itself a copy, and a table inside a database (backed up with
#   its database), are not judged here.
# custom:
#   id: DS-BAK-002
#   articles: [45]
#   remediation: |
#     Turn on the store's native backups (RDS backup retention above 0 days, DynamoDB
#     point-in-time recovery, ElastiCache snapshot retention) or add the resource to an AWS
#     Backup plan; for object stores, add them to an AWS Backup plan or replicate to a
#     versioned bucket with delete-marker replication disabled (and S3 Object Lock on it for
#     core data).
#     Verify restores regularly.
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume]
#   reads: [backup]
package dsscan.policy.ds_bak_002

import rego.v1

copy_relations := {"backup", "snapshot"}

child_table(a) if {
	a.kind == "table"
	is_object(object.get(a, ["ctx", "parent"], null))
}


non_empty_list(x) if {
	is_array(x)
	x != []
}

# (ctx.backups is a list: dsscan.lib.assets.)
has_copy(a) if {
	some b in a.ctx.backups
	b.relation in copy_relations
}

# A replica counts as a backup copy when Python says so (dsscan/replica_backup.py).
has_copy(a) if {
	some b in a.ctx.backups
	b.relation == "replica"
	b.counts_as_backup == true
}

# A replica whose standing as a backup could not be read: it might be the backup.
unknown_replica(a) if {
	some b in a.ctx.backups
	b.relation == "replica"
	not is_boolean(object.get(b, "counts_as_backup", null))
}

why(b) := concat(" and ", [condition_phrase[m] | some m in b.missing])

condition_phrase := {
	"versioning": "its destination keeps no earlier versions",
	"delete_marker_replication": "delete markers are replicated to it",
	"object_lock": "its destination has no Object Lock (owed for core data)",
}

replicas_not_counting(a) := [concat("", [object.get(b, "name", b.id), " (", why(b), ")"]) |
	some b in a.ctx.backups
	b.relation == "replica"
	b.counts_as_backup == false
	is_array(b.missing)
]

# (A fragment of the message, filled in Python: dsscan/messages.py.)
replica_note(a) := {"template": " Its replicas do not count as backups: {replicas}.", "replicas": concat("; ", sort(rs))} if {
	rs := replicas_not_counting(a)
	count(rs) > 0
} else := ""

native(a, key) := object.get(a, ["backup", "native", key], null)

positive(x) if {
	is_number(x)
	x > 0
}

# Direct reads: a missing or null fact is no backup.
backed_up(a) if has_copy(a)

backed_up(a) if a.backup.native.enabled == true

backed_up(a) if a.backup.native.point_in_time_recovery == true

backed_up(a) if positive(a.backup.native.retention_days)

backed_up(a) if a.backup.automated == true

backed_up(a) if positive(a.backup.retention_days)

backed_up(a) if non_empty_list(a.backup.plans)

# The scanner read the backup settings and they say "off".
known_off(a) if a.backup.native.enabled == false

known_off(a) if a.backup.native.retention_days == 0

known_off(a) if a.backup.automated == false

# The scanner could not read which backup plans cover the store.
plans_unknown(a) if a.backup.plans == null

# Stores owing sensitive-level protection or above without a backup. Plain field reads
# first: most stores have native backups turned on, which passes them.
judged := [a |
	some a in data.dsscan.lib.protected_stores
	not a.backup.native.enabled == true
	not child_table(a)
	not data.dsscan.lib.only_a_copy(a) # only a copy: its source is judged
	not backed_up(a)
]

deny contains finding if {
	some a in judged
	known_off(a)
	not plans_unknown(a)
	not unknown_replica(a)
	finding := {
		"asset": a.id,
		"level": a.ctx.level,
		"message": {
			"template": "{asset} holds {level} data but has no backup: native backups are off and no backup or snapshot copy was found.{replicas}",
			"replicas": replica_note(a),
		},
		"evidence": {
			"native_backup_enabled": native(a, "enabled"),
			"native_retention_days": native(a, "retention_days"),
			"point_in_time_recovery": native(a, "point_in_time_recovery"),
			"automated": object.get(a, ["backup", "automated"], null),
			"copies": 0,
		},
	}
}

not_assessed contains item if {
	some a in judged
	not known_off(a)
	item := {"asset": a.id, "reason": "whether the store has a backup could not be read"}
}

not_assessed contains item if {
	some a in judged
	known_off(a)
	plans_unknown(a)
	item := {"asset": a.id, "reason": "native backups are off and the backup plans covering the store could not be read"}
}

not_assessed contains item if {
	some a in judged
	known_off(a)
	not plans_unknown(a)
	unknown_replica(a)
	item := {"asset": a.id, "reason": "native backups are off and whether its replica counts as a backup (versioning, delete-marker replication, Object Lock) could not be read"}
}

# Assessed: stores below sensitive protection, by their level; the others when a backup, its
# own copy role, or a known "off" was read. A table inside a database is not applicable (its
# database's backups are judged).
#
# Written as sets, not as a walk calling covered(a) on every store (a tenth of the whole
# library's instructions): a protected store outside `judged` is covered (judged is exactly
# the protected stores, less child tables, that covered(a) does not hold for), and a judged
# one is assessed when its verdict is decided (deny), not when it is not assessed.
assessed := data.dsscan.lib.unprotected_store_ids | ((data.dsscan.lib.protected_store_ids - protected_child_tables) - {a.id | some a in judged; not decided(a)})

protected_child_tables := {a.id |
	some a in data.dsscan.lib.protected_stores
	child_table(a)
}

# The verdict of a judged store is a finding (the deny rule's conditions).
decided(a) if {
	known_off(a)
	not plans_unknown(a)
	not unknown_replica(a)
}
