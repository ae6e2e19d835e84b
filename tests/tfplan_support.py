"""A Terraform plan JSON (format 1.2) built resource by resource, with the shapes Terraform
1.9 writes (resource_changes with after_unknown, planned_values, configuration expressions
with references): the sharing and AMI tests build their plans with it."""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"
REGION = "cn-north-1"


class Plan:
    """A Terraform plan JSON (format 1.2) built resource by resource."""

    def __init__(self, account: str = ACCOUNT, region: str = REGION) -> None:
        self.account, self.region = account, region
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
                    "region": {"constant_value": self.region},
                    "allowed_account_ids": {"constant_value": [self.account]}}}},
                "root_module": {"resources": self.config}},
            "timestamp": "2026-12-07T00:00:00Z", "applyable": True, "complete": True,
            "errored": False}
