"""Snapshots shared outside the bank (DS-SHR-001) or with its other accounts (DS-SHR-002) in the
example estate: manual snapshots of the core-ledger database under its own key.

Twins: ledger-partner-extract is shared with a fintech partner's account with no sharing
record (a finding), beside ledger-partner-approved, the same share tagged with its approved
sharing record (compliant). ledger-dr-extract is shared with the disaster-recovery account:
with no legal entity configured, whether that crosses entities is not assessed (set
accounts.<id>.entity or legal_entities: docs/config.md).
"""

from __future__ import annotations

from typing import Any

from bank_estate_backup import snapshot
from bank_estate_builders import DR, R1, P, cmk, enc, rds

PARTNER = "888877776666"  # a fintech partner's account: not the bank's


def _shared(name: str, who: list[str], tags: dict[str, str] | None = None) -> dict[str, Any]:
    s = snapshot(f"arn:aws-cn:rds:{R1}:{P}:snapshot:{name}", name, "AWS::RDS::DBSnapshot",
                 rds(P, "core-ledger"), enc(True, "customer_managed", cmk(P, "ledger")),
                 {"public": False, "shared_with": who}, automated=False)
    if tags:
        s["tags"] = {**s.get("tags", {}), **tags}
    return s


def shared_stores() -> list[dict[str, Any]]:
    return [
        _shared("ledger-partner-extract", [PARTNER]),
        _shared("ledger-partner-approved", [PARTNER],
                {"dsscan:sharing-record": "SR-2026-014"}),
        _shared("ledger-dr-extract", [DR]),
    ]
