"""DS-LOG-001: what an audit log records, one estate in four descriptions with the same
verdicts — a Pulumi program (tests/fixtures/pulumi/audit_settings, run under the SDK's mocks),
its stack export and preview (recorded at test time), a Terraform plan (provider v5 shapes,
option and parameter groups by reference, a cluster naming no parameter group) and the estate
provisioned into moto, read by the live scanner.

moto holds option settings, Redshift logging to S3 and to CloudWatch Logs, but not the values
of a Redshift parameter group (it always answers the defaults, and has no
ModifyClusterParameterGroup): aud-activity's enable_user_activity_logging=true is written into
moto's DescribeClusterParameters reply by a botocore hook (tests/aws_support.ClientHooks), the
one answer moto cannot give.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from aws_support import REGION, ClientHooks, bucket, fake_env
from parity_support import pulumi_inventory, record_program

from dsscan.config import Config
from dsscan.inventory import Inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.terraform import read_plan

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROGRAM = FIXTURES / "pulumi" / "audit_settings"
PLAN = FIXTURES / "terraform" / "audit-settings-plan.json"

STORES = {"aud-db-connect", "aud-db-no-select", "aud-db-query", "aud-dw-default",
          "aud-dw-connections", "aud-dw-activity"}
# DS-LOG-001 and its reason; aud-db-query (DML with reads) and aud-dw-activity (user activity
# logged and exported) pass.
MESSAGES = {
    "aud-db-connect": "its audit log is off", "aud-db-no-select": "its audit log is off",
    "aud-dw-default": "its audit log is off",
    "aud-dw-connections": "its audit log is enabled but not exported to CloudWatch Logs or S3",
}


def verdicts(inv: Inventory) -> tuple[dict[str, str], set[str], set[str]]:
    """(store -> DS-LOG-001's reason, stores not assessed, stores of the estate)."""
    result = run_scan(inv, load_library(), ScanOptions(config=Config(), include=("DS-LOG-001",)))
    names = {a["id"]: a["name"] for a in inv.assets}
    found = {f.asset_name or "": f.message.split(": ", 1)[1].removesuffix(" (Art. 43).")
             for f in result.findings}
    unknown = {names.get(n.asset_id or "", "") for n in result.not_assessed}
    return found, unknown, {a["name"] for a in inv.assets if a["name"] in STORES}


def _check(inv: Inventory) -> None:
    found, unknown, present = verdicts(inv)
    assert present == STORES
    assert found == MESSAGES
    assert unknown == set()


def test_terraform_plan() -> None:
    _check(build_inventory(read_plan(str(PLAN)), tool="terraform", files=[str(PLAN)]))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict[str, Path]:
    return record_program(tmp_path_factory, PROGRAM)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["program", "export", "preview"])
def test_pulumi_program_export_and_preview(source: str, recorded: dict[str, Path]) -> None:
    _check(pulumi_inventory(source, PROGRAM, recorded))


def provision() -> None:
    rds = boto3.client("rds", region_name=REGION)
    for group, events in (("aud-connect", "CONNECT"),
                          ("aud-no-select", "CONNECT,QUERY_DML_NO_SELECT"),
                          ("aud-query", "CONNECT,QUERY_DML")):
        rds.create_option_group(OptionGroupName=group, EngineName="mysql",
                                MajorEngineVersion="8.0", OptionGroupDescription=group)
        rds.modify_option_group(OptionGroupName=group, ApplyImmediately=True, OptionsToInclude=[{
            "OptionName": "MARIADB_AUDIT_PLUGIN",
            "OptionSettings": [{"Name": "SERVER_AUDIT_EVENTS", "Value": events}]}])
        rds.create_db_instance(
            DBInstanceIdentifier="aud-db-" + group.removeprefix("aud-"), Engine="mysql",
            DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin1",
            MasterUserPassword="password1", OptionGroupName=group, StorageEncrypted=True,
            PubliclyAccessible=False, EnableCloudwatchLogsExports=["audit"],
            Tags=[{"Key": "dsscan:level", "Value": "important"},
                  {"Key": "environment", "Value": "production"}])
    bucket("rs-audit", tags={"dsscan:level": "general", "environment": "production"})
    rs = boto3.client("redshift", region_name=REGION)
    rs.create_cluster_parameter_group(ParameterGroupName="aud-activity",
                                      ParameterGroupFamily="redshift-1.0",
                                      Description="user activity logging (see _activity_on)")
    for name, group, logging in (
            ("aud-dw-default", None, {"BucketName": "rs-audit"}),
            ("aud-dw-connections", "aud-activity", {
                "LogDestinationType": "cloudwatch", "LogExports": ["connectionlog", "userlog"]}),
            ("aud-dw-activity", "aud-activity", {
                "LogDestinationType": "cloudwatch",
                "LogExports": ["connectionlog", "useractivitylog"]})):
        rs.create_cluster(ClusterIdentifier=name, NodeType="ra3.xlplus", ClusterType="single-node",
                          MasterUsername="dbadmin", MasterUserPassword="Password1",
                          Encrypted=True, PubliclyAccessible=False,
                          **({"ClusterParameterGroupName": group} if group else {}),
                          Tags=[{"Key": "dsscan:level", "Value": "important"},
                                {"Key": "environment", "Value": "production"}])
        rs.enable_logging(ClusterIdentifier=name, **logging)


def _asked_for(params: dict, context: dict, **_: object) -> None:
    context["parameter_group"] = params.get("ParameterGroupName")


def _activity_on(parsed: dict, context: dict, **_: object) -> None:
    """What AWS would answer for aud-activity once ModifyClusterParameterGroup set it."""
    if context.get("parameter_group") == "aud-activity":
        for p in parsed.get("Parameters") or []:
            if p.get("ParameterName") == "enable_user_activity_logging":
                p["ParameterValue"] = "true"


@pytest.mark.slow
def test_the_estate_in_moto() -> None:
    from moto import mock_aws

    op = "redshift.DescribeClusterParameters"
    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        with mock_aws():
            provision()
            with ClientHooks((f"provide-client-params.{op}", _asked_for),
                             (f"after-call.{op}", _activity_on)):
                inv = sweep(SweepOptions(regions=[REGION], services=["rds", "redshift", "s3"]))
    assert inv.gaps == []
    _check(inv)
