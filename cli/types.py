"""Click parameter types shared by every command's options."""

from __future__ import annotations

import math
from typing import Any

import click


class FiniteFloatRange(click.FloatRange):
    """A float within a range, and a real number: click's FloatRange lets ``nan`` through
    (every comparison with NaN is false, so no bound refuses it), and a NaN timeout or
    threshold then silently turns every check that uses it off. Every float option of dsscan
    uses this type."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        rv = super().convert(value, param, ctx)
        if isinstance(rv, float) and not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return rv
