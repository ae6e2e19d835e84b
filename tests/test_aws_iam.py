"""Least privilege: examples/iam/dsscan-readonly.json grants exactly what the scanner calls,
and nothing that writes.

Each collector declares its asset kinds and operations once (its ``INFO``;
dsscan.scanners.aws.operations); the IAM policies and the tables of docs/aws.md are generated
from those declarations. Here the checked-in files are held to the generator, the declared
set to botocore's own service models (every declared operation exists and is a read), and a
full sweep in moto to the declarations: it calls every declared operation and nothing else,
and produces only the asset kinds (and resource types) its collectors declare.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.session
import pytest
from aws_support import ClientHooks, StandIn, fake_env, full_estate, full_sweep_options
from moto import mock_aws

from dsscan.scanners.aws import SERVICES
from dsscan.scanners.aws.clients import CallLog
from dsscan.scanners.aws.generate import ROOT, expected, main
from dsscan.scanners.aws.operations import (
    OPERATIONS,
    all_calls,
    all_iam_actions,
    collectors,
    iam_action,
)
from dsscan.scanners.aws.sweep import COLLECTORS, sweep

pytestmark = pytest.mark.slow  # a full sweep recording every call

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
    assert set(SERVICES) == {"s3", "iam", *COLLECTORS}  # s3 and iam: read per account


def test_checked_in_policies_and_docs_table_equal_the_generated_ones():
    for rel, text in expected().items():
        assert (ROOT / rel).read_text() == text, f"{rel}: python -m dsscan.scanners.aws.generate"
    assert main(["--check"]) == 0


def test_generate_check_names_a_stale_file_and_rewrites_it(tmp_path, capsys):
    for rel, text in expected().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    policy = tmp_path / "examples" / "iam" / "dsscan-readonly.json"
    policy.write_text(policy.read_text().replace('"s3:GetBucketAcl",', ""))
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert "examples/iam/dsscan-readonly.json" in capsys.readouterr().err
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0


def test_iam_names_differ_only_where_declared():
    # A declared exception that equals the derived name is noise; one AWS does not know
    # would be caught by the policy simulator only: each names a real rename.
    for c in all_calls():
        for op, name in c.iam.items():
            assert name != op and iam_action(c.client, op).endswith(f":{name}")
    assert iam_action("s3control", "ListAccessPoints") == "s3:ListAccessPoints"


def _doc_section(title: str) -> str:
    text = (ROOT / "docs" / "aws.md").read_text()
    return text[text.index(title):].split("\n## ", 1)[0]


def test_docs_what_is_read_table_names_each_collector_and_its_kinds():
    rows = [line.split("|")[1:3] for line in _doc_section("## What is read").splitlines()
            if line.startswith("| ") and not line.startswith("| service")]
    documented = {title.strip(): set(re.findall(r"`([a-z_]+)`", assets))
                  for title, assets in rows}
    assert documented == {d.title: set(d.kinds) for d in collectors()}


def test_docs_services_list_is_the_declared_one():
    text = (ROOT / "docs" / "aws.md").read_text()
    listed = text[text.index("limits what is read:"):].split(".", 1)[0]
    assert re.findall(r"`([a-z0-9]+)`", listed) == list(SERVICES)


@pytest.fixture(scope="module")
def full_sweep():
    stand_in = StandIn()
    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)
        with mock_aws():
            full_estate()
            log = CallLog()
            with ClientHooks(stand_in=stand_in):
                inv = sweep(full_sweep_options(), log)  # every enabled region
    stand_in.close()
    return inv, log


def test_a_full_sweep_calls_every_declared_operation_and_nothing_else(full_sweep):
    _, log = full_sweep
    declared = {(s, op) for s, ops in OPERATIONS.items() for op in ops}
    assert sorted(declared - set(log.counts)) == [], "declared (and granted) but never called"
    assert sorted(set(log.counts) - declared) == [], "called but not declared"


def test_a_full_sweep_produces_only_the_declared_kinds_and_types(full_sweep):
    inv, _ = full_sweep
    declared = {(k, t) for d in collectors() for k, types in d.kinds.items() for t in types}
    produced = {(a["kind"], a["type"]) for a in inv.assets}
    assert produced <= declared
    assert {k for k, _ in produced} == {k for k, _ in declared}
