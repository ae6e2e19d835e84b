"""Shared by the parity tests (tests/test_parity*.py): a Pulumi program's stack export and
preview, recorded once per module under the SDK's mocks, for the tests that read all three."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def record_program(tmp_path_factory: Any, program: Path) -> dict[str, Path]:
    """``{"export": …, "preview": …}``: the files ``pulumi stack export`` and ``pulumi preview
    --json`` would write for ``program`` (dsscan.scanners.pulumi_source.record)."""
    from dsscan.scanners.pulumi_source import record

    d = tmp_path_factory.mktemp(program.name)
    record(str(program), export=str(d / "stack-export.json"), preview=str(d / "preview.json"))
    return {"export": d / "stack-export.json", "preview": d / "preview.json"}


def pulumi_inventory(source: str, program: Path, recorded: dict[str, Path]) -> Any:
    """The inventory of one Pulumi description of ``program``: ``"program"`` (run under the
    mocks), or the recorded ``"export"`` / ``"preview"``."""
    from dsscan.scanners.iac.mapping import build_inventory
    from dsscan.scanners.pulumi_source import read_path

    path = program if source == "program" else recorded[source]
    return build_inventory(read_path(str(path)).resources, tool="pulumi", files=[str(path)])
