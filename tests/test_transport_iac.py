"""DS-TRN-001 from IaC (scanners/iac/transport.py), the cases the parity estate does not hold:
AWS's default parameter groups by engine and version, groups the input does not manage or
knows only after apply, OpenSearch's EnforceHTTPS, Redshift groups that require SSL, and
Neptune/DocumentDB (not read). Unknown is never a pass: null, with a gap saying why."""

from __future__ import annotations

from typing import Any

import pytest
from iac_resources import res

from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.iac.resources import COMPUTED, UNTIL_APPLY

LEVEL = {"dsscan:level": "sensitive"}


def transit(*resources: Any, name: str | None = None) -> tuple[dict[str, Any], list[str]]:
    inv = build_inventory(list(resources), tool="terraform", files=["plan.json"])
    a = next(a for a in inv.assets if name is None or a["name"] == name)
    return a["encryption"]["in_transit"], [g["reason"] for g in a["assessment"]["gaps"]
                                           if g["aspect"] == "encryption"]


def db(engine: str, version: Any = None, group: Any = COMPUTED, refs=None, **extra: Any):
    values = {"identifier": "db", "engine": engine, "storage_encrypted": True, "tags": LEVEL,
              "parameter_group_name": group, **extra}
    if version is not None:
        values["engine_version"] = version
    return res("aws_db_instance.db", values, refs=refs)


@pytest.mark.parametrize(("engine", "version", "enforced", "value"), [
    # the engine's default group: AWS does not let anyone change it
    ("mysql", "8.0.39", False, "OFF"), ("mariadb", "10.11", False, "OFF"),
    ("postgres", "16.4", True, "1"), ("postgres", "15", True, "1"),
    ("postgres", "14.12", False, "0"), ("postgres", None, None, None),
    ("sqlserver-se", "16.00", False, "0"),
    ("oracle-ee", "19", None, None),  # not read
])
def test_default_parameter_groups(engine, version, enforced, value):
    t, gaps = transit(db(engine, version))
    assert (t["enforced"], t["value"]) == (enforced, value)
    assert gaps == []


def test_default_group_named_explicitly_is_the_default():
    t, _ = transit(db("mysql", "8.0", group="default.mysql8.0"))
    assert t["enforced"] is False


def test_aurora_postgresql_default_cluster_group_is_not_assessed():
    t, _ = transit(res("aws_rds_cluster.c", {"cluster_identifier": "c",
                                             "engine": "aurora-postgresql", "tags": LEVEL}))
    assert (t["enforced"], t["mechanism"]) == (None, "cluster_parameter_group")


def test_default_version_unknown_until_apply_is_a_gap():
    t, gaps = transit(db("postgres", UNTIL_APPLY))
    assert t["enforced"] is None
    assert gaps == ["not assessed until apply: engine_version is not known before apply"]


def test_group_outside_the_input_is_not_assessed():
    t, gaps = transit(db("postgres", "16", group="shared-tls"))
    assert (t["enforced"], t["source"]) == (None, "shared-tls")
    assert gaps == ["its parameter group shared-tls is not managed in this input: its "
                    "parameters are not known"]


def test_group_unknown_until_apply_is_a_gap():
    t, gaps = transit(db("postgres", "16", group=UNTIL_APPLY))
    assert t["enforced"] is None
    assert gaps and "parameter_group_name" in gaps[0]


def group(params: Any, family: str = "postgres16", name: str = "pg"):
    return res(f"aws_db_parameter_group.{name}", {"name": name, "family": family,
                                                   "parameter": params})


@pytest.mark.parametrize(("params", "family", "enforced"), [
    ([{"name": "rds.force_ssl", "value": "1"}], "postgres16", True),
    ([{"name": "rds.force_ssl", "value": "0"}], "postgres16", False),
    # not set in the group: the family's default (1 from PostgreSQL 15)
    ([{"name": "log_connections", "value": "1"}], "postgres16", True),
    ([], "postgres14", False),
    ([{"name": "rds.force_ssl", "value": UNTIL_APPLY}], "postgres16", None),
    (UNTIL_APPLY, "postgres16", None),
])
def test_custom_groups_by_reference(params, family, enforced):
    t, gaps = transit(db("postgres", "16", group="pg", refs={
        "parameter_group_name": ["aws_db_parameter_group.pg"]}), group(params, family),
        name="db")
    assert t["enforced"] is enforced
    assert bool(gaps) is (enforced is None)


def test_custom_group_by_name_value():
    t, _ = transit(db("mysql", "8.0", group="my"), group(
        [{"name": "require_secure_transport", "value": "1"}], "mysql8.0", "my"), name="db")
    assert (t["enforced"], t["source"]) == (True, "my")


@pytest.mark.parametrize(("params", "enforced"), [
    ([{"name": "require_ssl", "value": "true"}], True),
    ([{"name": "require_ssl", "value": "false"}], False),
    ([{"name": "enable_user_activity_logging", "value": "true"}], False),
    ([{"name": "require_ssl", "value": UNTIL_APPLY}], None),
])
def test_redshift_groups(params, enforced):
    t, _ = transit(
        res("aws_redshift_cluster.w", {"cluster_identifier": "w", "tags": LEVEL,
                                       "cluster_parameter_group_name": "tls"},
            refs={"cluster_parameter_group_name": ["aws_redshift_parameter_group.tls"]}),
        res("aws_redshift_parameter_group.tls", {"name": "tls", "family": "redshift-1.0",
                                                 "parameter": params}), name="w")
    assert t["enforced"] is enforced


def domain(**values: Any):
    return res("aws_opensearch_domain.s", {"domain_name": "s", "tags": LEVEL,
                                           "encrypt_at_rest": [{"enabled": True}], **values})


@pytest.mark.parametrize(("values", "enforced"), [
    ({"domain_endpoint_options": [{"enforce_https": True}]}, True),
    ({"domain_endpoint_options": [{"enforce_https": False}]}, False),
    ({"domain_endpoint_options": [{"tls_security_policy": "Policy-Min-TLS-1-2-2019-07"}]},
     True),  # the provider's default within the block
    ({}, False),  # no block: the API's default, off
    ({"domain_endpoint_options": [{"enforce_https": UNTIL_APPLY}]}, None),
])
def test_opensearch_enforce_https(values, enforced):
    t, _ = transit(domain(**values))
    assert t["enforced"] is enforced
    assert t["mechanism"] == "endpoint_options"


@pytest.mark.parametrize(("values", "enforced"), [
    ({"transit_encryption_enabled": True, "transit_encryption_mode": "required"}, True),
    ({"transit_encryption_enabled": True, "transit_encryption_mode": COMPUTED}, True),
    ({"transit_encryption_enabled": True, "transit_encryption_mode": "preferred"}, False),
    ({"transit_encryption_enabled": False}, False),
    ({}, False),
    ({"transit_encryption_enabled": UNTIL_APPLY}, None),
])
def test_elasticache_modes(values, enforced):
    t, _ = transit(res("aws_elasticache_replication_group.c", {
        "replication_group_id": "c", "tags": LEVEL, **values}))
    assert t["enforced"] is enforced


def test_neptune_and_documentdb_are_not_read():
    for rtype in ("aws_neptune_cluster", "aws_docdb_cluster"):
        t, _ = transit(res(f"{rtype}.c", {"cluster_identifier": "c", "tags": LEVEL}))
        assert t["enforced"] is None


def test_policy_unknown_until_apply_is_a_gap():
    t, gaps = transit(
        res("aws_efs_file_system.f", {"encrypted": True, "tags": LEVEL}),
        res("aws_efs_file_system_policy.f", {"policy": UNTIL_APPLY},
            refs={"file_system_id": ["aws_efs_file_system.f"]}), name="f")
    assert t["enforced"] is None
    assert gaps == ["not assessed until apply: the file system policy is not known before "
                    "apply"]


_TLS_ONLY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",'
             '"Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}')
_MOUNT = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
          '"Action":"elasticfilesystem:ClientMount","Resource":"*"}]}')


@pytest.mark.parametrize(("policies", "enforced", "gap"), [
    ([_TLS_ONLY], True, False),
    ([_MOUNT], False, False),
    ([_TLS_ONLY, _TLS_ONLY], True, False),
    ([_MOUNT, _MOUNT], False, False),
    # one of two stays after apply, in an order the plan does not show: unknown, never a pass
    ([_MOUNT, _TLS_ONLY], None, True),
    ([_TLS_ONLY, _MOUNT], None, True),
])
def test_several_policy_resources_of_one_file_system_must_agree(policies, enforced, gap):
    t, gaps = transit(
        res("aws_efs_file_system.f", {"encrypted": True, "tags": LEVEL}),
        *[res(f"aws_efs_file_system_policy.p{i}", {"policy": p},
              refs={"file_system_id": ["aws_efs_file_system.f"]})
          for i, p in enumerate(policies)], name="f")
    assert t["enforced"] is enforced
    assert any("only one of them stays after apply" in g for g in gaps) is gap
