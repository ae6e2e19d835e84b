"""Who may read a store: its resource policy, a snapshot's share list, read the same way for
live AWS, Terraform and Pulumi (no AWS calls here). DS-SHR-001/002 judge the result, after
dsscan/sharerel.py has placed each reader inside or outside the institution and its legal
entities.

A store's readers are ``access.readers``: a list of ``{"principal", "account", "via",
"anyone"}`` (and ``org`` for an organisation), the shape of ``kms.decrypters``
(scanners/aws/keydoc.py); ``null`` when the policy could not be read or judged.

* ``[READ-POLICY]`` a resource policy is read by keydoc's rules (principals, ``*`` confined by
  account / organisation / network conditions, ``NotPrincipal``, ``…IfExists``), for the
  service's read actions (``READ_ACTIONS``): an ``Allow`` whose ``Action`` matches one of them
  (``s3:Get*``, ``dynamodb:*``, ``*``), or whose ``NotAction`` leaves one of them allowed. The
  actions are those that give the data, and those that let a principal give itself them
  (writing the resource policy), as keydoc's [KMS-PATHS] for a key.
* ``[READ-AP]`` a bucket policy delegating to access points (``*`` confined by
  ``s3:DataAccessPointAccount`` or ``s3:DataAccessPointArn``) lets that account's access
  points read: a reader of that account. The policies of the bucket's own access points (the
  live sweep's and the plan's) are read as well, each reader ``via "access point <name>
  policy"``: whom they let read through a delegation is a reader of the bucket (whether the
  bucket policy delegates is not asked: a reader too many is a finding to check, as
  [READ-DENY]); one that cannot be read leaves the bucket's readers unknown.
* ``[READ-DENY]`` ``Deny`` statements are not subtracted: a principal an ``Allow`` names stays a
  reader even when a ``Deny`` may refuse it (a finding to check, never a wrong pass).
* ``[READ-SHARE]`` a snapshot shared with accounts (``access.shared_with``: RDS, EBS, Redshift,
  from the collectors and the IaC readers): each account is a reader ``via "snapshot share"``;
  ``all`` (public) is anyone. Derived in dsscan/sharerel.py when ``access.readers`` is absent.
* ``[READ-IMAGE]`` an AMI's launch permissions (``describe_image_attribute``,
  ``aws_ami_launch_permission``): an account is a reader ``via "image share"``, ``Group: all``
  anyone, an organisation or organizational unit ARN one principal ``{"principal": "*
  (organization o-...)", "account": null, "org": "o-..."}`` as keydoc's [KMS-ORG] (an OU
  counts as its whole organisation: which accounts it holds is not read); an ARN whose
  organisation cannot be read is a principal of no account (outside).
* ``[READ-SELF]`` no policy (``None``): only the store's own account (nothing listed).
* ``[FAIL-CLOSED]`` a document that is not a policy: ``None`` (not assessed), never "no one".
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.keydoc import NotAPolicy, policy_principals

__all__ = ["READ_ACTIONS", "image_readers", "image_shared_with", "policy_readers", "share_readers"]

# [READ-POLICY] By service: the actions that read the data (lowercased, as IAM matches them).
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "s3": ("s3:getobject", "s3:getobjectversion", "s3:putbucketpolicy"),
    "dynamodb": ("dynamodb:getitem", "dynamodb:batchgetitem", "dynamodb:query",
                 "dynamodb:scan", "dynamodb:partiqlselect",
                 "dynamodb:exporttabletopointintime", "dynamodb:putresourcepolicy"),
    "backup": ("backup:copyfrombackupvault", "backup:startrestorejob",
               "backup:getrecoverypointrestoremetadata",
               "backup:putbackupvaultaccesspolicy"),
}

# How each document is named in a reader's ``via``.
_VIA = {"s3": "bucket policy", "dynamodb": "resource policy", "backup": "vault access policy"}


def policy_readers(policy: Any, service: str, via: str | None = None
                   ) -> list[dict[str, Any]] | None:
    """[READ-POLICY] The principals a store's resource policy lets read it (``service``: one of
    ``READ_ACTIONS``; ``via``: how the document is named, the service's by default); ``None``
    when the document is not a policy ([FAIL-CLOSED])."""
    try:
        return policy_principals(policy, READ_ACTIONS[service], service, via or _VIA[service])
    except NotAPolicy:
        return None


def share_readers(shared_with: list[Any]) -> list[dict[str, Any]]:
    """[READ-SHARE] The readers of a snapshot shared with ``shared_with`` (account ids, or
    ``all``)."""
    out: list[dict[str, Any]] = []
    for x in sorted({str(v) for v in shared_with}):
        if x == "all":
            out.append({"principal": "*", "account": None, "via": "snapshot share (public)",
                        "anyone": True})
        else:
            out.append({"principal": x, "account": x if x.isdigit() and len(x) == 12 else None,
                        "via": "snapshot share", "anyone": False})
    return out


def _org_of(arn: str) -> str | None:
    """The organisation id an Organizations organisation or OU ARN names
    (``arn:aws:organizations::ACCOUNT:organization/o-x``, ``...:ou/o-x/ou-y``)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "organizations":
        return None
    path = parts[5].split("/")
    if len(path) >= 2 and path[0] in ("organization", "ou") and path[1].startswith("o-"):
        return path[1]
    return None


def image_readers(perms: list[Any]) -> list[dict[str, Any]] | None:
    """[READ-IMAGE] The readers of an AMI from its launch permissions (the API's
    ``LaunchPermissions`` shape: ``UserId`` / ``Group`` / ``OrganizationArn`` /
    ``OrganizationalUnitArn``); ``None`` when an entry is not one of them."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for p in perms:
        if not isinstance(p, dict):
            return None
        user, group = p.get("UserId"), p.get("Group")
        org_arn, ou_arn = p.get("OrganizationArn"), p.get("OrganizationalUnitArn")
        if isinstance(group, str) and group == "all":
            e = {"principal": "*", "account": None, "via": "image share (public)",
                 "anyone": True}
        elif isinstance(user, str) and user:
            e = {"principal": user, "account": user if user.isdigit() and len(user) == 12
                 else None, "via": "image share", "anyone": False}
        elif isinstance(org_arn, str) or isinstance(ou_arn, str):
            arn = org_arn if isinstance(org_arn, str) else ou_arn
            org = _org_of(arn)  # type: ignore[arg-type]
            if org is None:
                e = {"principal": str(arn), "account": None, "via": "image share",
                     "anyone": False}
            else:
                unit = ("organization " + org if isinstance(org_arn, str)
                        else "organizational unit " + str(arn).rsplit("/", 1)[-1])
                e = {"principal": f"* ({unit})", "account": None, "via": "image share",
                     "anyone": False, "org": org}
        else:
            return None
        out[(e["principal"], e["via"])] = e
    return [out[k] for k in sorted(out)]


def image_shared_with(perms: list[Any]) -> list[str]:
    """The accounts (and ``all``) an AMI is shared with, as a snapshot's
    ``access.shared_with`` (organisations are readers only: ``shared_with`` holds account ids
    or ``all``)."""
    out = {p.get("UserId") for p in perms if isinstance(p, dict) and p.get("UserId")}
    if any(isinstance(p, dict) and p.get("Group") == "all" for p in perms):
        out.add("all")
    return sorted(str(x) for x in out)
