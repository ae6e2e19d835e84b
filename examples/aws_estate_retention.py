"""The example estate's retention twins (DS-RET-001, DS-RET-002; Art. 38, 46), provisioned by
dsscan.examples.aws_estate after the other families (examples/bank_estate_retention.py is
the saved estate's counterpart).

- loan-archive (important, kept 365 days): its only lifecycle rule is filtered to tmp/, so
  no rule expires every object (DS-RET-001); statement-archive, with a rule without a filter
  expiring after 365 days, is its compliant twin.
- crm-legacy, a retired database: its final snapshot is kept after the database was deleted,
  in a scope the sweep reads completely (DS-RET-002, at the protection of unclassified data).
"""

from __future__ import annotations

from typing import Any

from dsscan.examples.aws_estate_layout import PROD, R1, WAIT, P, _Estate, _tags
from dsscan.examples.aws_estate_resources import _bucket, _tls_only


def _archive(est: _Estate, name: str, rule_filter: dict[str, Any]) -> None:
    # Otherwise like the ledger's buckets: its key, TLS required.
    s3 = _bucket(est, P, R1, name, {"dsscan:level": "important", **PROD,
                                    "retention-days": "365"},
                 kms_alias="ledger", policy=_tls_only(name))
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [{
        "ID": "expire", "Status": "Enabled", "Filter": rule_filter,
        "Expiration": {"Days": 30 if rule_filter else 365}}]})


def retention(est: _Estate) -> None:
    _archive(est, "loan-archive", {"Prefix": "tmp/"})
    _archive(est, "statement-archive", {})
    rds = est.client(P, "rds")
    rds.create_db_instance(
        DBInstanceIdentifier="crm-legacy", Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="dbadmin", ManageMasterUserPassword=True,
        StorageEncrypted=True, PubliclyAccessible=False, Tags=_tags({**PROD, "app": "crm"}))
    rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier="crm-legacy",
                                                 WaiterConfig=WAIT)
    rds.create_db_snapshot(DBSnapshotIdentifier="crm-legacy-final",
                           DBInstanceIdentifier="crm-legacy")
    rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier="crm-legacy-final",
                                                 WaiterConfig=WAIT)
    rds.delete_db_instance(DBInstanceIdentifier="crm-legacy", SkipFinalSnapshot=True,
                           DeleteAutomatedBackups=True)
    rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="crm-legacy",
                                               WaiterConfig=WAIT)
    est.made(P, R1, "rds_snapshot")
