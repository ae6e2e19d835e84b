"""Real OPA (Go, in-process through opa-golib-python-bindings): the test-time oracle.

The bindings are optional (they declare Python>=3.14 and are installed with
--ignore-requires-python), so they are imported only when this engine is built.
"""

from __future__ import annotations

import json
from typing import Any

from dsscan.engines.base import UNDEFINED, EngineError, one_line


def opa_available() -> bool:
    try:
        import opa_bindings.engine  # noqa: F401
    except Exception:
        return False
    return True


class OpaInProcessEngine:
    name = "opa"

    def __init__(self) -> None:
        try:
            from opa_bindings.engine import OpaEngine
        except Exception as e:
            raise EngineError(f"the OPA engine is not installed (opa_bindings: {e})") from None
        self._engine = OpaEngine()
        self._input: Any = None

    def add_module(self, path: str, source: str) -> None:
        from opa_bindings.engine import OpaError

        try:
            self._engine.add_policy(path, source)
        except OpaError as e:
            raise EngineError(one_line(e.message)) from None

    def add_data_json(self, data_json: str) -> None:
        from opa_bindings.engine import OpaError

        try:
            self._engine.add_data(json.loads(data_json))
        except OpaError as e:
            raise EngineError(one_line(e.message)) from None

    def set_input_json(self, input_json: str | None) -> None:
        # The bindings serialize Python values themselves; parse once here.
        self._input = json.loads(input_json) if input_json is not None else None

    def eval_rule(self, rule: str) -> Any:
        from opa_bindings.engine import OpaError, OpaUndefinedError

        path = rule.removeprefix("data.")
        try:
            return self._engine.eval_document(path, self._input)
        except OpaUndefinedError:
            return UNDEFINED
        except OpaError as e:
            raise EngineError(one_line(e.message)) from None

    def eval_rule_json(self, rule: str) -> str | None:
        out = self.eval_rule(rule)
        return None if out is UNDEFINED else json.dumps(out, ensure_ascii=False)

    def close(self) -> None:
        self._engine.close()
