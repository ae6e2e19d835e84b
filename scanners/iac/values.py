"""Reading planned values: dotted paths through nested blocks (lists of one in Terraform,
objects in Pulumi, which also names repeated blocks in the plural), and loose scalars."""

from __future__ import annotations

import json
from typing import Any

from dsscan.scanners.iac.resources import Unknown, is_unknown


def step(value: Any, seg: str) -> Any:
    """One path segment; blocks are lists of one (Terraform) or objects (Pulumi), and Pulumi
    names repeated blocks in the plural."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return Unknown(value.why) if is_unknown(value) else None
    for k in (seg, seg + "s", seg.removesuffix("s")):
        if k in value:
            return value[k]
    return None


def get(values: Any, path: str) -> Any:
    """The value at a dotted path (None: not set; Unknown: not known before apply)."""
    v = values
    for seg in path.split("."):
        v = step(v, seg)
        if v is None or is_unknown(v):
            return v
    return v


def blocks(values: Any, path: str) -> list[dict[str, Any]]:
    """Every block at ``path`` (a repeated block: list of objects, or one object)."""
    v = values
    segs = path.split(".")
    for seg in segs[:-1]:
        v = step(v, seg)
    v = step(v, segs[-1]) if isinstance(v, dict | list) else None
    if isinstance(v, dict):
        return [v]
    return [b for b in v if isinstance(b, dict)] if isinstance(v, list) else []


def as_bool(v: Any) -> bool | Unknown | None:
    if is_unknown(v) or v is None or isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return None


def as_str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def as_int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v)
    return None


def as_json(v: Any) -> Any:
    if isinstance(v, dict):
        return v
    if isinstance(v, str) and v.strip():
        try:
            return json.loads(v)
        except ValueError:
            return None
    return None
