"""Which stores each KMS key protects, and who outside the institution may decrypt with it:
the ``ctx`` of a ``key`` asset, resolved in Python so that DS-KMS-001 needs no join.

* ``ctx.protects``: every asset whose ``encryption.at_rest.key_id`` names the key — by the key
  asset's id, its ARN (``attributes.arn`` of an IaC key), its key id, an alias (``alias/x``)
  or an alias ARN. A bare key id or alias names a key of the store's own account and region,
  so it is matched there only (either side unknown, as in a plan: any); a reference that fits
  several keys names none of them (never a guess). Each entry carries the store's level,
  protection level and environment (its ``ctx`` facts).
* ``ctx.decrypt_outside``: the principals of ``kms.decrypters`` (key policy and grants,
  scanners/aws/keydoc.py) that are anyone (``*``), a principal whose account cannot be told
  (fail-closed: outside, a finding — e.g. keydoc's ``[KMS-UNPLACED]`` wildcard narrowed only
  by a network or user id), an account that is not the institution's, or an organisation
  (``[KMS-ORG]``) that is not the institution's; ``null`` when the policy or the grants could
  not be read, or when a principal could not be placed inside or outside and none is outside
  (not assessed).
* ``ctx.decrypt_unknown``: why a principal could not be placed (one sentence per cause, no
  identifiers: the not-assessed reason); ``[]`` when every one could.

**The institution's accounts** ([INST-ACCOUNTS]), never widened by an asset the inventory
merely holds (a vendor's shared snapshot, an ARN a plan names, a peering's remote side):

* declared: the ``institution_accounts`` setting, the ``accounts`` map, ``kms_keys`` accounts;
* read by a live sweep: the account of every ``aws`` source (a scope the sweep read: the
  caller's account, ``--account``, an accounts file or the Organization's ListAccounts) and
  of every gap of a failed AWS call (``service`` set: an account it was asked to read);
* deployed into by an IaC input: the account of every asset a Terraform or Pulumi reader
  wrote (``source.type`` ``terraform`` or ``pulumi``). Those readers map only the resources the
  plan or stack manages (data sources and ``Resource.get`` reads are no assets) and give each
  the account of the provider configuration it is deployed through (``allowed_account_ids``,
  ``assume_role``; Pulumi's ``allowedAccountIds``, or a deployed resource's own ARN): an
  account the input holds credentials to create resources in.

The ``account`` of any other asset (a hand-written record, ``source.type`` ``inventory``)
counts for nothing. When none of these gives an account, the institution cannot be told: a
principal naming an account is unplaced (not assessed, "set institution_accounts"), never
inside or outside.

**The institution's organisations** ([INST-ORGS]): the ``institution_organizations`` setting
only (the live sweep reads Organizations ListAccounts, never DescribeOrganization, so it
knows no organisation id). A ``[KMS-ORG]`` principal of a listed organisation is inside; of
any other organisation, outside when the setting lists at least one; unplaced when it lists
none ("set institution_organizations").

Only key assets get these fields (like ``reachable_from`` on a domain): the policy input of a
100k-asset estate does not grow by empty lists per asset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from dsscan.config import Config
from dsscan.errors import InputError

Asset = dict[str, Any]
_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_IAC_SOURCES = frozenset({"terraform", "pulumi"})

UNKNOWN_ACCOUNTS = ("it lets named accounts decrypt, and which accounts are the institution's "
                    "cannot be told (no institution_accounts, accounts map, kms_keys, live "
                    "sweep or account an IaC input deploys into): set institution_accounts")
UNKNOWN_ORGS = ("it lets the accounts of an AWS Organization decrypt (aws:PrincipalOrgID or "
                "OrgPaths), and which organizations are the institution's is not known: set "
                "institution_organizations")


def parse_institution_accounts(value: Any, origin: str) -> list[str]:
    """The setting: a list of quoted 12-digit account ids; one line naming the entry when not."""
    if not isinstance(value, list):
        raise InputError(f"{origin}: setting 'institution_accounts' must be a list of account ids")
    out: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, int) and not isinstance(item, bool):
            raise InputError(f"{origin}: institution_accounts[{i}]: quote the account id "
                             f"{item!r} (unquoted digits are read as a number)")
        if not isinstance(item, str) or not _ACCOUNT.match(item):
            raise InputError(f"{origin}: institution_accounts[{i}] must be a 12-digit account "
                             "id in quotes")
        out.append(item)
    return out


def parse_institution_organizations(value: Any, origin: str) -> list[str]:
    """The setting: a list of AWS Organizations ids (``o-`` and 10 to 32 lowercase letters or
    digits); one line naming the entry (never its value) when not."""
    if not isinstance(value, list):
        raise InputError(f"{origin}: setting 'institution_organizations' must be a list of "
                         "organization ids")
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _ORG.match(item):
            raise InputError(f"{origin}: institution_organizations[{i}] must be an AWS "
                             "Organizations id: o- and 10 to 32 lowercase letters or digits")
        out.append(item)
    return out


def institution(assets: list[Asset], config: Config,
                sources: Iterable[dict[str, Any]] = (),
                gaps: Iterable[dict[str, Any]] = ()) -> frozenset[str]:
    """The accounts that are the institution's ([INST-ACCOUNTS] in the module docstring)."""
    out: set[Any] = set(config.institution_accounts) | set(config.accounts)
    out.update(getattr(d, "account", None) for d in config.kms_keys)
    out.update(s.get("account") for s in sources
               if isinstance(s, dict) and s.get("type") == "aws")
    out.update(g.get("account") for g in gaps
               if isinstance(g, dict) and isinstance(g.get("service"), str))
    out.update(a.get("account") for a in assets
               if isinstance(a.get("source"), dict) and a["source"].get("type") in _IAC_SOURCES)
    return frozenset(x for x in out if isinstance(x, str) and x)


def _local(ref: str) -> str | None:
    """``key/ID`` or ``alias/x`` of a KMS ARN; None for anything else."""
    parts = ref.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "kms":
        return parts[5]
    return None


class _KeyIndex:
    """Every way a store can name each key asset."""

    def __init__(self, keys: list[Asset]) -> None:
        self.exact: dict[str, set[str]] = {}
        # key/ID or alias/x -> [(account, region, key asset id)]
        self.local: dict[str, list[tuple[str | None, str | None, str]]] = {}
        for k in keys:
            kid = k["id"]
            attrs = k.get("attributes") if isinstance(k.get("attributes"), dict) else {}
            arns = [x for x in (kid, attrs.get("arn")) if isinstance(x, str)]
            for x in arns:
                self.exact.setdefault(x, set()).add(kid)
            where = (k.get("account"), k.get("region"))
            locals_: set[str] = set()
            for x in arns:
                loc = _local(x)
                if loc is not None:
                    locals_.add(loc)
                    parts = x.split(":", 5)
                    where = (where[0] or parts[4] or None, where[1] or parts[3] or None)
            for al in attrs.get("aliases") or []:
                if isinstance(al, str) and al.startswith("alias/"):
                    locals_.add(al)
            for loc in locals_:
                self.local.setdefault(loc, []).append((where[0], where[1], kid))

    def find(self, ref: str, account: str | None, region: str | None) -> str | None:
        hit = self.exact.get(ref)
        if hit:
            return next(iter(hit)) if len(hit) == 1 else None
        loc = _local(ref)
        if loc is not None:  # an ARN names its own account and region
            parts = ref.split(":", 5)
            account, region = parts[4] or account, parts[3] or region
        elif ref.startswith("alias/"):
            loc = ref
        else:
            loc = f"key/{ref}"
        found = {kid for acct, reg, kid in self.local.get(loc, ())
                 if _same(acct, account) and _same(reg, region)}
        return next(iter(found)) if len(found) == 1 else None


def _same(x: str | None, y: str | None) -> bool:
    return x is None or y is None or x == y


def attach_key_context(assets: list[Asset], config: Config,
                       sources: Iterable[dict[str, Any]] = (),
                       gaps: Iterable[dict[str, Any]] = ()) -> None:
    """Add ``protects``, ``decrypt_outside`` and ``decrypt_unknown`` to the ``ctx`` of every
    key asset (after every asset has its ``ctx``). ``sources``/``gaps``: the inventory's."""
    keys = [a for a in assets if a.get("kind") == "key"]
    if not keys:
        return
    index = _KeyIndex(keys)
    protects: dict[str, list[dict[str, Any]]] = {k["id"]: [] for k in keys}
    for a in assets:
        enc = a.get("encryption")
        state = enc.get("at_rest") if isinstance(enc, dict) else None
        ref = state.get("key_id") if isinstance(state, dict) else None
        if not isinstance(ref, str) or not ref or a.get("kind") == "key":
            continue
        kid = index.find(ref, a.get("account"), a.get("region"))
        if kid is None:
            continue
        c = a.get("ctx") or {}
        protects[kid].append({
            "id": a["id"], "name": a.get("name") or a["id"], "kind": a.get("kind"),
            "level": c.get("level", "unclassified"),
            "protect_level": c.get("protect_level", config.unclassified_protection_level),
            "environment": c.get("environment", "unknown"), "test": bool(c.get("test")),
            "production": bool(c.get("production")),
        })
    ours = institution(assets, config, sources, gaps)
    orgs = frozenset(config.institution_organizations)
    for k in keys:
        ctx = k.setdefault("ctx", {})
        ctx["protects"] = protects[k["id"]]
        ctx["decrypt_outside"], ctx["decrypt_unknown"] = _outside(k, ours, orgs)


def _outside(key: Asset, ours: frozenset[str], orgs: frozenset[str]
             ) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """(the principals outside the institution, why some could not be placed); the list is
    ``None`` when the facts could not be read, or when none is outside and some are unplaced."""
    facts = key.get("kms")
    return place(facts.get("decrypters") if isinstance(facts, dict) else None, ours, orgs)


def place(who: Any, ours: frozenset[str], orgs: frozenset[str],
          unknown_accounts: str = UNKNOWN_ACCOUNTS, unknown_orgs: str = UNKNOWN_ORGS
          ) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """Principal entries (keydoc's shape) placed inside or outside the institution: (those
    outside, why some could not be placed). Shared with role trust (dsscan/iamrel.py)."""
    if not isinstance(who, list):
        return None, []
    out: list[dict[str, Any]] = []
    unknown: set[str] = set()
    for p in who:
        if not isinstance(p, dict):
            return None, []
        acct, org = p.get("account"), p.get("org")
        e = {"principal": str(p.get("principal")), "account": acct if isinstance(acct, str)
             else None, "via": str(p.get("via") or "")}
        if p.get("anyone") is True:
            out.append(e)
        elif org is not None:  # [KMS-ORG] every account of an organisation
            if isinstance(org, str) and org in orgs:
                continue
            if not orgs:
                unknown.add(unknown_orgs)
                continue
            out.append({**e, "org": str(org)})
        elif not isinstance(acct, str):  # an account that cannot be told: outside
            out.append(e)
        elif acct in ours:
            continue
        elif not ours:
            unknown.add(unknown_accounts)
        else:
            out.append(e)
    if unknown and not out:
        return None, sorted(unknown)
    return out, sorted(unknown)
