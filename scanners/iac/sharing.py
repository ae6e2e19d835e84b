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
