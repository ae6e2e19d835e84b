# METADATA
# title: Personal information and important data stay in the allowed regions
# description: |
#   Where the institution lists the regions its data may be stored in (allowed_regions in
#   .dsscan.yaml, e.g. the mainland regions cn-north-1 and cn-northwest-1), every store,
#   backup and snapshot owing sensitive-level protection or above (personal information,
#   important and core data) sits in one of them: a copy outside them is a transfer overseas
#   that needs the security assessment of Art. 36. Without allowed_regions the policy is not evaluated.
#   A store whose region could not be read is not assessed.
# custom:
#   id: DS-XBR-001
#   articles: [36]
#   remediation: |
#     Move the store (or the backup / replication target) into an allowed region, or, if the
#     transfer overseas is intended, complete the national security assessment for outbound
#     data (Art. 36) and record the decision as a waiver with its approver and expiry.
#   requires_config: [allowed_regions]
#   kinds: [object_store, database, table, file_system, cache, warehouse, volume, backup, snapshot]
#   reads: [backup]
package dsscan.policy.ds_xbr_001

import rego.v1

allowed := {r | some r in object.get(data.dsscan.lib.config, "allowed_regions", [])}

region_kinds := data.dsscan.lib.store_kinds | data.dsscan.lib.copy_kinds

# Held to sensitive-level protection or above, in a kind that stores data.
held(a) if {
	a.ctx.protect_rank >= 2
	a.kind in region_kinds
	a.ctx.assessable
}

known_region(a) if {
	is_string(a.region)
	a.region != ""
}

deny contains finding if {
	count(allowed) > 0
	some a in data.dsscan.lib.assets
	held(a)
	known_region(a)
	not a.region in allowed
	finding := {
		"asset": a.id,
		"level": a.ctx.level,
		"message": {
			"template": "{asset} holds {level} data in region {region}, outside the allowed regions ({allowed}).",
			"region": a.region, "allowed": sort([r | some r in allowed]),
		},
		"evidence": {"region": a.region, "allowed_regions": sort([r | some r in allowed])},
	}
}

not_assessed contains item if {
	count(allowed) > 0
	some a in data.dsscan.lib.assets
	held(a)
	not known_region(a)
	item := {"asset": a.id, "reason": "the region of the store could not be read"}
}

# Copies the service keeps outside the inventory (DynamoDB global-table replicas, S3
# replication targets in accounts or regions not read; Python: ctx.replicas_outside). A
# replica in the inventory is judged as itself above.
replicas_outside(a) := object.get(a, ["ctx", "replicas_outside"], [])

deny contains finding if {
	count(allowed) > 0
	some a in data.dsscan.lib.assets
	held(a)
	some r in replicas_outside(a)
	is_string(r.region)
	not r.region in allowed
	finding := {
		"asset": a.id,
		"key": sprintf("replica:%s", [r.region]),
		"level": a.ctx.level,
		"message": {
			"template": "{asset} holds {level} data and is replicated to region {region}, outside the allowed regions ({allowed}).",
			"region": r.region, "allowed": sort([x | some x in allowed]),
		},
		"evidence": {"replica_region": r.region, "allowed_regions": sort([x | some x in allowed])},
	}
}

not_assessed contains item if {
	count(allowed) > 0
	some a in data.dsscan.lib.assets
	held(a)
	unknown := sort([r.id | some r in replicas_outside(a); not is_string(r.region); is_string(r.id)])
	count(unknown) > 0
	item := {"asset": a.id, "reason": {"template": "the region of its replication target {targets} could not be read", "targets": unknown}}
}

# Assessed (with allowed regions set): readable stores and copies below sensitive protection,
# by their level; the others whose region is known.
assessed := union({
	{a.id |
		count(allowed) > 0
		some a in data.dsscan.lib.assessable_data
		a.ctx.protect_rank < 2
	},
	{a.id |
		count(allowed) > 0
		some a in data.dsscan.lib.assessable_data
		held(a)
		known_region(a)
	},
})

