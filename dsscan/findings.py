"""What an evaluation produces: findings, not-assessed items, and the scan result.

Reporters read only these types. Evidence is masked when a Finding is built, so nothing
downstream can leak a sampled value.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from dsscan.levels import SEVERITY_RANK
from dsscan.masking import mask_text

# The facets of an asset a scanner reads separately (``assessment.gaps[].aspect``).
ASPECTS = ("encryption", "network", "access", "backup", "content", "tags", "logging")
# Facets that decide an asset's level or environment, and so every policy's verdict; "*" is
# the whole asset.
EVERY_POLICY_ASPECTS = ("*", "tags", "content")


@dataclass(frozen=True)
class PolicyInfo:
    """A policy's METADATA, as read in Python (the engine has no rego.metadata.*)."""

    id: str
    title: str
    package: str
    path: str
    articles: tuple[int, ...] = ()
    description: str = ""
    remediation: str = ""
    kinds: tuple[str, ...] = ()
    builtin: bool = True  # shipped with dsscan (False: from a --policy-dir)
    # Settings the policy needs (e.g. allowed_regions): without them it is not evaluated, so
    # nothing is reported as passing a check that was never configured.
    requires_config: tuple[str, ...] = ()
    # Asset facets (gap aspects) the policy's verdicts depend on; None: not declared, so any
    # facet may matter. Gaps on facets no selected policy reads do not make a run incomplete.
    reads: tuple[str, ...] | None = None

    def reads_aspect(self, aspect: str) -> bool:
        """Whether a gap on ``aspect`` can change this policy's verdicts."""
        return (self.reads is None or aspect in self.reads or aspect in EVERY_POLICY_ASPECTS
                or aspect not in ASPECTS)

    @property
    def articles_text(self) -> str:
        return ", ".join(f"Art. {a}" for a in self.articles)


def _fp(value: str) -> str:
    """A fingerprint part: the value, or its keyed HMAC when it holds an identifier and the
    institution set a fingerprint key (docs/baseline.md)."""
    key = fingerprint_key()
    if key is None or mask_text(value) == value:
        return value
    return "k:" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


@cache
def fingerprint_key() -> bytes | None:
    """``$DSSCAN_FINGERPRINT_KEY``: a secret shared by the runs whose fingerprints must match
    (CI and sweeps of one institution); None when unset or empty."""
    key = os.environ.get("DSSCAN_FINGERPRINT_KEY", "")
    return key.encode("utf-8") if key else None


@dataclass
class Finding:
    policy_id: str
    title: str
    articles: tuple[int, ...]
    severity: str
    level: str
    asset_id: str
    message: str
    remediation: str
    related: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    asset_name: str | None = None
    asset_kind: str | None = None
    location: dict[str, Any] | None = None  # {"file":..., "address":..., "line":...} for IaC inputs
    # Which of a policy's checks this is, when it has several that can fire on one asset
    # (the item's "key"): part of the fingerprint, so two findings never share one.
    key: str = ""
    # Set after evaluation (dsscan.waivers / dsscan.baseline), never by policies:
    # the waiver that accepts this finding {"id", "reason", "approver", "expires", "source"}.
    waiver: dict[str, Any] | None = None
    # With --baseline: "new" (not in the baseline) or "existing"; None without a baseline.
    baseline: str | None = None

    @property
    def fingerprint(self) -> str:
        """Stable across runs and machines: policy + asset + related assets (+ the check's key,
        when the policy names one). Messages may change wording between versions without
        breaking baselines or SARIF result matching. Distinct assets never share one.

        An id (or key) holding an identifier — a resident ID in a table name — enters as an
        HMAC under ``$DSSCAN_FINGERPRINT_KEY`` when that secret is set: without it the hash of
        such an id could be reversed by trying the IDs its masked form leaves open. Ids without
        an identifier hash the same either way (baselines keep matching)."""
        parts = (self.policy_id, _fp(self.asset_id), *sorted(_fp(x) for x in self.related))
        raw = "\x1f".join((*parts, "\x1e" + _fp(self.key)) if self.key else parts)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]

    def severity_rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, 0)

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    @property
    def gating(self) -> bool:
        """Counts towards the exit code: not waived, and new when a baseline is in use."""
        return self.waiver is None and self.baseline != "existing"

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "title": self.title,
            "articles": list(self.articles),
            "severity": self.severity,
            "level": self.level,
            "asset_id": self.asset_id,
            "asset_name": self.asset_name,
            "asset_kind": self.asset_kind,
            "related": list(self.related),
            "message": self.message,
            "remediation": self.remediation,
            "evidence": self.evidence,
            "location": self.location,
            "fingerprint": self.fingerprint,
        }


@dataclass
class NotAssessed:
    """Something the scan could not judge. Never a pass: it is shown in every report and
    makes the scan incomplete (exit code 3 when nothing else failed)."""

    reason: str
    asset_id: str | None = None  # None: a whole scope (service/region/account) was unreadable
    policy_id: str | None = None  # None: every policy for that asset / scope
    scope: str | None = None
    # A whole scope's place and failed call (dsscan.scope_gaps): what the history store keeps
    # to decide which findings the scope may hold; None where unknown (account None: any).
    # Not in the reports, which show ``scope``.
    account: str | None = None
    region: str | None = None
    service: str | None = None
    operation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"policy_id": self.policy_id, "asset_id": self.asset_id, "scope": self.scope,
                "reason": self.reason}


@dataclass
class ScanResult:
    findings: list[Finding]
    not_assessed: list[NotAssessed]
    policies: list[PolicyInfo]
    asset_count: int
    inputs: list[str] = field(default_factory=list)  # files / sources evaluated
    tool_version: str = ""
    started_at: str = ""
    duration_s: float = 0.0
    # asset id -> {"name", "kind", "level", "environment", "location"}; for reporters
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Waivers that no longer waive or break the waiver rules (expired, no approver, too long):
    # {"id", "policy", "asset", "reason", "approver", "expires", "problem"}; shown in reports.
    waiver_problems: list[dict[str, Any]] = field(default_factory=list)
    # With --baseline: the baseline file, and its entries no longer found (fixed):
    # {"fingerprint", "policy_id", "asset_id", "level"}.
    baseline_path: str | None = None
    fixed: list[dict[str, Any]] = field(default_factory=list)
    # With --store: earlier runs, oldest first, for trend charts:
    # {"run_id", "started_at", "findings", "by_level": {...}, "by_severity": {...},
    #  "not_assessed"}; empty without a store.
    history: list[dict[str, Any]] = field(default_factory=list)
    run_id: str | None = None  # set once the run is stored
    # Per store (dsscan.events.store_facts): kind, level and its source, level-change
    # approval, external principals; what the history store keeps to find regulatory events
    # (Art. 19, 71, 73). None: not computed (the store then records the run as not knowing).
    stores: dict[str, dict[str, Any]] | None = None
    # With --store: regulatory events since the latest stored run (dsscan.events.events).
    events: dict[str, Any] | None = None
    # Resources the inputs held that no scanner maps (resource type -> count): not judged.
    skipped: dict[str, int] = field(default_factory=dict)
    # policy id -> ids of the assets the policy judged on facts it could read (its Rego
    # ``assessed`` rule); a policy without that rule is absent and its METADATA kinds stand
    # in (docs/writing-policies.md). Only these can count as passed (docs/reports.md).
    assessed: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.not_assessed

    def summary(self) -> dict[str, Any]:
        by_sev: dict[str, int] = {}
        for f in self.findings:
            by_sev[f.severity] = by_sev.get(f.severity, 0) + 1
        return {
            "assets": self.asset_count,
            "policies": len(self.policies),
            "findings": len(self.findings),
            "by_severity": by_sev,
            "not_assessed": len(self.not_assessed),
            "complete": self.complete,
        }
