"""Parameter groups read once per account and region (DS-TRN-001): many instances and
clusters share one group, and each group is hundreds of parameters over several pages.

A group that cannot be read is remembered as such: every store using it gets the same gap,
and the group is not asked for again.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from dsscan.scanners.aws.base import pages, read_once
from dsscan.scanners.aws.failures import ReadFailure


class ParameterGroups:
    """Values of the parameter groups of one account and region, by (operation, group):
    ``describe_db_parameters`` (DBParameterGroupName), ``describe_db_cluster_parameters``
    (DBClusterParameterGroupName) or ``describe_cluster_parameters`` (Redshift,
    ParameterGroupName)."""

    _NAME: ClassVar[dict[str, str]] = {"describe_db_parameters": "DBParameterGroupName",
                                       "describe_db_cluster_parameters":
                                           "DBClusterParameterGroupName",
                                       "describe_cluster_parameters": "ParameterGroupName"}

    def __init__(self, client: Any) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._read: dict[tuple[str, str], dict[str, Any] | ReadFailure] = {}

    def values(self, method: str, group: str) -> dict[str, Any]:
        """name -> value (None: listed without a value); ReadFailure when unreadable."""
        def read() -> dict[str, Any]:
            return {p["ParameterName"]: p.get("ParameterValue")
                    for p in pages(self.client, method, "Parameters",
                                   **{self._NAME[method]: group})}

        with self._lock:
            return read_once(self._read, (method, group), read)


def db_in_transit(a: dict[str, Any], groups: ParameterGroups, method: str, mechanism: str,
                  group: str | None, engine: str | None) -> dict[str, Any]:
    """``encryption.in_transit`` of an RDS instance or cluster from its (cluster) parameter
    group; a group that cannot be read is a gap on the encryption facet."""
    from dsscan.scanners.aws.failures import add_asset_gap
    from dsscan.scanners.aws.transport import db_parameter, from_parameters, unread

    param = db_parameter(engine)
    if param is None:
        return from_parameters(None, None, mechanism, group, engine)
    if not group:
        add_asset_gap(a, "encryption", "the reply names no parameter group")
        return unread(mechanism, "no parameter group is named", setting=param)
    try:
        values = groups.values(method, group)
    except ReadFailure as e:
        add_asset_gap(a, "encryption", e.reason)
        return from_parameters(None, param, mechanism, group, engine)
    return from_parameters(values, param, mechanism, group, engine)
