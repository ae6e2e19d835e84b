"""Which policies each asset is evaluated by: a shipped policy only over the kinds its
METADATA names (``custom.kinds``), a user's policy over every asset.

Why: a policy walks every asset of a chunk even when none is of a kind it judges, and the
catalogue grows (21 policies, most judging stores). Assets are grouped by the set of policies
their kind needs; each group is chunked on its own and evaluated by one generated rule that
gathers only those policies' results. A kind no policy needs (a security group, say) is not
handed to the engine at all.

Sound because every shipped policy judges only assets of its METADATA kinds — pinned by
``tests/test_kind_scoped_evaluation.py``, which evaluates every shipped policy over every
asset of the example estates, the synthetic estates and fuzzed inventories and checks each
item's asset kind, and compares the scoped evaluation with the unscoped one item for item. A
user's policy is not held to that (its ``kinds`` may be a summary for the report, written
before it learned to judge one more kind), so it keeps seeing every asset: a wrong
declaration can never drop a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dsscan.policy_library import PolicyLibrary

GROUP_RULE_PREFIX = "results_"


@dataclass(frozen=True)
class Scope:
    """The evaluation groups of a library: group index -> policy ids, kind -> group index.

    A kind missing from ``by_kind`` takes ``default`` (the policies that judge any kind);
    ``None`` there means no policy needs such assets."""

    groups: tuple[tuple[str, ...], ...]
    by_kind: dict[str, int]
    default: int | None

    def group_of(self, kind: Any) -> int | None:
        return self.by_kind.get(kind, self.default) if isinstance(kind, str) else self.default


def unscoped(library: PolicyLibrary) -> Scope:
    """Every policy over every asset (one group): the reference the scoped run must equal."""
    return Scope(groups=(tuple(p.id for p in library.policies),), by_kind={}, default=0)


def scope(library: PolicyLibrary) -> Scope:
    everywhere = [p.id for p in library.policies if not p.builtin or not p.kinds]
    kinds = sorted({k for p in library.policies if p.builtin for k in p.kinds})
    groups: list[tuple[str, ...]] = []
    index: dict[tuple[str, ...], int] = {}

    def group(ids: Iterable[str]) -> int | None:
        wanted = set(ids)
        members = tuple(p.id for p in library.policies if p.id in wanted)  # library order
        if not members:
            return None
        if members not in index:
            index[members] = len(groups)
            groups.append(members)
        return index[members]

    default = group(everywhere)
    by_kind: dict[str, int] = {}
    for k in kinds:
        g = group([*everywhere, *(p.id for p in library.policies
                                  if p.builtin and k in p.kinds)])
        if g is not None:
            by_kind[k] = g
    return Scope(groups=tuple(groups), by_kind=by_kind, default=default)


def group_rule(i: int) -> str:
    return f"{GROUP_RULE_PREFIX}{i}"


def plan_chunks(assets: Sequence[dict[str, Any]], sc: Scope,
                chunk_size: int) -> list[tuple[int, list[dict[str, Any]]]]:
    """(group, assets) chunks: each group's assets in their inventory order, cut into chunks
    of ``chunk_size``; groups in the order their first asset appears (the results are sorted
    afterwards, so the order only decides which chunk is evaluated first)."""
    members: dict[int, list[dict[str, Any]]] = {}
    for a in assets:
        g = sc.group_of(a.get("kind"))
        if g is not None:
            members.setdefault(g, []).append(a)
    return [(g, lst[i:i + chunk_size])
            for g, lst in members.items() for i in range(0, len(lst), chunk_size)]
