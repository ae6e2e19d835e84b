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

from planted import Planted
from planted_scenarios import aws_scenario, check, describe, files_scenario, sqlite_scenario


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
