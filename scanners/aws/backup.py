"""AWS Backup: vaults (key, access policy, lock), recovery points (copies, wherever they are
stored), plans with their selections (which stores they cover), restore-testing selections
and completed restore jobs (scanners/aws/restores.py).

Which stores a plan covers is decided after every collector has run (sweep.link), from the
selections recorded here and the region's service opt-in settings, with AWS Backup's own
selection semantics (scanners/aws/selections.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dsscan.scanners.aws import restores
from dsscan.scanners.aws.base import Scope, call, pages, resource_policy, tag_dict, when
from dsscan.scanners.aws.failures import ReadFailure, add_asset_gap, facet
from dsscan.scanners.aws.operations import Calls, Collector
from dsscan.scanners.aws.policydoc import judge
from dsscan.scanners.aws.readers import policy_readers
from dsscan.scanners.aws.restores import RestoreTest
from dsscan.scanners.aws.selections import Selection, selection_of

# What this collector produces and calls (operations.py derives the IAM policy,
# the declared-operations table and the docs table from it).
INFO = Collector(
    service="backup", title="AWS Backup",
    kinds={"backup_vault": ("AWS::Backup::BackupVault",),
           "backup": ("AWS::Backup::RecoveryPoint",)},
    calls=(Calls("backup", ("ListBackupVaults", "ListTags", "GetBackupVaultAccessPolicy",
                            "ListRecoveryPointsByBackupVault", "ListBackupPlans",
                            "ListBackupSelections", "GetBackupSelection", "GetBackupPlan",
                            "DescribeRegionSettings", "ListRestoreTestingPlans",
                            "ListRestoreTestingSelections", "GetRestoreTestingSelection",
                            "ListRestoreJobs")),),
)


@dataclass
class PlanCoverage:
    """What AWS Backup covers in one account and region; ``error`` when it could not be read."""

    account: str
    region: str
    selections: list[Selection] = field(default_factory=list)
    # Restore verification (scanners/aws/restores.py): restore-testing selections, and
    # completed restore jobs as (source resource ARN, recovery point ARN, completion time).
    restore_tested: list[RestoreTest] = field(default_factory=list)
    restores: list[tuple[str | None, str | None, str]] = field(default_factory=list)
    error: str | None = None
    restore_testing_error: str | None = None
    restore_jobs_error: str | None = None
    # Service opt-in by resource type (backup:DescribeRegionSettings), read when there are
    # selections; None with ``opt_in_error`` when it could not be read.
    opt_in: dict[str, bool] | None = None
    opt_in_error: str | None = None
    # Copy rules (DS-TST-004): plan name -> the destination vault ARNs of its rules' copy
    # actions; None for a plan whose rules could not be read (backup:GetBackupPlan).
    copy_rules: dict[str, list[str] | None] = field(default_factory=dict)
    copy_rules_error: dict[str, str] = field(default_factory=dict)
    # DS-RET-001: each plan's rules with how long they keep recovery points (and copies),
    # by plan name; None for a plan whose rules could not be read (backup:GetBackupPlan).
    plan_rules: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)


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
        scope.gap("backup plans in {account}/{region}", e)
    restores.read(scope, bk, coverage)


def _vault(scope: Scope, bk: Any, v: dict[str, Any]) -> None:
    name, arn = v["BackupVaultName"], v["BackupVaultArn"]
    a = scope.asset(id=arn, kind="backup_vault", name=name, type="AWS::Backup::BackupVault")
    # Every vault is encrypted and AWS names its key (EncryptionKeyArn, always sent).
    a["encryption"] = {"at_rest": {"enabled": None, "key_type": None, "key_id": None}}
    with facet(a, "encryption"):
        a["encryption"] = scope.encryption(a, True, v["EncryptionKeyArn"])
    locked = v.get("MinRetentionDays") is not None or bool(v.get("Locked"))
    # Compliance mode is the lock set with ChangeableForDays, which is what gives it a
    # LockDate; ``Locked`` says a lock applies, in either mode (DS-BAK-005 tells them apart).
    mode = ("compliance" if v.get("LockDate") else "governance") if locked else None
    access: dict[str, Any] = {
        "public": None, "wildcard_principal": None, "readers": None,
        "lock": {"enabled": locked, "mode": mode, "min_retention_days": v.get("MinRetentionDays")},
    }
    a["access"] = access
    a["attributes"] = {"vault_type": v.get("VaultType"),
                       "recovery_points": v.get("NumberOfRecoveryPoints")}
    with facet(a, "tags"):
        a["tags"] = tag_dict(dict(pages(bk, "list_tags", "Tags", ResourceArn=arn)))
    with facet(a, "access"):
        policy = resource_policy(bk, "get_backup_vault_access_policy",
                                 {"ResourceNotFoundException"}, BackupVaultName=name)
        verdict = judge(policy, "backup")
        access["wildcard_principal"] = verdict.wildcard_principal
        access["readers"] = policy_readers(policy, "backup")  # DS-SHR-001/002
        access["public"] = verdict.public
        if verdict.public is None:
            add_asset_gap(a, "access", "the vault access policy could not be judged: "
                                       f"{verdict.reasons[0]}")
    scope.sink.add(a)

    try:
        points = list(pages(bk, "list_recovery_points_by_backup_vault", "RecoveryPoints",
                            BackupVaultName=name))
    except ReadFailure as e:
        scope.gap("recovery points of vault {vault} in {account}/{region}", e, vault=name)
        return
    for rp in points:
        r = scope.asset(id=rp["RecoveryPointArn"], kind="backup",
                        name=rp["RecoveryPointArn"].rsplit(":", 1)[-1],
                        type="AWS::Backup::RecoveryPoint")
        r["encryption"] = scope.encryption(r, rp.get("IsEncrypted"), rp.get("EncryptionKeyArn"))
        r["backup"] = {"backup_of": [rp["ResourceArn"]] if rp.get("ResourceArn") else [],
                       "location": {"account": scope.account, "region": scope.region,
                                    "vault": arn},
                       "automated": bool(rp.get("CreatedBy", {}).get("BackupPlanId")),
                       "created": when(rp.get("CreationDate"))}
        r["attributes"] = {"resource_type": rp.get("ResourceType"), "status": rp.get("Status"),
                           "copied_from_vault": rp.get("SourceBackupVaultArn")}
        scope.sink.add(r)


def _read_plan(bk: Any, pid: str) -> tuple[dict[str, Any] | None, str | None]:
    """A plan's rules (GetBackupPlan), read once for DS-TST-004's copy rules and DS-RET-001's
    lifecycles; ``(None, why)`` when it could not be read."""
    try:
        plan = call(bk, "get_backup_plan", BackupPlanId=pid)["BackupPlan"]
    except ReadFailure as e:
        return None, e.reason
    except (KeyError, TypeError):
        return None, "malformed GetBackupPlan reply"
    if not isinstance(plan, dict):
        return None, "malformed GetBackupPlan reply"
    return plan, None


def _copy_rules(plan: dict[str, Any] | None, error: str | None, pname: str,
                coverage: PlanCoverage) -> None:
    """Where a plan's rules copy its recovery points (CopyActions' destination vaults)."""
    if plan is not None:
        try:
            coverage.copy_rules[pname] = sorted({
                c["DestinationBackupVaultArn"] for r in plan.get("Rules") or []
                for c in r.get("CopyActions") or [] if c.get("DestinationBackupVaultArn")})
            return
        except (KeyError, TypeError, AttributeError):
            error = None
    coverage.copy_rules[pname] = None
    coverage.copy_rules_error[pname] = error or "malformed GetBackupPlan reply"


def _plans(scope: Scope, bk: Any, coverage: PlanCoverage) -> None:
    for p in pages(bk, "list_backup_plans", "BackupPlansList"):
        pid, pname = p["BackupPlanId"], p.get("BackupPlanName") or p["BackupPlanId"]
        plan, error = _read_plan(bk, pid)
        _copy_rules(plan, error, pname, coverage)
        coverage.plan_rules[pname] = _plan_rules(plan, pname, coverage.plan_rules.get(pname, []))
        for s in pages(bk, "list_backup_selections", "BackupSelectionsList", BackupPlanId=pid):
            sel = call(bk, "get_backup_selection", BackupPlanId=pid,
                       SelectionId=s["SelectionId"])["BackupSelection"]
            coverage.selections.append(selection_of(pname, sel))
    if not coverage.selections:
        return  # nothing selected: opt-in decides nothing
    try:
        got = call(bk, "describe_region_settings")["ResourceTypeOptInPreference"]
    except ReadFailure as e:
        # Selections that name a resource type still decide; the others are unknown.
        coverage.opt_in_error = e.reason
        return
    coverage.opt_in = {str(k): v is True for k, v in got.items()}


def _plan_rules(plan: dict[str, Any] | None, pname: str, before: list[dict[str, Any]] | None
                ) -> list[dict[str, Any]] | None:
    """A plan's rules with how long each keeps the recovery points it makes and the copies
    its copy actions make (``DeleteAfterDays``; absent: never deleted). None when the plan
    could not be read or a lifecycle is malformed: unknown, never "within the retention"."""
    if before is None or plan is None:
        return None
    try:
        out = list(before)
        for r in plan["Rules"]:
            name = r.get("RuleName")
            out.append({"plan": pname, "rule": name, "copy": False,
                        "delete_after_days": _delete_after(r.get("Lifecycle"))})
            for c in r.get("CopyActions") or []:
                out.append({"plan": pname, "rule": name, "copy": True,
                            "delete_after_days": _delete_after(c.get("Lifecycle"))})
        return out
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _delete_after(lifecycle: Any) -> int | None:
    if lifecycle is None:
        return None
    d = lifecycle.get("DeleteAfterDays")
    if d is None:
        return None
    if isinstance(d, bool) or not isinstance(d, int) or d < 0:
        raise ValueError("DeleteAfterDays")
    return d
