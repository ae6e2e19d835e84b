"""The example bank estate's resources, one builder per family (KMS, network, buckets,
databases, other stores, backup vaults), called in order by dsscan.examples.aws_estate."""

from __future__ import annotations

import json
from typing import Any

from dsscan.examples.aws_estate_layout import (
    DATABASES,
    DR,
    FLOW_LOGS,
    KEYS,
    PARTITION,
    PEERINGS,
    PROD,
    R1,
    R2,
    SECURITY_GROUPS,
    TEST,
    UNROUTED_PEERINGS,
    VPCS,
    WAIT,
    P,
    T,
    _aws_managed_key,
    _Estate,
    _spec,
    _tags,
    _until,
)

PARTNER = "888877776666"  # a fintech partner's account: not the bank's (DS-SHR-001)


# --- KMS ----------------------------------------------------------------------------------------
def _keys(est: _Estate) -> None:
    for (account, region), aliases in KEYS.items():
        kms = est.client(account, "kms", region)
        for alias in aliases:
            key = kms.create_key(Description=f"dsscan demo: {alias}",
                                 Tags=[{"TagKey": "purpose", "TagValue": alias}])
            arn = key["KeyMetadata"]["Arn"]
            kms.create_alias(AliasName=f"alias/{alias}", TargetKeyId=arn)
            if alias != "cards":  # DS-KMS-001's violating twin: important data, never rotated
                kms.enable_key_rotation(KeyId=arn)
            est.ids[f"key:{account}/{region}/alias/{alias}"] = arn
            est.made(account, region, "kms_key")


def _key_duties(est: _Estate) -> None:
    """DS-KMS-001's other violating twins, once every store uses its key: the risk key's
    policy lets anyone decrypt (a vendor statement that lost its condition), and the DR
    backup key is scheduled for deletion (the DR copies would die with it; cancellable for
    7 days: CancelKeyDeletion)."""
    kms = est.client(P, "kms", R1)
    root = f"arn:{PARTITION}:iam::{P}:root"
    kms.put_key_policy(KeyId=est.key(P, R1, "risk"), PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "VendorAnalytics", "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": "kms:Decrypt", "Resource": "*"}]}))
    key_id = est.key(DR, R2, "dr-backup").rsplit("/", 1)[-1]  # (moto takes the id only)
    est.client(DR, "kms", R2).schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


# --- network ------------------------------------------------------------------------------------
def _network(est: _Estate) -> None:
    zones: dict[str, list[str]] = {}
    main_rt: dict[str, str] = {}
    for name, (account, cidr, tags, igw) in VPCS.items():
        ec2 = est.client(account, "ec2")
        if account not in zones:  # two AZs: RDS, ElastiCache and Redshift subnet groups need them
            azs = ec2.describe_availability_zones(
                Filters=[{"Name": "state", "Values": ["available"]}])["AvailabilityZones"]
            zones[account] = sorted(z["ZoneName"] for z in azs)[:2]
        vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_spec("vpc", {"Name": name, **tags}))
        vpc_id = vpc["Vpc"]["VpcId"]
        est.ids[f"vpc:{name}"] = vpc_id
        est.made(account, R1, "vpc")
        ec2.get_waiter("vpc_available").wait(VpcIds=[vpc_id], WaiterConfig=WAIT)
        prefix = cidr.rsplit(".", 2)[0]  # "10.10"
        for i, az in enumerate(zones[account], start=1):
            sub = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{prefix}.{i}.0/24",
                                    AvailabilityZone=az,
                                    TagSpecifications=_spec("subnet", {"Name": f"{name}-{az}"}))
            est.ids[f"subnet:{name}/{i}"] = sub["Subnet"]["SubnetId"]
            est.made(account, R1, "subnet")
        rts = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                 {"Name": "association.main", "Values": ["true"]}])
        main_rt[name] = rts["RouteTables"][0]["RouteTableId"]
        ec2.create_tags(Resources=[main_rt[name]], Tags=_tags({"Name": f"{name}-main"}))
        est.ids[f"rtb:{name}"] = main_rt[name]
        if igw:
            gw = ec2.create_internet_gateway(
                TagSpecifications=_spec("internet-gateway", {"Name": f"{name}-igw"}))
            gw_id = gw["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=gw_id, VpcId=vpc_id)
            ec2.create_route(RouteTableId=main_rt[name], DestinationCidrBlock="0.0.0.0/0",
                             GatewayId=gw_id)
            est.ids[f"igw:{name}"] = gw_id
            est.made(account, R1, "internet_gateway")

    for requester, accepter in (*PEERINGS, *UNROUTED_PEERINGS):
        (req_acct, req_cidr, _, _), (acc_acct, acc_cidr, _, _) = VPCS[requester], VPCS[accepter]
        pcx = est.client(req_acct, "ec2").create_vpc_peering_connection(
            VpcId=est.ids[f"vpc:{requester}"], PeerVpcId=est.ids[f"vpc:{accepter}"],
            PeerOwnerId=acc_acct, PeerRegion=R1,
            TagSpecifications=_spec("vpc-peering-connection",
                                    {"Name": f"{requester}-to-{accepter}"}))
        pcx_id = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        acc_ec2 = est.client(acc_acct, "ec2")
        acc_ec2.get_waiter("vpc_peering_connection_exists").wait(
            VpcPeeringConnectionIds=[pcx_id], WaiterConfig=WAIT)
        acc_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
        routed = (requester, accepter) in PEERINGS
        for vpc, account, peer_cidr in ((requester, req_acct, acc_cidr),
                                        (accepter, acc_acct, req_cidr)) if routed else ():
            est.client(account, "ec2").create_route(
                RouteTableId=main_rt[vpc], DestinationCidrBlock=peer_cidr,
                VpcPeeringConnectionId=pcx_id)
        est.ids[f"pcx:{requester}/{accepter}"] = pcx_id
        est.made(req_acct, R1, "vpc_peering")

    for vpc, types in FLOW_LOGS.items():
        account = VPCS[vpc][0]
        for traffic in types:
            est.client(account, "ec2").create_flow_logs(
                ResourceIds=[est.ids[f"vpc:{vpc}"]], ResourceType="VPC", TrafficType=traffic,
                LogGroupName=f"/bank/flow-logs/{vpc}/{traffic.lower()}",
                DeliverLogsPermissionArn=f"arn:{PARTITION}:iam::{account}:role/flow-logs")
            est.made(account, R1, "flow_log")

    for name, (vpc, rules) in SECURITY_GROUPS.items():
        account = VPCS[vpc][0]
        ec2 = est.client(account, "ec2")
        sg = ec2.create_security_group(GroupName=name, Description=f"dsscan demo: {name}",
                                       VpcId=est.ids[f"vpc:{vpc}"],
                                       TagSpecifications=_spec("security-group", {"Name": name}))
        ec2.authorize_security_group_ingress(GroupId=sg["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
             "IpRanges": [{"CidrIp": cidr, **({"Description": desc} if desc else {})}]}
            for port, cidr, desc in rules])
        est.ids[f"sg:{name}"] = sg["GroupId"]
        est.made(account, R1, "security_group")


def _subnets(est: _Estate, vpc: str) -> list[str]:
    return [est.ids[f"subnet:{vpc}/{i}"] for i in (1, 2)]


# --- S3 -----------------------------------------------------------------------------------------
def _resident_id(body17: str) -> str:
    """A checksum-valid (GB 11643) synthetic resident ID number, so detectors take it as real."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body17, weights, strict=True))
    return body17 + "10X98765432"[total % 11]


def _kyc_csv() -> bytes:
    rows = ["customer_id,name,id_number"]
    for i in range(20):
        body = f"110101{1970 + i:04d}{(i % 12) + 1:02d}{(i % 28) + 1:02d}{100 + i:03d}"
        rows.append(f"C{10000 + i},客户{i},{_resident_id(body)}")
    return ("\n".join(rows) + "\n").encode()


def _refresh_csv() -> bytes:
    rows = ["customer_id,id_number,mobile"]
    for i in range(30):
        body = f"310104{1975 + i:04d}{(i % 12) + 1:02d}{(i % 27) + 1:02d}{200 + i:03d}"
        rows.append(f"C{20000 + i},{_resident_id(body)},139{i:04d}{(7 * i) % 10000:04d}")
    return ("\n".join(rows) + "\n").encode()


def _public_read(bucket: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:{PARTITION}:s3:::{bucket}/*"}]}


def _tls_only(bucket: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:{PARTITION}:s3:::{bucket}", f"arn:{PARTITION}:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def _bucket(est: _Estate, account: str, region: str, name: str, tags: dict[str, str], *,
            kms_alias: str | None = None, public: bool = False, versioned: bool = False,
            policy: dict[str, Any] | None = None, defaults_only: bool = False) -> Any:
    s3 = est.client(account, "s3", region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(tags)})
    est.made(account, region, "s3_bucket")
    if defaults_only:
        return s3
    rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    if kms_alias:
        rule = {"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": est.key(account, region, kms_alias)},
            "BucketKeyEnabled": True}
    s3.put_bucket_encryption(Bucket=name,
                             ServerSideEncryptionConfiguration={"Rules": [rule]})
    # Explicit either way: AWS blocks public policies on new buckets, moto sets no block at all.
    block = not public
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": block, "IgnorePublicAcls": block,
        "BlockPublicPolicy": block, "RestrictPublicBuckets": block})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if policy:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return s3


def _replication_role(est: _Estate) -> str:
    iam = est.client(P, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="dsscan-demo-s3-replication",
                           AssumeRolePolicyDocument=json.dumps(trust),
                           Description="Replicates bank-statements to the DR account")
    src = f"arn:{PARTITION}:s3:::bank-statements"
    dst = f"arn:{PARTITION}:s3:::bank-statements-replica"
    iam.put_role_policy(RoleName="dsscan-demo-s3-replication", PolicyName="replicate",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Resource": src,
                             "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"]},
                            {"Effect": "Allow", "Resource": f"{src}/*",
                             "Action": ["s3:GetObjectVersionForReplication",
                                        "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]},
                            {"Effect": "Allow", "Resource": f"{dst}/*",
                             "Action": ["s3:ReplicateObject", "s3:ReplicateDelete",
                                        "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"]},
                        ]}))
    est.made(P, R1, "iam_role")
    return str(role["Role"]["Arn"])


def _buckets(est: _Estate) -> None:
    general, sensitive = {"dsscan:level": "general"}, {"dsscan:level": "sensitive"}
    role = _replication_role(est)
    # The replica first: the source's replication rule names it.
    _bucket(est, DR, R2, "bank-statements-replica", dict(PROD), kms_alias="replica",
            versioned=True, policy={"Version": "2012-10-17", "Statement": [{
                "Sid": "ReplicationFromProduction", "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags",
                           "s3:ObjectOwnerOverrideToBucketOwner"],
                "Resource": f"arn:{PARTITION}:s3:::bank-statements-replica/*"}]})
    s3 = _bucket(est, P, R1, "bank-statements", {**sensitive, **PROD}, versioned=True,
                 policy=_tls_only("bank-statements"))
    s3.put_bucket_replication(Bucket="bank-statements", ReplicationConfiguration={
        "Role": role, "Rules": [{
            "ID": "to-dr", "Priority": 1, "Status": "Enabled", "Filter": {},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": f"arn:{PARTITION}:s3:::bank-statements-replica",
                            "Account": DR, "AccessControlTranslation": {"Owner": "Destination"}},
        }]})
    _bucket(est, P, R1, "bank-marketing-site", {**general, **PROD}, public=True,
            policy=_public_read("bank-marketing-site"))
    _bucket(est, P, R1, "loan-documents", {**sensitive, **PROD}, public=True,
            policy=_public_read("loan-documents"))
    s3 = _bucket(est, P, R1, "kyc-archive", {**general, **PROD}, kms_alias="kyc")
    s3.put_object(Bucket="kyc-archive", Key="scans/2026/index.csv", Body=_kyc_csv())
    est.made(P, R1, "s3_object")
    # bank-estate.json has this bucket's encryption and policy AccessDenied: not reproducible
    # without IAM enforcement, so it is left at the service defaults.
    _bucket(est, P, R1, "legacy-reports", {"dsscan:level": "important", **PROD},
            defaults_only=True)
    s3 = _bucket(est, T, R1, "test-fixtures", {**general, **TEST})
    s3.put_object(Bucket="test-fixtures", Key="fixtures/customers.csv",
                  Body="customer_id,id_number\nC1,110101********1234\nC2,440305********002X\n")
    est.made(T, R1, "s3_object")
    # A production extract copied into the test account for a data refresh, undesensitized.
    s3 = _bucket(est, T, R1, "uat-data-refresh", {**sensitive, **TEST})
    s3.put_object(Bucket="uat-data-refresh", Key="exports/2026-11/customers.csv",
                  Body=_refresh_csv())
    est.made(T, R1, "s3_object")


# --- RDS ----------------------------------------------------------------------------------------
def _db_instance(est: _Estate, name: str, *, encrypted: bool = True,
                 retention: int | None = None) -> Any:
    account, vpc, sg, alias, days, tags = DATABASES[name]
    rds = est.client(account, "rds")
    key = (est.key(account, R1, alias) if alias
           else _aws_managed_key(est.client(account, "kms"), "rds"))
    enc: dict[str, Any] = {"StorageEncrypted": False}
    if encrypted:  # the key ARN, never an alias: moto echoes KmsKeyId as given
        enc = {"StorageEncrypted": True, **({"KmsKeyId": key} if key else {})}
    rds.create_db_instance(
        DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
        DBParameterGroupName=DB_PARAMETER_GROUPS[name][0],
        AllocatedStorage=20, MasterUsername="dbadmin", ManageMasterUserPassword=True,
        DBSubnetGroupName=vpc, VpcSecurityGroupIds=[est.ids[f"sg:{sg}"]],
        BackupRetentionPeriod=days if retention is None else retention,
        PubliclyAccessible=False, Tags=_tags(tags), **enc)
    rds.get_waiter("db_instance_available").wait(DBInstanceIdentifier=name, WaiterConfig=WAIT)
    return rds


def _snapshot(rds: Any, instance: str, snapshot: str) -> None:
    rds.create_db_snapshot(DBSnapshotIdentifier=snapshot, DBInstanceIdentifier=instance)
    rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier=snapshot,
                                                 WaiterConfig=WAIT)


# DS-TRN-001: each database's parameter group and its rds.force_ssl. customer-profile's
# accepts plaintext (the violating twin); the others refuse it.
DB_PARAMETER_GROUPS = {"core-ledger": ("core-ledger-pg16", "1"),
                       "customer-profile": ("crm-pg14", "0"),
                       "test-customer-db": ("test-pg16", "1"),
                       "test-masked-db": ("test-pg16", "1")}


def _databases(est: _Estate) -> None:
    for account, vpc, *_ in DATABASES.values():  # one subnet group per VPC, named after it
        est.client(account, "rds").create_db_subnet_group(
            DBSubnetGroupName=vpc, DBSubnetGroupDescription=f"{vpc} databases",
            SubnetIds=_subnets(est, vpc), Tags=_tags({"Name": vpc}))
        est.made(account, R1, "rds_subnet_group")
    made: set[tuple[str, str]] = set()
    for db, (group, force_ssl) in DB_PARAMETER_GROUPS.items():
        account = DATABASES[db][0]
        if (account, group) in made:
            continue
        made.add((account, group))
        rds = est.client(account, "rds")
        rds.create_db_parameter_group(DBParameterGroupName=group, Description=group,
                                      DBParameterGroupFamily="postgres16")
        rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": force_ssl,
             "ApplyMethod": "immediate"}])

    rds = _db_instance(est, "core-ledger")
    _snapshot(rds, "core-ledger", "core-ledger-2026-11-21")
    # The separate copy: another region, the production account (moto cannot copy across
    # accounts), a key of that region; shared with the DR account so it can restore.
    src = rds.describe_db_snapshots(DBSnapshotIdentifier="core-ledger-2026-11-21")
    rds_dr = est.client(P, "rds", R2)
    rds_dr.copy_db_snapshot(SourceDBSnapshotIdentifier=src["DBSnapshots"][0]["DBSnapshotArn"],
                            TargetDBSnapshotIdentifier="core-ledger-2026-11-21-dr",
                            KmsKeyId=est.key(P, R2, "ledger-dr"), SourceRegion=R1,
                            Tags=_tags({"purpose": "disaster-recovery"}))
    rds_dr.get_waiter("db_snapshot_available").wait(
        DBSnapshotIdentifier="core-ledger-2026-11-21-dr", WaiterConfig=WAIT)
    rds_dr.modify_db_snapshot_attribute(DBSnapshotIdentifier="core-ledger-2026-11-21-dr",
                                        AttributeName="restore", ValuesToAdd=[DR])
    est.made(P, R1, "rds_snapshot")
    est.made(P, R2, "rds_snapshot")
    # DS-TST-004 (Art. 48): a refresh of the UAT database from a ledger snapshot shared with the
    # test account, without a desensitization record (a finding), next to its masked twin.
    for snap, tags in (("core-ledger-refresh", {}),
                       ("core-ledger-masked-refresh", {"dsscan:desensitization": "DSR-2025-004"})):
        _snapshot(rds, "core-ledger", snap)
        if tags:
            rds.add_tags_to_resource(
                ResourceName=rds.describe_db_snapshots(DBSnapshotIdentifier=snap)[
                    "DBSnapshots"][0]["DBSnapshotArn"], Tags=_tags(tags))
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier=snap, AttributeName="restore",
                                         ValuesToAdd=[T])
        est.made(P, R1, "rds_snapshot")
    # DS-SHR-001: an extract of the ledger shared with a fintech partner's account, with no
    # sharing record (examples/bank_estate_sharing.py is the saved estate's twin).
    _snapshot(rds, "core-ledger", "core-ledger-partner-extract")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="core-ledger-partner-extract",
                                     AttributeName="restore", ValuesToAdd=[PARTNER])
    est.made(P, R1, "rds_snapshot")

    # No service makes an unencrypted snapshot of an encrypted instance: the export was taken
    # while customer-profile was still unencrypted; the instance was then rebuilt encrypted.
    rds = _db_instance(est, "customer-profile", encrypted=False, retention=0)
    _snapshot(rds, "customer-profile", "customer-profile-export")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="customer-profile-export",
                                     AttributeName="restore", ValuesToAdd=["all"])
    rds.delete_db_instance(DBInstanceIdentifier="customer-profile", SkipFinalSnapshot=True,
                           DeleteAutomatedBackups=True)
    rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier="customer-profile",
                                               WaiterConfig=WAIT)
    est.made(P, R1, "rds_snapshot")
    _db_instance(est, "customer-profile")

    _db_instance(est, "test-customer-db")
    _db_instance(est, "test-masked-db")
    for account, *_ in DATABASES.values():
        est.made(account, R1, "rds_instance")


# --- other stores -------------------------------------------------------------------------------
def _stores(est: _Estate) -> None:
    ddb = est.client(P, "dynamodb")
    ddb.create_table(
        TableName="card-transactions", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "card_id", "AttributeType": "S"},
                              {"AttributeName": "ts", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "card_id", "KeyType": "HASH"},
                   {"AttributeName": "ts", "KeyType": "RANGE"}],
        SSESpecification={"Enabled": True, "SSEType": "KMS",
                          "KMSMasterKeyId": est.key(P, R1, "cards")},
        Tags=_tags({"dsscan:level": "important", **PROD}))
    ddb.get_waiter("table_exists").wait(TableName="card-transactions", WaiterConfig=WAIT)
    ddb.update_continuous_backups(
        TableName="card-transactions",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    # DynamoDB's endpoints accept HTTP: the table's policy refuses it (DS-TRN-001).
    table = ddb.describe_table(TableName="card-transactions")["Table"]["TableArn"]
    ddb.put_resource_policy(ResourceArn=table, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "DenyPlaintext", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:*",
            "Resource": table, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    est.made(P, R1, "dynamodb_table")

    # hr-share: deliberately no dsscan:level (DS-CLS-001).
    efs = est.client(P, "efs")
    managed = _aws_managed_key(est.client(P, "kms"), "elasticfilesystem")
    fs = efs.create_file_system(CreationToken="dsscan-demo-hr-share", Encrypted=True,
                                **({"KmsKeyId": managed} if managed else {}), Backup=True,
                                Tags=_tags({"Name": "hr-share", **PROD}))
    fs_id = fs["FileSystemId"]
    _until(lambda: efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
           ["LifeCycleState"] == "available", f"EFS {fs_id}")
    for subnet in _subnets(est, "prod-internal"):
        efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet,
                                SecurityGroups=[est.ids["sg:hr-share"]])
    est.ids["efs:hr-share"] = fs_id
    est.made(P, R1, "efs_file_system")

    # session-cache: the primary cluster first (it carries subnet group and security group;
    # moto shows neither on a group built from NumCacheClusters), then the group around it.
    # Standalone Redis clusters are never encrypted at rest, so neither is the group.
    ec = est.client(P, "elasticache")
    ec.create_cache_subnet_group(CacheSubnetGroupName="prod-dmz",
                                 CacheSubnetGroupDescription="prod-dmz caches",
                                 SubnetIds=_subnets(est, "prod-dmz"))
    ec.create_cache_cluster(CacheClusterId="session-cache-001", Engine="redis",
                            CacheNodeType="cache.t3.micro", NumCacheNodes=1,
                            CacheSubnetGroupName="prod-dmz",
                            SecurityGroupIds=[est.ids["sg:session-cache"]],
                            SnapshotRetentionLimit=1)
    ec.get_waiter("cache_cluster_available").wait(CacheClusterId="session-cache-001",
                                                  WaiterConfig=WAIT)
    ec.create_replication_group(ReplicationGroupId="session-cache",
                                ReplicationGroupDescription="web sessions",
                                PrimaryClusterId="session-cache-001",
                                # TLS offered, plaintext still accepted (DS-TRN-001)
                                TransitEncryptionEnabled=True,
                                TransitEncryptionMode="preferred",
                                Tags=_tags({"dsscan:level": "sensitive", **PROD}))
    est.made(P, R1, "elasticache_replication_group")

    # risk-warehouse: no level tag; it aggregates ledger and customer data (derived_from is a
    # catalogue fact, not an AWS one).
    rs = est.client(P, "redshift")
    rs.create_cluster_subnet_group(ClusterSubnetGroupName="analytics",
                                   Description="analytics warehouse",
                                   SubnetIds=_subnets(est, "analytics"))
    rs.create_cluster(ClusterIdentifier="risk-warehouse", ClusterType="single-node",
                      NodeType="ra3.xlplus", MasterUsername="riskadmin", ManageMasterPassword=True,
                      ClusterSubnetGroupName="analytics",
                      VpcSecurityGroupIds=[est.ids["sg:risk-warehouse"]],
                      Encrypted=True, KmsKeyId=est.key(P, R1, "risk"), PubliclyAccessible=False,
                      AutomatedSnapshotRetentionPeriod=1, Tags=_tags(dict(PROD)))
    rs.get_waiter("cluster_available").wait(ClusterIdentifier="risk-warehouse", WaiterConfig=WAIT)
    rs.create_cluster_snapshot(SnapshotIdentifier="risk-warehouse-2026-11-21",
                               ClusterIdentifier="risk-warehouse")
    est.made(P, R1, "redshift_cluster")
    est.made(P, R1, "redshift_snapshot")

    ec2 = est.client(P, "ec2")
    az = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    for name, level, alias in (("ledger-batch", "core", "ledger"),
                               ("batch-scratch", "sensitive", None)):
        tags = {"Name": name, "dsscan:level": level, **PROD}
        enc = {"Encrypted": True, "KmsKeyId": est.key(P, R1, alias)} if alias else {}
        vol = ec2.create_volume(AvailabilityZone=az, Size=8, VolumeType="gp3",
                                TagSpecifications=_spec("volume", tags), **enc)
        ec2.get_waiter("volume_available").wait(VolumeIds=[vol["VolumeId"]], WaiterConfig=WAIT)
        snap = ec2.create_snapshot(VolumeId=vol["VolumeId"], Description=f"{name} nightly",
                                   TagSpecifications=_spec("snapshot", {**tags,
                                                                        "Name": f"{name}-snap"}))
        est.ids[f"ebs:{name}"] = vol["VolumeId"]
        est.ids[f"ebs-snapshot:{name}"] = snap["SnapshotId"]
        est.made(P, R1, "ebs_volume")
        est.made(P, R1, "ebs_snapshot")


# --- backup vaults ------------------------------------------------------------------------------
def _vaults(est: _Estate) -> None:
    managed = _aws_managed_key(est.client(P, "kms"), "backup")
    est.client(P, "backup").create_backup_vault(
        BackupVaultName="prod-vault", BackupVaultTags=dict(PROD),
        **({"EncryptionKeyArn": managed} if managed else {}))
    est.made(P, R1, "backup_vault")

    backup = est.client(DR, "backup", R2)
    backup.create_backup_vault(BackupVaultName="dr-vault",
                               EncryptionKeyArn=est.key(DR, R2, "dr-backup"),
                               BackupVaultTags={**PROD, "purpose": "disaster-recovery"})
    # ChangeableForDays makes it compliance mode: immutable once the 3 days have passed.
    backup.put_backup_vault_lock_configuration(BackupVaultName="dr-vault", MinRetentionDays=365,
                                               ChangeableForDays=3)
    est.made(DR, R2, "backup_vault")


# --- operation logs (Art. 43) -------------------------------------------------------------------
def _logging(est: _Estate) -> None:
    """The twins of examples/bank_estate_logging.py (bank-estate.json): a trail recording
    every table and two buckets into bank-audit-logs (400 days) and a log group (1096 days);
    the production databases' pgaudit logs exported (core-ledger's group kept 90 days);
    risk-warehouse's audit log to bank-audit-logs. bank-statements and legacy-reports (a
    write-only selector) stay unlogged."""
    s3 = _bucket(est, P, R1, "bank-audit-logs", {"dsscan:level": "general", **PROD})
    s3.put_bucket_lifecycle_configuration(Bucket="bank-audit-logs", LifecycleConfiguration={
        "Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""},
                   "Expiration": {"Days": 400}}]})
    logs = est.client(P, "logs")
    for name, days in (("org-trail", 1096), ("/aws/rds/instance/core-ledger/postgresql", 90),
                       ("/aws/rds/instance/customer-profile/postgresql", None)):
        logs.create_log_group(logGroupName=name)
        if days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
        est.made(P, R1, "log_group")
    group = logs.describe_log_groups(logGroupNamePrefix="org-trail")["logGroups"][0]["arn"]
    ct = est.client(P, "cloudtrail")
    ct.create_trail(Name="org-data-events", S3BucketName="bank-audit-logs",
                    IsMultiRegionTrail=True, CloudWatchLogsLogGroupArn=group,
                    CloudWatchLogsRoleArn=f"arn:{PARTITION}:iam::{P}:role/cloudtrail-logs")
    ct.put_event_selectors(TrailName="org-data-events", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
            {"Type": "AWS::DynamoDB::Table", "Values": [f"arn:{PARTITION}:dynamodb"]},
            {"Type": "AWS::S3::Object", "Values": [
                f"arn:{PARTITION}:s3:::loan-documents/", f"arn:{PARTITION}:s3:::kyc-archive/"]}]},
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": False, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": [f"arn:{PARTITION}:s3:::legacy-reports/"]}]}])
    ct.start_logging(Name="org-data-events")
    est.made(P, R1, "cloudtrail_trail")
    rds = est.client(P, "rds")
    rds.create_db_parameter_group(DBParameterGroupName="pgaudit",
                                  DBParameterGroupFamily="postgres16", Description="pgaudit")
    rds.modify_db_parameter_group(DBParameterGroupName="pgaudit", Parameters=[
        {"ParameterName": "shared_preload_libraries", "ParameterValue": "pgaudit",
         "ApplyMethod": "pending-reboot"},
        {"ParameterName": "pgaudit.log", "ParameterValue": "all", "ApplyMethod": "immediate"}])
    for name in ("core-ledger", "customer-profile"):
        rds.modify_db_instance(DBInstanceIdentifier=name, DBParameterGroupName="pgaudit",
                               CloudwatchLogsExportConfiguration={
                                   "EnableLogTypes": ["postgresql"]}, ApplyImmediately=True)
    est.client(P, "redshift").enable_logging(ClusterIdentifier="risk-warehouse",
                                             BucketName="bank-audit-logs")
    est.client(P, "dynamodb").tag_resource(
        ResourceArn=est.client(P, "dynamodb").describe_table(
            TableName="card-transactions")["Table"]["TableArn"],
        Tags=[{"Key": "outsourced", "Value": "true"}])


def _principals(est: _Estate) -> None:
    """IAM principals of the production account (DS-IAM-001): auditor (lists and describes,
    reads no data: ViewOnlyAccess-like) is compliant; core-admin (every action on every
    resource: AdministratorAccess-like) and analytics-vendor (S3 read on every bucket, trusted
    by a vendor's account) are the violating twins. The policies are customer-managed copies of
    the AWS managed ones (moto serves AWS managed policies only when told to). Both violating
    roles carry a deny-all permissions boundary, which dsscan does not read, so that the estate
    grants nothing when it is created in real accounts."""
    iam = est.client(P, "iam")
    v = "2012-10-17"

    def policy(name: str, statement: dict[str, Any]) -> str:
        doc = json.dumps({"Version": v, "Statement": [statement]})
        return str(iam.create_policy(PolicyName=name, PolicyDocument=doc)["Policy"]["Arn"])

    boundary = policy("dsscan-demo-deny-all",
                      {"Effect": "Deny", "Action": "*", "Resource": "*"})
    roles = {
        "auditor": (policy("dsscan-demo-view-only", {
            "Effect": "Allow", "Resource": "*", "Action": [
                "s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetBucketLocation",
                "dynamodb:ListTables", "dynamodb:DescribeTable", "rds:Describe*"]}),
            f"arn:{PARTITION}:iam::{P}:root", None),
        "core-admin": (policy("dsscan-demo-administrator", {
            "Effect": "Allow", "Action": "*", "Resource": "*"}),
            f"arn:{PARTITION}:iam::{P}:root", boundary),
        "analytics-vendor": (policy("dsscan-demo-s3-read-only", {
            "Effect": "Allow", "Resource": "*", "Action": ["s3:Get*", "s3:List*"]}),
            f"arn:{PARTITION}:iam::444455556666:root", boundary),
    }
    for name, (arn, trusted, bound) in roles.items():
        trust = {"Version": v, "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                               "Principal": {"AWS": trusted}}]}
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                        **({"PermissionsBoundary": bound} if bound else {}))
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        est.made(P, R1, "iam_role")
# --- identifiers in clear outside governed stores (DS-PII-001) -------------------------------

def _pii_events(masked: bool) -> list[dict[str, Any]]:
    import time as _time

    now = int(_time.time() * 1000)
    events = []
    for i in range(40):
        rid = _resident_id(f"440305{1980 + i % 20:04d}{(i % 12) + 1:02d}{(i % 27) + 1:02d}"
                           f"{300 + i:03d}")
        shown = f"{rid[:6]}********{rid[-4:]}" if masked else rid
        events.append({"timestamp": now - 60_000 + i,
                       "message": f"INFO payment accepted payer id_no={shown} amount={i}.00"})
    return events


def _pii(est: _Estate) -> None:
    """The twins of examples/bank_estate_pii.py: /app/payments-api logs resident ID numbers
    in clear, /app/payments-gateway masked ones; kyc-archive holds an exports/ prefix with
    IDs in clear, loan-documents an exports/ prefix with masked ones. (moto cannot serve
    Athena workgroups to current botocore: the demo reports them not assessed.)"""
    logs = est.client(P, "logs")
    for name, masked in (("/app/payments-api", False), ("/app/payments-gateway", True)):
        logs.create_log_group(logGroupName=name)
        logs.put_retention_policy(logGroupName=name, retentionInDays=30)
        logs.create_log_stream(logGroupName=name, logStreamName="app-1")
        logs.put_log_events(logGroupName=name, logStreamName="app-1",
                            logEvents=_pii_events(masked))
        est.made(P, R1, "log_group")
    s3 = est.client(P, "s3")
    s3.put_object(Bucket="kyc-archive", Key="exports/kyc-2026-11.csv", Body=_kyc_csv())
    masked = "\n".join(f"C{i},110101********{1000 + i}" for i in range(20))
    s3.put_object(Bucket="loan-documents", Key="exports/loans.csv",
                  Body=("customer_id,id_number\n" + masked + "\n").encode())
