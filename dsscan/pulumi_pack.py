"""A Pulumi CrossGuard policy pack that runs the dsscan Rego library (``pulumi preview
--policy-pack``, ``pulumi up --policy-pack``).

Each dsscan policy is one stack-validation policy of the pack, so Pulumi's per-policy
enforcement levels and configuration apply as usual; the stack is mapped and evaluated once per
validation (the same inventory mapping as ``dsscan scan pulumi``) and each policy reports its
findings, each on the resource it concerns. Facts unknown until apply are reported by the
``dsscan-not-assessed`` policy (advisory by default): they are not a pass.

    # examples/pulumi/policy-pack/__main__.py
    from dsscan.pulumi_pack import serve
    serve()

Settings come from the environment: DSSCAN_CONFIG (settings file), DSSCAN_CATALOGUE (data
catalogue), DSSCAN_POLICY_DIRS (extra policy directories, os.pathsep-separated),
DSSCAN_ENFORCEMENT (advisory | mandatory: the packs's default level).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dsscan.scanners.pulumi_source import UNKNOWN, read_states

NOT_ASSESSED = "dsscan-not-assessed"


@dataclass
class Settings:
    config_path: str | None = None
    catalogue_path: str | None = None
    policy_dirs: tuple[str, ...] = ()
    enforcement: str = "advisory"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        dirs = tuple(d for d in environ.get("DSSCAN_POLICY_DIRS", "").split(os.pathsep) if d)
        return cls(environ.get("DSSCAN_CONFIG") or None, environ.get("DSSCAN_CATALOGUE") or None,
                   dirs, environ.get("DSSCAN_ENFORCEMENT", "advisory"))


@dataclass
class _Verdicts:
    """The findings of one stack validation, by policy id; computed once per validation."""

    findings: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # id -> (msg, urn)
    not_assessed: list[tuple[str, str | None]] = field(default_factory=list)


def _plain(value: Any) -> Any:
    """Policy props as plain values; a value unknown during preview (the SDK raises on access)
    becomes Pulumi's unknown sentinel, which the reader turns into 'unknown until apply'."""
    from pulumi_policy.policy import UnknownValueError

    if isinstance(value, str | bytes) or value is None:
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k in list(value.keys()):
            try:
                out[k] = _plain(value[k])
            except UnknownValueError:
                out[k] = UNKNOWN
        return out
    if isinstance(value, Sequence):
        items: list[Any] = []
        for i in range(len(value)):
            try:
                items.append(_plain(value[i]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def _states(resources: Sequence[Any]) -> list[dict[str, Any]]:
    """PolicyResources (and their providers) in the stack-export shape the reader takes."""
    out: dict[str, dict[str, Any]] = {}
    for r in resources:
        prov = getattr(r, "provider", None)
        if prov is not None and prov.urn not in out:
            out[prov.urn] = {"urn": prov.urn, "type": prov.resource_type, "custom": True,
                             "inputs": _plain(prov.props)}
        parent = getattr(r, "parent", None)
        out.setdefault(r.urn, {
            "urn": r.urn, "type": r.resource_type, "custom": True, "inputs": _plain(r.props),
            "parent": parent.urn if parent is not None else None,
            "dependencies": [d.urn for d in r.dependencies or ()],
            "propertyDependencies": {k: [d.urn for d in v]
                                     for k, v in (r.property_dependencies or {}).items()},
            "provider": f"{prov.urn}::provider" if prov is not None else None,
        })
    return list(out.values())


class Evaluator:
    """Maps a stack to the inventory and runs the library over it (once per validation)."""

    def __init__(self, settings: Settings | None = None) -> None:
        from dsscan.run import load_setup

        self.settings = settings or Settings.from_env()
        setup = load_setup(self.settings.config_path, self.settings.catalogue_path,
                           self.settings.policy_dirs)
        # A preview is a gate, not a run of the estate: no baseline (an accepted finding still
        # blocks a deployment that makes it), no report files, nothing kept in the history store.
        setup.config = dataclasses.replace(setup.config, baseline=None, store=None, reports=[])
        self.setup = setup
        self._last: tuple[int, _Verdicts] | None = None

    def verdicts(self, args: Any) -> _Verdicts:
        if self._last is not None and self._last[0] == id(args):
            return self._last[1]
        from dsscan.run import RunRequest, execute
        from dsscan.scanners.iac.mapping import build_inventory

        states = _states(args.resources)
        # Region and account come from the resources' providers (the stack's aws:* config is
        # the default provider's inputs).
        read = read_states(states, kind="crossguard", file="(pulumi stack)")
        result = execute(RunRequest(
            inventory=lambda: build_inventory(read.resources, tool="pulumi", files=[]),
            default_format=None), self.setup).scan
        v = _Verdicts()
        for f in result.findings:
            if not f.gating:  # waived in the settings: an accepted risk blocks no deployment
                continue
            v.findings.setdefault(f.policy_id, []).append(
                (f"[{f.severity}] {f.message} (NFRA {_articles(f.articles)}; "
                 f"data level {f.level})", f.asset_id))
        for n in result.not_assessed:
            v.not_assessed.append((f"{n.policy_id or 'all policies'}: {n.reason}", n.asset_id))
        self._last = (id(args), v)
        return v


def _articles(articles: Sequence[int]) -> str:
    return ", ".join(f"Art. {a}" for a in articles) or "-"


def policies(settings: Settings | None = None) -> list[Any]:
    """One StackValidationPolicy per dsscan policy, plus ``dsscan-not-assessed``."""
    from pulumi_policy import EnforcementLevel, StackValidationPolicy

    ev = Evaluator(settings)
    level = EnforcementLevel(ev.settings.enforcement)

    def validator(pid: str) -> Callable[[Any, Any], None]:
        def validate(args: Any, report_violation: Any) -> None:
            for message, urn in ev.verdicts(args).findings.get(pid, []):
                report_violation(message, urn)
        return validate

    def validate_gaps(args: Any, report_violation: Any) -> None:
        for message, urn in ev.verdicts(args).not_assessed:
            report_violation(f"not assessed: {message}", urn)

    out = [StackValidationPolicy(
        name=p.id.lower(), description=f"{p.title} (NFRA {_articles(p.articles)})",
        validate=validator(p.id), enforcement_level=level,
        remediation_steps=p.remediation or None) for p in ev.setup.library.policies]
    out.append(StackValidationPolicy(
        name=NOT_ASSESSED, description="Facts the dsscan policies need that are unknown until "
        "apply or secret: not assessed, so not compliant until assessed",
        validate=validate_gaps, enforcement_level=EnforcementLevel.ADVISORY))
    return out


def serve(settings: Settings | None = None) -> None:
    """Run the pack (called by the Pulumi CLI through the pack's __main__.py; blocks)."""
    from pulumi_policy import PolicyPack

    PolicyPack(name="dsscan", policies=policies(settings),
               description="NFRA Data Security Management Measures (2024): the dsscan Rego "
                           "library")
