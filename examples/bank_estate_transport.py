"""DS-TRN-001 facts of the example estate (``encryption.in_transit``), kept apart from
build_bank_estate.py: whether each store refuses plaintext, and what decides it.

Violating twins: customer-profile (its parameter group has rds.force_ssl=0), loan-documents (no
bucket policy denying plaintext), session-cache (transit encryption preferred, not required)
hr-share (no file-system policy) and risk-warehouse (Redshift's default parameter group,
require_ssl=false). Compliant twins: core-ledger (rds.force_ssl=1), bank-statements (a bucket
policy denying aws:SecureTransport=false), card-transactions (a table resource policy). The
live twin (examples/aws_estate_resources.py, `dsscan demo`) sets the same. legacy-reports'
bucket policy could not be read: not assessed.
"""

from __future__ import annotations

from typing import Any


def _t(enforced: bool, mechanism: str, detail: str, source: str | None = None,
       setting: str | None = None, value: str | None = None) -> dict[str, Any]:
    return {"enforced": enforced, "mechanism": mechanism, "source": source, "setting": setting,
            "value": value, "detail": detail}


def _bucket(on: bool) -> dict[str, Any]:
    return _t(on, "bucket_policy", "its bucket policy denies requests without TLS" if on else
              "it has no bucket policy denying requests with aws:SecureTransport=false",
              setting="aws:SecureTransport", value="false" if on else None)


def _pg(group: str, value: str) -> dict[str, Any]:
    return _t(value == "1", "parameter_group", f"parameter group {group} has "
              f"rds.force_ssl={value}", group, "rds.force_ssl", value)


TRANSIT: dict[str, dict[str, Any]] = {
    "core-ledger": _pg("core-ledger-pg16", "1"),
    "customer-profile": _pg("crm-pg14", "0"),
    "test-customer-db": _pg("test-pg16", "1"),
    "test-masked-db": _pg("test-pg16", "1"),
    "card-transactions": _t(True, "resource_policy", "its table resource policy denies "
                            "requests without TLS", setting="aws:SecureTransport", value="false"),
    "bank-statements": _bucket(True),
    "bank-statements-replica": _bucket(True),
    "loan-documents-replica": _bucket(True),
    # s3:GetBucketPolicy was denied (its access gap): unknown, not assessed
    "legacy-reports": {"enforced": None, "mechanism": "bucket_policy", "source": None,
                       "setting": "aws:SecureTransport", "value": None,
                       "detail": "the bucket policy could not be read"},
    "kyc-archive": _bucket(True),
    "loan-documents": _bucket(False),
    "bank-marketing-site": _bucket(False),  # general: not judged
    "test-fixtures": _bucket(False),  # general: not judged
    "hr-share": _t(False, "file_system_policy", "it has no file system policy denying "
                   "requests with aws:SecureTransport=false", setting="aws:SecureTransport"),
    "session-cache": _t(False, "transit_encryption", "transit encryption mode is preferred "
                        "(TLS offered, plaintext still accepted), not required",
                        setting="TransitEncryptionMode", value="preferred"),
    # Redshift's default group (moto, and so the demo, cannot hold another value)
    "risk-warehouse": _t(False, "parameter_group", "parameter group default.redshift-1.0 has "
                         "require_ssl=false", "default.redshift-1.0", "require_ssl", "false"),
}


def add_transport(assets: list[dict[str, Any]]) -> None:
    """Set each listed store's in-transit fact (stores not listed keep none: not assessed)."""
    for a in assets:
        t = TRANSIT.get(a.get("name"))
        if t is not None and isinstance(a.get("encryption"), dict):
            a["encryption"]["in_transit"] = dict(t)
