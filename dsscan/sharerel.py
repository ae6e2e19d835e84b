"""Who outside the institution, or outside a store's legal entity, may read it: the ``ctx`` of
DS-SHR-001 and DS-SHR-002, resolved in Python so that the policies need no join.

A store's readers ([READERS-OF]):

* ``access.readers`` when the input carries it (a resource policy: S3 bucket, DynamoDB table,
  backup vault; scanners/aws/readers.py), ``null`` when it could not be read;
* else, for a snapshot, ``access.shared_with`` (RDS, EBS, Redshift; from every scanner):
  each account a reader ``via "snapshot share"``, ``all`` anyone; unknown (``null``) when
  ``access.public`` is ``null`` (the share list was not read: the collectors then leave
  ``shared_with`` empty);
* else, for a key, ``kms.decrypters`` (its decrypt paths; DS-KMS-001 judges them outside the
  institution, DS-SHR-002 across legal entities);
* else nothing: the asset gets none of the fields below (the input cannot say who reads it).

On each asset with readers, ``ctx`` gets:

* ``readers_outside``: the readers not of the institution — anyone, a principal whose account
  cannot be told, an account that is not the institution's, an organisation that is not —
  by dsscan/keyrel.py's rules ([INST-ACCOUNTS], [INST-ORGS]); ``null`` when the readers are
  unknown, or some could not be placed and none is outside.
* ``readers_other_entity``: institution readers of another legal entity than the store's
  (dsscan/entities.py) — an account of another entity, or the institution's organisation when
  the configured entities name another one; ``[]`` when every institution reader is the
  store's own account or entity. ``null`` (not assessed) when a reader is another account of
  the institution and: no legal entity is configured at all, the store's entity is not known,
  or the reader's is not (and no crossing is known) ([ENTITY-UNKNOWN]). With no entity
  configured, a store read only by its own account crosses nothing (``[]``).
* ``readers_unknown``: why ``readers_outside`` or ``readers_other_entity`` is ``null`` while the
  readers were read (one sentence per cause, no identifiers); ``[]`` otherwise.
* ``entity``: the store's legal entity, or ``null``.
* ``sharing_record``: the store (for a snapshot, the snapshot itself) carries a sharing or
  entrustment record: a non-empty value of one of ``sharing_record_tag_keys``
  (case-insensitive), or a catalogue rule's ``sharing_record`` (dsscan/catalogue.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dsscan.config import Config
from dsscan.entities import configured, entity_of, ous_of_sources
from dsscan.keyrel import UNKNOWN_ORGS, institution
from dsscan.levels import means_no_record
from dsscan.scanners.aws.readers import share_readers

Asset = dict[str, Any]

UNKNOWN_ACCOUNTS = ("it is read by named accounts, and which accounts are the institution's "
                    "cannot be told (no institution_accounts, accounts map, kms_keys, live "
                    "sweep or account an IaC input deploys into): set institution_accounts")
NO_ENTITIES = ("other accounts of the institution read it and no legal entity is configured: "
               "set accounts.<id>.entity or legal_entities (one entity for all accounts if the "
               "institution is one)")
STORE_ENTITY = ("the legal entity of its account is not known: set accounts.<id>.entity or "
                "legal_entities")
READER_ENTITY = ("the legal entity of an institution account reading it is not known: set "
                 "accounts.<id>.entity or legal_entities")
ORG_ENTITIES = ("every account of the institution's organization reads it and no legal entity "
                "is configured: set accounts.<id>.entity or legal_entities")

_ABSENT = object()


def readers_of(a: Asset) -> Any:
    """[READERS-OF] The asset's readers (a list), ``None`` when unknown, ``_ABSENT`` when the
    input cannot say."""
    access = a.get("access")
    if isinstance(access, dict):
        if "readers" in access:
            who = access["readers"]
            return who if isinstance(who, list) else None
        if a.get("kind") == "snapshot" and "shared_with" in access:
            shared = access["shared_with"]
            if not isinstance(shared, list) or access.get("public") is None:
                return None
            return share_readers(shared)
    facts = a.get("kms")
    if a.get("kind") == "key" and isinstance(facts, dict) and "decrypters" in facts:
        who = facts["decrypters"]
        return who if isinstance(who, list) else None
    return _ABSENT


def has_record(a: Asset, keys: frozenset[str]) -> bool:
    """A sharing record: a tag of ``keys`` with a value, or a catalogue rule's
    (``sharing_record`` set by classification)."""
    cat = a.get("sharing_record")
    if isinstance(cat, dict) and isinstance(cat.get("record"), str) \
            and not means_no_record(cat["record"]):
        return True
    tags = a.get("tags")
    if not isinstance(tags, dict):
        return False
    # A placeholder ("none", "n/a", "pending") is no record (dsscan.levels.means_no_record).
    return any(str(k).lower() in keys and isinstance(v, str) and not means_no_record(v)
               for k, v in tags.items())


def _shown(p: dict[str, Any]) -> dict[str, Any]:
    acct = p.get("account")
    e: dict[str, Any] = {"principal": str(p.get("principal")),
                         "account": acct if isinstance(acct, str) else None,
                         "via": str(p.get("via") or ""), "anyone": p.get("anyone") is True}
    if isinstance(p.get("org"), str):
        e["org"] = p["org"]
    return e


class _Places:
    """The run's institution, organisations and entities, computed once."""

    def __init__(self, assets: list[Asset], config: Config, sources: Iterable[Any],
                 gaps: Iterable[Any]) -> None:
        sources = list(sources)
        self.config = config
        self.ours = institution(assets, config, sources, gaps)
        self.orgs = frozenset(config.institution_organizations)
        self.ous = ous_of_sources(sources)
        self.entities_on = configured(config, self.ous)
        self.entity_names = frozenset(
            {i.entity for i in config.accounts.values() if getattr(i, "entity", None)}
            | set(config.legal_entities.values())
            | {o["entity"].strip() for os_ in self.ous.values() for o in os_
               if isinstance(o.get("entity"), str)})

    def entity(self, account: Any) -> str | None:
        return entity_of(account, self.config, self.ous)

    def place(self, a: Asset, who: list[Any]) -> dict[str, Any]:
        outside: list[dict[str, Any]] = []
        crossing: list[dict[str, Any]] = []
        unknown_out: set[str] = set()
        unknown_entity: set[str] = set()
        own = a.get("account")
        mine = self.entity(own)
        for p in who:
            if not isinstance(p, dict):
                return self._unread()
            e = _shown(p)
            acct, org = e["account"], p.get("org")
            if p.get("anyone") is True:
                outside.append(e)
            elif org is not None:
                if isinstance(org, str) and org in self.orgs:  # every institution account
                    if not self.entities_on:
                        unknown_entity.add(ORG_ENTITIES)
                    elif mine is None:
                        unknown_entity.add(STORE_ENTITY)
                    elif self.entity_names - {mine}:
                        crossing.append(e)
                elif not self.orgs:  # perhaps the institution's: perhaps another entity
                    unknown_out.add(UNKNOWN_ORGS)
                    if self.entities_on:
                        unknown_entity.add(UNKNOWN_ORGS)
                else:
                    outside.append(e)
            elif acct is None:  # an account that cannot be told: outside
                outside.append(e)
            elif acct == own:  # the store's own account: no share
                continue
            elif acct in self.ours:
                theirs = self.entity(acct)
                if not self.entities_on:
                    unknown_entity.add(NO_ENTITIES)
                elif mine is None:
                    unknown_entity.add(STORE_ENTITY)
                elif theirs is None:
                    unknown_entity.add(READER_ENTITY)
                elif theirs != mine:
                    crossing.append({**e, "entity": theirs})
            elif not self.ours:  # perhaps the institution's: perhaps another entity
                unknown_out.add(UNKNOWN_ACCOUNTS)
                if self.entities_on:
                    unknown_entity.add(UNKNOWN_ACCOUNTS)
            else:
                outside.append(e)
        return {
            "readers_outside": None if unknown_out and not outside else outside,
            "readers_other_entity": None if unknown_entity and not crossing else crossing,
            "readers_unknown": sorted(unknown_out | unknown_entity),
            "entity": mine,
        }

    @staticmethod
    def _unread() -> dict[str, Any]:
        return {"readers_outside": None, "readers_other_entity": None, "readers_unknown": [],
                "entity": None}


def attach_share_context(assets: list[Asset], config: Config,
                         sources: Iterable[dict[str, Any]] = (),
                         gaps: Iterable[dict[str, Any]] = ()) -> None:
    """Add the fields of the module docstring to the ``ctx`` of every asset with readers
    (after every asset has its ``ctx``). ``sources``/``gaps``: the inventory's."""
    places: _Places | None = None
    keys = frozenset(k.lower() for k in config.sharing_record_tag_keys)
    for a in assets:
        who = readers_of(a)
        if who is _ABSENT:
            continue
        if places is None:
            places = _Places(assets, config, sources, gaps)
        got = places.place(a, who) if isinstance(who, list) else places._unread()
        if not isinstance(who, list):
            got["entity"] = places.entity(a.get("account"))
        ctx = a.setdefault("ctx", {})
        ctx.update(got)
        ctx["sharing_record"] = has_record(a, keys)
