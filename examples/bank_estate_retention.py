"""Retention of the example estate (DS-RET-001, DS-RET-002; Art. 38, 46), with its twins.

- loan-archive (important, kept 365 days) has only a lifecycle rule filtered to ``tmp/``: no
  rule expires every object (DS-RET-001); statement-archive, the same with a rule without a
  filter expiring after 365 days, passes (both unversioned: an expired object leaves no
  noncurrent version behind).
- ledger-2019-close (core, kept 1825 days) is a manual snapshot of core-ledger taken in 2019,
  older than its retention (DS-RET-001); ledger-2025-close, taken in 2025, passes — and both
  copy a database that is there (DS-RET-002 passes).
- crm-legacy-final is a manual snapshot of crm-legacy, a database deleted from the
  production account, whose cn-north-1 scope the sweep read completely: an orphan copy,
  unclassified, reported at the protection owed to unclassified data (DS-RET-002).
"""

from __future__ import annotations

from typing import Any

from bank_estate_builders import R1, P, asset, bucket, cmk, enc, rds

# What the live sweep read in the production account's cn-north-1 (a copy's source absent
# from a scope read completely for its service is gone: DS-RET-002).
SERVICES = ["s3", "network", "kms", "rds", "dynamodb", "ebs", "redshift", "efs",
            "elasticache", "backup", "cloudtrail", "logs"]

PRIVATE = {"public": False, "wildcard_principal": False}


def _archive(name: str, whole: dict[str, Any]) -> dict[str, Any]:
    b = bucket(name, P, {"dsscan:level": "important", "environment": "production",
                         "retention-days": "365"}, dict(PRIVATE), kms_key=cmk(P, "archive"),
               expiry={"expires": True, "days": 30, "whole_bucket": whole})
    b.setdefault("attributes", {})["versioning"] = "Disabled"
    # Otherwise compliant: TLS required by its bucket policy, access logged to the audit bucket.
    b["encryption"]["in_transit"] = {
        "enforced": True, "mechanism": "bucket_policy", "source": None,
        "setting": "aws:SecureTransport", "value": "false",
        "detail": "its bucket policy denies requests without TLS"}
    b["logging"] = {"access_log": {"enabled": True, "target_bucket": "bank-audit-logs",
                                   "target_prefix": f"s3/{name}/"}}
    # Backed up by a plan whose recovery points are kept a year: within the retention.
    b["backup"]["plans"] = ["archive-monthly"]
    b["backup"]["plan_lifecycle"] = [{"plan": "archive-monthly", "rule": "monthly",
                                      "delete_after_days": 365, "copy": False}]
    return b


def _snapshot(name: str, source: str, created: str, tags: dict[str, str]) -> dict[str, Any]:
    return asset(
        id=f"arn:aws-cn:rds:{R1}:{P}:snapshot:{name}", kind="snapshot", name=name,
        type="AWS::RDS::DBSnapshot", account=P, region=R1, tags=tags,
        encryption=enc(True, "customer_managed", f"arn:aws-cn:kms:{R1}:{P}:key/ledger"),
        access={"public": False, "shared_with": []},
        backup={"backup_of": [source], "location": {"account": P, "region": R1},
                "automated": False, "created": created})


def retention() -> list[dict[str, Any]]:
    keep = {"dsscan:level": "core", "environment": "production", "retention-days": "1825"}
    return [
        _archive("loan-archive", {"days": None, "date": None, "noncurrent_days": None}),
        _archive("statement-archive", {"days": 365, "date": None, "noncurrent_days": None}),
        _snapshot("ledger-2019-close", rds(P, "core-ledger"), "2019-12-31T23:00:00Z", keep),
        _snapshot("ledger-2025-close", rds(P, "core-ledger"), "2025-12-31T23:00:00Z", keep),
        _snapshot("crm-legacy-final", rds(P, "crm-legacy"), "2024-03-31T22:00:00Z",
                  {"environment": "production"}),
    ]


def add_sources(sources: list[dict[str, Any]]) -> None:
    """The production account's cn-north-1 was read for every service."""
    for s in sources:
        if s.get("account") == P and s.get("region") == R1:
            s["services"] = list(SERVICES)
