"""The dsscan command as a user runs it: real files, real exit codes. In this process
(tests/cli_support.py) except where the process is the point: `python -m` starts, prints its
version and help, and a bad input ends the interpreter with one line, no traceback."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_support import (
    CATALOGUE,
    COMPLIANT_BUCKET,
    ESTATE,
    dsscan,
    dsscan_process,
    write_inventory,
)

ROOT = Path(__file__).resolve().parent.parent


def test_version_and_help_teach_exit_codes():
    v = dsscan_process("--version")
    assert v.returncode == 0 and v.stdout.strip() == "dsscan 0.1.0"
    h = dsscan_process("--help")
    assert h.returncode == 0
    for word in ("scan", "inventory", "policies", "demo", "Exit codes", "3  the scan was"):
        assert word in h.stdout


def _command_paths() -> list[list[str]]:
    """Every command and subcommand of the CLI, walked from the click tree (a new command
    cannot slip in without help)."""
    import click

    from dsscan.cli.main import cli

    out: list[list[str]] = []

    def walk(group: click.Group, path: list[str]) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            sub = group.get_command(ctx, name)
            out.append([*path, name])
            if isinstance(sub, click.Group):
                walk(sub, [*path, name])

    walk(cli, [])
    return out


@pytest.mark.parametrize("cmd", _command_paths(), ids=" ".join)
def test_every_command_has_help(cmd):
    r = dsscan(*cmd, "--help")
    assert r.returncode == 0 and "Usage:" in r.stdout
    if cmd not in (["inventory", "schema"],):
        assert "Example" in r.stdout


@pytest.mark.slow
def test_live_demo_scans_moto_and_reports_every_policy_family(tmp_path):
    # One live run (the estate is provisioned and swept once): the table on standard output,
    # the JSON report to a file.
    out = tmp_path / "demo.json"
    r = dsscan("demo", "-f", "json", "-o", out, "-f", "table")
    assert r.returncode == 1, r.stderr
    for fam in ("DS-ENC-", "DS-BAK-", "DS-NET-", "DS-TST-", "DS-CLS-", "DS-KMS-"):
        assert fam in r.stdout
    # moto lacks AWS Backup recovery points: shown as not assessed, never as a pass.
    assert "Not assessed" in r.stdout and "recovery points of vault prod-vault" in r.stdout
    assert "\x1b[" not in r.stdout
    assert "Traceback" not in r.stderr
    # The objects' content is sampled: the undesensitized extract in the test account, the
    # archive tagged general but full of resident ID numbers -- which never appear in clear.
    report = out.read_text("utf-8")
    found = {(f["policy_id"], f["asset_name"]) for f in json.loads(report)["findings"]}
    assert {("DS-TST-002", "uat-data-refresh"), ("DS-CLS-002", "kyc-archive")} <= found
    # DS-KMS-001's violating twins; the ledger key (rotated, private) is the compliant one.
    kms = {f["asset_name"]: f["message"] for f in json.loads(report)["findings"]
           if f["policy_id"] == "DS-KMS-001"}
    assert set(kms) == {"cards", "risk", "dr-backup"}
    assert "rotation" in kms["cards"] and "anyone" in kms["risk"]
    assert "pending deletion" in kms["dr-backup"]
    # Operation logs by level (Art. 43): the twins of examples/bank_estate_logging.py. moto
    # cannot list CloudTrail Lake stores: unlogged buckets are not assessed, never passed.
    # risk-warehouse logs to S3 on AWS's default parameter group (moto keeps no parameter
    # values), where enable_user_activity_logging is false: no log of its queries
    # (bank-estate.json states it enabled: DS-LOG-002 there).
    assert {("DS-LOG-002", "core-ledger"), ("DS-LOG-001", "risk-warehouse"),
            ("DS-LOG-001", "test-customer-db")} <= found
    assert not {a for p, a in found if p.startswith("DS-LOG-")} & {
        "loan-documents", "card-transactions", "customer-profile"}
    # Identifiers in clear in a log and an export prefix (DS-PII-001); the masked twins pass.
    assert {("DS-PII-001", "/app/payments-api"), ("DS-PII-001", "kyc-archive")} <= found
    assert not {("DS-PII-001", "/app/payments-gateway"), ("DS-PII-001", "loan-documents")} & found
    # Issue 15's families: a ledger extract shared with a partner (DS-SHR-001) and a ledger
    # snapshot shared with the UAT account (DS-TST-004); an administrator role and a role a
    # vendor may assume (DS-IAM-001); a retention no lifecycle rule enforces (DS-RET-001) and
    # the final snapshot of a decommissioned database (DS-RET-002).
    assert {("DS-SHR-001", "core-ledger-partner-extract"), ("DS-TST-004", "core-ledger"),
            ("DS-IAM-001", "core-admin"), ("DS-IAM-001", "analytics-vendor"),
            ("DS-RET-001", "loan-archive"), ("DS-RET-002", "crm-legacy-final")} <= found
    assert not {a for p, a in found if p == "DS-IAM-001"} & {"auditor", "ledger-app"}
    assert not _long_digit_runs(report + r.stdout)


@pytest.mark.slow
def test_saved_demo_reports_every_policy_family_and_what_was_not_assessed():
    r = dsscan("demo", "--saved")
    assert r.returncode == 1, r.stderr
    for fam in ("DS-ENC-", "DS-BAK-", "DS-NET-", "DS-TST-", "DS-CLS-", "DS-KMS-", "DS-SHR-001",
                "DS-SHR-002", "DS-TST-004", "DS-IAM-001", "DS-RET-001", "DS-RET-002"):
        assert fam in r.stdout, fam
    assert "Not assessed" in r.stdout and "legacy-reports" in r.stdout
    assert "DS-LOG-001" in r.stdout and "DS-LOG-002" in r.stdout
    assert "DS-PII-001" in r.stdout and "/app/payments-api" in r.stdout
    assert "\x1b[" not in r.stdout  # no colour when not on a terminal
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_demo_never_prints_a_sampled_value_in_clear():
    r = dsscan("demo", "--saved", "-f", "json")
    report = json.loads(r.stdout)
    text = json.dumps(report, ensure_ascii=False)
    tst = [f for f in report["findings"] if f["policy_id"] == "DS-TST-002"]
    assert tst and "*" in json.dumps(tst[0]["evidence"])
    # Every 15+-digit run in the report is masked.
    assert not _long_digit_runs(text)


def _long_digit_runs(text: str) -> list[str]:
    """Runs of 15+ digits (an ID or card number in clear), outside hex tokens: fingerprints
    (32 hex digits) and moto's random resource ids (vpc-0a1b...) may hold such runs by
    chance, and the live demo's ids, hence fingerprints, change every run."""
    import re

    return re.findall(r"\d{15,}", re.sub(r"\b[0-9a-f]{32}\b|-[0-9a-f]{8,17}\b", "", text))


@pytest.mark.slow
def test_compliant_estate_exits_zero(tmp_path):
    inv = write_inventory(tmp_path / "ok.json", COMPLIANT_BUCKET)
    r = dsscan("scan", "inventory", inv)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 findings" in r.stdout


@pytest.mark.slow
def test_findings_exit_one_and_fail_on_raises_the_bar(tmp_path):
    bucket = {**COMPLIANT_BUCKET, "access": {"public": True, "wildcard_principal": True}}
    inv = write_inventory(tmp_path / "pub.json", bucket)
    assert dsscan("scan", "inventory", inv).returncode == 1
    # sensitive → medium severity: below --fail-on high, at --fail-on sensitive.
    assert dsscan("scan", "inventory", inv, "--fail-on", "high").returncode == 0
    assert dsscan("scan", "inventory", inv, "--fail-on", "sensitive").returncode == 1
    assert dsscan("scan", "inventory", inv, "--fail-on", "never").returncode == 0


@pytest.mark.slow
def test_incomplete_scan_exits_three_when_nothing_else_failed(tmp_path):
    doc = {"format": "dsscan-inventory/1", "assets": [COMPLIANT_BUCKET],
           "gaps": [{"scope": "rds in 111111111111/cn-north-1", "reason": "AccessDenied"}]}
    inv = tmp_path / "gap.json"
    inv.write_text(json.dumps(doc))
    r = dsscan("scan", "inventory", inv)
    assert r.returncode == 3, r.stdout
    assert "AccessDenied" in r.stdout and "INCOMPLETE" in r.stdout


@pytest.mark.slow
def test_unreadable_fact_is_not_assessed_never_a_pass(tmp_path):
    bucket = {**COMPLIANT_BUCKET, "encryption": {"at_rest": {"enabled": None}}}
    inv = write_inventory(tmp_path / "unknown.json", bucket)
    r = dsscan("scan", "inventory", inv, "-f", "json")
    assert r.returncode == 3
    na = json.loads(r.stdout)["not_assessed"]
    assert {n["policy_id"] for n in na} >= {"DS-ENC-001"}


@pytest.mark.slow
@pytest.mark.parametrize("content, fragment", [
    ('{"format": "dsscan-inventory/1", "assets": [', "not valid JSON"),
    ('{"format": "dsscan-inventory/1", "assets": [{"id": "x", "kind": "bucket"}]}',
     "$.assets[0].kind"),
    ('{"resources": []}', "not a dsscan inventory"),
])
def test_bad_input_is_one_line_exit_two_no_traceback(tmp_path, content, fragment):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    r = dsscan_process("scan", "inventory", bad)
    assert r.returncode == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err and fragment in err
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_missing_file_and_bad_option_exit_two(tmp_path):
    assert dsscan("scan", "inventory", tmp_path / "nope.json").returncode == 2
    assert dsscan("scan", "inventory", ESTATE, "--fail-on", "sometimes").returncode == 2
    assert dsscan("scan", "inventory", ESTATE, "--policy", "DS-NOPE-*").returncode == 2
    r = dsscan("scan", "inventory", ESTATE, "--config", tmp_path / "missing.yaml")
    assert r.returncode == 2 and "cannot read config file" in r.stderr


@pytest.mark.slow
def test_several_formats_go_to_their_outputs(tmp_path):
    out_json, out_sarif, out_xml = tmp_path / "r.json", tmp_path / "r.sarif", tmp_path / "r.xml"
    r = dsscan("demo", "--saved", "-f", "json", "-o", out_json, "-f", "sarif", "-o", out_sarif,
               "-f", "junit", "-o", out_xml)
    assert r.returncode == 1
    assert r.stdout == ""
    report = json.loads(out_json.read_text())
    sarif = json.loads(out_sarif.read_text())
    assert sarif["version"] == "2.1.0"
    assert len(sarif["runs"][0]["results"]) == len(report["findings"]) > 0
    suites = ET.parse(out_xml).getroot()
    assert int(suites.get("failures", "0")) > 0


@pytest.mark.slow
def test_output_format_follows_extension_and_table_can_go_to_stdout(tmp_path):
    out = tmp_path / "r.sarif"
    r = dsscan("demo", "--saved", "-f", "sarif", "-o", out, "-f", "table")
    assert r.returncode == 1 and "DS-ENC-001" in r.stdout
    assert json.loads(out.read_text())["version"] == "2.1.0"
    dsscan("demo", "--saved", "-o", tmp_path / "x.json")
    assert json.loads((tmp_path / "x.json").read_text())["format"] == "dsscan-report/1"


def test_two_formats_to_stdout_is_a_usage_error():
    r = dsscan("demo", "--saved", "-f", "json", "-f", "sarif")
    assert r.returncode == 2 and "standard output" in r.stderr


def test_failed_run_does_not_touch_existing_reports(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("previous report")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = dsscan("scan", "inventory", bad, "-f", "json", "-o", out)
    assert r.returncode == 2 and out.read_text() == "previous report"


@pytest.mark.slow
def test_policy_selection(tmp_path):
    r = dsscan("demo", "--saved", "-f", "json", "--policy", "DS-NET-*",
               "--skip-policy", "DS-NET-003")
    ids = {f["policy_id"] for f in json.loads(r.stdout)["findings"]}
    assert ids and ids <= {"DS-NET-001", "DS-NET-002"}


@pytest.mark.slow
def test_policies_list_show_and_unknown_id():
    r = dsscan("policies", "list")
    assert r.returncode == 0
    for pid in ("DS-ENC-001", "DS-ENC-002", "DS-BAK-001", "DS-BAK-002", "DS-BAK-003",
                "DS-NET-001", "DS-NET-002", "DS-NET-003", "DS-TST-001", "DS-TST-002",
                "DS-TST-003", "DS-CLS-001"):
        assert pid in r.stdout
    s = dsscan("policies", "show", "ds-enc-001")
    assert s.returncode == 0 and "Art. 41" in s.stdout and "Remediation" in s.stdout
    assert dsscan("policies", "show", "DS-XXX-999").returncode == 2


@pytest.mark.slow
def test_builtin_policy_tests_pass():
    r = dsscan("policies", "test")
    assert r.returncode == 0, r.stdout[-2000:]
    assert " passed, 0 failed" in r.stdout


USER_POLICY = """# METADATA
# title: Core data stays in mainland regions
# description: Stores holding core data are in an approved region.
# custom:
#   id: BANK-REG-001
#   articles: [36]
#   remediation: Move the store.
package dsscan.policy.bank_reg_001

import rego.v1

deny contains finding if {
\tsome a in input.assets
\ta.level.value == "core"
\tnot startswith(a.region, "cn-")
\tfinding := {"asset": a.id, "level": "core", "message": sprintf("%s is abroad", [a.name])}
}
"""

USER_TEST = """package dsscan.policy.bank_reg_001_test

import rego.v1

test_core_abroad_is_denied if {
\tcount(data.dsscan.policy.bank_reg_001.deny) == 1 with input as {"assets": [
\t\t{"id": "x", "name": "x", "region": "eu-west-1", "level": {"value": "core"}}]}
}

test_core_at_home_passes if {
\tcount(data.dsscan.policy.bank_reg_001.deny) == 0 with input as {"assets": [
\t\t{"id": "x", "name": "x", "region": "cn-north-1", "level": {"value": "core"}}]}
}
"""


@pytest.mark.slow
def test_user_policy_dir_extends_the_library(tmp_path):
    d = tmp_path / "ours"
    d.mkdir()
    (d / "bank_reg_001.rego").write_text(USER_POLICY)
    (d / "bank_reg_001_test.rego").write_text(USER_TEST)
    assert dsscan("policies", "lint", d).returncode == 0
    t = dsscan("policies", "test", d)
    assert t.returncode == 0 and "2 passed, 0 failed" in t.stdout
    core_abroad = {**COMPLIANT_BUCKET, "region": "eu-west-1",
                   "tags": {"dsscan:level": "core", "environment": "production"},
                   "encryption": {"at_rest": {"enabled": True, "key_type": "customer_managed"},
                                  "in_transit": {"enforced": True}}}
    inv = write_inventory(tmp_path / "abroad.json", core_abroad)
    r = dsscan("scan", "inventory", inv, "--policy-dir", d, "-f", "json")
    found = json.loads(r.stdout)["findings"]
    assert [(f["policy_id"], f["severity"]) for f in found] == [("BANK-REG-001", "critical")]
    assert "BANK-REG-001" in dsscan("policies", "list", "--policy-dir", d).stdout


@pytest.mark.slow
def test_failing_user_policy_test_exits_one(tmp_path):
    d = tmp_path / "ours"
    d.mkdir()
    (d / "bank_reg_001.rego").write_text(USER_POLICY)
    (d / "bank_reg_001_test.rego").write_text(USER_TEST.replace('"eu-west-1"', '"cn-north-1"'))
    r = dsscan("policies", "test", d)
    assert r.returncode == 1 and "FAIL" in r.stdout and "1 passed, 1 failed" in r.stdout


def test_policy_with_unsupported_builtin_is_rejected(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "p.rego").write_text(USER_POLICY.replace(
        'not startswith(a.region, "cn-")', 'net.cidr_contains("10.0.0.0/8", a.ip)'))
    r = dsscan("policies", "lint", d)
    assert r.returncode == 2 and "net.cidr_contains" in r.stderr
    s = dsscan("scan", "inventory", ESTATE, "--policy-dir", d)
    assert s.returncode == 2 and "net.cidr_contains" in s.stderr
    assert len(s.stderr.strip().splitlines()) == 1


def test_inventory_schema_validate_classify_explain(tmp_path):
    schema = json.loads(dsscan("inventory", "schema").stdout)
    assert schema["$id"].endswith("inventory-v1.json")
    v = dsscan("inventory", "validate", ESTATE)
    assert v.returncode == 0 and "valid (67 assets" in v.stdout
    out = tmp_path / "classified.json"
    c = dsscan("inventory", "classify", ESTATE, "--catalogue", CATALOGUE, "-o", out)
    assert c.returncode == 0
    classified = {a["name"]: a for a in json.loads(out.read_text())["assets"]}
    assert classified["risk-warehouse"]["level"]["value"] == "core"
    assert any(p["source"] == "inheritance"
               for p in classified["risk-warehouse"]["level"]["provenance"])
    assert "ctx" not in classified["risk-warehouse"]
    assert dsscan("inventory", "validate", out).returncode == 0
    e = dsscan("inventory", "explain", ESTATE, "session-cache", "--json")
    shown = json.loads(e.stdout)
    assert shown["ctx"]["domain"]["name"] == "prod-dmz"
    assert dsscan("inventory", "explain", ESTATE, "no-such-asset").returncode == 2


@pytest.mark.slow
def test_scanning_a_classified_inventory_gives_the_same_findings(tmp_path):
    out = tmp_path / "classified.json"
    dsscan("inventory", "classify", ESTATE, "--catalogue", CATALOGUE, "-o", out)
    a = json.loads(dsscan("scan", "inventory", ESTATE, "--catalogue", CATALOGUE,
                          "-f", "json").stdout)
    b = json.loads(dsscan("scan", "inventory", out, "--catalogue", CATALOGUE,
                          "-f", "json").stdout)
    assert [f["fingerprint"] for f in a["findings"]] == [f["fingerprint"] for f in b["findings"]]


def test_a_report_to_a_fifo_is_written_into_it_not_renamed_over_it(tmp_path):
    """-o /dev/null or a named pipe: renaming a temporary file over it would replace the
    device itself (a real FIFO stands in for /dev/null here, so a regression breaks nothing
    outside the test)."""
    import os
    import threading

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    inv = write_inventory(tmp_path / "ok.json", COMPLIANT_BUCKET)
    r = dsscan("scan", "inventory", inv, "-f", "json", "-o", fifo)
    reader.join(timeout=60)
    assert r.returncode == 0, r.stderr
    assert not fifo.is_file() and fifo.exists()  # still the pipe
    assert json.loads(got[0])["format"] == "dsscan-report/1"


@pytest.mark.slow
def test_a_report_to_a_directory_or_unwritable_place_is_one_line_exit_two(tmp_path):
    inv = write_inventory(tmp_path / "ok.json", COMPLIANT_BUCKET)
    r = dsscan("scan", "inventory", inv, "-f", "json", "-o", tmp_path)
    assert r.returncode == 2 and "is a directory" in r.stderr and "internal" not in r.stderr
    (tmp_path / "file").write_text("x")
    r = dsscan("scan", "inventory", inv, "-f", "json", "-o", tmp_path / "file" / "r.json")
    assert r.returncode == 2 and "cannot write" in r.stderr and "internal" not in r.stderr
