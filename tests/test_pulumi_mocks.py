"""Pulumi programs under dsscan's mocks get plausible computed values — ids, ARNs, DNS names,
URLs, lists, nested objects, policy documents, KMS look-ups — so that programs written like
those of pulumi/examples run (instead of failing on a None) and are judged.

tests/fixtures/pulumi/serverless is such a program: an HTTP API concatenating its execution
ARN and stage name, a role from get_policy_document, an EKS kubeconfig reading the certificate
authority's data, a site bucket opened by a generated policy, and buckets encrypted with keys
looked up by alias.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dsscan.config import config_from_mapping
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners import pulumi_source as pu

PROGRAM = Path(__file__).resolve().parent / "fixtures" / "pulumi" / "serverless"


def _mocks() -> Any:
    import importlib.util

    path = Path(pu.__file__).with_name("pulumi_mocks.py")
    spec = importlib.util.spec_from_file_location("pulumi_mocks_under_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mocks = _mocks()


@pytest.fixture(scope="module")
def capture() -> dict[str, Any]:
    return pu.run_program(str(PROGRAM))


@pytest.fixture(scope="module")
def inventory() -> Any:
    return pu.collect((str(PROGRAM),))


@pytest.mark.slow
def test_a_program_using_computed_values_runs(capture):
    out = capture["outputs"]
    # api_endpoint + "/" + stage.name + "/": a URL and the stage's auto-name
    assert out["endpoint"].endswith(".amazonaws.com.cn/prod/")
    kube = json.loads(out["kubeconfig"])["clusters"][0]["cluster"]
    assert kube["certificate-authority-data"] and kube["server"].endswith(".amazonaws.com.cn")
    fn = next(r for r in capture["resources"] if r["type"] == "aws:lambda/function:Function")
    assert fn["outputs"]["arn"].startswith("arn:aws-cn:lambda:cn-north-1:111111111111:")
    assert fn["outputs"]["invokeArn"].startswith("arn:aws-cn:")
    role = next(r for r in capture["resources"] if r["urn"].endswith("::fn-role"))
    assert json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"}


@pytest.mark.slow
def test_what_the_program_declares_is_judged(inventory):
    got = {a["name"]: a for a in inventory.assets}
    assert set(got) == {"orders", "bank-site", "bank-exports", "bank-ledger-archive",
                        "fn-role", "eks"}
    # the program's IAM roles are principals (DS-IAM-001), their trust policies read
    assert {got[r]["kind"] for r in ("fn-role", "eks")} == {"principal"}
    # the policy the mocks built from get_policy_document opens the site bucket
    assert got["bank-site"]["access"]["public"] is True
    assert got["bank-site"]["access"]["wildcard_principal"] is True
    # a key looked up by an alias/aws/* alias is AWS-managed
    exports = got["bank-exports"]["encryption"]["at_rest"]
    assert exports["key_type"] == "provider_managed"
    assert got["bank-exports"]["assessment"]["gaps"] == []
    # a key looked up by the bank's own alias: not assessed (the mocks cannot say), the gap
    # naming the key
    archive = got["bank-ledger-archive"]
    assert archive["encryption"]["at_rest"]["key_type"] is None
    [gap] = archive["assessment"]["gaps"]
    assert gap["key_id"] == archive["encryption"]["at_rest"]["key_id"]
    assert gap["key_id"].startswith("arn:aws-cn:kms:cn-north-1:111111111111:key/")
    [src] = inventory.sources
    assert src["skipped"]["aws:lambda/function:Function"] == 1


def _archive_gaps(inventory: Any, kms_keys: list[str]) -> list[Any]:
    cfg = config_from_mapping({"kms_keys": kms_keys}, "cfg")
    result = run_scan(inventory, load_library(), ScanOptions(config=cfg))
    return [n for n in result.not_assessed
            if (result.assets.get(n.asset_id or "") or {}).get("name") == "bank-ledger-archive"]


@pytest.mark.slow
def test_kms_keys_decides_the_bank_key_only_by_its_exact_arn(inventory):
    archive = next(a for a in inventory.assets if a["name"] == "bank-ledger-archive")
    key = archive["encryption"]["at_rest"]["key_id"]
    # the key sits in the stack's own account, where it could be AWS-managed: declaring the
    # whole account (or a glob over it) does not decide it
    assert _archive_gaps(inventory, ["111111111111"])
    assert _archive_gaps(inventory, ["arn:aws-cn:kms:*:111111111111:key/*"])
    # naming that very key does
    assert not _archive_gaps(inventory, [key])


# -- the stand-ins themselves ----------------------------------------------------------------

CTX = mocks.context("aws:apigatewayv2/api:Api", "http", "urn:x", "cn-north-1", "111111111111")


@pytest.mark.parametrize("name, want", [
    ("execution_arn", "arn:aws-cn:apigatewayv2:cn-north-1:111111111111:api/http"),
    ("api_endpoint", "http-"),
    ("invoke_url", "https://http-"),
    ("default_route_table_id", "rtb-"),
    ("owner_id", "111111111111"),
    ("hosted_zone_id", "Z"),
    ("public_ip", "203.0.113.10"),
    ("bucket_region", "cn-north-1"),
    ("created_at", "2026-01-15T09:00:00Z"),
])
def test_plausible_strings_follow_the_name(name, want):
    got = mocks.plausible(name, str, CTX)
    assert got.startswith(want), got
    if name == "api_endpoint":
        assert got.endswith(".apigatewayv2.cn-north-1.amazonaws.com.cn")


def test_only_output_only_properties_and_never_verdict_facts():
    api = mocks.output_only("aws:apigatewayv2/api:Api")
    assert {"execution_arn", "api_endpoint", "arn"} <= set(api)
    assert "protocol_type" not in api  # an input: the program's choice
    rds = mocks.output_only("aws:rds/instance:Instance")
    assert "kms_key_id" not in rds and "storage_encrypted" not in rds
    for name in ("kms_key_id", "master_user_secret_kms_key_id", "encrypted", "policy",
                 "acl", "target_key_arn"):
        assert mocks.plausible(name, str, CTX) is None


@pytest.mark.parametrize("args, statements", [
    ({"statements": [{"actions": ["s3:GetObject"], "resources": ["arn:aws-cn:s3:::b/*"],
                      "principals": [{"type": "*", "identifiers": ["*"]}]}]},
     [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws-cn:s3:::b/*",
       "Principal": "*"}]),
    ({"statements": [{"sid": "Tls", "effect": "Deny", "actions": ["s3:*"],
                      "principals": [{"type": "AWS", "identifiers": ["*"]}],
                      "conditions": [{"test": "Bool", "variable": "aws:SecureTransport",
                                      "values": ["false"]}]}]},
     [{"Sid": "Tls", "Effect": "Deny", "Action": "s3:*", "Principal": {"AWS": "*"},
       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]),
    # a source document's statements come first; an override replaces by Sid
    ({"sourcePolicyDocuments": [json.dumps({"Statement": [{"Sid": "A", "Effect": "Allow",
                                                           "Principal": "*"}]})],
      "overridePolicyDocuments": [json.dumps({"Statement": {"Sid": "A", "Effect": "Deny"}})],
      "statements": [{"sid": "B", "actions": ["s3:ListBucket"]}]},
     [{"Sid": "A", "Effect": "Deny"}, {"Sid": "B", "Effect": "Allow",
                                       "Action": "s3:ListBucket"}]),
])
def test_policy_documents_are_what_their_arguments_say(args, statements):
    assert json.loads(mocks.policy_document(args))["Statement"] == statements


def test_a_policy_document_from_a_non_json_source_is_not_json():
    """Dropping a source document could drop a public statement: the result is not JSON, and
    the mapping reports the policy as not assessed."""
    doc = mocks.policy_document({"sourcePolicyDocuments": ["{not json"], "statements": []})
    with pytest.raises(ValueError):
        json.loads(doc)


@pytest.mark.parametrize("version, want", [
    ("7.51.1", {"encrypted": "true", "publiclyAccessible": False}),
    ("6.83.0", {"encrypted": False, "publiclyAccessible": True}),
    ("", {}),
])
def test_provider_defaults_by_major_version(version, want):
    got = mocks.with_provider_defaults("aws:redshift/cluster:Cluster",
                                       {"clusterIdentifier": "w"}, version)
    assert got == {"clusterIdentifier": "w", **want}
    assert mocks.with_provider_defaults("aws:redshift/cluster:Cluster",
                                        {"encrypted": False}, "7.0.0")["encrypted"] is False


@pytest.mark.parametrize("ref, aws_managed, account", [
    ("alias/aws/s3", True, "111111111111"),
    ("alias/central-ledger", False, "111111111111"),
    ("arn:aws-cn:kms:cn-north-1:444455556666:key/abc", False, "444455556666"),
    ("arn:aws-cn:kms:cn-north-1:111111111111:alias/aws/rds", True, "111111111111"),
])
def test_kms_lookups(ref, aws_managed, account):
    kid, arn, managed = mocks.kms_facts(ref, "cn-north-1", "111111111111")
    assert managed is aws_managed
    assert arn == f"arn:aws-cn:kms:cn-north-1:{account}:key/{kid}"


def test_no_module_beside_the_program_runner_shadows_an_installed_package():
    """pulumi_program.py runs by path, so its folder (scanners/) is first on the program's
    sys.path: a scanners/pulumi.py once shadowed the Pulumi SDK. No name there may be the
    name of an installed top-level package."""
    import importlib.util
    import sys
    from pathlib import Path

    here = Path(pu.__file__).resolve().parent
    names = {p.stem for p in here.glob("*.py")} | {p.name for p in here.iterdir() if p.is_dir()}
    names -= {"__init__", "__pycache__"}
    saved = sys.path[:]
    try:
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() not in (here, here.parent)]
        clashes = sorted(n for n in names if importlib.util.find_spec(n) is not None)
        assert importlib.util.find_spec("pulumi") is not None  # the SDK the programs import
    finally:
        sys.path[:] = saved
    assert clashes == []
