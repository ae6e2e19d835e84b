"""Which stores an AWS Backup selection covers, as AWS Backup decides it.

AWS Backup's rules (Developer Guide, "Assign resources with AWS CLI" and the
``BackupSelection`` API reference; Terraform ``aws_backup_selection``, Pulumi
``aws.backup.Selection``):

* ``Resources`` (ARNs or patterns, ``*`` = any characters) and ``ListOfTags``
  (``selection_tag``: ``StringEquals`` only) are additive: a resource matching any of them is
  selected (OR) — a tag does not narrow ``resources = ["*"]``.
* ``Conditions`` (``condition { string_equals | string_like | string_not_equals |
  string_not_like { key = "aws:ResourceTag/…", value } }``) must all hold (AND) and filter
  what ``Resources`` selected.
* ``NotResources`` removes resources from the selection.
* A selection covers resources in its own account and Region only (backup plans are
  regional).

Where AWS's pages leave a detail open, dsscan reads it the way that covers less (never a
pass on a guess): the condition operators follow IAM ("the Boolean arithmetic is similar to
that in IAM policies": a negated operator holds when the tag is absent); ``StringLike``
treats only ``*`` as a wildcard and ``StringNotLike`` also ``?``; a condition also filters
what ``ListOfTags`` selected. A fact the plan leaves unknown (a tag, an ARN, a value) makes
the verdict unknown (None) where it could exclude the store, and "not selected" where it
could only include it.
"""

from __future__ import annotations

import re
from typing import Any

Tri = bool | None

TAG_PREFIX = "aws:ResourceTag/"
CONDITIONS = ("string_equals", "string_like", "string_not_equals", "string_not_like")


def _glob(pattern: str, wild: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" and "?" in wild else re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def arn_matches(pattern: str, arn: str | None, service: str | None) -> Tri:
    """Whether a ``Resources``/``NotResources`` entry selects a resource (None: its ARN is
    not known, and the pattern could match it)."""
    if pattern == "*":
        return True
    if arn is not None:
        return _glob(pattern, "").fullmatch(arn) is not None
    parts = pattern.split(":")
    if len(parts) > 2 and service and "*" not in parts[2] and parts[2] != service:
        return False  # another service's resources
    return None


def condition_holds(op: str, key: str, value: Any, tags: dict[str, str] | None) -> Tri:
    """One condition on a resource's tags (None: the tags or the value are not known)."""
    if not isinstance(value, str) or not isinstance(key, str) or tags is None:
        return None
    have = tags.get(key.removeprefix(TAG_PREFIX))
    negated = op.startswith("string_not_")
    if have is None:  # IAM: a negated operator holds when the key is absent
        return negated
    if op.endswith("_like"):
        hit = _glob(value, "?" if negated else "").fullmatch(have) is not None
    else:
        hit = have == value
    return not hit if negated else hit


def _any(values: list[Tri]) -> Tri:
    if True in values:
        return True
    return None if None in values else False


def _all(values: list[Tri]) -> Tri:
    if False in values:
        return False
    return None if None in values else True


def selected(*, by_resources: list[Tri], by_tags: list[Tri], conditions: list[Tri],
             excluded: list[Tri], same_place: Tri, widen: bool = False) -> Tri:
    """(any of Resources OR any of ListOfTags) AND every condition AND NOT any of
    NotResources, in the selection's own account and Region. Unknown inclusion is "not
    selected" (it could only add coverage); unknown exclusion is unknown. ``widen``: unknown
    inclusion is unknown too — for what more coverage makes worse (a plan's copy rules,
    DS-TST-004; how long it keeps recovery points, DS-RET-001)."""
    included = _any(by_resources + by_tags)
    if included is False or (included is None and not widen):
        return False
    if included is None:
        return None if _all([*conditions, _not(_any(excluded)), same_place]) is not False \
            else False
    return _all([*conditions, _not(_any(excluded)), same_place])


def _not(v: Tri) -> Tri:
    return None if v is None else not v
