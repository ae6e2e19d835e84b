"""Which sink logs which store (dsscan/log_sinks.py) and what DS-LOG-001/002 make of it, on
tables of cases through the pipeline (classification, relations, both engines' policies)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dsscan.config import Config, config_from_mapping
from dsscan.errors import InputError
from dsscan.inventory import parse_inventory
from dsscan.log_sinks import data_events
from dsscan.pipeline import ScanOptions, prepare, run_scan
from dsscan.policy_library import load_library

A1, A2 = "111111111111", "222222222222"
R1, R2 = "cn-north-1", "cn-northwest-1"
BUCKET = "arn:aws-cn:s3:::loan-documents"
TABLE = f"arn:aws-cn:dynamodb:{R1}:{A1}:table/payments"
DB = f"arn:aws-cn:rds:{R1}:{A1}:db:ledger"


def bucket(name: str = "loan-documents", level: str = "core", access_log: Any = None,
           expiry: Any = None, lock: Any = None, **tags: str) -> dict[str, Any]:
    return {"id": f"arn:aws-cn:s3:::{name}", "kind": "object_store", "name": name,
            "account": A1, "region": R1, "tags": {"dsscan:level": level, **tags},
            "logging": {"access_log": access_log or {"enabled": False}},
            "expiry": expiry, "access": {"lock": lock} if lock else None}


def table(level: str = "core") -> dict[str, Any]:
    return {"id": TABLE, "kind": "table", "name": "payments", "account": A1, "region": R1,
            "tags": {"dsscan:level": level}}


def group(name: str, days: int | None, account: str = A1, region: str = R1,
          expires: bool | None = True) -> dict[str, Any]:
    return {"id": f"arn:aws-cn:logs:{region}:{account}:log-group:{name}", "kind": "log_sink",
            "name": name, "account": account, "region": region,
            "log": {"service": "cloudwatch_logs"},
            "expiry": {"expires": expires, "days": days}}


def trail(selectors: Any, advanced: Any = None, bucket_name: str | None = "trail-logs",
          log_group: str | None = None, logging: bool | None = True,
          multi_region: bool | None = False, region: str = R1,
          account: str = A1) -> dict[str, Any]:
    return {"id": f"arn:aws-cn:cloudtrail:{region}:{account}:trail/audit", "kind": "log_sink",
            "name": "audit", "account": account, "region": region,
            "log": {"service": "cloudtrail", "logging": logging, "multi_region": multi_region,
                    "organization": False,
                    "data_events": None if selectors is None else data_events(selectors,
                                                                                advanced),
                    "bucket": bucket_name, "log_group": log_group}}


def s3_sel(*values: str, rw: str = "All") -> list[dict[str, Any]]:
    return [{"ReadWriteType": rw, "DataResources": [{"Type": "AWS::S3::Object",
                                                     "Values": list(values)}]}]


def adv(*fields: tuple[str, str, list[str]]) -> list[dict[str, Any]]:
    return [{"Name": "data", "FieldSelectors": [{"Field": f, op: v} for f, op, v in fields]}]


DATA = ("eventCategory", "Equals", ["Data"])
S3T = ("resources.type", "Equals", ["AWS::S3::Object"])
DDBT = ("resources.type", "Equals", ["AWS::DynamoDB::Table"])


def prepared(*assets: dict[str, Any], config: Config | None = None,
             gaps: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    inv = parse_inventory({"format": "dsscan-inventory/1", "gaps": gaps or [],
                           "assets": [copy.deepcopy(a) for a in assets]}, "estate.json")
    return {a["id"]: a for a in prepare(inv, ScanOptions(config=config or Config()))}


def logs(by: dict[str, dict[str, Any]], aid: str) -> list[tuple[str, str]]:
    return sorted((e["kind"], e["sink"]) for e in by[aid]["ctx"]["operation_logs"])


LONG = {"expires": False, "days": None}
TRAIL_BUCKET = "arn:aws-cn:s3:::trail-logs"

# (name, selectors, advanced, does the trail log loan-documents?)
SELECTOR_CASES = [
    ("classic, the bucket", s3_sel("arn:aws-cn:s3:::loan-documents/"), None, True),
    ("classic, every bucket", s3_sel("arn:aws-cn:s3"), None, True),
    ("classic, another bucket", s3_sel("arn:aws-cn:s3:::other/"), None, False),
    ("classic, a prefix only", s3_sel("arn:aws-cn:s3:::loan-documents/2024/"), None, False),
    ("classic, write-only", s3_sel("arn:aws-cn:s3", rw="WriteOnly"), None, False),
    ("classic, no partition (IaC)", s3_sel("arn:aws:s3:::loan-documents/"), None, True),
    ("advanced, every S3 object", [], adv(DATA, S3T), True),
    ("advanced, the bucket", [],
     adv(DATA, S3T, ("resources.ARN", "StartsWith", ["arn:aws-cn:s3:::loan-documents/"])), True),
    ("advanced, read-only", [], adv(DATA, S3T, ("readOnly", "Equals", ["true"])), False),
    ("advanced, bucket excluded", [],
     adv(DATA, S3T, ("resources.ARN", "NotStartsWith", ["arn:aws-cn:s3:::loan-documents/"])),
     False),
    ("advanced, some event names", [],
     adv(DATA, S3T, ("eventName", "Equals", ["PutObject"])), False),
    ("advanced, management only", [], adv(("eventCategory", "Equals", ["Management"])), False),
    ("advanced, tables only", [], adv(DATA, DDBT), False),
    # Equals names one object ARN exactly: never every object of a bucket
    ("advanced, Equals the bucket's ARN", [],
     adv(DATA, S3T, ("resources.ARN", "Equals", ["arn:aws-cn:s3:::loan-documents"])), False),
    ("advanced, Equals the bucket's prefix", [],
     adv(DATA, S3T, ("resources.ARN", "Equals", ["arn:aws-cn:s3:::loan-documents/"])), False),
    # StartsWith and classic S3 values are prefixes, as CloudTrail reads them
    ("advanced, StartsWith a shorter name", [],
     adv(DATA, S3T, ("resources.ARN", "StartsWith", ["arn:aws-cn:s3:::loan"])), True),
    ("classic, no trailing slash", s3_sel("arn:aws-cn:s3:::loan-documents"), None, True),
]


@pytest.mark.parametrize("name,selectors,advanced,logged", SELECTOR_CASES,
                         ids=[c[0] for c in SELECTOR_CASES])
def test_which_trail_selectors_log_a_bucket(name: str, selectors: Any, advanced: Any,
                                            logged: bool) -> None:
    by = prepared(bucket(), bucket("trail-logs", "general", expiry=LONG),
                  trail(selectors, advanced))
    expect = [("cloudtrail_data_events", TRAIL_BUCKET)] if logged else []
    assert logs(by, BUCKET) == expect
    assert by[BUCKET]["ctx"]["operation_logs_unknown"] == []


TABLE_CASES = [
    ("all tables", [{"ReadWriteType": "All", "DataResources": [
        {"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws-cn:dynamodb"]}]}], None, True),
    ("this table", [{"ReadWriteType": "All", "DataResources": [
        {"Type": "AWS::DynamoDB::Table", "Values": [TABLE]}]}], None, True),
    ("another table", [{"ReadWriteType": "All", "DataResources": [
        {"Type": "AWS::DynamoDB::Table", "Values": [TABLE + "x"]}]}], None, False),
    ("advanced, this table", [], adv(DATA, DDBT, ("resources.ARN", "Equals", [TABLE])), True),
    # a table ARN names one table: not every table whose name begins with it
    ("a table whose name this one's begins with", [{"ReadWriteType": "All", "DataResources": [
        {"Type": "AWS::DynamoDB::Table", "Values": [TABLE[:-3]]}]}], None, False),
    ("advanced, Equals a shorter table", [],
     adv(DATA, DDBT, ("resources.ARN", "Equals", [TABLE[:-3]])), False),
    ("advanced, StartsWith a shorter table", [],
     adv(DATA, DDBT, ("resources.ARN", "StartsWith", [TABLE[:-3]])), True),
    ("advanced, StartsWith another Region's tables", [],
     adv(DATA, DDBT, ("resources.ARN", "StartsWith", ["arn:aws-cn:dynamodb:cn-northwest-1"])),
     False),
    ("advanced, StartsWith this Region's tables", [],
     adv(DATA, DDBT, ("resources.ARN", "StartsWith", [f"arn:aws-cn:dynamodb:{R1}"])), True),
    # both operators on the ARN: both must hold
    ("advanced, StartsWith and Equals, both hold", [],
     adv(DATA, DDBT, ("resources.ARN", "StartsWith", ["arn:aws-cn:dynamodb:"]),
         ("resources.ARN", "Equals", [TABLE])), True),
    ("advanced, StartsWith and Equals, the prefix fails", [],
     adv(DATA, DDBT, ("resources.ARN", "StartsWith", ["arn:aws-cn:dynamodb:x"]),
         ("resources.ARN", "Equals", [TABLE])), False),
    ("S3 only", s3_sel("arn:aws-cn:s3"), None, False),
]


@pytest.mark.parametrize("name,selectors,advanced,logged", TABLE_CASES,
                         ids=[c[0] for c in TABLE_CASES])
def test_which_trail_selectors_log_a_table(name: str, selectors: Any, advanced: Any,
                                           logged: bool) -> None:
    by = prepared(table(), trail(selectors, advanced, bucket_name=None, log_group="/trail"),
                  group("/trail", 400))
    got = by[TABLE]["ctx"]["operation_logs"]
    assert [(e["kind"], e["retention_days"]) for e in got] == (
        [("cloudtrail_data_events", 400)] if logged else [])


def test_trail_scope_region_account_and_state() -> None:
    sel = s3_sel("arn:aws-cn:s3")
    # A single-Region trail elsewhere does not log the bucket; a multi-Region one does.
    assert logs(prepared(bucket(), trail(sel, region=R2)), BUCKET) == []
    assert logs(prepared(bucket(), trail(sel, region=R2, multi_region=True)), BUCKET) == [
        ("cloudtrail_data_events", "trail-logs")]
    # Another account's trail does not (unless it is an organization trail).
    assert logs(prepared(bucket(), trail(sel, account=A2)), BUCKET) == []
    # A stopped trail logs nothing.
    assert logs(prepared(bucket(), trail(sel, logging=False)), BUCKET) == []


UNKNOWN_CASES = [
    ("selectors unread", dict(selectors=None), "data-event selectors"),
    ("recording unknown", dict(selectors=s3_sel("arn:aws-cn:s3"), logging=None), "recording"),
    ("multi-Region unknown", dict(selectors=s3_sel("arn:aws-cn:s3"), region=R2,
                                  multi_region=None), "every Region"),
]


@pytest.mark.parametrize("name,kw,reason", UNKNOWN_CASES, ids=[c[0] for c in UNKNOWN_CASES])
def test_unreadable_trail_facts_are_unknown_never_passed(name: str, kw: dict[str, Any],
                                                          reason: str) -> None:
    by = prepared(bucket(), trail(**kw))
    assert by[BUCKET]["ctx"]["operation_logs"] == []
    assert any(reason in u for u in by[BUCKET]["ctx"]["operation_logs_unknown"])
    result = _scan(by)
    assert result["DS-LOG-001"] == ([], [BUCKET])


def test_a_cloudtrail_gap_leaves_the_store_unknown() -> None:
    gap = {"scope": "cloudtrail", "reason": "AccessDenied", "account": A1, "region": None,
           "service": "cloudtrail", "operation": "DescribeTrails"}
    by = prepared(bucket(), gaps=[gap])
    assert by[BUCKET]["ctx"]["operation_logs_unknown"] == [
        "CloudTrail trails of its account and Region could not be read"]
    other = dict(gap, account=A2)
    assert prepared(bucket(), gaps=[other])[BUCKET]["ctx"]["operation_logs_unknown"] == []


def test_access_log_and_its_bucket_retention() -> None:
    by = prepared(bucket(access_log={"enabled": True, "target_bucket": "access-logs"}),
                  bucket("access-logs", "general", expiry={"expires": True, "days": 90},
                         lock={"enabled": True, "min_retention_days": 400}))
    (e,) = by[BUCKET]["ctx"]["operation_logs"]
    assert (e["kind"], e["sink"], e["retention_days"], e["unlimited"], e["object_lock_days"]) \
        == ("s3_access_log", "arn:aws-cn:s3:::access-logs", 90, False, 400)
    # A target bucket not in the inventory: retention unknown.
    by = prepared(bucket(access_log={"enabled": True, "target_bucket": "elsewhere"}))
    (e,) = by[BUCKET]["ctx"]["operation_logs"]
    assert (e["sink"], e["retention_days"], e["unlimited"]) == ("elsewhere", None, None)
    # Access logging unread: unknown.
    unread = bucket()
    unread["logging"] = None
    assert prepared(unread)[BUCKET]["ctx"]["operation_logs_unknown"] == [
        "its logging settings could not be read"]


def db(enabled: Any, dests: Any, level: str = "core", **tags: str) -> dict[str, Any]:
    return {"id": DB, "kind": "database", "name": "ledger", "account": A1, "region": R1,
            "tags": {"dsscan:level": level, **tags},
            "logging": {"audit": {"enabled": enabled, "destinations": dests}}}


AUDIT = "/aws/rds/instance/ledger/audit"
CW = [{"type": "cloudwatch_logs", "log_group": AUDIT}]

# (name, audit enabled, destinations, log group days, DS-LOG-001, DS-LOG-002) — verdicts:
# "deny", "pass", "unknown" (not assessed), None (not judged).
DB_CASES = [
    ("audit off", False, [], 400, "deny", None),
    ("enabled, not exported", True, [], 400, "deny", None),
    ("enabled and exported, 90 days", True, CW, 90, "pass", "deny"),
    ("enabled and exported, 3 years", True, CW, 1095, "pass", "pass"),
    ("never expires", True, CW, "never", "pass", "pass"),
    ("log group not in the inventory", True, CW, None, "pass", "unknown"),
    ("audit unreadable", None, None, 400, "unknown", None),
    ("destinations unreadable", True, None, 400, "unknown", None),
]


def _scan(by: dict[str, dict[str, Any]], config: Config | None = None
          ) -> dict[str, tuple[list[str], list[str]]]:
    inv = parse_inventory({"format": "dsscan-inventory/1", "assets": [
        {k: v for k, v in a.items() if k not in ("ctx", "level", "environment",
                                                 "desensitization")}
        for a in by.values()]}, "estate.json")
    res = run_scan(inv, load_library(), ScanOptions(config=config or Config(),
                                                    include=("DS-LOG-*",)))
    out: dict[str, tuple[list[str], list[str]]] = {}
    for pid in ("DS-LOG-001", "DS-LOG-002"):
        out[pid] = (sorted(f.asset_id for f in res.findings if f.policy_id == pid),
                    sorted(n.asset_id for n in res.not_assessed if n.policy_id == pid))
    return out


def _verdict(got: tuple[list[str], list[str]], aid: str, assessed: bool) -> str | None:
    if aid in got[0]:
        return "deny"
    if aid in got[1]:
        return "unknown"
    return "pass" if assessed else None


@pytest.mark.parametrize("name,enabled,dests,days,v1,v2", DB_CASES, ids=[c[0] for c in DB_CASES])
def test_database_audit_logs(name: str, enabled: Any, dests: Any, days: Any, v1: str,
                             v2: str | None) -> None:
    assets = [db(enabled, dests)]
    if days == "never":
        assets.append(group(AUDIT, None, expires=False))
    elif days is not None:
        assets.append(group(AUDIT, days))
    by = prepared(*assets)
    got = _scan(by)
    logged = bool(by[DB]["ctx"]["operation_logs"])
    assert _verdict(got["DS-LOG-001"], DB, True) == v1
    assert _verdict(got["DS-LOG-002"], DB, logged) == v2


def test_ds_log_002_message_quotes_days_and_level() -> None:
    by = prepared(db(True, CW), group(AUDIT, 90))
    inv = parse_inventory({"format": "dsscan-inventory/1", "assets": [
        {k: v for k, v in a.items() if k != "ctx"} for a in by.values()]}, "e.json")
    res = run_scan(inv, load_library(), ScanOptions(include=("DS-LOG-002",)))
    (f,) = res.findings
    assert f.message == "Operation logs of ledger keep 90 days; core data needs 1095 (Art. 43)."
    assert f.severity == "critical"


# (level, outsourced tag value, required days)
REQUIRED_CASES = [
    ("core", None, 1095), ("important", None, 365), ("sensitive", None, 365),
    ("general", None, None), ("unclassified", None, 365),
    ("important", "true", 1095), ("sensitive", "yes", 1095), ("important", "false", 365),
    ("important", "perhaps", 1095),  # unreadable marker: the longer duty
]


@pytest.mark.parametrize("level,marker,days", REQUIRED_CASES)
def test_required_days_follow_level_and_outsourcing(level: str, marker: str | None,
                                                    days: int | None) -> None:
    tags = {"dsscan:outsourced": marker} if marker is not None else {}
    a = db(True, CW, level=level, **tags)
    if level == "unclassified":
        a["tags"] = {k: v for k, v in a["tags"].items() if k != "dsscan:level"}
    ctx = prepared(a)[DB]["ctx"]
    assert ctx["log_retention_required_days"] == days
    assert ctx["outsourced"] is {None: False, "true": True, "yes": True, "false": False,
                                 "perhaps": None}[marker]


def test_outsourced_important_store_needs_three_years() -> None:
    by = prepared(db(True, CW, level="important", outsourced="yes"), group(AUDIT, 400))
    assert _scan(by)["DS-LOG-002"] == ([DB], [])
    by = prepared(db(True, CW, level="important"), group(AUDIT, 400))
    assert _scan(by)["DS-LOG-002"] == ([], [])


def test_settings_raise_never_lower_the_duty() -> None:
    cfg = config_from_mapping({"log_retention_days": {"important": 730},
                               "outsourced_tag_keys": ["vendor-hosted"]})
    ctx = prepared(db(True, CW, level="important", **{"vendor-hosted": "true"}),
                   config=cfg)[DB]["ctx"]
    assert (ctx["log_retention_required_days"], ctx["outsourced"]) == (1095, True)
    ctx = prepared(db(True, CW, level="important"), config=cfg)[DB]["ctx"]
    assert ctx["log_retention_required_days"] == 730
    for bad in ({"log_retention_days": {"core": 365}}, {"log_retention_days": {"gold": 2000}},
                {"log_retention_days": {"core": "3y"}}, {"log_retention_days": []},
                {"outsourced_tag_keys": "outsourced"}, {"outsourced_tag_keys": [""]}):
        with pytest.raises(InputError):
            config_from_mapping(bad)


def test_warehouse_audit_to_s3() -> None:
    wh = {"id": "arn:aws-cn:redshift:cn-north-1:111111111111:cluster:risk", "kind": "warehouse",
          "name": "risk", "account": A1, "region": R1, "tags": {"dsscan:level": "important"},
          "logging": {"audit": {"enabled": True,
                                "destinations": [{"type": "s3", "bucket": "audit-logs"}]}}}
    by = prepared(wh, bucket("audit-logs", "general", expiry={"expires": True, "days": 200}))
    (e,) = by[wh["id"]]["ctx"]["operation_logs"]
    assert (e["kind"], e["retention_days"]) == ("warehouse_audit_log", 200)
    assert _scan(by)["DS-LOG-002"] == ([wh["id"]], [])


def test_lake_event_data_store() -> None:
    eds = {"id": f"arn:aws-cn:cloudtrail:{R1}:{A1}:eventdatastore/x", "kind": "log_sink",
           "name": "lake", "account": A1, "region": R1, "expiry": {"expires": True,
                                                                    "days": 2557},
           "log": {"service": "cloudtrail_lake", "logging": True, "multi_region": True,
                   "organization": False, "data_events": data_events([], adv(DATA, DDBT))}}
    by = prepared(table(), eds)
    (e,) = by[TABLE]["ctx"]["operation_logs"]
    assert (e["kind"], e["sink"], e["retention_days"]) == ("cloudtrail_lake", eds["id"], 2557)
    assert _scan(by) == {"DS-LOG-001": ([], []), "DS-LOG-002": ([], [])}


def test_an_unread_lake_listing_says_so() -> None:
    gap = {"scope": "cloudtrail", "reason": "not implemented", "account": A1, "region": R1,
           "service": "cloudtrail", "operation": "ListEventDataStores"}
    by = prepared(bucket(), gaps=[gap])
    assert by[BUCKET]["ctx"]["operation_logs_unknown"] == [
        "CloudTrail Lake event data stores of its account and Region could not be read"]


def test_a_catalogue_rule_marks_a_store_outsourced(tmp_path: Any) -> None:
    from dsscan.catalogue import load_catalogue

    path = tmp_path / "catalogue.yaml"
    path.write_text("rules:\n  - id: vendor-ledger\n    match: {name: ledger}\n"
                    "    outsourced: true\n", encoding="utf-8")
    cat = load_catalogue(str(path))
    inv = parse_inventory({"format": "dsscan-inventory/1",
                           "assets": [db(True, CW, level="important")]}, "estate.json")
    (a,) = prepare(inv, ScanOptions(config=Config(), catalogue=cat))
    assert a["outsourced"] == {"value": True, "source": "catalogue", "rule": "vendor-ledger"}
    assert (a["ctx"]["outsourced"], a["ctx"]["log_retention_required_days"]) == (True, 1095)
    path.write_text("rules:\n  - id: x\n    match: {name: ledger}\n    outsourced: maybe\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="'outsourced' must be true or false"):
        load_catalogue(str(path))


@pytest.mark.parametrize(("params", "logs_data"), [
    ({"shared_preload_libraries": "pgaudit", "pgaudit.log": "all"}, True),
    ({"shared_preload_libraries": "pg_stat_statements,pgaudit", "pgaudit.log": "read, write"},
     True),
    ({"shared_preload_libraries": "pgaudit", "pgaudit.log": "READ,WRITE,DDL"}, True),
    ({"shared_preload_libraries": "pgaudit", "pgaudit.log": "all,-misc"}, True),
    # DDL, roles, one of read/write, or all but reads: not every operation on the data
    ({"shared_preload_libraries": "pgaudit", "pgaudit.log": "ddl"}, False),
    ({"shared_preload_libraries": "pgaudit", "pgaudit.log": "ddl,role"}, False),
    ({"shared_preload_libraries": "pgaudit", "pgaudit.log": "write"}, False),
    ({"shared_preload_libraries": "pgaudit", "pgaudit.log": "all,-read"}, False),
    ({"shared_preload_libraries": "pgaudit", "pgaudit.log": "none"}, False),
    ({"shared_preload_libraries": "pgaudit"}, False),
    # the classes without the library loaded log nothing
    ({"pgaudit.log": "all"}, False),
    ({"log_statement": "all"}, True),
    ({"log_statement": "ddl"}, False),
])
def test_pgaudit_counts_only_when_it_logs_reads_and_writes(params: dict[str, str],
                                                            logs_data: bool) -> None:
    from dsscan.scanners.aws.audit_logs import pgaudit_logs_data

    assert pgaudit_logs_data(params) is logs_data
