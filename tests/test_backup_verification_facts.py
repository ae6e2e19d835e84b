"""Facts Python decides for DS-BAK-001/002/004 (issue 14, items 4 and 6): whether a replica
counts as a backup copy (dsscan/replica_backup.py, through ctx.backups) and whether a store's
restores are verified (dsscan/restore.py, ctx.restore_verification), each pinned by a table
of cases, and the S3 replication rules' delete-marker setting as the live scanner reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dsscan.config import Config, config_from_mapping
from dsscan.errors import InputError
from dsscan.relations import attach_context, domain_membership
from dsscan.scanners.aws.s3 import delete_markers

SRC = "arn:aws-cn:s3:::ledger"
DEST = "arn:aws-cn:s3:::ledger-dr"


def bucket(aid: str, name: str, level: str, **fields: Any) -> dict[str, Any]:
    return {"id": aid, "kind": "object_store", "name": name, "account": "111111111111",
            "region": "cn-north-1", "level": {"value": level, "provenance": []},
            "environment": {"value": "production", "provenance": []}, **fields}


def run(assets: list[dict[str, Any]], config: Config | None = None) -> dict[str, Any]:
    attach_context(assets, config or Config(), domain_membership(assets))
    return {a["id"]: a for a in assets}


# ---------------------------------------------------------------------------- replicas

E, D, S, N = "Enabled", "Disabled", "Suspended", None


@pytest.mark.parametrize(("level", "versioning", "markers", "lock", "expected"), [
    # (counts_as_backup, missing, unknown)
    ("important", E, D, None, (True, [], [])),
    ("important", E, D, False, (True, [], [])),  # Object Lock is owed for core data only
    ("important", S, D, None, (False, ["versioning"], [])),
    ("important", "Disabled", D, None, (False, ["versioning"], [])),
    ("important", E, E, None, (False, ["delete_marker_replication"], [])),
    ("important", S, E, None, (False, ["versioning", "delete_marker_replication"], [])),
    ("important", N, D, None, (None, [], ["versioning"])),
    ("important", E, N, None, (None, [], ["delete_marker_replication"])),
    ("important", E, "absent", None, (None, [], ["delete_marker_replication"])),
    ("core", E, D, True, (True, [], [])),
    ("core", E, D, False, (False, ["object_lock"], [])),
    ("core", E, D, None, (None, [], ["object_lock"])),
    ("core", S, N, False, (False, ["versioning", "object_lock"],
                           ["delete_marker_replication"])),
])
def test_a_replica_counts_as_a_backup_only_when_every_condition_holds(
        level, versioning, markers, lock, expected):
    rules = {} if markers == "absent" else {DEST: markers}
    src = bucket(SRC, "ledger", level, attributes={
        "replication_targets": [DEST], "replication_delete_markers": rules})
    dest_attrs = {} if versioning is None else {"versioning": versioning}
    access = {} if lock is None else {"lock": {"enabled": lock}}
    dest = bucket(DEST, "ledger-dr", "general", replica_of=[SRC], attributes=dest_attrs,
                  access=access)
    by = run([src, dest])
    [copy] = by[SRC]["ctx"]["backups"]
    assert copy["relation"] == "replica"
    assert (copy["counts_as_backup"], copy["missing"], copy["unknown"]) == expected


def test_replication_targets_named_by_terraform_address_match_the_replica():
    src = bucket("aws_s3_bucket.src", "src", "important", attributes={
        "replication_delete_markers": {"aws_s3_bucket.dst": "Disabled"}})
    dest = bucket("aws_s3_bucket.dst", "dst", "general", replica_of=["aws_s3_bucket.src"],
                  attributes={"versioning": "Enabled"})
    [copy] = run([src, dest])["aws_s3_bucket.src"]["ctx"]["backups"]
    assert copy["counts_as_backup"] is True


def test_a_table_replica_never_counts_and_backups_carry_no_replica_fields():
    table = {"id": "t", "kind": "table", "name": "t", "level": {"value": "core"}}
    replica = {"id": "t2", "kind": "table", "name": "t2", "replica_of": ["t"]}
    snap = {"id": "s", "kind": "snapshot", "name": "s", "backup": {"backup_of": ["t"]}}
    copies = {c["id"]: c for c in run([table, replica, snap])["t"]["ctx"]["backups"]}
    assert copies["t2"]["counts_as_backup"] is False
    assert copies["t2"]["missing"] == ["versioning", "delete_marker_replication"]
    assert "counts_as_backup" not in copies["s"]


@pytest.mark.parametrize(("rules", "expected"), [
    ([{"Status": "Enabled", "Destination": {"Bucket": DEST}, "Filter": {},
       "DeleteMarkerReplication": {"Status": "Disabled"}}], {DEST: "Disabled"}),
    ([{"Status": "Enabled", "Destination": {"Bucket": DEST}, "Filter": {},
       "DeleteMarkerReplication": {"Status": "Enabled"}}], {DEST: "Enabled"}),
    # A V1 rule (no Filter) replicates delete markers.
    ([{"Status": "Enabled", "Destination": {"Bucket": DEST}, "Prefix": ""}], {DEST: "Enabled"}),
    ([{"Status": "Enabled", "Destination": {"Bucket": DEST}, "Filter": {}}], {DEST: None}),
    # The weakest enabled rule to a target decides; disabled rules replicate nothing.
    ([{"Status": "Enabled", "Destination": {"Bucket": DEST}, "Filter": {"Prefix": "a"},
       "DeleteMarkerReplication": {"Status": "Disabled"}},
      {"Status": "Enabled", "Destination": {"Bucket": DEST}, "Filter": {"Prefix": "b"},
       "DeleteMarkerReplication": {"Status": "Enabled"}},
      {"Status": "Disabled", "Destination": {"Bucket": "arn:aws-cn:s3:::x"}, "Filter": {},
       "DeleteMarkerReplication": {"Status": "Enabled"}}], {DEST: "Enabled"}),
])
def test_live_delete_marker_replication_per_target(rules, expected):
    assert delete_markers(rules) == expected


# ---------------------------------------------------------------------------- restores

NOW = datetime.now(UTC)


def ago(days: int) -> str:
    return (NOW - timedelta(days=days, hours=1)).isoformat()


@pytest.mark.parametrize(("fact", "days", "expected"), [
    # (verified, by, reason contains)
    ({"testing_selections": ["p/s"], "last_successful_restore": None, "restore_jobs": "read"},
     180, (True, "restore_testing", None)),
    ({"testing_selections": [], "last_successful_restore": ago(10), "restore_jobs": "read"},
     180, (True, "restore_job", None)),
    ({"testing_selections": [], "last_successful_restore": ago(200), "restore_jobs": "read"},
     180, (False, None, None)),
    ({"testing_selections": [], "last_successful_restore": ago(200), "restore_jobs": "read"},
     365, (True, "restore_job", None)),
    ({"testing_selections": [], "last_successful_restore": None, "restore_jobs": "read"},
     180, (False, None, None)),
    ({"testing_selections": [], "last_successful_restore": None,
      "restore_jobs": "not_in_input"}, 180, (False, None, None)),
    ({"testing_selections": None, "last_successful_restore": None, "restore_jobs": "read"},
     180, (None, None, "restore-testing selections")),
    ({"testing_selections": None, "last_successful_restore": ago(3), "restore_jobs": "read"},
     180, (True, "restore_job", None)),
    ({"testing_selections": [], "last_successful_restore": None,
      "restore_jobs": "unreadable"}, 180, (None, None, "restore jobs")),
    ({"testing_selections": [], "last_successful_restore": ago(400),
      "restore_jobs": "unreadable"}, 180, (None, None, "restore jobs")),
    ({"testing_selections": [], "last_successful_restore": "last tuesday",
      "restore_jobs": "read"}, 180, (None, None, "date")),
    ({"testing_selections": [], "restore_jobs": "bogus"}, 180, (None, None, "restore jobs")),
    # a completion after the scan proves nothing: not assessed, never verified
    ({"testing_selections": [], "last_successful_restore": ago(-30), "restore_jobs": "read"},
     180, (None, None, "later than the scan")),
    ({"testing_selections": [], "last_successful_restore": "9999-12-31",
      "restore_jobs": "read"}, 180, (None, None, "later than the scan")),
    (None, 180, (None, None, "not read")),
    ("yes", 180, (None, None, "not read")),
])
def test_restore_verification_is_judged_against_the_period(fact, days, expected):
    store = bucket(SRC, "ledger", "core", backup={"restore_verification": fact})
    rv = run([store], Config(restore_verification_days=days))[SRC]["ctx"][
        "restore_verification"]
    assert (rv["verified"], rv["by"]) == expected[:2]
    assert rv["within_days"] == days
    assert (expected[2] is None and rv["reason"] is None) or expected[2] in rv["reason"]


def test_kinds_aws_backup_cannot_restore_get_no_restore_verification():
    cache = {"id": "c", "kind": "cache", "name": "c", "level": {"value": "core"}}
    vault = {"id": "v", "kind": "backup_vault", "name": "v"}
    search = {"id": "s", "kind": "database", "name": "s", "type": "aws_opensearch_domain"}
    template = {"id": "lt", "kind": "volume", "name": "lt", "type": "aws_launch_template"}
    db = {"id": "db", "kind": "database", "name": "db", "type": "AWS::RDS::DBInstance"}
    by = run([cache, vault, search, template, db])
    for aid in ("c", "v", "s", "lt"):
        assert by[aid]["ctx"]["restore_verification"] is None
    assert by["db"]["ctx"]["restore_verification"]["verified"] is None


@pytest.mark.parametrize("value", [0, -5, "180", 1.5, True, None])
def test_a_malformed_period_is_refused(value):
    with pytest.raises(InputError, match="restore_verification_days"):
        config_from_mapping({"restore_verification_days": value})


def test_the_period_is_a_setting():
    assert Config().restore_verification_days == 180
    assert config_from_mapping({"restore_verification_days": 90}).restore_verification_days == 90


@pytest.mark.parametrize("fact", [
    {"testing_selections": "monthly/all"},                  # not a list
    {"restore_jobs": "maybe"},                               # not a known state
    {"last_successful_restore": 20260101},                   # not a string
    {"testing_selections": [], "restored_by": "someone"},    # unknown field
])
def test_a_malformed_restore_verification_in_an_inventory_is_refused(fact):
    from dsscan.inventory import parse_inventory

    doc = {"format": "dsscan-inventory/1", "assets": [
        bucket(SRC, "ledger", "core", backup={"restore_verification": fact})]}
    with pytest.raises(InputError):
        parse_inventory(doc, "estate.json")
