"""Who may read a store described by Terraform or Pulumi (DS-SHR-001/002): the readers of
the resource policy documents that may be the store's, by scanners/aws/readers.py's rules
(the same reading as a live sweep's).

``None`` (not assessed) when a document is unknown until apply, is not a policy, or when a
policy resource may be the store's but which store it is for is not known (``unsure``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dsscan.scanners.aws.readers import policy_readers
from dsscan.scanners.iac.resources import is_unknown
from dsscan.scanners.iac.values import as_json

__all__ = ["documents_readers"]


def documents_readers(raws: Iterable[Any], service: str,
                      unsure: bool = False) -> list[dict[str, Any]] | None:
    """The readers of every document in ``raws`` (plan values: a JSON string or object,
    possibly unknown); ``None`` when one cannot be read or ``unsure``."""
    if unsure:
        return None
    out: list[dict[str, Any]] = []
    for raw in raws:
        if is_unknown(raw):
            return None
        doc = raw if isinstance(raw, dict) else as_json(raw)
        got = policy_readers(doc, service) if doc is not None else None
        if got is None:
            return None
        out.extend(got)
    return out


# AWS RAM: the resource types a share can expose whose data dsscan maps (Aurora clusters,
# backup vaults), and the resources that make a share.
RAM_SHAREABLE = ("aws_rds_cluster", "aws_backup_vault")
_RESOURCE_ASSOC = ("aws_ram_resource_association",)
_PRINCIPAL_ASSOC = ("aws_ram_principal_association",)


def ram_readers(mapper: Any) -> None:
    """Add to each shareable store's ``access.readers`` the principals of the AWS RAM shares
    the plan associates it with (``aws_ram_resource_association`` -> ``aws_ram_resource_share``
    <- ``aws_ram_principal_association``), as a live sweep's scanners/aws/ram.py does. A share,
    association or principal that is unknown until apply (or may be this store's) leaves the
    readers unknown."""
    from dsscan.scanners.aws.ram import reader
    from dsscan.scanners.iac.resources import IacResource

    for aid, r in list(mapper.assets_of.items()):
        if r.type not in RAM_SHAREABLE:
            continue
        a = mapper.assets[aid]
        access = a.get("access")
        if not isinstance(access, dict):
            access = a["access"] = {}
        hits, unsure = mapper.linked(a, r, _RESOURCE_ASSOC, ("resource_arn",), aspect="access",
                                     what="share {target} through AWS RAM")
        found: list[dict[str, Any]] | None = [] if not unsure else None
        for assoc in hits:
            share = mapper.plan.ref(assoc, "resource_share_arn", "aws_ram_resource_share")
            if not isinstance(share, IacResource) or found is None:
                found = None
                continue
            via = f"RAM resource share {share.values.get('name') or share.address}"
            principals, maybe = mapper.linked(a, share, _PRINCIPAL_ASSOC,
                                              ("resource_share_arn",), aspect="access",
                                              what="name who {target} is shared with")
            values = [p.values.get("principal") for p in principals]
            if maybe or any(is_unknown(v) or not isinstance(v, str) for v in values):
                found = None
                continue
            found.extend(reader(v, via) for v in values)
        if found is None:
            access["readers"] = None
        elif found or "readers" not in access:
            existing = access.get("readers", [])
            if isinstance(existing, list):
                access["readers"] = [*existing, *found]
