"""Pulumi inputs -> IacResource records: the example program under mocks (in a subprocess),
its recorded stack export and preview, secrets and unknowns, bad input, failing and hanging
programs, and a program's environment."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan

from dsscan.errors import InputError
from dsscan.scanners import pulumi_source as pu
from dsscan.scanners.iac.resources import SECRET, UNTIL_APPLY, IacResource

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "examples" / "pulumi" / "bank"
EXPORT = BANK / "recorded" / "stack-export.json"
PREVIEW = BANK / "recorded" / "preview.json"
URN = "urn:pulumi:dev::bank::"


@pytest.fixture(scope="module")
def program() -> pu.PulumiRead:
    return pu.read_path(str(BANK))


@pytest.fixture(scope="module")
def export() -> pu.PulumiRead:
    return pu.read_path(str(EXPORT))


@pytest.fixture(scope="module")
def preview() -> pu.PulumiRead:
    return pu.read_path(str(PREVIEW))


def by_key(read: pu.PulumiRead) -> dict[tuple[str, str], IacResource]:
    out = {(r.type, r.name): r for r in read.resources}
    assert len(out) == len(read.resources)
    return out


def write_project(tmp_path: Path, main: str, stack_config: str = "") -> Path:
    d = tmp_path / "prog"
    d.mkdir()
    (d / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    if stack_config:
        (d / "Pulumi.dev.yaml").write_text(stack_config)
    (d / "__main__.py").write_text(textwrap.dedent(main))
    return d


# -- the example estate, three ways -------------------------------------------------------------

@pytest.mark.slow
def test_the_three_readers_see_the_same_resources(program, export, preview):
    assert (program.kind, export.kind, preview.kind) == ("program", "export", "preview")
    keys = set(by_key(program))
    assert keys == set(by_key(export)) == set(by_key(preview))
    assert len(keys) == 41
    assert {("aws_s3_bucket", "bank-statements"), ("aws_db_instance", "core-ledger"),
            ("aws_s3_bucket_server_side_encryption_configuration", "bank-statements"),
            ("aws_backup_selection", "daily"), ("aws_route", "prod-internet"),
            ("aws_kms_alias", "bank-data"), ("aws_vpc_peering_connection", "prod-test")} <= keys
    # Route table associations are not mapped: left out, and counted.
    for read in (program, export, preview):
        assert read.skipped == {"aws:ec2/routeTableAssociation:RouteTableAssociation": 3}


@pytest.mark.slow
def test_every_resource_is_placed_in_the_stacks_account_and_region(program, export, preview):
    for read in (program, export, preview):
        for r in read.resources:
            assert (r.region, r.account, r.tool) == ("cn-north-1", "111111111111", "pulumi"), r
            assert r.address.startswith(URN) and r.address.endswith("::" + r.name)
            assert r.parent == URN + "pulumi:pulumi:Stack::bank-dev"
    assert {r.action for r in preview.resources} == {"create"}
    assert {r.action for r in export.resources} == {None} == {r.action for r in program.resources}


def test_files_point_at_the_input_and_the_program_source(program, export, preview):
    assert {r.file for r in export.resources} == {str(EXPORT)}
    assert {r.file for r in preview.resources} == {str(PREVIEW)}
    assert {r.file for r in program.resources} == {str(BANK / "__main__.py")}


def test_the_recorded_export_is_what_the_program_declares(program, export):
    # Both come from the same mocks: the recording is faithful to the program.
    p, e = by_key(program), by_key(export)
    for key, r in p.items():
        assert r.values == e[key].values, key
        assert r.refs == e[key].refs, key


def test_relations_come_from_property_dependencies(program, export, preview):
    key_urn = URN + "aws:kms/key:Key::bank-data"
    bucket_urn = URN + "aws:s3/bucket:Bucket::bank-statements"
    for read in (program, export, preview):
        res = by_key(read)
        sse = res[("aws_s3_bucket_server_side_encryption_configuration", "bank-statements")]
        assert sse.refs["bucket"] == [bucket_urn]
        assert sse.refs["rules"] == [key_urn]
        ledger = res[("aws_db_instance", "core-ledger")]
        assert ledger.refs["kms_key_id"] == [key_urn]
        assert ledger.refs["db_subnet_group_name"] == [
            URN + "aws:rds/subnetGroup:SubnetGroup::prod-db"]
        assert ledger.refs["vpc_security_group_ids"] == [
            URN + "aws:ec2/securityGroup:SecurityGroup::db"]
        assert "kms_key_id" not in res[("aws_db_instance", "customer-profile")].values
        # depends_on (no property): the public policy waits for the access block.
        policy = res[("aws_s3_bucket_policy", "loan-documents")]
        assert policy.refs["depends_on"] == [
            URN + "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::loan-documents"]


def test_deployed_values_are_known_and_consistent(export):
    res = by_key(export)
    key = res[("aws_kms_key", "bank-data")]
    bucket = res[("aws_s3_bucket", "bank-statements")]
    sse = res[("aws_s3_bucket_server_side_encryption_configuration", "bank-statements")]
    assert sse.values["bucket"] == bucket.values["id"] == "bank-statements"
    default = sse.values["rules"][0]["apply_server_side_encryption_by_default"]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": key.values["arn"]}
    assert key.values["arn"].startswith("arn:aws-cn:kms:cn-north-1:111111111111:key/")
    ledger = res[("aws_db_instance", "core-ledger")]
    assert ledger.values["kms_key_id"] == key.values["arn"]
    assert ledger.values["backup_retention_period"] == 35  # an int, not 35.0
    assert ledger.values["tags"] == {"dsscan:level": "core", "environment": "production"}
    assert "__defaults" not in ledger.values
    pab = res[("aws_s3_bucket_public_access_block", "loan-documents")]
    assert pab.values["block_public_policy"] is False
    statements_policy = json.loads(res[("aws_s3_bucket_policy", "bank-statements")]
                                   .values["policy"])
    assert statements_policy["Statement"][0]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}}
    plan = res[("aws_backup_plan", "daily")]
    assert plan.values["rules"][0]["target_vault_name"] == "prod-vault"
    selection = res[("aws_backup_selection", "daily")]
    assert selection.values["iam_role_arn"] == (
        "arn:aws-cn:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole")
    assert selection.values["selection_tags"] == [
        {"type": "STRINGEQUALS", "key": "backup", "value": "daily"}]


def test_a_preview_knows_computed_values_only_after_apply(preview):
    res = by_key(preview)
    sse = res[("aws_s3_bucket_server_side_encryption_configuration", "bank-statements")]
    assert sse.values["bucket"] is UNTIL_APPLY
    default = sse.values["rules"][0]["apply_server_side_encryption_by_default"]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": UNTIL_APPLY}
    ledger = res[("aws_db_instance", "core-ledger")]
    assert ledger.values["kms_key_id"] is UNTIL_APPLY
    assert ledger.values["id"] is UNTIL_APPLY
    assert ledger.values["vpc_security_group_ids"] == [UNTIL_APPLY]
    # What the program states literally is known before apply.
    assert ledger.values["db_subnet_group_name"] == "prod-db"
    assert ledger.values["storage_encrypted"] is True
    assert res[("aws_s3_bucket", "bank-statements")].values["bucket"] == "bank-statements"
    assert "Principal" in res[("aws_s3_bucket_policy", "loan-documents")].values["policy"]


@pytest.mark.slow
def test_the_recorded_fixtures_are_reproduced_by_the_recorder(tmp_path):
    exp, prev = tmp_path / "export.json", tmp_path / "preview.json"
    pu.record(str(BANK), export=str(exp), preview=str(prev))
    assert json.loads(exp.read_text()) == json.loads(EXPORT.read_text())
    assert json.loads(prev.read_text()) == json.loads(PREVIEW.read_text())


def test_recorded_formats_follow_the_cli(export):
    doc = json.loads(EXPORT.read_text())
    assert doc["version"] == 3
    resources = doc["deployment"]["resources"]
    assert resources[0]["type"] == "pulumi:pulumi:Stack"
    provider = resources[1]
    assert provider["urn"] == URN + "pulumi:providers:aws::default_7_51_1"
    assert provider["inputs"]["allowedAccountIds"] == '["111111111111"]'  # JSON text
    users = [r for r in resources if r.get("provider", "").startswith(provider["urn"] + "::")]
    assert len(users) == 44
    pdoc = json.loads(PREVIEW.read_text())
    assert {s["op"] for s in pdoc["steps"]} == {"create"}
    assert pdoc["config"]["aws:region"] == "cn-north-1"
    assert all(s["newState"].get("provider", pu.UNKNOWN).endswith(pu.UNKNOWN)
               for s in pdoc["steps"] if s["newState"]["custom"])


# -- secrets, unknowns, lenient parsing ---------------------------------------------------------

def test_export_reader_is_lenient_and_reads_secrets_regions_and_accounts(tmp_path):
    stack = "urn:pulumi:prod::shop::pulumi:pulumi:Stack::shop-prod"
    prov = "urn:pulumi:prod::shop::pulumi:providers:aws::sh"
    secret = {pu.SIG: pu.SECRET_SIG}
    doc = {"version": 3, "deployment": {"manifest": {"magic": "", "future": 1},
                                        "pending_operations": [], "resources": [
        {"urn": stack, "type": "pulumi:pulumi:Stack", "custom": False, "someNewField": True},
        {"urn": prov, "type": "pulumi:providers:aws", "custom": True, "id": "p1",
         "inputs": {"region": "cn-northwest-1", "allowedAccountIds": ["333333333333"]}},
        {"urn": "urn:pulumi:prod::shop::aws:s3/bucket:Bucket::logs", "type":
         "aws:s3/bucket:Bucket", "custom": True, "id": "logs", "provider": f"{prov}::p1",
         "inputs": {"bucket": "logs", "tags": {"owner": {**secret, "ciphertext": "v1:x"}}},
         "outputs": {"bucket": "logs", "arn": "arn:aws-cn:s3:::logs", "region": "cn-north-1",
                     "tags": {"owner": {**secret, "plaintext": '"ops"'}},
                     "policy": {**secret, "value": "{}"}, "__meta": "{}"},
         "propertyDependencies": {"bucket": None, "tags": []}, "initErrors": None},
        {"urn": "urn:pulumi:prod::shop::aws:s3/bucket:Bucket::logs", "type":
         "aws:s3/bucket:Bucket", "custom": True, "delete": True, "id": "old-logs"},
        {"urn": "urn:pulumi:prod::shop::aws:rds/instance:Instance::orders", "type":
         "aws:rds/instance:Instance", "custom": True, "id": "db-1",
         "outputs": {"arn": "arn:aws-cn:rds:cn-north-1:444444444444:db:orders"}},
        {"urn": "urn:pulumi:prod::shop::random:index/randomId:RandomId::x", "custom": True,
         "type": "random:index/randomId:RandomId"},
    ]}}
    p = tmp_path / "stack.json"
    p.write_text(json.dumps(doc))
    read = pu.read_path(str(p))
    assert (read.kind, read.stack, read.project) == ("export", "prod", "shop")
    assert read.skipped == {"random:index/randomId:RandomId": 1}
    logs, orders = read.resources
    assert logs.values["tags"] == {"owner": SECRET}
    assert logs.values["policy"] is SECRET
    assert "__meta" not in logs.values and logs.refs == {}
    # pulumi-aws 7: the resource's own region wins over its provider's.
    assert (logs.region, logs.account) == ("cn-north-1", "333333333333")
    # No provider: the account comes from the ARN; no region is known.
    assert (orders.region, orders.account) == (None, "444444444444")


def test_preview_reader_ops_secrets_and_replacements(tmp_path):
    base = "urn:pulumi:dev::shop::aws:s3/bucket:Bucket::"

    def step(op: str, name: str, **inputs: Any) -> dict[str, Any]:
        return {"op": op, "urn": base + name, "newState": {
            "urn": base + name, "type": "aws:s3/bucket:Bucket", "custom": True,
            "inputs": {"bucket": name, **inputs}}}

    doc = {"config": {"aws:region": "cn-north-1", "shop:token": "[secret]"}, "steps": [
        step("same", "kept", tags={"a": "b"}),
        {"op": "delete", "urn": base + "gone", "oldState": {"urn": base + "gone",
                                                          "type": "aws:s3/bucket:Bucket"}},
        step("update", "changed", policy="[secret]"),
        step("replace", "swapped", bucket="swapped-2"),
        step("create-replacement", "swapped", bucket="swapped-2"),
        {"op": "delete-replaced", "urn": base + "swapped"},
        step("create", "new", policy=pu.UNKNOWN),
        {**step("same", "far"), "newState": {**step("same", "far")["newState"], "provider":
                                             "urn:pulumi:dev::shop::pulumi:providers:aws::hk::1"}},
    ], "changeSummary": {"create": 1}}
    p = tmp_path / "preview.json"
    p.write_text(json.dumps(doc))
    read = pu.read_path(str(p))
    got = {r.name: r for r in read.resources}
    assert {n: r.action for n, r in got.items()} == {
        "kept": "no-op", "changed": "update", "swapped": "replace", "new": "create",
        "far": "no-op"}
    # An explicit provider the preview does not show: the stack's aws:region is not its own.
    assert got.pop("far").region is None
    assert got["changed"].values["policy"] is SECRET
    assert got["new"].values["policy"] is UNTIL_APPLY and got["new"].values["id"] is UNTIL_APPLY
    assert "id" not in got["kept"].values
    assert {r.region for r in got.values()} == {"cn-north-1"}  # from the preview's config
    assert {r.account for r in read.resources} == {None}


@pytest.mark.parametrize("content, why", [
    ('{"foo": 1}', "not Pulumi output"),
    ("[1, 2]", "not Pulumi output"),
    ("this is not json", "not valid JSON"),
    ('{"version": 5, "deployment": {"resources": []}}', "not one dsscan reads"),
    ('{"version": 3, "deployment": {"resources": [{"urn": 1}]}}',
     r"\$\.deployment\.resources\[0\]: not a Pulumi resource"),
    ('{"steps": [{"urn": "x"}]}', r"\$\.steps\[0\]: not a preview step"),
])
def test_a_file_that_is_not_pulumi_output_is_one_input_error(tmp_path, content, why):
    p = tmp_path / "input.json"
    p.write_text(content)
    with pytest.raises(InputError, match=why) as e:
        pu.read_path(str(p))
    assert str(p) in str(e.value) and "\n" not in str(e.value)


def test_a_directory_must_be_a_pulumi_project(tmp_path):
    with pytest.raises(InputError, match="not a Pulumi project"):
        pu.read_path(str(tmp_path))
    (tmp_path / "Pulumi.yaml").write_text("name: x\nruntime: nodejs\n")
    with pytest.raises(InputError, match="Python programs only"):
        pu.read_path(str(tmp_path))


def test_utf16_output_of_powershell_is_read(tmp_path):
    p = tmp_path / "stack.json"
    p.write_bytes(EXPORT.read_text().encode("utf-16"))
    assert len(pu.read_path(str(p)).resources) == 41


# -- programs: explicit providers, secrets, environment, failures -------------------------------

TINY = """
import os
import pulumi
import pulumi_aws as aws

cfg = pulumi.Config()
east = aws.Provider("beijing", region="cn-north-1", allowed_account_ids=["222222222222"])
logs = aws.s3.Bucket("logs", bucket="logs", tags={"owner": cfg.require_secret("owner")},
                     opts=pulumi.ResourceOptions(provider=east))
aws.s3.BucketPolicy("logs", bucket=logs.id, policy=pulumi.Output.secret("{}"),
                    opts=pulumi.ResourceOptions(provider=east))
aws.s3.Bucket("plain", bucket="plain")
pulumi.export("env", sorted(os.environ))
pulumi.export("home", os.path.expanduser("~"))
pulumi.export("region", aws.get_region().region)
"""
TINY_CONFIG = """
config:
  aws:region: cn-northwest-1
  tiny:owner:
    secure: v1:dGVzdC1maXh0dXJlLW5vdC1hLXJlYWwtY2lwaGVydGV4dA==
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("tiny"), TINY, TINY_CONFIG)


@pytest.mark.slow
def test_a_program_sees_no_credentials_and_an_empty_home(tiny, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "ALIBABA_CLOUD_X",
                "AZURE_CLIENT_SECRET", "ARM_CLIENT_ID", "GOOGLE_APPLICATION_CREDENTIALS",
                "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "GITHUB_TOKEN", "MY_DB_PASSWORD"):
        monkeypatch.setenv(var, "x")
    monkeypatch.setenv("DSSCAN_KEEP_ME", "1")
    capture = pu.run_program(str(tiny))
    env = capture["outputs"]["env"]
    assert "DSSCAN_KEEP_ME" in env and "PATH" in env  # the rest of the environment stays
    leaked = [k for k in env if k.startswith(("AWS_", "ALIBABA_", "AZURE_", "ARM_", "GOOGLE_"))
              or k in ("PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "GITHUB_TOKEN",
                       "MY_DB_PASSWORD")]
    assert leaked == []
    # A `secure:` config value: the program gets a placeholder, marked secret.
    assert capture["config"]["tiny:owner"] == pu.SECRET_PLACEHOLDER
    assert capture["secret_keys"] == ["tiny:owner"]
    assert capture["outputs"]["home"] != str(Path.home())
    assert not Path(capture["outputs"]["home"]).exists()  # removed afterwards
    assert capture["outputs"]["region"] == "cn-northwest-1"  # the invoke mock, from config


@pytest.mark.slow
def test_program_explicit_provider_secrets_and_recordings(tiny, tmp_path):
    prog = {r.name + ":" + r.type: r for r in pu.read_path(str(tiny)).resources}
    exp, prev = tmp_path / "e.json", tmp_path / "p.json"
    old = os.umask(0o022)
    try:
        pu.record(str(tiny), export=str(exp), preview=str(prev))
    finally:
        os.umask(old)
    # 0600 whatever the umask: resource inputs are written as the program gave them.
    assert [stat.S_IMODE(p.stat().st_mode) for p in (exp, prev)] == [0o600, 0o600]
    assert "dsscan-mocks-secret" not in exp.read_text() + prev.read_text()
    assert '"[secret]"' in prev.read_text()
    for read in (pu.read_path(str(tiny)), pu.read_path(str(exp)), pu.read_path(str(prev))):
        got = {r.name + ":" + r.type: r for r in read.resources}
        assert set(got) == set(prog)
        logs, policy = got["logs:aws_s3_bucket"], got["logs:aws_s3_bucket_policy"]
        plain = got["plain:aws_s3_bucket"]
        assert logs.values["tags"] == {"owner": SECRET}
        assert policy.values["policy"] is SECRET
        assert policy.refs == {"bucket": ["urn:pulumi:dev::tiny::aws:s3/bucket:Bucket::logs"]}
        # The explicit provider's region and account; the default provider's from config.
        assert (logs.region, logs.account) == ("cn-north-1", "222222222222")
        assert (plain.region, plain.account) == ("cn-northwest-1", None)


@pytest.mark.slow
def test_a_program_that_raises_is_one_line_input_error(tmp_path):
    d = write_project(tmp_path, 'raise ValueError("no such region: mars-1\\nmore detail")\n')
    with pytest.raises(InputError) as e:
        pu.read_path(str(d))
    msg = str(e.value)
    assert msg == f"{d}: the Pulumi program failed: ValueError: no such region: mars-1"


@pytest.mark.slow
def test_a_program_that_hangs_is_stopped(tmp_path):
    d = write_project(tmp_path, "import time\ntime.sleep(600)\n")
    start = time.monotonic()
    with pytest.raises(InputError, match=r"did not finish within 1\.5 s"):
        pu.read_path(str(d), timeout=1.5)
    assert time.monotonic() - start < 120  # stopped, not waited for (generous under load)


def test_several_stacks_need_a_choice(tmp_path):
    d = write_project(tmp_path, "pass\n")
    (d / "Pulumi.dev.yaml").write_text("config: {}\n")
    (d / "Pulumi.prod.yaml").write_text("config:\n  aws:region: cn-north-1\n  retries: 3\n")
    with pytest.raises(InputError, match=r"several stacks \(dev, prod\); choose one with --stack"):
        pu.load_project(d)
    project = pu.load_project(d, "prod")
    assert project.config == {"aws:region": "cn-north-1", "tiny:retries": "3"}


# -- registration -------------------------------------------------------------------------------

def test_registered_without_importing_the_sdk():
    code = ("import sys; from dsscan import scanners; s = scanners.get('pulumi'); "
            "print(s.name, [p.name for p in s.params()], "
            "any(m.split('.')[0] in ('pulumi', 'pulumi_aws', 'grpc') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["pulumi", "['paths',", "'stack',", "'timeout']", "False"]


def test_cli_inventory_pulumi(tmp_path):
    out = tmp_path / "inv.json"
    proc = dsscan("inventory", "pulumi", str(PREVIEW), "-o", str(out))
    assert proc.returncode in (0, 3), proc.stderr
    doc = json.loads(out.read_text())
    names = {a["name"] for a in doc["assets"]}
    assert {"bank-statements", "core-ledger", "prod", "session-cache"} <= names
    assert any("routeTableAssociation" in s.get("detail", "") for s in doc.get("sources", []))
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": "world"}')
    proc = dsscan("scan", "pulumi", str(bad))
    assert proc.returncode == 2 and "not Pulumi output" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_program_findings_point_at_the_declaring_line():
    from dsscan.scanners.iac.mapping import build_inventory
    from dsscan.scanners.pulumi_source import read_path

    program = Path(__file__).resolve().parent.parent / "examples" / "pulumi" / "bank"
    got = read_path(str(program))
    inv = build_inventory(got.resources, tool="pulumi", files=[str(program)])
    prod = next(a for a in inv.assets if a["name"] == "prod")
    src = prod["source"]
    assert src["file"].endswith("examples/pulumi/bank/__main__.py")
    text = Path(src["file"]).read_text().splitlines()
    # The constructor call (for a resource made in a helper function: the helper's line).
    assert "aws.ec2.Vpc(" in text[src["line"] - 1]
