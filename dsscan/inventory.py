"""The normalized inventory: load, validate, merge and write `dsscan-inventory/1` documents.

Assets stay plain dicts (the JSON Schema in ``dsscan/schemas/inventory-v1.json`` is their type):
building and serializing 100k dataclass instances would cost more than the evaluation itself.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from dsscan.errors import InputError
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


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building large acyclic structures (JSON documents, levels,
    ctx, results), then freeze what exists: collector passes over millions of fresh objects
    doubled the load time of 100k assets.

    Pausing alone only defers that cost: what was built during the pause all sits in the
    youngest generation, so the next collections walk every object of it (measured: 0.4 s
    after loading 100k assets, 2 s during their evaluation). ``gc.freeze()`` takes the
    objects out of the collector's sight instead. They are still freed as usual when their
    last reference goes; only a reference cycle among them would never be collected.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    built = False
    try:
        yield
        built = True
    finally:
        if was_enabled:  # the outermost pause decides
            if built:
                gc.freeze()
            gc.enable()


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


_WRITE_SLICE = 1 << 20  # characters


def write_json_atomic(path: str | Path, text: str) -> None:
    """Write text via a temporary file and rename: a failed run never leaves a half-written
    file. (Reports, inventories, baselines: JSON or not, the name stayed.)"""
    write_atomic(path, text)


def write_atomic(path: str | Path, data: str | bytes, *, mode: int | None = None,
                 what: str = "") -> None:
    """Write ``data`` via a temporary file and rename; ``mode``: the file's permissions
    (default: mkstemp's 0600, right for reports that describe an estate).

    A path that exists and is not a regular file (/dev/null, /dev/stdout, a FIFO) is written
    in place: renaming over it would replace the device itself. Errors are one line naming
    the path (``what``: "bundle" gives "cannot write bundle")."""
    from dsscan.inputs import refuse_in_use

    p = Path(path)
    binary = isinstance(data, bytes)
    cannot = f"cannot write{' ' + what if what else ''}"
    refuse_in_use(p)  # never over an input, the store, the baseline or the config in use
    try:
        is_dir, in_place = p.is_dir(), p.exists() and not p.is_file()
    except OSError as e:  # a name too long, a loop of links: before anything is written
        raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
    if is_dir:
        raise InputError(f"{p}: is a directory, not a file to write")
    if in_place:
        try:
            with p.open("wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
                _write_slices(fh, data)
        except OSError as e:
            raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
        return
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    except OSError as e:
        raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            _write_slices(fh, data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise InputError(f"{p}: {cannot} ({e.strerror or e})") from None
        raise


def _write_slices(fh: Any, data: str | bytes) -> None:
    # In slices: encoding a 100 MB report at once takes a fresh 100 MB buffer, whose page
    # faults alone cost more than the write; the slices reuse their memory.
    for start in range(0, len(data), _WRITE_SLICE):
        fh.write(data[start:start + _WRITE_SLICE])


def dump_inventory(inv: Inventory, path: str | Path | None = None) -> str:
    """The inventory as written out: every string masked, keys included, in one masking
    session (an id masked in one place is masked the same in every other, and no two ids
    share a masked form), so its relations still resolve when it is read back."""
    with masking_session():
        doc = mask_value(inv.to_document())
    text = json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if path is not None:
        write_json_atomic(path, text)
    return text
