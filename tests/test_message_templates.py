"""A policy's message or reason given as a template is filled in Python, once per finding
(dsscan/messages.py); the text is what sprintf in the policy would have written."""

from __future__ import annotations

import pytest

from dsscan.messages import is_template, level_label, render

CORE = {"id": "arn:aws:s3:::ledger", "name": "ledger", "ctx": {"level": "core",
                                                             "protect_level": "core"}}
UNRATED = {"id": "arn:aws:s3:::x", "ctx": {"level": "unclassified",
                                           "protect_level": "important"}}


@pytest.mark.parametrize(("value", "asset", "expected"), [
    ("ready made", CORE, "ready made"),
    ({"template": "{asset} holds {level} data."}, CORE, "ledger holds core data."),
    # no name: the id; unclassified: the level it is protected as
    ({"template": "{asset} holds {level} data."}, UNRATED,
     "arn:aws:s3:::x holds unclassified (protected as important) data."),
    # the policy's own values win over the asset's
    ({"template": "{asset} ({level})", "asset": "vault-1", "level": "sensitive"}, CORE,
     "vault-1 (sensitive)"),
    # lists joined by ", ", whole numbers without .0, null as unknown, booleans as JSON
    ({"template": "{ids}; {days} days; {x}; {b}", "ids": ["a", "b"], "days": 365.0,
      "x": None, "b": False}, CORE, "a, b; 365 days; unknown; false"),
    ({"template": "{n} of {m}", "n": 3, "m": 2.5}, CORE, "3 of 2.5"),
    # a nested template: a fragment that is there or not ("" when not)
    ({"template": "{asset} has no backup.{note}",
      "note": {"template": " Replicas: {r}.", "r": ["x (y)", "z"]}}, CORE,
     "ledger has no backup. Replicas: x (y), z."),
    ({"template": "{asset} has no backup.{note}", "note": ""}, CORE, "ledger has no backup."),
    # a list of fragments
    ({"template": "{parts}", "parts": [{"template": "{a}!", "a": 1}, "b"]}, CORE, "1!, b"),
    # a placeholder with no value, or not a name, stays as written (never an error)
    ({"template": "{asset} {missing} {0} {} {{x}}"}, CORE, "ledger {missing} {0} {} {{x}}"),
    # braces in a value are not read again as a template
    ({"template": "{v}", "v": "{asset}"}, CORE, "{asset}"),
    # no asset known (an item for an asset not in the inventory): placeholders stay
    ({"template": "{asset} x"}, None, "{asset} x"),
])
def test_render_fills_templates(value, asset, expected):
    assert render(value, asset, "sensitive", "default") == expected


@pytest.mark.parametrize("value", [None, 3, ["a"], {"text": "x"}, {"template": 3}])
def test_anything_else_is_the_default(value):
    assert not is_template(value)
    assert render(value, CORE, "sensitive", "the title") == "the title"


@pytest.mark.parametrize(("asset", "expected"), [
    ({"ctx": {"level": "important", "protect_level": "important"}}, "important"),
    ({"ctx": {"level": "unclassified", "protect_level": "core"}},
     "unclassified (protected as core)"),
    # no ctx (a policy input without relations): the level, then the configured floor
    ({"level": {"value": "general"}}, "general"),
    ({"level": {"value": "bogus"}}, "unclassified (protected as sensitive)"),
    ({}, "unclassified (protected as sensitive)"),
])
def test_level_label_matches_the_library(asset, expected):
    assert level_label(asset, "sensitive") == expected
