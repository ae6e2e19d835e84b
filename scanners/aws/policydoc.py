"""IAM-style policy documents and S3 public-access settings, judged the same way for live
AWS and for infrastructure as code (no AWS calls here)."""

from __future__ import annotations

from typing import Any

# Conditions that tie a wildcard principal to the owner's network or organisation.
RESTRICTING_KEYS = {"aws:sourcevpc", "aws:sourcevpce", "aws:sourceip", "aws:principalorgid",
                    "aws:principalaccount", "aws:sourceaccount", "aws:sourcearn",
                    "aws:principalarn", "aws:userid", "aws:sourceorgid", "aws:principalorgpaths",
                    "aws:sourceowner"}
ALL_USERS = ("http://acs.amazonaws.com/groups/global/AllUsers",
             "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
BLOCK_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def blocks_of(bucket: dict[str, Any] | None, account: dict[str, Any]) -> dict[str, bool]:
    """Effective public access block: a setting is on at bucket or at account level."""
    eff = {k: bool((bucket or {}).get(k)) or bool(account.get(k)) for k in BLOCK_KEYS}
    eff["all"] = all(eff[k] for k in BLOCK_KEYS)
    return eff


def exposed(grant: bool | None, blocks: dict[str, bool] | None, block: str) -> bool | None:
    """A public grant exposes the bucket unless the public access block neutralises it;
    None when either could not be read."""
    if grant is False:
        return False
    if grant is None:
        return None
    return None if blocks is None else not blocks[block]


def any_true(values: list[bool | None]) -> bool | None:
    if True in values:
        return True
    return None if None in values else False


def statements(policy: Any) -> list[dict[str, Any]]:
    if not isinstance(policy, dict):
        return []
    st = policy.get("Statement")
    st = [st] if isinstance(st, dict) else st
    return [s for s in st or [] if isinstance(s, dict)]


def is_wildcard(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        vals = aws if isinstance(aws, list) else [aws]
        return "*" in vals
    return False


def wildcard_statements(policy: Any) -> list[dict[str, Any]]:
    """Allow statements whose principal is anyone."""
    return [s for s in statements(policy)
            if s.get("Effect") == "Allow" and is_wildcard(s.get("Principal"))]


def restricted(statement: dict[str, Any]) -> bool:
    cond = statement.get("Condition") or {}
    return any(k.lower() in RESTRICTING_KEYS
               for op in cond.values() if isinstance(op, dict) for k in op)


def public_statements(policy: Any) -> list[dict[str, Any]]:
    """Wildcard Allow statements not tied to the owner's network or organisation."""
    return [s for s in wildcard_statements(policy) if not restricted(s)]


def denies_insecure_transport(policy: Any) -> bool:
    for s in statements(policy):
        if s.get("Effect") != "Deny":
            continue
        for op, body in (s.get("Condition") or {}).items():
            if op.lower().startswith("bool") and isinstance(body, dict):
                for k, v in body.items():
                    if k.lower() == "aws:securetransport" and str(v).lower() == "false":
                        return True
    return False


def acl_public(acl: Any) -> bool:
    return any((g.get("Grantee") or {}).get("URI") in ALL_USERS
               for g in (acl or {}).get("Grants") or [])
