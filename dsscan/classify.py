"""Classification: each asset's data level, environment and desensitization record, with provenance.

Level sources (NFRA Art. 18, 19; docs/catalogue.md), all recorded, the highest wins:
declared (kept from a hand-written inventory), tag, config (network domains), catalogue rule,
content sampling, inheritance (copies, aggregates, vaults, databases ⊇ tables; transitive).
A level nobody gives stays ``unclassified`` — never ``general``. When a declared level is lower
than what content or inheritance shows, the disagreement is kept in ``level.conflicts``
(DS-CLS-002).

The output shape is the contract in docs/architecture.md §2. Classifying twice gives the same
result: only ``declared`` entries of an existing ``level``/``environment`` are read back.
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from typing import Any

from dsscan.catalogue import Catalogue, Rule, SlowPattern, asset_name
from dsscan.config import ENVIRONMENTS, Config
from dsscan.errors import InputError
from dsscan.gc_pause import gc_paused
from dsscan.inheritance import DECLARING_SOURCES, inherit, unclassified_origins
from dsscan.levels import (
    LEVELS,
    RANK,
    UNCLASSIFIED,
    means_no_level,
    means_no_record,
    normalize_level,
)
from dsscan.masking import comparable, mask_text
from dsscan.relindex import RelationIndex

# Sources that observe a level (DECLARING_SOURCES state one): a conflict is a declaration
# lower than an observation.
OBSERVING_SOURCES = ("content", "inheritance")

Entry = dict[str, Any]


def _norm(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


class _Setup:
    """Everything derived from the config once per run (key maps, compiled name patterns)."""

    def __init__(self, config: Config) -> None:
        origin = config.source_path or "config"
        self.config = config
        # Lower-cased tag key → the roles it plays, with its rank among that role's keys.
        self.tag_roles: dict[str, list[tuple[str, int]]] = {}
        for role, keys in (("level", config.level_tag_keys),
                           ("environment", config.environment_tag_keys),
                           ("desensitization", config.desensitization_tag_keys),
                           ("level_change_approval", config.level_change_approval_tag_keys)):
            for i, k in enumerate(keys):
                roles = self.tag_roles.setdefault(k.lower(), [])
                if all(r != role for r, _ in roles):
                    roles.append((role, i))
        self.env_table = {_norm(k): v for k, v in config.environment_table().items()}
        self._env_memo: dict[str, str | None] = {}
        self._plans: dict[tuple[str, ...], tuple[tuple[str, int, str], ...]] = {}

        synonyms: dict[str, str] = {}
        for k, v in config.level_synonyms.items():
            target = normalize_level(v)
            if target is None:
                raise InputError(f"{origin}: level_synonyms.{k} '{v}' is not a level "
                                 f"(expected one of {', '.join(reversed(LEVELS))})")
            if (means_no_level(str(k))
                    and RANK[target] < RANK[config.unclassified_protection_level]):
                raise InputError(f"{origin}: level_synonyms.{k} '{v}' would give stores of "
                                 f"unknown level less than {config.unclassified_protection_level}"
                                 "'s duties (unclassified is never general): map it to "
                                 f"{config.unclassified_protection_level} or above, or remove it")
            synonyms[_norm(k)] = target
        self.synonyms = synonyms or None
        self._level_memo: dict[str, str | None] = {}

        self.name_patterns: list[tuple[str, _NameGlobs]] = []
        for env, pats in config.environment_name_patterns.items():
            canon = self.environment(env)
            if canon is None:
                raise InputError(f"{origin}: environment_name_patterns.{env}: '{env}' is not "
                                 f"an environment (expected one of "
                                 f"{', '.join(ENVIRONMENTS[:-1])})")
            if pats:
                self.name_patterns.append((canon, _NameGlobs([p.lower() for p in pats])))
        # Every environment's patterns at once: most names match none, one test rejects them.
        self.any_name_pattern = _NameGlobs([p for _, g in self.name_patterns for p in g.patterns])

        self.domain_envs: dict[str, str | None] = {}
        for key, rating in config.domains.items():
            env = None
            if rating.environment is not None:
                env = self.environment(rating.environment)
                if env is None:
                    raise InputError(f"{origin}: domains.{key}.environment "
                                     f"'{rating.environment}' is not an environment "
                                     f"(expected one of {', '.join(ENVIRONMENTS[:-1])})")
            self.domain_envs[key] = env

    def level(self, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        memo = self._level_memo
        if value not in memo:
            memo[value] = normalize_level(value, self.synonyms)
        return memo[value]

    def environment(self, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        memo = self._env_memo
        if value not in memo:
            env = self.env_table.get(_norm(value))
            memo[value] = env if env in ENVIRONMENTS and env != "unknown" else None
        return memo[value]

    def tag_hits(self, tags: dict[str, Any]) -> dict[str, list[tuple[int, str, str]]]:
        """Tags that carry a level, environment or record, by role, in configured key order."""
        # Estates repeat the same few tag key sets, so the plan is memoized per key set.
        sig = tuple(tags)
        plan = self._plans.get(sig)
        if plan is None:
            found: list[tuple[str, int, str]] = []
            for k in sig:
                for role, rank in self.tag_roles.get(str(k).lower(), ()):
                    found.append((role, rank, k))
            found.sort()
            plan = self._plans[sig] = tuple(found)
        if not plan:
            return _NO_HITS
        hits: dict[str, list[tuple[int, str, str]]] = {}
        for role, rank, k in plan:
            v = tags[k]
            if isinstance(v, str):
                hits.setdefault(role, []).append((rank, k, v))
        return hits


class _NameGlobs:
    """Globs of one environment, matched with str methods where the shape allows.

    The usual patterns are "x-*", "*-x" and "*-x-*": one startswith/endswith call over a
    tuple and one literal search reject a name at a fraction of a glob alternation's cost.
    """

    def __init__(self, patterns: list[str]) -> None:
        self.checks: list[tuple[str, str, re.Pattern[str] | None]] = []
        for p in patterns:
            core = p.strip("*")
            if any(c in core for c in "*?[") or not core or "*" not in p:
                self.checks.append(("glob", p, re.compile(fnmatch.translate(p))))
            elif p.startswith("*") and p.endswith("*"):
                self.checks.append(("in", core, None))
            elif p.endswith("*"):
                self.checks.append(("prefix", core, None))
            else:
                self.checks.append(("suffix", core, None))
        self.patterns = patterns
        self.prefixes = tuple(c for k, c, _ in self.checks if k == "prefix")
        self.suffixes = tuple(c for k, c, _ in self.checks if k == "suffix")
        infixes = [re.escape(c) for k, c, _ in self.checks if k == "in"]
        self.infix = re.compile("|".join(infixes)) if infixes else None
        self.globs = [rx for k, _, rx in self.checks if k == "glob" and rx is not None]

    def matches(self, name: str) -> bool:
        return bool((self.prefixes and name.startswith(self.prefixes))
                    or (self.suffixes and name.endswith(self.suffixes))
                    or (self.infix is not None and self.infix.search(name))
                    or any(rx.match(name) for rx in self.globs))

    def first_match(self, name: str) -> str | None:
        """The first pattern (in configured order) that matches ``name``, or None."""
        if not self.matches(name):
            return None
        for pattern, (kind, core, rx) in zip(self.patterns, self.checks, strict=True):
            if ((kind == "in" and core in name) or (kind == "prefix" and name.startswith(core))
                    or (kind == "suffix" and name.endswith(core))
                    or (rx is not None and rx.match(name))):
                return pattern
        return None


_NO_HITS: dict[str, list[tuple[int, str, str]]] = {}


# ---------------------------------------------------------------- entry point


def check_settings(config: Config) -> None:
    """Raise InputError for settings only classification can judge (level synonyms,
    environment names): what `dsscan config show` checks, as a scan would."""
    _Setup(config)


def classify(assets: list[dict[str, Any]], config: Config, catalogue: Catalogue | None = None,
             domain_of: dict[str, str] | None = None, index: RelationIndex | None = None) -> None:
    """Set ``level``, ``environment`` and ``desensitization`` on every asset, in place.

    ``index``: the run's relation index (dsscan.relindex), whose copies, vaults and domains
    ``dsscan.relations`` reads too; its domain membership is used unless ``domain_of`` is
    given. Without one, an index is built here and no domain membership is used."""
    setup = _Setup(config)
    if index is None:
        index = RelationIndex(assets, domain_of=domain_of or {})
    elif domain_of is None:
        domain_of = index.domain_of
    # ~10 small dicts per asset would trigger repeated full collections over the whole
    # (acyclic) inventory: a third of the run time at 100k assets. Nothing here makes cycles.
    with gc_paused():
        _classify(assets, config, setup, catalogue, domain_of, index)


def _classify(assets: list[dict[str, Any]], config: Config, setup: _Setup,
              catalogue: Catalogue | None, domain_of: dict[str, str] | None,
              index: RelationIndex) -> None:
    no_rules: list[Rule] = []
    own: list[list[Entry]] = []
    envs: list[list[Entry]] = []
    lineage: list[tuple[dict[str, Any], list[Rule]]] = []
    # Rule ids as a saved inventory records them: as written, and masked (an id quoting an
    # identifier is written masked).
    by_id = {k: r for r in (catalogue.rules if catalogue is not None else ())
             for k in (r.id, comparable(mask_text(r.id)))}
    for a in assets:
        rules = level_rules = no_rules
        if catalogue is not None:
            rules, level_rules = _catalogue_rules(a, catalogue, by_id)
        tags = a.get("tags")
        hits = setup.tag_hits(tags) if tags else _NO_HITS
        dkey = _domain_rating_key(a, config) if config.domains else None
        own.append(_own_level_sources(a, level_rules, hits, dkey, setup))
        envs.append(_environment_sources(a, rules, hits, dkey, setup))
        a["desensitization"] = _record(a, rules, hits, "desensitization", ("inheritance",))
        a["level_change_approval"] = _record(a, rules, hits, "level_change_approval", ())
        marked = [r for r in rules if r.outsourced is not None]
        if marked:  # Art. 43: the first matching rule that says (dsscan.log_sinks reads it)
            a["outsourced"] = {"value": marked[0].outsourced, "source": "catalogue",
                               "rule": marked[0].id}
        kept = [r for r in rules if r.retention_days is not None or r.retention_until]
        if kept:  # Art. 38: the first matching rule that says (dsscan.retention reads it)
            a["retention"] = {"days": kept[0].retention_days, "until": kept[0].retention_until,
                              "source": "catalogue", "rule": kept[0].id}
        shared = [r for r in rules if r.sharing_record
                  and not means_no_record(r.sharing_record)]
        if shared:  # DS-SHR-*: the first matching rule's record (dsscan.sharerel reads it)
            a["sharing_record"] = {"record": shared[0].sharing_record, "source": "catalogue",
                                   "rule": shared[0].id}
        elif isinstance(a.get("sharing_record"), dict) \
                and a["sharing_record"].get("source") in ("tag", "catalogue"):
            # a saved estate's record from a rule this run's catalogue no longer has: derived
            # again each run, never carried over (as level_change_approval)
            del a["sharing_record"]
        if rules and any(r.derived_from for r in rules):
            lineage.append((a, rules))
    if lineage:
        _add_lineage(assets, lineage)
    _inherit_desensitization(assets, index)

    floor = RANK[config.unclassified_protection_level]
    inherited = inherit(assets, own, index)
    unknown_part = unclassified_origins(assets, own, inherited, floor, index)
    for i, (a, prov, inh) in enumerate(zip(assets, own, inherited, strict=True)):
        a["level"] = _level_record(prov, inh, floor, unknown_part.get(i))

    # A member's environment falls back to its network domain's (the domain's own sources).
    domain_env = {a["id"]: prov[0]["environment"] for a, prov in zip(assets, envs, strict=True)
                  if a.get("kind") == "network_domain" and prov}
    for a, prov in zip(assets, envs, strict=True):
        dom = domain_of.get(a["id"]) if domain_of else None
        if dom is not None and dom != a["id"] and dom in domain_env:
            prov.append({"source": "domain", "environment": domain_env[dom],
                         "detail": f"domain {dom}"})
        if not prov:
            prov.append({"source": "default", "environment": "unknown",
                         "detail": "no tag, catalogue rule, account, name or domain gives one"})
        a["environment"] = {"value": prov[0]["environment"], "provenance": prov}


# ---------------------------------------------------------------- level


def _catalogue_gap(a: dict[str, Any], why: str) -> None:
    """A catalogue rule that could not be evaluated on the asset: its level, environment
    and lineage may be other than shown, so every policy's verdict on it is not assessed."""
    assessment = a.setdefault("assessment", {"status": "complete", "gaps": []})
    assessment.setdefault("gaps", []).append({"aspect": "catalogue", "reason": why})
    if assessment.get("status") in (None, "complete"):
        assessment["status"] = "partial"


def _add_lineage(assets: list[dict[str, Any]],
                 lineage: list[tuple[dict[str, Any], list[Rule]]]) -> None:
    """Catalogue ``derived_from``: the assets whose ids the rule's patterns match are added to
    the asset's own ``derived_from`` (ids not in the inventory give nothing)."""
    ids = [a["id"] for a in assets]
    present = set(ids)
    for a, rules in lineage:
        refs = list(a.get("derived_from") or [])
        for rule in rules:
            for pat in rule.derived_from:
                try:
                    hits = ([pat.text] if pat.text in present else []) \
                        if pat.kind == "literal" else [i for i in ids if pat.test(i)]
                except SlowPattern:
                    _catalogue_gap(a, f"catalogue rule '{rule.id}': derived_from pattern "
                                      f"{pat.describe()} ran out of time, so which assets "
                                      "this one aggregates is unknown (simplify the pattern)")
                    continue
                refs += [i for i in hits if i != a["id"] and i not in refs]
        a["derived_from"] = refs


def _domain_rating_key(a: dict[str, Any], config: Config) -> str | None:
    """The key under which config.domains rates this domain: its id, name or VPC id."""
    if a.get("kind") != "network_domain" or not config.domains:
        return None
    vpc = (a.get("network") or {}).get("vpc_id")
    for key in (a.get("id"), a.get("name"), vpc):
        if isinstance(key, str) and key in config.domains:
            return key
    return None


def _catalogue_rules(a: dict[str, Any], catalogue: Catalogue,
                     by_id: dict[str, Rule]) -> tuple[list[Rule], list[Rule]]:
    """(the rules that apply to the asset, those that give it a level).

    The rules that match it, plus those a saved inventory records as having matched (still in
    the catalogue); for the level also the rules quoting an identifier whose masked form
    matches the masked record (Catalogue.masked_match: the level only). A rule whose ``re:``
    pattern ran out of time may apply: a catalogue gap (the level may be higher)."""
    undecided: list[str] = []
    rules = catalogue.match(a, undecided)
    if by_id:
        rules = _with_recorded_rules(a, rules, by_id)
    level_rules = rules
    masked = catalogue.masked_match(a, undecided)
    if masked:
        have = {r.id for r in rules}
        level_rules = sorted([*rules, *(r for r in masked if r.id not in have)],
                             key=lambda r: r.index)
    for why in undecided:
        _catalogue_gap(a, why)
    return rules, level_rules


def _with_recorded_rules(a: dict[str, Any], rules: list[Rule],
                        by_id: dict[str, Rule]) -> list[Rule]:
    """``rules`` plus the catalogue rules a saved inventory records as having classified the
    asset, when they are still in the catalogue.

    A saved inventory holds masked names and ids: a rule quoting an identifier's digits
    (``name: ['kyc440305*']``) matched the live store but cannot match the masked record, and
    re-reading the file would drop a core store to unclassified — a wrong pass on every duty
    above the floor. The rule matched when the store was read; while it stays in the catalogue
    it keeps counting (its current level). A rule removed from the catalogue no longer does."""
    recorded = {e.get("detail") for part in ("level", "environment")
                if isinstance(a.get(part), dict)
                for e in a[part].get("provenance") or ()
                if isinstance(e, dict) and e.get("source") == "catalogue"}
    found = {by_id.get(d) or by_id.get(comparable(d)) for d in recorded if isinstance(d, str)}
    extra = [r for r in found if r is not None and r not in rules]
    if not extra:
        return rules
    return sorted([*rules, *extra], key=lambda r: r.index)


def _own_level_sources(a: dict[str, Any], rules: list[Rule],
                       hits: dict[str, list[tuple[int, str, str]]], dkey: str | None,
                       setup: _Setup) -> list[Entry]:
    """Every level source of the asset itself (all but inheritance), in source order."""
    out: list[Entry] = []
    old = a.get("level")
    if isinstance(old, dict):
        for e in old.get("provenance") or ():
            if isinstance(e, dict) and e.get("source") == "declared":
                lv = setup.level(e.get("level"))
                if lv is not None:
                    out.append({"source": "declared", "level": lv,
                                "detail": str(e.get("detail") or "declared in the inventory")})

    # Every configured key whose value is a level (the highest wins, like every source: two
    # level tags that disagree never hide the higher); a value that is not a level is ignored
    # (it neither classifies the asset nor makes it general).
    for _, key, value in hits.get("level", ()):
        lv = setup.level(value)
        if lv is not None:
            out.append({"source": "tag", "level": lv, "detail": f"{key}={value}"})

    if dkey is not None:
        rating = setup.config.domains[dkey]
        if rating.level is not None:
            out.append({"source": "config", "level": rating.level,
                        "detail": f"domains.{dkey}"})

    for rule in rules:
        if rule.level is not None:
            out.append({"source": "catalogue", "level": rule.level, "detail": rule.id})

    content = a.get("content")
    if isinstance(content, dict) and content.get("status") == "sampled":
        counts: dict[str, int] = {}
        for d in content.get("detections") or ():
            n = d.get("unmasked") or 0
            if isinstance(n, int) and n > 0:
                det = str(d.get("detector"))
                counts[det] = counts.get(det, 0) + n
        for det, n in counts.items():
            lv = setup.level(setup.config.content_levels.get(det)) or "sensitive"
            # Detector name and count only: never a sampled value.
            out.append({"source": "content", "level": lv, "detail": f"{det}: {n} unmasked"})
    return out


# State entry during propagation: (rank, origin index, via index or -1, relation).
def _level_record(own: list[Entry], inherited: Entry | None, floor: int = 2,
                  unknown_part: Entry | None = None) -> dict[str, Any]:
    """The level: the highest source wins, except that observations below ``floor`` (the
    rank of unclassified_protection_level) do not classify a store whose level is otherwise
    unknown — general-level content, or inheritance when part of what it copies or aggregates
    has no level: such a store stays unclassified, protected at the floor (Art. 18; an
    unclassified store is never general)."""
    prov = [*own, inherited] if inherited is not None else list(own)
    value = UNCLASSIFIED
    for e in prov:
        r = RANK[e["level"]]
        if r > RANK[value] and (r >= floor or e["source"] in DECLARING_SOURCES
                                or (e["source"] == "inheritance" and unknown_part is None)):
            value = e["level"]
    if unknown_part is not None and RANK[value] < floor:
        prov.append(unknown_part)  # said only where it decides the level
    return {"value": value, "provenance": prov, "conflicts": _conflicts(prov)}


def _conflicts(prov: list[Entry]) -> list[Entry]:
    declared: Entry | None = None
    for e in prov:
        if e["source"] in DECLARING_SOURCES and (
                declared is None or RANK[e["level"]] > RANK[declared["level"]]):
            declared = e
    if declared is None:
        return []
    out = []
    for source in OBSERVING_SOURCES:
        seen = [e for e in prov if e["source"] == source]
        if not seen:
            continue
        top = max(seen, key=lambda e: RANK[e["level"]])
        if RANK[top["level"]] > RANK[declared["level"]]:
            out.append({"declared": declared["level"], "declared_source": declared["source"],
                        "observed": top["level"], "observed_source": source,
                        "detail": f"{declared['source']} {declared['detail']} says "
                                  f"{declared['level']}; {top['detail']} shows {top['level']}"})
    return out


# ---------------------------------------------------------------- environment


def _environment_sources(a: dict[str, Any], rules: list[Rule],
                         hits: dict[str, list[tuple[int, str, str]]], dkey: str | None,
                         setup: _Setup) -> list[Entry]:
    """Every source that gives an environment, in priority order (the first one wins).

    The domain fallback and the default are added by the caller, once every domain is known.
    """
    prov: list[Entry] = []
    old = a.get("environment")
    if isinstance(old, dict):
        for e in old.get("provenance") or ():
            if isinstance(e, dict) and e.get("source") == "declared":
                env = setup.environment(e.get("environment"))
                if env is not None:
                    prov.append({"source": "declared", "environment": env,
                                 "detail": str(e.get("detail") or "declared in the inventory")})

    for _, key, value in hits.get("environment", ()):
        env = setup.environment(value)
        if env is not None:  # an unknown value is ignored, not a guess
            prov.append({"source": "tag", "environment": env, "detail": f"{key}={value}"})
            break

    for rule in rules:
        if rule.environment is not None:
            prov.append({"source": "catalogue", "environment": rule.environment,
                         "detail": rule.id})

    if dkey is not None:
        denv = setup.domain_envs.get(dkey)
        if denv is not None:
            prov.append({"source": "config", "environment": denv, "detail": f"domains.{dkey}"})

    account = a.get("account")
    info = setup.config.accounts.get(account) if account and setup.config.accounts else None
    if info is not None and info.environment:
        label = f"account {account}" + (f" ({info.name})" if info.name else "")
        prov.append({"source": "account", "environment": info.environment, "detail": label})

    if setup.name_patterns and setup.any_name_pattern.matches(name := asset_name(a).lower()):
        for env, globs in setup.name_patterns:
            pat = globs.first_match(name)
            if pat is not None:
                prov.append({"source": "name", "environment": env,
                             "detail": f"name '{name}' matches '{pat}'"})
                break
    return prov


# ---------------------------------------------------------------- desensitization


def _record(a: dict[str, Any], rules: list[Rule], hits: dict[str, list[tuple[int, str, str]]],
            field: str, derived: tuple[str, ...]) -> dict[str, Any] | None:
    """A record the asset refers to (``field``: the desensitization record of Art. 48, the
    approval of a level change of Art. 19): a tag, else the first catalogue rule that sets
    one, else one written into a hand-made inventory -- a record this stage wrote on an
    earlier pass (sources ``tag``, ``catalogue`` and ``derived``) is recomputed, never kept.
    A placeholder ("none", "n/a", "-", "pending", "无": dsscan.levels.means_no_record) is no
    record: the regulation wants one."""
    for _, _, value in hits.get(field, ()):
        if not means_no_record(value):
            return {"record": value.strip(), "source": "tag"}
    for rule in rules:
        value = getattr(rule, field)
        if value is not None and not means_no_record(value):
            return {"record": value, "source": "catalogue"}
    old = a.get(field)
    if isinstance(old, dict) and isinstance(old.get("record"), str) \
            and not means_no_record(old["record"]) \
            and old.get("source") not in ("tag", "catalogue", *derived):
        return dict(old)
    return None


def _inherit_desensitization(assets: list[dict[str, Any]], index: RelationIndex) -> None:
    """A snapshot, backup or replica of desensitized data is desensitized data: a copy with no
    record of its own carries its source's (copies of copies too)."""
    by_id = index.by_id
    pending = [a for a in assets if a.get("desensitization") is None
               and (_copy_sources(a))]
    changed = True
    while pending and changed:
        changed = False
        for a in list(pending):
            for sid in _copy_sources(a):
                src = (by_id.get(sid) or {}).get("desensitization")
                if isinstance(src, dict) and src.get("record"):
                    a["desensitization"] = {"record": src["record"], "source": "inheritance"}
                    pending.remove(a)
                    changed = True
                    break


def _copy_sources(a: dict[str, Any]) -> list[str]:
    return [ref for _, ref in RelationIndex.copy_refs(a)]


# ---------------------------------------------------------------- reporting


def level_sources_summary(asset: dict[str, Any]) -> str:
    """One line for reports, e.g. ``core (tag data-level=core; catalogue CAT-CORE-LEDGER)``."""
    level = asset.get("level") or {}
    value = level.get("value") or UNCLASSIFIED
    parts = []
    for e in level.get("provenance") or ():
        text = f"{e.get('source', '?')} {e.get('detail', '')}".strip()
        if e.get("level") and e.get("level") != value:
            text += f" [{e['level']}]"
        parts.append(text)
    return mask_text(f"{value} ({'; '.join(parts) if parts else 'no level source'})")
