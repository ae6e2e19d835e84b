"""Data levels (NFRA Art. 18) and the severities derived from them.

Four levels, highest first: core > important > sensitive > general. ``unclassified``
means "not known" and is never treated as ``general`` (docs/catalogue.md).
"""

from __future__ import annotations

import unicodedata

LEVELS: tuple[str, ...] = ("general", "sensitive", "important", "core")
UNCLASSIFIED = "unclassified"

RANK: dict[str, int] = {UNCLASSIFIED: 0, "general": 1, "sensitive": 2, "important": 3, "core": 4}

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

# Severity follows the highest data level involved in a finding. An unclassified store is
# treated like a sensitive one: its level is unknown, so the duty it may owe is not small.
DEFAULT_SEVERITY_BY_LEVEL: dict[str, str] = {
    "core": "critical",
    "important": "high",
    "sensitive": "medium",
    "general": "low",
    UNCLASSIFIED: "medium",
}

# Spellings seen in real tag values and catalogues, incl. the Chinese terms of the Measures.
DEFAULT_SYNONYMS: dict[str, str] = {
    "core": "core", "核心": "core", "核心数据": "core", "l4": "core",
    "important": "important", "重要": "important", "重要数据": "important", "l3": "important",
    "sensitive": "sensitive", "敏感": "sensitive", "敏感数据": "sensitive", "l2": "sensitive",
    "general": "general", "一般": "general", "一般数据": "general", "其他一般数据": "general",
    "public": "general", "l1": "general",
}


# Tag and catalogue values that say "no level yet": a synonym may not turn them into a level
# below the protection owed to unclassified stores. Markers, not a list of words: "未知",
# "待分类", "unassigned", "n/a", "null" and "" all say it.
_NO_LEVEL_MARKERS = ("unclass", "unknown", "unassign", "unrated", "unlabel", "undefined",
                     "none", "null", "nil", "tbd", "todo", "pending", "n/a", "not set",
                     "notset", "?", "未", "待", "无", "不明", "空")
_NO_LEVEL_EXACT = frozenset({"", "na", "-", "--", "0", "x"})


def means_no_level(value: str) -> bool:
    """Whether a tag or catalogue value says the level is not known (normalized text)."""
    v = unicodedata.normalize("NFKC", value).strip().lower()
    return v in _NO_LEVEL_EXACT or any(m in v for m in _NO_LEVEL_MARKERS)


# A record id says "none" as a whole value (a real id may well contain "nil" or "未").
_NO_RECORD_EXACT = _NO_LEVEL_EXACT | frozenset({
    "no", "n", "false", "off", "none", "null", "nil", "tbd", "todo", "pending", "n/a", "not set",
    "notset", "?", "unknown", "not approved", "unapproved", "not required", "no approval",
    "无", "暂无", "空", "待定", "未知", "待审批", "未审批", "审批中", "无需审批"})


def means_no_record(value: str) -> bool:
    """Whether a record-id value (an approval record in a tag or a catalogue rule) says there
    is none: empty, "none", "n/a", "-", "pending", "TBD", "no", "false", "无", "待审批", ..."""
    return unicodedata.normalize("NFKC", value).strip().lower() in _NO_RECORD_EXACT


def normalize_level(value: object, synonyms: dict[str, str] | None = None) -> str | None:
    """Map a tag or catalogue value to a level name; None when it is not a level."""
    if not isinstance(value, str):
        return None
    key = unicodedata.normalize("NFKC", value).strip().lower()
    table = DEFAULT_SYNONYMS if synonyms is None else {**DEFAULT_SYNONYMS, **synonyms}
    return table.get(key)


def rank(level: str | None) -> int:
    return RANK.get(level or UNCLASSIFIED, 0)


def severity_for_level(level: str | None, table: dict[str, str] | None = None) -> str:
    return (table or DEFAULT_SEVERITY_BY_LEVEL).get(level or UNCLASSIFIED, "medium")
