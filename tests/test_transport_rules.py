"""DS-TRN-001's rules for what refuses plaintext (scanners/aws/transport.py), one table per
mechanism: compliant, violating, unknown and edge shapes. A statement that refuses plaintext
to only some requests, a preferred mode or an unset MySQL parameter is never "enforced"."""

from __future__ import annotations

from typing import Any

import pytest

from dsscan.scanners.aws.transport import (
    cache_fact,
    db_parameter,
    denies_plaintext,
    from_parameters,
    from_policy,
    https_fact,
    parameter_enforces,
    redshift_fact,
)

BUCKET = "arn:aws-cn:s3:::b"
TLS_OFF = {"Bool": {"aws:SecureTransport": "false"}}


def deny(**kw: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                         "Resource": [BUCKET, f"{BUCKET}/*"], "Condition": TLS_OFF}
    s.update(kw)
    return {k: v for k, v in s.items() if v is not None}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(("policy", "service", "expected"), [
    # the AWS-documented statement, and its equivalent spellings
    (doc(deny()), "s3", True),
    (doc(deny(Principal={"AWS": "*"})), "s3", True),
    (doc(deny(Principal={"AWS": ["*"]}, Action=["s3:*"])), "s3", True),
    (doc(deny(Action="*", Resource="*")), "s3", True),
    (doc(deny(Condition={"Bool": {"aws:SecureTransport": False}})), "s3", True),
    (doc(deny(Condition={"Bool": {"aws:SecureTransport": ["false"]}})), "s3", True),
    (doc(deny(Condition={"BoolIfExists": {"aws:securetransport": "false"}})), "s3", True),
    (deny(), "s3", None),  # a bare statement is not a policy: no Statement list
    # one statement among others
    (doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws-cn:iam::1:root"}, "Action": "s3:*",
          "Resource": "*"}, deny()), "s3", True),
    # no policy, or nothing that refuses plaintext
    (None, "s3", False),
    (doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
          "Resource": f"{BUCKET}/*", "Condition": TLS_OFF}), "s3", False),
    # refused to some only: actions, principals, resources, extra conditions
    (doc(deny(Action="s3:PutObject")), "s3", False),
    (doc(deny(Action=["s3:GetObject", "s3:PutObject"])), "s3", False),
    (doc(deny(Principal={"AWS": "arn:aws-cn:iam::1:role/app"})), "s3", False),
    (doc(deny(NotPrincipal={"AWS": "arn:aws-cn:iam::1:role/app"}, Principal=None)), "s3",
     False),
    (doc(deny(NotAction="s3:GetObject", Action=None)), "s3", False),
    (doc(deny(Resource=f"{BUCKET}/private/*")), "s3", False),
    (doc(deny(Resource=BUCKET)), "s3", False),  # the bucket, not its objects
    (doc(deny(Condition={"Bool": {"aws:SecureTransport": "false"},
                         "StringEquals": {"aws:SourceVpce": "vpce-1"}})), "s3", False),
    (doc(deny(Condition={"Bool": {"aws:SecureTransport": "false",
                                  "aws:ViaAWSService": "false"}})), "s3", False),
    (doc(deny(Condition={"Bool": {"aws:SecureTransport": "true"}})), "s3", False),
    (doc(deny(Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}})), "s3", False),
    (doc(deny(Condition=None)), "s3", False),  # denies everything: not about TLS
    (doc(deny(Effect="Allow")), "s3", False),
    # other services: their own action wildcard, their own resource
    (doc(deny(Action="elasticfilesystem:*", Resource=None)), "efs", True),
    (doc(deny(Action="*", Resource="arn:aws-cn:elasticfilesystem:cn-north-1:1:file-system/fs-1")),
     "efs", True),
    (doc(deny(Action="elasticfilesystem:ClientWrite", Resource=None)), "efs", False),
    (doc(deny(Action="s3:*", Resource=None)), "efs", False),
    (doc(deny(Action="dynamodb:*", Resource="arn:aws-cn:dynamodb:cn-north-1:1:table/t")),
     "dynamodb", True),
    (doc(deny(Action="dynamodb:*", Resource="arn:aws-cn:dynamodb:cn-north-1:1:table/t/index/*")),
     "dynamodb", False),
    (doc(deny(Action="dynamodb:GetItem", Resource="*")), "dynamodb", False),
    # not a policy: unknown (not assessed), never "not enforced" nor "enforced"
    ("not a policy", "s3", None),
    ({"Statement": "x"}, "s3", None),
])
def test_what_refuses_plaintext(policy, service, expected):
    assert denies_plaintext(policy, service) is expected


def test_policy_facts_say_what_is_missing():
    assert from_policy(None, "bucket_policy", "s3")["detail"] == (
        "it has no bucket policy denying requests with aws:SecureTransport=false")
    f = from_policy(doc(deny(Action="s3:PutObject")), "bucket_policy", "s3")
    assert (f["enforced"], f["mechanism"], f["setting"]) == (False, "bucket_policy",
                                                             "aws:SecureTransport")
    assert "no statement of its bucket policy" in f["detail"]
    assert from_policy(doc(deny()), "bucket_policy", "s3")["enforced"] is True
    assert from_policy("x", "file_system_policy", "efs")["enforced"] is None


@pytest.mark.parametrize(("engine", "param"), [
    ("postgres", "rds.force_ssl"), ("aurora-postgresql", "rds.force_ssl"),
    ("sqlserver-se", "rds.force_ssl"), ("sqlserver-ex", "rds.force_ssl"),
    ("mysql", "require_secure_transport"), ("mariadb", "require_secure_transport"),
    ("aurora-mysql", "require_secure_transport"), ("aurora", "require_secure_transport"),
    ("oracle-ee", None), ("db2-se", None), ("neptune", None), ("docdb", None), (None, None),
])
def test_engine_decides_the_parameter(engine, param):
    assert db_parameter(engine) == param


@pytest.mark.parametrize(("param", "value", "expected"), [
    ("rds.force_ssl", "1", True), ("rds.force_ssl", "0", False),
    ("require_secure_transport", "ON", True), ("require_secure_transport", "1", True),
    ("require_secure_transport", "OFF", False), ("require_secure_transport", "0", False),
    # MySQL's own default is OFF; rds.force_ssl's depends on the engine version
    ("require_secure_transport", None, False), ("rds.force_ssl", None, None),
    ("rds.force_ssl", "{DBInstanceClassMemory/1}", None),
])
def test_parameter_values(param, value, expected):
    assert parameter_enforces(param, value) is expected


def test_parameter_group_facts():
    f = from_parameters({"rds.force_ssl": "0"}, "rds.force_ssl", "parameter_group", "pg-x",
                        "postgres")
    assert f == {"enforced": False, "mechanism": "parameter_group", "source": "pg-x",
                 "setting": "rds.force_ssl", "value": "0",
                 "detail": "parameter group pg-x has rds.force_ssl=0"}
    f = from_parameters({}, "require_secure_transport", "cluster_parameter_group", "cpg",
                        "aurora-mysql")
    assert (f["enforced"], f["detail"]) == (
        False, "cluster parameter group cpg does not set require_secure_transport "
               "(off by default)")
    assert from_parameters({}, "rds.force_ssl", "parameter_group", "pg", "postgres")[
        "enforced"] is None
    assert from_parameters(None, "rds.force_ssl", "parameter_group", "pg", "postgres")[
        "enforced"] is None
    assert from_parameters({"x": "1"}, None, "parameter_group", "pg", "oracle-ee")[
        "enforced"] is None


@pytest.mark.parametrize(("params", "expected"), [
    ({"require_ssl": "true"}, True), ({"require_ssl": "TRUE"}, True),
    ({"require_ssl": "false"}, False), ({}, False), ({"require_ssl": "maybe"}, None),
    (None, None),
])
def test_redshift_require_ssl(params, expected):
    assert redshift_fact(params, "pg")["enforced"] is expected


@pytest.mark.parametrize(("enabled", "mode", "expected", "value"), [
    (True, "required", True, "required"), (True, None, True, "required"),
    (True, "preferred", False, "preferred"), (False, None, False, "disabled"),
    (False, "preferred", False, "disabled"), (None, None, None, None),
    (True, "something-new", None, "something-new"),
])
def test_cache_transit_mode(enabled, mode, expected, value):
    f = cache_fact(enabled, mode)
    assert (f["enforced"], f["value"]) == (expected, value)


def test_https_enforcement():
    assert https_fact(True)["enforced"] is True
    assert https_fact(False)["enforced"] is False
    assert https_fact(None)["enforced"] is None
