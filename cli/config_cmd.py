"""`dsscan config show|init`: the effective settings and where each came from."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from dsscan.cli.types import SuggestingGroup
from dsscan.errors import InputError

# The starter's settings, each with its comment; values come from dsscan.config.Config()
# (never a copy kept here), so a fresh starter changes no verdict and no exit code: a store
# tagged DataLevel=core stays core (issue 13). Keys people edit first are written out; the
# rest of the defaults are listed by 'dsscan config show'.
_STARTER_KEYS: tuple[tuple[str, str], ...] = (
    ("fail_on", "Exit 1 on findings at or above this severity or data level (or 'never')."),
    ("level_tag_keys", "Tag keys that carry the data level of a store (case-insensitive; the\n"
                       "highest level among them wins)."),
    ("environment_tag_keys", "Tag keys that carry the environment of a store."),
    ("desensitization_tag_keys", "Tag keys holding the id of a desensitization record (Art. 48)."),
    ("test_environments", "Environments that count as test environments (DS-TST-*)."),
    ("unclassified_protection_level", "Duties a store of unknown level is held to: sensitive, "
                                      "important or core."),
    ("backup_separation", "What 'stored separately' means for DS-BAK-001: account_or_region |\n"
                          "account | region | account_and_region."),
    ("severity_by_level", "Severity of a finding by the highest data level involved."),
)

_STARTER_HEAD = """\
# dsscan settings: every key is optional (docs/config.md lists them all). The values below
# are the built-in defaults: edit them to your tagging. dsscan finds this file upward from
# the working directory; 'dsscan config show' prints the effective settings and where each
# value came from.
"""

_STARTER_TAIL = """
# The institution's data catalogue (relative to this file).
# catalogue: catalogue.yaml

# Environment of each account, for stores without an environment tag.
# accounts:
#   "111111111111": {environment: production, name: prod}

# Regions where personal information and important data may be stored (DS-XBR-001).
# allowed_regions: [cn-north-1, cn-northwest-1]

# KMS keys managed outside the scanned plans and accounts (a central key account): declared
# customer-managed, so stores using them are not "not assessed". Account ids or ARN patterns.
# kms_keys: ["444455556666", "arn:aws-cn:kms:*:555566667777:key/*"]

# Keep every run (SQLite file, or postgresql://user@host/db) for history, diff and trends.
# store: .dsscan/history.sqlite

# Accepted risks: each with reason, approver and expiry (docs/waivers.md).
# waivers:
#   - policy: DS-BAK-002
#     asset: "arn:aws:s3:::legacy-*"
#     reason: legacy bucket, migration planned (CHG-1234)
#     approver: ciso@example.com
#     expires: 2027-03-31
# waiver_rules: {require_approver: true, max_days: 90}
"""


def starter_text() -> str:
    """The text `dsscan config init` writes: the built-in defaults of the usual settings,
    commented, then commented examples of the optional ones."""
    import yaml

    from dsscan.config import Config

    defaults = Config()
    parts = [_STARTER_HEAD]
    for key, comment in _STARTER_KEYS:
        value = getattr(defaults, key)
        text = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False,
                              default_flow_style=True, width=100).strip()
        body = text[1:-1] if text.startswith("{") else text  # "{k: v}" -> "k: v"
        notes = "".join(f"# {line}\n" for line in comment.split("\n"))
        parts.append(f"\n{notes}{body}\n")
    parts.append(_STARTER_TAIL)
    return "".join(parts)


@click.group("config", cls=SuggestingGroup)
def command() -> None:
    """Show, check and start the settings file.

    \b
    Settings come from, highest first: command-line flags, --config FILE (or $DSSCAN_CONFIG),
    the nearest .dsscan.yaml / .dsscan.yml / pyproject.toml with [tool.dsscan] upward from
    the working directory, then the built-in defaults.

    \b
    Examples:
      dsscan config show                  effective settings, each with its origin
      dsscan config show --format json    the same, for tools
      dsscan config init                  write a commented .dsscan.yaml here
    """


@command.command("show")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file to read instead of discovering one.")
@click.option("--no-config", is_flag=True, help="Ignore settings files (show the defaults).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True)
def show(config_path: str | None, no_config: bool, fmt: str) -> None:
    """Print the effective settings and where each value came from.

    Exits 2 with a one-line error when the settings file is invalid, so it doubles as a
    check in CI or a pre-commit hook.

    \b
    Examples:
      dsscan config show
      dsscan config show --config ci/dsscan.yaml --format json
    """
    from dsscan.classify import check_settings
    from dsscan.config_files import load_effective_config

    cfg = load_effective_config(config_path, discover=not no_config)
    check_settings(cfg)  # what only classification judges: fail here as a scan would
    values = settings_dict(cfg)
    if fmt == "json":
        click.echo(json.dumps({"source": cfg.source_path, "settings": values,
                               "origins": {k: cfg.origins.get(k, "default") for k in values}},
                              indent=2, ensure_ascii=False))
        return
    import yaml

    click.echo(f"# effective dsscan settings (file: {cfg.source_path or 'none, defaults only'})")
    for key, value in values.items():
        if isinstance(value, dict | list) and value:
            text = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False,
                                  default_flow_style=None, width=100).rstrip("\n")
        else:  # a scalar or empty value alone would be dumped as a flow mapping
            scalar = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True)
            text = f"{key}: {scalar.removesuffix(chr(10)).removesuffix('...').strip()}"
        origin = cfg.origins.get(key, "default")
        lines = text.split("\n")
        click.echo(f"{lines[0]}  # {origin}")
        for line in lines[1:]:
            click.echo(line)


@command.command("init")
@click.argument("path", default=".dsscan.yaml", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, force: bool) -> None:
    """Write a commented starter settings file (default ./.dsscan.yaml).

    Its values are the built-in defaults, so a scan with it reports what --no-config
    reports; edit the tag keys and fail_on to your estate.

    \b
    Examples:
      dsscan config init
      dsscan config init services/ledger/.dsscan.yaml
    """
    from dsscan.atomic_write import write_atomic

    p = Path(path)
    if p.exists() and not force:
        raise InputError(f"{p}: already exists (use --force to overwrite)")
    write_atomic(str(p), starter_text())
    click.echo(f"dsscan: wrote {p}; check it with 'dsscan config show'", err=True)


def settings_dict(cfg: Any) -> dict[str, Any]:
    """The settings as plain YAML/JSON values, in declaration order. Text is masked as in
    every report (a waiver's reason or asset pattern may hold an identifier) and URLs show no
    password."""
    from dsscan.store import mask_url

    out: dict[str, Any] = {}
    for f in dataclasses.fields(cfg):
        if f.name in ("source_path", "origins"):
            continue
        value = getattr(cfg, f.name)
        if f.name in ("store", "opa_url") and isinstance(value, str):
            out[f.name] = mask_url(value)
        elif f.name == "kms_keys":  # as written: account ids and ARN patterns
            out[f.name] = [k.describe() for k in value]
        else:
            out[f.name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items() if v is not None}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        from dsscan.masking import mask_text

        return mask_text(value)
    return value
