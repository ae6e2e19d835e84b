"""Migration 4's one-time fill: the account and region of not-assessed scopes stored before
the scanners recorded them as fields (schema versions 1-3 kept only the scope sentence).

Used by that migration only, never when a diff is computed: from version 4 on, which findings a
scope may hold is decided by its ``account``/``region`` columns (dsscan.store.gaps).

Only the sentences dsscan itself wrote before version 4 are read, each anchored whole, with
its place where dsscan put it ("… in ACCOUNT/REGION", "… in ACCOUNT", "account ACCOUNT", …).
Anything else (a Terraform plan's path or a resource address, an organization's account list
"listed from" one account, a hand-written inventory's free text) keeps NULL: it may hold any
finding. Reading more into an old sentence could only narrow a scope wrongly (a plan under
``plans/111111111111/cn-north-1/`` reaches every account its providers do), and a scope
taken too wide only lists a finding as "not assessed in B" rather than "fixed" — fail closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

_ACCOUNT = r"(?P<account>[0-9]{12})"
_REGION = r"(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+)"

# The scope sentences of dsscan <= schema version 3 that name their own place, anchored.
_WRITTEN = tuple(re.compile(p, re.DOTALL) for p in (
    rf"^.+ in {_ACCOUNT}/{_REGION}$",  # "rds in A/R", "recovery points of vault V in A/R", …
    rf"^.+ in {_ACCOUNT}$",  # "s3 in A", "s3 bucket B in A"
    rf"^s3 bucket .+ in {_ACCOUNT} \(region .+\)$",
    rf"^account {_ACCOUNT}$",
    rf"^region list of account {_ACCOUNT} \(only .+ was scanned\)$",
    rf"^region .+ of account {_ACCOUNT}$",
    rf"^s3 account public access block of {_ACCOUNT}$",
))
_ANYWHERE = re.compile(r"^(?:accounts of the organization |Terraform plan )")

# execute(sql with ? placeholders, params) -> the rows it returned ([] for no result set)
Execute = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


def legacy_place(scope: str | None) -> tuple[str | None, str | None]:
    """(account, region) an old scope sentence names as its place; None where it names none
    (may be anywhere / every region)."""
    text = scope or ""
    if _ANYWHERE.match(text):
        return None, None
    for pattern in _WRITTEN:
        m = pattern.match(text)
        if m:
            return m.group("account"), m.groupdict().get("region")
    return None, None


def fill(execute: Execute) -> None:
    """Set account and region of the stored scope rows from their text, once (in migration
    4's transaction). One UPDATE through a keyed temporary table: a store of many runs
    repeats the same few scopes."""
    scopes = execute("SELECT DISTINCT scope FROM not_assessed "
                     "WHERE asset_id IS NULL AND scope IS NOT NULL", ())
    places = [(s, *legacy_place(s)) for (s,) in scopes]
    places = [p for p in places if p[1] is not None]
    if not places:
        return
    execute("CREATE TEMPORARY TABLE legacy_scope_place "
            "(scope TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT)", ())
    for row in places:
        execute("INSERT INTO legacy_scope_place (scope, account, region) VALUES (?, ?, ?)", row)
    execute("UPDATE not_assessed SET "
            "account = (SELECT p.account FROM legacy_scope_place p "
            "WHERE p.scope = not_assessed.scope), "
            "region = (SELECT p.region FROM legacy_scope_place p "
            "WHERE p.scope = not_assessed.scope) "
            "WHERE asset_id IS NULL AND scope IN (SELECT scope FROM legacy_scope_place)", ())
    execute("DROP TABLE legacy_scope_place", ())
