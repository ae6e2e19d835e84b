"""The policy input contract: what every Rego policy sees, as a JSON Schema.

``dsscan/schemas/policy-input-v1.json`` is the source of truth: ``input`` (one chunk of
classified assets, each with the ``ctx`` that dsscan/relations.py attaches) and
``data.dsscan.config`` (``$defs/config``). The asset fields are referenced from the inventory
schema, not copied. Two users:

- ``dsscan policies lint`` (dsscan/lint_fields.py) checks every field path a policy reads
  against it, so a typo is a lint error instead of a silently undefined rule (a pass);
- tests, and scans run with ``DSSCAN_CHECK_POLICY_INPUT=1``, validate what Python actually
  hands to the engine, so the schema and the code cannot drift apart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "policy-input-v1.json"
SCHEMA_URI = "https://dsscan.dev/schemas/" + SCHEMA_RESOURCE
# Set (to anything but "" or "0") to validate every chunk handed to the engine: for tests and
# debugging; it costs about as much as the evaluation of a small library.
CHECK_ENV = "DSSCAN_CHECK_POLICY_INPUT"


@cache
def schema_documents() -> dict[str, dict[str, Any]]:
    """Every schema shipped in dsscan/schemas, by its ``$id`` (``$ref`` targets)."""
    out: dict[str, dict[str, Any]] = {}
    for entry in resources.files("dsscan").joinpath("schemas").iterdir():
        if entry.name.endswith(".json"):
            doc = json.loads(entry.read_text("utf-8"))
            if isinstance(doc, dict) and isinstance(doc.get("$id"), str):
                out[doc["$id"]] = doc
    return out


def schema() -> dict[str, Any]:
    return schema_documents()[SCHEMA_URI]


@cache
def _validator(pointer: str) -> Any:
    import jsonschema_rs

    registry = jsonschema_rs.Registry(list(schema_documents().items()))
    return jsonschema_rs.validator_for({"$ref": SCHEMA_URI + pointer}, registry=registry)


def check_enabled() -> bool:
    return os.environ.get(CHECK_ENV, "") not in ("", "0")


def input_errors(doc: Any, limit: int = 20) -> list[str]:
    """Where ``doc`` (an ``input`` document) breaks the schema: ``$.assets[3].ctx.rank: ...``."""
    return _errors(_validator(""), doc, limit)


def config_errors(config_data: Any, limit: int = 20) -> list[str]:
    """Where ``config_data`` (``data.dsscan.config``) breaks ``$defs/config``."""
    return _errors(_validator("#/$defs/config"), config_data, limit)


def _errors(validator: Any, doc: Any, limit: int) -> list[str]:
    from dsscan.inputs import json_path

    if validator.is_valid(doc):
        return []
    out = []
    for e in validator.iter_errors(doc):
        out.append(f"{json_path(e.instance_path)}: {e.message[:200]}")
        if len(out) >= limit:
            break
    return out


def check_chunks(chunks: Iterable[str], config_data: dict[str, Any]) -> None:
    """Raise PolicyError naming the first places where the engine's input breaks the contract
    (an internal error: Python attached a fact the schema does not describe)."""
    import orjson

    from dsscan.errors import PolicyError

    problems = config_errors(config_data, limit=3)
    for doc in chunks:
        if problems:
            break
        problems = input_errors(orjson.loads(doc), limit=3)
    if problems:
        raise PolicyError("policy input does not match dsscan/schemas/" + SCHEMA_RESOURCE
                          + ": " + "; ".join(problems))


def check_assets(assets: Sequence[dict[str, Any]], config_data: dict[str, Any],
                 chunk_size: int = 50) -> None:
    """check_chunks over the chunks dsscan.engines.local builds from ``assets``."""
    from dsscan.engines.local import chunk_inputs

    check_chunks(chunk_inputs(assets, chunk_size), config_data)
