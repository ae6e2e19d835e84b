"""Faults the live scanner survives as gaps on the right scope (issue 11 §3): malformed or
empty 200 replies from any protocol, a call that hangs, and STS that throttles, fails or
hangs. The end-to-end exit codes are in tests/test_aws_cli.py.

moto answers well-formed replies only and never throttles or hangs: tests/aws_support.StandIn,
an HTTP server on 127.0.0.1, answers the one operation under test instead (a botocore
``before-send`` hook sends that operation's requests there), so botocore's own retries,
timeouts and parsers run as they would against AWS. Everything else is moto.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_support import (
    ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    ClientHooks,
    StandIn,
    by_name,
    error_reply,
    fault_reply,
)

from dsscan.errors import InputError
from dsscan.inventory import Inventory
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # a moto estate and a sweep per fault, some with retries


def run(stand_in: StandIn, **kw: Any) -> Inventory:
    kw.setdefault("regions", [REGION])
    with ClientHooks(stand_in=stand_in):
        return sweep(SweepOptions(**kw))


def gaps_of(inv: Inventory) -> list[tuple[str, str]]:
    """(scope, reason) of every gap: the inventory's, and "<asset> <facet>" for assets'."""
    return [(g["scope"], g["reason"]) for g in inv.gaps] + [
        (f"{a['name']} {g['aspect']}", g["reason"]) for a in inv.assets
        for g in a["assessment"]["gaps"]]


XML = "text/xml"
JSON = "application/x-amz-json-1.0"
HTML = b"<html><body>502 Bad Gateway</body></html>"
DDB, RDS, EBS = (f"{s} in {ACCOUNT}/{REGION}" for s in ("dynamodb", "rds", "ebs"))

# (service, operation, body, content type, --services, scope of the gap, reason's start)
MALFORMED = [
    # JSON protocol (DynamoDB), the listing: botocore reads each of these as "no tables".
    ("dynamodb", "ListTables", b"", JSON, "dynamodb", DDB, "dynamodb:ListTables malformed"),
    ("dynamodb", "ListTables", HTML, JSON, "dynamodb", DDB, "dynamodb:ListTables malformed"),
    ("dynamodb", "ListTables", b"{}", JSON, "dynamodb", DDB, "dynamodb:ListTables malformed"),
    ("dynamodb", "ListTables", b'{"TableNames": null}', JSON, "dynamodb", DDB,
     "dynamodb:ListTables malformed"),
    ("dynamodb", "ListTables", b'{"TableNames": "estate-table"}', JSON, "dynamodb", DDB,
     "dynamodb:ListTables malformed"),
    ("dynamodb", "ListTables", b'{"TableNames": [{"Name": "x"}]}', JSON, "dynamodb", DDB,
     "dynamodb:ListTables malformed"),
    ("dynamodb", "ListTables", b'["estate-table"]', JSON, "dynamodb", DDB,
     "dynamodb:ListTables malformed"),
    # JSON, a detail call: a gap on that facet of the one table.
    ("dynamodb", "DescribeTable", b"{}", JSON, "dynamodb", "estate-table encryption",
     "dynamodb:DescribeTable malformed"),
    ("dynamodb", "DescribeTable", b'{"Table": ["x"]}', JSON, "dynamodb",
     "estate-table encryption", "dynamodb:DescribeTable malformed"),
    ("dynamodb", "DescribeContinuousBackups", b'{"ContinuousBackupsDescription": null}', JSON,
     "dynamodb", "estate-table backup", "dynamodb:DescribeContinuousBackups malformed"),
    ("dynamodb", "ListTagsOfResource", b'{"Tags": [{"Key": 1, "Value": "x"}]}', JSON,
     "dynamodb", "estate-table tags", "dynamodb:ListTagsOfResource malformed"),
    ("kms", "DescribeKey", b'{"KeyMetadata": {"KeyId": 7}}', JSON, "dynamodb,ebs",
     "estate-volume encryption", "kms:DescribeKey malformed"),
    # rest-json (EFS): the reply lacks what AWS always sends.
    ("efs", "DescribeMountTargetSecurityGroups", b"{}", "application/json", "efs",
     "estate-fs network", "elasticfilesystem:DescribeMountTargetSecurityGroups malformed"),
    # query protocol (RDS): botocore raises KeyError or reads "no instances".
    ("rds", "DescribeDBInstances", b"", XML, "rds", RDS, "rds:DescribeDBInstances malformed"),
    ("rds", "DescribeDBInstances", HTML, XML, "rds", RDS, "rds:DescribeDBInstances malformed"),
    ("rds", "DescribeDBInstances", b"<Other><Thing>1</Thing></Other>", XML, "rds", RDS,
     "rds:DescribeDBInstances malformed"),
    ("rds", "DescribeDBInstances", b"<DescribeDBInstancesResponse/>", XML, "rds", RDS,
     "rds:DescribeDBInstances malformed"),
    ("rds", "DescribeDBInstances",
     b"<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances>estate-db"
     b"</DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>", XML, "rds",
     RDS, "rds:DescribeDBInstances malformed"),
    # EC2 protocol: another operation's document, text where a list belongs, a bad date.
    ("ec2", "DescribeVolumes", b"<DescribeVpcsResponse><vpcSet/></DescribeVpcsResponse>", XML,
     "ebs", EBS, "ec2:DescribeVolumes malformed"),
    ("ec2", "DescribeVolumes",
     b"<DescribeVolumesResponse><volumeSet>vol-1</volumeSet></DescribeVolumesResponse>", XML,
     "ebs", EBS, "ec2:DescribeVolumes malformed"),
    ("ec2", "DescribeVolumes",
     b"<DescribeVolumesResponse><volumeSet><item><volumeId>vol-1</volumeId><createTime>"
     b"yesterday</createTime></item></volumeSet></DescribeVolumesResponse>", XML, "ebs", EBS,
     "ec2:DescribeVolumes malformed"),
    # rest-xml (S3): the listing, a facet, and the bucket's own location.
    ("s3", "ListBuckets", b"", XML, "s3", f"s3 in {ACCOUNT}", "s3:ListAllMyBuckets malformed"),
    ("s3", "ListBuckets", b"<ListAllMyBucketsResult><Buckets>estate-ledger</Buckets>"
     b"</ListAllMyBucketsResult>", XML, "s3", f"s3 in {ACCOUNT}",
     "s3:ListAllMyBuckets malformed"),
    ("s3", "ListBuckets", b"<ListAllMyBucketsResult><Buckets><Bucket><CreationDate>"
     b"2026-01-01T00:00:00Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>", XML,
     "s3", f"s3 in {ACCOUNT}", "s3:ListAllMyBuckets malformed"),
    ("s3", "GetBucketTagging", b"", XML, "s3", "estate-ledger tags",
     "s3:GetBucketTagging malformed"),
    ("s3", "GetBucketPolicy", b"{not json", "application/json", "s3", "estate-ledger access",
     "s3:GetBucketPolicy malformed"),
    ("s3", "GetBucketLocation", b"<LocationConstraint>cn-north-1", XML, "s3",
     f"s3 bucket estate-ledger in {ACCOUNT}", "s3:GetBucketLocation malformed"),
    # Well-formed XML that is not the answer: read as "no constraint" (us-east-1), the bucket
    # silently left a cn-north-1 sweep; read as "never versioned".
    ("s3", "GetBucketLocation", HTML, XML, "s3", f"s3 bucket estate-ledger in {ACCOUNT}",
     "s3:GetBucketLocation malformed"),
    ("s3", "GetBucketLocation", b"<Tagging><TagSet/></Tagging>", XML, "s3",
     f"s3 bucket estate-ledger in {ACCOUNT}", "s3:GetBucketLocation malformed"),
    ("s3", "GetBucketVersioning", HTML, XML, "s3", "estate-ledger backup",
     "s3:GetBucketVersioning malformed"),
]


# Facets a reply decides besides the scope named above: DescribeTable gives the table's
# encryption and its global-table replicas (the backup facet).
ALSO_DECIDES = {"DescribeTable": {"estate-table backup"}}


@pytest.mark.parametrize(("service", "op", "body", "ctype", "services", "scope", "reason"),
                         MALFORMED, ids=[f"{c[1]}-{i}" for i, c in enumerate(MALFORMED)])
def test_a_malformed_reply_is_a_gap_on_its_scope(stand_in, service, op, body, ctype, services,
                                                 scope, reason):
    stand_in.answer(service, op, 200, body, ctype)
    inv = run(stand_in, services=services.split(","), max_attempts=2)
    assert stand_in.requests.get((service, op)), "the operation was not called"
    gaps = gaps_of(inv)
    assert [r for s, r in gaps if s == scope and r.startswith(reason)], gaps
    # Only that scope (and the other facets the same reply decides): what it did not touch
    # is still read.
    also = ALSO_DECIDES.get(op, set())
    assert all(s == scope or s in also or s.startswith("backup ") for s, _ in gaps), gaps


def test_a_dripping_reply_is_cut_off_whatever_phase_it_drips_in(stand_in):
    # The body, or the status line itself, a byte every half second: no read ever waits
    # 1 s, so only a deadline on the whole call ends it.
    stand_in.answer("dynamodb", "ListTables", 200, drip="forever")
    stand_in.answer("efs", "DescribeFileSystems", 200, drip="headers")
    inv = run(stand_in, services=["dynamodb", "efs", "ebs"], timeout=1.0, max_attempts=3)
    assert sorted(gaps_of(inv)) == [
        (DDB, "dynamodb:ListTables timed out"),
        (f"efs in {ACCOUNT}/{REGION}", "elasticfilesystem:DescribeFileSystems timed out")]
    assert by_name(inv, "estate-volume")["kind"] == "volume"  # the rest was read


# --- STS: a fault there is an incomplete run, not rejected credentials -------------------

STS_FAULTS = {
    "throttled": "throttled past retries (Throttling)",
    "5xx": "failed on the service side (InternalError, HTTP 500)",
    "timeout": "timed out",
    "malformed": "malformed reply",
}


@pytest.mark.parametrize("fault", sorted(STS_FAULTS))
def test_sts_identity_faults_leave_the_run_incomplete_for_the_accounts_asked(stand_in, fault):
    stand_in.answer("sts", "GetCallerIdentity", *fault_reply("sts", fault))
    bound = {"timeout": 1.0} if fault == "timeout" else {}
    inv = run(stand_in, services=["s3"], max_attempts=2, **bound)
    [(scope, reason)] = gaps_of(inv)
    assert scope == "the caller's account" and inv.assets == []
    assert reason.startswith(f"sts:GetCallerIdentity {STS_FAULTS[fault]}"), reason

    inv = run(stand_in, services=["s3"], max_attempts=2, **bound,
              accounts=[OTHER_ACCOUNT, ACCOUNT], role_name="DsscanReadOnly")
    assert sorted(s for s, _ in gaps_of(inv)) == sorted([f"account {ACCOUNT}",
                                                         f"account {OTHER_ACCOUNT}"])


def test_sts_identity_without_an_account_id_is_malformed(stand_in):
    stand_in.answer("sts", "GetCallerIdentity", 200,
                    b"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws-cn:iam::"
                    b"123456789012:user/x</Arn></GetCallerIdentityResult>"
                    b"</GetCallerIdentityResponse>", XML)
    inv = run(stand_in, services=["s3"])
    assert gaps_of(inv) == [("the caller's account",
                             "sts:GetCallerIdentity malformed reply (no Account)")]


@pytest.mark.parametrize("code", ["InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied"])
def test_credentials_sts_refuses_are_a_usage_error(stand_in, code):
    stand_in.answer("sts", "GetCallerIdentity", *error_reply("sts", code, 403))
    with pytest.raises(InputError, match=f"AWS rejected the credentials .*{code}"):
        run(stand_in, services=["s3"])


@pytest.mark.parametrize("fault", sorted(STS_FAULTS))
def test_sts_assume_role_faults_are_a_gap_for_that_account(stand_in, fault):
    stand_in.answer("sts", "AssumeRole", *fault_reply("sts", fault))
    bound = {"timeout": 1.0} if fault == "timeout" else {}
    inv = run(stand_in, services=["s3"], max_attempts=2, **bound,
              accounts=[ACCOUNT, OTHER_ACCOUNT], role_name="DsscanReadOnly")
    [(scope, reason)] = gaps_of(inv)
    assert scope == f"account {OTHER_ACCOUNT}"
    assert reason.startswith(f"sts:AssumeRole {STS_FAULTS[fault]}"), reason
    assert by_name(inv, "estate-ledger")["account"] == ACCOUNT  # the caller's is read


def test_organization_listing_faults_are_a_gap_and_refusals_a_usage_error(stand_in):
    stand_in.answer("organizations", "ListAccounts", *fault_reply("organizations", "throttled"))
    inv = run(stand_in, services=["s3"], organization=True, max_attempts=2)
    assert gaps_of(inv) == [(f"accounts of the organization (listed from {ACCOUNT})",
                             "organizations:ListAccounts throttled past retries "
                             "(ThrottlingException)")]
    stand_in.answer("organizations", "ListAccounts", *fault_reply("organizations", "denied"))
    with pytest.raises(InputError, match="--organization: cannot list"):
        run(stand_in, services=["s3"], organization=True)
