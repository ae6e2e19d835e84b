"""`dsscan policies bundle`: an OPA bundle of the library that real OPA evaluates as dsscan does.

No OPA binary is available on these machines, so "valid for OPA" is shown with what is: the
bundle is unpacked and checked as OPA checks one on activation (roots, module packages, data
paths: dsscan.bundle.read_bundle mirrors OPA's manifest validation), then its modules and
data are loaded into real OPA 1.20 in-process (opa-golib-python-bindings) and evaluated
against the embedded regorus engine.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest
from cli_support import dsscan
from opa_support import needs_opa

from dsscan.bundle import (
    SERVER_RULE,
    bundle_bytes,
    library_revision,
    make_bundle,
    read_bundle,
    write_bundle,
)
from dsscan.config import Config
from dsscan.engines.base import UNDEFINED
from dsscan.engines.local import AGGREGATE_RULE, EvalOutput, _collect, chunk_inputs, evaluate
from dsscan.engines.opa_engine import OpaInProcessEngine
from dsscan.errors import InputError
from dsscan.inventory import parse_inventory
from dsscan.pipeline import ScanOptions, prepare
from dsscan.policy_library import load_library

ROOT = Path(__file__).resolve().parent.parent
ESTATE = ROOT / "examples" / "bank-estate.json"
ACME = ROOT / "tests" / "fixtures" / "policies" / "acme"


# Every setting policies read, away from its default (backup_separation is applied by
# Python's relations; the other three by Rego through data.dsscan.config).
NON_DEFAULT = Config(backup_separation="account", allowed_regions=["cn-north-1"],
                     unclassified_protection_level="important",
                     test_environments=["test", "development", "uat"])


def estate(config: Config) -> list[dict[str, Any]]:
    doc = json.loads(ESTATE.read_text())
    # The DR copy of core-ledger kept in the production account (other region): separate
    # under the default account_or_region, not under backup_separation: account.
    for a in doc["assets"]:
        if a["id"].endswith("recovery-point:core-ledger-rp-20261121-dr"):
            a["id"] = a["id"].replace("333333333333", "111111111111")
            a["account"] = a["backup"]["location"]["account"] = "111111111111"
    return prepare(parse_inventory(doc, str(ESTATE)), ScanOptions(config=config))


def opa_from_bundle(payload: bytes) -> OpaInProcessEngine:
    loaded = read_bundle(payload)
    engine = OpaInProcessEngine()
    for path, source in loaded.modules:
        engine.add_module(path, source)
    engine.add_data_json(json.dumps(loaded.data))
    return engine


def run_rule(engine: OpaInProcessEngine, rule: str, assets: list[dict[str, Any]],
             chunk_size: int, extra: dict[str, Any] | None = None) -> EvalOutput:
    raw = []
    for doc in chunk_inputs(assets, chunk_size):
        query = {**json.loads(doc), **(extra or {})}
        engine.set_input_json(json.dumps(query))
        raw.append(engine.eval_rule(rule))
    return _collect(raw)


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def acme_library():
    return load_library([ACME])


# --- layout ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_bundle_has_manifest_data_and_every_library_module(library):
    b = make_bundle(library, Config().policy_data())
    payload = bundle_bytes(b)
    with tarfile.open(fileobj=__import__("io").BytesIO(payload), mode="r:gz") as tar:
        names = tar.getnames()
    assert names[:2] == ["/.manifest", "/data.json"]
    loaded = read_bundle(payload)
    sources = {s for _, s in loaded.modules}
    assert {s for _, s in library.modules} <= sources
    assert not any(s for _, s in library.test_modules if s in sources)  # no _test.rego
    assert {p for p, _ in loaded.modules} >= {"/dsscan_internal/aggregate.rego",
                                               "/dsscan_internal/server.rego"}
    rev = library_revision(library)
    assert loaded.manifest["revision"] == rev
    assert loaded.manifest["roots"] == ["dsscan", "dsscan_internal"]
    info = loaded.data["dsscan_internal"]["bundle"]
    assert info["revision"] == rev and info["policies"] == [p.id for p in library.policies]
    assert loaded.data["dsscan"]["config"] == Config().policy_data()


@pytest.mark.slow
def test_roots_cover_a_user_helper_package(acme_library):
    loaded = read_bundle(bundle_bytes(make_bundle(acme_library, {})))
    assert loaded.manifest["roots"] == ["acme/lib", "dsscan", "dsscan_internal"]


@pytest.mark.slow
def test_revision_is_stable_and_independent_of_where_the_library_lives(tmp_path, acme_library):
    copy = tmp_path / "elsewhere" / "acme"
    shutil.copytree(ACME, copy)
    moved = load_library([copy])
    assert library_revision(moved) == library_revision(acme_library)
    # Byte-identical bundles: a deployment can compare checksums.
    assert bundle_bytes(make_bundle(moved, {})) == bundle_bytes(make_bundle(acme_library, {}))


@pytest.mark.slow
def test_revision_changes_with_any_module_source(tmp_path, acme_library):
    copy = tmp_path / "acme"
    shutil.copytree(ACME, copy)
    helper = copy / "lib" / "helpers.rego"
    helper.write_text(helper.read_text() + "\n# a comment is a change too\n")
    assert library_revision(load_library([copy])) != library_revision(acme_library)


@pytest.mark.slow
def test_revision_ignores_tests_and_which_policies_a_run_selects(tmp_path, library):
    subset = dataclasses.replace(library, policies=library.policies[:2])
    assert library_revision(subset) == library_revision(library)
    d = tmp_path / "p"
    shutil.copytree(ACME, d)
    with_tests = library_revision(load_library([d]))
    for t in d.rglob("*_test.rego"):
        t.unlink()
    assert library_revision(load_library([d])) == with_tests


def test_read_bundle_refuses_what_opa_refuses(library):
    b = make_bundle(library, {})
    b.manifest["roots"] = ["dsscan/policy", "dsscan_internal"]  # dsscan.lib left out
    with pytest.raises(InputError, match=r"do not permit 'data\.dsscan\.lib'"):
        read_bundle(bundle_bytes(b))
    b.manifest["roots"] = ["dsscan", "dsscan/lib", "dsscan_internal"]
    with pytest.raises(InputError, match="overlapped roots"):
        read_bundle(bundle_bytes(b))
    b.manifest["roots"] = ["dsscan/policy", "dsscan/lib", "dsscan_internal"]
    with pytest.raises(InputError, match="do not permit data at path '/dsscan/config'"):
        read_bundle(bundle_bytes(b))
    with pytest.raises(InputError, match="not a valid bundle"):
        read_bundle(b"not a tarball")


# --- real OPA evaluates it as dsscan does -------------------------------------------------------

@pytest.mark.slow
@needs_opa
@pytest.mark.parametrize("which", ["builtin", "with acme"])
def test_bundle_in_real_opa_gives_the_embedded_engines_results(which, library, acme_library):
    lib = library if which == "builtin" else acme_library
    config = Config()
    assets = estate(config)
    embedded = evaluate(lib, assets, config.policy_data(), workers=1)
    assert embedded.deny and embedded.not_assessed
    opa = opa_from_bundle(bundle_bytes(make_bundle(lib, config.policy_data())))
    try:
        assert run_rule(opa, AGGREGATE_RULE, assets, 10) == embedded
        ids = [p.id for p in lib.policies]
        assert run_rule(opa, SERVER_RULE, assets, 10,
                        {"config": config.policy_data(), "policies": ids}) == embedded
    finally:
        opa.close()


@pytest.mark.slow
@needs_opa
def test_server_aggregator_judges_by_the_config_each_request_brings(library):
    """One bundle (built with the default config) on the server; a run with other settings
    gets exactly what the embedded engine gives with those settings."""
    assets = estate(NON_DEFAULT)
    embedded = evaluate(library, assets, NON_DEFAULT.policy_data(), workers=1)
    with_defaults = evaluate(library, assets, Config().policy_data(), workers=1)
    assert embedded != with_defaults  # the settings matter to Rego here
    assert ("DS-BAK-001", "arn:aws-cn:rds:cn-north-1:111111111111:db:core-ledger") in {
        (pid, i["asset"]) for pid, i in embedded.deny}
    opa = opa_from_bundle(bundle_bytes(make_bundle(library, Config().policy_data())))
    try:
        got = run_rule(opa, SERVER_RULE, assets, 7,
                       {"config": NON_DEFAULT.policy_data(),
                        "policies": [p.id for p in library.policies]})
        assert got == embedded
    finally:
        opa.close()


@needs_opa
def test_server_aggregator_without_config_is_undefined_not_the_bundles_default(library):
    opa = opa_from_bundle(bundle_bytes(make_bundle(library, Config().policy_data())))
    try:
        opa.set_input_json(json.dumps({"assets": estate(Config())[:5]}))
        assert opa.eval_rule(SERVER_RULE) is UNDEFINED
    finally:
        opa.close()


@needs_opa
def test_server_aggregator_evaluates_only_the_policies_asked_for(library):
    opa = opa_from_bundle(bundle_bytes(make_bundle(library, Config().policy_data())))
    try:
        opa.set_input_json(json.dumps({"assets": estate(Config()),
                                       "config": Config().policy_data(),
                                       "policies": ["DS-ENC-001", "DS-BAK-002"]}))
        assert sorted(opa.eval_rule(SERVER_RULE)) == ["DS-BAK-002", "DS-ENC-001"]
    finally:
        opa.close()


# --- writing ---------------------------------------------------------------------------------

def test_write_bundle_is_atomic(tmp_path, library, monkeypatch):
    out = tmp_path / "bundle.tar.gz"
    out.write_bytes(b"the previous bundle")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("dsscan.atomic_write.os.replace", broken_replace)  # the shared writer
    with pytest.raises(InputError, match=r"bundle\.tar\.gz: cannot write bundle"):
        write_bundle(out, library, {})
    assert out.read_bytes() == b"the previous bundle"
    assert os.listdir(tmp_path) == ["bundle.tar.gz"]  # no temporary file left behind



@pytest.mark.slow
def test_cli_writes_the_bundle_and_says_its_revision(tmp_path, acme_library):
    out = tmp_path / "out" / "dsscan-bundle.tar.gz"
    r = dsscan("policies", "bundle", out, "--policy-dir", ACME, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rev = library_revision(acme_library)
    assert f"revision {rev}" in r.stdout
    assert f"{len(acme_library.policies)} policies" in r.stdout
    assert read_bundle(out.read_bytes()).revision == rev


@pytest.mark.slow
def test_cli_takes_policy_dirs_and_thresholds_from_the_config(tmp_path, acme_library):
    cfg = tmp_path / "dsscan.yaml"
    cfg.write_text(f"policy_dirs: [{ACME}]\nallowed_regions: [cn-north-1]\n")
    out = tmp_path / "b.tar.gz"
    r = dsscan("policies", "bundle", out, "--config", cfg, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    loaded = read_bundle(out.read_bytes())
    assert loaded.revision == library_revision(acme_library)
    assert loaded.data["dsscan"]["config"]["allowed_regions"] == ["cn-north-1"]


def test_cli_bad_policy_dir_is_one_line_exit_2_and_writes_nothing(tmp_path):
    out = tmp_path / "b.tar.gz"
    r = dsscan("policies", "bundle", out, "--policy-dir", tmp_path / "missing", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"dsscan: error: {tmp_path / 'missing'}: policy directory not found"]
    assert not out.exists()


@pytest.mark.slow
def test_cli_broken_policy_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.rego").write_text("package acme.x\n\nimport rego.v1\n\nallow if {\n")
    r = dsscan("policies", "bundle", tmp_path / "b.tar.gz", "--policy-dir", bad, cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "x.rego" in r.stderr and "Traceback" not in r.stderr


def test_a_bundle_path_too_long_for_the_file_system_is_an_input_error(tmp_path, library):
    out = tmp_path / ("x" * 300 + ".tar.gz")
    with pytest.raises(InputError, match=r"cannot write bundle \(File name too long\)"):
        write_bundle(out, library, {})
    assert os.listdir(tmp_path) == []


def test_cli_bundle_path_too_long_is_one_line_exit_2(tmp_path):
    r = dsscan("policies", "bundle", "x" * 300 + ".tar.gz", "--no-config", cwd=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "cannot write bundle (File name too long)" in r.stderr
    assert "internal error" not in r.stderr and os.listdir(tmp_path) == []
