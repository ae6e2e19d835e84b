"""Who may read a store (scanners/aws/readers.py) and where each reader stands against the
institution and its legal entities (dsscan/sharerel.py, dsscan/entities.py): DS-SHR-001/002.

Tables of principal shapes per service, of entity crossings, of sharing records; unknown is
``null`` (not assessed), never a pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from dsscan.config import config_from_mapping
from dsscan.entities import configured, entity_of
from dsscan.errors import InputError
from dsscan.scanners.aws.keydoc import policy_decrypters
from dsscan.scanners.aws.readers import policy_readers, share_readers
from dsscan.sharerel import (
    NO_ENTITIES,
    READER_ENTITY,
    STORE_ENTITY,
    UNKNOWN_ACCOUNTS,
    attach_share_context,
)

BANK, BANK2, INSURER, VENDOR = "111111111111", "111111111112", "222222222222", "999999999999"
ORG, FOREIGN = "o-bank000001", "o-vendor0001"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, action: Any = "s3:GetObject", condition: Any = None,
          key: str = "Principal", act: str = "Action") -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": "Allow", key: principal, act: action, "Resource": "*"}
    if condition is not None:
        s["Condition"] = condition
    return s


def shapes(who: list[dict[str, Any]] | None) -> set[tuple[Any, ...]]:
    assert who is not None
    return {(p["principal"], p["account"], p["anyone"], p.get("org")) for p in who}


# ------------------------------------------------------------------ [READ-POLICY] shapes

SHAPES = [
    ("account id", "s3", allow({"AWS": VENDOR}), {(VENDOR, VENDOR, False, None)}),
    ("root ARN", "s3", allow({"AWS": f"arn:aws:iam::{VENDOR}:root"}),
     {(f"arn:aws:iam::{VENDOR}:root", VENDOR, False, None)}),
    ("role ARN", "dynamodb", allow({"AWS": f"arn:aws:iam::{VENDOR}:role/etl"},
                                   "dynamodb:Query"),
     {(f"arn:aws:iam::{VENDOR}:role/etl", VENDOR, False, None)}),
    ("* open", "s3", allow("*"), {("*", None, True, None)}),
    ("* with our org", "s3", allow("*", condition={"StringEquals": {"aws:PrincipalOrgID": ORG}}),
     {(f"* (organization {ORG})", None, False, ORG)}),
    ("* with another org", "backup",
     allow("*", "backup:CopyFromBackupVault",
           {"StringEquals": {"aws:PrincipalOrgID": FOREIGN}}),
     {(f"* (organization {FOREIGN})", None, False, FOREIGN)}),
    ("* with aws:PrincipalAccount", "dynamodb",
     allow("*", "dynamodb:*", {"StringEquals": {"aws:PrincipalAccount": INSURER}}),
     {(f"* (account {INSURER})", INSURER, False, None)}),
    ("* with PrincipalAccount IfExists confines nothing", "s3",
     allow("*", "s3:Get*", {"StringEqualsIfExists": {"aws:PrincipalAccount": INSURER}}),
     {("*", None, True, None)}),
    ("* with a VPC endpoint only: unplaced", "s3",
     allow("*", "s3:GetObject", {"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
     {("callers of any account meeting aws:SourceVpce", None, False, None)}),
    ("NotPrincipal: anyone but", "s3", allow({"AWS": VENDOR}, key="NotPrincipal"),
     {("*", None, True, None)}),
    ("NotAction leaving GetObject", "s3", allow({"AWS": VENDOR}, "s3:PutObject",
                                                act="NotAction"),
     {(VENDOR, VENDOR, False, None)}),
    ("writing the policy is a way to read", "s3", allow({"AWS": VENDOR}, "s3:PutBucketPolicy"),
     {(VENDOR, VENDOR, False, None)}),
    ("a write-only grant reads nothing", "s3", allow({"AWS": VENDOR}, "s3:PutObject"), set()),
    ("* delegated to the access points of an account", "s3",
     allow("*", "s3:*", {"StringEquals": {"s3:DataAccessPointAccount": BANK}}),
     {(f"* (account {BANK})", BANK, False, None)}),
    ("* delegated to one access point", "s3",
     allow("*", "s3:GetObject", {"ArnLike": {
         "s3:DataAccessPointArn": f"arn:aws:s3:cn-north-1:{VENDOR}:accesspoint/ap"}}),
     {(f"* (account {VENDOR})", VENDOR, False, None)}),
    ("an access point key on a key policy confines nothing (as before)", "kms",
     allow("*", "kms:Decrypt", {"StringEquals": {"s3:DataAccessPointAccount": BANK}}),
     {("*", None, True, None)}),
    ("a service principal is no reader", "s3",
     allow({"Service": "logging.s3.amazonaws.com"}), set()),
    ("another service's action", "dynamodb", allow({"AWS": VENDOR}, "s3:GetObject"), set()),
    # a canonical user id names an account that cannot be told: outside, never no one
    ("CanonicalUser", "s3", allow({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e"
                                                    "09d98eacf8f8d5218e7cd47ef2be"}),
     {("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", None, False,
       None)}),
    ("CanonicalUser beside a service", "s3",
     allow({"Service": "logging.s3.amazonaws.com", "CanonicalUser": "abc123"}),
     {("abc123", None, False, None)}),
    ("principal keys in another case", "s3", allow({"aws": VENDOR}),
     {(VENDOR, VENDOR, False, None)}),
    ("a canonical user on a key policy", "kms", allow({"CanonicalUser": "abc123"},
                                                      "kms:Decrypt"),
     {("abc123", None, False, None)}),
]


@pytest.mark.parametrize("name,service,statement,want", SHAPES, ids=[s[0] for s in SHAPES])
def test_policy_readers_by_principal_shape(name, service, statement, want):
    got = policy_decrypters(doc(statement)) if service == "kms" else \
        policy_readers(doc(statement), service)
    assert shapes(got) == want


def test_deny_statements_are_not_subtracted():
    """[READ-DENY] a Deny may refuse a named reader; it stays a reader (never a wrong pass)."""
    policy = doc(allow({"AWS": VENDOR}),
                 {"Effect": "Deny", "Principal": {"AWS": VENDOR}, "Action": "s3:*",
                  "Resource": "*"})
    assert shapes(policy_readers(policy, "s3")) == {(VENDOR, VENDOR, False, None)}


@pytest.mark.parametrize("bad", ["not a policy", {"Statement": "x"},
                                 doc({"Effect": "Allow", "Action": "s3:GetObject"}),
                                 doc({"Effect": "Maybe", "Principal": "*", "Action": "*"}),
                                 # shapes IAM would refuse, never read as "no one"
                                 doc(allow(f"arn:aws:iam::{VENDOR}:root")),
                                 doc(allow(VENDOR)),
                                 doc(allow({"Someone": VENDOR})),
                                 doc(allow({"AWS": []})),
                                 doc(allow({"AWS": [], "CanonicalUser": []})),
                                 doc(allow({"AWS": VENDOR}, [["s3:GetObject"]])),
                                 doc(allow({"AWS": VENDOR}, 5)),
                                 doc(allow({"AWS": VENDOR}, ["s3:PutObject", None],
                                           act="NotAction"))])
def test_a_document_that_is_not_a_policy_is_unknown(bad):
    assert policy_readers(bad, "s3") is None


def test_no_policy_is_only_the_own_account():
    assert policy_readers(None, "backup") == []


def test_the_via_names_the_document_and_statement():
    (p,) = policy_readers(doc({**allow({"AWS": VENDOR}), "Sid": "Vendor"}), "s3")
    assert p["via"] == "bucket policy statement Vendor"


def test_kms_decrypters_read_the_same_as_before():
    policy = doc(allow({"AWS": VENDOR}, "kms:Decrypt"),
                 allow("*", "kms:*", {"StringEquals": {"kms:CallerAccount": INSURER}}))
    assert shapes(policy_decrypters(policy)) == {(VENDOR, VENDOR, False, None),
                                                 (f"* (account {INSURER})", INSURER, False, None)}
    assert {p["via"] for p in policy_decrypters(policy)} == {"key policy"}


def test_share_readers():
    assert shapes(share_readers([VENDOR, "all"])) == {(VENDOR, VENDOR, False, None),
                                                      ("*", None, True, None)}


# ------------------------------------------------------------------ entities

def test_entity_of_accounts_map_then_ous():
    cfg = config_from_mapping({"accounts": {BANK: {"entity": "Bank"}},
                               "legal_entities": {"ou-ab12-insure01": "Insurance",
                                                  "Wealth": "Wealth"}})
    ous = {INSURER: [{"id": "ou-ab12-insure01", "name": "Insure"}],
           VENDOR: [{"id": "ou-zz", "name": "Wealth"}], BANK: [{"id": "ou-ab12-insure01"}]}
    assert entity_of(BANK, cfg, ous) == "Bank"  # the accounts map wins
    assert entity_of(INSURER, cfg, ous) == "Insurance"  # by OU id
    assert entity_of(VENDOR, cfg, ous) == "Wealth"  # by OU name
    assert entity_of(BANK2, cfg, ous) is None
    assert entity_of(None, cfg) is None
    assert configured(cfg) and not configured(config_from_mapping({}))


@pytest.mark.parametrize("raw", [{"legal_entities": {"ou-1": ""}},
                                 {"legal_entities": {"ou-1": 3}},
                                 {"legal_entities": ["x"]},
                                 {"accounts": {BANK: {"entity": ""}}}])
def test_bad_entity_settings_are_one_line_errors(raw):
    with pytest.raises(InputError) as e:
        config_from_mapping(raw, "cfg.yaml")
    assert "\n" not in str(e.value) and str(e.value).startswith("cfg.yaml:")


# ------------------------------------------------------------------ sharerel

def reader(acct: str | None, principal: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"principal": principal or acct or "*", "account": acct, "via": "bucket policy",
            "anyone": False, **kw}


def store(readers: Any, tags: dict[str, str] | None = None, account: str = BANK,
          kind: str = "object_store") -> dict[str, Any]:
    return {"id": "s", "kind": kind, "account": account, "tags": tags or {},
            "access": {"readers": readers}}


ENTITIES = {"accounts": {BANK: {"entity": "Bank"}, BANK2: {"entity": "Bank"},
                         INSURER: {"entity": "Insurance"}},
            "institution_organizations": [ORG]}

# (settings, readers, readers_outside (accounts), readers_other_entity (accounts), reasons)
PLACES = [
    ("own account only", ENTITIES, [reader(BANK)], [], [], []),
    ("a vendor", ENTITIES, [reader(VENDOR)], [VENDOR], [], []),
    ("anyone", ENTITIES, [reader(None, "*", anyone=True)], [None], [], []),
    ("unplaced caller", ENTITIES, [reader(None, "callers of any account")], [None], [], []),
    ("same entity, other account", ENTITIES, [reader(BANK2)], [], [], []),
    ("another entity", ENTITIES, [reader(INSURER)], [], [INSURER], []),
    ("our org, two entities", ENTITIES, [reader(None, "* (org)", org=ORG)], [], [None], []),
    ("another org", ENTITIES, [reader(None, "* (org)", org=FOREIGN)], [None], [], []),
    ("no entity configured, other institution account",
     {"institution_accounts": [BANK, INSURER]}, [reader(INSURER)], [], None, [NO_ENTITIES]),
    ("no entity configured, own account only",
     {"institution_accounts": [BANK]}, [reader(BANK)], [], [], []),
    ("entity of a reader unknown", {**ENTITIES, "institution_accounts": ["333333333333"]},
     [reader("333333333333")], [], None, [READER_ENTITY]),
    ("unknown institution", {}, [reader(VENDOR)], None, [], [UNKNOWN_ACCOUNTS]),
    ("unknown institution, entities on", {"legal_entities": {"ou-x": "Bank"}},
     [reader(VENDOR)], None, None, [UNKNOWN_ACCOUNTS]),
    ("a crossing is known beside an unknown one", {**ENTITIES,
                                                  "institution_accounts": ["333333333333"]},
     [reader("333333333333"), reader(INSURER)], [], [INSURER], [READER_ENTITY]),
]


@pytest.mark.parametrize("name,raw,readers,outside,other,reasons", PLACES,
                         ids=[p[0] for p in PLACES])
def test_readers_are_placed(name, raw, readers, outside, other, reasons):
    a = store(readers)
    attach_share_context([a], config_from_mapping(raw))
    c = a["ctx"]
    got_out = None if c["readers_outside"] is None else [p["account"]
                                                         for p in c["readers_outside"]]
    got_other = None if c["readers_other_entity"] is None else [
        p["account"] for p in c["readers_other_entity"]]
    assert (got_out, got_other, c["readers_unknown"]) == (outside, other, reasons)


def test_store_of_unknown_entity_is_not_assessed():
    a = store([reader(INSURER)], account="333333333333")
    attach_share_context([a], config_from_mapping({**ENTITIES, "institution_accounts":
                                                   ["333333333333"]}))
    assert a["ctx"]["readers_other_entity"] is None
    assert a["ctx"]["readers_unknown"] == [STORE_ENTITY]
    assert a["ctx"]["entity"] is None


def test_entity_from_the_ous_a_sweep_read():
    a = store([reader(INSURER)])
    sources = [{"type": "aws", "account": BANK, "region": "cn-north-1",
                "organizational_units": [{"id": "ou-b", "name": "Retail"}]},
               {"type": "aws", "account": INSURER, "region": "cn-north-1",
                "organizational_units": [{"id": "ou-i", "name": "Insurance"}]}]
    attach_share_context([a], config_from_mapping({"legal_entities": {"Retail": "Bank",
                                                                      "ou-i": "Insurer"}}),
                         sources)
    assert a["ctx"]["entity"] == "Bank"
    assert [p["entity"] for p in a["ctx"]["readers_other_entity"]] == ["Insurer"]


@pytest.mark.parametrize("tags,keys,want", [
    ({"dsscan:sharing-record": "SR-1"}, None, True),
    ({"Sharing-Record": "SR-1"}, None, True),  # case-insensitive
    ({"sharing-record": " "}, None, False),  # empty
    ({"other": "SR-1"}, None, False),
    ({"contract": "C-9"}, ["contract"], True),
    ({"dsscan:sharing-record": "SR-1"}, ["contract"], False),
])
def test_sharing_record_tags(tags, keys, want):
    a = store([], tags)
    raw = {"sharing_record_tag_keys": keys} if keys else {}
    attach_share_context([a], config_from_mapping(raw))
    assert a["ctx"]["sharing_record"] is want


@pytest.mark.parametrize("access,kind,want", [
    ({"public": False, "shared_with": [VENDOR]}, "snapshot", [VENDOR]),
    ({"public": True, "shared_with": ["all"]}, "snapshot", [None]),
    ({"public": None, "shared_with": []}, "snapshot", None),  # the share list was not read
    ({"readers": None, "public": None}, "object_store", None),
    ({"public": False}, "object_store", "absent"),  # the input cannot say
])
def test_readers_of_each_input_shape(access, kind, want):
    a = {"id": "s", "kind": kind, "account": BANK, "access": access}
    attach_share_context([a], config_from_mapping({"institution_accounts": [BANK]}))
    if want == "absent":
        assert "readers_outside" not in a.get("ctx", {})
    else:
        got = a["ctx"]["readers_outside"]
        assert (None if got is None else [p["account"] for p in got]) == want


# ------------------------------------------------------------------ catalogue record

def test_a_catalogue_rule_records_the_share(tmp_path):
    """The catalogue's sharing_record approves the share as a tag does; a rule with an empty
    record is a one-line error."""
    from dsscan.catalogue import load_catalogue
    from dsscan.classify import classify

    cat = tmp_path / "catalogue.yaml"
    cat.write_text("rules:\n  - id: partner-feed\n    match: {name: partner-*}\n"
                   "    sharing_record: SR-2026-014\n", encoding="utf-8")
    cfg = config_from_mapping({"institution_accounts": [BANK]})
    assets = [{**store([reader(VENDOR)]), "id": f"s{i}", "name": n, "region": "cn-north-1"}
              for i, n in enumerate(("partner-feed", "other-feed"))]
    classify(assets, cfg, load_catalogue(str(cat)))
    attach_share_context(assets, cfg)
    assert assets[0]["sharing_record"] == {"record": "SR-2026-014", "source": "catalogue",
                                           "rule": "partner-feed"}
    assert [a["ctx"]["sharing_record"] for a in assets] == [True, False]
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: x\n    match: {name: a}\n    sharing_record: ''\n",
                   encoding="utf-8")
    with pytest.raises(InputError, match="sharing_record"):
        load_catalogue(str(bad))


# A saved estate (classified by an earlier run) carries the record its catalogue gave then;
# it is derived again each run: a rule this run's catalogue does not have approves nothing.
@pytest.mark.parametrize("carried,catalogue,want", [
    ({"record": "SR-OLD", "source": "catalogue", "rule": "gone"}, None, False),
    ({"record": "SR-OLD", "source": "catalogue", "rule": "gone"}, "other-*", False),
    ({"record": "SR-OLD", "source": "tag"}, None, False),
    ({"record": "SR-OLD", "source": "catalogue", "rule": "gone"}, "partner-*", True),
    ({"record": "SR-HAND"}, None, True),  # written into a hand-made inventory
])
def test_a_carried_over_catalogue_record_is_derived_again(tmp_path, carried, catalogue, want):
    from dsscan.catalogue import load_catalogue
    from dsscan.classify import classify

    cat = None
    if catalogue:
        path = tmp_path / "catalogue.yaml"
        path.write_text(f"rules:\n  - id: r\n    match: {{name: '{catalogue}'}}\n"
                        "    sharing_record: SR-NEW\n", encoding="utf-8")
        cat = load_catalogue(str(path))
    cfg = config_from_mapping({"institution_accounts": [BANK]})
    a = {**store([reader(VENDOR)]), "name": "partner-feed", "region": "cn-north-1",
         "sharing_record": dict(carried)}
    classify([a], cfg, cat)
    attach_share_context([a], cfg)
    assert a["ctx"]["sharing_record"] is want
