"""Who manages the KMS key protecting a store: the key judgement of the IaC mapping.

* A key the plan creates (``aws_kms_key``, ``aws_kms_replica_key``, ``aws_kms_external_key``,
  ``aws_kms_replica_external_key``, their Pulumi ``aws.kms`` equivalents) is
  customer-managed: no one can create an AWS-managed key.
* An alias under ``alias/aws/`` (by name, or its ARN), and a key read from a data source whose
  ``key_manager`` is ``AWS`` or that was looked up by such an alias, is AWS-managed.
* A key read from a data source that says ``CUSTOMER`` is customer-managed.
* Anything else — a key ARN or id from outside the plan, a data source read only at apply, a
  value unknown until apply — is *not assessed*: ``key_type`` stays ``null`` and the gap names
  the key (``key_id``), so the ``kms_keys`` setting (dsscan/keys.py) can decide it later for
  keys the institution declares as its own. Never assumed customer- or AWS-managed.
* Not configured at all (absent, or computed by the provider) is not "unknown": the service
  uses its default key, which is AWS-managed (``encryption(default_key=...)``).
"""

from __future__ import annotations

from typing import Any

from dsscan.scanners.iac.key_facts import key_facts
from dsscan.scanners.iac.plan import Target
from dsscan.scanners.iac.resources import IacResource, is_unknown
from dsscan.scanners.iac.values import as_str

Asset = dict[str, Any]
# Keys a plan can create: every one is customer-managed (a multi-Region replica of a key,
# a key of imported material and its replica are the customer's as much as a plain key).
CMK_TYPES = ("aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key",
             "aws_kms_replica_external_key")
KEY_TYPES = (*CMK_TYPES, "aws_kms_alias")


def is_aws_managed_ref(ref: str) -> bool:
    """``alias/aws/s3`` or ``arn:...:alias/aws/s3``: names reserved for AWS-managed keys."""
    return ref.startswith("alias/aws/") or ":alias/aws/" in ref


class KeyMapping:
    """Mixed into mapping.Mapper (which provides ``plan``, ``gap``, ``gap_text``, ``asset``)."""

    plan: Any
    gap: Any
    gap_text: Any
    asset: Any

    def key_type(self, a: Asset, key: Target, what: str) -> tuple[str | None, str | None]:
        """(key_type, key id) of a configured KMS key reference; gaps for what cannot be told."""
        return self._key_type(a, key, what, 0)

    def _key_type(self, a: Asset, key: Target, what: str,
                  depth: int) -> tuple[str | None, str | None]:
        if isinstance(key, IacResource) and depth < 4:
            if key.type in CMK_TYPES:
                return self._kms_key(a, key, what)
            if key.type == "aws_kms_alias":
                return self._alias(a, key, what, depth)
        if isinstance(key, str):
            if is_aws_managed_ref(key):
                return "provider_managed", key
            self.key_gap(a, key, f"{what} {key} is not in the plan: who manages the key cannot "
                                 "be told before apply")
            return None, key
        if is_unknown(key):
            self.gap(a, "encryption", what, key)
        return None, None

    def _kms_key(self, a: Asset, key: IacResource, what: str) -> tuple[str | None, str | None]:
        ident = _ident(key)
        if not key.data:  # created and managed by this plan/stack
            return "customer_managed", ident or key.address
        manager = key.values.get("key_manager")
        looked_up = as_str(key.values.get("key_id")) or ""
        if manager == "AWS" or is_aws_managed_ref(looked_up):
            return "provider_managed", ident or looked_up
        if manager == "CUSTOMER":
            return "customer_managed", ident or looked_up or key.address
        why = ("is read only at apply: who manages the key cannot be told before apply"
               if is_unknown(manager) else "does not say who manages the key")
        self.key_gap(a, ident, f"{what}: the key data source {key.address} {why}")
        return None, ident

    def _alias(self, a: Asset, alias: IacResource, what: str,
               depth: int) -> tuple[str | None, str | None]:
        name = alias.values.get("name")
        arn = as_str(alias.values.get("arn"))
        if any(is_aws_managed_ref(x) for x in (name, arn) if isinstance(x, str)):
            return "provider_managed", as_str(alias.values.get("target_key_arn")) or arn or name
        if is_unknown(name) and alias.data:
            ident = as_str(alias.values.get("target_key_arn"))
            self.key_gap(a, ident, f"{what}: the alias data source {alias.address} is read "
                                   "only at apply: which key it names is not known before apply")
            return None, ident
        target = self.plan.ref(alias, "target_key_id", *CMK_TYPES)
        if not isinstance(target, IacResource):  # the key's ARN says which account it is in
            by_arn = self.plan.ref(alias, "target_key_arn", *CMK_TYPES)
            target = by_arn if isinstance(by_arn, IacResource | str) else target
        if target is None:
            self.key_gap(a, arn, f"{what}: which key the alias {name or alias.address} names is "
                                 "not known before apply")
            return None, arn
        return self._key_type(a, target, what, depth + 1)

    def key_gap(self, a: Asset, key_id: str | None, reason: str) -> None:
        """A gap on who manages a key: ``key_id`` lets the kms_keys setting resolve it."""
        self.gap_text(a, "encryption", reason, key_id=key_id)

    # -- keys created by the plan: assets of their own
    def kms_key(self, r: IacResource) -> None:
        aliases = [as_str(x.values.get("name")) for x in
                   self.plan.pointing_at(r, ("aws_kms_alias",), ("target_key_id",))]
        names = sorted(n for n in aliases if n)
        a = self.asset(r, "key", names[0].removeprefix("alias/") if names else r.name)
        a.setdefault("attributes", {})["aliases"] = names
        a["kms"] = key_facts(self, r, a)  # DS-KMS-001: state, rotation, who may decrypt


def _ident(key: IacResource) -> str | None:
    return as_str(key.values.get("arn")) or (
        as_str(key.values.get("id")) if key.data else None)
