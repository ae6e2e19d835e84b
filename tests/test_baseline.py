"""Baselines: fingerprints that survive reordering and unrelated changes, the file format and
its errors, new/existing/fixed (failing closed on what was not assessed), every report, the
exit code, and `dsscan baseline create` -- through the real pipeline and the real CLI."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from cli_support import dsscan
from jsonschema import Draft4Validator, Draft7Validator

from dsscan.baseline import (
    Baseline,
    load_baseline,
    write_baseline,
    write_baseline_from_report,
)
from dsscan.config import Config
from dsscan.errors import InputError
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, exit_code, run_scan
from dsscan.policy_library import load_library
from dsscan.reports import get_reporter, to_json
from dsscan.reports import json_report as json_rep
from dsscan.waivers import Waiver, apply_waivers

ROOT = Path(__file__).resolve().parent.parent
BANK = json.loads((ROOT / "examples" / "bank-estate.json").read_text("utf-8"))
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json")
                    .read_text("utf-8"))
CLEAR_ID = "110101199003077777"  # synthetic resident-ID-shaped number

STATEMENTS = {
    "id": "arn:aws-cn:s3:::statements", "kind": "object_store", "name": "statements",
    "account": "111111111111", "region": "cn-north-1",
    "tags": {"dsscan:level": "sensitive", "environment": "production"},
    "encryption": {"at_rest": {"enabled": True, "key_type": "provider_managed"},
                   "in_transit": {"enforced": True}},  # DS-TRN-001: refuses plaintext
    "access": {"public": True, "wildcard_principal": True},
    "backup": {"native": {"enabled": False},  # restores verified (DS-BAK-004)
               "restore_verification": {"testing_selections": ["monthly/all"],
                                        "restore_jobs": "read"}},
    # Operation logs kept forever (access logs into the bucket itself): DS-LOG-001/002 pass.
    "logging": {"access_log": {"enabled": True, "target_bucket": "statements"}},
    "expiry": {"expires": False, "days": None},
}
LOANS = {**STATEMENTS, "id": "arn:aws-cn:s3:::loans", "name": "loans"}
PRIVATE = {"access": {"public": False, "wildcard_principal": False}}


@pytest.fixture(scope="module")
def library():
    return load_library()


def doc(*assets: dict, gaps: list | None = None) -> dict:
    d = {"format": "dsscan-inventory/1", "assets": [copy.deepcopy(a) for a in assets]}
    if gaps:
        d["gaps"] = gaps
    return d


def run(library, d: dict, **kw):
    return run_scan(parse_inventory(copy.deepcopy(d), "estate.json"), library, ScanOptions(**kw))


def fps(result) -> dict[tuple[str, str], str]:
    return {(f.policy_id, f.asset_id, *f.related): f.fingerprint for f in result.findings}


def by_name(d: dict, name: str) -> dict:
    return next(a for a in d["assets"] if a.get("name") == name)


# --- fingerprints through the real pipeline -------------------------------------------------

@pytest.mark.slow
def test_fingerprints_survive_reordering_the_inventory(library):
    first = run(library, BANK)
    shuffled = copy.deepcopy(BANK)
    shuffled["assets"] = list(reversed(shuffled["assets"]))
    mid = len(shuffled["assets"]) // 2
    shuffled["assets"] = shuffled["assets"][mid:] + shuffled["assets"][:mid]
    again = run(library, shuffled)
    assert len(first.findings) > 20
    assert fps(again) == fps(first)
    # Findings with related assets are among them: their order is not the inventory's.
    assert any(f.related for f in first.findings)


def test_fingerprints_survive_unrelated_changes_of_the_same_asset(library):
    first = run(library, BANK)
    changed = copy.deepcopy(BANK)
    loans = by_name(changed, "loan-documents")
    loans["tags"]["owner"] = "lending-team"  # a tag the policies do not read
    loans["encryption"]["at_rest"] = {"enabled": True, "key_type": "customer_managed",
                                      "key_id": "arn:aws-cn:kms:cn-north-1:1:key/k"}
    loans["type"] = "AWS::S3::Bucket"
    again = run(library, changed)
    assert fps(again) == fps(first)
    assert {p for p, a, *_ in fps(first) if a == loans["id"]} == {
        "DS-BAK-002", "DS-BAK-004", "DS-NET-003", "DS-TRN-001"}


def test_fingerprints_change_when_the_policy_or_the_asset_changes(library):
    first = fps(run(library, BANK))
    loans = "arn:aws-cn:s3:::loan-documents"
    assert first[("DS-BAK-002", loans)] != first[("DS-NET-003", loans)]  # same asset
    renamed = copy.deepcopy(BANK)
    by_name(renamed, "loan-documents")["id"] = "arn:aws-cn:s3:::loan-documents-v2"
    second = fps(run(library, renamed))
    assert ("DS-NET-003", loans) not in second
    assert second[("DS-NET-003", "arn:aws-cn:s3:::loan-documents-v2")] not in first.values()


# --- the file -------------------------------------------------------------------------------

def test_write_and_load_round_trip_sorted_masked_and_deduplicated(library, tmp_path):
    r = run(library, BANK)
    # Every finding has its own fingerprint (DS-BAK-003's two checks on prod-vault carry
    # their keys); a repeated finding gives one entry.
    assert len(r.findings) == len({f.fingerprint for f in r.findings})
    r.findings.append(copy.deepcopy(r.findings[1]))
    secret = copy.deepcopy(r.findings[0])
    secret.asset_id = f"arn:aws-cn:s3:::cust-{CLEAR_ID}"
    r.findings.append(secret)
    p = tmp_path / "sub" / "baseline.json"
    n = write_baseline(r, p)
    assert n == len({f.fingerprint for f in r.findings})
    text = p.read_text("utf-8")
    assert CLEAR_ID not in text and "cust-110101********7777" in text
    raw = json.loads(text)
    assert raw["dsscan_baseline"] == 1 and raw["tool_version"] == r.tool_version
    assert raw["created_at"].endswith("+00:00")
    entries = raw["findings"]
    assert [e["fingerprint"] for e in entries] == sorted(e["fingerprint"] for e in entries)
    assert set(entries[0]) == {"fingerprint", "policy_id", "asset_id", "level", "severity"}
    assert len(text.splitlines()) == len(entries) + 7  # one entry per line: diffs cleanly
    b = load_baseline(p)
    assert isinstance(b, Baseline) and len(b) == n and b.path == str(p)
    assert all(f.fingerprint in b for f in r.findings)


def test_waived_findings_are_not_put_in_a_baseline(library, tmp_path):
    r = run(library, doc(STATEMENTS))
    apply_waivers(r, [Waiver(policy="DS-NET-003", reason="r", scope="all",
                                 expires=date(2999, 1, 1))], None)
    assert [f.policy_id for f in r.findings if f.waived] == ["DS-NET-003"]
    write_baseline(r, tmp_path / "b.json")
    assert {e["policy_id"] for e in load_baseline(tmp_path / "b.json").entries.values()} == {
        "DS-BAK-002"}


def test_an_expired_waiver_brings_its_finding_back_as_new(library, tmp_path):
    cfg = Config(waivers=[Waiver(policy="DS-NET-003", reason="r", scope="all",
                                 expires=date(2999, 1, 1))])
    write_baseline(run(library, doc(STATEMENTS), config=cfg), tmp_path / "b.json")
    base = load_baseline(tmp_path / "b.json")
    later = Config(waivers=[Waiver(policy="DS-NET-003", reason="r", scope="all",
                                 expires=date(2000, 1, 1))])
    r = run(library, doc(STATEMENTS), config=later, baseline=base)
    assert {(f.policy_id, f.baseline) for f in r.findings} == {
        ("DS-BAK-002", "existing"), ("DS-NET-003", "new")}
    assert exit_code(r, "low", later) == 1


@pytest.mark.parametrize("content, fragment", [
    (None, "cannot read baseline file"),
    (b"\xff\xfe", "not valid JSON"),
    (b'{"dsscan_baseline": 1, "findings": [', "not valid JSON: Expecting value at line 1"),
    (b"[]", "not a dsscan baseline"),
    (b'{"findings": []}', "not a dsscan baseline"),
    (b'{"dsscan_baseline": 2, "findings": []}', "baseline version 2 is not supported"),
    (b'{"dsscan_baseline": true, "findings": []}', "baseline version true is not supported"),
    (b'{"dsscan_baseline": 1, "findings": {}}', "findings: expected a list"),
    (b'{"dsscan_baseline": 1, "findings": [], "extra": 1}', "unknown key 'extra'"),
    (b'{"dsscan_baseline": 1, "findings": [7]}', "findings[0]: expected an object"),
    (b'{"dsscan_baseline": 1, "findings": [{"fingerprint": "ab"}]}',
     "findings[0].policy_id: expected a string"),
    (b'{"dsscan_baseline": 1, "findings": [{"fingerprint": "ab", "policy_id": "P", '
     b'"asset_id": "a", "level": "core", "severity": "critical"}]}',
     "findings[0].fingerprint: expected 32 hex digits"),
    (b'{"dsscan_baseline": 1, "findings": [{"fingerprint": "' + b"a" * 32 + b'\\n", '
     b'"policy_id": "P", "asset_id": "a", "level": "core", "severity": "critical"}]}',
     "findings[0].fingerprint: expected 32 hex digits"),
    (b"[" * 100000 + b"]" * 100000, "nested more than 128 levels deep"),
    (b'{"dsscan_baseline": 1' + b"0" * 5000 + b', "findings": []}', "an integer of 5,001 digits"),
])
def test_a_bad_baseline_is_a_one_line_input_error_naming_the_file(tmp_path, content, fragment):
    p = tmp_path / "bl.json"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(InputError) as e:
        load_baseline(p)
    msg = str(e.value)
    assert msg.startswith(str(p)) and fragment in msg and "\n" not in msg


# --- applying -------------------------------------------------------------------------------

def baseline_of(library, tmp_path, d: dict, name: str = "b.json") -> Baseline:
    write_baseline(run(library, d), tmp_path / name)
    return load_baseline(tmp_path / name)


def test_existing_new_and_fixed_through_run_scan(library, tmp_path):
    base = baseline_of(library, tmp_path, doc(STATEMENTS, LOANS))
    # Loans made private (DS-NET-003 fixed); a new public bucket appears.
    new_bucket = {**STATEMENTS, "id": "arn:aws-cn:s3:::exports", "name": "exports"}
    r = run(library, doc(STATEMENTS, {**LOANS, **PRIVATE}, new_bucket), baseline=base)
    state = {(f.policy_id, f.asset_id): f.baseline for f in r.findings}
    assert state == {("DS-BAK-002", STATEMENTS["id"]): "existing",
                     ("DS-NET-003", STATEMENTS["id"]): "existing",
                     ("DS-BAK-002", LOANS["id"]): "existing",
                     ("DS-BAK-002", new_bucket["id"]): "new",
                     ("DS-NET-003", new_bucket["id"]): "new"}
    assert [(x["policy_id"], x["asset_id"]) for x in r.fixed] == [("DS-NET-003", LOANS["id"])]
    assert set(r.fixed[0]) == {"fingerprint", "policy_id", "asset_id", "level"}
    assert r.baseline_path == base.path
    assert exit_code(r, "low", Config()) == 1
    # Nothing new: the same estate as the baseline passes.
    same = run(library, doc(STATEMENTS, LOANS), baseline=base)
    assert {f.baseline for f in same.findings} == {"existing"} and same.fixed == []
    assert exit_code(same, "low", Config()) == 0


def test_a_deleted_asset_is_fixed_when_the_scan_is_complete(library, tmp_path):
    base = baseline_of(library, tmp_path, doc(STATEMENTS, LOANS))
    r = run(library, doc(STATEMENTS), baseline=base)
    assert {(x["policy_id"], x["asset_id"]) for x in r.fixed} == {
        ("DS-BAK-002", LOANS["id"]), ("DS-NET-003", LOANS["id"])}


def test_fixed_fails_closed_on_what_was_not_assessed(library, tmp_path):
    base = baseline_of(library, tmp_path, doc(STATEMENTS, LOANS))
    # Asset gone while a whole scope was unreadable: it may be there, so not "fixed".
    gap = [{"scope": "s3 in 111111111111/cn-north-1", "reason": "AccessDenied"}]
    r = run(library, doc(STATEMENTS, gaps=gap), baseline=base)
    assert r.fixed == []
    # Asset present but not assessed (its access could not be read): not "fixed" either.
    unread = {**LOANS, "access": {"public": None, "wildcard_principal": None}}
    r = run(library, doc(STATEMENTS, unread), baseline=base)
    assert ("DS-NET-003", LOANS["id"]) not in {(x["policy_id"], x["asset_id"]) for x in r.fixed}
    assert any(n.asset_id == LOANS["id"] and n.policy_id == "DS-NET-003"
               for n in r.not_assessed)
    # A policy left out of this run (--skip-policy) fixes nothing.
    r = run(library, doc(STATEMENTS, {**LOANS, **PRIVATE}), baseline=base,
            exclude=("DS-NET-003",))
    assert r.fixed == []


def test_waived_and_existing_do_not_gate_but_new_does(library, tmp_path):
    base = baseline_of(library, tmp_path, doc(STATEMENTS))
    cfg = Config(waivers=[Waiver(policy="*", asset="loans", reason="r", scope="all",
                                 expires=date(2999, 1, 1))])
    r = run(library, doc(STATEMENTS, LOANS), baseline=base, config=cfg)
    assert {(f.asset_id, f.baseline, f.waived) for f in r.findings} == {
        (STATEMENTS["id"], "existing", False), (LOANS["id"], "new", True)}
    assert not any(f.gating for f in r.findings)
    assert exit_code(r, "low", cfg) == 0


# --- reports --------------------------------------------------------------------------------

@pytest.fixture()
def under_baseline(library, tmp_path):
    """2 existing, 2 new, 1 fixed."""
    base = baseline_of(library, tmp_path, doc(STATEMENTS, LOANS))
    new_bucket = {**STATEMENTS, "id": "arn:aws-cn:s3:::exports", "name": "exports"}
    r = run(library, doc(STATEMENTS, {**LOANS, **PRIVATE}, new_bucket), baseline=base,
            exclude=("DS-BAK-002",))
    r.inputs = ["estate.json"]
    assert len(r.findings) == 2 and len(r.fixed) == 1
    return r


def test_json_report_has_baseline_state_and_fixed(under_baseline):
    d = json.loads(get_reporter("json")(under_baseline, threshold="low"))
    assert {(f["asset_id"], f["baseline"]) for f in d["findings"]} == {
        (STATEMENTS["id"], "existing"), ("arn:aws-cn:s3:::exports", "new")}
    assert d["summary"]["new"] == 1 and d["summary"]["failing"] == 1
    assert d["baseline"]["new"] == 1 and d["baseline"]["existing"] == 1
    assert d["baseline"]["path"].endswith("b.json")
    assert [(x["policy_id"], x["asset_id"]) for x in d["baseline"]["fixed"]] == [
        ("DS-NET-003", LOANS["id"])]
    for threshold in (None, "low"):
        assert get_reporter("json")(under_baseline, threshold=threshold) == \
            to_json(json_rep.build(under_baseline, threshold), 2)


def test_sarif_baseline_states_and_absent_results_validate(under_baseline):
    out = json.loads(get_reporter("sarif")(under_baseline))
    Draft7Validator(SCHEMA).validate(out)
    Draft4Validator(SCHEMA).validate(out)
    results = out["runs"][0]["results"]
    states = {(x["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
               x["baselineState"]) for x in results}
    assert states == {(STATEMENTS["id"], "unchanged"), ("arn:aws-cn:s3:::exports", "new"),
                      (LOANS["id"], "absent")}
    absent = next(x for x in results if x["baselineState"] == "absent")
    # SARIF: a level other than "none" requires kind "fail"; a fixed result is a pass.
    assert (absent["kind"], absent["level"]) == ("pass", "none")
    assert absent["partialFingerprints"]["dsscanFinding/v1"] == under_baseline.fixed[0][
        "fingerprint"]
    assert absent["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "estate.json"
    rules = out["runs"][0]["tool"]["driver"]["rules"]
    assert rules[absent["ruleIndex"]]["id"] == "DS-NET-003"
    assert out["runs"][0]["properties"]["baseline"]["fixed"] == 1


def test_sarif_schema_rejects_an_absent_result_with_a_bad_state(under_baseline):
    out = json.loads(get_reporter("sarif")(under_baseline))
    out["runs"][0]["results"][-1]["baselineState"] = "fixed"
    assert list(Draft7Validator(SCHEMA).iter_errors(out))


def test_junit_existing_findings_are_skipped_in_baseline_and_new_ones_fail(under_baseline):
    root = ET.fromstring(get_reporter("junit")(under_baseline).encode("utf-8"))
    net = next(s for s in root.findall("testsuite") if s.get("name").startswith("DS-NET-003"))
    failures = net.findall("testcase/failure")
    skipped = net.findall("testcase/skipped")
    assert len(failures) == 1 and "exports" in failures[0].get("message")
    assert len(skipped) == 1 and skipped[0].get("message").startswith("in baseline: ")
    assert (net.get("failures"), net.get("skipped")) == ("1", "1")


def test_table_shows_counts_existing_and_fixed(under_baseline):
    out = get_reporter("table")(under_baseline, threshold="low")
    assert "Findings (1)" in out
    assert "Baseline: 1 new, 1 in baseline, 1 fixed (" in out
    assert "In baseline (1) -- accepted before, not failing" in out
    assert "Fixed since the baseline (1)" in out and "arn:aws-cn:s3:::loans" in out
    assert "1 new, 1 in baseline, 1 fixed, 1 at or above --fail-on low" in out
    assert get_reporter("table")(under_baseline, color=True)


# --- CLI ------------------------------------------------------------------------------------


def write(path: Path, d: dict) -> Path:
    path.write_text(json.dumps(d), "utf-8")
    return path


@pytest.mark.slow
def test_cli_baseline_create_then_scan_with_baseline(tmp_path):
    # Needs `dsscan scan ... --baseline` (cli/evaluate.py, wired by the lead engineer).
    write(tmp_path / "estate.json", doc(STATEMENTS, LOANS))
    r = dsscan("baseline", "create", "inventory", "estate.json", "--no-config", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "dsscan: baseline of 4 findings written to .dsscan-baseline.json"
    assert len(load_baseline(tmp_path / ".dsscan-baseline.json")) == 4
    same = dsscan("scan", "inventory", "estate.json", "--no-config", "--baseline",
                  ".dsscan-baseline.json", cwd=tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "Baseline: 0 new, 4 in baseline, 0 fixed" in same.stdout
    write(tmp_path / "estate.json",
          doc(STATEMENTS, {**LOANS, **PRIVATE}, {**STATEMENTS, "id": "arn:aws-cn:s3:::x",
                                                  "name": "x"}))
    worse = dsscan("scan", "inventory", "estate.json", "--no-config", "--baseline",
                   ".dsscan-baseline.json", "-f", "json", cwd=tmp_path)
    assert worse.returncode == 1
    rep = json.loads(worse.stdout)
    assert rep["summary"]["new"] == 2 and len(rep["baseline"]["fixed"]) == 1


def test_cli_baseline_create_writes_where_asked_and_exit_three_when_incomplete(tmp_path):
    gap = [{"scope": "rds in 111111111111/cn-north-1", "reason": "AccessDenied"}]
    write(tmp_path / "estate.json", doc(STATEMENTS, gaps=gap))
    r = dsscan("baseline", "create", "inventory", "estate.json", "--no-config",
               "-o", "ci/base.json", cwd=tmp_path)
    assert r.returncode == 3
    assert "baseline of 2 findings written to ci/base.json" in r.stdout
    assert "incomplete" in r.stderr
    assert len(load_baseline(tmp_path / "ci" / "base.json")) == 2


@pytest.mark.slow
def test_cli_baseline_from_a_saved_report_equals_one_from_the_scan(tmp_path):
    write(tmp_path / "estate.json", doc(STATEMENTS, LOANS))
    (tmp_path / "dsscan.yaml").write_text(
        "waivers:\n  - {policy: DS-NET-003, asset: loans, reason: r, expires: 2999-01-01}\n")
    rep = dsscan("scan", "inventory", "estate.json", "--config", "dsscan.yaml", "-f", "json",
                 "-o", "report.json", cwd=tmp_path)
    assert rep.returncode == 1, rep.stderr
    a = dsscan("baseline", "create", "--from-report", "report.json", "-o", "a.json",
               cwd=tmp_path)
    assert a.returncode == 0, a.stderr
    assert "baseline of 3 findings written to a.json" in a.stdout
    assert "1 waived findings are not in the baseline" in a.stderr
    b = dsscan("baseline", "create", "inventory", "estate.json", "--config", "dsscan.yaml",
               "-o", "b.json", cwd=tmp_path)
    assert b.returncode == 0, b.stderr
    assert load_baseline(tmp_path / "a.json").entries == load_baseline(tmp_path / "b.json").entries


def test_write_baseline_from_report_rejects_what_is_not_a_report(tmp_path):
    p = write(tmp_path / "r.json", {"format": "dsscan-inventory/1", "assets": []})
    with pytest.raises(InputError, match=r"r\.json: not a dsscan JSON report"):
        write_baseline_from_report(p, tmp_path / "b.json")
    p = write(tmp_path / "r.json", {"format": "dsscan-report/1",
                                    "findings": [{"fingerprint": "x"}]})
    with pytest.raises(InputError, match=r"findings\[0\]\.policy_id: expected a string"):
        write_baseline_from_report(p, tmp_path / "b.json")
    assert not (tmp_path / "b.json").exists()


@pytest.mark.parametrize("args, fragment", [
    (["baseline", "create"], "give a source"),
    (["baseline", "create", "--from-report", "r.json", "inventory", "estate.json"],
     "not both"),
    (["baseline", "create", "--from-report", "missing.json"], "cannot read report file"),
    (["scan", "inventory", "estate.json", "--no-config", "--baseline", "missing.json"],
     "missing.json: cannot read baseline file"),
])
def test_cli_usage_and_input_errors_exit_two(tmp_path, args, fragment):
    write(tmp_path / "estate.json", doc(STATEMENTS))
    write(tmp_path / "r.json", {"format": "dsscan-report/1", "findings": []})
    r = dsscan(*args, cwd=tmp_path)
    assert r.returncode == 2 and fragment in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("cmd", [["baseline"], ["baseline", "create"],
                                 ["baseline", "create", "inventory"]])
def test_baseline_commands_have_help_with_examples(tmp_path, cmd):
    r = dsscan(*cmd, "--help", cwd=tmp_path)
    assert r.returncode == 0 and "Usage:" in r.stdout and "Example" in r.stdout


def test_two_checks_of_one_policy_on_one_asset_have_distinct_fingerprints(tmp_path):
    """A policy finding two things on one asset (two keys): the two must not collapse into
    one baseline entry (accepting one would hide the other). (DS-BAK-003 did so on prod-vault
    until its vault-lock check moved to DS-BAK-005; a user policy stands in.)"""
    from dsscan.config import Config
    from dsscan.inventory import load_inventory
    from dsscan.pipeline import ScanOptions, run_scan
    from dsscan.policy_library import load_library

    (tmp_path / "two_keys.rego").write_text(
        "# METADATA\n# title: Two checks\n# description: Two checks on a vault.\n"
        "# custom:\n#   id: ACME-TWO-001\n#   articles: [37]\n#   remediation: Fix both.\n"
        "#   kinds: [backup_vault]\npackage dsscan.policy.acme_two_001\n\nimport rego.v1\n\n"
        "deny contains finding if {\n\tsome a in input.assets\n\ta.kind == \"backup_vault\"\n"
        "\tsome k in [\"open_access\", \"no_lock\"]\n\tfinding := {\"asset\": a.id, \"key\": k, "
        "\"level\": \"core\", \"message\": k}\n}\n")
    estate = Path(__file__).resolve().parents[1] / "examples" / "bank-estate.json"
    result = run_scan(load_inventory(estate), load_library([tmp_path]),
                      ScanOptions(config=Config(), include=("ACME-TWO-001",)))
    vault = [f for f in result.findings if f.asset_name == "prod-vault"]
    assert sorted(f.key for f in vault) == ["no_lock", "open_access"]
    assert len({f.fingerprint for f in vault}) == 2
    every = [f.fingerprint for f in result.findings]
    assert len(every) == len(set(every))


@pytest.mark.slow
def test_baseline_from_an_incomplete_report_exits_three(tmp_path):
    estate = write(tmp_path / "estate.json", doc(STATEMENTS, gaps=[
        {"scope": "rds in 111111111111/cn-north-1", "reason": "AccessDenied"}]))
    r = dsscan("scan", "inventory", estate, "-f", "json", "-o", "report.json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    made = dsscan("baseline", "create", "--from-report", "report.json", cwd=tmp_path)
    assert made.returncode == 3 and "incomplete" in made.stderr
    assert (tmp_path / ".dsscan-baseline.json").is_file()


def test_baseline_counts_leave_waived_findings_to_their_waiver(library, tmp_path):
    from dsscan.reports import baseline_counts

    base = baseline_of(library, tmp_path, doc(STATEMENTS))
    cfg = Config(waivers=[Waiver(policy="DS-NET-003", reason="r", scope="all",
                                 expires=date(2999, 1, 1))])
    r = run(library, doc(STATEMENTS), config=cfg, baseline=base)
    assert {(f.policy_id, f.baseline, f.waived) for f in r.findings} == {
        ("DS-BAK-002", "existing", False), ("DS-NET-003", "existing", True)}
    assert baseline_counts(r) == {"new": 0, "existing": 1, "fixed": 0}
