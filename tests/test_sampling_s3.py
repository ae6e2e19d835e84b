"""S3 and DynamoDB sampling (``--sample-data``) under moto: formats, bounds, fail closed, the
sampling IAM policy, and `dsscan scan aws --sample-data` end to end on moto's server.

Tests marked "verdict" check what the real detectors (dsscan.detection) say; the others check
the samplers' own contract with a recording scanner (tests/sampling_support.Recorder).
moto does not check KMS permissions on GetObject: the SSE-KMS denial is a client that
answers like S3 does (AccessDenied naming kms:Decrypt).
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import boto3
import pytest
from aws_support import ACCOUNT, REGION, bucket, by_name, fake_env
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from cli_support import dsscan
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count
from sampling_corpus import Corpus, csv_text
from sampling_support import MotoServer, Recorder, detection, unmasked

from dsscan.inventory import parse_inventory
from dsscan.scanners.aws.clients import CallLog
from dsscan.scanners.aws.operations import OPERATIONS
from dsscan.scanners.aws.sweep import SweepOptions, sweep
from dsscan.scanners.sampling.aws import (
    SAMPLING_OPERATIONS,
    SampleOptions,
    sampling_iam_action,
    sampling_iam_actions,
)
from dsscan.scanners.sampling.blobs import Limits
from dsscan.scanners.sampling.dynamodb import sample_table
from dsscan.scanners.sampling.s3 import BucketLimits, sample_bucket

SAMPLING_POLICY = Path(__file__).resolve().parent.parent / "examples" / "iam" / \
    "dsscan-sampling.json"


@pytest.fixture
def aws(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        yield


@pytest.fixture
def rows():
    return Corpus(seed=11).customers(80)


def put(s3, name: str, key: str, body: bytes, **extra) -> None:
    s3.put_object(Bucket=name, Key=key, Body=body, **extra)


def scan_with_sampling(**kw):
    kw.setdefault("regions", [REGION])
    inv = sweep(SweepOptions(sample=SampleOptions(**kw.pop("sample", {})), **kw))
    parse_inventory(json.loads(json.dumps(inv.to_document())), "scan")  # valid inventory
    return inv


# --- formats ------------------------------------------------------------------------------

@pytest.mark.slow
def test_formats_are_read_per_column_or_as_text(aws, rows):
    s3 = bucket("exports")
    put(s3, "exports", "a/customers.csv", csv_text(rows).encode())
    put(s3, "exports", "b/customers.tsv", csv_text(rows, "\t").encode())
    put(s3, "exports", "c/customers.json", json.dumps({"data": rows}).encode())
    put(s3, "exports", "d/customers.jsonl",
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode())
    put(s3, "exports", "e/customers.csv.gz", gzip.compress(csv_text(rows).encode()))
    # gzip told by Content-Encoding (and magic bytes), not by the name:
    put(s3, "exports", "f/customers-export", gzip.compress(csv_text(rows).encode()),
        ContentEncoding="gzip")
    log = "".join(f"2024-06-01 login ok user={r['mobile']} 身份证{r['id_number']}，完成\n"
                  for r in rows)
    put(s3, "exports", "g/app.log", log.encode())
    put(s3, "exports", "h/logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    put(s3, "exports", "i/", b"")
    # JSON numbers are kept as the text they are written in: no float on the way.
    put(s3, "exports", "j/ids.json",
        b'[{"id_number_num": ' + rows[0]["id_number_num"].encode() + b"}]")

    rec = Recorder()
    out = sample_bucket(boto3.client("s3", region_name=REGION), "exports", BucketLimits(), rec)
    ids = sorted(r["id_number"] for r in rows)
    for loc in ("a/customers.csv#id_number", "b/customers.tsv#id_number",
                "c/customers.json#data[].id_number", "d/customers.jsonl#id_number",
                "e/customers.csv.gz#id_number", "f/customers-export#id_number"):
        assert sorted(rec.columns[loc]) == ids, loc
    assert rec.names["a/customers.csv#mobile"] == "mobile"
    assert rec.columns["j/ids.json#id_number_num"] == [rows[0]["id_number_num"]]
    assert rows[5]["id_number"] in rec.texts["g/app.log"]
    assert not any(k.startswith("h/") for k in [*rec.columns, *rec.texts])
    assert out.content["status"] == "sampled"
    assert out.content["sample"]["objects"] == 8
    assert out.content["sample"]["rows"] >= 7 * len(rows)
    assert out.attributes["objects_skipped"] == {"binary type": 1, "folder": 1}
    assert out.gaps == []


@pytest.mark.slow
def test_objects_per_bucket_are_bounded_newest_first(aws, rows):
    s3 = bucket("many")
    for i in range(8):
        put(s3, "many", f"part-{i}.csv", csv_text(rows[:5]).encode())
    rec = Recorder()
    out = sample_bucket(boto3.client("s3", region_name=REGION), "many",
                        BucketLimits(objects=3), rec)
    assert out.content["sample"]["objects"] == 3
    assert len({loc.split("#")[0] for loc in rec.columns}) == 3


# --- bounds -------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_large_object_is_read_only_partially_by_range_requests(aws):
    corpus = Corpus(seed=3)
    big = csv_text(corpus.customers(9000)).encode()  # ~2.4 MB
    assert len(big) > 2_000_000
    s3 = bucket("big-exports")
    put(s3, "big-exports", "dump.csv", big)
    client = boto3.client("s3", region_name=REGION)
    asked: list[str | None] = []
    client.meta.events.register("provide-client-params.s3.GetObject",
                                lambda params, **_: asked.append(params.get("Range")))
    limits = BucketLimits(blob=Limits(head_bytes=32 * 1024))
    rec = Recorder()
    out = sample_bucket(client, "big-exports", limits, rec)
    # The head and three random ranges of an eighth of it, each a Range GET.
    assert asked[0] == "bytes=0-32767"
    assert len(asked) == 4 and all(r and r.startswith("bytes=") for r in asked)
    spans = [tuple(map(int, r.split("=")[1].split("-"))) for r in asked[1:]]
    assert all(b - a + 1 == 4096 and a >= 32 * 1024 for a, b in spans)
    assert out.content["sample"]["bytes"] == 32 * 1024 + 3 * 4096
    assert out.content["sample"]["bytes"] < len(big) / 50
    # Rows come from the head and from the middle of the object.
    ids = rec.columns["dump.csv#id_number"]
    assert 100 < len(ids) < 1000
    assert set(ids) <= {line.split(",")[2] for line in big.decode().splitlines()[1:]}


def test_the_body_is_never_read_past_the_range_even_if_the_endpoint_ignores_it():
    payload = b"id_number\n" + b"110101199003071234\n" * 100_000

    class IgnoresRange:
        def list_objects_v2(self, **_):
            return {"Contents": [{"Key": "x.csv", "Size": len(payload)}]}

        def get_object(self, **_):  # the whole object, whatever Range said
            return {"Body": StreamingBody(io.BytesIO(payload), len(payload))}

    out = sample_bucket(IgnoresRange(), "b", BucketLimits(blob=Limits(head_bytes=4096)),
                        Recorder())
    assert out.content["sample"]["bytes"] == 4096 + 3 * 1024


def test_gzip_is_inflated_from_the_bounded_prefix_only(aws):
    body = gzip.compress(("id_number\n" + "110101199003071234\n" * 400_000).encode())
    s3 = bucket("gz-exports")
    put(s3, "gz-exports", "huge.csv.gz", body)
    out = sample_bucket(boto3.client("s3", region_name=REGION), "gz-exports",
                        BucketLimits(blob=Limits(head_bytes=8192)), Recorder())
    assert out.content["sample"]["bytes"] == 8192  # compressed bytes read: the prefix only
    assert 0 < out.content["sample"]["rows"] <= 1000


@pytest.mark.slow
def test_parquet_is_read_from_its_footer_and_first_row_group(aws, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id_number": [r["id_number"] for r in rows],
                      "id_number_num": pa.array([int(r["id_number_num"]) for r in rows],
                                                pa.int64()),
                      "photo": pa.array([b"\0"] * len(rows), pa.binary())})
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=50)
    s3 = bucket("lake")
    put(s3, "lake", "customers.parquet", buf.getvalue())
    rec = Recorder()
    out = sample_bucket(boto3.client("s3", region_name=REGION), "lake", BucketLimits(), rec)
    assert out.content["status"] == "sampled", out.content
    assert rec.columns["customers.parquet#id_number"] == [r["id_number"] for r in rows[:50]]
    assert rec.columns["customers.parquet#id_number_num"] == \
        [r["id_number_num"] for r in rows[:50]]
    assert "customers.parquet#photo" not in rec.columns
    assert out.content["sample"]["bytes"] < len(buf.getvalue())


# --- DynamoDB -----------------------------------------------------------------------------

@pytest.mark.slow
def test_dynamodb_scan_is_bounded_and_numbers_keep_their_digits(aws, rows):
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(TableName="customers", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    for r in rows:
        ddb.put_item(TableName="customers", Item={
            "pk": {"S": r["customer_no"]}, "id_number_num": {"N": r["id_number_num"]},
            "profile": {"M": {"mobile": {"S": r["mobile"]}}},
            "cards": {"L": [{"S": r["card_no"]}]}, "photo": {"B": b"\0"}})
    calls: list[dict] = []
    ddb.meta.events.register("provide-client-params.dynamodb.Scan",
                             lambda params, **_: calls.append(dict(params)))
    rec = Recorder()
    out = sample_table(ddb, "customers", 30, rec)
    # One page of each of 3 parallel-scan segments; never a page that names an item's key.
    assert out.content["sample"]["rows"] == 30
    assert [(c["Segment"], c["TotalSegments"], c["Limit"]) for c in calls] == \
        [(0, 3, 10), (1, 3, 10), (2, 3, 10)]
    assert not any("ExclusiveStartKey" in c for c in calls)
    nums = {r["id_number_num"] for r in rows}
    got = rec.columns["customers.id_number_num"]
    assert len(got) == 30 and set(got) <= nums  # the text DynamoDB stores, every digit
    assert "customers.profile.mobile" in rec.columns and "customers.cards[]" in rec.columns
    assert not any("photo" in k for k in rec.columns)


# --- the sweep with --sample-data ---------------------------------------------------------

def _estate(rows) -> None:
    s3 = bucket("uat-exports", tags={"environment": "test", "dsscan:level": "sensitive"})
    put(s3, "uat-exports", "customers.csv", csv_text(rows).encode())
    s3 = bucket("kyc-archive", tags={"environment": "production", "dsscan:level": "general"})
    put(s3, "kyc-archive", "2024/kyc.jsonl",
        "\n".join(json.dumps({"id": r["id_number"]}) for r in rows).encode())


@pytest.mark.slow
def test_sampling_is_opt_in_and_calls_only_declared_operations(aws, rows):
    _estate(rows)
    log = CallLog()
    inv = sweep(SweepOptions(regions=[REGION], services=["s3"]), log)
    assert "content" not in by_name(inv, "uat-exports")
    assert not {op for _, op in log.counts} & {"GetObject", "ListObjectsV2", "Scan"}

    log = CallLog()
    inv = sweep(SweepOptions(regions=[REGION], services=["s3", "dynamodb"],
                             sample=SampleOptions()), log)
    declared = {(s, op) for ops in (OPERATIONS, SAMPLING_OPERATIONS) for s, o in ops.items()
                for op in o}
    assert set(log.counts) <= declared
    assert log.counts[("s3", "GetObject")] == 2
    assert by_name(inv, "uat-exports")["content"]["status"] == "sampled"


@pytest.mark.slow
@set_initial_no_auth_action_count(3)
def test_access_denied_on_getobject_and_scan_is_a_content_gap(aws, rows, monkeypatch):
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="scanner")
    iam.put_user_policy(UserName="scanner", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["s3:GetObject", "dynamodb:Scan"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName="scanner")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    _estate(rows)
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="t1", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    inv = scan_with_sampling(services=["s3", "dynamodb"])
    b = by_name(inv, "uat-exports")
    assert b["content"]["status"] == "error"
    assert b["content"]["reason"] == "s3:GetObject AccessDenied (1 of 1 sampled objects)"
    assert {"aspect": "content", "reason": b["content"]["reason"]} in b["assessment"]["gaps"]
    assert b["assessment"]["status"] == "partial"
    t = by_name(inv, "t1")
    assert t["content"]["status"] == "error"
    gap = t["assessment"]["gaps"][-1]
    assert gap["aspect"] == "content" and gap["reason"].startswith("dynamodb:Scan AccessDenied")


@pytest.mark.slow
def test_kms_decrypt_denied_is_named_as_such(aws, rows):
    s3 = bucket("sse-kms")
    put(s3, "sse-kms", "a.csv", csv_text(rows[:3]).encode())
    put(s3, "sse-kms", "b.csv", csv_text(rows[:3]).encode())
    real = boto3.client("s3", region_name=REGION)

    class KmsDenied:  # S3's answer when the caller may not use the object's KMS key
        def list_objects_v2(self, **kw):
            return real.list_objects_v2(**kw)

        def get_object(self, **kw):
            if kw["Key"] == "b.csv":
                return real.get_object(**kw)
            raise ClientError({"Error": {"Code": "AccessDenied", "Message":
                               "User: arn:aws-cn:iam::123456789012:user/x is not authorized "
                               "to perform: kms:Decrypt on resource: arn:aws-cn:kms:..."},
                               "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetObject")

    out = sample_bucket(KmsDenied(), "sse-kms", BucketLimits(), Recorder())
    assert out.content["status"] == "sampled"  # b.csv was read
    assert out.gaps == ["kms:Decrypt AccessDenied (SSE-KMS object) (1 of 2 sampled objects)"]


def test_sampling_policy_grants_exactly_the_sampling_reads():
    doc = json.loads(SAMPLING_POLICY.read_text())
    granted = {a for st in doc["Statement"] for a in st["Action"]}
    assert granted == sampling_iam_actions()
    assert {sampling_iam_action(s, op) for s, ops in SAMPLING_OPERATIONS.items()
            for op in ops} | {"kms:Decrypt"} == granted
    assert all(st["Effect"] == "Allow" and "*" not in "".join(st["Action"])
               for st in doc["Statement"])
    # Decrypt only through the services whose data is sampled.
    [kms] = [st for st in doc["Statement"] if "kms:Decrypt" in st["Action"]]
    assert all(v.startswith(("s3.", "dynamodb.")) for v in
               kms["Condition"]["StringLike"]["kms:ViaService"])


# --- verdicts -----------------------------------------------------------------------------

@pytest.mark.slow
def test_verdict_sampled_buckets_and_tables_carry_the_detectors_findings(aws, rows):
    _estate(rows)
    inv = scan_with_sampling(services=["s3"])
    uat = by_name(inv, "uat-exports")
    assert unmasked(uat, "customers.csv#id_number", "prc_resident_id") == len(rows)
    assert unmasked(uat, "customers.csv#mobile", "mobile_phone") == len(rows)
    masked = detection(uat, "customers.csv#id_masked", "prc_resident_id")
    assert masked and masked["masked"] > 0 and masked["unmasked"] == 0
    kyc = by_name(inv, "kyc-archive")
    assert unmasked(kyc, "2024/kyc.jsonl#id", "prc_resident_id") == len(rows)
    assert kyc["account"] == ACCOUNT


# --- end to end: `dsscan scan aws --sample-data` on moto's server ---------------------------

@pytest.fixture
def moto_server(monkeypatch):
    server = MotoServer(monkeypatch)
    yield server
    server.stop()


@pytest.mark.slow
def test_verdict_scan_aws_sample_data_end_to_end(moto_server, tmp_path, rows):
    _estate(rows)
    report, calls = tmp_path / "r.json", tmp_path / "calls.jsonl"
    r = dsscan("scan", "aws", "--regions", REGION, "--services", "s3", "--sample-data",
               "--call-log", calls, "-f", "json", "-o", report, env=moto_server.env)
    assert r.returncode == 1, r.stderr
    found = {(f["policy_id"], f["asset_name"])
             for f in json.loads(report.read_text())["findings"]}
    assert ("DS-TST-002", "uat-exports") in found
    assert ("DS-CLS-002", "kyc-archive") in found
    gets = [json.loads(line) for line in calls.read_text().splitlines()
            if '"GetObject"' in line]
    assert gets and all(c["params"]["Range"].startswith("bytes=0-") for c in gets)

    inv = tmp_path / "inv.json"
    r = dsscan("inventory", "aws", "--regions", REGION, "--services", "s3",
               "--sample-data", "--sample-objects", "1", "--sample-bytes", "2048", "-o",
               inv, env=moto_server.env)
    # Exit 3 for Athena's workgroups only (DS-PII-001's query-result locations): moto's
    # server cannot serve botocore's rest-json Athena (tests/test_pii_sampling.py).
    assert r.returncode == 3, r.stderr
    assert {g["service"] for g in json.loads(inv.read_text())["gaps"]} == {"athena"}
    uat = by_name(parse_inventory(json.loads(inv.read_text()), "inv"), "uat-exports")
    assert uat["content"]["sample"]["objects"] == 1
    assert uat["content"]["sample"]["bytes"] <= 2048 + 3 * 1024
