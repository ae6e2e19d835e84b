"""Copies and where they are kept: RDS and EBS snapshots, AWS Backup vaults (policy, lock),
and which stores backup plans cover (selections by reference, ARN pattern or tag)."""

from __future__ import annotations

import copy
from typing import Any

from dsscan.scanners.aws.policydoc import judge
from dsscan.scanners.iac.keys import KEY_TYPES
from dsscan.scanners.iac.resources import IacResource, configured, is_unknown
from dsscan.scanners.iac.selection import CONDITIONS, arn_matches, condition_holds, selected
from dsscan.scanners.iac.sharing import documents_readers
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
    maybe_readers: Any
    assets_of: dict[str, IacResource]

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
        if is_unknown(shared) or (isinstance(shared, list) and any(map(is_unknown, shared))):
            # DS-SHR-001/002: who it is shared with is known only after apply
            a["access"]["readers"] = None
            self.gap(a, "access", "shared_accounts", shared)
        a["backup"] = {"backup_of": [db.address] if isinstance(db, IacResource) else [],
                       "location": {"account": r.account, "region": r.region},
                       "automated": False}

    def _volume_permissions(self, a: Asset, r: IacResource) -> dict[str, Any]:
        """Who may create volumes from an EBS snapshot: the accounts of the
        aws_ebs_snapshot_create_volume_permission resources naming it (DS-SHR-001/002).
        One whose account, or whose snapshot, is unknown until apply: readers unknown."""
        perms, unsure = self.linked(a, r, ("aws_ebs_snapshot_create_volume_permission",),
                                    ("snapshot_id",), aspect="access",
                                    what="let an account create volumes from {target}")
        ids = [p.values.get("account_id") for p in perms]
        who = sorted({x for x in ids if isinstance(x, str) and not is_unknown(x)})
        access: dict[str, Any] = {"public": "all" in who, "shared_with": who}
        if unsure or any(is_unknown(x) or not isinstance(x, str) for x in ids):
            access["readers"] = None
        return access

    def ebs_snapshot(self, r: IacResource) -> None:
        a = self.asset(r, "snapshot", a_name(r))
        vol = self.plan.ref(r, "volume_id", "aws_ebs_volume")
        src = self.assets.get(vol.address) if isinstance(vol, IacResource) else None
        a["encryption"] = self._copy_encryption(a, r, src)
        a["access"] = self._volume_permissions(a, r)
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
            what="be the access policy of {target}",
            weakens=lambda p: (doc := as_json(p.values.get("policy"))) is None
            or judge(doc, "backup").public is not False)
        if unsure:
            access["public"] = access["wildcard_principal"] = None
        access["readers"] = documents_readers(  # DS-SHR-001/002
            [p.values.get("policy") for p in policies], "backup",
            bool(unsure) or self.maybe_readers(r, (policy_type,), "backup_vault_name", "policy",
                                               "backup", policies))
        locks = self.plan.pointing_at(r, (lock_type,), ("backup_vault_name",))
        # A lock that may be this vault's can only lock it, unless it has one of its own that
        # the other could replace with a weaker one.
        self.linked(a, r, (lock_type,), ("backup_vault_name",), aspect="access",
                    what="be the lock of {target}", weakens=lambda _: bool(locks))
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
        """Which stores each backup selection covers, by AWS Backup's rules
        (:mod:`dsscan.scanners.iac.selection`). A store no selection surely covers, that one
        may cover (a fact unknown before apply), has its backup plans not assessed."""
        stores = [a for a in self.assets.values() if a["kind"] in store_kinds]
        maybe: dict[str, list[str]] = {}
        # Store id -> {plan name: selection} of the plans that may cover it: one plan surely
        # covering it settles "is it backed up", not how long every plan keeps its recovery
        # points (DS-RET-001) nor where every plan copies them (DS-TST-004).
        self.maybe_plans: dict[str, dict[str, str]] = {}
        for sel in self.plan.of_type("aws_backup_selection"):
            if sel.data:
                continue
            plan = self.plan.ref(sel, "plan_id", "aws_backup_plan")
            name = (as_str(plan.values.get("name")) or plan.name) if isinstance(
                plan, IacResource) else (as_str(plan) or sel.name)
            judge_store = self._selection(sel, store_types)
            for a in stores:
                verdict = judge_store(a)
                if verdict is None or (verdict is False and judge_store(a, True) is None):
                    self.maybe_plans.setdefault(a["id"], {}).setdefault(name, sel.address)
                if verdict is None:
                    maybe.setdefault(a["id"], []).append(sel.address)
                elif verdict:
                    plans = a.setdefault("backup", {}).setdefault("plans", [])
                    if name not in plans:
                        plans.append(name)
        for a in stores:
            backup = a.setdefault("backup", {})
            if a["id"] in maybe and not backup.get("plans"):
                backup["plans"] = None
                self.gap_text(a, "backup", "not assessed until apply: whether "
                                           f"{', '.join(maybe[a['id']])} covers this store is "
                                           "not known before apply")
            else:
                backup.setdefault("plans", [])

    def _selection(self, sel: IacResource, store_types: tuple[str, ...]) -> Any:
        """A function: store asset -> whether ``sel`` selects it (None: not known)."""
        v = sel.values
        included, _ = self.plan.refs_list(sel, "resources", *store_types)
        refs = {c.address for c in included if isinstance(c, IacResource)}
        # A list wholly unknown before apply names no pattern (its references still count).
        raw = configured(get(v, "resources"))
        patterns = [p for p in raw if isinstance(p, str)] if isinstance(raw, list) else []
        excluded, unknown_excl = self.plan.refs_list(sel, "not_resources", *store_types)
        out_refs = {c.address for c in excluded if isinstance(c, IacResource)}
        raw = configured(get(v, "not_resources"))
        out_patterns = [p for p in raw if isinstance(p, str)] if isinstance(raw, list) else []
        if is_unknown(configured(get(v, "not_resources"))) and not out_refs:
            unknown_excl = True
        tags = [(get(t, "key"), get(t, "value")) for t in blocks(v, "selection_tag")
                if str(get(t, "type") or "STRINGEQUALS").upper() == "STRINGEQUALS"]
        conds = configured(get(v, "condition"))
        conditions = [(op, get(c, "key"), get(c, "value"))
                      for cond in (blocks(v, "condition") if not is_unknown(conds) else [])
                      for op in CONDITIONS for c in blocks(cond, op)]
        conditions_unknown = is_unknown(conds)

        def judge_store(a: Asset, widen: bool = False) -> bool | None:
            r = self.assets_of.get(a["id"])
            ids = {a["id"], a["source"].get("address")}
            arn, service = _arn(a, r)
            store_tags = _tags(a, r)
            return selected(
                by_resources=[bool(ids & refs)] + [arn_matches(p, arn, service)
                                                   for p in patterns],
                by_tags=[condition_holds("string_equals", str(k), val, store_tags)
                         for k, val in tags],
                conditions=[None] if conditions_unknown else [
                    condition_holds(op, key, val, store_tags) for op, key, val in conditions],
                excluded=[bool(ids & out_refs), None if unknown_excl else False]
                + [arn_matches(p, arn, service) for p in out_patterns],
                same_place=_same_place(sel, r), widen=widen)
        return judge_store


# The ARN service of each store type (for ARN patterns of new stores, whose ARN is unknown).
_SERVICES = {"aws_s3_bucket": "s3", "aws_db_instance": "rds", "aws_rds_cluster": "rds",
             "aws_neptune_cluster": "rds", "aws_docdb_cluster": "rds",
             "aws_dynamodb_table": "dynamodb", "aws_ebs_volume": "ec2", "aws_instance": "ec2",
             "aws_launch_template": "ec2", "aws_launch_configuration": "ec2",
             "aws_redshift_cluster": "redshift", "aws_efs_file_system": "elasticfilesystem",
             "aws_elasticache_replication_group": "elasticache",
             "aws_elasticache_cluster": "elasticache", "aws_opensearch_domain": "es",
             "aws_elasticsearch_domain": "es"}


def _arn(a: Asset, r: IacResource | None) -> tuple[str | None, str | None]:
    """(the store's ARN when known, its ARN service). A bucket's ARN is its name's."""
    arn = (a.get("attributes") or {}).get("arn")
    service = _SERVICES.get(a.get("type") or "")
    if not isinstance(arn, str) and service == "s3" and a.get("name"):
        region = a.get("region") or ""
        part = "aws-cn" if region.startswith("cn-") else (
            "aws-us-gov" if region.startswith("us-gov-") else "aws")
        arn = f"arn:{part}:s3:::{a['name']}"
    return (arn if isinstance(arn, str) else None), service


def _tags(a: Asset, r: IacResource | None) -> dict[str, str] | None:
    """Every tag of the store as AWS Backup sees it (with the provider's default tags:
    ``tags_all``); None when some are not known before apply."""
    if r is not None and a["id"] == r.address:
        for attr in ("tags_all", "tags"):
            tags = r.values.get(attr)
            if isinstance(tags, dict):
                if any(is_unknown(v) for v in tags.values()):
                    return None
                return {str(k): str(v) for k, v in tags.items()}
            if is_unknown(configured(tags)):
                return None
    gaps = (a.get("assessment") or {}).get("gaps") or []
    return None if any(g.get("aspect") == "tags" for g in gaps) else dict(a.get("tags") or {})


def _same_place(sel: IacResource, r: IacResource | None) -> bool | None:
    """Whether the store is in the selection's account and Region (known on both sides, or
    both managed through one provider configuration); None when it cannot be told."""
    if r is None:
        return None
    if (sel.region and r.region and sel.region != r.region) or (
            sel.account and r.account and sel.account != r.account):
        return False
    one_config = sel.provider is not None and sel.provider == r.provider
    region = bool(sel.region and r.region) or one_config
    account = bool(sel.account and r.account) or one_config
    return True if region and account else None
