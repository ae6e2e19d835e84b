"""A whole-scope gap of an inventory: a part of the estate a scanner could not read at all.

Where it is (``account``, ``region``) and which call failed (``service``, ``operation``) are
data; ``scope`` is the sentence reports show, rendered from those fields by the producer. Only
the fields decide anything (which findings of an earlier run `dsscan diff` may not call fixed,
dsscan.store.gaps): rewording a sentence never changes a verdict or a diff.

``account`` None: the gap may hold any account (an organization's listing, a Terraform plan
that reaches several). ``region`` None: every region of ``account`` (or of any account).
``service``/``operation``: the AWS API call that failed (as in its IAM action
``service:Operation``), None when the gap is not one failed call.
"""

from __future__ import annotations

from typing import Any

# The structured fields every scope gap carries (null when not applicable or unknown).
FIELDS = ("account", "region", "service", "operation")


def scope_gap(template: str, reason: str, *, account: str | None = None,
              region: str | None = None, service: str | None = None,
              operation: str | None = None, **names: Any) -> dict[str, Any]:
    """The inventory's gap record. ``template`` is the scope sentence with ``{account}`` and
    ``{region}`` filled from the fields (one source of truth) and any other placeholder from
    ``names`` (prose only: a bucket's or a plan's name, never read back)."""
    scope = template.format(account=account, region=region, **names)
    return {"scope": scope, "reason": reason, "account": account, "region": region,
            "service": service, "operation": operation}


def field(gap: dict[str, Any], name: str) -> str | None:
    """One structured field of an inventory gap: a non-empty string, else None (unknown: an
    inventory written before the fields existed has none, and fails closed)."""
    value = gap.get(name)
    return value if isinstance(value, str) and value else None
