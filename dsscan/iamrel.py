"""Which stores an IAM principal's broad data grants reach, and who outside the institution may
assume a role: the ``ctx`` of a ``principal`` asset, resolved in Python so that DS-IAM-001
needs no join over the estate.

* ``ctx.data_reach``: one entry per service of ``iam.data_access`` (scanners/aws/iamdoc.py:
  data-reading actions allowed on every store of the service): ``{"service", "store_class",
  "actions", "level", "rank", "stores"}`` — the class of store the grant reaches
  (``STORE_CLASSES``: S3 buckets are ``object_store``, DynamoDB tables ``table``, RDS/Aurora
  databases ``database`` (``rds-data``), Redshift ``warehouse`` (``redshift-data``); for
  ``kms:Decrypt`` every store encrypted at rest with a customer-managed key), ``level``/
  ``rank`` the highest protection level among those stores **in the principal's account**
  (``unclassified``/0 when there are none), ``stores`` how many of them owe important or core
  protection. A principal or store whose account is not known matches any account (a plan).
  ``[]`` when the principal reads no data broadly; ``null`` when ``data_access`` is.
* ``ctx.account_rank``: the highest protection rank of any store in the principal's account
  (0: none) — a principal whose policies could not be read is not assessed only where this is
  important (3) or more.
* ``ctx.assume_outside`` / ``ctx.assume_unknown``: the principals of a role's trust policy
  (``iam.trusted``) placed by dsscan/keyrel.py's [INST-ACCOUNTS] and [INST-ORGS] (``place``):
  anyone, an account that cannot be told or is not the institution's, an organisation not
  listed. ``[]`` for users and groups (nobody assumes them); ``null`` when the trust policy
  could not be read, or when a principal could not be placed and none is outside.

Only principal assets get these fields (like ``protects`` on a key).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dsscan.config import Config
from dsscan.keyrel import institution, place
from dsscan.levels import RANK

Asset = dict[str, Any]
STORE_KINDS = ("object_store", "database", "table", "file_system", "cache", "warehouse", "volume")
# service of an IAM action -> (store kinds its data actions read, how a finding names them)
STORE_CLASSES: dict[str, tuple[tuple[str, ...], str]] = {
    "s3": (("object_store",), "S3 buckets"),
    "dynamodb": (("table",), "DynamoDB tables"),
    "rds-data": (("database",), "RDS/Aurora databases (Data API)"),
    "redshift-data": (("warehouse",), "Redshift warehouses (Data API)"),
    "kms": (STORE_KINDS, "stores encrypted with a customer-managed KMS key"),
}
_NAMES = {r: n for n, r in RANK.items()}
UNKNOWN_ACCOUNTS = ("its trust policy lets named accounts assume it, and which accounts are "
                    "the institution's cannot be told: set institution_accounts")
UNKNOWN_ORGS = ("its trust policy lets the accounts of an AWS Organization assume it, and which "
                "organizations are the institution's is not known: set "
                "institution_organizations")


def _cmk(a: Asset) -> bool:
    enc = a.get("encryption")
    rest = enc.get("at_rest") if isinstance(enc, dict) else None
    return isinstance(rest, dict) and rest.get("key_type") == "customer_managed"


class _Held:
    """Per account (None: not known) and service: (highest protect rank, stores at 3+)."""

    def __init__(self, assets: list[Asset]) -> None:
        self.by: dict[str | None, dict[str, tuple[int, int]]] = {}
        self.top: dict[str | None, int] = {}
        for a in assets:
            kind = a.get("kind")
            if kind not in STORE_KINDS:
                continue
            c = a.get("ctx") or {}
            r = int(c.get("protect_rank") or 0)
            acct = a.get("account") if isinstance(a.get("account"), str) else None
            self.top[acct] = max(self.top.get(acct, 0), r)
            held = self.by.setdefault(acct, {})
            for service, (kinds, _name) in STORE_CLASSES.items():
                if kind in kinds and (service != "kms" or _cmk(a)):
                    top, n = held.get(service, (0, 0))
                    held[service] = (max(top, r), n + (r >= 3))

    def _accounts(self, acct: str | None) -> Iterable[str | None]:
        return self.by if acct is None else (acct, None)

    def rank(self, acct: str | None) -> int:
        return max((self.top.get(x, 0) for x in self._accounts(acct)), default=0)

    def service(self, acct: str | None, service: str) -> tuple[int, int]:
        top, n = 0, 0
        for x in self._accounts(acct):
            t, c = self.by.get(x, {}).get(service, (0, 0))
            top, n = max(top, t), n + c
        return top, n


def attach_iam_context(assets: list[Asset], config: Config,
                       sources: Iterable[dict[str, Any]] = (),
                       gaps: Iterable[dict[str, Any]] = ()) -> None:
    """Add ``data_reach``, ``account_rank``, ``assume_outside`` and ``assume_unknown`` to the
    ``ctx`` of every principal asset (after every asset has its ``ctx``)."""
    principals = [a for a in assets if a.get("kind") == "principal"]
    if not principals:
        return
    held = _Held(assets)
    ours = institution(assets, config, sources, gaps)
    orgs = frozenset(config.institution_organizations)
    for p in principals:
        ctx = p.setdefault("ctx", {})
        acct = p.get("account") if isinstance(p.get("account"), str) else None
        facts = p.get("iam") if isinstance(p.get("iam"), dict) else {}
        ctx["account_rank"] = held.rank(acct)
        ctx["data_reach"] = _reach(facts.get("data_access"), held, acct)
        if facts.get("principal_type") == "role":
            ctx["assume_outside"], ctx["assume_unknown"] = place(
                facts.get("trusted"), ours, orgs, UNKNOWN_ACCOUNTS, UNKNOWN_ORGS)
        else:
            ctx["assume_outside"], ctx["assume_unknown"] = [], []


def _reach(access: Any, held: _Held, acct: str | None) -> list[dict[str, Any]] | None:
    if not isinstance(access, list):
        return None
    actions: dict[str, list[str]] = {}
    for g in access:
        action = g.get("action") if isinstance(g, dict) else None
        if not isinstance(action, str):
            return None
        service = action.split(":", 1)[0].lower()
        if service in STORE_CLASSES:
            actions.setdefault(service, []).append(action)
    out = []
    for service in STORE_CLASSES:
        if service not in actions:
            continue
        top, n = held.service(acct, service)
        out.append({"service": service, "store_class": STORE_CLASSES[service][1],
                    "actions": sorted(set(actions[service])), "level": _NAMES[top],
                    "rank": top, "stores": n})
    return out
