"""The relation index: which network domain each asset sits in, which vault holds each copy,
which asset each copy copies — resolved once per run, in ``dsscan.pipeline.prepare``, and read
by classification (``dsscan.inheritance``, ``dsscan.classify``) and by relations
(``dsscan.relations.attach_context``). One resolver per relation, so the two stages cannot
disagree about it: a vault classification raises to a copy's level is the vault whose key
ctx gives the copy.

Rules (user-facing: docs/relations.md):

- **Copy → source**: ``backup.backup_of``, ``replica_of`` (and ``derived_from``) name the
  source by its asset id; anything else is a source not in the inventory.
- **Copy → vault**: ``backup.location.vault`` is a vault's id, its ARN or its name. Vault
  names are unique per account and Region only, so an ARN or name matches the vaults of that
  name (``name`` or ARN tail) whose account and Region agree with the ARN's, or with the copy's
  place (its location, else its own account/Region); an unknown account or Region on either
  side agrees. One match is the vault; several are *ambiguous*: each may hold the copy (all
  inherit its level, the safe side), none gives it a key, and the copy carries a gap.
- **Asset → domain**: see ``membership``.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cached_property
from typing import Any

from dsscan.copies import strs, where

Asset = dict[str, Any]

DOMAIN, VAULT = "network_domain", "backup_vault"
COPY_RELATIONS = ("backup", "snapshot", "replica")


def _tail(ref: str) -> str:
    """prod-vault from arn:…:backup-vault:prod-vault; sg-0abc from arn:…:security-group/sg-0abc."""
    return re.split(r"[:/]", ref)[-1]


def _arn_place(ref: str) -> tuple[str | None, str | None]:
    """(account, region) of an ARN; (None, None) for anything else."""
    parts = ref.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return parts[4] or None, parts[3] or None
    return None, None


def _agree(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


class _Named:
    """Assets of one kind by id, and by name or ARN tail with their (account, region)."""

    def __init__(self, assets: list[Asset], idxs: list[int]) -> None:
        self.assets = assets
        self.ids = {assets[i]["id"]: i for i in idxs}
        self.names: dict[str, list[int]] = {}
        for i in idxs:
            a = assets[i]
            keys = {a["name"]} if isinstance(a.get("name"), str) and a["name"] else set()
            if a["id"].startswith("arn:"):
                keys.add(_tail(a["id"]))
            for k in keys:
                self.names.setdefault(k, []).append(i)

    def place(self, i: int) -> tuple[str | None, str | None]:
        a = self.assets[i]
        acct, reg = _arn_place(a["id"])
        own_acct, own_reg = a.get("account"), a.get("region")
        return (own_acct if isinstance(own_acct, str) and own_acct else acct,
                own_reg if isinstance(own_reg, str) and own_reg else reg)

    def candidates(self, ref: Any, account: str | None, region: str | None,
                   narrow_single: bool) -> tuple[int, ...]:
        """The assets ``ref`` may name: its id, else those of that name (an ARN's own account
        and Region, else the given ones, must agree with theirs). ``narrow_single``: also
        drop a lone name match whose place disagrees (False: a lone match stands)."""
        if not isinstance(ref, str) or not ref:
            return ()
        if ref in self.ids:
            return (self.ids[ref],)
        named = self.names.get(_tail(ref) if ref.startswith("arn:") else ref, [])
        if ref.startswith("arn:"):
            account, region = _arn_place(ref)
            narrow_single = True  # an ARN names one account and Region
        if len(named) == 1 and not narrow_single:
            return tuple(named)
        return tuple(i for i in named
                     if _agree(account, self.place(i)[0]) and _agree(region, self.place(i)[1]))


def membership(assets: list[Asset]) -> tuple[dict[str, str], dict[str, tuple[str, list[str]]]]:
    """(asset id → id of the network_domain it sits in, asset id → (reference, candidate
    domain ids) for an explicit ``network.domain`` naming several domains).

    Order: a domain listing one of the asset's subnets (fewest subnets = most specific wins),
    else the domain of the asset's VPC, else the asset's explicit ``network.domain`` (by id,
    else by name or ARN tail: several of that name are narrowed to the asset's account and
    Region; still several is ambiguous and picks none).
    """
    idxs = [i for i, a in enumerate(assets) if a.get("kind") == DOMAIN]
    domains = [assets[i] for i in idxs]
    by_subnet: dict[str, list[Asset]] = {}
    by_vpc: dict[str, list[Asset]] = {}
    size: dict[str, int] = {}
    for d in domains:
        net = d.get("network") if isinstance(d.get("network"), dict) else {}
        subnets = set(strs(net.get("subnets")))
        size[d["id"]] = len(subnets)
        for s in subnets:
            by_subnet.setdefault(s, []).append(d)
        if isinstance(net.get("vpc_id"), str) and net["vpc_id"]:
            by_vpc.setdefault(net["vpc_id"], []).append(d)

    # A VPC maps to its VPC-level domain (one listing no subnets); a VPC described only by
    # several subnet-level domains is ambiguous for an asset that matched none of them.
    vpc_domain: dict[str, str] = {}
    for vpc, ds in by_vpc.items():
        whole = sorted(d["id"] for d in ds if size[d["id"]] == 0)
        if whole:
            vpc_domain[vpc] = whole[0]
        elif len(ds) == 1:
            vpc_domain[vpc] = ds[0]["id"]
    named = _Named(assets, idxs)

    out: dict[str, str] = {}
    ambiguous: dict[str, tuple[str, list[str]]] = {}
    for a in assets:
        if a.get("kind") == DOMAIN:
            out[a["id"]] = a["id"]
            continue
        net = a.get("network")
        if not isinstance(net, dict):
            continue
        chosen: str | None = None
        subnets = strs(net.get("subnets")) if by_subnet else []
        if len(subnets) == 1:  # the common case, without counting
            cands = by_subnet.get(subnets[0], ())
            if cands:
                chosen = min(cands, key=lambda d: (size[d["id"]], d["id"]))["id"]
        elif subnets:
            hits = Counter(d["id"] for s in subnets for d in by_subnet.get(s, ()))
            if hits:
                chosen = min(hits, key=lambda did: (-hits[did], size[did], did))
        if chosen is None and isinstance(net.get("vpc_id"), str):
            chosen = vpc_domain.get(net["vpc_id"])
        if chosen is None and net.get("domain"):
            # A lone domain of that name stands even in another account (a shared VPC).
            found = named.candidates(net.get("domain"), _str(a, "account"), _str(a, "region"),
                                     narrow_single=False)
            if len(found) == 1:
                chosen = assets[found[0]]["id"]
            elif found:
                ambiguous[a["id"]] = (net["domain"], sorted(assets[i]["id"] for i in found))
        if chosen is not None:
            out[a["id"]] = chosen
    return out, ambiguous


def _str(a: Asset, key: str) -> str | None:
    v = a.get(key)
    return v if isinstance(v, str) and v else None


def add_gap(a: Asset, aspect: str, reason: str) -> None:
    """An asset-level gap (once): the facet cannot be assessed, so no verdict on it passes."""
    assessment = a.setdefault("assessment", {"status": "complete", "gaps": []})
    gaps = assessment.setdefault("gaps", [])
    gap = {"aspect": aspect, "reason": reason}
    if gap not in gaps:
        gaps.append(gap)
    if assessment.get("status") in (None, "complete"):
        assessment["status"] = "partial"


class RelationIndex:
    """The relations between the assets of one run, resolved once (module docstring).

    Positions refer to ``assets``, which must not gain or lose assets after the index is
    built (classification changes levels and ``derived_from``, never the list)."""

    def __init__(self, assets: list[Asset], domain_of: dict[str, str] | None = None) -> None:
        """``domain_of``: a membership already computed for these assets (else computed)."""
        self.assets = assets
        self.pos: dict[str, int] = {a["id"]: i for i, a in enumerate(assets)}
        self.by_id: dict[str, Asset] = {a["id"]: a for a in assets}
        if domain_of is not None:
            self.__dict__["_membership"] = (domain_of, {})
        vaults = _Named(assets, [i for i, a in enumerate(assets) if a.get("kind") == VAULT])
        # copy position → (vault reference, the positions of the vaults that may hold it)
        self.vault_refs: dict[int, tuple[str, tuple[int, ...]]] = {}
        # source id → [(relation, copy)]: the copies naming it (backup_of, replica_of)
        self.copies: dict[str, list[tuple[str, Asset]]] = {}
        for i, b in enumerate(assets):
            refs = self.copy_refs(b)
            # Replicas first: the order ctx.backups has always listed an asset's copies in.
            for rel, ref in [r for r in refs if r[0] == "replica"] + \
                    [r for r in refs if r[0] != "replica"]:
                self.copies.setdefault(ref, []).append((rel, b))
            backup = b.get("backup")
            loc = backup.get("location") if isinstance(backup, dict) else None
            ref = loc.get("vault") if isinstance(loc, dict) else None
            if isinstance(ref, str) and ref:
                place = where(b)
                self.vault_refs[i] = (ref, vaults.candidates(
                    ref, place["account"], place["region"], narrow_single=True))

    # -- copy → source
    @staticmethod
    def copy_refs(b: Asset) -> list[tuple[str, str]]:
        """(relation, source reference) of each copy relation ``b`` declares, in field order:
        backup_of (``snapshot`` for a snapshot, else ``backup``), then replica_of."""
        backup = b.get("backup")
        out: list[tuple[str, str]] = []
        if isinstance(backup, dict) and backup.get("backup_of"):
            rel = "snapshot" if b.get("kind") == "snapshot" else "backup"
            out += [(rel, s) for s in strs(backup["backup_of"])]
        if b.get("replica_of"):
            out += [("replica", s) for s in strs(b["replica_of"])]
        return out

    def source(self, ref: Any) -> int | None:
        """The position of the asset a copy, replica or aggregate names (by id), or None."""
        return self.pos.get(ref) if isinstance(ref, str) else None

    # -- copy → vault
    def vaults_of(self, i: int) -> tuple[int, ...]:
        """The vaults that may hold the asset at ``i`` (one, none, or several: ambiguous)."""
        got = self.vault_refs.get(i)
        return got[1] if got else ()

    def vault_of(self, i: int) -> int | None:
        """The vault holding the asset at ``i`` when exactly one may."""
        got = self.vaults_of(i)
        return got[0] if len(got) == 1 else None

    # -- asset → domain
    @cached_property
    def _membership(self) -> tuple[dict[str, str], dict[str, tuple[str, list[str]]]]:
        return membership(self.assets)

    @property
    def domain_of(self) -> dict[str, str]:
        """Asset id → id of the network domain it sits in."""
        return self._membership[0]

    # -- what could not be resolved
    def record_gaps(self) -> None:
        """An ambiguous vault or domain is a gap on the asset naming it: no verdict that
        depends on which one it is may pass (fail closed)."""
        for i, (ref, found) in self.vault_refs.items():
            if len(found) > 1:
                ids = ", ".join(sorted(self.assets[v]["id"] for v in found))
                add_gap(self.assets[i], "backup",
                        f"its backup vault '{ref}' may be any of {len(found)} vaults of that "
                        f"name ({ids}): its account or Region is not known, so which vault "
                        "(and key) holds it is unknown")
        for aid, (ref, ids) in self._membership[1].items():
            add_gap(self.by_id[aid], "network",
                    f"its network domain '{ref}' may be any of {len(ids)} domains of that name "
                    f"({', '.join(ids)}): its account or Region is not known, so which domain "
                    "it sits in is unknown")
