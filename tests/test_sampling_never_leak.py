"""Never leak: every output of a sampling run over the test corpus — reports in every format,
the inventory, the call log, standard output and standard error, a failing run's messages —
is searched for the corpus's clear values (resident IDs, card numbers, mobile numbers,
e-mail addresses), and none may be there.

The corpus is generated (tests/sampling_corpus.py) into a PostgreSQL database (tests/
conftest.py: pg_bank), a SQLite file, local files and S3 buckets on moto's server. Each test
first shows that the values are really in its inputs and that the outputs do report
detections, so a pass means "found and not leaked", not "nothing read".
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import time
from pathlib import Path

import boto3
import pytest
from aws_support import FAKE_ENV, REGION, bucket
from sampling_corpus import COLUMNS, Corpus, csv_text
from sampling_support import MotoServer, run_dsscan

pytestmark = pytest.mark.slow  # full sampling runs through the command

FORMATS = ("table", "json", "sarif", "junit")


run = run_dsscan


def report_args(tmp: Path, tag: str) -> tuple[list[str], list[Path]]:
    args: list[str] = []
    paths = []
    for fmt in FORMATS:
        p = tmp / f"{tag}.{fmt}"
        args += ["-f", fmt, "-o", str(p)]
        paths.append(p)
    return args, paths


def leaks(texts: dict[str, str], raw: set[str]) -> list[str]:
    """'where: value kind' for each clear value found (the value itself is not printed)."""
    out = []
    for where, text in texts.items():
        for v in raw:
            if v in text:
                kind = "e-mail" if "@" in v else f"{len(v)}-digit value"
                out.append(f"{where}: a corpus {kind}")
    return sorted(set(out))


def files_corpus(tmp: Path, corpus: Corpus) -> tuple[Path, Path]:
    rows = corpus.customers(150)
    d = tmp / "exports"
    d.mkdir()
    (d / "customers.csv").write_text(csv_text(rows))
    (d / "customers.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False)
                                                 for r in rows))
    (d / "customers.tsv.gz").write_bytes(gzip.compress(csv_text(rows, "\t").encode()))
    (d / "app.log").write_text("".join(
        f"user {r['email']} phone {r['mobile']} id {r['id_number']} card {r['card_no']}\n"
        for r in rows))
    db = tmp / "uat.db"
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE customers ({', '.join(f'{c} TEXT' for c in COLUMNS)})")
    con.executemany(f"INSERT INTO customers VALUES ({', '.join('?' * len(COLUMNS))})",
                    [tuple(r[c] for c in COLUMNS) for r in rows])
    con.commit()
    con.close()
    return d, db


def test_dsscan_sample_leaks_no_sampled_value(pg_bank, tmp_path):
    corpus = pg_bank.corpus  # the PostgreSQL rows' values, and the files' below
    exports, db = files_corpus(tmp_path, corpus)
    raw = set(corpus.raw)
    # The search finds clear values where they are (the inputs): it can fail.
    assert leaks({"input": (exports / "app.log").read_text()}, raw)

    targets = [pg_bank.url(), str(db), str(exports)]
    common = ["--tables", "customers", "--tables", "crm.*", "--environment", "test",
              "--level", "general"]
    args, reports = report_args(tmp_path, "sample")
    inv = tmp_path / "sample-inventory.json"
    scanned = run("sample", *targets, *common, "--scan", "--save-inventory", inv, *args)
    assert scanned.returncode == 1, scanned.stderr
    on_stdout = run("sample", *targets, *common, "--scan", "--policy", "DS-*")
    plain = run("sample", *targets, *common)  # the inventory on standard output
    failing = run("sample", pg_bank.url(password="n0t-the-password"), str(exports),
                  "--environment", "test", "--scan")
    assert failing.returncode == 1 and "not assessed" in failing.stderr

    texts = {p.name: p.read_text() for p in [*reports, inv]}
    for name, r in (("scan", scanned), ("stdout", on_stdout), ("inventory", plain),
                    ("failing", failing)):
        texts[f"{name} stdout"] = r.stdout
        texts[f"{name} stderr"] = r.stderr
    assert leaks(texts, raw) == []
    # ...and the runs did find what they must not show.
    report = json.loads((tmp_path / "sample.json").read_text())
    assert {f["policy_id"] for f in report["findings"]} >= {"DS-TST-002", "DS-CLS-002"}
    assert "prc_resident_id" in texts["sample.json"] and "********" in texts["sample.json"]
    assert "n0t-the-password" not in failing.stderr + failing.stdout


@pytest.fixture
def moto_server(monkeypatch):
    server = MotoServer(monkeypatch)
    yield server.url
    server.stop()


def test_scan_aws_sample_data_leaks_no_sampled_value(moto_server, tmp_path):
    corpus = Corpus(seed=99)
    rows = corpus.customers(150)
    s3 = bucket("uat-exports", tags={"environment": "test"})
    s3.put_object(Bucket="uat-exports", Key="customers.csv", Body=csv_text(rows).encode())
    # An object named after a customer: its key must not leak either (locations, call log).
    s3.put_object(Bucket="uat-exports", Key=f"kyc/{rows[0]['id_number']}.csv",
                  Body=csv_text(rows[:3]).encode())
    s3.put_object(Bucket="uat-exports", Key="app.log.gz", Body=gzip.compress("".join(
        f"{r['email']} {r['mobile']} {r['id_number']} {r['card_no']}\n" for r in rows).encode()))
    s3 = bucket("kyc-archive", tags={"environment": "production", "dsscan:level": "general"})
    s3.put_object(Bucket="kyc-archive", Key="kyc.json", Body=json.dumps(rows).encode())
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(TableName="uat-customers", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     Tags=[{"Key": "environment", "Value": "test"}])
    for r in rows[:40]:
        ddb.put_item(TableName="uat-customers", Item={
            "pk": {"S": r["customer_no"]}, "id_number": {"N": r["id_number_num"]},
            "mobile": {"S": r["mobile"]}, "email": {"S": r["email"]}})

    # DS-PII-001: log events with identifiers in clear, in groups one of which is named
    # after a customer, and an export prefix (objects named after customers too).
    logs = boto3.client("logs", region_name=REGION)
    now = int(time.time() * 1000)
    for group in ("/app/payments", f"/app/kyc/{rows[1]['id_number']}"):
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName=rows[2]["mobile"])
        logs.put_log_events(logGroupName=group, logStreamName=rows[2]["mobile"], logEvents=[
            {"timestamp": now - 1000 + i,
             "message": f"paid id_no={r['id_number']} card {r['card_no']} {r['email']}"}
            for i, r in enumerate(rows)])
    s3 = bucket("analytics", tags={"environment": "production"})
    s3.put_object(Bucket="analytics", Key=f"exports/{rows[3]['card_no']}.csv",
                  Body=csv_text(rows).encode())
    # An export prefix named after a customer: in the finding's key, message and evidence.
    s3.put_object(Bucket="analytics", Key=f"export-{rows[4]['id_number']}/part-0.csv",
                  Body=csv_text(rows).encode())

    assert leaks({"input": csv_text(rows)}, corpus.raw)  # the search can fail

    env = {**FAKE_ENV, "AWS_ENDPOINT_URL": moto_server}
    base = ["--regions", REGION, "--services", "s3,dynamodb,logs", "--sample-data"]
    args, reports = report_args(tmp_path, "aws")
    for fmt in ("html", "markdown"):  # and the history store, with the trend reports
        reports.append(tmp_path / f"aws.{fmt}")
        args += ["-f", fmt, "-o", str(reports[-1])]
    store = tmp_path / "history.db"
    calls, inv = tmp_path / "calls.jsonl", tmp_path / "aws-inventory.json"
    scanned = run("scan", "aws", *base, "--call-log", calls, "--store", store, *args, env=env)
    assert scanned.returncode == 1, scanned.stderr
    on_stdout = run("scan", "aws", *base, env=env)
    written = run("inventory", "aws", *base, "-o", inv, env=env)
    # Exit 3: the only gap is Athena, which moto's server cannot serve to this botocore
    # (rest-json; tests/test_pii_sampling.py reads workgroups from a Stubber).
    assert written.returncode == 3, written.stderr
    assert {g["service"] for g in json.loads(inv.read_text())["gaps"]} == {"athena"}

    texts = {p.name: p.read_text() for p in [*reports, calls, inv]}
    # The store's every byte (SQLite pages, whatever the encoding of a row).
    for f in sorted(tmp_path.glob("history.db*")):  # its -wal / -shm files too, if any
        texts[f.name] = f.read_bytes().decode("latin-1")
    assert "history.db" in texts
    for name, r in (("scan", scanned), ("stdout", on_stdout), ("inventory", written)):
        texts[f"{name} stdout"] = r.stdout
        texts[f"{name} stderr"] = r.stderr
    assert leaks(texts, corpus.raw) == []
    found = {(f["policy_id"], f["asset_name"])
             for f in json.loads((tmp_path / "aws.json").read_text())["findings"]}
    assert {("DS-TST-002", "uat-exports"), ("DS-TST-002", "uat-customers"),
            ("DS-CLS-002", "kyc-archive")} <= found
    pii = {name for pid, name in found if pid == "DS-PII-001"}
    assert "/app/payments" in pii and "analytics" in pii and len(pii) == 3
    keys = [f for f in json.loads((tmp_path / "aws.json").read_text())["findings"]
            if f["policy_id"] == "DS-PII-001" and f["asset_name"] == "analytics"]
    assert len(keys) == 2  # exports/ and the prefix named after a customer
