"""EBS volumes and snapshots (encryption, sharing), and the AMIs the account owns.

``Encrypted`` (and the key of an encrypted volume: EBS always encrypts with a named KMS key)
and a snapshot's ``VolumeId`` are members AWS always sends: read by subscript, a reply
without one is a gap, never "unencrypted" or a guessed key. An encrypted snapshot without a
key (moto names none) reads as provider-managed, the weaker key type.

An AMI (``describe_images Owners=self``) is a copy of the data on the EBS snapshots behind it:
an asset of kind ``snapshot`` (``attributes.resource_type: "ami"``) whose ``backup.backup_of``
names those snapshots and the volumes they were taken of, so that it inherits their level and
every copy rule (DS-SHR-001/002, DS-TST-004, DS-BAK-003, DS-ENC-001, DS-RET-002) judges it as
a snapshot. Its launch permissions are its readers (scanners/aws/readers.py [READ-IMAGE]) and
``access.shared_with`` (accounts, ``all``); unread: ``public`` and ``readers`` null and no
``shared_with`` (never "shared with no one"). Its encryption is its EBS mappings': encrypted
when every one is, not when one is not, unknown when one does not say.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.base import Scope, call, pages, tag_dict, when
from dsscan.scanners.aws.failures import facet
from dsscan.scanners.aws.operations import Calls, Collector
from dsscan.scanners.aws.readers import image_readers, image_shared_with

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="ebs", title="EBS",
    kinds={"volume": ("AWS::EC2::Volume",), "snapshot": ("AWS::EC2::Snapshot", "AWS::EC2::Image")},
    calls=(Calls("ec2", ("DescribeVolumes", "DescribeSnapshots", "DescribeSnapshotAttribute",
                         "DescribeImages", "DescribeImageAttribute")),),
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

    volume_of: dict[str, str] = {}  # snapshot id -> the volume it was taken of
    for s in pages(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        tags = tag_dict(s.get("Tags"))
        a = scope.asset(id=scope.arn("ec2", f"snapshot/{s['SnapshotId']}"), kind="snapshot",
                        name=tags.get("Name") or s["SnapshotId"], type="AWS::EC2::Snapshot",
                        tags=tags)
        scope.stored_encryption(a, s, "Encrypted", key_always_sent=False)
        vol = s["VolumeId"]
        if vol and vol != "vol-ffffffff":
            volume_of[s["SnapshotId"]] = vol
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

    for img in pages(ec2, "describe_images", "Images", Owners=["self"]):
        _image(scope, ec2, img, volume_of)


def _image(scope: Scope, ec2: Any, img: dict[str, Any], volume_of: dict[str, str]) -> None:
    tags = tag_dict(img.get("Tags"))
    iid = img["ImageId"]
    a = scope.asset(id=scope.arn("ec2", f"image/{iid}"), kind="snapshot",
                    name=tags.get("Name") or img.get("Name") or iid, type="AWS::EC2::Image",
                    tags=tags)
    ebs = [m["Ebs"] for m in img.get("BlockDeviceMappings") or []
           if isinstance(m, dict) and isinstance(m.get("Ebs"), dict)]
    snaps = sorted({e["SnapshotId"] for e in ebs if e.get("SnapshotId")})
    sources = [scope.arn("ec2", f"volume/{volume_of[s]}") for s in snaps if s in volume_of]
    a["backup"] = {"backup_of": sorted(set(sources)) + [scope.arn("ec2", f"snapshot/{s}")
                                                       for s in snaps],
                   "location": {"account": scope.account, "region": scope.region},
                   "automated": None, "created": when(img.get("CreationDate"))}
    flags = [e.get("Encrypted") for e in ebs]
    enabled: bool | None = (None if not flags or any(f is None for f in flags)
                            else all(f is True for f in flags))
    # One key named by every mapping, or none (two keys, or one mapping without: the
    # weaker provider-managed type, never the better mapping's key).
    keys = sorted({e.get("KmsKeyId") or "" for e in ebs})
    a["encryption"] = {"at_rest": {"enabled": None, "key_type": None, "key_id": None}}
    if enabled is not None:
        a["encryption"] = scope.encryption(a, enabled, (keys[0] or None) if enabled
                                           and len(keys) == 1 else None)
    a["attributes"] = {"resource_type": "ami", "image_id": iid, "snapshots": snaps}
    a["access"] = {"public": None, "readers": None}
    with facet(a, "access"):
        got = call(ec2, "describe_image_attribute", ImageId=iid, Attribute="launchPermission")
        perms = got["LaunchPermissions"]
        readers = image_readers(perms)
        if readers is not None:
            shared = image_shared_with(perms)
            a["access"] = {"public": "all" in shared, "shared_with": shared,
                           "readers": readers}
    scope.sink.add(a)
