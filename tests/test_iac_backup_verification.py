"""Terraform/Pulumi facts for provable backups (issue 14, items 4 and 6): which stores an
``aws_backup_restore_testing_selection`` covers (scanners/iac/restores.py), and per
replication target whether delete markers are replicated (scanners/iac/s3.py), each pinned by
a table of cases, compliant, violating, unknown and edge shapes."""

from __future__ import annotations

from typing import Any

import pytest
from iac_resources import assets, part, res

from dsscan.scanners.iac.resources import UNTIL_APPLY

ARN = "arn:aws:dynamodb:us-east-1:111111111111:table/core-ledger"


def table(tags: dict[str, Any] | None = None, arn: Any = ARN) -> Any:
    t = {"dsscan:level": "core", **(tags or {})}
    return res("aws_dynamodb_table.t", {"name": "core-ledger", "arn": arn, "tags": t,
                                        "tags_all": t}, action="no-op")


def selection(**values: Any) -> list[Any]:
    plan = res("aws_backup_restore_testing_plan.p", {"name": "monthly"})
    sel = res("aws_backup_restore_testing_selection.s",
              {"name": "tables", "restore_testing_plan_name": UNTIL_APPLY,
               "protected_resource_type": "DynamoDB", **values},
              refs={"restore_testing_plan_name": ["aws_backup_restore_testing_plan.p"]})
    return [plan, sel]


def conditions(**ops: list[tuple[str, str]]) -> list[dict[str, Any]]:
    block: dict[str, Any] = {"string_equals": [], "string_not_equals": []}
    for op, pairs in ops.items():
        block[op] = [{"key": f"aws:ResourceTag/{k}", "value": v} for k, v in pairs]
    return [block]


# (case, the table's tags, selection arguments, covered: True / False / None = not assessed)
CASES = [
    ("every resource of its type", {}, {"protected_resource_arns": ["*"]}, True),
    ("its ARN", {}, {"protected_resource_arns": [ARN]}, True),
    ("another table's ARN", {}, {"protected_resource_arns": [ARN + "-2"]}, False),
    ("another resource type", {}, {"protected_resource_type": "RDS",
                                   "protected_resource_arns": ["*"]}, False),
    ("a type unknown until apply", {}, {"protected_resource_type": UNTIL_APPLY,
                                        "protected_resource_arns": ["*"]}, None),
    ("string_equals holds", {"restore": "yes"},
     {"protected_resource_arns": ["*"],
      "protected_resource_conditions": conditions(string_equals=[("restore", "yes")])}, True),
    ("string_equals fails", {"restore": "no"},
     {"protected_resource_arns": ["*"],
      "protected_resource_conditions": conditions(string_equals=[("restore", "yes")])}, False),
    ("string_not_equals excludes", {"restore": "skip"},
     {"protected_resource_arns": ["*"],
      "protected_resource_conditions": conditions(string_not_equals=[("restore", "skip")])},
     False),
    ("string_not_equals holds for a table without the tag", {},
     {"protected_resource_arns": ["*"],
      "protected_resource_conditions": conditions(string_not_equals=[("restore", "skip")])},
     True),
    ("a condition value unknown until apply", {"restore": "yes"},
     {"protected_resource_arns": ["*"], "protected_resource_conditions": conditions(
         string_equals=[("restore", UNTIL_APPLY)])}, None),
    ("ARNs unknown until apply that no reference explains", {},
     {"protected_resource_arns": UNTIL_APPLY}, None),
    ("no selection at all", {}, None, False),
]


@pytest.mark.parametrize(("case", "tags", "values", "covered"), CASES,
                         ids=[c[0] for c in CASES])
def test_restore_testing_selection_rules(case, tags, values, covered):
    rs = selection(**values) if values is not None else []
    a = assets([table(tags), *rs])["core-ledger"]
    rv = a["backup"]["restore_verification"]
    assert rv["restore_jobs"] == "not_in_input"
    assert rv["last_successful_restore"] is None
    assert rv["testing_selections"] == (["monthly/tables"] if covered else
                                        [] if covered is False else None)
    assert any(g["aspect"] == "backup" for g in a["assessment"]["gaps"]) is (covered is None)


def test_a_new_table_named_by_reference_is_covered_and_only_it():
    t = table(arn=UNTIL_APPLY)
    other = res("aws_dynamodb_table.o", {"name": "other", "arn": UNTIL_APPLY,
                                         "tags": {"dsscan:level": "core"}})
    rs = selection(protected_resource_arns=[UNTIL_APPLY])
    rs[1].refs["protected_resource_arns"] = ["aws_dynamodb_table.t"]
    got = assets([t, other, *rs])
    assert got["core-ledger"]["backup"]["restore_verification"]["testing_selections"] == [
        "monthly/tables"]
    assert got["other"]["backup"]["restore_verification"]["testing_selections"] == []


# --- delete-marker replication per target ----------------------------------------------------

def buckets() -> list[Any]:
    return [res("aws_s3_bucket.src", {"bucket": "src", "tags": {"dsscan:level": "core"}}),
            res("aws_s3_bucket.dst", {"bucket": "dst"})]


def rule(**kw: Any) -> dict[str, Any]:
    return {"id": "r", "status": "Enabled", "destination": [{"bucket": "arn:aws:s3:::dst"}],
            **kw}


DMR = [
    ("disabled (V2)", [rule(filter=[{}], delete_marker_replication=[{"status": "Disabled"}])],
     "Disabled"),
    ("enabled (V2)", [rule(filter=[{}], delete_marker_replication=[{"status": "Enabled"}])],
     "Enabled"),
    ("a V1 rule (no filter) replicates them", [rule(prefix="")], "Enabled"),
    ("V2 without the element: unknown", [rule(filter=[{}])], None),
    ("a status unknown until apply", [rule(filter=[{}], delete_marker_replication=[
        {"status": UNTIL_APPLY}])], None),
    ("the weakest rule decides", [
        rule(filter=[{"prefix": "a"}], delete_marker_replication=[{"status": "Disabled"}]),
        rule(filter=[{"prefix": "b"}], delete_marker_replication=[{"status": "Enabled"}])],
     "Enabled"),
    ("a disabled rule replicates nothing", [
        rule(filter=[{}], delete_marker_replication=[{"status": "Disabled"}]),
        {**rule(filter=[{}], delete_marker_replication=[{"status": "Enabled"}]),
         "status": "Disabled"}], "Disabled"),
]


@pytest.mark.parametrize(("case", "rules", "want"), DMR, ids=[c[0] for c in DMR])
def test_delete_marker_replication_of_split_configuration(case, rules, want):
    rep = part("aws_s3_bucket_replication_configuration.r", {"role": "r", "rule": rules},
               bucket="aws_s3_bucket.src")
    attrs = assets([*buckets(), rep])["src"]["attributes"]
    # keyed as replication_targets names the target (the relations stage matches it to dst)
    assert attrs["replication_delete_markers"] == {attrs["replication_targets"][0]: want}


@pytest.mark.parametrize(("inline", "want"), [
    ({"delete_marker_replication_status": "Enabled", "filter": [{}]}, "Enabled"),
    ({"filter": [{}]}, "Disabled"),  # legacy inline: omitted means disabled
    ({"prefix": ""}, "Enabled"),     # V1
])
def test_delete_marker_replication_of_the_legacy_inline_block(inline, want):
    src = res("aws_s3_bucket.src", {"bucket": "src", "tags": {"dsscan:level": "core"},
                                    "replication_configuration": [{"role": "r", "rules": [{
                                        "id": "r", "status": "Enabled",
                                        "destination": [{"bucket": "arn:aws:s3:::dst"}],
                                        **inline}]}]})
    attrs = assets([src, res("aws_s3_bucket.dst", {"bucket": "dst"})])["src"]["attributes"]
    assert attrs["replication_delete_markers"] == {attrs["replication_targets"][0]: want}
