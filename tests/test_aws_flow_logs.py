"""VPC flow logs read by the live network collector (DS-LOG-003), against moto: which logs
record a VPC's traffic, and that an unreadable listing leaves them unknown (null, a logging
gap on each VPC), never "none"."""

from __future__ import annotations

import json

import boto3
import pytest
from aws_support import REGION, act_as_user_denied, by_name, fake_env, vpc_with_subnets
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from dsscan.inventory import parse_inventory
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # a moto estate and a sweep per test


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


def scan():
    inv = sweep(SweepOptions(regions=[REGION], services=["network"]))
    parse_inventory(json.loads(json.dumps(inv.to_document())), "scan")  # a valid inventory
    return inv


def test_vpc_flow_logs_are_read_onto_their_domain_and_subnet_logs_do_not_count():
    ec2 = boto3.client("ec2", region_name=REGION)
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="flow-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    core, core_subnets = vpc_with_subnets(ec2, "10.10.0.0/16", "prod-core", "core")
    _, dmz_subnets = vpc_with_subnets(ec2, "10.40.0.0/16", "prod-dmz", "general")
    vpc_with_subnets(ec2, "10.50.0.0/16", "analytics", "sensitive")
    [fl] = ec2.create_flow_logs(ResourceIds=[core], ResourceType="VPC", TrafficType="ALL",
                                LogDestinationType="s3",
                                LogDestination="arn:aws-cn:s3:::flow-logs")["FlowLogIds"]
    [cw] = ec2.create_flow_logs(
        ResourceIds=[core], ResourceType="VPC", TrafficType="REJECT",
        LogGroupName="/vpc/core", DeliverLogsPermissionArn="arn:aws-cn:iam::123456789012:role/fl",
    )["FlowLogIds"]
    # A log on one subnet of the DMZ records part of its traffic only.
    ec2.create_flow_logs(ResourceIds=[dmz_subnets[0]], ResourceType="Subnet", TrafficType="ALL",
                         LogDestinationType="s3", LogDestination="arn:aws-cn:s3:::flow-logs")
    inv = scan()
    logs = by_name(inv, "prod-core", "network_domain")["network"]["flow_logs"]
    assert sorted(logs, key=lambda x: x["traffic_type"]) == [
        {"id": fl, "traffic_type": "ALL", "destination_type": "s3",
         "destination": "arn:aws-cn:s3:::flow-logs"},
        {"id": cw, "traffic_type": "REJECT", "destination_type": "cloud-watch-logs",
         "destination": "/vpc/core"}]
    assert by_name(inv, "prod-dmz", "network_domain")["network"]["flow_logs"] == []
    assert by_name(inv, "analytics", "network_domain")["network"]["flow_logs"] == []
    assert core_subnets  # (the subnets exist: the VPC is a domain of subnets too)


@set_initial_no_auth_action_count(3)
def test_unreadable_flow_logs_are_unknown_and_a_logging_gap(monkeypatch):
    act_as_user_denied(monkeypatch, ["ec2:DescribeFlowLogs"])
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc_with_subnets(ec2, "10.10.0.0/16", "prod-core", "core")
    d = by_name(scan(), "prod-core", "network_domain")
    assert d["network"]["flow_logs"] is None
    assert d["assessment"] == {"status": "partial", "gaps": [
        {"aspect": "logging", "reason": "ec2:DescribeFlowLogs AccessDenied"}]}
    # everything else about the network was read
    assert d["network"]["cidrs"] == ["10.10.0.0/16"]
