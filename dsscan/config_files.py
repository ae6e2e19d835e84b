"""Where settings come from: ``--config FILE``, else ``.dsscan.yaml`` or a ``pyproject.toml``
with a ``[tool.dsscan]`` table, found upward from the working directory (nearest wins, as
ruff and pytest do: a monorepo's service directory can carry its own settings).

The model and its validation are in dsscan.config; this module only finds and reads files,
keeping the line each key was set on so ``dsscan config show`` can say where it came from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dsscan.config import Config, config_from_mapping
from dsscan.errors import InputError

CONFIG_NAMES = (".dsscan.yaml", ".dsscan.yml")
ENV_CONFIG = "DSSCAN_CONFIG"  # a path, like --config
ENV_NO_CONFIG = "DSSCAN_NO_CONFIG"  # set: no discovery (reproducible runs)


def find_config(start: Path | None = None) -> Path | None:
    """The nearest settings file from ``start`` (default: the working directory) upward."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
        py = d / "pyproject.toml"
        if py.is_file() and _has_tool_table(py):
            return py
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        tool = _read_toml(path).get("tool")
    except InputError:
        return False  # an unrelated broken pyproject is not ours to report
    return isinstance(tool, dict) and "dsscan" in tool


def read_settings(path: Path) -> tuple[dict[str, Any], dict[str, int], str]:
    """(settings, key -> line, origin label) of one file; InputError (one line) if bad."""
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        return _read_pyproject(path)
    return _read_yaml(path)


def _read_yaml(p: Path) -> tuple[dict[str, Any], dict[str, int], str]:
    from dsscan.inputs import read_text
    from dsscan.strict_yaml import parse_yaml

    raw, node = parse_yaml(read_text(p, "config file"), str(p))
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"{p}: config must be a mapping of settings, got {type(raw).__name__}")
    lines: dict[str, int] = {}
    for key_node, _ in getattr(node, "value", None) or ():  # a mapping node: (key, value)s
        lines[str(key_node.value)] = key_node.start_mark.line + 1
    return raw, lines, str(p)


def _read_toml(p: Path) -> dict[str, Any]:
    from dsscan.inputs import load_toml

    return load_toml(p, "config file")


def _read_pyproject(p: Path) -> tuple[dict[str, Any], dict[str, int], str]:
    tool = _read_toml(p).get("tool")
    table = tool.get("dsscan") if isinstance(tool, dict) else None
    origin = f"{p} [tool.dsscan]"
    if table is None:
        raise InputError(f"{p}: has no [tool.dsscan] table")
    if not isinstance(table, dict):
        raise InputError(f"{origin}: must be a table of settings")
    # TOML style is kebab-case; the YAML and Python names are snake_case. Top-level keys only:
    # nested keys are account ids, policy ids, detector names.
    raw: dict[str, Any] = {}
    for k, v in table.items():
        key = str(k).replace("-", "_")
        if key in raw:
            raise InputError(f"{origin}: '{k}' is set twice (kebab- and snake_case)")
        raw[key] = v
    return raw, {}, origin


def load_effective_config(path: str | Path | None = None, *, discover: bool = True,
                          start: Path | None = None) -> Config:
    """The settings a command runs with: ``path`` (``--config``), else ``$DSSCAN_CONFIG``,
    else the nearest file found upward (unless ``discover`` is false or ``$DSSCAN_NO_CONFIG``
    is set), else the defaults."""
    if path is None and os.environ.get(ENV_CONFIG):
        path = os.environ[ENV_CONFIG]
    if path is None and discover and not os.environ.get(ENV_NO_CONFIG):
        path = find_config(start)
    if path is None:
        return Config()
    p = Path(path)
    raw, lines, origin = read_settings(p)  # dsscan.inputs: anything but a readable file fails
    return config_from_mapping(raw, origin, base_dir=p.resolve().parent, lines=lines)
