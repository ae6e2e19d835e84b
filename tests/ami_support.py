"""The AMI-share parity estate's constants, shared by its live, Terraform and Pulumi tests
(tests/test_ami_live.py, tests/test_ami_iac.py, tests/fixtures/pulumi/amis).

* core-image: an AMI of the core database server's disk (its snapshot is core), launchable by
  a vendor's account (DS-SHR-001) and by every account of the institution's organization,
  which holds the insurance subsidiary (DS-SHR-002);
* public-image: an AMI of the same disk, public (DS-BAK-003);
* own-image: an AMI of it shared with no one (none).
"""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"  # moto's default account: the bank
VENDOR, INSURER = "999999999999", "222222222222"
OUR_ORG = "o-bank000001"
ORG_ARN = f"arn:aws-cn:organizations::{ACCOUNT}:organization/{OUR_ORG}"
CONFIG = {"accounts": {ACCOUNT: {"entity": "Bank"}, INSURER: {"entity": "Insurance"}},
          "institution_organizations": [OUR_ORG]}
POLICIES = ("DS-SHR-001", "DS-SHR-002", "DS-BAK-003")

EXPECTED = {
    ("DS-SHR-001", "core-image", "read_outside"),
    ("DS-SHR-002", "core-image", "other_entity"),
    ("DS-BAK-003", "public-image", "open_access"),
}


REGION = "cn-north-1"


# A Terraform plan JSON (format 1.2), as tests/test_shr_iac.py builds its own (test modules
# import no test module: tests/test_suite_layout.py).
class Plan:
    """A Terraform plan JSON (format 1.2) built resource by resource."""

    def __init__(self) -> None:
        self.changes: list[dict[str, Any]] = []
        self.config: list[dict[str, Any]] = []

    def add(self, rtype: str, name: str, after: dict[str, Any], unknown: dict[str, Any],
            refs: dict[str, str] | None = None) -> str:
        address = f"{rtype}.{name}"
        for attr in refs or {}:
            unknown[attr] = True
        self.changes.append({
            "address": address, "mode": "managed", "type": rtype, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": None, "after": after,
                       "after_unknown": unknown, "before_sensitive": False,
                       "after_sensitive": {}}})
        expressions: dict[str, Any] = {k: {"constant_value": v} for k, v in after.items()
                                       if v is not None}
        for attr, target in (refs or {}).items():
            expressions[attr] = {"references": [target, target.rsplit(".", 1)[0]]}
        self.config.append({"address": address, "mode": "managed", "type": rtype,
                            "name": name, "provider_config_key": "aws",
                            "expressions": expressions, "schema_version": 0})
        return address

    def json(self) -> dict[str, Any]:
        return {
            "format_version": "1.2", "terraform_version": "1.9.8",
            "planned_values": {"root_module": {"resources": [
                {"address": c["address"], "mode": "managed", "type": c["type"],
                 "name": c["name"], "provider_name": c["provider_name"], "schema_version": 0,
                 "values": c["change"]["after"], "sensitive_values": {}}
                for c in self.changes]}},
            "resource_changes": self.changes,
            "configuration": {"provider_config": {"aws": {
                "name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                "version_constraint": "~> 5.80", "expressions": {
                    "region": {"constant_value": REGION},
                    "allowed_account_ids": {"constant_value": [ACCOUNT]}}}},
                "root_module": {"resources": self.config}},
            "timestamp": "2026-12-07T00:00:00Z", "applyable": True, "complete": True,
            "errored": False}
