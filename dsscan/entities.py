"""The institution's legal entities (parent bank, insurance or wealth subsidiaries): which
entity each AWS account belongs to, for DS-SHR-002 (Art. 29 "firewall", Art. 34 review).

An account's entity comes from, in order ([ENTITY-OF]):

1. the ``accounts`` setting: ``accounts: {"111122223333": {entity: "Bank"}}``;
2. the ``legal_entities`` setting, which maps AWS Organizations OU ids (``ou-...``) or OU
   names to an entity, applied to the OUs a live ``--organization`` sweep read for the account
   (``organizational_units`` of its ``aws`` sources: the account's parent OU first, then its
   ancestors; the nearest OU that the setting names wins). An OU id is matched before a name.

Neither: ``None`` (the entity is not known). What an unknown entity means is the relation
stage's business (dsscan/sharerel.py): never "the same entity".

``configured(config, ous)`` says whether any entity is declared at all: with none, the
institution is one legal entity and nothing crosses between entities (said in the assessed
reason of DS-SHR-002, docs/config.md#legal-entities).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dsscan.config import Config
from dsscan.errors import InputError

__all__ = ["configured", "entity_of", "ous_of_sources", "parse_legal_entities"]


def parse_legal_entities(value: Mapping[Any, Any], origin: str) -> dict[str, str]:
    """The setting: OU id or name -> entity name (both non-empty strings)."""
    out: dict[str, str] = {}
    for i, (ou, entity) in enumerate(value.items()):
        if not isinstance(ou, str) or not ou.strip():
            raise InputError(f"{origin}: legal_entities: entry {i + 1}: the key must be an "
                             "AWS Organizations OU id or name")
        if not isinstance(entity, str) or not entity.strip():
            raise InputError(f"{origin}: legal_entities.{ou.strip()} must be the name of a "
                             "legal entity (a non-empty string)")
        out[ou.strip()] = entity.strip()
    return out


def ous_of_sources(sources: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """account -> the OUs a live sweep read for it (nearest first): ``{"id", "name"}`` each."""
    out: dict[str, list[dict[str, Any]]] = {}
    for s in sources:
        if not isinstance(s, dict) or s.get("type") != "aws":
            continue
        acct, ous = s.get("account"), s.get("organizational_units")
        if isinstance(acct, str) and isinstance(ous, list) and acct not in out:
            out[acct] = [o for o in ous if isinstance(o, dict)]
    return out


def entity_of(account: str | None, config: Config,
              ous: Mapping[str, list[dict[str, Any]]] | None = None) -> str | None:
    """The legal entity of ``account`` ([ENTITY-OF]); None when not known."""
    if not isinstance(account, str):
        return None
    info = config.accounts.get(account)
    if info is not None and getattr(info, "entity", None):
        return info.entity
    if config.legal_entities and ous:
        for ou in ous.get(account, ()):
            for k in (ou.get("id"), ou.get("name")):
                if isinstance(k, str) and k in config.legal_entities:
                    return config.legal_entities[k]
    return None


def configured(config: Config) -> bool:
    """Whether the settings declare any legal entity (accounts map or legal_entities)."""
    return bool(config.legal_entities) or any(
        getattr(i, "entity", None) for i in config.accounts.values())
