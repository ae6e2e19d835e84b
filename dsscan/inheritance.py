"""Inheritance of data levels: a copy, an aggregate, a vault or a database holds the data of
what it copies, aggregates or contains (NFRA Art. 27, 42), so it takes the highest level among
those (transitively, cycles included) — and when part of that data has no level at all, it is
not general either (Art. 18): see ``unclassified_origins``.

Part of classification (dsscan.classify calls ``inherit`` and ``unclassified_origins``).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from dsscan.levels import RANK, UNCLASSIFIED

Entry = dict[str, Any]
_LEVEL_BY_RANK = {r: lv for lv, r in RANK.items()}
# Sources that state a level (as opposed to observing one).
DECLARING_SOURCES = ("declared", "tag", "config", "catalogue")
# Kinds whose level includes that of the assets naming them as `parent`.
_CONTAINERS = ("database", "warehouse")


_Cand = tuple[int, int, int, str]


def inherit(assets: list[dict[str, Any]], own: list[list[Entry]]) -> list[Entry | None]:
    """The inheritance entry of each asset, or None.

    An asset inherits the highest own level among the assets it (transitively) copies,
    aggregates or contains — itself excluded, so a cycle does not echo an asset's own level back
    to it. Each asset keeps its two best candidates with distinct origins (enough to exclude
    itself); ranks only rise, so the worklist ends after O(edges) steps even with cycles.
    """
    users = _inheritors(assets)  # users[u] = [(v, relation)]: v inherits from u
    out: list[Entry | None] = [None] * len(assets)
    if not users:
        return out

    # Own levels seed the assets others inherit from, in inventory order (which decides ties).
    # An asset nobody inherits from needs no seed: its own level never competes with what it
    # inherits (itself is excluded) and it passes nothing on.
    state: dict[int, list[_Cand]] = {}
    work: deque[int] = deque()
    for i in sorted(users):
        entries = own[i]
        if entries:
            r = max(RANK[e["level"]] for e in entries)
            if r > 0:
                state[i] = [(r, i, -1, "")]
                work.append(i)
    queued = set(work)

    while work:
        u = work.popleft()
        queued.discard(u)
        top_u = state[u]
        for v, rel in users.get(u, ()):
            top_v = state.setdefault(v, [])
            changed = False
            for r, origin, _, _ in top_u:
                if origin != v and _offer(top_v, (r, origin, u, rel)):
                    changed = True
            if changed and v in users and v not in queued:
                queued.add(v)
                work.append(v)

    for v, top in state.items():
        best = next((c for c in top if c[1] != v), None)
        if best is None:
            continue
        r, origin, via, rel = best
        detail = f"{rel} {assets[via]['id']}"
        if origin != via:
            detail += f" (level from {assets[origin]['id']})"
        out[v] = {"source": "inheritance", "level": _LEVEL_BY_RANK[r], "detail": detail}
    return out


def _offer(top: list[_Cand], cand: _Cand) -> bool:
    """Merge ``cand`` into a best-two list with distinct origins; True when it changed."""
    r, origin = cand[0], cand[1]
    for k, c in enumerate(top):
        if c[1] == origin:
            if r <= c[0]:
                return False
            top[k] = cand
            top.sort(key=lambda c: -c[0])
            return True
    if len(top) < 2:
        top.append(cand)
    elif r > top[-1][0]:
        top[-1] = cand
    else:
        return False
    top.sort(key=lambda c: -c[0])
    return True


def _inheritors(assets: list[dict[str, Any]]) -> dict[int, list[tuple[int, str]]]:
    """For each asset, who takes a level from it, with the relation in words."""
    pos = {a["id"]: i for i, a in enumerate(assets)}
    users: dict[int, list[tuple[int, str]]] = {}
    vault_names: dict[str, list[int]] = {}
    for i, a in enumerate(assets):
        if a.get("kind") == "backup_vault" and isinstance(a.get("name"), str):
            vault_names.setdefault(a["name"], []).append(i)

    def link(v: int, ref: Any, rel: str) -> None:
        u = pos.get(ref) if isinstance(ref, str) else None
        if u is not None and u != v:  # an id not in the inventory gives nothing
            users.setdefault(u, []).append((v, rel))

    for i, a in enumerate(assets):
        backup = a.get("backup")
        if backup:
            refs = backup.get("backup_of")
            if refs:
                rel = "snapshot of" if a.get("kind") == "snapshot" else "backup of"
                for ref in refs:
                    link(i, ref, rel)
            loc = backup.get("location")
            vault = loc.get("vault") if loc else None
            if isinstance(vault, str):
                for w in _vaults_named(vault, a, assets, pos, vault_names):
                    if w != i:
                        users.setdefault(i, []).append((w, "holds"))
        refs = a.get("replica_of")
        if refs:
            for ref in refs:
                link(i, ref, "replica of")
        refs = a.get("derived_from")
        if refs:
            for ref in refs:
                link(i, ref, "derived from")
        parent = a.get("parent")
        if parent:
            p = pos.get(parent)
            if p is not None and p != i and assets[p].get("kind") in _CONTAINERS:
                users.setdefault(i, []).append((p, "contains"))
    return users


def _vaults_named(ref: str, a: dict[str, Any], assets: list[dict[str, Any]],
                  pos: dict[str, int], by_name: dict[str, list[int]]) -> list[int]:
    """The vault(s) a backup location names, by id first, else by name (same account)."""
    i = pos.get(ref)
    if i is not None and assets[i].get("kind") == "backup_vault":
        return [i]
    named = by_name.get(ref, [])
    if len(named) > 1:
        loc = (a.get("backup") or {}).get("location") or {}
        account = loc.get("account") or a.get("account")
        same = [w for w in named if assets[w].get("account") == account]
        # Ambiguous name: every candidate holds it (over-classifying is the safe side).
        return same or named
    return named


def classifying(entries: list[Entry], floor: int) -> bool:
    """Whether an asset's own sources give it a level: a declared one, or an observation at
    or above the protection owed to unclassified stores. Content is a lower bound: general-
    level content (company codes) says nothing of what else the store holds."""
    return any(e["source"] in DECLARING_SOURCES or RANK[e["level"]] >= floor for e in entries)


def unclassified_origins(assets: list[dict[str, Any]], own: list[list[Entry]],
                          inherited: list[Entry | None], floor: int) -> dict[int, Entry]:
    """Assets that copy, aggregate or contain (transitively) data of an asset with no level
    (none of its own, none inherited): index -> the provenance entry saying so. Part of what
    they hold has no known level."""
    users = _inheritors(assets)
    out: dict[int, Entry] = {}
    work: deque[int] = deque()
    origin: dict[int, int] = {}
    for u in sorted(users):
        if not classifying(own[u], floor) and inherited[u] is None:
            origin[u] = u
            work.append(u)
    while work:
        u = work.popleft()
        for v, rel in users.get(u, ()):
            if v in out or v == origin[u]:
                continue
            o = origin[u]
            detail = f"{rel} {assets[u]['id']}"
            if o != u:
                detail += f" (no level: {assets[o]['id']})"
            out[v] = {"source": "inheritance", "level": UNCLASSIFIED,
                      "detail": detail + ", which has no level"}
            origin.setdefault(v, o)
            work.append(v)
    return out
