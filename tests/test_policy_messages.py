"""The sentences of the built-in policies, as a report prints them.

Policies return their messages and reasons as templates that dsscan fills once per finding
(dsscan/messages.py). Two things are pinned here:

- the wording of the variants no example estate or fixture reaches (a table judged by its
  parent, copies kept in their own volume, replicas that do not count, a bucket's Object
  Lock, ...), exactly as the policies wrote them with ``sprintf`` before;
- over generated inventories, no rendered message or reason keeps an unfilled ``{name}``:
  a value a template names but the policy does not give.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from inventory_strategies import inventories, prepared

from dsscan.config import Config
from dsscan.engines.local import evaluate
from dsscan.messages import render
from dsscan.policy_library import PolicyLibrary, load_library


@cache
def _library() -> PolicyLibrary:
    return load_library()


def _texts(assets: list[dict[str, Any]], config: Config | None = None) -> set[str]:
    """Every rendered message and reason of the library over policy-input ``assets``."""
    config = config or Config()
    out = evaluate(_library(), assets, config.policy_data(), scoped=False, workers=0)
    by_id = {a["id"]: a for a in assets}
    floor = config.unclassified_protection_level
    return ({render(i.get("message"), by_id.get(i["asset"]), floor, "?") for _, i in out.deny}
            | {render(i.get("reason"), by_id.get(i["asset"]), floor, "?")
               for _, i in out.not_assessed})


def _db(id_: str, level: str, **ctx: Any) -> dict[str, Any]:
    return {"id": id_, "name": id_, "kind": "database", "level": {"value": level},
            "environment": {"value": "production"}, "ctx": ctx}


def _copy(id_: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "kind": "snapshot", "relation": "backup", "account": "111111111111",
            "region": "cn-north-1", "separate": False, "separation": "anything", **extra}


def _replica(id_: str, missing: list[str]) -> dict[str, Any]:
    return {"id": id_, "kind": "object_store", "relation": "replica",
            "account": "222222222222", "region": "cn-north-1", "separate": True,
            "separation": "different account", "counts_as_backup": False,
            "missing": missing, "unknown": []}


def _snapshot(id_: str, level: str, at_rest: Any, sources: list[Any]) -> dict[str, Any]:
    return {"id": id_, "name": id_, "kind": "snapshot", "level": {"value": level},
            "encryption": {"at_rest": at_rest}, "ctx": {"sources": sources, "vault": None}}


def _backup_bucket(id_: str, lock: dict[str, Any]) -> dict[str, Any]:
    return {"id": id_, "name": id_, "kind": "object_store", "level": {"value": "important"},
            "access": {"public": False, "lock": lock}, "backup": {"backup_of": ["src"]}}


PMK = {"enabled": True, "key_type": "provider_managed"}

CASES = [
    ("a table judged by its parent database",
     [{"id": "tbl", "kind": "table", "level": {"value": "important"}, "encryption": None,
       "ctx": {"parent": {"id": "db", "kind": "database",
                          "encryption": {"at_rest": {"enabled": False}}}}}],
     "tbl holds important data but is not encrypted at rest (judged by its parent db)."),
    ("copies kept in the store's own bucket and volume",
     [_db("db", "core", backups=[_copy("c1", same_place="bucket"),
                                 _copy("c2", same_place="volume")])],
     "db keeps copies in its own bucket and volume (c1, c2); a copy stored with the data it "
     "copies is not a separate backup."),
    ("a colocated copy and a replica that does not count",
     [_db("db", "core", backups=[_copy("s1", relation="snapshot",
                                       separation="same account and region"),
                                 _replica("r", ["versioning", "object_lock"])])],
     "db has no backup stored separately from it: its copies s1 are in the same place (same "
     "account and region). Replicas: r does not count as a backup: its destination keeps no "
     "earlier versions and its destination has no Object Lock (owed for core data)."),
    ("no backup at all, with a replica that does not count",
     [{**_db("db", "sensitive", backups=[_replica("r", ["delete_marker_replication"])]),
       "backup": {"native": {"enabled": False}, "plans": []}}],
     "db holds sensitive data but has no backup: native backups are off and no backup or "
     "snapshot copy was found. Its replicas do not count as backups: r (delete markers are "
     "replicated to it)."),
    ("an unencrypted copy of sensitive data",
     [_snapshot("snap", "sensitive", {"enabled": False, "key_type": None},
                [{"id": "db", "kind": "database", "relation": "snapshot", "level": "sensitive",
                  "encryption": {"enabled": False}}])],
     "snapshot snap is a copy of sensitive data but is not encrypted at rest."),
    ("a copy whose source is outside the inventory",
     [_snapshot("snap", "core", PMK, [{"id": "db-elsewhere", "relation": "snapshot",
                                       "missing": True}])],
     "its source db-elsewhere is not in the inventory: the copy's key cannot be compared "
     "with the source's"),
    ("a copy whose source's key type is unknown",
     [_snapshot("snap", "important", PMK,
                [{"id": "db", "kind": "database", "relation": "snapshot",
                  "level": "important", "encryption": {"enabled": True, "key_type": None}}])],
     "encryption at rest of its source db could not be read (or its key type): the copy "
     "cannot be compared with it"),
    ("a backup bucket without Object Lock",
     [_backup_bucket("b", {"enabled": False})],
     "Backup bucket b holds important data but has no S3 Object Lock; its backups can be "
     "deleted or their retention shortened; backups of important and core data must be "
     "immutable (compliance mode)."),
    ("a backup bucket whose Object Lock was not read",
     [_backup_bucket("b", {"enabled": None})],
     "whether the S3 Object Lock is on could not be read"),
    # The sum of counts each within 64 bits can exceed them: written exactly, not rounded.
    ("unmasked values in test, a sum beyond 64 bits",
     [{"id": "t", "name": "t", "kind": "database", "level": {"value": "sensitive"},
       "environment": {"value": "test"},
       "content": {"status": "sampled", "detections": [
           {"detector": f"det{i}", "location": "c", "unmasked": n, "masked": 0}
           for i, n in enumerate((2**63 - 1, 2**63 - 1, 3))]}}],
     "t in the test environment holds 18446744073709551617 unmasked value(s) found by det0, "
     "det1, det2."),
    ("a backup bucket whose Object Lock mode was not read",
     [_backup_bucket("b", {"enabled": True, "mode": None})],
     "the S3 Object Lock is on but its mode (compliance or governance) could not be read"),
]


@pytest.mark.parametrize(("assets", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_policy_sentences_read_as_written(assets, expected):
    assert expected in _texts(assets)


_UNFILLED = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


@pytest.mark.slow
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inventories())
def test_no_rendered_sentence_keeps_a_placeholder(drawn):
    config, assets = prepared(drawn)
    left = {t for t in _texts(assets, config) if _UNFILLED.search(t)}
    assert not left
