"""CloudTrail: trails and CloudTrail Lake event data stores, as log sinks (Art. 43).

A trail is a ``log_sink`` asset: whether it is recording (GetTrailStatus), its data-event
selectors (GetEventSelectors: classic and advanced, normalized by
``dsscan.log_sinks.data_events``) and where it delivers (bucket, CloudWatch Logs group).
Which store it logs is resolved later, in the relations stage (dsscan/log_sinks.py). A trail
is read in its home Region only (a multi-Region trail is listed in every Region). An event
data store is a ``log_sink`` too, whose retention is its RetentionPeriod.

A listing that fails is a scope gap on service ``cloudtrail``: every store of that account
and Region is then not assessed by DS-LOG-001 unless something else logs it. A trail whose
status or selectors cannot be read keeps them null (a gap on its ``logging`` facet).
"""

from __future__ import annotations

from typing import Any

from dsscan.log_sinks import data_events
from dsscan.scanners.aws.base import Scope, call, pages, required_bool
from dsscan.scanners.aws.failures import ReadFailure, facet
from dsscan.scanners.aws.operations import Calls, Collector

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="cloudtrail", title="CloudTrail",
    kinds={"log_sink": ("AWS::CloudTrail::Trail", "AWS::CloudTrail::EventDataStore")},
    calls=(Calls("cloudtrail", ("DescribeTrails", "GetTrailStatus", "GetEventSelectors",
                                "ListEventDataStores", "GetEventDataStore")),),
)


def collect(scope: Scope) -> None:
    ct = scope.client("cloudtrail")
    trails = call(ct, "describe_trails", includeShadowTrails=False)["trailList"]
    for t in trails:
        if t.get("HomeRegion") not in (None, scope.region):
            continue  # read in its home Region
        scope.sink.add(_trail(scope, ct, t))
    try:
        stores = list(pages(ct, "list_event_data_stores", "EventDataStores"))
    except ReadFailure as e:
        scope.gap("cloudtrail lake event data stores of {account}/{region}", e)
        return
    for s in stores:
        # An organization's event data store is listed in member accounts too: it is read
        # once, in the account (and Region) its ARN names.
        parts = s["EventDataStoreArn"].split(":")
        if len(parts) > 4 and (parts[3], parts[4]) != (scope.region, scope.account):
            continue
        scope.sink.add(_event_data_store(scope, ct, s))


def _trail(scope: Scope, ct: Any, t: dict[str, Any]) -> dict[str, Any]:
    arn = t["TrailARN"]
    a = scope.asset(id=arn, kind="log_sink", name=t["Name"], type="AWS::CloudTrail::Trail")
    log: dict[str, Any] = {
        "service": "cloudtrail", "logging": None,
        "multi_region": t.get("IsMultiRegionTrail"),
        "organization": t.get("IsOrganizationTrail"),
        "data_events": None, "bucket": t.get("S3BucketName"),
        "log_group": t.get("CloudWatchLogsLogGroupArn")}
    a["log"] = log
    a["network"] = None
    with facet(a, "logging"):
        log["logging"] = required_bool(call(ct, "get_trail_status", Name=arn), "IsLogging")
    with facet(a, "logging"):
        got = call(ct, "get_event_selectors", TrailName=arn)
        log["data_events"] = data_events(got.get("EventSelectors"),
                                         got.get("AdvancedEventSelectors"))
    return a


_RECORDING = {"ENABLED": True, "STARTING_INGESTION": True, "STOPPED_INGESTION": False,
              "STOPPING_INGESTION": False, "PENDING_DELETION": False, "CREATED": False}


def _event_data_store(scope: Scope, ct: Any, s: dict[str, Any]) -> dict[str, Any]:
    arn = s["EventDataStoreArn"]
    a = scope.asset(id=arn, kind="log_sink", name=s.get("Name") or arn,
                    type="AWS::CloudTrail::EventDataStore")
    a["log"] = {"service": "cloudtrail_lake", "logging": None, "multi_region": None,
                "organization": None, "data_events": None}
    a["expiry"] = {"expires": None, "days": None}
    a["network"] = None
    with facet(a, "logging"):
        got = call(ct, "get_event_data_store", EventDataStore=arn)
        a["log"].update(
            logging=_RECORDING.get(str(got.get("Status"))),
            multi_region=got.get("MultiRegionEnabled"),
            organization=got.get("OrganizationEnabled"),
            data_events=data_events([], got.get("AdvancedEventSelectors")))
        days = got["RetentionPeriod"]  # always sent: a reply without it is malformed
        a["expiry"] = {"expires": True, "days": int(days)}
    return a
