"""Which stores an AWS Backup selection covers (scanners/iac/selection.py): AWS Backup's own
rules — resources OR selection_tag, AND every condition, minus not_resources, in the
selection's account and Region — never "resources OR tags, conditions ignored" (before issue
11 a table excluded by `string_not_equals backup = exclude` was "covered" and DS-BAK-002 was
silent)."""

from __future__ import annotations

from typing import Any

import pytest
from iac_resources import assets, res

from dsscan.scanners.iac.resources import UNTIL_APPLY

ARN = "arn:aws:dynamodb:us-east-1:111111111111:table/core-ledger"


def table(tags: dict[str, Any], **kw: Any) -> Any:
    return res("aws_dynamodb_table.t", {"name": "core-ledger", "arn": ARN,
                                        "tags": {"dsscan:level": "core", **tags},
                                        "tags_all": {"dsscan:level": "core", **tags}},
               action="no-op", **kw)


def selection(**values: Any) -> list[Any]:
    plan = res("aws_backup_plan.p", {"name": "daily"})
    sel = res("aws_backup_selection.s", {"plan_id": UNTIL_APPLY, **values},
              refs={"plan_id": ["aws_backup_plan.p"]})
    return [plan, sel]


def cond(**ops: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """condition { string_equals { key, value } ... } as the provider plans it."""
    block: dict[str, Any] = {op: [] for op in ("string_equals", "string_like",
                                                "string_not_equals", "string_not_like")}
    for op, pairs in ops.items():
        block[op] = [{"key": k, "value": v} for k, v in pairs]
    return [block]


TAG = "aws:ResourceTag/backup"
# (case, the table's tags, selection arguments, covered: True / False / None = not assessed)
CASES = [
    ("resources * alone", {}, {"resources": ["*"]}, True),
    ("resources * but not_resources names the table", {},
     {"resources": ["*"], "not_resources": [ARN]}, False),
    ("resources * but not_resources pattern of its service", {},
     {"resources": ["*"], "not_resources": ["arn:aws:dynamodb:*:*:table/*"]}, False),
    ("resources * minus another service's pattern", {},
     {"resources": ["*"], "not_resources": ["arn:aws:ec2:*:*:volume/*"]}, True),
    ("string_not_equals excludes the tagged table", {"backup": "exclude"},
     {"resources": ["*"], "condition": cond(string_not_equals=[(TAG, "exclude")])}, False),
    ("string_not_equals keeps a table with another value", {"backup": "daily"},
     {"resources": ["*"], "condition": cond(string_not_equals=[(TAG, "exclude")])}, True),
    ("string_not_equals keeps a table without the tag (IAM: absent key)", {},
     {"resources": ["*"], "condition": cond(string_not_equals=[(TAG, "exclude")])}, True),
    ("string_equals filters resources *", {"backup": "weekly"},
     {"resources": ["*"], "condition": cond(string_equals=[(TAG, "daily")])}, False),
    ("string_equals holds", {"backup": "daily"},
     {"resources": ["*"], "condition": cond(string_equals=[(TAG, "daily")])}, True),
    ("string_equals is case sensitive", {"backup": "Daily"},
     {"resources": ["*"], "condition": cond(string_equals=[(TAG, "daily")])}, False),
    ("conditions are ANDed", {"backup": "daily"},
     {"resources": ["*"], "condition": cond(string_equals=[(TAG, "daily"),
                                                            ("aws:ResourceTag/stage", "prod")])},
     False),
    ("string_like with *", {"backup": "daily-core"},
     {"resources": ["*"], "condition": cond(string_like=[(TAG, "daily*")])}, True),
    ("string_like: ? is no wildcard (covers less)", {"backup": "dailyX"},
     {"resources": ["*"], "condition": cond(string_like=[(TAG, "daily?")])}, False),
    ("string_not_like excludes", {"backup": "skip-me"},
     {"resources": ["*"], "condition": cond(string_not_like=[(TAG, "skip*")])}, False),
    ("string_not_like: ? excludes too (covers less)", {"backup": "skipX"},
     {"resources": ["*"], "condition": cond(string_not_like=[(TAG, "skip?")])}, False),
    ("a condition on the provider's default tags (tags_all)", {},
     {"resources": ["*"], "condition": cond(string_not_equals=[(TAG, "exclude")])}, "tags_all"),
    ("a condition value unknown until apply", {"backup": "exclude"},
     {"resources": ["*"], "condition": cond(string_not_equals=[(TAG, UNTIL_APPLY)])}, None),
    ("selection_tag alone selects by tag", {"backup": "daily"},
     {"selection_tag": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}]}, True),
    ("selection_tag is additive to resources (OR), not a filter", {},
     {"resources": [ARN], "selection_tag": [{"type": "STRINGEQUALS", "key": "backup",
                                             "value": "daily"}]}, True),
    ("selection_tag that does not match, no resources", {"backup": "weekly"},
     {"selection_tag": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}]}, False),
    ("a condition also filters what selection_tag selected", {"backup": "daily"},
     {"selection_tag": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}],
      "condition": cond(string_equals=[("aws:ResourceTag/stage", "prod")])}, False),
    ("an ARN pattern of another service", {}, {"resources": ["arn:aws:rds:*:*:db:*"]}, False),
    ("a selection in another Region", {}, {"resources": ["*"]}, "region"),
]


@pytest.mark.parametrize(("case", "tags", "values", "covered"), CASES,
                         ids=[c[0] for c in CASES])
def test_selection_rules(case, tags, values, covered):
    t = table(tags)
    rs = selection(**values)
    if covered == "tags_all":  # the provider's default_tags add backup = exclude
        t.values["tags_all"] = {**t.values["tags_all"], "backup": "exclude"}
        covered = False
    if covered == "region":
        rs[1].region, covered = "eu-west-1", False
    a = assets([t, *rs])["core-ledger"]
    plans = a["backup"]["plans"]
    assert plans == (["daily"] if covered else [] if covered is False else None)
    assert any(g["aspect"] == "backup" for g in a["assessment"]["gaps"]) is (covered is None)


def test_not_resources_naming_a_new_table_by_reference(tmp_path):
    """not_resources = [aws_dynamodb_table.t.arn] (unknown until apply): the table is out."""
    t = res("aws_dynamodb_table.t", {"name": "core-ledger", "arn": UNTIL_APPLY,
                                     "tags": {"dsscan:level": "core"}})
    rs = selection(resources=["*"], not_resources=[UNTIL_APPLY])
    rs[1].refs["not_resources"] = ["aws_dynamodb_table.t"]
    assert assets([t, *rs])["core-ledger"]["backup"]["plans"] == []


@pytest.mark.parametrize(("pattern", "arn", "service", "want"), [
    ("*", None, "s3", True),
    ("arn:aws:s3:::core-*", "arn:aws:s3:::core-data", "s3", True),
    ("arn:aws:s3:::core-?", "arn:aws:s3:::core-d", "s3", False),  # only * is a wildcard
    ("arn:aws:s3:::[a]*", "arn:aws:s3:::a", "s3", False),
    ("arn:aws:dynamodb:*:*:table/*", None, "dynamodb", None),
    ("arn:aws:dynamodb:*:*:table/*", None, "s3", False),
])
def test_arn_patterns(pattern, arn, service, want):
    from dsscan.scanners.iac.selection import arn_matches

    assert arn_matches(pattern, arn, service) is want


@pytest.mark.parametrize(("op", "value", "tags", "want"), [
    ("string_equals", "x", {"k": "x"}, True),
    ("string_equals", "x", {}, False),
    ("string_not_equals", "x", {}, True),
    ("string_like", "a*", {"k": "abc"}, True),
    ("string_not_like", "a*", {"k": "abc"}, False),
    ("string_not_like", "a*", {}, True),
    ("string_equals", "x", None, None),
])
def test_conditions(op, value, tags, want):
    from dsscan.scanners.iac.selection import condition_holds

    assert condition_holds(op, "aws:ResourceTag/k", value, tags) is want
