# METADATA
# title: Backups of important and core data are immutable
# description: |
#   Backup storage holding important or core data cannot have its backups deleted or their
#   retention shortened, by anyone (an attacker with administrator rights included): a
#   backup vault has AWS Backup Vault Lock in compliance mode, a bucket that holds backups has
#   S3 Object Lock with a compliance-mode default retention. Governance mode can be lifted by
#   whoever holds the bypass permission, so it is a finding. The level is the highest of the
#   storage's own and of what it holds. DS-BAK-003 judges who can access backup storage;
#   this policy alone judges its lock (DS-BAK-003's former core vault-lock check moved here).
# custom:
#   id: DS-BAK-005
#   articles: [37, 45]
#   remediation: |
#     Enable AWS Backup Vault Lock in compliance mode (set ChangeableForDays /
#     `changeable_for_days`; after the grace time it cannot be removed) on vaults holding
#     important or core backups; create backup buckets with S3 Object Lock and a default
#     retention in COMPLIANCE mode.
#   kinds: [backup_vault, object_store]
#   reads: [access, backup]
package dsscan.policy.ds_bak_005

import rego.v1

# The storage's level: its own and that of everything it holds (DS-BAK-003's reading).
level(a) := data.dsscan.lib.highest(array.concat(
	[a.ctx.level, a.ctx.protect_level],
	[object.get(c, "level", null) | some c in data.dsscan.lib.list(a, ["ctx", "contents"]); is_object(c)],
))

# Backup vaults and buckets that hold backups, holding important data or above. Plain field
# reads first: most assets are neither.
judged := array.concat(
	[a |
		some a in data.dsscan.lib.assets
		a.kind == "backup_vault"
		a.ctx.assessable
		data.dsscan.lib.rank(level(a)) >= 3
	],
	[a |
		some a in data.dsscan.lib.assets
		a.kind == "object_store"
		a.ctx.assessable
		count(data.dsscan.lib.list(a, ["backup", "backup_of"])) > 0
		data.dsscan.lib.rank(level(a)) >= 3
	],
)

lock(a) := l if {
	l := object.get(a, ["access", "lock"], null)
	is_object(l)
} else := {}

enabled(a) := object.get(lock(a), "enabled", null)

mode(a) := object.get(lock(a), "mode", null)

what := {"backup_vault": "Backup vault", "object_store": "Backup bucket"}

lock_name := {"backup_vault": "vault lock", "object_store": "S3 Object Lock"}

problem(a) := "no_lock" if enabled(a) == false

problem(a) := "governance_mode" if {
	enabled(a) == true
	mode(a) == "governance"
}

# (Filled in Python: dsscan/messages.py.)
message := {
	"no_lock": "{what} {asset} holds {held} data but has no {lock}; its backups can be deleted or their retention shortened; backups of important and core data must be immutable (compliance mode).",
	"governance_mode": "{what} {asset} holds {held} data but has {lock} in governance mode only, which anyone allowed to bypass it can lift; backups of important and core data must be immutable (compliance mode).",
}

deny contains finding if {
	some a in judged
	p := problem(a)
	finding := {
		"asset": a.id,
		"key": p,
		"level": level(a),
		"message": {"template": message[p], "what": what[a.kind], "held": level(a), "lock": lock_name[a.kind]},
		"evidence": {"lock_enabled": enabled(a), "mode": mode(a)},
	}
}

known(a) if mode(a) == "compliance"

known(a) if problem(a)

not_assessed contains item if {
	some a in judged
	not enabled(a) == true
	not enabled(a) == false
	item := {"asset": a.id, "reason": {"template": "whether the {lock} is on could not be read", "lock": lock_name[a.kind]}}
}

not_assessed contains item if {
	some a in judged
	enabled(a) == true
	not known(a)
	item := {"asset": a.id, "reason": {"template": "the {lock} is on but its mode (compliance or governance) could not be read", "lock": lock_name[a.kind]}}
}

# Assessed: the judged storage whose lock is known. Vaults and buckets holding nothing above
# sensitive are not applicable (DS-BAK-003 judges their access).
assessed := {a.id |
	some a in judged
	known(a)
}
