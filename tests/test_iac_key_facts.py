"""The DS-KMS-001 facts of keys a Terraform plan or Pulumi stack creates
(scanners/iac/key_facts.py): one table of key shapes, each with the ``kms`` block it maps to
and the gaps it leaves. A value known only at apply is null and a gap, never a guess."""

from __future__ import annotations

import json
from typing import Any

import pytest
from iac_resources import aspects, assets, res

from dsscan.scanners.iac.resources import UNTIL_APPLY, Unknown

ROOT = "arn:aws-cn:iam::111111111111:root"
OPEN = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                                  "Resource": "*"}]})
OWN = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ROOT},
                                 "Action": "kms:*", "Resource": "*"}]})
ANYONE = [{"principal": "*", "account": None, "via": "key policy", "anyone": True}]
OWNER = [{"principal": ROOT, "account": "111111111111", "via": "key policy", "anyone": False}]
KEY = "aws_kms_key.k"


def key(values: dict[str, Any] | None = None, *, address: str = KEY, **kw: Any) -> Any:
    return res(address, {"description": "k", **(values or {})}, **kw)


def grant(grantee: Any, ops: Any = ("Decrypt",)) -> Any:
    return res("aws_kms_grant.g", {"grantee_principal": grantee,
                                   "operations": list(ops) if isinstance(ops, tuple) else ops,
                                   "key_id": UNTIL_APPLY}, refs={"key_id": [KEY]})


def key_policy(policy: Any) -> Any:
    return res("aws_kms_key_policy.p", {"policy": policy, "key_id": UNTIL_APPLY},
               refs={"key_id": [KEY]})


def facts(resources: list[Any]) -> tuple[dict[str, Any], list[str]]:
    a = next(x for x in assets(resources).values() if x["id"] == KEY)
    return a["kms"], aspects(a)


DEFAULT = {"rotation_enabled": False, "state": "Enabled", "deletion_date": None,
           "origin": "AWS_KMS", "decrypters": []}

# (case, resources, what differs from DEFAULT, gap aspects)
CASES = [
    ("nothing configured: no rotation (the provider's default), enabled, AWS's default policy",
     [key()], {}, []),
    ("rotation on", [key({"enable_key_rotation": True})], {"rotation_enabled": True}, []),
    ("rotation unknown until apply", [key({"enable_key_rotation": UNTIL_APPLY})],
     {"rotation_enabled": None}, ["encryption"]),
    ("disabled", [key({"is_enabled": False})], {"state": "Disabled"}, []),
    ("enabled unknown until apply", [key({"is_enabled": UNTIL_APPLY})], {"state": None},
     ["encryption"]),
    # a deletion window is how long a future deletion would wait, not a deletion
    ("deletion window set", [key({"deletion_window_in_days": 7})], {}, []),
    ("policy computed by the provider: AWS's default", [key({"policy": Unknown("computed")})],
     {}, []),
    ("policy lets anyone decrypt", [key({"policy": OPEN})], {"decrypters": ANYONE}, []),
    ("policy as an object (a Pulumi input)", [key({"policy": json.loads(OPEN)})],
     {"decrypters": ANYONE}, []),
    ("policy known only at apply", [key({"policy": UNTIL_APPLY})], {"decrypters": None},
     ["access"]),
    ("policy that is not JSON", [key({"policy": "{not json"})], {"decrypters": None},
     ["access"]),
    ("policy that is not a policy", [key({"policy": json.dumps({"Statement": 3})})],
     {"decrypters": None}, ["access"]),
    ("aws_kms_key_policy wins over the key's own", [key({"policy": OPEN}), key_policy(OWN)],
     {"decrypters": OWNER}, []),
    ("aws_kms_key_policy known only at apply", [key({"policy": OWN}), key_policy(UNTIL_APPLY)],
     {"decrypters": None}, ["access"]),
    ("grant to another account",
     [key(), grant("arn:aws-cn:iam::999999999999:role/x", ("Decrypt", "Encrypt"))],
     {"decrypters": [{"principal": "arn:aws-cn:iam::999999999999:role/x",
                      "account": "999999999999", "via": "grant", "anyone": False}]}, []),
    ("grant without Decrypt", [key(), grant("arn:aws-cn:iam::999999999999:root",
                                            ("Encrypt",))], {}, []),
    ("grantee known only at apply", [key(), grant(UNTIL_APPLY)], {"decrypters": None},
     ["access"]),
    ("grant operations known only at apply", [key(), grant(ROOT, UNTIL_APPLY)],
     {"decrypters": None}, ["access"]),
    # a grant or policy whose key is unknown and untraceable (a local, a variable) may be
    # this key's: who may decrypt cannot be told
    ("grant for an untraceable key",
     [key(), res("aws_kms_grant.g", {"grantee_principal": "arn:aws-cn:iam::999999999999:root",
                                     "operations": ["Decrypt"], "key_id": UNTIL_APPLY},
                 refs={"key_id": ["local.data_key"]})],
     {"decrypters": None}, ["access"]),
    ("key policy for an untraceable key",
     [key({"policy": OWN}), res("aws_kms_key_policy.p", {"policy": OPEN,
                                                         "key_id": UNTIL_APPLY},
                                refs={"key_id": ["var.key"]})],
     {"decrypters": None}, ["access"]),
    # two policy resources for one key: one replaces the other, in an order not shown
    ("two different aws_kms_key_policy resources",
     [key(), key_policy(OPEN), res("aws_kms_key_policy.q", {"policy": OWN,
                                                            "key_id": UNTIL_APPLY},
                                   refs={"key_id": [KEY]})],
     {"decrypters": None}, ["access"]),
    ("two identical aws_kms_key_policy resources",
     [key(), key_policy(OWN), res("aws_kms_key_policy.q", {"policy": OWN,
                                                           "key_id": UNTIL_APPLY},
                                  refs={"key_id": [KEY]})],
     {"decrypters": OWNER}, []),
    ("imported key material, not yet imported",
     [res("aws_kms_external_key.k", {"enabled": True})],
     {"rotation_enabled": False, "state": "PendingImport", "origin": "EXTERNAL"}, []),
    ("imported key material", [res("aws_kms_external_key.k", {"key_material_base64": "x"})],
     {"rotation_enabled": False, "state": "Enabled", "origin": "EXTERNAL"}, []),
    ("custom key store", [key({"custom_key_store_id": "cks-1"})],
     {"origin": "AWS_CLOUDHSM"}, []),
    ("replica of a primary in the plan: the primary's rotation",
     [key({"enable_key_rotation": True}, address="aws_kms_key.p"),
      res("aws_kms_replica_key.k", {"primary_key_arn": UNTIL_APPLY},
          refs={"primary_key_arn": ["aws_kms_key.p"]})],
     {"rotation_enabled": True, "origin": None}, []),
    ("replica of a primary outside the plan: rotation not known",
     [res("aws_kms_replica_key.k", {"primary_key_arn":
                                    "arn:aws-cn:kms:cn-north-1:1:key/mrk-1"})],
     {"rotation_enabled": None, "origin": None}, ["encryption"]),
]


@pytest.mark.parametrize(("case", "resources", "differs", "gaps"), CASES,
                         ids=[c[0] for c in CASES])
def test_key_facts(case: str, resources: list[Any], differs: dict[str, Any],
                   gaps: list[str]) -> None:
    for r in resources:
        if r.address.endswith(".k") and r.type != "aws_kms_key":
            r.address = KEY  # the asset under test, whatever its type
    got, got_gaps = facts(resources)
    assert got == {**DEFAULT, **differs}
    assert got_gaps == gaps
