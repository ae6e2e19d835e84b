"""Could a stored run have found this finding? What keeps `dsscan diff` from calling a finding
"fixed" when the later run simply could not look (fail closed: not read is never a pass).

A run keeps what it could not assess as not-assessed rows: for one asset (a facet the scanner
could not read, a policy that could not judge it), or for a whole scope the scanner could not
list ("s3 in 111111111111/cn-north-1", "account 222222222222"). A finding of run A missing
from run B is then "not assessed in B", not fixed, when B has a row for its asset (for every
policy or for the finding's own), or a scope row that may hold the asset. Scopes are text
written by the scanners; what can be read from them is the accounts they name, with a region
when written ACCOUNT/REGION. The asset's own account and region come from the finding row
(stored since schema version 3) or else from its ARN. A scope naming no account, or an asset
whose account is unknown, may be anywhere: such a scope covers the asset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dsscan.masking import comparable

_PAIR = re.compile(r"(?<![0-9])([0-9]{12})/([a-z]{2}(?:-[a-z]+)+-[0-9]+)")
_ACCOUNT = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


@dataclass(frozen=True)
class Gap:
    """One not-assessed row of a run, as stored (masked)."""

    policy_id: str | None
    asset_id: str | None
    scope: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"policy_id": self.policy_id, "asset_id": self.asset_id, "scope": self.scope,
                "reason": self.reason}


@dataclass(frozen=True)
class _Scope:
    gap: Gap
    accounts: frozenset[str]  # named without a region: the whole account
    places: frozenset[tuple[str, str]]  # (account, region)

    def may_hold(self, account: str | None, region: str | None) -> bool:
        if not self.accounts and not self.places:
            return True  # names no account: it may be anywhere
        if account is None:
            return True  # the asset may be in it
        if account in self.accounts:
            return True
        return any(a == account and (region is None or r == region) for a, r in self.places)


class Gaps:
    """A run's not-assessed rows, indexed to ask which of them kept it from a finding."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self._by_asset: dict[str, list[Gap]] = {}
        self._by_policy: dict[str, Gap] = {}
        self._scopes: list[_Scope] = []
        for policy_id, asset_id, scope, reason in rows:
            gap = Gap(policy_id, asset_id, scope, reason or "")
            if asset_id is not None:
                # Without the ~N of masking (dsscan.masking.comparable): two runs may number
                # two ids that share a masked form differently; meeting errs towards "not
                # assessed", never towards "fixed".
                self._by_asset.setdefault(comparable(asset_id), []).append(gap)
            elif policy_id is not None and not scope:
                self._by_policy.setdefault(policy_id, gap)  # a policy that judged nothing
            else:
                self._scopes.append(_parse_scope(gap))

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
        for scope in self._scopes:
            if scope.gap.policy_id not in (None, policy):
                continue
            if scope.may_hold(account, region):
                return scope.gap
        return None


def _parse_scope(gap: Gap) -> _Scope:
    text = gap.scope or ""
    places = frozenset(_PAIR.findall(text))
    alone = frozenset(_ACCOUNT.findall(_PAIR.sub(" ", text)))
    return _Scope(gap, alone, places)


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
