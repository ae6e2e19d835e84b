"""The network of the example estate (DS-NET-*, DS-TST-001, DS-LOG-003): the VPCs with their
routes, peerings and flow logs, and the security groups that admit traffic to the stores.

Twins: prod-core's flow log records all traffic (DS-LOG-003 compliant), prod-internal has none
(violating, important data), test's records rejected traffic only; test-sandbox is peered with
prod-internal and admitted by the core database's group, never routed (links, not paths).
"""

from __future__ import annotations

from typing import Any

from bank_estate_builders import R1, P, T, asset


def domain(vpc, name, acct, cidr, tags, igw=False, routes=(), peerings=(), subnets=(),
           flow_logs=()) -> dict[str, Any]:
    return asset(
        id=f"arn:aws-cn:ec2:{R1}:{acct}:vpc/{vpc}",
        kind="network_domain",
        name=name,
        type="AWS::EC2::VPC",
        account=acct,
        region=R1,
        tags=tags,
        network={
            "vpc_id": vpc,
            "subnets": list(subnets),
            "cidrs": [cidr],
            "internet_gateway": igw,
            "routes": list(routes),
            "peerings": list(peerings),
            "security_groups": [],
            "flow_logs": list(flow_logs),
        },
    )


def flow_log(fid, traffic) -> dict[str, Any]:
    """A VPC flow log to the central log bucket (DS-LOG-003)."""
    return {"id": fid, "traffic_type": traffic, "destination_type": "s3",
            "destination": "arn:aws-cn:s3:::bank-flow-logs"}


def sg(sgid, vpc, acct, rules) -> dict[str, Any]:
    return asset(
        id=f"arn:aws-cn:ec2:{R1}:{acct}:security-group/{sgid}",
        kind="security_group",
        name=sgid,
        type="AWS::EC2::SecurityGroup",
        account=acct,
        region=R1,
        network={"vpc_id": vpc, "ingress": rules},
    )


def tcp(port, cidrs, desc="") -> dict[str, Any]:
    return {
        "protocol": "tcp",
        "from_port": port,
        "to_port": port,
        "cidrs": cidrs,
        "description": desc,
    }


def network_domains() -> list[dict[str, Any]]:
    return [
        domain(
            "vpc-0a1core",
            "prod-core",
            P,
            "10.10.0.0/16",
            {"dsscan:level": "core", "environment": "production"},
            routes=[{"destination": "10.20.0.0/16", "target": "pcx-0core2int"}],
            peerings=[{"id": "pcx-0core2int", "peer_vpc_id": "vpc-0a2int", "status": "active"}],
            flow_logs=[flow_log("fl-0core", "ALL")],  # DS-LOG-003 compliant twin
        ),
        domain(
            "vpc-0a2int",
            "prod-internal",
            P,
            "10.20.0.0/16",
            {"dsscan:level": "important", "environment": "production"},
            routes=[
                {"destination": "10.10.0.0/16", "target": "pcx-0core2int"},
                {"destination": "10.30.0.0/16", "target": "pcx-0test2int"},
            ],
            peerings=[
                {"id": "pcx-0core2int", "peer_vpc_id": "vpc-0a1core", "status": "active"},
                {
                    "id": "pcx-0test2int",
                    "peer_vpc_id": "vpc-0b1test",
                    "peer_account": T,
                    "status": "active",
                },
                # accepted for a migration, never routed: a link, no path today (DS-NET-002,
                # DS-TST-001)
                {"id": "pcx-0sbx2int", "peer_vpc_id": "vpc-0b3sbx", "peer_account": T,
                 "status": "active"},
            ],
            # no flow logs: DS-LOG-003 violating twin (important data)
        ),
        domain(
            "vpc-0a3dmz",
            "prod-dmz",
            P,
            "10.40.0.0/16",
            {"dsscan:level": "general", "environment": "production"},
            igw=True,
            routes=[{"destination": "0.0.0.0/0", "target": "igw-0dmz"}],
        ),
        domain("vpc-0a4ana", "analytics", P, "10.50.0.0/16", {"environment": "production"},
               flow_logs=[flow_log("fl-0ana", "ALL")]),
        domain(
            "vpc-0b1test",
            "test",
            T,
            "10.30.0.0/16",
            {"dsscan:level": "sensitive", "environment": "test"},
            routes=[{"destination": "10.20.0.0/16", "target": "pcx-0test2int"}],
            peerings=[
                {"id": "pcx-0test2int", "peer_vpc_id": "vpc-0a2int", "peer_account": P,
                 "status": "active"}
            ],
            flow_logs=[flow_log("fl-0test", "REJECT")],  # DS-LOG-003: rejected traffic only
        ),
        domain(
            "vpc-0b2iso",
            "test-isolated",
            T,
            "10.60.0.0/16",
            {"dsscan:level": "sensitive", "environment": "test"},
            flow_logs=[flow_log("fl-0iso", "ACCEPT"), flow_log("fl-0iso-rej", "REJECT")],
        ),
        # A sandbox with no data: peered with prod-internal (no route), and admitted by a rule
        # of the core database's group (no route either). Links, not paths: findings one level
        # lower.
        domain(
            "vpc-0b3sbx",
            "test-sandbox",
            T,
            "10.80.0.0/16",
            {"dsscan:level": "general", "environment": "test"},
            peerings=[{"id": "pcx-0sbx2int", "peer_vpc_id": "vpc-0a2int", "peer_account": P,
                       "status": "active"}],
        ),
    ]


def security_groups() -> list[dict[str, Any]]:
    return [
        sg(
            "sg-0coredb",
            "vpc-0a1core",
            P,
            [
                tcp(5432, ["10.10.0.0/16"], "core apps"),
                tcp(5432, ["10.20.0.0/16"], "reporting from prod-internal"),
                tcp(5432, ["10.80.0.0/16"], "sandbox load test, never routed"),
            ],
        ),
        sg(
            "sg-0profile",
            "vpc-0a2int",
            P,
            [tcp(5432, ["10.20.0.0/16"]), tcp(5432, ["10.30.0.0/16"], "test data refresh")],
        ),
        sg("sg-0cache", "vpc-0a3dmz", P, [tcp(6379, ["0.0.0.0/0"], "temporary debug")]),
        sg("sg-0hrshare", "vpc-0a2int", P, [tcp(2049, ["10.20.0.0/16"])]),
        sg("sg-0wh", "vpc-0a4ana", P, [tcp(5439, ["10.50.0.0/16"])]),
        sg("sg-0testdb", "vpc-0b1test", T, [tcp(5432, ["10.30.0.0/16"])]),
        sg("sg-0isodb", "vpc-0b2iso", T, [tcp(5432, ["10.60.0.0/16"])]),
    ]
