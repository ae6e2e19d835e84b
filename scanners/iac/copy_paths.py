"""Where a store's data is copied by AWS Backup copy rules and DMS replication tasks, from a
Terraform plan or Pulumi program: the ``copy_to`` entries DS-TST-004 reads (Art. 48;
dsscan/testcopies.py judges where they land).

* **backup copy**: each ``rule.copy_action.destination_vault_arn`` of an ``aws_backup_plan``
  covering the store (``backup.plans``, decided by ``backup_plans``): the vault of the plan
  when the value refers to one (its asset: its tags, account, name), else the ARN. A
  destination known only after apply that refers to no vault of the plan, or plans that may
  cover the store (``backup.plans`` null), make ``copy_to`` null (not assessed).
* **dms task**: an ``aws_dms_replication_task`` whose source endpoint (``aws_dms_endpoint``
  ``server_name``, ``aws_dms_s3_endpoint`` / ``s3_settings`` ``bucket_name``) refers to a store
  of the plan, or names one by its AWS host name (scanners/aws/dms.py's matching); its target
  endpoint likewise, else the endpoint itself (its tags and name; never the task's account).
  A task whose source names no store of the plan may read any database of it: each gets
  ``copy_to: null`` and a gap.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.aws.dms import match
from dsscan.scanners.iac.resources import IacResource, is_unknown
from dsscan.scanners.iac.values import as_str, blocks, get

Asset = dict[str, Any]

DMS_TYPES = ("aws_dms_replication_task", "aws_dms_endpoint", "aws_dms_s3_endpoint")
_ENDPOINTS = ("aws_dms_endpoint", "aws_dms_s3_endpoint")
_DB_TYPES = ("aws_db_instance", "aws_rds_cluster", "aws_redshift_cluster")
_SOURCE_KINDS = ("database", "warehouse", "object_store", "table")


def _tags(r: IacResource) -> dict[str, str] | None:
    for attr in ("tags_all", "tags"):
        t = r.values.get(attr)
        if isinstance(t, dict):
            if any(is_unknown(v) for v in t.values()):
                return None
            return {str(k): str(v) for k, v in t.items()}
    return {}


class CopyPathMapping:
    """Mixed into mapping.Mapper."""

    plan: Any
    assets: dict[str, Asset]
    gap_text: Any

    def copy_paths(self) -> None:
        stores = [a for a in self.assets.values() if a["kind"] in _SOURCE_KINDS]
        for a in stores:
            a["copy_to"] = []
        self._backup_copies(stores)
        self._dms_tasks(stores)

    # -- AWS Backup copy rules
    def _destinations(self, plan: IacResource) -> list[dict[str, Any]] | None:
        out: list[dict[str, Any]] = []
        unknown = False
        for rule in blocks(plan.values, "rule"):
            for ca in blocks(rule, "copy_action"):
                dest = get(ca, "destination_vault_arn")
                if isinstance(dest, str) and dest:
                    hit = self.plan.find_by_value(dest, ("aws_backup_vault",))
                    out.append(self._vault_entry(hit) if isinstance(hit, IacResource)
                               else _arn_entry(dest))
                elif is_unknown(dest) or dest is None:
                    unknown = True
        if unknown:
            vaults = self.plan.candidates(plan, "rule.copy_action.destination_vault_arn",
                                          ("aws_backup_vault",))
            if not vaults:
                return None
            out += [self._vault_entry(v) for v in vaults]
        return out

    def _vault_entry(self, v: IacResource) -> dict[str, Any]:
        a = self.assets.get(v.address)
        return {"via": "backup copy", "target": v.address,
                "name": (a or {}).get("name") or as_str(v.values.get("name")) or v.name,
                "account": v.account, "region": v.region, "target_tags": _tags(v),
                "by": None, "tags": None}

    def _backup_copies(self, stores: list[Asset]) -> None:
        plans: dict[str, IacResource] = {}
        dests: dict[str, list[dict[str, Any]] | None] = {}
        twins: set[str] = set()
        for p in self.plan.of_type("aws_backup_plan"):
            if p.data:
                continue
            name = as_str(p.values.get("name")) or p.name
            got = self._destinations(p)
            # backup.plans names plans by name: of several plans of one name (two Regions'
            # providers), which covers the store is not told — their copy rules must agree.
            if name in plans and got != dests[name]:
                got = None
                twins.add(name)
            plans.setdefault(name, p)
            dests[name] = got
        for a in stores:
            covering = (a.get("backup") or {}).get("plans", [])
            if covering is None:
                a["copy_to"] = None
                continue
            # A plan that may cover it (another surely does) and copies: unknown.
            doubt = sorted(sel for name, sel in getattr(self, "maybe_plans", {}).get(
                a["id"], {}).items() if name not in covering and dests.get(name, []) != [])
            if doubt:
                a["copy_to"] = None
                self.gap_text(a, "backup", f"not assessed until apply: whether {', '.join(doubt)} "
                                           "covers this store, and so copies it by its plan's "
                                           "copy rule, is not known before apply")
                continue
            for name in covering:
                got = dests.get(name, [])
                if got is None:
                    a["copy_to"] = None
                    self.gap_text(a, "backup", f"several backup plans are named {name}, with "
                                               "different copy rules: which one covers the "
                                               "store is not told" if name in twins else
                                  f"the copy rule destination of backup plan {name} "
                                  "is not known before apply")
                    break
                tags = _tags(plans[name]) if name in plans else None
                a["copy_to"] += [dict(e, by=name, tags=tags) for e in got]

    # -- DMS replication tasks
    def _endpoint_stores(self, ep: Any) -> list[Asset]:
        if not isinstance(ep, IacResource):
            return []
        path = "bucket_name" if ep.type == "aws_dms_s3_endpoint" else (
            "s3_settings.bucket_name" if get(ep.values, "s3_settings.bucket_name") is not None
            else "server_name")
        types = ("aws_s3_bucket",) if "bucket" in path else _DB_TYPES
        ref = self.plan.ref(ep, path, *types)
        if isinstance(ref, IacResource):
            a = self.assets.get(ref.address)
            return [a] if a is not None else []
        if not isinstance(ref, str):
            return []
        probe = {"S3Settings": {"BucketName": ref}} if "bucket" in path else {"ServerName": ref}
        return match(probe, list(self.assets.values()))

    def _endpoint(self, t: IacResource, path: str) -> Any:
        """The endpoint a task's attribute names: by reference, else by its known ARN."""
        ref = self.plan.ref(t, path, *_ENDPOINTS)
        if isinstance(ref, str):
            for ep in self.plan.of_type(*_ENDPOINTS):
                if ref in (ep.values.get("endpoint_arn"), ep.values.get("id")):
                    return ep
        return ref

    def _dms_tasks(self, stores: list[Asset]) -> None:
        for t in self.plan.of_type("aws_dms_replication_task"):
            if t.data:
                continue
            name = as_str(t.values.get("replication_task_id")) or t.name
            src = self._endpoint_stores(self._endpoint(t, "source_endpoint_arn"))
            if len(src) != 1:
                for a in stores:
                    if a["kind"] in ("database", "warehouse"):
                        a["copy_to"] = None
                        self.gap_text(a, "backup", f"DMS task {name} reads an endpoint dsscan "
                                                   "cannot match to one store: it may copy "
                                                   "this one")
                continue
            if src[0].get("copy_to") is None:
                continue
            tgt = self._endpoint(t, "target_endpoint_arn")
            hit = self._endpoint_stores(tgt)
            if len(hit) == 1:
                entry = {"via": "dms task", "target": hit[0]["id"], "name": hit[0].get("name"),
                         "account": hit[0].get("account"), "region": hit[0].get("region"),
                         "target_tags": None}
            elif isinstance(tgt, IacResource):
                entry = {"via": "dms task", "target": tgt.address,
                         "name": as_str(tgt.values.get("endpoint_id")) or tgt.name,
                         "account": None, "region": None, "target_tags": _tags(tgt)}
            else:
                entry = {"via": "dms task", "target": f"{t.address}#target", "name": name,
                         "account": None, "region": None, "target_tags": None}
            src[0]["copy_to"].append(dict(entry, by=name, tags=_tags(t)))


def _arn_entry(arn: str) -> dict[str, Any]:
    parts = arn.split(":", 6)
    return {"via": "backup copy", "target": arn, "name": parts[-1],
            "account": parts[4] if len(parts) > 5 and parts[4] else None,
            "region": parts[3] if len(parts) > 5 and parts[3] else None,
            "target_tags": None, "by": None, "tags": None}
