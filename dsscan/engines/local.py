"""Evaluate the policy library over assets: chunks in, deny / not_assessed items out.

Shape that scales (docs/architecture.md §4): the library is loaded once per engine; each chunk
of assets is handed over as one JSON string and ONE rule — generated here, gathering the
``deny``, ``not_assessed`` and ``assessed`` of the policies the chunk's kinds need
(dsscan/engines/scope.py) — is evaluated, so cost grows linearly with assets.
Large inventories are spread over a small process pool, one engine per worker; results are
deduplicated and sorted, so they never depend on chunking or scheduling.

Chunks are small on purpose: regorus' cost per asset grows with the chunk (its working set
outgrows the CPU caches), measured 57 µs/asset at 50 assets per chunk and 85 µs at 1,000.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from dsscan import policy_input
from dsscan.engines import EngineError, RegoEngine, make_engine
from dsscan.engines.scope import Scope, group_rule, plan_chunks, scope, unscoped
from dsscan.engines.worker import read_frame, write_frame
from dsscan.errors import PolicyError
from dsscan.gc_pause import gc_paused
from dsscan.levels import RANK
from dsscan.messages import is_template
from dsscan.policy_library import PolicyLibrary
from dsscan.progress import counted

AGGREGATE_PACKAGE = "dsscan_internal.aggregate"
AGGREGATE_RULE = f"data.{AGGREGATE_PACKAGE}.results"
DEFAULT_CHUNK_SIZE = 50
# Below this many assets a pool costs more than it saves: a worker takes ~50 ms to start and
# load the library, one process evaluates 2,000 assets in ~120 ms.
MIN_ASSETS_FOR_POOL = 2000


@dataclass
class EvalOutput:
    """(policy id, item) pairs sorted by policy id, asset id, then a stable digest of the
    item; each item as the policy produced it, identical items reported once."""

    deny: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    not_assessed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # policy id -> ids of the assets it judged on facts it could read (its ``assessed`` rule);
    # only policies that define the rule (the others fall back to their METADATA kinds).
    assessed: dict[str, set[str]] = field(default_factory=dict)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def policy_results(library: PolicyLibrary, package: str) -> str:
    """The Rego object of one policy's results: deny, not_assessed (empty when it defines
    none) and assessed (null when it defines none: the report falls back to its kinds)."""
    na = (f"data.{package}.not_assessed" if package in library.not_assessed_packages
          else "set()")
    assessed = (f"data.{package}.assessed" if package in library.assessed_packages
                else "null")
    return (f'{{"deny": data.{package}.deny, "not_assessed": {na}, '
            f'"assessed": {assessed}}}')


def aggregator_module(library: PolicyLibrary, sc: Scope | None = None) -> str:
    """A module whose rule ``results`` maps policy id → {"deny", "not_assessed", "assessed"}
    for every policy, and, given a scope, one rule ``results_<i>`` per group of policies."""
    lines = [f"package {AGGREGATE_PACKAGE}", "", "import rego.v1", ""]
    packages = {p.id: p.package for p in library.policies}
    named = [("results", tuple(packages))]
    if sc is not None:
        named += [(group_rule(i), ids) for i, ids in enumerate(sc.groups)]
    for name, ids in named:
        lines.append(f"{name} := {{")
        lines += [f'\t"{pid}": {policy_results(library, packages[pid])},' for pid in ids]
        lines += ["}", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class EngineSpec:
    """Everything a (worker) process needs to build a loaded engine; cheap to pickle."""

    modules: tuple[tuple[str, str], ...]
    data_json: str
    # (id, package, the result rules it defines: deny [, not_assessed] [, assessed])
    policies: tuple[tuple[str, str, tuple[str, ...]], ...]
    engine: str = "regorus"

    @classmethod
    def build(cls, library: PolicyLibrary, config_data: dict[str, Any],
              engine: str = "regorus", sc: Scope | None = None) -> EngineSpec:
        modules = (*library.modules, ("dsscan_internal/aggregate.rego",
                                      aggregator_module(library, sc)))
        return cls(modules=tuple(modules),
                   data_json=dumps({"dsscan": {"config": config_data}}),
                   policies=tuple((p.id, p.package, library.result_rules(p.package))
                                  for p in library.policies),
                   engine=engine)

    def load(self) -> RegoEngine:
        try:
            e = make_engine(self.engine)
            for path, src in self.modules:
                e.add_module(path, src)
            e.add_data_json(self.data_json)
        except EngineError as err:
            raise PolicyError(str(err)) from None
        return e


class Evaluator:
    """One loaded engine; ``run_chunk`` takes a chunk's input JSON and returns raw results."""

    def __init__(self, spec: EngineSpec) -> None:
        self.spec = spec
        self._engine = spec.load()

    def run_chunk(self, input_json: str,
                  rule: str = AGGREGATE_RULE) -> dict[str, dict[str, list[Any]]]:
        out = orjson.loads(self.run_chunk_json(input_json, rule))
        if not isinstance(out, dict):
            raise PolicyError(_NO_RESULT)
        return out

    def run_chunk_json(self, input_json: str, rule: str = AGGREGATE_RULE) -> str:
        """The results of ``rule`` (the aggregate of every policy, or of a group's) as the
        engine's JSON text: a worker passes them on without parsing and re-serializing them
        (2% of its time), the parent parses them once."""
        self._engine.set_input_json(input_json)
        try:
            out = self._engine.eval_rule_json(rule)
        except EngineError as err:
            raise PolicyError(self._blame(input_json, err)) from None
        # The aggregate is an object literal: defined, it is JSON text starting with "{".
        if out is None or not out.lstrip().startswith("{"):
            raise PolicyError(_NO_RESULT)
        return out

    def _blame(self, input_json: str, err: EngineError) -> str:
        """Name the policy whose rule fails: rerun each one alone on a fresh engine (the
        aggregate error may not say which package it came from)."""
        for pid, package, rules in self.spec.policies:
            for rule in rules:
                probe = self.spec.load()
                probe.set_input_json(input_json)
                try:
                    probe.eval_rule(f"data.{package}.{rule}")
                except EngineError as e:
                    return f"policy {pid} failed during evaluation: {e}"
        return f"policy evaluation failed: {err}"


_NO_RESULT = ("policy evaluation produced no result (a policy's deny, not_assessed or "
              "assessed is undefined)")


# Asset keys that never reach Rego: scanner-specific facts policies must not rely on
# (inventory schema), and which can be large; JSON parsing is ~5% of the engine's time.
_NOT_FOR_REGO = ("attributes",)


def _chunk_json(assets: Sequence[dict[str, Any]], start: int, chunk_size: int) -> bytes:
    return _assets_json(assets[start:start + chunk_size])


def _assets_json(assets: Sequence[dict[str, Any]]) -> bytes:
    chunk = [a if a.keys().isdisjoint(_NOT_FOR_REGO)
             else {k: v for k, v in a.items() if k not in _NOT_FOR_REGO}
             for a in assets]
    return b'{"assets":' + orjson.dumps(chunk) + b"}"


def chunk_inputs(assets: Sequence[dict[str, Any]], chunk_size: int) -> Iterator[str]:
    """The ``input`` document of each chunk, as JSON text."""
    for start in range(0, len(assets), chunk_size):
        yield _chunk_json(assets, start, chunk_size).decode("utf-8")


def evaluate(library: PolicyLibrary, assets: Sequence[dict[str, Any]],
             config_data: dict[str, Any], chunk_size: int = DEFAULT_CHUNK_SIZE,
             workers: int | None = None,
             engine: str = "regorus", scoped: bool = True) -> EvalOutput:
    """Run every policy of ``library`` over ``assets`` (classified, with ``ctx``).

    ``workers``: None picks min(2, CPUs) for large inputs and stays in-process for small ones;
    1 always stays in-process. ``scoped``: each shipped policy sees only the assets of its
    METADATA kinds (dsscan/engines/scope.py; False hands every policy every asset, the
    reference the tests compare with). Raises PolicyError (one line) if a policy fails at run
    time or produces an item that breaks the output contract.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    if not library.policies or not assets:
        return EvalOutput()
    sc = scope(library) if scoped else unscoped(library)
    chunks = plan_chunks(assets, sc, chunk_size)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if len(assets) >= MIN_ASSETS_FOR_POOL else 1
    workers = max(1, min(workers, len(chunks)))
    if policy_input.check_enabled():  # tests / debugging: Python keeps to the schema
        policy_input.check_assets(assets, config_data, chunk_size)
    spec = EngineSpec.build(library, config_data, engine, sc)
    with gc_paused():  # ~10 objects per finding, none in a cycle
        if workers == 1:
            ev = Evaluator(spec)
            results = (ev.run_chunk(_assets_json(chunk).decode("utf-8"), _rule(g))
                       for g, chunk in chunks)
            out = _collect(counted(results, "evaluating", len(chunks), "chunks"))
        else:
            # Results are collected as they come, while the workers go on with the next chunks.
            with contextlib.closing(_run_pool(spec, chunks, workers)) as pooled:
                out = _collect(counted(pooled, "evaluating", len(chunks), "chunks"))
    # A policy none of whose kinds is in the inventory judged nothing: an empty ``assessed``,
    # as when it walks assets none of which it judges.
    for p in library.policies:
        if p.package in library.assessed_packages:
            out.assessed.setdefault(p.id, set())
    return out


def _rule(group: int) -> str:
    return f"data.{AGGREGATE_PACKAGE}.{group_rule(group)}"


# --- worker processes ----------------------------------------------------------------------

_BOOTSTRAP = ("import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
              "from dsscan.engines.worker import main; sys.exit(main(sys.argv[2]))")


class _Worker:
    """One evaluation subprocess (protocol: dsscan/engines/worker.py). Started without
    waiting, so all workers load the policies in parallel."""

    def __init__(self, spec_path: str) -> None:
        env = dict(os.environ)
        # anyhow captures a backtrace for every internal error when RUST_BACKTRACE is set;
        # we never show them, so do not pay for them.
        env["RUST_LIB_BACKTRACE"] = "0"
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, json.dumps(sys.path), spec_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        self.chunk: int | None = None  # the chunk it is working on

    def send(self, payload: bytes) -> None:
        assert self.proc.stdin is not None
        try:
            write_frame(self.proc.stdin, payload)
        except OSError:
            self.receive()  # it died: report why
            raise

    def receive(self) -> Any:
        return self.parse(self.receive_raw())

    def receive_raw(self) -> bytes:
        """The next reply, unparsed (so the worker can be given its next chunk first)."""
        assert self.proc.stdout is not None
        try:
            raw = read_frame(self.proc.stdout)
        except (OSError, EOFError):
            raw = None
        if raw is None:
            raise PolicyError(f"evaluation worker stopped unexpectedly{self._last_error()}")
        return raw

    @staticmethod
    def parse(raw: bytes) -> Any:
        reply = orjson.loads(raw)
        if "error" in reply:
            raise PolicyError(reply["error"])
        return reply.get("ok")

    def _last_error(self) -> str:
        self._stderr.seek(0)
        lines = [ln for ln in self._stderr.read().decode("utf-8", "replace").splitlines()
                 if ln.strip()]
        return f" ({lines[-1].strip()[:200]})" if lines else ""

    def close(self, abort: bool = False) -> None:
        if abort:  # it may be busy with a chunk whose result nobody will read
            self.proc.kill()
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


def _run_pool(spec: EngineSpec, chunks: Sequence[tuple[int, Sequence[dict[str, Any]]]],
              workers: int) -> Iterator[dict[str, dict[str, list[Any]]]]:
    """Spread chunks over ``workers`` subprocesses, one chunk in flight per worker; yields
    each chunk's results in chunk order, as soon as they and those before them are in.

    One thread does it all (a selector tells which worker has finished): regorus engine
    objects must be dropped on the thread that made them, which a garbage collection run
    from a helper thread would violate. The main thread serializes the next chunk while
    the workers evaluate, so a worker that finishes is handed it at once, before its
    result is parsed.
    """
    n_chunks = len(chunks)
    arrived: dict[int, Any] = {}  # results not yet yielded, by chunk
    next_out = 0
    ahead: tuple[int, bytes] | None = None  # the next chunk, serialized
    todo = iter(range(n_chunks))

    def give(w: _Worker) -> bool:
        nonlocal ahead
        if ahead is None and (i := next(todo, None)) is not None:
            ahead = (i, _payload(*chunks[i]))
        if ahead is None:
            w.chunk = None
            return False
        w.chunk, payload = ahead
        ahead = None
        w.send(payload)
        return True

    def serialize_ahead() -> None:
        nonlocal ahead
        if ahead is None and (i := next(todo, None)) is not None:
            ahead = (i, _payload(*chunks[i]))

    pool: list[_Worker] = []
    with tempfile.TemporaryDirectory(prefix="dsscan-engine-") as tmp:
        spec_path = os.path.join(tmp, "spec.json")
        with open(spec_path, "w", encoding="utf-8") as f:
            f.write(dumps({"modules": spec.modules, "data_json": spec.data_json,
                           "policies": spec.policies, "engine": spec.engine}))
        done = False
        try:
            pool = [_Worker(spec_path) for _ in range(workers)]
            with selectors.DefaultSelector() as sel:
                for w in pool:
                    w.receive()  # {"ready": true}, or the load error
                    if give(w):
                        assert w.proc.stdout is not None
                        sel.register(w.proc.stdout, selectors.EVENT_READ, w)
                while sel.get_map():
                    serialize_ahead()
                    for key, _ in sel.select():
                        w = key.data
                        finished, raw = w.chunk, w.receive_raw()
                        if not give(w):
                            sel.unregister(key.fileobj)
                        arrived[finished] = w.parse(raw)
                    while next_out in arrived:
                        yield arrived.pop(next_out)
                        next_out += 1
            done = True
        finally:
            for w in pool:
                w.close(abort=not done)


def _payload(group: int, chunk: Sequence[dict[str, Any]]) -> bytes:
    """A worker's frame: the rule to evaluate, a newline, the chunk's input JSON."""
    return _rule(group).encode("ascii") + b"\n" + _assets_json(chunk)


# --- results -------------------------------------------------------------------------------

_Groups = dict[tuple[str, str], list[dict[str, Any]]]


def _collect(raw: Iterable[dict[str, dict[str, list[Any]]]]) -> EvalOutput:
    """Check, deduplicate (an item found in two chunks is one item) and sort all items.

    Items are grouped by (policy id, asset id) in chunk order; only a group of several needs
    the digests that tell its items apart and order them (most groups hold one item)."""
    deny: _Groups = {}
    nass: _Groups = {}
    assessed: dict[str, set[str]] = {}
    # Most assets are assessed by most policies: one string per asset id, shared by every
    # policy's set, instead of one per (policy, asset) as parsed (~70 MB at 100k assets).
    canon: dict[str, str] = {}
    for chunk in raw:
        for pid, res in chunk.items():
            ids = res.get("assessed")
            if ids is not None:
                _check_assessed(pid, ids)
                got = assessed.get(pid)
                if got is None:
                    got = assessed[pid] = set()
                # map over a bound method: the loop runs in C (~21 ids per asset).
                got.update(map(canon.setdefault, ids, ids))
            for rule, into in (("deny", deny), ("not_assessed", nass)):
                for item in res.get(rule) or []:
                    _check_item(pid, rule, item)
                    key = (pid, item["asset"])
                    group = into.get(key)
                    if group is None:
                        into[key] = [item]
                    else:
                        group.append(item)
    return EvalOutput(deny=_sorted_items(deny), not_assessed=_sorted_items(nass),
                      assessed=assessed)


def _check_assessed(pid: str, ids: Any) -> None:
    # set(map(type, ...)): the types of the ids in one pass in C, not a generator per id.
    if not isinstance(ids, list) or not set(map(type, ids)) <= {str}:
        raise PolicyError(f"policy {pid}: 'assessed' must be a set of asset ids (strings)")


def _sorted_items(groups: _Groups) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for key in sorted(groups):
        items = groups[key]
        if len(items) == 1:
            out.append((key[0], items[0]))
            continue
        unique: dict[bytes, dict[str, Any]] = {}
        for item in items:
            unique.setdefault(_digest(item), item)  # the first of identical items
        out.extend((key[0], unique[d]) for d in sorted(unique))
    return out


def _digest(item: dict[str, Any]) -> bytes:
    # 16 bytes instead of the whole canonical JSON: 100k findings stay cheap to hold.
    try:
        return hashlib.blake2b(_canonical(item), digest_size=16).digest()
    except orjson.JSONEncodeError as e:  # an integer beyond 64 bits from a policy or server
        raise PolicyError(f"an item for asset {item.get('asset')!r} cannot be compared "
                          f"({e})") from None


def _check_item(pid: str, rule: str, item: Any) -> None:
    if not isinstance(item, dict) or not isinstance(item.get("asset"), str):
        raise PolicyError(f"policy {pid}: every {rule} item must be an object with a string "
                          "'asset' (the asset id)")
    if rule == "deny":
        if item.get("level") not in RANK:
            raise PolicyError(f"policy {pid}: deny item for asset {item['asset']} has no valid "
                              f"'level' (one of {', '.join(RANK)})")
        if "message" in item and not _text_or_template(item["message"]):
            raise PolicyError(f"policy {pid}: deny item for asset {item['asset']}: "
                              "'message' must be a string or an object with a string "
                              "'template'")
        related = item.get("related")
        if related is not None and not isinstance(related, str) and not (
                isinstance(related, list) and all(isinstance(r, str) for r in related)):
            raise PolicyError(f"policy {pid}: deny item for asset {item['asset']}: "
                              "'related' must be an asset id or a list of asset ids")
        if item.get("key") is not None and not isinstance(item["key"], str):
            raise PolicyError(f"policy {pid}: deny item for asset {item['asset']}: "
                              "'key' must be a string")
        if item.get("evidence") is not None and not isinstance(item["evidence"], dict):
            raise PolicyError(f"policy {pid}: deny item for asset {item['asset']}: "
                              "'evidence' must be an object")
    elif not _text_or_template(item.get("reason")):
        raise PolicyError(f"policy {pid}: not_assessed item for asset {item['asset']} has no "
                          "'reason' (a string, or an object with a string 'template')")


def _text_or_template(value: Any) -> bool:
    return isinstance(value, str) or is_template(value)
