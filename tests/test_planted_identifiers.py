"""Planted identifiers never leave dsscan in clear.

Valid resident IDs, bank cards and mobiles (tests/planted.py: real check characters, issuer
prefixes and segments) are planted in every string field of an inventory, in the names, tags
and addresses of a Terraform plan (one resource in a module instance keyed by an ID) and a
Pulumi export, in bucket names, object keys and contents, table names and items, DB
identifiers, descriptions and tags of a moto estate, and in the file name, table and column
names and rows of a SQLite database. Every command and output format runs on them as a
subprocess -- reports in six formats, inventories (aws, terraform, pulumi, classify,
explain), baselines, the history store with history and diff, the AWS call log, and input
errors -- and everything written (files, the store, the call log, standard output and
error) is searched for the planted values, as written and with spaces, dashes, underscores,
dots or URL escapes between their digits. Nothing may be found.

The same values must show up masked (110101********1234): proof that they reached the outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_support import FAKE_ENV, REGION, free_port
from moto.server import ThreadedMotoServer
from planted import (
    Leak,
    Planted,
    find_leaks,
    json_dump,
    make_sqlite,
    masked_shapes,
    plant_export,
    plant_inventory,
    plant_plan,
    provision,
    readable,
    variants_pattern,
)

FORMATS = ("-f", "table", "-o", "r.txt", "-f", "json", "-o", "r.json", "-f", "sarif", "-o",
           "r.sarif", "-f", "junit", "-o", "r.xml", "-f", "html", "-o", "r.html",
           "-f", "markdown", "-o", "r.md", "-f", "table")


class Run:
    """Runs dsscan commands in ``out`` (where every file they write lands) and keeps what
    they printed, to be searched with the files afterwards."""

    def __init__(self, out: Path, endpoint: str | None = None) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1",
                    "CI": "true", "HOME": str(out), **FAKE_ENV}
        if endpoint:
            self.env["AWS_ENDPOINT_URL"] = endpoint
        self.streams: list[tuple[str, str]] = []

    def __call__(self, *args: Any, ok: tuple[int, ...] = (0, 1, 3),
                 prefix: str | None = None) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([sys.executable, "-m", "dsscan.cli.main", *map(str, args)],
                           capture_output=True, text=True, env=self.env, cwd=self.out,
                           timeout=600)
        name = " ".join(map(str, args[:3]))
        self.streams += [(f"stdout of dsscan {name}", r.stdout),
                         (f"stderr of dsscan {name}", r.stderr)]
        assert r.returncode in ok, (args, r.returncode, r.stderr[-2000:])
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
        return r

    def outputs(self) -> list[tuple[str, str]]:
        files = [(str(p.relative_to(self.out)), readable(p))
                 for p in sorted(self.out.rglob("*")) if p.is_file()]
        return files + self.streams


def check(planted: Planted, outputs: list[tuple[str, str]]) -> tuple[list[Leak], int]:
    """(leaks, how many planted values appear masked somewhere)."""
    pattern = variants_pattern(planted.values)
    leaks = [leak for where, text in outputs for leak in find_leaks(pattern, where, text)]
    everything = "\n".join(text for _, text in outputs)
    seen = sum(1 for shape in masked_shapes(planted.values) if shape in everything)
    return leaks, seen


def report(leaks: list[Leak]) -> str:
    return "\n".join(f"{leak.where}: {leak.value!r} in ...{leak.context}..."
                     for leak in leaks[:20])


# --- files: inventory, Terraform plan, Pulumi export, baseline, store, errors -----------------

def test_no_planted_identifier_leaks_from_files_reports_store_baseline_and_errors(tmp_path):
    planted = Planted(seed=1)
    src = tmp_path / "in"
    src.mkdir()
    inv_doc, n_inv = plant_inventory(planted)
    inv = json_dump(inv_doc, src / "inv.json")
    plan = json_dump(plant_plan(planted)[0], src / "plan.json")
    export = json_dump(plant_export(planted)[0], src / "export.json")
    assert n_inv > 200  # nearly every string of the estate holds one

    # Inputs that are wrong, and whose errors quote a planted value.
    bad_id = planted.resident_id()
    dup = json.loads(inv.read_text())
    dup["assets"].append(dict(dup["assets"][0]))
    json_dump(dup, src / "dup.json")
    bad_kind = json.loads(inv.read_text())
    bad_kind["assets"][0]["kind"] = f"kyc{bad_id}"
    json_dump(bad_kind, src / "kind.json")
    (src / "bad.yaml").write_text(f"fail_on: TEL{planted.mobile()}\n")
    (src / "broken.json").write_text('{"format": "dsscan-inventory/1", "assets": [{"id": '
                                     f'"kyc{planted.resident_id()}" ')
    bad_base = {"dsscan_baseline": 1, "created_at": "2026-01-01T00:00:00+00:00",
                "tool_version": "0", "findings": [{"fingerprint": f"x{planted.card()}",
                                                   "policy_id": "DS-ENC-001",
                                                   "asset_id": f"kyc{planted.resident_id()}",
                                                   "level": "core", "severity": "critical"}]}
    json_dump(bad_base, src / "badbase.json")

    # Settings whose waivers and catalogue quote identifiers (shown in reports and config).
    (src / "catalogue.yaml").write_text(
        f"version: 1\nrules:\n  - id: CAT-{planted.resident_id()}\n"
        f"    description: kyc files of TEL{planted.mobile()}\n    level: core\n"
        f"    match:\n      name: ['*kyc*']\n")
    (src / "settings.yaml").write_text(
        f"catalogue: {src / 'catalogue.yaml'}\nwaivers:\n"
        f"  - id: CHG-{planted.card()}\n    policy: DS-ENC-001\n    asset: '*kyc*'\n"
        f"    reason: customer {planted.resident_id()} agreed, TEL{planted.mobile()}\n"
        f"    approver: ops {planted.mobile()}\n    expires: 2099-03-31\n"
        f"  - policy: DS-NET-003\n    asset: '*cust*'\n"
        f"    reason: expired for {planted.grouped(planted.resident_id(), ' ')}\n"
        f"    approver: a{planted.mobile()}@bank.cn\n    expires: 2020-01-01\n")

    run = Run(tmp_path / "out")
    run("scan", "inventory", inv, *FORMATS, "--store", "store.sqlite")
    run("scan", "inventory", inv, "--config", src / "settings.yaml",
        *[a.replace("r.", "w.") for a in FORMATS])
    run("config", "show", "--config", src / "settings.yaml")
    run("config", "show", "--config", src / "settings.yaml", "--format", "json")
    run("scan", "inventory", inv, "-f", "json", "--store", "store.sqlite")
    run("history", "--store", "store.sqlite")
    run("history", "--store", "store.sqlite", "--format", "json")
    run("diff", "--store", "store.sqlite")
    run("diff", "--store", "store.sqlite", "--format", "json")
    run("baseline", "create", "inventory", inv, "-o", "base.json")
    run("scan", "inventory", inv, "--baseline", "base.json", "-f", "sarif", "-o", "b.sarif",
        "-f", "json", "-o", "b.json", "-f", "table")
    run("baseline", "create", "--from-report", "r.json", "-o", "base2.json", ok=(0, 2, 3))
    run("inventory", "classify", inv, "-o", "classified.json")
    run("inventory", "classify", inv)
    run("inventory", "validate", inv)
    raw_id = inv_doc["assets"][20]["id"]
    run("inventory", "explain", inv, raw_id)
    run("scan", "terraform", plan, *[a.replace("r.", "t.") for a in FORMATS])
    run("inventory", "terraform", plan, "-o", "tf-inv.json")
    run("inventory", "terraform", plan)
    run("scan", "inventory", "tf-inv.json", "-f", "json", "-o", "tf-again.json")
    run("scan", "pulumi", export, *[a.replace("r.", "p.") for a in FORMATS])
    run("inventory", "pulumi", export, "-o", "pu-inv.json")
    run("inventory", "pulumi", export)
    # Errors: one line on standard error, exit 2, and the quoted value masked.
    run("scan", "inventory", src / f"cust{planted.resident_id()}" / "x.json", ok=(2,))
    run("scan", "inventory", src / "dup.json", ok=(2,))
    run("scan", "inventory", src / "kind.json", ok=(2,))
    run("scan", "inventory", src / "broken.json", ok=(2,))
    run("scan", "inventory", inv, "--config", src / "bad.yaml", ok=(2,))
    run("scan", "inventory", inv, "--baseline", src / "badbase.json", ok=(2,))
    run("inventory", "explain", inv, f"kyc{planted.resident_id()}", ok=(2,))
    run("inventory", "explain", inv, f"TEL{planted.mobile()}", ok=(2,))
    run("sample", "--tag", f"kyc{planted.resident_id()}", src, ok=(2,))
    run("scan", "inventory", inv, "--policy", f"DS-{planted.card()}", ok=(0, 2, 3))
    run("history", "--store", src / f"tel{planted.mobile()}.sqlite", ok=(0, 2))

    outputs = run.outputs()
    leaks, seen = check(planted, outputs)
    assert not leaks, f"{len(leaks)} planted values in clear:\n{report(leaks)}"
    assert len(outputs) > 60
    assert seen > 100, seen  # the values did reach the outputs, masked


# --- a moto estate: scan aws / inventory aws, --sample-data, --call-log, --store --------------

@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url, monkeypatch):
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset",
                                                  method="POST"), timeout=10)
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return moto_url


def test_no_planted_identifier_leaks_from_a_live_estate(aws, tmp_path):
    planted = Planted(seed=2)
    provision(planted)
    run = Run(tmp_path / "out", endpoint=aws)
    regions = ("--regions", REGION)
    run("inventory", "aws", *regions, "-o", "aws-inv.json", "--call-log", "calls.jsonl")
    run("inventory", "aws", *regions, "--sample-data")
    run("scan", "aws", *regions, "--sample-data", "--call-log", "calls2.jsonl",
        "--store", "store.sqlite", *FORMATS)
    run("scan", "aws", *regions, "-f", "json", "--store", "store.sqlite")
    run("diff", "--store", "store.sqlite", "--format", "json")
    run("history", "--store", "store.sqlite")
    run("baseline", "create", "aws", *regions, "-o", "base.json")
    run("scan", "inventory", "aws-inv.json", "-f", "json", "-o", "again.json",
        "--baseline", "base.json")
    run("inventory", "classify", "aws-inv.json", "-o", "classified.json")
    inv = json.loads((run.out / "aws-inv.json").read_text())
    run("inventory", "explain", "aws-inv.json", inv["assets"][0]["id"])
    run("scan", "aws", "--regions", f"{REGION},tel{planted.mobile()}", ok=(2, 3))
    run("scan", "aws", *regions, "--accounts-file", tmp_path / f"cust{planted.card()}.yaml",
        ok=(2,))

    calls = (run.out / "calls.jsonl").read_text()
    assert calls.count("\n") > 20
    outputs = run.outputs()
    leaks, seen = check(planted, outputs)
    assert not leaks, f"{len(leaks)} planted values in clear:\n{report(leaks)}"
    assert seen > 20, seen


# --- a SQLite database: dsscan sample -------------------------------------------------------

def test_no_planted_identifier_leaks_from_sampling_a_database(tmp_path):
    planted = Planted(seed=3)
    src = tmp_path / "in"
    src.mkdir()
    db = src / f"cust{planted.resident_id()}.db"
    make_sqlite(planted, db, rows=30)
    run = Run(tmp_path / "out")
    run("sample", db, "-o", "sample.json")
    run("sample", f"sqlite:///{db}")
    run("sample", db, "--environment", "test", "--scan", "--store", "store.sqlite",
        "--save-inventory", "saved.json", *FORMATS)
    run("scan", "inventory", "sample.json", "-f", "sarif", "-o", "s.sarif", "-f", "table")
    run("sample", f"sqlite:///{src}/tel{planted.mobile()}.db", ok=(2, 3))

    outputs = run.outputs()
    leaks, seen = check(planted, outputs)
    assert not leaks, f"{len(leaks)} planted values in clear:\n{report(leaks)}"
    assert seen >= 3, seen
