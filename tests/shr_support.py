"""The DS-SHR-001/002 parity estate's constants, shared by its live, Terraform and Pulumi
tests (tests/test_shr_live.py, tests/test_shr_iac.py, tests/fixtures/pulumi/sharing)."""

from __future__ import annotations

ACCOUNT = "123456789012"  # moto's default account: the bank
VENDOR, INSURER = "999999999999", "222222222222"
FOREIGN = "o-vendor0001"
CONFIG = {"accounts": {ACCOUNT: {"entity": "Bank"}, INSURER: {"entity": "Insurance"}},
          "institution_organizations": ["o-bank000001"]}

EXPECTED = {
    ("DS-SHR-001", "vendor-core", "read_outside"),
    ("DS-SHR-001", "foreign-org", "read_outside"),
    ("DS-SHR-001", "dr-vault", "read_outside"),
    ("DS-SHR-001", "ledger-snap", "read_outside"),
    ("DS-SHR-002", "insurer-core", "other_entity"),
    ("DS-SHR-002", "policies", "other_entity"),
}
