"""Field-path lint: every field a policy reads from its input must exist in the input schema.

Rego makes a misspelt field (``a.ctx.protect_rnak``) undefined, not an error, so the rule
reading it silently never fires: a wrong pass. This walks the parsed modules (regorus AST)
with a small type inference over schema nodes of ``dsscan/schemas/policy-input-v1.json``:

- ``input`` and ``data.dsscan.config`` have schema types; ``some a in X``, ``X[_]``, ``:=``,
  comprehensions and rule values carry them on (``data.dsscan.lib.assets`` and
  ``lib.protected_stores`` are arrays of assets because their values are);
- a function's parameters take the types of the arguments at its call sites (repeated until
  nothing changes), so a helper taking an asset is checked too;
- ``object.get(x, "f", d)`` / ``object.get(x, ["f", "g"], d)`` with literal keys are paths too;
- a read of ``data.<package>.<name>`` in a loaded package that defines no such rule is
  reported as well (the same silent pass).

A field is an error only when the value is known to be schema-typed and *none* of its possible
types has the field (a helper called with a ctx copy and with an asset may read fields of
either). Where a type is unknown (literals, open objects, builtins' results) nothing is
checked: the lint never guesses. Test modules are not checked (they build their inputs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from dsscan.policy_input import SCHEMA_RESOURCE, SCHEMA_URI, schema_documents
from dsscan.policy_library import ModuleFacts, PolicyLibrary, ref_parts
from dsscan.suggest import close_matches

# The passes needed for parameter types to settle: one per level of helper nesting.
_MAX_PASSES = 8
CONFIG_PATH = "data.dsscan.config"


# --- types -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    """A schema location: document URI and JSON pointer (``#/$defs/ctx``)."""

    uri: str
    pointer: str


@dataclass(frozen=True)
class ArrayOf:
    """An array built by the policy (comprehension, literal) whose items have type ``item``."""

    item: frozenset[Any]


@dataclass(frozen=True)
class ObjLit:
    """An object literal: its fields' types (read through, never reported)."""

    fields: frozenset[tuple[str, frozenset[Any]]]


@dataclass(frozen=True)
class DataPath:
    """A path under ``data`` that is not (yet) a rule: ``data.dsscan``, an imported package."""

    path: str


Type = frozenset[Any]  # the possible types; empty: unknown (nothing is checked)
NONE: Type = frozenset()


class Schemas:
    """Navigation over the shipped schemas by JSON pointer, $ref followed."""

    def __init__(self) -> None:
        self.docs = schema_documents()
        self._fields: dict[tuple[Type, str], tuple[Type, list[str] | None]] = {}
        self._items: dict[Type, Type] = {}

    def get(self, n: Node) -> dict[str, Any]:
        node: Any = self.docs[n.uri]
        for part in n.pointer.lstrip("#").split("/")[1:]:
            key = part.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def leaves(self, n: Node, depth: int = 0) -> Iterator[Node]:
        """The node after $ref, and each branch of its oneOf/anyOf/allOf."""
        s = self.get(n)
        if "$ref" in s and depth < 20:
            target = urljoin(n.uri, s["$ref"])
            uri, _, frag = target.partition("#")
            yield from self.leaves(Node(uri, "#" + frag), depth + 1)
            return
        branches = [k for k in ("oneOf", "anyOf", "allOf") if k in s]
        for k in branches:
            for i in range(len(s[k])):
                yield from self.leaves(Node(n.uri, f"{n.pointer}/{k}/{i}"), depth + 1)
        if not branches or "properties" in s:
            yield n

    def field(self, t: Type, name: str) -> tuple[Type, list[str] | None]:
        """The type of field ``name`` of a value of type ``t``, and — when no schema type of
        ``t`` can have that field — the names it could have had (else None)."""
        key = (t, name)
        if key not in self._fields:
            self._fields[key] = self._field(t, name)
        return self._fields[key]

    def _field(self, t: Type, name: str) -> tuple[Type, list[str] | None]:
        found: set[Any] = set()
        known: set[str] = set()
        closed = False
        for alt in t:
            if isinstance(alt, ObjLit):
                found |= next((ft for k, ft in alt.fields if k == name), NONE)
                continue
            if not isinstance(alt, Node):
                continue
            for leaf in self.leaves(alt):
                s = self.get(leaf)
                props = s.get("properties")
                extra = s.get("additionalProperties")
                if isinstance(props, dict) and name in props:
                    found.add(Node(leaf.uri, f"{leaf.pointer}/properties/{_esc(name)}"))
                elif isinstance(extra, dict):
                    found.add(Node(leaf.uri, f"{leaf.pointer}/additionalProperties"))
                elif extra is False or not _may_be_object(s):
                    closed = True
                    known |= set(props or ())
                else:
                    return NONE, None  # an open object: anything may be there
        if found or not closed:
            return frozenset(found), None
        return NONE, sorted(known)

    def items(self, t: Type) -> Type:
        """The type of the elements of a collection of type ``t`` (array items, values of a
        map-like object)."""
        if t not in self._items:
            self._items[t] = self._items_of(t)
        return self._items[t]

    def _items_of(self, t: Type) -> Type:
        out: set[Any] = set()
        for alt in t:
            if isinstance(alt, ArrayOf):
                out |= alt.item
            elif isinstance(alt, Node):
                for leaf in self.leaves(alt):
                    s = self.get(leaf)
                    if isinstance(s.get("items"), dict):
                        out.add(Node(leaf.uri, f"{leaf.pointer}/items"))
                    elif isinstance(s.get("additionalProperties"), dict):
                        out.add(Node(leaf.uri, f"{leaf.pointer}/additionalProperties"))
        return frozenset(out)

    def label(self, t: Type) -> str:
        """How a schema type is named in a message: ``ctx``, ``copy``, ``encryption``."""
        names = sorted({_label(leaf.pointer) for a in t if isinstance(a, Node)
                        for leaf in self.leaves(a)})
        return " / ".join(names) or "value"


def _esc(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _label(pointer: str) -> str:
    parts = [p for p in pointer.lstrip("#").split("/") if p]
    if not parts:
        return "input"
    names = [p for i, p in enumerate(parts)
             if i > 0 and parts[i - 1] in ("$defs", "properties")]
    tail = names[-1] if names else parts[-1]
    return tail + ("[]" if parts[-1] in ("items", "additionalProperties") else "")


def _may_be_object(s: dict[str, Any]) -> bool:
    if "const" in s or "enum" in s:
        return False
    ty = s.get("type")
    if ty is None:
        return True
    return "object" in (ty if isinstance(ty, list) else [ty])


# --- the checker -----------------------------------------------------------------------------

@dataclass
class _Rule:
    module: ModuleFacts
    raw: bytes
    spec: dict[str, Any]  # the "Spec" or "Default" node
    default: bool = False


@dataclass
class _Scope:
    module: ModuleFacts
    raw: bytes
    env: dict[str, Type] = field(default_factory=dict)

    def child(self) -> _Scope:
        return _Scope(self.module, self.raw, dict(self.env))


class FieldChecker:
    def __init__(self, modules: list[tuple[ModuleFacts, dict[str, Any]]]) -> None:
        self.schemas = Schemas()
        self.input_type: Type = frozenset({Node(SCHEMA_URI, "#")})
        self.config_type: Type = frozenset({Node(SCHEMA_URI, "#/$defs/config")})
        self.modules = modules
        self.rules: dict[str, list[_Rule]] = defaultdict(list)
        self.packages: set[str] = set()
        for m, ast in modules:
            raw = m.source.encode("utf-8")
            self.packages.add(f"data.{m.package}")
            for rule in ast.get("rules", []):
                kind = "Default" if "Default" in rule else "Spec"
                spec = rule[kind]
                head = (spec["refr"] if kind == "Default"
                        else next(iter(spec["head"].values()))["refr"])
                name = _head_name(head)
                if name:
                    self.rules[f"data.{m.package}.{name}"].append(
                        _Rule(m, raw, spec, default=kind == "Default"))
        self.prefixes = {p for path in [*self.rules, *self.packages]
                         for p in _prefixes(path)}
        self.params: dict[str, list[Type]] = {}
        self.errors: dict[tuple[str, int, str], str] = {}

    # -- driver
    def run(self) -> list[str]:
        for _ in range(_MAX_PASSES):
            self.errors = {}
            self.calls: dict[str, list[set[Any]]] = {}
            self.values: dict[str, Type] = {}
            self.busy: set[str] = set()
            for path in self.rules:
                self.rule_value(path)
            params = {p: [frozenset(a) for a in args] for p, args in self.calls.items()}
            if params == self.params:
                break
            self.params = params
        return [msg for _, msg in sorted(self.errors.items(), key=lambda kv: kv[0][:2])]

    def rule_value(self, path: str) -> Type:
        """The type of a rule's value (a function's result), analysing its definitions."""
        if path in self.values:
            return self.values[path]
        if path in self.busy:  # mutual reference through values: unknown
            return NONE
        self.busy.add(path)
        out: set[Any] = set()
        for r in self.rules.get(path, []):
            out |= self._definition(path, r)
        self.busy.discard(path)
        self.values[path] = frozenset(out)
        return self.values[path]

    def _definition(self, path: str, r: _Rule) -> Type:
        scope = _Scope(r.module, r.raw)
        if r.default:
            return self.expr(r.spec.get("value") or {}, scope)
        (hkind, head), = r.spec["head"].items()
        if hkind == "Func":
            types = self.params.get(path, [])
            for i, arg in enumerate(head.get("args", [])):
                if "Var" in arg and i < len(types):
                    scope.env[arg["Var"]["value"]] = types[i]
        head_value = (head.get("assign") or {}).get("value")
        out: set[Any] = set()
        bodies = r.spec.get("bodies") or [None]
        for i, body in enumerate(bodies):
            s = scope.child()
            if body is not None:
                self.query(body["query"], s)
            value = ((body or {}).get("assign") or {}).get("value") if i else None
            value = value or head_value
            if value is not None:
                out |= self.expr(value, s)
            if hkind == "Set" and head.get("key"):
                self.expr(head["key"], s)
            if "refr" in head:
                self._walk_children(head["refr"], s)  # keys of partial objects
        return frozenset(out)

    # -- statements
    def query(self, q: dict[str, Any], scope: _Scope) -> None:
        for stmt in q.get("stmts", []):
            if stmt.get("with_mods"):
                continue  # input/data replaced for this statement (tests): not the contract
            self.literal(stmt["literal"], scope)

    def literal(self, lit: dict[str, Any], scope: _Scope) -> None:
        (kind, body), = lit.items()
        if kind == "SomeIn":
            coll = self.items(self.expr(body["collection"], scope))
            if body.get("key") is not None:
                self._bind(body["key"], NONE, scope)
            self._bind(body["value"], coll, scope)
        elif kind == "Every":
            inner = scope.child()
            item = self.items(self.expr(body["domain"], scope))
            inner.env[_text(scope.raw, body["value"])] = item
            if body.get("key"):
                inner.env[_text(scope.raw, body["key"])] = NONE
            self.query(body["query"], inner)
        elif kind in ("Expr", "NotExpr"):
            self.expr(body["expr"], scope)

    def _bind(self, target: dict[str, Any], t: Type, scope: _Scope) -> None:
        if "Var" in target:
            name = target["Var"]["value"]
            if name != "_":
                scope.env[name] = t
        else:
            self.expr(target, scope)

    def items(self, t: Type) -> Type:
        return self.schemas.items(t)

    # -- expressions
    def expr(self, node: dict[str, Any], scope: _Scope) -> Type:
        (kind, body), = node.items()
        if kind == "Var":
            return self.var(body["value"], scope)
        if kind == "RefDot":
            base = self.expr(body["refr"], scope)
            return self.access(base, body["field"][1], body["field"][0]["line"], node, scope)
        if kind == "RefBrack":
            base = self.expr(body["refr"], scope)
            index = body["index"]
            if "String" in index:
                return self.access(base, index["String"]["value"],
                                   index["String"]["span"]["line"], node, scope)
            self.expr(index, scope)
            return self.items(base)
        if kind == "AssignExpr":
            rhs = self.expr(body["rhs"], scope)
            lhs = body["lhs"]
            if "Var" in lhs and (body["op"] == "ColEq" or lhs["Var"]["value"] not in scope.env):
                self._bind(lhs, rhs, scope)
            else:
                self.expr(lhs, scope)
            return NONE
        if kind == "Call":
            return self.call(body, scope)
        if kind in ("ArrayCompr", "SetCompr"):
            inner = scope.child()
            self.query(body["query"], inner)
            return frozenset({ArrayOf(self.expr(body["term"], inner))})
        if kind == "ObjectCompr":
            inner = scope.child()
            self.query(body["query"], inner)
            self.expr(body["key"], inner)
            self.expr(body["value"], inner)
            return NONE
        if kind in ("Array", "Set"):
            item: set[Any] = set()
            for x in body.get("items", []):
                item |= self.expr(x, scope)
            return frozenset({ArrayOf(frozenset(item))})
        if kind == "Object":
            fields = []
            for _, k, v in body.get("fields", []):
                self.expr(k, scope)
                vt = self.expr(v, scope)
                if "String" in k:
                    fields.append((k["String"]["value"], vt))
            return frozenset({ObjLit(frozenset(fields))})
        self._walk_children(node, scope)
        return NONE

    def _walk_children(self, node: Any, scope: _Scope) -> None:
        """Check the expressions under a node whose value type does not matter."""
        if isinstance(node, list):
            for x in node:
                self._walk_children(x, scope)
            return
        if not isinstance(node, dict):
            return
        if len(node) == 1:
            (kind, body), = node.items()
            if kind[:1].isupper() and kind not in _NOT_EXPR and isinstance(body, dict):
                if kind in _HANDLED:
                    self.expr(node, scope)
                    return
                for k, v in body.items():
                    if k != "span":
                        self._walk_children(v, scope)
                return
        for k, v in node.items():
            if k != "span":
                self._walk_children(v, scope)

    def var(self, name: str, scope: _Scope) -> Type:
        if name in scope.env:
            return scope.env[name]
        m = scope.module
        local = f"data.{m.package}.{name}"
        if local in self.rules:
            return self.rule_value(local)
        if name in m.imports:
            return self.data_path(m.imports[name])
        if name == "input":
            return self.input_type
        if name == "data":
            return frozenset({DataPath("data")})
        return NONE

    def data_path(self, path: str) -> Type:
        if path == CONFIG_PATH:
            return self.config_type
        if path.startswith("input"):
            t = self.input_type
            for part in path.split(".")[1:]:
                t, _ = self.schemas.field(t, part)
            return t
        if path in self.rules:
            return self.rule_value(path)
        return frozenset({DataPath(path)})

    def access(self, base: Type, name: str, line: int, node: dict[str, Any],
               scope: _Scope, what: str | None = None) -> Type:
        paths = [a for a in base if isinstance(a, DataPath)]
        if paths:
            out: set[Any] = set()
            for p in paths:
                full = f"{p.path}.{name}"
                if full in self.rules or full == CONFIG_PATH or full in self.prefixes:
                    out |= self.data_path(full)
                elif p.path in self.packages:
                    known = {k[len(p.path) + 1:] for k in self.rules
                             if k.startswith(p.path + ".")}
                    self.report(scope, line, what or _text(scope.raw, node),
                                f"{p.path} defines no rule '{name}'", name, known, "rule")
            return frozenset(out)
        t, known = self.schemas.field(base, name)
        if known is not None:
            where = self.schemas.label(base)
            self.report(scope, line, what or _text(scope.raw, node),
                        f"'{name}' is not a field of {where}", name, known)
        return t

    def report(self, scope: _Scope, line: int, text: str, problem: str, name: str,
               known: set[str] | list[str], what: str = "field") -> None:
        hint = close_matches(name, sorted(known), n=1)
        msg = (f"{scope.module.path}:{line}: unknown {what} {text}: {problem}"
               + (f" (did you mean '{hint[0]}'?)" if hint else ""))
        if what == "field":
            msg += f" [policy input schema: dsscan/schemas/{SCHEMA_RESOURCE}]"
        self.errors.setdefault((scope.module.path, line, text), msg)

    def call(self, body: dict[str, Any], scope: _Scope) -> Type:
        parts = ref_parts(body["fcn"])
        args = body.get("params", [])
        if parts == ["object", "get"] and len(args) == 3:
            return self._object_get(args, scope)
        types = [self.expr(a, scope) for a in args]
        if parts is None:
            self.expr(body["fcn"], scope)
            return NONE
        name = ".".join(parts)
        if name in ("object.union", "array.concat", "union"):
            return frozenset().union(*types)
        if name in ("sort", "object.remove", "object.filter", "array.reverse", "array.slice"):
            return types[0] if types else NONE
        path = self._function_path(parts, scope.module)
        if path is None:
            return NONE
        slots = self.calls.setdefault(path, [])
        while len(slots) < len(types):
            slots.append(set())
        for i, t in enumerate(types):
            slots[i] |= t
        return self.rule_value(path)

    def _function_path(self, parts: list[str], m: ModuleFacts) -> str | None:
        if parts[0] == "data":
            path = ".".join(parts)
        elif parts[0] in m.imports:
            path = ".".join([m.imports[parts[0]], *parts[1:]])
        else:
            path = f"data.{m.package}.{'.'.join(parts)}"
        return path if path in self.rules else None

    def _object_get(self, args: list[dict[str, Any]], scope: _Scope) -> Type:
        base = self.expr(args[0], scope)
        key = args[1]
        default = self.expr(args[2], scope)
        if "String" in key:
            keys = [key["String"]]
        elif "Array" in key and all("String" in x for x in key["Array"]["items"]):
            keys = [x["String"] for x in key["Array"]["items"]]
        else:
            self.expr(key, scope)
            return default
        t = base
        text = _text(scope.raw, args[0])
        for k in keys:
            text += "." + k["value"]
            t = self.access(t, k["value"], k["span"]["line"], key, scope,
                            what=f"{text} (object.get path)")
            if not t:
                break
        return t | default


_HANDLED = frozenset({"Var", "RefDot", "RefBrack", "AssignExpr", "Call", "ArrayCompr",
                      "SetCompr", "ObjectCompr", "Array", "Set", "Object"})
# Single-key dicts in the AST that are not expressions.
_NOT_EXPR = frozenset({"String", "Number", "Bool", "Null", "RawString"})


def _head_name(refr: dict[str, Any]) -> str | None:
    parts = ref_parts(refr)
    if parts is not None:
        return ".".join(parts)
    (_, body), = refr.items()
    return _head_name(body["refr"]) if "refr" in body else None


def _prefixes(path: str) -> Iterator[str]:
    parts = path.split(".")
    for i in range(1, len(parts)):
        yield ".".join(parts[:i])


def _text(raw: bytes, node: dict[str, Any]) -> str:
    span = node.get("span") if "start" in node else next(iter(node.values())).get("span")
    if not span:
        span = node
    return raw[span["start"]:span["end"]].decode("utf-8", "replace")


def lint_fields(lib: PolicyLibrary) -> list[str]:
    """Unknown field paths in the library's (non-test) modules, one line each:
    ``file:line: unknown field a.ctx.protect_rnak: ... (did you mean 'protect_rank'?)``."""
    from dsscan.engines.regorus_engine import RegorusEngine

    parsed = []
    for m in lib.module_facts:
        if m.is_test:
            continue
        engine = RegorusEngine()
        engine.add_module(m.path, m.source)
        parsed.append((m, engine.ast()[0]["ast"]))
    return FieldChecker(parsed).run()
