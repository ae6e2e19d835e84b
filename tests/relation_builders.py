"""Builders of small classified estates for the relation tests (dsscan/relations.py): assets
with their level and environment filled by hand (classify runs elsewhere), network domains,
security groups, databases, and running the relation stage over them."""

from __future__ import annotations

from typing import Any

from dsscan.config import Config
from dsscan.relations import attach_context, domain_membership


def asset(aid: str, kind: str, level: str = "general", env: str = "production",
          **fields: Any) -> dict[str, Any]:
    """A classified asset (level/environment filled by hand: classify runs elsewhere)."""
    return {"id": aid, "kind": kind, "name": fields.pop("name", aid),
            "level": {"value": level, "provenance": []},
            "environment": {"value": env, "provenance": []}, **fields}


def domain(aid: str, level: str = "general", env: str = "production", name: str | None = None,
           **net: Any) -> dict[str, Any]:
    return asset(aid, "network_domain", level, env, name=name or aid, network=net)


def sg(aid: str, *rules: dict[str, Any], vpc: str | None = None) -> dict[str, Any]:
    return asset(aid, "security_group", network={"vpc_id": vpc, "ingress": list(rules)})


def db(aid: str, vpc: str, sgs: list[str], level: str = "core", **net: Any) -> dict[str, Any]:
    return asset(aid, "database", level, network={"vpc_id": vpc, "security_groups": sgs, **net})


def run(assets: list[dict[str, Any]], config: Config | None = None) -> dict[str, dict]:
    attach_context(assets, config or Config(), domain_membership(assets))
    return {a["id"]: a for a in assets}


def domain_of(by: dict[str, dict], aid: str) -> dict[str, Any]:
    """The full context of the domain asset ``aid`` sits in (members carry a brief copy)."""
    return by[by[aid]["ctx"]["domain"]["id"]]["ctx"]["domain"]
