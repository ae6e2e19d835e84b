"""Provision the example bank estate into AWS-compatible endpoints with plain boto3 calls.

This is the live twin of ``examples/bank-estate.json`` (built by ``build_bank_estate.py``): the
same small bank on three accounts in the ``aws-cn`` partition, with the same names and tags,
breaking every policy family next to compliant twins. ``dsscan demo`` starts moto in-process,
calls :func:`provision` and scans the result with the live AWS scanner; nothing here reads it
back or decides anything — the facts the scanner needs are where a scanner looks for them.

API::

    ACCOUNTS  {"111111111111": "production", "222222222222": "test", "333333333333": "dr"}
    REGIONS   ("cn-north-1", "cn-northwest-1")
    ROLE_NAME "dsscan-demo"
    provision(session=None, role_name=ROLE_NAME) -> summary dict

``provision`` enters each account with ``sts:AssumeRole`` on
``arn:aws-cn:iam::<account>:role/<role_name>`` from ``session`` (default ``boto3.Session()``, so
``AWS_ENDPOINT_URL`` reaches a moto server), creates the estate on a fresh set of accounts (it is
not idempotent) and returns::

    {"partition": "aws-cn",
     "accounts": {account: {"name": "production",
                            "resources": {region: {"vpc": 4, "s3_bucket": 5, ...}}}},
     "ids": {"vpc:prod-core": "vpc-…", "pcx:test/prod-internal": "pcx-…", "sg:session-cache": …,
             "key:111111111111/cn-north-1/alias/ledger": "arn:aws-cn:kms:…", …},
     "seconds": 1.9}

Under moto::

    with moto.mock_aws():                       # MOTO_EC2_LOAD_DEFAULT_AMIS=false, fake creds
        summary = provision(boto3.Session(region_name="cn-north-1"))

What is created (tags: ``dsscan:level``, ``environment``, ``dsscan:desensitization``, ``Name``)

production 111111111111, cn-north-1
  VPCs (each with two subnets; routes on the main route table):
  ``prod-core`` 10.10/16 core; ``prod-internal`` 10.20/16 important; ``prod-dmz`` 10.40/16 general
  with an internet gateway and 0.0.0.0/0 -> igw; ``analytics`` 10.50/16 no level. Peerings
  prod-core<->prod-internal and test<->prod-internal (cross-account, accepted in production),
  routed both ways. Security groups with the ingress of bank-estate.json: ``core-ledger-db``
  5432 from 10.10/16 and 10.20/16, ``customer-profile-db`` 5432 from 10.20/16 and 10.30/16 (the
  test VPC), ``session-cache`` 6379 from 0.0.0.0/0, ``hr-share`` 2049, ``risk-warehouse`` 5439.
  KMS customer keys alias/ledger, alias/cards, alias/kyc, alias/risk.
  RDS ``core-ledger`` (core, alias/ledger, 35-day backups) and ``customer-profile`` (no level tag,
  the AWS-managed alias/aws/rds key, 7 days); manual snapshots ``core-ledger-2026-11-21`` and
  ``customer-profile-export`` (unencrypted, restore shared with ``all``); automated ``rds:…``
  snapshots are whatever the service makes. DynamoDB ``card-transactions`` (important,
  alias/cards, PITR). EFS ``hr-share`` (no level, AWS-managed key, mount targets in
  prod-internal). ElastiCache replication group ``session-cache`` (sensitive, no at-rest
  encryption, prod-dmz). Redshift ``risk-warehouse`` (no level, analytics, alias/risk) and its
  snapshot ``risk-warehouse-2026-11-21``. Backup vault ``prod-vault`` (AWS-managed key, no lock).
  S3 ``bank-statements`` (sensitive, SSE-S3, public access block, aws:SecureTransport deny,
  versioned, replicated to the DR account), ``loan-documents`` (sensitive) and
  ``bank-marketing-site`` (general) with public ``"Principal": "*"`` policies and the block off,
  ``kyc-archive`` (tagged general, SSE-KMS alias/kyc, holds a CSV of unmasked synthetic resident
  ID numbers), ``legacy-reports`` (important, tags only). IAM role ``dsscan-demo-s3-replication``.
  EBS ``ledger-batch`` (core, alias/ledger) and ``batch-scratch`` (sensitive, unencrypted),
  each with a snapshot.
production 111111111111, cn-northwest-1
  KMS alias/ledger-dr; ``core-ledger-2026-11-21-dr``, a cross-region copy of the core-ledger
  snapshot encrypted with it, restore shared with the DR account.
test 222222222222, cn-north-1
  VPCs ``test`` 10.30/16 and ``test-isolated`` 10.60/16 (both sensitive, test); security groups
  ``test-customer-db`` and ``test-masked-db``; KMS alias/test; RDS ``test-customer-db`` (sensitive,
  test, no desensitization record) in ``test`` and ``test-masked-db`` (``dsscan:desensitization:
  DSR-2026-017``) in ``test-isolated``; S3 ``test-fixtures`` (general, test; a masked CSV) and
  ``uat-data-refresh`` (sensitive, test: an undesensitized customer extract).
dr 333333333333, cn-northwest-1
  KMS alias/dr-backup and alias/replica; backup vault ``dr-vault`` (alias/dr-backup, vault lock in
  compliance mode, 365 days minimum retention); S3 ``bank-statements-replica`` (SSE-KMS
  alias/replica, versioned, public access block, a policy letting the production replication
  role write).

Not created, because moto 5.2.5 does not implement them (so bank-estate.json facts that depend on
them are missing from a moto estate): AWS Backup selections, recovery points (the core-ledger and
bank-statements recovery points in prod-vault and dr-vault, ``hr-share-copy``), restore testing
plans and vault access policies (``put_backup_vault_access_policy`` answers 404 "Not yet
implemented", so prod-vault's wildcard principal is absent), restore jobs (so a moto estate
leaves DS-BAK-004 not assessed: restore testing and restore jobs cannot be read), and the
violating replica ``loan-documents-replica`` (moto's GetBucketReplication answers
``DeleteMarkerReplication: Disabled`` whatever was put, so a replica that replicates delete
markers would look like a backup: a wrong pass the demo must not show); EFS backup policies
(``put_backup_policy`` raises NotImplementedError; ``create_file_system(Backup=True)`` is accepted
and ignored, ``describe_backup_policy`` answers PolicyNotFound). Facts that need IAM enforcement
are not faked either: ``legacy-reports`` is fully readable (bank-estate.json has its encryption
and policy AccessDenied) and ElastiCache in the test account can be listed (AccessDenied there).
Content of RDS databases cannot be sampled under moto (no database engine behind it).

Where moto deviates (the calls here are the real-AWS ones; the scanner should expect these):

- KMS: AWS-managed keys (alias/aws/rds, …) exist only once something resolves the alias
  (``describe_key(KeyId="alias/aws/rds")`` creates it, as on AWS) but report
  ``KeyManager: CUSTOMER`` (AWS: ``AWS``); tell them apart by their ``alias/aws/*`` alias.
  ``list_aliases`` lists every reserved ``alias/aws/*`` with a fixed ``TargetKeyId`` whether or
  not the key exists (``describe_key`` on an unresolved one answers NotFound).
  alias/aws/backup is not among moto's reserved aliases: ``describe_key`` answers NotFound, so
  prod-vault is created without ``EncryptionKeyArn`` (AWS then uses aws/backup) and moto's
  ``describe_backup_vault`` returns no ``EncryptionKeyArn`` for it.
- RDS: ``KmsKeyId`` is echoed as given (an alias stays an alias; AWS returns the key ARN), and
  ``StorageEncrypted=True`` without a key yields the literal ``default_kms_key_id``; hence key
  ARNs are always passed. ``copy_db_snapshot`` cannot read a snapshot of another account (even
  shared: DBSnapshotNotFound), so the DR copy of core-ledger is a cross-region copy inside the
  production account (AWS also allows the cross-account copy done from the DR account).
  Automated snapshots ``rds:<id>-<yyyy-mm-dd-hh-mm>`` appear at once on create.
- An unencrypted snapshot of an encrypted instance is impossible (on AWS too), so
  customer-profile is first created unencrypted, ``customer-profile-export`` taken and shared
  with ``all``, and the instance is then deleted and recreated encrypted under the same name.
- ElastiCache: ARNs of replication groups and subnet groups use partition ``aws`` even in
  cn-north-1 (``arn:aws:elasticache:cn-north-1:…``; list_tags_for_resource rejects the aws-cn
  form); ``describe_cache_clusters`` omits ``SecurityGroups``; a cluster made primary of a group
  via ``PrimaryClusterId`` (the call used here, so the cluster carries the subnet group and
  security group) does not report ``ReplicationGroupId``, though the group lists it in
  ``MemberClusters``; endpoints and node AZs are us-east-1 flavoured.
- Redshift: ``describe_clusters`` returns ``VpcId: None`` (resolve it through
  ``ClusterSubnetGroupName``); snapshots carry ``Encrypted`` but no ``KmsKeyId``; an automated
  ``rs:risk-warehouse-<timestamp>`` snapshot appears on create (so there are two).
- EC2: EBS snapshots carry ``Encrypted`` but no ``KmsKeyId``. Cross-account peering works
  (request in one account, accept in the other). Every account and region has a default VPC
  172.31.0.0/16 (as on AWS; moto makes it when the region is first touched, so it is left
  alone): an untagged network domain that bank-estate.json does not have.
- S3: buckets are per account; a new bucket has no public access block configuration (AWS
  blocks public access by default), so the block is always set explicitly; on a bucket with no
  encryption configuration (``legacy-reports``) ``get_bucket_encryption`` answers
  ServerSideEncryptionConfigurationNotFoundError, where AWS reports SSE-S3 since 2023.

On real AWS: the role must exist in each account and trust the caller; bucket names are global,
so these exact names are likely taken; an account-level public access block or EBS
encryption-by-default overrides the deliberately public buckets and the unencrypted volume;
the dr-vault lock becomes immutable after three days and the vault can then never be deleted;
RDS, Redshift and ElastiCache cost money and take tens of minutes (the waiters below matter only
there; under moto every resource is available at once).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from dsscan.examples.aws_estate_layout import ACCOUNTS, REGIONS, ROLE_NAME, _assume, _Estate
from dsscan.examples.aws_estate_resources import (
    _buckets,
    _databases,
    _key_duties,
    _keys,
    _logging,
    _network,
    _pii,
    _principals,
    _stores,
    _vaults,
)
from dsscan.examples.aws_estate_retention import retention

if TYPE_CHECKING:  # boto3 is imported lazily: importing this module must not need or call AWS
    import boto3

__all__ = ["ACCOUNTS", "REGIONS", "ROLE_NAME", "provision"]


def provision(session: boto3.Session | None = None, role_name: str = ROLE_NAME) -> dict[str, Any]:
    """Create the estate; returns a summary (counts per account/service).

    ``session`` is the identity that assumes ``role_name`` in each account (default: a new
    ``boto3.Session()``, so the usual environment, ``AWS_ENDPOINT_URL`` included, applies).
    """
    import boto3

    started = time.monotonic()
    base = session or boto3.Session()
    est = _Estate(base, {account: _assume(base, account, role_name) for account in ACCOUNTS})
    _keys(est)
    _network(est)
    _buckets(est)
    _databases(est)
    _stores(est)
    _vaults(est)
    _logging(est)  # operation logs (Art. 43)
    _pii(est)  # identifiers in clear in logs and exports (Art. 45)
    _key_duties(est)
    _principals(est)  # IAM principals (DS-IAM-001)
    retention(est)  # DS-RET-001/002 (examples/aws_estate_retention.py)
    return est.summary(time.monotonic() - started)
