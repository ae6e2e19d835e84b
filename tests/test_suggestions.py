"""'Did you mean' for names that match nothing (commands, policy ids, asset names), and
`dsscan inventory explain`'s readable summary, --json and --no-config (issue 13 item 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import dsscan

from dsscan.suggest import close_matches, did_you_mean

ROOT = Path(__file__).resolve().parent.parent
ESTATE = ROOT / "examples" / "bank-estate.json"
CATALOGUE = ROOT / "examples" / "catalogue.yaml"


@pytest.mark.parametrize("argv, typo, meant", [
    (["scna"], "scna", "scan"),
    (["scan", "terrafom", "plan.json"], "terrafom", "terraform"),
    (["polices", "list"], "polices", "policies"),
    (["policies", "lsit"], "lsit", "list"),
    (["config", "shwo"], "shwo", "show"),
    (["inventory", "explian", "x.json", "y"], "explian", "explain"),
    (["inventory", "terrafrom", "plan.json"], "terrafrom", "terraform"),
    (["baseline", "craete"], "craete", "create"),
    (["baseline", "create", "invetory", "x.json"], "invetory", "inventory"),
])
def test_a_mistyped_command_says_which_was_meant(argv, typo, meant):
    r = dsscan(*argv)
    assert r.returncode == 2
    line = r.stderr.strip()
    assert "\n" not in line and f"No such command '{typo}'" in line, line
    assert f"did you mean '{meant}'" in line, line


def test_a_command_like_nothing_gets_no_guess():
    r = dsscan("xyzzy")
    assert r.returncode == 2 and "No such command 'xyzzy'" in r.stderr
    assert "did you mean" not in r.stderr


@pytest.mark.parametrize("flag, pattern, meant", [
    ("--policy", "DS-BAK-01", "DS-BAK-001"),
    ("--policy", "ds-bak-0001", "DS-BAK-001"),
    ("--skip-policy", "DS-ENC-01", "DS-ENC-001"),
])
def test_a_policy_id_that_matches_nothing_says_which_was_meant(flag, pattern, meant):
    r = dsscan("scan", "inventory", ESTATE, "--no-config", flag, pattern)
    assert r.returncode == 2
    line = r.stderr.strip()
    assert f"'{pattern}' matches no policy" in line and f"'{meant}'" in line, line
    assert "dsscan policies list" in line


def test_policies_show_of_an_unknown_id_says_which_was_meant():
    r = dsscan("policies", "show", "DS-CLS-01")
    assert r.returncode == 2
    assert "no policy 'DS-CLS-01'; did you mean 'DS-CLS-001'" in r.stderr, r.stderr


def test_an_asset_name_that_matches_nothing_says_which_was_meant():
    r = dsscan("inventory", "explain", ESTATE, "core-ledgr", "--no-config")
    assert r.returncode == 2
    assert "no asset with id or name 'core-ledgr'; did you mean 'core-ledger'" in r.stderr


def test_explain_prints_a_summary_by_default_and_the_record_with_json():
    args = ("inventory", "explain", ESTATE, "core-ledger", "--no-config",
            "--catalogue", CATALOGUE)
    summary = dsscan(*args)
    assert summary.returncode == 0, summary.stderr
    lines = summary.stdout.splitlines()
    assert lines[0] == "core-ledger (database, AWS::RDS::DBInstance)"
    fields = {ln.split()[0] for ln in lines[1:] if ln.startswith("  ")}
    assert {"id", "where", "level", "environment", "assessed", "encryption",
            "network", "backup"} <= fields, summary.stdout
    level = next(ln for ln in lines if ln.split()[:1] == ["level"])
    assert "core, from tag dsscan:level=core; catalogue CAT-CORE-LEDGER" in level
    record = json.loads(dsscan(*args, "--json").stdout)
    assert record["level"]["value"] == "core" and record["ctx"]["domain"]["name"] == "prod-core"


def test_explain_and_classify_accept_no_config(tmp_path, monkeypatch):
    # A settings file found upward that would change the verdict: --no-config ignores it.
    (tmp_path / ".dsscan.yaml").write_text("level_tag_keys: [nothing-here]\n")
    monkeypatch.chdir(tmp_path)
    found = dsscan("inventory", "explain", ESTATE, "core-ledger", "--json")
    ignored = dsscan("inventory", "explain", ESTATE, "core-ledger", "--json",
                            "--no-config")
    classified = dsscan("inventory", "classify", ESTATE, "--no-config")
    assert json.loads(found.stdout)["level"]["value"] != "core"
    assert json.loads(ignored.stdout)["level"]["value"] == "core"
    assert classified.returncode == 0, classified.stderr


def test_close_matches_ignore_case_and_keep_the_spelling():
    assert close_matches("datalevel", ["DataLevel", "environment"]) == ["DataLevel"]
    assert did_you_mean("zzz", ["scan", "demo"]) == ""


@pytest.mark.parametrize("command", [["scan", "inventory"], ["scan", "terraform"], ["demo"]])
def test_fail_on_help_says_never_still_exits_three_on_an_incomplete_scan(command):
    r = dsscan(*command, "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    fail_on = text[text.index("--fail-on ["):]
    assert "'never': findings never fail the run, but an incomplete scan still exits 3" \
        in fail_on, fail_on[:600]
