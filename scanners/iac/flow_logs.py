"""VPC flow logs (``aws_flow_log``) onto the network domain of their VPC (DS-LOG-003).

Only a flow log on the VPC itself (``vpc_id``) counts for the domain, as for live AWS
(scanners/aws/flow_logs.py): one on subnets or network interfaces records part of its traffic.
A flow log whose VPC is not known before apply and cannot be traced to one may be any VPC's:
unless the VPC's own flow logs already record all its traffic, the VPC's flow logs are then
unknown (``null``, a logging gap), never "none".
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.iac.resources import IacResource, is_unknown
from dsscan.scanners.iac.values import as_str

Asset = dict[str, Any]


def _entry(r: IacResource) -> dict[str, Any]:
    v = r.values
    kind = v.get("log_destination_type")
    dest = v.get("log_destination") or v.get("log_group_name")
    return {
        "id": as_str(v.get("id")) if not is_unknown(v.get("id")) else None,
        "traffic_type": as_str(v.get("traffic_type")),
        # The provider's default destination is CloudWatch Logs.
        "destination_type": "cloud-watch-logs" if kind is None else as_str(kind),
        "destination": as_str(dest) if isinstance(dest, str) else None,
    }


def vpc_flow_logs(mapper: Any, a: Asset, vpc: IacResource) -> list[dict[str, Any]] | None:
    """The flow logs recording ``vpc``'s traffic, or None (with a gap on ``a``) when a flow log
    of unknown VPC may be its own and its known ones do not already record all traffic."""
    hits, unsure = mapper.linked(a, vpc, ("aws_flow_log",), ("vpc_id",), aspect=None,
                                 what="")
    logs = sorted((_entry(r) for r in hits), key=lambda x: (str(x["id"]), str(x["destination"])))
    if unsure and not any(x["traffic_type"] == "ALL" for x in logs):
        names = ", ".join(sorted(r.address for r in unsure))
        mapper.gap_text(a, "logging", f"not assessed until apply: {names} may record the "
                                      "traffic of this VPC; which VPC it is for is not known "
                                      "before apply")
        return None
    return logs
