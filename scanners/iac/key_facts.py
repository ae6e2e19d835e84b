"""The facts DS-KMS-001 judges on a key a plan or stack creates (the ``kms`` block), in
Terraform's vocabulary (Pulumi's ``aws.kms`` resources arrive translated):

* **rotation** — ``aws_kms_key.enable_key_rotation`` (the provider's default: off). A
  multi-Region replica (``aws_kms_replica_key``) rotates with its primary: the primary's
  setting when the plan holds it, else not assessed. A key of imported material
  (``aws_kms_external_key``, ``aws_kms_replica_external_key``) is never rotated by AWS.
* **state** — ``is_enabled`` (``enabled`` on replica and external keys; default on):
  ``Enabled`` or ``Disabled``; an external key without ``key_material_base64`` is
  ``PendingImport``. ``deletion_window_in_days`` is only how long a future deletion would
  wait: it never means pending deletion, and ``deletion_date`` is never known. (A key the plan
  destroys is no asset — the plan reader leaves deletions out — so a store still naming it
  names a key outside the plan: an encryption gap, not assessed.)
* **who may decrypt** — the key policy (``policy`` on the key, or an ``aws_kms_key_policy``
  naming it, which wins) and every ``aws_kms_grant`` naming it, read by
  scanners/aws/keydoc.py as the live scanner reads them. No policy configured is AWS's
  default policy (the key's own account). A policy, grantee or operation list known only at
  apply — frequent in plans: ``jsonencode`` of an ARN not yet created — is ``null`` with an
  ``access`` gap (not assessed), as is a policy that cannot be judged.

A value unknown before apply is ``null`` and a gap, never a guess.
"""

from __future__ import annotations

import json
from typing import Any

from dsscan.scanners.aws.keydoc import NotAPolicy, grant_decrypters, policy_decrypters
from dsscan.scanners.iac.resources import IacResource, Unknown, configured, is_unknown
from dsscan.scanners.iac.values import as_bool, as_str

Asset = dict[str, Any]
# Resources that configure a key the plan creates (mapped into its asset, never assets).
KEY_CONFIG_TYPES = ("aws_kms_key_policy", "aws_kms_grant")
_EXTERNAL = ("aws_kms_external_key", "aws_kms_replica_external_key")


def key_facts(m: Any, r: IacResource, a: Asset) -> dict[str, Any]:
    """The ``kms`` block of the asset ``a`` of key ``r``; ``m``: the Mapper (plan, gaps)."""
    return {"rotation_enabled": _rotation(m, r, a), "state": _state(m, r, a),
            "deletion_date": None, "origin": _origin(r), "decrypters": _decrypters(m, r, a)}


def _origin(r: IacResource) -> str | None:
    if r.type in _EXTERNAL:
        return "EXTERNAL"
    if r.type == "aws_kms_key":
        if as_str(configured(r.values.get("xks_key_id"))):
            return "EXTERNAL_KEY_STORE"
        if as_str(configured(r.values.get("custom_key_store_id"))):
            return "AWS_CLOUDHSM"
        return "AWS_KMS"
    return None  # a replica's origin is its primary's


def _flag(m: Any, a: Asset, r: IacResource, attr: str, default: bool,
          aspect: str) -> bool | None:
    v = configured(r.values.get(attr))
    if v is None:
        return default
    b = as_bool(v)
    if is_unknown(b) or b is None:
        m.gap(a, aspect, f"{r.address}.{attr}", b if is_unknown(b) else Unknown())
        return None
    return bool(b)


def _rotation(m: Any, r: IacResource, a: Asset) -> bool | None:
    if r.type in _EXTERNAL:
        return False
    if r.type == "aws_kms_replica_key":
        primary = m.plan.ref(r, "primary_key_arn", "aws_kms_key")
        if isinstance(primary, IacResource):
            return _flag(m, a, primary, "enable_key_rotation", False, "encryption")
        m.gap_text(a, "encryption", f"{r.address} rotates with its primary key, which this "
                                    "input does not hold: whether rotation is on is not known")
        return None
    return _flag(m, a, r, "enable_key_rotation", False, "encryption")


def _state(m: Any, r: IacResource, a: Asset) -> str | None:
    attr = "is_enabled" if r.type == "aws_kms_key" else "enabled"
    on = _flag(m, a, r, attr, True, "encryption")
    if on is None:
        return None
    if r.type in _EXTERNAL and configured(r.values.get("key_material_base64")) is None:
        return "PendingImport"
    return "Enabled" if on else "Disabled"


def _decrypters(m: Any, r: IacResource, a: Asset) -> list[dict[str, Any]] | None:
    # A policy or grant that may be this key's (its key_id unknown and untraceable, or
    # ambiguous) may let anyone decrypt: the facet is not assessed (m.linked says so).
    policies, maybe_policies = m.linked(a, r, ("aws_kms_key_policy",), ("key_id",),
                                        aspect="access", what="be the key policy of {target}")
    grants, maybe_grants = m.linked(a, r, ("aws_kms_grant",), ("key_id",), aspect="access",
                                    what="let someone decrypt with {target}")
    if maybe_policies or maybe_grants:
        return None
    if len({json.dumps(p.values.get("policy"), sort_keys=True, default=str)
            for p in policies}) > 1:
        # a key has one policy: several resources replace each other in an order the plan
        # does not show
        m.gap_text(a, "access", f"{len(policies)} aws_kms_key_policy resources set the policy "
                                f"of {r.address} and only one of them stays after apply")
        return None
    holder = policies[-1] if policies else r
    raw = configured(holder.values.get("policy")) or None  # "": none configured
    unknown = [f"the key policy of {holder.address}"] if is_unknown(raw) else []
    read: list[dict[str, Any]] = []
    for g in grants:
        grantee, ops = g.values.get("grantee_principal"), g.values.get("operations")
        if is_unknown(grantee) or is_unknown(ops) or (isinstance(ops, list)
                                                      and any(is_unknown(x) for x in ops)):
            unknown.append(f"the grantee or operations of {g.address}")
            continue
        read.append({"grantee": grantee, "operations": ops})
    if unknown:
        m.gap_text(a, "access", "not assessed until apply: " + ", ".join(unknown)
                   + " not known before apply: who may decrypt cannot be told")
        return None
    try:
        policy = json.loads(raw) if isinstance(raw, str) else raw
        return policy_decrypters(policy) + grant_decrypters(read)
    except (ValueError, NotAPolicy) as e:
        m.gap_text(a, "access", f"the key policy or grants of {r.address} cannot be judged: "
                                f"{e if isinstance(e, NotAPolicy) else 'not JSON'}")
        return None
