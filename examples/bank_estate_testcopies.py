"""Production data reaching test by copy (DS-TST-004, Art. 48) in the example estate.

Twins on the core ledger: a manual snapshot shared with the UAT account for a test refresh,
without a desensitization record (a finding), next to a masked refresh snapshot shared the same
way with its record DSR-2025-004 (compliant); and a DMS task copying the ledger to a UAT
endpoint (a finding: DMS moves the data as it is).
"""

from __future__ import annotations

from typing import Any

from bank_estate_builders import R1, P, T, asset, enc, rds

LEDGER = rds(P, "core-ledger")


def _refresh(name: str, tags: dict[str, str]) -> dict[str, Any]:
    return asset(
        id=f"arn:aws-cn:rds:{R1}:{P}:snapshot:{name}", kind="snapshot", name=name,
        type="AWS::RDS::DBSnapshot", account=P, region=R1, tags=tags,
        encryption=enc(True, "customer_managed", f"arn:aws-cn:kms:{R1}:{P}:key/ledger"),
        access={"public": False, "shared_with": [T]},
        backup={"backup_of": [LEDGER], "location": {"account": P, "region": R1},
                "automated": False})


def test_copies() -> list[dict[str, Any]]:
    return [
        _refresh("core-ledger-refresh", {}),  # shared with UAT, no record: a finding
        _refresh("core-ledger-masked-refresh",  # desensitized first: compliant
                 {"dsscan:desensitization": "DSR-2025-004"}),
    ]


def add_copy_paths(assets: list[dict[str, Any]]) -> None:
    """The DMS task reading the ledger (copy_to); every other store copies nowhere else."""
    for a in assets:
        if a["id"] == LEDGER:
            a["copy_to"] = [{
                "via": "dms task", "target": f"arn:aws-cn:dms:{R1}:{P}:endpoint:UATLEDGER",
                "name": "ledger-uat-target", "account": None, "region": None,
                "target_tags": {"environment": "test"}, "by": "ledger-to-uat", "tags": {}}]
