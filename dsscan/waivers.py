"""Waivers: accepted findings, each with a reason, an approver and an expiry date.

A waiver is declared in the settings file (``waivers:``, checked by ``waiver_rules:``) and
matched against findings after evaluation. A waived finding is still reported (marked, with
the waiver) but does not gate: ``Finding.gating`` is false and the exit code ignores it.

A waiver that no longer waives -- expired, missing the approver the rules require, or lasting
longer than the rules allow -- is reported in ``ScanResult.waiver_problems`` together with how
many findings it would have covered, and those findings fail again. A valid waiver that covers
nothing is reported as stale ("matches no finding") so the list does not rot.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dsscan.errors import InputError
from dsscan.masking import mask_text

if TYPE_CHECKING:
    from dsscan.findings import Finding, ScanResult

STALE = "matches no finding"
# ``kind`` of a waiver problem: it does not waive (invalid), it covers nothing (stale), or it
# waives every policy or every asset and says so (catch_all: listed, not failing).
INVALID, STALE_KIND, CATCH_ALL = "invalid", "stale", "catch_all"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEYS = ("id", "policy", "asset", "account", "region", "reason", "approver", "expires",
         "created", "scope")
_RULE_KEYS = ("require_approver", "max_days")
# The shape of a masked identifier (440305********0029, 138****5678, c***@qq.com).
_MASKED = re.compile(r"\d\*{3,}\d|\w\*{3}@")


@dataclass(frozen=True, kw_only=True)
class Waiver:
    """One accepted finding pattern. Globs use ``fnmatch`` syntax (``*``, ``?``, ``[...]``);
    ``policy`` is matched case-insensitively, ``asset``/``account``/``region`` exactly."""

    policy: str
    reason: str
    expires: date
    asset: str = "*"  # matched against the asset id AND the asset name
    account: str | None = None
    region: str | None = None
    approver: str | None = None
    created: date | None = None
    scope: str | None = None  # "all": the author accepts that it waives every policy/asset
    source: str = ""  # where it was declared, e.g. "dsscan.yaml:waivers[2]"
    id: str = ""  # "" = derived from policy, asset, account and region (stable across edits
    #               of the reason, approver or dates, so reports keep naming the same waiver)

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", derive_id(self.policy, self.asset, self.account,
                                                     self.region))


@dataclass(frozen=True)
class WaiverRules:
    require_approver: bool = False
    max_days: int | None = None  # longest allowed validity: expires - created (else - today)


def derive_id(policy: str, asset: str, account: str | None, region: str | None) -> str:
    raw = "\x1f".join((policy.upper(), asset, account or "", region or ""))
    return "W-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:10]


# --- parsing ----------------------------------------------------------------------------------

def _show(value: Any) -> str:
    """A value quoted for an error message, masked (a pattern may hold an identifier), on
    one line and bounded (a settings file may hold a megabyte-long string)."""
    text = f"'{value}'" if isinstance(value, str) else repr(value)
    text = " ".join(mask_text(text).split())
    return text if len(text) <= 80 else text[:79] + "…"


def _date(value: Any, where: str, required: bool) -> date | None:
    if value is None:
        if required:
            raise InputError(f"{where}: missing (a date, YYYY-MM-DD)")
        return None
    # datetime is a date subclass: a timestamp is not what a waiver's date means.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(f"{where}: {_show(value)} is not a date (YYYY-MM-DD)")


def _text(value: Any, where: str, *, required: bool = False, what: str = "a string",
          digits: bool = False) -> str | None:
    """A non-empty string. ``digits``: the value is an id made of digits (an account)."""
    if value is None:
        if required:
            raise InputError(f"{where}: missing ({what})")
        return None
    if digits and isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads 111111111111 as a number, and 012345670123 as an octal one: never guess.
        raise InputError(f"{where}: {_show(value)} must be quoted, e.g. '111111111111' "
                         "(YAML reads unquoted digits as a number)")
    if not isinstance(value, str):
        raise InputError(f"{where}: {_show(value)} is not {what}")
    if not value.strip():
        raise InputError(f"{where}: must not be empty")
    return value.strip()


def _required(value: str | date | None) -> Any:
    """Narrow what _text/_date returned for a required key (they raise when it is missing)."""
    if value is None:  # unreachable: required keys raise first
        raise InputError("internal: a required waiver key was not checked")
    return value


def parse_waivers(raw: Any, origin: str) -> list[Waiver]:
    """Validate the ``waivers:`` list of a settings file (``origin`` names the file).

    Raises InputError with one line naming ``origin`` and the bad path, e.g.
    ``dsscan.yaml: waivers[2].expires: '2027-13-01' is not a date (YYYY-MM-DD)``.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{origin}: waivers: must be a list of waivers, "
                         f"got {type(raw).__name__}")
    out: list[Waiver] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        at = f"{origin}: waivers[{i}]"
        if not isinstance(item, dict):
            raise InputError(f"{at}: must be a mapping (policy, asset, reason, expires, ...), "
                             f"got {type(item).__name__}")
        unknown = sorted(str(k) for k in item if k not in _KEYS)
        if unknown:
            raise InputError(f"{at}: unknown key {_show(unknown[0])} (known: {', '.join(_KEYS)})")
        wid = _text(item.get("id"), f"{at}.id", what="a string (the waiver id)")
        policy: str = _required(_text(item.get("policy"), f"{at}.policy", required=True,
                                      what="a policy id or glob, e.g. DS-NET-003"))
        for key in ("asset", "account", "region"):  # `asset:` left empty is not "*"
            if key in item and item[key] is None:
                raise InputError(f"{at}.{key}: must not be empty (leave the key out to "
                                 "match any)")
        asset = _text(item.get("asset", "*"), f"{at}.asset",
                      what="an asset id or name, or a glob") or "*"
        if _MASKED.search(asset):
            # Reports show ids masked: a pattern copied from one would take its mask for a
            # wildcard and waive every asset whose id shares the visible digits.
            raise InputError(f"{at}.asset: {_show(asset)} looks like an id copied from a "
                             "report, where identifiers are masked: its '*' would match "
                             "other assets; write the id as it is, or a pattern of your own")
        account = _text(item.get("account"), f"{at}.account", what="an account id or glob",
                        digits=True)
        region = _text(item.get("region"), f"{at}.region", what="a region or glob")
        reason: str = _required(_text(item.get("reason"), f"{at}.reason", required=True,
                                      what="why the finding is accepted"))
        approver = _text(item.get("approver"), f"{at}.approver", what="a string (who approved)")
        expires: date = _required(_date(item.get("expires"), f"{at}.expires", required=True))
        created = _date(item.get("created"), f"{at}.created", required=False)
        scope = item.get("scope")
        if scope is not None and scope != "all":
            raise InputError(f"{at}.scope: {_show(scope)} is not 'all' (the only scope: it "
                             "accepts a waiver of every policy or every asset)")
        if created is not None and created > expires:
            raise InputError(f"{at}.created: {created.isoformat()} is after expires "
                             f"{expires.isoformat()}")
        w = Waiver(id=wid or "", policy=policy, asset=asset, account=account, region=region,
                   reason=reason, approver=approver, expires=expires, created=created,
                   scope=scope, source=f"{origin}:waivers[{i}]")
        if w.id in seen:
            why = "" if wid else " (same policy, asset, account and region; give each an id)"
            raise InputError(f"{at}.id: duplicate waiver id {_show(w.id)}, also "
                             f"waivers[{seen[w.id]}]{why}")
        seen[w.id] = i
        out.append(w)
    return out


def parse_waiver_rules(raw: Any, origin: str) -> WaiverRules:
    """Validate ``waiver_rules:`` (absent or null = no rules)."""
    if raw is None:
        return WaiverRules()
    if not isinstance(raw, dict):
        raise InputError(f"{origin}: waiver_rules: must be a mapping (require_approver, "
                         f"max_days), got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in _RULE_KEYS)
    if unknown:
        raise InputError(f"{origin}: waiver_rules: unknown key {_show(unknown[0])} "
                         f"(known: {', '.join(_RULE_KEYS)})")
    req = raw.get("require_approver", False)
    if not isinstance(req, bool):
        raise InputError(f"{origin}: waiver_rules.require_approver: {_show(req)} is not "
                         "true or false")
    max_days = raw.get("max_days")
    if max_days is not None and (isinstance(max_days, bool) or not isinstance(max_days, int)
                                 or max_days < 1):
        raise InputError(f"{origin}: waiver_rules.max_days: {_show(max_days)} is not a "
                         "positive whole number of days")
    return WaiverRules(require_approver=req, max_days=max_days)


# --- matching -----------------------------------------------------------------------------------

# Ids of every shape a source writes (live AWS, Terraform, Pulumi, plain names) and account
# and region values: a glob matching all of them matches any asset.
_ANY_ASSET = ("arn:aws:s3:::b", "arn:aws-cn:rds:cn-north-1:111111111111:db:d", "vpc-0a1b",
              "aws_s3_bucket.b", 'module.m["k"].aws_db_instance.d[0]',
              "urn:pulumi:prod::bank::aws:s3/bucket:Bucket::b", "b", "数据")
_ANY_ACCOUNT = ("111111111111", "222222222222")
_ANY_REGION = ("cn-north-1", "us-east-1")


def _matches_all(glob: str | None, probes: tuple[str, ...]) -> bool:
    if glob is None:
        return True
    match = re.compile(fnmatch.translate(glob)).match
    return all(match(p) for p in probes)


def _family(policy_id: str) -> str:
    """DS-NET-003 -> DS-NET: one duty (a family of checks)."""
    return policy_id.upper().rsplit("-", 1)[0]


def catch_all(w: Waiver, policy_ids: list[str],
              assets: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """What ``w`` waives all of: "every policy" (its policy glob matches any id at all, every
    policy of the library, or policies of more than one duty — ``DS-[A-M]*``), "every asset"
    (its asset, account and region globs match ids of every shape, or every asset of the run
    when the run holds assets of more than one kind — ``arn:aws-cn:*`` on a live sweep). A
    waiver this wide hides whole duties: it needs ``scope: all``."""
    out = []
    match = re.compile(fnmatch.translate(w.policy.upper())).match
    hit = [p for p in policy_ids if match(p.upper())]
    if match("ANY-POLICY-001") or (len(policy_ids) > 1 and len(hit) == len(policy_ids)) \
            or len({_family(p) for p in hit}) > 1:
        out.append("every policy")
    if (_matches_all(w.asset, _ANY_ASSET) and _matches_all(w.account, _ANY_ACCOUNT)
            and _matches_all(w.region, _ANY_REGION)) or _covers_run(w, assets or {}):
        out.append("every asset")
    return out


def _covers_run(w: Waiver, assets: dict[str, dict[str, Any]]) -> bool:
    """Whether ``w`` matches every asset of a run that holds more than one kind of asset."""
    if len({a.get("kind") for a in assets.values()}) < 2:
        return False
    m = _Matcher(w)
    return all(m.matches_asset(aid, a.get("name"), a) for aid, a in assets.items())


def problems_of(w: Waiver, rules: WaiverRules, today: date,
                policy_ids: list[str] | None = None,
                assets: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Why ``w`` does not waive today (empty: it is valid)."""
    out = []
    wide = catch_all(w, policy_ids or [], assets)
    if wide and w.scope != "all":
        out.append(f"waives {' and '.join(wide)}: write 'scope: all' to accept a waiver this "
                   "wide")
    if w.expires < today:
        out.append(f"expired on {w.expires.isoformat()}")
    if rules.require_approver and not w.approver:
        out.append("no approver (waiver_rules.require_approver)")
    if rules.max_days is not None:
        # From creation, or from today if later; a created date in the future shortens
        # nothing (it would let a 90-day rule pass a waiver of decades).
        start = min(w.created or today, today)
        days = (w.expires - start).days
        if days > rules.max_days:
            out.append(f"lasts {days} days, more than waiver_rules.max_days {rules.max_days}")
    return out


class _Matcher:
    """A waiver's globs, compiled once (a scan may have 100k findings)."""

    def __init__(self, w: Waiver):
        self.policy = re.compile(fnmatch.translate(w.policy.upper())).match
        self.asset = re.compile(fnmatch.translate(w.asset)).match
        self.account = re.compile(fnmatch.translate(w.account)).match if w.account else None
        self.region = re.compile(fnmatch.translate(w.region)).match if w.region else None

    def covers(self, f: Finding, info: dict[str, Any]) -> bool:
        return self.matches_asset(f.asset_id, f.asset_name, info)

    def matches_asset(self, asset_id: str, name: Any, info: dict[str, Any]) -> bool:
        if not (self.asset(asset_id) or (isinstance(name, str) and self.asset(name))):
            return False
        # A waiver naming an account (region) never covers an asset whose account is unknown.
        for want, have in ((self.account, info.get("account")), (self.region, info.get("region"))):
            if want is not None and not (isinstance(have, str) and want(have)):
                return False
        return True


def _clean(text: str | None) -> str | None:
    return None if text is None else " ".join(mask_text(text).split())


def waiver_record(w: Waiver) -> dict[str, Any]:
    """What a waived finding carries (``Finding.waiver``); masked."""
    return {"id": _clean(w.id), "reason": _clean(w.reason), "approver": _clean(w.approver),
            "expires": w.expires.isoformat(), "source": _clean(w.source)}


def apply_waivers(result: ScanResult, waivers: list[Waiver], rules: WaiverRules | None,
                  today: date | None = None, policy_ids: list[str] | None = None) -> None:
    """Mark the findings each valid waiver covers (the first valid match wins) and record the
    waivers that do not waive, cover nothing, or waive every policy or asset in
    ``result.waiver_problems``. ``policy_ids``: every policy of the library (not only those
    selected for this run), to tell a waiver of every policy; default: the evaluated ones."""
    today = today or date.today()
    rules = rules or WaiverRules()
    ids = list(policy_ids) if policy_ids is not None else [p.id for p in result.policies]
    problems = [problems_of(w, rules, today, ids, result.assets) for w in waivers]
    matchers = [_Matcher(w) for w in waivers]
    counts = [0] * len(waivers)
    # Findings an invalid waiver matches: reported as failing only if no valid waiver took them.
    claimed: dict[int, list[Finding]] = {i: [] for i, p in enumerate(problems) if p}
    by_policy: dict[str, list[int]] = {}  # policy id -> indices of waivers naming it
    for f in result.findings:
        f.waiver = None
        idx = by_policy.get(f.policy_id)
        if idx is None:
            pid = f.policy_id.upper()
            idx = by_policy[f.policy_id] = [i for i, m in enumerate(matchers) if m.policy(pid)]
        if not idx:
            continue
        info = result.assets.get(f.asset_id) or {}
        for i in idx:
            if matchers[i].covers(f, info):
                counts[i] += 1
                if problems[i]:
                    claimed[i].append(f)
                elif f.waiver is None:
                    f.waiver = waiver_record(waivers[i])

    evaluated = [p.id.upper() for p in result.policies]
    result.waiver_problems = []
    for i, w in enumerate(waivers):
        text, kind = "; ".join(problems[i]), INVALID
        if not text and counts[i] == 0:
            text, kind = STALE, STALE_KIND
            if not any(matchers[i].policy(pid) for pid in evaluated):
                text += " (no policy it names was evaluated in this run)"
        elif not text and (wide := catch_all(w, ids, result.assets)):
            # Valid and accepted with scope: all -- still listed, so a reader sees it.
            text, kind = f"catch-all (scope: all): waives {' and '.join(wide)}", CATCH_ALL
        if text:
            # An invalid waiver's "findings": those it leaves failing (not waived otherwise).
            n = sum(1 for f in claimed[i] if f.waiver is None) if problems[i] else counts[i]
            result.waiver_problems.append({**problem_record(w), "problem": text,
                                           "kind": kind, "findings": n})


def problem_record(w: Waiver) -> dict[str, Any]:
    """A waiver as ``ScanResult.waiver_problems`` lists it, before ``problem``/``findings``."""
    return {"id": _clean(w.id), "policy": _clean(w.policy), "asset": _clean(w.asset),
            "account": _clean(w.account), "region": _clean(w.region),
            "reason": _clean(w.reason), "approver": _clean(w.approver),
            "expires": w.expires.isoformat(), "scope": w.scope, "source": _clean(w.source)}


def is_stale(problem: dict[str, Any]) -> bool:
    """A waiver problem that is only informational: the waiver is valid but covers nothing."""
    return problem.get("kind") == STALE_KIND


def is_notice(problem: dict[str, Any]) -> bool:
    """A waiver problem that fails nothing: stale, or a catch-all accepted with scope: all
    (whose findings stay waived)."""
    return problem.get("kind") in (STALE_KIND, CATCH_ALL)


__all__ = ["Waiver", "WaiverRules", "apply_waivers", "catch_all", "derive_id", "is_notice",
           "is_stale",
           "parse_waiver_rules", "parse_waivers", "problems_of"]
