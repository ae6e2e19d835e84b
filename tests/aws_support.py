"""Shared pieces of the AWS scanner tests: a credential-free environment and small builders.

Nothing here can reach AWS: credentials are fake, every profile and config file is unset, and
moto (in-process ``mock_aws`` or its server on 127.0.0.1) answers every call.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

REGION = "cn-north-1"
DR_REGION = "cn-northwest-1"
ACCOUNT = "123456789012"  # moto's default account

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN",
         "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


def fake_env(monkeypatch: Any) -> None:
    for k in UNSET:
        monkeypatch.delenv(k, raising=False)
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)


def act_as_user_denied(monkeypatch: Any, denied: list[str]) -> None:
    """From here on, act as an IAM user that may do everything except ``denied``: moto
    enforces IAM after the first calls left unauthenticated (``set_initial_no_auth_action_
    count(3)`` on the test: the three calls made here)."""
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="scanner")
    iam.put_user_policy(UserName="scanner", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": denied, "Resource": "*"}]}))
    key = iam.create_access_key(UserName="scanner")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it caches the old credentials


def by_name(inv: Any, name: str, kind: str | None = None) -> dict[str, Any]:
    hits = [a for a in inv.assets if a.get("name") == name and (kind is None or a["kind"] == kind)]
    assert len(hits) == 1, f"{name}: {len(hits)} assets"
    return hits[0]


def bucket(name: str, region: str = REGION, session: boto3.Session | None = None,
           tags: dict[str, str] | None = None) -> Any:
    s3 = (session or boto3).client("s3", region_name=region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": k, "Value": v} for k, v in tags.items()]})
    return s3


def public_policy(name: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws-cn:s3:::{name}/*"}]})


def vpc_with_subnets(ec2: Any, cidr: str, name: str, level: str | None = None,
                     env: str = "production") -> tuple[str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    tags = [{"Key": "Name", "Value": name}, {"Key": "environment", "Value": env}]
    if level:
        tags.append({"Key": "dsscan:level", "Value": level})
    ec2.create_tags(Resources=[vpc], Tags=tags)
    base = cidr.split("/")[0].rsplit(".", 2)[0]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{i}.0/24",
                                 AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
               for i, az in ((1, "a"), (2, "b"))]
    return vpc, subnets


# --- servers on 127.0.0.1 ------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _LocalServer:
    """An HTTP server on 127.0.0.1 (a free port) serving ``handler`` from a daemon thread."""

    def _serve(self, handler: Any) -> None:
        import http.server
        import threading

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MisbehavingEndpoint(_LocalServer):
    """An HTTP endpoint on 127.0.0.1 that answers every request with one canned AWS error
    response after an optional delay: throttling past retries and timeouts are behaviours
    moto cannot produce, so this stands in for an AWS endpoint under load."""

    def __init__(self, status: int = 400, body: bytes = b"", delay: float = 0.0,
                 content_type: str = "text/xml") -> None:
        import http.server
        import time

        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                outer.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self._serve(Handler)

def query_error(code: str, message: str = "error") -> bytes:
    """An error body of the AWS query protocol (EC2-style services use another)."""
    return (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>r-1</RequestId>"
            "</ErrorResponse>").encode()


# --- every operation called: an estate, answers moto lacks, hooks on every client -----------

OTHER_ACCOUNT = "111111111111"
PREFIX_LIST_CIDR = "10.50.0.0/16"


def full_estate() -> None:
    """A small estate in moto (mock_aws or its server) on which a sweep with
    ``full_sweep_options()`` calls every operation of OPERATIONS, once the answers moto
    lacks (MOTO_LACKS) are given by ``ClientHooks``."""
    kms = boto3.client("kms", region_name=REGION)
    cmk = kms.create_key(Description="estate")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/estate", TargetKeyId=cmk)
    s3 = bucket("estate-ledger", tags={"dsscan:level": "important"})
    s3.put_bucket_encryption(Bucket="estate-ledger", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": cmk}}]})
    s3.put_bucket_policy(Bucket="estate-ledger", Policy=public_policy("estate-ledger"))
    s3c = boto3.client("s3control", region_name=REGION)
    s3c.create_access_point(AccountId=ACCOUNT, Name="estate-ledger-ap", Bucket="estate-ledger")
    s3c.put_access_point_policy(AccountId=ACCOUNT, Name="estate-ledger-ap", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws-cn:iam::{ACCOUNT}:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws-cn:s3:{REGION}:{ACCOUNT}:accesspoint/estate-ledger-ap/"
                        "object/*"}]}))

    ec2 = boto3.client("ec2", region_name=REGION)
    vpc, subnets = vpc_with_subnets(ec2, "10.20.0.0/16", "estate", level="important")
    pl = ec2.create_managed_prefix_list(PrefixListName="office", MaxEntries=5,
                                        AddressFamily="IPv4",
                                        Entries=[{"Cidr": PREFIX_LIST_CIDR}])["PrefixList"]
    sg = ec2.create_security_group(GroupName="estate-db", Description="db",
                                   VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
        "PrefixListIds": [{"PrefixListId": pl["PrefixListId"]}]}])
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=True, KmsKeyId=cmk,
                            TagSpecifications=[{"ResourceType": "volume", "Tags": [
                                {"Key": "Name", "Value": "estate-volume"}]}])["VolumeId"]
    ec2.create_snapshot(VolumeId=vol, TagSpecifications=[{"ResourceType": "snapshot", "Tags": [
        {"Key": "Name", "Value": "estate-volume-snap"}]}])
    # An AMI (its launch permissions read: DescribeImages, DescribeImageAttribute)
    ec2.register_image(Name="estate-image", RootDeviceName="/dev/xvda")

    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_subnet_group(DBSubnetGroupName="estate", DBSubnetGroupDescription="d",
                               SubnetIds=subnets)
    rds.create_db_instance(DBInstanceIdentifier="estate-db", Engine="postgres",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername="admin1", MasterUserPassword="password1",
                           StorageEncrypted=True, KmsKeyId=cmk, DBSubnetGroupName="estate",
                           PubliclyAccessible=False,  # AWS always answers it; moto only if set
                           Tags=[{"Key": "dsscan:level", "Value": "core"}])
    rds.create_db_snapshot(DBInstanceIdentifier="estate-db", DBSnapshotIdentifier="estate-snap")
    rds.create_db_cluster(DBClusterIdentifier="estate-aurora", Engine="aurora-postgresql",
                          MasterUsername="admin1", MasterUserPassword="password1",
                          StorageEncrypted=True, KmsKeyId=cmk)
    rds.create_db_cluster_snapshot(DBClusterIdentifier="estate-aurora",
                                   DBClusterSnapshotIdentifier="estate-aurora-snap")

    ddb = boto3.client("dynamodb", region_name=REGION)
    arn = ddb.create_table(TableName="estate-table", BillingMode="PAY_PER_REQUEST",
                           KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                           )["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "dsscan:level", "Value": "sensitive"}])
    ddb.create_backup(TableName="estate-table", BackupName="estate-backup")

    rs = boto3.client("redshift", region_name=REGION)
    rs.create_cluster_subnet_group(ClusterSubnetGroupName="estate", Description="d",
                                   SubnetIds=subnets)
    rs.create_cluster(ClusterIdentifier="estate-dw", NodeType="dc2.large",
                      MasterUsername="admin1", MasterUserPassword="Password1",
                      ClusterSubnetGroupName="estate", Encrypted=True, KmsKeyId=cmk)
    rs.create_cluster_snapshot(SnapshotIdentifier="estate-dw-snap",
                               ClusterIdentifier="estate-dw")

    efs = boto3.client("efs", region_name=REGION)
    fs = efs.create_file_system(CreationToken="estate", Encrypted=True, KmsKeyId=cmk,
                                Tags=[{"Key": "Name", "Value": "estate-fs"}])["FileSystemId"]
    efs.create_mount_target(FileSystemId=fs, SubnetId=subnets[0], SecurityGroups=[sg])

    ec = boto3.client("elasticache", region_name=REGION)
    ec.create_cache_subnet_group(CacheSubnetGroupName="estate",
                                 CacheSubnetGroupDescription="d", SubnetIds=subnets)
    ec.create_replication_group(ReplicationGroupId="estate-cache",
                                ReplicationGroupDescription="c", CacheSubnetGroupName="estate",
                                AtRestEncryptionEnabled=True, KmsKeyId=cmk)
    # moto names the group's member cluster without creating it (so no subnet group): create it.
    ec.create_cache_cluster(CacheClusterId="estate-cache-001", ReplicationGroupId="estate-cache",
                            CacheSubnetGroupName="estate", SecurityGroupIds=[sg], Engine="redis",
                            CacheNodeType="cache.t3.micro", NumCacheNodes=1)
    ec.create_cache_cluster(CacheClusterId="estate-memcached", CacheSubnetGroupName="estate",
                            SecurityGroupIds=[sg], Engine="memcached",
                            CacheNodeType="cache.t3.micro", NumCacheNodes=1)

    bk = boto3.client("backup", region_name=REGION)
    bk.create_backup_vault(BackupVaultName="estate-vault", EncryptionKeyArn=cmk,
                           BackupVaultTags={"environment": "production"})
    bk.create_backup_plan(BackupPlan={"BackupPlanName": "estate-daily", "Rules": [{
        "RuleName": "daily", "TargetBackupVaultName": "estate-vault"}]})

    # DMS (DS-TST-004): one task, so that its tags are read.
    dms = boto3.client("dms", region_name=REGION)
    eps = [dms.create_endpoint(EndpointIdentifier=f"estate-{t}", EndpointType=t,
                               EngineName="postgres", ServerName="10.20.0.5", Port=5432,
                               DatabaseName="d", Username="u", Password="p")["Endpoint"]
           for t in ("source", "target")]
    ri = dms.create_replication_instance(ReplicationInstanceIdentifier="estate-ri",
                                         ReplicationInstanceClass="dms.t3.micro")
    dms.create_replication_task(
        ReplicationTaskIdentifier="estate-task", SourceEndpointArn=eps[0]["EndpointArn"],
        TargetEndpointArn=eps[1]["EndpointArn"], MigrationType="full-load",
        ReplicationInstanceArn=ri["ReplicationInstance"]["ReplicationInstanceArn"],
        TableMappings='{"rules": []}')
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    # The management account in an OU: the sweep reads it for legal_entities (DS-SHR-002).
    root = org.list_roots()["Roots"][0]["Id"]
    bank_ou = org.create_organizational_unit(ParentId=root, Name="Bank")["OrganizationalUnit"]
    org.move_account(AccountId=ACCOUNT, SourceParentId=root, DestinationParentId=bank_ou["Id"])
    _logging_estate(rds, rs)
    _iam_estate()


def _iam_estate() -> None:
    """A role, a user and a group, each with an attached customer-managed policy and an inline
    one (DS-IAM-001: every IAM call of scanners/aws/iam.py is made)."""
    c = boto3.client("iam", region_name=REGION)
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws-cn:s3:::estate-*/*"}]})
    arn = c.create_policy(PolicyName="estate-read", PolicyDocument=doc)["Policy"]["Arn"]
    c.create_role(RoleName="estate-app", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "ec2.amazonaws.com.cn"}}]}))
    c.attach_role_policy(RoleName="estate-app", PolicyArn=arn)
    c.put_role_policy(RoleName="estate-app", PolicyName="inline", PolicyDocument=doc)
    c.create_user(UserName="estate-user")
    c.attach_user_policy(UserName="estate-user", PolicyArn=arn)
    c.put_user_policy(UserName="estate-user", PolicyName="inline", PolicyDocument=doc)
    c.create_group(GroupName="estate-group")
    c.attach_group_policy(GroupName="estate-group", PolicyArn=arn)
    c.put_group_policy(GroupName="estate-group", PolicyName="inline", PolicyDocument=doc)


def _logging_estate(rds: Any, rs: Any) -> None:
    """Operation logs (Art. 43): a trail selecting estate-ledger's data events (delivered
    into a prefix kept 400 days), audit logs of a MySQL instance (audit plugin option), of estate-db
    (pgaudit) exported to a log group kept 90 days, and Redshift audit logging to S3."""
    # The trail delivers into estate-ledger itself: a second bucket would change what the
    # fault tests expect of every S3 call.
    boto3.client("s3", region_name=REGION).put_bucket_lifecycle_configuration(
        Bucket="estate-ledger", LifecycleConfiguration={"Rules": [{
            "ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "AWSLogs/"},
            "Expiration": {"Days": 400}}]})
    ct = boto3.client("cloudtrail", region_name=REGION)
    ct.create_trail(Name="estate-trail", S3BucketName="estate-ledger")
    ct.put_event_selectors(TrailName="estate-trail", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws-cn:s3:::estate-ledger/"]}]}])
    ct.start_logging(Name="estate-trail")
    cw = boto3.client("logs", region_name=REGION)
    cw.create_log_group(logGroupName="/aws/rds/instance/estate-db/postgresql")
    cw.put_retention_policy(logGroupName="/aws/rds/instance/estate-db/postgresql",
                            retentionInDays=90)
    rds.create_db_parameter_group(DBParameterGroupName="estate-pg",
                                  DBParameterGroupFamily="postgres16", Description="pgaudit")
    rds.modify_db_parameter_group(DBParameterGroupName="estate-pg", Parameters=[
        {"ParameterName": "shared_preload_libraries", "ParameterValue": "pgaudit",
         "ApplyMethod": "pending-reboot"},
        {"ParameterName": "pgaudit.log", "ParameterValue": "all",
         "ApplyMethod": "immediate"}])
    rds.modify_db_instance(DBInstanceIdentifier="estate-db", DBParameterGroupName="estate-pg",
                           CloudwatchLogsExportConfiguration={
                               "EnableLogTypes": ["postgresql"]}, ApplyImmediately=True)
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="estate-aurora-pg",
                                          DBParameterGroupFamily="aurora-postgresql16",
                                          Description="no audit")
    rds.modify_db_cluster(DBClusterIdentifier="estate-aurora",
                          DBClusterParameterGroupName="estate-aurora-pg", ApplyImmediately=True)
    rds.create_option_group(OptionGroupName="estate-audit", EngineName="mysql",
                            MajorEngineVersion="8.0", OptionGroupDescription="audit")
    rds.modify_option_group(OptionGroupName="estate-audit", OptionsToInclude=[
        {"OptionName": "MARIADB_AUDIT_PLUGIN"}], ApplyImmediately=True)
    rds.create_db_instance(DBInstanceIdentifier="estate-mysql", Engine="mysql",
                           DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername="admin1", MasterUserPassword="password1",
                           OptionGroupName="estate-audit", PubliclyAccessible=False,
                           EnableCloudwatchLogsExports=["audit"],
                           Tags=[{"Key": "dsscan:level", "Value": "important"}])
    rs.enable_logging(ClusterIdentifier="estate-dw", BucketName="estate-ledger")


def full_sweep_options(**kw: Any) -> Any:
    """Options under which a sweep of ``full_estate()`` calls every operation: all enabled
    regions (ec2:DescribeRegions), the organization (organizations:ListAccounts) and another
    account entered with a role (sts:AssumeRole)."""
    from dsscan.scanners.aws.sweep import SweepOptions

    return SweepOptions(**{"organization": True, "accounts": [OTHER_ACCOUNT],
                           "role_name": "DsscanReadOnly", **kw})


_VAULT = f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:backup-vault:estate-vault"
_ROLE = f"arn:aws-cn:iam::{ACCOUNT}:role/backup"
_LAKE = f"arn:aws-cn:cloudtrail:{REGION}:{ACCOUNT}:eventdatastore/estate-lake"
_WHEN = 1767225600  # 2026-01-01, as JSON protocols send timestamps

# What AWS answers where moto 5.2 has no implementation (AWS Backup selections, recovery
# points, vault access policies, restore testing): the documented shapes, as JSON bodies.
MOTO_LACKS: dict[tuple[str, str], dict[str, Any]] = {
    # CloudTrail Lake (moto 5.2 serves trails, not event data stores).
    ("cloudtrail", "ListEventDataStores"): {"EventDataStores": [{
        "EventDataStoreArn": _LAKE, "Name": "estate-lake"}]},
    ("cloudtrail", "GetEventDataStore"): {
        "EventDataStoreArn": _LAKE, "Name": "estate-lake", "Status": "ENABLED",
        "MultiRegionEnabled": True, "OrganizationEnabled": False, "RetentionPeriod": 2557,
        "AdvancedEventSelectors": [{"Name": "tables", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]}]}]},
    ("backup", "GetBackupVaultAccessPolicy"): {
        "BackupVaultName": "estate-vault", "BackupVaultArn": _VAULT,
        "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": _ROLE}, "Action": "backup:*",
            "Resource": "*"}]})},
    ("backup", "ListRecoveryPointsByBackupVault"): {"RecoveryPoints": [{
        "RecoveryPointArn": f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:recovery-point:rp-1",
        "BackupVaultArn": _VAULT, "ResourceArn": "arn:aws-cn:s3:::estate-ledger",
        "ResourceType": "S3", "IsEncrypted": True, "Status": "COMPLETED",
        "CreationDate": _WHEN}]},
    ("backup", "ListBackupSelections"): {"BackupSelectionsList": [{
        "SelectionId": "sel-1", "SelectionName": "all-s3", "BackupPlanId": "plan-1",
        "IamRoleArn": _ROLE, "CreationDate": _WHEN}]},
    ("backup", "GetBackupSelection"): {
        "BackupPlanId": "plan-1", "SelectionId": "sel-1", "CreationDate": _WHEN,
        "BackupSelection": {"SelectionName": "all-s3", "IamRoleArn": _ROLE,
                            "Resources": ["arn:aws-cn:s3:::*"]}},
    ("backup", "DescribeRegionSettings"): {"ResourceTypeOptInPreference": {
        "S3": True, "RDS": True, "Aurora": True, "DynamoDB": True, "EBS": True, "EFS": True,
        "Redshift": True}},
    ("backup", "ListRestoreTestingPlans"): {"RestoreTestingPlans": [{
        "RestoreTestingPlanName": "estate-restore", "CreationTime": _WHEN,
        "RestoreTestingPlanArn": f"arn:aws-cn:backup:{REGION}:{ACCOUNT}:restore-testing-plan:x",
        "ScheduleExpression": "cron(0 5 ? * * *)"}]},
    ("backup", "ListRestoreTestingSelections"): {"RestoreTestingSelections": [{
        "RestoreTestingPlanName": "estate-restore", "RestoreTestingSelectionName": "s3",
        "CreationTime": _WHEN, "IamRoleArn": _ROLE, "ProtectedResourceType": "S3"}]},
    ("backup", "GetRestoreTestingSelection"): {"RestoreTestingSelection": {
        "RestoreTestingPlanName": "estate-restore", "RestoreTestingSelectionName": "s3",
        "CreationTime": _WHEN, "IamRoleArn": _ROLE, "ProtectedResourceType": "S3",
        "ProtectedResourceArns": ["arn:aws-cn:s3:::estate-ledger"]}},
    ("backup", "ListRestoreJobs"): {"RestoreJobs": []},
    # moto's RAM refuses aws-cn resource ARNs (MalformedArnException): one share of the vault
    # within its own account (the same association list answers PRINCIPAL and RESOURCE).
    ("ram", "GetResourceShares"): {"resourceShares": [{
        "resourceShareArn": f"arn:aws-cn:ram:{REGION}:{ACCOUNT}:resource-share/estate",
        "name": "estate-share", "status": "ACTIVE", "owningAccountId": ACCOUNT}]},
    ("ram", "GetResourceShareAssociations"): {"resourceShareAssociations": [{
        "resourceShareArn": f"arn:aws-cn:ram:{REGION}:{ACCOUNT}:resource-share/estate",
        "associatedEntity": _VAULT, "status": "ASSOCIATED"}]},
}


class StandIn(_LocalServer):
    """An HTTP server on 127.0.0.1 that answers chosen operations in place of moto (or AWS):
    the answers moto lacks (MOTO_LACKS), and faults — an error status, a malformed body, or
    a reply dripped a byte every half second (``drip``: "body" sends ``body`` that way,
    "forever" an endless body, "headers" an endless status line).

    ``route`` is a botocore ``before-send`` handler (see ClientHooks) that sends the request
    of each chosen operation here instead; botocore then retries, times out and parses as it
    would against AWS. Answers are set per (service, operation) with ``answer``; ``("*",
    "*")`` answers every request, e.g. when a whole service's AWS_ENDPOINT_URL_<SERVICE>
    points here."""

    DRIP_EVERY = 0.5

    def __init__(self) -> None:
        import http.server
        import threading

        outer = self
        self.answers: dict[tuple[str, str], tuple[int, bytes, str, str | None]] = {}
        self.requests: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                service, _, op = self.path.split("?")[0].strip("/").partition("/")
                key = (service, op) if (service, op) in outer.answers else ("*", "*")
                with outer._lock:
                    outer.requests[key] = outer.requests.get(key, 0) + 1
                status, body, ctype, drip = outer.answers.get(
                    key, (404, b"not answered here", "text/plain", None))
                try:
                    outer._send(self, status, body, ctype, drip)
                except OSError:  # the client gave up
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_HEAD = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self._serve(Handler)
        for (service, op), reply in MOTO_LACKS.items():
            self.answer(service, op, 200, json.dumps(reply).encode(), "application/json")

    def _send(self, h: Any, status: int, body: bytes, ctype: str, drip: str | None) -> None:
        import itertools
        import time

        def slowly(data: Any) -> None:
            for b in data:
                h.wfile.write(bytes([b]))
                h.wfile.flush()
                time.sleep(self.DRIP_EVERY)

        if drip == "headers":
            slowly(itertools.chain(b"HTTP/1.1 200 OK\r\nX-Slow: ", itertools.repeat(ord("a"))))
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(10**9 if drip == "forever" else len(body)))
        h.end_headers()
        h.wfile.flush()
        if drip == "forever":
            slowly(itertools.repeat(ord(" ")))
        elif drip == "body":
            slowly(body)
        else:
            h.wfile.write(body)

    def answer(self, service: str, op: str, status: int, body: bytes = b"",
               content_type: str = "application/json", drip: str | None = None) -> None:
        self.answers[(service, op)] = (status, body, content_type, drip)

    def forget(self, service: str, op: str) -> None:
        """Back to moto's answer (or MOTO_LACKS') for the operation."""
        self.answers.pop((service, op), None)
        if (service, op) in MOTO_LACKS:
            self.answer(service, op, 200, json.dumps(MOTO_LACKS[(service, op)]).encode())

    def route(self, request: Any, event_name: str, **_: Any) -> None:
        service, op = event_operation(event_name)
        if (service, op) in self.answers:
            # moto lets requests to 127.0.0.1 through; the signature is not checked here.
            request.url = f"{self.url}/{service}/{op}"


def _service_ids() -> dict[str, str]:
    import botocore.session

    from dsscan.scanners.aws.operations import OPERATIONS

    session = botocore.session.get_session()
    return {session.get_service_model(s).service_id.hyphenize(): s for s in OPERATIONS}


SERVICE_IDS = _service_ids()  # botocore's event names use the service id: s3-control


def event_operation(event_name: str) -> tuple[str, str]:
    """(service, operation) of a botocore event name such as before-send.s3-control.GetX."""
    _, service_id, op = event_name.split(".", 2)
    return SERVICE_IDS.get(service_id, service_id), op


# A handler that must run after botocore's own of its event (ClientHooks' third member): e.g.
# after-call.s3.GetBucketLocation, whose builtin handler sets LocationConstraint from the body.
LAST = "last"


class ClientHooks:
    """Handlers on every botocore client created while active (``with ClientHooks(...)``),
    ahead of moto's and dsscan's own: how tests and bench/bench_faults.py give the answers
    moto lacks and inject faults without touching the scanner. ``handlers`` are (event,
    function) pairs, or (event, function, LAST) for one that must run after botocore's own
    handlers of the event; requests of the operations ``stand_in`` answers are sent to it."""

    def __init__(self, *handlers: tuple[Any, ...], stand_in: StandIn | None = None) -> None:
        # Handlers run in this order: the fixed ones first, so that a test's own handlers
        # see (and may change) what they made.
        self.handlers = [
            # ListBuckets names each bucket's region; older S3-compatible endpoints do not,
            # and the scanner then asks s3:GetBucketLocation: make it ask.
            ("after-call.s3.ListBuckets", _without_bucket_region),
            # AWS names the security groups of every cluster in a VPC; moto keeps them unsaid.
            ("after-call.elasticache.DescribeCacheClusters", _with_cache_security_groups),
            *handlers]
        if stand_in is not None:
            self.handlers.append(("before-send", stand_in.route))

    def __enter__(self) -> ClientHooks:
        from botocore import handlers

        self._specs = [(h[0], h[1], handlers.REGISTER_LAST if h[2:] == (LAST,)
                        else handlers.REGISTER_FIRST) for h in self.handlers]
        handlers.BUILTIN_HANDLERS.extend(self._specs)
        boto3.DEFAULT_SESSION = None  # its emitter predates the handlers
        return self

    def __exit__(self, *_: Any) -> None:
        from botocore import handlers

        for spec in self._specs:
            handlers.BUILTIN_HANDLERS.remove(spec)
        boto3.DEFAULT_SESSION = None


def _without_bucket_region(parsed: Any, **_: Any) -> None:
    for b in parsed.get("Buckets") or []:
        b.pop("BucketRegion", None)


def _with_cache_security_groups(parsed: Any, context: Any, **_: Any) -> None:
    """What AWS answers and moto leaves out: the security groups of a cache cluster (moto
    keeps the ids it was given at creation in its backend, in this process)."""
    from moto.elasticache.models import elasticache_backends

    region = (context or {}).get("client_region")
    for c in parsed.get("CacheClusters") or []:
        if "SecurityGroups" in c:
            continue
        for account in list(elasticache_backends):
            backend = elasticache_backends[account].get(region)
            cluster = getattr(backend, "cache_clusters", {}).get(c.get("CacheClusterId"))
            if cluster is not None and cluster.security_group_ids:
                c["SecurityGroups"] = [{"SecurityGroupId": g, "Status": "active"}
                                       for g in cluster.security_group_ids]


# --- faults, in each protocol's own words ----------------------------------------------------

def protocol_of(service: str) -> str:
    import botocore.session

    return botocore.session.get_session().get_service_model(service).protocol


def error_reply(service: str, code: str, status: int) -> tuple[int, bytes, str]:
    """An AWS error answer (status, body, content type) as ``service``'s protocol sends it."""
    protocol = protocol_of(service)
    if protocol in ("json", "rest-json"):
        return status, json.dumps({"__type": code, "message": "injected"}).encode(), \
            "application/x-amz-json-1.1"
    if protocol == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>injected</Message>"
                "</Error></Errors><RequestID>r-1</RequestID></Response>")
    elif protocol == "query":
        body = query_error(code, "injected").decode()
    else:  # rest-xml
        body = f"<Error><Code>{code}</Code><Message>injected</Message></Error>"
    return status, body.encode(), "text/xml"


# The faults of the matrix: (status, body, content type, drip) per service.
def fault_reply(service: str, fault: str) -> tuple[int, bytes, str, str | None]:
    protocol = protocol_of(service)
    json_like = protocol in ("json", "rest-json")
    if fault == "denied":
        code = {"ec2": "UnauthorizedOperation"}.get(protocol, "AccessDeniedException"
                                                    if json_like else "AccessDenied")
        return (*error_reply(service, code, 403), None)
    if fault == "throttled":
        code, status = (("ThrottlingException", 400) if json_like else
                        ("RequestLimitExceeded", 503) if protocol == "ec2" else
                        ("SlowDown", 503) if service in ("s3", "s3control") else
                        ("Throttling", 400))
        return (*error_reply(service, code, status), None)
    if fault == "5xx":
        return (*error_reply(service, "InternalFailure" if json_like else "InternalError",
                             500), None)
    if fault == "timeout":
        return 200, b"", "application/json", "forever"
    if fault == "malformed":
        return 200, b"<html><body>502 Bad Gateway</body></html>", "text/html", None
    if fault == "empty":
        return 200, b"", "application/json" if json_like else "text/xml", None
    raise ValueError(fault)


FAULTS = ("denied", "throttled", "timeout", "5xx", "malformed", "empty")
