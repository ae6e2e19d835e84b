"""The institution's data catalogue (NFRA Art. 16, 21): rules that give assets a level.

A YAML file of rules; each rule matches assets by id/ARN, name, kind, account, region and tags
(all given matchers must match) and sets a level, and optionally an environment and a
desensitization record. The format is documented in ``docs/catalogue.md``.

Matching is indexed: each rule is filed under one of its matchers (its "anchor"), and one
combined regex per field tells in a single C call whether any anchored glob can match, so an
asset that no rule names costs a handful of dict lookups, not one test per rule.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import regex

from dsscan.config import DEFAULT_ENVIRONMENT_SYNONYMS, ENVIRONMENTS
from dsscan.errors import InputError
from dsscan.levels import LEVELS, normalize_level
from dsscan.masking import comparable, mask_text

if TYPE_CHECKING:
    from dsscan.config import Config

# Asset kinds a `kind` matcher may name (the inventory schema's enum).
KINDS = ("object_store", "database", "table", "file_system", "cache", "warehouse", "volume",
         "backup", "snapshot", "backup_vault", "network_domain", "security_group", "key")

# Matcher keys → the asset field they read; `arn` is an alias of `id`. The order is the
# preference for the index anchor: most selective first.
_FIELDS = {"id": "id", "arn": "id", "name": "name", "tags": "tags", "account": "account",
           "region": "region", "kind": "kind"}
_ANCHOR_ORDER = ("id", "name", "tags", "account", "region", "kind")
_RULE_KEYS = ("id", "description", "level", "match", "environment", "desensitization",
              "derived_from", "outsourced", "level_change_approval", "retention_days",
              "retention_until", "sharing_record")
_SEGMENT = re.compile(r"[/:]")
# A ``re:`` pattern may backtrack catastrophically (``(a+)+$`` on a long value): each search
# is bounded (the ``regex`` module's timeout), and a pattern that ran out of time once is not
# tried again in this run — every value it would have been tested on is undecided.
REGEX_TIMEOUT_S = 0.25


class SlowPattern(Exception):
    """A ``re:`` pattern ran out of time: whether it matches is unknown (never "no")."""

    def __init__(self, pattern: Pattern) -> None:
        super().__init__(pattern.text)
        self.pattern = pattern


def asset_name(asset: dict[str, Any]) -> str:
    """The asset's name, or the last segment of its id (ARN, URN, address) when it has none."""
    name = asset.get("name")
    if isinstance(name, str) and name:
        return name
    return _SEGMENT.split(str(asset.get("id", "")))[-1]


def _field_value(asset: dict[str, Any], fname: str) -> str | None:
    if fname == "name":
        return asset_name(asset)
    value = asset.get(fname)
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Pattern:
    """One glob (``fnmatch``, case-sensitive), literal, or ``re:<regex>`` (searched)."""

    text: str
    kind: str  # "literal" | "glob" | "regex"
    regex: Any  # re.Pattern (glob) or regex.Pattern (``re:``); None for a literal
    slow: list[bool] = field(default_factory=lambda: [False], compare=False, repr=False)

    def test(self, value: str) -> bool:
        """Whether the pattern matches ``value``; SlowPattern when that is unknown."""
        if self.kind == "literal":
            return value == self.text
        assert self.regex is not None
        if self.kind == "glob":
            return self.regex.match(value) is not None
        if self.slow[0]:
            raise SlowPattern(self)
        try:
            return self.regex.search(value, timeout=REGEX_TIMEOUT_S) is not None
        except TimeoutError:
            self.slow[0] = True
            raise SlowPattern(self) from None

    def describe(self) -> str:
        """The pattern for a message: masked (a pattern may spell an ID), bounded."""
        return repr(_one_line(mask_text(self.text), 60))


@dataclass(frozen=True)
class Matcher:
    field: str                 # id | name | kind | account | region | tags
    patterns: tuple[Pattern, ...]
    tag_key: str | None = None  # for field "tags": the tag key, lower-cased
    # Derived once: exact values as a set, all globs as one alternation, regexes apart.
    _literals: frozenset[str] = field(init=False, repr=False, compare=False)
    _globs: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _regexes: tuple[Pattern, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        globs = [p.regex.pattern for p in self.patterns if p.kind == "glob" and p.regex]
        object.__setattr__(self, "_literals",
                           frozenset(p.text for p in self.patterns if p.kind == "literal"))
        object.__setattr__(self, "_globs", re.compile("|".join(globs)) if globs else None)
        object.__setattr__(self, "_regexes", tuple(p for p in self.patterns
                                                   if p.kind == "regex" and p.regex))

    def value(self, asset: dict[str, Any], ltags: dict[str, str]) -> str | None:
        if self.field == "tags":
            return ltags.get(self.tag_key or "")
        return _field_value(asset, self.field)

    def matches(self, asset: dict[str, Any], ltags: dict[str, str]) -> bool:
        v = self.value(asset, ltags)
        if v is None:
            return False
        if v in self._literals or (self._globs is not None and self._globs.match(v)):
            return True
        slow = None
        for p in self._regexes:  # a match settles it even when another pattern is slow
            try:
                if p.test(v):
                    return True
            except SlowPattern as e:
                slow = e
        if slow is not None:
            raise slow
        return False

    @property
    def indexable(self) -> bool:
        return all(p.kind != "regex" for p in self.patterns)


@dataclass(frozen=True)
class Rule:
    id: str
    index: int
    level: str | None
    matchers: tuple[Matcher, ...]
    description: str | None = None
    environment: str | None = None
    desensitization: str | None = None
    # Lineage the cloud cannot tell: the matched assets aggregate data from the assets whose
    # ids match these patterns (a warehouse loading from databases), and inherit their level.
    derived_from: tuple[Pattern, ...] = ()
    # The matched stores are outsourced or co-processed (Art. 43: logs kept 3 years).
    outsourced: bool | None = None
    # The id of the approval record of the matched stores' level change (Art. 19).
    level_change_approval: str | None = None
    # Declared retention of the matched stores (DS-RET-001, Art. 38): days, or an ISO date.
    retention_days: int | None = None
    retention_until: str | None = None
    # The id of the approved sharing / entrustment record of the matched stores (DS-SHR-*).
    sharing_record: str | None = None

    def matches(self, asset: dict[str, Any], ltags: dict[str, str] | None = None) -> bool:
        if ltags is None:
            ltags = _lower_tags(asset)
        return all(m.matches(asset, ltags) for m in self.matchers)


def _lower_tags(asset: dict[str, Any]) -> dict[str, str]:
    tags = asset.get("tags")
    if not tags:
        return {}
    return {str(k).lower(): v for k, v in tags.items() if isinstance(v, str)}


@dataclass
class _FieldIndex:
    """Rules anchored on one field (or one tag key): exact values, globs and regexes."""

    literal: dict[str, list[int]] = field(default_factory=dict)
    globs: list[tuple[Pattern, int]] = field(default_factory=list)
    regexes: list[tuple[Pattern, int]] = field(default_factory=list)
    _chains: dict[int, re.Pattern[str]] = field(default_factory=dict)

    def add(self, pattern: Pattern, rule_index: int) -> None:
        if pattern.kind == "literal":
            self.literal.setdefault(pattern.text, []).append(rule_index)
        elif pattern.kind == "glob":
            self.globs.append((pattern, rule_index))
        else:
            self.regexes.append((pattern, rule_index))

    def _chain(self, start: int) -> re.Pattern[str]:
        """One alternation of globs[start:], a named group per glob, compiled on first use.

        fnmatch.translate gives "(?s:...)\\Z" with atomic groups and no named groups, so the
        globs join safely; ``lastgroup`` names the first that matches, and the search goes on
        from the next one, so a value matching k globs costs k + 1 regex calls.
        """
        chain = self._chains.get(start)
        if chain is None:
            chain = re.compile("|".join(
                f"(?P<g{k}>{p.regex.pattern})" for k, (p, _) in enumerate(self.globs)
                if k >= start and p.regex is not None))
            self._chains[start] = chain
        return chain

    def lookup(self, value: str, out: set[int], undecided: dict[int, Pattern]) -> None:
        hits = self.literal.get(value)
        if hits:
            out.update(hits)
        start, n = 0, len(self.globs)
        while start < n:  # usually one call: the first chain does not match
            m = self._chain(start).match(value)
            if m is None:
                break
            k = int((m.lastgroup or "g0")[1:])
            out.add(self.globs[k][1])
            start = k + 1
        for p, i in self.regexes:
            try:
                if p.test(value):
                    out.add(i)
            except SlowPattern:
                undecided.setdefault(i, p)


@dataclass
class Catalogue:
    rules: list[Rule]
    source: str = "catalogue"
    _fields: list[tuple[str, _FieldIndex]] = field(default_factory=list, repr=False)
    _tags: dict[str, _FieldIndex] = field(default_factory=dict, repr=False)
    _has_tag_matchers: bool = field(default=False, repr=False)
    # Per rule, the matchers other than its anchor: what is left to check on an index hit.
    _rest: list[tuple[Matcher, ...]] = field(default_factory=list, repr=False)
    # The rules quoting identifiers, as they read masked records (built on first use).
    _masked: list[Any] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        fields: dict[str, _FieldIndex] = {}
        for rule in self.rules:
            anchor = _pick_anchor(rule)
            self._rest.append(tuple(m for m in rule.matchers if m is not anchor))
            if anchor.field == "tags":
                idx = self._tags.setdefault(anchor.tag_key or "", _FieldIndex())
            else:
                idx = fields.setdefault(anchor.field, _FieldIndex())
            for p in anchor.patterns:
                idx.add(p, rule.index)
        self._fields = sorted(fields.items(), key=lambda kv: _ANCHOR_ORDER.index(kv[0]))
        self._has_tag_matchers = any(m.field == "tags" for r in self.rules for m in r.matchers)

    def match(self, asset: dict[str, Any],
              undecided: list[str] | None = None) -> list[Rule]:
        """Every rule that matches the asset, in catalogue order. A rule whose ``re:``
        pattern ran out of time is left out and described in ``undecided`` (the caller
        records a gap); without that list, InputError."""
        if not self.rules:
            return []
        cands: set[int] = set()
        slow: dict[int, Pattern] = {}
        for fname, idx in self._fields:
            v = asset_name(asset) if fname == "name" else asset.get(fname)
            if isinstance(v, str):
                idx.lookup(v, cands, slow)
        ltags = (_lower_tags(asset) if self._has_tag_matchers and asset.get("tags")
                 else _NO_TAGS)
        if ltags:
            for key, idx in self._tags.items():
                v = ltags.get(key)
                if v is not None:
                    idx.lookup(v, cands, slow)
        rules, rest = self.rules, self._rest
        out: list[Rule] = []
        for i in sorted(cands):
            try:
                if all(m.matches(asset, ltags) for m in rest[i]):
                    out.append(rules[i])
            except SlowPattern as e:
                slow.setdefault(i, e.pattern)
        if slow:
            why = [f"catalogue rule '{_one_line(rules[i].id)}': pattern {p.describe()} ran "
                   f"out of time ({REGEX_TIMEOUT_S:g} s), so whether the rule applies is "
                   "unknown (simplify the pattern)" for i, p in sorted(slow.items())]
            if undecided is None:
                raise InputError(why[0])
            undecided += why
        return out


    def masked_match(self, asset: dict[str, Any],
                     undecided: list[str] | None = None) -> list[Rule]:
        """The rules quoting an identifier whose masked form matches a masked record (a
        saved inventory: ``kyc440305********0029-ledger``), each stripped to its level.

        Only the level: the masked form keeps 10 of 18 digits, so two identifiers sharing
        them both match — raising a level is the safe error, but a rule's environment,
        desensitization record or lineage applied to another identifier's store could hide
        a finding. Values are compared without their ``~N`` suffixes."""
        if not self._masked:
            self._masked.append(_shadow(self.rules))
        built = self._masked[0]
        if built is None or not _looks_masked(asset):
            return []
        shadow, level_only = built
        view = dict(asset)
        for key in ("id", "name"):
            v = asset.get(key)
            if isinstance(v, str):
                view[key] = comparable(v)
        tags = asset.get("tags")
        if isinstance(tags, dict):
            view["tags"] = {k: comparable(v) if isinstance(v, str) else v
                            for k, v in tags.items()}
        return [level_only[r.index] for r in shadow.match(view, undecided)]


def _looks_masked(asset: dict[str, Any]) -> bool:
    tags = asset.get("tags")
    return any("*" in v for v in (asset.get("id"), asset.get("name"),
                                  *(tags.values() if isinstance(tags, dict) else ()))
               if isinstance(v, str))


_NO_TAGS: dict[str, str] = {}


def _pick_anchor(rule: Rule) -> Matcher:
    """The matcher a rule is filed under: no regex if possible, then the most selective field."""
    return min(rule.matchers,
               key=lambda m: (not m.indexable, _ANCHOR_ORDER.index(m.field)))


# ---------------------------------------------------------------- loading


def load_catalogue(path: str | Path, config: Config | None = None) -> Catalogue:
    """Read and check a catalogue file; any problem raises InputError (one line)."""
    from dsscan.strict_yaml import load_yaml

    return catalogue_from_mapping(load_yaml(path, "catalogue file"), str(path), config)


def catalogue_from_mapping(raw: Any, origin: str = "catalogue",
                           config: Config | None = None) -> Catalogue:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"{origin}: a catalogue must be a mapping with 'version' and 'rules', "
                         f"got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in ("version", "rules"))
    if unknown:
        raise InputError(f"{origin}: unknown top-level key '{_one_line(unknown[0])}' "
                         "(known: version, rules)")
    version = raw.get("version", 1)
    if version != 1 or isinstance(version, bool):
        raise InputError(f"{origin}: version {_one_line(version)} is not supported "
                         "(this dsscan reads catalogue version 1)")
    items = raw.get("rules") or []
    if not isinstance(items, list):
        raise InputError(f"{origin}: 'rules' must be a list of rules")
    level_syn = config.level_synonyms if config else None
    env_table = (config.environment_table() if config else dict(DEFAULT_ENVIRONMENT_SYNONYMS))
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        rule = _parse_rule(item, i, origin, level_syn, env_table)
        if rule.id in seen:
            raise InputError(f"{origin}: rules[{i}] ({_one_line(rule.id)}): duplicate id, "
                             f"already used by rules[{seen[rule.id]}]")
        seen[rule.id] = i
        rules.append(rule)
    return Catalogue(rules=rules, source=origin)


def _one_line(value: object, limit: int = 80) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_rule(item: Any, i: int, origin: str, level_syn: dict[str, str] | None,
                env_table: dict[str, str]) -> Rule:
    rid = item.get("id") if isinstance(item, dict) else None
    where = f"{origin}: rules[{i}]" + (f" ({_one_line(rid)})" if isinstance(rid, str) else "")

    def fail(msg: str) -> InputError:
        return InputError(f"{where}: {msg}")

    if not isinstance(item, dict):
        raise fail(f"a rule must be a mapping, got {type(item).__name__}")
    unknown = sorted(str(k) for k in item if k not in _RULE_KEYS)
    if unknown:
        raise fail(f"unknown field '{_one_line(unknown[0])}' (known: {', '.join(_RULE_KEYS)})")
    if not isinstance(rid, str) or not rid.strip():
        raise fail("missing 'id' (every rule needs a unique id)")
    description = item.get("description")
    if description is not None and not isinstance(description, str):
        raise fail("'description' must be a string")

    level = None
    if item.get("level") is not None:
        level = normalize_level(item["level"], level_syn)
        if level is None:
            raise fail(f"unknown level '{_one_line(item['level'])}' "
                       f"(expected one of {', '.join(reversed(LEVELS))})")
    environment = None
    if item.get("environment") is not None:
        raw_env = item["environment"]
        environment = (env_table.get(raw_env.strip().lower()) if isinstance(raw_env, str)
                       else None)
        if environment not in ENVIRONMENTS or environment == "unknown":
            raise fail(f"unknown environment '{_one_line(raw_env)}' "
                       f"(expected one of {', '.join(ENVIRONMENTS[:-1])})")
    desens = item.get("desensitization")
    if desens is not None and (not isinstance(desens, str) or not desens.strip()):
        raise fail("'desensitization' must be a record id (a non-empty string)")
    derived: tuple[Pattern, ...] = ()
    if item.get("derived_from") is not None:
        derived = _patterns(item["derived_from"], "derived_from", fail)
    outsourced = item.get("outsourced")
    if outsourced is not None and not isinstance(outsourced, bool):
        raise fail("'outsourced' must be true or false")
    approval = item.get("level_change_approval")
    if approval is not None and (not isinstance(approval, str) or not approval.strip()):
        raise fail("'level_change_approval' must be a record id (a non-empty string)")
    ret_days, ret_until = item.get("retention_days"), item.get("retention_until")
    if ret_days is not None and (isinstance(ret_days, bool) or not isinstance(ret_days, int)
                                 or ret_days < 1):
        raise fail("'retention_days' must be a whole number of days (1 or more)")
    if ret_until is not None:
        from dsscan.retention import parse_until
        if hasattr(ret_until, "isoformat"):  # YAML reads an unquoted date as a date
            ret_until = ret_until.isoformat()
        if parse_until(ret_until) is None:
            raise fail("'retention_until' must be an ISO date (e.g. 2030-12-31)")
        ret_until = str(ret_until).strip()
    sharing = item.get("sharing_record")
    if sharing is not None and (not isinstance(sharing, str) or not sharing.strip()):
        raise fail("'sharing_record' must be a record id (a non-empty string)")
    if level is None and environment is None and desens is None and not derived \
            and outsourced is None and approval is None and ret_days is None \
            and ret_until is None and sharing is None:
        raise fail("missing 'level' (a rule must set a level, an environment, a "
                   "desensitization record, derived_from, outsourced, "
                   "level_change_approval, sharing_record or a retention)")

    match = item.get("match")
    if not isinstance(match, dict) or not match:
        raise fail("'match' needs at least one matcher "
                   f"({', '.join(_FIELDS)})")
    matchers: list[Matcher] = []
    for key, spec in match.items():
        if key not in _FIELDS:
            raise fail(f"unknown matcher 'match.{_one_line(key)}' (known: {', '.join(_FIELDS)})")
        if key == "tags":
            if not isinstance(spec, dict) or not spec:
                raise fail("'match.tags' must be a mapping of tag key to value pattern")
            for tkey, tspec in spec.items():
                pats = _patterns(tspec, f"match.tags.{_one_line(tkey)}", fail)
                matchers.append(Matcher("tags", pats, tag_key=str(tkey).lower()))
            continue
        pats = _patterns(spec, f"match.{key}", fail)
        if key == "kind":
            for p in pats:
                if p.kind == "literal" and p.text not in KINDS:
                    raise fail(f"match.kind: unknown kind '{_one_line(p.text)}' "
                               f"(known: {', '.join(KINDS)})")
        matchers.append(Matcher(_FIELDS[key], pats))
    return Rule(id=rid.strip(), index=i, level=level, matchers=tuple(matchers),
                description=description, environment=environment,
                desensitization=desens.strip() if desens else None, derived_from=derived,
                outsourced=outsourced,
                level_change_approval=approval.strip() if approval else None,
                retention_days=ret_days, retention_until=ret_until,
                sharing_record=sharing.strip() if sharing else None)


def _patterns(spec: Any, where: str, fail: Callable[[str], InputError]) -> tuple[Pattern, ...]:
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        raise fail(f"{where}: empty list (give at least one pattern)")
    out = []
    for s in items:
        if isinstance(s, bool) or not isinstance(s, str):
            # An unquoted account id becomes a YAML int and could lose leading zeros.
            raise fail(f"{where}: pattern {_one_line(s)} must be a string (quote it)")
        out.append(_compile(s, where, fail))
    return tuple(out)


def _compile(text: str, where: str, fail: Callable[[str], InputError]) -> Pattern:
    if text.startswith("re:"):
        try:
            # regex (V0: re's syntax), for its per-search timeout.
            return Pattern(text, "regex", regex.compile(text[3:], regex.V0))
        except (regex.error, OverflowError, RecursionError, ValueError) as e:
            why = _one_line(str(e) or type(e).__name__)
            raise fail(f"{where}: bad regular expression '{_one_line(text)}' ({why})") from None
    if not any(c in text for c in "*?["):
        return Pattern(text, "literal", None)
    return Pattern(text, "glob", re.compile(fnmatch.translate(text)))


_WILDCARD = re.compile(r"(\*|\?|\[[^\]]*\])")


def _masked_form(text: str) -> Pattern | None:
    """The pattern as it reads a masked record, or None when it quotes no identifier.

    A glob or literal quoting an identifier (``name: ['kyc440305198511220029*']``) matches
    the live store, but an inventory saved by dsscan holds the name masked
    (``kyc440305********0029-ledger``). The identifier's digits are masked as every output
    masks them and the mask's ``*`` is read literally; values are compared without their
    ``~N`` suffixes (:meth:`Catalogue.masked_match`). Regexes (``re:``) and globs whose
    wildcards cut through an identifier's digits are not converted (docs/outputs.md)."""
    if text.startswith("re:"):
        return None
    parts = _WILDCARD.split(text)
    masked = [mask_text(p) if i % 2 == 0 else p for i, p in enumerate(parts)]
    if masked == parts:
        return None
    if len(parts) == 1:
        return Pattern(masked[0], "literal", None)
    rx = "".join(re.escape(p) if i % 2 == 0 else fnmatch.translate(p)[4:-3]
                 for i, p in enumerate(masked))
    return Pattern("".join(masked), "glob", re.compile(f"(?s:{rx})\\Z"))


def _masked_matcher(m: Matcher) -> Matcher | None:
    """``m`` with each pattern quoting an identifier replaced by its masked form; None when
    no pattern of ``m`` quotes one."""
    forms = [_masked_form(p.text) if p.kind != "regex" else None for p in m.patterns]
    if all(f is None for f in forms):
        return None
    return Matcher(m.field, tuple(f or p for f, p in zip(forms, m.patterns, strict=True)),
                   m.tag_key)


def _shadow(rules: list[Rule]) -> tuple[Catalogue, list[Rule]] | None:
    """The rules that quote an identifier, as they read masked records: (a catalogue of
    them, indexed by position; per position the original rule stripped to its level)."""
    shadow: list[Rule] = []
    level_only: list[Rule] = []
    for r in rules:
        if r.level is None:
            continue
        forms = [_masked_matcher(m) for m in r.matchers]
        if all(f is None for f in forms):
            continue
        matchers = tuple(f or m for f, m in zip(forms, r.matchers, strict=True))
        shadow.append(Rule(id=r.id, index=len(shadow), level=r.level, matchers=matchers))
        level_only.append(Rule(id=r.id, index=r.index, level=r.level, matchers=()))
    return (Catalogue(shadow, source="masked forms"), level_only) if shadow else None

