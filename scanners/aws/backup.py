"""AWS Backup: vaults (key, access policy, lock), recovery points (copies, wherever they are
stored), plans with their selections (which stores they cover), restore-testing plans.

Which stores a plan covers is decided after every collector has run (sweep.link), from the
selections recorded here: resource ARN patterns, exclusions and tag conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dsscan.scanners.aws.base import Scope, call, json_document, pages, tag_dict
from dsscan.scanners.aws.gaps import ReadFailure, add_asset_gap, facet
from dsscan.scanners.aws.policydoc import judge


@dataclass
class Selection:
    plan: str
    resources: list[str] = field(default_factory=list)
    not_resources: list[str] = field(default_factory=list)
    tags_any: list[tuple[str, str]] = field(default_factory=list)  # ListOfTags: OR
    tags_all: list[tuple[str, str]] = field(default_factory=list)  # Conditions.StringEquals: AND


@dataclass
class PlanCoverage:
    """What AWS Backup covers in one account and region; ``error`` when it could not be read."""

    account: str
    region: str
    selections: list[Selection] = field(default_factory=list)
    restore_tested: list[tuple[str, list[str]]] = field(default_factory=list)
    error: str | None = None
    restore_testing_error: str | None = None


def collect(scope: Scope) -> None:
    bk = scope.client("backup")
    coverage = PlanCoverage(scope.account, scope.region)
    scope.sink.note("backup", coverage)
    try:
        vaults = list(pages(bk, "list_backup_vaults", "BackupVaultList"))
    except ReadFailure as e:
        coverage.error = e.reason
        raise
    for v in vaults:
        _vault(scope, bk, v)
    try:
        _plans(scope, bk, coverage)
    except ReadFailure as e:
        coverage.error = e.reason
        scope.sink.gap(f"backup plans in {scope.account}/{scope.region}", e.reason)
    try:
        for p in pages(bk, "list_restore_testing_plans", "RestoreTestingPlans"):
            name = p["RestoreTestingPlanName"]
            for s in pages(bk, "list_restore_testing_selections", "RestoreTestingSelections",
                           RestoreTestingPlanName=name):
                sel = call(bk, "get_restore_testing_selection", RestoreTestingPlanName=name,
                           RestoreTestingSelectionName=s["RestoreTestingSelectionName"])
                arns = sel["RestoreTestingSelection"].get("ProtectedResourceArns")
                coverage.restore_tested.append((name, list(arns or [])))
    except ReadFailure as e:
        # No policy reads restore testing yet, so an unread plan changes no verdict: noted in
        # the inventory's sources rather than made a gap.
        coverage.restore_testing_error = e.reason


def _vault(scope: Scope, bk: Any, v: dict[str, Any]) -> None:
    name, arn = v["BackupVaultName"], v["BackupVaultArn"]
    a = scope.asset(id=arn, kind="backup_vault", name=name, type="AWS::Backup::BackupVault")
    a["encryption"] = scope.encryption(a, True, v.get("EncryptionKeyArn") or "alias/aws/backup")
    locked = v.get("MinRetentionDays") is not None or bool(v.get("Locked"))
    mode = ("compliance" if v.get("LockDate") or v.get("Locked") else "governance") \
        if locked else None
    access: dict[str, Any] = {
        "public": None, "wildcard_principal": None,
        "lock": {"enabled": locked, "mode": mode, "min_retention_days": v.get("MinRetentionDays")},
    }
    a["access"] = access
    a["attributes"] = {"vault_type": v.get("VaultType"),
                       "recovery_points": v.get("NumberOfRecoveryPoints")}
    with facet(a, "tags"):
        a["tags"] = tag_dict(dict(pages(bk, "list_tags", "Tags", ResourceArn=arn)))
    with facet(a, "access"):
        try:
            raw = call(bk, "get_backup_vault_access_policy", BackupVaultName=name)["Policy"]
        except ReadFailure as e:
            if e.code != "ResourceNotFoundException":
                raise
            raw = None
        policy = json_document(raw, bk, "get_backup_vault_access_policy")
        verdict = judge(policy, "backup")
        access["wildcard_principal"] = verdict.wildcard_principal
        access["public"] = verdict.public
        if verdict.public is None:
            add_asset_gap(a, "access", "the vault access policy could not be judged: "
                                       f"{verdict.reasons[0]}")
    scope.sink.add(a)

    try:
        points = list(pages(bk, "list_recovery_points_by_backup_vault", "RecoveryPoints",
                            BackupVaultName=name))
    except ReadFailure as e:
        scope.sink.gap(f"recovery points of vault {name} in {scope.account}/{scope.region}",
                       e.reason)
        return
    for rp in points:
        r = scope.asset(id=rp["RecoveryPointArn"], kind="backup",
                        name=rp["RecoveryPointArn"].rsplit(":", 1)[-1],
                        type="AWS::Backup::RecoveryPoint")
        r["encryption"] = scope.encryption(r, rp.get("IsEncrypted"), rp.get("EncryptionKeyArn"))
        r["backup"] = {"backup_of": [rp["ResourceArn"]] if rp.get("ResourceArn") else [],
                       "location": {"account": scope.account, "region": scope.region,
                                    "vault": arn},
                       "automated": bool(rp.get("CreatedBy", {}).get("BackupPlanId"))}
        r["attributes"] = {"resource_type": rp.get("ResourceType"), "status": rp.get("Status"),
                           "copied_from_vault": rp.get("SourceBackupVaultArn")}
        scope.sink.add(r)


def _plans(scope: Scope, bk: Any, coverage: PlanCoverage) -> None:
    for p in pages(bk, "list_backup_plans", "BackupPlansList"):
        pid, pname = p["BackupPlanId"], p.get("BackupPlanName") or p["BackupPlanId"]
        for s in pages(bk, "list_backup_selections", "BackupSelectionsList", BackupPlanId=pid):
            sel = call(bk, "get_backup_selection", BackupPlanId=pid,
                       SelectionId=s["SelectionId"])["BackupSelection"]
            cond = sel.get("Conditions") or {}
            coverage.selections.append(Selection(
                plan=pname,
                resources=list(sel.get("Resources") or []),
                not_resources=list(sel.get("NotResources") or []),
                tags_any=[(_tag_key(t["ConditionKey"]), t["ConditionValue"])
                          for t in sel.get("ListOfTags") or []
                          if t.get("ConditionType", "STRINGEQUALS") == "STRINGEQUALS"],
                tags_all=[(_tag_key(t["ConditionKey"]), t["ConditionValue"])
                          for t in cond.get("StringEquals") or []],
            ))


def _tag_key(k: str) -> str:
    return k.removeprefix("aws:ResourceTag/")
