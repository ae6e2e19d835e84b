"""Strict YAML on libyaml: settings, catalogues, waivers and accounts files are parsed by
libyaml's C loader where PyYAML has it (bench/bench_yaml.py: ~3x faster end to end), and
every strictness rule of the pure-Python loader still holds on it."""

from __future__ import annotations

import pytest
import yaml

from dsscan.errors import InputError
from dsscan.inputs import MAX_DEPTH
from dsscan.strict_yaml import _strict_loader, parse_yaml


def test_the_c_loader_is_used_where_pyyaml_has_it():
    assert yaml.__with_libyaml__  # the test extra's PyYAML wheels are built with libyaml
    assert issubclass(_strict_loader(), yaml.CSafeLoader)


# (case, document, words of the one-line error)
REFUSED = [
    ("duplicate key", "a: 1\nb: 2\na: 3\n", "duplicate key 'a'"),
    ("duplicate key in a nested mapping", "x:\n  k: 1\n  k: 2\n", "duplicate key 'k'"),
    ("NaN", "a: .nan\n", "NaN or Infinity"),
    ("infinity", "a: -.inf\n", "NaN or Infinity"),
    ("integer past 64 bits", "a: 18446744073709551616\n", "beyond 64 bits"),
    ("integer of 40 digits", "a: " + "9" * 40 + "\n", "beyond 64 bits"),
    ("nested past MAX_DEPTH", "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",
     f"nested more than {MAX_DEPTH} levels deep"),
    ("nested past libyaml's own bound", "[" * 5000 + "]" * 5000,
     f"nested more than {MAX_DEPTH} levels deep"),
    ("aliases that expand past MAX_NODES",
     "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
         f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
         for p, c in zip("abcdef", "bcdefg", strict=True)), "expand to more than"),
    ("alias nested past MAX_DEPTH",
     "a: &a " + "[" * 100 + "x" + "]" * 100 + "\nb: " + "[" * 60 + "*a" + "]" * 60 + "\n",
     "nested more than"),
    ("lone surrogate escape", 'a: "\\ud800"\n', "lone UTF-16 surrogate"),
    ("control character", "a: \x07\n", "not valid YAML"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case,text,words", REFUSED, ids=[c[0] for c in REFUSED])
def test_strictness_holds_on_the_c_loader(case, text, words):
    with pytest.raises(InputError) as e:
        parse_yaml(text, "s.yaml")
    assert str(e.value).startswith("s.yaml: not valid YAML")
    assert words in str(e.value) and "\n" not in str(e.value)


@pytest.mark.slow
def test_same_documents_as_the_pure_loader():
    text = ("version: 1\nrules:\n  - id: R1\n    level: core\n    match: {id: 'arn:*', "
            "tags: {owner: \"团队\"}}\n    n: 0x1f\n    when: 2025-01-31\n    f: 1.5e3\n"
            "base: &b {x: 1}\nmerged: {<<: *b, y: 2}\n")
    assert parse_yaml(text, "s.yaml")[0] == yaml.load(text, Loader=yaml.SafeLoader)
