"""Counts in words people read: "1 finding", "2 findings", "1 policy" (never "1 policies")."""

from __future__ import annotations


def plural(noun: str) -> str:
    """The regular English plural of ``noun``: policy -> policies, finding -> findings."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def count(n: int, noun: str, many: str | None = None) -> str:
    """``"N noun"`` with the noun agreeing with N; ``many`` for an irregular plural."""
    return f"{n} {noun if n == 1 else many or plural(noun)}"
