"""IAM principals: roles, users and groups as ``principal`` assets with the facts DS-IAM-001
judges (``iam``), read once per account (IAM is global; the sweep calls :func:`collect_account`
from the account's home region).

Per principal: its attached managed policies (``ListAttached{Role,User,Group}Policies``; each
policy's default version read once per account by ``GetPolicy`` + ``GetPolicyVersion``, the
customer-managed and the AWS-managed alike) and its inline policies (``List{Role,User,Group}
Policies`` + ``Get{Role,User,Group}Policy``); scanners/aws/iamdoc.py turns them into
``data_access``, and a role's trust policy (in ``ListRoles``) into ``trusted``. A call that
fails, or a document that cannot be judged, leaves the fact ``null`` with an ``access`` gap on
the principal: not assessed, never "reads nothing". A listing that fails is a gap on the
account's IAM (``iam in <account>``).

Service-linked roles (path ``/aws-service-role/``) are left out and counted as skipped: only
the AWS service assumes them and only AWS can change their policies.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import Scope, call, pages
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap
from dsscan.scanners.aws.iamdoc import NotAPolicy, data_access, parse_document, trusted
from dsscan.scanners.aws.operations import Calls, Collector

INFO = Collector(
    service="iam", title="IAM",
    kinds={"principal": ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")},
    calls=(Calls("iam", ("ListRoles", "ListUsers", "ListGroups",
                         "ListAttachedRolePolicies", "ListAttachedUserPolicies",
                         "ListAttachedGroupPolicies", "ListRolePolicies", "ListUserPolicies",
                         "ListGroupPolicies", "GetRolePolicy", "GetUserPolicy",
                         "GetGroupPolicy", "GetPolicy", "GetPolicyVersion")),),
    regional=False,  # global: read once per account (sweep)
)

# principal type -> (listing, its key, name member, CloudFormation type, the per-principal
# calls' stem and parameter)
_KINDS = (
    ("role", "list_roles", "Roles", "RoleName", "AWS::IAM::Role", "role", "RoleName"),
    ("user", "list_users", "Users", "UserName", "AWS::IAM::User", "user", "UserName"),
    ("group", "list_groups", "Groups", "GroupName", "AWS::IAM::Group", "group", "GroupName"),
)
SERVICE_LINKED = "/aws-service-role/"


def collect_account(scope: Scope) -> None:
    """Every role, user and group of the scope's account."""
    iam = scope.client("iam")
    managed: dict[str, Any] = {}  # policy ARN -> document, or the ReadFailure/NotAPolicy
    for ptype, lister, key, name_key, cfn, stem, param in _KINDS:
        try:
            listed = list(pages(iam, lister, key))
        except ReadFailure as e:
            scope.sink.gap("iam in {account}", e, account=scope.account)
            continue
        for p in listed:
            if ptype == "role" and str(p.get("Path") or "").startswith(SERVICE_LINKED):
                scope.sink.skip(scope.account, scope.region, cfn,
                                "service-linked role: assumed and changed only by AWS")
                continue
            a = scope.asset(id=p["Arn"], kind="principal", name=p[name_key], type=cfn,
                            region="")
            a["region"] = None  # IAM is global
            a["iam"] = _facts(a, iam, ptype, stem, param, p, scope.account, managed)
            scope.sink.add(a)


def _facts(a: dict[str, Any], iam: Any, ptype: str, stem: str, param: str,
           listed: dict[str, Any], account: str, managed: dict[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {"principal_type": ptype, "data_access": None, "policies": None}
    name = listed[param]
    try:
        docs = _documents(iam, stem, param, name, managed)
    except ReadFailure as e:
        add_asset_gap(a, "access", e.reason)
        docs = None
    except NotAPolicy as e:
        add_asset_gap(a, "access", f"a policy of the {ptype} cannot be judged: {e}")
        docs = None
    if docs is not None:
        facts["policies"] = len(docs)
        try:
            facts["data_access"] = data_access(docs, account)
        except NotAPolicy as e:
            add_asset_gap(a, "access", f"a policy of the {ptype} cannot be judged: {e}")
    if ptype == "role":
        facts["trusted"] = None
        try:
            facts["trusted"] = trusted(parse_document(listed.get("AssumeRolePolicyDocument")))
        except NotAPolicy as e:
            add_asset_gap(a, "access", f"the role's trust policy cannot be judged: {e}")
    return facts


def _documents(iam: Any, stem: str, param: str, name: str, managed: dict[str, Any]
               ) -> list[tuple[str, Any]]:
    """``(via, document)`` of every attached managed and inline policy of one principal."""
    docs: list[tuple[str, Any]] = []
    for att in pages(iam, f"list_attached_{stem}_policies", "AttachedPolicies", **{param: name}):
        arn = att["PolicyArn"]
        if arn not in managed:
            try:
                managed[arn] = _managed(iam, arn)
            except (ReadFailure, NotAPolicy) as e:
                managed[arn] = e
        doc = managed[arn]
        if isinstance(doc, ReadFailure | NotAPolicy):
            raise doc
        docs.append((f"policy {att.get('PolicyName') or arn}", doc))
    for pname in pages(iam, f"list_{stem}_policies", "PolicyNames", **{param: name}):
        raw = call(iam, f"get_{stem}_policy", **{param: name, "PolicyName": pname})
        docs.append((f"inline policy {pname}", parse_document(raw.get("PolicyDocument"))))
    return docs


def _managed(iam: Any, arn: str) -> Any:
    """The default version of a managed policy (customer- or AWS-managed)."""
    version = call(iam, "get_policy", PolicyArn=arn)["Policy"].get("DefaultVersionId")
    if not isinstance(version, str):
        raise NotAPolicy("the managed policy names no default version")
    got = call(iam, "get_policy_version", PolicyArn=arn, VersionId=version)
    return parse_document(got["PolicyVersion"].get("Document"))
