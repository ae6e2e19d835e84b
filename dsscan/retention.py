"""Retention (DS-RET-001) and orphan copies (DS-RET-002): Art. 38 (data is deleted when its
retention ends) and Art. 46 (the data of a system taken out of service is disposed of).

Python decides every date and every relation, so that Rego neither reads the clock nor joins
over the estate. Two facts land in ``ctx`` (shape: dsscan/schemas/policy-input-v1.json):

``ctx.retention`` — null when no retention is declared for the asset (none is invented), else
  ``{days, until, declared_by, check, enforced, violations[], unknown[], created, age_days}``:

  * declared by tags (``retention_days_tag_keys``: a whole number of days;
    ``retention_until_tag_keys``: an ISO date after which the data must be gone), or by a
    catalogue rule's ``retention_days`` / ``retention_until`` (classification sets the
    asset's ``retention``); several: the strictest. A copy (snapshot, backup, replica) that
    declares none takes the retention of the store it copies (``declared_by: source``).
  * ``check: store`` — what the infrastructure enforces for a store: an object store needs an
    enabled lifecycle expiration rule covering every object (``expiry.whole_bucket``; a
    rule filtered by prefix, tag or size covers part of the bucket only) within the days
    (or, for a date, expiring by that date) — in a versioned bucket (``attributes.versioning``
    Enabled or Suspended) with its noncurrent versions expired too, current days +
    ``noncurrent_days`` within them (``by: noncurrent_versions``; versioning unknown: not
    assessed unless current objects already outlive it); the store's built-in backups
    (``backup.native.retention_days``) and every AWS Backup plan rule covering it
    (``backup.plan_lifecycle``: ``DeleteAfterDays``, a rule without one keeps recovery points
    forever) must not keep copies longer; a store still there after its retention date
    holds data past its retention. Rows inside a database are deleted by its application,
    which no infrastructure input shows: only its copies are judged.
  * ``check: copy`` — a snapshot or backup older than the retention (``backup.created``), or
    still there after its retention date.
  * ``enforced``: true (everything judged is within the retention), false (``violations``),
    null (something needed could not be read: ``unknown`` says what; not assessed).

``ctx.orphan`` — null unless the asset is a copy (a snapshot or backup, or an asset with
  ``replica_of``), else ``{orphan, gone[], unknown[], reason}``: ``orphan`` true when none of
  the stores it copies exists any more — each absent from the inventory although the live
  sweep read its account and Region completely for the service that holds it (no scope gap
  there, nothing of that service left out, ``sources[].services`` naming it); false when one
  of them is present; null otherwise (a source in a scope that was not read completely, an
  IaC input — which never sees other stacks —, a copy that names no source, a source of a
  type dsscan does not read).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from dsscan.restore import parse_when
from dsscan.scope_gaps import field

Asset = dict[str, Any]

COPY_KINDS = frozenset({"snapshot", "backup"})
STORE_KINDS = frozenset({"object_store", "database", "table", "file_system", "cache",
                         "warehouse", "volume"})

# The resource types of a source ARN a live sweep reads, by the collector that reads them
# (scanners/aws SERVICES): (ARN service, resource prefix) -> collector. A source of another
# type (an EC2 instance a recovery point was made of) is never known to be gone.
_SOURCE_SERVICE = {("rds", "db:"): "rds", ("rds", "cluster:"): "rds",
                   ("ec2", "volume/"): "ebs", ("dynamodb", "table/"): "dynamodb",
                   ("elasticfilesystem", "file-system/"): "efs",
                   ("redshift", "cluster:"): "redshift"}
# A scope gap names the AWS service whose call failed (its IAM prefix). A gap of one of the
# data services dsscan reads, other than the source's, cannot hide the source (a CloudTrail
# Lake listing that failed hides no database); a gap of any other service, or of none
# named (an assumed role, an organization listing), may hide anything.
_GAP_SERVICE = {"rds": "rds", "ebs": "ec2", "dynamodb": "dynamodb",
                "efs": "elasticfilesystem", "redshift": "redshift"}
# Every service the collectors call (the IAM prefixes of examples/iam/*.json) but STS and
# Organizations, whose failures may hide a whole account; tests/test_retention_rules.py keeps
# the two lists equal, so that a new collector's gap (an Athena listing moto cannot serve)
# does not make every orphan in its scope "not assessed".
_DATA_SERVICES = frozenset({"s3", "ec2", "kms", "rds", "dynamodb", "redshift",
                            "elasticfilesystem", "elasticache", "backup", "cloudtrail", "logs",
                            "athena", "dms", "iam", "ram"})


# ---------------------------------------------------------------------------- declaration


def parse_days(value: Any) -> int | None:
    """A positive whole number of days (a tag's text or a number); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    # ASCII digits only: str.isdigit() holds for "²" (int() then raises, stopping the scan)
    # and for other scripts' digits, which no tag convention writes.
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        n = int(value.strip())
        return n if 0 < n < 1_000_000 else None
    return None


def parse_until(value: Any) -> date | None:
    """An ISO date (``2027-12-31``; a date-time counts by its UTC date)."""
    if not isinstance(value, str):
        return None
    t = parse_when(value.strip())
    return t.astimezone(UTC).date() if t is not None else None


class Declared:
    """The retention an asset declares itself: its tags and its catalogue entry."""

    def __init__(self, days_keys: list[str], until_keys: list[str]) -> None:
        self.days_keys = {k.lower() for k in days_keys}
        self.until_keys = {k.lower() for k in until_keys}

    def __call__(self, a: Asset) -> dict[str, Any] | None:
        days: list[int] = []
        until: list[date] = []
        unknown: list[str] = []
        by: set[str] = set()
        tags = a.get("tags")
        for k, v in (tags.items() if isinstance(tags, dict) else ()):
            lk = str(k).lower()
            if lk in self.days_keys:
                by.add("tag")
                d = parse_days(v)
                if d is None:
                    unknown.append(f"the retention tag {k} holds no whole number of days")
                else:
                    days.append(d)
            elif lk in self.until_keys:
                by.add("tag")
                u = parse_until(v)
                if u is None:
                    unknown.append(f"the retention tag {k} holds no date")
                else:
                    until.append(u)
        cat = a.get("retention")
        if isinstance(cat, dict):
            by.add(str(cat.get("source") or "catalogue"))
            if (d := parse_days(cat.get("days"))) is not None:
                days.append(d)
            if (u := parse_until(cat.get("until"))) is not None:
                until.append(u)
        if not by:
            return None
        return {"days": min(days) if days else None,
                "until": min(until).isoformat() if until else None,
                "declared_by": "catalogue" if by == {"catalogue"} else "tag",
                "unknown": unknown}


# ---------------------------------------------------------------------------- lifecycle facts


def _whole(rule: dict[str, Any]) -> bool | None:
    """Does an enabled lifecycle rule apply to every object? (GetBucketLifecycleConfiguration
    shape: ``Filter`` {Prefix | Tag | ObjectSizeGreaterThan | ObjectSizeLessThan | And}, or
    the legacy top-level ``Prefix``.) None when the shape is not understood."""
    if rule.get("Prefix") not in (None, ""):
        return False
    f = rule.get("Filter")
    if f is None:
        return True
    if not isinstance(f, dict):
        return None
    for k, v in f.items():
        if k == "Prefix" and v in (None, ""):
            continue
        if k in ("Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And"):
            return False
        return None  # a filter this reader does not know: it may narrow the rule
    return True


def _positive(v: Any) -> Any:
    """A rule's days as S3 takes them: 0 (what a provider plan shows for days it does not
    set) is no days at all; anything else is kept for the caller to check."""
    return None if v == 0 and not isinstance(v, bool) else v


def whole_bucket_expiry(rules: Any) -> dict[str, Any] | None:
    """``expiry.whole_bucket`` from lifecycle rules (API shape), from the enabled rules that
    cover every object: the shortest ``Expiration.Days`` and the earliest ``Expiration.Date``
    (current objects), and the shortest ``NoncurrentVersionExpiration.NoncurrentDays``
    (``noncurrent_days``: in a versioned bucket an expired object only becomes a noncurrent
    version, still holding its data, deleted that many days later). A rule that also sets
    ``NewerNoncurrentVersions`` (N > 0) keeps the N newest noncurrent versions of each object
    for ever, so it bounds nothing. None when a rule's reach or days cannot be read (not
    assessed, never "covered")."""
    days: list[int] = []
    dates: list[str] = []
    noncurrent: list[int] = []
    for r in rules or []:
        if not isinstance(r, dict):
            return None
        status = r.get("Status")
        if status not in ("Enabled", "Disabled"):
            return None
        if status != "Enabled":
            continue
        exp = r.get("Expiration")
        exp = exp if isinstance(exp, dict) else {}
        # What a provider plan shows for a rule setting no days (expired_object_delete_
        # marker only): S3 takes only a positive number, so 0 expires nothing.
        d, when = _positive(exp.get("Days")), exp.get("Date")
        nce = r.get("NoncurrentVersionExpiration")
        nce = nce if isinstance(nce, dict) else {}
        nc, newer = _positive(nce.get("NoncurrentDays")), _positive(
            nce.get("NewerNoncurrentVersions"))
        if newer is not None:
            if _int(newer) is None or newer < 0:
                return None
            nc = None  # the newest versions are kept however old: bounds nothing
        if d is None and when is None and nc is None:
            continue  # ExpiredObjectDeleteMarker only: deletes nothing that holds data
        whole = _whole(r)
        if whole is None:
            return None
        if not whole:
            continue
        for v, into in ((d, days), (nc, noncurrent)):
            if v is not None:
                if _int(v) is None or v < 0:
                    return None
                into.append(v)
        if when is not None:
            u = parse_until(when if isinstance(when, str) else getattr(when, "isoformat",
                                                                         lambda: None)())
            if u is None:
                return None
            dates.append(u.isoformat())
    return {"days": min(days) if days else None, "date": min(dates) if dates else None,
            "noncurrent_days": min(noncurrent) if noncurrent else None}


# ---------------------------------------------------------------------------- enforcement


def _sub(a: Asset, key: str) -> dict[str, Any]:
    v = a.get(key)
    return v if isinstance(v, dict) else {}


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def store_check(a: Asset, days: int | None, until: date | None, now: datetime
                ) -> tuple[list[dict[str, Any]], list[str]]:
    """(violations, unknowns) of a store's declared retention (module docstring)."""
    bad: list[dict[str, Any]] = []
    unknown: list[str] = []
    today = now.date()
    if until is not None and until < today:
        bad.append({"by": "retention_ended", "until": until.isoformat()})
    if a.get("kind") == "object_store":
        whole = _sub(a, "expiry").get("whole_bucket") if isinstance(a.get("expiry"), dict) \
            else None
        if not isinstance(whole, dict):
            unknown.append("which lifecycle rules expire every object of the bucket could not "
                           "be read")
        else:
            wd, wdate = _int(whole.get("days")), parse_until(whole.get("date"))
            # A bucket that is (or was: Suspended keeps its noncurrent versions) versioned
            # keeps an expired object as a noncurrent version, deleted only noncurrent_days
            # later by a rule covering every object, never without one: its data is gone
            # current days + noncurrent days after it was written (or after the date).
            versioning = _sub(a, "attributes").get("versioning")
            late: int | None = 0
            doubt = None
            if versioning in ("Enabled", "Suspended"):
                if "noncurrent_days" not in whole:
                    doubt = "how long the bucket keeps noncurrent versions was not read"
                late = _int(whole.get("noncurrent_days"))
            elif versioning != "Disabled":
                doubt = ("whether the bucket keeps noncurrent versions (its versioning) "
                         "could not be read")
            ok_days = days is None or (wd is not None and wd <= days) or (
                wdate is not None and wdate <= today + timedelta(days=days))
            ok_until = until is None or (wdate is not None and wdate <= until)
            if not (ok_days and ok_until):
                bad.append({"by": "lifecycle", "days": wd,
                            "date": wdate.isoformat() if wdate else None})
            elif doubt is not None:
                unknown.append(doubt)
            elif late is None or not (
                    (days is None or (wd is not None and wd + late <= days) or (
                        wdate is not None
                        and wdate + timedelta(days=late) <= today + timedelta(days=days)))
                    and (until is None or wdate + timedelta(days=late) <= until)):
                bad.append({"by": "noncurrent_versions", "days": wd,
                            "date": wdate.isoformat() if wdate else None,
                            "noncurrent_days": late})
    backup = _sub(a, "backup")
    native = backup.get("native")
    if isinstance(native, dict):
        nd = _int(native.get("retention_days"))
        if nd is not None and nd > 0 and (
                (days is not None and nd > days)
                or (until is not None and today + timedelta(days=nd) > until)):
            bad.append({"by": "built_in_backup", "days": nd})
    plans = backup.get("plans")
    lifecycle = backup.get("plan_lifecycle")
    if plans is None:
        unknown.append("which AWS Backup plans cover it was not read")
    elif plans or ("plan_lifecycle" in backup and lifecycle is None):
        # (none surely covers it, but one may: how long that one keeps copies is unknown)
        if not isinstance(lifecycle, list):
            unknown.append("how long its AWS Backup plans keep recovery points was not read")
        else:
            for r in lifecycle:
                if not isinstance(r, dict):
                    continue
                d = _int(r.get("delete_after_days"))
                if d is None or (days is not None and d > days) or (
                        until is not None and today + timedelta(days=d) > until):
                    bad.append({"by": "backup_plan", "days": d, "plan": r.get("plan"),
                                "rule": r.get("rule"), "copy": r.get("copy") is True})
    return bad, unknown


def copy_check(a: Asset, days: int | None, until: date | None, now: datetime
               ) -> tuple[list[dict[str, Any]], list[str], str | None, int | None]:
    """(violations, unknowns, created, age_days) of a snapshot or backup."""
    bad: list[dict[str, Any]] = []
    unknown: list[str] = []
    if until is not None and until < now.date():
        bad.append({"by": "retention_ended", "until": until.isoformat()})
    raw = _sub(a, "backup").get("created")
    created = parse_when(raw)
    age = (now - created).days if created is not None else None
    if days is not None:
        if created is None:
            unknown.append("its creation time was not read" if raw is None
                           else "its creation time could not be read")
        elif age is not None and age < 0:
            unknown.append("its creation time is later than the scan")
        elif created is not None and now - created > timedelta(days=days):
            # Older than the retention by any part of a day (age_days counts whole days:
            # 365 days and 23 hours is 365, yet past a 365-day retention).
            bad.append({"by": "age", "days": age,
                        "date": created.astimezone(UTC).date().isoformat()})
    return bad, unknown, raw if created is not None else None, age


def retention_of(a: Asset, mine: dict[str, Any] | None, inherited: dict[str, Any] | None,
                 now: datetime) -> dict[str, Any] | None:
    """``ctx.retention`` of one asset (module docstring)."""
    kind = a.get("kind")
    copy = kind in COPY_KINDS
    if not copy and kind not in STORE_KINDS:
        return None
    decl = mine
    declared_by = mine["declared_by"] if mine else None
    if decl is None and inherited is not None:
        decl, declared_by = inherited, "source"
    if decl is None:
        return None
    days, until = decl["days"], parse_until(decl["until"])
    unknown = list(decl.get("unknown") or [])
    out: dict[str, Any] = {"days": days, "until": decl["until"], "declared_by": declared_by,
                           "check": "copy" if copy else "store", "enforced": None,
                           "violations": [], "unknown": unknown, "created": None,
                           "age_days": None}
    if copy:
        bad, more, out["created"], out["age_days"] = copy_check(a, days, until, now)
    else:
        bad, more = store_check(a, days, until, now)
    unknown += more
    out["violations"] = bad
    if bad:
        out["enforced"] = False
    elif not unknown and (days is not None or until is not None):
        out["enforced"] = True
    elif days is None and until is None and not unknown:
        unknown.append("no retention could be read from its declaration")
    return out


# ---------------------------------------------------------------------------- orphans


def source_service(ref: str) -> tuple[str, str, str] | None:
    """(account, region, collector) of a source ARN of a type the live sweep reads."""
    parts = ref.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[3] or not parts[4]:
        return None
    for (svc, prefix), collector in _SOURCE_SERVICE.items():
        if parts[2] == svc and parts[5].startswith(prefix):
            return parts[4], parts[3], collector
    return None


class ReadScopes:
    """Where the run read everything: the live AWS sources with the services they read, less
    any scope a gap may hold and any service a source left resources of unread."""

    def __init__(self, sources: Any, gaps: Any) -> None:
        self.read: dict[tuple[str, str], frozenset[str]] = {}
        for s in sources or ():
            if not isinstance(s, dict) or s.get("type") != "aws":
                continue
            acct, region, svcs = s.get("account"), s.get("region"), s.get("services")
            if not (isinstance(acct, str) and isinstance(region, str)
                    and isinstance(svcs, list)) or s.get("skipped"):
                continue  # services not recorded (an older inventory) or something left out
            self.read[(acct, region)] = frozenset(x for x in svcs if isinstance(x, str))
        self.gaps = [(field(g, "account"), field(g, "region"), field(g, "service"))
                     for g in gaps or () if isinstance(g, dict)]

    def complete(self, account: str, region: str, service: str) -> bool:
        if service not in self.read.get((account, region), frozenset()):
            return False
        mine = _GAP_SERVICE[service]
        return not any(ga in (None, account) and gr in (None, region)
                       and (gs not in _DATA_SERVICES or gs == mine)
                       for ga, gr, gs in self.gaps)


def orphan_of(a: Asset, by_id: dict[str, Asset], scopes: ReadScopes) -> dict[str, Any] | None:
    """``ctx.orphan`` of one asset (module docstring)."""
    backup = _sub(a, "backup")
    refs = [r for r in (backup.get("backup_of") or []) + (a.get("replica_of") or [])
            if isinstance(r, str) and r]
    if a.get("kind") not in COPY_KINDS and not refs:
        return None
    out: dict[str, Any] = {"orphan": None, "gone": [], "unknown": [], "reason": None}
    if not refs:
        out["reason"] = ("which store it copies is not known: the input names none (an EBS "
                         "snapshot copied from another Region names no volume; a plan's "
                         "snapshot of a database outside the plan)")
        return out
    present = False
    for r in dict.fromkeys(refs):
        if r in by_id:
            present = True
            continue
        where = source_service(r)
        if where is not None and scopes.complete(*where):
            out["gone"].append(r)
        else:
            out["unknown"].append(r)
    if present:
        out["orphan"] = False
    elif not out["unknown"]:
        out["orphan"] = True
    else:
        out["reason"] = ("a store it copies is not in the inventory, and its account and "
                         "Region were not read completely for that service in this run (or "
                         "the input is a Terraform plan or Pulumi program, which does not see "
                         "other stacks): whether it still exists is unknown")
    return out


# ---------------------------------------------------------------------------- attach


def attach(assets: list[Asset], by_id: dict[str, Asset], config: Any, sources: Any,
           gaps: Any, now: datetime) -> None:
    """Set ``ctx.retention`` and ``ctx.orphan`` on every asset (after ``ctx`` is built)."""
    declared = Declared(config.retention_days_tag_keys, config.retention_until_tag_keys)
    scopes = ReadScopes(sources, gaps)
    own = {a["id"]: declared(a) for a in assets}
    for a in assets:
        ctx = a.get("ctx")
        if not isinstance(ctx, dict):
            continue
        inherited = None
        if own[a["id"]] is None:
            refs = (_sub(a, "backup").get("backup_of") or []) + (a.get("replica_of") or [])
            found = [own[r] for r in refs if isinstance(r, str) and own.get(r)]
            inherited = _strictest(found)
        ctx["retention"] = retention_of(a, own[a["id"]], inherited, now)
        ctx["orphan"] = orphan_of(a, by_id, scopes)


def _strictest(found: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not found:
        return None
    days = [d["days"] for d in found if d["days"] is not None]
    until = [d["until"] for d in found if d["until"] is not None]
    return {"days": min(days) if days else None, "until": min(until) if until else None,
            "declared_by": "source", "unknown": [u for d in found for u in d["unknown"]]}
