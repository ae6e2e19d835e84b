"""Links without routes (DS-NET-002, DS-TST-001) and VPC flow logs (DS-LOG-003): one small
estate, five descriptions, the same verdicts — a Terraform plan, a Pulumi program (under the
SDK's mocks), its recorded export and preview, and the estate provisioned into moto and read
by the live AWS scanner (moto serves every call here: peerings, routes, security groups,
DescribeFlowLogs).

The estate (tests/fixtures/pulumi/links/__main__.py says why each is what it is): prod (core)
admits the test network's range with no peering or route; internal (important) is peered
with test without routes and admits a partner's public range with no internet gateway;
analytics (sensitive) logs rejected traffic only; prod logs ALL.

Only the three policies of this family are compared: the two databases also draw the
findings other policies pin elsewhere (tests/test_parity.py).
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from aws_support import fake_env
from moto import mock_aws
from parity_estate import _session
from parity_support import pulumi_inventory, record_program

from dsscan.config import Config
from dsscan.inventory import Inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

ACCOUNT, REGION = "111111111111", "cn-north-1"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROGRAM = FIXTURES / "pulumi" / "links"
PLAN = FIXTURES / "terraform" / "links-plan.json"
POLICIES = {"DS-NET-002", "DS-TST-001", "DS-LOG-003"}

EXPECTED = {
    # a rule admitting test's range into prod: no peering, no route
    ("DS-NET-002", "prod", "lower_domain_link", "important"),
    ("DS-TST-001", "prod", "linked_no_route", "important"),
    # the peering internal <-> test without a route either way, seen from both sides
    ("DS-NET-002", "internal", "lower_domain_link", "sensitive"),
    ("DS-TST-001", "internal", "linked_no_route", "sensitive"),
    ("DS-TST-001", "test", "linked_no_route", "sensitive"),
    # a public range admitted where no internet gateway is routed
    ("DS-NET-002", "internal", "internet_link", "sensitive"),
    # flow logs: none on internal (important data), REJECT only on analytics (sensitive)
    ("DS-LOG-003", "internal", "no_flow_logs", "important"),
    ("DS-LOG-003", "analytics", "partial_flow_logs", "sensitive"),
}


def verdicts(inv: Inventory) -> tuple[set[tuple[str, str, str, str]], set[tuple[str, str]]]:
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    found = {(f.policy_id, f.asset_name or f.asset_id, f.key, f.level)
             for f in result.findings if f.policy_id in POLICIES}
    # what this family could not judge: its policies' not-assessed items, and gaps on the
    # facets they read
    gaps = {(names.get(n.asset_id or "", n.asset_id or ""), n.policy_id or n.reason)
            for n in result.not_assessed
            if n.policy_id in POLICIES or n.reason.startswith(("network:", "logging:"))
            or (n.policy_id is None and n.asset_id is None)}
    return found, gaps


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def provision() -> None:
    """The estate of tests/fixtures/pulumi/links, with boto3."""
    s = _session(boto3.Session(region_name=REGION))  # the account the sweep assumes into
    ec2, rds, s3 = s.client("ec2"), s.client("rds"), s.client("s3")
    s3.create_bucket(Bucket="bank-flow-logs",
                     CreateBucketConfiguration={"LocationConstraint": REGION})

    def vpc(name: str, cidr: str, level: str, env: str) -> str:
        return ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{
            "ResourceType": "vpc", "Tags": _tags({"Name": name, "dsscan:level": level,
                                                  "environment": env})}])["Vpc"]["VpcId"]

    def db(name: str, level: str, v: str, subnets: list[tuple[str, str]], port: int,
           cidr: str) -> None:
        ids = [ec2.create_subnet(VpcId=v, CidrBlock=c, AvailabilityZone=f"{REGION}{az}")[
            "Subnet"]["SubnetId"] for c, az in subnets]
        g = ec2.create_security_group(GroupName=name, Description=name, VpcId=v)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": cidr}]}])
        rds.create_db_subnet_group(DBSubnetGroupName=f"{name}-db",
                                   DBSubnetGroupDescription=name, SubnetIds=ids)
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres",
                               DBInstanceClass="db.t3.medium", AllocatedStorage=20,
                               MasterUsername="bank", MasterUserPassword="not-a-secret-1",
                               StorageEncrypted=True, BackupRetentionPeriod=7,
                               DBSubnetGroupName=f"{name}-db", VpcSecurityGroupIds=[g],
                               PubliclyAccessible=False,
                               Tags=_tags({"dsscan:level": level, "environment": "production"}))

    def flow_log(v: str, traffic: str) -> None:
        ec2.create_flow_logs(ResourceIds=[v], ResourceType="VPC", TrafficType=traffic,
                             LogDestinationType="s3",
                             LogDestination="arn:aws-cn:s3:::bank-flow-logs")

    prod = vpc("prod", "10.0.0.0/16", "core", "production")
    test = vpc("test", "10.30.0.0/16", "general", "test")
    internal = vpc("internal", "10.40.0.0/16", "important", "production")
    analytics = vpc("analytics", "10.50.0.0/16", "sensitive", "production")
    db("ledger", "core", prod, [("10.0.1.0/24", "a"), ("10.0.2.0/24", "b")], 5432,
       "10.30.0.0/16")
    db("payments", "important", internal, [("10.40.1.0/24", "a"), ("10.40.2.0/24", "b")],
       443, "203.0.113.0/24")
    pcx = ec2.create_vpc_peering_connection(VpcId=internal, PeerVpcId=test)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    flow_log(prod, "ALL")
    flow_log(analytics, "REJECT")


@pytest.fixture(scope="module")
def live() -> Inventory:
    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        with mock_aws():
            provision()
            return sweep(SweepOptions(regions=[REGION], accounts=[ACCOUNT], role_name="parity",
                                      services=["network", "rds", "s3"]))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict[str, Path]:
    return record_program(tmp_path_factory, PROGRAM)


def test_terraform_plan_gives_the_expected_links_and_flow_log_findings():
    inv = build_inventory(read_plan(str(PLAN)), tool="terraform", files=[str(PLAN)])
    assert verdicts(inv) == (EXPECTED, set())


@pytest.mark.slow
def test_the_estate_in_moto_gives_the_same_findings(live):
    domains = {a["name"]: a["network"] for a in live.assets if a["kind"] == "network_domain"}
    assert domains["prod"]["flow_logs"][0]["traffic_type"] == "ALL"
    assert domains["internal"]["flow_logs"] == []
    assert verdicts(live) == (EXPECTED, set())


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi_descriptions_give_the_same_findings(source, recorded):
    inv = pulumi_inventory(source, PROGRAM, recorded)
    assert verdicts(inv) == (EXPECTED, set())
