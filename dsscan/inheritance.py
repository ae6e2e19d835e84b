"""Inheritance of data levels: a copy, an aggregate, a vault or a database holds the data of
what it copies, aggregates or contains (NFRA Art. 27, 42), so it takes the highest level among
those (transitively, cycles included) — and when part of that data has no level at all, it is
not general either (Art. 18): see ``unclassified_origins``.

Part of classification (dsscan.classify calls ``inherit`` and ``unclassified_origins``).
Which asset copies, or which vault holds, which is read from the run's relation index
(dsscan.relindex), the one that also builds ``ctx``.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from dsscan.levels import RANK, UNCLASSIFIED

if TYPE_CHECKING:
    from dsscan.relindex import RelationIndex

Entry = dict[str, Any]
_LEVEL_BY_RANK = {r: lv for lv, r in RANK.items()}
# Sources that state a level (as opposed to observing one).
DECLARING_SOURCES = ("declared", "tag", "config", "catalogue")
# Kinds whose level includes that of the assets naming them as `parent`.
_CONTAINERS = ("database", "warehouse")


_Cand = tuple[int, int, int, str]


def inherit(assets: list[dict[str, Any]], own: list[list[Entry]],
            index: RelationIndex) -> list[Entry | None]:
    """The inheritance entry of each asset, or None.

    An asset inherits the highest own level among the assets it (transitively) copies,
    aggregates or contains — itself excluded, so a cycle does not echo an asset's own level back
    to it. Each asset keeps its two best candidates with distinct origins (enough to exclude
    itself); ranks only rise, so the worklist ends after O(edges) steps even with cycles.
    """
    users = _inheritors(assets, index)  # users[u] = [(v, relation)]: v inherits from u
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


_WORDS = {"backup": "backup of", "snapshot": "snapshot of", "replica": "replica of"}


def _inheritors(assets: list[dict[str, Any]],
                index: RelationIndex) -> dict[int, list[tuple[int, str]]]:
    """For each asset, who takes a level from it, with the relation in words."""
    users: dict[int, list[tuple[int, str]]] = {}

    def link(v: int, ref: Any, rel: str) -> None:
        u = index.source(ref)
        if u is not None and u != v:  # an id not in the inventory gives nothing
            users.setdefault(u, []).append((v, rel))

    for i, a in enumerate(assets):
        for rel, ref in index.copy_refs(a):
            link(i, ref, _WORDS[rel])
        # An ambiguous vault reference: every vault it may name holds it (over-classifying is
        # the safe side; the copy carries a gap saying which vault is unknown).
        for w in index.vaults_of(i):
            if w != i:
                users.setdefault(i, []).append((w, "holds"))
        refs = a.get("derived_from")
        if refs:
            for ref in refs:
                link(i, ref, "derived from")
        parent = a.get("parent")
        if parent:
            p = index.source(parent)
            if p is not None and p != i and assets[p].get("kind") in _CONTAINERS:
                users.setdefault(i, []).append((p, "contains"))
    return users


def classifying(entries: list[Entry], floor: int) -> bool:
    """Whether an asset's own sources give it a level: a declared one, or an observation at
    or above the protection owed to unclassified stores. Content is a lower bound: general-
    level content (company codes) says nothing of what else the store holds."""
    return any(e["source"] in DECLARING_SOURCES or RANK[e["level"]] >= floor for e in entries)


def unclassified_origins(assets: list[dict[str, Any]], own: list[list[Entry]],
                          inherited: list[Entry | None], floor: int,
                          index: RelationIndex) -> dict[int, Entry]:
    """Assets that copy, aggregate or contain (transitively) data of an asset with no level
    (none of its own, none inherited): index -> the provenance entry saying so. Part of what
    they hold has no known level."""
    users = _inheritors(assets, index)
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
