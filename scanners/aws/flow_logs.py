"""VPC flow logs, for the network domains (DS-LOG-003, Art. 41): which flow logs record a
VPC's traffic, what traffic (ALL, ACCEPT, REJECT) and where they go.

Read once per account and Region (one DescribeFlowLogs listing) by the network collector,
which owns the VPCs (``scanners/aws/network.py`` declares the call in its INFO). Only flow logs
on the VPC itself count for its domain: a log on some subnets or network interfaces records
part of the domain's traffic only.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import pages


def flow_logs_by_vpc(ec2: Any) -> dict[str, list[dict[str, Any]]]:
    """VPC id → its flow logs ``{id, traffic_type, destination_type, destination}``, sorted by
    id. Raises ReadFailure when the listing fails (the caller records the gap)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for f in pages(ec2, "describe_flow_logs", "FlowLogs"):
        rid = f.get("ResourceId")
        if not isinstance(rid, str) or not rid.startswith("vpc-"):
            continue
        out.setdefault(rid, []).append({
            "id": f.get("FlowLogId"),
            "traffic_type": f.get("TrafficType"),
            "destination_type": f.get("LogDestinationType") or (
                "cloud-watch-logs" if f.get("LogGroupName") else None),
            "destination": f.get("LogDestination") or f.get("LogGroupName"),
        })
    return {v: sorted(logs, key=lambda x: str(x["id"])) for v, logs in out.items()}
