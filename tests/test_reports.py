"""Reporters: table, JSON, SARIF 2.1.0 (validated against the vendored OASIS schema), JUnit XML."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from cli_support import dsscan
from jsonschema import Draft4Validator, Draft7Validator

from dsscan.errors import InputError
from dsscan.findings import Finding, NotAssessed, PolicyInfo, ScanResult
from dsscan.reports import REPORTERS, get_reporter, register
from dsscan.reports.table import cell_width, truncate

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json")
                    .read_text("utf-8"))
FORMATS = ("table", "json", "sarif", "junit")
ANSI = re.compile(r"\x1b\[")

# Synthetic values only: a made-up resident-ID-shaped number and its masked form.
CLEAR_ID = "110101199003077777"
MASKED_ID = "110101********7777"

ENC = PolicyInfo(id="DS-ENC-001", title="Stores at sensitive level or above are encrypted at rest",
                 package="dsscan.policy.ds_enc_001", path="policies/encryption/DS-ENC-001.rego",
                 articles=(41, 45), description="Encryption at rest for sensitive data.",
                 remediation="Enable encryption with a customer-managed KMS key.",
                 kinds=("database", "object_store"))
NET = PolicyInfo(id="DS-NET-002", title="Core domains are not reachable from test domains",
                 package="dsscan.policy.ds_net_002", path="policies/network/DS-NET-002.rego",
                 articles=(31,), remediation="Remove the route between the domains.")
BAK = PolicyInfo(id="DS-BAK-001", title="Backups of important data are stored separately",
                 package="dsscan.policy.ds_bak_001", path="policies/backup/DS-BAK-001.rego",
                 articles=(45,), remediation="Copy backups to a separate account.")
LEDGER_ARN = "arn:aws-cn:rds:cn-north-1:123456789012:db:core-ledger-primary-database-instance"


def _finding(policy: PolicyInfo, asset: str, severity: str, level: str, message: str,
             **kw) -> Finding:
    return Finding(policy_id=policy.id, title=policy.title, articles=policy.articles,
                   severity=severity, level=level, asset_id=asset, message=message,
                   remediation=policy.remediation, **kw)


def make_result(*, complete: bool = False) -> ScanResult:
    findings = [
        _finding(NET, "vpc-0prod", "medium", "sensitive", "Reachable from the test domain",
                 related=("vpc-0test",)),
        _finding(ENC, LEDGER_ARN, "critical", "core", "Core ledger database is not encrypted",
                 asset_name="核心账本数据库", asset_kind="database",
                 evidence={"sample": MASKED_ID, "encrypted": False},
                 location={"file": "infra/main.tf", "line": 12,
                           "address": "aws_db_instance.ledger"}),
        _finding(ENC, "arn:aws-cn:s3:::reports", "high", "important", "Bucket is not encrypted",
                 asset_kind="object_store"),
    ]
    not_assessed = [] if complete else [
        NotAssessed(reason="AccessDenied on rds:DescribeDBInstances",
                    scope="aws:123456789012/cn-north-1"),
        NotAssessed(reason="encryption at rest could not be read",
                    asset_id="arn:aws-cn:s3:::archive", policy_id="DS-ENC-001"),
    ]
    return ScanResult(
        findings=findings, not_assessed=not_assessed, policies=[NET, ENC, BAK],
        asset_count=12, inputs=["estate.json"], tool_version="0.1.0",
        started_at="2025-03-01T08:00:00+00:00", duration_s=1.5,
        assets={"arn:aws-cn:s3:::reports": {"name": "reports", "kind": "object_store"},
                "arn:aws-cn:s3:::archive": {"name": "archive", "kind": "object_store"},
                "vpc-0prod": {"name": "prod-core", "kind": "network_domain"}},
    )


def reordered(r: ScanResult) -> ScanResult:
    return replace(r, findings=list(reversed(r.findings)),
                   not_assessed=list(reversed(r.not_assessed)),
                   policies=list(reversed(r.policies)))


def render(fmt: str, r: ScanResult, **kw) -> str:
    return get_reporter(fmt)(r, **kw)


# --- registry -------------------------------------------------------------------------------

def test_registry_has_the_four_formats():
    assert set(FORMATS) <= set(REPORTERS)
    for name in FORMATS:
        assert callable(get_reporter(name))


def test_unknown_format_is_an_input_error_naming_the_choices():
    with pytest.raises(InputError, match=r"--format 'pdf'.*json"):
        get_reporter("pdf")


def test_registering_a_second_reporter_under_a_taken_name_fails():
    with pytest.raises(ValueError, match="already registered"):
        register("json")(lambda result, *, color=False, threshold=None: "")


def test_importing_the_registry_does_not_import_rich():
    code = "import sys, dsscan.reports; print('rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


# --- all formats ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_deterministic_and_independent_of_input_order(fmt):
    r = make_result()
    first = render(fmt, r)
    assert render(fmt, r) == first
    assert render(fmt, reordered(r)) == first


@pytest.mark.parametrize("fmt", FORMATS)
def test_not_assessed_items_are_visible_in_every_format(fmt):
    out = render(fmt, make_result())
    assert "AccessDenied on rds:DescribeDBInstances" in out
    assert "encryption at rest could not be read" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_masked_evidence_survives_and_clear_values_never_appear(fmt):
    r = make_result()
    # A policy echoing a clear value in its message: reporters mask it again.
    r.findings.append(_finding(NET, "vpc-0dmz", "low", "general",
                               f"Holder {CLEAR_ID} found in the tags",
                               evidence={"id": CLEAR_ID}))
    out = render(fmt, r)
    assert CLEAR_ID not in out
    if fmt != "table":  # the table shows messages, not evidence
        assert MASKED_ID in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_asset_ids_and_names_holding_an_id_number_are_masked(fmt):
    r = make_result()
    bucket = f"arn:aws-cn:s3:::export-{CLEAR_ID}"
    r.findings.append(_finding(NET, bucket, "low", "general", "Bucket is public",
                               asset_name=f"export-{CLEAR_ID}"))
    r.not_assessed.append(NotAssessed(reason="s3:GetBucketPolicy AccessDenied",
                                      asset_id=bucket, policy_id="DS-NET-003"))
    out = render(fmt, r)
    assert CLEAR_ID not in out
    assert "export-" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_complete_scan_renders(fmt):
    r = ScanResult(findings=[], not_assessed=[], policies=[BAK], asset_count=0)
    out = render(fmt, r)
    assert out.endswith("\n")
    assert "DS-BAK-001" in out or fmt == "table"


# --- table ----------------------------------------------------------------------------------

def test_plain_table_has_no_ansi_and_lists_critical_first():
    out = render("table", make_result())
    assert not ANSI.search(out)
    crit, high, med = (out.index(s) for s in ("CRITICAL", "HIGH ", "MEDIUM"))
    assert crit < high < med


def test_plain_table_columns_line_up_with_wide_characters():
    out = render("table", make_result())
    lines = out.splitlines()
    messages = ("MESSAGE", "Core ledger database is not encrypted", "Bucket is not encrypted",
                "Reachable from the test domain")
    starts = set()
    for msg in messages:
        (line,) = [ln for ln in lines if ln.endswith(msg)]
        starts.add(cell_width(line[: line.rindex(msg)]))  # display cells before the column
    assert len(starts) == 1
    assert any("核心账本数据库" in ln for ln in lines)


def test_table_uses_asset_names_and_truncates_long_ids():
    r = make_result()
    r.findings.append(_finding(NET, "arn:aws-cn:ec2:cn-north-1:123456789012:vpc/"
                               "vpc-0123456789abcdef0-with-a-very-long-suffix", "low", "general",
                               "Something minor"))
    out = render("table", r)
    assert "核心账本数据库" in out
    assert LEDGER_ARN not in out  # named assets show their name
    assert "…" in out and "long-suffix" in out


def test_truncate_keeps_head_and_tail_within_width():
    t = truncate("x" * 10 + "中文" * 20 + "tail", 20)
    assert cell_width(t) <= 20
    assert t.startswith("xxx") and t.endswith("tail") and "…" in t
    assert truncate("short", 20) == "short"


def test_table_not_assessed_section_and_incomplete_marker():
    out = render("table", make_result())
    section = out[out.index("Not assessed (2)"):]
    assert "aws:123456789012/cn-north-1" in section
    assert re.search(r"aws:123456789012/cn-north-1\s+all\s+AccessDenied", section)
    assert re.search(r"archive\s+DS-ENC-001\s+encryption at rest", section)
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("Summary: 12 assets scanned, 3 policies, 3 findings")
    assert "1 critical, 1 high, 1 medium" in summary
    assert "2 not assessed" in summary and "INCOMPLETE" in summary


def test_complete_table_has_no_not_assessed_section_or_incomplete_marker():
    out = render("table", make_result(complete=True))
    assert "Not assessed (" not in out
    assert "INCOMPLETE" not in out
    assert "0 not assessed" in out


def test_table_shows_remediation_once_per_policy_with_articles():
    out = render("table", make_result())
    fix = out[out.index("How to fix"):]
    assert out.count(ENC.remediation) == 1  # two DS-ENC-001 findings, one remediation
    assert "DS-ENC-001" in fix and "Art. 41, Art. 45" in fix and "Art. 31" in fix
    assert BAK.remediation not in out  # no finding, nothing to fix


def test_table_threshold_counts_failing_findings():
    assert "2 at or above --fail-on high" in render("table", make_result(), threshold="high")
    assert "--fail-on" not in render("table", make_result(), threshold="never")


def test_color_table_uses_ansi_and_keeps_not_assessed(monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = render("table", make_result(), color=True)
    assert ANSI.search(out)
    assert "Not assessed (2)" in out and "AccessDenied" in out
    assert "INCOMPLETE" in out
    assert render("table", make_result(), color=True) == out


# --- JSON -----------------------------------------------------------------------------------

def test_json_report_shape_and_order():
    doc = json.loads(render("json", make_result(), threshold="important"))
    assert doc["format"] == "dsscan-report/1"
    assert doc["tool"]["name"] == "dsscan" and doc["tool"]["version"] == "0.1.0"
    keys = [(f["severity"], f["policy_id"], f["asset_id"]) for f in doc["findings"]]
    assert keys == [("critical", "DS-ENC-001", LEDGER_ARN),
                    ("high", "DS-ENC-001", "arn:aws-cn:s3:::reports"),
                    ("medium", "DS-NET-002", "vpc-0prod")]
    s = doc["summary"]
    assert (s["assets"], s["policies"], s["findings"], s["not_assessed"]) == (12, 3, 3, 2)
    assert s["by_severity"] == {"critical": 1, "high": 1, "medium": 1, "low": 0, "info": 0}
    assert s["complete"] is False
    assert (s["fail_on"], s["failing"]) == ("high", 2)  # important data -> high severity
    assert [p["id"] for p in doc["policies"]] == ["DS-BAK-001", "DS-ENC-001", "DS-NET-002"]
    assert doc["policies"][1]["articles"] == [41, 45]
    assert doc["policies"][1]["findings"] == 2
    assert doc["inputs"] == ["estate.json"]


def test_json_findings_are_finding_dicts_with_fingerprints():
    r = make_result()
    doc = json.loads(render("json", r))
    by_fp = {f.fingerprint: f for f in r.findings}
    for d in doc["findings"]:
        # Finding.to_dict, plus what waivers and baselines add (docs/outputs.md).
        want = {**by_fp[d["fingerprint"]].to_dict(), "status": "open", "waiver": None,
                "baseline": None}
        assert d == json.loads(json.dumps(want, sort_keys=True))


def test_json_render_is_the_general_encoding_of_build():
    # render() encodes the findings itself (fast path); it must be byte for byte what the
    # general path makes of build(): same keys, order, escaping, numbers, masking.
    from dsscan.reports import to_json
    from dsscan.reports.json_report import build

    odd = PolicyInfo(id="X-1", title='Quote " back\\slash \u2028 é', package="p", path="p",
                     articles=[7, 8], remediation="line 1\nline 2\t\x01")
    r = make_result()
    r.findings += [
        _finding(ENC, "a\u0000b", "low", "general", f"holds {CLEAR_ID} and a@b.cn",
                 related=("z", "a"), asset_name=None, asset_kind=None,
                 evidence={"b": [1, 2.5, float("nan"), float("inf"), None, True, 10**20],
                           "a": {"y": ("t", CLEAR_ID), "x": "138 1234 5678"}, 3: "int key"},
                 location={"line": 3, "file": "f\"x.tf"}),
        _finding(odd, "客户库", "info", "unclassified", "", evidence={}, location=None),
        # Equal to odd's values but of other types: nothing may be shared between them.
        Finding(policy_id="X-1", title='Quote " back\\slash \u2028 é', articles=(7.0, True),
                severity="info", level="unclassified", asset_id="客户库", message="m",
                remediation="line 1\nline 2\t\x01"),
        Finding(policy_id="X-1", title='Quote " back\\slash \u2028 é', articles=(7, 1),
                severity="info", level="unclassified", asset_id="客户库", message="m",
                remediation="line 1\nline 2\t\x01"),
    ]
    for threshold in (None, "low"):
        assert render("json", r, threshold=threshold) == to_json(build(r, threshold), 2)
    assert CLEAR_ID not in render("json", r)


def test_json_not_assessed_entries_name_asset_scope_and_policy():
    doc = json.loads(render("json", make_result()))
    assert {(n["asset_id"], n["asset_name"], n["scope"], n["policy_id"])
            for n in doc["not_assessed"]} == {
        (None, None, "aws:123456789012/cn-north-1", None),
        ("arn:aws-cn:s3:::archive", "archive", None, "DS-ENC-001")}


def test_json_without_threshold_has_no_failing_count():
    s = json.loads(render("json", make_result(complete=True)))["summary"]
    assert s["fail_on"] is None and s["failing"] is None and s["complete"] is True


# --- SARIF ----------------------------------------------------------------------------------

def sarif(r: ScanResult, **kw) -> dict:
    return json.loads(render("sarif", r, **kw))


@pytest.mark.parametrize("complete", [False, True])
def test_sarif_validates_against_the_oasis_schema(complete):
    doc = sarif(make_result(complete=complete))
    Draft7Validator(SCHEMA).validate(doc)
    Draft4Validator(SCHEMA).validate(doc)  # the schema's own dialect


def test_sarif_schema_check_does_reject_an_invalid_log():
    doc = sarif(make_result())
    doc["runs"][0]["results"][0]["level"] = "critical"
    assert list(Draft7Validator(SCHEMA).iter_errors(doc))


def test_sarif_empty_run_validates():
    doc = sarif(ScanResult(findings=[], not_assessed=[], policies=[], asset_count=0))
    Draft7Validator(SCHEMA).validate(doc)
    assert doc["runs"][0]["results"] == []


def test_sarif_rules_are_every_policy_evaluated():
    run = sarif(make_result())["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dsscan" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["DS-BAK-001", "DS-ENC-001", "DS-NET-002"]
    enc = rules[1]
    assert enc["shortDescription"]["text"] == ENC.title
    assert enc["fullDescription"]["text"] == ENC.description
    assert ENC.remediation in enc["help"]["text"] and "Art. 41, Art. 45" in enc["help"]["text"]
    assert ENC.remediation in enc["help"]["markdown"]
    assert {"nfra", "Art. 41", "Art. 45"} <= set(enc["properties"]["tags"])
    assert enc["properties"]["security-severity"] == "9.5"  # worst finding: critical
    assert "security-severity" not in rules[0]["properties"]  # no finding for DS-BAK-001


def test_sarif_results_levels_rule_indexes_and_properties():
    run = sarif(make_result())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    got = [(x["ruleId"], x["level"], x["properties"]["security-severity"])
           for x in run["results"]]
    assert got == [("DS-ENC-001", "error", "9.5"), ("DS-ENC-001", "error", "8.0"),
                   ("DS-NET-002", "warning", "5.5")]
    for x in run["results"]:
        assert rules[x["ruleIndex"]]["id"] == x["ruleId"]
    net = run["results"][2]
    assert net["properties"]["level"] == "sensitive"
    assert net["properties"]["related"] == ["vpc-0test"]
    assert net["properties"]["articles"] == [31]
    assert net["relatedLocations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "vpc-0test"


def test_sarif_low_and_info_are_notes():
    r = make_result(complete=True)
    r.findings = [_finding(NET, "a", "low", "general", "m"), _finding(NET, "b", "info", "general",
                                                                       "m")]
    assert [x["level"] for x in sarif(r)["runs"][0]["results"]] == ["note", "note"]


def test_sarif_locations_logical_always_physical_when_a_file_is_known():
    results = sarif(make_result())["runs"][0]["results"]
    ledger, bucket = results[0]["locations"][0], results[1]["locations"][0]
    assert ledger["logicalLocations"] == [{"fullyQualifiedName": LEDGER_ARN,
                                           "name": "核心账本数据库", "kind": "resource"}]
    assert ledger["physicalLocation"] == {"artifactLocation": {"uri": "infra/main.tf"},
                                          "region": {"startLine": 12}}
    assert ledger["properties"] == {"address": "aws_db_instance.ledger"}
    assert bucket["logicalLocations"][0]["name"] == "reports"
    # No source file: anchored to the single inventory file (GitHub needs a physical location).
    assert bucket["physicalLocation"]["artifactLocation"] == {"uri": "estate.json"}
    assert "region" not in bucket["physicalLocation"]


def test_sarif_results_are_logical_only_when_no_file_is_unambiguous():
    r = make_result()
    for inputs in (["aws:cn-north-1"], ["a.json", "b.json"]):
        results = sarif(replace(r, inputs=inputs))["runs"][0]["results"]
        assert "physicalLocation" in results[0]["locations"][0]  # the IaC finding keeps its file
        assert "physicalLocation" not in results[1]["locations"][0]


def test_sarif_uris_are_relative_forward_slash_and_escaped():
    r = make_result(complete=True)
    r.findings = [_finding(NET, "x", "low", "general", "m",
                           location={"file": "./infra\\modules\\数据 lake.tf"})]
    uri = sarif(r)["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"]
    assert uri == "infra/modules/%E6%95%B0%E6%8D%AE%20lake.tf"


def test_sarif_fingerprints_are_stable_and_ignore_order_and_wording():
    r = make_result()
    fps = {x["ruleId"] + x["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]:
           x["partialFingerprints"]["dsscanFinding/v1"] for x in sarif(r)["runs"][0]["results"]}
    reworded = reordered(r)
    reworded.findings = [replace(f, message="Reworded: " + f.message) for f in reworded.findings]
    again = {x["ruleId"] + x["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]:
             x["partialFingerprints"]["dsscanFinding/v1"]
             for x in sarif(reworded)["runs"][0]["results"]}
    assert again == fps
    assert len(set(fps.values())) == 3
    moved = replace(r.findings[0], related=("vpc-0other",))
    assert moved.fingerprint not in fps.values()


def test_sarif_not_assessed_are_notifications_and_make_the_run_unsuccessful():
    inv = sarif(make_result())["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    notes = inv["toolExecutionNotifications"]
    assert len(notes) == 2 and {n["level"] for n in notes} == {"warning"}
    texts = " | ".join(n["message"]["text"] for n in notes)
    assert "AccessDenied" in texts and "encryption at rest could not be read" in texts
    assert inv["startTimeUtc"] == "2025-03-01T08:00:00Z"
    ok = sarif(make_result(complete=True))["runs"][0]["invocations"][0]
    assert ok["executionSuccessful"] is True and ok["toolExecutionNotifications"] == []


# --- JUnit ----------------------------------------------------------------------------------

def junit(r: ScanResult) -> ET.Element:
    return ET.fromstring(render("junit", r).encode("utf-8"))


def test_junit_suites_cases_and_totals():
    root = junit(make_result())
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == [f"{BAK.id} {BAK.title}", f"{ENC.id} {ENC.title}",
                            f"{NET.id} {NET.title}", "dsscan: not assessed (all policies)"]
    enc = suites[f"{ENC.id} {ENC.title}"]
    assert (enc.get("tests"), enc.get("failures"), enc.get("errors")) == ("3", "2", "1")
    bak = suites[f"{BAK.id} {BAK.title}"]
    cases = bak.findall("testcase")
    assert [c.get("name") for c in cases] == ["no violations"]
    assert list(cases[0]) == []  # a passing case
    cases = root.findall(".//testcase")
    assert root.get("tests") == str(len(cases)) == "6"
    assert root.get("failures") == str(len(root.findall(".//failure"))) == "3"
    assert root.get("errors") == str(len(root.findall(".//error"))) == "2"
    for s in root.findall("testsuite"):
        assert int(s.get("tests")) == len(s.findall("testcase"))


def test_junit_failure_carries_severity_message_asset_and_remediation():
    root = junit(make_result())
    fail = root.find(".//testcase[@name='核心账本数据库 (" + LEDGER_ARN + ")']/failure")
    assert fail is not None
    assert fail.get("type") == "critical"
    assert fail.get("message") == "Core ledger database is not encrypted"
    assert LEDGER_ARN in fail.text and ENC.remediation in fail.text and "Art. 41" in fail.text


def test_junit_not_assessed_is_an_error_never_skipped():
    root = junit(make_result())
    assert root.findall(".//skipped") == []
    errors = root.findall(".//error")
    assert {e.get("type") for e in errors} == {"not_assessed"}
    assert any("AccessDenied" in e.get("message") for e in errors)


def test_junit_groups_several_findings_on_one_asset_into_one_case():
    r = make_result(complete=True)
    r.findings.append(_finding(NET, "vpc-0prod", "critical", "core", "Reachable from a dev domain",
                               related=("vpc-0dev",)))
    suite = next(s for s in junit(r).findall("testsuite") if s.get("name").startswith(NET.id))
    cases = suite.findall("testcase")
    assert len(cases) == 1
    fail = cases[0].find("failure")
    assert fail.get("type") == "critical" and "(and 1 more)" in fail.get("message")
    assert "vpc-0dev" in fail.text and "vpc-0test" in fail.text


def test_junit_is_well_formed_with_special_characters():
    nasty = 'Tom & "Jerry" <script> 客户身份证号 \'q\' ]]> \x07bell'
    r = make_result(complete=True)
    r.findings = [_finding(ENC, "db&<1>", "high", "important", nasty,
                           evidence={"note": "a < b & c"}, asset_name="客户库 \"主\"")]
    root = junit(r)  # parses: well-formed
    case = root.find(".//testcase[failure]")
    fail = case.find("failure")
    assert fail.get("message").startswith('Tom & "Jerry" <script> 客户身份证号 \'q\' ]]>')
    assert "\x07" not in fail.get("message") + fail.text
    assert case.get("name") == '客户库 "主" (db&<1>)'
    assert "a < b & c" in fail.text


def test_an_identifier_in_a_related_asset_id_is_masked_in_every_format(tmp_path):
    """A related asset (a snapshot named after a customer) is printed in JSON, SARIF and
    JUnit too: masked there as everywhere."""
    clear = "11010519491231002X"  # valid check digit
    root = Path(__file__).resolve().parents[1]
    estate = (root / "examples" / "bank-estate.json").read_text("utf-8")
    assert "rs:risk-warehouse-2026-11-21" in estate
    inv = tmp_path / "estate.json"
    inv.write_text(estate.replace("rs:risk-warehouse-2026-11-21", f"rs:cust-{clear}"), "utf-8")
    formats = ("json", "sarif", "junit", "html", "markdown", "table")
    args = [a for f in formats for a in ("-f", f, "-o", str(tmp_path / f"out.{f}"))]
    r = dsscan("scan", "inventory", str(inv), "--no-config", *args)
    assert r.returncode == 1, r.stderr
    for f in formats:
        text = (tmp_path / f"out.{f}").read_text("utf-8")
        assert clear not in text, f
    assert "110105********002X" in (tmp_path / "out.json").read_text("utf-8")


# --- where the sensitive data is (issue 13 item 6) ----------------------------------------

TST = PolicyInfo(id="DS-TST-002", title="No unmasked sensitive data in test environments",
                 package="dsscan.policy.ds_tst_002", path="policies/testenv/ds_tst_002.rego",
                 articles=(48, 45), remediation="Replace the data with desensitized data.")
OBJECT_KEY = "exports/2026-11/customers.csv"
# The location names a column after a customer (it happens): masked like any text.
CLEAR_COLUMN = f"ref_{CLEAR_ID}"


def _detections_result() -> ScanResult:
    """A DS-TST-002-shaped finding: detections in an object (key#column) and a database
    column, masked examples (one given in clear: every format must mask it anyway)."""
    f = _finding(TST, "arn:aws-cn:s3:::uat-data-refresh", "medium", "sensitive",
                 "uat-data-refresh in the test environment holds 31 unmasked value(s).",
                 asset_name="uat-data-refresh", asset_kind="object_store",
                 evidence={"detections": [
                     {"detector": "prc_resident_id", "location": f"{OBJECT_KEY}#id_number",
                      "unmasked": 30, "masked": 0, "examples": [f"{MASKED_ID} (row 1)",
                                                               f"{CLEAR_ID} (row 2)"]},
                     {"detector": "mobile_phone", "location": f"{OBJECT_KEY}#{CLEAR_COLUMN}",
                      "unmasked": 1, "masked": 0, "examples": ["139****0000 (row 1)"]}]})
    return ScanResult(findings=[f], not_assessed=[], policies=[TST], asset_count=1,
                      inputs=["estate.json"], tool_version="0.1.0",
                      assets={f.asset_id: {"name": "uat-data-refresh",
                                           "kind": "object_store"}})


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_human_reports_say_where_the_data_is_with_masked_examples(fmt, monkeypatch):
    """Asset, level, where (object key, column), masked examples, article and remediation,
    per finding, from the evidence's fields (the message does not name them)."""
    monkeypatch.setenv("COLUMNS", "200")
    text = get_reporter(fmt)(_detections_result(), threshold="low")
    assert CLEAR_ID not in text
    # Markdown escapes "_"; the table wraps its message cell (at spaces).
    text = " ".join(text.replace("\\", "").split())
    for shown in ("uat-data-refresh", "sensitive", OBJECT_KEY, "id_number", "prc_resident_id",
                  f"{MASKED_ID} (row 1)", "110101********7777 (row 2)", "139****0000",
                  "Art. 48", "Replace the data with desensitized data."):
        assert shown in text, (fmt, shown)
    assert "ref_110101********7777" in text  # the column named after a customer, masked


def test_table_has_a_level_column():
    text = get_reporter("table")(_detections_result())
    head = next(line for line in text.splitlines() if "SEVERITY" in line)
    assert head.split() == ["SEVERITY", "POLICY", "LEVEL", "ASSET", "MESSAGE"]
    row = next(line for line in text.splitlines() if "DS-TST-002" in line)
    assert row.split()[:3] == ["MEDIUM", "DS-TST-002", "sensitive"]


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("columns", [60, 100, 140])
def test_table_never_breaks_inside_an_identifier(color, columns, monkeypatch):
    """Wrapped messages break at spaces only: an ARN longer than the column overflows its
    line whole (copyable) instead of being split, in plain and in colour (rich) mode."""
    monkeypatch.setenv("COLUMNS", str(columns))
    arns = [f"arn:aws-cn:redshift:cn-north-1:111111111111:snapshot:risk-warehouse/rs:copy-{i}"
            "-nightly-backup-of-the-ledger" for i in range(3)]
    r = make_result(complete=True)
    r.findings = [_finding(BAK, LEDGER_ARN, "critical", "core",
                           f"ledger has no backup stored separately: its copies "
                           f"{', '.join(arns)} are in the same place.")]
    text = ANSI.sub("", re.sub(r"\x1b\[[0-9;]*m", "", get_reporter("table")(r, color=color)))
    words = {w.strip("│┃ ,.") for line in text.splitlines() for w in line.split()}
    for arn in arns:
        assert arn in words, (arn, text)
