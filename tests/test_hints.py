"""Hints are commands to copy: one that redirects output never names the user's input as the
output (issue 13: `dsscan scan terraform main.tf` suggested `terraform show -json PLAN >
main.tf`, which would overwrite the source). dsscan.hints chooses the output name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_support import dsscan

from dsscan.hints import output_name, redirect

ROOT = Path(__file__).resolve().parent.parent
PLAN = (ROOT / "examples" / "terraform" / "bank" / "plan.json").read_bytes()
HCL = (b'# the bank\nterraform {\n  required_version = ">= 1.5"\n}\n\n'
       b'resource "aws_s3_bucket" "b" {\n}\n')
PLAN_TEXT = (b"Terraform used the selected providers to generate the following execution plan.\n"
             b"  # aws_s3_bucket.b will be created\nPlan: 1 to add.\n")
BINARY = b"PK\x03\x04\x14\x00\x08\x00tfplan"

# (file name, content, what the message must say it is)
CASES = [
    ("main.tf", HCL, "Terraform configuration (.tf source), not a plan"),
    ("plan.json", HCL, "Terraform configuration"),
    ("main.tfplan", BINARY, "a binary plan file"),
    ("plan.json", BINARY, "a binary plan file"),
    ("plan.json", PLAN_TEXT, "the text output of 'terraform plan'"),
    ("PLAN.JSON", PLAN_TEXT, "the text output of 'terraform plan'"),
    ("plan-2.json", PLAN_TEXT, "the text output of 'terraform plan'"),
    ("plan.json", b"Warning: deprecated\n\n" + PLAN, "2 lines before the JSON"),
    ("plan.json", PLAN[:4000], "not valid JSON"),
    ("plan.json", b"\n", "empty file"),
    ("tfplan", b"2026-12-07T04:13:08Z " + PLAN, "something precedes the JSON"),
]


@pytest.mark.parametrize("name, data, what", CASES,
                         ids=[f"{c[0]}-{c[2][:20]}" for c in CASES])
def test_a_terraform_hint_never_redirects_into_the_input(tmp_path, name, data, what):
    given = tmp_path / name
    given.write_bytes(data)
    r = dsscan("scan", "terraform", given)
    assert r.returncode == 2, r.stderr
    line = r.stderr.strip()
    assert "\n" not in line and what in line, line
    command = re.search(r"'([^']*terraform show -json [^']*)'$", line)
    assert command, f"no command to copy in: {line}"
    targets = re.findall(r">\s*(\S+)", command.group(1))
    assert targets, line
    assert all(t.lower() != name.lower() for t in targets), line
    assert given.read_bytes() == data


def test_a_binary_plan_is_named_as_the_plan_to_show(tmp_path):
    given = tmp_path / "main.tfplan"
    given.write_bytes(BINARY)
    line = dsscan("scan", "terraform", given).stderr
    assert "'terraform show -json main.tfplan > plan.json'" in line, line


@pytest.mark.parametrize("inputs, expected", [
    ((), "plan.json"),
    (("main.tf",), "plan.json"),
    (("plan.json",), "plan-2.json"),
    (("/ci/work/Plan.Json",), "plan-2.json"),
    (("plan.json", "plan-2.json"), "plan-3.json"),
])
def test_the_output_name_is_none_of_the_inputs(inputs, expected):
    assert output_name("plan.json", *inputs) == expected
    assert redirect("pulumi preview --json", "plan.json", *inputs) == \
        f"pulumi preview --json > {expected}"


# --- what to install: the SQLite sampler needs no PostgreSQL driver ---------------------------

@pytest.mark.parametrize("target, wanted, unwanted", [
    ("sqlite:///bank.db", "'sqlalchemy>=2'", "psycopg"),
    ("sqlite:////var/lib/bank.db", "'sqlalchemy>=2'", "psycopg"),
    ("postgresql://audit@db:5432/crm", "'psycopg[binary]'", "PyMySQL"),
    ("mysql://audit@db/crm", "'PyMySQL'", "psycopg"),
    ("postgresql+psycopg2://audit@db/crm", "'psycopg2-binary'", "psycopg[binary]"),
])
def test_the_missing_sqlalchemy_hint_names_only_what_the_url_needs(monkeypatch, target,
                                                                    wanted, unwanted):
    import sys

    from dsscan.errors import InputError
    from dsscan.scanners.sampling.sql import parse_url

    # SQLAlchemy not installed: a None entry makes 'import sqlalchemy...' raise ImportError.
    for name in [m for m in sys.modules if m == "sqlalchemy" or m.startswith("sqlalchemy.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(InputError) as e:
        parse_url(target)
    message = str(e.value)
    assert "needs SQLAlchemy: pip install 'sqlalchemy>=2'" in message
    assert wanted in message and unwanted not in message, message
