"""AMIs from Terraform and Pulumi (``aws_ami``, ``aws_ami_from_instance``, ``aws_ami_copy``)
and who may launch them (``aws_ami_launch_permission``), as a live sweep reads them
(scanners/aws/ebs.py): an asset of kind ``snapshot`` with ``attributes.resource_type: "ami"``,
a copy (``backup.backup_of``) of the snapshots an ``aws_ami`` registers, of the instance's
volumes an ``aws_ami_from_instance`` images, of the AMI an ``aws_ami_copy`` copies; its readers
from the launch permissions by scanners/aws/readers.py's [READ-IMAGE].

Unknown until apply — a permission's account, group or organisation, or which AMI a permission
is for — leaves the AMI's readers (and, unless it is known public, ``public``) unknown: not
assessed, never "shared with no one".
"""

from __future__ import annotations

import copy
from typing import Any

from dsscan.scanners.aws.readers import image_readers, image_shared_with
from dsscan.scanners.iac.keys import KEY_TYPES
from dsscan.scanners.iac.resources import IacResource, configured, is_unknown
from dsscan.scanners.iac.stores import a_name
from dsscan.scanners.iac.values import as_str, blocks

Asset = dict[str, Any]

AMI_TYPES = ("aws_ami", "aws_ami_from_instance", "aws_ami_copy")
PERMISSION_TYPES = ("aws_ami_launch_permission",)
# The launch permission's attributes, by the API member they stand for.
_PERMISSION = (("account_id", "UserId"), ("group", "Group"),
               ("organization_arn", "OrganizationArn"),
               ("organizational_unit_arn", "OrganizationalUnitArn"))


class AmiMapping:
    """Mixed into mapping.Mapper."""

    plan: Any
    assets: dict[str, Asset]
    asset: Any
    gap: Any
    gap_text: Any
    encryption: Any
    linked: Any

    def ami(self, r: IacResource) -> None:
        a = self.asset(r, "snapshot", as_str(r.values.get("name")) or a_name(r))
        sources: list[str] = []
        if r.type == "aws_ami":
            for b in blocks(r.values, "ebs_block_device"):
                sid = b.get("snapshot_id")
                hit = self.plan.find_by_value(sid, ("aws_ebs_snapshot",)) \
                    if isinstance(sid, str) and sid else None
                if hit is not None:
                    sources.append(hit.address)
            if not sources:  # references (unknown ids until apply)
                sources = [x.address for x in self.plan.candidates(
                    r, "ebs_block_device.snapshot_id", ("aws_ebs_snapshot",))]
        elif r.type == "aws_ami_from_instance":
            inst = self.plan.ref(r, "source_instance_id", "aws_instance")
            if isinstance(inst, IacResource):
                sources = sorted(i for i, b in self.assets.items()
                                 if i.startswith(f"{inst.address}.") and b["kind"] == "volume")
        else:
            src = self.plan.ref(r, "source_ami_id", *AMI_TYPES)
            if isinstance(src, IacResource):
                sources = [src.address]
        sources = sorted(set(sources))
        a["backup"] = {"backup_of": sources,
                       "location": {"account": r.account, "region": r.region},
                       "automated": False}
        a["encryption"] = self._ami_encryption(a, r, [self.assets[s] for s in sources
                                                      if s in self.assets])
        a["attributes"] = {"resource_type": "ami"}
        a["access"] = self._launch_permissions(a, r)

    def _ami_encryption(self, a: Asset, r: IacResource, srcs: list[Asset]) -> dict[str, Any]:
        """An AMI copy says whether it encrypts (``encrypted``, ``kms_key_id``); otherwise an
        AMI is encrypted as the snapshots or volumes it copies (all of them alike, or an
        unencrypted one), else unknown."""
        enc = configured(r.values.get("encrypted")) if r.type == "aws_ami_copy" else None
        if enc is True:
            return self.encryption(a, True, self.plan.ref(r, "kms_key_id", *KEY_TYPES),
                                   key_attr="kms_key_id", enabled_attr="encrypted")
        states = [s.get("encryption") for s in srcs]
        if states and all(isinstance(s, dict) for s in states):
            off = [s for s in states if (s.get("at_rest") or {}).get("enabled") is False]
            if off:
                return copy.deepcopy(off[0])
            if all(s == states[0] for s in states):
                return copy.deepcopy(states[0])
        self.gap_text(a, "encryption", "the AMI's snapshots are not in the plan, or differ: how "
                                       "it is encrypted cannot be told")
        return {"at_rest": {"enabled": None, "key_type": None, "key_id": None}}

    def _launch_permissions(self, a: Asset, r: IacResource) -> dict[str, Any]:
        perms, unsure = self.linked(a, r, PERMISSION_TYPES, ("image_id",), aspect="access",
                                    what="let an account launch {target}")
        api: list[dict[str, Any]] = []
        unknown = bool(unsure)
        for p in perms:
            entry = {}
            for attr, member in _PERMISSION:
                v = p.values.get(attr)
                if is_unknown(v):
                    unknown = True
                elif isinstance(v, str) and v:
                    entry[member] = v
            if len(entry) != 1:
                unknown = True  # none known, or an invalid mix: what it grants is not known
                continue
            api.append(entry)
        readers = image_readers(api)
        shared = image_shared_with(api)
        if unknown or readers is None:
            return {"public": True if "all" in shared else None, "readers": None}
        return {"public": "all" in shared, "shared_with": shared, "readers": readers}
