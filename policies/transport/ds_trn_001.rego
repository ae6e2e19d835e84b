# METADATA
# title: Stores at sensitive level or above refuse plaintext connections
# description: |
#   Every data store whose level is sensitive or above (an unclassified store counts at the
#   configured protection level) refuses connections without TLS, not merely offers TLS:
#   an S3 bucket, EFS file system or DynamoDB table has a resource policy denying every
#   request with aws:SecureTransport=false; an RDS or Aurora database's (cluster) parameter
#   group sets rds.force_ssl=1 (PostgreSQL, SQL Server) or require_secure_transport=ON
#   (MySQL, MariaDB); a Redshift cluster's parameter group sets require_ssl=true; an
#   ElastiCache cache uses transit encryption in mode required (preferred still accepts
#   plaintext); an OpenSearch domain enforces HTTPS. A store whose enforcement could not be
#   read (or is not read for its engine) is not assessed. Volumes are attached block
#   devices, not network endpoints: not judged.
# custom:
#   id: DS-TRN-001
#   articles: [44, 28, 61]
#   remediation: |
#     S3: add a bucket policy statement {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
#     "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"], "Condition": {"Bool":
#     {"aws:SecureTransport": "false"}}}. EFS: the same statement in the file-system policy
#     (Action "*"), and mount with TLS. DynamoDB: the same statement in the table's resource
#     policy (Action "dynamodb:*"). RDS/Aurora: in a custom (cluster) parameter group set
#     rds.force_ssl=1 (PostgreSQL, SQL Server) or require_secure_transport=ON (MySQL,
#     MariaDB, Aurora MySQL) and attach it. Redshift: require_ssl=true in the cluster
#     parameter group. ElastiCache: enable transit encryption and move the mode from
#     preferred to required once clients use TLS. OpenSearch: domain_endpoint_options
#     enforce_https = true.
#   kinds: [object_store, database, table, file_system, cache, warehouse]
#   reads: [encryption]
package dsscan.policy.ds_trn_001

import rego.v1

# The judged stores: those owing sensitive protection or above, but volumes.
judged := [a |
	some a in data.dsscan.lib.protected_stores
	a.kind != "volume"
]

# The in-transit fact, or null (absent: not read).
transit(a) := t if {
	t := a.encryption.in_transit
	is_object(t)
} else := null

deny contains finding if {
	some a in judged
	a.encryption.in_transit.enforced == false
	t := a.encryption.in_transit
	finding := {
		"asset": a.id,
		"level": a.ctx.level,
		"message": {
			"template": "{asset} holds {level} data but accepts plaintext connections: {detail}.",
			"detail": detail(t),
		},
		"evidence": {
			"enforced": false,
			"mechanism": object.get(t, "mechanism", null),
			"source": object.get(t, "source", null),
			"setting": object.get(t, "setting", null),
			"value": object.get(t, "value", null),
		},
	}
}

detail(t) := d if {
	d := t.detail
	is_string(d)
	d != ""
} else := {"template": "{mechanism} does not refuse it", "mechanism": mechanism(t)}

# The mechanism as the message names it ("null" when it is null, as sprintf wrote it).
mechanism(t) := m if {
	m := object.get(t, "mechanism", "nothing")
	m != null
} else := "null"

not_assessed contains item if {
	some a in judged
	not a.encryption.in_transit.enforced == false
	not a.encryption.in_transit.enforced == true
	item := {"asset": a.id, "reason": reason(transit(a))}
}

reason(t) := {"template": "whether it refuses plaintext connections could not be read: {detail}", "detail": t.detail} if {
	is_object(t)
	is_string(t.detail)
} else := "whether it refuses plaintext connections could not be read"

# Assessed: stores below sensitive protection (by their level, volumes aside) and the judged
# stores whose enforcement could be read.
assessed := union({
	{a.id |
		some a in data.dsscan.lib.unprotected_stores
		a.kind != "volume"
	},
	{a.id |
		some a in judged
		is_boolean(a.encryption.in_transit.enforced)
	},
})
