"""The IAM principals of the example estate (DS-IAM-001, Art. 28, 43, 53), in the production
account, which holds core and important stores.

Twins: auditor (ViewOnlyAccess: lists and describes, reads no data) and ledger-app (reads the
ledger bucket it serves, by name) are compliant; core-admin carries AdministratorAccess, so it
may read every store of the account; analytics-vendor, assumable by a vendor's account, was
given AmazonS3ReadOnlyAccess instead of the one export bucket it needs: it reads every bucket,
and from outside the institution.
"""

from __future__ import annotations

import json
from typing import Any

from bank_estate_builders import P, asset

from dsscan.scanners.aws.iamdoc import data_access, trusted
from dsscan.scanners.iac.iam import AWS_MANAGED

VENDOR = "444455556666"


def _trust(principal: dict[str, Any]) -> list[dict[str, Any]]:
    return trusted({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                   "Principal": principal}]})


def role(name: str, policies: list[tuple[str, dict[str, Any]]],
         trust: dict[str, Any]) -> dict[str, Any]:
    return asset(
        id=f"arn:aws-cn:iam::{P}:role/{name}", kind="principal", name=name,
        type="AWS::IAM::Role", account=P, region=None,
        iam={"principal_type": "role", "data_access": data_access(policies, P),
             "policies": len(policies), "trusted": _trust(trust)},
    )


def managed(name: str) -> tuple[str, dict[str, Any]]:
    return (f"policy {name}", AWS_MANAGED[name])


EC2 = {"Service": "ec2.amazonaws.com.cn"}
LEDGER_READ = json.loads(json.dumps({"Statement": [{
    "Sid": "Ledger", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
    "Resource": "arn:aws-cn:s3:::core-ledger-docs/*"}]}))


def principals() -> list[dict[str, Any]]:
    return [
        role("auditor", [managed("ViewOnlyAccess")], {"AWS": f"arn:aws-cn:iam::{P}:root"}),
        role("ledger-app", [("inline policy ledger", LEDGER_READ)], EC2),
        # every data-reading action on every store of the production account
        role("core-admin", [managed("AdministratorAccess")], {"AWS": f"arn:aws-cn:iam::{P}:root"}),
        # a vendor's account assumes it, and it reads every bucket, not one export
        role("analytics-vendor", [managed("AmazonS3ReadOnlyAccess")],
             {"AWS": f"arn:aws-cn:iam::{VENDOR}:root"}),
    ]
