"""Every scanner's output validates against the inventory JSON Schema dsscan ships
(dsscan/schemas/inventory-v1.json), checked here with python-jsonschema — a validator of its
own, not the jsonschema-rs one dsscan loads inventories with — and every error listed.

Sources: live AWS (moto: the full estate with every operation called, AWS Backup's answers
moto lacks from the stand-in, data sampling on; and the multi-account example bank estate),
Terraform plans (the example and every plan fixture), Pulumi (stack export, preview, the
example program and the fixture programs under the SDK's mocks), and the content samplers
(local files, S3 objects and DynamoDB items in the sweeps above, SQL on a real PostgreSQL and
on SQLite). Each inventory is taken as ``dsscan inventory`` writes it (``dump_inventory``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_support import REGION, ClientHooks, StandIn, fake_env, full_estate, full_sweep_options
from jsonschema import Draft202012Validator, FormatChecker
from moto import mock_aws
from sampling_corpus import Corpus, csv_text

from dsscan.inventory import FORMAT, Inventory, dump_inventory, schema
from dsscan.scanners import get

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def strict(node: Any) -> Any:
    """The schema with every object that lists its properties closed to others: a field a
    scanner writes but the schema (and so docs/inventory.md) does not declare is a mismatch
    too, even where the shipped schema leaves the object open for forward compatibility."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items()}
    if "properties" in out and "additionalProperties" not in out \
            and "patternProperties" not in out:
        out["additionalProperties"] = False
    return out


def problems(doc: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(strict(schema()), format_checker=FormatChecker())
    return sorted(f"{'/'.join(str(p) for p in e.absolute_path) or '$'}: {e.message}"[:300]
                  for e in validator.iter_errors(doc))


def written(inv: Inventory) -> dict[str, Any]:
    """The document as `dsscan inventory ... -o FILE` writes it."""
    doc = json.loads(dump_inventory(inv))
    assert doc["format"] == FORMAT
    return doc


def assert_valid(inv: Inventory, *, kinds: int = 1) -> dict[str, Any]:
    doc = written(inv)
    assert problems(doc) == []
    assert len({a["kind"] for a in doc["assets"]}) >= kinds, "too few assets to prove much"
    return doc


# --- live AWS -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def aws_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        yield


@pytest.mark.slow
def test_a_full_live_sweep_with_sampling_validates(aws_env):
    from dsscan.scanners.aws.sweep import sweep
    from dsscan.scanners.sampling.aws import SampleOptions

    with mock_aws():
        full_estate()
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="schema-sampled",
                         CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="schema-sampled", Key="customers.csv",
                      Body=csv_text(Corpus(seed=3).customers(20)).encode())
        stand_in = StandIn()
        try:
            with ClientHooks(stand_in=stand_in):
                inv = sweep(full_sweep_options(regions=[REGION], sample=SampleOptions()))
        finally:
            stand_in.close()
    doc = assert_valid(inv, kinds=8)
    assert any((a.get("content") or {}).get("status") == "sampled" for a in doc["assets"])
    assert doc["sources"]


@pytest.mark.slow
def test_the_example_bank_estate_sweep_validates(aws_env):
    from dsscan.examples import aws_estate
    from dsscan.scanners.aws.sweep import SweepOptions, sweep
    from dsscan.scanners.sampling.aws import SampleOptions

    with mock_aws():
        aws_estate.provision(boto3.Session(region_name=aws_estate.REGIONS[0]))
        inv = sweep(SweepOptions(regions=list(aws_estate.REGIONS),
                                 accounts=list(aws_estate.ACCOUNTS),
                                 role_name=aws_estate.ROLE_NAME, sample=SampleOptions()))
    assert_valid(inv, kinds=8)


# --- Terraform and Pulumi ------------------------------------------------------------------

PLANS = sorted([ROOT / "examples" / "terraform" / "bank" / "plan.json",
                *(FIXTURES / "terraform").glob("*.json"),
                *(FIXTURES / "terraform" / "issue11").glob("*.json"),
                *(FIXTURES / "terraform" / "review").glob("*.json")])
PLANS = [p for p in PLANS if p.name != "errored.json"]  # refused by design, no inventory


@pytest.mark.parametrize("plan", PLANS, ids=[str(p.relative_to(ROOT)) for p in PLANS])
def test_every_terraform_plan_validates(plan: Path):
    # outside_plan.json changes nothing dsscan maps: an empty inventory, valid all the same.
    assert_valid(get("terraform").collect(plans=(str(plan),)),
                 kinds=0 if plan.name == "outside_plan.json" else 1)


PULUMI = [
    (ROOT / "examples" / "pulumi" / "bank" / "recorded" / "stack-export.json", 8),
    (ROOT / "examples" / "pulumi" / "bank" / "recorded" / "preview.json", 8),
    (ROOT / "examples" / "pulumi" / "bank", 8),  # the program, under the SDK's mocks
    (FIXTURES / "pulumi" / "defaults", 1),
    (FIXTURES / "pulumi" / "serverless", 1),
]


@pytest.mark.slow
@pytest.mark.parametrize("path, kinds", PULUMI,
                         ids=[str(p.relative_to(ROOT)) for p, _ in PULUMI])
def test_every_pulumi_input_validates(path: Path, kinds: int):
    assert_valid(get("pulumi").collect(paths=(str(path),)), kinds=kinds)


# --- content samplers ----------------------------------------------------------------------

def _sampled(targets: tuple[str, ...], **kw: Any) -> Inventory:
    from dsscan.cli.sample import collect_samples

    return collect_samples(targets, config_path=None, catalogue_path=None, **kw)


def test_local_files_sampled_validate(tmp_path: Path):
    rows = Corpus(seed=5).customers(30)
    (tmp_path / "customers.csv").write_text(csv_text(rows), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("nothing sensitive here\n", encoding="utf-8")
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b not gzip")
    doc = assert_valid(_sampled((str(tmp_path),), environment="test", level="general"))
    assert any((a.get("content") or {}).get("detections") for a in doc["assets"])


@pytest.mark.slow
def test_sqlite_sampled_validates(tmp_path: Path):
    db = tmp_path / "bank.db"
    with sqlite3.connect(db) as c:
        c.execute("create table customers (id_number text, name text)")
        c.executemany("insert into customers values (?, ?)",
                      [(r["id_number"], r["full_name"]) for r in Corpus(seed=7).customers(20)])
    assert_valid(_sampled((f"sqlite:///{db}",)), kinds=2)


@pytest.mark.slow
def test_postgresql_sampled_validates(pg_bank):
    doc = assert_valid(_sampled((pg_bank.url(),)), kinds=2)
    assert any(a["kind"] == "table" for a in doc["assets"])


@pytest.mark.slow
def test_an_unreachable_database_validates_as_not_assessed():
    doc = written(_sampled(("postgresql://sampler:pw@127.0.0.1:1/bank",), timeout=2))
    assert problems(doc) == []
    assert doc["assets"][0]["assessment"]["status"] == "not_assessed"


def test_the_check_reports_wrong_types_and_undeclared_fields():
    """The validator above is not vacuous: on a valid inventory, a wrong type, an undeclared
    field in an object the shipped schema leaves open, and a missing id are all named."""
    doc = written(get("terraform").collect(
        plans=(str(ROOT / "examples" / "terraform" / "bank" / "plan.json"),)))
    assert problems(doc) == []
    doc["assets"][0]["network"] = {"publicly_accessible": "no"}
    doc["sources"][0]["undeclared"] = 1
    del doc["assets"][1]["id"]
    found = problems(doc)
    assert any(p.startswith("assets/0/network/publicly_accessible:") for p in found), found
    assert any(p.startswith("sources/0:") and "undeclared" in p for p in found), found
    assert any(p.startswith("assets/1:") and "'id'" in p for p in found), found
