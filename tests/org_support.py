"""A realistic AWS Organization in moto's server, for organization-wide sweeps (issue 16).

``provision_organization(endpoint_url)`` turns a fresh moto server (``moto_url``/``aws`` in
tests/conftest.py, or ``ThreadedMotoServer`` in a benchmark) into an organization: moto's
default account (123456789012) is the management account; each member account, entered with
sts:AssumeRole on ``arn:aws-cn:iam::<id>:role/<role_name>``, holds in each region a small
estate of a bank's line of business — a VPC (two subnets, a security group, flow logs to a
log group kept 400 days) rated important as a network domain, a KMS key (rotated) protecting
a DynamoDB table (point-in-time recovery on), a second table, a private bucket refusing
plaintext, and in the first region a multi-Region CloudTrail trail logging the tables' data
events — tagged with the data level (``data-level``, one of dsscan's ``level_tag_keys``)
and the environment. The stores hold general data: a store of sensitive data or above also
needs AWS Backup copies in another region and restore testing (DS-BAK-001/004), which moto
5.2 does not serve, so no such store could be compliant.

Members carry one planted violation each in the first region (``PLANTS``, in the order of
``CYCLE``; ``Org.planted`` lists them as (policy id, account id) pairs), every sixth is a
compliant twin (``Org.compliant``): the same estate without the fault. A planted store may
break other policies too (an unencrypted sensitive database has no backup either); the
twins and the management account break none. Names, tags and the order of the calls are
derived from the account's index and the region, and moto's random seed is set: the same
arguments give the same accounts (ids included), names and tags. moto's resource ids
(vpc-..., KMS key ids) still differ from one provisioning to the next, as does the name of
the RDS snapshot moto takes at creation (it carries the minute): compare two sweeps of one
provisioning exactly, two provisionings by names and tags.

Nothing leaves 127.0.0.1: every client is created with ``endpoint_url`` and the fake
credentials of aws_support.FAKE_ENV.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.config
from aws_support import FAKE_ENV

MANAGEMENT = "123456789012"  # moto's default account: the organization's management account
LEVEL_TAG = "data-level"  # one of dsscan's default level_tag_keys (dsscan/config.py)
ENV_TAG = "environment"

# What moto 5.2's server lacks and an organization without those features answers on AWS:
# empty listings (LatencyProxy's ``answers``). Unanswered, CloudTrail Lake's listing fails
# with a 500 that botocore retries with backoff (seconds per account and region), and the
# stores of every account are then not assessed by DS-LOG-001.
MOTO_LACKS: dict[str, tuple[int, bytes, str]] = {
    "CloudTrail_20131101.ListEventDataStores": (
        200, b'{"EventDataStores": []}', "application/x-amz-json-1.1"),
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListEventDataStores": (
        200, b'{"EventDataStores": []}', "application/x-amz-json-1.1"),
    "GET /restore-testing/plans": (200, b'{"RestoreTestingPlans": []}', "application/json"),
    "GET /restore-jobs/": (200, b'{"RestoreJobs": []}', "application/json"),
}

# The violations planted, by kind: (policy id it breaks, what it is).
PLANTS: dict[str, tuple[str, str]] = {
    "unencrypted": ("DS-ENC-001", "a sensitive RDS instance not encrypted at rest"),
    "public": ("DS-NET-003", "a sensitive bucket whose policy lets anyone read it"),
    "test_in_prod": ("DS-TST-001", "a test-environment database in a production network "
                                   "domain"),
    "key_not_rotated": ("DS-KMS-001", "a KMS key protecting an important table, never "
                                      "rotated"),
    "unclassified": ("DS-CLS-001", "a bucket without a data level"),
}
# Account i (0-based, in creation order) carries CYCLE[i % len(CYCLE)]; None: compliant.
CYCLE: tuple[str | None, ...] = (*PLANTS, None)


@dataclass
class Org:
    endpoint_url: str
    management: str
    accounts: list[str]  # member account ids, in creation order (names member-00, ...)
    regions: tuple[str, ...]
    role_name: str
    planted: list[tuple[str, str]] = field(default_factory=list)  # (policy id, account id)
    # account id -> the plant kind (a key of PLANTS) or None (a compliant twin)
    kinds: dict[str, str | None] = field(default_factory=dict)

    @property
    def compliant(self) -> list[str]:
        return [a for a in self.accounts if self.kinds.get(a) is None]

    @property
    def all_accounts(self) -> list[str]:
        """Every account an --organization sweep reads: the management account too."""
        return [self.management, *self.accounts]


def provision_organization(endpoint_url: str, accounts: int = 20,
                           regions: tuple[str, ...] = ("cn-north-1", "cn-northwest-1"),
                           role_name: str = "DsscanReadOnly", *, seed: int | None = 16,
                           reset: bool = True) -> Org:
    """An organization of ``accounts`` members in the moto server at ``endpoint_url``, each
    with a small estate in each of ``regions`` (see the module's docstring). ``reset``
    empties the server first (moto-api/reset); ``seed`` seeds moto's random ids
    (moto-api/seed) so that account ids repeat; None leaves them random.
    One thread, in a fixed order: moto's seeded ids follow the order of the calls (threads
    would also be slower: an in-process server shares the GIL)."""
    if reset:
        _moto_api(endpoint_url, "reset")
    if seed is not None:
        _moto_api(endpoint_url, f"seed?a={int(seed)}")
    home = regions[0]
    mgmt = _Clients(endpoint_url)  # moto's default account: the fake keys of FAKE_ENV
    orgs = mgmt("organizations", home)
    orgs.create_organization(FeatureSet="ALL")
    for i in range(accounts):
        orgs.create_account(AccountName=_name(i), Email=f"{_name(i)}@bank.example")
    by_name = {a["Name"]: a["Id"] for p in orgs.get_paginator("list_accounts").paginate()
               for a in p["Accounts"]}
    ids = [by_name[_name(i)] for i in range(accounts)]
    org = Org(endpoint_url, MANAGEMENT, ids, tuple(regions), role_name)
    sts = mgmt("sts", home)
    entered = []
    for i, acct in enumerate(ids):  # in order: moto's seeded ids follow the call order
        kind = CYCLE[i % len(CYCLE)]
        org.kinds[acct] = kind
        if kind is not None:
            org.planted.append((PLANTS[kind][0], acct))
        c = sts.assume_role(RoleArn=f"arn:aws-cn:iam::{acct}:role/{role_name}",
                            RoleSessionName="provision")["Credentials"]
        entered.append(_Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))
    clients = _Clients(endpoint_url)
    for i, acct in enumerate(ids):
        clients.enter(entered[i])
        for r, region in enumerate(regions):
            _estate(clients, acct, i, region, r, org.kinds[acct] if r == 0 else None)
    return org


def _name(i: int) -> str:
    return f"member-{i:02d}"


def _moto_api(endpoint_url: str, what: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint_url}/moto-api/{what}",
                                                  method="POST"), timeout=30).read()


@dataclass
class _Creds:
    key: str
    secret: str
    token: str


_CONFIG = botocore.config.Config(retries={"mode": "standard", "max_attempts": 3},
                                 s3={"addressing_style": "path"})


class _Clients:
    """One client per (service, region) for every account: all of them sign with one
    Credentials object, switched to an account's keys by ``enter`` (creating a client
    costs ~20 ms: one per account, service and region was a third of the provisioning)."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self.session = boto3.Session(aws_access_key_id=FAKE_ENV["AWS_ACCESS_KEY_ID"],
                                     aws_secret_access_key=FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
                                     aws_session_token=FAKE_ENV["AWS_SESSION_TOKEN"])
        # The object each client's request signer reads the keys from at every request.
        self.credentials = self.session._session.get_credentials()
        self._cache: dict[tuple[str, str], Any] = {}

    def enter(self, creds: _Creds) -> None:
        self.credentials.access_key = creds.key
        self.credentials.secret_key = creds.secret
        self.credentials.token = creds.token

    def __call__(self, service: str, region: str) -> Any:
        c = self._cache.get((service, region))
        if c is None:
            c = self._cache[(service, region)] = self.session.client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=_CONFIG)
        return c


def _tags(level: str | None, env: str = "production", **more: str) -> dict[str, str]:
    tags = {ENV_TAG: env, "owner": "retail-banking", **more}
    if level is not None:
        tags[LEVEL_TAG] = level
    return tags


def _tag_list(tags: dict[str, str], key: str = "Key", value: str = "Value"
              ) -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags.items()]


def _estate(client: _Clients, acct: str, i: int, region: str, r: int, kind: str | None
            ) -> None:
    """One account's estate in one region (``kind``: the violation planted here, if any)."""
    ec2 = client("ec2", region)
    s3 = client("s3", region)
    kms = client("kms", region)
    ddb = client("dynamodb", region)
    logs = client("logs", region)
    short = region.replace("cn-", "").replace("-", "")  # north1, northwest1
    cidr = f"10.{(i * 4 + r) % 250}.0.0/16"
    base = cidr.rsplit(".", 2)[0]
    prod = _tags("important")
    # The stores hold general data (what an AWS estate in moto can hold compliantly: a store
    # of sensitive data or above also needs AWS Backup copies and restore testing, which
    # moto 5.2 does not serve); the key-rotation plant raises its table to important.
    level = "important" if kind == "key_not_rotated" else "general"

    # The production network domain, rated important, its traffic recorded (flow logs kept
    # 400 days: at least the 365 an important level asks).
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=_tag_list({"Name": f"{_name(i)}-prod", **prod}))
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{n}.0/24",
                                 AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
               for n, az in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(GroupName=f"{_name(i)}-app", Description="app tier",
                                   VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": cidr, "Description": "within the domain"}]}])
    flow_group = f"/vpc/{_name(i)}-prod"
    logs.create_log_group(logGroupName=flow_group, tags=prod)
    logs.put_retention_policy(logGroupName=flow_group, retentionInDays=400)
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="cloud-watch-logs", LogGroupName=flow_group,
                         DeliverLogsPermissionArn=f"arn:aws-cn:iam::{acct}:role/flow-logs")

    # A customer-managed key, rotated (but where the plant says otherwise).
    key = kms.create_key(Description=f"{_name(i)} accounts key",
                         Tags=_tag_list(prod, "TagKey", "TagValue"))["KeyMetadata"]
    if kind != "key_not_rotated":
        kms.enable_key_rotation(KeyId=key["KeyId"])

    # The accounts table, under that key, point-in-time recovery on.
    table = f"{_name(i)}-{short}-accounts"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     SSESpecification={"Enabled": True, "SSEType": "KMS",
                                       "KMSMasterKeyId": key["Arn"]},
                     Tags=_tag_list(_tags(level)))
    ddb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    # A general-level table of the same line of business.
    ddb.create_table(TableName=f"{_name(i)}-{short}-rates", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     Tags=_tag_list(_tags("general")))

    # The documents bucket (general), private and refusing plaintext.
    docs = f"{acct}-{short}-documents"
    _bucket(s3, docs, region, _tags("general"), tls_only=True)
    s3.put_public_access_block(Bucket=docs, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})

    if r == 0:  # one multi-Region trail per account, logging the tables' data events
        ct = client("cloudtrail", region)
        trail = f"{_name(i)}-audit"
        ct.create_trail(Name=trail, S3BucketName=docs, IsMultiRegionTrail=True)
        ct.put_event_selectors(TrailName=trail, AdvancedEventSelectors=[{
            "Name": "tables", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]}]}])
        ct.start_logging(Name=trail)

    if kind == "public":
        name = f"{acct}-{short}-statements"
        _bucket(s3, name, region, _tags("sensitive"))
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": f"arn:aws-cn:s3:::{name}/*"}]}))
    elif kind == "unclassified":
        _bucket(s3, f"{acct}-{short}-scratch", region, _tags(None), tls_only=True)
    elif kind in ("unencrypted", "test_in_prod"):
        rds = client("rds", region)
        group = f"{_name(i)}-db"
        rds.create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription="db",
                                   SubnetIds=subnets)
        test = kind == "test_in_prod"
        rds.create_db_instance(
            DBInstanceIdentifier=f"{_name(i)}-{'uat' if test else 'ledger'}",
            Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
            MasterUsername="admin1", MasterUserPassword="password1",
            DBSubnetGroupName=group, VpcSecurityGroupIds=[sg], PubliclyAccessible=False,
            StorageEncrypted=test,  # the test copy under AWS's key, not the accounts key
            # No automated snapshot: moto names it after the minute it was taken.
            BackupRetentionPeriod=0,
            Tags=_tag_list(_tags("general" if test else "sensitive",
                                 "test" if test else "production")))


def _bucket(s3: Any, name: str, region: str, tags: dict[str, str], tls_only: bool = False
            ) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tag_list(tags)})
    if tls_only:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [f"arn:aws-cn:s3:::{name}", f"arn:aws-cn:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
