"""Waivers: parsing (strict, one-line errors), matching, expiry and rules, stale waivers, how
every report shows them, and the exit code -- through the real pipeline and the real CLI."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
import yaml
from cli_support import dsscan
from jsonschema import Draft4Validator, Draft7Validator

from dsscan.config import Config
from dsscan.errors import InputError
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, exit_code, run_scan
from dsscan.policy_library import load_library
from dsscan.reports import get_reporter, to_json
from dsscan.reports import json_report as json_rep
from dsscan.waivers import (
    Waiver,
    WaiverRules,
    apply_waivers,
    catch_all,
    parse_waiver_rules,
    parse_waivers,
)

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json")
                    .read_text("utf-8"))
TODAY = date(2027, 1, 15)
CLEAR_ID = "110101199003077777"  # synthetic resident-ID-shaped number

# A small estate: two public sensitive buckets without backups, in two accounts/regions.
# Each has DS-BAK-002 (no backup) and DS-NET-003 (public): four findings.
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
LOANS = {**STATEMENTS, "id": "arn:aws-cn:s3:::loans", "name": "loan-docs",
         "account": "222222222222", "region": "cn-northwest-1"}


@pytest.fixture(scope="module")
def library():
    return load_library()


def inventory(*assets: dict):
    return parse_inventory({"format": "dsscan-inventory/1",
                            "assets": [copy.deepcopy(a) for a in assets]}, "estate.json")


def scan(library, *waivers: Waiver, rules: WaiverRules | None = None, assets=(STATEMENTS, LOANS)):
    """The real pipeline (no waivers applied), then waivers applied with a fixed 'today'."""
    result = run_scan(inventory(*assets), library, ScanOptions())
    apply_waivers(result, list(waivers), rules, today=TODAY)
    return result


def W(**kw) -> Waiver:
    """A waiver; the matching tests use wide globs, accepted with scope: all (the catch-all
    rule itself is pinned by test_catch_all_*)."""
    kw.setdefault("reason", "accepted for the migration (CHG-1)")
    kw.setdefault("expires", date(2027, 3, 31))
    kw.setdefault("scope", "all")
    return Waiver(**kw)


def waived(result) -> set[tuple[str, str]]:
    return {(f.policy_id, f.asset_id) for f in result.findings if f.waived}


# --- parsing --------------------------------------------------------------------------------

def test_parses_yaml_dates_iso_strings_and_optional_fields():
    raw = yaml.safe_load("""
waivers:
  - policy: DS-BAK-002
    asset: "arn:aws-cn:s3:::legacy-*"
    account: "111111111111"
    region: cn-*
    reason: legacy bucket, migration planned (CHG-1234)
    approver: ciso
    expires: 2027-03-31
    created: "2027-01-01"
  - {id: W-7, policy: 'DS-NET-*', reason: r, expires: "2027-02-01"}
""")
    ws = parse_waivers(raw["waivers"], "dsscan.yaml")
    assert ws[0].expires == date(2027, 3, 31) and ws[0].created == date(2027, 1, 1)
    assert (ws[0].account, ws[0].region, ws[0].approver) == ("111111111111", "cn-*", "ciso")
    assert ws[0].source == "dsscan.yaml:waivers[0]"
    assert ws[1].id == "W-7" and ws[1].asset == "*" and ws[1].approver is None
    assert ws[0].id.startswith("W-") and ws[0].id != ws[1].id


def test_derived_id_is_stable_and_ignores_reason_approver_and_dates():
    a = parse_waivers([{"policy": "DS-BAK-002", "asset": "x", "reason": "r",
                        "expires": "2027-01-01"}], "a.yaml")[0]
    b = parse_waivers([{"policy": "ds-bak-002", "asset": "x", "reason": "other",
                        "approver": "p", "expires": "2028-01-01"}], "b.yaml")[0]
    c = parse_waivers([{"policy": "DS-BAK-002", "asset": "y", "reason": "r",
                        "expires": "2027-01-01"}], "a.yaml")[0]
    assert a.id == b.id != c.id


def test_bad_date_names_the_file_and_the_path():
    raw = [{"id": f"W-{i}", "policy": "P", "reason": "r", "expires": "2027-01-01"}
           for i in range(2)]
    raw.append({"policy": "P", "reason": "r", "expires": "2027-13-01"})
    with pytest.raises(InputError) as e:
        parse_waivers(raw, "dsscan.yaml")
    assert str(e.value) == ("dsscan.yaml: waivers[2].expires: '2027-13-01' is not a date "
                            "(YYYY-MM-DD)")


OK = {"policy": "DS-BAK-002", "reason": "r", "expires": "2027-01-01"}


@pytest.mark.parametrize("raw, fragment", [
    ({"policy": "x"}, "waivers: must be a list"),
    (["DS-BAK-002"], "waivers[0]: must be a mapping"),
    ([{**OK, "expiry": "2027-01-01"}], "waivers[0]: unknown key 'expiry'"),
    ([{"policy": "P", "expires": "2027-01-01"}], "waivers[0].reason: missing"),
    ([{**OK, "reason": "   "}], "waivers[0].reason: must not be empty"),
    ([{**OK, "reason": 5}], "waivers[0].reason: 5 is not"),
    ([{"reason": "r", "expires": "2027-01-01"}], "waivers[0].policy: missing"),
    ([{**OK, "policy": ["DS-BAK-002"]}], "waivers[0].policy: ['DS-BAK-002'] is not"),
    ([{"policy": "P", "reason": "r"}], "waivers[0].expires: missing"),
    ([{**OK, "expires": "31/03/2027"}], "waivers[0].expires: '31/03/2027' is not a date"),
    ([{**OK, "expires": "20270331"}], "is not a date (YYYY-MM-DD)"),
    ([{**OK, "expires": 20270331}], "waivers[0].expires: 20270331 is not a date"),
    ([{**OK, "created": "2027-02-30"}], "waivers[0].created: '2027-02-30' is not a date"),
    ([{**OK, "created": "2027-06-01"}], "waivers[0].created: 2027-06-01 is after expires"),
    ([{**OK, "account": 111111111111}], "waivers[0].account: 111111111111 must be quoted"),
    ([{**OK, "approver": ""}], "waivers[0].approver: must not be empty"),
    ([{**OK, "id": "A"}, {**OK, "id": "A", "asset": "other"}],
     "waivers[1].id: duplicate waiver id 'A', also waivers[0]"),
    ([OK, {**OK, "reason": "again"}], "(same policy, asset, account and region"),
])
def test_invalid_waivers_are_one_line_input_errors_naming_file_and_path(raw, fragment):
    with pytest.raises(InputError) as e:
        parse_waivers(raw, "dsscan.yaml")
    msg = str(e.value)
    assert msg.startswith("dsscan.yaml: ") and fragment in msg and "\n" not in msg


def test_a_yaml_timestamp_is_not_a_date():
    raw = yaml.safe_load("w: [{policy: P, reason: r, expires: 2027-03-31T10:00:00}]")["w"]
    with pytest.raises(InputError, match=r"waivers\[0\]\.expires: .* is not a date"):
        parse_waivers(raw, "c.yaml")


def test_an_identifier_in_a_bad_value_is_masked_in_the_error():
    with pytest.raises(InputError) as e:
        parse_waivers([{**OK, "expires": f"holder-{CLEAR_ID}"}], "c.yaml")
    assert CLEAR_ID not in str(e.value)


def test_waiver_rules_parse_and_default():
    assert parse_waiver_rules(None, "c.yaml") == WaiverRules()
    assert parse_waiver_rules({"require_approver": True, "max_days": 90}, "c.yaml") == \
        WaiverRules(require_approver=True, max_days=90)


@pytest.mark.parametrize("raw, fragment", [
    ([1], "waiver_rules: must be a mapping"),
    ({"max_day": 3}, "waiver_rules: unknown key 'max_day'"),
    ({"require_approver": "yes"}, "waiver_rules.require_approver: 'yes' is not true or false"),
    ({"max_days": 0}, "waiver_rules.max_days: 0 is not a positive"),
    ({"max_days": True}, "waiver_rules.max_days: True is not a positive"),
    ({"max_days": "90"}, "waiver_rules.max_days: '90' is not a positive"),
])
def test_invalid_waiver_rules_are_input_errors(raw, fragment):
    with pytest.raises(InputError) as e:
        parse_waiver_rules(raw, "c.yaml")
    assert str(e.value).startswith("c.yaml: ") and fragment in str(e.value)


# --- matching -------------------------------------------------------------------------------

def test_policy_glob_is_case_insensitive(library):
    r = scan(library, W(policy="ds-net-*"))
    assert waived(r) == {("DS-NET-003", STATEMENTS["id"]), ("DS-NET-003", LOANS["id"])}


def test_asset_matches_by_id_or_by_name(library):
    by_id = scan(library, W(policy="DS-BAK-002", asset="arn:aws-cn:s3:::stat*"))
    by_name = scan(library, W(policy="DS-BAK-002", asset="loan-docs"))
    assert waived(by_id) == {("DS-BAK-002", STATEMENTS["id"])}
    assert waived(by_name) == {("DS-BAK-002", LOANS["id"])}
    # The name glob must match the whole name, not a part of it.
    assert waived(scan(library, W(policy="DS-BAK-002", asset="loan"))) == set()


def test_account_and_region_globs_narrow_the_match(library):
    assert waived(scan(library, W(policy="*", account="2222*"))) == {
        ("DS-BAK-002", LOANS["id"]), ("DS-NET-003", LOANS["id"])}
    assert waived(scan(library, W(policy="*", region="cn-north-1"))) == {
        ("DS-BAK-002", STATEMENTS["id"]), ("DS-NET-003", STATEMENTS["id"])}
    assert waived(scan(library, W(policy="*", account="111111111111",
                                  region="cn-northwest-1"))) == set()


def test_a_waiver_naming_an_account_never_matches_an_asset_of_unknown_account(library):
    unknown = {k: v for k, v in STATEMENTS.items() if k not in ("account", "region")}
    r = scan(library, W(policy="*", account="*"), W(policy="*", region="*", id="R"),
             assets=(unknown,))
    assert waived(r) == set()
    assert {p["problem"] for p in r.waiver_problems} == {"matches no finding"}
    # Without account/region the same asset is waived.
    assert len(waived(scan(library, W(policy="*"), assets=(unknown,)))) == 2


def test_the_waived_finding_carries_the_waiver_masked(library):
    r = scan(library, W(id="W-1", policy="DS-NET-003", asset="statements", approver="ciso",
                        source="dsscan.yaml:waivers[0]",
                        reason=f"holder {CLEAR_ID} agreed"))
    f = next(f for f in r.findings if f.waived)
    assert f.waiver == {"id": "W-1", "reason": "holder 110101********7777 agreed",
                        "approver": "ciso", "expires": "2027-03-31",
                        "source": "dsscan.yaml:waivers[0]"}
    assert not f.gating


def test_first_valid_matching_waiver_wins_and_invalid_ones_are_skipped(library):
    expired = W(id="OLD", policy="DS-NET-003", expires=date(2026, 12, 31))
    first = W(id="FIRST", policy="DS-NET-*")
    second = W(id="SECOND", policy="*")
    r = scan(library, expired, first, second)
    ids = {(f.policy_id, f.waiver["id"]) for f in r.findings if f.waived}
    assert ids == {("DS-NET-003", "FIRST"), ("DS-BAK-002", "SECOND")}
    # Reported; it leaves no finding failing: valid waivers took both it matched.
    [old] = [p for p in r.waiver_problems if p["id"] == "OLD"]
    assert old["problem"] == "expired on 2026-12-31" and old["findings"] == 0


def test_a_waiver_is_valid_through_its_expiry_date_and_expired_the_day_after(library):
    on_the_day = scan(library, W(policy="DS-NET-003", asset="arn:aws-cn:s3:::*", expires=TODAY))
    assert len(waived(on_the_day)) == 2 and on_the_day.waiver_problems == []
    after = scan(library, W(policy="DS-NET-003", expires=date(2027, 1, 14)))
    assert waived(after) == set()
    assert [(p["problem"], p["findings"]) for p in after.waiver_problems] == [
        ("expired on 2027-01-14", 2)]
    assert all(f.gating for f in after.findings)


def test_require_approver_rule(library):
    rules = WaiverRules(require_approver=True)
    r = scan(library, W(id="NOBODY", policy="DS-NET-003"), rules=rules)
    assert waived(r) == set()
    assert r.waiver_problems[0]["problem"] == "no approver (waiver_rules.require_approver)"
    ok = scan(library, W(policy="DS-NET-003", approver="ciso"), rules=rules)
    assert len(waived(ok)) == 2


def test_max_days_counts_from_created_else_from_today(library):
    rules = WaiverRules(max_days=90)
    long = W(id="L", policy="DS-NET-003", created=date(2026, 12, 1), expires=date(2027, 6, 19))
    r = scan(library, long, rules=rules)
    assert r.waiver_problems[0]["problem"] == \
        "lasts 200 days, more than waiver_rules.max_days 90"
    # No 'created': counted from today (2027-01-15): 75 days is within 90.
    assert len(waived(scan(library, W(policy="DS-NET-003", expires=date(2027, 3, 31)),
                           rules=rules))) == 2
    assert waived(scan(library, W(policy="DS-NET-003", expires=date(2027, 4, 30)),
                       rules=rules)) == set()


def test_every_problem_of_a_waiver_is_reported_once(library):
    rules = WaiverRules(require_approver=True, max_days=10)
    r = scan(library, W(policy="DS-NET-003", created=date(2026, 1, 1),
                        expires=date(2026, 6, 1)), rules=rules)
    assert len(r.waiver_problems) == 1
    assert r.waiver_problems[0]["problem"] == (
        "expired on 2026-06-01; no approver (waiver_rules.require_approver); "
        "lasts 151 days, more than waiver_rules.max_days 10")


def test_a_valid_waiver_matching_nothing_is_reported_stale(library):
    r = scan(library, W(id="STALE", policy="DS-NET-003", asset="gone-bucket"),
             W(id="OTHER", policy="DS-XYZ-*"))
    probs = {p["id"]: p for p in r.waiver_problems}
    assert probs["STALE"]["problem"] == "matches no finding" and probs["STALE"]["findings"] == 0
    assert probs["OTHER"]["problem"] == ("matches no finding (no policy it names was evaluated "
                                         "in this run)")


def test_applying_again_gives_the_same_result(library):
    r = scan(library, W(policy="DS-NET-003"))
    before = ([f.waiver for f in r.findings], list(r.waiver_problems))
    apply_waivers(r, [W(policy="DS-NET-003")], None, today=TODAY)
    assert ([f.waiver for f in r.findings], r.waiver_problems) == before
    apply_waivers(r, [], None, today=TODAY)
    assert waived(r) == set() and r.waiver_problems == []


def test_identifier_in_a_waiver_pattern_is_masked_in_problems_and_every_report(library):
    r = scan(library, W(policy="DS-NET-003", asset=f"cust-{CLEAR_ID}-*",
                        reason=f"for {CLEAR_ID}"))
    assert r.waiver_problems and CLEAR_ID not in json.dumps(r.waiver_problems)
    for fmt in ("table", "json", "sarif", "junit"):
        assert CLEAR_ID not in get_reporter(fmt)(r), fmt


# --- config-driven, exit code --------------------------------------------------------------

def test_config_waivers_are_applied_by_the_pipeline_and_do_not_gate(library):
    ws = parse_waivers([{"policy": "*", "reason": "accepted", "approver": "ciso",
                         "expires": "2999-12-31", "scope": "all"}], "dsscan.yaml")
    cfg = Config(waivers=ws, waiver_rules=parse_waiver_rules({"require_approver": True},
                                                             "dsscan.yaml"))
    r = run_scan(inventory(STATEMENTS, LOANS), library, ScanOptions(config=cfg))
    assert len(r.findings) == 4 and all(f.waived for f in r.findings)
    assert exit_code(r, "low", cfg) == 0
    plain = run_scan(inventory(STATEMENTS, LOANS), library, ScanOptions())
    assert exit_code(plain, "low", Config()) == 1


def test_config_waiver_breaking_the_rules_does_not_waive(library):
    ws = parse_waivers([{"policy": "*", "reason": "accepted", "expires": "2999-12-31",
                         "scope": "all"}], "dsscan.yaml")
    cfg = Config(waivers=ws, waiver_rules=WaiverRules(require_approver=True))
    r = run_scan(inventory(STATEMENTS), library, ScanOptions(config=cfg))
    assert not any(f.waived for f in r.findings)
    assert r.waiver_problems[0]["problem"] == "no approver (waiver_rules.require_approver)"
    assert exit_code(r, "low", cfg) == 1


# --- reports --------------------------------------------------------------------------------

@pytest.fixture()
def mixed(library):
    """One finding waived, one expired waiver (2 findings), one stale waiver."""
    return scan(library,
                W(id="W-OK", policy="DS-NET-003", asset="statements", approver="ciso"),
                W(id="W-OLD", policy="DS-BAK-002", expires=date(2026, 12, 31)),
                W(id="W-STALE", policy="DS-NET-003", asset="nothing-here"))


def test_json_marks_status_waiver_and_problems(mixed):
    doc = json.loads(get_reporter("json")(mixed, threshold="low"))
    by = {(f["policy_id"], f["asset_id"]): f for f in doc["findings"]}
    w = by[("DS-NET-003", STATEMENTS["id"])]
    assert w["status"] == "waived" and w["waiver"]["id"] == "W-OK"
    assert w["waiver"]["expires"] == "2027-03-31" and w["waiver"]["approver"] == "ciso"
    assert by[("DS-NET-003", LOANS["id"])]["status"] == "open"
    assert all(f["baseline"] is None for f in doc["findings"])
    s = doc["summary"]
    assert (s["findings"], s["waived"], s["failing"], s["new"]) == (4, 1, 3, None)
    probs = {p["id"]: p for p in doc["waiver_problems"]}
    assert probs["W-OLD"]["problem"] == "expired on 2026-12-31" and probs["W-OLD"]["findings"] == 2
    assert probs["W-STALE"]["problem"] == "matches no finding"
    assert doc["baseline"] is None


def test_json_fast_path_equals_the_general_encoding_with_waivers(mixed):
    for threshold in (None, "low"):
        assert get_reporter("json")(mixed, threshold=threshold) == \
            to_json(json_rep.build(mixed, threshold), 2)


def test_sarif_waived_results_are_accepted_external_suppressions_and_validate(mixed):
    doc = json.loads(get_reporter("sarif")(mixed))
    Draft7Validator(SCHEMA).validate(doc)
    Draft4Validator(SCHEMA).validate(doc)
    run = doc["runs"][0]
    sup = [x for x in run["results"] if "suppressions" in x]
    assert len(sup) == 1
    assert sup[0]["suppressions"][0]["kind"] == "external"
    assert sup[0]["suppressions"][0]["status"] == "accepted"
    assert sup[0]["suppressions"][0]["justification"] == (
        "accepted for the migration (CHG-1) (approved by ciso, expires 2027-03-31, "
        "waiver W-OK)")
    assert all("baselineState" not in x for x in run["results"])
    notes = [n for n in run["invocations"][0]["toolExecutionNotifications"]
             if n["descriptor"]["id"] == "dsscan/waiver-problem"]
    levels = {n["properties"]["id"]: n["level"] for n in notes}
    assert levels == {"W-OLD": "warning", "W-STALE": "note"}
    old = next(n for n in notes if n["properties"]["id"] == "W-OLD")
    assert "expired on 2026-12-31" in old["message"]["text"]
    assert "2 findings" in old["message"]["text"]
    assert run["properties"]["waived"] == 1
    # Waiver problems do not make the run unsuccessful: only not-assessed items do.
    assert run["invocations"][0]["executionSuccessful"] is True


def test_junit_waived_is_skipped_and_problems_have_their_own_suite(mixed):
    root = ET.fromstring(get_reporter("junit")(mixed).encode("utf-8"))
    net = next(s for s in root.findall("testsuite") if s.get("name").startswith("DS-NET-003"))
    skipped = net.findall("testcase/skipped")
    assert len(skipped) == 1 and skipped[0].get("message").startswith("waived: ")
    assert "until 2027-03-31, approved by ciso, waiver W-OK" in skipped[0].get("message")
    assert (net.get("tests"), net.get("failures"), net.get("skipped")) == ("2", "1", "1")
    waivers = next(s for s in root.findall("testsuite") if s.get("name") == "dsscan: waivers")
    cases = {c.get("name").split(":")[0]: c for c in waivers.findall("testcase")}
    old, stale = cases["waiver W-OLD"], cases["waiver W-STALE"]
    assert old.find("failure").get("type") == "waiver_problem"
    assert "expired on 2026-12-31" in old.find("failure").get("message")
    assert stale.find("skipped").get("message") == "stale waiver: matches no finding"
    assert root.get("skipped") == "2"
    assert root.get("failures") == str(len(root.findall(".//failure"))) == "4"  # 3 + W-OLD


def test_table_shows_waived_marked_problems_and_does_not_count_them_failing(mixed, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")  # wide enough for each line whole (xdist sets 80)
    out = get_reporter("table")(mixed, threshold="low")
    assert "Findings (3)" in out
    assert "Waived (1) -- accepted risks, not failing" in out
    assert "waived until 2027-03-31 (approved by ciso): accepted for the migration" in out
    assert "Waiver problems (2)" in out
    assert "expired on 2026-12-31 -- 2 findings not waived" in out
    assert "matches no finding" in out
    assert "4 findings (4 medium)" in out and "1 waived" in out
    assert "3 at or above --fail-on low" in out
    assert get_reporter("table")(mixed, color=True)  # the rich path renders too


def test_table_when_everything_is_waived_says_so(library):
    r = scan(library, W(policy="*"))
    out = get_reporter("table")(r, threshold="low")
    assert "No findings to act on (4 waived)." in out
    assert "0 at or above --fail-on low" in out


# --- CLI ------------------------------------------------------------------------------------


def test_cli_waivers_from_the_settings_file_turn_exit_one_into_zero(tmp_path):
    (tmp_path / "estate.json").write_text(json.dumps(
        {"format": "dsscan-inventory/1", "assets": [STATEMENTS]}))
    assert dsscan("scan", "inventory", "estate.json", "--no-config", cwd=tmp_path).returncode == 1
    (tmp_path / "dsscan.yaml").write_text(
        "waivers:\n"
        "  - {policy: 'DS-*', asset: statements, reason: migration, approver: ciso,\n"
        "     expires: 2999-12-31, scope: all}\n"
        "waiver_rules: {require_approver: true}\n")
    r = dsscan("scan", "inventory", "estate.json", "--config", "dsscan.yaml", "-f", "json",
               cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {f["status"] for f in doc["findings"]} == {"waived"}
    assert doc["findings"][0]["waiver"]["source"].endswith("dsscan.yaml:waivers[0]")


def test_cli_bad_waiver_in_the_settings_file_is_exit_two_one_line(tmp_path):
    (tmp_path / "estate.json").write_text(json.dumps(
        {"format": "dsscan-inventory/1", "assets": [STATEMENTS]}))
    (tmp_path / "dsscan.yaml").write_text(
        "waivers:\n  - {policy: DS-NET-003, reason: r, expires: '2027-13-01'}\n")
    r = dsscan("scan", "inventory", "estate.json", "--config", "dsscan.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert "waivers[0].expires: '2027-13-01' is not a date (YYYY-MM-DD)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_a_created_date_in_the_future_does_not_shorten_a_waiver(library):
    rules = WaiverRules(max_days=90)
    w = W(id="LONG", policy="*", created=date(2099, 1, 1), expires=date(2099, 3, 1))
    r = scan(library, w, rules=rules)
    assert waived(r) == set()
    [p] = r.waiver_problems
    assert "more than waiver_rules.max_days 90" in p["problem"] and p["findings"] == 4


@pytest.mark.parametrize("key", ["asset", "account", "region"])
def test_a_key_left_empty_is_an_error_not_a_match_for_everything(key):
    raw = [{"policy": "DS-CLS-001", key: None, "reason": "r", "expires": "2099-01-01"}]
    with pytest.raises(InputError, match=rf"waivers\[0\]\.{key}: must not be empty"):
        parse_waivers(raw, "dsscan.yaml")


# --- catch-all waivers ------------------------------------------------------------------------

LIB_IDS = ["DS-BAK-002", "DS-NET-003", "DS-ENC-001"]


@pytest.mark.parametrize(("fields", "wide"), [
    ({"policy": "*"}, ["every policy", "every asset"]),
    ({"policy": "DS-*", "asset": "statements"}, ["every policy"]),
    ({"policy": "ds-???-00?", "asset": "statements"}, ["every policy"]),
    ({"policy": "*", "asset": "statements"}, ["every policy"]),
    ({"policy": "DS-NET-003"}, ["every asset"]),
    ({"policy": "DS-NET-003", "asset": "*"}, ["every asset"]),
    ({"policy": "DS-NET-003", "asset": "**", "account": "*", "region": "*"}, ["every asset"]),
    ({"policy": "DS-NET-003", "asset": "*?"}, ["every asset"]),
    ({"policy": "DS-NET-*", "asset": "statements"}, []),
    # Globs spanning more than one duty are a waiver of every policy, piece by piece.
    ({"policy": "DS-[A-M]*", "asset": "statements"}, ["every policy"]),
    ({"policy": "DS-[!C]*", "asset": "statements"}, ["every policy"]),
    ({"policy": "DS-*-00[12]", "asset": "statements"}, ["every policy"]),
    ({"policy": "DS-NET-003", "asset": "arn:aws-cn:s3:::*"}, []),
    ({"policy": "DS-NET-003", "asset": "*", "account": "111111111111"}, []),
    ({"policy": "DS-NET-003", "region": "cn-north-1"}, []),
    ({"policy": "DS-NET-003", "asset": "loan*"}, []),
])
def test_catch_all_waivers_are_recognised(fields, wide):
    assert catch_all(W(**fields), LIB_IDS) == wide


def test_catch_all_without_scope_all_does_not_waive(library):
    r = scan(library, W(policy="DS-NET-003", scope=None))
    assert waived(r) == set()
    [p] = r.waiver_problems
    assert p["kind"] == "invalid" and p["findings"] == 2
    assert p["problem"] == ("waives every asset: write 'scope: all' to accept a waiver this "
                            "wide")
    assert all(f.gating for f in r.findings if f.policy_id == "DS-NET-003")


def test_catch_all_with_scope_all_waives_and_is_listed_in_every_format(library):
    r = scan(library, W(id="ALL", policy="*", scope="all"))
    assert len(waived(r)) == 4
    [p] = r.waiver_problems
    assert (p["kind"], p["findings"], p["scope"]) == ("catch_all", 4, "all")
    assert p["problem"] == "catch-all (scope: all): waives every policy and every asset"
    table = get_reporter("table")(r)
    assert "catch-all (scope: all)" in table and "4 findings waived" in table
    doc = json.loads(get_reporter("json")(r))
    assert doc["waiver_problems"][0]["kind"] == "catch_all"
    sarif = json.loads(get_reporter("sarif")(r))
    [note] = [n for n in sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
              if n["descriptor"]["id"] == "dsscan/waiver-problem"]
    assert note["level"] == "warning" and "waives 4 findings" in note["message"]["text"]
    junit = get_reporter("junit")(r)
    assert "catch-all waiver" in junit and 'type="waiver_problem"' not in junit


def test_catch_all_is_judged_against_the_whole_library_not_the_selected_policies(library):
    """--policy DS-NET-003 evaluates one policy: a DS-* waiver is still a catch-all."""
    result = run_scan(inventory(STATEMENTS), library, ScanOptions(include=("DS-NET-003",)))
    apply_waivers(result, [W(policy="DS-*", asset="statements", scope=None)], None,
                  today=TODAY, policy_ids=[p.id for p in library.policies])
    assert not any(f.waived for f in result.findings)
    assert result.waiver_problems[0]["problem"].startswith("waives every policy")


def test_max_days_applies_to_catch_all_waivers(library):
    r = scan(library, W(policy="*", scope="all", created=date(2027, 1, 1),
                        expires=date(2027, 12, 31)), rules=WaiverRules(max_days=90))
    assert waived(r) == set()
    assert "more than waiver_rules.max_days 90" in r.waiver_problems[0]["problem"]


def test_scope_other_than_all_is_an_error():
    with pytest.raises(InputError, match=r"waivers\[0\]\.scope: 'some' is not 'all'"):
        parse_waivers([{"policy": "*", "reason": "r", "expires": "2999-01-01",
                        "scope": "some"}], "dsscan.yaml")


def test_a_glob_matching_every_asset_of_the_run_is_a_catch_all(library):
    """``arn:aws-cn:*`` matches no Terraform address, but every asset of a live sweep."""
    db = {**STATEMENTS, "id": "arn:aws-cn:rds:cn-north-1:111111111111:db:ledger",
          "kind": "database", "name": "ledger", "network": {"publicly_accessible": True}}
    r = scan(library, W(policy="DS-NET-003", asset="arn:aws-cn:*", scope=None),
             assets=(STATEMENTS, LOANS, db))
    assert waived(r) == set()
    assert r.waiver_problems[0]["problem"].startswith("waives every asset")
    # One kind of asset only (two buckets): a pattern of buckets, not a catch-all.
    r = scan(library, W(policy="DS-NET-003", asset="arn:aws-cn:s3:::*", scope=None))
    assert len(waived(r)) == 2 and r.waiver_problems == []


@pytest.mark.parametrize("asset", ["arn:aws-cn:s3:::kyc-440305********0029", "tel-138****5678",
                                   "owner-c***@qq.com"])
def test_a_masked_id_copied_from_a_report_is_refused_as_a_waiver_pattern(asset):
    with pytest.raises(InputError, match="looks like an id copied from a report"):
        parse_waivers([{"policy": "DS-ENC-001", "asset": asset, "reason": "r",
                        "expires": "2999-01-01"}], "dsscan.yaml")


def test_ordinary_globs_are_accepted():
    ws = parse_waivers([{"policy": "DS-ENC-001", "asset": a, "reason": "r",
                         "expires": "2999-01-01"} for a in ("legacy-*", "*-2019-*", "a**b")],
                       "dsscan.yaml")
    assert len(ws) == 3
