"""A program's capture written in Pulumi's documented formats: ``pulumi stack export`` and
``pulumi preview --json`` as the CLI writes them (recorded fixtures, and what the program
reader reads back), byte-for-byte reproducible.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import uuid
from pathlib import Path
from typing import Any

from dsscan.scanners.pulumi_project import run_program
from dsscan.scanners.pulumi_wire import (
    DEPLOYMENT_VERSION,
    NOT_ENCRYPTED,
    PROVIDER_PREFIX,
    RECORD_TIME,
    ROOT_STACK,
    SECRET_SIG,
    SIG,
    UNKNOWN,
    _dict,
    _provider_urn,
    _urn_name,
)


def _wire_out(value: Any, preview: bool) -> Any:
    """A captured wire value -> how the CLI writes it: secrets as ``[secret]`` in a preview and
    as a ciphertext object in an export (we have no key: the marker says so)."""
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return "[secret]" if preview else {SIG: SECRET_SIG, "ciphertext": NOT_ENCRYPTED}
        return {k: _wire_out(v, preview) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire_out(v, preview) for v in value]
    return value


def _sorted(value: Any) -> Any:
    """Map keys in order, as Go's encoding/json writes the engine's property maps."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _source_position(rec: dict[str, Any], directory: str) -> str | None:
    src = _dict(rec.get("source"))
    uri, line = src.get("uri"), src.get("line")
    if not isinstance(uri, str) or not uri.startswith("file://"):
        return None
    path = Path(uri[len("file://"):])
    try:
        uri = "project:///" + path.resolve().relative_to(Path(directory).resolve()).as_posix()
    except ValueError:
        return None  # inside the SDK or a library: the engine would not point there either
    return f"{uri}#{line}" if line else uri


def _ordered(capture: dict[str, Any]) -> list[dict[str, Any]]:
    """Registrations in a deterministic topological order (parents, providers and
    dependencies first; ties by source position, then URN): the SDK registers from threads,
    so arrival order varies between runs."""
    recs = {r["urn"]: r for r in capture["resources"]}

    def key(r: dict[str, Any]) -> tuple[int, str, int, str]:
        src = _dict(r.get("source"))
        return (0 if r["type"] == ROOT_STACK else 1, str(src.get("uri") or ""),
                int(src.get("line") or 0), r["urn"])

    before: dict[str, set[str]] = {u: set() for u in recs}
    for u, r in recs.items():
        for dep in [r.get("parent"), _provider_urn(r.get("provider")), *r["dependencies"]]:
            if dep in recs and dep != u:
                before[u].add(dep)
    after: dict[str, list[str]] = {u: [] for u in recs}
    for u, deps in before.items():
        for d in deps:
            after[d].append(u)
    ready = [(key(recs[u]), u) for u, deps in before.items() if not deps]
    heapq.heapify(ready)
    out: list[dict[str, Any]] = []
    while ready:
        _, u = heapq.heappop(ready)
        out.append(recs[u])
        for v in after[u]:
            before[v].discard(u)
            if not before[v]:
                heapq.heappush(ready, (key(recs[v]), v))
    if len(out) < len(recs):  # a cycle cannot come from the SDK; keep everything anyway
        out += sorted((r for u, r in recs.items() if r not in out), key=key)
    return out


def _states(capture: dict[str, Any], preview: bool) -> list[dict[str, Any]]:
    """The capture as ResourceV3 states, with the default providers the engine would add."""
    stack, project = capture["stack"], capture["project"]
    config: dict[str, str] = capture.get("config") or {}
    states: list[dict[str, Any]] = []
    default_refs: dict[str, str] = {}

    def default_provider(pkg: str, version: str | None) -> str:
        name = "default" + (f"_{version.replace('.', '_')}" if version else "")
        urn = f"urn:pulumi:{stack}::{project}::{PROVIDER_PREFIX}{pkg}::{name}"
        if urn not in default_refs:
            # The engine configures a default provider from the stack's "<pkg>:*" config.
            secret = set(capture.get("secret_keys") or ())
            inputs = {k.split(":", 1)[1]: ({SIG: SECRET_SIG, "value": v} if k in secret else v)
                      for k, v in sorted(config.items()) if k.startswith(pkg + ":")}
            if version:
                inputs["version"] = version
            inputs = _wire_out(inputs, preview)
            state: dict[str, Any] = {"urn": urn, "custom": True, "type": PROVIDER_PREFIX + pkg}
            if preview:
                default_refs[urn] = f"{urn}::{UNKNOWN}"
                state["inputs"] = inputs
            else:
                pid = str(uuid.uuid5(uuid.NAMESPACE_URL, urn))
                default_refs[urn] = f"{urn}::{pid}"
                state.update(id=pid, inputs=inputs, outputs=inputs)
            states.append(state)
        return default_refs[urn]

    for rec in _ordered(capture):
        typ, custom = rec["type"], rec["custom"]
        state = {"urn": rec["urn"], "custom": custom, "type": typ}
        if rec.get("id") and ((custom and not preview) or rec.get("external")):
            state["id"] = rec["id"]  # a preview knows the id of a read resource only
        if typ != ROOT_STACK:
            inputs = _wire_out(rec["inputs"], preview)
            if custom and not typ.startswith(PROVIDER_PREFIX):
                inputs = {"__defaults": [], **inputs}  # the bridged provider's Check adds it
            if inputs:
                state["inputs"] = _sorted(inputs)
            if not preview and (custom or rec.get("outputs")):
                state["outputs"] = _sorted(_wire_out(rec.get("outputs") or {}, preview))
        elif not preview and capture.get("outputs"):
            state["outputs"] = _sorted(_wire_out(capture["outputs"], preview))
        if rec.get("parent"):
            state["parent"] = rec["parent"]
        if rec.get("external"):
            state["external"] = True
        if rec.get("import_id"):
            state["importID"] = rec["import_id"]
        if rec["dependencies"]:
            # The SDK collects them in sets: sorted, so that recordings are reproducible.
            state["dependencies"] = sorted(rec["dependencies"])
        if custom and not typ.startswith(PROVIDER_PREFIX):
            ref = rec.get("provider") or default_provider(typ.split(":", 1)[0],
                                                          rec.get("version"))
            state["provider"] = ref
        if rec["propertyDependencies"]:
            # Go writes an empty dependency list as null (see the Pulumi Cloud export sample).
            state["propertyDependencies"] = {k: (sorted(v) or None) for k, v in
                                             sorted(rec["propertyDependencies"].items())}
        if not preview:
            state["created"] = state["modified"] = RECORD_TIME
        pos = _source_position(rec, capture["directory"])
        if pos:
            state["sourcePosition"] = pos
        states.append(state)
    # The engine registers a default provider before its first user: move each one there.
    first_user: dict[str, int] = {}
    for i, s in enumerate(states):
        purn = _provider_urn(s.get("provider"))
        if purn in default_refs and purn not in first_user:
            first_user[purn] = i
    providers = {s["urn"]: s for s in states if s["urn"] in default_refs}
    rest = [s for s in states if s["urn"] not in default_refs]
    out: list[dict[str, Any]] = []
    for s in rest:
        purn = _provider_urn(s.get("provider"))
        if purn in providers:
            out.append(providers.pop(purn))
        out.append(s)
    return out + list(providers.values())


def capture_to_export(capture: dict[str, Any]) -> dict[str, Any]:
    """The capture as ``pulumi stack export`` would print it after a first ``pulumi up``."""
    version = "v" + _sdk_version(capture)
    return {
        "version": DEPLOYMENT_VERSION,
        "deployment": {
            "manifest": {"time": RECORD_TIME,
                         "magic": hashlib.sha256(version.encode()).hexdigest(),
                         "version": version},
            "resources": _states(capture, preview=False),
        },
    }


def capture_to_preview(capture: dict[str, Any]) -> dict[str, Any]:
    """The capture (of a ``--preview`` run) as ``pulumi preview --json`` prints it for a first
    deployment: every resource a ``create`` step, computed values unknown."""
    secret = set(capture.get("secret_keys") or ())
    steps = []
    for state in _states(capture, preview=True):
        step: dict[str, Any] = {"op": "read" if state.get("external") else "create",
                                "urn": state["urn"]}
        if state.get("provider"):
            step["provider"] = state["provider"]
        step["newState"] = state
        step["detailedDiff"] = None
        steps.append(step)
    # The summary leaves out the default providers the engine adds on its own.
    counted = sum(1 for s in steps if not (s["newState"]["type"].startswith(PROVIDER_PREFIX)
                                           and _urn_name(s["urn"]).startswith("default")))
    return {
        "config": {k: ("[secret]" if k in secret else v)
                   for k, v in sorted((capture.get("config") or {}).items())},
        "steps": steps,
        "changeSummary": {"create": counted},
    }


def _sdk_version(capture: dict[str, Any]) -> str:
    return str(capture.get("sdk_version") or "3")


def record(directory: str | Path, *, stack: str | None = None, export: str | None = None,
           preview: str | None = None, timeout: float = 120.0) -> None:
    """Write the program's recorded ``pulumi stack export`` and/or ``pulumi preview --json``."""
    from dsscan.atomic_write import write_atomic

    # Private (0600): resource inputs and provider config are written as the program gave
    # them (a database password not marked secret included).
    if export:
        doc = capture_to_export(run_program(directory, stack=stack, timeout=timeout))
        write_atomic(export, json.dumps(doc, indent=4) + "\n", private=True)
    if preview:
        doc = capture_to_preview(run_program(directory, stack=stack, preview=True,
                                             timeout=timeout))
        write_atomic(preview, json.dumps(doc, indent=4) + "\n", private=True)
