"""Scanners: each turns one source into a dsscan inventory.

The registry maps a source name to the module that implements it, so the CLI can list
``dsscan scan <source>`` commands without importing boto3, the Pulumi SDK or anything heavy.
A scanner module exposes ``SCANNER``: a :class:`Scanner`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsscan.inventory import Inventory


@dataclass(frozen=True)
class Scanner:
    name: str
    summary: str  # one line for command lists
    help: str  # the command's --help text, with examples
    collect: Callable[..., Inventory]  # keyword arguments = the CLI params below
    # click.Parameter objects, built lazily so that importing a scanner does not need click.
    params: Callable[[], list[Any]] = field(default=lambda: [])
    inventory_help: str = ""  # --help of `dsscan inventory <name>` (default: generic)


# name -> (module, one-line summary). Summaries live here so `dsscan --help` imports nothing.
REGISTRY: dict[str, tuple[str, str]] = {
    "inventory": ("dsscan.scanners.inventory_file",
                  "Saved dsscan inventory files (JSON, format dsscan-inventory/1)."),
    "aws": ("dsscan.scanners.aws",
            "Live AWS accounts and regions, read with boto3 (read-only)."),
    "terraform": ("dsscan.scanners.terraform",
                  "Terraform plan JSON (terraform show -json PLAN): a pre-deployment gate."),
    "pulumi": ("dsscan.scanners.pulumi_source",
               "Pulumi stack exports, previews (--json) and Python programs (run under mocks)."),
}


def names() -> list[str]:
    return list(REGISTRY)


def summary(name: str) -> str:
    return REGISTRY[name][1]


def get(name: str) -> Scanner:
    module, _ = REGISTRY[name]
    return importlib.import_module(module).SCANNER
