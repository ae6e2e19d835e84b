"""EBS volumes and snapshots (encryption, sharing).

``Encrypted`` (and the key of an encrypted volume: EBS always encrypts with a named KMS key)
and a snapshot's ``VolumeId`` are members AWS always sends: read by subscript, a reply
without one is a gap, never "unencrypted" or a guessed key. An encrypted snapshot without a
key (moto names none) reads as provider-managed, the weaker key type.
"""

from __future__ import annotations

from dsscan.scanners.aws.base import Scope, call, pages, tag_dict, when
from dsscan.scanners.aws.failures import facet
from dsscan.scanners.aws.operations import Calls, Collector

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="ebs", title="EBS",
    kinds={"volume": ("AWS::EC2::Volume",), "snapshot": ("AWS::EC2::Snapshot",)},
    calls=(Calls("ec2", ("DescribeVolumes", "DescribeSnapshots", "DescribeSnapshotAttribute")),),
)


def collect(scope: Scope) -> None:
    ec2 = scope.client("ec2")
    for v in pages(ec2, "describe_volumes", "Volumes"):
        tags = tag_dict(v.get("Tags"))
        a = scope.asset(id=scope.arn("ec2", f"volume/{v['VolumeId']}"), kind="volume",
                        name=tags.get("Name") or v["VolumeId"], type="AWS::EC2::Volume",
                        tags=tags)
        scope.stored_encryption(a, v, "Encrypted")
        a["network"] = None
        a["backup"] = {"native": {"enabled": False}}
        a["attributes"] = {"attached_to": sorted(x["InstanceId"] for x in v.get("Attachments")
                                                 or [] if x.get("InstanceId")),
                           "volume_type": v.get("VolumeType")}
        scope.sink.add(a)

    for s in pages(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        tags = tag_dict(s.get("Tags"))
        a = scope.asset(id=scope.arn("ec2", f"snapshot/{s['SnapshotId']}"), kind="snapshot",
                        name=tags.get("Name") or s["SnapshotId"], type="AWS::EC2::Snapshot",
                        tags=tags)
        scope.stored_encryption(a, s, "Encrypted", key_always_sent=False)
        vol = s["VolumeId"]
        # vol-ffffffff marks a snapshot copied from elsewhere: its source is not a volume here.
        a["backup"] = {"backup_of": [scope.arn("ec2", f"volume/{vol}")]
                       if vol and vol != "vol-ffffffff" else [],
                       "location": {"account": scope.account, "region": scope.region},
                       "automated": None, "created": when(s.get("StartTime"))}
        a["access"] = {"public": None, "shared_with": []}
        with facet(a, "access"):
            got = call(ec2, "describe_snapshot_attribute", SnapshotId=s["SnapshotId"],
                       Attribute="createVolumePermission")
            perms = got["CreateVolumePermissions"]
            who = sorted({p.get("UserId") or p.get("Group") for p in perms} - {None})
            a["access"] = {"public": "all" in who, "shared_with": who}
        scope.sink.add(a)
