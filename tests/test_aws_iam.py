"""Least privilege: examples/iam/dsscan-readonly.json grants exactly what the scanner calls,
and nothing that writes.

The scanner's operations are declared in dsscan.scanners.aws.operations; tests/
test_aws_scanner.py checks that a scan calls nothing undeclared. Here the declared set is
held against the shipped IAM policy, and against botocore's own service models (every
declared operation exists and is a read).
"""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session

from dsscan.scanners.aws import SERVICES
from dsscan.scanners.aws.operations import OPERATIONS, all_iam_actions, iam_action
from dsscan.scanners.aws.sweep import COLLECTORS

POLICY = Path(__file__).resolve().parent.parent / "examples" / "iam" / "dsscan-readonly.json"
READ_VERBS = ("Get", "List", "Describe")
DATA_READS = {"s3:GetObject", "s3:GetObjectVersion", "dynamodb:GetItem", "dynamodb:Scan",
              "dynamodb:Query", "dynamodb:BatchGetItem", "kms:Decrypt",
              "rds:DownloadDBLogFilePortion", "backup:GetRecoveryPointRestoreMetadata"}


def policy_actions() -> dict[str, set[str]]:
    doc = json.loads(POLICY.read_text())
    out: dict[str, set[str]] = {}
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        out[st["Sid"]] = set(acts)
    return out


def test_policy_grants_every_action_the_scanner_calls_and_no_other():
    granted = set().union(*policy_actions().values())
    assert granted == all_iam_actions()


def test_policy_grants_nothing_that_writes_and_no_wildcards():
    for sid, actions in policy_actions().items():
        for action in actions:
            assert "*" not in action, f"{sid}: wildcard action {action}"
            name = action.split(":", 1)[1]
            if action == "sts:AssumeRole":
                continue  # entering the scan role in each account; it changes nothing
            assert name.startswith(READ_VERBS), f"{sid}: {action} is not a read"
            # Reads of the configuration only, never of the data itself.
            assert action not in DATA_READS, action


def test_assume_role_is_limited_to_the_scan_role():
    doc = json.loads(POLICY.read_text())
    [st] = [s for s in doc["Statement"] if "sts:AssumeRole" in s["Action"]]
    assert st["Action"] == ["sts:AssumeRole"]
    assert st["Resource"] != "*" and ":role/" in st["Resource"]


def test_declared_operations_exist_in_botocore_and_are_reads():
    session = botocore.session.get_session()
    for service, ops in OPERATIONS.items():
        model = session.get_service_model(service)
        for op in ops:
            assert op in model.operation_names, f"{service}:{op} is not an API operation"
            assert op.startswith((*READ_VERBS, "AssumeRole")), f"{service}:{op}"
    assert iam_action("s3", "GetBucketEncryption") == "s3:GetEncryptionConfiguration"
    assert iam_action("efs", "DescribeFileSystems") == "elasticfilesystem:DescribeFileSystems"


def test_cli_service_list_matches_the_collectors():
    assert set(SERVICES) == {"s3", *COLLECTORS}
