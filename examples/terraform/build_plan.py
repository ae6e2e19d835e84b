"""Writes bank/plan.json: `terraform show -json` of the plan that first deploys the parity
estate (the bank of examples/pulumi/bank, described in Terraform). Run:
python examples/terraform/build_plan.py

Written by hand to the documented format (Terraform JSON output format, format_version 1.2):
``resource_changes`` with ``after``/``after_unknown``, ``planned_values``, and
``configuration`` with each resource's expressions and their ``references``. As in a real
first plan, ids and ARNs are known only after apply, so relations (a bucket's encryption
resource, a database's key, subnet group and security groups...) are told by references.
The equivalent HCL is bank/main.tf.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROVIDER = "registry.terraform.io/hashicorp/aws"
ACCOUNT, REGION = "111111111111", "cn-north-1"
_changes: list[dict[str, Any]] = []
_config: list[dict[str, Any]] = []
_planned: list[dict[str, Any]] = []

# Attributes every resource of a type computes at apply (unknown in a first plan).
COMPUTED = {
    "aws_kms_key": ["arn", "id", "key_id"], "aws_kms_alias": ["arn", "id", "target_key_arn"],
    "aws_vpc": ["arn", "id", "default_route_table_id", "main_route_table_id", "owner_id"],
    "aws_subnet": ["arn", "id"], "aws_internet_gateway": ["arn", "id", "owner_id"],
    "aws_route_table": ["arn", "id"], "aws_route_table_association": ["id"],
    "aws_vpc_peering_connection": ["id", "accept_status", "peer_owner_id", "peer_region"],
    "aws_security_group": ["arn", "id", "owner_id"],
    "aws_s3_bucket": ["arn", "id", "bucket_domain_name", "region"],
    "aws_s3_bucket_server_side_encryption_configuration": ["id"],
    "aws_s3_bucket_public_access_block": ["id"], "aws_s3_bucket_versioning": ["id"],
    "aws_s3_bucket_policy": ["id"], "aws_db_subnet_group": ["arn", "id"],
    "aws_db_instance": ["arn", "id", "address", "endpoint", "kms_key_id", "resource_id"],
    "aws_dynamodb_table": ["arn", "id", "stream_arn"],
    "aws_elasticache_subnet_group": ["arn", "id"],
    "aws_elasticache_replication_group": ["arn", "id", "kms_key_id",
                                          "primary_endpoint_address"],
    "aws_backup_vault": ["arn", "id", "recovery_points"], "aws_backup_plan": ["arn", "id"],
    "aws_backup_selection": ["id"],
}


def ref(*targets: str) -> dict[str, Any]:
    """An expression referring to resource attributes, as Terraform records it."""
    refs: list[str] = []
    for t in targets:
        refs += [t, t.rsplit(".", 1)[0]]
    return {"references": refs}


def const(value: Any) -> dict[str, Any]:
    return {"constant_value": value}


def resource(rtype: str, name: str, after: dict[str, Any],
             exprs: dict[str, Any] | None = None, unknown: dict[str, Any] | None = None) -> str:
    """A resource created by the plan; ``after`` holds the known values, ``unknown`` the
    values known only after apply beyond the type's computed ids (nested like the value)."""
    address = f"{rtype}.{name}"
    after_unknown: dict[str, Any] = dict.fromkeys(COMPUTED.get(rtype, ["id"]), True)
    after_unknown.update(unknown or {})
    if "tags" in after:
        after.setdefault("tags_all", dict(after["tags"]))
    known = {k: v for k, v in after.items() if after_unknown.get(k) is not True}
    _changes.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                     "provider_name": PROVIDER,
                     "change": {"actions": ["create"], "before": None, "after": known,
                                "after_unknown": after_unknown, "before_sensitive": False,
                                "after_sensitive": {}}})
    _planned.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                     "provider_name": PROVIDER, "schema_version": 0, "values": known,
                     "sensitive_values": {}})
    expressions = {k: const(v) for k, v in after.items()
                   if k != "tags_all" and not isinstance(v, list | dict)}
    if isinstance(after.get("tags"), dict):
        expressions["tags"] = const(after["tags"])
    expressions.update(exprs or {})
    _config.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                    "provider_config_key": "aws", "expressions": expressions,
                    "schema_version": 0})
    return address


def tags(**kw: str) -> dict[str, str]:
    return {k.replace("__", ":").replace("_", "-"): v for k, v in kw.items()}


PROD = {"environment": "production"}

# --- KMS ------------------------------------------------------------------------------------
resource("aws_kms_key", "bank_data", {"description": "bank data", "enable_key_rotation": True,
                                      "tags": {**PROD}})
resource("aws_kms_alias", "bank_data", {"name": "alias/bank-data"},
         {"target_key_id": ref("aws_kms_key.bank_data.key_id")},
         {"target_key_id": True})
KEY = ref("aws_kms_key.bank_data.arn")

# --- networks -------------------------------------------------------------------------------
resource("aws_vpc", "prod", {"cidr_block": "10.0.0.0/16", "tags": {
    "Name": "prod", "dsscan:level": "important", "environment": "production"}})
resource("aws_vpc", "test", {"cidr_block": "10.30.0.0/16", "tags": {
    "Name": "test", "dsscan:level": "sensitive", "environment": "test"}})
for sub, vpc, cidr, az in (("prod_a", "prod", "10.0.1.0/24", "a"),
                           ("prod_b", "prod", "10.0.2.0/24", "b"),
                           ("test_a", "test", "10.30.1.0/24", "a")):
    resource("aws_subnet", sub, {"cidr_block": cidr, "availability_zone": f"{REGION}{az}",
                                 "tags": {"Name": sub.replace("_", "-"),
                                          "environment": "test" if vpc == "test"
                                          else "production"}},
             {"vpc_id": ref(f"aws_vpc.{vpc}.id")}, {"vpc_id": True})
resource("aws_internet_gateway", "prod", {"tags": {**PROD}},
         {"vpc_id": ref("aws_vpc.prod.id")}, {"vpc_id": True})
resource("aws_vpc_peering_connection", "prod_test",
         {"auto_accept": True, "tags": {"environment": "production"}},
         {"vpc_id": ref("aws_vpc.prod.id"), "peer_vpc_id": ref("aws_vpc.test.id")},
         {"vpc_id": True, "peer_vpc_id": True})
resource("aws_route_table", "prod", {"tags": {**PROD}, "route": [
    {"cidr_block": "0.0.0.0/0"}, {"cidr_block": "10.30.0.0/16"}]},
    {"vpc_id": ref("aws_vpc.prod.id"),
     "route": [{"cidr_block": const("0.0.0.0/0"),
                "gateway_id": ref("aws_internet_gateway.prod.id")},
               {"cidr_block": const("10.30.0.0/16"),
                "vpc_peering_connection_id": ref("aws_vpc_peering_connection.prod_test.id")}]},
    {"vpc_id": True, "route": [{"gateway_id": True}, {"vpc_peering_connection_id": True}]})
resource("aws_route_table", "test", {"tags": {"environment": "test"}, "route": [
    {"cidr_block": "10.0.0.0/16"}]},
    {"vpc_id": ref("aws_vpc.test.id"),
     "route": [{"cidr_block": const("10.0.0.0/16"),
                "vpc_peering_connection_id": ref("aws_vpc_peering_connection.prod_test.id")}]},
    {"vpc_id": True, "route": [{"vpc_peering_connection_id": True}]})
for sub, table in (("prod_a", "prod"), ("prod_b", "prod"), ("test_a", "test")):
    resource("aws_route_table_association", sub, {},
             {"subnet_id": ref(f"aws_subnet.{sub}.id"),
              "route_table_id": ref(f"aws_route_table.{table}.id")},
             {"subnet_id": True, "route_table_id": True})


def tcp(port: int, *cidrs: str) -> dict[str, Any]:
    return {"from_port": port, "to_port": port, "protocol": "tcp", "cidr_blocks": list(cidrs),
            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [],
            "self": False, "description": ""}


for sg, vpc, rule, env in (("db", "prod", tcp(5432, "10.0.0.0/16", "10.30.0.0/16",
                                                "0.0.0.0/0"), PROD),
                           ("cache", "prod", tcp(6379, "10.0.0.0/16"), PROD),
                           ("test_db", "test", tcp(5432, "10.30.0.0/16"),
                            {"environment": "test"})):
    resource("aws_security_group", sg, {"name": sg.replace("_", "-"), "description": sg,
                                        "ingress": [rule], "tags": {**env}},
             {"vpc_id": ref(f"aws_vpc.{vpc}.id")}, {"vpc_id": True})

# --- S3 -------------------------------------------------------------------------------------


def public_read(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws-cn:s3:::{bucket}/*"}]})


def tls_only(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws-cn:s3:::{bucket}", f"arn:aws-cn:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def bucket(name: str, level: str, *, kms: bool, block: bool, policy: str,
           versioned: bool = False, extra_tags: dict[str, str] | None = None) -> None:
    tf = name.replace("-", "_")
    resource("aws_s3_bucket", tf, {"bucket": name, "force_destroy": False, "tags": {
        "dsscan:level": level, **PROD, **(extra_tags or {})}})
    on_bucket = {"bucket": ref(f"aws_s3_bucket.{tf}.id")}
    rule: dict[str, Any] = {"sse_algorithm": "aws:kms" if kms else "AES256"}
    resource("aws_s3_bucket_server_side_encryption_configuration", tf, {"rule": [
        {"apply_server_side_encryption_by_default": [rule], "bucket_key_enabled": None}]},
        {**on_bucket, "rule": [{"apply_server_side_encryption_by_default": [
            {"sse_algorithm": const(rule["sse_algorithm"]),
             **({"kms_master_key_id": KEY} if kms else {})}]}]},
        {"bucket": True, **({"rule": [{"apply_server_side_encryption_by_default": [
            {"kms_master_key_id": True}]}]} if kms else {})})
    resource("aws_s3_bucket_public_access_block", tf, dict.fromkeys(
        ("block_public_acls", "ignore_public_acls", "block_public_policy",
         "restrict_public_buckets"), block), on_bucket, {"bucket": True})
    resource("aws_s3_bucket_policy", tf, {"policy": policy}, on_bucket, {"bucket": True})
    if versioned:
        resource("aws_s3_bucket_versioning", tf,
                 {"versioning_configuration": [{"status": "Enabled", "mfa_delete": None}]},
                 on_bucket, {"bucket": True})


bucket("bank-statements", "sensitive", kms=True, block=True,
       policy=tls_only("bank-statements"), versioned=True, extra_tags={"backup": "daily"})
bucket("loan-documents", "sensitive", kms=False, block=False, policy=public_read("loan-documents"))
bucket("marketing-site", "general", kms=False, block=False, policy=public_read("marketing-site"))

# --- databases, table, cache ----------------------------------------------------------------
resource("aws_db_subnet_group", "prod_db", {"name": "prod-db", "tags": {**PROD}},
         {"subnet_ids": ref("aws_subnet.prod_a.id", "aws_subnet.prod_b.id")},
         {"subnet_ids": True})
resource("aws_db_subnet_group", "test_db", {"name": "test-db", "tags": {"environment": "test"}},
         {"subnet_ids": ref("aws_subnet.test_a.id")}, {"subnet_ids": True})


def database(name: str, level: str, group: str, sg: str, retention: int, *, cmk: bool,
             env: str = "production") -> None:
    tf = name.replace("-", "_")
    exprs: dict[str, Any] = {"db_subnet_group_name": ref(f"aws_db_subnet_group.{group}.name"),
                             "vpc_security_group_ids": ref(f"aws_security_group.{sg}.id")}
    unknown: dict[str, Any] = {"vpc_security_group_ids": True}
    if cmk:
        exprs["kms_key_id"] = KEY
    resource("aws_db_instance", tf, {
        "identifier": name, "engine": "postgres", "engine_version": "16.3",
        "instance_class": "db.t3.medium", "allocated_storage": 20, "username": "bank",
        "storage_encrypted": True, "backup_retention_period": retention,
        "publicly_accessible": False, "db_subnet_group_name": group.replace("_", "-"),
        "skip_final_snapshot": False,
        "tags": {"dsscan:level": level, "environment": env}}, exprs, unknown)


database("core-ledger", "core", "prod_db", "db", 35, cmk=True)
database("customer-profile", "important", "prod_db", "db", 7, cmk=False)
database("test-customer-db", "sensitive", "test_db", "test_db", 1, cmk=True, env="test")

resource("aws_dynamodb_table", "card_transactions", {
    "name": "card-transactions", "billing_mode": "PAY_PER_REQUEST", "hash_key": "id",
    "attribute": [{"name": "id", "type": "S"}],
    "server_side_encryption": [{"enabled": True}],
    "point_in_time_recovery": [{"enabled": True}],
    "tags": {"dsscan:level": "important", **PROD}},
    {"server_side_encryption": [{"enabled": const(True), "kms_key_arn": KEY}]},
    {"server_side_encryption": [{"kms_key_arn": True}]})
resource("aws_elasticache_subnet_group", "cache", {"name": "cache", "tags": {**PROD}},
         {"subnet_ids": ref("aws_subnet.prod_a.id", "aws_subnet.prod_b.id")},
         {"subnet_ids": True})
resource("aws_elasticache_replication_group", "session_cache", {
    "replication_group_id": "session-cache", "description": "sessions", "engine": "redis",
    "node_type": "cache.t3.micro", "num_cache_clusters": 1,
    "at_rest_encryption_enabled": False, "subnet_group_name": "cache",
    "tags": {"dsscan:level": "sensitive", **PROD}},
    {"subnet_group_name": ref("aws_elasticache_subnet_group.cache.name"),
     "security_group_ids": ref("aws_security_group.cache.id")},
    {"security_group_ids": True})

# --- AWS Backup -----------------------------------------------------------------------------
resource("aws_backup_vault", "prod_vault", {"name": "prod-vault", "tags": {
    "dsscan:level": "important", **PROD}}, {"kms_key_arn": KEY}, {"kms_key_arn": True})
resource("aws_backup_plan", "daily", {"name": "daily", "rule": [{
    "rule_name": "daily", "target_vault_name": "prod-vault", "schedule": "cron(0 3 * * ? *)"}],
    "tags": {**PROD}},
    {"rule": [{"rule_name": const("daily"),
               "target_vault_name": ref("aws_backup_vault.prod_vault.name"),
               "schedule": const("cron(0 3 * * ? *)")}]})
resource("aws_backup_selection", "daily", {
    "name": "tagged-daily", "iam_role_arn": f"arn:aws-cn:iam::{ACCOUNT}:role/backup",
    "selection_tag": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}]},
    {"plan_id": ref("aws_backup_plan.daily.id")}, {"plan_id": True})

plan = {
    "format_version": "1.2",
    "terraform_version": "1.9.8",
    "variables": {},
    "planned_values": {"root_module": {"resources": _planned}},
    "resource_changes": _changes,
    "configuration": {
        "provider_config": {"aws": {
            "name": "aws", "full_name": PROVIDER, "version_constraint": "~> 5.80",
            "expressions": {"region": const(REGION),
                            "allowed_account_ids": const([ACCOUNT])}}},
        "root_module": {"resources": _config},
    },
    "timestamp": "2026-11-30T08:00:00Z",
    "applyable": True,
    "complete": True,
    "errored": False,
}
out = Path(__file__).with_name("bank") / "plan.json"
out.parent.mkdir(exist_ok=True)
out.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
print(f"wrote {out} ({len(_changes)} resources)")
