"""Planted identifiers: valid resident IDs, bank cards and mobiles, the shapes they take in
names, keys and paths, and the search for them in everything dsscan wrote.

Used by tests/test_planted_identifiers.py and bench/bench_planted.py. Values are generated
with a fixed seed and validate the way real ones do (GB 11643 check character and a real
birth date; Luhn with an issuer prefix; an allocated mobile segment), each one checked here
with its own implementation of the algorithm (not dsscan's).
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REGIONS = ("110101", "310101", "440305", "330106", "510104", "420102", "320102", "440106")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
SEGMENTS = ("130", "133", "135", "138", "139", "145", "150", "153", "158", "166", "170",
            "177", "180", "186", "189", "191", "198", "199")
# (prefix, length): UnionPay 16/19, Visa 16, Mastercard 5x and 2-series, American Express 15.
CARD_KINDS = (("62", 16), ("62", 19), ("4", 16), ("51", 16), ("55", 16), ("2221", 16),
              ("2720", 16), ("34", 15), ("37", 15))


def id_ok(s: str) -> bool:
    """GB 11643 by its weights (an implementation independent of dsscan's)."""
    if len(s) != 18 or not s[:17].isdigit():
        return False
    born = s[6:14]
    try:
        date(int(born[:4]), int(born[4:6]), int(born[6:]))
    except ValueError:
        return False
    return _CHECK[sum(int(c) * w for c, w in zip(s[:17], _WEIGHTS, strict=True)) % 11] == s[17]


def luhn_ok(s: str) -> bool:
    digits = [int(c) for c in s]
    odd = sum(digits[-1::-2])
    even = sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return (odd + even) % 10 == 0


@dataclass
class Planted:
    """Every clear identifier handed out (``values``), by kind."""

    seed: int = 20261101
    rng: random.Random = field(init=False)
    values: dict[str, str] = field(default_factory=dict)  # value -> kind

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def _keep(self, v: str, kind: str) -> str:
        if v in self.values:
            return self._fresh(kind)
        self.values[v] = kind
        return v

    def _fresh(self, kind: str) -> str:
        return {"id": self.resident_id, "card": self.card, "mobile": self.mobile}[kind]()

    def resident_id(self, region: str | None = None, last4: str | None = None) -> str:
        """With ``region`` and ``last4`` given, another ID of the same masked form."""
        r = self.rng
        while True:
            born = date(1950, 1, 1) + timedelta(days=r.randrange(20000))
            body = (region or r.choice(REGIONS)) + born.strftime("%Y%m%d") + \
                (last4[:3] if last4 else f"{r.randrange(1000):03d}")
            v = body + _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
                              % 11]
            if last4 and v[-4:] != last4:
                continue
            assert id_ok(v)
            if v not in self.values:
                return self._keep(v, "id")

    def card(self) -> str:
        r = self.rng
        prefix, n = r.choice(CARD_KINDS)
        if prefix == "2221":
            prefix = str(r.randint(2221, 2720))
        body = prefix + "".join(str(r.randrange(10)) for _ in range(n - len(prefix) - 1))
        for check in "0123456789":
            if luhn_ok(body + check):
                return self._keep(body + check, "card")
        raise AssertionError("no Luhn digit")

    def mobile(self) -> str:
        r = self.rng
        v = r.choice(SEGMENTS) + "".join(str(r.randrange(10)) for _ in range(8))
        return self._keep(v, "mobile")

    def any(self) -> str:
        return self._fresh(self.rng.choice(("id", "card", "mobile")))

    # --- shapes ---------------------------------------------------------------------------

    def grouped(self, v: str, sep: str) -> str:
        """The way people write the value: 6-8-4, 4-4-4-4(-3) or 3-4-4, with ``sep``."""
        kind = self.values[v]
        cuts = {"id": (6, 14), "mobile": (3, 7)}.get(kind) or tuple(range(4, len(v), 4))
        parts, last = [], 0
        for c in (*cuts, len(v)):
            parts.append(v[last:c])
            last = c
        return sep.join(parts)

    def embed(self, v: str, i: int) -> str:
        """The i-th of the ways an identifier gets into a name, key, path or text."""
        kind = self.values[v]
        shapes = [f"kyc{v}", f"cust{v}/data.json", f"ID{v}", f"kyc_{v}", f"kyc-{v}",
                  f"s3://bank-data/cust{v}/data.json", f"https://crm.example/c?id={v}&x=1",
                  f"arn:aws-cn:s3:::kyc-{v}", f'module.kyc["{v}"]', f"note {v} end",
                  f"a%20{v}", self.grouped(v, " "), self.grouped(v, "-"),
                  self.grouped(v, "_"), f"x{self.grouped(v, '-')}y"]
        if kind == "mobile":
            shapes += [f"TEL{v}", f"+86{v}", f"0086 {v}", f"+86 {self.grouped(v, ' ')}"]
        if kind == "card":
            shapes += [f"card{v}", f"pan:{v}"]
        return shapes[i % len(shapes)]

    def bucket_name(self, v: str, i: int) -> str:
        """An S3 bucket name holding ``v``: lowercase letters, digits and hyphens only."""
        v = v.lower()
        return [f"kyc{v}", f"cust-{v}", f"{v}-data", f"tel{v}x"][i % 4][:63]


# --- documents -----------------------------------------------------------------------------

_TOKEN_EDGE = "A-Za-z0-9_"


def plant_tokens(text: str, tokens: Iterable[str], planted: Planted,
                 suffix: Any = None) -> tuple[str, int]:
    """``text`` with each of ``tokens`` (a whole word: not inside a longer name) followed by a
    planted identifier, the same one everywhere the token occurs, so relations by name, id,
    ARN or address still hold. Returns the text and how many tokens were planted."""
    n = 0
    for tok in sorted(set(tokens), key=len, reverse=True):
        pat = re.compile(rf"(?<![{_TOKEN_EDGE}]){re.escape(tok)}(?![{_TOKEN_EDGE}])")
        if not pat.search(text):
            continue
        v = planted.any()
        glue = suffix(v, n) if suffix else ("_" if "_" in tok else "-") + \
            ["kyc", "cust", "ID", "TEL"][n % 4] + v
        text = pat.sub(lambda _m, t=tok, g=glue: t + g, text)
        n += 1
    return text, n


def plant_tags(doc: Any, planted: Planted, keys: tuple[str, ...] = ("tags", "tagsAll",
                                                                    "tags_all")) -> int:
    """Adds planted keys and values to every tag map in ``doc``; returns how many values."""
    count = 0

    def walk(node: Any) -> None:
        nonlocal count
        if isinstance(node, dict):
            for k, v in list(node.items()):
                if k in keys and isinstance(v, dict):
                    a, b = planted.resident_id(), planted.mobile()
                    c = planted.card()
                    v[f"owner{a}"] = f"TEL{b}"
                    v["note"] = f"cust {planted.grouped(c, ' ')}"
                    count += 3
                else:
                    walk(v)
        elif isinstance(node, list):
            for x in node:
                walk(x)

    walk(doc)
    return count


def plant_every_string(doc: Any, planted: Planted, valid: Any,
                       keep: dict[str, str] | None = None) -> int:
    """Every string leaf (and tag key) of a JSON document gets a planted identifier, the same
    for the same value everywhere, except where ``valid(doc)`` then fails (enums, patterns):
    those values are put back. Returns how many distinct values were planted."""
    mapping: dict[str, str] = {}

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k != "format":
                    mapping.setdefault(k, k)
                    collect(v)
        elif isinstance(node, list):
            for x in node:
                collect(x)
        elif isinstance(node, str) and node:
            mapping.setdefault(node, node)

    collect(doc)
    for i, s in enumerate(sorted(mapping)):
        if keep and s in keep:
            continue
        v = planted.any()
        mapping[s] = f"{s}-{planted.embed(v, i)}"

    def apply(node: Any, keys: bool) -> Any:
        if isinstance(node, dict):
            return {(mapping.get(k, k) if keys and k != "format" else k):
                    (v if k == "format" else apply(v, keys)) for k, v in node.items()}
        if isinstance(node, list):
            return [apply(x, keys) for x in node]
        if isinstance(node, str):
            return mapping.get(node, node)
        return node

    # Keys stay as the schema names them, except in maps of free keys (tags).
    def apply_doc(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (apply(v, True) if k in ("tags", "evidence") and isinstance(v, dict)
                        else apply_doc(v) if k != "format" else v) for k, v in node.items()}
        if isinstance(node, list):
            return [apply_doc(x) for x in node]
        return apply(node, False)

    for _ in range(50):
        new = apply_doc(doc)
        bad = valid(new)
        if not bad:
            break
        for s in bad:  # values an enum or pattern refuses: not planted there
            for orig, got in list(mapping.items()):
                if got == s or orig == s:
                    mapping[orig] = orig
    else:
        raise AssertionError("could not plant a valid document")
    doc.clear()
    doc.update(new)
    return sum(1 for k, v in mapping.items() if k != v)


# --- searching what was written ------------------------------------------------------------

# A chain of digits with at most one separator between two of them (a space, dash,
# underscore, dot or URL escape), and a final X: how an identifier can be written out.
_CHAIN = re.compile(r"[0-9](?:(?:[\s_\-.]|%20|%2[dD]|%5[fF])?[0-9])*(?:[\s_\-.]?[Xx])?")
_NOT_DIGIT = re.compile(r"[^0-9X]")
_ESCAPE = re.compile(r"%[0-9A-F]{2}")
_PCT = re.compile(r"%(3[0-9]|58|78)")


class Needles:
    """The planted values, searched for in any text at the speed of one regex pass: every
    chain of digits is read without its separators, and each window of a planted value's
    length is looked up. Stricter than searching for the values as words: a value inside a
    longer run of digits is found too."""

    def __init__(self, values: Iterable[str]) -> None:
        self.by_len: dict[int, set[str]] = {}
        for v in values:
            self.by_len.setdefault(len(v), set()).add(v.upper())
        self.min = min(self.by_len, default=0)

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(value, start, end) of each planted value in ``text``, percent-encoded digits
        (%31 for "1") read as digits."""
        if "%3" in text or "%58" in text:
            text = _PCT.sub(lambda m: chr(int(m.group(1), 16)), text)
        hits = []
        for m in _CHAIN.finditer(text):
            raw = m.group(0)
            if len(raw) < self.min:
                continue
            compact = _NOT_DIGIT.sub("", _ESCAPE.sub("", raw.upper()))
            for n, values in self.by_len.items():
                for i in range(len(compact) - n + 1):
                    w = compact[i:i + n]
                    if w in values:
                        hits.append((w, m.start(), m.end()))
        return hits


def variants_pattern(values: Iterable[str]) -> Needles:
    """Any of ``values`` in clear: as written, or with a space, dash, underscore, dot or URL
    escape between any two characters (138 1234 5678, 4403-0519..., 6222_0200...)."""
    return Needles(values)


def readable(path: Path) -> str:
    """A written file as text to search: a SQLite database as its SQL dump and its raw bytes
    (deleted rows stay in free pages), anything else decoded leniently. Full-width and other
    compatibility forms are folded (１３８ reads as 138)."""
    raw = path.read_bytes()
    parts = [raw.decode("utf-8", "replace")]
    if raw[:16] == b"SQLite format 3\x00":
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            parts.append("\n".join(con.iterdump()))
        finally:
            con.close()
    return unicodedata.normalize("NFKC", "\n".join(parts))


@dataclass
class Leak:
    where: str
    value: str
    context: str


def find_leaks(needles: Needles, where: str, text: str) -> list[Leak]:
    text = unicodedata.normalize("NFKC", text)
    return [Leak(where, v, text[max(0, a - 40):b + 40]) for v, a, b in needles.find(text)]


def masked_shapes(values: Iterable[str]) -> set[str]:
    """The masked forms the planted values take (110101********1234, 138****5678): finding
    them shows the values did reach the outputs, masked."""
    out = set()
    for v in values:
        v = v.upper()
        if len(v) == 11:
            out.add(f"{v[:3]}****{v[-4:]}")
        else:
            head = 6 if len(v) >= 15 else 3
            out.add(v[:head] + "*" * (len(v) - head - 4) + v[-4:])
    return out


def json_dump(doc: Any, path: Path) -> Path:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), "utf-8")
    return path


# --- the planted sources ---------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# Values whose meaning the settings read (a level, an environment): planting into them would
# change what is scanned, not what is written. Every other string gets an identifier.
_KEEP = frozenset({"core", "important", "sensitive", "general", "unclassified", "production",
                   "staging", "test", "development", "unknown", "dsscan:level", "data-level",
                   "environment", "env", "dsscan:environment", "dsscan:desensitization"})


def plant_inventory(planted: Planted, base: Path | None = None) -> tuple[dict[str, Any], int]:
    """examples/bank-estate.json with an identifier in every string the schema lets hold one,
    and planted tag keys and values on every asset."""
    from dsscan.inventory import _validator

    doc = json.loads((base or ROOT / "examples" / "bank-estate.json").read_text("utf-8"))
    validator = _validator()

    def bad(d: dict[str, Any]) -> list[str]:
        out = []
        for e in validator.iter_errors(d):
            v = e.instance
            out += [x for x in (v if isinstance(v, list) else [v]) if isinstance(x, str)]
            if not out:  # a key or a whole object refused: name its strings
                out += [p for p in e.instance_path if isinstance(p, str)]
        return out or (["<unplantable>"] if not validator.is_valid(d) else [])

    keep = {s: s for s in _KEEP}
    n = plant_every_string(doc, planted, lambda d: bad(d), keep=keep)
    n += plant_tags(doc, planted, keys=("tags",))
    # Resource types no scanner maps, named after identifiers (a provider of one's own can
    # name them anything): counted in every report's "not looked at".
    for src in doc.get("sources") or []:
        src["skipped"] = {f"aws_kyc_{planted.resident_id()}_table": 2,
                          f"custom:index:Cust{planted.card()}": 1}
        n += 2
    return doc, n


def plant_plan(planted: Planted) -> tuple[dict[str, Any], int]:
    """examples/terraform/bank/plan.json: resource names (and so addresses and references),
    bucket names and tags hold identifiers; one resource sits in a module instance keyed by
    a resident ID (module.kyc["440305..."])."""
    text = (ROOT / "examples" / "terraform" / "bank" / "plan.json").read_text("utf-8")
    doc = json.loads(text)
    names = {r["name"] for r in doc["resource_changes"]} - {"prod", "test", "db", "daily"}
    buckets = set(re.findall(r'"bucket": "([a-z0-9.-]+)"', text))
    text, n = plant_tokens(text, names | buckets, planted)
    doc = json.loads(text)
    n += plant_tags(doc, planted)
    v = planted.resident_id()
    addr = f'module.kyc["{v}"].aws_s3_bucket.b'
    doc["resource_changes"].append({
        "address": addr, "module_address": f'module.kyc["{v}"]', "mode": "managed",
        "type": "aws_s3_bucket", "name": "b", "index": None,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": ["create"], "before": None,
                   "after": {"bucket": f"kyc-{v.lower()}", "force_destroy": False,
                             "tags": {f"owner{planted.resident_id()}": f"TEL{planted.mobile()}",
                                      "dsscan:level": "sensitive"}},
                   "after_unknown": {"arn": True, "id": True}, "before_sensitive": False,
                   "after_sensitive": {}}})
    return doc, n + 1


def plant_export(planted: Planted) -> tuple[dict[str, Any], int]:
    """examples/pulumi/bank/recorded/stack-export.json: logical names (in URNs, names,
    ARNs) and tags hold identifiers."""
    text = (ROOT / "examples" / "pulumi" / "bank" / "recorded" /
            "stack-export.json").read_text("utf-8")
    doc = json.loads(text)
    names = {r["urn"].rsplit("::", 1)[-1] for r in doc["deployment"]["resources"]
             if "::" in r.get("urn", "")}
    names -= {"bank-dev", "default", "prod", "test"}
    names = {n for n in names if len(n) > 3 and not n.startswith("default_")}
    text, n = plant_tokens(text, names, planted)
    doc = json.loads(text)
    n += plant_tags(doc, planted)
    return doc, n


def make_sqlite(planted: Planted, path: Path, rows: int = 20) -> int:
    """A SQLite database whose table and column names and rows hold identifiers (text and
    integer columns). Returns how many values were planted."""
    before = len(planted.values)
    con = sqlite3.connect(path)
    try:
        t1, t2 = f"kyc_{planted.resident_id()}", f"tel{planted.mobile()}"
        c1, c2 = f"id_{planted.resident_id()}", f"card{planted.card()}"
        con.execute(f'CREATE TABLE "{t1}" ("{c1}" TEXT, mobile TEXT, "{c2}" TEXT, '
                    "card_no INTEGER, note TEXT)")
        con.execute(f'CREATE TABLE "{t2}" (phone INTEGER, remark TEXT)')
        for i in range(rows):
            rid, mob, card = planted.resident_id(), planted.mobile(), planted.card()
            con.execute(f'INSERT INTO "{t1}" VALUES (?, ?, ?, ?, ?)',
                        (rid, mob, planted.grouped(card, " "), int(planted.card()),
                         f"客户 {planted.embed(planted.any(), i)}"))
            con.execute(f'INSERT INTO "{t2}" VALUES (?, ?)',
                        (int(planted.mobile()), f"TEL{planted.mobile()} card{planted.card()}"))
        con.commit()
    finally:
        con.close()
    return len(planted.values) - before


def provision(planted: Planted, scale: int = 1, region: str = "cn-north-1") -> None:
    """A moto (or any AWS) estate with identifiers wherever AWS lets a name, key, tag or
    description hold one: bucket names, object keys and contents, table names and items, DB
    and snapshot identifiers, key descriptions and aliases, security groups, volume and
    vault names and tags. ``scale`` multiplies the buckets, tables and databases."""
    import boto3

    REGION = region
    s3 = boto3.client("s3", region_name=REGION)
    for i in range(2 * scale):
        v = planted.any()
        name = planted.bucket_name(v, i)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": f"owner{planted.resident_id()}", "Value": f"TEL{planted.mobile()}"},
            {"Key": "dsscan:level", "Value": "sensitive"},
            {"Key": "environment", "Value": "test"}]})
        rows = "\n".join(f"{planted.resident_id()},{planted.mobile()},{planted.card()}"
                         for _ in range(5))
        s3.put_object(Bucket=name, Key=f"cust{planted.resident_id()}/data.csv",
                      Body=f"id_number,mobile,card_no\n{rows}\n".encode())
        s3.put_object(Bucket=name, Key=f"kyc {planted.grouped(planted.resident_id(), ' ')}.txt",
                      Body=f"客户 {planted.card()} TEL{planted.mobile()}".encode())
    ddb = boto3.client("dynamodb", region_name=REGION)
    for i in range(scale):
        table = f"kyc_{planted.resident_id()}" if i % 2 == 0 else f"tel.{planted.mobile()}"
        arn = ddb.create_table(
            TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": f"cust{planted.card()}", "Value": f"ID{planted.resident_id()}"}],
        )["TableDescription"]["TableArn"]
        assert arn
        for _ in range(5):
            ddb.put_item(TableName=table, Item={
                "pk": {"S": f"cust{planted.resident_id()}"},
                "mobile": {"S": planted.mobile()}, "card_no": {"N": planted.card()},
                f"id_{planted.resident_id()}": {"S": planted.grouped(planted.card(), "-")}})
    rds = boto3.client("rds", region_name=REGION)
    for _ in range(scale):
        ident = f"kyc-{planted.resident_id()}".lower()
        rds.create_db_instance(
            DBInstanceIdentifier=ident, Engine="postgres", DBInstanceClass="db.t3.micro",
            AllocatedStorage=20, MasterUsername="bank", MasterUserPassword="not-a-secret-1",
            StorageEncrypted=False,
            Tags=[{"Key": f"owner{planted.resident_id()}", "Value": f"TEL{planted.mobile()}"}])
        rds.create_db_snapshot(DBInstanceIdentifier=ident,
                               DBSnapshotIdentifier=f"s{planted.mobile()}")
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description=f"key of cust{planted.resident_id()} TEL{planted.mobile()}",
                         Tags=[{"TagKey": f"id{planted.resident_id()}",
                                "TagValue": planted.card()}])["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=f"alias/kyc{planted.resident_id()}", TargetKeyId=key)
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[
        {"Key": "Name", "Value": f"vpc-kyc{planted.resident_id()}"},
        {"Key": f"tel{planted.mobile()}", "Value": "x"}])
    sg = ec2.create_security_group(GroupName=f"sg-cust{planted.resident_id()}",
                                   Description=f"TEL{planted.mobile()}", VpcId=vpc)["GroupId"]
    assert sg
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, TagSpecifications=[{
        "ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"ID{planted.resident_id()}"},
                                           {"Key": "card", "Value": planted.card()}]}])
    ec2.create_snapshot(VolumeId=vol["VolumeId"],
                        Description=f"backup of cust{planted.resident_id()}")
    backup = boto3.client("backup", region_name=REGION)
    backup.create_backup_vault(BackupVaultName=f"kyc{planted.resident_id()}",
                               BackupVaultTags={f"o{planted.resident_id()}": planted.mobile()})
