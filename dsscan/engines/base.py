"""What every Rego engine adapter offers, and how engine errors become one line.

Values cross the boundary as JSON text only: regorus 0.9.1 turns Python bools handed over as
objects into 1/0, so nothing but JSON strings may reach an engine.
"""

from __future__ import annotations

import re
from typing import Any, Protocol


class Undefined:
    """The value of a rule whose body never succeeded (distinct from ``null``)."""

    _instance: Undefined | None = None

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __reduce__(self) -> str:  # pickles as the singleton (process pool results)
        return "UNDEFINED"


UNDEFINED = Undefined()


class EngineError(Exception):
    """The engine rejected a module or failed while evaluating; the message is one line."""


class RegoEngine(Protocol):
    """A loaded Rego engine: modules and data first, then any number of evaluations."""

    name: str

    def add_module(self, path: str, source: str) -> None: ...

    def add_data_json(self, data_json: str) -> None: ...

    def set_input_json(self, input_json: str | None) -> None: ...

    def eval_rule(self, rule: str) -> Any:
        """Value of ``data.<pkg>.<rule>`` (JSON-shaped; sets as lists) or ``UNDEFINED``."""
        ...

    def eval_rule_json(self, rule: str) -> str | None:
        """The same value as JSON text, or None when undefined."""
        ...


# regorus: "\n--> file:3:7\n  |\n3 | x := {\n  |       ^\nerror: expecting expression\n..."
_REGORUS_LOC = re.compile(r"-->\s*(?P<loc>\S+:\d+:\d+)")
_REGORUS_ERR = re.compile(r"^error:\s*(?P<msg>.*\S)", re.M)
# OPA: "2 errors occurred:\na.rego:3: rego_parse_error: unexpected eof token\n\tx := {..."
_OPA_COUNT = re.compile(r"^\s*\d+ errors? occurred:\s*")


def one_line(message: str) -> str:
    """Reduce an engine's multi-line diagnostic to ``file:line:col: what`` (first error only)."""
    text = message.split("Stack backtrace:", 1)[0]
    loc = _REGORUS_LOC.search(text)
    err = _REGORUS_ERR.search(text)
    if err:
        return f"{loc.group('loc')}: {err.group('msg')}" if loc else err.group("msg")
    text = _OPA_COUNT.sub("", text)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return "unknown engine error"
