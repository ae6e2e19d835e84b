"""Real OPA in-process, the policy tests' oracle: one marker for the tests that need it.

Outside CI a machine without the oracle skips them (it is installed separately, with
--ignore-requires-python: scripts/test does it). Under CI (``CI`` set) the session refuses to
start without it (tests/conftest.py): a green run never hides that the oracle did not run."""

from __future__ import annotations

import pytest

from dsscan.engines.opa_engine import opa_available

OPA_MISSING = ("opa_bindings (opa-golib-python-bindings) is not importable: the OPA oracle is "
               "installed separately with --ignore-requires-python (scripts/test does it)")
needs_opa = pytest.mark.skipif(not opa_available(), reason=OPA_MISSING)
