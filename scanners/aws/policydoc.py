"""Resource policies (bucket, backup vault, key, table) and S3 public-access settings, judged
the way AWS judges them — one module for live AWS, Terraform and Pulumi (no AWS calls here).

**Public unless AWS would call it non-public.** The S3 User Guide ("Blocking public access to
your Amazon S3 storage" → "The meaning of 'public'") starts from *public* and lets a policy
out only when every statement granting to anyone is confined to *fixed* values of a short list
of keys. IAM Access Analyzer applies the same idea to vaults, keys and tables. We follow it:

* ``[S3-PUBLIC-PRINCIPAL]`` an ``Allow`` statement whose ``Principal`` is ``*``, holds ``*``
  among its values, or holds a wildcard in any value (``arn:aws:iam::*:root``) grants to
  anyone; so does ``Allow`` with ``NotPrincipal`` (everyone but the listed).
* ``[S3-PUBLIC-FIXED]`` such a statement is not public only when one of its conditions holds
  the request to fixed values — "values that don't contain a wildcard or an AWS Identity and
  Access Management policy variable" — of a confining key (``CONFINING_KEYS``). A condition
  on any other key (``aws:SecureTransport``, ``aws:Referer``, dates, tags…) confines nothing.
* ``[IAM-NEGATED]`` negated operators (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``…)
  admit every value but the listed: not a restriction.
* ``[IAM-IFEXISTS]`` ``…IfExists`` operators and ``ForAllValues:`` are satisfied by a request
  that lacks the key: not a restriction. ``Null`` only tests presence: not a restriction.
* ``[S3-PUBLIC-CIDR]`` ``aws:SourceIp`` confines only with ``IpAddress`` and CIDRs no broader
  than /8 (IPv4) or /32 (IPv6): ``0.0.0.0/0``, ``::/0`` and other wide ranges are the internet.
* ``[S3-PUBLIC-USERID]`` ``aws:userid`` may end in ``:*`` after a role's unique id
  (``AROAEXAMPLE:*``): fixed; any other wildcard is not.
* ``[IAM-DENY]`` a ``Deny`` grants nothing, and S3 does not let a ``Deny`` turn a public
  ``Allow`` non-public: only allowing statements are judged.
* ``[FAIL-CLOSED]`` a document that is not a policy (wrong types, missing elements) cannot be
  judged: the verdict is ``None`` (not assessed), never "not public".

Why not a library: ``policyuniverse`` (Netflix) counts ``…IfExists`` conditions and any
``ForAllValues:`` condition as restrictions and ignores CIDR width below ``/0``; ``parliament``
lints identity policies and has no public-access rule. Both would pass policies AWS calls
public. tests/test_policydoc.py pins each rule with a table of documents.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

ALL_USERS = ("http://acs.amazonaws.com/groups/global/AllUsers",
             "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
BLOCK_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

# Keys whose fixed values confine a statement to the owner's principals, network or
# organisation (S3 "The meaning of 'public'"; IAM Access Analyzer for other resources).
CONFINING_KEYS = frozenset({
    "aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner",
    "aws:sourceaccount", "aws:principalorgid", "aws:principalarn", "aws:principalaccount",
    "aws:userid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths",
})
# Keys that confine only on one service's resources.
SERVICE_KEYS: dict[str, frozenset[str]] = {
    "s3": frozenset({"s3:dataaccesspointarn", "s3:dataaccesspointaccount",
                     "s3:x-amz-server-side-encryption-aws-kms-key-id"}),
    "kms": frozenset({"kms:calleraccount"}),
}
# Operators that confine to the values listed (after any ForAnyValue: prefix).
_MATCHING = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals",
                       "arnlike"})
_WILDCARDS = ("*", "?", "${")


class NotAPolicy(ValueError):
    """The document cannot be read as a policy: judged as unknown ([FAIL-CLOSED])."""


@dataclass(frozen=True)
class Verdict:
    """What a policy grants to anyone. ``public``/``wildcard_principal`` are ``None`` when the
    document could not be judged; ``reasons`` cite the rule behind each public statement."""

    public: bool | None
    wildcard_principal: bool | None
    reasons: tuple[str, ...] = ()


def judge(policy: Any, service: str = "s3") -> Verdict:
    """The verdict on one resource policy (a parsed document; ``None`` = no policy)."""
    if policy is None:
        return Verdict(False, False)
    try:
        granting = [s for s in statements(policy) if _effect(s) == "allow"]
        anyone = [s for s in granting if _to_anyone(s)]
        reasons = tuple(r for s in anyone if (r := _public_reason(s, service)))
    except NotAPolicy as e:
        return Verdict(None, None, (f"[FAIL-CLOSED] {e}",))
    return Verdict(bool(reasons), bool(anyone), reasons)


def statements(policy: Any) -> list[dict[str, Any]]:
    """The statements of a policy document; :class:`NotAPolicy` when it has none."""
    if not isinstance(policy, dict):
        raise NotAPolicy("the policy is not a JSON object")
    st = policy.get("Statement")
    st = [st] if isinstance(st, dict) else st
    if not isinstance(st, list) or not all(isinstance(s, dict) for s in st):
        raise NotAPolicy("the policy has no list of statements")
    return st


def _effect(s: dict[str, Any]) -> str:
    effect = s.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise NotAPolicy("a statement's Effect is neither Allow nor Deny")
    return effect.lower()


def _to_anyone(s: dict[str, Any]) -> bool:
    """[S3-PUBLIC-PRINCIPAL]: whether an allowing statement grants to anyone."""
    if "NotPrincipal" in s:
        return True
    if "Principal" not in s:
        raise NotAPolicy("an allowing statement names no Principal")
    return _wild_principal(s["Principal"])


def _wild_principal(principal: Any) -> bool:
    if isinstance(principal, str):
        return any(w in principal for w in _WILDCARDS)
    if isinstance(principal, dict) and principal:
        for values in principal.values():
            for v in values if isinstance(values, list) else [values]:
                if not isinstance(v, str | int):
                    raise NotAPolicy("a Principal value is not a string")
                if any(w in str(v) for w in _WILDCARDS):
                    return True
        return False
    raise NotAPolicy("a Principal is neither '*' nor a map of principals")


def _public_reason(s: dict[str, Any], service: str) -> str | None:
    """Why a statement granting to anyone is public, or None when a condition confines it."""
    cond = s.get("Condition")
    if cond is None or cond == {}:
        return _why(s, "[S3-PUBLIC-PRINCIPAL] granted to anyone with no condition")
    if not isinstance(cond, dict):
        raise NotAPolicy("a Condition is not a map of operators")
    keys = CONFINING_KEYS | SERVICE_KEYS.get(service, frozenset())
    skipped: list[str] = []
    for op, body in cond.items():
        if not isinstance(op, str) or not isinstance(body, dict):
            raise NotAPolicy("a condition operator does not map keys to values")
        for key, values in body.items():
            k = str(key).lower()
            if k not in keys:
                continue
            why = _not_confining(op, k, values)
            if why is None:
                return None
            skipped.append(why)
    detail = "; ".join(skipped) or ("[S3-PUBLIC-FIXED] no condition on a key that confines "
                                    "the caller (source network, account, organisation, ARN)")
    return _why(s, detail)


def _not_confining(op: str, key: str, values: Any) -> str | None:
    """None when ``op`` on ``key`` holds the request to fixed ``values``; else the rule."""
    lowered = op.lower()
    prefix, _, base = lowered.rpartition(":")
    if prefix == "forallvalues":
        return f"[IAM-IFEXISTS] {op} on {key}: an empty set of values satisfies it"
    if prefix not in ("", "foranyvalue"):
        raise NotAPolicy(f"unknown set operator in {op}")
    if base.endswith("ifexists"):
        return f"[IAM-IFEXISTS] {op} on {key}: a request without the key satisfies it"
    if base == "null":
        return f"[IAM-IFEXISTS] Null on {key} only tests that the key is present"
    listed = values if isinstance(values, list) else [values]
    if not listed:
        return f"[S3-PUBLIC-FIXED] {op} on {key} lists no value"
    if any(isinstance(v, dict | list) or v is None for v in listed):
        raise NotAPolicy(f"a value of {op} on {key} is not a string")
    texts = [str(v).lower() if isinstance(v, bool) else str(v) for v in listed]
    if key == "aws:sourceip":
        if base != "ipaddress":
            return (f"[IAM-NEGATED] {op} on aws:SourceIp admits every address but the listed"
                    if "not" in base else
                    f"[S3-PUBLIC-CIDR] {op} on aws:SourceIp does not compare addresses")
        wide = [t for t in texts if not _narrow_cidr(t)]
        return (f"[S3-PUBLIC-CIDR] aws:SourceIp {', '.join(wide)} is not a fixed network range"
                if wide else None)
    if base not in _MATCHING:
        return (f"[IAM-NEGATED] {op} on {key} admits every value but the listed"
                if "not" in base else f"[S3-PUBLIC-FIXED] {op} does not hold {key} to values")
    loose = [t for t in texts if not _fixed(key, t)]
    if loose:
        return (f"[S3-PUBLIC-FIXED] {key} {', '.join(loose)} holds a wildcard or a policy "
                "variable")
    return None


def _fixed(key: str, value: str) -> bool:
    if not value:
        return False
    if key == "aws:userid":
        # [S3-PUBLIC-USERID] a role's unique id followed by ":*" names that role's sessions.
        head, sep, tail = value.partition(":")
        if sep and tail == "*" and head.isalnum() and head.isupper():
            return True
    return not any(w in value for w in _WILDCARDS)


def _narrow_cidr(value: str) -> bool:
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return net.prefixlen >= (8 if net.version == 4 else 32)


def _why(s: dict[str, Any], detail: str) -> str:
    sid = s.get("Sid")
    return f"statement {sid}: {detail}" if isinstance(sid, str) and sid else detail


# -- helpers kept for the callers' shape ------------------------------------------------------

def wildcard_statements(policy: Any) -> list[dict[str, Any]]:
    """Allow statements that grant to anyone (whatever their conditions)."""
    try:
        return [s for s in statements(policy) if _effect(s) == "allow" and _to_anyone(s)]
    except NotAPolicy:
        return []


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


def acl_public(acl: Any) -> bool:
    return any((g.get("Grantee") or {}).get("URI") in ALL_USERS
               for g in (acl or {}).get("Grants") or [])
