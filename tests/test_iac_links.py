"""Which resource a configuration resource is for (scanners/terraform.py, scanners/iac/plan.py,
Mapper.linked): never a guess.

* count/for_each: ``aws_s3_bucket.b[var.i]`` is not ``b[<my own index>]`` — Terraform lists
  ``aws_s3_bucket.b`` and ``var.i``, and before issue 11 the "same index" rule linked the
  policy of ``site[0]`` to ``b[0]``. Only ``count.index``/``each.key`` (or a ``for_each`` over
  the instances) pair instances by key; a planned value that names its target decides first;
  anything else leaves the facet the resource could weaken not assessed on every instance it
  may be for.
* Every relation, not only S3's: a cluster member, mount target, security-group rule, route,
  route table, subnet, peering or policy whose target is untraceable (through a ``local``)
  may be any target's, and leaves the facet it could weaken not assessed — before issue 11
  it silently disappeared (an ingress rule 0.0.0.0/0 through a local, and DS-NET-002 passed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from iac_resources import CLOSED, OPEN, PUBLIC, aspects, assets, bucket, part, res

from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.iac.resources import UNTIL_APPLY
from dsscan.scanners.terraform import read_plan

AWS = "registry.terraform.io/hashicorp/aws"


# -- count / for_each -------------------------------------------------------------------------

def _rc(address: str, rtype: str, after: dict[str, Any], unknown: dict[str, Any],
        module: str | None = None) -> dict[str, Any]:
    out = {"address": address, "mode": "managed", "type": rtype,
           "name": address.rsplit(".", 1)[-1].split("[")[0], "provider_name": AWS,
           "change": {"actions": ["create"], "before": None, "after": after,
                      "after_unknown": {"id": True, "arn": True, **unknown}}}
    if "[" in address.rsplit(".", 1)[-1]:
        key = address.rsplit("[", 1)[-1].rstrip("]")
        out["index"] = json.loads(key)
    if module:
        out["module_address"] = module
    return out


def _cfg(address: str, rtype: str, exprs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": rtype,
            "name": address.rsplit(".", 1)[-1], "provider_config_key": "aws",
            "expressions": exprs, **extra}


def _plan(tmp_path: Path, changes: list[dict[str, Any]], root: dict[str, Any]) -> Path:
    doc = {"format_version": "1.2", "terraform_version": "1.11.4",
           "resource_changes": changes, "configuration": {
               "provider_config": {"aws": {"name": "aws", "expressions": {
                   "region": {"constant_value": "us-east-1"}}}}, "root_module": root}}
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(doc))
    return p


def _buckets(keys: list[Any], *, known_ids: bool = False) -> list[dict[str, Any]]:
    out = []
    for k in keys:
        name = f"bank-{k}"
        after = {"bucket": name, "tags": {"dsscan:level": "core"}}
        unknown: dict[str, Any] = {}
        if known_ids:
            after["id"] = name
            unknown = {"id": False}
        out.append(_rc(f"aws_s3_bucket.b[{json.dumps(k)}]", "aws_s3_bucket", after, unknown))
    return out


def _policies(keys: list[Any], bucket_value: Any = None) -> list[dict[str, Any]]:
    """Public policies p[k]; ``bucket_value(k)``: the planned bucket (None: unknown)."""
    out = []
    for k in keys:
        after: dict[str, Any] = {"policy": PUBLIC}
        unknown: dict[str, Any] = {}
        if bucket_value is None:
            unknown["bucket"] = True
        else:
            after["bucket"] = bucket_value(k)
        out.append(_rc(f"aws_s3_bucket_policy.p[{json.dumps(k)}]", "aws_s3_bucket_policy",
                       after, unknown))
    return out


COUNT = {"count_expression": {"constant_value": 2}}
EACH = {"for_each_expression": {"constant_value": {"0": "a", "1": "b"}}}


def _root(bucket_refs: list[str], meta: dict[str, Any]) -> dict[str, Any]:
    return {"resources": [
        _cfg("aws_s3_bucket.b", "aws_s3_bucket", {}, **meta),
        _cfg("aws_s3_bucket_policy.p", "aws_s3_bucket_policy",
             {"bucket": {"references": bucket_refs}, "policy": {}}, **meta)]}


# (case, bucket keys, policy keys, `bucket` references, resource meta, the planned bucket
#  value per policy key (None: unknown), {bucket name: wildcard principal (None: not assessed)})
SHAPES = [
    ("b[count.index]: the same index", [0, 1], [0, 1],
     ["aws_s3_bucket.b", "count.index"], COUNT, None, {"bank-0": True, "bank-1": True}),
    ("b[count.index] for one of two", [0, 1], [1], ["aws_s3_bucket.b", "count.index"], COUNT,
     None, {"bank-0": False, "bank-1": True}),
    ("b[each.key]: the same key", ["0", "1"], ["1"], ["aws_s3_bucket.b", "each.key"], EACH,
     None, {"bank-0": False, "bank-1": True}),
    ("b[var.site] with the id unknown: either bucket", [0, 1], [0],
     ["aws_s3_bucket.b", "var.site"], COUNT, None, {"bank-0": None, "bank-1": None}),
    ("b[var.site].bucket planned: the named bucket", [0, 1], [0],
     ["aws_s3_bucket.b", "var.site"], COUNT, lambda k: "bank-1",
     {"bank-0": False, "bank-1": True}),
    ("b[local.i]: either bucket", [0, 1], [0], ["aws_s3_bucket.b", "local.i"], COUNT, None,
     {"bank-0": None, "bank-1": None}),
    ("b[each.value]: an index other than the own key", ["0", "1"], ["0"],
     ["aws_s3_bucket.b", "each.value"], EACH, None, {"bank-0": None, "bank-1": None}),
    ("b[count.index] inside a string with a variable: not only the own index", [0, 1], [0],
     ["aws_s3_bucket.b", "count.index", "var.suffix"], COUNT, None,
     {"bank-0": None, "bank-1": None}),
    ("one(b[*].id): every instance, no index", [0, 1], [0], ["aws_s3_bucket.b"], COUNT, None,
     {"bank-0": None, "bank-1": None}),
    ("a static index b[1]", [0, 1], [0],
     ["aws_s3_bucket.b[1].id", "aws_s3_bucket.b[1]", "aws_s3_bucket.b"], COUNT, None,
     {"bank-0": False, "bank-1": True}),
]


@pytest.mark.parametrize(("case", "bkeys", "pkeys", "refs", "meta", "value", "want"), SHAPES,
                         ids=[c[0] for c in SHAPES])
def test_count_and_for_each_references(tmp_path, case, bkeys, pkeys, refs, meta, value, want):
    changes = _buckets(bkeys) + _policies(pkeys, value)
    p = _plan(tmp_path, changes, _root(refs, meta))
    got = {a["name"]: a for a in build_inventory(read_plan(str(p)), tool="terraform",
                                                  files=[str(p)]).assets}
    for name, wildcard in want.items():
        a = got[name]
        assert a["access"]["wildcard_principal"] is wildcard, name
        assert ("access" in aspects(a)) is (wildcard is None), name


def test_a_planned_value_naming_no_planned_bucket_links_none(tmp_path):
    """bucket = "${aws_s3_bucket.b.id}-logs": the reference names b, the value another bucket
    (outside the plan): b is not configured by it."""
    changes = [_rc("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": "bank", "id": "bank"},
                   {"id": False}),
               _rc("aws_s3_bucket_policy.p", "aws_s3_bucket_policy",
                   {"bucket": "bank-logs", "policy": PUBLIC}, {})]
    root = {"resources": [_cfg("aws_s3_bucket.b", "aws_s3_bucket", {}),
                          _cfg("aws_s3_bucket_policy.p", "aws_s3_bucket_policy", {
                              "bucket": {"references": ["aws_s3_bucket.b.id",
                                                        "aws_s3_bucket.b"]}})]}
    p = _plan(tmp_path, changes, root)
    (a,) = build_inventory(read_plan(str(p)), tool="terraform", files=[str(p)]).assets
    assert a["access"]["wildcard_principal"] is False


def test_a_for_each_over_buckets_passed_through_a_module_variable_keeps_its_keys(tmp_path):
    """module "m" { for_each = aws_s3_bucket.b; bucket = each.value.id } → inside, var.bucket
    is the bucket with the module instance's key."""
    changes = _buckets(["x", "y"])
    for k in ("x", "y"):
        changes.append(_rc(f'module.m["{k}"].aws_s3_bucket_policy.p', "aws_s3_bucket_policy",
                           {"policy": PUBLIC if k == "y" else json.dumps({"Statement": []})},
                           {"bucket": True}, module=f'module.m["{k}"]'))
    root = {"resources": [_cfg("aws_s3_bucket.b", "aws_s3_bucket", {},
                               for_each_expression={"constant_value": ["x", "y"]})],
            "module_calls": {"m": {
                "source": "./m", "for_each_expression": {"references": ["aws_s3_bucket.b"]},
                "expressions": {"bucket": {"references": ["each.value.id", "each.value"]}},
                "module": {"resources": [_cfg("aws_s3_bucket_policy.p", "aws_s3_bucket_policy",
                                              {"bucket": {"references": ["var.bucket"]}})]}}}}
    p = _plan(tmp_path, changes, root)
    got = {a["name"]: a for a in build_inventory(read_plan(str(p)), tool="terraform",
                                                  files=[str(p)]).assets}
    assert got["bank-x"]["access"]["wildcard_principal"] is False
    assert got["bank-y"]["access"]["wildcard_principal"] is True
    assert aspects(got["bank-x"]) == aspects(got["bank-y"]) == []


# -- every relation: a resource whose target is untraceable may be any target's --------------

LOCAL = UNTIL_APPLY  # what a value through a `local` is: unknown, and no reference says whose


def cluster(rtype: str) -> list[Any]:
    return [res(f"{rtype}.core", {"cluster_identifier": "core", "storage_encrypted": True,
                                  "tags": {"dsscan:level": "core"}})]


def member(rtype: str, public: bool) -> Any:
    return res(f"{rtype}.m", {"cluster_identifier": LOCAL, "publicly_accessible": public})


def vpc() -> list[Any]:
    return [res("aws_vpc.core", {"cidr_block": "10.0.0.0/16",
                                 "tags": {"Name": "core", "dsscan:level": "core"}}),
            res("aws_internet_gateway.igw", {"vpc_id": UNTIL_APPLY},
                refs={"vpc_id": ["aws_vpc.core"]})]


def sg() -> Any:
    return res("aws_security_group.db", {"name": "core-db", "vpc_id": UNTIL_APPLY},
               refs={"vpc_id": ["aws_vpc.core"]})


def route(**target: Any) -> Any:
    return res("aws_route.r", {"route_table_id": LOCAL, "destination_cidr_block": "0.0.0.0/0",
                               **target}, refs={k: ["aws_internet_gateway.igw"] for k in target
                                                if k == "gateway_id"})


def efs(policy_status: str | None = None) -> list[Any]:
    out = [res("aws_efs_file_system.fs", {"encrypted": True,
                                          "tags": {"Name": "fs", "dsscan:level": "core"}})]
    if policy_status:
        out.append(res("aws_efs_backup_policy.own", {"file_system_id": UNTIL_APPLY,
                                                     "backup_policy": [{"status": "ENABLED"}]},
                       refs={"file_system_id": ["aws_efs_file_system.fs"]}))
    return out


def peering(vpc_side: Any) -> Any:
    return res("aws_vpc_peering_connection.p", {"vpc_id": vpc_side, "peer_vpc_id": "vpc-other",
                                                "auto_accept": True})


VAULT = [res("aws_backup_vault.v", {"name": "main"})]

# (case, resources, asset name, {fact: expected}, gap aspects on it)
RELATIONS = [
    *[(f"{t}: a public member through a local", [*cluster(t), member(m, True)], "core",
       {"access.public": None}, ["network"]) for t, m in (
        ("aws_rds_cluster", "aws_rds_cluster_instance"),
        ("aws_neptune_cluster", "aws_neptune_cluster_instance"),
        ("aws_docdb_cluster", "aws_docdb_cluster_instance"))],
    ("a private member through a local cannot weaken the cluster",
     [*cluster("aws_rds_cluster"), member("aws_rds_cluster_instance", False)], "core",
     {"access.public": False}, []),
    ("an ingress rule through a local: the group", [*vpc(), sg(),
     res("aws_vpc_security_group_ingress_rule.any", {
         "security_group_id": LOCAL, "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp",
         "from_port": 5432, "to_port": 5432})], "core-db", {}, ["network"]),
    ("an ingress rule through a local: the domain the group is in", [*vpc(), sg(),
     res("aws_vpc_security_group_ingress_rule.any", {
         "security_group_id": LOCAL, "cidr_ipv4": "0.0.0.0/0", "ip_protocol": "-1"})],
     "core", {}, ["network"]),
    ("an aws_security_group_rule ingress through a local", [*vpc(), sg(),
     res("aws_security_group_rule.any", {
         "type": "ingress", "security_group_id": LOCAL, "cidr_blocks": ["0.0.0.0/0"],
         "protocol": "tcp", "from_port": 22, "to_port": 22})], "core-db", {}, ["network"]),
    ("an egress rule through a local cannot open the group", [*vpc(), sg(),
     res("aws_security_group_rule.out", {
         "type": "egress", "security_group_id": LOCAL, "cidr_blocks": ["0.0.0.0/0"],
         "protocol": "-1", "from_port": 0, "to_port": 0})], "core-db", {}, []),
    ("a route to the internet gateway in a table through a local",
     [*vpc(), route(gateway_id=UNTIL_APPLY)], "core", {}, ["network"]),
    ("a route to a NAT gateway through a local carries traffic out only",
     [*vpc(), route(nat_gateway_id="nat-0abc")], "core", {}, []),
    ("a route table with an internet route whose VPC is a local",
     [*vpc(), res("aws_route_table.rt", {"vpc_id": LOCAL, "route": [
         {"cidr_block": "0.0.0.0/0", "gateway_id": "igw-0abc"}]})], "core", {}, ["network"]),
    ("a subnet whose VPC is a local", [*vpc(), res("aws_subnet.s", {
        "vpc_id": LOCAL, "cidr_block": "10.0.9.0/24"})], "core", {}, ["network"]),
    ("a peering whose VPC is a local", [*vpc(), peering(LOCAL)], "core", {}, ["network"]),
    ("a mount target whose file system is a local",
     [*efs(), res("aws_efs_mount_target.m", {"file_system_id": LOCAL, "subnet_id": "subnet-1"})],
     "fs", {}, ["network"]),
    ("a disabled backup policy through a local beside the file system's own",
     [*efs("ENABLED"), res("aws_efs_backup_policy.other", {
         "file_system_id": LOCAL, "backup_policy": [{"status": "DISABLED"}]})],
     "fs", {"backup.native.enabled": None}, ["backup"]),
    ("an enabled backup policy through a local cannot weaken",
     [*efs("ENABLED"), res("aws_efs_backup_policy.other", {
         "file_system_id": LOCAL, "backup_policy": [{"status": "ENABLED"}]})],
     "fs", {"backup.native.enabled": True}, []),
    ("a public vault policy through a local",
     [*VAULT, res("aws_backup_vault_policy.p", {"backup_vault_name": LOCAL,
                                                 "policy": PUBLIC.replace("s3:", "backup:")})],
     "main", {"access.public": None}, ["access"]),
    ("a vault lock through a local beside the vault's own lock",
     [*VAULT, res("aws_backup_vault_lock_configuration.own", {
         "backup_vault_name": "main", "min_retention_days": 365, "changeable_for_days": 3}),
      res("aws_backup_vault_lock_configuration.other", {
          "backup_vault_name": LOCAL, "min_retention_days": 1})], "main", {}, ["access"]),
    ("a vault lock through a local, the vault has none: it can only lock it",
     [*VAULT, res("aws_backup_vault_lock_configuration.other", {
         "backup_vault_name": LOCAL, "min_retention_days": 1})], "main", {}, []),
]


def fact(a: dict[str, Any], path: str) -> Any:
    for seg in path.split("."):
        a = a[seg]
    return a


@pytest.mark.parametrize(("case", "rs", "name", "want", "gaps"), RELATIONS,
                         ids=[c[0] for c in RELATIONS])
def test_an_untraceable_relation_leaves_what_it_could_weaken_not_assessed(case, rs, name,
                                                                         want, gaps):
    a = assets(rs)[name]
    for path, value in want.items():
        assert fact(a, path) is value, path
    assert aspects(a) == gaps


def test_routes_of_the_main_route_table_are_the_vpcs():
    """route_table_id = aws_vpc.core.main_route_table_id: a route of that VPC (before issue
    11 it was dropped, and an internet route with it)."""
    rs = [*vpc(), res("aws_route.r", {"route_table_id": UNTIL_APPLY,
                                      "destination_cidr_block": "0.0.0.0/0",
                                      "gateway_id": UNTIL_APPLY},
                      refs={"route_table_id": ["aws_vpc.core"],
                            "gateway_id": ["aws_internet_gateway.igw"]})]
    a = assets(rs)["core"]
    assert a["network"]["internet_gateway"] is True
    assert {"destination": "0.0.0.0/0", "target": "igw-(aws_internet_gateway.igw)"} in \
        a["network"]["routes"]
    assert aspects(a) == []


def test_s3_parts_keep_their_rule():
    """The S3 parts go through the same mechanism: a block that closes everything cannot
    weaken any bucket; one that opens a setting can."""
    closed = res("aws_s3_bucket_public_access_block.far", {"bucket": LOCAL, **CLOSED})
    opened = res("aws_s3_bucket_public_access_block.far", {"bucket": LOCAL, **OPEN})
    rs = [bucket(), part("aws_s3_bucket_policy.p", {"policy": PUBLIC})]
    assert aspects(assets([*rs, closed])["core-data"]) == []
    a = assets([*rs, opened])["core-data"]
    assert aspects(a) == ["access"] and a["access"]["public"] is None
