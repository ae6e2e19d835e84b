"""Rego engine adapters: regorus (default, embedded) and real OPA in-process (test oracle)."""

from __future__ import annotations

from dsscan.engines.base import UNDEFINED, EngineError, RegoEngine, one_line

ENGINES = ("regorus", "opa")


def make_engine(name: str = "regorus") -> RegoEngine:
    """A fresh, empty engine of the given kind."""
    if name == "regorus":
        from dsscan.engines.regorus_engine import RegorusEngine

        return RegorusEngine()
    if name == "opa":
        from dsscan.engines.opa_engine import OpaInProcessEngine

        return OpaInProcessEngine()
    raise ValueError(f"unknown Rego engine {name!r} (expected one of {', '.join(ENGINES)})")


__all__ = ["ENGINES", "UNDEFINED", "EngineError", "RegoEngine", "make_engine", "one_line"]
