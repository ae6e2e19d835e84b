"""Pulumi defects a review found: deployment schema 4 refused (D11), imported resources read
as new ones with the provider's defaults (D5), KMS replica/external keys (D12) and DynamoDB
global-table replicas. Each table failed before the fix."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dsscan.config import Config
from dsscan.errors import InputError
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners import pulumi_source as pu
from dsscan.scanners.iac.mapping import build_inventory

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "examples" / "pulumi" / "bank" / "recorded" / "stack-export.json"
STACK = "urn:pulumi:prod::core::pulumi:pulumi:Stack::core-prod"
PROV = "urn:pulumi:prod::core::pulumi:providers:aws::default_6_83_0"
PROV_EU = "urn:pulumi:prod::core::pulumi:providers:aws::eu"
SECRET_FREE_TIME = "2025-06-02T10:00:00.000Z"  # after the public-access-block default


@pytest.fixture(scope="module")
def library() -> Any:
    return load_library()


def res(token: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None,
        provider: str = PROV, **extra: Any) -> dict[str, Any]:
    """A resource as `pulumi stack export` writes it (ResourceV3)."""
    urn = f"urn:pulumi:prod::core::{token}::{name}"
    out = {"urn": urn, "custom": True, "type": token, "id": extra.pop("id", name),
           "inputs": {"__defaults": [], **inputs},
           "outputs": outputs if outputs is not None else dict(inputs),
           "parent": STACK, "provider": f"{provider}::04f1c0f6-0f0b-4c11-9a0c-1c5e7b7c0a11",
           "created": SECRET_FREE_TIME, "modified": SECRET_FREE_TIME}
    out.update(extra)
    return out


def export(resources: list[dict[str, Any]], version: int = 3,
           features: list[str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": version, "deployment": {
        "manifest": {"time": SECRET_FREE_TIME, "magic": "", "version": "v3.190.0"},
        "resources": [
            {"urn": STACK, "custom": False, "type": "pulumi:pulumi:Stack"},
            {"urn": PROV, "custom": True, "type": "pulumi:providers:aws",
             "id": "04f1c0f6-0f0b-4c11-9a0c-1c5e7b7c0a11",
             "inputs": {"region": "us-east-1"}, "outputs": {"region": "us-east-1"}},
            {"urn": PROV_EU, "custom": True, "type": "pulumi:providers:aws",
             "id": "04f1c0f6-0f0b-4c11-9a0c-1c5e7b7c0a11",
             "inputs": {"region": "eu-west-1"}, "outputs": {"region": "eu-west-1"}},
            *resources]}}
    if features is not None:
        doc["features"] = features
    return doc


def inventory(tmp_path: Path, doc: dict[str, Any]) -> Any:
    p = tmp_path / "stack.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return pu.collect((str(p),))


# -- D11: deployment schema 3 and 4 are read; a newer one (or an unknown feature) refused ---

def _v4(features: list[str], refresh: bool = False) -> dict[str, Any]:
    doc = copy.deepcopy(json.loads(EXPORT.read_text()))
    doc["version"], doc["features"] = 4, features
    if refresh:  # what the engine writes for a resource with refreshBeforeUpdate
        doc["deployment"]["resources"][2]["refreshBeforeUpdate"] = True
    return doc


VERSIONS = [
    ("v3", json.loads(EXPORT.read_text()), None),
    ("v4-refresh", _v4(["refreshBeforeUpdate"], refresh=True), None),
    ("v4-views-taint", _v4(["views", "taint", "replaceWith", "hooks"]), None),
    ("v4-no-features", _v4([]), None),
    ("v5", {**json.loads(EXPORT.read_text()), "version": 5}, "not one dsscan reads"),
    ("v4-unknown-feature", _v4(["teleport"]), "features dsscan does not read"),
]


@pytest.mark.parametrize(("doc", "refused"), [v[1:] for v in VERSIONS],
                         ids=[v[0] for v in VERSIONS])
def test_deployment_versions(tmp_path, doc, refused):
    p = tmp_path / "stack.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    if refused:
        with pytest.raises(InputError, match=refused) as e:
            pu.read_path(str(p))
        assert "\n" not in str(e.value)
    else:
        assert len(pu.read_path(str(p)).resources) == 41


def test_byte_string_values_of_v4_are_decoded(tmp_path):
    doc = export([res("aws:s3/bucket:Bucket", "raw", {"bucket": "raw"},
                      {"bucket": "raw", "tags": {"note": {pu.SIG: pu.BYTES_SIG,
                                                          "value": "Y29yZf8="}}})],
                 version=4, features=["byteString"])
    a = {x["name"]: x for x in inventory(tmp_path, doc).assets}["raw"]
    assert a["tags"]["note"].startswith("core")


# -- D5: an imported resource is not new; under mocks, what it does not state is unknown -----

def test_imported_bucket_in_an_export_is_not_a_new_bucket(tmp_path):
    """Imported in 2025 (created is the import time): the block AWS gives new buckets since
    2023 is not assumed; the bucket predates it."""
    doc = export([res("aws:s3/bucketV2:BucketV2", "legacy", {"bucket": "legacy-archive"},
                      importID="legacy-archive")])
    a = {x["name"]: x for x in inventory(tmp_path, doc).assets}["legacy-archive"]
    assert a["access"]["public_access_block"] is None
    assert any(g["aspect"] == "access" for g in a["assessment"]["gaps"])


def test_imported_resource_in_a_preview_without_outputs_is_not_assessed(tmp_path):
    state = res("aws:rds/instance:Instance", "ledger",
                {"identifier": "core-ledger", "engine": "postgres", "storageEncrypted": True},
                {}, importID="core-ledger")
    doc = {"config": {"aws:region": "us-east-1"},
           "steps": [{"op": "import", "urn": state["urn"], "newState": state}]}
    a = {x["name"]: x for x in inventory(tmp_path, doc).assets}["core-ledger"]
    assert a["assessment"]["status"] != "complete"
    assert any(g["aspect"] == "*" for g in a["assessment"]["gaps"])


IMPORTED_PROGRAM = """
import pulumi
import pulumi_aws as aws

# Taken over from the console: its backups and encryption are whatever it has today.
ledger = aws.rds.Instance("ledger", identifier="core-ledger", engine="postgres",
                          instance_class="db.t3.micro", allocated_storage=20,
                          tags={"data-level": "core"},
                          opts=pulumi.ResourceOptions(import_="core-ledger"))
legacy = aws.s3.BucketV2("legacy", bucket="legacy-archive",
                         opts=pulumi.ResourceOptions(import_="legacy-archive"))
fresh = aws.s3.BucketV2("fresh", bucket="core-fresh")
"""


@pytest.mark.slow
def test_imported_resources_of_a_program_are_not_given_defaults(tmp_path):
    d = tmp_path / "prog"
    d.mkdir()
    (d / "Pulumi.yaml").write_text("name: core\nruntime: python\n")
    (d / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (d / "__main__.py").write_text(textwrap.dedent(IMPORTED_PROGRAM))
    got = {r.name: r for r in pu.read_path(str(d)).resources}
    assert got["ledger"].imported and not got["ledger"].unstated_known
    assert not got["fresh"].imported
    inv = build_inventory(list(got.values()), tool="pulumi", files=[str(d)])
    a = {x["name"]: x for x in inv.assets}
    for name in ("core-ledger", "legacy-archive"):
        assert any(g["aspect"] == "*" for g in a[name]["assessment"]["gaps"]), name
    assert a["core-fresh"]["assessment"]["status"] == "complete"


# -- D12 and DynamoDB replicas, the Pulumi way ----------------------------------------------

def test_kms_replica_and_external_keys_are_customer_managed(tmp_path):
    key = "arn:aws:kms:eu-west-1:111111111111:key/mrk-0a1b2c3d4e5f"
    doc = export([
        res("aws:kms/replicaKey:ReplicaKey", "dr", {"primaryKeyArn": "arn:aws:kms:us-east-1:"
            "111111111111:key/mrk-0a1b2c3d4e5f"}, {"arn": key, "keyId": "mrk-0a1b2c3d4e5f"},
            provider=PROV_EU),
        res("aws:s3/bucketV2:BucketV2", "dr", {"bucket": "core-dr"}, provider=PROV_EU),
        res("aws:s3/bucketServerSideEncryptionConfigurationV2:"
            "BucketServerSideEncryptionConfigurationV2", "dr",
            {"bucket": "core-dr", "rules": [{"applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}}]}, provider=PROV_EU),
    ])
    a = {x["name"]: x for x in inventory(tmp_path, doc).assets}["core-dr"]
    assert a["encryption"]["at_rest"]["key_type"] == "customer_managed"


@pytest.mark.slow
def test_global_table_replicas_reach_ds_xbr_001(tmp_path, library):
    arn = "arn:aws:dynamodb:us-east-1:111111111111:table/core-ledger"
    doc = export([
        res("aws:dynamodb/table:Table", "ledger",
            {"name": "core-ledger", "hashKey": "id", "tags": {"data-level": "core"},
             "replicas": [{"regionName": "ap-southeast-1"}]},
            {"name": "core-ledger", "arn": arn, "hashKey": "id",
             "tags": {"data-level": "core"},
             "replicas": [{"regionName": "ap-southeast-1", "arn": arn.replace(
                 "us-east-1", "ap-southeast-1")}]}),
        res("aws:dynamodb/tableReplica:TableReplica", "ledger-eu",
            {"globalTableArn": arn}, {"globalTableArn": arn, "arn": arn.replace(
                "us-east-1", "eu-west-1")}, provider=PROV_EU),
    ])
    inv = inventory(tmp_path, doc)
    a = {x["name"]: x for x in inv.assets}["core-ledger"]
    assert sorted(r["region"] for r in a["replicas"]) == ["ap-southeast-1", "eu-west-1"]
    result = run_scan(inv, library, ScanOptions(config=Config(allowed_regions=["us-east-1"])))
    msgs = [f.message for f in result.findings if f.policy_id == "DS-XBR-001"
            and f.asset_name == "core-ledger"]
    assert any("ap-southeast-1" in m for m in msgs) and any("eu-west-1" in m for m in msgs)


# -- D1, the Pulumi way: a policy for a bucket the stack does not manage --------------------

def test_policy_for_a_bucket_outside_the_stack_is_a_gap(tmp_path):
    doc = export([res("aws:s3/bucketPolicy:BucketPolicy", "archive",
                      {"bucket": "existing-archive", "policy": '{"Version": "2012-10-17", '
                       '"Statement": [{"Effect": "Allow", "Principal": "*", "Action": '
                       '"s3:GetObject", "Resource": "arn:aws:s3:::existing-archive/*"}]}'})])
    inv = inventory(tmp_path, doc)
    assert any("existing-archive" in g["reason"] and "not assessed" in g["reason"]
               for g in inv.gaps), inv.gaps
