"""ElastiCache clusters outside any replication group are stores of their own (issue 11, wrong
passes found by review: a Memcached cluster, or a single-node Redis cluster made without a
group, was never listed — a core store absent from the inventory is a silent pass of every
rule). A group's member clusters only place the group; they are not counted twice.

CreateCacheCluster has no at-rest encryption option and Memcached keeps no snapshots, so such
a cluster is unencrypted at rest and a Memcached one has no native backup (as the IaC side maps
aws_elasticache_cluster).

moto 5 tags a cluster under its aws-cn ARN but refuses any ARN outside partition aws when
listing tags (InvalidARN); the fixture lets it list them, as AWS does.
"""

from __future__ import annotations

import boto3
import pytest
from aws_support import ACCOUNT, REGION, ClientHooks, by_name, fake_env, vpc_with_subnets
from moto import mock_aws

from dsscan.config import Config
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # moto estates swept end to end


@pytest.fixture(autouse=True)
def _aws(monkeypatch):
    from moto.elasticache.models import ElastiCacheBackend

    fake_env(monkeypatch)
    monkeypatch.setattr(ElastiCacheBackend, "list_tags_for_resource",
                        lambda self, arn: self.tagging_service.list_tags_for_resource(arn))
    with mock_aws():
        yield


def estate() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc, subnets = vpc_with_subnets(ec2, "10.30.0.0/16", "caches")
    sg = ec2.create_security_group(GroupName="cache", Description="c", VpcId=vpc)["GroupId"]
    ec = boto3.client("elasticache", region_name=REGION)
    ec.create_cache_subnet_group(CacheSubnetGroupName="caches", SubnetIds=subnets,
                                 CacheSubnetGroupDescription="c")
    core = [{"Key": "dsscan:level", "Value": "core"}]
    ec.create_cache_cluster(CacheClusterId="rates-memcached", Engine="memcached",
                            CacheNodeType="cache.t3.micro", NumCacheNodes=2,
                            CacheSubnetGroupName="caches", SecurityGroupIds=[sg], Tags=core)
    ec.create_cache_cluster(CacheClusterId="quotes-redis", Engine="redis",
                            CacheNodeType="cache.t3.micro", NumCacheNodes=1,
                            SnapshotRetentionLimit=7, Tags=core)
    ec.create_replication_group(ReplicationGroupId="sessions", ReplicationGroupDescription="s",
                                AtRestEncryptionEnabled=True, TransitEncryptionEnabled=True,
                                Tags=core)
    # moto names the group's member cluster without creating it; AWS creates it.
    ec.create_cache_cluster(CacheClusterId="sessions-001", ReplicationGroupId="sessions",
                            Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1)
    return sg


# (cluster, engine, at-rest encrypted, native backup (enabled, retention days))
CASES = [
    ("rates-memcached", "memcached", False, (False, 0)),
    ("quotes-redis", "redis", False, (True, 7)),
]


@pytest.mark.parametrize(("name", "engine", "encrypted", "native"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_cluster_outside_every_group_is_a_store_of_its_own(name, engine, encrypted, native):
    sg = estate()
    with ClientHooks():
        inv = sweep(SweepOptions(regions=[REGION], services=["elasticache"]))
    a = by_name(inv, name)
    assert (a["kind"], a["type"]) == ("cache", "AWS::ElastiCache::CacheCluster")
    assert a["id"] == f"arn:aws-cn:elasticache:{REGION}:{ACCOUNT}:cluster:{name}"
    assert a["attributes"]["engine"] == engine
    assert a["encryption"]["at_rest"]["enabled"] is encrypted
    assert (a["backup"]["native"]["enabled"], a["backup"]["native"]["retention_days"]) == native
    assert a["tags"] == {"dsscan:level": "core"}
    assert a["assessment"]["gaps"] == []
    if engine == "memcached":
        assert a["network"]["security_groups"] == [sg]
    result = run_scan(inv, load_library(), ScanOptions(config=Config(), include=("DS-ENC-001",)))
    assert name in {f.asset_name for f in result.findings}


def test_member_clusters_of_a_group_are_not_stores_of_their_own():
    estate()
    with ClientHooks():
        inv = sweep(SweepOptions(regions=[REGION], services=["elasticache"]))
    caches = sorted((a["name"], a["type"]) for a in inv.assets if a["kind"] == "cache")
    assert caches == [("quotes-redis", "AWS::ElastiCache::CacheCluster"),
                      ("rates-memcached", "AWS::ElastiCache::CacheCluster"),
                      ("sessions", "AWS::ElastiCache::ReplicationGroup")]


def test_clusters_alone_in_a_region_are_read():
    # The old collector returned when a region had no replication group at all.
    boto3.client("elasticache", region_name=REGION).create_cache_cluster(
        CacheClusterId="lonely", Engine="memcached", CacheNodeType="cache.t3.micro",
        NumCacheNodes=1, Tags=[{"Key": "dsscan:level", "Value": "sensitive"}])
    inv = sweep(SweepOptions(regions=[REGION], services=["elasticache"]))
    assert by_name(inv, "lonely")["encryption"]["at_rest"]["enabled"] is False
