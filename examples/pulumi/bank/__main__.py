"""The dsscan parity estate as a Pulumi Python program (pulumi-aws 7).

One bank in account 111111111111, region cn-north-1 (both from Pulumi.dev.yaml, through the
default aws provider): a production VPC and a test VPC peered with each other, a customer KMS
key, three buckets, three PostgreSQL instances, a DynamoDB table, a Redis replication group
and an AWS Backup vault, plan and selection. The same estate exists as a Terraform plan and in
moto; dsscan must find the same things in all of them.

Levels come from the ``dsscan:level`` tag, environments from ``environment``. Resources refer
to each other through outputs (``bucket.id``, ``key.arn``, ``vpc.id``), as real programs do, so
a preview knows those values only after apply and dsscan resolves them from the SDK's
dependencies. Bucket policies name their buckets literally, so they are known at preview time.

Run it under dsscan's mocks (no Pulumi CLI, backend or cloud needed)::

    dsscan scan pulumi examples/pulumi/bank
"""

import json

import pulumi
import pulumi_aws as aws

PROD = {"environment": "production"}
TEST = {"environment": "test"}

partition = aws.get_partition().partition
account = aws.get_caller_identity().account_id

# -- KMS ----------------------------------------------------------------------------------------

bank_data = aws.kms.Key(
    "bank-data",
    description="bank-data: customer data at rest",
    enable_key_rotation=True,
    deletion_window_in_days=30,
    tags=PROD,
)
aws.kms.Alias("bank-data", name="alias/bank-data", target_key_id=bank_data.key_id)

# -- networks -----------------------------------------------------------------------------------

prod = aws.ec2.Vpc(
    "prod",
    cidr_block="10.0.0.0/16",
    enable_dns_hostnames=True,
    tags={"Name": "prod", "dsscan:level": "important", **PROD},
)
prod_zones = {"a": "10.0.1.0/24", "b": "10.0.2.0/24"}
prod_subnets = [
    aws.ec2.Subnet(
        f"prod-{zone}",
        vpc_id=prod.id,
        cidr_block=cidr,
        availability_zone=f"cn-north-1{zone}",
        tags={"Name": f"prod-{zone}", **PROD},
    )
    for zone, cidr in prod_zones.items()
]
prod_igw = aws.ec2.InternetGateway("prod", vpc_id=prod.id, tags={"Name": "prod", **PROD})
prod_rt = aws.ec2.RouteTable("prod", vpc_id=prod.id, tags={"Name": "prod", **PROD})
aws.ec2.Route(
    "prod-internet",
    route_table_id=prod_rt.id,
    destination_cidr_block="0.0.0.0/0",
    gateway_id=prod_igw.id,
)
for zone, subnet in zip(prod_zones, prod_subnets, strict=True):
    aws.ec2.RouteTableAssociation(f"prod-{zone}", subnet_id=subnet.id, route_table_id=prod_rt.id)

test = aws.ec2.Vpc(
    "test",
    cidr_block="10.30.0.0/16",
    enable_dns_hostnames=True,
    tags={"Name": "test", "dsscan:level": "sensitive", **TEST},
)
test_subnet = aws.ec2.Subnet(
    "test-a",
    vpc_id=test.id,
    cidr_block="10.30.1.0/24",
    availability_zone="cn-north-1a",
    tags={"Name": "test-a", **TEST},
)
test_rt = aws.ec2.RouteTable("test", vpc_id=test.id, tags={"Name": "test", **TEST})
aws.ec2.RouteTableAssociation("test-a", subnet_id=test_subnet.id, route_table_id=test_rt.id)

# Production and test peered (what DS-TST-001 forbids), routed both ways.
peering = aws.ec2.VpcPeeringConnection(
    "prod-test",
    vpc_id=prod.id,
    peer_vpc_id=test.id,
    auto_accept=True,
    tags={"Name": "prod-test", **PROD},
)
aws.ec2.Route(
    "prod-to-test",
    route_table_id=prod_rt.id,
    destination_cidr_block="10.30.0.0/16",
    vpc_peering_connection_id=peering.id,
)
aws.ec2.Route(
    "test-to-prod",
    route_table_id=test_rt.id,
    destination_cidr_block="10.0.0.0/16",
    vpc_peering_connection_id=peering.id,
)

ALL_OUT = [aws.ec2.SecurityGroupEgressArgs(protocol="-1", from_port=0, to_port=0,
                                           cidr_blocks=["0.0.0.0/0"])]


def postgres_from(*cidrs: str) -> list:
    return [aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=5432, to_port=5432,
                                             cidr_blocks=list(cidrs))]


db_sg = aws.ec2.SecurityGroup(
    "db",
    name="db",
    description="PostgreSQL from production, test and (temporarily) a vendor",
    vpc_id=prod.id,
    ingress=postgres_from("10.0.0.0/16", "10.30.0.0/16", "0.0.0.0/0"),
    egress=ALL_OUT,
    tags={"Name": "db", **PROD},
)
cache_sg = aws.ec2.SecurityGroup(
    "cache",
    name="cache",
    description="Redis from production",
    vpc_id=prod.id,
    ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=6379, to_port=6379,
                                              cidr_blocks=["10.0.0.0/16"])],
    egress=ALL_OUT,
    tags={"Name": "cache", **PROD},
)
test_db_sg = aws.ec2.SecurityGroup(
    "test-db",
    name="test-db",
    description="PostgreSQL from the test VPC",
    vpc_id=test.id,
    ingress=postgres_from("10.30.0.0/16"),
    egress=ALL_OUT,
    tags={"Name": "test-db", **TEST},
)

# -- S3 -----------------------------------------------------------------------------------------


def bucket_arn(name: str) -> str:
    # Literal, not bucket.arn: a policy built from outputs is unknown until apply.
    return f"arn:{partition}:s3:::{name}"


def public_read(name: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject", "Resource": f"{bucket_arn(name)}/*"}],
    })


def public_bucket(name: str, level: str, sse: dict) -> aws.s3.Bucket:
    bucket = aws.s3.Bucket(name, bucket=name, tags={"dsscan:level": level, **PROD})
    aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=sse)],
    )
    block = aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=False,
        block_public_policy=False,
        ignore_public_acls=False,
        restrict_public_buckets=False,
    )
    # S3 refuses a public policy while the block is still on: put it after the block.
    aws.s3.BucketPolicy(name, bucket=bucket.id, policy=public_read(name),
                        opts=pulumi.ResourceOptions(depends_on=[block]))
    return bucket


statements = aws.s3.Bucket(
    "bank-statements",
    bucket="bank-statements",
    tags={"dsscan:level": "sensitive", "backup": "daily", **PROD},
)
aws.s3.BucketServerSideEncryptionConfiguration(
    "bank-statements",
    bucket=statements.id,
    rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=aws.s3.
        BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=bank_data.arn),
        bucket_key_enabled=True,
    )],
)
aws.s3.BucketPublicAccessBlock(
    "bank-statements",
    bucket=statements.id,
    block_public_acls=True,
    block_public_policy=True,
    ignore_public_acls=True,
    restrict_public_buckets=True,
)
aws.s3.BucketVersioning(
    "bank-statements",
    bucket=statements.id,
    versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
)
aws.s3.BucketPolicy(
    "bank-statements",
    bucket=statements.id,
    policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket_arn("bank-statements"), f"{bucket_arn('bank-statements')}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }),
)

SSE_S3 = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
    sse_algorithm="AES256")
loan_documents = public_bucket("loan-documents", "sensitive", SSE_S3)
marketing_site = public_bucket("marketing-site", "general", SSE_S3)

# -- RDS ----------------------------------------------------------------------------------------

prod_db_subnets = aws.rds.SubnetGroup(
    "prod-db", name="prod-db", subnet_ids=[s.id for s in prod_subnets], tags=PROD)
test_db_subnets = aws.rds.SubnetGroup(
    "test-db", name="test-db", subnet_ids=[test_subnet.id], tags=TEST)


def postgres(name: str, *, level: str, tags: dict, subnets: aws.rds.SubnetGroup,
             sg: aws.ec2.SecurityGroup, retention: int, kms_key_id=None,
             instance_class: str = "db.t4g.medium") -> aws.rds.Instance:
    return aws.rds.Instance(
        name,
        identifier=name,
        engine="postgres",
        engine_version="16.4",
        instance_class=instance_class,
        allocated_storage=50,
        username="dbadmin",
        manage_master_user_password=True,  # the password lives in Secrets Manager, not state
        storage_encrypted=True,
        kms_key_id=kms_key_id,  # None: the AWS-managed aws/rds key
        backup_retention_period=retention,
        db_subnet_group_name=subnets.name,
        vpc_security_group_ids=[sg.id],
        publicly_accessible=False,
        skip_final_snapshot=True,
        tags={"dsscan:level": level, **tags},
    )


core_ledger = postgres("core-ledger", level="core", tags=PROD, subnets=prod_db_subnets, sg=db_sg,
                       retention=35, kms_key_id=bank_data.arn, instance_class="db.m6g.large")
customer_profile = postgres("customer-profile", level="important", tags=PROD,
                            subnets=prod_db_subnets, sg=db_sg, retention=7)
# A test copy of customer data with no desensitization record (DS-TST-003).
test_customer_db = postgres("test-customer-db", level="sensitive", tags=TEST,
                            subnets=test_db_subnets, sg=test_db_sg, retention=1,
                            kms_key_id=bank_data.arn)

# -- DynamoDB, ElastiCache ----------------------------------------------------------------------

card_transactions = aws.dynamodb.Table(
    "card-transactions",
    name="card-transactions",
    billing_mode="PAY_PER_REQUEST",
    hash_key="transaction_id",
    attributes=[aws.dynamodb.TableAttributeArgs(name="transaction_id", type="S")],
    server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
        enabled=True, kms_key_arn=bank_data.arn),
    point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
    tags={"dsscan:level": "important", **PROD},
)

cache_subnets = aws.elasticache.SubnetGroup(
    "cache", name="cache", subnet_ids=[s.id for s in prod_subnets], tags=PROD)
session_cache = aws.elasticache.ReplicationGroup(
    "session-cache",
    replication_group_id="session-cache",
    description="web sessions",
    engine="redis",
    engine_version="7.1",
    node_type="cache.t4g.small",
    num_cache_clusters=1,
    port=6379,
    subnet_group_name=cache_subnets.name,
    security_group_ids=[cache_sg.id],
    at_rest_encryption_enabled=False,
    transit_encryption_enabled=False,
    tags={"dsscan:level": "sensitive", **PROD},
)

# -- AWS Backup ---------------------------------------------------------------------------------

vault = aws.backup.Vault(
    "prod-vault",
    name="prod-vault",
    kms_key_arn=bank_data.arn,
    tags={"dsscan:level": "important", **PROD},
)
plan = aws.backup.Plan(
    "daily",
    name="daily",
    rules=[aws.backup.PlanRuleArgs(
        rule_name="daily",
        target_vault_name=vault.name,
        schedule="cron(0 19 * * ? *)",  # 03:00 in Beijing
        lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=35),
    )],
    tags=PROD,
)
aws.backup.Selection(
    "daily",
    name="daily",
    plan_id=plan.id,
    iam_role_arn=f"arn:{partition}:iam::{account}:role/service-role/AWSBackupDefaultServiceRole",
    selection_tags=[aws.backup.SelectionSelectionTagArgs(
        type="STRINGEQUALS", key="backup", value="daily")],
)

pulumi.export("statements_bucket", statements.bucket)
pulumi.export("core_ledger_endpoint", core_ledger.endpoint)
pulumi.export("prod_vpc", prod.id)
