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

import re

import pytest
from planted import Planted
from planted_scenarios import aws_scenario, check, describe, files_scenario, sqlite_scenario

pytestmark = pytest.mark.slow  # every input and output of the command, several full scans


def test_no_planted_identifier_leaks_from_files_reports_store_baseline_and_errors(tmp_path):
    planted = Planted(seed=1)
    run = files_scenario(planted, tmp_path)
    outputs = run.outputs()
    leaks, seen = check(planted, outputs)
    assert not leaks, f"{len(leaks)} planted values in clear:\n{describe(leaks)}"
    assert len(outputs) > 60
    assert seen > 100, seen  # the values did reach the outputs, masked




def test_no_planted_identifier_leaks_from_a_live_estate(aws, tmp_path):
    planted = Planted(seed=2)
    run = aws_scenario(planted, tmp_path, aws)
    assert (run.out / "calls.jsonl").read_text().count("\n") > 20
    outputs = run.outputs()
    leaks, seen = check(planted, outputs)
    assert not leaks, f"{len(leaks)} planted values in clear:\n{describe(leaks)}"
    assert seen > 20, seen


def test_no_planted_identifier_leaks_from_sampling_a_database(tmp_path):
    planted = Planted(seed=3)
    run = sqlite_scenario(planted, tmp_path)
    outputs = run.outputs()
    leaks, seen = check(planted, outputs)
    assert not leaks, f"{len(leaks)} planted values in clear:\n{describe(leaks)}"
    assert seen >= 3, seen


# --- every field of a result, in every format, masked before any layout -----------------------

def _planted_result(planted: Planted, grouped: bool = False):
    """A ScanResult with a planted identifier in every string field a reporter can show
    (asset kinds, skipped resource types, policy metadata, waivers, baseline entries, inputs
    and scopes included). With ``grouped`` the identifiers are written in groups, as people
    write them, so that a wrapped line could cut one in two."""
    from dsscan.findings import Finding, NotAssessed, PolicyInfo, ScanResult

    def v(prefix: str = "") -> str:
        x = planted.any()
        return f"{prefix}{planted.grouped(x, ' ') if grouped else x}"

    policy = PolicyInfo(id=f"DS-{v()}", title=f"title {v()} end", package=f"p{v()}",
                        path=f"policies/{v()}.rego", articles=(41,),
                        description=f"desc {v()}", remediation=f"fix the store of {v()} "
                        f"and then the one of {v()} and again {v()} " * 3, kinds=(v("k"),))
    waiver = {"id": v("CHG-"), "reason": f"customer {v()}", "approver": v("ops "),
              "expires": "2099-01-01", "policy": policy.id, "asset": v("*")}
    findings = [Finding(policy_id=policy.id, title=policy.title, articles=(41,),
                        severity=sev, level="core", asset_id=f"arn:aws-cn:s3:::kyc{v()}",
                        message=f"store of {v()} is open, see {v()} " * 4,
                        remediation=policy.remediation, related=(v("r"),),
                        evidence={v("key"): v(), "n": [v()]}, asset_name=v("name"),
                        asset_kind=v("kind"), location={"file": v("f"), "address": v("a"),
                                                        "line": 3},
                        waiver=waiver if sev == "low" else None,
                        baseline="existing" if sev == "medium" else None)
                for sev in ("critical", "high", "medium", "low")]
    return ScanResult(
        findings=findings,
        not_assessed=[NotAssessed(reason=f"AccessDenied for {v()} " * 3, asset_id=v("asset"),
                                  policy_id=policy.id),
                      NotAssessed(reason=v("denied "), scope=f"aws:{v()}/cn-north-1")],
        policies=[policy], asset_count=3, inputs=[v("in/"), v("plan-")],
        tool_version="0.1.0", started_at="2026-01-01T00:00:00+00:00",
        assets={f.asset_id: {"name": v("n"), "kind": v("k"), "account": v("acct")}
                for f in findings},
        waiver_problems=[{**waiver, "problem": f"expired for {v()}", "kind": v("k")}],
        baseline_path=v("base-"), fixed=[{"policy_id": policy.id, "asset_id": v("gone"),
                                          "level": "core", "fingerprint": v("fp")}],
        skipped={f"aws_kyc_{v()}_table": 2, v("custom:index:Cust"): 1})


def _rendered(result, monkeypatch, width: int) -> list[tuple[str, str]]:
    """Each format as every run writes it (dsscan/run.py: reporter, then its text pass)."""
    from dsscan.masking import session
    from dsscan.reports import get_reporter
    from dsscan.run import mask_report as _masked_as_text

    monkeypatch.setenv("COLUMNS", str(width))
    out = []
    with session():
        for fmt in ("table", "json", "sarif", "junit", "html", "markdown"):
            for color in ((False, True) if fmt == "table" else (False,)):
                text = _masked_as_text(fmt, get_reporter(fmt)(result, color=color))
                out.append((f"{fmt}{' (colour)' if color else ''} at {width}", text))
    return out


def test_every_field_of_a_result_is_masked_in_every_format(monkeypatch):
    planted = Planted(seed=31)
    outputs = _rendered(_planted_result(planted), monkeypatch, 120)
    leaks, seen = check(planted, outputs)
    assert not leaks, f"{len(leaks)} planted values in clear:\n{describe(leaks)}"
    assert seen > 30, seen


def test_identifiers_are_masked_before_lines_are_wrapped(monkeypatch):
    # Written in groups (6222 0212 3456 7890 128) and wrapped at every width from 40 to 130
    # columns, one of them falls across a line break somewhere: no line break or indent may
    # leave the digits of a planted value in clear (searched with all whitespace removed).
    planted = Planted(seed=32)
    result = _planted_result(planted, grouped=True)
    for width in range(40, 131, 3):
        outputs = _rendered(result, monkeypatch, width)
        flat = [(w, re.sub(r"\s+", "", t)) for w, t in outputs]
        leaks, _ = check(planted, flat)
        assert not leaks, f"{len(leaks)} planted values in clear:\n{describe(leaks)}"
