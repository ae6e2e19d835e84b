"""Relations resolved before Rego: network domains, reachability, backups, sources.

Two entry points, called by ``dsscan.pipeline.prepare``:

- ``domain_membership`` (before classification): which network domain each asset sits in
  (a run reads it from its ``dsscan.relindex.RelationIndex``);
- ``attach_context`` (after classification): sets ``asset["ctx"]`` (docs/architecture.md §3),
  so policies judge one asset at a time and never join over the whole estate. Which domain,
  vault and source an asset relates to comes from the run's RelationIndex, the one
  classification read: the two stages cannot disagree.

Everything is built from dict indexes in one or two passes over the assets; reachability is
computed once per domain and the same dict is shared by all of the domain's members.
User-facing rules: docs/relations.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from dsscan import log_sinks, retention, testcopies
from dsscan.config import Config
from dsscan.copies import (
    at_rest,
    backups_of,
    built_in_backup,
    level_of,
    replicas_outside,
    sources_of,
    strs,
    sub,
)
from dsscan.gc_pause import gc_paused
from dsscan.iamrel import attach_iam_context
from dsscan.keyrel import attach_key_context
from dsscan.levels import RANK, UNCLASSIFIED
from dsscan.netmath import (
    Range,
    cidr_overlaps,
    is_internet_cidr,
    is_internet_range,
    parse_cidr,
    ranges_overlap,
)
from dsscan.relindex import RelationIndex, membership
from dsscan.restore import restore_verification
from dsscan.sharerel import attach_share_context

__all__ = ["attach_context", "cidr_overlaps", "domain_membership", "is_internet_cidr"]

Asset = dict[str, Any]

DOMAIN, SG, VAULT = "network_domain", "security_group", "backup_vault"
# Route targets that carry traffic between private networks (peering, transit/VPN gateways).
_PRIVATE_HOPS = ("pcx-", "tgw-", "vgw-")
# Peering states (AWS's codes, any case) in which no traffic can ever flow: gone, or never
# accepted yet. Every other state — active, provisioning, a state dsscan does not know, none —
# counts as a live peering (fail closed: an unknown state is never read as "no link").
_DEAD_PEERING = frozenset({"deleted", "deleting", "rejected", "failed", "expired",
                           "pending-acceptance", "initiating-request"})


def _live_peering(status: Any) -> bool:
    return not (isinstance(status, str) and status.strip().lower() in _DEAD_PEERING)


# ---------------------------------------------------------------------------- small helpers


def _net(a: Asset) -> dict[str, Any]:
    n = a.get("network")
    return n if isinstance(n, dict) else {}


def _environment(a: Asset) -> str:
    return sub(a, "environment").get("value") or "unknown"


def _tail(ref: str) -> str:
    """sg-0abc from arn:…:security-group/sg-0abc; prod-vault from arn:…:backup-vault:prod-vault."""
    return re.split(r"[:/]", ref)[-1]


def _short(asset_id: str) -> str:
    return _tail(asset_id) if asset_id.startswith("arn:") else asset_id


def _by_kind(assets: list[Asset], *kinds: str) -> dict[str, list[Asset]]:
    """The assets of each of ``kinds``, in inventory order, from one pass over all assets."""
    out: dict[str, list[Asset]] = {k: [] for k in kinds}
    for a in assets:
        group = out.get(a.get("kind"))
        if group is not None:
            group.append(a)
    return out


class _Refs:
    """Resolve a reference to an asset of one kind: by id, then name, then ARN tail."""

    def __init__(self, of_kind: list[Asset]) -> None:
        """``of_kind``: the assets of that kind."""
        self.map: dict[str, str] = {}
        for a in of_kind:
            self.map[a["id"]] = a["id"]
        for a in of_kind:
            if isinstance(a.get("name"), str):
                self.map.setdefault(a["name"], a["id"])
        for a in of_kind:
            if a["id"].startswith("arn:"):
                self.map.setdefault(_tail(a["id"]), a["id"])

    def get(self, ref: Any) -> str | None:
        if not isinstance(ref, str):
            return None
        return self.map.get(ref) or (self.map.get(_tail(ref)) if ref.startswith("arn:") else None)


# ---------------------------------------------------------------------------- 1. membership


def domain_membership(assets: list[Asset]) -> dict[str, str]:
    """Asset id → id of the network_domain asset it sits in (absent: no network info/no match).
    The rules: ``dsscan.relindex.membership`` (a run reads them from its RelationIndex)."""
    return membership(assets)[0]


# ---------------------------------------------------------------------------- 2. reachability


class _Dom:
    """The network facts of one domain, parsed once."""

    __slots__ = ("asset", "cidrs", "env", "id", "igw", "igw_known", "level", "name", "routes",
                 "routes_known", "vpc")

    def __init__(self, a: Asset) -> None:
        net = _net(a)
        self.asset = a
        self.id: str = a["id"]
        self.name: str = a.get("name") or a["id"]
        self.vpc: str | None = net.get("vpc_id") or None
        self.cidrs: list[tuple[str, Range]] = [
            (c, r) for c in strs(net.get("cidrs")) if (r := parse_cidr(c)) is not None]
        self.routes: list[tuple[str, Range, str]] = []
        # Route tables not read (``routes`` null or absent): whether a link carries traffic
        # cannot be told (a link's ``routed`` is then null, not false).
        self.routes_known = isinstance(net.get("routes"), list)
        for rt in net.get("routes") or []:
            if not isinstance(rt, dict):
                continue
            dest, target = rt.get("destination"), rt.get("target")
            r = parse_cidr(dest)
            if r is not None and isinstance(target, str):
                self.routes.append((dest, r, target))
        self.igw = net.get("internet_gateway") is True or any(
            t.startswith("igw-") for _, _, t in self.routes)
        # Whether the domain has no internet gateway is known from its routes or the flag.
        self.igw_known = self.igw or self.routes_known or net.get("internet_gateway") is False
        self.level = level_of(a)
        self.env = _environment(a)

    def routes_to(self, other: _Dom, prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
        """(destination, target) of this domain's routes via a hop that lead into ``other``."""
        return [(dest, t) for dest, r, t in self.routes if t.startswith(prefixes)
                and any(ranges_overlap(r, cr) for _, cr in other.cidrs)]


def _ports(rule: dict[str, Any]) -> str:
    proto = str(rule.get("protocol") or "all").lower()
    if proto in ("-1", "all", "any", "*"):
        return "all traffic"
    proto = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(proto, proto)
    lo, hi = rule.get("from_port"), rule.get("to_port")
    if lo is None and hi is None:
        return proto
    lo = hi if lo is None else lo
    hi = lo if hi is None else hi
    if lo == -1 or (lo, hi) == (0, 65535):
        return f"{proto}/all"
    return f"{proto}/{lo}" if lo == hi else f"{proto}/{lo}-{hi}"


class _Reach:
    """Who can open a connection into each domain; built once, shared by member assets."""

    def __init__(self, assets: list[Asset], kinds: dict[str, list[Asset]],
                 domain_of: dict[str, str]) -> None:
        """``kinds``: the network domains and security groups (``_by_kind``)."""
        self.domain_of = domain_of
        self.doms: dict[str, _Dom] = {a["id"]: _Dom(a) for a in kinds[DOMAIN]}
        self.sg_ref = _Refs(kinds[SG])
        self.by_id = {a["id"]: a for a in kinds[SG]}
        self.by_vpc: dict[str, list[_Dom]] = {}
        for d in self.doms.values():
            if d.vpc:
                self.by_vpc.setdefault(d.vpc, []).append(d)
        # Rule holders per domain: SG id (or a store with its own ingress rules) → the first
        # publicly accessible asset it protects there (None: none is public).
        self.holders: dict[str, dict[str, str | None]] = {}
        self.members: dict[str, set[str]] = {}  # SG id → domains of the assets it is attached to
        # Most members repeat a (domain, security groups) pair another member already recorded;
        # when nothing about them is public and they hold no rules of their own, that is all.
        plain: set[tuple[str, tuple[str, ...]]] = set()
        for a in assets:
            did = domain_of.get(a["id"])
            if did is None or did not in self.doms:
                continue
            net = _net(a)
            public = a["id"] if net.get("publicly_accessible") is True else None
            refs = strs(net.get("security_groups"))
            if public is None and not net.get("ingress"):
                sig = (did, tuple(refs))
                if sig in plain:
                    continue
                plain.add(sig)
            keys = [k for ref in refs if (k := self.sg_ref.get(ref)) is not None]
            for k in keys:
                self.members.setdefault(k, set()).add(did)
            if a.get("kind") not in (SG, DOMAIN) and net.get("ingress"):
                keys.append(a["id"])
                self.by_id[a["id"]] = a
            held = self.holders.setdefault(did, {})
            for k in keys:
                prev = held.get(k)
                held[k] = min(prev, public) if prev and public else (prev or public)
        self.peerings = self._peerings()
        self.by_tgw: dict[str, list[_Dom]] = {}
        for d in self.doms.values():
            for t in sorted({t for _, _, t in d.routes if t.startswith("tgw-")}):
                self.by_tgw.setdefault(t, []).append(d)
        self._rules: dict[str, list[tuple[str, Any, str]]] = {}
        self._overlap: dict[Range, list[_Dom]] = {}
        self._routable: dict[tuple[str, str], bool] = {}

    def _peerings(self) -> dict[frozenset[str], set[str | None]]:
        """Active peerings by the pair of VPCs they join, from either side's list."""
        out: dict[frozenset[str], set[str | None]] = {}
        for d in self.doms.values():
            for p in _net(d.asset).get("peerings") or []:
                if not isinstance(p, dict) or not d.vpc or not p.get("peer_vpc_id"):
                    continue
                if _live_peering(p.get("status")) and p["peer_vpc_id"] != d.vpc:
                    out.setdefault(frozenset((d.vpc, p["peer_vpc_id"])), set()).add(p.get("id"))
        return out

    # -- per security group: its ingress rules, compiled once
    def rules(self, holder: str) -> list[tuple[str, Any, str]]:
        """(kind, payload, via): kind cidr → (Range, internet?), sg → ref, pl → prefix-list id."""
        if holder in self._rules:
            return self._rules[holder]
        out: list[tuple[str, Any, str]] = []
        label = _short(holder)
        for rule in _net(self.by_id[holder]).get("ingress") or []:
            if not isinstance(rule, dict):
                continue
            ports = _ports(rule)
            for c in strs(rule.get("cidrs")) + strs(rule.get("ipv6_cidrs")):
                r = parse_cidr(c)
                if r is not None:  # a malformed CIDR matches nothing
                    out.append(("cidr", (r, is_internet_range(r)), f"{label} ingress {c} {ports}"))
            for ref in strs(rule.get("security_groups")):
                out.append(("sg", ref, f"{label} ingress from {ref} {ports}"))
            for pl in strs(rule.get("prefix_lists")):
                out.append(("pl", pl, f"{label} ingress {pl} {ports}"))
        self._rules[holder] = out
        return out

    def overlapping(self, r: Range) -> list[_Dom]:
        if r not in self._overlap:
            self._overlap[r] = [d for d in self.doms.values()
                                if any(ranges_overlap(r, cr) for _, cr in d.cidrs)]
        return self._overlap[r]

    def routable(self, d: _Dom, e: _Dom) -> bool:
        key = (d.id, e.id) if d.id < e.id else (e.id, d.id)
        if key not in self._routable:
            self._routable[key] = bool(
                (d.vpc and d.vpc == e.vpc)
                or (d.vpc and e.vpc and frozenset((d.vpc, e.vpc)) in self.peerings)
                or d.routes_to(e, _PRIVATE_HOPS) or e.routes_to(d, _PRIVATE_HOPS))
        return self._routable[key]

    def sg_domains(self, ref: str) -> list[_Dom] | None:
        """Domains traffic from a referenced SG comes from; None when the SG is not known."""
        sid = self.sg_ref.get(ref)
        if sid is None:
            return None
        ids = set(self.members.get(sid, ()))
        if (own := self.domain_of.get(sid)) is not None:
            ids.add(own)
        return [self.doms[i] for i in sorted(ids) if i in self.doms]

    # -- per domain
    def context(self, did: str) -> dict[str, Any]:
        d = self.doms[did]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        latent: set[str] = set()
        links: dict[tuple[str, str], dict[str, Any]] = {}

        def link(src: _Dom | str, kind: str, via: str, routed: bool | None) -> None:
            """A link that carries no traffic today (routed False), or may not (None: route
            tables not read): isolation is the absence of the link (Art. 41, 48)."""
            if isinstance(src, _Dom):
                entry = {"from": src.id, "name": src.name, "level": src.level,
                         "environment": src.env}
            else:
                entry = {"from": src, "name": src, "level": None, "environment": None}
            entry.update(kind=kind, via=via, routed=routed)
            links.setdefault((entry["from"], via), entry)

        def add(src: _Dom | str, via: str, internet_wide: bool = False) -> None:
            if isinstance(src, _Dom):
                if src.id == d.id:
                    return
                if not self.routable(d, src):
                    # A rule naming the other domain's range or group is a link; a rule open
                    # to the whole internet is judged as one internet link, not as a link
                    # from every domain of the estate.
                    if not internet_wide:
                        link(src, "sg_rule", via,
                             False if d.routes_known and src.routes_known else None)
                    return
                entry = {"from": src.id, "name": src.name, "level": src.level,
                         "environment": src.env, "via": via}
            else:  # the internet, or a source of unknown level (prefix list, unknown SG)
                entry = {"from": src, "name": src, "level": None, "environment": None,
                         "via": via}
            found.setdefault((entry["from"], via), entry)

        for holder, public in sorted(self.holders.get(did, {}).items()):
            for kind, payload, via in self.rules(holder):
                if kind == "cidr":
                    r, internet = payload
                    if internet and d.igw:
                        add("internet", via)
                    elif internet and public:
                        add("internet", f"{via} to publicly accessible {_short(public)}")
                    elif internet:
                        latent.add(via)
                        link("internet", "sg_rule", via, False if d.igw_known else None)
                    for e in self.overlapping(r):  # 0.0.0.0/0 also admits every routable domain
                        add(e, via, internet)
                elif kind == "sg":
                    doms = self.sg_domains(payload)
                    if doms is None:  # not in the inventory: who is behind it is unknown
                        add(f"security-group:{payload}", via)
                    for e in doms or ():
                        add(e, via)
                else:
                    add(f"prefix-list:{payload}", via)
        self._network_paths(d, add, link)
        reachable = sorted(found.values(), key=lambda x: (x["from"], x["via"]))
        # A source with a path is judged by its path (the more severe); its links add nothing.
        reached = {x["from"] for x in reachable}
        unrouted = sorted((x for x in links.values() if x["from"] not in reached),
                          key=lambda x: (x["from"], x["via"]))
        return {
            "id": d.id, "name": d.name, "level": d.level, "rated": d.level != UNCLASSIFIED,
            "environment": d.env,
            "internet_reachable": any(x["from"] == "internet" for x in reachable),
            "reachable_from": reachable,
            "latent_internet_rules": len(latent),
            "links": unrouted,
        }

    def _network_paths(self, d: _Dom, add: Any, link: Any) -> None:
        """Peering and transit-gateway paths: a path exists if either side routes into the other."""
        if not d.vpc:
            return
        for pair, ids in self.peerings.items():
            if d.vpc not in pair:
                continue
            (other,) = pair - {d.vpc}
            named = sorted(i for i in ids if i) or [None]
            for e in self.by_vpc.get(other, ()):
                for pid in named:
                    hop = (pid,) if pid else ("pcx-",)
                    name = pid or "(unnamed)"
                    out, back = d.routes_to(e, hop), e.routes_to(d, hop)
                    for dest, _ in out:
                        add(e, f"peering {name} with route to {dest}")
                    for dest, _ in back:
                        add(e, f"peering {name} with route from {e.name} to {dest}")
                    if not out and not back and e.id != d.id:
                        link(e, "peering", f"peering {name}",
                             False if d.routes_known and e.routes_known else None)
        # Transit gateway: both domains route via the same TGW and one routes into the other.
        for tgw in sorted({t for _, _, t in d.routes if t.startswith("tgw-")}):
            for e in self.by_tgw.get(tgw, ()):
                if e.vpc == d.vpc:
                    continue
                for dest, _ in d.routes_to(e, (tgw,)):
                    add(e, f"transit gateway {tgw} with route to {dest}")
                for dest, _ in e.routes_to(d, (tgw,)):
                    add(e, f"transit gateway {tgw} with route from {e.name} to {dest}")


# ---------------------------------------------------------------------------- 4. ctx


_DOMAIN_ONLY = ("reachable_from", "latent_internet_rules", "links", "holds_level")
# Asset kinds that hold data (dsscan.lib.store_kinds): a domain holds their levels.
_STORES = frozenset(("object_store", "database", "table", "file_system", "cache", "warehouse",
                     "volume"))


class _Facts:
    """Per-asset facts every policy needs, decided once here instead of by Rego helper calls
    in each policy (measured: helper calls were most of the ~900 µs/asset evaluation cost).
    dsscan.lib computes the same values itself when an input lacks them (policy tests)."""

    def __init__(self, config: Config) -> None:
        self.tests = frozenset(config.test_environments)
        self.unclassified_as = config.unclassified_protection_level

    def __call__(self, a: Asset) -> dict[str, Any]:
        lv = a.get("level")
        level = lv.get("value") if isinstance(lv, dict) else None
        if level not in RANK:
            level = UNCLASSIFIED
        protect = self.unclassified_as if level == UNCLASSIFIED else level
        env = a.get("environment")
        environment = env.get("value") if isinstance(env, dict) else None
        if not isinstance(environment, str):
            environment = "unknown"
        assessment = a.get("assessment")
        status = assessment.get("status") if isinstance(assessment, dict) else None
        return {
            "level": level, "rank": RANK[level],
            "protect_level": protect, "protect_rank": RANK.get(protect, 0),
            "environment": environment, "test": environment in self.tests,
            "production": environment == "production",
            "assessable": status != "not_assessed",
        }


def attach_context(assets: list[Asset], config: Config,
                   index: RelationIndex | dict[str, str],
                   swept: frozenset[tuple[str, str]] = frozenset(),
                   gaps: list[dict[str, Any]] | tuple[()] = (),
                   sources: list[dict[str, Any]] | tuple[()] = (),
                   catalogue: Any = None) -> None:
    """Set ``asset["ctx"]`` on every asset (after classification; shape: architecture.md §3).
    ``index``: the run's RelationIndex (the one classification read), or just a domain
    membership (an index is then built from it). ``swept``: the (account, region) scopes a
    live sweep read completely, where an asset that is not in the inventory is known not to
    exist (a copy's deleted source). ``gaps``: the inventory's scope gaps (a trail that could
    not be read may log a store: dsscan.log_sinks). ``sources``: the inventory's sources (the
    accounts a live sweep read are the institution's: dsscan.keyrel)."""
    if not isinstance(index, RelationIndex) or index.assets is not assets:
        index = RelationIndex(assets, domain_of=index if isinstance(index, dict)
                              else index.domain_of)
    # Only acyclic containers are built here: cyclic-GC passes over a 100k-asset heap would
    # cost more than the work itself.
    with gc_paused():
        _attach(assets, config, index, swept, sources, gaps)
        log_sinks.attach(assets, config, gaps)
        # Production stores: their copies that reach a test environment (DS-TST-004).
        testcopies.attach(assets, config, index.copies, index.by_id, catalogue)


def _attach(assets: list[Asset], config: Config, index: RelationIndex,
            swept: frozenset[tuple[str, str]] = frozenset(),
            sources: list[dict[str, Any]] | tuple[()] = (),
            gaps: list[dict[str, Any]] | tuple[()] = ()) -> None:
    by_id = index.by_id
    domain_of = index.domain_of
    kinds = _by_kind(assets, DOMAIN, SG)
    reach = _Reach(assets, kinds, domain_of)
    vault_ctx: dict[str, dict[str, Any]] = {}
    mode = config.backup_separation
    facts = _Facts(config)
    restore_days, now = config.restore_verification_days, datetime.now(UTC)  # DS-BAK-004

    bucket_names = {a.get("name"): a["id"] for a in assets if a.get("kind") == "object_store"}
    copies = index.copies
    contents: dict[str, list[dict[str, Any]]] = {}
    vault_of: dict[str, str] = {}
    for i in sorted(index.vault_refs):
        b = assets[i]
        found = index.vaults_of(i)
        if len(found) == 1:
            vault_of[b["id"]] = assets[found[0]]["id"]
        # An ambiguous copy is listed in each vault that may hold it, as classification
        # raised each to its level; none gives it a key (vault_of).
        for w in found:
            contents.setdefault(assets[w]["id"], []).append(
                {"id": b["id"], "name": b.get("name") or b["id"], "kind": b.get("kind"),
                 "level": level_of(b)})

    def vault(vid: str | None) -> dict[str, Any] | None:
        if vid is None:
            return None
        if vid not in vault_ctx:
            v = by_id[vid]
            vault_ctx[vid] = {"id": vid, "name": v.get("name"), "encryption": at_rest(v),
                              "access": v.get("access")}
        return vault_ctx[vid]

    def copy_encryption(b: Asset) -> dict[str, Any] | None:
        own = at_rest(b)
        if own is None or own.get("enabled") is None:  # a recovery point takes its vault's key
            v = vault(vault_of.get(b["id"]))
            if v is not None and v["encryption"] is not None:
                return v["encryption"]
        return own

    doms = {did: reach.context(did) for did in set(domain_of.values()) if did in reach.doms}
    held = _held_levels(assets, domain_of, facts)
    for did, c in doms.items():
        c["holds_level"] = held.get(did)
    # Members get the domain without its reachability list: only the domain's own record
    # needs it (DS-NET-002, DS-TST-001), and repeating it per asset made the engine input of a
    # 100k-asset estate 1.5 GB.
    brief = {did: {k: v for k, v in c.items() if k not in _DOMAIN_ONLY}
             for did, c in doms.items()}
    for a in assets:
        aid = a["id"]
        kind = a.get("kind")
        found = copies.get(aid)
        vid = vault_of.get(aid)
        did = domain_of.get(aid, "")
        ctx = facts(a)  # the eight facts, then the relations (the documented key order)
        ctx["domain"] = doms.get(did) if kind == DOMAIN else brief.get(did)
        ctx["backups"] = backups_of(a, found, by_id, mode, copy_encryption) if found else []
        ctx["built_in_backup"] = built_in_backup(a, mode)
        ctx["replicas_outside"] = replicas_outside(a, by_id, bucket_names)
        ctx["sources"] = sources_of(a, by_id, swept)
        ctx["vault"] = vault(vid) if vid else None
        ctx["contents"] = contents.get(aid, []) if kind == VAULT else []
        ctx["parent"] = _parent(a, by_id) if a.get("parent") else None
        ctx["restore_verification"] = restore_verification(a, restore_days, now)
        a["ctx"] = ctx
    # Keys: the stores each protects and who outside the institution may decrypt (DS-KMS-001).
    attach_key_context(assets, config, sources, gaps)
    # IAM principals: the stores their broad data grants reach, who may assume a role (DS-IAM-001).
    attach_iam_context(assets, config, sources, gaps)
    # Retention and orphan copies (DS-RET-001/002): the same clock as DS-BAK-004.
    retention.attach(assets, by_id, config, sources, gaps, now)
    # Stores: who outside the institution or its legal entity may read them (DS-SHR-*).
    attach_share_context(assets, config, sources, gaps)


def _held_levels(assets: list[Asset], domain_of: dict[str, str],
                 facts: _Facts) -> dict[str, str]:
    """Domain id → the highest level the stores inside it owe protection for (an unclassified
    store counts at the configured protection level): what a domain's monitoring duties follow
    (DS-LOG-003), without Rego joining a domain's members."""
    out: dict[str, str] = {}
    for a in assets:
        if a.get("kind") not in _STORES:
            continue
        did = domain_of.get(a["id"])
        if did is None:
            continue
        lv = a.get("level")
        level = lv.get("value") if isinstance(lv, dict) else None
        if level not in RANK or level == UNCLASSIFIED:
            level = facts.unclassified_as
        if did not in out or RANK.get(level, 0) > RANK.get(out[did], 0):
            out[did] = level
    return out


def _parent(a: Asset, by_id: dict[str, Asset]) -> dict[str, Any] | None:
    pid = a.get("parent")
    if not pid:
        return None
    p = by_id.get(pid)
    if p is None:
        return {"id": pid, "missing": True}
    return {"id": pid, "kind": p.get("kind"), "encryption": at_rest(p),
            "network": p.get("network")}
