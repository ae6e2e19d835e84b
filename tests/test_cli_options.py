"""Option values: every float option refuses NaN and infinities (click's FloatRange lets NaN
through: no bound compares false against it), through one shared type."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from fuzz_support import run_in_process

from dsscan.cli.main import cli
from dsscan.cli.types import FiniteFloatRange


def _commands(group: click.Group, ctx: click.Context,
              path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        yield (*path, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, click.Context(cmd, parent=ctx), (*path, name))


def _float_options() -> list[tuple[str, click.Parameter]]:
    ctx = click.Context(cli)
    return [(" ".join(path) + " " + p.opts[0], p) for path, cmd in _commands(cli, ctx)
            for p in cmd.params if isinstance(p.type, click.types.FloatParamType)]


FLOAT_OPTIONS = _float_options()


def test_the_float_options_are_found() -> None:
    names = {n for n, _ in FLOAT_OPTIONS}
    assert {"scan aws --timeout", "sample --timeout", "scan inventory --opa-timeout",
            "scan pulumi --timeout", "inventory aws --timeout"} <= names, names


@pytest.mark.parametrize("name, param", FLOAT_OPTIONS, ids=[n for n, _ in FLOAT_OPTIONS])
@pytest.mark.parametrize("value", ["nan", "NaN", "-nan", "inf", "-Infinity", "1e999"])
def test_every_float_option_refuses_what_is_not_a_finite_number(name: str,
                                                                param: click.Parameter,
                                                                value: str) -> None:
    assert isinstance(param.type, FiniteFloatRange), name
    with pytest.raises(click.BadParameter):
        param.type.convert(value, param, None)


@pytest.mark.parametrize("argv", [
    ["scan", "aws", "--timeout", "nan", "--regions", "cn-north-1"],
    ["inventory", "aws", "--timeout", "nan", "--regions", "cn-north-1"],
    ["sample", "--timeout", "nan", "x.csv"],
    ["scan", "inventory", "--opa-timeout", "nan", "x.json"],
])
def test_a_nan_timeout_is_a_one_line_error(argv: list[str]) -> None:
    got = run_in_process(argv)
    assert got.code == 2, got
    assert got.stderr.count("\n") == 1 and "is not a finite number" in got.stderr, got.stderr
