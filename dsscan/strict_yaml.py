"""Strict YAML for settings files, catalogues, accounts files and Pulumi project files: the
YAML half of dsscan.inputs (same checks, same one-line errors)."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

from dsscan.errors import InputError
from dsscan.inputs import (
    INT_MAX,
    INT_MIN,
    MAX_DEPTH,
    MAX_NODES,
    SETTINGS,
    SURROGATE,
    one_line,
    quote_value,
    read_text,
)

# --- YAML -------------------------------------------------------------------------------------

class _YamlRefused(Exception):
    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.mark = mark


@cache
def _strict_loader() -> type:
    """PyYAML's safe loader, strict: no repeated keys, no NaN/Infinity, no integers beyond 64
    bits (here), no lone surrogates, nesting at most MAX_DEPTH (``_check_composed``). On
    libyaml's CSafeLoader where PyYAML has it: its scanner, parser and composer are C, ~8x
    the pure-Python SafeLoader (bench/bench_yaml.py), and it refuses control characters and
    nesting past 1,000 levels as that one does. Built on first use: importing PyYAML at
    start-up would slow every command."""
    import yaml
    from yaml.nodes import MappingNode

    merge_tag = "tag:yaml.org,2002:merge"
    base = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    if key_node.tag == merge_tag:
                        continue
                    key = self.construct_object(key_node, deep=deep)
                    try:
                        repeated = key in seen
                        seen.add(key)
                    except TypeError:  # unhashable: PyYAML names it below
                        continue
                    if repeated:
                        raise _YamlRefused(f"duplicate key {quote_value(key)} (a mapping may not "
                                           "repeat a key: which value would count is "
                                           "undefined)", key_node.start_mark)
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_int(self, node: Any) -> Any:
            if len(node.value) > 30:  # before int(): thousands of digits are slow or refused
                raise _YamlRefused("an integer beyond 64 bits", node.start_mark)
            value = super().construct_yaml_int(node)
            if not INT_MIN <= value <= INT_MAX:
                raise _YamlRefused("an integer beyond 64 bits", node.start_mark)
            return value

        def construct_yaml_float(self, node: Any) -> Any:
            value = super().construct_yaml_float(node)
            if not math.isfinite(value):
                raise _YamlRefused(f"{quote_value(node.value, 30)} is not a number dsscan "
                                   "reads (NaN or Infinity)", node.start_mark)
            return value

    for tag, method in (("tag:yaml.org,2002:int", "construct_yaml_int"),
                        ("tag:yaml.org,2002:float", "construct_yaml_float")):
        StrictLoader.add_constructor(tag, getattr(StrictLoader, method))
    return StrictLoader


def _check_composed(root: Any) -> None:
    """The composed document, before anything is built from it: nesting at most MAX_DEPTH,
    no lone surrogate in a scalar, and — where a node is reached twice, i.e. through an
    alias — the expansion check. A loop in document order (the first problem is named)."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    seen: set[int] = set()
    aliased = False
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        n, depth = stack.pop()
        if id(n) in seen:
            aliased = True
            continue
        seen.add(id(n))
        if depth > MAX_DEPTH:
            raise _YamlRefused(f"nested more than {MAX_DEPTH} levels deep", n.start_mark)
        if isinstance(n, ScalarNode):
            if SURROGATE.search(n.value):
                raise _YamlRefused("a lone UTF-16 surrogate is not a character", n.start_mark)
        elif isinstance(n, MappingNode):
            stack.extend((c, depth + 1) for pair in reversed(n.value) for c in reversed(pair))
        elif isinstance(n, SequenceNode):
            stack.extend((c, depth + 1) for c in reversed(n.value))
    if aliased:
        _check_expansion(root)


def _check_expansion(node: Any) -> None:
    """Aliases reuse nodes: a handful can stand for a billion values, or for themselves, and
    every walk over the document would follow them. Sizes and heights memoized per node; the
    walk stops as soon as a path is too deep, so its own recursion stays bounded."""
    from yaml.nodes import MappingNode, SequenceNode

    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height)
    active: set[int] = set()

    def walk(n: Any, depth: int) -> tuple[int, int]:
        key = id(n)
        if key in sizes:
            size, height = sizes[key]
        elif key in active:
            raise _YamlRefused("an alias refers to the node that contains it", n.start_mark)
        else:
            if depth > MAX_DEPTH:
                raise _YamlRefused(f"nested more than {MAX_DEPTH} levels deep (through "
                                   "aliases)", n.start_mark)
            if isinstance(n, MappingNode):
                children = [c for pair in n.value for c in pair]
            elif isinstance(n, SequenceNode):
                children = n.value
            else:
                children = []
            active.add(key)
            size, height = 1, 1
            for c in children:
                s, h = walk(c, depth + 1)
                size += s
                height = max(height, h + 1)
                if size > MAX_NODES:
                    raise _YamlRefused(f"its aliases expand to more than {MAX_NODES:,} "
                                       "values", n.start_mark)
            active.discard(key)
            sizes[key] = (size, height)
        if depth + height - 1 > MAX_DEPTH:
            raise _YamlRefused(f"nested more than {MAX_DEPTH} levels deep (through aliases)",
                               n.start_mark)
        return size, height

    walk(node, 1)


def parse_yaml(text: str, origin: str) -> tuple[Any, Any]:
    """(document, root node) of strict YAML text; the node (None for an empty document)
    gives the line of each key. InputError naming ``origin`` on any problem."""
    import yaml

    loader = None
    try:
        loader = _strict_loader()(text)  # refuses control characters at once
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_composed(node)
        return loader.construct_document(node), node
    except _YamlRefused as e:
        raise InputError(f"{origin}: not valid YAML{_at(e.mark)}: {e}") from None
    except yaml.MarkedYAMLError as e:
        if "maximum nesting depth" in str(e.problem):  # libyaml's own bound, 1,000
            raise InputError(f"{origin}: not valid YAML{_at(e.problem_mark)}: nested more "
                             f"than {MAX_DEPTH} levels deep") from None
        if "invalid Unicode character escape" in str(e.problem):  # libyaml: \ud800 et al.
            raise InputError(f"{origin}: not valid YAML{_at(e.problem_mark)}: a lone UTF-16 "
                             "surrogate (or a code point past U+10FFFF) is not a "
                             "character") from None
        problem = f" ({one_line(e.problem)})" if e.problem else ""
        raise InputError(f"{origin}: not valid YAML{_at(e.problem_mark)}{problem}") from None
    except yaml.YAMLError as e:
        raise InputError(f"{origin}: not valid YAML ({one_line(e)})") from None
    except ValueError as e:  # a date PyYAML cannot build: 2027-13-01
        raise InputError(f"{origin}: not valid YAML ({one_line(e)})") from None
    except RecursionError:
        raise InputError(f"{origin}: not valid YAML: nested more than {MAX_DEPTH} levels "
                         "deep") from None
    finally:
        if loader is not None:
            loader.dispose()


def _at(mark: Any) -> str:
    return f" at line {mark.line + 1}" if mark is not None else ""


def load_yaml(path: str | Path, what: str, *, kind: str = SETTINGS) -> Any:
    """Read and parse a strict YAML file (JSON is YAML too)."""
    return parse_yaml(read_text(path, what, kind=kind), str(path))[0]
