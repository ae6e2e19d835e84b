"""The example bank estate's layout (accounts, networks, keys, databases) and the plumbing its
builders share. The estate itself is described in dsscan.examples.aws_estate."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # boto3 is imported lazily: importing this module must not need or call AWS
    import boto3

ACCOUNTS = {"111111111111": "production", "222222222222": "test", "333333333333": "dr"}
REGIONS = ("cn-north-1", "cn-northwest-1")
ROLE_NAME = "dsscan-demo"

PARTITION = "aws-cn"
P, T, DR = ACCOUNTS
R1, R2 = REGIONS
PROD = {"environment": "production"}
TEST = {"environment": "test"}

# name -> (account, cidr, tags, internet gateway)
VPCS: dict[str, tuple[str, str, dict[str, str], bool]] = {
    "prod-core": (P, "10.10.0.0/16", {"dsscan:level": "core", **PROD}, False),
    "prod-internal": (P, "10.20.0.0/16", {"dsscan:level": "important", **PROD}, False),
    "prod-dmz": (P, "10.40.0.0/16", {"dsscan:level": "general", **PROD}, True),
    "analytics": (P, "10.50.0.0/16", dict(PROD), False),
    "test": (T, "10.30.0.0/16", {"dsscan:level": "sensitive", **TEST}, False),
    "test-isolated": (T, "10.60.0.0/16", {"dsscan:level": "sensitive", **TEST}, False),
    "test-sandbox": (T, "10.80.0.0/16", {"dsscan:level": "general", **TEST}, False),
}
# (requester, accepter): the accepter's account accepts; both sides route to each other.
PEERINGS = (("prod-core", "prod-internal"), ("test", "prod-internal"))
# Accepted but never routed: a link without a path today (DS-NET-002, DS-TST-001).
UNROUTED_PEERINGS = (("test-sandbox", "prod-internal"),)
# vpc -> traffic types of its VPC flow logs (DS-LOG-003), one CloudWatch log group each;
# prod-internal and prod-dmz have none.
FLOW_LOGS: dict[str, tuple[str, ...]] = {
    "prod-core": ("ALL",), "analytics": ("ALL",), "test": ("REJECT",),
    "test-isolated": ("ACCEPT", "REJECT"),
}

# name -> (vpc, [(tcp port, source cidr, description)]), as sg-0coredb … in bank-estate.json.
# Real AWS rejects group names starting with "sg-", hence the descriptive names.
SECURITY_GROUPS: dict[str, tuple[str, list[tuple[int, str, str]]]] = {
    "core-ledger-db": ("prod-core", [(5432, "10.10.0.0/16", "core apps"),
                                     (5432, "10.20.0.0/16", "reporting from prod-internal"),
                                     (5432, "10.80.0.0/16", "sandbox load test, never routed")]),
    "customer-profile-db": ("prod-internal", [(5432, "10.20.0.0/16", ""),
                                              (5432, "10.30.0.0/16", "test data refresh")]),
    "session-cache": ("prod-dmz", [(6379, "0.0.0.0/0", "temporary debug")]),
    "hr-share": ("prod-internal", [(2049, "10.20.0.0/16", "")]),
    "risk-warehouse": ("analytics", [(5439, "10.50.0.0/16", "")]),
    "test-customer-db": ("test", [(5432, "10.30.0.0/16", "")]),
    "test-masked-db": ("test-isolated", [(5432, "10.60.0.0/16", "")]),
}

# (account, region) -> customer key aliases
KEYS: dict[tuple[str, str], tuple[str, ...]] = {
    (P, R1): ("ledger", "cards", "kyc", "risk"),
    (P, R2): ("ledger-dr",),
    (T, R1): ("test",),
    (DR, R2): ("dr-backup", "replica"),
}

# RDS instances: name -> (account, vpc, security group, key alias or None for aws/rds, retention,
# tags)
DATABASES: dict[str, tuple[str, str, str, str | None, int, dict[str, str]]] = {
    "core-ledger": (P, "prod-core", "core-ledger-db", "ledger", 35,
                    {"dsscan:level": "core", **PROD, "app": "ledger"}),
    "customer-profile": (P, "prod-internal", "customer-profile-db", None, 7,
                         {**PROD, "app": "crm"}),
    "test-customer-db": (T, "test", "test-customer-db", "test", 1,
                         {"dsscan:level": "sensitive", **TEST}),
    "test-masked-db": (T, "test-isolated", "test-masked-db", "test", 1,
                       {"dsscan:level": "sensitive", **TEST,
                        "dsscan:desensitization": "DSR-2026-017"}),
}

WAIT = {"Delay": 15, "MaxAttempts": 240}  # real AWS only: moto answers "available" at once


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _spec(kind: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": _tags(tags)}]


@dataclass
class _Estate:
    base: boto3.Session
    credentials: dict[str, dict[str, str]]  # account -> client credential kwargs
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    ids: dict[str, str] = field(default_factory=dict)
    clients: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    def client(self, account: str, service: str, region: str = R1) -> Any:
        # Every client comes from the one base session (so the service models are parsed once,
        # which dominates the run time under moto) with the account's assumed-role credentials.
        k = (account, service, region)
        if k not in self.clients:
            self.clients[k] = self.base.client(service, region_name=region,
                                               **self.credentials[account])
        return self.clients[k]

    def made(self, account: str, region: str, kind: str) -> None:
        self.counts[f"{account}/{region}"][kind] += 1

    def key(self, account: str, region: str, alias: str) -> str:
        return self.ids[f"key:{account}/{region}/alias/{alias}"]

    def summary(self, seconds: float) -> dict[str, Any]:
        accounts: dict[str, Any] = {a: {"name": n, "resources": {}} for a, n in ACCOUNTS.items()}
        for scope, counter in sorted(self.counts.items()):
            account, region = scope.split("/")
            accounts[account]["resources"][region] = dict(sorted(counter.items()))
        return {"partition": PARTITION, "accounts": accounts, "ids": dict(self.ids),
                "seconds": round(seconds, 3)}


def _assume(base: boto3.Session, account: str, role_name: str) -> dict[str, str]:
    sts = base.client("sts", region_name=R1)
    creds = sts.assume_role(RoleArn=f"arn:{PARTITION}:iam::{account}:role/{role_name}",
                            RoleSessionName="dsscan-demo")["Credentials"]
    return {"aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}


def _until(ready: Callable[[], bool], what: str, timeout: float = 1800) -> None:
    """Poll where boto3 has no waiter (real AWS only; moto is ready on the first look)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
        time.sleep(10)


def _aws_managed_key(kms: Any, service: str) -> str | None:
    """ARN of the AWS-managed key alias/aws/<service>; resolving the alias creates it (AWS and
    moto). None where the endpoint does not know it (moto has no alias/aws/backup)."""
    from botocore.exceptions import ClientError

    try:
        return str(kms.describe_key(KeyId=f"alias/aws/{service}")["KeyMetadata"]["Arn"])
    except ClientError as e:
        if e.response["Error"]["Code"] == "NotFoundException":
            return None
        raise
