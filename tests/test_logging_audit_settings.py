"""DS-LOG-001 (Art. 43): an audit log counts as a log of operations on data only when it records
reads and writes. Two wrong passes, fixed in the rules shared by the live and the IaC readers
(scanners/aws/audit_logs.py):

- MySQL/MariaDB: the ``MARIADB_AUDIT_PLUGIN`` option counted whatever it recorded; now its
  ``SERVER_AUDIT_EVENTS`` (unset: RDS's default ``CONNECT,QUERY``) must have ``QUERY`` or
  ``QUERY_DML``; connections, DDL, DCL, or writes without reads (``QUERY_DML_NO_SELECT``) are
  not enough;
- Redshift: audit logging counted as soon as it was on, though only the user activity log
  records operations on data; it is written only when the cluster's parameter group sets
  ``enable_user_activity_logging`` (AWS's default group: false) and, to CloudWatch Logs, only
  when ``useractivitylog`` is exported.

Live readers: moto serves option groups with their option settings (one sweep of a moto
estate, a table of cases); moto's Redshift ignores a parameter group's values (it always
answers the defaults) and has no ModifyClusterParameterGroup, so the Redshift table answers
the redshift client with botocore's Stubber. IaC: the same tables as Terraform resources and as
Pulumi spells them (plural blocks). The parity case (a Terraform plan, a Pulumi program, moto)
is tests/test_parity_audit_settings.py.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_support import REGION, bucket, by_name, fake_env
from botocore.stub import Stubber
from iac_resources import res

from dsscan.scanners.aws.audit_logs import (
    mariadb_audit_logs_data,
    redshift_audit,
    redshift_user_activity,
)
from dsscan.scanners.aws.clients import CallLog
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.iac.resources import UNTIL_APPLY

LEVEL = {"dsscan:level": "important"}

# -- the rules ---------------------------------------------------------------------------------

# (SERVER_AUDIT_EVENTS; None: not set) -> logs reads and writes
EVENTS = [
    (None, True),  # RDS's default: CONNECT,QUERY
    ("CONNECT,QUERY", True), ("QUERY", True), ("QUERY_DML", True),
    ("connect, query_dml", True), ("CONNECT,QUERY_DDL,QUERY_DML,QUERY_DCL", True),
    ("CONNECT", False), ("QUERY_DDL", False), ("QUERY_DCL", False),
    ("CONNECT,QUERY_DDL,QUERY_DCL", False),
    ("QUERY_DML_NO_SELECT", False),  # writes without reads
    ("CONNECT,QUERY_DML_NO_SELECT", False),
    ("", None), ("  ", None),  # set, no value: unknown
]


@pytest.mark.parametrize(("events", "logs"), EVENTS)
def test_mariadb_audit_events(events: str | None, logs: bool | None) -> None:
    settings = {} if events is None else {"SERVER_AUDIT_EVENTS": events}
    assert mariadb_audit_logs_data(settings) is logs


@pytest.mark.parametrize(("params", "on"), [
    ({}, False), ({"enable_user_activity_logging": "false"}, False),
    ({"enable_user_activity_logging": "true"}, True),
    ({"enable_user_activity_logging": "TRUE"}, True),
    ({"enable_user_activity_logging": "maybe"}, None),
])
def test_redshift_user_activity_parameter(params: dict[str, Any], on: bool | None) -> None:
    assert redshift_user_activity(params) is on


UA = {"type": "cloudwatch_logs", "log_group": "/aws/redshift/cluster/w/useractivitylog"}
S3 = {"type": "s3", "bucket": "logs"}

# (audit logging on, user activity parameter, destination type, LogExports) -> logging.audit
REDSHIFT = [
    (False, True, "s3", [], {"enabled": False, "destinations": []}),
    (True, False, "s3", [], {"enabled": False, "destinations": [S3]}),
    (True, True, "s3", [], {"enabled": True, "destinations": [S3]}),
    (True, None, "s3", [], {"enabled": None, "destinations": [S3]}),
    (True, True, "cloudwatch", ["connectionlog"], {"enabled": True, "destinations": []}),
    (True, True, "cloudwatch", ["connectionlog", "userlog"],
     {"enabled": True, "destinations": []}),
    (True, True, "cloudwatch", ["connectionlog", "useractivitylog"],
     {"enabled": True, "destinations": [UA]}),
    (True, False, "cloudwatch", ["useractivitylog"], {"enabled": False, "destinations": [UA]}),
    (True, True, "cloudwatch", None, {"enabled": True, "destinations": None}),
]


@pytest.mark.parametrize(("on", "activity", "dest", "exports", "audit"), REDSHIFT)
def test_redshift_audit(on: bool, activity: bool | None, dest: str, exports: list[str] | None,
                        audit: dict[str, Any]) -> None:
    assert redshift_audit(on, activity, dest, exports, "logs", "w") == audit


@pytest.mark.parametrize(("setting", "logs"), [
    ({"Name": "SERVER_AUDIT_EVENTS", "Value": "CONNECT"}, False),
    ({"Name": "SERVER_AUDIT_EVENTS", "Value": "CONNECT,QUERY", "DefaultValue": "CONNECT,QUERY"},
     True),
    # listed with its default only, or with nothing: the default, CONNECT,QUERY
    ({"Name": "SERVER_AUDIT_EVENTS", "DefaultValue": "CONNECT,QUERY"}, True),
    ({"Name": "SERVER_AUDIT_EVENTS"}, True),
    ({"Name": "SERVER_AUDIT_EVENTS", "Value": "QUERY_DDL", "DefaultValue": "CONNECT,QUERY"},
     False),
    ({"Name": "server_audit_events", "Value": "query"}, True),
    ({"Name": "SERVER_AUDIT_EVENTS", "Value": ""}, None),
])
def test_option_settings_as_described(setting: dict[str, Any], logs: bool | None) -> None:
    from dsscan.scanners.aws.audit_logs import mariadb_audit_in_options, option_settings

    option = {"OptionName": "MARIADB_AUDIT_PLUGIN", "OptionSettings": [setting]}
    assert mariadb_audit_in_options({"MARIADB_AUDIT_PLUGIN": option_settings(option)}) is logs


# -- live: MySQL/MariaDB option groups in moto ---------------------------------------------------

# (instance, engine, the audit plugin's option settings (None: no plugin option; "default": no
# custom option group), logging.audit.enabled)
OPTION_CASES = [
    ("default-group", "mysql", "default", False),
    ("no-plugin", "mysql", None, False),
    ("plugin-defaults", "mysql", {}, True),
    ("connect-query", "mysql", {"SERVER_AUDIT_EVENTS": "CONNECT,QUERY"}, True),
    ("connect", "mysql", {"SERVER_AUDIT_EVENTS": "CONNECT"}, False),
    ("dml", "mysql", {"SERVER_AUDIT_EVENTS": "CONNECT,QUERY_DML"}, True),
    ("dml-no-select", "mysql", {"SERVER_AUDIT_EVENTS": "QUERY_DML_NO_SELECT"}, False),
    ("ddl-dcl", "mysql", {"SERVER_AUDIT_EVENTS": "QUERY_DDL,QUERY_DCL"}, False),
    ("maria-connect", "mariadb", {"SERVER_AUDIT_EVENTS": "CONNECT"}, False),
    ("maria-query", "mariadb", {"SERVER_AUDIT_EVENTS": "QUERY"}, True),
]


@pytest.fixture(scope="module")
def option_estate() -> Any:
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        with mock_aws():
            rds = boto3.client("rds", region_name=REGION)
            for ident, engine, settings, _ in OPTION_CASES:
                extra: dict[str, Any] = {}
                if settings != "default":
                    version = "8.0" if engine == "mysql" else "10.6"
                    rds.create_option_group(OptionGroupName=ident, EngineName=engine,
                                            MajorEngineVersion=version,
                                            OptionGroupDescription=ident)
                    if settings is not None:
                        rds.modify_option_group(OptionGroupName=ident, ApplyImmediately=True,
                                                OptionsToInclude=[{
                            "OptionName": "MARIADB_AUDIT_PLUGIN", "OptionSettings": [
                                {"Name": k, "Value": v} for k, v in settings.items()]}])
                    extra["OptionGroupName"] = ident
                rds.create_db_instance(  # (moto knows no default MariaDB version)
                    DBInstanceIdentifier=ident, Engine=engine, DBInstanceClass="db.t3.micro",
                    EngineVersion="8.0.39" if engine == "mysql" else "10.6.18",
                    AllocatedStorage=20, MasterUsername="admin1", MasterUserPassword="password1",
                    EnableCloudwatchLogsExports=["audit"], Tags=[{"Key": "dsscan:level",
                                                                  "Value": "important"}],
                    **extra)
            log = CallLog()
            inv = sweep(SweepOptions(regions=[REGION], services=["rds"]), log)
    return inv, log


@pytest.mark.parametrize(("ident", "engine", "settings", "enabled"), OPTION_CASES,
                         ids=[c[0] for c in OPTION_CASES])
def test_live_option_groups(option_estate: Any, ident: str, engine: str, settings: Any,
                            enabled: bool) -> None:
    inv, _ = option_estate
    a = by_name(inv, ident)
    assert a["logging"]["audit"] == {"enabled": enabled, "destinations": [
        {"type": "cloudwatch_logs", "log_group": f"/aws/rds/instance/{ident}/audit"}]}
    assert not [g for g in a["assessment"]["gaps"] if g["aspect"] == "logging"]


def test_live_option_groups_read_once_each(option_estate: Any) -> None:
    inv, log = option_estate
    assert inv.gaps == []
    # one per custom group; AWS's default groups are not read (nothing turns auditing on)
    assert log.counts[("rds", "DescribeOptionGroups")] == len(
        [c for c in OPTION_CASES if c[2] != "default"])


# -- live: Redshift, the parameter group answered by botocore's Stubber -------------------------

DENIED = "AccessDenied"

# (logging status, the cluster's parameter group, its parameters (or an error code), apply
# status of the group, logging.audit, logging gap)
RS_S3 = {"LoggingEnabled": True, "LogDestinationType": "s3", "BucketName": "logs"}


def _cw(*exports: str) -> dict[str, Any]:
    return {"LoggingEnabled": True, "LogDestinationType": "cloudwatch",
            "LogExports": list(exports)}


ON = [{"ParameterName": "enable_user_activity_logging", "ParameterValue": "true"}]
OFF = [{"ParameterName": "enable_user_activity_logging", "ParameterValue": "false"}]
WH_UA = {"type": "cloudwatch_logs", "log_group": "/aws/redshift/cluster/warehouse/useractivitylog"}
WH_S3 = {"type": "s3", "bucket": "logs"}
REDSHIFT_LIVE = [
    ("off", {"LoggingEnabled": False}, "audit", ON, "in-sync",
     {"enabled": False, "destinations": []}, False),
    ("s3, default group", RS_S3, "default.redshift-1.0", OFF, "in-sync",
     {"enabled": False, "destinations": [WH_S3]}, False),
    ("s3, group on", RS_S3, "audit", ON, "in-sync",
     {"enabled": True, "destinations": [WH_S3]}, False),
    ("s3, group off", RS_S3, "audit", OFF, "in-sync",
     {"enabled": False, "destinations": [WH_S3]}, False),
    ("s3, group silent", RS_S3, "audit", [], "in-sync",
     {"enabled": False, "destinations": [WH_S3]}, False),
    ("s3, group unreadable", RS_S3, "audit", DENIED, "in-sync",
     {"enabled": None, "destinations": [WH_S3]}, True),
    ("s3, on but pending reboot", RS_S3, "audit", ON, "pending-reboot",
     {"enabled": None, "destinations": [WH_S3]}, True),
    ("cloudwatch, connections only", _cw("connectionlog"), "audit", ON, "in-sync",
     {"enabled": True, "destinations": []}, False),
    ("cloudwatch, connections and users", _cw("connectionlog", "userlog"), "audit", ON,
     "in-sync", {"enabled": True, "destinations": []}, False),
    ("cloudwatch, user activity", _cw("connectionlog", "useractivitylog"), "audit", ON,
     "in-sync", {"enabled": True, "destinations": [WH_UA]}, False),
    ("cloudwatch, user activity, group off", _cw("useractivitylog"), "audit", OFF, "in-sync",
     {"enabled": False, "destinations": [WH_UA]}, False),
]


@pytest.mark.parametrize(("status", "group", "params", "apply", "audit", "gap"),
                         [c[1:] for c in REDSHIFT_LIVE], ids=[c[0] for c in REDSHIFT_LIVE])
def test_live_redshift(monkeypatch: Any, status: dict[str, Any], group: str, params: Any,
                       apply: str, audit: dict[str, Any], gap: bool) -> None:
    from moto import mock_aws

    fake_env(monkeypatch)
    with mock_aws():
        client = boto3.client("redshift", region_name=REGION)
        stub = Stubber(client)
        stub.add_response("describe_clusters", {"Clusters": [{
            "ClusterIdentifier": "warehouse", "Encrypted": True, "PubliclyAccessible": False,
            "VpcSecurityGroups": [], "AutomatedSnapshotRetentionPeriod": 1,
            "Tags": [{"Key": "dsscan:level", "Value": "important"}],
            "ClusterParameterGroups": [{"ParameterGroupName": group,
                                        "ParameterApplyStatus": apply}]}]})
        # One DescribeClusterParameters per group, shared by require_ssl (DS-TRN-001) and
        # the audit log: the Stubber fails on a second call.
        if params == DENIED:
            stub.add_client_error("describe_cluster_parameters", DENIED, http_status_code=403)
        else:
            stub.add_response("describe_cluster_parameters", {"Parameters": params},
                              expected_params={"ParameterGroupName": group})
        stub.add_response("describe_logging_status", status,
                          expected_params={"ClusterIdentifier": "warehouse"})
        stub.add_response("describe_cluster_snapshots", {"Snapshots": []})
        stub.activate()
        inv = sweep(SweepOptions(regions=[REGION], services=["redshift"],
                                 client_overrides={"redshift": client}))
        stub.assert_no_pending_responses()
    a = by_name(inv, "warehouse")
    assert a["logging"]["audit"] == audit
    assert bool([g for g in a["assessment"]["gaps"] if g["aspect"] == "logging"]) is gap


def test_live_redshift_default_group_in_moto_and_two_clusters(monkeypatch: Any) -> None:
    """moto's own Redshift: audit logging to S3 on the default parameter group writes no user
    activity log; two clusters read the shared group once (the loop used to rebind the
    parameter groups to the first cluster's security groups)."""
    from moto import mock_aws

    fake_env(monkeypatch)
    with mock_aws():
        rs = boto3.client("redshift", region_name=REGION)
        bucket("rs-audit")  # (not "logs": moto routes logs.<host> to CloudWatch Logs)
        for cid in ("dw-a", "dw-b"):
            rs.create_cluster(ClusterIdentifier=cid, NodeType="dc2.large",
                              MasterUsername="admin1", MasterUserPassword="Password1",
                              ClusterType="single-node", Tags=[
                                  {"Key": "dsscan:level", "Value": "important"}])
            rs.enable_logging(ClusterIdentifier=cid, BucketName="rs-audit")
        log = CallLog()
        inv = sweep(SweepOptions(regions=[REGION], services=["redshift"]), log)
    assert inv.gaps == []
    for cid in ("dw-a", "dw-b"):
        a = by_name(inv, cid)
        assert a["logging"]["audit"] == {"enabled": False, "destinations": [
            {"type": "s3", "bucket": "rs-audit"}]}
        assert a["encryption"]["in_transit"]["enforced"] is False
    assert log.counts[("redshift", "DescribeClusterParameters")] == 1


# -- IaC: Terraform and Pulumi --------------------------------------------------------------


def audit_of(resources: list[Any], name: str, tool: str = "terraform"
             ) -> tuple[dict[str, Any], list[str]]:
    inv = build_inventory(resources, tool=tool, files=["plan.json"])
    a = next(x for x in inv.assets if x["name"] == name)
    return a["logging"]["audit"], [g["reason"] for g in a["assessment"]["gaps"]
                                   if g["aspect"] == "logging"]


def _mysql(engine: str = "mysql", group: str | None = "audit") -> Any:
    values = {"identifier": "db", "engine": engine, "storage_encrypted": True, "tags": LEVEL,
              "enabled_cloudwatch_logs_exports": ["audit"]}
    refs = {}
    if group:
        values["option_group_name"] = group
        refs = {"option_group_name": [f"aws_db_option_group.{group}"]}
    return res("aws_db_instance.db", values, refs=refs)


def _option_group(settings: Any, pulumi: bool = False) -> Any:
    """``settings``: None (no plugin option), a dict (the plugin's settings; a value may be
    unknown) or UNTIL_APPLY (the option settings known only after apply)."""
    opts = "options" if pulumi else "option"
    sets = "option_settings"  # optionSettings in Pulumi, snake_cased by the reader
    option: dict[str, Any] = {"option_name": "MARIADB_AUDIT_PLUGIN"}
    if isinstance(settings, dict):
        option[sets] = [{"name": k, "value": v} for k, v in settings.items()]
    elif settings is UNTIL_APPLY:
        option[sets] = UNTIL_APPLY
    return res("aws_db_option_group.audit", {
        "name": "audit", "engine_name": "mysql", "major_engine_version": "8.0",
        opts: [option] if settings is not None else []})


# (option settings, enabled, a logging gap)
IAC_OPTIONS = [
    (None, False, False),
    ({}, True, False),
    ({"SERVER_AUDIT_EVENTS": "CONNECT,QUERY"}, True, False),
    ({"SERVER_AUDIT_EVENTS": "QUERY_DML"}, True, False),
    ({"SERVER_AUDIT_EVENTS": "CONNECT"}, False, False),
    ({"SERVER_AUDIT_EVENTS": "QUERY_DML_NO_SELECT"}, False, False),
    ({"SERVER_AUDIT_EVENTS": "QUERY_DDL,QUERY_DCL"}, False, False),
    ({"SERVER_AUDIT_EVENTS": UNTIL_APPLY}, None, True),
    ({"SERVER_AUDIT_INCL_USERS": "app"}, True, False),  # events unset: the default
    (UNTIL_APPLY, None, True),
]


@pytest.mark.parametrize("tool", ["terraform", "pulumi"])
@pytest.mark.parametrize(("settings", "enabled", "gap"), IAC_OPTIONS)
def test_iac_option_groups(tool: str, settings: Any, enabled: bool | None, gap: bool) -> None:
    audit, gaps = audit_of([_mysql(), _option_group(settings, tool == "pulumi")], "db", tool)
    assert audit == {"enabled": enabled, "destinations": [
        {"type": "cloudwatch_logs", "log_group": "/aws/rds/instance/db/audit"}]}
    assert bool(gaps) is gap


def test_iac_mysql_without_option_group_and_mariadb() -> None:
    audit, _ = audit_of([_mysql(group=None)], "db")
    assert audit["enabled"] is False  # the default option group: no plugin
    audit, _ = audit_of([_mysql("mariadb"), _option_group({"SERVER_AUDIT_EVENTS": "CONNECT"})],
                        "db")
    assert audit["enabled"] is False


def _cluster(group: Any = "audit", inline: dict[str, Any] | None = None) -> Any:
    values: dict[str, Any] = {"cluster_identifier": "w", "encrypted": True, "tags": LEVEL}
    refs = {}
    if group is not None:
        values["cluster_parameter_group_name"] = group
        if group == "audit":
            refs = {"cluster_parameter_group_name": ["aws_redshift_parameter_group.audit"]}
    if inline is not None:
        values["logging"] = [inline]
    return res("aws_redshift_cluster.w", values, refs=refs)


def _rs_group(value: Any, pulumi: bool = False) -> Any:
    params = [] if value is None else [{"name": "enable_user_activity_logging",
                                        "value": value}]
    return res("aws_redshift_parameter_group.audit", {
        "name": "audit", "family": "redshift-1.0",
        "parameters" if pulumi else "parameter": params})


def _rs_logging(dest: str = "s3", exports: Any = None) -> Any:
    values: dict[str, Any] = {"cluster_identifier": "w", "log_destination_type": dest}
    if dest == "s3":
        values["bucket_name"] = "logs"
    if exports is not None:
        values["log_exports"] = exports
    return res("aws_redshift_logging.w", values,
               refs={"cluster_identifier": ["aws_redshift_cluster.w"]})


IAC_S3 = {"type": "s3", "bucket": "logs"}
IAC_UA = {"type": "cloudwatch_logs", "log_group": "/aws/redshift/cluster/w/useractivitylog"}

# (case, the cluster's parameter group name, enable_user_activity_logging in the group (None:
# not set; "no group": no group resource), the logging resource, logging.audit, a gap)
IAC_REDSHIFT = [
    ("no logging", "audit", "true", None, {"enabled": False, "destinations": []}, False),
    ("s3, default group", None, "no group", ("s3", None),
     {"enabled": False, "destinations": [IAC_S3]}, False),
    ("s3, named default group", "default.redshift-1.0", "no group", ("s3", None),
     {"enabled": False, "destinations": [IAC_S3]}, False),
    ("s3, group on", "audit", "true", ("s3", None),
     {"enabled": True, "destinations": [IAC_S3]}, False),
    ("s3, group on (bool)", "audit", True, ("s3", None),
     {"enabled": True, "destinations": [IAC_S3]}, False),
    ("s3, group off", "audit", "false", ("s3", None),
     {"enabled": False, "destinations": [IAC_S3]}, False),
    ("s3, group silent", "audit", None, ("s3", None),
     {"enabled": False, "destinations": [IAC_S3]}, False),
    ("s3, value until apply", "audit", UNTIL_APPLY, ("s3", None),
     {"enabled": None, "destinations": [IAC_S3]}, True),
    ("s3, group not in the input", "elsewhere", "no group", ("s3", None),
     {"enabled": None, "destinations": [IAC_S3]}, True),
    ("s3, group until apply", UNTIL_APPLY, "no group", ("s3", None),
     {"enabled": None, "destinations": [IAC_S3]}, True),
    ("cloudwatch, connections only", "audit", "true", ("cloudwatch", ["connectionlog"]),
     {"enabled": True, "destinations": []}, False),
    ("cloudwatch, user activity", "audit", "true",
     ("cloudwatch", ["connectionlog", "useractivitylog"]),
     {"enabled": True, "destinations": [IAC_UA]}, False),
    ("cloudwatch, user activity, group off", "audit", "false",
     ("cloudwatch", ["useractivitylog"]), {"enabled": False, "destinations": [IAC_UA]}, False),
    ("cloudwatch, exports until apply", "audit", "true", ("cloudwatch", UNTIL_APPLY),
     {"enabled": None, "destinations": None}, True),
]


@pytest.mark.parametrize("tool", ["terraform", "pulumi"])
@pytest.mark.parametrize(("group", "value", "logging", "audit", "gap"),
                         [c[1:] for c in IAC_REDSHIFT], ids=[c[0] for c in IAC_REDSHIFT])
def test_iac_redshift(tool: str, group: Any, value: Any, logging: Any, audit: dict[str, Any],
                      gap: bool) -> None:
    resources = [_cluster(group)]
    if value != "no group":
        resources.append(_rs_group(value, tool == "pulumi"))
    if logging is not None:
        resources.append(_rs_logging(*logging))
    got, gaps = audit_of(resources, "w", tool)
    assert got == audit
    assert bool(gaps) is gap


@pytest.mark.parametrize(("inline", "group", "enabled"), [
    ({"enable": True, "bucket_name": "logs"}, "true", True),
    ({"enable": True, "bucket_name": "logs"}, "false", False),
    ({"enable": True, "bucket_name": "logs"}, "no group", False),
    ({"enable": False, "bucket_name": "logs"}, "true", False),
    ({"enable": UNTIL_APPLY, "bucket_name": "logs"}, "true", None),
])
def test_iac_redshift_inline_logging_block(inline: dict[str, Any], group: str,
                                           enabled: bool | None) -> None:
    resources = [_cluster(None if group == "no group" else "audit", inline=inline)]
    if group != "no group":
        resources.append(_rs_group(group))
    got, _ = audit_of(resources, "w")
    assert got["enabled"] is enabled
