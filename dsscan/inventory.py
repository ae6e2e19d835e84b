"""The normalized inventory: load, validate, merge and write `dsscan-inventory/1` documents.

Assets stay plain dicts (the JSON Schema in ``dsscan/schemas/inventory-v1.json`` is their type):
building and serializing 100k dataclass instances would cost more than the evaluation itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from dsscan.atomic_write import write_atomic
from dsscan.errors import InputError
from dsscan.gc_pause import gc_paused
from dsscan.masking import mask_text, mask_value
from dsscan.masking import session as masking_session

FORMAT = "dsscan-inventory/1"
SCHEMA_RESOURCE = "inventory-v1.json"

# Keys added by the pipeline that are not part of the stored format.
_RUNTIME_KEYS = ("ctx",)


@cache
def schema() -> dict[str, Any]:
    text = resources.files("dsscan").joinpath("schemas", SCHEMA_RESOURCE).read_text("utf-8")
    return json.loads(text)


@cache
def _validator() -> Any:
    # jsonschema-rs: measured 0.12 s for 100k assets where python-jsonschema took ~21 s.
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema())


@dataclass
class Inventory:
    assets: list[dict[str, Any]]
    gaps: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    generator: dict[str, Any] = field(default_factory=dict)
    generated_at: str | None = None

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"format": FORMAT}
        if self.generated_at:
            doc["generated_at"] = self.generated_at
        if self.generator:
            doc["generator"] = self.generator
        if self.sources:
            doc["sources"] = self.sources
        if self.gaps:
            doc["gaps"] = self.gaps
        doc["assets"] = [
            {k: v for k, v in a.items() if k not in _RUNTIME_KEYS} for a in self.assets
        ]
        return doc


def _json_path(parts: Any) -> str:
    from dsscan.inputs import json_path

    return json_path(parts)


def _first_error(instance: Any) -> Any | None:
    """The first bad path: the parts other than the assets first (a wrong ``gaps`` entry
    before a wrong asset), then the first bad asset in document order. Each step stops at
    its first error: memory stays bounded whatever the number of bad assets."""
    from dsscan.inputs import first_error

    validator = _validator()
    if isinstance(instance, dict) and isinstance(instance.get("assets"), list):
        err = first_error(validator, {**instance, "assets": []})
        if err is not None:
            return err
    return first_error(validator, instance)


def _describe(err: Any) -> str:
    # The validator quotes the offending value, and an inventory can hold evidence: mask it.
    msg = mask_text(err.message)
    return msg if len(msg) <= 160 else msg[:157] + "..."


def parse_inventory(doc: Any, origin: str) -> Inventory:
    """Validate a decoded document; an InputError names the origin and the first bad path."""
    if not isinstance(doc, dict):
        raise InputError(f"{origin}: $: an inventory is a JSON object, got {type(doc).__name__}")
    fmt = doc.get("format")
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith("dsscan-inventory/"):
            raise InputError(f"{origin}: $.format: unsupported inventory format '{fmt}'; "
                             f"this dsscan reads '{FORMAT}'")
        raise InputError(f"{origin}: $.format: not a dsscan inventory (expected format "
                         f"'{FORMAT}'); write one with 'dsscan inventory ...'")
    err = _first_error(doc)
    if err is not None:
        raise InputError(f"{origin}: {_json_path(err.instance_path)}: {_describe(err)}")
    assets = doc["assets"]
    seen: dict[str, int] = {}
    for i, asset in enumerate(assets):
        aid = asset["id"]
        if aid in seen:
            raise InputError(f"{origin}: $.assets[{i}].id: duplicate asset id '{aid}' "
                             f"(first at $.assets[{seen[aid]}])")
        seen[aid] = i
    return Inventory(
        assets=assets,
        gaps=list(doc.get("gaps", [])),
        sources=list(doc.get("sources", [])),
        files=[origin],
        generator=dict(doc.get("generator", {})),
        generated_at=doc.get("generated_at"),
    )


def load_inventory(path: str | Path) -> Inventory:
    """Read and validate an inventory file (dsscan.inputs: a regular file within the size
    limit, strict JSON); any problem is an InputError naming the file."""
    from dsscan.inputs import load_json

    with gc_paused():
        doc = load_json(path, "inventory")
    return parse_inventory(doc, str(path))


def merge(inventories: list[Inventory]) -> Inventory:
    """One inventory from several files; an asset id present in two files is an error."""
    if len(inventories) == 1:
        return inventories[0]
    owner: dict[str, str] = {}
    out = Inventory(assets=[])
    for inv in inventories:
        origin = inv.files[0] if inv.files else "inventory"
        for a in inv.assets:
            if a["id"] in owner:
                raise InputError(f"{origin}: asset id '{a['id']}' is also in {owner[a['id']]}; "
                                 "each asset may appear in one inventory only")
            owner[a["id"]] = origin
        out.assets.extend(inv.assets)
        out.gaps.extend(inv.gaps)
        out.sources.extend(inv.sources)
        out.files.extend(inv.files)
    return out


def dump_inventory(inv: Inventory, path: str | Path | None = None) -> str:
    """The inventory as written out: every string masked, keys included, in one masking
    session (an id masked in one place is masked the same in every other, and no two ids
    share a masked form), so its relations still resolve when it is read back."""
    with masking_session():
        doc = mask_value(inv.to_document())
    text = json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if path is not None:
        write_atomic(path, text)
    return text
