"""The builtin lint: only allow-listed builtins and defined functions may be called, and every
allow-listed builtin really exists in both regorus and OPA with the same result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opa_support import needs_opa

from dsscan.engines import UNDEFINED, make_engine
from dsscan.errors import PolicyError
from dsscan.lint import ALLOWED_BUILTINS, lint_library
from dsscan.policy_library import load_library

# One call per allowed builtin. A builtin added to ALLOWED_BUILTINS without a sample here
# fails test_every_allowed_builtin_has_a_sample; a sample that an engine does not know fails.
SAMPLES: dict[str, str] = {
    "abs": "abs(-2)",
    "ceil": "ceil(1.2)",
    "floor": "floor(1.8)",
    "round": "round(1.5)",
    "count": "count([1, 2])",
    "sum": "sum([1, 2])",
    "product": "product([2, 3])",
    "max": "max([1, 3])",
    "min": "min([1, 3])",
    "sort": "sort([3, 1, 2])",
    "numbers.range": "numbers.range(1, 3)",
    "numbers.range_step": "numbers.range_step(1, 6, 2)",
    "to_number": 'to_number("12")',
    "format_int": "format_int(255, 16)",
    "bits.and": "bits.and(6, 3)",
    "bits.or": "bits.or(4, 1)",
    "bits.xor": "bits.xor(6, 3)",
    "bits.negate": "bits.negate(1)",
    "bits.lsh": "bits.lsh(1, 3)",
    "bits.rsh": "bits.rsh(8, 2)",
    "array.concat": "array.concat([1], [2])",
    "array.reverse": "array.reverse([1, 2])",
    "array.slice": "array.slice([1, 2, 3], 1, 2)",
    "intersection": "intersection({{1, 2}, {2, 3}})",
    "union": "union({{1}, {2}})",
    "object.filter": 'object.filter({"a": 1, "b": 2}, ["a"])',
    "object.get": 'object.get({"a": {"b": 1}}, ["a", "c"], 0)',
    "object.keys": 'object.keys({"a": 1})',
    "object.remove": 'object.remove({"a": 1, "b": 2}, ["a"])',
    "object.subset": 'object.subset({"a": 1, "b": 2}, {"a": 1})',
    "object.union": 'object.union({"a": 1}, {"b": 2})',
    "object.union_n": 'object.union_n([{"a": 1}, {"b": 2}])',
    "json.filter": 'json.filter({"a": 1, "b": 2}, ["a"])',
    "json.remove": 'json.remove({"a": 1, "b": 2}, ["a"])',
    "walk": '[p | walk({"a": 1}, [p, _])]',
    "graph.reachable": 'graph.reachable({"a": ["b"], "b": []}, ["a"])',
    "graph.reachable_paths": 'graph.reachable_paths({"a": ["b"], "b": []}, ["a"])',
    "concat": 'concat(",", ["a", "b"])',
    "contains": 'contains("abc", "b")',
    "endswith": 'endswith("abc", "c")',
    "startswith": 'startswith("abc", "a")',
    "indexof": 'indexof("abc", "b")',
    "indexof_n": 'indexof_n("abab", "b")',
    "lower": 'lower("AB")',
    "upper": 'upper("ab")',
    "replace": 'replace("abc", "b", "x")',
    "split": 'split("a,b", ",")',
    "sprintf": 'sprintf("%s-%d-%v", ["a", 1, {"k": [true, null]}])',
    "substring": 'substring("abcdef", 1, 3)',
    "trim": 'trim("xax", "x")',
    "trim_left": 'trim_left("xax", "x")',
    "trim_prefix": 'trim_prefix("xab", "x")',
    "trim_right": 'trim_right("xax", "x")',
    "trim_space": 'trim_space(" a ")',
    "trim_suffix": 'trim_suffix("abx", "x")',
    "strings.any_prefix_match": 'strings.any_prefix_match("abc", ["a"])',
    "strings.any_suffix_match": 'strings.any_suffix_match("abc", ["c"])',
    "strings.count": 'strings.count("abab", "b")',
    "strings.replace_n": 'strings.replace_n({"a": "x"}, "aba")',
    "strings.reverse": 'strings.reverse("abc")',
    "regex.match": 'regex.match("^a+$", "aa")',
    "regex.is_valid": 'regex.is_valid("a+")',
    "regex.split": 'regex.split(",", "a,b")',
    "regex.find_n": 'regex.find_n("a.", "abac", -1)',
    "regex.find_all_string_submatch_n": 'regex.find_all_string_submatch_n("a(b)", "abab", -1)',
    "regex.replace": 'regex.replace("abc", "b", "x")',
    "regex.template_match": 'regex.template_match("urn:foo:{.*}", "urn:foo:bar", "{", "}")',
    "glob.match": 'glob.match("prod-*", ["-"], "prod-db")',
    "glob.quote_meta": 'glob.quote_meta("a*")',
    "is_array": "is_array([])",
    "is_boolean": "is_boolean(true)",
    "is_null": "is_null(null)",
    "is_number": "is_number(1)",
    "is_object": "is_object({})",
    "is_set": "is_set(set())",
    "is_string": 'is_string("a")',
    "type_name": "type_name([])",
    "base64.decode": 'base64.decode("YQ==")',
    "base64.encode": 'base64.encode("a")',
    "base64.is_valid": 'base64.is_valid("YQ==")',
    "base64url.decode": 'base64url.decode("YQ==")',
    "base64url.encode": 'base64url.encode("ab")',
    "base64url.encode_no_pad": 'base64url.encode_no_pad("a")',
    "hex.decode": 'hex.decode("61")',
    "hex.encode": 'hex.encode("a")',
    "json.is_valid": 'json.is_valid("{}")',
    "json.marshal": 'json.marshal({"a": [1]})',
    "json.marshal_with_options": 'json.marshal_with_options({"a": 1}, {"pretty": false})',
    "json.unmarshal": 'json.unmarshal("{\\"a\\": 1}")',
    "yaml.is_valid": 'yaml.is_valid("a: 1")',
    "yaml.marshal": 'yaml.marshal({"a": 1})',
    "yaml.unmarshal": 'yaml.unmarshal("a: 1")',
    "urlquery.decode": 'urlquery.decode("a%20b")',
    "urlquery.decode_object": 'urlquery.decode_object("a=1&b=2")',
    "urlquery.encode": 'urlquery.encode("a b")',
    "urlquery.encode_object": 'urlquery.encode_object({"a": "1"})',
    "semver.compare": 'semver.compare("1.0.0", "1.2.0")',
    "semver.is_valid": 'semver.is_valid("1.0.0")',
    "units.parse": 'units.parse("1K")',
    "units.parse_bytes": 'units.parse_bytes("1KiB")',
    "time.add_date": "time.add_date(0, 1, 0, 0)",
    "time.clock": "time.clock(0)",
    "time.date": "time.date(0)",
    "time.diff": "time.diff(0, 86400000000000)",
    "time.format": "time.format(0)",
    "time.parse_duration_ns": 'time.parse_duration_ns("1h")',
    "time.parse_ns": 'time.parse_ns("2006-01-02", "2024-03-01")',
    "time.parse_rfc3339_ns": 'time.parse_rfc3339_ns("2024-03-01T00:00:00Z")',
    "time.weekday": "time.weekday(0)",
}

BANNED = ["http.send", "net.cidr_contains", "net.cidr_merge", "time.now_ns", "rand.intn",
          "uuid.rfc4122", "crypto.sha256", "io.jwt.decode", "opa.runtime",
          "rego.metadata.rule", "print", "trace", "json.match_schema"]


def _evaluate_samples(engine_name: str) -> dict[str, object]:
    engine = make_engine(engine_name)
    rules = "\n".join(f"s{i} := {expr}" for i, expr in enumerate(SAMPLES.values()))
    engine.add_module("samples.rego", f"package samples\n\nimport rego.v1\n\n{rules}\n")
    engine.set_input_json(None)
    return {name: engine.eval_rule(f"data.samples.s{i}") for i, name in enumerate(SAMPLES)}


def test_every_allowed_builtin_has_a_sample():
    assert set(SAMPLES) == set(ALLOWED_BUILTINS)


def test_nondeterministic_and_engine_specific_builtins_are_not_allowed():
    banned_prefixes = ("net.", "rego.", "rand.", "uuid.", "crypto.", "io.jwt.", "http.",
                       "opa.")
    assert not [b for b in ALLOWED_BUILTINS if b.startswith(banned_prefixes)]
    assert not {"time.now_ns", "print", "trace"} & ALLOWED_BUILTINS


def test_regorus_knows_every_allowed_builtin():
    values = _evaluate_samples("regorus")
    assert [n for n, v in values.items() if v is UNDEFINED] == []


@pytest.mark.slow
@needs_opa
def test_opa_gives_the_same_value_for_every_allowed_builtin():
    ours, oracle = _evaluate_samples("regorus"), _evaluate_samples("opa")
    differ = {n: (json.dumps(ours[n]), json.dumps(oracle[n])) for n in SAMPLES
              if ours[n] != oracle[n]}
    assert differ == {}
    assert UNDEFINED not in oracle.values()


def _policy(d: Path, body: str, name: str = "p.rego") -> Path:
    path = d / name
    path.write_text(f"""# METADATA
# title: t
# description: d
# custom:
#   id: ACME-LNT-001
#   articles: [41]
#   remediation: r
package dsscan.policy.acme_lnt_001

import rego.v1

{body}
""", encoding="utf-8")
    return path


@pytest.mark.parametrize("builtin", BANNED)
def test_banned_builtin_is_rejected_with_file_line_and_name(tmp_path, builtin):
    path = _policy(tmp_path, f"""deny contains {{"asset": "a", "level": "core"}} if {{
\tx := {builtin}("a")
\tx == 1
}}""")
    with pytest.raises(PolicyError) as exc:
        load_library([tmp_path], include_builtin=False)
    assert str(exc.value) == (f"{path}:13: builtin {builtin}() is not allowed in dsscan "
                              "policies (see ALLOWED_BUILTINS in dsscan/lint.py)")


def test_unknown_function_is_rejected(tmp_path):
    path = _policy(tmp_path, 'deny contains {"asset": "a", "level": "core"} if frobnicate(1)')
    with pytest.raises(PolicyError, match=r"builtin frobnicate\(\) is not allowed") as exc:
        load_library([tmp_path], include_builtin=False)
    assert str(exc.value).startswith(f"{path}:12: ")


def test_call_to_undefined_function_under_data_is_rejected(tmp_path):
    _policy(tmp_path, 'deny contains {"asset": "a", "level": "core"} if data.acme.nope(1)')
    with pytest.raises(PolicyError, match=r"call to undefined function data\.acme\.nope\(\)"):
        load_library([tmp_path], include_builtin=False)


def test_functions_defined_in_the_library_may_be_called(tmp_path):
    (tmp_path / "h.rego").write_text(
        "package acme.helpers\n\nimport rego.v1\n\ntwice(x) := x * 2\n", encoding="utf-8")
    _policy(tmp_path, """local(x) := data.acme.helpers.twice(x) + 1

deny contains {"asset": a.id, "level": "core"} if {
\tsome a in input.assets
\tlocal(count(a.tags)) > 2
\tupper(a.id) != ""
}""")
    lib = load_library([tmp_path], include_builtin=False)
    assert lint_library(lib) == []


def test_function_called_through_an_import_alias_is_rejected(tmp_path):
    (tmp_path / "h.rego").write_text(
        "package acme.helpers\n\nimport rego.v1\n\ntwice(x) := x * 2\n", encoding="utf-8")
    _policy(tmp_path, """import data.acme.helpers

deny contains {"asset": a.id, "level": "core"} if {
\tsome a in input.assets
\thelpers.twice(a.n) > 2
}""")
    with pytest.raises(PolicyError) as exc:
        load_library([tmp_path], include_builtin=False)
    assert "call data.acme.helpers.twice() by its full path, not as helpers.twice()" in str(
        exc.value)


def test_import_alias_works_for_rule_references(tmp_path):
    (tmp_path / "h.rego").write_text(
        "package acme.helpers\n\nimport rego.v1\n\nlimit := 2\n", encoding="utf-8")
    _policy(tmp_path, """import data.acme.helpers

deny contains {"asset": a.id, "level": "core"} if {
\tsome a in input.assets
\ta.n > helpers.limit
}""")
    assert lint_library(load_library([tmp_path], include_builtin=False, lint=False)) == []


def test_lint_library_lists_every_error_without_raising(tmp_path):
    path = _policy(tmp_path, """deny contains {"asset": "a", "level": "core"} if {
\ttime.now_ns() > 0
\thttp.send({}) == {}
}""")
    (tmp_path / "t_test.rego").write_text(
        "package acme.t_test\n\nimport rego.v1\n\ntest_x if rand.intn(\"s\", 3) < 3\n",
        encoding="utf-8")
    lib = load_library([tmp_path], include_builtin=False, lint=False)
    errors = lint_library(lib)
    assert errors == [
        f"{path}:13: builtin time.now_ns() is not allowed in dsscan policies "
        "(see ALLOWED_BUILTINS in dsscan/lint.py)",
        f"{path}:14: builtin http.send() is not allowed in dsscan policies "
        "(see ALLOWED_BUILTINS in dsscan/lint.py)",
        f"{tmp_path / 't_test.rego'}:5: builtin rand.intn() is not allowed in dsscan "
        "policies (see ALLOWED_BUILTINS in dsscan/lint.py)",
    ]


def test_shipped_library_passes_the_lint():
    assert lint_library(load_library(lint=False)) == []
