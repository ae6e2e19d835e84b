"""IAM principals a Terraform plan or Pulumi stack creates (DS-IAM-001), in Terraform's
vocabulary (Pulumi's ``aws:iam/*`` resources arrive translated):

* ``aws_iam_role`` (its ``assume_role_policy``, ``inline_policy`` blocks and
  ``managed_policy_arns``), ``aws_iam_user`` and ``aws_iam_group`` are ``principal`` assets.
* Their policies: ``aws_iam_{role,user,group}_policy`` (inline) and
  ``aws_iam_{role,user,group}_policy_attachment`` naming them, whose ``policy_arn`` is an
  ``aws_iam_policy`` of the plan (its ``policy``) or an AWS managed policy
  (``arn:aws:iam::aws:policy/...``: the documents of the common ones ship in
  ``AWS_MANAGED``; another is not known: not assessed). Documents built by
  ``aws_iam_policy_document`` data sources reach the plan as JSON text when Terraform could read
  them, else unknown.
* Read by scanners/aws/iamdoc.py as the live scanner reads them. A document, a policy ARN or an
  attachment target known only after apply — or an attachment that may name the principal
  (its reference cannot be traced) — leaves ``data_access`` (or ``trusted``) ``null`` with an
  ``access`` gap: not assessed, never "reads nothing". ``aws_iam_policy_attachment``
  (exclusive attachment to lists of principals) is read the same way.
"""

from __future__ import annotations

import json
from typing import Any

from dsscan.scanners.aws.iamdoc import NotAPolicy, data_access, parse_document, trusted
from dsscan.scanners.iac.resources import IacResource, configured, is_unknown
from dsscan.scanners.iac.values import as_str

Asset = dict[str, Any]
PRINCIPAL_TYPES = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group"}
IAM_CONFIG_TYPES = (
    "aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy",
    "aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment",
    "aws_iam_group_policy_attachment", "aws_iam_policy_attachment",
)
# principal type -> (inline policy type, attachment type, the attribute naming the principal)
_LINKS = {
    "aws_iam_role": ("aws_iam_role_policy", "aws_iam_role_policy_attachment", "role", "roles"),
    "aws_iam_user": ("aws_iam_user_policy", "aws_iam_user_policy_attachment", "user", "users"),
    "aws_iam_group": ("aws_iam_group_policy", "aws_iam_group_policy_attachment", "group",
                      "groups"),
}

_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
# AWS managed policies a plan names by ARN, trimmed to the statements that decide
# DS-IAM-001 (their published documents; tests/test_iac_iam.py holds them to the fixtures
# copied from AWS, tests/fixtures/iam_managed/).
AWS_MANAGED: dict[str, dict[str, Any]] = {
    "AdministratorAccess": {"Statement": [_ALL]},
    "PowerUserAccess": {"Statement": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
         "Resource": "*"}]},
    "ReadOnlyAccess": {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "dynamodb:BatchGet*", "dynamodb:Describe*", "dynamodb:Get*", "dynamodb:List*",
        "dynamodb:PartiQLSelect", "dynamodb:Query", "dynamodb:Scan", "kms:Describe*",
        "kms:Get*", "kms:List*", "s3:Get*", "s3:List*", "rds:Describe*",
        "redshift:Describe*"]}]},
    "AmazonS3ReadOnlyAccess": {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*",
        "s3-object-lambda:List*"]}]},
    "AmazonS3FullAccess": {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "s3:*", "s3-object-lambda:*"]}]},
    "AmazonDynamoDBReadOnlyAccess": {"Statement": [{"Effect": "Allow", "Resource": "*",
                                                    "Action": [
        "dynamodb:BatchGetItem", "dynamodb:Describe*", "dynamodb:List*", "dynamodb:GetItem",
        "dynamodb:Query", "dynamodb:Scan", "dynamodb:PartiQLSelect", "kms:DescribeKey",
        "kms:ListAliases"]}]},
    "AmazonDynamoDBFullAccess": {"Statement": [{"Effect": "Allow", "Resource": "*",
                                                "Action": ["dynamodb:*", "kms:DescribeKey",
                                                           "kms:ListAliases"]}]},
    "ViewOnlyAccess": {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "dynamodb:DescribeTable", "dynamodb:ListTables", "kms:ListKeys", "s3:ListAllMyBuckets",
        "s3:ListBucket", "s3:GetBucketLocation", "rds:Describe*", "redshift:Describe*"]}]},
}


def aws_managed(arn: str) -> dict[str, Any] | None:
    """The document of an AWS managed policy by its ARN (any partition, any path)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4] == "aws":
        return AWS_MANAGED.get(parts[5].rsplit("/", 1)[-1])
    return None


class _Unknown(Exception):
    """A document or reference known only after apply (the reason says which)."""


class IamMapping:
    """Mixed into mapping.Mapper (which provides ``plan``, ``gap_text``, ``linked``,
    ``asset``)."""

    plan: Any
    gap_text: Any
    linked: Any
    asset: Any

    def principal(self, r: IacResource) -> None:
        ptype = PRINCIPAL_TYPES[r.type]
        a = self.asset(r, "principal", as_str(r.values.get("name")) or r.name)
        facts: dict[str, Any] = {"principal_type": ptype, "data_access": None,
                                 "policies": None}
        try:
            docs = self._documents(a, r)
            facts["policies"] = len(docs)
            facts["data_access"] = data_access(docs, r.account)
        except _Unknown as e:
            self.gap_text(a, "access", f"not assessed until apply: {e}")
        except NotAPolicy as e:
            self.gap_text(a, "access", f"a policy of {r.address} cannot be judged: {e}")
        if ptype == "role":
            facts["trusted"] = None
            raw = configured(r.values.get("assume_role_policy"))
            if is_unknown(raw):
                self.gap_text(a, "access", f"not assessed until apply: the trust policy of "
                                           f"{r.address} is not known before apply")
            else:
                try:
                    facts["trusted"] = trusted(parse_document(raw))
                except NotAPolicy as e:
                    self.gap_text(a, "access", f"the trust policy of {r.address} cannot be "
                                               f"judged: {e}")
        a["iam"] = facts

    def _documents(self, a: Asset, r: IacResource) -> list[tuple[str, Any]]:
        inline_type, attach_type, attr, plural = _LINKS[r.type]
        docs: list[tuple[str, Any]] = []
        for block in _blocks(r.values.get("inline_policy")):
            docs.append((f"inline policy {as_str(block.get('name')) or r.address}",
                         _doc(block.get("policy"), f"an inline policy of {r.address}")))
        arns = configured(r.values.get("managed_policy_arns"))
        if is_unknown(arns) or (isinstance(arns, list) and any(is_unknown(x) for x in arns)):
            raise _Unknown(f"the managed_policy_arns of {r.address} are not known before apply")
        for arn in arns if isinstance(arns, list) else []:
            docs.append(self._managed(r, arn, f"{r.address}.managed_policy_arns"))
        inline, maybe_inline = self.linked(a, r, (inline_type,), (attr,), aspect=None,
                                           what="grant {target} a policy")
        attached, maybe_attached = self.linked(a, r, (attach_type,), (attr,), aspect=None,
                                               what="attach a policy to {target}")
        shared, maybe_shared = self.linked(a, r, ("aws_iam_policy_attachment",), (plural,),
                                           aspect=None, what="attach a policy to {target}")
        maybe = [*maybe_inline, *maybe_attached, *maybe_shared]
        if maybe:
            raise _Unknown(f"{maybe[0].address} may grant {r.address} a policy; which "
                           "principal it is for is not known before apply")
        for p in inline:
            docs.append((f"inline policy {as_str(p.values.get('name')) or p.address}",
                         _doc(p.values.get("policy"), f"the policy of {p.address}")))
        for att in [*attached, *shared]:
            target = self.plan.ref(att, "policy_arn", "aws_iam_policy")
            docs.append(self._managed(att, target, f"{att.address}.policy_arn"))
        return docs

    def _managed(self, holder: IacResource, target: Any, what: str) -> tuple[str, Any]:
        if isinstance(target, IacResource):
            if target.type != "aws_iam_policy":
                raise _Unknown(f"{what} names {target.address}, not a policy")
            return (f"policy {as_str(target.values.get('name')) or target.address}",
                    _doc(target.values.get("policy"), f"the policy of {target.address}"))
        arn = as_str(target) if not is_unknown(target) else None
        if arn is None:
            raise _Unknown(f"{what} is not known before apply")
        doc = aws_managed(arn)
        if doc is None:
            raise _Unknown(f"{what} names a policy this input does not hold ({arn}): its "
                           "document is known only in the account")
        return (f"policy {arn.rsplit('/', 1)[-1]}", doc)


def _blocks(v: Any) -> list[dict[str, Any]]:
    v = configured(v)
    if is_unknown(v):
        raise _Unknown("an inline_policy block is not known before apply")
    # an empty block (``inline_policy {}``) removes the inline policies: no document
    return [b for b in v if isinstance(b, dict) and b.get("policy") not in (None, "")] \
        if isinstance(v, list) else []


def _doc(raw: Any, what: str) -> Any:
    raw = configured(raw)
    if is_unknown(raw) or raw is None:
        raise _Unknown(f"{what} is not known before apply")
    if isinstance(raw, dict):  # Pulumi: a policy given as an object
        return json.loads(json.dumps(raw, default=str))
    return parse_document(raw)
