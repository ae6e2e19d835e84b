"""Who may decrypt with a KMS key: its key policy and grants read the same way for live AWS,
Terraform and Pulumi (no AWS calls here). DS-KMS-001 (Art. 37) judges the result.

The key policy is parsed by :mod:`dsscan.scanners.aws.policydoc` (its statement, principal and
condition rules); this module only asks which principals an ``Allow`` lets call
``kms:Decrypt``:

* ``[KMS-ACTION]`` a statement allows Decrypt when one of its ``Action`` patterns matches
  ``kms:Decrypt`` (``kms:*``, ``*``, ``kms:De*``; case-insensitive, ``*``/``?`` as IAM reads
  them), or when it has ``NotAction`` and none of those patterns matches it.
* ``[KMS-ANYONE]`` a principal ``*`` (or a wildcard in a principal, or ``NotPrincipal``) is
  *anyone* unless a condition confines it the way policydoc's ``[S3-PUBLIC-FIXED]`` rules
  say (fixed values of ``aws:PrincipalAccount``, ``kms:CallerAccount``, ``aws:PrincipalOrgID``,
  ``aws:SourceVpce``, ...; keys such as ``kms:ViaService``, ``aws:PrincipalTag/*``,
  ``aws:PrincipalType``, ``aws:username`` confine nothing: alone, still anyone).
* ``[KMS-CONFINED]`` a statement confined by account keys (``aws:PrincipalAccount``,
  ``kms:CallerAccount``, ``aws:SourceAccount``, ``aws:SourceOwner``) or by ARNs
  (``aws:PrincipalArn``, ``aws:SourceArn``) lets exactly those accounts decrypt: each is a
  principal of its own; a network key beside them only narrows further (``kms:ViaService``
  with ``kms:CallerAccount``, AWS's managed-key pattern, is that one account). A condition
  confines only as policydoc's rules say: not negated, not ``…IfExists`` (a request without
  the key passes), not ``ForAllValues:``, and every value a fixed account (an ARN of no
  account or of a wildcard account leaves that condition confining to none).
* ``[KMS-ORG]`` confined (and by no account key) to organisations — ``aws:PrincipalOrgID``
  or ``aws:SourceOrgID`` (an ``o-...`` id), ``aws:PrincipalOrgPaths`` or
  ``aws:SourceOrgPaths`` (the path's first segment is the organisation) — it lets every
  account of those organisations decrypt: one principal per organisation, ``{"principal":
  "* (organization o-...)", "account": null, "org": "o-...", "anyone": false}``. Whether the
  organisation is the institution's is decided in dsscan/keyrel.py (an organisation that is
  not may be anyone's). ``aws:ResourceOrgID`` names the key's own organisation, not the
  caller's: it confines nothing (policydoc), and such a statement is *anyone*.
* ``[KMS-UNPLACED]`` confined otherwise — only by a network (``aws:SourceIp``,
  ``aws:SourceVpce``, ``aws:SourceVpc``), a user id, an ARN of no account — it is narrowed,
  yet any account's caller that meets the condition may decrypt: one principal ``{"principal":
  "callers of any account meeting aws:SourceVpce", "account": null, "anyone": false}``, whose
  account cannot be told, which dsscan/keyrel.py counts outside the institution (a finding,
  never "no one" and never not assessed).
* ``[KMS-NAMED]`` a named AWS principal (``111122223333``, ``arn:aws:iam::111122223333:root``,
  a role or user ARN) or a ``Federated`` identity provider ARN lets its account decrypt.
  ``Service`` principals are AWS services acting for the key's own users: not counted. A
  ``CanonicalUser`` (S3) names an account that cannot be told: a principal of no account
  (outside, never "no one"). Principal keys are read case-insensitively; another type, or a
  ``Principal`` string other than a wildcard, is [FAIL-CLOSED].
* ``[KMS-OIDC]`` a ``Federated`` OpenID Connect provider of an issuer anyone can get tokens
  from (``SHARED_ISSUERS``: GitHub Actions, GitLab.com, HCP Terraform) is *anyone* — the
  provider is the account's, the identities are not — unless a condition holds its ``sub``
  claim to owners (``repo:OWNER/...``; ``repo:*`` or no condition: anyone's workflow).
* ``[KMS-PATHS]`` "decrypt" means any action that gives the data in clear: ``kms:Decrypt``,
  ``kms:ReEncryptFrom`` (re-encrypt under one's own key, then decrypt), ``kms:CreateGrant``
  (grant oneself Decrypt) and ``kms:PutKeyPolicy`` (write oneself into the policy).
* ``[KMS-GRANT]`` a grant whose operations include ``Decrypt``, ``ReEncryptFrom`` or
  ``CreateGrant`` lets its grantee decrypt (an account's ARN or id; a service principal is
  not counted, as above).
* ``[FAIL-CLOSED]`` a document that is not a policy raises :class:`NotAPolicy`: the caller
  records ``null`` (not assessed), never "no one". An ``Action`` or ``NotAction`` value
  that is not a string is such a document.

Each principal is ``{"principal", "account", "via", "anyone"}`` (and ``org`` for
``[KMS-ORG]``); which accounts and organisations are the institution's is decided later, in
Python, with the run's settings (dsscan/keyrel.py).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import Any

from dsscan.scanners.aws.policydoc import (
    CONFINING_KEYS,
    SERVICE_KEYS,
    NotAPolicy,
    _effect,
    _not_confining,
    _public_reason,
    _wild_principal,
    statements,
)

__all__ = ["NotAPolicy", "account_of", "covers_action", "grant_decrypters", "policy_decrypters",
           "policy_principals"]

_ACCOUNT = re.compile(r"^\d{12}$")
# [KMS-NAMED] the principal types that name who is allowed (``Service`` names no one).
_PRINCIPAL_KINDS = frozenset({"aws", "federated", "canonicaluser"})
_ACCOUNT_KEYS = frozenset({"aws:principalaccount", "kms:calleraccount", "aws:sourceaccount",
                           "aws:sourceowner"})
_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
# [KMS-ORG] keys naming the caller's organisation: by id, or by a path that starts with it.
_ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid"})
_ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})
# Every key policydoc counts as confining a wildcard on a key ([S3-PUBLIC-FIXED]).
_NARROWING = CONFINING_KEYS | SERVICE_KEYS["kms"]


def account_of(principal: str) -> str | None:
    """The account of ``111122223333`` or of an ARN naming one (``arn:aws:iam::ID:role/x``)."""
    if _ACCOUNT.match(principal):
        return principal
    parts = principal.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and _ACCOUNT.match(parts[4]):
        return parts[4]
    return None


def _entry(principal: str, account: str | None, via: str, anyone: bool = False,
           sid: Any = None, org: str | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"principal": principal, "account": account, "via": via,
                         "anyone": anyone}
    if org is not None:
        e["org"] = org
    if isinstance(sid, str) and sid:
        e["via"] = f"{via} statement {sid}"
    return e


def _values(x: Any) -> list[Any]:
    return x if isinstance(x, list) else [x]


# [KMS-PATHS] The actions that give the data in clear to whoever holds them: Decrypt itself;
# ReEncryptFrom (re-encrypt the ciphertext under a key of one's own, then decrypt that);
# CreateGrant (grant oneself Decrypt); PutKeyPolicy (write oneself into the policy).
DECRYPT_PATHS = ("kms:decrypt", "kms:reencryptfrom", "kms:creategrant", "kms:putkeypolicy")
# A grant's operations that do the same (a grant cannot carry PutKeyPolicy).
GRANT_DECRYPT_PATHS = frozenset({"Decrypt", "ReEncryptFrom", "CreateGrant"})


def _matches(action: str, patterns: Any) -> bool:
    listed = _values(patterns)
    if not all(isinstance(p, str) for p in listed):
        # [FAIL-CLOSED] an action that is not text (a nested list, a number) is no pattern
        # IAM would accept: never read as "matches nothing"
        raise NotAPolicy("an Action is not a string")
    return any(fnmatch.fnmatchcase(action, p.lower()) for p in listed)


def covers_action(s: dict[str, Any], action: str) -> bool:
    """[KMS-ACTION] for any action (``service:Name``, lowercased): the statement's ``Action``
    matches it, or it has ``NotAction`` and none of those patterns matches it. Shared with
    identity policies (scanners/aws/iamdoc.py)."""
    if "Action" in s:
        return _matches(action, s["Action"])
    if "NotAction" in s:
        return not _matches(action, s["NotAction"])
    raise NotAPolicy("a statement has neither Action nor NotAction")


def _allows(s: dict[str, Any], actions: tuple[str, ...] = DECRYPT_PATHS) -> bool:
    """[KMS-ACTION] with [KMS-PATHS]: the statement allows one of ``actions`` (lowercased;
    the decrypt paths by default)."""
    return any(covers_action(s, a) for a in actions)


def _confining(s: dict[str, Any], keys: frozenset[str]
               ) -> Iterator[tuple[str, str, list[str]]]:
    """(operator, lowercased key, values) of each condition on ``keys`` that holds the request
    to fixed values (policydoc's [S3-PUBLIC-FIXED]: not negated, not ``…IfExists``, not
    ``ForAllValues:``, no wildcard or policy variable)."""
    for op, body in (s.get("Condition") or {}).items():
        if not isinstance(body, dict):
            continue
        for key, values in body.items():
            k = str(key).lower()
            if k in keys and _not_confining(str(op), k, values) is None:
                # _not_confining has refused dicts, lists and nulls: numbers read as text
                yield str(op).lower(), k, [str(v) for v in _values(values)]


# Service keys naming the caller's way in by account or ARN: an S3 bucket policy delegating
# to the access points of an account (AWS's recommended pattern) lets exactly that account's
# access points in (their own policies then decide).
_SERVICE_ACCOUNT_KEYS = {"s3": frozenset({"s3:dataaccesspointaccount"})}
_SERVICE_ARN_KEYS = {"s3": frozenset({"s3:dataaccesspointarn"})}


def _condition_accounts(s: dict[str, Any], service: str = "kms") -> list[str]:
    """[KMS-CONFINED] Accounts a confined wildcard statement names by its account or ARN
    conditions. A condition confines to accounts only when every value names one: an ARN
    without an account (``arn:aws:s3:::bucket``) leaves that condition to any account."""
    account_keys = _ACCOUNT_KEYS | _SERVICE_ACCOUNT_KEYS.get(service, frozenset())
    arn_keys = _ARN_KEYS | _SERVICE_ARN_KEYS.get(service, frozenset())
    out: list[str] = []
    for _op, k, values in _confining(s, account_keys | arn_keys):
        accts = [v if k in account_keys and _ACCOUNT.match(v) else
                 account_of(v) if k in arn_keys else None
                 for v in values]
        if all(accts):
            out.extend(a for a in accts if a)
    return sorted(set(out))


def _condition_orgs(s: dict[str, Any]) -> list[str]:
    """[KMS-ORG] Organisations a confined wildcard statement names: each value (a path's first
    segment), as written (``StringEqualsIgnoreCase``: lowercased)."""
    out: list[str] = []
    for op, k, values in _confining(s, _ORG_KEYS | _ORG_PATH_KEYS):
        for v in values:
            org = v if k in _ORG_KEYS else v.split("/", 1)[0]
            if org and op.rpartition(":")[2] == "stringequalsignorecase":
                org = org.lower()
            if org:
                out.append(org)
    return sorted(set(out))


def _narrowing_keys(s: dict[str, Any], service: str = "kms") -> list[str]:
    """[KMS-UNPLACED] The condition keys that narrow a wildcard statement without naming an
    account or organisation (network, user id, an ARN of no account), as AWS spells them."""
    names = {str(key).lower(): str(key) for body in (s.get("Condition") or {}).values()
             if isinstance(body, dict) for key in body}
    narrowing = _NARROWING if service == "kms" else \
        CONFINING_KEYS | SERVICE_KEYS.get(service, frozenset())
    found = {k for _op, k, _v in _confining(s, narrowing)}
    return sorted(names[k] for k in found)


def policy_decrypters(policy: Any) -> list[dict[str, Any]]:
    """Principals a key policy (a parsed document) lets decrypt; :class:`NotAPolicy` when it
    is not one. ``None`` (no document) is AWS's default policy: the key's own account."""
    return policy_principals(policy, DECRYPT_PATHS, "kms", "key policy")


def policy_principals(policy: Any, actions: tuple[str, ...], service: str,
                      via: str) -> list[dict[str, Any]]:
    """Principals a resource policy (a parsed document) lets call one of ``actions``
    (lowercased ``service:action`` names), by the rules of this module's docstring read for
    that service's condition keys; each entry's ``via`` names the document (``via``). The
    same reading for a key policy's decrypters and a store's readers (scanners/aws/readers.py).
    ``None`` (no document): no one beyond the resource's own account."""
    if policy is None:
        return []
    out: list[dict[str, Any]] = []
    for s in statements(policy):
        if _effect(s) != "allow" or not _allows(s, actions):
            continue
        sid = s.get("Sid")
        if "NotPrincipal" in s:  # everyone but the listed
            out.append(_entry("*", None, via, True, sid))
            continue
        if "Principal" not in s:
            raise NotAPolicy("an allowing statement names no Principal")
        principal = s["Principal"]
        if _wild_principal(principal):
            if _public_reason(s, service) is not None:
                out.append(_entry("*", None, via, True, sid))
            elif accounts := _condition_accounts(s, service):  # those accounts, any org
                out.extend(_entry(f"* (account {a})", a, via, False, sid)
                           for a in accounts)
            elif orgs := _condition_orgs(s):
                out.extend(_entry(f"* (organization {o})", None, via, False, sid, o)
                           for o in orgs)
            else:  # [KMS-UNPLACED] narrowed, but any account's caller may meet it
                keys = ", ".join(_narrowing_keys(s, service)) or "a condition"
                out.append(_entry(f"callers of any account meeting {keys}", None,
                                  via, False, sid))
        if not isinstance(principal, dict):
            if not _wild_principal(principal):  # [FAIL-CLOSED] "*" or a map, nothing else
                raise NotAPolicy("a Principal is neither '*' nor a map of principals")
            continue
        if not any(_values(v) for v in principal.values()):  # [FAIL-CLOSED] names no one
            raise NotAPolicy("an allowing statement's Principal lists no principal")
        for kind, values in principal.items():
            k = str(kind).lower()
            if k == "service":
                continue  # [KMS-NAMED] AWS services acting for the resource's own users
            if k not in _PRINCIPAL_KINDS:  # [FAIL-CLOSED] never "no one" for an unknown kind
                raise NotAPolicy(f"a Principal of an unknown type ({kind})")
            for v in _values(values):
                v = str(v)
                if any(w in v for w in ("*", "?", "${")):
                    continue  # judged above as a wildcard
                if k == "federated" and (host := _open_issuer(v, s)):
                    # [KMS-OIDC] anyone's workflow on a shared issuer may assume
                    out.append(_entry(f"* (any identity of {host})", None, via, True, sid))
                    continue
                # [KMS-NAMED] a CanonicalUser (an S3 account's canonical id) names an account
                # that cannot be told from it
                acct = None if k == "canonicaluser" else account_of(v)
                out.append(_entry(v, acct, via, False, sid))
    return out


# [KMS-OIDC] OpenID Connect issuers that give tokens to anyone who signs up (GitHub Actions,
# GitLab.com, HCP Terraform): the provider is in the institution's account, the identities
# are anyone's. Their ``sub`` claim names the owner first (``repo:OWNER/REPO:...``,
# ``project_path:GROUP/PROJECT:...``, ``organization:ORG:...``).
SHARED_ISSUERS = frozenset({"token.actions.githubusercontent.com", "gitlab.com",
                            "app.terraform.io"})
# A sub pattern whose fixed part (before any wildcard) ends its owner: ``repo:bank/``,
# ``organization:bank:``; not ``repo:*``, ``repo:bank*`` (``repo:bankevil/...``) or ``*``.
_OWNED_SUB = re.compile(r"^[^:]+:[^:/]+[:/]")


def _open_issuer(provider: str, s: dict[str, Any]) -> str | None:
    """[KMS-OIDC] The host of a shared issuer's provider ARN (``arn:aws:iam::ID:oidc-provider/
    token.actions.githubusercontent.com``) when no condition holds the statement's ``sub``
    claim to owners (``StringEquals``/``StringLike``, not negated, not ``…IfExists``, not
    ``ForAllValues:``, each value's fixed part naming an owner); else None."""
    parts = provider.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5].startswith("oidc-provider/"):
        return None
    host = parts[5][len("oidc-provider/"):].lower().rstrip("/")
    if host not in SHARED_ISSUERS:
        return None
    for op, body in (s.get("Condition") or {}).items():
        if not isinstance(body, dict):
            continue
        prefix, _, base = str(op).lower().rpartition(":")
        if prefix not in ("", "foranyvalue") or base not in ("stringequals", "stringlike"):
            continue
        for key, values in body.items():
            if str(key).lower() != f"{host}:sub":
                continue
            listed = _values(values)
            fixed = [re.split(r"[*?]|\$\{", v, maxsplit=1)[0] if base == "stringlike" else v
                     for v in listed if isinstance(v, str)]
            if listed and len(fixed) == len(listed) and all(_OWNED_SUB.match(f)
                                                            for f in fixed):
                return None
    return host


def grant_decrypters(grants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """[KMS-GRANT] ``grants``: ``{"grantee", "operations"}`` each (ListGrants' GranteePrincipal
    and Operations; aws_kms_grant's grantee_principal and operations)."""
    out: list[dict[str, Any]] = []
    for g in grants:
        ops = g.get("operations")
        grantee = g.get("grantee")
        if not isinstance(grantee, str) or not isinstance(ops, list):
            raise NotAPolicy("a grant names no grantee or operations")
        if GRANT_DECRYPT_PATHS.isdisjoint(o for o in ops if isinstance(o, str)):
            continue
        if grantee.endswith(".amazonaws.com") or grantee.endswith(".amazonaws.com.cn"):
            continue  # a service principal
        out.append(_entry(grantee, account_of(grantee), "grant"))
    return out
