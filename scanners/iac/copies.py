"""Copies and where they are kept: RDS and EBS snapshots, AWS Backup vaults (policy, lock),
and which stores backup plans cover (selections by reference, ARN pattern or tag)."""

from __future__ import annotations

import copy
import fnmatch
from typing import Any

from dsscan.scanners.aws.policydoc import judge
from dsscan.scanners.iac.keys import KEY_TYPES
from dsscan.scanners.iac.resources import IacResource, configured, is_unknown
from dsscan.scanners.iac.stores import a_name
from dsscan.scanners.iac.values import as_int, as_json, as_str, blocks, get

Asset = dict[str, Any]


def _any(values: list[bool | None]) -> bool | None:
    if True in values:
        return True
    return None if None in values else False


class CopyMapping:
    """Mixed into mapping.Mapper."""

    plan: Any
    assets: dict[str, Asset]
    asset: Any
    gap: Any
    gap_text: Any
    encryption: Any
    linked: Any

    def _copy_encryption(self, a: Asset, r: IacResource, src: Asset | None) -> dict[str, Any]:
        """A snapshot is encrypted as its source is, unless the resource says otherwise."""
        enc = configured(r.values.get("encrypted"))
        if src is not None and not isinstance(enc, bool):
            return copy.deepcopy(src["encryption"])
        if enc is None:
            self.gap_text(a, "encryption", "the snapshot's source is not in the plan: how it is "
                                           "encrypted cannot be told")
            return {"at_rest": {"enabled": None, "key_type": None, "key_id": None}}
        return self.encryption(a, enc, self.plan.ref(r, "kms_key_id", *KEY_TYPES),
                               key_attr="kms_key_id", enabled_attr="encrypted")

    def db_snapshot(self, r: IacResource) -> None:
        a = self.asset(r, "snapshot", as_str(r.values.get("db_snapshot_identifier")) or r.name)
        db = self.plan.ref(r, "db_instance_identifier", "aws_db_instance")
        src = self.assets.get(db.address) if isinstance(db, IacResource) else None
        a["encryption"] = self._copy_encryption(a, r, src)
        shared = r.values.get("shared_accounts")
        who = sorted(x for x in shared if isinstance(x, str)) if isinstance(shared, list) else []
        a["access"] = {"public": "all" in who, "shared_with": who}
        a["backup"] = {"backup_of": [db.address] if isinstance(db, IacResource) else [],
                       "location": {"account": r.account, "region": r.region},
                       "automated": False}

    def ebs_snapshot(self, r: IacResource) -> None:
        a = self.asset(r, "snapshot", a_name(r))
        vol = self.plan.ref(r, "volume_id", "aws_ebs_volume")
        src = self.assets.get(vol.address) if isinstance(vol, IacResource) else None
        a["encryption"] = self._copy_encryption(a, r, src)
        a["access"] = {"public": False, "shared_with": []}
        a["backup"] = {"backup_of": [vol.address] if isinstance(vol, IacResource) else [],
                       "location": {"account": r.account, "region": r.region},
                       "automated": False}

    # -- AWS Backup
    def vault(self, r: IacResource) -> None:
        a = self.asset(r, "backup_vault", as_str(r.values.get("name")) or r.name)
        key = self.plan.ref(r, "kms_key_arn", *KEY_TYPES)
        a["encryption"] = self.encryption(a, True, key, key_attr="kms_key_arn",
                                          enabled_attr="kms_key_arn",
                                          default_key="alias/aws/backup")
        access: dict[str, Any] = {"public": False, "wildcard_principal": False,
                                  "lock": {"enabled": False, "mode": None,
                                           "min_retention_days": None}}
        a["access"] = access
        policy_type, lock_type = "aws_backup_vault_policy", "aws_backup_vault_lock_configuration"
        policies, unsure = self.linked(
            a, r, (policy_type,), ("backup_vault_name",), aspect="access",
            what="be its access policy",
            weakens=lambda p: (doc := as_json(p.values.get("policy"))) is None
            or judge(doc, "backup").public is not False)
        if unsure:
            access["public"] = access["wildcard_principal"] = None
        locks = self.plan.pointing_at(r, (lock_type,), ("backup_vault_name",))
        # A lock that may be this vault's can only lock it, unless it has one of its own that
        # the other could replace with a weaker one.
        self.linked(a, r, (lock_type,), ("backup_vault_name",), aspect="access",
                    what="be its lock", weakens=lambda _: bool(locks))
        # Several policies or locks: the weakest (AWS keeps the last applied).
        publics: list[bool | None] = [None] if unsure else []
        wildcards: list[bool | None] = [None] if unsure else []
        for p in policies:
            raw = p.values.get("policy")
            doc = as_json(raw)
            if is_unknown(raw):
                self.gap(a, "access", "the vault access policy", raw)
                publics.append(None)
                wildcards.append(None)
            elif doc is None:
                self.gap_text(a, "access", "the vault access policy is not a JSON document")
                publics.append(None)
                wildcards.append(None)
            else:
                verdict = judge(doc, "backup")
                publics.append(verdict.public)
                wildcards.append(verdict.wildcard_principal)
                if verdict.public is None:
                    self.gap_text(a, "access", "the vault access policy could not be judged: "
                                               f"{verdict.reasons[0]}")
        access["public"], access["wildcard_principal"] = _any(publics), _any(wildcards)
        weakest: dict[str, Any] | None = None
        for lock in locks:
            days = as_int(configured(lock.values.get("min_retention_days")))
            # ChangeableForDays makes it compliance mode (immutable after the grace time).
            mode = "compliance" if configured(lock.values.get("changeable_for_days")) \
                is not None else "governance"
            this = {"enabled": True, "mode": mode, "min_retention_days": days}
            if weakest is None:
                weakest = this
            else:
                weakest = {"enabled": True,
                           "mode": "governance" if "governance" in (mode, weakest["mode"])
                           else "compliance",
                           "min_retention_days": None if None in (days, weakest[
                               "min_retention_days"]) else min(days, weakest[
                                   "min_retention_days"])}
        if weakest is not None:
            access["lock"] = weakest

    def backup_plans(self, store_types: tuple[str, ...], store_kinds: set[str]) -> None:
        """Which stores each backup selection covers: by reference, ARN pattern or tags."""
        for sel in self.plan.of_type("aws_backup_selection"):
            plan = self.plan.ref(sel, "plan_id", "aws_backup_plan")
            name = (as_str(plan.values.get("name")) or plan.name) if isinstance(
                plan, IacResource) else (as_str(plan) or sel.name)
            covered, _ = self.plan.refs_list(sel, "resources", *store_types)
            refs = {c.address for c in covered if isinstance(c, IacResource)}
            patterns = [p for p in get(sel.values, "resources") or [] if isinstance(p, str)]
            tags = [(get(t, "key"), get(t, "value")) for t in blocks(sel.values, "selection_tag")
                    if str(get(t, "type") or "STRINGEQUALS").upper() == "STRINGEQUALS"]
            for a in self.assets.values():
                if a["kind"] not in store_kinds:
                    continue
                # An instance's backup covers its volumes: they are assets of their own.
                hit = a["id"] in refs or a["source"].get("address") in refs
                arn = a.get("attributes", {}).get("arn")
                if not hit and patterns:
                    hit = any(p == "*" or (arn and fnmatch.fnmatchcase(arn, p))
                              for p in patterns)
                if not hit and tags:
                    hit = any(a["tags"].get(str(k)) == v for k, v in tags)
                if hit:
                    plans = a.setdefault("backup", {}).setdefault("plans", [])
                    if name not in plans:
                        plans.append(name)
        for a in self.assets.values():
            if a["kind"] in store_kinds:
                a.setdefault("backup", {}).setdefault("plans", [])

