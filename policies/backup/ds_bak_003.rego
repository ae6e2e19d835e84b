# METADATA
# title: Access to backup storage is restricted
# description: |
#   Backup vaults, backups, snapshots and buckets that hold backups are not public, grant
#   nothing to a wildcard principal and are not shared with all accounts. A backup stored in a
#   vault is judged through its vault when it has no access facts of its own. Whether backups
#   are locked against deletion (vault lock, S3 Object Lock) is DS-BAK-005's to judge: one
#   fact, one policy.
# custom:
#   id: DS-BAK-003
#   articles: [37]
#   remediation: |
#     Remove public and wildcard grants from the vault access policy or bucket policy, turn on
#     S3 Block Public Access on backup buckets, stop sharing snapshots with "all" (make them
#     private and share with named accounts only).
#   kinds: [backup_vault, backup, snapshot, object_store]
#   reads: [access, backup]
package dsscan.policy.ds_bak_003

import rego.v1

backup_storage_kinds := {"backup_vault", "backup", "snapshot"}

access(a) := x if {
	x := object.get(a, "access", null)
	is_object(x)
} else := null

# A recovery point without access facts of its own: its vault's access is what protects it.
judged_by_vault(a) if {
	a.kind in data.dsscan.lib.copy_kinds
	access(a) == null
	is_object(object.get(a, ["ctx", "vault"], null))
}

# Backup storage (vaults, backups, snapshots, and buckets that hold backups). Plain field
# reads first: most assets are neither, and a recovery point outside a vault (ctx.vault null:
# dsscan.lib.assets) is never judged by a vault.
judged := array.concat(
	array.concat(
		[a |
			some a in data.dsscan.lib.assets
			a.kind in backup_storage_kinds
			a.ctx.vault == null
			a.ctx.assessable
		],
		[a |
			some a in data.dsscan.lib.assets
			a.kind in backup_storage_kinds
			a.ctx.vault != null
			a.ctx.assessable
			not judged_by_vault(a)
		],
	),
	[a |
		some a in data.dsscan.lib.assets
		a.kind == "object_store"
		a.backup.backup_of != []
		a.ctx.assessable
		count(data.dsscan.lib.list(a, ["backup", "backup_of"])) > 0
	],
)

open_to_all := {"all", "*"}

problems(a) := [p |
	some p in ["public", "wildcard principal", "shared with all accounts"]
	problem(a, p)
]

problem(a, "public") if access(a).public == true

problem(a, "wildcard principal") if access(a).wildcard_principal == true

problem(a, "shared with all accounts") if {
	some x in data.dsscan.lib.list(a, ["access", "shared_with"])
	x in open_to_all
}

# Storage with a problem, by direct reads (an asset may be listed twice; its finding is one).
exposed := array.concat(
	[a |
		some a in judged
		a.access.public == true
	],
	array.concat(
		[a |
			some a in judged
			a.access.wildcard_principal == true
		],
		[a |
			some a in judged
			x := a.access.shared_with
			is_array(x)
			some y in x
			y in open_to_all
		],
	),
)

level(a) := data.dsscan.lib.highest(array.concat(
	[a.ctx.level],
	[object.get(c, "level", null) | some c in data.dsscan.lib.list(a, ["ctx", "contents"]); is_object(c)],
))

deny contains finding if {
	some a in exposed
	ps := problems(a)
	finding := {
		"asset": a.id,
		"key": "open_access",
		"level": level(a),
		"message": {"template": "Backup storage {asset} is open beyond its owners: {problems}.", "problems": ps},
		"evidence": {
			"public": object.get(a, ["access", "public"], null),
			"wildcard_principal": object.get(a, ["access", "wildcard_principal"], null),
			"shared_with": data.dsscan.lib.list(a, ["access", "shared_with"]),
		},
	}
}

access_known(a) if is_boolean(object.get(a, ["access", "public"], null))

access_known(a) if is_boolean(object.get(a, ["access", "wildcard_principal"], null))

access_known(a) if is_array(object.get(a, ["access", "shared_with"], null))

# (Public is usually a boolean: checked directly first.)
not_assessed contains item if {
	some a in judged
	not a.access.public == true
	not a.access.public == false
	not access_known(a)
	count(problems(a)) == 0
	item := {"asset": a.id, "reason": "access settings of the backup storage could not be read"}
}

# Assessed: backup storage whose access settings could be read. A bucket holding no backup is
# not applicable, nor is a copy kept in a vault (the vault is judged).
assessed := {a.id |
	some a in judged
	access_known(a)
}
