"""The institution's legal entities (parent bank, insurance or wealth subsidiaries): which
entity each AWS account belongs to, for DS-SHR-002 (Art. 29 "firewall", Art. 34 review).

An account's entity comes from, in order ([ENTITY-OF]):

1. the ``accounts`` setting: ``accounts: {"111122223333": {entity: "Bank"}}``;
2. the ``entity`` of the account in the ``--accounts-file`` of a live sweep (kept on the
   account's ``aws`` sources as ``entity``);
3. the ``legal_entities`` setting, which maps AWS Organizations OU ids (``ou-...``) or OU
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
    """account -> the OUs a live sweep read for it (nearest first): ``{"id", "name"}`` each;
    an accounts file's entity comes first, as ``{"entity": ...}``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for s in sources:
        if not isinstance(s, dict) or s.get("type") != "aws":
            continue
        acct, ous, entity = s.get("account"), s.get("organizational_units"), s.get("entity")
        if not isinstance(acct, str) or acct in out:
            continue
        declared = [{"entity": entity}] if isinstance(entity, str) and entity.strip() else []
        if isinstance(ous, list) or declared:
            out[acct] = declared + [o for o in ous or [] if isinstance(o, dict)]
    return out


def entity_of(account: str | None, config: Config,
              ous: Mapping[str, list[dict[str, Any]]] | None = None) -> str | None:
    """The legal entity of ``account`` ([ENTITY-OF]); None when not known."""
    if not isinstance(account, str):
        return None
    info = config.accounts.get(account)
    if info is not None and getattr(info, "entity", None):
        return info.entity
    for ou in (ous or {}).get(account, ()):
        if isinstance(ou.get("entity"), str):  # the accounts file's
            return ou["entity"].strip()
        if config.legal_entities:
            for k in (ou.get("id"), ou.get("name")):
                if isinstance(k, str) and k in config.legal_entities:
                    return config.legal_entities[k]
    return None


def configured(config: Config, ous: Mapping[str, list[dict[str, Any]]] | None = None) -> bool:
    """Whether any legal entity is declared: the accounts map, legal_entities, or an
    accounts file's entity (``ous``: :func:`ous_of_sources`)."""
    return bool(config.legal_entities) or any(
        getattr(i, "entity", None) for i in config.accounts.values()) or any(
        "entity" in o for os_ in (ous or {}).values() for o in os_)
