"""CloudWatch Logs: log groups, as log sinks with their retention (Art. 43, DS-LOG-002).

A log group is a ``log_sink`` asset whose ``expiry`` is its retentionInDays (no retention
set: never expires). Trails and RDS/Redshift audit exports name their log groups; which
group keeps which store's log is resolved in the relations stage (dsscan/log_sinks.py). A
group the listing does not show is not in the inventory, so its retention is unknown there
(never assumed to be "never expires").
"""

from __future__ import annotations

from dsscan.scanners.aws.base import Scope, pages
from dsscan.scanners.aws.operations import Calls, Collector

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="logs", title="CloudWatch Logs",
    kinds={"log_sink": ("AWS::Logs::LogGroup",)},
    calls=(Calls("logs", ("DescribeLogGroups",)),),
)


def collect(scope: Scope) -> None:
    for g in pages(scope.client("logs"), "describe_log_groups", "logGroups"):
        name = g["logGroupName"]
        arn = g.get("arn") or scope.arn("logs", f"log-group:{name}:*")
        a = scope.asset(id=arn.removesuffix(":*"), kind="log_sink", name=name,
                        type="AWS::Logs::LogGroup")
        days = g.get("retentionInDays")
        a["log"] = {"service": "cloudwatch_logs"}
        a["expiry"] = ({"expires": False, "days": None} if days is None
                       else {"expires": True, "days": int(days)})
        a["network"] = None
        scope.sink.add(a)
