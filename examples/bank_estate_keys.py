"""The customer-managed KMS keys of the example estate (DS-KMS-001, Art. 37).

Twins: ledger (rotated, enabled, the bank's own account only) and test are compliant; cards
(important card data) was never rotated; dr-backup, a core backup's key, is scheduled for
deletion (the DR copies die with it); risk has a statement meant for an analytics vendor that
lost its condition: anyone may decrypt.
"""

from __future__ import annotations

from typing import Any

from bank_estate_builders import DR, R1, R2, P, T, asset, cmk


def key(acct, n, region=R1, rotation=True, state="Enabled", deletion=None,
        anyone=False) -> dict[str, Any]:
    """A customer-managed key; its policy lets its own account in (and, ``anyone``, also a
    statement without a principal to confine it)."""
    root = f"arn:aws-cn:iam::{acct}:root"
    return asset(
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


def keys() -> list[dict[str, Any]]:
    return [
        key(P, "ledger"),  # compliant: rotated, enabled, the bank's own account only
        key(T, "test"),  # compliant: protects test stores only
        key(P, "cards", rotation=False),  # important card data, material never rotated
        # A core backup's key scheduled for deletion: the DR copies die with it.
        key(DR, "dr-backup", region=R2, state="PendingDeletion",
            deletion="2026-12-05T00:00:00+00:00"),
        # A statement meant for an analytics vendor lost its condition: anyone may decrypt.
        key(P, "risk", anyone=True),
    ]
