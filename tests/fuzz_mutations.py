"""The mutations of the input fuzzer (tests/fuzz_support.py): on a decoded seed (type swaps,
deletions, duplications, repeated keys, and raw text put in through sentinels: NaN/Infinity,
integers of thousands of digits, lone surrogates, deep nesting, huge strings, YAML alias bombs)
and on its bytes (truncation, flips, insertions, a line before the content)."""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

# --- mutations ------------------------------------------------------------------------------

SENTINEL = "fuzz-sentinel-{}-end"
_SENTINEL = re.compile(r"fuzz-sentinel-(\d+)-end")

_SWAPS: list[Any] = [None, True, False, 0, -1, 7, 2**63 - 1, -(2**63), 1.5, -0.0, 1e300, "",
                     "x", " ", "core", "*", "111111111111", "arn:aws-cn:s3:::*", "🙂", "a\u0000b",
                     "\u202e", "../../etc/passwd", "%s%n", [], {}, [None], [[]], {"": None},
                     {"id": 1}, ["*"], [1, "a", None], {"a": {"b": {"c": []}}}]


@dataclass
class Doc:
    """A seed being mutated: its decoded tree, raw replacements for sentinels, and the
    byte-level edits applied after serialization."""

    fmt: str
    tree: Any
    raw: dict[int, str] = field(default_factory=dict)

    def sentinel(self, text: str) -> str:
        n = len(self.raw)
        self.raw[n] = text
        return SENTINEL.format(n)


def _slots(tree: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in the tree: the places a mutation can hit, at any depth."""
    out: list[tuple[Any, Any]] = []
    stack = [tree]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            for k, v in o.items():
                out.append((o, k))
                stack.append(v)
        elif isinstance(o, list):
            for i, v in enumerate(o):
                out.append((o, i))
                stack.append(v)
    return out


def _pick(rnd: random.Random, doc: Doc, containers: bool = False) -> tuple[Any, Any] | None:
    slots = _slots(doc.tree)
    if containers:
        slots = [s for s in slots if isinstance(s[0][s[1]], dict | list)] or slots
    return rnd.choice(slots) if slots else None


def m_type_swap(rnd: random.Random, doc: Doc) -> str:
    slot = _pick(rnd, doc, containers=rnd.random() < 0.3)
    if slot is None:
        return "nothing to swap"
    parent, key = slot
    value = copy.deepcopy(rnd.choice(_SWAPS))
    if doc.fmt == "toml" and value is None:
        value = "null"
    parent[key] = value
    return f"type swap at {key!r} -> {type(value).__name__}"


def m_delete(rnd: random.Random, doc: Doc) -> str:
    slot = _pick(rnd, doc)
    if slot is None:
        return "nothing to delete"
    parent, key = slot
    del parent[key]
    return f"delete {key!r}"


def m_duplicate(rnd: random.Random, doc: Doc) -> str:
    lists = [s for s in _slots(doc.tree) if isinstance(s[0][s[1]], list) and s[0][s[1]]]
    if not lists or rnd.random() < 0.3:
        slot = _pick(rnd, doc)
        if slot is None:
            return "nothing to duplicate"
        parent, key = slot
        target = _pick(rnd, doc, containers=True)
        if target is None:
            return "nothing to duplicate"
        tparent, tkey = target
        tparent[tkey] = copy.deepcopy(parent[key])  # a subtree copied to another place
        return f"copy {key!r} over {tkey!r}"
    parent, key = rnd.choice(lists)
    items = parent[key]
    i = rnd.randrange(len(items))
    items.insert(i, copy.deepcopy(items[i]))
    return f"duplicate item {i} of {key!r}"


def m_duplicate_key(rnd: random.Random, doc: Doc) -> str:
    dicts = [s for s in _slots(doc.tree) if isinstance(s[0][s[1]], dict) and s[0][s[1]]]
    if not dicts:
        return "no object"
    parent, key = rnd.choice(dicts)
    obj = parent[key]
    dup = rnd.choice(list(obj))
    other = rnd.choice(_SWAPS[:12])
    parent[key] = doc.sentinel(_dump_inline(doc.fmt, obj, extra=(dup, other)))
    return f"duplicate key {dup!r} in {key!r}"


def m_special(rnd: random.Random, doc: Doc) -> str:
    slot = _pick(rnd, doc)
    if slot is None:
        return "nothing to replace"
    parent, key = slot
    what, text = rnd.choice(_specials(doc.fmt, rnd))
    parent[key] = doc.sentinel(text)
    return f"{what} at {key!r}"


def _specials(fmt: str, rnd: random.Random) -> list[tuple[str, str]]:
    digits = "9" * rnd.choice((21, 4301, 5000))
    # 10^5 levels, or about the limit (MAX_DEPTH 128): what passes must be handled after
    # loading too. PyYAML looks 1,024 characters ahead on a line of brackets, which takes
    # a second or two: rarer there.
    deep = 100_000 if rnd.random() < (0.5 if fmt != "yaml" else 0.15) \
        else rnd.randrange(100, 140)
    if fmt == "json":
        return [("NaN", "NaN"), ("Infinity", "-Infinity"), ("overflow", "1e400"),
                ("huge int", digits), ("lone surrogate", '"a\\ud800b"'),
                ("lone low surrogate", '"\\udc00"'), (f"nesting {deep}", "[" * deep + "]" * deep),
                (f"nesting {deep}", '{"a":' * deep + "1" + "}" * deep),
                ("huge string", json.dumps("A" * rnd.choice((10_000, 1_000_000))))]
    if fmt == "yaml":
        return [("NaN", ".nan"), ("Infinity", "-.inf"), ("huge int", digits),
                ("lone surrogate", '"a\\ud800b"'), (f"nesting {deep}", "[" * deep + "]" * deep),
                # PyYAML's scanner (pure Python, as depth tracking needs) reads ~2 MB/s.
                ("huge string", "A" * rnd.choice((10_000, 100_000))),
                ("self alias", "&loop [*loop]"),
                ("alias bomb", _alias_bomb(rnd)),
                ("binary", "!!binary aGVsbG8="), ("date", "2027-13-01"),
                ("python tag", "!!python/object:os.system ls")]
    return [("nan", "nan"), ("inf", "-inf"), ("huge int", digits),
            (f"nesting {deep}", "[" * deep + "]" * deep),
            ("huge string", json.dumps("A" * rnd.choice((10_000, 1_000_000)))),
            ("date-time", "2026-01-01T00:00:00Z")]


def _alias_bomb(rnd: random.Random) -> str:
    """Seven levels of ten aliases each: ten million values from a few hundred bytes."""
    tag = rnd.randrange(10**6)
    levels = [f"&b{tag}x0 [" + ", ".join(["1"] * 10) + "]"]
    for i in range(1, 7):
        levels.append(f"&b{tag}x{i} [" + ", ".join([f"*b{tag}x{i - 1}"] * 10) + "]")
    return "[" + ", ".join(levels) + "]"


MUTATIONS: list[tuple[Callable[[random.Random, Doc], str], int]] = [
    # Weighed so that about a third of the cases fail at the parser and the rest reach the
    # checks and code behind it (a type swap, a deletion, a copy usually parses).
    (m_type_swap, 6), (m_delete, 3), (m_duplicate, 2), (m_duplicate_key, 1), (m_special, 2)]


# --- serializing ------------------------------------------------------------------------------

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: the seeds, 10x faster


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v) if not isinstance(v, float) or v == v else "nan"
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}"
                               for k, x in v.items()) + "}"
    if v is None:
        return '"null"'
    if isinstance(v, str) and _SENTINEL.fullmatch(v):
        return v
    return json.dumps(str(v))


def _dump_inline(fmt: str, obj: dict[str, Any], extra: tuple[Any, Any]) -> str:
    """``obj`` with one of its keys repeated, as flow text of the format."""
    k, v = extra
    if fmt == "json":
        body = json.dumps(obj, default=str)
        return body[:-1] + (", " if obj else "") + f"{json.dumps(str(k))}: " \
            f"{json.dumps(v, default=str)}}}"
    if fmt == "toml":
        return _toml_value(obj)[:-1] + f", {json.dumps(str(k))} = {_toml_value(v)}}}"
    text = yaml.dump(obj, Dumper=_DUMPER, default_flow_style=True, width=10**9).strip()
    if text.endswith("..."):
        text = text[:-3].strip()
    pair = yaml.dump({k: v}, Dumper=_DUMPER, default_flow_style=True, width=10**9).strip()
    return text[:-1] + ", " + pair[1:]


def serialize(doc: Doc) -> bytes:
    if doc.fmt == "json":
        text = json.dumps(doc.tree, ensure_ascii=False, default=str)
    elif doc.fmt == "yaml":
        text = yaml.dump(doc.tree, Dumper=_DUMPER, allow_unicode=True, sort_keys=False,
                         width=10**9)
    else:
        tool = doc.tree.get("tool") if isinstance(doc.tree, dict) else None
        table = tool.get("dsscan") if isinstance(tool, dict) else doc.tree
        head = "[tool.dsscan]\n" if isinstance(table, dict) else "tool = "
        if isinstance(table, dict):
            text = head + "".join(f"{json.dumps(str(k))} = {_toml_value(v)}\n"
                                  for k, v in table.items())
        else:
            text = head + _toml_value(table) + "\n"
    # A sentinel was dumped as a string (quoted in JSON and TOML); put the raw text in, and
    # again for sentinels inside raw text (a repeated key in an object holding one).
    for _ in range(len(doc.raw) + 1):
        if not _SENTINEL.search(text):
            break
        text = re.sub(r'"(fuzz-sentinel-\d+-end)"', r"\1", text)
        text = _SENTINEL.sub(lambda m: doc.raw[int(m.group(1))], text)
    return text.encode("utf-8", "surrogatepass")


def byte_mutation(rnd: random.Random, data: bytes) -> tuple[bytes, str]:
    op = rnd.choice(("truncate", "flip", "flip", "insert", "cut", "prefix", "nul"))
    n = len(data)
    if op == "truncate" or n == 0:
        at = rnd.randrange(n + 1) if n else 0
        return data[:at], f"truncate at {at}"
    if op == "flip":
        b = bytearray(data)
        spots = [rnd.randrange(n) for _ in range(rnd.randint(1, 8))]
        for i in spots:
            b[i] ^= rnd.randrange(1, 256)
        return bytes(b), f"flip bytes {spots}"
    if op == "insert":
        at = rnd.randrange(n)
        junk = rnd.choice((b"\xff\xfe", b"\x00", b"\xed\xa0\x80", b"}", b"]", b",", b'"',
                           b"\n- ", b": ", b"\t", b"&x *x", bytes(rnd.randrange(256)
                                                              for _ in range(16))))
        return data[:at] + junk + data[at:], f"insert {junk!r} at {at}"
    if op == "cut":
        a = rnd.randrange(n)
        b2 = min(n, a + rnd.randint(1, 200))
        return data[:a] + data[b2:], f"cut {a}:{b2}"
    if op == "prefix":
        line = rnd.choice((b"Warning: provider deprecated\n", b"2026-01-01T00:00:00Z ",
                           b"::group::plan\n", b"\xef\xbb\xbf", b"Terraform will perform "
                           b"the following actions:\n"))
        return line + data, f"prefix {line[:30]!r}"
    return data.replace(b"\n", b"\x00", 1), "NUL for the first newline"
