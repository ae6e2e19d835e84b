"""base.resource_policy, the one reading of a resource policy that EFS, AWS Backup, S3 (bucket
and access point) and DynamoDB share: the service's own "no policy" error is None (no policy),
any other error or a policy that is not JSON is a ReadFailure (a gap), never "no policy".

The replies are botocore's Stubber (documented shapes), one client a case: no AWS, no moto.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_support import REGION, fake_env
from botocore.stub import Stubber

from dsscan.scanners.aws.base import resource_policy
from dsscan.scanners.aws.failures import ReadFailure

POLICY = '{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*"}]}'

# service, method, its "no policy" code(s) as the collector names them, its parameters
READS: list[tuple[str, str, set[str], dict[str, Any]]] = [
    ("efs", "describe_file_system_policy", {"PolicyNotFound"}, {"FileSystemId": "fs-1"}),
    ("backup", "get_backup_vault_access_policy", {"ResourceNotFoundException"},
     {"BackupVaultName": "prod-vault"}),
    ("s3", "get_bucket_policy", {"NoSuchBucketPolicy"}, {"Bucket": "statements"}),
    ("s3control", "get_access_point_policy", {"NoSuchAccessPointPolicy"},
     {"AccountId": "111111111111", "Name": "reports-ap"}),
    ("dynamodb", "get_resource_policy", {"PolicyNotFoundException"},
     {"ResourceArn": f"arn:aws-cn:dynamodb:{REGION}:111111111111:table/cards"}),
]
IDS = [f"{s}.{m}" for s, m, _, _ in READS]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_env(monkeypatch)


def _read(service: str, method: str, absent: set[str], params: dict[str, Any],
          answer: dict[str, Any]) -> Any:
    client = boto3.client(service, region_name=REGION)
    with Stubber(client) as stub:
        if "Error" in answer:
            stub.add_client_error(method, service_error_code=answer["Error"],
                                  http_status_code=answer["Status"])
        else:
            stub.add_response(method, answer, params)
        return resource_policy(client, method, absent, **params)


@pytest.mark.parametrize(("service", "method", "absent", "params"), READS, ids=IDS)
def test_the_no_policy_error_is_no_policy(service, method, absent, params) -> None:
    (code,) = absent
    assert _read(service, method, absent, params, {"Error": code, "Status": 404}) is None


@pytest.mark.parametrize(("service", "method", "absent", "params"), READS, ids=IDS)
def test_a_policy_is_parsed(service, method, absent, params) -> None:
    got = _read(service, method, absent, params, {"Policy": POLICY})
    assert got["Statement"][0]["Effect"] == "Deny"


# Anything but the service's own "no policy" code is a gap: denied, throttled, another
# service's not-found code, a policy that is not JSON (a malformed reply, no error code).
@pytest.mark.parametrize("answer", [
    {"Error": "AccessDenied", "Status": 403},
    {"Error": "AccessDeniedException", "Status": 400},
    {"Error": "ThrottlingException", "Status": 400},
    {"Error": "SomethingNotFound", "Status": 404},
    {"Policy": "{not json"},
], ids=["denied", "denied-exception", "throttled", "other-not-found", "not-json"])
@pytest.mark.parametrize(("service", "method", "absent", "params"), READS, ids=IDS)
def test_any_other_failure_is_a_gap(service, method, absent, params, answer) -> None:
    with pytest.raises(ReadFailure) as got:
        _read(service, method, absent, params, answer)
    assert got.value.code == answer.get("Error")
    if "Policy" in answer:
        assert "malformed reply (the policy is not JSON)" in got.value.reason
