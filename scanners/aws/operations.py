"""Every AWS API operation the scanner may call, and the IAM action that allows it.

This table is the scanner's contract with ``examples/iam/dsscan-readonly.json``: tests check
that each operation called during a scan is listed here, and that the IAM policy grants
exactly these actions and nothing that writes.
"""

from __future__ import annotations

# service (boto3 client name) -> operations (botocore operation names)
OPERATIONS: dict[str, tuple[str, ...]] = {
    "sts": ("GetCallerIdentity", "AssumeRole"),
    "organizations": ("ListAccounts",),
    "ec2": (
        "DescribeRegions", "DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups",
        "DescribeRouteTables", "DescribeVpcPeeringConnections", "DescribeInternetGateways",
        "DescribeManagedPrefixLists", "GetManagedPrefixListEntries", "DescribeVolumes",
        "DescribeSnapshots", "DescribeSnapshotAttribute",
    ),
    "s3": (
        "ListBuckets", "GetBucketLocation", "GetBucketTagging", "GetBucketEncryption",
        "GetPublicAccessBlock", "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketAcl",
        "GetBucketVersioning", "GetBucketReplication", "GetBucketLogging",
        "GetObjectLockConfiguration",
    ),
    "s3control": (
        "GetPublicAccessBlock", "ListAccessPoints", "GetAccessPoint", "GetAccessPointPolicy",
        "GetAccessPointPolicyStatus",
    ),
    "kms": ("ListKeys", "ListAliases", "DescribeKey"),
    "rds": (
        "DescribeDBInstances", "DescribeDBClusters", "DescribeDBSnapshots",
        "DescribeDBClusterSnapshots", "DescribeDBSnapshotAttributes",
        "DescribeDBClusterSnapshotAttributes",
    ),
    "dynamodb": (
        "ListTables", "DescribeTable", "DescribeContinuousBackups", "ListTagsOfResource",
        "ListBackups", "GetResourcePolicy",
    ),
    "redshift": ("DescribeClusters", "DescribeClusterSnapshots", "DescribeClusterSubnetGroups"),
    "efs": (
        "DescribeFileSystems", "DescribeMountTargets", "DescribeMountTargetSecurityGroups",
        "DescribeBackupPolicy",
    ),
    "elasticache": (
        "DescribeReplicationGroups", "DescribeCacheClusters", "DescribeCacheSubnetGroups",
        "ListTagsForResource",
    ),
    "backup": (
        "ListBackupVaults", "ListTags", "GetBackupVaultAccessPolicy",
        "ListRecoveryPointsByBackupVault", "ListBackupPlans", "GetBackupPlan",
        "ListBackupSelections", "GetBackupSelection", "DescribeRegionSettings",
        "ListRestoreTestingPlans",
        "ListRestoreTestingSelections", "GetRestoreTestingSelection",
    ),
}

# IAM service prefixes that differ from the boto3 client name.
_IAM_PREFIX = {"efs": "elasticfilesystem", "s3control": "s3"}

# IAM action names that differ from the API operation name.
_IAM_NAME = {
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "GetBucketPublicAccessBlock",
    ("s3", "GetBucketReplication"): "GetReplicationConfiguration",
    ("s3", "GetObjectLockConfiguration"): "GetBucketObjectLockConfiguration",
    ("s3control", "GetPublicAccessBlock"): "GetAccountPublicAccessBlock",
}


def iam_action(service: str, operation: str) -> str:
    """``s3:GetEncryptionConfiguration`` for (s3, GetBucketEncryption)."""
    prefix = _IAM_PREFIX.get(service, service)
    return f"{prefix}:{_IAM_NAME.get((service, operation), operation)}"


def all_iam_actions() -> set[str]:
    return {iam_action(s, op) for s, ops in OPERATIONS.items() for op in ops}
