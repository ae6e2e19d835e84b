"""Seeded generators of identifiers and of a labelled corpus (tests and benchmarks only).

Everything is made up here: valid resident IDs with real county codes and dates, valid USCCs,
Luhn-valid UnionPay cards, mobiles of current segments — and the hard negatives a detector must
not take for them (Luhn-valid order numbers, random 18-digit strings, dates, numbers of wrong
segments), masked and tokenized twins.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import random
import uuid
from dataclasses import dataclass, field

from dsscan.detection.checksums import (
    luhn_check_digit,
    mod11_2_check_char,
    org_check_char,
    uscc_check_char,
)
from dsscan.detection.formats import USCC_ALPHABET

# Real county-level codes (GB/T 2260), a few per province.
COUNTIES = ["110101", "110105", "110108", "120101", "120104", "130102", "130104", "140105",
            "150102", "210102", "210202", "220102", "230102", "310101", "310104", "310115",
            "320102", "320506", "330106", "330212", "340102", "350203", "360102", "370102",
            "370202", "410105", "420102", "420106", "430102", "440103", "440305", "440106",
            "450103", "460105", "500103", "510104", "510107", "520102", "530102", "540102",
            "610113", "620102", "630102", "640104", "650102"]
UNIONPAY_BINS = ("622202", "622848", "621700", "622588", "623058", "622260", "621483",
                 "622609", "625965", "628288")
OTHER_BINS = ("436742", "518710", "356833")
SEGMENTS = ["130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147",
            "149", "150", "151", "152", "153", "155", "156", "157", "158", "159", "162", "165",
            "166", "167", "170", "171", "173", "175", "176", "177", "178", "180", "181", "182",
            "183", "184", "185", "186", "187", "188", "189", "190", "191", "193", "195", "196",
            "197", "198", "199"]
WRONG_SEGMENTS = ["100", "101", "110", "111", "120", "121", "122", "127", "140", "141", "142",
                  "143", "144", "154", "194"]
DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "gmail.com", "foxmail.com",
           "example.cn", "bank.com.cn")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志文海波鹏辉"
SURNAME_SAMPLE = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾欧阳司马"


def _date(rng: random.Random, start: int = 1940, end: int = 2005) -> str:
    d = _dt.date(start, 1, 1) + _dt.timedelta(days=rng.randrange(
        (_dt.date(end, 12, 31) - _dt.date(start, 1, 1)).days))
    return d.strftime("%Y%m%d")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def resident_id(rng: random.Random) -> str:
    body = rng.choice(COUNTIES) + _date(rng) + _digits(rng, 3)
    return body + mod11_2_check_char(body)


def hmt_residence_permit(rng: random.Random) -> str:
    body = rng.choice(("810000", "820000", "830000")) + _date(rng) + _digits(rng, 3)
    return body + mod11_2_check_char(body)


def foreign_permanent_resident_id(rng: random.Random) -> str:
    nation = rng.choice(("840", "392", "410", "250", "276", "826", "036", "124", "643", "702"))
    body = "9" + rng.choice(COUNTIES)[:2] + nation + _date(rng) + _digits(rng, 3)
    return body + mod11_2_check_char(body)


def bank_card(rng: random.Random) -> str:
    if rng.random() < 0.85:
        body = rng.choice(UNIONPAY_BINS) + _digits(rng, rng.choice((9, 12)))
    else:
        body = rng.choice(OTHER_BINS) + _digits(rng, 9)
    return body + luhn_check_digit(body)


def mobile(rng: random.Random) -> str:
    return rng.choice(SEGMENTS) + _digits(rng, 8)


def uscc(rng: random.Random) -> str:
    auth = rng.choice("1599999995Y")
    kind = {"1": "129", "5": "1239", "9": "123", "Y": "1"}[auth]
    if rng.random() < 0.6:  # a legacy all-digit organisation code, with its GB 11714 check
        org = _digits(rng, 8)
    else:  # a new subject code: MA + alphanumerics
        org = "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    body = auth + rng.choice(kind) + rng.choice(COUNTIES) + org + org_check_char(org)
    return body + uscc_check_char(body)


def passport(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.5:
        return "E" + _digits(rng, 8)
    if r < 0.85:
        return "E" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + _digits(rng, 7)
    return "G" + _digits(rng, 8)


def travel_permit(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.4:
        return "C" + _digits(rng, 8)
    if r < 0.6:
        return "C" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + _digits(rng, 7)
    return rng.choice("HM") + _digits(rng, 8)


def email(rng: random.Random) -> str:
    local = rng.choice(("zhang", "li.wei", "wang_fang", "liu88", "chen.j", "yang", "zhao.l"))
    return f"{local}{rng.randrange(10000)}@{rng.choice(DOMAINS)}"


def person_name(rng: random.Random) -> str:
    i = rng.randrange(len(SURNAME_SAMPLE) - 4)
    s = SURNAME_SAMPLE[i] if i < len(SURNAME_SAMPLE) - 4 else SURNAME_SAMPLE[i:i + 2]
    return s + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


GENERATORS = {
    "prc_resident_id": resident_id, "hmt_residence_permit": hmt_residence_permit,
    "foreign_permanent_resident_id": foreign_permanent_resident_id, "bank_card": bank_card,
    "mobile_phone": mobile, "unified_social_credit_code": uscc, "passport": passport,
    "hmt_travel_permit": travel_permit, "email": email, "person_name": person_name,
}


# ---------------------------------------------------------------- masked / tokenized twins


def masked(value: str, rng: random.Random, detector: str) -> str:
    """A masked form as desensitization tools write them."""
    m = rng.choice("**********#•x")
    if detector == "email":
        local, _, dom = value.partition("@")
        return f"{local[0]}{m * 3}@{dom}"
    if detector == "person_name":
        return value[0] + m * (len(value) - 1)
    if detector == "mobile_phone":
        return value[:3] + m * 4 + value[-4:]
    if detector == "bank_card":
        if rng.random() < 0.5:
            return f"{value[:4]} {m * 4} {m * 4} {value[-4:]}"
        return value[:6] + m * (len(value) - 10) + value[-4:]
    if len(value) >= 15:
        return value[:6] + m * (len(value) - 10) + value[-4:]
    return value[0] + m * (len(value) - 4) + value[-3:]


def tokenized(value: str, rng: random.Random, *, fpe: bool) -> str:
    """A hash / UUID / base64 token, or a format-preserving token of the same shape."""
    if (fpe and value.isdigit()) or (fpe and value[:17].isdigit()):
        # Keep the first 6 (a tokenizer keeps region/BIN), randomize the rest, and make the
        # check fail, as token vaults do ("Luhn-invalid" tokens): a token that passed would
        # be a number like any real one, and is counted so.
        body = value[:6] + _digits(rng, len(value) - 7)
        if len(value) == 18:
            good = mod11_2_check_char(body)
            return body + rng.choice([c for c in "0123456789" if c != good])
        good = luhn_check_digit(body)
        return body + rng.choice([c for c in "0123456789" if c != good])
    kind = rng.randrange(3)
    raw = value.encode() + rng.randbytes(8)
    if kind == 0:
        return hashlib.sha256(raw).hexdigest()
    if kind == 1:
        return str(uuid.UUID(bytes=rng.randbytes(16)))
    return base64.b64encode(hashlib.sha1(raw).digest() + rng.randbytes(6)).decode()


# ---------------------------------------------------------------- hard negatives


def luhn_order_number(rng: random.Random) -> str:
    """An order number with a Luhn check digit (many systems add one)."""
    body = "2" + _digits(rng, 3) + _digits(rng, rng.choice((11, 14)))
    return body + luhn_check_digit(body)


def random_digits18(rng: random.Random) -> str:
    return rng.choice("123456789") + _digits(rng, 17)


def wrong_segment_phone(rng: random.Random) -> str:
    return rng.choice(WRONG_SEGMENTS) + _digits(rng, 8)


def date_string(rng: random.Random) -> str:
    d = _date(rng, 1990, 2030)
    return rng.choice((d, f"{d[:4]}-{d[4:6]}-{d[6:]}", d + _digits(rng, 6)))


NEGATIVES = {"luhn_order": luhn_order_number, "digits18": random_digits18,
             "wrong_segment": wrong_segment_phone, "date": date_string}


# ---------------------------------------------------------------- labelled corpus


@dataclass
class Column:
    name: str
    values: list[str]
    # detector → 0-based rows whose value is that detector's identifier in clear
    truth: dict[str, set[int]] = field(default_factory=dict)
    raw: list[str] = field(default_factory=list)  # every clear value (the never-leak test)


def corpus(seed: int = 7, rows: int = 400) -> list[Column]:
    """Columns with hints and without, mixed clear/masked/tokenized, and hard negatives."""
    rng = random.Random(seed)
    cols: list[Column] = []
    hints = {"prc_resident_id": ("id_number", "sfzh", "c1"), "bank_card": ("card_no", "卡号"),
             "mobile_phone": ("mobile", "c2"), "unified_social_credit_code": ("uscc", "c3"),
             "email": ("email", "c4"), "passport": ("passport_no",),
             "hmt_travel_permit": ("permit_no",), "hmt_residence_permit": ("证件号码",),
             "foreign_permanent_resident_id": ("zjhm",), "person_name": ("姓名",)}
    for det, names in hints.items():
        gen = GENERATORS[det]
        for name in names:
            col = Column(name, [])
            for i in range(rows):
                r = rng.random()
                v = gen(rng)
                if r < 0.8:
                    col.values.append(v)
                    col.truth.setdefault(det, set()).add(i)
                    col.raw.append(v)
                elif r < 0.95:
                    col.values.append(masked(v, rng, det))
                else:
                    col.values.append("")
            cols.append(col)
    # Tokenized columns under hints (no clear value in them).
    for det, name in (("prc_resident_id", "id_no"), ("bank_card", "card_number"),
                      ("mobile_phone", "phone")):
        for fpe in (True, False):
            gen = GENERATORS[det]
            vals = [tokenized(gen(rng), rng, fpe=fpe and det != "mobile_phone")
                    for _ in range(rows)]
            cols.append(Column(f"{name}_{'fpe' if fpe else 'hash'}", vals))
    # Hard negatives, hinted and unhinted.
    for kind, gen in NEGATIVES.items():
        for name in (f"{kind}_value", "order_no", "ref"):
            cols.append(Column(name, [gen(rng) for _ in range(rows)]))
    # Unhinted card column: the ratio rule must find it; unhinted order numbers must not.
    col = Column("c5", [])
    for i in range(rows):
        v = bank_card(rng)
        col.values.append(v)
        col.truth.setdefault("bank_card", set()).add(i)
        col.raw.append(v)
    cols.append(col)
    # A remarks column: identifiers inside Chinese free text.
    col = Column("remark", [])
    for i in range(rows):
        det = rng.choice(("prc_resident_id", "mobile_phone", "unified_social_credit_code",
                          None))
        if det is None:
            col.values.append(f"客户于{date_string(rng)}来电，订单{luhn_order_number(rng)}已处理")
            continue
        v = GENERATORS[det](rng)
        pre = {"prc_resident_id": "身份证号", "mobile_phone": "联系电话",
               "unified_social_credit_code": "统一社会信用代码"}[det]
        col.values.append(f"{pre}{v}已核验")
        col.truth.setdefault(det, set()).add(i)
        col.raw.append(v)
    cols.append(col)
    return cols


def text_corpus(seed: int = 11, lines: int = 2000) -> tuple[str, dict[str, set[int]], list[str]]:
    """Log-like lines, some with identifiers (labelled by line), with hard negatives."""
    rng = random.Random(seed)
    out: list[str] = []
    truth: dict[str, set[int]] = {}
    raw: list[str] = []
    kw = {"prc_resident_id": "idcard=", "bank_card": "card_no=", "mobile_phone": "mobile=",
          "unified_social_credit_code": "uscc=", "email": "mail ", "passport": "passport ",
          "hmt_travel_permit": "permit ", "hmt_residence_permit": "居住证",
          "foreign_permanent_resident_id": "永居证"}
    for i in range(lines):
        ts = f"2024-05-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00.{i % 1000:03d}Z"
        base = (f"{ts} INFO [worker-{rng.randrange(8)}] GET /api/v1/orders/"
                f"{luhn_order_number(rng)} 200 {rng.randrange(900)}ms trace="
                f"{uuid.UUID(bytes=rng.randbytes(16)).hex}")
        r = rng.random()
        if r < 0.3:
            det = rng.choice(list(kw))
            v = GENERATORS[det](rng)
            base += f" {kw[det]}{v}"
            truth.setdefault(det, set()).add(i)
            raw.append(v)
        elif r < 0.4:
            det = rng.choice(list(kw))
            base += f" {kw[det]}{masked(GENERATORS[det](rng), rng, det)}"
        elif r < 0.5:
            neg = rng.choice(list(NEGATIVES.values()))
            base += f" ref={neg(rng)}"
        out.append(base)
    return "\n".join(out) + "\n", truth, raw
