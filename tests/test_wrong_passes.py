"""Wrong passes of issue 11 §1 pinned through the real pipeline (classification, relations,
the Rego library, the per-article report): each case was a pass, or a setting that silently
lowered a verdict, before the fix."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dsscan.config import config_from_mapping
from dsscan.errors import InputError
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, run_scan
from dsscan.policy_library import load_library
from dsscan.reports.compliance import policy_states
from dsscan.scanners.aws.rds import _native

ACCT, REGION = "111111111111", "cn-north-1"
KEY = f"arn:aws-cn:kms:{REGION}:{ACCT}:key/1234abcd-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def library() -> Any:
    return load_library()


def scan(library: Any, *assets: dict[str, Any], settings: dict[str, Any] | None = None) -> Any:
    inv = parse_inventory({"format": "dsscan-inventory/1",
                           "assets": [copy.deepcopy(a) for a in assets]}, "estate.json")
    cfg = config_from_mapping(settings or {}, "dsscan.yaml")
    return run_scan(inv, library, ScanOptions(config=cfg))


def store(name: str, kind: str = "database", level: str = "core", **extra: Any) -> dict:
    return {"id": f"arn:aws-cn:rds:{REGION}:{ACCT}:db:{name}", "kind": kind, "name": name,
            "account": ACCT, "region": REGION,
            "tags": {"dsscan:level": level, "environment": "production"},
            "encryption": {"at_rest": {"enabled": True, "key_type": "customer_managed",
                                       "key_id": KEY},
                           "in_transit": {"enforced": True}},  # DS-TRN-001: read
            "network": {"publicly_accessible": False}, "access": {"public": False},
            "backup": {"native": {"enabled": False},  # restores verified (DS-BAK-004)
                       "restore_verification": {"testing_selections": ["monthly/all"],
                                                "restore_jobs": "read"}}, **extra}


# -- §1.5: a source whose KMS key could not be described ----------------------------------------

def test_copy_of_a_source_with_an_undescribable_key_is_not_assessed_in_every_view(library):
    db = store("ledger", encryption={"at_rest": {"enabled": True, "key_type": None,
                                                 "key_id": KEY}},
               assessment={"status": "partial", "gaps": [
                   {"aspect": "encryption", "reason": "AccessDenied for key (kms:DescribeKey)"}]})
    snap = {"id": f"arn:aws-cn:rds:{REGION}:{ACCT}:snapshot:ledger-1", "kind": "snapshot",
            "name": "ledger-1", "account": ACCT, "region": "cn-northwest-1",
            "encryption": {"at_rest": {"enabled": True, "key_type": "provider_managed"}},
            "backup": {"backup_of": [db["id"]]}}
    r = scan(library, db, snap)
    assert not [f for f in r.findings if f.policy_id == "DS-ENC-002"]
    assert [n.asset_id for n in r.not_assessed if n.policy_id == "DS-ENC-002"] == [snap["id"]]
    assert policy_states(r)["DS-ENC-002"][snap["id"]] == "not_assessed"


# -- §1.6: built-in backups are never separate --------------------------------------------------

@pytest.mark.parametrize(("native", "finding"), [
    ({"enabled": True, "point_in_time_recovery": True}, True),   # DynamoDB PITR
    ({"enabled": True, "retention_days": 35}, True),             # RDS automated backups
    ({"enabled": True, "retention_days": 7, "replica_regions": ["cn-northwest-1"]}, False),
    ({"enabled": False, "retention_days": 0}, False),            # none: DS-BAK-002's business
])
def test_built_in_backups_alone_are_not_stored_separately(library, native, finding):
    r = scan(library, store("ledger", backup={"native": native}))
    got = [f for f in r.findings if f.policy_id == "DS-BAK-001"]
    assert bool(got) is finding
    if finding:
        assert "built-in backups" in got[0].message and got[0].related == ()
    backed = [f for f in r.findings if f.policy_id == "DS-BAK-002"]
    assert bool(backed) is (native.get("enabled") is False)


def test_rds_automated_backup_replication_is_read_as_another_region():
    described = {"DBInstanceAutomatedBackupsReplications": [
        {"DBInstanceAutomatedBackupsArn":
         "arn:aws-cn:rds:cn-northwest-1:111111111111:auto-backup:ab-1"}]}
    assert _native(7, described) == {"native": {"enabled": True, "retention_days": 7,
                                                "replica_regions": ["cn-northwest-1"]}}
    assert _native(7, {}) == {"native": {"enabled": True, "retention_days": 7}}


# -- §1.7: unclassified is never general ---------------------------------------------------------

@pytest.mark.parametrize(("settings", "message"), [
    ({"unclassified_protection_level": "general"}, "unclassified_protection_level 'general'"),
    ({"unclassified_protection_level": "unclassified"},
     "unclassified_protection_level 'unclassified'"),
    ({"severity_by_level": {"unclassified": "low"}}, "severity_by_level.unclassified 'low'"),
    ({"unclassified_protection_level": "core", "severity_by_level": {"unclassified": "high"}},
     "severity_by_level.unclassified 'high' is lower than 'critical' of core"),
])
def test_settings_giving_unclassified_stores_general_duties_are_refused(settings, message):
    with pytest.raises(InputError, match="never general") as e:
        config_from_mapping(settings, "dsscan.yaml")
    assert message in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("word", ["unclassified", "Unknown", "未分级", "TBD", "未知", "待分类",
                                  "null", "", "unassigned", "N/A", "none", "not-classified?"])
def test_a_synonym_turning_no_level_into_general_is_refused(library, word):
    with pytest.raises(InputError, match="never general"):
        scan(library, store("x"), settings={"level_synonyms": {word: "general"}})


@pytest.mark.parametrize("settings", [
    {"unclassified_protection_level": "important"},
    {"unclassified_protection_level": "core", "severity_by_level": {"unclassified": "critical"}},
    {"severity_by_level": {"unclassified": "high"}},
    {"level_synonyms": {"unknown": "important", "public": "general"}},
])
def test_settings_raising_the_floor_are_accepted(library, settings):
    scan(library, store("x"), settings=settings)


def test_unclassified_store_owes_sensitive_duties(library):
    bucket = store("x", kind="object_store", tags={},
                   encryption={"at_rest": {"enabled": False, "key_type": "none"}})
    r = scan(library, bucket)
    assert {f.policy_id for f in r.findings} >= {"DS-ENC-001", "DS-CLS-001"}


def test_a_raised_floor_raises_the_default_severity_of_unclassified():
    cfg = config_from_mapping({"unclassified_protection_level": "core"}, "dsscan.yaml")
    assert cfg.severity_by_level["unclassified"] == "critical"


# -- --policy: only the selected policies' gaps make a run incomplete -----------------------------

@pytest.mark.parametrize(("aspect", "policy", "incomplete"), [
    ("encryption", "DS-NET-003", False),
    ("encryption", "DS-ENC-001", True),
    ("encryption", "DS-ENC-002", True),
    ("access", "DS-NET-003", True),
    ("access", "DS-ENC-001", False),
    ("network", "DS-NET-001", True),
    ("network", "DS-BAK-002", False),
    ("network", "DS-TST-003", True),     # the environment may come from the network domain
    ("network", "DS-TST-002", True),
    ("backup", "DS-BAK-002", True),
    ("logging", "DS-NET-003", False),
    ("tags", "DS-NET-003", True),        # the level: every policy
    ("content", "DS-ENC-001", True),     # ditto
    ("*", "DS-BAK-002", True),
    ("something-new", "DS-NET-003", True),  # unknown facet: fail closed
])
def test_only_gaps_a_selected_policy_reads_make_the_run_incomplete(library, aspect, policy,
                                                                     incomplete):
    bucket = store("x", kind="object_store", assessment={
        "status": "partial", "gaps": [{"aspect": aspect, "reason": "AccessDenied"}]})
    def inv() -> Any:
        return parse_inventory({"format": "dsscan-inventory/1",
                                "assets": [copy.deepcopy(bucket)]}, "estate.json")

    r = run_scan(inv(), library, ScanOptions(include=(policy,)))
    assert (not r.complete) is incomplete
    # The whole catalogue reads every facet (logging: DS-LOG-001/002/003).
    assert run_scan(inv(), library, ScanOptions()).complete is False


def test_a_user_policy_without_reads_is_concerned_by_every_gap():
    from dsscan.findings import PolicyInfo

    p = PolicyInfo(id="ACME-001", title="t", package="p", path="x.rego")
    assert all(p.reads_aspect(a) for a in ("encryption", "logging", "network"))


# -- kms_keys never turns an AWS-managed key into a customer-managed one -------------------------

@pytest.mark.slow
def test_an_aws_managed_key_that_cannot_be_described_is_never_declared_customer_managed(
        library, monkeypatch):
    """A core bucket encrypted with its account's aws/s3 key, named by key ARN, DescribeKey
    denied. ListAliases shows the key behind alias/aws/s3: provider-managed, and declaring
    the bucket's own account in kms_keys changes nothing. botocore's Stubber answers KMS
    (moto cannot deny one call); moto answers S3."""
    import boto3
    from aws_support import fake_env
    from botocore.stub import Stubber
    from moto import mock_aws

    from dsscan.scanners.aws.sweep import SweepOptions, sweep

    fake_env(monkeypatch)
    acct, kid = "123456789012", "0b1c2d3e-aaaa-bbbb-cccc-000000000001"
    key = f"arn:aws-cn:kms:{REGION}:{acct}:key/{kid}"
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="core-ledger",
                         CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket="core-ledger", Tagging={"TagSet": [
            {"Key": "dsscan:level", "Value": "core"}]})
        s3.put_bucket_encryption(Bucket="core-ledger", ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                              "KMSMasterKeyID": key}}]})
        kms = boto3.client("kms", region_name=REGION)
        stub = Stubber(kms)
        stub.add_client_error("describe_key", service_error_code="AccessDeniedException",
                              http_status_code=400)
        stub.add_response("list_aliases", {"Aliases": [
            {"AliasName": "alias/aws/s3", "TargetKeyId": kid,
             "AliasArn": f"arn:aws-cn:kms:{REGION}:{acct}:alias/aws/s3"}], "Truncated": False})
        stub.activate()
        inv = sweep(SweepOptions(regions=[REGION], services=["s3"],
                                 client_overrides={"kms": kms}))
    [b] = [a for a in inv.assets if a["name"] == "core-ledger"]
    assert b["encryption"]["at_rest"]["key_type"] == "provider_managed"
    for settings in ({}, {"kms_keys": [acct]}):
        r = run_scan(copy.deepcopy(inv), library, ScanOptions(
            config=config_from_mapping(settings, "dsscan.yaml"), include=("DS-ENC-001",)))
        assert [f.asset_name for f in r.findings] == ["core-ledger"], settings


# -- DS-ENC-002: a copy of a source outside the inventory ------------------------------------

@pytest.mark.parametrize(("source_region", "gaps", "not_assessed"), [
    ("cn-northwest-1", [], True),    # a region the sweep did not read: the source may exist
    (REGION, [], False),             # read completely and not there: deleted, nothing to compare
    (REGION, [{"scope": "rds in 111111111111/cn-north-1", "reason": "AccessDenied"}], True),
])
def test_a_copy_of_a_source_outside_the_inventory_is_not_assessed(library, source_region, gaps,
                                                                  not_assessed):
    snap = {"id": f"arn:aws-cn:rds:{REGION}:{ACCT}:snapshot:ledger-1", "kind": "snapshot",
            "name": "ledger-1", "account": ACCT, "region": REGION,
            "tags": {"dsscan:level": "core"},
            "encryption": {"at_rest": {"enabled": True, "key_type": "provider_managed"}},
            "backup": {"backup_of": [f"arn:aws-cn:rds:{source_region}:{ACCT}:db:ledger"]}}
    inv = parse_inventory({"format": "dsscan-inventory/1", "assets": [snap], "gaps": gaps,
                           "sources": [{"type": "aws", "account": ACCT, "region": REGION}]},
                          "estate.json")
    r = run_scan(inv, library, ScanOptions(include=("DS-ENC-002",)))
    got = [n for n in r.not_assessed if n.policy_id == "DS-ENC-002"]
    assert bool(got) is not_assessed
    assert not r.findings


# -- unclassified stays unclassified unless something classifies it ------------------------------

def _untagged_db(name: str, **extra: Any) -> dict:
    return store(name, tags={}, **extra)


@pytest.mark.parametrize(("assets", "name", "level"), [
    # General-level content (company codes) is a lower bound: the store stays unclassified.
    ([_untagged_db("x", content={"status": "sampled", "detections": [
        {"detector": "unified_social_credit_code", "unmasked": 40}]})], "x", "unclassified"),
    # Sensitive content classifies.
    ([_untagged_db("x", content={"status": "sampled", "detections": [
        {"detector": "prc_resident_id", "unmasked": 3}]})], "x", "sensitive"),
    # An aggregate of general and unclassified data holds data of unknown level.
    ([store("branches", level="general"), _untagged_db("mystery"),
      _untagged_db("reporting", derived_from=[
          f"arn:aws-cn:rds:{REGION}:{ACCT}:db:branches",
          f"arn:aws-cn:rds:{REGION}:{ACCT}:db:mystery"])], "reporting", "unclassified"),
    # ... and of general data only, general.
    ([store("branches", level="general"),
      _untagged_db("reporting", derived_from=[f"arn:aws-cn:rds:{REGION}:{ACCT}:db:branches"])],
     "reporting", "general"),
    # A declared level stays what it says.
    ([_untagged_db("mystery"), store("reporting", level="general", derived_from=[
        f"arn:aws-cn:rds:{REGION}:{ACCT}:db:mystery"])], "reporting", "general"),
])
def test_only_a_declaration_or_an_observation_at_the_floor_classifies(library, assets, name,
                                                                      level):
    r = scan(library, *assets)
    inv = parse_inventory({"format": "dsscan-inventory/1",
                           "assets": [copy.deepcopy(a) for a in assets]}, "estate.json")
    from dsscan.pipeline import prepare

    by_name = {a["name"]: a for a in prepare(inv, ScanOptions())}
    assert by_name[name]["level"]["value"] == level
    if level == "unclassified":
        assert {f.policy_id for f in r.findings
                if f.asset_name == name} >= {"DS-CLS-001"}


# -- replication both ways: each bucket is a live store, not only the other's copy -------------

def _replicating(name: str, *others: str, backups: list[str] | None = None) -> dict:
    b = store(name, kind="object_store", replica_of=[f"arn:aws-cn:s3:::{o}" for o in others],
              backup={"native": {"enabled": False}, "plans": [],
                      "restore_verification": {"testing_selections": [],
                                               "last_successful_restore": None,
                                               "restore_jobs": "read"}})
    b["id"] = f"arn:aws-cn:s3:::{name}"
    b["attributes"] = {"versioning": "Enabled",
                       "replication_targets": [f"arn:aws-cn:s3:::{t}" for t in backups or []]}
    return b


@pytest.mark.parametrize(("estate", "judged"), [
    # one way: the replica is judged through its source; the source owes the duties
    ([("east", [], ["west"]), ("west", ["east"], [])], {"east"}),
    # both ways: both are live stores with no backup of their own, nor verified restores
    ([("east", ["west"], ["west"]), ("west", ["east"], ["east"])], {"east", "west"}),
    # a replica of a two-way pair is still only a copy
    ([("east", ["west"], ["west", "dr"]), ("west", ["east"], ["east"]), ("dr", ["east"], [])],
     {"east", "west"}),
])
def test_each_side_of_a_two_way_replication_owes_a_store_s_backup_duties(library, estate,
                                                                         judged):
    result = scan(library, *[_replicating(n, *src, backups=dst) for n, src, dst in estate])
    names = {a: s["name"] for a, s in result.assets.items()}
    for pid in ("DS-BAK-002", "DS-BAK-004"):
        got = {names[f.asset_id] for f in result.findings if f.policy_id == pid}
        gaps = {names.get(n.asset_id or "") for n in result.not_assessed
                if n.policy_id == pid}
        assert got | gaps == judged, (pid, got, gaps)
