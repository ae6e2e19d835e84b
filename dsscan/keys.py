"""The ``kms_keys`` setting: KMS keys outside the scanned estate that the institution declares
customer-managed (keys of a central security account, typically).

A scanner that cannot tell who manages a key — a key ARN a Terraform plan or Pulumi stack only
names, a key in another account the live scan may not describe — leaves the store's
``encryption.at_rest.key_type`` null and records a gap naming the key (``key_id``). Before
relations are resolved, :func:`apply_declared_keys` sets ``key_type: customer_managed`` on
every such store whose key the setting covers, notes ``key_type_source: kms_keys``, and drops
exactly the gaps that key caused. One pass, whatever the source (Terraform, Pulumi, live AWS,
a saved inventory); nothing a scanner did judge is changed.

Entries, each naming one account (AWS-managed keys cannot be used from another account, so a
key used across accounts from a declared key account is the institution's own):

* ``"444455556666"`` or ``{account: "444455556666"}``: every key of that account, used by a
  store of another account;
* ``"arn:aws:kms:*:444455556666:key/*"`` or ``{arn: ...}``: keys whose ARN matches the glob
  (``*`` and ``?`` as in shell patterns; the account field must be the 12 digits), used by a
  store of another account; an ARN without wildcards declares that key wherever it is used.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from dsscan.errors import InputError

_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class DeclaredKeys:
    """One ``kms_keys`` entry: every key of ``account``, or those whose ARN matches ``arn``."""

    account: str
    arn: str | None = None

    def matches(self, key_id: str, asset_account: str | None) -> bool:
        """Whether the entry declares ``key_id``, used by a store of ``asset_account``.

        An AWS-managed key can only be used in its own account, so a key of a declared
        account used from *another* account is a customer-managed key. A key of the store's
        own account could be AWS-managed (aws/s3 when DescribeKey is denied): only an entry
        naming that very key ARN, without wildcards, declares it. ``alias/aws/*`` never."""
        if "alias/aws/" in key_id:
            return False
        if not key_id.startswith("arn:"):
            return False  # a bare key id or alias: a key of the store's own account
        parts = key_id.split(":", 5)
        if len(parts) < 6 or parts[2] != "kms":
            return False
        exact = self.arn is not None and not any(c in self.arn for c in "*?[")
        if exact:
            return key_id == self.arn
        if asset_account is None or parts[4] == asset_account:
            return False
        if self.arn is not None:
            return fnmatch.fnmatchcase(key_id, self.arn)
        return parts[4] == self.account

    def describe(self) -> str:
        return self.arn or self.account


def parse_kms_keys(value: Any, origin: str) -> list[DeclaredKeys]:
    """Validate the setting; one line naming the entry when it is wrong."""
    if not isinstance(value, list):
        raise InputError(f"{origin}: setting 'kms_keys' must be a list of account ids or key "
                         "ARN patterns")
    out: list[DeclaredKeys] = []
    for i, item in enumerate(value):
        where = f"{origin}: kms_keys[{i}]"
        if isinstance(item, dict):
            if set(item) == {"account"}:
                item = item["account"]
                if not isinstance(item, str) or not _ACCOUNT.match(item):
                    raise InputError(f"{where}.account must be a 12-digit account id in quotes")
            elif set(item) == {"arn"} and isinstance(item["arn"], str):
                item = item["arn"]
                if not item.startswith("arn:"):
                    raise InputError(f"{where}.arn must be a KMS key ARN pattern (arn:...)")
            else:
                raise InputError(f"{where}: expected an account id, a key ARN pattern, "
                                 "{account: ID} or {arn: PATTERN}")
        if isinstance(item, int) and not isinstance(item, bool):
            raise InputError(f"{where}: quote the account id {item!r} (unquoted digits are "
                             "read as a number)")
        if not isinstance(item, str):
            raise InputError(f"{where}: expected an account id or a key ARN pattern")
        if _ACCOUNT.match(item):
            out.append(DeclaredKeys(account=item))
            continue
        parts = item.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "kms":
            raise InputError(f"{where}: '{item}' is neither a 12-digit account id nor a KMS key "
                             "ARN pattern (arn:PARTITION:kms:REGION:ACCOUNT:key/ID)")
        if not _ACCOUNT.match(parts[4]):
            raise InputError(f"{where}: '{item}': the account field must be a 12-digit account "
                             "id (a pattern declares the keys of one account)")
        out.append(DeclaredKeys(account=parts[4], arn=item))
    return out


def apply_declared_keys(assets: list[dict[str, Any]], declared: list[DeclaredKeys]) -> int:
    """Decide ``key_type`` of stores whose key a scanner could not judge and the setting
    covers; drop the gaps that key caused. Returns how many stores it decided."""
    if not declared:
        return 0
    decided = 0
    for a in assets:
        state = (a.get("encryption") or {}).get("at_rest")
        if not isinstance(state, dict) or state.get("key_type") is not None \
                or state.get("enabled") is not True:
            continue
        key_id = state.get("key_id")
        if not isinstance(key_id, str) or not key_id:
            continue
        if not any(d.matches(key_id, a.get("account")) for d in declared):
            continue
        state["key_type"] = "customer_managed"
        state["key_type_source"] = "kms_keys"
        decided += 1
        assessment = a.get("assessment")
        if isinstance(assessment, dict) and isinstance(assessment.get("gaps"), list):
            assessment["gaps"] = [g for g in assessment["gaps"]
                                  if not (isinstance(g, dict) and g.get("key_id") == key_id
                                          and g.get("aspect") == "encryption")]
            if not assessment["gaps"] and assessment.get("status") == "partial":
                assessment["status"] = "complete"
    return decided
