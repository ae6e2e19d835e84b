"""IAM principals of a Terraform plan or Pulumi stack (scanners/iac/iam.py): what is read, and
what is not known before apply (not assessed, never "reads nothing"). The AWS managed policies
a plan names by ARN are judged from AWS_MANAGED, held here to the documents trimmed from AWS
(tests/fixtures/iam_managed/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from iac_resources import assets, res

from dsscan.scanners.aws.iamdoc import data_access
from dsscan.scanners.iac.iam import AWS_MANAGED, aws_managed
from dsscan.scanners.iac.resources import UNTIL_APPLY, Unknown

A = "123456789012"
MANAGED = Path(__file__).parent / "fixtures" / "iam_managed"
EC2 = json.dumps({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                 "Principal": {"Service": "ec2.amazonaws.com"}}]})
READ_ALL = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                      "Resource": "*"}]})
ROLE = "aws_iam_role.r"


def role(**values: Any) -> Any:
    return res(ROLE, {"name": "r", "assume_role_policy": EC2, **values}, account=A)


def inline(policy: Any, refs: dict[str, list[str]] | None = None, **values: Any) -> Any:
    return res("aws_iam_role_policy.p", {"name": "p", "role": "r", "policy": policy, **values},
               refs={"role": [ROLE]} if refs is None else refs, account=A)


def attach(arn: Any, refs: dict[str, list[str]] | None = None) -> Any:
    return res("aws_iam_role_policy_attachment.a", {"role": "r", "policy_arn": arn},
               refs={"role": [ROLE], **(refs or {})}, account=A)


def policy(doc: Any) -> Any:
    return res("aws_iam_policy.m", {"name": "m", "policy": doc, "arn": UNTIL_APPLY}, account=A)


# (case, resources, data_access actions or None (not assessed), trusted known)
CASES = [
    ("no policy", [role()], set(), True),
    ("inline policy resource", [role(), inline(READ_ALL)], {"s3:GetObject"}, True),
    ("inline_policy block", [role(inline_policy=[{"name": "x", "policy": READ_ALL}])],
     {"s3:GetObject"}, True),
    ("an empty inline_policy block removes them", [role(inline_policy=[{"name": "",
                                                                          "policy": ""}])],
     set(), True),
    ("Pulumi: a policy given as an object",
     [role(), inline(json.loads(READ_ALL))], {"s3:GetObject"}, True),
    ("AWS managed by ARN", [role(), attach("arn:aws:iam::aws:policy/AdministratorAccess")],
     None, True),  # replaced below: every data action
    ("AWS managed with a path, aws-cn",
     [role(), attach("arn:aws-cn:iam::aws:policy/job-function/ViewOnlyAccess")], set(), True),
    ("managed_policy_arns", [role(managed_policy_arns=[
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])],
     {"s3:GetObject", "s3:GetObjectVersion"}, True),
    ("a customer policy of the plan",
     [role(), policy(READ_ALL), attach(UNTIL_APPLY, {"policy_arn": ["aws_iam_policy.m"]})],
     {"s3:GetObject"}, True),
    # not known before apply
    ("inline document unknown", [role(), inline(UNTIL_APPLY)], None, True),
    ("customer policy document unknown",
     [role(), policy(UNTIL_APPLY), attach(UNTIL_APPLY, {"policy_arn": ["aws_iam_policy.m"]})],
     None, True),
    ("policy_arn unknown, untraceable", [role(), attach(UNTIL_APPLY, {"policy_arn": []})],
     None, True),
    ("an AWS managed policy dsscan does not hold",
     [role(), attach("arn:aws:iam::aws:policy/AmazonMacieFullAccess")], None, True),
    ("a customer policy outside the plan",
     [role(), attach(f"arn:aws:iam::{A}:policy/elsewhere")], None, True),
    ("an attachment that may be this role's",
     [role(), inline(READ_ALL, refs={"role": []}, role=UNTIL_APPLY)], None, True),
    ("managed_policy_arns unknown", [role(managed_policy_arns=UNTIL_APPLY)], None, True),
    ("trust policy unknown", [role(assume_role_policy=UNTIL_APPLY)], set(), False),
    ("trust policy not a policy", [role(assume_role_policy="{}")], set(), False),
    ("computed inline_policy is not configured",
     [role(inline_policy=Unknown("computed"))], set(), True),
]


@pytest.mark.parametrize("tool", ["terraform", "pulumi"])
@pytest.mark.parametrize(("case", "resources", "actions", "trust_known"), CASES,
                         ids=[c[0] for c in CASES])
def test_iac_principals(tool: str, case: str, resources: list[Any], actions: set[str] | None,
                        trust_known: bool) -> None:
    for r in resources:
        r.tool = tool
    p = assets(resources, tool)["r"]
    facts = p["iam"]
    assert p["kind"] == "principal" and facts["principal_type"] == "role"
    if case == "AWS managed by ARN":
        assert len(facts["data_access"]) == 14
    elif actions is None:
        assert facts["data_access"] is None
        assert any(g["aspect"] == "access" for g in p["assessment"]["gaps"])
    else:
        assert {g["action"] for g in facts["data_access"]} == actions
    assert (facts["trusted"] is not None) == trust_known


@pytest.mark.parametrize("rtype", ["aws_iam_user", "aws_iam_group"])
def test_users_and_groups(rtype: str) -> None:
    stem = rtype.removeprefix("aws_iam_")
    p = res(f"{rtype}.u", {"name": "u"}, account=A)
    pol = res(f"aws_iam_{stem}_policy.p", {"name": "p", stem: "u", "policy": READ_ALL},
              refs={stem: [f"{rtype}.u"]}, account=A)
    a = assets([p, pol])["u"]
    assert a["iam"]["principal_type"] == stem and "trusted" not in a["iam"]
    assert [g["action"] for g in a["iam"]["data_access"]] == ["s3:GetObject"]


def test_policy_attachment_to_lists() -> None:
    shared = res("aws_iam_policy_attachment.all", {
        "name": "all", "roles": ["r"], "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        refs={"roles": [ROLE]}, account=A)
    a = assets([role(), shared])["r"]
    assert {g["action"].split(":")[0] for g in a["iam"]["data_access"]} == {"s3", "dynamodb"}


@pytest.mark.parametrize("name", sorted(p.stem for p in MANAGED.glob("*.json")))
def test_aws_managed_table_agrees_with_the_published_documents(name: str) -> None:
    published = json.loads((MANAGED / f"{name}.json").read_text())
    assert aws_managed(published["arn"].replace("arn:aws:", "arn:aws-cn:")) is AWS_MANAGED[name]
    def actions(doc: Any) -> list[str]:
        return [g["action"] for g in data_access([("x", doc)], A)]

    assert actions(AWS_MANAGED[name]) == actions(published["document"])
