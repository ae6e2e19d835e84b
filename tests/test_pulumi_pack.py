"""The CrossGuard policy pack, driven the way the Pulumi CLI drives it: StackValidationArgs
made of PolicyResource objects (here built from the example program's recorded stack export;
no CLI is needed), each dsscan policy reporting its violations on the resources concerned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from dsscan.pulumi_pack import NOT_ASSESSED, Settings, policies
from dsscan.scanners.pulumi_source import UNKNOWN

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "examples" / "pulumi" / "bank" / "recorded" / "stack-export.json"


def opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None,
                                 aliases=[], custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
                                 additional_secret_outputs=[])


def stack_args(resources: list[dict[str, Any]], proxy: bool = False) -> StackValidationArgs:
    providers = {r["urn"]: PolicyProviderResource(r["type"], r.get("inputs") or {}, r["urn"],
                                                  r["urn"].rsplit("::", 1)[-1])
                 for r in resources if r["type"].startswith("pulumi:providers:")}
    out: dict[str, PolicyResource] = {}
    for r in resources:
        if not r.get("custom") or r["type"].startswith("pulumi:providers:"):
            continue
        props = {**(r.get("inputs") or {}), **(r.get("outputs") or {})}
        prov = providers.get((r.get("provider") or "").rsplit("::", 1)[0])
        out[r["urn"]] = PolicyResource(r["type"], unknown_checking_proxy(props) if proxy
                                       else props, r["urn"], r["urn"].rsplit("::", 1)[-1],
                                       opts(), prov, None, [], {})
    for r in resources:
        if r["urn"] in out:
            res = out[r["urn"]]
            res.dependencies = [out[u] for u in r.get("dependencies") or () if u in out]
            res.property_dependencies = {k: [out[u] for u in v or () if u in out]
                                         for k, v in (r.get("propertyDependencies") or {}).items()}
    return StackValidationArgs(list(out.values()), {})


def run(args: StackValidationArgs) -> dict[str, list[tuple[str, str | None]]]:
    got: dict[str, list[tuple[str, str | None]]] = {}
    for p in policies(Settings()):
        def report(message: str, urn: str | None = None, name: str = p.name) -> None:
            got.setdefault(name, []).append((message, urn))
        p.validate(args, report)
    return got


def export_resources() -> list[dict[str, Any]]:
    return json.loads(EXPORT.read_text())["deployment"]["resources"]


def test_one_pack_policy_per_dsscan_policy_with_articles_and_remediation():
    ps = policies(Settings(enforcement="mandatory"))
    names = [p.name for p in ps]
    assert "ds-enc-001" in names and "ds-net-003" in names and names[-1] == NOT_ASSESSED
    enc = next(p for p in ps if p.name == "ds-enc-001")
    assert "Art. 41" in enc.description and enc.enforcement_level == EnforcementLevel.MANDATORY
    assert enc.remediation_steps and "customer-managed" in enc.remediation_steps


def test_stack_validation_reports_findings_on_the_resources_they_concern():
    got = run(stack_args(export_resources()))
    [(message, urn)] = got["ds-net-003"]
    assert urn.endswith("aws:s3/bucket:Bucket::loan-documents")
    assert "publicly accessible" in message and "Art. 41" in message
    assert {u.rsplit("::", 1)[-1] for _, u in got["ds-enc-001"]} == {"customer-profile",
                                                                     "session-cache"}
    assert {u.rsplit("::", 1)[-1] for _, u in got["ds-tst-003"]} == {"test-customer-db"}
    assert NOT_ASSESSED not in got


def test_values_unknown_during_preview_are_reported_not_passed():
    resources = export_resources()
    for r in resources:
        if r["urn"].endswith("aws:elasticache/replicationGroup:ReplicationGroup::session-cache"):
            for block in ("inputs", "outputs"):
                (r.get(block) or {})["atRestEncryptionEnabled"] = UNKNOWN
    got = run(stack_args(resources, proxy=True))
    assert not any(u.endswith("::session-cache") for _, u in got.get("ds-enc-001", []))
    gaps = [(m, u) for m, u in got[NOT_ASSESSED] if u and u.endswith("::session-cache")]
    assert gaps and "not known before apply" in gaps[0][0]


@pytest.mark.slow
def test_the_example_pack_serves_the_analyzer_protocol_on_localhost():
    """What the Pulumi CLI does first: start the pack, read its port, ask what it holds."""
    import subprocess
    import sys

    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    pack = ROOT / "examples" / "pulumi" / "policy-pack"
    assert "runtime: python" in (pack / "PulumiPolicy.yaml").read_text()
    proc = subprocess.Popen([sys.executable, str(pack / "__main__.py")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(
                empty_pb2.Empty(), timeout=30)
        assert info.name == "dsscan"
        names = {p.name for p in info.policies}
        assert {"ds-enc-001", "ds-bak-001", "ds-net-002", NOT_ASSESSED} <= names
    finally:
        proc.kill()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_a_waived_finding_blocks_no_deployment(tmp_path):
    cfg = tmp_path / "dsscan.yaml"
    cfg.write_text("waivers:\n  - policy: DS-NET-003\n    asset: loan-documents\n"
                   "    reason: public portal until CHG-77\n    approver: ciso\n"
                   "    expires: 2099-12-31\n")
    got: dict[str, list[tuple[str, str | None]]] = {}
    for p in policies(Settings(config_path=str(cfg))):
        def report(message: str, urn: str | None = None, name: str = p.name) -> None:
            got.setdefault(name, []).append((message, urn))
        p.validate(stack_args(export_resources()), report)
    assert "ds-net-003" not in got  # the only DS-NET-003 finding is waived
    assert {u.rsplit("::", 1)[-1] for _, u in got["ds-enc-001"]} == {"customer-profile",
                                                                     "session-cache"}
