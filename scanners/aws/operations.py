"""What the scanner calls, declared once per collector; every table about it is derived.

Each collector module (``scanners/aws/<service>.py``, one per name in ``SERVICES``) declares
its :class:`Collector` — as cloud-custodian's resources declare a ``TypeInfo`` — named
``INFO``: the ``--services`` name, the asset kinds it produces, and the API operations it
calls on each boto3 client. The parts of the sweep that are no collector declare their calls
beside the code that makes them (``sweep.SWEEP_CALLS``, ``regions.REGION_CALLS``,
``base.KEY_CALLS``). From these alone come:

- the IAM action of each operation (:func:`iam_action`): the service's IAM prefix is its
  signing name in botocore's model (``efs`` signs as ``elasticfilesystem``, ``s3control`` as
  ``s3``) and the action name is the operation's, except where a declaration lists it;
- :data:`OPERATIONS`, service -> operations, which the tests hold every scan's call log
  against (nothing undeclared is called, and a full sweep calls everything declared);
- the IAM policies in ``examples/iam`` and the tables in ``docs/aws.md``
  (``python -m dsscan.scanners.aws.iampolicy``; tests check that the files equal its output).

The collectors import this module for :class:`Calls` and :class:`Collector`, so it imports
none of them at load: the derived tables are built on first use.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Calls:
    """The API operations one part of the scanner calls on one boto3 client."""

    client: str  # the boto3 client name: "s3control", "efs"
    operations: tuple[str, ...]  # botocore operation names, as the call log records them
    # The IAM action name where it is not the operation's (same IAM prefix): AWS names most
    # actions after the operation; S3 does not for several.
    iam: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if unknown := set(self.iam) - set(self.operations):
            raise ValueError(f"{self.client}: IAM names for undeclared operations {unknown}")


@dataclass(frozen=True)
class Collector:
    """One ``--services`` name: what it produces and what it calls."""

    service: str  # the --services name (and the module's name)
    title: str  # how docs/aws.md names the service
    # asset kind -> the resource types (CloudFormation names) of the assets of that kind
    kinds: Mapping[str, tuple[str, ...]]
    calls: tuple[Calls, ...]
    # Read per (account, region) by the module's collect(scope); False: the sweep reads it
    # its own way (S3: buckets are listed once per account, each read in its own region).
    regional: bool = True


def collectors() -> tuple[Collector, ...]:
    """Every collector's declaration, in ``SERVICES`` order."""
    return _registry()[0]


def own_calls() -> tuple[Calls, ...]:
    """The calls of the sweep itself (every sweep makes them, whatever --services says)."""
    return _registry()[1]


def all_calls() -> tuple[Calls, ...]:
    """Every declared group of calls: the collectors', then the sweep's own."""
    return (*(c for d in collectors() for c in d.calls), *own_calls())


@functools.cache
def _registry() -> tuple[tuple[Collector, ...], tuple[Calls, ...]]:
    from dsscan.scanners.aws import SERVICES

    declared = []
    for name in SERVICES:
        info = importlib.import_module(f"dsscan.scanners.aws.{name}").INFO
        if info.service != name:
            raise ValueError(f"scanners/aws/{name}.py declares service {info.service!r}")
        declared.append(info)
    from dsscan.scanners.aws.base import KEY_CALLS
    from dsscan.scanners.aws.regions import REGION_CALLS
    from dsscan.scanners.aws.sweep import SWEEP_CALLS

    return tuple(declared), (*SWEEP_CALLS, *REGION_CALLS, *KEY_CALLS)


def operations(calls: tuple[Calls, ...] | None = None) -> dict[str, tuple[str, ...]]:
    """boto3 client name -> the operations called on it (each once, in declared order)."""
    out: dict[str, dict[str, None]] = {}
    for c in all_calls() if calls is None else calls:
        out.setdefault(c.client, {}).update(dict.fromkeys(c.operations))
    return {client: tuple(ops) for client, ops in out.items()}


@functools.cache
def iam_prefix(client: str) -> str:
    """The IAM service prefix of a boto3 client: its signing name in botocore's model."""
    import botocore.exceptions
    import botocore.session

    try:
        return str(botocore.session.get_session().get_service_model(client).signing_name)
    except botocore.exceptions.UnknownServiceError:
        return client  # not a service this botocore models: its own name is all there is


@functools.cache
def _iam_names() -> dict[tuple[str, str], str]:
    return {(c.client, op): name for c in all_calls() for op, name in c.iam.items()}


def iam_action(service: str, operation: str, calls: tuple[Calls, ...] | None = None) -> str:
    """``s3:GetEncryptionConfiguration`` for (s3, GetBucketEncryption). ``calls``: look the
    exceptions up there (the sampler's) rather than in the sweep's declarations."""
    names = _iam_names() if calls is None else {
        (c.client, op): name for c in calls for op, name in c.iam.items()}
    return f"{iam_prefix(service)}:{names.get((service, operation), operation)}"


def all_iam_actions() -> set[str]:
    return {iam_action(c.client, op) for c in all_calls() for op in c.operations}


def __getattr__(name: str) -> Any:
    # OPERATIONS reads like the constant it was; it is derived on first use (above).
    if name == "OPERATIONS":
        return operations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
