"""VPCs as network domains, and security groups with their ingress rules.

A VPC becomes a ``network_domain``: its CIDRs, subnets, the routes of all its route tables
(a path exists if any table has it), peerings, whether an internet gateway is attached
and routed, and its flow logs (``flow_logs.py``; unreadable: null and a logging gap). Its
level and environment come from its tags (or ``domains:`` in the config).
Customer-managed prefix lists in ingress rules are expanded to their CIDRs here, so that
reachability can be computed; AWS-managed ones (service ranges) stay named, of unknown level.

Lists AWS always sends, empty or not — a group's IpPermissions and each permission's IpRanges,
Ipv6Ranges, UserIdGroupPairs and PrefixListIds, a route table's Routes, a gateway's
Attachments — are read by subscript: a reply without one is malformed (a gap for the region's
networks), never "no ingress", "no route" or "not attached".
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import Scope, pages, tag_dict
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap
from dsscan.scanners.aws.flow_logs import flow_logs_by_vpc
from dsscan.scanners.aws.operations import Calls, Collector

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="network", title="EC2 networking",
    kinds={"network_domain": ("AWS::EC2::VPC",), "security_group": ("AWS::EC2::SecurityGroup",)},
    calls=(Calls("ec2", ("DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups",
                         "DescribeRouteTables", "DescribeVpcPeeringConnections",
                         "DescribeInternetGateways", "DescribeManagedPrefixLists",
                         "GetManagedPrefixListEntries", "DescribeFlowLogs")),),
)


def collect(scope: Scope) -> None:
    ec2 = scope.client("ec2")
    vpcs = list(pages(ec2, "describe_vpcs", "Vpcs"))
    if not vpcs:
        return
    subnets = list(pages(ec2, "describe_subnets", "Subnets"))
    tables = list(pages(ec2, "describe_route_tables", "RouteTables"))
    peerings = list(pages(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections"))
    gateways = list(pages(ec2, "describe_internet_gateways", "InternetGateways"))
    groups = list(pages(ec2, "describe_security_groups", "SecurityGroups"))
    prefix_lists = _prefix_lists(scope, ec2, groups)
    flows: dict[str, list[dict[str, Any]]] | None
    try:
        flows, flow_failure = flow_logs_by_vpc(ec2), None
    except ReadFailure as e:  # the domains stand; their flow logs are unknown (a gap each)
        flows, flow_failure = None, e

    igw_vpcs = {att["VpcId"] for g in gateways for att in g["Attachments"]
                if att.get("VpcId") and att.get("State") in (None, "available", "attached")}
    for vpc in vpcs:
        vid = vpc["VpcId"]
        tags = tag_dict(vpc.get("Tags"))
        a = scope.asset(id=scope.arn("ec2", f"vpc/{vid}"), kind="network_domain",
                        name=tags.get("Name") or vid, type="AWS::EC2::VPC", tags=tags)
        routes = _routes(t for t in tables if t.get("VpcId") == vid)
        cidrs = [c["CidrBlock"] for c in vpc.get("CidrBlockAssociationSet") or []
                 if c.get("CidrBlock") and c.get("CidrBlockState", {}).get("State")
                 in (None, "associated")] or ([vpc["CidrBlock"]] if vpc.get("CidrBlock") else [])
        cidrs += [c["Ipv6CidrBlock"] for c in vpc.get("Ipv6CidrBlockAssociationSet") or []
                  if c.get("Ipv6CidrBlock")]
        a["network"] = {
            "vpc_id": vid,
            "subnets": sorted(s["SubnetId"] for s in subnets if s.get("VpcId") == vid),
            "cidrs": cidrs,
            # Attached and routed: an attached gateway without a route carries nothing.
            "internet_gateway": vid in igw_vpcs and any(
                r["target"].startswith("igw-") for r in routes),
            "routes": routes,
            "peerings": _peerings(vid, peerings),
            "security_groups": [],
            "flow_logs": None if flows is None else flows.get(vid, []),
        }
        if flow_failure is not None:
            add_asset_gap(a, "logging", flow_failure.reason)
        a["attributes"] = {"is_default": bool(vpc.get("IsDefault"))}
        scope.sink.add(a)

    for g in groups:
        gid = g["GroupId"]
        tags = tag_dict(g.get("Tags"))
        a = scope.asset(id=scope.arn("ec2", f"security-group/{gid}"), kind="security_group",
                        name=gid, type="AWS::EC2::SecurityGroup", tags=tags)
        a["network"] = {"vpc_id": g.get("VpcId"),
                        "ingress": [_rule(p, prefix_lists) for p in g["IpPermissions"]]}
        a["attributes"] = {"group_name": g.get("GroupName")}
        scope.sink.add(a)


def _routes(tables: Any) -> list[dict[str, str]]:
    out: dict[tuple[str, str], dict[str, str]] = {}
    for t in tables:
        for r in t["Routes"]:
            if r.get("State") == "blackhole":
                continue
            dest = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") \
                or r.get("DestinationPrefixListId")
            target = (r.get("VpcPeeringConnectionId") or r.get("TransitGatewayId")
                      or r.get("GatewayId") or r.get("NatGatewayId")
                      or r.get("EgressOnlyInternetGatewayId") or r.get("NetworkInterfaceId")
                      or r.get("InstanceId") or r.get("LocalGatewayId"))
            if dest and target:
                out[(dest, target)] = {"destination": dest, "target": target}
    return [out[k] for k in sorted(out)]


def _peerings(vid: str, conns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in conns:
        req, acc = p.get("RequesterVpcInfo") or {}, p.get("AccepterVpcInfo") or {}
        if req.get("VpcId") == vid:
            peer = acc
        elif acc.get("VpcId") == vid:
            peer = req
        else:
            continue
        if not peer.get("VpcId"):
            continue
        out.append({"id": p["VpcPeeringConnectionId"], "peer_vpc_id": peer["VpcId"],
                    "peer_account": peer.get("OwnerId"), "peer_region": peer.get("Region"),
                    "status": (p.get("Status") or {}).get("Code") or "unknown"})
    return sorted(out, key=lambda x: x["id"])


def _prefix_lists(scope: Scope, ec2: Any, groups: list[dict[str, Any]]) -> dict[str, list[str]]:
    """CIDRs of the customer-managed prefix lists that ingress rules use; an unreadable or
    AWS-managed list is left out (the rule keeps naming it: a source of unknown level)."""
    used = {pl["PrefixListId"] for g in groups for p in g["IpPermissions"]
            for pl in p["PrefixListIds"]}
    if not used:
        return {}
    out: dict[str, list[str]] = {}
    try:
        lists = list(pages(ec2, "describe_managed_prefix_lists", "PrefixLists",
                           PrefixListIds=sorted(used)))
    except ReadFailure as e:
        scope.gap("prefix lists in {account}/{region}", e)
        return {}
    for pl in lists:
        if pl.get("OwnerId") == "AWS":
            continue
        try:
            entries = list(pages(ec2, "get_managed_prefix_list_entries", "Entries",
                                 PrefixListId=pl["PrefixListId"]))
        except ReadFailure as e:
            scope.gap("prefix list {pl} in {account}/{region}", e, pl=pl["PrefixListId"])
            continue
        out[pl["PrefixListId"]] = [e["Cidr"] for e in entries if e.get("Cidr")]
    return out


def _rule(p: dict[str, Any], prefix_lists: dict[str, list[str]]) -> dict[str, Any]:
    pls = [x["PrefixListId"] for x in p["PrefixListIds"]]
    cidrs = [r["CidrIp"] for r in p["IpRanges"]]
    cidrs += [c for pl in pls for c in prefix_lists.get(pl, [])]
    rule: dict[str, Any] = {
        "protocol": str(p.get("IpProtocol", "-1")),
        "from_port": p.get("FromPort"),
        "to_port": p.get("ToPort"),
        "cidrs": cidrs,
        "ipv6_cidrs": [r["CidrIpv6"] for r in p["Ipv6Ranges"]],
        # A pair names the group (GroupId; GroupName alone only for EC2-Classic, gone).
        "security_groups": [g["GroupId"] for g in p["UserIdGroupPairs"]],
        "prefix_lists": [pl for pl in pls if pl not in prefix_lists],
    }
    descs = [r.get("Description") for r in p["IpRanges"] if r.get("Description")]
    if descs:
        rule["description"] = "; ".join(descs)
    return rule
