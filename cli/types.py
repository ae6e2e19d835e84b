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


class SuggestingGroup(click.Group):
    """A command group whose "No such command" says which command was probably meant,
    among every command it can build (lazy and registry-built ones included: click's own
    suggestion looks only at commands added eagerly)."""

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing \
                and self.get_command(ctx, name) is None:
            from dsscan.suggest import did_you_mean

            hint = did_you_mean(name, self.list_commands(ctx))
            if hint:
                raise click.UsageError(f"No such command '{name}'{hint}", ctx)
        return super().resolve_command(ctx, args)
