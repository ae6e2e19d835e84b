"""Could a stored run have found this finding? What keeps `dsscan diff` from calling a finding
"fixed" when the later run simply could not look (fail closed: not read is never a pass).

A run keeps what it could not assess as not-assessed rows: for one asset (a facet the scanner
could not read, a policy that could not judge it), or for a whole scope the scanner could not
list (s3 in one account and region, a whole account). A finding of run A missing from run B is
then "not assessed in B", not fixed, when B has a row for its asset (for every policy or for
the finding's own), or a scope row that may hold the asset.

Where a scope is comes from its ``account`` and ``region`` columns, as the scanner recorded
them (dsscan.scope_gaps; filled once from the text for runs stored before schema version 4,
dsscan/store/legacy_scopes.py) — never from the wording of ``scope`` or ``reason``. A scope
with no account may be anywhere, one with no region spans its account; an asset whose account
is unknown may be in any scope. The asset's own account and region come from the finding row
(stored since schema version 3) or else from its ARN.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dsscan.masking import comparable


@dataclass(frozen=True)
class Gap:
    """One not-assessed row of a run, as stored (masked)."""

    policy_id: str | None
    asset_id: str | None
    scope: str | None
    reason: str
    account: str | None = None  # of a scope: None, any account
    region: str | None = None  # of a scope: None, every region

    def to_dict(self) -> dict[str, Any]:
        return {"policy_id": self.policy_id, "asset_id": self.asset_id, "scope": self.scope,
                "reason": self.reason}

    def may_hold(self, account: str | None, region: str | None) -> bool:
        """Whether this scope may hold an asset of ``account``/``region`` (None: unknown)."""
        if self.account is None or account is None:
            return True  # the scope may be anywhere, or the asset may be in it
        if comparable(self.account) != comparable(account):
            return False
        return self.region is None or region is None or \
            comparable(self.region) == comparable(region)


class Gaps:
    """A run's not-assessed rows, indexed to ask which of them kept it from a finding."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """``rows``: (policy_id, asset_id, scope, reason, account, region) as stored."""
        self._by_asset: dict[str, list[Gap]] = {}
        self._by_policy: dict[str, Gap] = {}
        self._scopes: list[Gap] = []
        for policy_id, asset_id, scope, reason, account, region in rows:
            gap = Gap(policy_id, asset_id, scope, reason or "", account or None, region or None)
            if asset_id is not None:
                # Without the ~N of masking (dsscan.masking.comparable): two runs may number
                # two ids that share a masked form differently; meeting errs towards "not
                # assessed", never towards "fixed".
                self._by_asset.setdefault(comparable(asset_id), []).append(gap)
            elif policy_id is not None and not scope:
                self._by_policy.setdefault(policy_id, gap)  # a policy that judged nothing
            else:
                self._scopes.append(gap)

    def __bool__(self) -> bool:
        return bool(self._by_asset or self._by_policy or self._scopes)

    def blocking(self, finding: dict[str, Any]) -> Gap | None:
        """The row that kept this run from assessing ``finding`` (a stored finding of another
        run: policy_id, asset_id and, where known, account and region), or None."""
        policy = finding["policy_id"]
        for gap in self._by_asset.get(comparable(str(finding["asset_id"])), ()):
            if gap.policy_id is None or gap.policy_id == policy:
                return gap
        if policy in self._by_policy:
            return self._by_policy[policy]
        if not self._scopes:
            return None
        account, region = location(finding)
        for gap in self._scopes:
            if gap.policy_id not in (None, policy):
                continue
            if gap.may_hold(account, region):
                return gap
        return None


    def unlisted(self, asset_id: str) -> Gap | None:
        """The scope this run could not list that may hold store ``asset_id`` (its account
        and region from its ARN), or None: a store missing from the run's store rows that
        such a scope may hold may simply not have been seen (dsscan.events)."""
        account, region = location({"asset_id": asset_id})
        for gap in self._scopes:
            if gap.policy_id is None and gap.may_hold(account, region):
                return gap
        return None


def location(finding: dict[str, Any]) -> tuple[str | None, str | None]:
    """(account, region) of a stored finding's asset; None where unknown."""
    account, region = finding.get("account") or None, finding.get("region") or None
    asset = str(finding.get("asset_id") or "")
    if (account is None or region is None) and asset.startswith("arn:"):
        parts = asset.split(":", 5)  # arn:partition:service:region:account:resource
        if len(parts) == 6:
            account = account or parts[4] or None
            region = region or parts[3] or None
    return account, region
