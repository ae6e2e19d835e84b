"""Whether a store's backups are verified by restoring them (DS-BAK-004; Art. 45: "formulate
a backup verification plan to ensure backup data is complete and effective").

A store's restores are verified when an AWS Backup restore-testing selection covers it (a
standing verification plan), or when a restore from one of its recovery points completed
within ``config.restore_verification_days`` (default 180). The inventory holds the facts
(``backup.restore_verification``: docs/inventory.md); this module judges them against the
period and the run's clock, so that Rego neither reads the clock nor parses dates.

``restore_jobs`` says what the input could tell about restore jobs: ``read`` (the live
sweep read them), ``unreadable`` (the call failed: unknown), ``not_in_input`` (a Terraform
plan or Pulumi program declares no restore jobs: only a restore-testing selection can show
verification there, so a store without one is a finding, not a gap — the plan is the place
where the verification plan is declared).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Kinds whose restores AWS Backup can test or perform (ElastiCache is not protected by it).
RESTORE_KINDS = frozenset({"object_store", "database", "table", "file_system", "warehouse",
                           "volume"})
# Stores of those kinds that AWS Backup does not protect (OpenSearch domains; the volumes a
# launch template or configuration describes, not yet any instance's): not applicable.
NOT_RESTORABLE_TYPES = frozenset({
    "aws_opensearch_domain", "aws_elasticsearch_domain", "aws_launch_template",
    "aws_launch_configuration", "AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain",
    "AWS::EC2::LaunchTemplate"})
JOBS_STATES = ("read", "unreadable", "not_in_input")


def parse_when(value: Any) -> datetime | None:
    """An ISO 8601 date or date-time (``Z`` or an offset; a date alone is midnight UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def restore_verification(a: dict[str, Any], days: int, now: datetime) -> dict[str, Any] | None:
    """``ctx.restore_verification`` of a store (None where DS-BAK-004 does not apply)."""
    if a.get("kind") not in RESTORE_KINDS or a.get("type") in NOT_RESTORABLE_TYPES:
        return None
    backup = a.get("backup")
    rv = backup.get("restore_verification") if isinstance(backup, dict) else None
    out: dict[str, Any] = {"verified": None, "by": None, "testing_selections": None,
                           "last_successful_restore": None, "age_days": None,
                           "within_days": days, "restore_jobs": None, "reason": None}
    if not isinstance(rv, dict):
        out["reason"] = "whether its restores are verified was not read"
        return out
    sels = rv.get("testing_selections")
    sels = [s for s in sels if isinstance(s, str)] if isinstance(sels, list) else None
    jobs = rv.get("restore_jobs") if rv.get("restore_jobs") in JOBS_STATES else None
    raw_last = rv.get("last_successful_restore")
    last = parse_when(raw_last)
    age = (now - last).days if last is not None else None
    out.update(testing_selections=sels, restore_jobs=jobs,
               last_successful_restore=raw_last if last is not None else None, age_days=age)
    if sels:
        out.update(verified=True, by="restore_testing")
    elif age is not None and 0 <= age <= days:
        out.update(verified=True, by="restore_job")
    elif sels is None:
        out["reason"] = "the restore-testing selections covering it could not be read"
    elif raw_last is not None and last is None:
        out["reason"] = "the date of its last restore could not be read"
    elif age is not None and age < 0:
        # A completion date after the scan is no evidence of anything (a clock or a
        # hand-written inventory is wrong): not a verified restore, and not a missing one.
        out["reason"] = "the date of its last restore is later than the scan"
    elif jobs in ("read", "not_in_input"):
        out["verified"] = False
    else:
        out["reason"] = "its restore jobs could not be read"
    return out
