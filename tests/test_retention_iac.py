"""DS-RET-001 facts from Terraform plans and Pulumi (scanners/iac/retention.py), pinned by
tables: which lifecycle rules cover every object of a bucket (split and inline
configurations, filters as provider v5 plans them and as Pulumi gives them, values known only
after apply), and how long the AWS Backup plans covering a store keep recovery points."""

from __future__ import annotations

from typing import Any

import pytest
from iac_resources import assets, bucket, part, res

from dsscan.scanners.iac.resources import UNTIL_APPLY

V5_UNSET = {"prefix": "", "and": [], "object_size_greater_than": None,
            "object_size_less_than": None, "tag": []}


def lifecycle_rule(filt: Any = "v5", days: Any = 30, status: Any = "Enabled",
                   **extra: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": "r", "status": status, "prefix": None,
                            "expiration": [{"days": days, "date": None}], **extra}
    if filt == "v5":
        rule["filter"] = [dict(V5_UNSET)]
    elif filt is not None:
        rule["filter"] = filt
    return rule


@pytest.mark.parametrize(("rules", "whole"), [
    ([lifecycle_rule()], {"days": 30, "date": None}),                    # v5 unset filter
    ([lifecycle_rule(None)], {"days": 30, "date": None}),                # no filter block
    ([lifecycle_rule({})], {"days": 30, "date": None}),                  # Pulumi filter {}
    ([lifecycle_rule([dict(V5_UNSET, prefix="tmp/")])], {"days": None, "date": None}),
    ([lifecycle_rule({"prefix": "tmp/"})], {"days": None, "date": None}),  # Pulumi object
    ([lifecycle_rule([dict(V5_UNSET, tag=[{"key": "k", "value": "v"}])])],
     {"days": None, "date": None}),
    ([lifecycle_rule([dict(V5_UNSET, object_size_greater_than=1024)])],
     {"days": None, "date": None}),
    ([lifecycle_rule([dict(V5_UNSET, **{"and": [{"prefix": "a/", "tags": {"x": "y"}}]})])],
     {"days": None, "date": None}),
    ([lifecycle_rule(prefix="logs/")], {"days": None, "date": None}),   # deprecated prefix
    ([lifecycle_rule(status="Disabled")], {"days": None, "date": None}),
    ([lifecycle_rule(days=400), lifecycle_rule(days=90)], {"days": 90, "date": None}),
    ([lifecycle_rule([dict(V5_UNSET, prefix=UNTIL_APPLY)])], None),     # known after apply
    ([lifecycle_rule(days=UNTIL_APPLY)], None),
    # the provider's unset days (0) beside expired_object_delete_marker expires nothing
    ([lifecycle_rule(days=0, expiration=[{"days": 0, "date": None,
                                          "expired_object_delete_marker": True}])],
     {"days": None, "date": None}),
])
def test_split_lifecycle_configuration(rules: list, whole: dict | None) -> None:
    got = assets([bucket(), part("aws_s3_bucket_lifecycle_configuration.l", {"rule": rules})])
    assert got["core-data"]["expiry"]["whole_bucket"] == (
        whole if whole is None else {"noncurrent_days": None, **whole})


def nve(days: Any = 7, newer: Any = None) -> list[dict[str, Any]]:
    """A v5 ``noncurrent_version_expiration`` block (newer_noncurrent_versions: a string)."""
    return [{"noncurrent_days": days, "newer_noncurrent_versions": newer}]


@pytest.mark.parametrize(("rules", "noncurrent"), [
    ([lifecycle_rule(noncurrent_version_expiration=nve())], 7),
    ([lifecycle_rule(days=None, expiration=[], noncurrent_version_expiration=nve())], 7),
    ([lifecycle_rule(noncurrent_version_expiration=nve(newer="2"))], None),  # 2 kept
    ([lifecycle_rule(noncurrent_version_expiration=nve(newer=""))], 7),    # v5 unset
    ([lifecycle_rule(noncurrent_version_expiration=nve(0))], None),        # unset days
    ([lifecycle_rule([dict(V5_UNSET, prefix="a/")], noncurrent_version_expiration=nve())],
     None),                                                                # part only
    ([lifecycle_rule(status="Disabled", noncurrent_version_expiration=nve())], None),
    ([lifecycle_rule(noncurrent_version_expiration=nve(UNTIL_APPLY))], "unknown"),
    ([lifecycle_rule(noncurrent_version_expiration=nve(newer=UNTIL_APPLY))], "unknown"),
    ([lifecycle_rule(noncurrent_version_expiration=nve(newer="many"))], "unknown"),
])
def test_split_noncurrent_version_expiration(rules: list, noncurrent: Any) -> None:
    got = assets([bucket(), part("aws_s3_bucket_lifecycle_configuration.l", {"rule": rules})])
    whole = got["core-data"]["expiry"]["whole_bucket"]
    assert (whole["noncurrent_days"] if whole is not None else "unknown") == noncurrent


# Two lifecycle configurations of one bucket: each PutBucketLifecycleConfiguration replaces
# the other, so a whole-bucket rule of one may not survive apply (was: the union, covered).
@pytest.mark.parametrize("second", [
    [lifecycle_rule([dict(V5_UNSET, prefix="tmp/")])],
    [lifecycle_rule(status="Disabled")],
    [lifecycle_rule()],
])
def test_several_lifecycle_configurations_of_one_bucket_are_unknown(second: list) -> None:
    got = assets([bucket(),
                  part("aws_s3_bucket_lifecycle_configuration.a", {"rule": [lifecycle_rule()]}),
                  part("aws_s3_bucket_lifecycle_configuration.b", {"rule": second})])
    assert got["core-data"]["expiry"]["whole_bucket"] is None


@pytest.mark.parametrize(("rule", "whole"), [
    ({"enabled": True, "prefix": "", "expiration": [{"days": 60}]}, {"days": 60, "date": None}),
    ({"enabled": True, "prefix": "tmp/", "expiration": [{"days": 60}]},
     {"days": None, "date": None}),
    ({"enabled": True, "tags": {"class": "temp"}, "expiration": [{"days": 60}]},
     {"days": None, "date": None}),
    ({"enabled": False, "expiration": [{"days": 60}]}, {"days": None, "date": None}),
    ({"enabled": True, "prefix": UNTIL_APPLY, "expiration": [{"days": 60}]}, None),
])
def test_inline_lifecycle_rule(rule: dict, whole: dict | None) -> None:
    got = assets([bucket(values={"lifecycle_rule": [rule]})])
    assert got["core-data"]["expiry"]["whole_bucket"] == (
        whole if whole is None else {"noncurrent_days": None, **whole})


@pytest.mark.parametrize(("nce", "noncurrent"), [
    ([{"days": 5}], 5),                                                    # v3 inline
    ([], None),
    ([{"days": UNTIL_APPLY}], "unknown"),
])
def test_inline_noncurrent_version_expiration(nce: list, noncurrent: Any) -> None:
    rule = {"enabled": True, "prefix": "", "expiration": [{"days": 60}],
            "noncurrent_version_expiration": nce}
    whole = assets([bucket(values={"lifecycle_rule": [rule]})])["core-data"]["expiry"][
        "whole_bucket"]
    assert (whole["noncurrent_days"] if whole is not None else "unknown") == noncurrent


@pytest.mark.parametrize(("versioning", "expected"), [
    ([], "Disabled"),                                                      # nothing sets it
    ([part("aws_s3_bucket_versioning.v", {"versioning_configuration": [
        {"status": "Enabled", "mfa_delete": None}]})], "Enabled"),
    ([part("aws_s3_bucket_versioning.v", {"versioning_configuration": [
        {"status": "Suspended", "mfa_delete": None}]})], "Suspended"),
    # a versioning resource whose bucket is known only after apply may be this one's
    ([res("aws_s3_bucket_versioning.v", {"bucket": UNTIL_APPLY, "versioning_configuration": [
        {"status": "Enabled", "mfa_delete": None}]})], None),
])
def test_versioning_status_of_a_planned_bucket(versioning: list, expected: Any) -> None:
    got = assets([bucket(), *versioning])["core-data"]["attributes"]
    assert got.get("versioning") == expected


@pytest.mark.parametrize(("versioning", "nce", "verdict"), [
    (None, [], "passed"),                                 # never versioned: 30 days
    ("Enabled", [], "finding"),                           # expired objects kept as versions
    ("Enabled", [{"noncurrent_days": 30, "newer_noncurrent_versions": None}], "passed"),
    ("Enabled", [{"noncurrent_days": 400, "newer_noncurrent_versions": None}], "finding"),
    ("Enabled", [{"noncurrent_days": 30, "newer_noncurrent_versions": "2"}], "finding"),
    ("Suspended", [], "finding"),
    (UNTIL_APPLY, [], "not_assessed"),
])
def test_a_planned_versioned_bucket_keeps_expired_objects(versioning: Any, nce: list,
                                                          verdict: str) -> None:
    """DS-RET-001 end to end on a plan's resources: a bucket kept 365 days, a lifecycle
    rule expiring every object after 30 days, and its versioning."""
    from dsscan.config import Config
    from dsscan.pipeline import ScanOptions, run_scan
    from dsscan.policy_library import load_library
    from dsscan.scanners.iac.mapping import build_inventory

    resources = [bucket(values={"tags": {"dsscan:level": "core", "retention-days": "365"}}),
                 part("aws_s3_bucket_lifecycle_configuration.l", {"rule": [lifecycle_rule(
                     noncurrent_version_expiration=nce)]})]
    if versioning is not None:
        resources.append(part("aws_s3_bucket_versioning.v", {"versioning_configuration": [
            {"status": versioning, "mfa_delete": None}]}))
    inv = build_inventory(resources, tool="terraform", files=["plan.json"])
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    found = any(f.policy_id == "DS-RET-001" for f in result.findings)
    gap = any(n.policy_id == "DS-RET-001" for n in result.not_assessed)
    assert ("finding" if found else "not_assessed" if gap else "passed") == verdict


def plan(rules: Any, name: str = "daily", address: str = "aws_backup_plan.p") -> Any:
    return res(address, {"name": name, "rule": rules})


def selection() -> Any:
    return res("aws_backup_selection.s", {"plan_id": UNTIL_APPLY, "resources": ["*"]},
               refs={"plan_id": ["aws_backup_plan.p"]})


def brule(delete_after: Any = 35, copy: Any = None) -> dict[str, Any]:
    r: dict[str, Any] = {"rule_name": "r", "lifecycle": [] if delete_after is None else [
        {"delete_after": delete_after, "cold_storage_after": None}]}
    if copy is not None:
        r["copy_action"] = [{"destination_vault_arn": UNTIL_APPLY, "lifecycle": [
            {"delete_after": copy}]}]
    return r


@pytest.mark.parametrize(("plans", "expected"), [
    ([plan([brule(35)])], [(35, False)]),
    ([plan([brule(None)])], [(None, False)]),                            # kept forever
    ([plan([brule(35, copy=3650)])], [(35, False), (3650, True)]),
    ([plan([brule(UNTIL_APPLY)])], None),                                # after apply
    ([plan(UNTIL_APPLY)], None),
    ([plan([brule(35)]), plan([brule(7)], address="aws_backup_plan.q")], None),  # same name
])
def test_backup_plan_lifecycle(plans: list, expected: list | None) -> None:
    got = assets([bucket(), *plans, selection()])["core-data"]["backup"]
    assert got["plans"] == ["daily"]
    lc = got["plan_lifecycle"]
    assert (None if lc is None else [(r["delete_after_days"], r["copy"]) for r in lc]) \
        == expected


def test_a_store_no_plan_covers_has_an_empty_lifecycle() -> None:
    got = assets([bucket(), plan([brule(35)])])["core-data"]["backup"]
    assert (got["plans"], got["plan_lifecycle"]) == ([], [])


@pytest.mark.parametrize(("refs", "db_in_plan", "orphan"), [
    ({"db_instance_identifier": ["aws_db_instance.d"]}, True, False),   # its database planned
    ({}, False, None),                                                  # a database elsewhere
])
def test_a_planned_snapshot_is_never_an_orphan(refs: dict, db_in_plan: bool,
                                               orphan: bool | None) -> None:
    """A plan does not see other stacks: a snapshot of a database outside it is not assessed
    by DS-RET-002, never a finding (and never a pass)."""
    from dsscan.config import Config
    from dsscan.relations import attach_context, domain_membership
    from dsscan.scanners.iac.mapping import build_inventory

    resources = [res("aws_db_snapshot.s", {"db_snapshot_identifier": "final",
                                           "db_instance_identifier": "crm"}, refs=refs)]
    if db_in_plan:
        resources.append(res("aws_db_instance.d", {"identifier": "crm", "engine": "postgres"}))
    inv = build_inventory(resources, tool="terraform", files=["plan.json"])
    attach_context(inv.assets, Config(), domain_membership(inv.assets), sources=inv.sources)
    snap = next(a for a in inv.assets if a["kind"] == "snapshot")
    assert snap["ctx"]["orphan"]["orphan"] is orphan
