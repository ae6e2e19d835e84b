"""DS-PII-001 as the engines and the pipeline see it: a table of log groups and buckets with
export prefixes (every content status, levels below and above sensitive, malformed facts)
gives the same deny, not_assessed and assessed under regorus and real OPA, scoped to the
policy's kinds and not; the pipeline renders the messages and masks the evidence."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest
from opa_support import needs_opa

from dsscan.config import Config
from dsscan.engines.local import evaluate
from dsscan.inventory import Inventory
from dsscan.pipeline import ScanOptions, prepare, run_scan
from dsscan.policy_library import load_library

ID = "110101199003077777"  # not planted in clear anywhere below: evidence is masked
IDS = {"detector": "prc_resident_id", "location": "events", "unmasked": 7, "masked": 1,
       "sampled": 8, "score": 0.9, "evidence": ["110101********7777 (line 2)"]}
CARDS = {"detector": "bank_card", "location": "events", "unmasked": 0, "masked": 4,
         "sampled": 4, "score": 0.9, "evidence": ["6222 **** **** 1234"]}
MOBILES = {"detector": "mobile_phone", "location": "exports/a.csv#mobile", "unmasked": 3,
           "masked": 0, "sampled": 3, "score": 0.7, "evidence": ["138****5678 (row 1)"]}


def sampled(*ds: dict[str, Any]) -> dict[str, Any]:
    return {"status": "sampled", "sample": {"rows": 10}, "detections": list(ds)}


ERROR = {"status": "error", "reason": "logs:FilterLogEvents AccessDenied", "sample": {}}
NOT_SAMPLED = {"status": "not_sampled", "reason": "no log events in the last 168 hours"}

GROUPS = [  # (name, tags, content)
    ("/app/payments", {}, sampled(IDS, CARDS)),
    ("/app/core-ledger", {"dsscan:level": "core"}, sampled(IDS)),
    ("/app/masked", {}, sampled(CARDS)),
    ("/app/empty", {}, sampled()),
    ("/app/denied", {}, ERROR),
    ("/app/quiet", {}, NOT_SAMPLED),
    ("/app/unsampled", {}, None),
    # The least a valid detection holds: a detector and a count (no location, no examples).
    ("/app/odd", {}, {"status": "sampled", "detections": [{"detector": "bank_card"},
                                                          {"detector": "email", "unmasked": 2}]}),
]
BUCKETS = [  # (name, tags, exports)
    ("analytics", {"dsscan:level": "important"},
     [{"prefix": "results/", "origin": "athena_workgroup", "workgroup": "analysts",
       "content": sampled(IDS)},
      {"prefix": "exports/", "origin": "prefix_pattern", "workgroup": None,
       "content": sampled(MOBILES)}]),
    ("clean-exports", {}, [{"prefix": "exports/", "origin": "prefix_pattern",
                            "content": sampled(CARDS)}]),
    ("half-read", {"dsscan:level": "general"},
     [{"prefix": "exports/", "origin": "prefix_pattern",
       "content": {"status": "error", "reason": "s3:ListBucket AccessDenied"}},
      {"prefix": "athena/", "origin": "athena_workgroup", "workgroup": "w",
       "content": sampled(CARDS)}]),
    ("unlisted", {}, None),
    ("no-exports", {}, []),
    ("never-looked", {}, "absent"),
]


def inventory() -> Inventory:
    assets: list[dict[str, Any]] = []
    for name, tags, content in GROUPS:
        a = {"id": f"arn:aws-cn:logs:cn-north-1:111111111111:log-group:{name}",
             "kind": "log_sink", "type": "AWS::Logs::LogGroup", "name": name,
             "account": "111111111111", "region": "cn-north-1", "tags": tags,
             "log": {"service": "cloudwatch_logs"},
             "expiry": {"expires": False, "days": None}}
        if content is not None:
            a["content"] = copy.deepcopy(content)
        assets.append(a)
    for name, tags, exports in BUCKETS:
        b = {"id": f"arn:aws-cn:s3:::{name}", "kind": "object_store", "name": name,
             "type": "AWS::S3::Bucket", "account": "111111111111", "region": "cn-north-1",
             "tags": tags}
        if exports != "absent":
            b["exports"] = copy.deepcopy(exports)
        assets.append(b)
    return Inventory(assets=assets)


EXPECTED_DENY = {
    ("/app/payments", "log", "sensitive"), ("/app/core-ledger", "log", "core"),
    ("/app/odd", "log", "sensitive"),
    ("analytics", "export:results/", "important"), ("analytics", "export:exports/", "important"),
}
EXPECTED_UNASSESSED = {"/app/denied", "half-read", "unlisted"}
EXPECTED_ASSESSED = {"/app/payments", "/app/core-ledger", "/app/masked", "/app/empty",
                     "/app/odd", "analytics", "clean-exports", "half-read"}


def name_of(aid: str) -> str:
    return aid.rsplit(":", 1)[-1]


def outputs(engine: str, scoped: bool) -> tuple[set[Any], set[str], set[str]]:
    lib = load_library()
    lib = dataclasses.replace(lib, policies=[p for p in lib.policies if p.id == "DS-PII-001"])
    assets = prepare(inventory(), ScanOptions(config=Config()))
    out = evaluate(lib, assets, Config().policy_data(), chunk_size=5, workers=1,
                   engine=engine, scoped=scoped)
    deny = {(name_of(i["asset"]), i.get("key"), i["level"]) for _, i in out.deny}
    na = {name_of(i["asset"]) for _, i in out.not_assessed}
    return deny, na, {name_of(x) for x in out.assessed.get("DS-PII-001", set())}


@pytest.mark.parametrize("scoped", [True, False])
def test_regorus_verdicts(scoped):
    assert outputs("regorus", scoped) == (EXPECTED_DENY, EXPECTED_UNASSESSED, EXPECTED_ASSESSED)


@needs_opa
@pytest.mark.parametrize("scoped", [True, False])
def test_real_opa_gives_the_same_items(scoped):
    lib = load_library()
    lib = dataclasses.replace(lib, policies=[p for p in lib.policies if p.id == "DS-PII-001"])
    assets = prepare(inventory(), ScanOptions(config=Config()))
    ours = evaluate(lib, assets, Config().policy_data(), chunk_size=5, workers=1,
                    scoped=scoped)
    oracle = evaluate(lib, assets, Config().policy_data(), chunk_size=5, workers=1,
                      engine="opa", scoped=scoped)
    assert ours.deny and ours.not_assessed
    assert ours == oracle


def test_pipeline_renders_messages_and_masks():
    result = run_scan(inventory(), load_library(),
                      ScanOptions(config=Config(), include=("DS-PII-001",)))
    msgs = {f.message for f in result.findings}
    assert "payments is a log that holds 7 identifier(s) in clear found by " \
           "prc_resident_id." in {m.split("/app/", 1)[-1] for m in msgs}
    assert any("under results/ (the output location of an Athena workgroup)" in m
               for m in msgs)
    reasons = {n.reason for n in result.not_assessed}
    assert "content sampling of exports/ failed: s3:ListBucket AccessDenied" in reasons
    assert "content sampling failed: logs:FilterLogEvents AccessDenied" in reasons
    assert "export prefixes could not be listed" in reasons
    assert ID not in json.dumps([dataclasses.asdict(f) for f in result.findings], default=str)


def test_reports_say_where_a_log_finding_is():
    from dsscan.reports.where import places_text

    result = run_scan(inventory(), load_library(),
                      ScanOptions(config=Config(), include=("DS-PII-001",)))
    by_kind = {f.asset_kind: places_text(f) for f in result.findings}
    assert by_kind["log_sink"][0].startswith("log events (prc_resident_id, 7 unmasked)")
    exports = [t for f in result.findings if f.asset_kind == "object_store"
               for t in places_text(f)]
    assert any(t.startswith("object exports/a.csv, column mobile (mobile_phone, 3 unmasked)")
               for t in exports)


def test_explain_shows_what_was_sampled():
    import re

    from dsscan.cli.explain_text import explain_text as text_of

    def explain_text(a: dict[str, Any]) -> str:  # columns aligned: compared one space apart
        return re.sub(r" +", " ", text_of(a))

    by = {a["name"]: a for a in inventory().assets}
    assert "content sampled, 7 unmasked (prc_resident_id)" in explain_text(by["/app/payments"])
    assert "error: logs:FilterLogEvents AccessDenied" in explain_text(by["/app/denied"])
    text = explain_text(by["analytics"])
    assert "results/ (Athena workgroup analysts): sampled, 7 unmasked (prc_resident_id)" in text
    assert "exports/ (export prefix): sampled, 3 unmasked (mobile_phone)" in text
    assert "export prefixes could not be listed" in explain_text(by["unlisted"])
    assert "export" not in explain_text(by["never-looked"])
