"""The compliance-operations loop as a platform team runs it, end to end through the CLI:
settings discovered from .dsscan.yaml, a waiver, a baseline, a history store, a diff and a
compliance report with a trend. Each step's figures are checked against the step before."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from cli_support import ESTATE, dsscan

SETTINGS = """\
store: hist/runs.sqlite
fail_on: high
waivers:
  - policy: DS-NET-003
    asset: loan-documents
    reason: public by design until the portal migration (CHG-77)
    approver: ciso@bank.example
    expires: 2099-12-31
waiver_rules: {require_approver: true}
"""


def _json(r):
    assert r.returncode in (0, 1, 3), r.stderr
    return json.loads(r.stdout)


@pytest.mark.slow
def test_waiver_baseline_history_diff_and_trend_work_together(tmp_path):
    (tmp_path / ".dsscan.yaml").write_text(SETTINGS)
    estate = tmp_path / "estate.json"
    estate.write_text(ESTATE.read_text())
    sub = tmp_path / "team"  # commands run below the settings file: discovery finds it
    sub.mkdir()

    # 1. First sweep: the waived finding is reported but does not gate; the run is stored.
    first = dsscan("scan", "inventory", estate, "-f", "json", cwd=sub)
    doc1 = _json(first)
    waived = [f for f in doc1["findings"] if f["status"] == "waived"]
    assert [(f["policy_id"], f["asset_name"]) for f in waived] == [
        ("DS-NET-003", "loan-documents")]
    assert "stored run r" in first.stderr
    db = tmp_path / "hist" / "runs.sqlite"
    assert db.is_file()  # relative to the settings file, not to the working directory

    # 2. Accept today's findings as the baseline.
    created = dsscan("baseline", "create", "inventory", estate, "-o", tmp_path / "base.json",
                     cwd=sub)
    assert created.returncode in (0, 3), created.stderr
    entries = json.loads((tmp_path / "base.json").read_text())["findings"]
    assert len(entries) == len(doc1["findings"]) - 1  # the waived one is not baselined

    # 3. A change: one database loses its encryption, the unencrypted store is fixed.
    inv = json.loads(estate.read_text())
    (was_unencrypted,) = [f for f in doc1["findings"] if f["policy_id"] == "DS-ENC-001"]
    changed = None
    for a in inv["assets"]:
        enc = (a.get("encryption") or {}).get("at_rest") or {}
        if changed is None and a["kind"] == "database" and enc.get("enabled") is True:
            a["encryption"]["at_rest"] = {"enabled": False}
            changed = a["name"]
        if a["id"] == was_unencrypted["asset_id"]:
            a["encryption"] = {"at_rest": {"enabled": True, "key_type": "customer_managed"}}
    estate.write_text(json.dumps(inv))
    assert changed

    second = dsscan("scan", "inventory", estate, "--baseline", tmp_path / "base.json",
                    "-f", "json", cwd=sub)
    doc2 = _json(second)
    new = [f for f in doc2["findings"] if f["baseline"] == "new" and f["status"] == "open"]
    assert new and all(f["asset_name"] == changed for f in new)
    assert {f["policy_id"] for f in new} >= {"DS-ENC-001"}
    # Only the new findings gate: exit 1 because an encrypted database became unencrypted.
    assert second.returncode == 1
    assert [f["fingerprint"] for f in doc2["baseline"]["fixed"]] == [
        was_unencrypted["fingerprint"]]

    # 4. History: two runs, newest first, counted from the store.
    hist = json.loads(dsscan("history", "--format", "json", cwd=sub).stdout)
    runs = hist["runs"] if isinstance(hist, dict) else hist
    assert len(runs) == 2
    assert runs[0]["findings"] == len(doc2["findings"])
    assert runs[1]["findings"] == len(doc1["findings"])
    with sqlite3.connect(db) as c:
        assert c.execute("select count(*) from runs").fetchone()[0] == 2

    # 5. Diff of the two stored runs names the new findings by fingerprint.
    diff = json.loads(dsscan("diff", "latest~1", "latest", "--format", "json", cwd=sub).stdout)
    assert {f["fingerprint"] for f in diff["new"]} == {f["fingerprint"] for f in new}

    # 6. The compliance report of a third run draws a trend over the stored runs.
    out = tmp_path / "compliance.html"
    third = dsscan("scan", "inventory", estate, "-o", out, cwd=sub)
    assert third.returncode == 1, third.stderr
    html = out.read_text()
    assert "Trend" in html or "trend" in html
    assert len(re.findall(r"<svg", html)) >= 2
    assert "loan-documents" in html and "CHG-77" in html
