"""Builtin lint: every function a policy calls is either defined in the library or allowed.

regorus only reports an unknown function when a rule calling it is first evaluated, i.e. in
the middle of a scan, and some builtins break reproducibility (time, randomness, network) or
differ between engines. Walking the parsed AST catches both before anything runs.
"""

from __future__ import annotations

from dsscan.engines.base import EngineError
from dsscan.policy_library import ModuleFacts, PolicyLibrary

# Standard OPA builtins that regorus 0.9.1 implements and that give the same answer under
# regorus and OPA (tests/test_lint.py evaluates a sample of each under both engines).
# Left out on purpose: net.* (CIDR facts are resolved in Python), http.send, opa.runtime,
# rego.* (no rego.metadata.* in regorus), time.now_ns, rand.*, uuid.*, crypto.*, io.jwt.*
# (nondeterministic or engine-specific), print/trace (output side effects; trace differs),
# json.match_schema/json.verify_schema (error shapes differ between the engines).
ALLOWED_BUILTINS: frozenset[str] = frozenset({
    # numbers and aggregates
    "abs", "ceil", "floor", "round", "count", "sum", "product", "max", "min", "sort",
    "numbers.range", "numbers.range_step", "to_number", "format_int",
    "bits.and", "bits.or", "bits.xor", "bits.negate", "bits.lsh", "bits.rsh",
    # arrays, sets, objects
    "array.concat", "array.reverse", "array.slice", "intersection", "union",
    "object.filter", "object.get", "object.keys", "object.remove", "object.subset",
    "object.union", "object.union_n", "json.filter", "json.remove", "walk",
    "graph.reachable", "graph.reachable_paths",
    # strings
    "concat", "contains", "endswith", "startswith", "indexof", "indexof_n", "lower", "upper",
    "replace", "split", "sprintf", "substring", "trim", "trim_left", "trim_prefix",
    "trim_right", "trim_space", "trim_suffix", "strings.any_prefix_match",
    "strings.any_suffix_match", "strings.count", "strings.replace_n", "strings.reverse",
    # regex and glob
    "regex.match", "regex.is_valid", "regex.split", "regex.find_n",
    "regex.find_all_string_submatch_n", "regex.replace", "regex.template_match",
    "glob.match", "glob.quote_meta",
    # types
    "is_array", "is_boolean", "is_null", "is_number", "is_object", "is_set", "is_string",
    "type_name",
    # encodings
    "base64.decode", "base64.encode", "base64.is_valid", "base64url.decode",
    "base64url.encode", "base64url.encode_no_pad", "hex.decode", "hex.encode",
    "json.is_valid", "json.marshal", "json.marshal_with_options", "json.unmarshal",
    "yaml.is_valid", "yaml.marshal", "yaml.unmarshal", "urlquery.decode",
    "urlquery.decode_object", "urlquery.encode", "urlquery.encode_object",
    # versions, units, time arithmetic on given timestamps (never the clock)
    "semver.compare", "semver.is_valid", "units.parse", "units.parse_bytes",
    "time.add_date", "time.clock", "time.date", "time.diff", "time.format",
    "time.parse_duration_ns", "time.parse_ns", "time.parse_rfc3339_ns", "time.weekday",
})


def lint_library(lib: PolicyLibrary, compile_check: bool = True,
                 fields: bool = False) -> list[str]:
    """All lint errors of the library, one line each (``file:line: what``), in file order.

    Checks every module (tests included: they run under both engines) for calls to functions
    that are neither defined in the loaded modules nor in ALLOWED_BUILTINS; with
    ``compile_check`` also lets regorus prepare the modules (unsafe variables, ...); with
    ``fields`` also checks every field path the policies read against the policy input schema
    (dsscan.lint_fields; ~0.5 s for the built-in library, so `dsscan policies lint` runs it,
    not every scan).
    """
    defined: set[str] = set()
    for m in lib.module_facts:
        defined |= m.functions()
    errors: list[str] = []
    for m in lib.module_facts:
        errors += lint_module(m, defined)
    if compile_check and not errors:
        err = _compile_error(lib)
        if err:
            errors.append(err)
    if fields and not errors:  # the field lint needs modules that parse and compile
        from dsscan.lint_fields import lint_fields

        errors += lint_fields(lib)
    return errors


def lint_module(m: ModuleFacts, defined: set[str]) -> list[str]:
    errors = []
    for parts, line in m.calls:
        problem = _check_call(m, parts, defined)
        if problem:
            errors.append(f"{m.path}:{line}: {problem}")
    return errors


def _check_call(m: ModuleFacts, parts: list[str] | None, defined: set[str]) -> str | None:
    if parts is None:
        return "call to a function whose name is computed; call functions by name"
    name = ".".join(parts)
    if parts[0] == "data":
        full = name
    elif parts[0] in m.imports:
        # regorus 0.9.1 resolves imports in references but not in calls ("could not find
        # function lib.f" at run time, while OPA accepts it): require the full path.
        full = ".".join([m.imports[parts[0]], *parts[1:]])
        return (f"call {full}() by its full path, not as {name}() through an import "
                "(regorus does not resolve imported names in function calls)")
    else:
        local = f"data.{m.package}.{name}"
        if local in defined:
            return None
        if name in ALLOWED_BUILTINS:
            return None
        return (f"builtin {name}() is not allowed in dsscan policies "
                "(see ALLOWED_BUILTINS in dsscan/lint.py)")
    if full in defined:
        return None
    return f"call to undefined function {full}()"


def _compile_error(lib: PolicyLibrary) -> str | None:
    from dsscan.engines.regorus_engine import RegorusEngine

    engine = RegorusEngine()
    try:
        for m in lib.module_facts:
            engine.add_module(m.path, m.source)
        engine.compile_check()
    except EngineError as e:
        return str(e)
    return None
