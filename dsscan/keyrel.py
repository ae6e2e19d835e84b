"""Which stores each KMS key protects, and who outside the institution may decrypt with it:
the ``ctx`` of a ``key`` asset, resolved in Python so that DS-KMS-001 needs no join.

* ``ctx.protects``: every asset whose ``encryption.at_rest.key_id`` names the key — by the key
  asset's id, its ARN (``attributes.arn`` of an IaC key), its key id, an alias (``alias/x``)
  or an alias ARN. A bare key id or alias names a key of the store's own account and region,
  so it is matched there only (either side unknown, as in a plan: any); a reference that fits
  several keys names none of them (never a guess). Each entry carries the store's level,
  protection level and environment (its ``ctx`` facts).
* ``ctx.decrypt_outside``: the principals of ``kms.decrypters`` (key policy and grants,
  scanners/aws/keydoc.py) that are anyone (``*``) or whose account is not the institution's,
  or a principal whose account cannot be told; ``null`` when the policy or the grants could
  not be read (not assessed). The institution's accounts are the setting
  ``institution_accounts``, the accounts of the ``accounts`` map and of ``kms_keys``, the
  accounts of the inventory's assets and the accounts a live sweep read.

Only key assets get these two fields (like ``reachable_from`` on a domain): the policy input
of a 100k-asset estate does not grow by two empty lists per asset.
"""

from __future__ import annotations

import re
from typing import Any

from dsscan.config import Config
from dsscan.errors import InputError

Asset = dict[str, Any]
_ACCOUNT = re.compile(r"^\d{12}$")


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


def institution(assets: list[Asset], config: Config,
                swept: frozenset[tuple[str, str]] = frozenset()) -> frozenset[str]:
    """The accounts that are the institution's (see the module docstring)."""
    out = set(config.institution_accounts) | set(config.accounts)
    out.update(getattr(d, "account", None) for d in config.kms_keys)
    out.update(a.get("account") for a in assets)
    out.update(acct for acct, _ in swept)
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
                       swept: frozenset[tuple[str, str]] = frozenset()) -> None:
    """Add ``protects`` and ``decrypt_outside`` to the ``ctx`` of every key asset (after
    every asset has its ``ctx``)."""
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
    ours = institution(assets, config, swept)
    for k in keys:
        ctx = k.setdefault("ctx", {})
        ctx["protects"] = protects[k["id"]]
        ctx["decrypt_outside"] = _outside(k, ours)


def _outside(key: Asset, ours: frozenset[str]) -> list[dict[str, Any]] | None:
    facts = key.get("kms")
    who = facts.get("decrypters") if isinstance(facts, dict) else None
    if not isinstance(who, list):
        return None
    out = []
    for p in who:
        if not isinstance(p, dict):
            return None
        acct = p.get("account")
        if p.get("anyone") is True or not isinstance(acct, str) or acct not in ours:
            out.append({"principal": str(p.get("principal")), "account": acct,
                        "via": str(p.get("via") or "")})
    return out
