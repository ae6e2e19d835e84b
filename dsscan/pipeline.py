"""inventory → classify → relations → evaluate → findings: the one place the stages meet."""

from __future__ import annotations

import dataclasses
import fnmatch
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dsscan import __version__
from dsscan.config import FAIL_ON_CHOICES, Config
from dsscan.errors import InputError
from dsscan.findings import Finding, NotAssessed, PolicyInfo, ScanResult
from dsscan.levels import RANK, SEVERITY_RANK, UNCLASSIFIED, severity_for_level
from dsscan.masking import mask_evidence, mask_text
from dsscan.messages import render
from dsscan.scope_gaps import FIELDS as SCOPE_FIELDS
from dsscan.scope_gaps import field as scope_field

if TYPE_CHECKING:
    from dsscan.catalogue import Catalogue
    from dsscan.inventory import Inventory
    from dsscan.policy_library import PolicyLibrary

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3



@dataclass
class ScanOptions:
    config: Config = field(default_factory=Config)
    catalogue: Catalogue | None = None
    include: tuple[str, ...] = ()  # policy id globs; empty = all
    exclude: tuple[str, ...] = ()
    chunk_size: int | None = None  # None: dsscan.engines.local.DEFAULT_CHUNK_SIZE
    workers: int | None = None
    # A central OPA server evaluates instead of the embedded engine (dsscan.engines.opa_server).
    opa_url: str | None = None
    opa_timeout: float = 30.0
    # Accepted findings (dsscan.baseline.Baseline): only new ones gate; fixed ones are listed.
    baseline: Any = None
    # What the history store keeps per store for regulatory events (dsscan.events): computed
    # only when a run may be stored (the CLI sets it from --store); a result without them is
    # stored with its events "not known", never "none".
    store_facts: bool = True


def select_policies(policies: list[PolicyInfo], include: tuple[str, ...],
                    exclude: tuple[str, ...]) -> list[PolicyInfo]:
    def hit(pid: str, pats: tuple[str, ...]) -> bool:
        return any(fnmatch.fnmatchcase(pid.upper(), p.upper()) for p in pats)

    chosen = [p for p in policies
              if (not include or hit(p.id, include)) and not hit(p.id, exclude)]
    for pat in (*include, *exclude):
        if not any(fnmatch.fnmatchcase(p.id.upper(), pat.upper()) for p in policies):
            from dsscan.suggest import did_you_mean

            raise InputError(f"--policy/--skip-policy '{pat}' matches no policy"
                             f"{did_you_mean(pat, [p.id for p in policies])} "
                             "(see 'dsscan policies list')")
    return chosen


def prepare(inventory: Inventory, options: ScanOptions) -> list[dict[str, Any]]:
    """Classify the assets and attach their relations (ctx); returns the asset list."""
    from dsscan import classify, relations
    from dsscan.copies import swept_scopes
    from dsscan.keys import apply_declared_keys
    from dsscan.relindex import RelationIndex

    assets = inventory.assets
    # Keys the institution declares its own: decided before anything copies encryption facts.
    apply_declared_keys(assets, options.config.kms_keys)
    # Which domain, vault and source each asset relates to, resolved once: classification and
    # relations both read this index, so they cannot disagree (issue 12 item 3).
    index = RelationIndex(assets)
    index.record_gaps()
    classify.classify(assets, options.config, options.catalogue, index=index)
    relations.attach_context(assets, options.config, index,
                             swept_scopes(inventory.sources, inventory.gaps), inventory.gaps,
                             inventory.sources, catalogue=options.catalogue)
    return assets


def run_scan(inventory: Inventory, library: PolicyLibrary, options: ScanOptions) -> ScanResult:
    from dsscan.engines import local as engine
    from dsscan.gc_pause import gc_paused

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    policies = [p for p in select_policies(library.policies, options.include, options.exclude)
                if all(getattr(options.config, k, None) for k in p.requires_config)]
    assets = prepare(inventory, options)
    # Unselected policies stay loaded (helpers may share modules) but are never queried.
    selected = dataclasses.replace(library, policies=policies)
    if options.opa_url:
        from dsscan.engines import opa_server

        out = opa_server.evaluate_remote(
            selected, assets, options.config.policy_data(), url=options.opa_url,
            timeout=options.opa_timeout,
            chunk_size=options.chunk_size or opa_server.DEFAULT_CHUNK_SIZE)
    else:
        out = engine.evaluate(selected, assets, options.config.policy_data(),
                              chunk_size=options.chunk_size or engine.DEFAULT_CHUNK_SIZE,
                              workers=options.workers)
    # ~10 objects per finding and per asset summary, none in a cycle: collector passes over
    # them cost a third of building 100k findings.
    with gc_paused():
        by_id = {a["id"]: a for a in assets}
        info = {p.id: p for p in policies}

        # Severity depends on the level only: mapped once per level, not once per finding.
        severity = {lv: severity_for_level(lv, options.config.severity_by_level) for lv in RANK}
        findings = [_finding(info[pid], item, by_id, severity, options.config)
                    for pid, item in out.deny if pid in info]
        not_assessed = _gaps(inventory, assets, policies)
        unclassified = options.config.unclassified_protection_level
        not_assessed += [NotAssessed(reason=mask_text(render(item.get("reason"),
                                                             by_id.get(item.get("asset")),
                                                             unclassified, "not assessed")),
                                     asset_id=item.get("asset"), policy_id=pid)
                         for pid, item in out.not_assessed if pid in info]
        findings.sort(key=lambda f: (-f.severity_rank(), f.policy_id, f.asset_id, f.related,
                                     f.key))
        not_assessed.sort(key=lambda n: (n.scope or "", n.asset_id or "", n.policy_id or ""))
        result = ScanResult(
            findings=findings,
            not_assessed=not_assessed,
            policies=policies,
            asset_count=len(assets),
            inputs=list(inventory.files) or source_inputs(inventory.sources),
            tool_version=__version__,
            started_at=started.isoformat(timespec="seconds"),
            duration_s=time.perf_counter() - t0,
            assets={a["id"]: _asset_summary(a) for a in assets},
            skipped=_skipped(inventory),
            assessed={pid: frozenset(ids) for pid, ids in out.assessed.items() if pid in info},
        )
    if options.store_facts:
        result.stores = _store_facts(inventory, assets, options.config)
    if options.config.waivers:
        from dsscan.waivers import apply_waivers

        apply_waivers(result, options.config.waivers, options.config.waiver_rules,
                      policy_ids=[p.id for p in library.policies])
    if options.baseline is not None:
        from dsscan.baseline import apply_baseline

        apply_baseline(result, options.baseline)
    result.duration_s = time.perf_counter() - t0
    return result


def _store_facts(inventory: Inventory, assets: list[dict[str, Any]],
                 config: Config) -> dict[str, dict[str, Any]]:
    """What the history store keeps per store for regulatory events (dsscan.events)."""
    from dsscan.events import store_facts
    from dsscan.keyrel import institution

    return store_facts(assets, institution(assets, config, inventory.sources, inventory.gaps))


def _skipped(inventory: Inventory) -> dict[str, int]:
    """Resource types the sources left out (not mapped, so not judged), with counts."""
    out: dict[str, int] = {}
    for src in inventory.sources:
        for t, n in (src.get("skipped") or {}).items():
            if isinstance(n, int):
                out[str(t)] = out.get(str(t), 0) + n
    return dict(sorted(out.items()))


def _asset_summary(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": a.get("name"),
        "kind": a.get("kind"),
        "level": (a.get("level") or {}).get("value"),
        "environment": (a.get("environment") or {}).get("value"),
        "location": a.get("source"),
        # Waivers may name an account or a region (dsscan.waivers).
        "account": a.get("account"),
        "region": a.get("region"),
    }


def _finding(policy: PolicyInfo, item: dict[str, Any], by_id: dict[str, dict[str, Any]],
             severity: dict[str, str], config: Config) -> Finding:
    """``severity``: the severity of each level in RANK under ``config``."""
    asset_id = str(item.get("asset", ""))
    asset = by_id.get(asset_id, {})
    level = item.get("level")
    if level not in RANK:  # a user policy that forgot "level": fall back to the asset's own
        level = (asset.get("level") or {}).get("value", UNCLASSIFIED)
    related = item.get("related") or []
    if isinstance(related, str):
        related = [related]
    source = asset.get("source")
    location = ({k: source.get(k) for k in ("file", "address", "line") if source.get(k)}
                or None) if source else None
    return Finding(
        policy_id=policy.id,
        title=policy.title,
        articles=policy.articles,
        severity=severity.get(level) or severity_for_level(level, config.severity_by_level),
        level=level,
        asset_id=asset_id,
        message=mask_text(render(item.get("message"), asset, config.unclassified_protection_level,
                                 policy.title)),
        remediation=policy.remediation,
        related=tuple(sorted(map(str, related))),
        evidence=mask_evidence(item.get("evidence") or {}),
        asset_name=asset.get("name"),
        asset_kind=asset.get("kind"),
        location=location,
        key=str(item.get("key") or ""),
    )


def _gaps(inventory: Inventory, assets: list[dict[str, Any]],
          policies: list[PolicyInfo]) -> list[NotAssessed]:
    """What the scanners could not read: whole scopes, and facets of single assets."""
    out = [NotAssessed(reason=mask_text(g.get("reason", "not read")), scope=g.get("scope"),
                       **{k: scope_field(g, k) for k in SCOPE_FIELDS})
           for g in inventory.gaps]
    for a in assets:
        assessment = a.get("assessment") or {}
        gaps = assessment.get("gaps") or []
        if assessment.get("status") == "not_assessed" and not gaps:
            gaps = [{"aspect": "*", "reason": "the scanner could not read this asset"}]
        for g in gaps:
            aspect = g.get("aspect") or "*"
            # A facet none of the selected policies reads (--policy) leaves them complete.
            if not any(p.reads_aspect(aspect) for p in policies):
                continue
            reason = mask_text(g.get("reason", "not read"))
            out.append(NotAssessed(reason=reason if aspect == "*" else f"{aspect}: {reason}",
                                   asset_id=a["id"]))
    return out


def fail_threshold(fail_on: str, config: Config) -> int | None:
    """Severity rank at or above which findings fail the run; None = never."""
    if fail_on == "never":
        return None
    if fail_on in RANK:
        return SEVERITY_RANK[severity_for_level(fail_on, config.severity_by_level)]
    if fail_on in SEVERITY_RANK:
        return SEVERITY_RANK[fail_on]
    raise InputError(f"--fail-on '{fail_on}': expected one of {', '.join(FAIL_ON_CHOICES)}")


def exit_code(result: ScanResult, fail_on: str, config: Config) -> int:
    threshold = fail_threshold(fail_on, config)
    if threshold is not None and any(f.gating and f.severity_rank() >= threshold
                                     for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK if result.complete else EXIT_INCOMPLETE


def source_inputs(sources: list[dict[str, Any]]) -> list[str]:
    """What a scan read when it read no file (a live sweep): one entry per source, e.g.
    "aws 111111111111/cn-north-1", so a report's header never says "none recorded" for a
    scan that read accounts and regions."""
    out = []
    for s in sources:
        if not isinstance(s, dict):
            continue
        where = "/".join(str(s[k]) for k in ("account", "region") if s.get(k))
        label = " ".join(x for x in (str(s.get("type") or "source"),
                                     where or str(s.get("file") or "")) if x)
        if label not in out:
            out.append(label)
    return out
