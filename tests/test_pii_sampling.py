"""DS-PII-001 from live AWS: CloudWatch Logs groups read by bounded FilterLogEvents, and the
bucket prefixes holding exports or Athena query results, sampled under moto.

moto serves CloudWatch Logs (events, FilterLogEvents pages with nextToken, IAM denial) and S3.
It cannot serve Athena to this botocore: botocore >= 1.40 speaks rest-json to Athena
(``GET /workgroups``) and moto 5.2 only the old JSON protocol (it answers 404 "Not yet
implemented"), so the workgroups come from a botocore Stubber on an Athena client (the
sweep's client override) and everything else from moto. Throttling past retries, which moto
never does, is a client that answers as CloudWatch Logs does.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, REGION, bucket, fake_env
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count
from sampling_corpus import Corpus, csv_text
from sampling_support import Recorder

from dsscan.config import Config
from dsscan.detection import ContentScanner
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.sampling.aws import SampleOptions
from dsscan.scanners.sampling.exports import parse_s3_url
from dsscan.scanners.sampling.logs import LogLimits, sample_log_group


@pytest.fixture
def aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def now_ms() -> int:
    return int(time.time() * 1000)


def log_group(name: str, messages: list[str], *, streams: int = 1) -> None:
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=name)
    t = now_ms() - 60_000
    for s in range(streams):
        logs.create_log_stream(logGroupName=name, logStreamName=f"s{s}")
        mine = messages[s::streams]
        for i in range(0, len(mine), 500):
            logs.put_log_events(logGroupName=name, logStreamName=f"s{s}", logEvents=[
                {"timestamp": t + i + j, "message": m} for j, m in enumerate(mine[i:i + 500])])


def leaky_lines(corpus: Corpus, n: int) -> list[str]:
    return [f"INFO payment accepted customer id_no={corpus.resident_id()} "
            f"mobile {corpus.mobile()} card {corpus.card()}" for _ in range(n)]


class Counting:
    """A CloudWatch Logs client that counts the calls and the events it returned."""

    def __init__(self, client: Any, fail_on: int | None = None, code: str = "") -> None:
        self.client, self.calls, self.returned = client, [], 0
        self.fail_on, self.code = fail_on, code

    def filter_log_events(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(kw)
        if self.fail_on is not None and len(self.calls) >= self.fail_on:
            raise ClientError({"Error": {"Code": self.code, "Message": "Rate exceeded"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}},
                              "FilterLogEvents")
        page = self.client.filter_log_events(**kw)
        self.returned += len(page.get("events") or [])
        return page


# --- one group: pages, bounds, verdicts ---------------------------------------------------

@pytest.mark.parametrize(("limits", "events", "pages"), [
    (LogLimits(events=250, page=100), 250, 3),  # three pages, the last one asked smaller
    (LogLimits(events=1000, page=100), 600, 6),  # every event, each page via nextToken
    (LogLimits(events=1000), 600, 1),
    (LogLimits(events=40, page=100), 40, 1),
    (LogLimits(events=1000, page=100, pages=5), 200, 2),  # the cap on calls: 3 quiet + 2
])
def test_events_are_read_page_by_page_never_past_the_cap(aws, limits, events, pages):
    # Every event in the last minute: the three older slices of the window are quiet (one
    # call each) and leave their share to the newest.
    log_group("/app/payments", leaky_lines(Corpus(seed=1), 600), streams=3)
    c = Counting(boto3.client("logs", region_name=REGION))
    rec = Recorder()
    out = sample_log_group(c, "/app/payments", limits, rec)
    assert out.content["sample"]["rows"] == events
    quiet, newest = c.calls[:3], c.calls[3:]
    assert len(newest) == pages and len(c.calls) <= limits.pages
    assert all(call["limit"] <= limits.events for call in c.calls)
    assert [("nextToken" in call) for call in newest] == [False] + [True] * (pages - 1)
    assert [q["endTime"] + 1 for q in quiet] == [q["startTime"] for q in c.calls[1:4]]
    assert c.returned == events <= limits.events
    assert rec.texts["events"].count("\n") + 1 == events
    assert out.attributes["events_read"] == events <= limits.events


def test_the_window_is_read_in_slices_each_with_its_share(aws):
    # Ten events in each quarter of the last week: a cap of 20 reads five of each, not the
    # twenty oldest.
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="/app/spread")
    logs.create_log_stream(logGroupName="/app/spread", logStreamName="s")
    now, quarter = now_ms(), 42 * 3600 * 1000
    evs = [{"timestamp": now - (4 - q) * quarter + 3600_000 + i, "message": f"q{q} event {i}"}
           for q in range(4) for i in range(10)]
    logs.put_log_events(logGroupName="/app/spread", logStreamName="s", logEvents=evs)
    rec = Recorder()
    out = sample_log_group(logs, "/app/spread", LogLimits(events=20), rec, now_ms=now)
    assert out.content["sample"]["rows"] == 20
    seen = rec.texts["events"].split("\n")
    assert {q: sum(line.startswith(f"q{q} ") for line in seen) for q in range(4)} == \
        {0: 5, 1: 5, 2: 5, 3: 5}


@pytest.mark.parametrize("cap", [1024, 4096, 10_000])
def test_the_byte_cap_is_honoured(aws, cap):
    log_group("/app/payments", leaky_lines(Corpus(seed=2), 300))
    out = sample_log_group(boto3.client("logs", region_name=REGION), "/app/payments",
                           LogLimits(bytes=cap), Recorder())
    assert 0 < out.content["sample"]["bytes"] <= cap


@pytest.mark.parametrize(("messages", "status", "unmasked"), [
    ("leaky", "sampled", {"prc_resident_id", "mobile_phone", "bank_card"}),
    ("masked", "sampled", set()),
    ("clean", "sampled", set()),
    ("none", "not_sampled", set()),
])
def test_verdicts_of_a_group(aws, messages, status, unmasked):
    corpus = Corpus(seed=3)
    lines = {
        "leaky": leaky_lines(corpus, 50),
        "masked": [f"id_no={r[:6]}********{r[-4:]} mobile {m[:3]}****{m[-4:]}"
                   for r, m in ((corpus.resident_id(), corpus.mobile()) for _ in range(50))],
        "clean": [f"GET /health 200 {i} ms" for i in range(50)],
        "none": [],
    }[messages]
    log_group("/app/g", lines)
    out = sample_log_group(boto3.client("logs", region_name=REGION), "/app/g", LogLimits(),
                           ContentScanner())
    assert out.content["status"] == status
    assert {d["detector"] for d in out.content["detections"] if d["unmasked"]} == unmasked
    text = json.dumps(out.content)
    assert not any(v in text for v in corpus.raw)
    assert out.gaps == []


def test_old_events_are_outside_the_window(aws):
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="/old")
    logs.create_log_stream(logGroupName="/old", logStreamName="s")
    old = now_ms() - 10 * 24 * 3600 * 1000
    logs.put_log_events(logGroupName="/old", logStreamName="s", logEvents=[
        {"timestamp": old, "message": "id_no=110101199003071233"}])
    out = sample_log_group(logs, "/old", LogLimits(hours=24), ContentScanner())
    assert out.content["status"] == "not_sampled"


@pytest.mark.parametrize(("fail_on", "status", "gap"), [
    (1, "error", "logs:FilterLogEvents throttled past retries (ThrottlingException)"),
    # After a page with identifiers (three quiet slices, then a page of the newest): the
    # finding stands, the rest is a gap.
    (5, "sampled", "logs:FilterLogEvents throttled past retries (ThrottlingException) "
                   "after 100 events"),
])
def test_throttled_is_a_gap_never_a_pass(aws, fail_on, status, gap):
    log_group("/app/payments", leaky_lines(Corpus(seed=4), 300))
    c = Counting(boto3.client("logs", region_name=REGION), fail_on=fail_on,
                 code="ThrottlingException")
    out = sample_log_group(c, "/app/payments", LogLimits(page=100), ContentScanner())
    assert out.content["status"] == status
    assert out.gaps == [gap]


def test_throttled_after_clean_pages_is_not_assessed(aws):
    log_group("/app/clean", [f"GET /health 200 {i} ms" for i in range(300)])
    c = Counting(boto3.client("logs", region_name=REGION), fail_on=5,
                 code="ThrottlingException")
    out = sample_log_group(c, "/app/clean", LogLimits(page=100), ContentScanner())
    assert out.content["status"] == "error"
    assert out.content["reason"].endswith("after 100 events")


# --- the sweep: log groups, Athena output locations, export prefixes ----------------------

def athena_stub(workgroups: dict[str, str | None], fail: str | None = None) -> Any:
    client = boto3.client("athena", region_name=REGION)
    st = Stubber(client)
    if fail:
        st.add_client_error("list_work_groups", service_error_code=fail,
                            http_status_code=400)
    else:
        st.add_response("list_work_groups", {"WorkGroups": [{"Name": n} for n in workgroups]})
        for name, loc in workgroups.items():
            cfg = {"ResultConfiguration": {"OutputLocation": loc}} if loc else {}
            st.add_response("get_work_group",
                            {"WorkGroup": {"Name": name, "Configuration": cfg}},
                            {"WorkGroup": name})
    st.activate()
    return client


def estate(corpus: Corpus) -> None:
    log_group("/app/payments", leaky_lines(corpus, 120))
    log_group("/app/health", [f"GET /health 200 {i} ms" for i in range(50)])
    rows = corpus.customers(40)
    s3 = bucket("analytics", tags={"dsscan:level": "important"})
    s3.put_object(Bucket="analytics", Key="results/q1.csv", Body=csv_text(rows).encode())
    s3.put_object(Bucket="analytics", Key="exports/e1.csv", Body=csv_text(rows).encode())
    s3.put_object(Bucket="analytics", Key="curated/part-0.csv", Body=b"a,b\n1,2\n")
    s3 = bucket("reports")
    s3.put_object(Bucket="reports", Key="monthly/summary.csv", Body=b"month,total\n1,2\n")


def scan(athena: Any, **sample: Any) -> Any:
    inv = sweep(SweepOptions(regions=[REGION], services=["s3", "logs"],
                             sample=SampleOptions(**sample),
                             client_overrides={"athena": athena}))
    parse_inventory(json.loads(json.dumps(inv.to_document())), "scan")  # a valid inventory
    return inv


def by(inv: Any, name: str) -> dict[str, Any]:
    [a] = [a for a in inv.assets if a.get("name") == name]
    return a


def pii(inv: Any) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    result = run_scan(copy.deepcopy(inv), load_library(),
                      ScanOptions(config=Config(), include=("DS-PII-001",)))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    found = {(names[f.asset_id], f.key, f.level) for f in result.findings}
    gaps = {(names.get(n.asset_id or "", ""), n.reason) for n in result.not_assessed}
    return found, gaps


def test_sweep_samples_logs_and_export_prefixes(aws):
    corpus = Corpus(seed=5)
    estate(corpus)
    inv = scan(athena_stub({"analysts": "s3://analytics/results/", "adhoc": None,
                            "elsewhere": "s3://not-in-the-estate/out/"}))
    exports = by(inv, "analytics")["exports"]
    assert [(e["prefix"], e["origin"], e["workgroup"], e["content"]["status"])
            for e in exports] == [("results/", "athena_workgroup", "analysts", "sampled"),
                                  ("exports/", "prefix_pattern", None, "sampled")]
    assert by(inv, "reports")["exports"] == []
    assert by(inv, "/app/health")["content"]["status"] == "sampled"
    # The workgroup writing outside the swept buckets: a gap, never silence.
    [gap] = inv.gaps
    assert gap["scope"] == f"query results of Athena workgroup elsewhere of {ACCOUNT}/{REGION}"
    assert (gap["account"], gap["region"], gap["service"]) == (None, None, "s3")
    found, gaps = pii(inv)
    assert found == {("/app/payments", "log", "sensitive"),
                     ("analytics", "export:results/", "important"),
                     ("analytics", "export:exports/", "important")}
    assert {why for _, why in gaps} == {gap["reason"]}
    text = json.dumps(inv.to_document())
    assert not any(v in text for v in corpus.raw)


def test_groups_beyond_the_run_cap_are_gaps_not_passes(aws):
    estate(Corpus(seed=6))
    inv = scan(athena_stub({}), log_groups=1)
    sampled = [a for a in inv.assets if a["kind"] == "log_sink"
               and a["content"]["status"] == "sampled"]
    capped = [a for a in inv.assets if a["kind"] == "log_sink"
              and a["content"]["status"] == "not_sampled"]
    assert len(sampled) == 1 and len(capped) == 1
    assert capped[0]["assessment"]["gaps"] == [
        {"aspect": "content",
         "reason": "log group not sampled: beyond --sample-log-groups 1"}]
    result = run_scan(copy.deepcopy(inv), load_library(),
                      ScanOptions(config=Config(), include=("DS-PII-001",)))
    # Its content gap reports it not assessed: never counted passed.
    assert any(n.asset_id == capped[0]["id"] for n in result.not_assessed)


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_athena_unreadable_is_a_gap_of_the_account_and_region(aws, code):
    estate(Corpus(seed=7))
    inv = scan(athena_stub({}, fail=code))
    [gap] = [g for g in inv.gaps if "athena" in g["scope"]]
    assert (gap["account"], gap["region"], gap["service"], gap["operation"]) == (
        "123456789012", REGION, "athena", "ListWorkGroups")
    # The export-like prefixes are still sampled.
    assert [e["prefix"] for e in by(inv, "analytics")["exports"]] == ["exports/"]


@set_initial_no_auth_action_count(3)
def test_access_denied_on_filter_log_events_is_not_assessed(aws, monkeypatch):
    # moto enforces IAM for CloudWatch Logs: a real AccessDenied, no stub.
    from aws_support import act_as_user_denied

    act_as_user_denied(monkeypatch, ["logs:FilterLogEvents"])
    estate(Corpus(seed=8))
    inv = scan(athena_stub({}))
    g = by(inv, "/app/payments")
    assert g["content"]["status"] == "error"
    assert g["content"]["reason"].startswith("logs:FilterLogEvents AccessDenied")
    found, gaps = pii(inv)
    assert ("/app/payments", "log", "sensitive") not in found
    assert any(name == "/app/payments" and "FilterLogEvents" in why for name, why in gaps)


@pytest.mark.parametrize(("url", "parsed"), [
    ("s3://b/results/", ("b", "results/")), ("s3://b", ("b", "")), ("s3://b/", ("b", "")),
    ("s3://b/a/b/c", ("b", "a/b/c")), ("https://b/x", None), ("s3://", None), (None, None),
])
def test_output_locations_parse(url, parsed):
    assert parse_s3_url(url) == parsed


@pytest.mark.parametrize(("args", "expected"), [
    ((1000, 1024 * 1024, 200, 168, ()), {"log_events": 1000, "log_bytes": 1024 * 1024,
                                         "log_groups": 200, "log_hours": 168,
                                         "export_prefixes": SampleOptions().export_prefixes}),
    ((5, 2048, 1, 1, ("exports/, dumps/", "x*/")),
     {"log_events": 5, "log_bytes": 2048, "log_groups": 1, "log_hours": 1,
      "export_prefixes": ("exports/", "dumps/", "x*/")}),
])
def test_cli_bounds_reach_the_sampler(args, expected):
    from dsscan.scanners.aws import _with_log_options

    got = _with_log_options(SampleOptions(), *args)
    assert {k: getattr(got, k) for k in expected} == expected
    assert got.log_limits().events == expected["log_events"]


def test_scan_aws_help_names_the_log_bounds():
    from cli_support import dsscan

    out = dsscan("scan", "aws", "--help").stdout
    for opt in ("--sample-log-events", "--sample-log-bytes", "--sample-log-groups",
                "--sample-log-hours", "--sample-export-prefixes"):
        assert opt in out


# --- review r15-c: what the log sampler missed or passed ---------------------------------

class Scripted:
    """A FilterLogEvents stand-in over ``events`` (timestamp, message): ``empty`` first calls
    come back empty with a nextToken (CloudWatch still searching)."""

    def __init__(self, events: list[tuple[int, str]], empty: int = 0) -> None:
        self.events, self.empty, self.calls = events, empty, 0

    def filter_log_events(self, **kw: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.empty:
            return {"events": [], "nextToken": f"search-{self.calls}"}
        hits = [{"timestamp": t, "message": m} for t, m in self.events
                if kw["startTime"] <= t <= kw["endTime"]]
        off = int(kw.get("nextToken", "at-0").split("-")[1]) if "nextToken" in kw else 0
        out: dict[str, Any] = {"events": hits[off:off + kw["limit"]]}
        if off + kw["limit"] < len(hits):
            out["nextToken"] = f"at-{off + kw['limit']}"
        return out


NOW, HOUR = 1_800_000_000_000, 3600 * 1000
START = NOW - 168 * HOUR
RID = "110101199003071233"


@pytest.mark.parametrize(("events", "empty", "status", "found", "gap"), [
    # Big messages in the oldest slice used to spend the whole byte cap: the newest slices
    # (where an identifier was logged yesterday) went unread, and the group passed.
    ([(START + 1000 + i, "x" * 4500) for i in range(300)] + [(NOW - 1000, f"id_no={RID}")],
     0, "sampled", True, False),
    # The cap on calls spent on empty pages: "no log events" and no gap, said before.
    ([(NOW - 1000, f"id_no={RID}")], 20, "error", False, True),
    ([(NOW - 1000, "GET /health 200")], 20, "error", False, True),
    # Two slices searched, then the cap on calls: the newest half unread is a gap.
    ([(START + 1000, "GET /health 200")], 0, "sampled", False, False),
])
def test_the_whole_window_is_read_or_the_rest_is_a_gap(events, empty, status, found, gap):
    c = Scripted(events, empty)
    out = sample_log_group(c, "/g", LogLimits(), ContentScanner(), now_ms=NOW)
    assert out.content["status"] == status
    assert any(d["unmasked"] for d in out.content["detections"]) is found
    assert bool(out.gaps) is gap
    if gap:
        assert "slices of the window not searched" in out.gaps[0]


@pytest.mark.parametrize("message", [
    '{"msg":"line1\\n' + RID + '\\nline2"}',  # JSON-escaped line break
    '{"msg":"tab\\t' + RID + '"}',
    '{"msg":"\\u003cid\\u003e' + RID + '\\u003c/id\\u003e"}',  # Go escapes < and >
    "GET /pay?idNo%3D" + RID + " 200",  # URL-encoded
    "GET /pay?q=name%20" + RID + " 200",  # %20: digits glued to the identifier
    '{"m":"\\u0031\\u0031' + RID[2:] + '"}',
])
def test_escaped_identifiers_in_log_lines_are_found(message):
    out = sample_log_group(Scripted([(NOW - 1000, message)]), "/g", LogLimits(),
                           ContentScanner(), now_ms=NOW)
    assert {d["detector"] for d in out.content["detections"] if d["unmasked"]} == \
        {"prc_resident_id"}
    assert RID not in json.dumps(out.content)


@pytest.mark.parametrize(("top_objects", "max_keys", "prefixes", "gap"), [
    # Top-level objects listed before "exports/" fill the first page: the prefix used to be
    # missed and the bucket reported with no export at all.
    (150, 100, ["exports/"], False),
    (30, 100, ["exports/"], False),
    # Past the bound on pages: what was found is sampled, the rest is a gap.
    (40, 3, [], True),
])
def test_export_prefixes_past_the_first_listing_page(aws, monkeypatch, top_objects, max_keys,
                                                     prefixes, gap):
    from dsscan.scanners.sampling import exports as ex

    s3 = bucket("dumps-bucket")
    for i in range(top_objects):
        s3.put_object(Bucket="dumps-bucket", Key=f"daily-{i:05d}.csv", Body=b"a,b\n1,2\n")
    s3.put_object(Bucket="dumps-bucket", Key="exports/e1.csv",
                  Body=f"id_no\n{RID}\n".encode())
    real = s3.list_objects_v2
    monkeypatch.setattr(s3, "list_objects_v2",
                        lambda **kw: real(**dict(kw, MaxKeys=min(kw["MaxKeys"], max_keys))))
    a: dict[str, Any] = {"name": "dumps-bucket"}
    ex.sample_exports(s3, a, [], ex.DEFAULT_EXPORT_PREFIXES, SampleOptions().bucket_limits(),
                      ContentScanner())
    assert [e["prefix"] for e in a["exports"]] == prefixes
    gaps = [g["reason"] for g in (a.get("assessment") or {}).get("gaps", [])]
    assert bool(gaps) is gap


@pytest.mark.parametrize(("offset", "found"), [
    (-168 * HOUR, True),  # the oldest edge of the window
    (0, True),  # now
    (90 * 60 * 1000, True),  # stamped by a clock 90 minutes fast: CloudWatch took it
    (-168 * HOUR - 1, False),  # before the window
])
def test_events_at_the_window_edges(offset, found):
    out = sample_log_group(Scripted([(NOW + offset, f"id_no={RID}")]), "/g", LogLimits(),
                           ContentScanner(), now_ms=NOW)
    assert any(d["unmasked"] for d in out.content["detections"]) is found


@pytest.mark.parametrize(("name", "prefixes"), [
    # Athena's console bucket: results under Unsaved/ and saved-query folders, which no
    # export pattern matched when the workgroup names no output location.
    (f"aws-athena-query-results-{ACCOUNT}-{REGION}", ["Unsaved/", "monthly-kyc/"]),
    ("plain-bucket", []),
])
def test_the_athena_console_results_bucket_is_all_query_results(aws, name, prefixes):
    from dsscan.scanners.sampling import exports as ex

    s3 = bucket(name)
    for key in ("Unsaved/2026/12/01/q.csv", "monthly-kyc/2026/12/01/q.csv"):
        s3.put_object(Bucket=name, Key=key, Body=f"id_no\n{RID}\n".encode())
    a: dict[str, Any] = {"name": name}
    ex.sample_exports(s3, a, [], ex.DEFAULT_EXPORT_PREFIXES, SampleOptions().bucket_limits(),
                      ContentScanner())
    assert [e["prefix"] for e in a["exports"]] == prefixes
    assert all(any(d["unmasked"] for d in e["content"]["detections"]) for e in a["exports"])
