"""EFS file systems: encryption, mount targets (network placement), backup policy.

``Encrypted``, the key of an encrypted file system and each mount target's VPC are members
AWS always sends: read by subscript, a reply without one is a gap on the facet it decides.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import Asset, Scope, call, pages, resource_policy, tag_dict
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap, facet
from dsscan.scanners.aws.operations import Calls, Collector
from dsscan.scanners.aws.transport import from_policy, unread

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="efs", title="EFS",
    kinds={"file_system": ("AWS::EFS::FileSystem",)},
    calls=(Calls("efs", ("DescribeFileSystems", "DescribeMountTargets",
                         "DescribeMountTargetSecurityGroups", "DescribeBackupPolicy",
                         "DescribeFileSystemPolicy")),),  # DS-TRN-001
)


def collect(scope: Scope) -> None:
    efs = scope.client("efs")
    for fs in pages(efs, "describe_file_systems", "FileSystems"):
        fid = fs["FileSystemId"]
        tags = tag_dict(fs.get("Tags"))
        a = scope.asset(id=fs.get("FileSystemArn") or scope.arn("elasticfilesystem",
                                                                  f"file-system/{fid}"),
                        kind="file_system", name=fs.get("Name") or tags.get("Name") or fid,
                        type="AWS::EFS::FileSystem", tags=tags)
        scope.stored_encryption(a, fs, "Encrypted")
        a["encryption"]["in_transit"] = _in_transit(a, efs, fid)
        a["network"] = {"vpc_id": None, "subnets": [], "security_groups": [],
                        "publicly_accessible": False}
        a["access"] = {"public": False}
        with facet(a, "network"):
            targets = list(pages(efs, "describe_mount_targets", "MountTargets",
                                 FileSystemId=fid))
            groups: set[str] = set()
            for t in targets:
                groups |= set(call(efs, "describe_mount_target_security_groups",
                                   MountTargetId=t["MountTargetId"])["SecurityGroups"])
            vpcs = sorted({t["VpcId"] for t in targets})
            a["network"].update(vpc_id=vpcs[0] if vpcs else None,
                                subnets=sorted({t["SubnetId"] for t in targets}),
                                security_groups=sorted(groups))
        a["backup"] = {"native": {"enabled": None}}
        with facet(a, "backup"):
            try:
                status = call(efs, "describe_backup_policy",
                              FileSystemId=fid)["BackupPolicy"]["Status"]
            except ReadFailure as e:
                if e.code != "PolicyNotFound":
                    raise
                status = "DISABLED"
            a["backup"] = {"native": {"enabled": status in ("ENABLED", "ENABLING")}}
        scope.sink.add(a)


def _in_transit(a: Asset, efs: Any, fid: str) -> dict[str, Any]:
    """The file-system policy: does it deny every request made without TLS? No policy
    (PolicyNotFound) admits plaintext mounts; one that cannot be read is a gap."""
    try:
        return from_policy(resource_policy(efs, "describe_file_system_policy",
                                           {"PolicyNotFound"}, FileSystemId=fid),
                           "file_system_policy", "efs")
    except ReadFailure as e:
        add_asset_gap(a, "encryption", e.reason)
        return unread("file_system_policy", "the file system policy could not be read",
                      setting="aws:SecureTransport")
