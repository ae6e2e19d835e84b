"""AWS RAM resource shares (DS-SHR-001/002): which of the estate's resources this account
shares, and with whom. No assets of its own: the readers are added to the shared stores'
``access.readers`` when the sweep links the estate (linking.link, :func:`link`).

* ``GetResourceShares`` (``resourceOwner=SELF``): the account's ACTIVE shares;
* ``GetResourceShareAssociations`` (``PRINCIPAL`` and ``RESOURCE``, per share): who each share
  reaches (ASSOCIATED or ASSOCIATING principals) and what it shares.

A principal is an account id (a reader of that account), an organisation's ARN (every account
of it: ``org``), an OU's ARN (the accounts of that OU: ``org`` of the OU's organisation), or an
IAM role or user ARN (its account). Only kinds RAM can share that hold data are touched:
databases (Aurora clusters) and backup vaults (logically air-gapped vaults). Where RAM could
not be read, those kinds' readers are unknown (``null``) and the scope is a gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dsscan.scanners.aws.base import Asset, Scope, pages
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap
from dsscan.scanners.aws.keydoc import account_of
from dsscan.scanners.aws.operations import Calls, Collector

INFO = Collector(
    service="ram", title="Resource Access Manager",
    kinds={},
    calls=(Calls("ram", ("GetResourceShares", "GetResourceShareAssociations")),),
)

# Assets a RAM share can expose (their data, not their network): backup vaults and Aurora
# clusters (an RDS instance cannot be shared: its readers stay unsaid, as in a plan).
def shareable(a: Asset) -> bool:
    return a.get("kind") == "backup_vault" or (
        a.get("kind") == "database" and ":cluster:" in str(a.get("id")))
_ORG = re.compile(r":organization/(o-[a-z0-9]+)$")
_OU = re.compile(r":ou/(o-[a-z0-9]+)/(ou-[a-z0-9-]+)$")
_LIVE = ("ASSOCIATED", "ASSOCIATING")


@dataclass
class Shares:
    """What one (account, region) shares: resource ARN -> readers; ``error`` when unread."""

    account: str
    region: str
    readers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: str | None = None


def reader(entity: str, via: str) -> dict[str, Any]:
    """The reader a share's principal is."""
    if m := _ORG.search(entity):
        return {"principal": f"* (organization {m.group(1)})", "account": None, "via": via,
                "anyone": False, "org": m.group(1)}
    if m := _OU.search(entity):
        return {"principal": f"* (OU {m.group(2)} of organization {m.group(1)})",
                "account": None, "via": via, "anyone": False, "org": m.group(1)}
    return {"principal": entity, "account": account_of(entity), "via": via, "anyone": False}


def collect(scope: Scope) -> None:
    ram = scope.client("ram")
    got = Shares(scope.account, scope.region)
    try:
        for share in pages(ram, "get_resource_shares", "resourceShares",
                           resourceOwner="SELF"):
            if share.get("status") != "ACTIVE":
                continue
            arn = share["resourceShareArn"]
            via = f"RAM resource share {share.get('name') or arn}"
            who = [reader(str(p["associatedEntity"]), via) for p in pages(
                ram, "get_resource_share_associations", "resourceShareAssociations",
                associationType="PRINCIPAL", resourceShareArns=[arn])
                if p.get("status") in _LIVE]
            for r in pages(ram, "get_resource_share_associations", "resourceShareAssociations",
                           associationType="RESOURCE", resourceShareArns=[arn]):
                if r.get("status") in _LIVE:
                    got.readers.setdefault(str(r["associatedEntity"]), []).extend(who)
    except ReadFailure as e:
        got.error = e.reason
        scope.sink.note("ram", got)
        raise
    except (KeyError, TypeError) as e:
        got.error = f"a resource share answer was malformed ({e})"
        scope.sink.note("ram", got)
        scope.gap("{collector} in {account}/{region}", got.error, collector="ram")
        return
    scope.sink.note("ram", got)


def link(assets: list[Asset], notes: list[Shares]) -> None:
    """Add each shared resource's readers to its asset's ``access.readers``; where RAM was
    not read, the shareable kinds' readers are unknown."""
    by_scope = {(n.account, n.region): n for n in notes}
    for a in assets:
        n = by_scope.get((a.get("account"), a.get("region")))
        if n is None:
            continue  # RAM not read here (left out by --services)
        if not shareable(a) and a["id"] not in n.readers:
            continue
        access = a.get("access")
        if not isinstance(access, dict):
            access = a["access"] = {}
        if n.error is not None:
            if shareable(a):
                access["readers"] = None
                add_asset_gap(a, "access", f"its AWS RAM shares could not be read: {n.error}")
            continue
        shared = n.readers.get(a["id"])
        if shared is None:
            if shareable(a) and "readers" not in access:
                access["readers"] = []  # RAM read: not shared
            continue
        if "readers" not in access:
            access["readers"] = []
        if isinstance(access["readers"], list):
            access["readers"].extend(shared)
