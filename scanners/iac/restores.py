"""Restore testing from Terraform plans and Pulumi (DS-BAK-004): which stores an AWS Backup
restore-testing selection covers (``aws_backup_restore_testing_selection``, hashicorp/aws
v5.x; Pulumi ``aws.backup.RestoreTestingSelection``).

A selection names one ``protected_resource_type`` (``S3``, ``RDS``, ``Aurora``,
``DynamoDB``, ``EBS``, ``EC2``, ``EFS``, ``Redshift``, ...), ``protected_resource_arns``
(ARNs or ``*``) and ``protected_resource_conditions { string_equals / string_not_equals {
key = "aws:ResourceTag/…", value } }``, all of which must hold. It is matched with the
backup-selection semantics of :mod:`dsscan.scanners.iac.selection` (a fact unknown before
apply makes the answer unknown where it could exclude the store).

A plan declares no restore jobs: every store gets ``restore_jobs: "not_in_input"``, so a
store no selection covers is a DS-BAK-004 finding (its verification plan is what the code
declares), one a selection may cover (unknown before apply) is not assessed.
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.iac.copies import _arn, _same_place, _tags
from dsscan.scanners.iac.resources import IacResource, configured, is_unknown
from dsscan.scanners.iac.selection import arn_matches, condition_holds, selected
from dsscan.scanners.iac.values import as_str, blocks, get

Asset = dict[str, Any]
SELECTION = "aws_backup_restore_testing_selection"
PLAN = "aws_backup_restore_testing_plan"

# AWS Backup's resource type of each store type (aws_rds_cluster: by its engine).
_TYPE = {"aws_s3_bucket": "S3", "aws_db_instance": "RDS", "aws_dynamodb_table": "DynamoDB",
         "aws_ebs_volume": "EBS", "aws_instance": "EC2", "aws_efs_file_system": "EFS",
         "aws_redshift_cluster": "Redshift", "aws_neptune_cluster": "Neptune",
         "aws_docdb_cluster": "DocumentDB"}


def backup_type(a: Asset, r: IacResource | None) -> str | None:
    t = a.get("type")
    if t == "aws_rds_cluster":
        engine = as_str(r.values.get("engine")) if r is not None else None
        return "Aurora" if (engine or "aurora").startswith("aurora") else "RDS"
    return _TYPE.get(str(t))


class RestoreMapping:
    """Mixed into mapping.Mapper."""

    plan: Any
    assets: dict[str, Asset]
    gap_text: Any
    assets_of: dict[str, IacResource]

    def restore_testing(self, store_types: tuple[str, ...], store_kinds: set[str]) -> None:
        stores = [a for a in self.assets.values() if a["kind"] in store_kinds]
        sure: dict[str, list[str]] = {}
        maybe: dict[str, list[str]] = {}
        for sel in self.plan.of_type(SELECTION):
            if sel.data:
                continue
            plan = self.plan.ref(sel, "restore_testing_plan_name", PLAN)
            pname = (as_str(plan.values.get("name")) or plan.name) if isinstance(
                plan, IacResource) else (as_str(plan) or "?")
            name = f"{pname}/{as_str(sel.values.get('name')) or sel.name}"
            judge = self._restore_selection(sel, store_types)
            for a in stores:
                got = judge(a)
                if got:
                    sure.setdefault(a["id"], []).append(name)
                elif got is None:
                    maybe.setdefault(a["id"], []).append(sel.address)
        for a in stores:
            tested: list[str] | None = sorted(set(sure.get(a["id"], [])))
            if not tested and a["id"] in maybe:
                tested = None
                self.gap_text(a, "backup", "not assessed until apply: whether restore-testing "
                                           f"selection {', '.join(maybe[a['id']])} covers this "
                                           "store is not known before apply")
            a.setdefault("backup", {})["restore_verification"] = {
                "testing_selections": tested, "last_successful_restore": None,
                "restore_jobs": "not_in_input"}

    def _restore_selection(self, sel: IacResource, store_types: tuple[str, ...]) -> Any:
        """A function: store asset -> whether ``sel`` covers it (None: not known)."""
        v = sel.values
        kind = configured(v.get("protected_resource_type"))
        # ARNs unknown before apply that no reference explains could name any store.
        included, arns_unknown = self.plan.refs_list(sel, "protected_resource_arns",
                                                     *store_types)
        refs = {c.address for c in included if isinstance(c, IacResource)}
        raw = configured(get(v, "protected_resource_arns"))
        patterns = [p for p in raw or [] if isinstance(p, str)] if isinstance(raw, list) else []
        conds = configured(get(v, "protected_resource_conditions"))
        conditions = [(op, get(c, "key"), get(c, "value"))
                      for cond in (blocks(v, "protected_resource_conditions")
                                   if not is_unknown(conds) else [])
                      for op in ("string_equals", "string_not_equals")
                      for c in blocks(cond, op)]

        def judge(a: Asset) -> bool | None:
            r = self.assets_of.get(a["id"])
            if is_unknown(kind):
                return None
            if not isinstance(kind, str) or kind != backup_type(a, r):
                return False
            ids = {a["id"], a["source"].get("address")}
            arn, service = _arn(a, r)
            store_tags = _tags(a, r)
            by_resources: list[bool | None] = [bool(ids & refs)] + [
                arn_matches(p, arn, service) for p in patterns]
            if arns_unknown:
                by_resources.append(None)
            got = selected(
                by_resources=by_resources, by_tags=[],
                conditions=[None] if is_unknown(conds) else [
                    condition_holds(op, key, val, store_tags) for op, key, val in conditions],
                excluded=[], same_place=_same_place(sel, r))
            # Unknown ARNs could include the store: "maybe", not "no".
            return None if got is False and arns_unknown and True not in by_resources else got
        return judge
