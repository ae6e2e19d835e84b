"""Snapshots shared outside the bank (DS-SHR-001) or with its other accounts (DS-SHR-002) in the
example estate: manual snapshots of the core risk-warehouse, otherwise like its automated one.

Twins: risk-warehouse-partner is shared with a fintech partner's account with no sharing
record (a finding), beside risk-warehouse-partner-approved, the same share tagged with its
approved sharing record (compliant). risk-warehouse-dr is shared with the disaster-recovery
account: with no legal entity configured, whether that crosses entities is not assessed (set
accounts.<id>.entity or legal_entities: docs/config.md).
"""

from __future__ import annotations

from typing import Any

from bank_estate_backup import snapshot
from bank_estate_builders import DR, R1, P, cmk, enc

PARTNER = "888877776666"  # a fintech partner's account: not the bank's


def _shared(name: str, who: list[str], tags: dict[str, str] | None = None) -> dict[str, Any]:
    s = snapshot(f"arn:aws-cn:redshift:{R1}:{P}:snapshot:risk-warehouse/{name}", name,
                 "AWS::Redshift::ClusterSnapshot",
                 f"arn:aws-cn:redshift:{R1}:{P}:cluster:risk-warehouse",
                 enc(True, "customer_managed", cmk(P, "risk")),
                 {"public": False, "shared_with": who}, automated=False)
    if tags:
        s["tags"] = {**s.get("tags", {}), **tags}
    return s


def shared_stores() -> list[dict[str, Any]]:
    return [
        _shared("risk-warehouse-partner", [PARTNER]),
        _shared("risk-warehouse-partner-approved", [PARTNER],
                {"dsscan:sharing-record": "SR-2026-014"}),
        _shared("risk-warehouse-dr", [DR]),
    ]
