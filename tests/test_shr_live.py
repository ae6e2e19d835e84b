"""DS-SHR-001/002 from a live sweep (moto ``mock_aws``): bucket policies, a DynamoDB table's
resource policy, a backup vault's access policy and RDS / EBS snapshot shares give
``access.readers``; the relation stage places them; both policies give the same verdicts
under regorus and real OPA.

moto implements the S3 bucket policy, DynamoDB Put/GetResourcePolicy and RDS snapshot
attributes; it lacks AWS Backup's vault access policy (and restore testing, region settings):
tests/aws_support.py's StandIn answers those calls in moto's place, as the other live tests
do (the vault's policy here is this test's own answer).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from aws_support import ACCOUNT, REGION, ClientHooks, StandIn, by_name, fake_env
from moto import mock_aws
from opa_support import needs_opa
from shr_support import CONFIG, EXPECTED, FOREIGN, INSURER, VENDOR

from dsscan.config import config_from_mapping
from dsscan.engines.local import evaluate
from dsscan.pipeline import ScanOptions, prepare, run_scan
from dsscan.policy_library import load_library
from dsscan.scanners.aws.sweep import SweepOptions, sweep


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def grant(principal: Any, action: str, resource: str, **cond: Any) -> dict[str, Any]:
    s = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}
    if cond:
        s["Condition"] = cond
    return s


VAULT_POLICY = policy(grant({"AWS": f"arn:aws-cn:iam::{VENDOR}:root"},
                            "backup:CopyFromBackupVault", "*"))


def provision() -> None:
    s3 = boto3.client("s3", region_name=REGION)

    def bucket(name: str, level: str, pol: str | None, record: str | None = None) -> None:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        tags = [{"Key": "dsscan:level", "Value": level}]
        if record:
            tags.append({"Key": "dsscan:sharing-record", "Value": record})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
        if pol:
            s3.put_bucket_policy(Bucket=name, Policy=pol)

    arn = "arn:aws-cn:s3:::{}/*"
    bucket("vendor-core", "core", policy(grant({"AWS": f"arn:aws-cn:iam::{VENDOR}:role/etl"},
                                               "s3:GetObject", arn.format("vendor-core"))))
    bucket("vendor-recorded", "core",
           policy(grant({"AWS": VENDOR}, "s3:GetObject", arn.format("vendor-recorded"))),
           record="SR-2026-01")
    bucket("insurer-core", "core", policy(grant({"AWS": INSURER}, "s3:Get*",
                                                arn.format("insurer-core"))))
    bucket("foreign-org", "sensitive", policy(grant(
        "*", "s3:GetObject", arn.format("foreign-org"),
        StringEquals={"aws:PrincipalOrgID": FOREIGN})))
    bucket("own-only", "core", None)
    bucket("general-shared", "general", policy(grant({"AWS": VENDOR}, "s3:GetObject",
                                                     arn.format("general-shared"))))

    ddb = boto3.client("dynamodb", region_name=REGION)
    t = ddb.create_table(TableName="policies", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         Tags=[{"Key": "dsscan:level", "Value": "important"}])
    tarn = t["TableDescription"]["TableArn"]
    ddb.put_resource_policy(ResourceArn=tarn, Policy=policy(grant(
        "*", "dynamodb:Query", tarn, StringEquals={"aws:PrincipalAccount": INSURER})))

    bk = boto3.client("backup", region_name=REGION)
    bk.create_backup_vault(BackupVaultName="dr-vault",
                           BackupVaultTags={"dsscan:level": "core"})

    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(DBInstanceIdentifier="ledger", Engine="postgres",
                           DBInstanceClass="db.t3.micro", MasterUsername="u",
                           MasterUserPassword="password1", AllocatedStorage=20,
                           Tags=[{"Key": "dsscan:level", "Value": "core"}])
    rds.create_db_snapshot(DBInstanceIdentifier="ledger", DBSnapshotIdentifier="ledger-snap",
                           Tags=[{"Key": "dsscan:level", "Value": "core"}])
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="ledger-snap",
                                     AttributeName="restore", ValuesToAdd=[VENDOR])




@pytest.fixture(scope="module")
def inventory():
    mp = pytest.MonkeyPatch()
    fake_env(mp)
    stand = StandIn()
    stand.answer("backup", "GetBackupVaultAccessPolicy", 200, json.dumps({
        "BackupVaultName": "dr-vault", "Policy": VAULT_POLICY}).encode())
    stand.answer("backup", "ListRecoveryPointsByBackupVault", 200,
                 json.dumps({"RecoveryPoints": []}).encode())
    try:
        with mock_aws(), ClientHooks(stand_in=stand):
            provision()
            inv = sweep(SweepOptions(regions=[REGION],
                                     services=["s3", "dynamodb", "backup", "rds"]))
    finally:
        stand.close()
        mp.undo()
    return inv


def test_readers_are_collected(inventory):
    b = by_name(inventory, "vendor-core", "object_store")
    assert [(p["account"], p["via"]) for p in b["access"]["readers"]] == [
        (VENDOR, "bucket policy")]
    assert by_name(inventory, "own-only", "object_store")["access"]["readers"] == []
    t = by_name(inventory, "policies", "table")
    assert [p["principal"] for p in t["access"]["readers"]] == [f"* (account {INSURER})"]
    v = by_name(inventory, "dr-vault", "backup_vault")
    assert [p["account"] for p in v["access"]["readers"]] == [VENDOR]


def findings(inventory, raw):
    inv = copy.deepcopy(inventory)
    result = run_scan(inv, load_library(), ScanOptions(
        config=config_from_mapping(raw), include=("DS-SHR-001", "DS-SHR-002")))
    names = {aid: s["name"] for aid, s in result.assets.items()}
    return ({(f.policy_id, names[f.asset_id], f.key) for f in result.findings},
            {(n.policy_id, names.get(n.asset_id)) for n in result.not_assessed
             if n.policy_id is not None})  # (an asset's own gaps: not these policies')


def test_live_verdicts(inventory):
    found, unassessed = findings(inventory, CONFIG)
    assert found == EXPECTED
    assert unassessed == set()


def test_without_entities_cross_entity_reads_are_not_assessed(inventory):
    raw = {"institution_accounts": [ACCOUNT, INSURER],
           "institution_organizations": ["o-bank000001"]}
    found, unassessed = findings(inventory, raw)
    assert found == {f for f in EXPECTED if f[0] == "DS-SHR-001"}
    assert unassessed == {("DS-SHR-002", "insurer-core"), ("DS-SHR-002", "policies")}


@needs_opa
def test_regorus_and_opa_agree_on_the_live_estate(inventory):
    lib = load_library()
    lib = type(lib)(**{**lib.__dict__, "policies": [
        p for p in lib.policies if p.id in ("DS-SHR-001", "DS-SHR-002")]})
    cfg = config_from_mapping(CONFIG)
    assets = prepare(copy.deepcopy(inventory), ScanOptions(config=cfg))
    ours = evaluate(lib, assets, cfg.policy_data(), chunk_size=8, workers=1)
    oracle = evaluate(lib, assets, cfg.policy_data(), chunk_size=8, workers=1, engine="opa")
    assert ours.deny and ours.assessed
    assert (ours.deny, ours.not_assessed, ours.assessed) == (
        oracle.deny, oracle.not_assessed, oracle.assessed)


# ------------------------------------------------------------------ OUs -> legal entities

def test_an_organization_sweep_reads_ous_and_legal_entities_follow(monkeypatch):
    """The management account's bucket is read by an account under Insurance/Life; with
    legal_entities naming the Insurance OU (by name) and the root-level Bank OU (by id), the
    read crosses entities; a member whose OUs could not be read stays of unknown entity."""
    fake_env(monkeypatch)
    with mock_aws():
        org = boto3.client("organizations", region_name=REGION)
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        insurance = org.create_organizational_unit(ParentId=root, Name="Insurance")[
            "OrganizationalUnit"]["Id"]
        life = org.create_organizational_unit(ParentId=insurance, Name="Life")[
            "OrganizationalUnit"]["Id"]
        created = org.create_account(AccountName="life", Email="l@example.com")
        member = org.describe_create_account_status(
            CreateAccountRequestId=created["CreateAccountStatus"]["Id"])[
            "CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=life)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="group-core",
                         CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket="group-core", Tagging={"TagSet": [
            {"Key": "dsscan:level", "Value": "core"}]})
        s3.put_bucket_policy(Bucket="group-core", Policy=policy(grant(
            {"AWS": member}, "s3:GetObject", "arn:aws-cn:s3:::group-core/*")))
        inv = sweep(SweepOptions(regions=[REGION], services=["s3"], organization=True,
                                 role_name="DsscanReadOnly"))
    ous = {s["account"]: s.get("organizational_units") for s in inv.sources}
    assert ous[member] == [{"id": life, "name": "Life"}, {"id": insurance, "name": "Insurance"}]
    assert ous[ACCOUNT] == []  # the management account sits at the root
    raw = {"legal_entities": {"Insurance": "Insurer"}, "accounts": {ACCOUNT: {"entity": "Bank"}}}
    found, unassessed = findings(inv, raw)
    assert found == {("DS-SHR-002", "group-core", "other_entity")}
    # Without an entity for the member's OUs: not assessed, never passed.
    found, unassessed = findings(inv, {"legal_entities": {"Retail": "Bank"},
                                       "accounts": {ACCOUNT: {"entity": "Bank"}}})
    assert found == set() and unassessed == {("DS-SHR-002", "group-core")}


def test_an_accounts_file_names_legal_entities(monkeypatch, tmp_path):
    """--accounts-file entries may name their entity: kept on the account's sources, it
    places the account (the accounts setting still wins)."""
    fake_env(monkeypatch)
    f = tmp_path / "accounts.yaml"
    f.write_text(f'accounts:\n  - {{id: "{ACCOUNT}", entity: " Bank "}}\n', encoding="utf-8")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="group-core",
                         CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket="group-core", Tagging={"TagSet": [
            {"Key": "dsscan:level", "Value": "core"}]})
        s3.put_bucket_policy(Bucket="group-core", Policy=policy(grant(
            {"AWS": INSURER}, "s3:GetObject", "arn:aws-cn:s3:::group-core/*")))
        inv = sweep(SweepOptions(regions=[REGION], services=["s3"], accounts_file=str(f)))
    assert {s.get("entity") for s in inv.sources} == {"Bank"}
    found, _ = findings(inv, {"accounts": {INSURER: {"entity": "Insurance"}}})
    assert found == {("DS-SHR-002", "group-core", "other_entity")}
    found, _ = findings(inv, {"accounts": {INSURER: {"entity": "Bank"}}})
    assert found == set()
    bad = tmp_path / "bad.yaml"
    bad.write_text(f'- {{id: "{ACCOUNT}", entity: 3}}\n', encoding="utf-8")
    from dsscan.errors import InputError
    from dsscan.scanners.aws.sweep import read_accounts_file

    with pytest.raises(InputError, match="entity must be a string"):
        read_accounts_file(str(bad))


# ------------------------------------------------------------------ AWS RAM

def _ram_stub(shares: list[dict[str, Any]], principals: list[str], resources: list[str],
              error: str | None = None) -> Any:
    """moto's RAM refuses aws-cn ARNs (MalformedArnException): botocore's Stubber answers
    RAM in its place (the only stubbed service here)."""
    from botocore.stub import Stubber

    client = boto3.client("ram", region_name=REGION)
    stub = Stubber(client)
    if error:
        stub.add_client_error("get_resource_shares", service_error_code=error,
                              http_status_code=403)
    else:
        stub.add_response("get_resource_shares", {"resourceShares": shares})
        for share in shares:
            if share["status"] != "ACTIVE":
                continue
            stub.add_response("get_resource_share_associations", {
                "resourceShareAssociations": [
                    {"resourceShareArn": share["resourceShareArn"], "associatedEntity": p,
                     "associationType": "PRINCIPAL", "status": "ASSOCIATED"}
                    for p in principals]})
            stub.add_response("get_resource_share_associations", {
                "resourceShareAssociations": [
                    {"resourceShareArn": share["resourceShareArn"], "associatedEntity": r,
                     "associationType": "RESOURCE", "status": "ASSOCIATED"}
                    for r in resources]})
    stub.activate()
    return client


SHARE = {"resourceShareArn": f"arn:aws-cn:ram:{REGION}:{ACCOUNT}:resource-share/s-1",
         "name": "pool-share", "status": "ACTIVE", "owningAccountId": ACCOUNT}


@pytest.mark.parametrize("principals,want", [
    ([VENDOR], {("DS-SHR-001", "pool", "read_outside")}),
    ([f"arn:aws-cn:organizations::{ACCOUNT}:organization/{FOREIGN}"],
     {("DS-SHR-001", "pool", "read_outside")}),
    ([f"arn:aws-cn:organizations::{ACCOUNT}:ou/o-bank000001/ou-ab12-life0001"], set()),
    ([INSURER], {("DS-SHR-002", "pool", "other_entity")}),
    ([], set()),
])
def test_ram_shares_are_readers(monkeypatch, principals, want):
    fake_env(monkeypatch)
    with mock_aws():
        rds = boto3.client("rds", region_name=REGION)
        c = rds.create_db_cluster(DBClusterIdentifier="pool", Engine="aurora-postgresql",
                                  MasterUsername="u", MasterUserPassword="password1",
                                  Tags=[{"Key": "dsscan:level", "Value": "core"}])
        stub = _ram_stub([SHARE], principals, [c["DBCluster"]["DBClusterArn"]])
        inv = sweep(SweepOptions(regions=[REGION], services=["rds", "ram"],
                                 client_overrides={"ram": stub}))
    found, _ = findings(inv, {**CONFIG, "legal_entities": {}})
    # The institution's organization as a whole, one OU of it: with two entities configured,
    # another entity's accounts may be in it (DS-SHR-002); a named OU is placed by its org.
    if principals and "/ou-" in principals[0]:
        want = {("DS-SHR-002", "pool", "other_entity")}
    assert found == want


def test_unreadable_ram_leaves_shareable_readers_unknown(monkeypatch):
    fake_env(monkeypatch)
    with mock_aws():
        rds = boto3.client("rds", region_name=REGION)
        rds.create_db_cluster(DBClusterIdentifier="pool", Engine="aurora-postgresql",
                              MasterUsername="u", MasterUserPassword="password1",
                              Tags=[{"Key": "dsscan:level", "Value": "core"}])
        stub = _ram_stub([], [], [], error="AccessDeniedException")
        inv = sweep(SweepOptions(regions=[REGION], services=["rds", "ram"],
                                 client_overrides={"ram": stub}))
    assert any(g.get("service") == "ram" for g in inv.gaps)
    pool = by_name(inv, "pool", "database")
    assert pool["access"]["readers"] is None
    found, unassessed = findings(inv, CONFIG)
    assert found == set()
    assert {("DS-SHR-001", "pool"), ("DS-SHR-002", "pool")} <= unassessed
