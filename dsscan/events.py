"""Regulatory events between two runs (NFRA Art. 19, 71, 73), read from the history store.

Findings say what is wrong in one run; some duties are about what *changed* between runs:

* **Art. 19** -- a store's data level went **down** and the store carries no approval record
  of the change (tag ``dsscan:level-change-approval`` / ``level-change-approval``, configurable
  as ``level_change_approval_tag_keys``, or a catalogue rule's ``level_change_approval``);
* **Art. 71** -- a store is **newly important or core** (new in the later run, or raised to
  important or core from below): the important-data catalogue must be updated (not for a
  snapshot or backup: a copy of a store is not a new entry);
* **Art. 73** -- a sensitive-or-above store has a **new external principal or share** (a
  reader outside the institution, ``ctx.readers_outside``, or an account outside it the store
  is shared with, ``access.shared_with``): batch sharing or entrustment is reported 20 working
  days before.

Each run keeps one row per store (:func:`store_facts`, stored by dsscan.store as
``run_assets``). What a run did not keep or could not read is **not known**, listed as such,
never "no event": a run stored before schema version 5 (no store rows), a store whose external
readers could not be read (``null``), an account that cannot be placed inside or outside the
institution (no institution accounts known).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from typing import Any

from dsscan.levels import RANK, UNCLASSIFIED
from dsscan.masking import comparable

# Kinds that hold data (network domains, security groups and keys do not).
STORE_KINDS = frozenset({"object_store", "database", "table", "file_system", "cache",
                         "warehouse", "volume", "backup", "snapshot", "backup_vault"})
# Copies of a store: each night's new snapshot of a core database is not a new entry of the
# important-data catalogue (Art. 71), which lists the data, not its every backup.
COPY_KINDS = frozenset({"snapshot", "backup"})
ANYONE = "anyone"
EVENT_KINDS = ("level_down", "new_important", "new_external_principal")
ARTICLES = {"level_down": "19", "new_important": "71", "new_external_principal": "73"}


def _rank(level: str | None) -> int:
    # Unclassified ranks below general (RANK): a store going from any level to "nobody
    # knows" has lost its level, a change Art. 19 wants approved.
    return RANK.get(level or UNCLASSIFIED, 0)


# A whole account written as its root principal: the account id, as shares name it.
_ROOT = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):root")


def _account_form(who: str) -> str:
    """``arn:aws:iam::999988887777:root`` -> ``999988887777``: one account, whichever way a
    policy or a share wrote it (a run that read it from a share and the next from a policy
    is no new principal; an own account written as an ARN is not outside)."""
    m = _ROOT.fullmatch(who)
    return m.group(1) if m else who


def _reader_key(r: Any) -> str | None:
    """A stable string for one reader object of the readers contract, None if malformed."""
    if not isinstance(r, dict):
        return None
    if r.get("anyone") is True:
        return ANYONE
    for k in ("principal", "account"):
        v = r.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def external_principals(asset: dict[str, Any],
                        institution: Collection[str] = ()) -> list[str] | None:
    """The principals outside the institution that may read ``asset``, as sorted stable
    strings (``anyone``, a principal ARN, an account id), from ``ctx.readers_outside`` (the
    readers contract) and ``access.shared_with`` (account ids, or ``all``), whichever the
    input has. None when unknown: either is ``null``, a share's read failed, a reader is
    malformed, or a shared account cannot be placed (no institution account is known).
    An asset with neither field has no known external reader (``[]``): its input cannot
    express one."""
    out: set[str] = set()
    ctx = asset.get("ctx")
    if isinstance(ctx, dict) and "readers_outside" in ctx:
        readers = ctx["readers_outside"]
        if not isinstance(readers, list):
            return None
        for r in readers:
            key = _reader_key(r)
            if key is None:
                return None
            out.add(key)
    if "access" in asset:
        access = asset["access"]
        if not isinstance(access, dict):
            return None
        if "shared_with" in access:
            shared = access["shared_with"]
            if not isinstance(shared, list):
                return None
            if access.get("public") is None and _access_gap(asset):
                return None  # the share attributes could not be read: [] is not "nobody"
            ours = institution
            own = asset.get("account")
            for who in shared:
                if not isinstance(who, str) or not who.strip():
                    return None
                who = who.strip()
                if who == "all":
                    out.add(ANYONE)
                elif _account_form(who) == own or _account_form(who) in ours:
                    continue
                elif not ours:
                    return None  # outside or inside? the institution cannot be told
                else:
                    out.add(who)
    return sorted(out) if out else []


def _access_gap(asset: dict[str, Any]) -> bool:
    gaps = (asset.get("assessment") or {}).get("gaps") or []
    return any(isinstance(g, dict) and g.get("aspect") == "access" for g in gaps)


def level_source(asset: dict[str, Any]) -> str | None:
    """Where the asset's level came from: the source of the first provenance entry giving
    the level it has (tag, catalogue, content, inheritance, declared, config)."""
    level = asset.get("level")
    if not isinstance(level, dict):
        return None
    for p in level.get("provenance") or ():
        if isinstance(p, dict) and p.get("level") == level.get("value"):
            src = p.get("source")
            return str(src) if src else None
    return None


def store_facts(assets: list[dict[str, Any]], institution: Iterable[str] = ()
                ) -> dict[str, dict[str, Any]]:
    """asset id -> ``{"kind", "level", "level_source", "approval", "principals"}`` for every
    store of the run: what the history store keeps per run to find events. Not masked here
    (dsscan.store.rows masks it with everything else it stores)."""
    ours = frozenset(institution)
    out: dict[str, dict[str, Any]] = {}
    for a in assets:
        if a.get("kind") not in STORE_KINDS or not isinstance(a.get("id"), str):
            continue
        approval = a.get("level_change_approval")
        out[a["id"]] = {
            "kind": a["kind"],
            "level": (a.get("level") or {}).get("value") or UNCLASSIFIED,
            "level_source": level_source(a),
            "approval": isinstance(approval, dict) and bool(approval.get("record")),
            "principals": external_principals(a, ours),
        }
    _inherit_approval(assets, out)
    return out


def _inherit_approval(assets: list[dict[str, Any]], out: dict[str, dict[str, Any]]) -> None:
    """A copy (snapshot, backup, replica) whose level it inherits from its source changed
    with the source: the source's approval record covers it (copies of copies too). A copy
    with a level of its own (a tag, a catalogue rule) needs its own record."""
    from dsscan.relindex import RelationIndex

    pending = {a["id"]: [ref for _, ref in RelationIndex.copy_refs(a)] for a in assets
               if a.get("id") in out and not out[a["id"]]["approval"]
               and out[a["id"]]["level_source"] == "inheritance"}
    pending = {k: v for k, v in pending.items() if v}
    changed = True
    while pending and changed:
        changed = False
        for aid, refs in list(pending.items()):
            if any((out.get(r) or {}).get("approval") for r in refs):
                out[aid]["approval"] = True
                del pending[aid]
                changed = True


def events(a: dict[str, dict[str, Any]] | None, b: dict[str, dict[str, Any]] | None,
           *, a_run: str = "A", b_run: str = "B",
           unlisted_in_a: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """The events from run ``a``'s store rows to run ``b``'s (asset id -> facts, as
    :func:`store_facts` or the store gives them; None: the run kept no store rows).

    ``{"known": bool, "events": [...], "not_known": [...]}``. Each event:
    ``{"event", "article", "asset_id", "kind", "level", "from", "to", "principals",
    "level_source"}``; each not-known item ``{"event", "article", "asset_id", "reason"}``
    (``asset_id`` None for a whole run).

    ``unlisted_in_a(asset_id)``: a scope run ``a`` could not list that may hold the store (or
    None). A store of ``b`` missing from ``a`` within such a scope may have been there unseen:
    whether its level went down is not known (never "no event")."""
    not_known: list[dict[str, Any]] = []
    missing = [run for run, rows in ((a_run, a), (b_run, b)) if rows is None]
    if missing or a is None or b is None:
        runs = (f"run {missing[0]} was" if len(missing) == 1
                else f"runs {' and '.join(missing)} were")
        why = (f"{runs} stored before dsscan kept its stores (history store schema version "
               "5): level changes, new important stores and new external principals are not "
               "known")
        return {"known": False, "events": [],
                "not_known": [{"event": k, "article": ARTICLES[k], "asset_id": None,
                               "reason": why} for k in EVENT_KINDS]}
    out: list[dict[str, Any]] = []
    # Stores are matched between the runs by their ids as stored: masked, and a masked form
    # may carry a ~N suffix that only keeps two ids apart within one run (the same store can
    # be ~2 in one run and unsuffixed in the next). Matched without it; a form that stands
    # for more than one store of run A, or for a store of A and more than one of B, cannot
    # be matched: its events are not known, never compared with another store's row.
    in_a = _by_form(a)
    in_b = _by_form(b)
    for aid in sorted(b):
        now = b[aid]
        form = comparable(aid)
        olds = in_a.get(form, [])
        level = now.get("level") or UNCLASSIFIED
        base = {"asset_id": aid, "kind": now.get("kind"), "level": level,
                "level_source": now.get("level_source")}
        if len(olds) > 1 or (olds and len(in_b[form]) > 1):
            why = (f"its masked id stands for {max(len(olds), len(in_b[form]))} stores in "
                   f"run {a_run if len(olds) > 1 else b_run}: it cannot be matched between "
                   "the runs")
            not_known += [{"event": k, "article": ARTICLES[k], "asset_id": aid, "reason": why}
                          for k in EVENT_KINDS]
            continue
        before = a[olds[0]] if olds else None
        if before is None and unlisted_in_a is not None and unlisted_in_a(aid) is not None:
            not_known.append({"event": "level_down", "article": "19", "asset_id": aid,
                              "reason": f"not in run {a_run}, which could not list a scope "
                                        "that may hold it: its earlier level is not known"})
        old_level = None if before is None else (before.get("level") or UNCLASSIFIED)
        approved = bool(now.get("approval"))
        if approved and before is not None and now.get("level_source") == "inheritance" \
                and before.get("level_source") not in (None, "inheritance"):
            # A copy that had a level of its own (its tag, a catalogue rule) and now inherits
            # a lower one: its own classification was dropped, a change its source's record
            # (the approval a copy inherits) does not cover.
            approved = False
        if old_level is not None and _rank(level) < _rank(old_level) and not approved:
            out.append({**base, "event": "level_down", "article": "19", "from": old_level,
                        "to": level, "principals": None})
        if now.get("kind") not in COPY_KINDS and _rank(level) >= RANK["important"] and (
                old_level is None or _rank(old_level) < RANK["important"]):
            out.append({**base, "event": "new_important", "article": "71", "from": old_level,
                        "to": level, "principals": None})
        if _rank(level) >= RANK["sensitive"] or level == UNCLASSIFIED:
            # Unclassified is protected as sensitive by default: its shares count too.
            now_p = now.get("principals")
            old_p: list[str] | None = [] if before is None else before.get("principals")
            if now_p is None or old_p is None:
                side = b_run if now_p is None else a_run
                not_known.append({"event": "new_external_principal", "article": "73",
                                  "asset_id": aid,
                                  "reason": f"who outside the institution can read it is not "
                                            f"known in run {side}"})
                continue
            added = _added(now_p, old_p)
            if added:
                out.append({**base, "event": "new_external_principal", "article": "73",
                            "from": None, "to": None, "principals": added})
    return {"known": True, "events": out, "not_known": not_known}


def _by_form(rows: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for aid in rows:
        out.setdefault(comparable(aid), []).append(aid)
    return out


def _added(now: list[str], old: list[str]) -> list[str]:
    """The principals of ``now`` not in ``old``, compared without masking suffixes and with
    an account's root principal as its id: a form held by more principals now than before
    has a new one among them (all are listed)."""
    before = Counter(comparable(f) for f in {_account_form(p) for p in old})
    count = Counter(comparable(f) for f in {_account_form(p) for p in now})
    return sorted({p for p in now
                   if count[comparable(_account_form(p))] > before[comparable(_account_form(p))]})


DESCRIPTIONS = {
    "level_down": "level lowered without an approval record (Art. 19)",
    "new_important": "new important/core store: update the important-data catalogue (Art. 71)",
    "new_external_principal": "new external principal or share on a sensitive-or-above store "
                              "(Art. 73: report 20 working days before)",
}


def describe(e: dict[str, Any]) -> str:
    """One line of text for an event (ids as given: masked by the caller's store)."""
    if e["event"] == "level_down":
        return f"{e['from']} -> {e['to']}, no approval record"
    if e["event"] == "new_important":
        return (f"new {e['to']} store" if e.get("from") is None
                else f"raised {e['from']} -> {e['to']}")
    return f"{e['level']} store, new: {', '.join(e.get('principals') or [])}"
