"""The dsscan command run in this process (click's CliRunner isolation): the same entry point,
exit codes and masked streams as a subprocess, without starting an interpreter per call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def dsscan_inproc(*args: str | Path, env: dict[str, str | None] | None = None) -> Result:
    from click.testing import CliRunner

    from dsscan.cli.main import main

    runner = CliRunner()
    with runner.isolation(env={"NO_COLOR": "1", "COLUMNS": "100", **(env or {})}) as streams:
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return Result(code, out.decode(errors="replace"), err.decode(errors="replace"))
