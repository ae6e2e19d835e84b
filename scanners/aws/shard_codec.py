"""What one shard of a cluster sweep read, as JSON: the assets, gaps and notes a shard's Sink
holds, the calls it made, and the regions an account shard found.

JSON, not pickle, both on the wire back from a Dask worker and in the history store's sweep
journal (``--resume``): a journal another process can write must never run code when read.
The notes collectors leave for the link pass are dataclasses with tuples in them; they are
written with their class name and rebuilt only for the classes named in :data:`NOTE_TYPES`.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dsscan.scanners.aws.backup import PlanCoverage
from dsscan.scanners.aws.base import Sink
from dsscan.scanners.aws.dms import DmsTasks, Task
from dsscan.scanners.aws.ram import Shares
from dsscan.scanners.aws.restores import RestoreTest
from dsscan.scanners.aws.selections import Selection

NOTE_TYPES: dict[str, type] = {t.__name__: t for t in (
    PlanCoverage, Selection, RestoreTest, Shares, DmsTasks, Task)}


@dataclass
class ShardResult:
    """A shard's partial inventory. ``regions``: an account shard's regions to read (None:
    the account could not be entered, or it is not an account shard)."""

    sink: Sink = field(default_factory=Sink)
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    call_details: list[dict[str, Any]] = field(default_factory=list)
    regions: list[str] | None = None
    # A sampling shard: the asset it sampled, as the worker left it.
    asset: dict[str, Any] | None = None
    # An Athena shard: (workgroup, bucket, prefix) of each output location found.
    athena: list[tuple[str, str, str]] | None = None


def _enc(v: Any) -> Any:
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        name = type(v).__name__
        if NOTE_TYPES.get(name) is not type(v):
            raise TypeError(f"shard note of an unregistered type: {name}")
        return {"$dc": name, "f": {f.name: _enc(getattr(v, f.name))
                                   for f in dataclasses.fields(v)}}
    if isinstance(v, tuple):
        return {"$t": [_enc(x) for x in v]}
    if isinstance(v, list):
        return [_enc(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in v):
            return {k: _enc(x) for k, x in v.items()}
        return {"$m": [[_enc(k), _enc(x)] for k, x in v.items()]}
    return v


def _dec(v: Any) -> Any:
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if not isinstance(v, dict):
        return v
    if "$dc" in v:
        cls = NOTE_TYPES.get(v["$dc"])
        if cls is None:
            raise ValueError(f"shard note of an unknown type: {str(v['$dc'])[:40]}")
        return cls(**{k: _dec(x) for k, x in v["f"].items()})
    if "$t" in v:
        return tuple(_dec(x) for x in v["$t"])
    if "$m" in v:
        return {_dec(k): _dec(x) for k, x in v["$m"]}
    return {k: _dec(x) for k, x in v.items()}


def document(r: ShardResult) -> dict[str, Any]:
    s = r.sink
    return {
        "assets": s.assets, "gaps": s.gaps,
        "scanned": sorted([a, b] for a, b in s.scanned),
        "skipped": [[a, b, dict(c)] for (a, b), c in sorted(s.skipped.items())],
        "skip_reasons": [[*k, why] for k, why in sorted(s.skip_reasons.items())],
        "notes": {topic: _enc(values) for topic, values in sorted(s.notes.items())},
        "calls": [[svc, op, n] for (svc, op), n in sorted(r.calls.items())],
        "call_details": r.call_details, "regions": r.regions, "asset": r.asset,
        "athena": None if r.athena is None else [list(x) for x in r.athena],
    }


def encode(r: ShardResult) -> bytes:
    """The result as compressed JSON (a shard of a large account is megabytes of JSON)."""
    return zlib.compress(json.dumps(document(r), separators=(",", ":"),
                                    ensure_ascii=False).encode(), 3)


def _strs(v: Any, n: int | None = None) -> bool:
    return isinstance(v, list) and (n is None or len(v) == n) and \
        all(isinstance(x, str) for x in v)


def _records(v: Any, *keys: str) -> bool:
    return isinstance(v, list) and all(
        isinstance(x, dict) and all(isinstance(x.get(k), str) for k in keys) for x in v)


def _shaped(d: Any) -> bool:
    """Whether a decoded document has the shape :func:`document` gives: a journal row is
    read back from a store another process can write (corrupt, or forged into another
    shape), and what is merged from it must never crash the sweep or read what it never
    named (a string of regions is not a list of them)."""
    return (isinstance(d, dict)
            and _records(d["assets"], "id", "kind") and _records(d["gaps"], "scope", "reason")
            and all(_strs(x, 2) for x in d["scanned"])
            and all(isinstance(x, list) and len(x) == 3 and _strs(x[:2])
                    and isinstance(x[2], dict)
                    and all(type(n) is int for n in x[2].values()) for x in d["skipped"])
            and all(_strs(x, 4) for x in d["skip_reasons"])
            and isinstance(d["notes"], dict)
            and all(isinstance(v, list) for v in d["notes"].values())
            and all(isinstance(x, list) and len(x) == 3 and _strs(x[:2]) and type(x[2]) is int
                    for x in d["calls"])
            and _records(d["call_details"])
            and (d["regions"] is None or _strs(d["regions"]))
            and (d["asset"] is None or _records([d["asset"]], "id"))
            and (d["athena"] is None or all(_strs(x, 3) for x in d["athena"])))


def decode(blob: bytes) -> ShardResult:
    """The result :func:`encode` wrote. Raises ValueError on anything else."""
    try:
        d = json.loads(zlib.decompress(blob))
        if not _shaped(d):
            raise ValueError("not a shard result's shape")
        sink = Sink(assets=d["assets"], gaps=d["gaps"],
                    scanned={(a, b) for a, b in d["scanned"]},
                    skipped={(a, b): Counter(c) for a, b, c in d["skipped"]},
                    skip_reasons={(a, b, t): why for a, b, t, why in d["skip_reasons"]},
                    notes={topic: _dec(v) for topic, v in d["notes"].items()})
        return ShardResult(
            sink=sink, calls=Counter({(svc, op): n for svc, op, n in d["calls"]}),
            call_details=d["call_details"], regions=d["regions"], asset=d["asset"],
            athena=None if d["athena"] is None else [tuple(x) for x in d["athena"]])
    except (zlib.error, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"a shard result that does not decode ({type(e).__name__})") from None
