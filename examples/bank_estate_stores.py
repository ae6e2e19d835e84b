"""The data stores of the example estate: the production account's databases, table, buckets,
file system, cache and warehouse, and the test account's stores (DS-TST-*: a copy of customer
data unmasked in test-customer-db beside the masked test-masked-db).

legacy-reports could not be read (its encryption and bucket policy calls were denied): a
partial assessment, not assessed where it matters.
"""

from __future__ import annotations

from typing import Any

from bank_estate_builders import R1, P, T, asset, bucket, cmk, enc, net, rds

PRIVATE = {"public": False, "wildcard_principal": False}
PUBLIC = {"public": True, "wildcard_principal": True, "public_access_block": False}


def production_stores() -> list[dict[str, Any]]:
    return [
        asset(
            id=rds(P, "core-ledger"),
            kind="database",
            name="core-ledger",
            type="AWS::RDS::DBInstance",
            account=P,
            region=R1,
            tags={"dsscan:level": "core", "environment": "production", "app": "ledger"},
            encryption=enc(True, "customer_managed", cmk(P, "ledger")),
            network=net("vpc-0a1core", "sg-0coredb"),
            access={"public": False},
            backup={"native": {"enabled": True, "retention_days": 35}},
        ),
        asset(
            id=rds(P, "customer-profile"),
            kind="database",
            name="customer-profile",
            type="AWS::RDS::DBInstance",
            account=P,
            region=R1,
            tags={"environment": "production", "app": "crm"},
            encryption=enc(True, "provider_managed", f"arn:aws-cn:kms:{R1}:{P}:alias/aws/rds"),
            network=net("vpc-0a2int", "sg-0profile"),
            access={"public": False},
            backup={"native": {"enabled": True, "retention_days": 7}},
        ),
        asset(
            id=f"arn:aws-cn:dynamodb:{R1}:{P}:table/card-transactions",
            kind="table",
            name="card-transactions",
            type="AWS::DynamoDB::Table",
            account=P,
            region=R1,
            tags={"dsscan:level": "important", "environment": "production"},
            encryption=enc(True, "customer_managed", cmk(P, "cards")),
            network=None,
            access={"public": False},
            backup={"native": {"enabled": True, "point_in_time_recovery": True}},
        ),
        bucket("bank-statements", P, {"dsscan:level": "sensitive", "environment": "production"},
               {**PRIVATE, "public_access_block": True, "secure_transport_required": True}),
        bucket("bank-marketing-site", P,
               {"dsscan:level": "general", "environment": "production"}, dict(PUBLIC)),
        bucket("loan-documents", P, {"dsscan:level": "sensitive", "environment": "production"},
               dict(PUBLIC)),
        bucket(
            "kyc-archive",
            P,
            {"dsscan:level": "general", "environment": "production"},
            dict(PRIVATE),
            kms_key=cmk(P, "kyc"),
            content={
                "status": "sampled",
                "sample": {"objects": 20, "bytes": 1048576},
                "detections": [
                    {
                        "detector": "prc_resident_id",
                        "location": "scans/2026/index.csv#id_number",
                        "unmasked": 187,
                        "masked": 0,
                        "tokenized": 0,
                        "sampled": 200,
                        "evidence": ["110101********1234", "440305********002X"],
                    }
                ],
            },
        ),
        asset(
            id=f"arn:aws-cn:elasticfilesystem:{R1}:{P}:file-system/fs-0hr",
            kind="file_system",
            name="hr-share",
            type="AWS::EFS::FileSystem",
            account=P,
            region=R1,
            tags={"environment": "production"},
            encryption=enc(True, "provider_managed"),
            network=net("vpc-0a2int", "sg-0hrshare"),
            access={"public": False},
            backup={"native": {"enabled": True}},
        ),
        asset(
            id=f"arn:aws-cn:elasticache:{R1}:{P}:replicationgroup:session-cache",
            kind="cache",
            name="session-cache",
            type="AWS::ElastiCache::ReplicationGroup",
            account=P,
            region=R1,
            tags={"dsscan:level": "sensitive", "environment": "production"},
            encryption=enc(False, "none"),
            network=net("vpc-0a3dmz", "sg-0cache"),
            access={"public": False},
            backup={"native": {"enabled": True, "retention_days": 1}},
        ),
        asset(
            id=f"arn:aws-cn:redshift:{R1}:{P}:cluster:risk-warehouse",
            kind="warehouse",
            name="risk-warehouse",
            type="AWS::Redshift::Cluster",
            account=P,
            region=R1,
            tags={"environment": "production"},
            encryption=enc(True, "customer_managed", cmk(P, "risk")),
            network=net("vpc-0a4ana", "sg-0wh"),
            access={"public": False},
            derived_from=[rds(P, "core-ledger"), rds(P, "customer-profile")],
            backup={"native": {"enabled": True, "retention_days": 1}},
        ),
        asset(
            id="arn:aws-cn:s3:::legacy-reports",
            kind="object_store",
            name="legacy-reports",
            type="AWS::S3::Bucket",
            account=P,
            region=R1,
            tags={"dsscan:level": "important", "environment": "production"},
            encryption={"at_rest": {"enabled": None, "key_type": None, "key_id": None}},
            network=None,
            access=None,
            backup=None,
            assessment={
                "status": "partial",
                "gaps": [
                    {"aspect": "encryption",
                     "reason": "s3:GetEncryptionConfiguration AccessDenied"},
                    {"aspect": "access", "reason": "s3:GetBucketPolicy AccessDenied"},
                ],
            },
        ),
    ]


def _test_db(name, vpc, sgid, tags, detections) -> dict[str, Any]:
    """A test database holding a sampled copy of the customers table."""
    return asset(
        id=rds(T, name),
        kind="database",
        name=name,
        type="AWS::RDS::DBInstance",
        account=T,
        region=R1,
        tags=tags,
        encryption=enc(True, "customer_managed", cmk(T, "test")),
        network=net(vpc, sgid),
        access={"public": False},
        backup={"native": {"enabled": True, "retention_days": 1}},
        content={
            "status": "sampled",
            "sample": {"rows": 500, "columns": 12},
            "detections": detections,
        },
    )


def stores_in_test() -> list[dict[str, Any]]:
    return [
        _test_db(
            "test-customer-db", "vpc-0b1test", "sg-0testdb",
            {"dsscan:level": "sensitive", "environment": "test"},
            [
                {
                    "detector": "prc_resident_id",
                    "location": "customers.id_number",
                    "unmasked": 482,
                    "masked": 0,
                    "tokenized": 0,
                    "sampled": 500,
                    "evidence": ["310104********4416", "110105********0017"],
                },
                {
                    "detector": "mobile_phone",
                    "location": "customers.mobile",
                    "unmasked": 499,
                    "masked": 0,
                    "tokenized": 0,
                    "sampled": 500,
                    "evidence": ["139****0021"],
                },
            ],
        ),
        _test_db(
            "test-masked-db", "vpc-0b2iso", "sg-0isodb",
            {
                "dsscan:level": "sensitive",
                "environment": "test",
                "dsscan:desensitization": "DSR-2026-017",
            },
            [
                {
                    "detector": "prc_resident_id",
                    "location": "customers.id_number",
                    "unmasked": 0,
                    "masked": 500,
                    "tokenized": 0,
                    "sampled": 500,
                    "evidence": ["110101********1234"],
                }
            ],
        ),
        bucket("test-fixtures", T, {"dsscan:level": "general", "environment": "test"},
               dict(PRIVATE)),
    ]
