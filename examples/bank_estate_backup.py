"""Backups of the example estate (DS-BAK-*): the backup vaults, recovery points, snapshots and
replica buckets, the replication rules of the buckets they copy, and each store's restore
verification.

Twins: bank-statements-replica is versioned and its replication rule keeps delete markers back,
a backup copy (DS-BAK-001/002), beside loan-documents-replica, whose rule replicates them (a
deletion at loan-documents hides the data there too: not a backup copy). core-ledger is in a
restore-testing selection (DS-BAK-004), customer-profile's last restore is older than 180 days
and loan-documents was never restored. customer-profile-export is an unencrypted snapshot
shared with everyone; dr-vault is locked in compliance mode, prod-vault is not.
"""

from __future__ import annotations

from typing import Any

from bank_estate_builders import DR, R1, R2, P, asset, bucket, cmk, enc, rds

PROD_VAULT = f"arn:aws-cn:backup:{R1}:{P}:backup-vault:prod-vault"
DR_VAULT = f"arn:aws-cn:backup:{R2}:{DR}:backup-vault:dr-vault"


def vaults() -> list[dict[str, Any]]:
    return [
        asset(
            id=PROD_VAULT,
            kind="backup_vault",
            name="prod-vault",
            type="AWS::Backup::BackupVault",
            account=P,
            region=R1,
            tags={"environment": "production"},
            encryption=enc(True, "provider_managed",
                           f"arn:aws-cn:kms:{R1}:{P}:alias/aws/backup"),
            access={"public": False, "wildcard_principal": True, "lock": {"enabled": False}},
        ),
        asset(
            id=DR_VAULT,
            kind="backup_vault",
            name="dr-vault",
            type="AWS::Backup::BackupVault",
            account=DR,
            region=R2,
            tags={"environment": "production", "purpose": "disaster-recovery"},
            encryption=dr_key(),
            access={
                "public": False,
                "wildcard_principal": False,
                "lock": {"enabled": True, "mode": "compliance", "min_retention_days": 365},
            },
        ),
    ]


def rp(name, source, vault_arn, acct, region, e) -> dict[str, Any]:
    """A recovery point of ``source`` in the vault ``vault_arn``."""
    return asset(
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


def snapshot(arn, name, type_, source, e, access, automated) -> dict[str, Any]:
    """A snapshot of ``source`` kept beside it (the production account, cn-north-1)."""
    return asset(
        id=arn,
        kind="snapshot",
        name=name,
        type=type_,
        account=P,
        region=R1,
        encryption=e,
        access=access,
        backup={
            "backup_of": [source],
            "location": {"account": P, "region": R1},
            "automated": automated,
        },
    )


def replica(source, access) -> dict[str, Any]:
    """A versioned copy of the bucket ``source`` in the DR account, under its replica key."""
    return bucket(f"{source}-replica", DR, {"environment": "production"}, access,
                  kms_key=cmk(DR, "replica", R2), region=R2, replica_of=source,
                  attributes={"versioning": "Enabled"})


def dr_key() -> dict[str, Any]:
    """Encryption under the DR account's backup key."""
    return enc(True, "customer_managed", cmk(DR, "dr-backup", R2))


def backups() -> list[dict[str, Any]]:
    return [
        *vaults(),
        rp("core-ledger-rp-20261121", rds(P, "core-ledger"), PROD_VAULT, P, R1,
           enc(True, "customer_managed", cmk(P, "ledger"))),
        rp("core-ledger-rp-20261121-dr", rds(P, "core-ledger"), DR_VAULT, DR, R2, dr_key()),
        rp("bank-statements-rp-20261121", "arn:aws-cn:s3:::bank-statements", PROD_VAULT, P, R1,
           enc(True, "provider_managed")),
        rp("bank-statements-rp-20261121-dr", "arn:aws-cn:s3:::bank-statements", DR_VAULT, DR,
           R2, dr_key()),
        snapshot(f"arn:aws-cn:rds:{R1}:{P}:snapshot:rds:customer-profile-2026-11-21",
                 "rds:customer-profile-2026-11-21", "AWS::RDS::DBSnapshot",
                 rds(P, "customer-profile"), enc(True, "provider_managed"),
                 {"public": False, "shared_with": []}, automated=True),
        snapshot(f"arn:aws-cn:rds:{R1}:{P}:snapshot:customer-profile-export",
                 "customer-profile-export", "AWS::RDS::DBSnapshot",
                 rds(P, "customer-profile"), enc(False, "none"),
                 {"public": True, "shared_with": ["all"]}, automated=False),
        snapshot(f"arn:aws-cn:redshift:{R1}:{P}:snapshot:risk-warehouse/"
                 "rs:risk-warehouse-2026-11-21",
                 "rs:risk-warehouse-2026-11-21", "AWS::Redshift::ClusterSnapshot",
                 f"arn:aws-cn:redshift:{R1}:{P}:cluster:risk-warehouse",
                 enc(True, "customer_managed", cmk(P, "risk")),
                 {"public": False, "shared_with": []}, automated=True),
        asset(
            id=f"arn:aws-cn:rds:{R2}:{DR}:snapshot:hr-share-copy",
            kind="snapshot",
            name="hr-share-copy",
            type="AWS::Backup::RecoveryPoint",
            account=DR,
            region=R2,
            encryption=dr_key(),
            access={"public": False},
            backup={
                "backup_of": [f"arn:aws-cn:elasticfilesystem:{R1}:{P}:file-system/fs-0hr"],
                "location": {"account": DR, "region": R2},
            },
        ),
        # Versioned, and the replication rule keeps delete markers back (bank-statements'
        # replication_delete_markers): a replica that counts as a backup copy (DS-BAK-001/002).
        replica("bank-statements", {"public": False, "wildcard_principal": False}),
        # The violating twin: delete markers are replicated, so a deletion at loan-documents
        # hides the data here too; not a backup copy (DS-BAK-002 names the condition).
        replica("loan-documents", {"public": False, "wildcard_principal": False,
                                   "public_access_block": True,
                                   "secure_transport_required": True}),
    ]


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
RESTORABLE = ("object_store", "database", "table", "file_system", "warehouse", "volume")


def add_restore_verification(assets: list[dict[str, Any]]) -> None:
    """Set the replication rules of the replicated buckets, and the restore verification of
    every store that is not itself a replica and has a backup fact."""
    for a in assets:
        if a["name"] in REPLICATION:
            a.setdefault("attributes", {})["replication_delete_markers"] = REPLICATION[a["name"]]
        if a["kind"] in RESTORABLE and not a.get("replica_of") and isinstance(a.get("backup"),
                                                                              dict):
            a["backup"]["restore_verification"] = dict(RESTORES.get(a["name"], TESTED))
