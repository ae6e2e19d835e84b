"""DS-RET-001 / DS-RET-002 facts Python decides (dsscan/retention.py), pinned by tables of
cases: which lifecycle rules cover a whole bucket, whether a store's declared retention is
enforced (lifecycle, built-in backups, AWS Backup plan lifecycle, a date that has passed),
whether a copy is older than its retention, and whether a copy's source is gone — only from a
scope the live sweep read completely. ``now`` is passed in (deterministic); the end-to-end
cases use dates far in the past or future, as DS-BAK-004's tests do."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any

import pytest

from dsscan.catalogue import catalogue_from_mapping
from dsscan.config import Config, config_from_mapping
from dsscan.errors import InputError
from dsscan.relations import attach_context, domain_membership
from dsscan.retention import Declared, ReadScopes, orphan_of, retention_of, whole_bucket_expiry

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ACCT, REGION = "111111111111", "cn-north-1"


def rule(status: str = "Enabled", days: Any = 30, date: Any = None, **extra: Any) -> dict:
    exp = {k: v for k, v in (("Days", days), ("Date", date)) if v is not None}
    return {"ID": "r", "Status": status, "Expiration": exp, **extra}


# ---------------------------------------------------------------------------- lifecycle


@pytest.mark.parametrize(("rules", "expected"), [
    ([], {"days": None, "date": None}),                                    # no rule
    ([rule()], {"days": 30, "date": None}),                                # no filter
    ([rule(Filter={})], {"days": 30, "date": None}),                       # empty filter
    ([rule(Filter={"Prefix": ""})], {"days": 30, "date": None}),           # empty prefix
    ([rule(Prefix="")], {"days": 30, "date": None}),                       # legacy, empty
    ([rule(Filter={"Prefix": "logs/"})], {"days": None, "date": None}),    # part only
    ([rule(Prefix="tmp/")], {"days": None, "date": None}),                 # legacy prefix
    ([rule(Filter={"Tag": {"Key": "k", "Value": "v"}})], {"days": None, "date": None}),
    ([rule(Filter={"ObjectSizeGreaterThan": 10})], {"days": None, "date": None}),
    ([rule(Filter={"And": {"Prefix": "a/"}})], {"days": None, "date": None}),
    ([rule("Disabled")], {"days": None, "date": None}),                    # disabled
    ([rule(days=400), rule(days=90)], {"days": 90, "date": None}),         # shortest
    ([rule(days=None, date="2027-01-01T00:00:00Z")], {"days": None, "date": "2027-01-01"}),
    ([{"ID": "m", "Status": "Enabled", "Expiration": {"ExpiredObjectDeleteMarker": True}}],
     {"days": None, "date": None}),                                        # markers only
    ([rule(Filter={"Unknown": 1})], None),                                 # unknown filter
    ([rule(status="Weird")], None),                                        # unknown status
    ([rule(days="x")], None),                                              # bad days
    ([{"ID": "m", "Status": "Enabled",                                     # days 0: unset
       "Expiration": {"Days": 0, "ExpiredObjectDeleteMarker": True}}],
     {"days": None, "date": None}),
    ([rule(days=0, Filter={})], {"days": None, "date": None}),
])
def test_whole_bucket_expiry(rules: list[dict], expected: dict | None) -> None:
    assert whole_bucket_expiry(rules) == (
        expected if expected is None else {"noncurrent_days": None, **expected})


def nve(days: Any = 7, **extra: Any) -> dict[str, Any]:
    return {"NoncurrentVersionExpiration": {"NoncurrentDays": days, **extra}}


# In a versioned bucket an expired object only becomes a noncurrent version: the shortest
# NoncurrentDays of the enabled rules covering every object (None: none deletes them).
@pytest.mark.parametrize(("rules", "noncurrent"), [
    ([rule()], None),                                                      # absent
    ([rule(**nve())], 7),                                                  # covering
    ([{"ID": "n", "Status": "Enabled", **nve()}], 7),                      # no Expiration
    ([rule(**nve(400)), rule(days=None, Filter={}, **nve(90))], 90),       # shortest
    ([rule(Filter={"Prefix": "a/"}, **nve())], None),                      # partial
    ([rule(Filter={"Tag": {"Key": "k", "Value": "v"}}, **nve())], None),   # partial
    ([rule("Disabled", **nve())], None),                                   # disabled
    ([rule(**nve(0))], None),                                              # 0: unset
    ([rule(**nve(NewerNoncurrentVersions=3))], None),                      # 3 kept forever
    ([rule(**nve(NewerNoncurrentVersions=0))], 7),                         # 0: unset
    ([rule(**nve("7"))], "unknown"),                                       # bad days
    ([rule(**nve(-1))], "unknown"),
    ([rule(**nve(NewerNoncurrentVersions="3"))], "unknown"),
    ([rule(Filter={"Unknown": 1}, days=None, **nve())], "unknown"),        # unknown filter
])
def test_whole_bucket_noncurrent_days(rules: list[dict], noncurrent: Any) -> None:
    got = whole_bucket_expiry(rules)
    assert (got["noncurrent_days"] if got is not None else "unknown") == noncurrent


# ---------------------------------------------------------------------------- declaration

DECL = Declared(["dsscan:retention-days", "retention-days"],
                ["dsscan:retention-until", "retention-until"])


@pytest.mark.parametrize(("tags", "catalogue", "expected"), [
    ({}, None, None),                                                      # none declared
    ({"retention-days": "365"}, None, (365, None, "tag", [])),
    ({"Retention-Days": " 90 "}, None, (90, None, "tag", [])),             # any case
    ({"retention-days": "365", "dsscan:retention-days": "30"}, None, (30, None, "tag", [])),
    ({"retention-until": "2030-12-31"}, None, (None, "2030-12-31", "tag", [])),
    ({"retention-days": "forever"}, None,
     (None, None, "tag", ["the retention tag retention-days holds no whole number of days"])),
    ({"retention-days": "0"}, None,
     (None, None, "tag", ["the retention tag retention-days holds no whole number of days"])),
    *[({"retention-days": odd}, None,
       (None, None, "tag", ["the retention tag retention-days holds no whole number of days"]))
      for odd in ("365 days", "-1", "1e3", "30.0", "+30", "²", "３０", "")],
    ({"retention-until": "soon"}, None,
     (None, None, "tag", ["the retention tag retention-until holds no date"])),
    ({}, {"days": 180, "until": None, "source": "catalogue"}, (180, None, "catalogue", [])),
    ({"retention-days": "365"}, {"days": 180, "until": None, "source": "catalogue"},
     (180, None, "tag", [])),                                              # the strictest
])
def test_declared_retention(tags: dict, catalogue: dict | None, expected: tuple | None) -> None:
    got = DECL({"tags": tags, "retention": catalogue})
    assert (got if got is None else
            (got["days"], got["until"], got["declared_by"], got["unknown"])) == expected


# ---------------------------------------------------------------------------- enforcement


def store(kind: str = "object_store", whole: Any = "absent", plans: Any = (),
          lifecycle: Any = "absent", native: Any = None, versioning: Any = "Disabled"
          ) -> dict[str, Any]:
    a: dict[str, Any] = {"id": "s", "kind": kind, "backup": {"plans": plans if plans is None
                                                             else list(plans)}}
    if versioning != "absent":
        a["attributes"] = {"versioning": versioning}
    if whole != "absent":
        a["expiry"] = {"expires": None, "days": None, "whole_bucket": whole}
    if lifecycle != "absent":
        a["backup"]["plan_lifecycle"] = lifecycle
    if native is not None:
        a["backup"]["native"] = native
    return a


def decl(days: int | None = 365, until: str | None = None) -> dict[str, Any]:
    return {"days": days, "until": until, "declared_by": "tag", "unknown": []}


def plan_rule(d: int | None, copy: bool = False) -> dict[str, Any]:
    return {"plan": "p", "rule": "r", "delete_after_days": d, "copy": copy}


W = {"days": 30, "date": None}
NONE = {"days": None, "date": None}


@pytest.mark.parametrize(("asset", "declared", "enforced", "by"), [
    # object stores: the lifecycle
    (store(whole=W), decl(), True, []),                                    # covers
    (store(whole={"days": 365, "date": None}), decl(), True, []),          # exactly
    (store(whole={"days": 400, "date": None}), decl(), False, ["lifecycle"]),  # longer
    (store(whole=NONE), decl(), False, ["lifecycle"]),                     # none / filtered
    (store(whole=None), decl(), None, []),                                 # unknown
    (store(), decl(), None, []),                                           # not read
    (store(whole={"days": None, "date": "2026-07-01"}), decl(), True, []),  # date within
    (store(whole={"days": None, "date": "2030-01-01"}), decl(30), False, ["lifecycle"]),
    (store(whole={"days": None, "date": "2029-01-01"}), decl(None, "2030-01-01"), True, []),
    (store(whole=W), decl(None, "2030-01-01"), False, ["lifecycle"]),      # days: no date
    (store(whole=W), decl(None, "2020-01-01"), False, ["retention_ended", "lifecycle"]),
    # backup plans (any store)
    (store("database", plans=["p"], lifecycle=[plan_rule(30)]), decl(), True, []),
    (store("database", plans=["p"], lifecycle=[plan_rule(3650)]), decl(), False,
     ["backup_plan"]),
    (store("database", plans=["p"], lifecycle=[plan_rule(None)]), decl(), False,
     ["backup_plan"]),                                                     # kept forever
    (store("database", plans=["p"], lifecycle=[plan_rule(30), plan_rule(999, True)]), decl(),
     False, ["backup_plan"]),                                              # a copy action
    (store("database", plans=["p"], lifecycle=None), decl(), None, []),    # not read
    (store("database", plans=["p"]), decl(), None, []),                    # absent
    (store("database", plans=None), decl(), None, []),                     # plans unknown
    (store("database", plans=[]), decl(), True, []),                       # no plan
    (store("database", plans=[], lifecycle=None), decl(), None, []),       # one may cover
    (store("database", plans=["p"], lifecycle=[plan_rule(200)]), decl(None, "2026-12-31"),
     True, []),                                                            # ends in time
    (store("database", plans=["p"], lifecycle=[plan_rule(400)]), decl(None, "2026-12-31"),
     False, ["backup_plan"]),                                              # outlives the date
    (store("database", plans=[]), decl(None, "2026-01-01"), False, ["retention_ended"]),
    # built-in backups
    (store("database", plans=[], native={"enabled": True, "retention_days": 35}), decl(30),
     False, ["built_in_backup"]),
    (store("database", plans=[], native={"enabled": True, "retention_days": 7}), decl(30),
     True, []),
])
def test_store_enforcement(asset: dict, declared: dict, enforced: bool | None,
                           by: list[str]) -> None:
    got = retention_of(asset, declared, None, NOW)
    assert got is not None and got["check"] == "store"
    assert got["enforced"] is enforced
    assert [v["by"] for v in got["violations"]] == by
    assert bool(got["unknown"]) is (enforced is None)


def vstore(versioning: Any, days: Any = 30, noncurrent: Any = None, date: Any = None
           ) -> dict[str, Any]:
    whole: dict[str, Any] = {"days": days, "date": date}
    if noncurrent != "absent":
        whole["noncurrent_days"] = noncurrent
    return store(whole=whole, versioning=versioning)


# A versioned bucket (Enabled, or Suspended: the versions made while enabled stay) keeps an
# expired object as a noncurrent version: its data is gone only current days + noncurrent
# days after it was written. Versioning off: the current days alone; unknown: not assessed
# (unless the current objects already outlive the retention).
@pytest.mark.parametrize(("asset", "declared", "enforced", "by"), [
    # versioning off: noncurrent rules are irrelevant
    (vstore("Disabled"), decl(), True, []),
    (vstore("Disabled", noncurrent=500), decl(), True, []),
    (vstore("Disabled", noncurrent="absent"), decl(), True, []),
    (vstore("Disabled", days=400), decl(), False, ["lifecycle"]),
    *[row for status in ("Enabled", "Suspended") for row in [
        # no rule deletes noncurrent versions (absent, partial, disabled or keeping N
        # newest: whole_bucket_expiry gives null): kept forever
        (vstore(status), decl(), False, ["noncurrent_versions"]),
        (vstore(status, noncurrent=30), decl(), True, []),                 # 30 + 30
        (vstore(status, days=300, noncurrent=65), decl(), True, []),       # 365 exactly
        (vstore(status, days=300, noncurrent=66), decl(), False,
         ["noncurrent_versions"]),                                         # too long
        (vstore(status, days=None, noncurrent=1), decl(), False, ["lifecycle"]),  # current
        (vstore(status, days=400, noncurrent=1), decl(), False, ["lifecycle"]),
        (vstore(status, noncurrent="absent"), decl(), None, []),           # not read
        (vstore(status, days=None, date="2026-06-20", noncurrent=10),
         decl(None, "2026-07-01"), True, []),                              # date + 10
        (vstore(status, days=None, date="2026-06-20", noncurrent=30),
         decl(None, "2026-07-01"), False, ["noncurrent_versions"]),        # date + 30
        (vstore(status, days=None, date="2026-06-20", noncurrent=None),
         decl(None, "2026-07-01"), False, ["noncurrent_versions"]),
    ]],
    # versioning unknown (not read, unknown in a plan, a value not understood)
    *[(vstore(v, noncurrent=n), decl(), None, [])
      for v in ("absent", "unknown", None, "enabled") for n in (None, 30, "absent")],
    (vstore("unknown", days=400), decl(), False, ["lifecycle"]),           # current too long
    (vstore("absent", days=None), decl(), False, ["lifecycle"]),
])
def test_versioned_bucket_enforcement(asset: dict, declared: dict, enforced: bool | None,
                                      by: list[str]) -> None:
    got = retention_of(asset, declared, None, NOW)
    assert got is not None and got["check"] == "store"
    assert got["enforced"] is enforced
    assert [v["by"] for v in got["violations"]] == by
    assert bool(got["unknown"]) is (enforced is None)


@pytest.mark.parametrize(("created", "declared", "enforced", "age"), [
    ("2026-05-01T00:00:00Z", decl(365), True, 31),                         # younger
    ("2024-01-01T00:00:00Z", decl(365), False, 882),                       # older
    ("2025-06-01T00:00:00+00:00", decl(365), True, 365),                   # exactly
    ("2025-05-31T01:00:00Z", decl(365), False, 365),                       # 365 d 23 h
    ("2025-06-01T08:00:00+08:00", decl(365), True, 365),                   # same instant
    ("2025-06-01T07:59:59+08:00", decl(365), False, 365),                  # a second over
    (None, decl(365), None, None),                                         # not read
    ("yesterday", decl(365), None, None),                                  # unreadable
    ("2027-01-01T00:00:00Z", decl(365), None, -214),                       # after the scan
    (None, decl(None, "2030-01-01"), True, None),                          # date future
    (None, decl(None, "2026-01-01"), False, None),                         # date past
])
def test_copy_age(created: str | None, declared: dict, enforced: bool | None,
                  age: int | None) -> None:
    a = {"id": "c", "kind": "snapshot", "backup": {"created": created}}
    got = retention_of(a, declared, None, NOW)
    assert got is not None and got["check"] == "copy"
    assert (got["enforced"], got["age_days"]) == (enforced, age)


def test_no_retention_declared_is_not_in_scope() -> None:
    assert retention_of(store(whole=NONE), None, None, NOW) is None
    assert retention_of({"id": "k", "kind": "key"}, decl(), None, NOW) is None


# ---------------------------------------------------------------------------- orphans

SRC = f"arn:aws-cn:rds:{REGION}:{ACCT}:db:core-ledger"
VOL = f"arn:aws-cn:ec2:{REGION}:{ACCT}:volume/vol-0abc"
ELSEWHERE = f"arn:aws-cn:rds:cn-northwest-1:{ACCT}:db:core-ledger"
INSTANCE = f"arn:aws-cn:ec2:{REGION}:{ACCT}:instance/i-0abc"
ALL = ["s3", "rds", "ebs", "dynamodb", "backup"]


def aws_source(services: list[str] | None = ALL, **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "aws", "account": ACCT, "region": REGION, **extra}
    if services is not None:
        s["services"] = services
    return s


def gap(account: str | None = ACCT, region: str | None = REGION,
        service: str | None = "rds") -> dict[str, Any]:
    return {"scope": "x", "reason": "y", "account": account, "region": region,
            "service": service, "operation": "DescribeDBInstances"}


@pytest.mark.parametrize(("refs", "present", "sources", "gaps", "expected"), [
    ([SRC], True, [aws_source()], [], False),                              # source present
    ([SRC], False, [aws_source()], [], True),                              # gone, read fully
    ([VOL], False, [aws_source()], [], True),                              # EBS volume gone
    ([SRC], False, [aws_source()], [gap()], None),                         # a gap there
    ([SRC], False, [aws_source()], [gap(None, None)], None),               # a gap anywhere
    ([SRC], False, [aws_source()], [gap("222222222222", None)], True),     # elsewhere only
    ([SRC], False, [aws_source()], [gap(service="cloudtrail")], True),     # another service
    ([VOL], False, [aws_source()], [gap(service="rds")], True),            # another service
    ([VOL], False, [aws_source()], [gap(service="ec2")], None),            # EBS's own (EC2)
    ([SRC], False, [aws_source()], [gap(service=None)], None),             # unnamed service
    ([SRC], False, [aws_source()], [gap(service="sts")], None),            # not a data service
    ([SRC], False, [aws_source(["s3", "backup"])], [], None),              # rds not read
    ([SRC], False, [aws_source(None)], [], None),                          # services unsaid
    ([SRC], False, [aws_source(skipped={"AWS::S3::Bucket": 1})], [], None),  # left out
    ([ELSEWHERE], False, [aws_source()], [], None),                        # region not read
    ([INSTANCE], False, [aws_source()], [], None),                         # type not read
    ([SRC], False, [{"type": "terraform", "account": None, "region": None}], [], None),  # IaC
    ([], False, [aws_source()], [], None),                                 # names no source
])
def test_orphan(refs: list[str], present: bool, sources: list, gaps: list,
                expected: bool | None) -> None:
    copy = {"id": "snap", "kind": "snapshot", "backup": {"backup_of": refs}}
    by_id = {"snap": copy, **({r: {"id": r} for r in refs} if present else {})}
    got = orphan_of(copy, by_id, ReadScopes(sources, gaps))
    assert got is not None and got["orphan"] is expected
    assert (got["reason"] is None) is (expected is not None)
    assert got["gone"] == (refs if expected else [])


def test_a_replica_is_a_copy_and_a_plain_store_is_not() -> None:
    scopes = ReadScopes([aws_source()], [])
    replica = {"id": "r", "kind": "database", "replica_of": [SRC]}
    assert orphan_of(replica, {"r": replica}, scopes)["orphan"] is True
    assert orphan_of({"id": "db", "kind": "database"}, {}, scopes) is None


# ---------------------------------------------------------------------------- end to end


def test_ctx_through_relations_with_inherited_retention() -> None:
    """A snapshot declaring nothing takes its database's retention; a date far in the past
    is older than any retention whatever day the test runs."""
    db = {"id": SRC, "kind": "database", "name": "core-ledger", "account": ACCT,
          "region": REGION, "tags": {"retention-days": "365"},
          "backup": {"plans": [], "native": {"enabled": True, "retention_days": 7}},
          "level": {"value": "core"}}
    snap = {"id": "snap", "kind": "snapshot", "name": "snap", "account": ACCT,
            "region": REGION, "backup": {"backup_of": [SRC], "created": "2001-01-01T00:00:00Z"},
            "level": {"value": "core"}}
    assets = [db, snap]
    attach_context(assets, Config(), domain_membership(assets), sources=[aws_source()])
    assert db["ctx"]["retention"]["enforced"] is True
    assert db["ctx"]["orphan"] is None
    r = snap["ctx"]["retention"]
    assert (r["declared_by"], r["enforced"], r["violations"][0]["by"]) == ("source", False, "age")
    assert snap["ctx"]["orphan"]["orphan"] is False


def test_settings_and_catalogue() -> None:
    cfg = config_from_mapping({"retention_days_tag_keys": ["keep-days"],
                               "retention_until_tag_keys": ["purge-after"]})
    assert cfg.retention_days_tag_keys == ["keep-days"]
    with pytest.raises(InputError, match="retention_days_tag_keys"):
        config_from_mapping({"retention_days_tag_keys": [""]})
    rule = {"id": "ledger", "match": {"name": "ledger"}, "retention_days": 180,
            "retention_until": dt.date(2030, 12, 31)}  # YAML reads an unquoted date as a date
    cat = catalogue_from_mapping({"version": 1, "rules": [rule]})
    assert (cat.rules[0].retention_days, cat.rules[0].retention_until) == (180, "2030-12-31")
    for bad in ({"retention_days": 0}, {"retention_days": "ten"}, {"retention_until": "later"}):
        with pytest.raises(InputError, match="retention"):
            catalogue_from_mapping({"version": 1, "rules": [
                {"id": "x", "match": {"name": "x"}, **bad}]})


def test_every_service_the_collectors_call_is_known_to_the_orphan_rule() -> None:
    """A gap of a service dsscan reads hides no store of another service; STS and
    Organizations failures may hide a whole account. The IAM read policies list every
    service called, so a new collector cannot be forgotten here."""
    import json
    from importlib import resources

    from dsscan.retention import _DATA_SERVICES

    called: set[str] = set()
    for name in ("dsscan-readonly.json", "dsscan-sampling.json"):
        doc = json.loads(resources.files("dsscan.examples.iam").joinpath(name).read_text("utf-8"))
        for st in doc["Statement"]:
            actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
            called |= {a.split(":", 1)[0] for a in actions}
    assert called - {"sts", "organizations"} == set(_DATA_SERVICES)
