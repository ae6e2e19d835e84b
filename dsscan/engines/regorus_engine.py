"""The default engine: regorus (pure Rust, embedded, no server)."""

from __future__ import annotations

from typing import Any

import orjson

from dsscan.engines.base import UNDEFINED, EngineError, one_line

# orjson parses the engine's (indented) JSON several times faster than json.
_loads = orjson.loads

_UNDEFINED_JSON = '"<undefined>"'


class RegorusEngine:
    name = "regorus"

    def __init__(self) -> None:
        import regorus

        self._engine = regorus.Engine()

    def add_module(self, path: str, source: str) -> None:
        try:
            self._engine.add_policy(path, source)
        except RuntimeError as e:
            raise EngineError(one_line(str(e))) from None

    def add_data_json(self, data_json: str) -> None:
        try:
            self._engine.add_data_json(data_json)
        except RuntimeError as e:
            raise EngineError(one_line(str(e))) from None

    def set_input_json(self, input_json: str | None) -> None:
        self._engine.set_input_json(input_json if input_json is not None else "{}")

    def eval_rule(self, rule: str) -> Any:
        out = self.eval_rule_json(rule)
        return UNDEFINED if out is None else _loads(out)

    def eval_rule_json(self, rule: str) -> str | None:
        try:
            out = self._engine.eval_rule_as_json(rule)
        except RuntimeError as e:
            raise EngineError(one_line(str(e))) from None
        return None if out == _UNDEFINED_JSON else out

    def compile_check(self) -> None:
        """Surface errors regorus only reports when it first prepares the modules (unsafe
        variables, ...), so a bad module fails at load time rather than mid-scan."""
        try:
            self._engine.eval_query_as_json("true")
        except RuntimeError as e:
            raise EngineError(one_line(str(e))) from None

    def ast(self) -> list[dict[str, Any]]:
        """The parsed modules (one entry per add_module, in order)."""
        return _loads(self._engine.get_ast_as_json())
