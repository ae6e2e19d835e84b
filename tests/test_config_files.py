"""Where settings come from (.dsscan.yaml upward, [tool.dsscan], --config, flags) and what
`dsscan config show` says about it."""

from __future__ import annotations

import json

import pytest
from cli_support import COMPLIANT_BUCKET, dsscan, write_inventory

from dsscan.config_files import find_config, load_effective_config
from dsscan.errors import InputError

PUBLIC_BUCKET = {**COMPLIANT_BUCKET, "access": {"public": True, "wildcard_principal": False}}


def test_nearest_settings_file_upward_wins(tmp_path):
    (tmp_path / ".dsscan.yaml").write_text("fail_on: high\n")
    svc = tmp_path / "services" / "ledger"
    svc.mkdir(parents=True)
    assert find_config(svc) == tmp_path / ".dsscan.yaml"
    (tmp_path / "services" / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n\n[tool.dsscan]\nfail-on = 'core'\n")
    assert find_config(svc) == tmp_path / "services" / "pyproject.toml"
    cfg = load_effective_config(start=svc)
    assert cfg.fail_on == "core"
    assert cfg.origins["fail_on"].endswith("pyproject.toml [tool.dsscan]")


def test_pyproject_without_a_dsscan_table_is_passed_over(tmp_path):
    (tmp_path / ".dsscan.yaml").write_text("fail_on: important\n")
    sub = tmp_path / "pkg"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    assert find_config(sub) == tmp_path / ".dsscan.yaml"


def test_no_discovery_gives_defaults(tmp_path, monkeypatch):
    (tmp_path / ".dsscan.yaml").write_text("fail_on: never\n")
    assert load_effective_config(start=tmp_path, discover=False).fail_on == "low"
    monkeypatch.setenv("DSSCAN_NO_CONFIG", "1")
    assert load_effective_config(start=tmp_path).fail_on == "low"


def test_relative_paths_resolve_against_the_settings_file(tmp_path):
    (tmp_path / ".dsscan.yaml").write_text(
        "catalogue: cat.yaml\npolicy_dirs: [rego]\nstore: hist/runs.sqlite\n"
        "baseline: .dsscan-baseline.json\nopa_url: http://127.0.0.1:8181\n"
        "reports: [table, {format: sarif, output: out/dsscan.sarif}]\n")
    cfg = load_effective_config(start=tmp_path / "nowhere-below")
    assert cfg.catalogue == str(tmp_path / "cat.yaml")
    assert cfg.policy_dirs == [str(tmp_path / "rego")]
    assert cfg.store == str(tmp_path / "hist" / "runs.sqlite")
    assert cfg.baseline == str(tmp_path / ".dsscan-baseline.json")
    assert cfg.opa_url == "http://127.0.0.1:8181"
    assert cfg.reports == [{"format": "table", "output": None},
                           {"format": "sarif", "output": str(tmp_path / "out" / "dsscan.sarif")}]


@pytest.mark.parametrize("text, fragment", [
    ("fail_on: sometimes\n", "fail_on 'sometimes' is not one of"),
    ("opa_timeout: -1\n", "'opa_timeout' must be a positive number"),
    ("allowed_regions: cn-north-1\n", "'allowed_regions' must be a list"),
    ("reports: [{format: sarif, to: x}]\n", "reports[0] must be a format name"),
    ("policy_dir: [x]\n", "unknown setting 'policy_dir'"),
])
def test_bad_new_settings_are_one_line_errors(tmp_path, text, fragment):
    (tmp_path / ".dsscan.yaml").write_text(text)
    with pytest.raises(InputError) as e:
        load_effective_config(start=tmp_path)
    assert fragment in str(e.value) and ".dsscan.yaml" in str(e.value)
    assert "\n" not in str(e.value)


def test_broken_pyproject_table_names_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.dsscan]\nfail-on = \n")
    with pytest.raises(InputError, match=r"pyproject\.toml: not valid TOML"):
        load_effective_config(tmp_path / "pyproject.toml")


def test_config_show_says_where_each_value_came_from(tmp_path):
    (tmp_path / ".dsscan.yaml").write_text("# bank settings\n\nfail_on: high\n"
                                           "allowed_regions: [cn-north-1]\n")
    r = dsscan("config", "show", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(ln.startswith("fail_on: high  # ") and ln.endswith(".dsscan.yaml:3")
               for ln in lines), r.stdout
    assert any(ln.startswith("allowed_regions: [cn-north-1]  # ") and ln.endswith(":4")
               for ln in lines)
    assert any(ln.startswith("backup_separation: account_or_region  # default") for ln in lines)
    doc = json.loads(dsscan("config", "show", "--format", "json", cwd=tmp_path).stdout)
    assert doc["settings"]["fail_on"] == "high" and doc["origins"]["test_environments"] == "default"


def test_config_show_rejects_an_invalid_file_with_exit_two(tmp_path):
    (tmp_path / ".dsscan.yaml").write_text("fail_on: [high\n")
    r = dsscan("config", "show", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "not valid YAML at line" in r.stderr
    assert "Traceback" not in r.stderr


def test_config_init_writes_a_starter_that_show_accepts(tmp_path):
    assert dsscan("config", "init", cwd=tmp_path).returncode == 0
    assert dsscan("config", "show", cwd=tmp_path).returncode == 0
    again = dsscan("config", "init", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_discovered_fail_on_applies_and_the_flag_overrides_it(tmp_path):
    inv = write_inventory(tmp_path / "pub.json", PUBLIC_BUCKET)  # a medium finding
    assert dsscan("scan", "inventory", inv, cwd=tmp_path).returncode == 1
    (tmp_path / ".dsscan.yaml").write_text("fail_on: high\n")
    assert dsscan("scan", "inventory", inv, cwd=tmp_path).returncode == 0
    assert dsscan("scan", "inventory", inv, "--fail-on", "medium", cwd=tmp_path).returncode == 1
    assert dsscan("scan", "inventory", inv, "--no-config", cwd=tmp_path).returncode == 1


def test_report_defaults_come_from_the_settings(tmp_path):
    inv = write_inventory(tmp_path / "ok.json", COMPLIANT_BUCKET)
    (tmp_path / ".dsscan.yaml").write_text(
        "reports: [table, {format: sarif, output: reports/dsscan.sarif}]\n")
    r = dsscan("scan", "inventory", inv, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "0 findings" in r.stdout
    sarif = json.loads((tmp_path / "reports" / "dsscan.sarif").read_text())
    assert sarif["version"] == "2.1.0"


def test_unknown_report_format_in_settings_is_exit_two_before_scanning(tmp_path):
    inv = write_inventory(tmp_path / "ok.json", COMPLIANT_BUCKET)
    (tmp_path / ".dsscan.yaml").write_text("reports: [pdf]\n")
    r = dsscan("scan", "inventory", inv, cwd=tmp_path)
    assert r.returncode == 2 and "'pdf'" in r.stderr


def test_allowed_regions_make_overseas_copies_findings(tmp_path):
    overseas = {**COMPLIANT_BUCKET, "id": "arn:aws:s3:::statements-sg", "name": "statements-sg",
                "region": "ap-southeast-1"}
    inv = write_inventory(tmp_path / "inv.json", COMPLIANT_BUCKET, overseas)
    r = dsscan("scan", "inventory", inv, "-f", "json", cwd=tmp_path)
    assert r.returncode == 0  # compliant otherwise; DS-XBR-001 is not evaluated, and
    policies = [p["id"] for p in json.loads(r.stdout)["policies"]]  # never shown as passed
    assert "DS-XBR-001" not in policies and "DS-ENC-001" in policies
    (tmp_path / ".dsscan.yaml").write_text("allowed_regions: [cn-north-1, cn-northwest-1]\n")
    r = dsscan("scan", "inventory", inv, "--policy", "DS-XBR-001", "-f", "json", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    found = json.loads(r.stdout)["findings"]
    assert [(f["policy_id"], f["asset_name"]) for f in found] == [("DS-XBR-001", "statements-sg")]
    assert found[0]["evidence"]["region"] == "ap-southeast-1"


def test_impossible_unquoted_date_is_a_one_line_error(tmp_path):
    (tmp_path / ".dsscan.yaml").write_text(
        "waivers:\n  - {policy: DS-BAK-002, reason: r, expires: 2027-13-01}\n")
    r = dsscan("config", "show", cwd=tmp_path)
    assert r.returncode == 2 and "not valid YAML (month must be in 1..12)" in r.stderr
    assert "internal error" not in r.stderr


def test_the_documented_example_settings_are_valid_and_name_every_setting():
    """docs/config.md's example is what users copy: it must load, and cover every key."""
    import dataclasses
    import re
    from pathlib import Path

    import yaml

    from dsscan.config import Config, config_from_mapping

    doc = (Path(__file__).resolve().parents[1] / "docs" / "config.md").read_text("utf-8")
    (block,) = re.findall(r"```yaml\n(.*?)```", doc, re.S)
    raw = yaml.safe_load(block)
    cfg = config_from_mapping(raw, "docs/config.md")
    assert cfg.waivers and cfg.waiver_rules is not None
    fields = {f.name for f in dataclasses.fields(Config)} - {"source_path", "origins"}
    assert fields - set(raw) == set()


@pytest.mark.parametrize("name, text, fragment", [
    (".dsscan.yaml", "1: a\nabc: b\n", "unknown setting '1'"),
    (".dsscan.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 128 levels deep"),
    (".dsscan.yaml", "accounts:\n  012345670123: {environment: production}\n",
     "quote the account id"),
    (".dsscan.yaml", "opa_timeout: .nan\n", "'.nan' is not a number dsscan reads"),
    (".dsscan.yaml", "environment_synonyms: {perf: tset}\n", "environment_synonyms.perf"),
    (".dsscan.yaml", "level_synonyms: {restricted: importnat}\n", "level_synonyms.restricted"),
    ("pyproject.toml", "[tool.dsscan]\nfail-on = 'high'\nfail_on = 'low'\n", "set twice"),
])
def test_odd_settings_are_one_line_errors_in_config_show(tmp_path, name, text, fragment):
    (tmp_path / name).write_text(text)
    r = dsscan("config", "show", cwd=tmp_path)
    assert r.returncode == 2 and fragment in r.stderr, r.stderr
    assert "internal error" not in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.parametrize("content", [b"tool = 1\n", b"tool = ['dsscan']\n",
                                     b"name = '\xff'\n"])
def test_an_unrelated_odd_pyproject_is_passed_over(tmp_path, content):
    (tmp_path / "pyproject.toml").write_bytes(content)
    r = dsscan("config", "show", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "defaults only" in r.stdout


def test_fail_on_in_the_settings_is_case_insensitive_like_the_flag(tmp_path):
    (tmp_path / ".dsscan.yaml").write_text("fail_on: HIGH\n")
    assert load_effective_config(start=tmp_path).fail_on == "high"


def test_config_show_masks_identifiers_and_passwords(tmp_path):
    (tmp_path / ".dsscan.yaml").write_text(
        "store: postgresql://hist:s3cret@127.0.0.1:5432/runs\n"
        "waivers:\n  - policy: DS-NET-003\n    asset: cust-11010519491231002X\n"
        "    reason: complaint 13812345678\n    approver: ops\n    expires: 2099-01-01\n")
    for fmt in ("yaml", "json"):
        r = dsscan("config", "show", "--format", fmt, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        for secret in ("11010519491231002X", "13812345678", "s3cret"):
            assert secret not in r.stdout, (fmt, secret)
        assert "110105********002X" in r.stdout and "127.0.0.1:5432/runs" in r.stdout
