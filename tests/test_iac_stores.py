"""IaC stores beyond buckets and databases — EC2 volumes (standalone, instance and launch
template devices, the account's encryption by default), OpenSearch, clustered stores,
single-node ElastiCache — what every input leaves out (counted and shown), and a plan's
prior_state read once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.reports import get_reporter
from dsscan.scanners.iac.mapping import build_inventory
from dsscan.scanners.pulumi_source import read_export_doc
from dsscan.scanners.terraform import collect, read_plan

AWS = "registry.terraform.io/hashicorp/aws"
LEVEL = {"dsscan:level": "sensitive"}


def change(address: str, rtype: str, after: dict[str, Any],
           unknown: dict[str, Any] | None = None, *, provider: str = AWS,
           **extra: Any) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": rtype,
            "name": address.split(".")[1].split("[")[0], "provider_name": provider,
            "change": {"actions": ["create"], "before": None, "after": after,
                       "after_unknown": {"id": True, **(unknown or {})}}, **extra}


def plan(tmp_path: Path, changes: list[dict[str, Any]], cfg: list[dict[str, Any]] | None = None,
         **doc: Any) -> Path:
    p = tmp_path / "plan.json"
    p.write_text(json.dumps({"format_version": "1.2", "resource_changes": changes,
                             "configuration": {"provider_config": {"aws": {
                                 "name": "aws", "expressions": {
                                     "region": {"constant_value": "cn-north-1"}}}},
                                 "root_module": {"resources": cfg or []}}, **doc}))
    return p


def assets(path: Path) -> dict[str, dict[str, Any]]:
    inv = build_inventory(read_plan(str(path)), tool="terraform", files=[str(path)])
    return {a["name"]: a for a in inv.assets}


def cfg(address: str, rtype: str, exprs: dict[str, Any]) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": rtype,
            "name": address.split(".")[1], "provider_config_key": "aws", "expressions": exprs}


VOLUME = change("aws_ebs_volume.v", "aws_ebs_volume",
                {"availability_zone": "cn-north-1a", "size": 10,
                 "tags": {"Name": "v", **LEVEL}},
                {"encrypted": True, "kms_key_id": True})
VOLUME_CFG = cfg("aws_ebs_volume.v", "aws_ebs_volume", {"size": {"constant_value": 10}})
KEY = change("aws_kms_key.ebs", "aws_kms_key", {}, {"arn": True})
DEFAULT_ON = change("aws_ebs_encryption_by_default.on", "aws_ebs_encryption_by_default",
                    {"enabled": True})
DEFAULT_OFF = change("aws_ebs_encryption_by_default.off", "aws_ebs_encryption_by_default",
                     {"enabled": False})
DEFAULT_KEY = change("aws_ebs_default_kms_key.k", "aws_ebs_default_kms_key", {},
                     {"key_arn": True})
DEFAULT_KEY_CFG = cfg("aws_ebs_default_kms_key.k", "aws_ebs_default_kms_key", {
    "key_arn": {"references": ["aws_kms_key.ebs.arn", "aws_kms_key.ebs"]}})
INSTANCE = change("aws_instance.app", "aws_instance",
                  {"ami": "ami-1", "instance_type": "t3.micro", "volume_tags": LEVEL},
                  {"root_block_device": True, "ebs_block_device": True})
INSTANCE_CFG = cfg("aws_instance.app", "aws_instance", {"ami": {"constant_value": "ami-1"}})


@pytest.mark.parametrize("resources, configs, name, want", [
    # encrypted unset, the account's default not in the plan: not assessed
    ([VOLUME], [VOLUME_CFG], "v", (None, None, "EBS encryption by default")),
    # ... on in the plan: encrypted with aws/ebs, or with the account's default key
    ([VOLUME, DEFAULT_ON], [VOLUME_CFG], "v", (True, "provider_managed", None)),
    ([VOLUME, DEFAULT_ON, KEY, DEFAULT_KEY], [VOLUME_CFG, DEFAULT_KEY_CFG], "v",
     (True, "customer_managed", None)),
    ([VOLUME, DEFAULT_OFF], [VOLUME_CFG], "v", (False, "none", None)),
    # an instance's root volume, not configured: the same rule
    ([INSTANCE], [INSTANCE_CFG], "app root", (None, None, "EBS encryption by default")),
    ([INSTANCE, DEFAULT_ON], [INSTANCE_CFG], "app root", (True, "provider_managed", None)),
])
def test_ebs_encryption_follows_the_account_default_when_unset(tmp_path, resources, configs,
                                                               name, want):
    a = assets(plan(tmp_path, resources, configs))[name]
    rest = a["encryption"]["at_rest"]
    assert (rest["enabled"], rest["key_type"]) == want[:2]
    gaps = [g["reason"] for g in a["assessment"]["gaps"]]
    assert (want[2] in gaps[0]) if want[2] else gaps == []
    assert a["kind"] == "volume" and a["tags"] == ({"Name": "v", **LEVEL} if name == "v"
                                                    else LEVEL)


def test_instance_and_launch_template_devices_are_volumes(tmp_path):
    inst = change("aws_instance.db", "aws_instance", {
        "ami": "ami-1", "instance_type": "r6i.large", "tags": {"Name": "db"},
        "root_block_device": [{"encrypted": True, "tags": {"Name": "db-root", **LEVEL}}],
        "ebs_block_device": [{"device_name": "/dev/sdf", "encrypted": False,
                              "tags": {"Name": "db-data", **LEVEL}}]},
        {"root_block_device": [{"kms_key_id": True, "volume_id": True}],
         "ebs_block_device": [{"kms_key_id": True, "volume_id": True}]})
    lt = change("aws_launch_template.web", "aws_launch_template", {
        "name": "web", "block_device_mappings": [
            {"device_name": "/dev/xvda", "ebs": [{"encrypted": "true", "volume_size": 30}]}],
        "tag_specifications": [{"resource_type": "volume", "tags": {"Name": "web-disk",
                                                                    **LEVEL}}]},
        {"block_device_mappings": [{"ebs": [{"kms_key_id": True}]}]})
    got = assets(plan(tmp_path, [inst, lt], [
        cfg("aws_instance.db", "aws_instance", {
            "root_block_device": [{"encrypted": {"constant_value": True}}],
            "ebs_block_device": [{"device_name": {"constant_value": "/dev/sdf"},
                                  "encrypted": {"constant_value": False}}]}),
        cfg("aws_launch_template.web", "aws_launch_template", {
            "block_device_mappings": [{"device_name": {"constant_value": "/dev/xvda"},
                                       "ebs": [{"encrypted": {"constant_value": "true"}}]}]}),
    ]))
    assert {n: (a["id"], a["encryption"]["at_rest"]["enabled"],
                a["encryption"]["at_rest"]["key_type"], a["attributes"]["attached_to"])
            for n, a in got.items()} == {
        "db-root": ("aws_instance.db.root_block_device", True, "provider_managed",
                    ["aws_instance.db"]),
        "db-data": ('aws_instance.db.ebs_block_device["/dev/sdf"]', False, "none",
                    ["aws_instance.db"]),
        "web-disk": ('aws_launch_template.web.block_device_mappings["/dev/xvda"]', True,
                     "provider_managed", []),
    }
    assert {a["source"]["address"] for a in got.values()} == {"aws_instance.db",
                                                              "aws_launch_template.web"}


PUBLIC = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                    "Action": "es:*", "Resource": "*"}]})


@pytest.mark.parametrize("after, unknown, want_public, want_net, gap", [
    ({"access_policies": PUBLIC}, {}, True, True, None),  # public endpoint, open policy
    ({}, {"access_policies": True}, False, True, None),  # no policy set (computed): closed
    ({"vpc_options": [{"subnet_ids": ["subnet-1"]}], "access_policies": PUBLIC}, {},
     False, False, None),  # inside a VPC: not public, whatever the policy
    ({}, {"access_policies": True, "__configured": True}, None, True, "access policy"),
])
def test_search_domains(tmp_path, after, unknown, want_public, want_net, gap):
    exprs = {"domain_name": {"constant_value": "search"}}
    if unknown.pop("__configured", False):
        exprs["access_policies"] = {"references": ["data.aws_iam_policy_document.p.json"]}
    p = plan(tmp_path, [change("aws_opensearch_domain.s", "aws_opensearch_domain",
                               {"domain_name": "search", "tags": LEVEL, **after}, unknown)],
             [cfg("aws_opensearch_domain.s", "aws_opensearch_domain", exprs)])
    a = assets(p)["search"]
    assert (a["kind"], a["access"]["public"], a["network"]["publicly_accessible"]) == (
        "database", want_public, want_net)
    assert a["encryption"]["at_rest"] == {"enabled": False, "key_type": "none", "key_id": None}
    gaps = [g["reason"] for g in a["assessment"]["gaps"]]
    assert (gap in gaps[0]) if gap else gaps == []


def test_clusters_and_single_node_caches(tmp_path):
    p = plan(tmp_path, [
        change("aws_docdb_cluster.docs", "aws_docdb_cluster",
               {"cluster_identifier": "docs", "storage_encrypted": True, "tags": LEVEL},
               {"kms_key_id": True, "backup_retention_period": True}),
        change("aws_docdb_cluster_instance.one", "aws_docdb_cluster_instance",
               {"cluster_identifier": "docs"}, {"publicly_accessible": True}),
        change("aws_elasticache_cluster.solo", "aws_elasticache_cluster",
               {"cluster_id": "solo", "engine": "memcached", "tags": LEVEL},
               {"replication_group_id": True}),
        change("aws_elasticache_cluster.member", "aws_elasticache_cluster",
               {"cluster_id": "member", "replication_group_id": "rg"}),
    ], [cfg("aws_docdb_cluster.docs", "aws_docdb_cluster", {
        "storage_encrypted": {"constant_value": True}}),
        cfg("aws_docdb_cluster_instance.one", "aws_docdb_cluster_instance", {
            "cluster_identifier": {"constant_value": "docs"},
            "publicly_accessible": {"references": ["var.public"]}}),
        cfg("aws_elasticache_cluster.solo", "aws_elasticache_cluster", {})])
    got = assets(p)
    assert set(got) == {"docs", "solo"}  # a replication group member is the group's
    docs = got["docs"]
    assert docs["encryption"]["at_rest"]["key_id"] == "alias/aws/rds"
    assert docs["backup"]["native"] == {"enabled": True, "retention_days": 1}
    assert docs["network"]["publicly_accessible"] is None  # a member's flag is unknown
    assert [g["aspect"] for g in docs["assessment"]["gaps"]] == ["network"]
    solo = got["solo"]
    assert (solo["kind"], solo["encryption"]["at_rest"]["enabled"],
            solo["backup"]["native"]["enabled"]) == ("cache", False, False)


# -- what was not looked at ------------------------------------------------------------------

@pytest.mark.slow
def test_terraform_inventory_counts_and_lists_skipped_types(tmp_path, capsys):
    p = plan(tmp_path, [
        change("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": "b", "tags": LEVEL}),
        change("aws_lambda_function.f", "aws_lambda_function", {"function_name": "f"}),
        change("aws_lambda_function.g", "aws_lambda_function", {"function_name": "g"}),
        change("aws_sqs_queue.q", "aws_sqs_queue", {"name": "q"}),
        change("random_id.r", "random_id", {}, provider="registry.terraform.io/hashicorp/random"),
        {**change("data.aws_iam_policy_document.d", "aws_iam_policy_document", {}),
         "mode": "data"},
    ])
    inv = collect((str(p),))
    [src] = inv.sources
    assert src["skipped"] == {"aws_lambda_function": 2, "aws_sqs_queue": 1, "random_id": 1}
    assert "4 resources of types dsscan does not map left out" in src["detail"]
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    assert result.skipped == src["skipped"]
    table = get_reporter("table")(result)
    assert ("4 resources not looked at, never judged (aws_lambda_function x2, "
            "aws_sqs_queue x1, random_id x1)") in table
    assert json.loads(get_reporter("json")(result))["summary"]["not_looked_at"] == src["skipped"]


def test_pulumi_inventory_lists_skipped_types_in_its_source(tmp_path):
    from dsscan.scanners.pulumi_source import collect as pulumi_collect

    stack = "urn:pulumi:prod::shop::"
    doc = {"version": 3, "deployment": {"resources": [
        {"urn": stack + "pulumi:pulumi:Stack::shop-prod", "type": "pulumi:pulumi:Stack"},
        {"urn": stack + "aws:lambda/function:Function::f", "type": "aws:lambda/function:Function",
         "custom": True, "id": "f"},
        {"urn": stack + "aws:s3/bucket:Bucket::b", "type": "aws:s3/bucket:Bucket",
         "custom": True, "id": "b", "outputs": {"bucket": "b"}},
        {"urn": stack + "aws:kms/key:Key::ext", "type": "aws:kms/key:Key", "custom": True,
         "id": "k", "external": True, "outputs": {"arn": "arn:aws:kms:x:1:key/k"}}]}}
    p = tmp_path / "stack.json"
    p.write_text(json.dumps(doc))
    read = read_export_doc(doc, str(p))
    assert [r.data for r in read.resources] == [False, True]  # a read key is not the stack's
    inv = pulumi_collect((str(p),))
    [src] = inv.sources
    assert src["skipped"] == {"aws:lambda/function:Function": 1}
    assert {a["kind"] for a in inv.assets} == {"object_store"}


# -- a plan's prior_state -------------------------------------------------------------------

def test_a_resource_in_prior_state_too_is_read_once(tmp_path):
    """Terraform 0.12 wrote prior_state addresses without their index; a moved resource is in
    prior_state at its old address: neither is a second resource."""
    bucket = {"bucket": "kept", "tags": LEVEL}
    p = plan(tmp_path, [
        {**change("aws_s3_bucket.b[0]", "aws_s3_bucket", bucket), "index": 0},
        {**change("aws_s3_bucket.new", "aws_s3_bucket", {"bucket": "moved"}),
         "previous_address": "aws_s3_bucket.old"},
    ], prior_state={"values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket",
         "name": "b", "index": 0, "provider_name": AWS, "values": bucket},
        {"address": "aws_s3_bucket.old", "mode": "managed", "type": "aws_s3_bucket",
         "name": "old", "provider_name": AWS, "values": {"bucket": "moved"}},
        {"address": "aws_s3_bucket.only_here", "mode": "managed", "type": "aws_s3_bucket",
         "name": "only_here", "provider_name": AWS, "values": {"bucket": "targeted-out"}},
    ]}}})
    got = read_plan(str(p))
    assert sorted(r.address for r in got) == ["aws_s3_bucket.b[0]", "aws_s3_bucket.new",
                                              "aws_s3_bucket.only_here"]
    assert {r.address: r.action for r in got}["aws_s3_bucket.only_here"] == "no-op"


def test_cli_table_shows_what_was_not_looked_at(tmp_path):
    p = plan(tmp_path, [change("aws_sqs_queue.q", "aws_sqs_queue", {"name": "q"})])
    r = dsscan("scan", "terraform", str(p))
    assert r.returncode == 0, r.stderr
    assert "1 resources not looked at, never judged (aws_sqs_queue x1)" in \
        r.stdout


def test_security_groups_and_rule_sources_not_configured_are_not_unknown(tmp_path):
    """vpc_security_group_ids of a cluster and source_security_group_id of a rule are
    computed when not set: nothing configured, not a value unknown until apply."""
    p = plan(tmp_path, [
        change("aws_neptune_cluster.g", "aws_neptune_cluster",
               {"cluster_identifier": "g", "storage_encrypted": True, "tags": LEVEL},
               {"vpc_security_group_ids": True, "neptune_subnet_group_name": True,
                "kms_key_arn": True}),
        change("aws_security_group.sg", "aws_security_group", {"name": "sg"},
               {"vpc_id": True}),
        change("aws_security_group_rule.r", "aws_security_group_rule",
               {"type": "ingress", "protocol": "tcp", "from_port": 443, "to_port": 443,
                "cidr_blocks": ["10.0.0.0/8"]},
               {"security_group_id": True, "source_security_group_id": True}),
    ], [cfg("aws_neptune_cluster.g", "aws_neptune_cluster", {
        "storage_encrypted": {"constant_value": True}}),
        cfg("aws_security_group.sg", "aws_security_group", {"name": {"constant_value": "sg"}}),
        cfg("aws_security_group_rule.r", "aws_security_group_rule", {
            "security_group_id": {"references": ["aws_security_group.sg.id",
                                                 "aws_security_group.sg"]},
            "cidr_blocks": {"constant_value": ["10.0.0.0/8"]}})])
    got = assets(p)
    assert got["g"]["assessment"]["gaps"] == [] and got["g"]["network"]["security_groups"] == []
    assert got["sg"]["assessment"]["gaps"] == []
    assert got["sg"]["network"]["ingress"][0]["security_groups"] == []
