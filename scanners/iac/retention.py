"""DS-RET-001 facts from Terraform plans and Pulumi: which lifecycle rules of a bucket cover
every object (the rule's filter, in the API's shape, for dsscan.retention.whole_bucket_expiry)
and how long the AWS Backup plans covering a store keep recovery points.

* ``aws_s3_bucket_lifecycle_configuration`` ``rule[].filter`` (``prefix``, ``tag``, ``and``,
  ``object_size_greater_than`` / ``_less_than``; provider v5 plans show an unset filter as
  ``[{"prefix": "", "tag": [], "and": [], ...null}]``, Pulumi as an object) or the rule's
  deprecated ``prefix``; an inline ``aws_s3_bucket.lifecycle_rule[]`` ``prefix`` / ``tags``.
  A filter value known only after apply: the rule's reach is unknown (``whole_bucket`` null).
* ``aws_backup_plan`` ``rule[].lifecycle[].delete_after`` and
  ``rule[].copy_action[].lifecycle[].delete_after`` -> ``backup.plan_lifecycle`` of each
  store whose ``plans`` name it (``null``: a plan name that is not one planned plan, or a
  value known only after apply). No lifecycle: kept forever (``delete_after_days`` null).
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.iac.resources import configured, is_unknown
from dsscan.scanners.iac.values import as_int, as_str, blocks

Asset = dict[str, Any]
_UNKNOWN = "unknown"  # a Filter whose_whole() cannot read: the reach is unknown


def _set(v: Any) -> bool | None:
    """Whether a filter member narrows the rule (None: known only after apply)."""
    v = configured(v)
    if is_unknown(v):
        return None
    if isinstance(v, list):
        return None if any(is_unknown(x) for x in v) else any(
            x not in (None, "", {}, []) for x in v)
    if isinstance(v, dict):
        return bool(v) if not any(is_unknown(x) for x in v.values()) else None
    return v not in (None, "", 0)


def api_filter(rule: dict[str, Any], inline: bool = False) -> dict[str, Any]:
    """The members of an IaC lifecycle rule that narrow it, as the API's rule members."""
    narrowing: dict[str, Any] = {}
    unknown = False
    members = (("prefix", "Prefix"), ("tags", "Tag")) if inline else (("prefix", "Prefix"),)
    for key, api in members:
        s = _set(rule.get(key))
        unknown |= s is None
        if s:
            narrowing[api] = True
    if not inline:
        for f in blocks(rule, "filter"):
            for key, api in (("prefix", "Prefix"), ("tag", "Tag"), ("and", "And"),
                             ("object_size_greater_than", "ObjectSizeGreaterThan"),
                             ("object_size_less_than", "ObjectSizeLessThan")):
                s = _set(f.get(key))
                unknown |= s is None
                if s:
                    narrowing[api] = True
        unknown |= is_unknown(configured(rule.get("filter")))
    if unknown:
        return {"Filter": _UNKNOWN}
    return {"Filter": {k: "narrowed" for k in narrowing}} if narrowing else {}


def plan_lifecycles(plan: Any) -> dict[str, list[dict[str, Any]] | None]:
    """Plan name -> its rules' lifecycles (None: unknown, or several plans of that name)."""
    out: dict[str, list[dict[str, Any]] | None] = {}
    for r in plan.of_type("aws_backup_plan"):
        if r.data:
            continue
        name = as_str(r.values.get("name")) or r.name
        rules: list[dict[str, Any]] | None = [] if name not in out else None
        for rule in blocks(r.values, "rule") if rules is not None else []:
            rname = as_str(rule.get("rule_name"))
            entries = [(False, rule)] + [(True, c) for c in blocks(rule, "copy_action")]
            for copy, holder in entries:
                life = blocks(holder, "lifecycle")
                raw = configured(life[0].get("delete_after")) if life else None
                if is_unknown(raw) or is_unknown(configured(holder.get("lifecycle"))) or (
                        raw is not None and as_int(raw) is None):
                    rules = None
                    break
                rules.append({"plan": name, "rule": rname, "copy": copy,
                              "delete_after_days": as_int(raw)})
            if rules is None:
                break
        if is_unknown(configured(r.values.get("rule"))):
            rules = None
        out[name] = rules
    return out


def attach_plan_lifecycle(assets: list[Asset], plan: Any,
                          maybe: dict[str, dict[str, str]] | None = None) -> None:
    """``backup.plan_lifecycle`` of every store whose ``backup.plans`` is known; null when a
    plan may cover it too (``maybe``: store id -> plans whose selection is known only after
    apply): how long that plan keeps its recovery points is not known to apply."""
    lifecycles: dict[str, list[dict[str, Any]] | None] | None = None
    for a in assets:
        backup = a.get("backup")
        plans = backup.get("plans") if isinstance(backup, dict) else None
        if not isinstance(plans, list):
            continue
        if lifecycles is None:
            lifecycles = plan_lifecycles(plan)
        rules = [lifecycles.get(p) for p in plans]
        doubt = set((maybe or {}).get(a.get("id")) or ()) - set(plans)
        backup["plan_lifecycle"] = (None if doubt or any(r is None for r in rules)
                                    else [x for r in rules for x in r or []])
