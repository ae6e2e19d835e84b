"""VPCs as network domains — subnets, route tables and routes, internet gateways, peerings,
flow logs (flow_logs.py) —
and security groups with their rules (inline, aws_security_group_rule,
aws_vpc_security_group_ingress_rule, managed prefix lists)."""

from __future__ import annotations

from typing import Any

from dsscan.scanners.iac.flow_logs import vpc_flow_logs
from dsscan.scanners.iac.plan import Target
from dsscan.scanners.iac.resources import IacResource, Unknown, configured, is_unknown
from dsscan.scanners.iac.values import as_bool, as_int, as_str, blocks

Asset = dict[str, Any]

ROUTE_TARGETS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("vpc_peering_connection_id", ("aws_vpc_peering_connection",), "pcx-"),
    ("transit_gateway_id", (), "tgw-"),
    ("gateway_id", ("aws_internet_gateway",), "igw-"),
    ("nat_gateway_id", ("aws_nat_gateway",), "nat-"),
    ("egress_only_gateway_id", (), "eigw-"),
    ("network_interface_id", (), "eni-"),
)


def _opens(route: dict[str, Any]) -> bool:
    """Whether a route may open a path into the VPC: any target but NAT, egress-only
    gateways and the VPC itself (those carry traffic out only)."""
    for attr in ("nat_gateway_id", "egress_only_gateway_id"):
        if configured(route.get(attr)) not in (None, ""):
            return False
    return route.get("gateway_id") != "local"


class NetworkMapping:
    """The network half of the mapping (mixed into mapping.Mapper, which provides ``plan``,
    ``asset``, ``gap``, ``net_key`` and ``sg_key``)."""

    plan: Any
    assets: dict[str, Asset]
    linked: Any

    def vpc(self, r: IacResource) -> None:
        tags = r.values.get("tags") if isinstance(r.values.get("tags"), dict) else {}
        a = self.asset(r, "network_domain", str(tags.get("Name") or r.name))
        key = self.net_key(r)
        subnets, _ = self.linked(a, r, ("aws_subnet",), ("vpc_id",), aspect="network",
                                 what="be a subnet of {target}")
        cidrs = [c for c in (r.values.get("cidr_block"), r.values.get("ipv6_cidr_block"))
                 if isinstance(c, str) and c]
        if is_unknown(r.values.get("cidr_block")):
            self.gap(a, "network", "cidr_block", r.values["cidr_block"])
        routes = self._routes(a, r)
        # An internet gateway whose VPC is unknown cannot make a domain weaker: a route to
        # any igw-… target already counts as a route to the internet (relations.py).
        igws, _ = self.linked(a, r, ("aws_internet_gateway",), ("vpc_id",), aspect="network",
                              what="be attached to {target}", weakens=lambda _: False)
        atts, _ = self.linked(a, r, ("aws_internet_gateway_attachment",), ("vpc_id",),
                              aspect="network", what="be attached to {target}",
                              weakens=lambda _: False)
        igws += [g for att in atts if isinstance(g := self.plan.ref(
            att, "internet_gateway_id", "aws_internet_gateway"), IacResource)]
        igw_targets = {self._target("igw-", g) for g in igws}
        a["network"] = {
            "vpc_id": key, "subnets": sorted(k for s in subnets if (k := self.net_key(s))),
            "cidrs": cidrs,
            "internet_gateway": any(rt["target"] in igw_targets for rt in routes),
            "routes": routes, "peerings": self._peerings(a, r), "security_groups": [],
            "flow_logs": vpc_flow_logs(self, a, r),
        }

    def _routes(self, a: Asset, vpc: IacResource) -> list[dict[str, str]]:
        tables, _ = self.linked(a, vpc, ("aws_route_table", "aws_default_route_table"),
                                ("vpc_id", "default_route_table_id"), aspect="network",
                                what="be a route table of {target}",
                                weakens=lambda t: any(_opens(rt) for rt in blocks(t.values,
                                                                                   "route")))
        routes: dict[tuple[str, str], dict[str, str]] = {}
        cidr = vpc.values.get("cidr_block")
        if isinstance(cidr, str):
            routes[(cidr, "local")] = {"destination": cidr, "target": "local"}
        for t in tables:
            for rt in blocks(t.values, "route"):
                self._add_route(routes, t, rt, "route")
        # Routes of its tables, and of its main table (route_table_id =
        # aws_vpc.x.main_route_table_id); a route whose table cannot be told may be any's.
        for t in [*tables, vpc]:
            own, _ = self.linked(a, t, ("aws_route",), ("route_table_id",), aspect="network",
                                 what="be a route of {target}", weakens=lambda x: _opens(x.values))
            for rt in own:
                self._add_route(routes, rt, rt.values, None)
        return [routes[k] for k in sorted(routes)]

    def _add_route(self, routes: dict[tuple[str, str], dict[str, str]], owner: IacResource,
                   rt: dict[str, Any], block: str | None) -> None:
        dest = as_str(rt.get("cidr_block") or rt.get("destination_cidr_block")
                    or rt.get("ipv6_cidr_block") or rt.get("destination_ipv6_cidr_block"))
        if dest is None:
            return
        for attr, types, prefix in ROUTE_TARGETS:
            v = rt.get(attr)
            if v is None or v == "":
                continue
            t: Target = v
            if block is None:
                t = self.plan.ref(owner, attr, *types)
            elif isinstance(v, str):
                t = self.plan.find_by_value(v, types) or v
            else:  # unknown inside an inline block: the table's references tell
                hits = list(dict.fromkeys(
                    x for ref in self.plan.refs_of(owner, f"{block}.{attr}")
                    for x in self.plan.resolve(ref) if x.type in types))
                t = hits[0] if len(hits) == 1 else v
            if attr == "gateway_id" and isinstance(t, str) and t == "local":
                return
            routes[(dest, self._target(prefix, t))] = {"destination": dest,
                                                       "target": self._target(prefix, t)}
            return

    def _target(self, prefix: str, t: Target) -> str:
        """A route target as relations know them: igw-…, pcx-…, tgw-…, nat-…."""
        key = self.net_key(t) if not is_unknown(t) else None
        if key is None:
            return f"{prefix}(unknown)"
        return key if key.startswith(prefix) else f"{prefix}({key})"

    def _peerings(self, a: Asset, vpc: IacResource) -> list[dict[str, Any]]:
        out = []
        for path in ("vpc_id", "peer_vpc_id"):  # one side may be known, the other not
            self.linked(a, vpc, ("aws_vpc_peering_connection",), (path,), aspect="network",
                        what="connect {target} (a peering)")
        for p in self.plan.of_type("aws_vpc_peering_connection"):
            mine = self.plan.ref(p, "vpc_id", "aws_vpc")
            peer = self.plan.ref(p, "peer_vpc_id", "aws_vpc")
            if mine is vpc:
                other, acct, region = peer, p.values.get("peer_owner_id"), \
                    p.values.get("peer_region")
            elif peer is vpc:
                other, acct, region = mine, p.account, p.region
            else:
                continue
            accepters, _ = self.linked(
                a, p, ("aws_vpc_peering_connection_accepter",), ("vpc_peering_connection_id",),
                aspect="network", what="accept {target}",
                weakens=lambda x: as_bool(x.values.get("auto_accept")) is not False)
            accepted = as_bool(p.values.get("auto_accept")) is True or any(
                as_bool(x.values.get("auto_accept")) is True for x in accepters)
            other_key = self.net_key(other) if not is_unknown(other) else None
            if other_key is None:
                continue
            out.append({"id": self._target("pcx-", p), "peer_vpc_id": other_key,
                        "peer_account": acct if isinstance(acct, str) else None,
                        "peer_region": region if isinstance(region, str) else None,
                        "status": "active" if accepted else "pending-acceptance"})
        return sorted(out, key=lambda x: x["id"])

    def security_group(self, r: IacResource) -> None:
        a = self.asset(r, "security_group", as_str(r.values.get("name")) or r.name)
        vpc = self.plan.ref(r, "vpc_id", "aws_vpc")
        # An ingress rule that may be this group's leaves the group, and the domain it is in
        # (what DS-NET-002 judges), not assessed.
        domain = self.assets.get(vpc.address) if isinstance(vpc, IacResource) else None
        where = [a, domain] if domain is not None else a
        rules = [self._rule(a, r, b, "ingress") for b in blocks(r.values, "ingress")]
        standalone, _ = self.linked(where, r, ("aws_security_group_rule",),
                                    ("security_group_id",), aspect="network",
                                    what="add an ingress rule to {target}",
                                    weakens=lambda x: x.values.get("type") != "egress")
        for x in standalone:
            if x.values.get("type") == "ingress":
                rules.append(self._rule(a, x, x.values, None))
        ingress, _ = self.linked(where, r, ("aws_vpc_security_group_ingress_rule",),
                                 ("security_group_id",), aspect="network",
                                 what="add an ingress rule to {target}")
        for x in ingress:
            rules.append(self._vpc_rule(a, x))
        a["network"] = {"vpc_id": self.net_key(vpc) if not is_unknown(vpc) else None,
                        "ingress": rules}

    def _cidrs(self, a: Asset, value: Any, what: str) -> list[str]:
        value = configured(value) or []
        if is_unknown(value):
            self.gap(a, "network", what, value)
            return []
        vals = value if isinstance(value, list) else [value]
        out = [v for v in vals if isinstance(v, str) and v]
        if any(is_unknown(v) for v in vals):
            self.gap(a, "network", what, Unknown())
        return out

    def _prefix_lists(self, a: Asset, owner: IacResource, value: Any,
                      path: str | None) -> tuple[list[str], list[str]]:
        """(CIDRs of planned prefix lists, ids of the others)."""
        cidrs: list[str] = []
        ids: list[str] = []
        vals = value if isinstance(value, list) else ([value] if value else [])
        for v in vals:
            t: Target = self.plan.find_by_value(v, ("aws_ec2_managed_prefix_list",)) or v \
                if isinstance(v, str) else v
            if is_unknown(t) and path:
                hits = [x for ref in self.plan.refs_of(owner, path) for x in self.plan.resolve(ref)
                        if x.type == "aws_ec2_managed_prefix_list"]
                t = hits[0] if hits else t
            if isinstance(t, IacResource):
                cidrs += [c for e in blocks(t.values, "entry") if isinstance(c := e.get("cidr"),
                                                                           str)]
            elif isinstance(t, str):
                ids.append(t)
        return cidrs, ids

    def _rule(self, a: Asset, owner: IacResource, b: dict[str, Any],
              path: str | None) -> dict[str, Any]:
        pl_cidrs, pl_ids = self._prefix_lists(a, owner, configured(b.get("prefix_list_ids")),
                                              f"{path}.prefix_list_ids" if path else
                                              "prefix_list_ids")
        groups: list[str] = []
        if path is None:  # a standalone rule resource
            if configured(b.get("source_security_group_id")) is not None:
                t = self.plan.ref(owner, "source_security_group_id", "aws_security_group")
                if (k := self.sg_key(t)) is not None:
                    groups.append(k)
                elif is_unknown(t):
                    self.gap(a, "network", "source_security_group_id", t)
        else:  # an inline block: unknown elements are the groups the configuration names
            v = b.get("security_groups")
            vals = v if isinstance(v, list) else ([v] if v is not None else [])
            for g in vals:
                if isinstance(g, str) and g:
                    groups.append(self.sg_key(self.plan.find_by_value(g, ("aws_security_group",))
                                              or g) or g)
            if is_unknown(v) or any(not isinstance(g, str) for g in vals):
                refs = [x.address for ref in self.plan.refs_of(owner, f"{path}.security_groups")
                        for x in self.plan.resolve(ref) if x.type == "aws_security_group"]
                groups += [g for g in refs if g not in groups]
                if not refs:
                    self.gap(a, "network", "ingress security_groups", Unknown())
        if as_bool(b.get("self")) is True:
            groups.append(a["id"])
        rule: dict[str, Any] = {
            "protocol": str(b.get("protocol", "-1")),
            "from_port": as_int(b.get("from_port")), "to_port": as_int(b.get("to_port")),
            "cidrs": [*self._cidrs(a, b.get("cidr_blocks") or [], "cidr_blocks"), *pl_cidrs],
            "ipv6_cidrs": self._cidrs(a, b.get("ipv6_cidr_blocks") or [], "ipv6_cidr_blocks"),
            "security_groups": groups, "prefix_lists": pl_ids,
        }
        if as_str(b.get("description")):
            rule["description"] = b["description"]
        return rule

    def _vpc_rule(self, a: Asset, x: IacResource) -> dict[str, Any]:
        v = x.values
        pl_cidrs, pl_ids = self._prefix_lists(a, x, configured(v.get("prefix_list_id")),
                                              "prefix_list_id")
        ref = self.plan.ref(x, "referenced_security_group_id", "aws_security_group") \
            if configured(v.get("referenced_security_group_id")) is not None else None
        return {
            "protocol": str(v.get("ip_protocol", "-1")),
            "from_port": as_int(v.get("from_port")), "to_port": as_int(v.get("to_port")),
            "cidrs": [*self._cidrs(a, v.get("cidr_ipv4") or [], "cidr_ipv4"), *pl_cidrs],
            "ipv6_cidrs": self._cidrs(a, v.get("cidr_ipv6") or [], "cidr_ipv6"),
            "security_groups": [k] if (k := self.sg_key(ref)) else [],
            "prefix_lists": pl_ids,
        }
