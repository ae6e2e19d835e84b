"""Builds bank-estate.json, the example estate (run: python examples/build_bank_estate.py).

Kept as code so the estate stays consistent when edited; the JSON is what ships.
"""

import json
from pathlib import Path

from bank_estate_transport import add_transport

P, T, DR = "111111111111", "222222222222", "333333333333"
R1, R2 = "cn-north-1", "cn-northwest-1"


def enc(enabled, kt=None, key=None):
    return {"at_rest": {"enabled": enabled, "key_type": kt, "key_id": key}}


def cmk(acct, n, r=R1):
    return f"arn:aws-cn:kms:{r}:{acct}:key/{n}"


src = {"type": "inventory", "file": "examples/bank-estate.json"}
A = []


def add(**kw):
    kw.setdefault("provider", "aws")
    kw.setdefault("tags", {})
    kw.setdefault("source", dict(src))
    kw.setdefault("assessment", {"status": "complete", "gaps": []})
    A.append(kw)


# --- network domains -------------------------------------------------------------------
def domain(vpc, name, acct, cidr, tags, igw=False, routes=(), peerings=(), subnets=(),
           flow_logs=()):
    add(
        id=f"arn:aws-cn:ec2:{R1}:{acct}:vpc/{vpc}",
        kind="network_domain",
        name=name,
        type="AWS::EC2::VPC",
        account=acct,
        region=R1,
        tags=tags,
        network={
            "vpc_id": vpc,
            "subnets": list(subnets),
            "cidrs": [cidr],
            "internet_gateway": igw,
            "routes": list(routes),
            "peerings": list(peerings),
            "security_groups": [],
            "flow_logs": list(flow_logs),
        },
    )


def flow_log(fid, traffic):
    """A VPC flow log to the central log bucket (DS-LOG-003)."""
    return {"id": fid, "traffic_type": traffic, "destination_type": "s3",
            "destination": "arn:aws-cn:s3:::bank-flow-logs"}


domain(
    "vpc-0a1core",
    "prod-core",
    P,
    "10.10.0.0/16",
    {"dsscan:level": "core", "environment": "production"},
    routes=[{"destination": "10.20.0.0/16", "target": "pcx-0core2int"}],
    peerings=[{"id": "pcx-0core2int", "peer_vpc_id": "vpc-0a2int", "status": "active"}],
    flow_logs=[flow_log("fl-0core", "ALL")],  # DS-LOG-003 compliant twin
)
domain(
    "vpc-0a2int",
    "prod-internal",
    P,
    "10.20.0.0/16",
    {"dsscan:level": "important", "environment": "production"},
    routes=[
        {"destination": "10.10.0.0/16", "target": "pcx-0core2int"},
        {"destination": "10.30.0.0/16", "target": "pcx-0test2int"},
    ],
    peerings=[
        {"id": "pcx-0core2int", "peer_vpc_id": "vpc-0a1core", "status": "active"},
        {
            "id": "pcx-0test2int",
            "peer_vpc_id": "vpc-0b1test",
            "peer_account": T,
            "status": "active",
        },
        # accepted for a migration, never routed: a link, no path today (DS-NET-002, DS-TST-001)
        {"id": "pcx-0sbx2int", "peer_vpc_id": "vpc-0b3sbx", "peer_account": T, "status": "active"},
    ],
    # no flow logs: DS-LOG-003 violating twin (important data)
)
domain(
    "vpc-0a3dmz",
    "prod-dmz",
    P,
    "10.40.0.0/16",
    {"dsscan:level": "general", "environment": "production"},
    igw=True,
    routes=[{"destination": "0.0.0.0/0", "target": "igw-0dmz"}],
)
domain("vpc-0a4ana", "analytics", P, "10.50.0.0/16", {"environment": "production"},
       flow_logs=[flow_log("fl-0ana", "ALL")])
domain(
    "vpc-0b1test",
    "test",
    T,
    "10.30.0.0/16",
    {"dsscan:level": "sensitive", "environment": "test"},
    routes=[{"destination": "10.20.0.0/16", "target": "pcx-0test2int"}],
    peerings=[
        {"id": "pcx-0test2int", "peer_vpc_id": "vpc-0a2int", "peer_account": P, "status": "active"}
    ],
    flow_logs=[flow_log("fl-0test", "REJECT")],  # DS-LOG-003: rejected traffic only
)
domain(
    "vpc-0b2iso",
    "test-isolated",
    T,
    "10.60.0.0/16",
    {"dsscan:level": "sensitive", "environment": "test"},
    flow_logs=[flow_log("fl-0iso", "ACCEPT"), flow_log("fl-0iso-rej", "REJECT")],
)
# A sandbox with no data: peered with prod-internal (no route), and admitted by a rule of the
# core database's group (no route either). Links, not paths: findings one level lower.
domain(
    "vpc-0b3sbx",
    "test-sandbox",
    T,
    "10.80.0.0/16",
    {"dsscan:level": "general", "environment": "test"},
    peerings=[{"id": "pcx-0sbx2int", "peer_vpc_id": "vpc-0a2int", "peer_account": P,
               "status": "active"}],
)


def sg(sgid, vpc, acct, rules):
    add(
        id=f"arn:aws-cn:ec2:{R1}:{acct}:security-group/{sgid}",
        kind="security_group",
        name=sgid,
        type="AWS::EC2::SecurityGroup",
        account=acct,
        region=R1,
        network={"vpc_id": vpc, "ingress": rules},
    )


def tcp(port, cidrs, desc=""):
    return {
        "protocol": "tcp",
        "from_port": port,
        "to_port": port,
        "cidrs": cidrs,
        "description": desc,
    }


sg(
    "sg-0coredb",
    "vpc-0a1core",
    P,
    [
        tcp(5432, ["10.10.0.0/16"], "core apps"),
        tcp(5432, ["10.20.0.0/16"], "reporting from prod-internal"),
        tcp(5432, ["10.80.0.0/16"], "sandbox load test, never routed"),
    ],
)
sg(
    "sg-0profile",
    "vpc-0a2int",
    P,
    [tcp(5432, ["10.20.0.0/16"]), tcp(5432, ["10.30.0.0/16"], "test data refresh")],
)
sg("sg-0cache", "vpc-0a3dmz", P, [tcp(6379, ["0.0.0.0/0"], "temporary debug")])
sg("sg-0hrshare", "vpc-0a2int", P, [tcp(2049, ["10.20.0.0/16"])])
sg("sg-0wh", "vpc-0a4ana", P, [tcp(5439, ["10.50.0.0/16"])])
sg("sg-0testdb", "vpc-0b1test", T, [tcp(5432, ["10.30.0.0/16"])])
sg("sg-0isodb", "vpc-0b2iso", T, [tcp(5432, ["10.60.0.0/16"])])


def rds(acct, n):
    return f"arn:aws-cn:rds:{R1}:{acct}:db:{n}"


def net(vpc, sgid, public=False):
    return {"vpc_id": vpc, "subnets": [], "security_groups": [sgid], "publicly_accessible": public}


# --- production stores ------------------------------------------------------------------
add(
    id=rds(P, "core-ledger"),
    kind="database",
    name="core-ledger",
    type="AWS::RDS::DBInstance",
    account=P,
    region=R1,
    tags={"dsscan:level": "core", "environment": "production", "app": "ledger"},
    encryption=enc(True, "customer_managed", cmk(P, "ledger")),
    network=net("vpc-0a1core", "sg-0coredb"),
    access={"public": False},
    backup={"native": {"enabled": True, "retention_days": 35}},
)
add(
    id=rds(P, "customer-profile"),
    kind="database",
    name="customer-profile",
    type="AWS::RDS::DBInstance",
    account=P,
    region=R1,
    tags={"environment": "production", "app": "crm"},
    encryption=enc(True, "provider_managed", f"arn:aws-cn:kms:{R1}:{P}:alias/aws/rds"),
    network=net("vpc-0a2int", "sg-0profile"),
    access={"public": False},
    backup={"native": {"enabled": True, "retention_days": 7}},
)
add(
    id=f"arn:aws-cn:dynamodb:{R1}:{P}:table/card-transactions",
    kind="table",
    name="card-transactions",
    type="AWS::DynamoDB::Table",
    account=P,
    region=R1,
    tags={"dsscan:level": "important", "environment": "production"},
    encryption=enc(True, "customer_managed", cmk(P, "cards")),
    network=None,
    access={"public": False},
    backup={"native": {"enabled": True, "point_in_time_recovery": True}},
)
add(
    id="arn:aws-cn:s3:::bank-statements",
    kind="object_store",
    name="bank-statements",
    type="AWS::S3::Bucket",
    account=P,
    region=R1,
    tags={"dsscan:level": "sensitive", "environment": "production"},
    encryption=enc(True, "provider_managed"),
    network=None,
    access={
        "public": False,
        "wildcard_principal": False,
        "public_access_block": True,
        "secure_transport_required": True,
    },
    backup={"native": {"enabled": False}},
)
add(
    id="arn:aws-cn:s3:::bank-marketing-site",
    kind="object_store",
    name="bank-marketing-site",
    type="AWS::S3::Bucket",
    account=P,
    region=R1,
    tags={"dsscan:level": "general", "environment": "production"},
    encryption=enc(True, "provider_managed"),
    network=None,
    access={"public": True, "wildcard_principal": True, "public_access_block": False},
    backup={"native": {"enabled": False}},
)
add(
    id="arn:aws-cn:s3:::loan-documents",
    kind="object_store",
    name="loan-documents",
    type="AWS::S3::Bucket",
    account=P,
    region=R1,
    tags={"dsscan:level": "sensitive", "environment": "production"},
    encryption=enc(True, "provider_managed"),
    network=None,
    access={"public": True, "wildcard_principal": True, "public_access_block": False},
    backup={"native": {"enabled": False}},
)
add(
    id="arn:aws-cn:s3:::kyc-archive",
    kind="object_store",
    name="kyc-archive",
    type="AWS::S3::Bucket",
    account=P,
    region=R1,
    tags={"dsscan:level": "general", "environment": "production"},
    encryption=enc(True, "customer_managed", cmk(P, "kyc")),
    network=None,
    access={"public": False, "wildcard_principal": False},
    backup={"native": {"enabled": False}},
    content={
        "status": "sampled",
        "sample": {"objects": 20, "bytes": 1048576},
        "detections": [
            {
                "detector": "prc_resident_id",
                "location": "scans/2026/index.csv#id_number",
                "unmasked": 187,
                "masked": 0,
                "tokenized": 0,
                "sampled": 200,
                "evidence": ["110101********1234", "440305********002X"],
            }
        ],
    },
)
add(
    id=f"arn:aws-cn:elasticfilesystem:{R1}:{P}:file-system/fs-0hr",
    kind="file_system",
    name="hr-share",
    type="AWS::EFS::FileSystem",
    account=P,
    region=R1,
    tags={"environment": "production"},
    encryption=enc(True, "provider_managed"),
    network=net("vpc-0a2int", "sg-0hrshare"),
    access={"public": False},
    backup={"native": {"enabled": True}},
)
add(
    id=f"arn:aws-cn:elasticache:{R1}:{P}:replicationgroup:session-cache",
    kind="cache",
    name="session-cache",
    type="AWS::ElastiCache::ReplicationGroup",
    account=P,
    region=R1,
    tags={"dsscan:level": "sensitive", "environment": "production"},
    encryption=enc(False, "none"),
    network=net("vpc-0a3dmz", "sg-0cache"),
    access={"public": False},
    backup={"native": {"enabled": True, "retention_days": 1}},
)
add(
    id=f"arn:aws-cn:redshift:{R1}:{P}:cluster:risk-warehouse",
    kind="warehouse",
    name="risk-warehouse",
    type="AWS::Redshift::Cluster",
    account=P,
    region=R1,
    tags={"environment": "production"},
    encryption=enc(True, "customer_managed", cmk(P, "risk")),
    network=net("vpc-0a4ana", "sg-0wh"),
    access={"public": False},
    derived_from=[rds(P, "core-ledger"), rds(P, "customer-profile")],
    backup={"native": {"enabled": True, "retention_days": 1}},
)
add(
    id="arn:aws-cn:s3:::legacy-reports",
    kind="object_store",
    name="legacy-reports",
    type="AWS::S3::Bucket",
    account=P,
    region=R1,
    tags={"dsscan:level": "important", "environment": "production"},
    encryption={"at_rest": {"enabled": None, "key_type": None, "key_id": None}},
    network=None,
    access=None,
    backup=None,
    assessment={
        "status": "partial",
        "gaps": [
            {"aspect": "encryption", "reason": "s3:GetEncryptionConfiguration AccessDenied"},
            {"aspect": "access", "reason": "s3:GetBucketPolicy AccessDenied"},
        ],
    },
)

# --- backups, snapshots, vaults ---------------------------------------------------------
add(
    id=f"arn:aws-cn:backup:{R1}:{P}:backup-vault:prod-vault",
    kind="backup_vault",
    name="prod-vault",
    type="AWS::Backup::BackupVault",
    account=P,
    region=R1,
    tags={"environment": "production"},
    encryption=enc(True, "provider_managed", f"arn:aws-cn:kms:{R1}:{P}:alias/aws/backup"),
    access={"public": False, "wildcard_principal": True, "lock": {"enabled": False}},
)
add(
    id=f"arn:aws-cn:backup:{R2}:{DR}:backup-vault:dr-vault",
    kind="backup_vault",
    name="dr-vault",
    type="AWS::Backup::BackupVault",
    account=DR,
    region=R2,
    tags={"environment": "production", "purpose": "disaster-recovery"},
    encryption=enc(True, "customer_managed", cmk(DR, "dr-backup", R2)),
    access={
        "public": False,
        "wildcard_principal": False,
        "lock": {"enabled": True, "mode": "compliance", "min_retention_days": 365},
    },
)


def rp(name, source, vault_arn, acct, region, e):
    add(
        id=f"arn:aws-cn:backup:{region}:{acct}:recovery-point:{name}",
        kind="backup",
        name=name,
        type="AWS::Backup::RecoveryPoint",
        account=acct,
        region=region,
        encryption=e,
        access=None,
        backup={
            "backup_of": [source],
            "location": {"account": acct, "region": region, "vault": vault_arn},
        },
    )


pv = f"arn:aws-cn:backup:{R1}:{P}:backup-vault:prod-vault"
dv = f"arn:aws-cn:backup:{R2}:{DR}:backup-vault:dr-vault"
rp(
    "core-ledger-rp-20261121",
    rds(P, "core-ledger"),
    pv,
    P,
    R1,
    enc(True, "customer_managed", cmk(P, "ledger")),
)
rp(
    "core-ledger-rp-20261121-dr",
    rds(P, "core-ledger"),
    dv,
    DR,
    R2,
    enc(True, "customer_managed", cmk(DR, "dr-backup", R2)),
)
rp(
    "bank-statements-rp-20261121",
    "arn:aws-cn:s3:::bank-statements",
    pv,
    P,
    R1,
    enc(True, "provider_managed"),
)
rp(
    "bank-statements-rp-20261121-dr",
    "arn:aws-cn:s3:::bank-statements",
    dv,
    DR,
    R2,
    enc(True, "customer_managed", cmk(DR, "dr-backup", R2)),
)
add(
    id=f"arn:aws-cn:rds:{R1}:{P}:snapshot:rds:customer-profile-2026-11-21",
    kind="snapshot",
    name="rds:customer-profile-2026-11-21",
    type="AWS::RDS::DBSnapshot",
    account=P,
    region=R1,
    encryption=enc(True, "provider_managed"),
    access={"public": False, "shared_with": []},
    backup={
        "backup_of": [rds(P, "customer-profile")],
        "location": {"account": P, "region": R1},
        "automated": True,
    },
)
add(
    id=f"arn:aws-cn:rds:{R1}:{P}:snapshot:customer-profile-export",
    kind="snapshot",
    name="customer-profile-export",
    type="AWS::RDS::DBSnapshot",
    account=P,
    region=R1,
    encryption=enc(False, "none"),
    access={"public": True, "shared_with": ["all"]},
    backup={
        "backup_of": [rds(P, "customer-profile")],
        "location": {"account": P, "region": R1},
        "automated": False,
    },
)
add(
    id=f"arn:aws-cn:redshift:{R1}:{P}:snapshot:risk-warehouse/rs:risk-warehouse-2026-11-21",
    kind="snapshot",
    name="rs:risk-warehouse-2026-11-21",
    type="AWS::Redshift::ClusterSnapshot",
    account=P,
    region=R1,
    encryption=enc(True, "customer_managed", cmk(P, "risk")),
    access={"public": False, "shared_with": []},
    backup={
        "backup_of": [f"arn:aws-cn:redshift:{R1}:{P}:cluster:risk-warehouse"],
        "location": {"account": P, "region": R1},
        "automated": True,
    },
)
add(
    id=f"arn:aws-cn:rds:{R2}:{DR}:snapshot:hr-share-copy",
    kind="snapshot",
    name="hr-share-copy",
    type="AWS::Backup::RecoveryPoint",
    account=DR,
    region=R2,
    encryption=enc(True, "customer_managed", cmk(DR, "dr-backup", R2)),
    access={"public": False},
    backup={
        "backup_of": [f"arn:aws-cn:elasticfilesystem:{R1}:{P}:file-system/fs-0hr"],
        "location": {"account": DR, "region": R2},
    },
)
add(
    id="arn:aws-cn:s3:::bank-statements-replica",
    kind="object_store",
    name="bank-statements-replica",
    type="AWS::S3::Bucket",
    account=DR,
    region=R2,
    tags={"environment": "production"},
    encryption=enc(True, "customer_managed", cmk(DR, "replica", R2)),
    network=None,
    access={"public": False, "wildcard_principal": False},
    replica_of=["arn:aws-cn:s3:::bank-statements"],
    backup={"native": {"enabled": False}},
    # Versioned, and the replication rule keeps delete markers back (bank-statements'
    # replication_delete_markers): a replica that counts as a backup copy (DS-BAK-001/002).
    attributes={"versioning": "Enabled"},
)
# The violating twin: delete markers are replicated, so a deletion at loan-documents hides the
# data here too; not a backup copy (DS-BAK-002 names the condition).
add(
    id="arn:aws-cn:s3:::loan-documents-replica",
    kind="object_store",
    name="loan-documents-replica",
    type="AWS::S3::Bucket",
    account=DR,
    region=R2,
    tags={"environment": "production"},
    encryption=enc(True, "customer_managed", cmk(DR, "replica", R2)),
    network=None,
    access={"public": False, "wildcard_principal": False, "public_access_block": True,
            "secure_transport_required": True},
    replica_of=["arn:aws-cn:s3:::loan-documents"],
    backup={"native": {"enabled": False}},
    attributes={"versioning": "Enabled"},
)

# --- test environment -------------------------------------------------------------------
add(
    id=rds(T, "test-customer-db"),
    kind="database",
    name="test-customer-db",
    type="AWS::RDS::DBInstance",
    account=T,
    region=R1,
    tags={"dsscan:level": "sensitive", "environment": "test"},
    encryption=enc(True, "customer_managed", cmk(T, "test")),
    network=net("vpc-0b1test", "sg-0testdb"),
    access={"public": False},
    backup={"native": {"enabled": True, "retention_days": 1}},
    content={
        "status": "sampled",
        "sample": {"rows": 500, "columns": 12},
        "detections": [
            {
                "detector": "prc_resident_id",
                "location": "customers.id_number",
                "unmasked": 482,
                "masked": 0,
                "tokenized": 0,
                "sampled": 500,
                "evidence": ["310104********4416", "110105********0017"],
            },
            {
                "detector": "mobile_phone",
                "location": "customers.mobile",
                "unmasked": 499,
                "masked": 0,
                "tokenized": 0,
                "sampled": 500,
                "evidence": ["139****0021"],
            },
        ],
    },
)
add(
    id=rds(T, "test-masked-db"),
    kind="database",
    name="test-masked-db",
    type="AWS::RDS::DBInstance",
    account=T,
    region=R1,
    tags={
        "dsscan:level": "sensitive",
        "environment": "test",
        "dsscan:desensitization": "DSR-2026-017",
    },
    encryption=enc(True, "customer_managed", cmk(T, "test")),
    network=net("vpc-0b2iso", "sg-0isodb"),
    access={"public": False},
    backup={"native": {"enabled": True, "retention_days": 1}},
    content={
        "status": "sampled",
        "sample": {"rows": 500, "columns": 12},
        "detections": [
            {
                "detector": "prc_resident_id",
                "location": "customers.id_number",
                "unmasked": 0,
                "masked": 500,
                "tokenized": 0,
                "sampled": 500,
                "evidence": ["110101********1234"],
            }
        ],
    },
)
add(
    id="arn:aws-cn:s3:::test-fixtures",
    kind="object_store",
    name="test-fixtures",
    type="AWS::S3::Bucket",
    account=T,
    region=R1,
    tags={"dsscan:level": "general", "environment": "test"},
    encryption=enc(True, "provider_managed"),
    network=None,
    access={"public": False, "wildcard_principal": False},
    backup={"native": {"enabled": False}},
)

# --- replication rules and restore verification (DS-BAK-001/002, DS-BAK-004) ---------------
REPLICATION = {
    "bank-statements": {"arn:aws-cn:s3:::bank-statements-replica": "Disabled"},
    "loan-documents": {"arn:aws-cn:s3:::loan-documents-replica": "Enabled"},
}
# Restore verification of each store AWS Backup can restore: most are in a restore-testing
# selection; customer-profile's last restore is older than 180 days and loan-documents was
# never restored (the violating twins of core-ledger, restore-tested).
TESTED = {"testing_selections": ["monthly-restore/production"],
          "last_successful_restore": None, "restore_jobs": "read"}
RESTORES = {
    "customer-profile": {"testing_selections": [],
                         "last_successful_restore": "2025-09-30T02:00:00+00:00",
                         "restore_jobs": "read"},
    "loan-documents": {"testing_selections": [], "last_successful_restore": None,
                       "restore_jobs": "read"},
}
for a in A:
    if a["name"] in REPLICATION:
        a.setdefault("attributes", {})["replication_delete_markers"] = REPLICATION[a["name"]]
    if a["kind"] in ("object_store", "database", "table", "file_system", "warehouse",
                     "volume") and not a.get("replica_of") and isinstance(a.get("backup"), dict):
        a["backup"]["restore_verification"] = dict(
            RESTORES.get(a["name"], TESTED))
# --- KMS keys (DS-KMS-001, Art. 37) ------------------------------------------------------
def key(acct, n, region=R1, rotation=True, state="Enabled", deletion=None, anyone=False):
    """A customer-managed key; its policy lets its own account in (and, ``anyone``, also a
    statement without a principal to confine it)."""
    root = f"arn:aws-cn:iam::{acct}:root"
    add(
        id=cmk(acct, n, region),
        kind="key",
        name=n,
        type="AWS::KMS::Key",
        account=acct,
        region=region,
        kms={
            "rotation_enabled": rotation,
            "state": state,
            "deletion_date": deletion,
            "origin": "AWS_KMS",
            "decrypters": [
                {"principal": root, "account": acct,
                 "via": "key policy statement Enable IAM User Permissions", "anyone": False},
                *([{"principal": "*", "account": None,
                    "via": "key policy statement VendorAnalytics", "anyone": True}]
                  if anyone else []),
            ],
        },
        attributes={"aliases": [f"alias/{n}"], "key_manager": "CUSTOMER"},
    )


key(P, "ledger")  # compliant: rotated, enabled, the bank's own account only
key(T, "test")  # compliant: protects test stores only
key(P, "cards", rotation=False)  # important card data, material never rotated
# A core backup's key scheduled for deletion: the DR copies die with it.
key(DR, "dr-backup", region=R2, state="PendingDeletion", deletion="2026-12-05T00:00:00+00:00")
# A statement meant for an analytics vendor lost its condition: anyone may decrypt.
key(P, "risk", anyone=True)
add_transport(A)  # DS-TRN-001 (examples/bank_estate_transport.py)

# --- operation logs (Art. 43: DS-LOG-001, DS-LOG-002) ---------------------------------
# An organization trail records data events of every DynamoDB table and of two buckets into
# bank-audit-logs (kept 400 days) and the org-trail log group (kept 1096 days); audit logs of
# the databases go to their log groups. Twins: bank-statements (sensitive, nothing logs it:
# DS-LOG-001) beside loan-documents (selected by the trail); core-ledger (audit log kept 90
# days: DS-LOG-002, core needs 1095) beside customer-profile (kept forever); card-transactions
# (important, outsourced: 3 years) passes through the 1096-day log group; risk-warehouse
# (core) logs to bank-audit-logs only: 400 days (DS-LOG-002); legacy-reports is selected for
# writes only and bank-statements-replica (DR) is not logged (DS-LOG-001). The live twin:
# examples/aws_estate_resources.py::_logging.
def log_group(acct, name, days):
    add(id=f"arn:aws-cn:logs:{R1}:{acct}:log-group:{name}", kind="log_sink", name=name,
        type="AWS::Logs::LogGroup", account=acct, region=R1, network=None,
        log={"service": "cloudwatch_logs"},
        expiry={"expires": days is not None, "days": days})


add(id=f"arn:aws-cn:cloudtrail:{R1}:{P}:trail/org-data-events", kind="log_sink",
    name="org-data-events", type="AWS::CloudTrail::Trail", account=P, region=R1, network=None,
    log={"service": "cloudtrail", "logging": True, "multi_region": True, "organization": False,
         "data_events": [
             {"type": "AWS::DynamoDB::Table", "arns": None, "exclude": [], "partial": False},
             {"type": "AWS::S3::Object", "arns": ["arn:aws-cn:s3:::loan-documents/",
                                                  "arn:aws-cn:s3:::kyc-archive/"],
              "exclude": [], "partial": False},
             # Writes only: not an operation log of legacy-reports (reads go unrecorded).
             {"type": "AWS::S3::Object", "arns": ["arn:aws-cn:s3:::legacy-reports/"],
              "exclude": [], "partial": True}],
         "bucket": "bank-audit-logs",
         "log_group": f"arn:aws-cn:logs:{R1}:{P}:log-group:org-trail:*"})
log_group(P, "org-trail", 1096)
log_group(P, "/aws/rds/instance/core-ledger/postgresql", 90)
log_group(P, "/aws/rds/instance/customer-profile/postgresql", None)
add(id="arn:aws-cn:s3:::bank-audit-logs", kind="object_store", name="bank-audit-logs",
    type="AWS::S3::Bucket", account=P, region=R1,
    tags={"dsscan:level": "general", "environment": "production"},
    encryption=enc(True, "provider_managed"), network=None,
    access={"public": False, "wildcard_principal": False, "public_access_block": True},
    backup={"native": {"enabled": False}},
    logging={"access_log": {"enabled": False}}, expiry={"expires": True, "days": 400})

_OFF = {"access_log": {"enabled": False, "target_bucket": None, "target_prefix": None}}
_LOGS = {
    "core-ledger": {"audit": {"enabled": True, "destinations": [
        {"type": "cloudwatch_logs",
         "log_group": "/aws/rds/instance/core-ledger/postgresql"}]}},
    "customer-profile": {"audit": {"enabled": True, "destinations": [
        {"type": "cloudwatch_logs",
         "log_group": "/aws/rds/instance/customer-profile/postgresql"}]}},
    "risk-warehouse": {"audit": {"enabled": True, "destinations": [
        {"type": "s3", "bucket": "bank-audit-logs"}]}},
    "test-customer-db": {"audit": {"enabled": False, "destinations": []}},
    "test-masked-db": {"audit": {"enabled": False, "destinations": []}},
}
for a in A:
    if a["kind"] in ("object_store", "database", "warehouse") and "logging" not in a:
        a["logging"] = _LOGS.get(a["name"], _OFF)
    if a["kind"] == "object_store" and "expiry" not in a:
        a["expiry"] = {"expires": False, "days": None}
    if a["name"] == "card-transactions":
        a["tags"] = {**a["tags"], "outsourced": "true"}


doc = {
    "format": "dsscan-inventory/1",
    "generated_at": "2026-11-21T08:00:00Z",
    "generator": {"tool": "dsscan", "version": "0.1.0", "scanner": "hand-written example"},
    "sources": [
        {"type": "aws", "account": P, "region": R1},
        {"type": "aws", "account": T, "region": R1},
        {"type": "aws", "account": DR, "region": R2},
    ],
    "gaps": [
        {
            "scope": f"elasticache in {T}/{R1}",
            "reason": "elasticache:DescribeReplicationGroups AccessDenied",
            "account": T,
            "region": R1,
            "service": "elasticache",
            "operation": "DescribeReplicationGroups",
        }
    ],
    "assets": A,
}
out = Path(__file__).with_name("bank-estate.json")
out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"wrote {out} ({len(A)} assets)")
