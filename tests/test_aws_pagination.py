"""Every listing is read to its end (issue 11 §1.4): an operation whose reply can say "there
is more" is followed page by page, or its scope is a gap — never a silent first page.

Which operations can page is not taken from the scanner: it is read here from botocore's
service models (paginator definitions, and continuation-token members of each operation's
output shape for operations botocore has no paginator for, such as backup:ListTags). The
scanner then runs against moto with a botocore hook on every client that puts a continuation
token into the first reply of each such operation: the token must come back in a later call
(which the hook answers with an empty last page) or the scan must record a gap naming the
operation. moto lacks some AWS Backup operations; tests/aws_support.StandIn answers those
over HTTP with the documented shapes.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import boto3
import botocore.session
import pytest
from aws_support import (
    REGION,
    ClientHooks,
    StandIn,
    by_name,
    event_operation,
    fake_env,
    full_estate,
    full_sweep_options,
)
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from dsscan.classify import classify
from dsscan.config import Config
from dsscan.scanners.aws.operations import OPERATIONS, iam_action
from dsscan.scanners.aws.sweep import SweepOptions, sweep

pytestmark = pytest.mark.slow  # sweeps over many moto pages

# Output members that carry a continuation token (botocore's own vocabulary).
TOKEN = re.compile(r"^(Next|next)(Token|Marker|PageToken|ContinuationToken)$|^Marker$"
                   r"|^ContinuationToken$|^LastEvaluated[A-Z]\w*$")


def pageable() -> dict[tuple[str, str], tuple[str, str | None]]:
    """(service, operation) -> (token member, "more results" member) for every operation
    the scanner declares whose reply botocore's models say can continue."""
    session = botocore.session.get_session()
    found: dict[tuple[str, str], tuple[str, str | None]] = {}
    for service, ops in OPERATIONS.items():
        model = session.get_service_model(service)
        try:
            paginators = session.get_paginator_model(service)
        except botocore.exceptions.DataNotFoundError:
            paginators = None
        for op in ops:
            try:
                cfg = paginators.get_paginator(op) if paginators else None
            except ValueError:
                cfg = None
            if cfg is not None:
                token = cfg["output_token"]
                found[(service, op)] = (token[0] if isinstance(token, list) else token,
                                        cfg.get("more_results"))
                continue
            out = model.operation_model(op).output_shape
            names = [m for m in (out.members if out else {}) if TOKEN.match(m)]
            if names:
                found[(service, op)] = (names[0], None)
    return found


def test_the_operations_known_to_page_are_found_in_botocore_models():
    found = pageable()
    for op in (("dynamodb", "ListTagsOfResource"), ("ec2", "GetManagedPrefixListEntries"),
               ("backup", "ListTags"), ("s3", "ListBuckets"), ("kms", "ListKeys")):
        assert op in found
    assert ("s3", "GetBucketPolicy") not in found and ("sts", "AssumeRole") not in found


class TokenInjector:
    """after-call: a continuation token in the first reply of each operation that can page;
    before-call: a request carrying that token back is answered with an empty last page."""

    def __init__(self, operations: dict[tuple[str, str], tuple[str, str | None]]) -> None:
        self.operations = operations
        self.injected: dict[tuple[str, str], str] = {}
        self.last_page: dict[tuple[str, str], dict[str, Any]] = {}
        self.sent_back: set[tuple[str, str]] = set()

    def after_call(self, parsed: dict[str, Any], event_name: str, **_: Any) -> None:
        op = event_operation(event_name)
        if op not in self.operations or op in self.injected or "Error" in parsed:
            return
        token, more = self.operations[op]
        self.injected[op] = f"dsscan-test-token-{op[0]}-{op[1]}"
        self.last_page[op] = _emptied(parsed, token, more)
        parsed[token] = self.injected[op]
        if more:
            parsed[more] = True

    def before_call(self, params: Any, event_name: str, **_: Any) -> Any:
        op = event_operation(event_name)
        if op in self.injected and self.injected[op] in repr(params):
            self.sent_back.add(op)
            return AWSResponse(None, 200, {}, None), copy.deepcopy(self.last_page[op])
        return None


def _emptied(page: dict[str, Any], token: str, more: str | None) -> dict[str, Any]:
    last = {k: ([] if isinstance(v, list) else {} if isinstance(v, dict) else v)
            for k, v in page.items() if k not in (token, more)}
    last["ResponseMetadata"] = {"HTTPStatusCode": 200, "RetryAttempts": 0}
    return last


def gap_reasons(inv: Any) -> list[str]:
    return [g["reason"] for g in inv.gaps] + [
        g["reason"] for a in inv.assets for g in a["assessment"]["gaps"]]


@pytest.fixture
def estate(monkeypatch):
    fake_env(monkeypatch)
    stand_in = StandIn()
    with mock_aws():
        full_estate()
        yield stand_in
    stand_in.close()


def test_every_operation_that_can_page_is_followed_or_a_gap(estate):
    injector = TokenInjector(pageable())
    with ClientHooks(("after-call", injector.after_call), ("before-call", injector.before_call),
                     stand_in=estate):
        inv = sweep(full_sweep_options(regions=[REGION]))
    # The estate makes every operation that can page answer at least once.
    assert set(injector.injected) == set(pageable())
    reasons = gap_reasons(inv)
    dropped = sorted(f"{s}:{op}" for s, op in injector.injected
                     if (s, op) not in injector.sent_back
                     and not any(iam_action(s, op) in r for r in reasons))
    assert dropped == [], "later pages silently dropped"
    # Every page was followed here (none needed to become a gap).
    assert injector.sent_back == set(injector.injected)


def test_a_table_whose_level_tag_is_on_the_second_tags_page_stays_core(monkeypatch):
    # moto answers ListTagsOfResource 10 tags a page, as AWS may: the level is the 12th.
    fake_env(monkeypatch)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        arn = ddb.create_table(
            TableName="customer-ledger", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        )["TableDescription"]["TableArn"]
        tags = [{"Key": f"cost-centre-{i:02d}", "Value": "x"} for i in range(11)]
        ddb.tag_resource(ResourceArn=arn, Tags=[*tags, {"Key": "dsscan:level", "Value": "core"}])
        assert "NextToken" in ddb.list_tags_of_resource(ResourceArn=arn)
        inv = sweep(SweepOptions(regions=[REGION], services=["dynamodb"]))
    table = by_name(inv, "customer-ledger")
    assert len(table["tags"]) == 12 and table["assessment"]["status"] == "complete"
    classify(inv.assets, Config())
    assert table["level"]["value"] == "core"
