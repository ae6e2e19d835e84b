"""Runs and findings for the history-store tests (test_store, test_history_cli): small
results with known counts, one that quotes a resident ID in every text field, and running a
command without write access to the store."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from dsscan.findings import Finding, NotAssessed, PolicyInfo, ScanResult

ROOT = Path(__file__).resolve().parent.parent
SEVERITY = {"core": "critical", "important": "high", "sensitive": "medium", "general": "low",
            "unclassified": "medium"}
# Synthetic: a resident-ID-shaped number and its masked form (dsscan.masking).
CLEAR_ID = "110101199003077777"
MASKED_ID = "110101********7777"


def finding(policy: str, asset: str, level: str, **kw: Any) -> Finding:
    return Finding(policy_id=policy, title=f"{policy} title", articles=(41,),
                   severity=kw.pop("severity", SEVERITY[level]), level=level, asset_id=asset,
                   message=kw.pop("message", f"{asset} breaks {policy}"),
                   remediation="fix it", **kw)


def result(findings: list[Finding], *, not_assessed: list[NotAssessed] | None = None,
           started_at: str = "2025-03-01T08:00:00+00:00", assets: int = 10) -> ScanResult:
    return ScanResult(findings=findings, not_assessed=not_assessed or [],
                      policies=[PolicyInfo(id="DS-ENC-001", title="t", package="p", path="x")],
                      asset_count=assets, inputs=["estate.json"], tool_version="0.1.0",
                      started_at=started_at, duration_s=0.5)


def three_findings() -> list[Finding]:
    return [finding("DS-ENC-001", "arn:aws-cn:s3:::ledger", "core"),
            finding("DS-ENC-001", "arn:aws-cn:s3:::reports", "important"),
            finding("DS-NET-002", "vpc-0prod", "sensitive", related=("vpc-0test",))]


def unique_prefix(run_id: str, *others: str) -> str:
    """The shortest prefix of run_id that no other id starts with."""
    return next(run_id[:n] for n in range(1, len(run_id) + 1)
                if not any(o.startswith(run_id[:n]) for o in others))


def leaky_result() -> ScanResult:
    asset = f"arn:aws-cn:s3:::kyc-{CLEAR_ID}"
    return result(
        [finding("DS-TST-002", asset, "sensitive", asset_name=f"客户 {CLEAR_ID}",
                 message=f"unmasked resident ID {CLEAR_ID} and 13812345678 in column id")],
        not_assessed=[NotAssessed(reason=f"cannot read {CLEAR_ID}", asset_id=asset,
                                  scope=f"bucket {CLEAR_ID}")])


def without_write_access(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``args`` as someone who may read but not write the store: when the tests run as
    root (which writes anywhere), as root without the capabilities that override file
    permissions (dropped from the bounding set before exec, so the permission bits apply)."""
    import os

    def drop_overrides() -> None:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")

    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          preexec_fn=drop_overrides if os.geteuid() == 0 else None)
