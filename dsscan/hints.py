"""Hints that tell a person which command to run, safe to copy: a hint that redirects output
never names a file the user gave dsscan as input (issue 13: `dsscan scan terraform main.tf`
suggested `terraform show -json PLAN > main.tf`, which would overwrite the source)."""

from __future__ import annotations

from pathlib import Path, PurePath


def output_name(suggested: str, *inputs: str | Path) -> str:
    """``suggested``, or a numbered variant of it (plan-2.json...), that is not the name of
    any input. Names are compared without their directory and without case: the hint is run
    in some directory we cannot know, on file systems that may ignore case."""
    taken = {PurePath(str(p)).name.lower() for p in inputs}
    stem, suffix = _split(suggested)
    name, n = suggested, 1
    while name.lower() in taken:
        n += 1
        name = f"{stem}-{n}{suffix}"
    return name


def redirect(command: str, suggested: str, *inputs: str | Path) -> str:
    """``'COMMAND > FILE'``: a shell redirect whose FILE is none of ``inputs``."""
    return f"{command} > {output_name(suggested, *inputs)}"


def _split(name: str) -> tuple[str, str]:
    """plan.json -> (plan, .json); tfplan.tar.gz -> (tfplan, .tar.gz); README -> (README, '')."""
    base, dot, rest = name.partition(".")
    return (base, f"{dot}{rest}") if base else (name, "")
