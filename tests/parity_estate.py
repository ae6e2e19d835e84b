"""The parity estate provisioned into moto with boto3: the same bank as
examples/pulumi/bank (Pulumi program, its export and preview) and examples/terraform/bank
(plan JSON), for the test that all four give the same findings.

Where AWS fills something in at creation that the IaC leaves to it, this does it explicitly,
as AWS would: an encrypted RDS instance without a key gets the aws/rds key (moto would give a
placeholder id). The AWS Backup vault, plan and selection are not created here: moto 5.2 has
no backup selections, so the parity test answers the AWS Backup client with botocore's
Stubber instead.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

ACCOUNT, REGION = "111111111111", "cn-north-1"
# The findings of this estate from every description of it (tests/test_parity.py), without
# the operation logs DS-LOG-001/002 (it declares none: their own parity estate is
# tests/test_parity_logging.py); the example plan's test adds those (tests/test_terraform.py).
EXPECTED = {
    ("DS-NET-001", "core-ledger"), ("DS-ENC-001", "customer-profile"),
    ("DS-ENC-001", "session-cache"), ("DS-NET-002", "prod"), ("DS-TST-001", "prod"),
    ("DS-TST-001", "test"), ("DS-BAK-002", "session-cache"), ("DS-BAK-002", "loan-documents"),
    ("DS-NET-003", "loan-documents"), ("DS-TST-003", "test-customer-db"),
    # Automated backups and point-in-time recovery only: kept with the store (Art. 37).
    ("DS-BAK-001", "core-ledger"), ("DS-BAK-001", "customer-profile"),
    ("DS-BAK-001", "card-transactions"), ("DS-BAK-001", "test-customer-db"),
    # No VPC flow logs on the important and the sensitive network (Art. 41).
    ("DS-LOG-003", "prod"), ("DS-LOG-003", "test"),
    # No restore-testing selection covers them, and (live) no restore job ran (Art. 45).
    ("DS-BAK-004", "bank-statements"), ("DS-BAK-004", "card-transactions"),
    ("DS-BAK-004", "core-ledger"), ("DS-BAK-004", "customer-profile"),
    ("DS-BAK-004", "loan-documents"), ("DS-BAK-004", "test-customer-db"),
    # The vault holds important backups and has no vault lock (Art. 37, 45).
    ("DS-BAK-005", "prod-vault"),
    # One key for core production stores and the test database (Art. 37, 48).
    ("DS-KMS-001", "bank-data"),
    # Plaintext accepted: no bucket or table policy denying it, transit encryption off.
    ("DS-TRN-001", "loan-documents"), ("DS-TRN-001", "card-transactions"),
    ("DS-TRN-001", "session-cache"),
}
PROD = {"environment": "production"}


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _session(base: boto3.Session) -> boto3.Session:
    c = base.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws-cn:iam::{ACCOUNT}:role/parity", RoleSessionName="parity")[
            "Credentials"]
    return boto3.Session(aws_access_key_id=c["AccessKeyId"],
                         aws_secret_access_key=c["SecretAccessKey"],
                         aws_session_token=c["SessionToken"], region_name=REGION)


def provision(base: boto3.Session | None = None) -> dict[str, str]:
    """Create the estate (but its AWS Backup part, which moto lacks: see the parity test);
    returns the ARN of the customer key."""
    s = _session(base or boto3.Session(region_name=REGION))
    kms, ec2, s3, rds = (s.client(x) for x in ("kms", "ec2", "s3", "rds"))
    key = kms.create_key(Description="bank data", Tags=[
        {"TagKey": "environment", "TagValue": "production"}])["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/bank-data", TargetKeyId=key)
    aws_rds_key = kms.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]

    def vpc(cidr: str, tags: dict[str, str], subnets: list[tuple[str, str, str]]) -> tuple[
            str, list[str]]:
        v = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[
            {"ResourceType": "vpc", "Tags": _tags(tags)}])["Vpc"]["VpcId"]
        ids = [ec2.create_subnet(VpcId=v, CidrBlock=c, AvailabilityZone=f"{REGION}{az}",
                                 TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(
                                     {"Name": n, "environment": tags["environment"]})}])[
            "Subnet"]["SubnetId"] for n, c, az in subnets]
        return v, ids

    prod, prod_subnets = vpc("10.0.0.0/16", {"Name": "prod", "dsscan:level": "important",
                                            "environment": "production"},
                             [("prod-a", "10.0.1.0/24", "a"), ("prod-b", "10.0.2.0/24", "b")])
    test, test_subnets = vpc("10.30.0.0/16", {"Name": "test", "dsscan:level": "sensitive",
                                             "environment": "test"},
                             [("test-a", "10.30.1.0/24", "a")])
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=prod)
    pcx = ec2.create_vpc_peering_connection(VpcId=prod, PeerVpcId=test)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    for v, subnets, routes in (
            (prod, prod_subnets, [("0.0.0.0/0", {"GatewayId": igw}),
                                  ("10.30.0.0/16", {"VpcPeeringConnectionId": pcx})]),
            (test, test_subnets, [("10.0.0.0/16", {"VpcPeeringConnectionId": pcx})])):
        rt = ec2.create_route_table(VpcId=v)["RouteTable"]["RouteTableId"]
        for dest, target in routes:
            ec2.create_route(RouteTableId=rt, DestinationCidrBlock=dest, **target)
        for sub in subnets:
            ec2.associate_route_table(RouteTableId=rt, SubnetId=sub)

    def sg(name: str, v: str, port: int, *cidrs: str) -> str:
        g = ec2.create_security_group(GroupName=name, Description=name, VpcId=v)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": c} for c in cidrs]}])
        return g

    db_sg = sg("db", prod, 5432, "10.0.0.0/16", "10.30.0.0/16", "0.0.0.0/0")
    cache_sg = sg("cache", prod, 6379, "10.0.0.0/16")
    test_sg = sg("test-db", test, 5432, "10.30.0.0/16")

    def public_read(b: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws-cn:s3:::{b}/*"}]})

    def bucket(name: str, level: str, *, kms_key: str | None, block: bool, policy: str,
               versioned: bool = False, extra: dict[str, str] | None = None) -> None:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(
            {"dsscan:level": level, **PROD, **(extra or {})})})
        rule: dict[str, Any] = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key} \
            if kms_key else {"SSEAlgorithm": "AES256"}
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": rule}]})
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
             "RestrictPublicBuckets"), block))
        s3.put_bucket_policy(Bucket=name, Policy=policy)
        if versioned:
            s3.put_bucket_versioning(Bucket=name,
                                     VersioningConfiguration={"Status": "Enabled"})

    bucket("bank-statements", "sensitive", kms_key=key, block=True, versioned=True,
           extra={"backup": "daily"}, policy=json.dumps({"Version": "2012-10-17", "Statement": [{
               "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
               "Resource": ["arn:aws-cn:s3:::bank-statements",
                            "arn:aws-cn:s3:::bank-statements/*"],
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    bucket("loan-documents", "sensitive", kms_key=None, block=False,
           policy=public_read("loan-documents"))
    bucket("marketing-site", "general", kms_key=None, block=False,
           policy=public_read("marketing-site"))

    rds.create_db_subnet_group(DBSubnetGroupName="prod-db", DBSubnetGroupDescription="prod",
                               SubnetIds=prod_subnets)
    rds.create_db_subnet_group(DBSubnetGroupName="test-db", DBSubnetGroupDescription="test",
                               SubnetIds=test_subnets)
    for name, level, group, group_sg, days, db_key, env in (
            ("core-ledger", "core", "prod-db", db_sg, 35, key, "production"),
            ("customer-profile", "important", "prod-db", db_sg, 7, aws_rds_key, "production"),
            ("test-customer-db", "sensitive", "test-db", test_sg, 1, key, "test")):
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres",
                               DBInstanceClass="db.t3.medium", AllocatedStorage=20,
                               MasterUsername="bank", MasterUserPassword="not-a-secret-1",
                               StorageEncrypted=True, KmsKeyId=db_key,
                               BackupRetentionPeriod=days, DBSubnetGroupName=group,
                               VpcSecurityGroupIds=[group_sg], PubliclyAccessible=False,
                               Tags=_tags({"dsscan:level": level, "environment": env}))

    ddb = s.client("dynamodb")
    ddb.create_table(TableName="card-transactions", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     SSESpecification={"Enabled": True, "SSEType": "KMS",
                                       "KMSMasterKeyId": key},
                     Tags=_tags({"dsscan:level": "important", **PROD}))
    ddb.update_continuous_backups(TableName="card-transactions",
                                  PointInTimeRecoverySpecification={
                                      "PointInTimeRecoveryEnabled": True})

    ec = s.client("elasticache")
    ec.create_cache_subnet_group(CacheSubnetGroupName="cache",
                                 CacheSubnetGroupDescription="cache", SubnetIds=prod_subnets)
    ec.create_replication_group(ReplicationGroupId="session-cache",
                                ReplicationGroupDescription="sessions", Engine="redis",
                                CacheNodeType="cache.t3.micro", NumCacheClusters=1,
                                AtRestEncryptionEnabled=False, CacheSubnetGroupName="cache",
                                SecurityGroupIds=[cache_sg],
                                Tags=_tags({"dsscan:level": "sensitive", **PROD}))

    return {"key": key}
