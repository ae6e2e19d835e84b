"""`dsscan scan aws` / `dsscan inventory aws` end to end: the command against
moto's server on 127.0.0.1 (AWS_ENDPOINT_URL), with real exit codes and report files.

Where moto cannot behave like a struggling AWS endpoint (throttling past retries, timeouts),
one service is pointed at tests/aws_support.MisbehavingEndpoint instead, and the test says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from aws_support import (
    FAKE_ENV,
    REGION,
    MisbehavingEndpoint,
    StandIn,
    bucket,
    error_reply,
    free_port,
    public_policy,
    query_error,
)
from cli_support import Result
from cli_support import dsscan as run_dsscan

from dsscan.scanners.aws.operations import OPERATIONS

pytestmark = pytest.mark.slow  # moto's server and the scan command per case


def dsscan(endpoint: str, *args: str | Path, extra_env: dict[str, str] | None = None,
           cwd: Path | None = None) -> Result:
    return run_dsscan(*args, cwd=cwd,
                      env={**FAKE_ENV, "AWS_ENDPOINT_URL": endpoint, **(extra_env or {})})


def small_estate() -> None:
    s3 = bucket("loan-documents", tags={"dsscan:level": "sensitive",
                                        "environment": "production"})
    s3.put_bucket_policy(Bucket="loan-documents", Policy=public_policy("loan-documents"))
    bucket("marketing-site", tags={"dsscan:level": "general", "environment": "production"})
    ec = boto3.client("elasticache", region_name=REGION)
    ec.create_replication_group(
        ReplicationGroupId="session-cache", ReplicationGroupDescription="sessions",
        AtRestEncryptionEnabled=False, Tags=[{"Key": "dsscan:level", "Value": "sensitive"}])
    # moto names the group's member cluster without creating it; AWS creates it.
    ec.create_cache_cluster(CacheClusterId="session-cache-001", ReplicationGroupId="session-cache",
                            Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1)


def findings(report: Path) -> set[tuple[str, str]]:
    doc = json.loads(report.read_text())
    return {(f["policy_id"], f["asset_name"]) for f in doc["findings"]}


def test_scan_aws_reports_findings_from_the_live_estate(aws, tmp_path):
    small_estate()
    out = tmp_path / "report.json"
    r = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "s3,elasticache",
               "-f", "json", "-o", out, "-f", "table")
    assert r.returncode == 1, r.stderr
    got = findings(out)
    assert ("DS-NET-003", "loan-documents") in got  # sensitive and public
    assert ("DS-ENC-001", "session-cache") in got  # sensitive and not encrypted
    assert not any(name == "marketing-site" for _, name in got)  # general and public is fine
    assert "DS-NET-003" in r.stdout and "loan-documents" in r.stdout
    assert "Traceback" not in r.stderr


def test_inventory_aws_then_scan_inventory_gives_the_same_findings(aws, tmp_path):
    small_estate()
    inv, calls = tmp_path / "estate.json", tmp_path / "calls.jsonl"
    r = dsscan(aws, "inventory", "aws", "--regions", REGION, "--services", "s3,elasticache",
               "-o", inv, "--call-log", calls)
    assert r.returncode == 0, r.stderr
    log = [json.loads(line) for line in calls.read_text().splitlines()]
    assert {"service": "s3", "region": REGION, "operation": "GetBucketPolicy",
            "params": {"Bucket": "loan-documents"}} in log
    declared = {(s, op) for s, ops in OPERATIONS.items() for op in ops}
    assert {(c["service"], c["operation"]) for c in log} <= declared
    doc = json.loads(inv.read_text())
    assert doc["format"] == "dsscan-inventory/1" and doc["generator"]["scanner"] == "aws"
    assert {a["name"] for a in doc["assets"]} == {"loan-documents", "marketing-site",
                                                 "session-cache"}
    offline = dsscan(aws, "scan", "inventory", inv, "-f", "json", "-o", tmp_path / "a.json")
    live = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "s3,elasticache",
                  "-f", "json", "-o", tmp_path / "b.json")
    assert offline.returncode == live.returncode == 1
    assert findings(tmp_path / "a.json") == findings(tmp_path / "b.json")


def test_clean_estate_exits_0(aws, tmp_path):
    bucket("marketing-site", tags={"dsscan:level": "general", "environment": "production"})
    r = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "s3")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 findings" in r.stdout


def test_unreachable_service_endpoint_is_not_assessed_and_exits_3(aws, tmp_path):
    bucket("marketing-site", tags={"dsscan:level": "general", "environment": "production"})
    out = tmp_path / "r.json"
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    r = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "s3,elasticache",
               "--max-attempts", "1", "-f", "json", "-o", out,
               extra_env={"AWS_ENDPOINT_URL_ELASTICACHE": closed})
    assert r.returncode == 3, r.stdout + r.stderr
    doc = json.loads(out.read_text())
    assert doc["findings"] == []
    [gap] = doc["not_assessed"]
    assert gap["scope"] == f"elasticache in 123456789012/{REGION}"
    assert gap["reason"].startswith("elasticache:DescribeReplicationGroups endpoint not reachable")


def test_throttling_past_retries_is_not_assessed(aws, tmp_path):
    # moto never throttles: this endpoint stands in for an overloaded AWS API.
    ep = MisbehavingEndpoint(status=400, body=query_error("Throttling", "Rate exceeded"))
    try:
        r = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "elasticache",
                   "--max-attempts", "3", "-f", "json", "-o", tmp_path / "r.json",
                   extra_env={"AWS_ENDPOINT_URL_ELASTICACHE": ep.url})
    finally:
        ep.close()
    assert r.returncode == 3, r.stdout + r.stderr
    [gap] = json.loads((tmp_path / "r.json").read_text())["not_assessed"]
    assert gap["reason"] == ("elasticache:DescribeReplicationGroups throttled past retries "
                             "(Throttling)")
    assert ep.requests >= 3  # the adaptive retries were used up first


def test_timeout_is_not_assessed(aws, tmp_path):
    # moto answers at once: this endpoint stands in for one that hangs.
    ep = MisbehavingEndpoint(status=200, body=b"", delay=3.0)
    try:
        r = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "elasticache",
                   "--max-attempts", "1", "--timeout", "0.5", "-f", "json",
                   "-o", tmp_path / "r.json",
                   extra_env={"AWS_ENDPOINT_URL_ELASTICACHE": ep.url})
    finally:
        ep.close()
    assert r.returncode == 3, r.stdout + r.stderr
    [gap] = json.loads((tmp_path / "r.json").read_text())["not_assessed"]
    assert gap["reason"] == "elasticache:DescribeReplicationGroups timed out"


def test_bad_options_are_one_line_errors_with_exit_2(aws, tmp_path):
    r = dsscan(aws, "scan", "aws", "--regions", "cn-nowhere-1")
    assert r.returncode == 2 and "not a region of partition aws-cn" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = dsscan(aws, "scan", "aws", "--regions", REGION, "--profile", "nope")
    assert r.returncode == 2 and "no such AWS profile" in r.stderr
    f = tmp_path / "accounts.yaml"
    f.write_text("- 12345\n")
    r = dsscan(aws, "scan", "aws", "--regions", REGION, "--accounts-file", f,
               "--role-name", "r")
    assert r.returncode == 2 and "12-digit" in r.stderr
    r = dsscan(aws, "scan", "aws", "--regions", REGION,
               extra_env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                          "AWS_SESSION_TOKEN": ""})
    assert r.returncode == 2 and "credentials" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_truncated_listing_is_not_assessed(aws, tmp_path):
    # moto always answers whole pages: this endpoint answers ListBuckets with a page that
    # promises more under the same token every time, as a broken or tampered proxy could.
    page = (b'<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult '
            b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets><Bucket><Name>a-bucket'
            b"</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets>"
            b"<ContinuationToken>again</ContinuationToken></ListAllMyBucketsResult>")
    ep = MisbehavingEndpoint(status=200, body=page, content_type="application/xml")
    try:
        r = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "s3",
                   "-f", "json", "-o", tmp_path / "r.json",
                   extra_env={"AWS_ENDPOINT_URL_S3": ep.url})
    finally:
        ep.close()
    assert r.returncode == 3, r.stdout + r.stderr
    [gap] = json.loads((tmp_path / "r.json").read_text())["not_assessed"]
    assert (gap["scope"], gap["reason"]) == ("s3 in 123456789012",
                                             "s3:ListAllMyBuckets listing truncated")


# --- issue 11 §3: a whole call is bounded; STS faults are incomplete runs ------------------

def test_an_endpoint_dripping_its_reply_cannot_hang_the_sweep(aws, tmp_path):
    # The reply is sent a byte every half second: each socket read gets its byte well
    # within --timeout 2, so only a deadline on the whole call cuts it (it would take 20 s
    # and then pass).
    drip = StandIn()
    drip.answer("*", "*", 200, b'{"TableNames": []}'.ljust(40), "application/x-amz-json-1.0",
                drip="body")
    try:
        r = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "dynamodb",
                   "--timeout", "2", "-f", "json", "-o", tmp_path / "r.json",
                   extra_env={"AWS_ENDPOINT_URL_DYNAMODB": drip.url})
    finally:
        drip.close()
    assert r.returncode == 3, r.stdout + r.stderr
    [gap] = json.loads((tmp_path / "r.json").read_text())["not_assessed"]
    assert (gap["scope"], gap["reason"]) == (f"dynamodb in 123456789012/{REGION}",
                                             "dynamodb:ListTables timed out")


def test_retries_stop_at_the_timeout(aws, tmp_path):
    # 503 at once, every time: 10 attempts and their back-offs would outlast --timeout 1.
    ep = StandIn()
    ep.answer("*", "*", *error_reply("dynamodb", "ServiceUnavailable", 503))
    try:
        r = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "dynamodb",
                   "--timeout", "1", "--max-attempts", "10", "-f", "json",
                   "-o", tmp_path / "r.json", extra_env={"AWS_ENDPOINT_URL_DYNAMODB": ep.url})
    finally:
        ep.close()
    assert r.returncode == 3, r.stdout + r.stderr
    [gap] = json.loads((tmp_path / "r.json").read_text())["not_assessed"]
    assert gap["reason"] == "dynamodb:ListTables timed out"
    assert ep.requests[("*", "*")] < 10


def test_sts_throttling_is_an_incomplete_run_not_rejected_credentials(aws, tmp_path):
    # moto never throttles: every STS call is answered Throttling here.
    ep = StandIn()
    ep.answer("*", "*", *error_reply("sts", "Throttling", 400))
    try:
        r = dsscan(aws, "scan", "aws", "--regions", REGION, "--services", "s3",
                   "--max-attempts", "2", "-f", "json", "-o", tmp_path / "r.json",
                   extra_env={"AWS_ENDPOINT_URL_STS": ep.url})
    finally:
        ep.close()
    assert r.returncode == 3, r.stdout + r.stderr
    assert "rejected" not in r.stderr and "Traceback" not in r.stderr
    [gap] = json.loads((tmp_path / "r.json").read_text())["not_assessed"]
    assert (gap["scope"], gap["reason"]) == (
        "the caller's account", "sts:GetCallerIdentity throttled past retries (Throttling)")
