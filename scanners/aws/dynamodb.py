"""DynamoDB tables (SSE, point-in-time recovery, resource policy, global-table replicas) and
their on-demand backups.

A global table (version 2019.11.21) keeps a replica in each region DescribeTable's
``Replicas`` names: ``replicas: [{id, region}]``, the id being the replica's table ARN in
that region (same account, same name). A replica in a region the sweep reads is an asset of
its own; one elsewhere is judged by DS-XBR-001 through ``ctx.replicas_outside``. The replicas
belong to the backup facet (copies of the data): when DescribeTable cannot be read, or a
replica names no region, that facet is a gap — never "no replicas".
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import (
    Asset,
    Scope,
    call,
    malformed,
    pages,
    resource_policy,
    tag_dict,
    when,
)
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap, facet
from dsscan.scanners.aws.operations import Calls, Collector
from dsscan.scanners.aws.policydoc import judge
from dsscan.scanners.aws.readers import policy_readers
from dsscan.scanners.aws.transport import from_policy, unread

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="dynamodb", title="DynamoDB",
    kinds={"table": ("AWS::DynamoDB::Table",), "backup": ("AWS::DynamoDB::Backup",)},
    calls=(Calls("dynamodb", ("ListTables", "DescribeTable", "DescribeContinuousBackups",
                              "ListTagsOfResource", "ListBackups", "GetResourcePolicy")),),
)


def collect(scope: Scope) -> None:
    ddb = scope.client("dynamodb")
    for name in pages(ddb, "list_tables", "TableNames"):
        arn = scope.arn("dynamodb", f"table/{name}")
        a = scope.asset(id=arn, kind="table", name=name, type="AWS::DynamoDB::Table")
        a["network"] = None
        a["encryption"] = {"at_rest": {"enabled": None, "key_type": None, "key_id": None}}
        a["backup"] = {"native": {"enabled": None, "point_in_time_recovery": None}}
        t: Any = None
        try:
            t = call(ddb, "describe_table", TableName=name)["Table"]
        except ReadFailure as e:
            # DescribeTable decides the encryption and the replicas (backup facet) alike.
            add_asset_gap(a, "encryption", e.reason)
            add_asset_gap(a, "backup", e.reason)
        if t is not None:
            a["id"] = t.get("TableArn") or arn
            with facet(a, "encryption"):
                _encryption(scope, a, t)
            with facet(a, "backup"):
                a["replicas"] = _replicas(scope, t, name)
        with facet(a, "tags"):
            a["tags"] = tag_dict(list(pages(ddb, "list_tags_of_resource", "Tags",
                                            ResourceArn=a["id"])))
        # Tables are reached through DynamoDB's public endpoint: the resource policy decides
        # who may read them (public unless AWS would call the policy non-public).
        a["access"] = {"public": None, "wildcard_principal": None, "readers": None}
        # DynamoDB's endpoints accept HTTP: only a policy denying aws:SecureTransport=false
        # refuses plaintext (DS-TRN-001). The same document, read once, decides both.
        a["encryption"]["in_transit"] = unread("resource_policy", "the table resource "
                                               "policy could not be read",
                                               setting="aws:SecureTransport")
        with facet(a, "access"):
            try:
                doc = resource_policy(ddb, "get_resource_policy", {"PolicyNotFoundException"},
                                      ResourceArn=a["id"])
            except ReadFailure as e:
                add_asset_gap(a, "encryption", e.reason)
                raise
            a["encryption"]["in_transit"] = from_policy(doc, "resource_policy", "dynamodb")
            verdict = judge(doc, "dynamodb")
            a["access"] = {"public": verdict.public,
                           "wildcard_principal": verdict.wildcard_principal,
                           "readers": policy_readers(doc, "dynamodb")}  # DS-SHR-001/002
            if verdict.public is None:
                add_asset_gap(a, "access", "the table resource policy could not be judged: "
                                           f"{verdict.reasons[0]}")
        with facet(a, "backup"):
            cb = call(ddb, "describe_continuous_backups", TableName=name)
            pitr = (cb["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription")
                    or {}).get("PointInTimeRecoveryStatus") == "ENABLED"
            a["backup"] = {"native": {"enabled": pitr, "point_in_time_recovery": pitr}}
        scope.sink.add(a)

    for b in pages(ddb, "list_backups", "BackupSummaries"):
        a = scope.asset(id=b["BackupArn"], kind="backup",
                        name=b.get("BackupName") or b["BackupArn"], type="AWS::DynamoDB::Backup")
        # On-demand backups live with the table, in the same account and region, encrypted
        # with the table's key.
        a["encryption"] = {"at_rest": {"enabled": None, "key_type": None, "key_id": None}}
        a["backup"] = {"backup_of": [b["TableArn"]] if b.get("TableArn") else [],
                       "location": {"account": scope.account, "region": scope.region},
                       "automated": None, "created": when(b.get("BackupCreationDateTime"))}
        a["attributes"] = {"backup_type": None}
        with facet(a, "backup"):  # BackupType: always sent
            a["attributes"]["backup_type"] = b["BackupType"]
            a["backup"]["automated"] = b["BackupType"] != "USER"
        scope.sink.add(a)


def _encryption(scope: Scope, a: Asset, t: Any) -> None:
    sse = t.get("SSEDescription") or {}
    if sse.get("Status") in ("ENABLED", "UPDATING") and sse.get("SSEType") == "KMS":
        # KMS without a key ARN is the AWS-managed aws/dynamodb key.
        a["encryption"] = scope.encryption(
            a, True, sse.get("KMSMasterKeyArn") or "alias/aws/dynamodb")
    else:  # no SSE description: encrypted with an AWS-owned key (always on)
        a["encryption"] = scope.encryption(a, True, None)


def _replicas(scope: Scope, t: Any, name: str) -> list[dict[str, Any]]:
    """The table's global-table replicas in other regions (``Replicas``: sent for global
    tables only, so absent is none). Each names its region (RegionName, always sent: a
    replica without it is a malformed reply, a gap on the backup facet)."""
    out: dict[str, dict[str, Any]] = {}
    for r in t.get("Replicas") or []:
        region = r["RegionName"]
        if not isinstance(region, str) or not region:
            raise malformed(r, "RegionName is not a region name")
        if region != scope.region:
            # Same account, same name, in the replica's region.
            out[region] = {"id": scope.arn("dynamodb", f"table/{name}", region=region),
                           "region": region}
    return [out[r] for r in sorted(out)]
