"""A finding's message (or a not-assessed reason) from what a policy returned.

A policy may return its sentence ready made (``"message": "bucket x is ..."``) or as a
template with named values, which dsscan fills here, once per finding::

    "message": {"template": "{asset} holds {level} data but {why}.", "why": "..."}

Why: ``sprintf`` and the helpers that name an asset and its level were a third of what the
engine spent per finding (issue 14's benchmark: 100-190 k instructions a message, for a
sentence no other rule reads). Building it here costs a few microseconds and only for the
items that are reported.

``{asset}`` (the asset's name, else its id) and ``{level}`` (its level as a report says
it: "core", or "unclassified (protected as sensitive)") are filled from the finding's
asset unless the policy gives them. A value is written as text: a list as its items joined
by ", ", a whole number without ".0", null as "unknown", a template object as its text (a
fragment that is there or not: the policy gives "" when it is not). A placeholder with no
value stays as written, so a mistake in a user policy shows in its message instead of
failing the run.
"""

from __future__ import annotations

import re
from typing import Any

from dsscan.levels import RANK, UNCLASSIFIED

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# The key of a template object holding the sentence; its other keys are the values.
TEMPLATE = "template"


def is_template(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get(TEMPLATE), str)


def display_name(asset: dict[str, Any]) -> str:
    """The asset's name, else its id (policies/lib: display_name)."""
    name = asset.get("name")
    return name if isinstance(name, str) and name else str(asset.get("id", ""))


def level_label(asset: dict[str, Any], unclassified_protection: str) -> str:
    """How a level reads in a message (policies/lib: level_label)."""
    ctx = asset.get("ctx") or {}
    level = ctx.get("level")
    if not isinstance(level, str) or level not in RANK:
        level = (asset.get("level") or {}).get("value")
        if not isinstance(level, str) or level not in RANK:
            level = UNCLASSIFIED
    if level != UNCLASSIFIED:
        return level
    protect = ctx.get("protect_level")
    if not isinstance(protect, str) or protect not in RANK:
        protect = unclassified_protection
    return f"unclassified (protected as {protect})"


def _text(value: Any, asset: dict[str, Any], unclassified_protection: str) -> str:
    if isinstance(value, str):
        return value
    if is_template(value):  # a fragment, e.g. a note that is there or not ("")
        return render(value, asset, unclassified_protection, "")
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(_text(v, asset, unclassified_protection) for v in value)
    return str(value)


def render(value: Any, asset: dict[str, Any] | None, unclassified_protection: str,
           default: str) -> str:
    """The text of a message or reason: ``value`` as the policy returned it."""
    if isinstance(value, str):
        return value
    if not is_template(value):
        return default
    asset = asset or {}
    values: dict[str, Any] = value

    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in values and key != TEMPLATE:
            return _text(values[key], asset, unclassified_protection)
        if key == "asset" and asset:
            return display_name(asset)
        if key == "level" and asset:
            return level_label(asset, unclassified_protection)
        return m.group(0)

    return _PLACEHOLDER.sub(fill, values[TEMPLATE])
