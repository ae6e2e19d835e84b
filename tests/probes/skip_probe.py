"""Run only by tests/test_ci_guards.py (the name does not match test_*.py, so the suite does not
collect it): one test that skips the way a missing component does."""

import pytest


def test_a_component_is_missing() -> None:
    pytest.skip("the component is not installed")
