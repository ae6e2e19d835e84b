"""Which stores an AWS Backup plan covers: AWS Backup's resource-selection semantics.

A selection (backup:GetBackupSelection) is read the way AWS Backup reads it (AWS Backup
Developer Guide, "Assign resources with AWS CLI" and API_BackupSelection / API_Conditions):

* ``Resources`` — ARNs, ``*`` standing for "zero or more non-whitespace characters"; a store
  matches if it matches any of them (OR). ``["*"]`` is every resource.
* ``NotResources`` — ARNs (same wildcards) excluded whatever else matches.
* ``ListOfTags`` — tag conditions, ``STRINGEQUALS`` only, matched if any holds (OR).
* ``Conditions`` — ``StringEquals``, ``StringLike``, ``StringNotEquals``, ``StringNotLike`` on
  ``aws:ResourceTag/<key>``, all of which must hold (AND). As in IAM, a negated operator holds
  for a store without the tag; ``StringLike`` wildcards are ``*`` and ``?``. Case-sensitive.
* Without ``Resources``, a selection by tags alone reaches every resource (AWS: "If resource
  assignments are only based on tags"). ``Resources`` and tags together are read as "resource
  types first, then tags further filter" (AWS console semantics): the narrower reading, so a
  store is never counted as covered on the wider one.
* Only resource types AWS Backup supports are ever covered (no ElastiCache), and only in the
  selection's own account and region (plans are regional; sweep.link pairs them).
* Service opt-in (backup:DescribeRegionSettings) applies unless a matching ``Resources`` ARN
  names the resource type itself (its service and a literal resource prefix: "Selection by
  resource type"); Aurora, Neptune and DocumentDB always need it. ``*`` or a service-wide
  pattern follows opt-in.

Fail closed: a selection naming a condition this module does not know, opt-in settings that
could not be read, or tags of the store that could not be read make coverage unknown (None)
wherever the answer depends on them — never covered. A selection with nothing in it (AWS
documents that it tries every opted-in resource) is read as covering nothing: DS-BAK-002 then
says so rather than pass on a reading the API may not honour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TAG_PREFIX = "aws:ResourceTag/"
OPERATORS = ("StringEquals", "StringLike", "StringNotEquals", "StringNotLike")

# The opt-in resource type (DescribeRegionSettings' ResourceTypeOptInPreference key) of the
# asset types AWS Backup can protect; other types (ElastiCache...) are never covered.
_OPT_IN_TYPE = {
    "AWS::S3::Bucket": "S3", "AWS::RDS::DBInstance": "RDS", "AWS::DynamoDB::Table": "DynamoDB",
    "AWS::EC2::Volume": "EBS", "AWS::EFS::FileSystem": "EFS", "AWS::Redshift::Cluster":
    "Redshift",
}
# Types AWS Backup protects only when opted in, whatever the selection names.
_ALWAYS_OPT_IN = {"Aurora", "Neptune", "DocumentDB"}


@dataclass
class Selection:
    """One backup selection of a plan, as read from backup:GetBackupSelection."""

    plan: str
    resources: list[str] = field(default_factory=list)
    not_resources: list[str] = field(default_factory=list)
    list_of_tags: list[tuple[str, str]] = field(default_factory=list)  # (key, value): OR
    conditions: list[tuple[str, str, str]] = field(default_factory=list)  # (op, key, value): AND
    # Why the selection cannot be read exactly (a condition type AWS does not document).
    unreadable: str | None = None


def selection_of(plan: str, sel: Any) -> Selection:
    """A Selection from a GetBackupSelection ``BackupSelection`` (a reply mapping)."""
    out = Selection(plan=plan, resources=[str(r) for r in sel.get("Resources") or []],
                    not_resources=[str(r) for r in sel.get("NotResources") or []])
    for t in sel.get("ListOfTags") or []:
        kind = str(t.get("ConditionType") or "STRINGEQUALS")
        if kind.upper() != "STRINGEQUALS":
            out.unreadable = f"ListOfTags condition type {kind[:40]!r}"
            continue
        out.list_of_tags.append((_tag_key(t["ConditionKey"]), str(t["ConditionValue"])))
    cond = sel.get("Conditions") or {}
    for op in cond:
        if op not in OPERATORS:
            out.unreadable = f"condition operator {str(op)[:40]!r}"
    for op in OPERATORS:
        for c in cond.get(op) or []:
            key = str(c["ConditionKey"])
            if not key.startswith(_TAG_PREFIX):
                out.unreadable = f"{op} on a key that is not aws:ResourceTag/..."
                continue
            out.conditions.append((op, key[len(_TAG_PREFIX):], str(c["ConditionValue"])))
    return out


def _tag_key(key: str) -> str:
    # ListOfTags keys are plain tag keys; the prefixed form is accepted as the same key.
    key = str(key)
    return key[len(_TAG_PREFIX):] if key.startswith(_TAG_PREFIX) else key


def opt_in_type(asset: dict[str, Any]) -> str | None:
    """The AWS Backup resource type of an asset, or None when AWS Backup cannot protect it."""
    t = asset.get("type")
    if t == "AWS::RDS::DBCluster":
        engine = str((asset.get("attributes") or {}).get("engine") or "")
        return ("Aurora" if engine.startswith("aurora") else "Neptune" if engine == "neptune"
                else "DocumentDB" if engine == "docdb" else "RDS")
    return _OPT_IN_TYPE.get(str(t))


def _wild(pattern: str, *, single: bool) -> re.Pattern[str]:
    """A pattern whose ``*`` (and ``?`` when ``single``) are wildcards, everything else
    literal. ARN patterns: ``*`` is zero or more non-whitespace characters (AWS Backup)."""
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(r"\S*" if not single else ".*")
        elif ch == "?" and single:
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    return bool(_wild(pattern, single=False).fullmatch(arn))


def _names_type(pattern: str) -> bool:
    """Whether an ARN pattern names a resource type (service and a literal resource prefix),
    so that AWS Backup protects what it matches regardless of service opt-in."""
    parts = pattern.split(":", 5)
    if len(parts) < 6 or "*" in parts[2] or not parts[2]:
        return False
    return not parts[5].startswith("*") and bool(parts[5])


def _condition(op: str, key: str, value: str, tags: dict[str, str]) -> bool:
    have = tags.get(key)
    if op == "StringEquals":
        return have == value
    if op == "StringNotEquals":
        return have != value  # IAM: holds for a store without the tag
    like = have is not None and bool(_wild(value, single=True).fullmatch(have))
    return like if op == "StringLike" else not like


def covers(s: Selection, asset: dict[str, Any], opt_in: dict[str, bool] | None,
           tags_known: bool = True) -> tuple[bool | None, str | None]:
    """(covered, why unknown): whether selection ``s`` covers ``asset`` of the same account
    and region; None with the reason when that cannot be told."""
    kind = opt_in_type(asset)
    if kind is None:
        return False, None  # AWS Backup does not protect this type of store
    if not (s.resources or s.list_of_tags or s.conditions) and not s.unreadable:
        return False, None
    arn = str(asset["id"])
    if any(arn_matches(p, arn) for p in s.not_resources):
        return False, None
    matching = [p for p in s.resources if arn_matches(p, arn)]
    if s.resources and not matching:
        return False, None
    if s.list_of_tags or s.conditions:
        if not tags_known:
            return None, "the store's tags could not be read"
        tags = {str(k): str(v) for k, v in (asset.get("tags") or {}).items()}
        if s.list_of_tags and not any(tags.get(k) == v for k, v in s.list_of_tags):
            return False, None
        if not all(_condition(op, k, v, tags) for op, k, v in s.conditions):
            return False, None
    if s.unreadable:
        return None, f"the selection holds a {s.unreadable}, which dsscan cannot read"
    if kind not in _ALWAYS_OPT_IN and any(_names_type(p) for p in matching):
        return True, None
    if opt_in is None:
        return None, "service opt-in settings could not be read"
    if kind not in opt_in:
        return None, f"service opt-in settings do not mention {kind}"
    return bool(opt_in[kind]), None
