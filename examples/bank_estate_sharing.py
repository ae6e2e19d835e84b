"""Stores read from outside the bank (DS-SHR-001) or by its other accounts (DS-SHR-002) in the
example estate.

Twins: partner-exchange, a core bucket whose policy lets a fintech partner's role read it with
no sharing record (a finding), beside partner-exchange-approved, the same share tagged with
its approved sharing record (compliant). group-risk-pool is read by the test account: with no
legal entity configured, whether that crosses entities is not assessed (set
accounts.<id>.entity or legal_entities: docs/config.md).
"""

from __future__ import annotations

from typing import Any

from bank_estate_builders import P, T, bucket

PARTNER = "888877776666"  # a fintech partner's account: not the bank's


def _reader(account: str, principal: str, sid: str) -> dict[str, Any]:
    return {"principal": principal, "account": account,
            "via": f"bucket policy statement {sid}", "anyone": False}


def _access(*readers: dict[str, Any]) -> dict[str, Any]:
    return {"public": False, "wildcard_principal": False, "public_access_block": True,
            "secure_transport_required": True, "readers": list(readers)}


def shared_stores() -> list[dict[str, Any]]:
    partner = _reader(PARTNER, f"arn:aws-cn:iam::{PARTNER}:role/partner-etl", "Partner")
    return [
        bucket("partner-exchange", P, {"dsscan:level": "core", "environment": "production"},
               _access(partner)),
        bucket("partner-exchange-approved", P,
               {"dsscan:level": "core", "environment": "production",
                "dsscan:sharing-record": "SR-2026-014"}, _access(partner)),
        bucket("group-risk-pool", P, {"dsscan:level": "important",
                                      "environment": "production"},
               _access(_reader(T, f"arn:aws-cn:iam::{T}:role/analytics", "Analytics"))),
    ]
