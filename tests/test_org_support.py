"""The organization fixture and the latency proxy (tests/org_support.py,
tests/latency_proxy.py) that the organization-wide sweep's tests and benchmark stand on
(issue 16): the proxy forwards everything and adds its delay; moto serves each member account
from its own backend once entered with sts:AssumeRole; an --organization sweep through the
proxy finds every planted violation in its account and nothing in the compliant twins."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter, defaultdict
from typing import Any

import boto3
import pytest
from aws_support import FAKE_ENV, fake_env
from latency_proxy import LatencyProxy, moto_account_of
from org_support import CYCLE, MANAGEMENT, MOTO_LACKS, PLANTS, Org, provision_organization

REGIONS = ("cn-north-1", "cn-northwest-1")
_SESSION: list[boto3.Session] = []  # one: a Session per client parses the models again


def _client(service: str, url: str, creds: dict[str, str] | None = None) -> Any:
    keys = creds or {"aws_access_key_id": FAKE_ENV["AWS_ACCESS_KEY_ID"],
                     "aws_secret_access_key": FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
                     "aws_session_token": FAKE_ENV["AWS_SESSION_TOKEN"]}
    if not _SESSION:
        _SESSION.append(boto3.Session())
    return _SESSION[0].client(service, region_name=REGIONS[0], endpoint_url=url, **keys)


# --- the proxy -------------------------------------------------------------------------------

def test_proxy_forwards_requests_and_adds_its_delay(aws):
    with LatencyProxy(aws, delay=0.2) as proxy:
        sts = _client("sts", proxy.url)
        t = time.perf_counter()
        assert sts.get_caller_identity()["Account"] == MANAGEMENT
        assert time.perf_counter() - t >= 0.2  # a lower bound only
        assert proxy.requests == 1
        assert proxy.requests_by_account(moto_account_of) == {MANAGEMENT: 1}


def test_proxy_relays_bodies_heads_and_errors_of_path_style_s3(aws):
    with LatencyProxy(aws, delay=0.0) as proxy:
        s3 = _client("s3", proxy.url)
        s3.create_bucket(Bucket="proxied", CreateBucketConfiguration={
            "LocationConstraint": REGIONS[0]})
        body = bytes(range(256)) * 400  # 100 KiB, every byte value
        s3.put_object(Bucket="proxied", Key="a/b c.bin", Body=body)
        assert s3.get_object(Bucket="proxied", Key="a/b c.bin")["Body"].read() == body
        assert s3.head_object(Bucket="proxied", Key="a/b c.bin")["ContentLength"] == len(body)
        listed = s3.list_objects_v2(Bucket="proxied", Prefix="a/")["Contents"]
        assert [o["Key"] for o in listed] == ["a/b c.bin"]
        with pytest.raises(s3.exceptions.NoSuchKey):
            s3.get_object(Bucket="proxied", Key="missing")
        assert proxy.failures == {(404, "GET /proxied/missing"): 1}


def test_proxy_serves_concurrent_keep_alive_clients(aws):
    with LatencyProxy(aws, delay=0.05) as proxy:
        sts = _client("sts", proxy.url)  # botocore's pool: keep-alive connections, reused
        errors: list[BaseException] = []

        def calls() -> None:
            try:
                for _ in range(5):
                    sts.get_caller_identity()
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=calls) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert proxy.requests == 50


def test_proxy_answers_what_the_target_lacks(aws):
    with LatencyProxy(aws, delay=0.0, answers=MOTO_LACKS) as proxy:
        assert _client("cloudtrail", proxy.url).list_event_data_stores()[
            "EventDataStores"] == []
        assert proxy.requests == 1 and proxy.failures == {}


@pytest.mark.parametrize("target", ["http://10.0.0.1:80", "https://127.0.0.1:443",
                                    "http://example.com:80", "http://127.0.0.1"])
def test_proxy_forwards_to_this_machine_only(target):
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        LatencyProxy(target, 0.0)


# --- the organization ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def org(moto_url: str) -> Any:
    """Six members (each kind of plant once, one compliant twin) in two regions."""
    with pytest.MonkeyPatch.context() as mp:
        fake_env(mp)  # MOTO_EC2_LOAD_DEFAULT_AMIS=false before moto's first EC2 backend
        yield provision_organization(moto_url, accounts=len(CYCLE), regions=REGIONS)


def _assumed(org: Org, acct: str) -> dict[str, str]:
    c = _client("sts", org.endpoint_url).assume_role(
        RoleArn=f"arn:aws-cn:iam::{acct}:role/{org.role_name}",
        RoleSessionName="check")["Credentials"]
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key":
            c["SecretAccessKey"], "aws_session_token": c["SessionToken"]}


@pytest.mark.slow  # the module's organization: ~5 s to provision
def test_organization_lists_the_members_and_their_plants(org):
    assert org.management == MANAGEMENT
    assert len(org.accounts) == len(set(org.accounts)) == len(CYCLE)
    listed = _client("organizations", org.endpoint_url).list_accounts()["Accounts"]
    assert {a["Id"] for a in listed} == {MANAGEMENT, *org.accounts}
    assert org.planted == [(PLANTS[k][0], a) for a, k in zip(org.accounts, CYCLE, strict=True)
                           if k is not None]
    assert len({a for _, a in org.planted}) >= 4
    assert len({p for p, _ in org.planted}) >= 4
    assert org.compliant == [org.accounts[CYCLE.index(None)]]


@pytest.mark.slow
def test_assumed_role_credentials_are_served_from_that_accounts_backend(org):
    """moto keys an assumed role's access key to the role's account: each member's buckets
    are listed with its credentials only, never the management account's or another's."""
    seen: dict[str, set[str]] = {}
    for acct in org.accounts:
        s3 = _client("s3", org.endpoint_url, _assumed(org, acct))
        seen[acct] = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert seen[acct] and all(name.startswith(f"{acct}-") for name in seen[acct])
        assert _client("sts", org.endpoint_url, _assumed(org, acct)).get_caller_identity()[
            "Account"] == acct
    assert _client("s3", org.endpoint_url).list_buckets()["Buckets"] == []  # management


@pytest.fixture(scope="module")
def swept(org: Org) -> Any:
    """An --organization sweep through a 10 ms LatencyProxy, then every policy."""
    from dsscan.config import Config
    from dsscan.pipeline import ScanOptions, run_scan
    from dsscan.policy_library import load_library
    from dsscan.scanners.aws.sweep import SweepOptions, sweep

    with pytest.MonkeyPatch.context() as mp, \
            LatencyProxy(org.endpoint_url, 0.01, answers=MOTO_LACKS) as proxy:
        fake_env(mp)
        mp.setenv("AWS_ENDPOINT_URL", proxy.url)
        mp.setattr(boto3, "DEFAULT_SESSION", None)
        inv = sweep(SweepOptions(organization=True, role_name=org.role_name,
                                 regions=list(org.regions)))
        calls = proxy.requests_by_account(moto_account_of)
    doc = json.loads(json.dumps(inv.to_document()))
    result = run_scan(inv, load_library(), ScanOptions(config=Config()))
    found: dict[str, set[str]] = defaultdict(set)
    for f in result.findings:
        found[result.assets[f.asset_id]["account"]].add(f.policy_id)
    return doc, found, calls


@pytest.mark.slow
def test_sweep_finds_every_planted_violation_in_its_account_only(org, swept):
    doc, found, calls = swept
    assert doc.get("gaps", []) == []
    assert {(s["account"], s["region"]) for s in doc["sources"]} == {
        (a, r) for a in org.all_accounts for r in org.regions}
    for policy, acct in org.planted:
        assert policy in found[acct], (policy, acct, sorted(found[acct]))
    planted_policies = {p for p, _ in org.planted}
    for acct in org.all_accounts:
        own = {p for p, a in org.planted if a == acct}
        assert found[acct] & planted_policies == own, acct
    for acct in [*org.compliant, org.management]:
        assert found[acct] == set(), (acct, sorted(found[acct]))
    # Every account was read with its own credentials through the proxy.
    assert set(calls) == set(org.all_accounts)


def _sweep(org: Org) -> dict[str, Any]:
    from dsscan.scanners.aws.sweep import SweepOptions, sweep

    with pytest.MonkeyPatch.context() as mp, \
            LatencyProxy(org.endpoint_url, 0.0, answers=MOTO_LACKS) as proxy:
        fake_env(mp)
        mp.setenv("AWS_ENDPOINT_URL", proxy.url)
        mp.setattr(boto3, "DEFAULT_SESSION", None)
        inv = sweep(SweepOptions(organization=True, role_name=org.role_name,
                                 regions=list(org.regions)))
    return json.loads(json.dumps(inv.to_document()))


@pytest.mark.slow
def test_two_sweeps_of_the_estate_compare_exactly(org, swept):
    assert _sweep(org)["assets"] == swept[0]["assets"]


_MOTO_ID = re.compile(r"^(vpc|sg|subnet)-[0-9a-f]+$|^[0-9a-f]{8}-[0-9a-f]{4}-")
# moto takes an RDS instance's first automated snapshot at creation, named after the minute.
_MINUTE = re.compile(r"-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$")


def _estate(doc: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    """What provisioning chose (accounts, regions, kinds, names, tags), not moto's random
    resource ids."""
    return Counter((a["account"], a["region"], a["kind"],
                    "<id>" if _MOTO_ID.search(a.get("name") or "") else
                    _MINUTE.sub("-<minute>", a.get("name") or ""),
                    json.dumps(a.get("tags"), sort_keys=True)) for a in doc["assets"])


@pytest.mark.slow
def test_same_arguments_give_the_same_estate(org, swept):
    """Provisioned again (the server reset, the same seed): the same accounts, names and tags.
    Last in the module: it replaces the estate the other tests read."""
    again = provision_organization(org.endpoint_url, accounts=len(CYCLE), regions=REGIONS)
    assert again == org
    assert _estate(_sweep(again)) == _estate(swept[0])
