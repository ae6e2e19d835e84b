"""Find, parse and check the Rego policy library (built-in + user directories).

Everything about a module that Python needs — package, rules, imports, METADATA — is read
here once: the engines have no ``rego.metadata.*`` we could rely on, and the evaluation needs
to know which packages define ``deny`` / ``not_assessed`` / ``assessed`` before it builds its
single query.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from dsscan.engines.base import EngineError
from dsscan.errors import PolicyError
from dsscan.findings import PolicyInfo

POLICY_PREFIX = "dsscan.policy."
LIB_PACKAGE = "dsscan.lib"
# Packages a user module may not define: they belong to the built-in library, the config data
# the engine injects, or the aggregator module the engine generates.
RESERVED_PACKAGES = (LIB_PACKAGE, "dsscan.config", "dsscan_internal")
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d{3,}$")
REQUIRED_FIELDS = ("title", "description", "custom.id", "custom.articles", "custom.remediation")


@dataclass
class ModuleFacts:
    """One parsed .rego file."""

    path: str
    source: str
    package: str  # without the leading "data."
    builtin: bool
    is_test: bool
    package_line: int = 1
    # head name (dotted, static prefix) -> [(kind, line)], kind: set|compr|func|default
    rules: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # alias -> "data.x.y"
    # every function call: (name parts, or None when not a static name; line)
    calls: list[tuple[list[str] | None, int]] = field(default_factory=list, repr=False)

    def functions(self) -> set[str]:
        """Full paths (``data.pkg.f``) of the functions this module defines."""
        return {f"data.{self.package}.{name}" for name, defs in self.rules.items()
                if any(kind in ("func", "default_func") for kind, _ in defs)}


@dataclass
class PolicyLibrary:
    policies: list[PolicyInfo]
    module_facts: list[ModuleFacts]
    # packages (without "data.") of policies that define not_assessed / assessed
    not_assessed_packages: frozenset[str] = frozenset()
    assessed_packages: frozenset[str] = frozenset()

    @property
    def modules(self) -> list[tuple[str, str]]:
        """(path, source) of every non-test module, the helper libraries included."""
        return [(m.path, m.source) for m in self.module_facts if not m.is_test]

    @property
    def test_modules(self) -> list[tuple[str, str]]:
        return [(m.path, m.source) for m in self.module_facts if m.is_test]

    def result_rules(self, package: str) -> tuple[str, ...]:
        """The result rules a policy package defines, deny first."""
        return ("deny",
                *(("not_assessed",) if package in self.not_assessed_packages else ()),
                *(("assessed",) if package in self.assessed_packages else ()))

    def policy(self, policy_id: str) -> PolicyInfo | None:
        return next((p for p in self.policies if p.id == policy_id), None)


def builtin_root() -> Traversable:
    return resources.files("dsscan.policies")


def load_library(extra_dirs: Iterable[str | Path] = (), include_builtin: bool = True,
                 lint: bool = True) -> PolicyLibrary:
    """Load the built-in library and/or user policy directories (searched recursively).

    Raises PolicyError (one line: file, line, what is wrong) on a parse error, a bad or missing
    METADATA field, a duplicate policy id or package, a reserved package, or — with ``lint`` —
    a call to a builtin outside the allow-list (see dsscan.lint), and in a user's policy a
    field path the policy input does not have (a misspelt field is undefined in Rego: a
    silent pass; dsscan.lint_fields, ~0.5 s, so only when there are user policies).
    """
    sources: list[tuple[str, str, bool]] = []
    if include_builtin:
        sources += [(p, s, True) for p, s in _walk_traversable(builtin_root())]
    for d in extra_dirs:
        sources += [(p, s, False) for p, s in _read_user_dir(Path(d))]
    facts = parse_modules(sources)
    lib = _build_library(facts)
    if lint:
        from dsscan.lint import lint_library

        user = any(not m.builtin and not m.is_test for m in lib.module_facts)
        errors = lint_library(lib, fields=user)
        if errors:
            raise PolicyError(errors[0])
    return lib


# --- reading files -------------------------------------------------------------------------

def _walk_traversable(root: Traversable) -> Iterator[tuple[str, str]]:
    entries = sorted(root.iterdir(), key=lambda t: t.name)
    for entry in entries:
        if entry.is_dir():
            if not entry.name.startswith((".", "__")):
                yield from _walk_traversable(entry)
        elif entry.name.endswith(".rego"):
            yield str(entry), entry.read_text(encoding="utf-8")


def _read_user_dir(d: Path) -> Iterator[tuple[str, str]]:
    if d.is_file() and d.suffix == ".rego":
        files = [d]
    elif d.is_dir():
        files = sorted(p for p in d.rglob("*.rego") if p.is_file())
    else:
        raise PolicyError(f"{d}: policy directory not found")
    for f in files:
        try:
            yield str(f), f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError(f"{f}: cannot read policy file ({e})") from None


# --- parsing -------------------------------------------------------------------------------

def parse_modules(sources: list[tuple[str, str, bool]]) -> list[ModuleFacts]:
    """Parse (path, source, builtin) triples with regorus and extract each module's facts.

    One module at a time, and its AST dropped once read: the AST JSON is ~50x the source.
    """
    return [_parse_module(path, src, builtin) for path, src, builtin in sources]


@functools.lru_cache(maxsize=512)
def _parse_module(path: str, src: str, builtin: bool) -> ModuleFacts:
    """One module's facts, parsed once per process for a given text: a process that loads the
    library many times (the CrossGuard pack per preview, a sweep per account, the tests) does
    not walk the same ASTs again. Callers read ModuleFacts and never change them."""
    from dsscan.engines.regorus_engine import RegorusEngine

    engine = RegorusEngine()
    try:
        engine.add_module(path, src)
    except EngineError as e:
        raise PolicyError(_with_path(path, str(e))) from None
    return _facts(path, src, builtin, engine.ast()[0]["ast"])


def ref_parts(node: dict[str, Any]) -> list[str] | None:
    """``a.b["c"]`` → ["a", "b", "c"]; None when a part is not a static name."""
    (kind, body), = node.items()
    if kind == "Var":
        return [body["value"]]
    if kind == "RefDot":
        base = ref_parts(body["refr"])
        return None if base is None else [*base, body["field"][1]]
    if kind == "RefBrack":
        base = ref_parts(body["refr"])
        index = body.get("index", {})
        if base is not None and "String" in index:
            return [*base, index["String"]["value"]]
    return None


def _ref_prefix(node: dict[str, Any]) -> list[str]:
    """The static leading names of a rule head (``r[k]`` → ["r"])."""
    parts = ref_parts(node)
    if parts is not None:
        return parts
    (_, body), = node.items()
    return _ref_prefix(body["refr"]) if "refr" in body else []


def _facts(path: str, src: str, builtin: bool, ast: dict[str, Any]) -> ModuleFacts:
    pkg = ast["package"]
    package = ".".join(ref_parts(pkg["refr"]) or [])
    name = Path(path).name
    is_test = name.endswith("_test.rego") or package.endswith("_test")
    m = ModuleFacts(path=path, source=src, package=package, builtin=builtin, is_test=is_test,
                    package_line=pkg["span"]["line"], calls=_calls(ast))
    raw = src.encode("utf-8")
    for imp in ast.get("imports", []):
        parts = ref_parts(imp["refr"])
        if not parts or parts[0] not in ("data", "input"):
            continue  # rego.v1, future.keywords
        alias_span = imp.get("as")
        alias = (raw[alias_span["start"]:alias_span["end"]].decode("utf-8")
                 if alias_span else parts[-1])
        m.imports[alias] = ".".join(parts)
    for rule in ast.get("rules", []):
        if "Default" in rule:
            d = rule["Default"]
            head = ".".join(_ref_prefix(d["refr"]))
            kind = "default_func" if d.get("args") else "default"
            m.rules.setdefault(head, []).append((kind, d["span"]["line"]))
            continue
        spec = rule.get("Spec")
        if not spec:
            continue
        (hkind, hbody), = spec["head"].items()
        head = ".".join(_ref_prefix(hbody["refr"]))
        kind = {"Set": "set", "Compr": "compr", "Func": "func"}.get(hkind, hkind.lower())
        m.rules.setdefault(head, []).append((kind, hbody["span"]["line"]))
    return m


def _calls(node: Any) -> list[tuple[list[str] | None, int]]:
    found: list[tuple[list[str] | None, int]] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            call = n.get("Call")
            if isinstance(call, dict) and "fcn" in call:
                found.append((ref_parts(call["fcn"]), call["span"]["line"]))
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    found.sort(key=lambda c: c[1])
    return found


def _with_path(path: str, msg: str) -> str:
    return msg if msg.startswith(path) else f"{path}: {msg}"


# --- METADATA ------------------------------------------------------------------------------

def read_metadata(m: ModuleFacts) -> tuple[dict[str, Any], int]:
    """The YAML of the ``# METADATA`` comment block directly above ``package``, and the line
    of its marker. Raises PolicyError when there is none or it is not valid YAML."""
    import yaml

    lines = m.source.splitlines()
    i = m.package_line - 2  # index of the line just above "package"
    block: list[tuple[int, str]] = []
    while i >= 0 and lines[i].lstrip().startswith("#"):
        block.insert(0, (i + 1, lines[i].lstrip()))
        i -= 1
    marker = max((k for k, (_, t) in enumerate(block) if t[1:].strip() == "METADATA"),
                 default=None)
    if marker is None:
        raise PolicyError(f"{m.path}:{m.package_line}: policy has no '# METADATA' block "
                          "directly above its package line")
    marker_line = block[marker][0]
    text = "\n".join(_uncomment(t) for _, t in block[marker + 1:])
    try:
        meta = copy.deepcopy(_metadata_yaml(text)) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = marker_line + 1 + mark.line if mark is not None else marker_line
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise PolicyError(f"{m.path}:{at}: METADATA is not valid YAML ({problem})") from None
    if not isinstance(meta, dict):
        raise PolicyError(f"{m.path}:{marker_line}: METADATA must be a YAML mapping")
    return meta, marker_line


@functools.lru_cache(maxsize=512)
def _metadata_yaml(text: str) -> Any:
    """METADATA parsed once per process for a given text (PyYAML's pure-Python parser took
    ~45% of a small scan's time; the caller gets its own copy)."""
    import yaml

    return yaml.safe_load(text)


def _uncomment(line: str) -> str:
    body = line[1:]
    return body[1:] if body.startswith(" ") else body


def _policy_info(m: ModuleFacts) -> PolicyInfo:
    meta, line = read_metadata(m)
    custom = meta.get("custom")
    custom = custom if isinstance(custom, dict) else {}

    def field_value(name: str) -> Any:
        return custom.get(name[7:]) if name.startswith("custom.") else meta.get(name)

    where = f"{m.path}:{line}"
    for name in REQUIRED_FIELDS:
        value = field_value(name)
        if value is None or (isinstance(value, str | list) and not value):
            raise PolicyError(f"{where}: METADATA is missing '{name}'")
    for name in ("title", "description", "custom.remediation"):
        if not isinstance(field_value(name), str):
            raise PolicyError(f"{where}: METADATA '{name}' must be a string")
    pid = custom["id"]
    if not isinstance(pid, str) or not ID_PATTERN.match(pid):
        raise PolicyError(f"{where}: METADATA 'custom.id' must look like DS-ENC-001")
    articles = custom["articles"]
    if not isinstance(articles, list) or not all(
            isinstance(a, int) and not isinstance(a, bool) and a > 0 for a in articles):
        raise PolicyError(f"{where}: METADATA 'custom.articles' must be a list of article "
                          "numbers, e.g. [41, 45]")
    kinds = custom.get("kinds", [])
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise PolicyError(f"{where}: METADATA 'custom.kinds' must be a list of asset kinds")
    requires = custom.get("requires_config", [])
    if not isinstance(requires, list) or not all(isinstance(k, str) for k in requires):
        raise PolicyError(f"{where}: METADATA 'custom.requires_config' must be a list of "
                          "setting names")
    reads = custom.get("reads")
    if reads is not None:
        from dsscan.findings import ASPECTS

        if not isinstance(reads, list) or not all(r in ASPECTS for r in reads):
            raise PolicyError(f"{where}: METADATA 'custom.reads' must be a list of asset "
                              f"facets ({', '.join(ASPECTS)})")
    from dsscan.config import Config

    settings = {f.name for f in dataclasses.fields(Config)}
    for k in requires:
        if k not in settings:  # a typo would silently switch the policy off
            raise PolicyError(f"{where}: METADATA 'custom.requires_config' names unknown "
                              f"setting '{k}'")
    expected = POLICY_PREFIX + pid.lower().replace("-", "_")
    if m.package != expected:
        raise PolicyError(f"{m.path}:{m.package_line}: policy {pid} must be in package "
                          f"{expected} (found {m.package})")
    return PolicyInfo(id=pid, title=meta["title"].strip(), package=m.package, path=m.path,
                      articles=tuple(articles), description=meta["description"].strip(),
                      remediation=custom["remediation"].strip(), kinds=tuple(kinds),
                      builtin=m.builtin, requires_config=tuple(requires),
                      reads=None if reads is None else tuple(reads))


# --- library checks ------------------------------------------------------------------------

def _reserved(package: str) -> bool:
    return any(package == r or package.startswith(r + ".") for r in RESERVED_PACKAGES)


def _build_library(facts: list[ModuleFacts]) -> PolicyLibrary:
    builtin_packages = {m.package for m in facts if m.builtin}
    policies: list[PolicyInfo] = []
    seen_ids: dict[str, str] = {}
    seen_pkgs: dict[str, str] = {}
    not_assessed: set[str] = set()
    assessed: set[str] = set()
    for m in facts:
        if not m.builtin and _reserved(m.package):
            raise PolicyError(f"{m.path}:{m.package_line}: package {m.package} is reserved "
                              "for the built-in library; use a package of your own")
        if not m.builtin and m.package in builtin_packages:
            raise PolicyError(f"{m.path}:{m.package_line}: package {m.package} is already "
                              "defined by the built-in library (a user module cannot replace "
                              "or extend a built-in policy; give yours its own id)")
        if m.is_test or not m.package.startswith(POLICY_PREFIX) or "deny" not in m.rules:
            continue
        for rule in ("deny", "not_assessed"):
            for kind, line in m.rules.get(rule, []):
                if kind != "set":
                    raise PolicyError(f"{m.path}:{line}: '{rule}' must be a partial set rule "
                                      f"({rule} contains item if {{ ... }})")
        for kind, line in m.rules.get("assessed", []):
            if kind not in ("set", "compr"):
                raise PolicyError(f"{m.path}:{line}: 'assessed' must be a set of asset ids "
                                  "(assessed := {a.id | ...}, or assessed contains a.id if "
                                  "{ ... })")
        info = _policy_info(m)
        if info.id in seen_ids:
            raise PolicyError(f"{m.path}:{m.package_line}: duplicate policy id {info.id} "
                              f"(already defined in {seen_ids[info.id]})")
        if m.package in seen_pkgs:
            raise PolicyError(f"{m.path}:{m.package_line}: package {m.package} is already "
                              f"defined in {seen_pkgs[m.package]} (one policy per package)")
        seen_ids[info.id] = m.path
        seen_pkgs[m.package] = m.path
        if "not_assessed" in m.rules:
            not_assessed.add(m.package)
        if "assessed" in m.rules:
            assessed.add(m.package)
        policies.append(info)
    policies.sort(key=lambda p: p.id)
    return PolicyLibrary(policies=policies, module_facts=facts,
                         not_assessed_packages=frozenset(not_assessed),
                         assessed_packages=frozenset(assessed))
