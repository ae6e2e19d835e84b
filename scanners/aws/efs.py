"""EFS file systems: encryption, mount targets (network placement), backup policy.

``Encrypted``, the key of an encrypted file system and each mount target's VPC are members
AWS always sends: read by subscript, a reply without one is a gap on the facet it decides.
"""

from __future__ import annotations

from dsscan.scanners.aws.base import Scope, call, pages, tag_dict
from dsscan.scanners.aws.failures import ReadFailure, facet
from dsscan.scanners.aws.operations import Calls, Collector

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="efs", title="EFS",
    kinds={"file_system": ("AWS::EFS::FileSystem",)},
    calls=(Calls("efs", ("DescribeFileSystems", "DescribeMountTargets",
                         "DescribeMountTargetSecurityGroups", "DescribeBackupPolicy")),),
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
