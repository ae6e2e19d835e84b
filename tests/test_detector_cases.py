"""Issue 11 §6: detector classes pinned by tables of hand-made cases, positives and look-alikes.

Every expected count is what the value *is* by construction (its check characters are worked
out here, with small implementations of the published algorithms independent of dsscan's), not
what dsscan answered. Each table holds cases today's detectors got wrong:

- 15-digit numbers are pre-1999 resident IDs only under a column or context hint;
- card brands by IIN range and length (Mastercard 2221-2720, AmEx 15, Visa 13, Diners 14,
  Maestro 12), never "tokenized" because the rest of the column is;
- mobiles behind +86 / 0086 / 86 with separators, and only allocated segments;
- grouped resident IDs, Hong Kong / Macau / Taiwan identity numbers;
- real values in a mostly tokenized column are counted (no chance-level amnesty);
- an X inside a unified social credit code is a code character, not a mask.
"""

from __future__ import annotations

import pytest

from dsscan.detection import ContentScanner

SCANNER = ContentScanner()


# ---------------------------------------------------------------- independent check digits


def mod11_2(body17: str) -> str:
    """GB 11643-1999: weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11, 10 -> X."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(body17))
    r = (12 - total % 11) % 11
    return "X" if r == 10 else str(r)


def luhn(body: str) -> str:
    """The Luhn digit completing ``body``."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str(-total % 10)


_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(body17: str) -> str:
    """GB 32100-2015: weights 3^(i-1) mod 31 over the 31-character alphabet."""
    total = sum(_USCC.index(c) * pow(3, i, 31) for i, c in enumerate(body17))
    return body17 + _USCC[(31 - total % 31) % 31]


def org(body8: str) -> str:
    """GB 11714 organisation code check: weights 3 7 9 10 5 8 4 2, 11 - sum mod 11."""
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2),
                                                  strict=True)) % 11
    return body8 + ("X" if c == 10 else "0" if c == 11 else str(c))


def hkid(prefix: str, digits6: str) -> str:
    """Hong Kong identity card: (space=36 for one letter) letters A=10.., weights 9..2,
    check = 11 - sum mod 11 (10 -> A, 11 -> 0)."""
    letters = prefix.rjust(2)
    vals = [36 if c == " " else ord(c) - 55 for c in letters] + [int(d) for d in digits6]
    s = sum(v * w for v, w in zip(vals, range(9, 1, -1), strict=True))
    c = (11 - s % 11) % 11
    return "A" if c == 10 else str(c)


_TW = {c: v for v, c in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO", start=10)}


def taiwan(letter: str, digits8: str) -> str:
    """Taiwan national ID: letter value (A=10 ... I=34, O=35) as two digits weighted 1 and 9,
    then the digits weighted 8..1; check makes the sum a multiple of 10."""
    v = _TW[letter]
    s = v // 10 + (v % 10) * 9 + sum(int(d) * w for d, w in zip(digits8, range(8, 0, -1),
                                                                 strict=True))
    return str(-s % 10)


def rid(body17: str) -> str:
    return body17 + mod11_2(body17)


def card(body: str) -> str:
    return body + luhn(body)


# Known values of the published algorithms (so the helpers above are checked too).
def test_independent_helpers_reproduce_published_examples():
    assert rid("11010519491231002") == "11010519491231002X"  # GB 11643-1999
    assert card("411111111111111") == "4111111111111111"
    assert uscc("91350100M000100Y4") == "91350100M000100Y43"  # GB 32100-2015
    assert hkid("A", "123456") == "3"  # A123456(3)
    assert taiwan("A", "12345678") == "9"  # A123456789


# ---------------------------------------------------------------- helpers


def col(values: list[str], name: str | None) -> dict[str, int]:
    """Unmasked count per detector of one column."""
    return {r["detector"]: r["unmasked"] for r in SCANNER.scan_column("t.c", values, name=name)
            if r["unmasked"]}


def text(t: str) -> dict[str, int]:
    return {r["detector"]: r["unmasked"] for r in SCANNER.scan_text("t", t) if r["unmasked"]}


def _pin(values: list[str], name: str | None, want: dict[str, int]) -> None:
    got = col(values, name)
    assert got == want, (name, got, want)


# ---------------------------------------------------------------- 15-digit numbers

OLD_ID = "110101900307123"          # GB 11643-1989: region, YYMMDD, sequence; no check
IMEI_LIKE = card("35010285010123")  # an IMEI (TAC 35...) that also reads region 350102, 850101
IMEI = card("86091703123456")       # a Chinese TAC


@pytest.mark.parametrize(("values", "name", "want"), [
    ([OLD_ID], "id_number", {"prc_resident_id": 1}),
    ([OLD_ID], "身份证号", {"prc_resident_id": 1}),
    ([OLD_ID], "c1", {}),
    ([OLD_ID], None, {}),
    ([IMEI_LIKE], "imei", {}),
    ([IMEI_LIKE, IMEI] * 20, "imei", {}),
    ([IMEI_LIKE] * 30, "device", {}),
    ([OLD_ID], "order_no", {}),
    ([OLD_ID] * 30, "ref", {}),
])
def test_15_digit_numbers_are_ids_only_under_a_hint(values, name, want):
    _pin(values, name, want)


@pytest.mark.parametrize(("t", "want"), [
    (f"身份证号 {OLD_ID} 已核验", {"prc_resident_id": 1}),
    (f"id no: {OLD_ID}", {"prc_resident_id": 1}),
    (f"imei={IMEI_LIKE} battery=80%", {}),
    (f"device {IMEI_LIKE} registered", {}),
    (f"ref {OLD_ID}", {}),
])
def test_15_digit_numbers_in_text_need_a_keyword(t, want):
    assert text(t) == want


# ---------------------------------------------------------------- cards

MC2_LOW = card("222100000000000")    # Mastercard 2-series, first BIN
MC2_HIGH = card("272099123456789")   # last BIN of the 2-series
AMEX = card("37828224631000")         # 15 digits
AMEX34 = card("34000012345678")
VISA13 = card("422222222222")         # 13-digit Visa
DINERS14 = card("3056930902590")      # 14 digits
MAESTRO12 = card("50180000000")       # 12 digits
UNIONPAY19 = card("622848012345678901")
JCB = card("353011133330000")


@pytest.mark.parametrize(("value", "want"), [
    (MC2_LOW, 1), (MC2_HIGH, 1), (AMEX, 1), (AMEX34, 1), (VISA13, 1), (DINERS14, 1),
    (MAESTRO12, 1), (UNIONPAY19, 1), (JCB, 1),
    # Look-alikes: Luhn-valid but no issuer (prefix 1, 7), a 2-series BIN outside
    # 2200-2205 (Mir, Borica) and 2221-2720 (Mastercard), a Mastercard BIN at a length
    # Mastercard does not issue, a failing check, AmEx's 37 at 14 digits.
    (card("123456781234567"), 0), (card("723456781234567"), 0), (card("221000000000000"), 0),
    (card("272100000000000"), 0), (card("222100000000000000"), 0),
    (AMEX[:-1] + str((int(AMEX[-1]) + 1) % 10), 0), (card("3712345678901"), 0),
])
def test_card_brands_by_iin_range_and_length(value, want):
    assert col([value], "card_no").get("bank_card", 0) == want


@pytest.mark.parametrize("value", [
    f"{AMEX[:4]} {AMEX[4:8]} {AMEX[8:12]} {AMEX[12:]}",          # 4-4-4-3
    f"{VISA13[:4]} {VISA13[4:8]} {VISA13[8:12]} {VISA13[12:]}",  # 4-4-4-1
    f"{MAESTRO12[:4]}-{MAESTRO12[4:8]}-{MAESTRO12[8:]}",         # 4-4-4
    f"{UNIONPAY19[:4]} {UNIONPAY19[4:8]} {UNIONPAY19[8:12]} {UNIONPAY19[12:16]} "
    f"{UNIONPAY19[16:]}",
])
def test_cards_grouped_in_fours_in_text(value):
    assert text(f"card_no: {value}") == {"bank_card": 1}


def test_amex_is_a_card_and_not_an_old_resident_id_in_a_card_column():
    assert col([AMEX, AMEX34], "card_no") == {"bank_card": 2}
    assert col([AMEX], "卡号") == {"bank_card": 1}


def test_luhn_valid_cards_in_a_tokenized_column_are_counted():
    # 200 format-preserving tokens (BIN kept, Luhn failing) and 6 real cards.
    tokens = []
    for i in range(200):
        body = f"622202{i:09d}"
        good = card(body)
        tokens.append(good[:-1] + str((int(good[-1]) + 1) % 10))
    real = [card(f"6228480{i:011d}") for i in range(6)]
    assert col(tokens + real, "card_no").get("bank_card") == 6
    assert col(real + tokens, "卡号").get("bank_card") == 6


def test_an_unhinted_card_column_half_tokenized_counts_its_cards():
    tokens = []
    for i in range(30):
        good = card(f"436742{i:09d}")
        tokens.append(good[:-1] + str((int(good[-1]) + 3) % 10))
    real = [card(f"518710{i:09d}") for i in range(30)]
    assert col(tokens + real, "c7").get("bank_card") == 30


# ---------------------------------------------------------------- mobiles


@pytest.mark.parametrize("value", [
    "+86 138 1234 5678", "+86-138-1234-5678", "+8613812345678", "0086 138 1234 5678",
    "0086-138-1234-5678", "008613812345678", "0086 13812345678", "86 138 1234 5678",
    "8613812345678", "+86 192 1234 5678", "19712345678", "16212345678", "14912345678",
    "17400012345",
])
def test_mobile_numbers_with_country_prefixes(value):
    assert col([value], "mobile") == {"mobile_phone": 1}
    assert col([value], "c2") == {"mobile_phone": 1}
    assert text(f"联系电话 {value}，请回电") == {"mobile_phone": 1}


@pytest.mark.parametrize("value", [
    "15412345678", "19412345678", "14012345678", "14412345678", "17912345678",
    "16012345678", "16812345678", "12012345678", "10012345678",
    "+86 10 1234 5678", "0086 154 1234 5678", "+86 194 1234 5678", "008615412345678",
])
def test_unallocated_segments_and_landlines_are_not_mobiles(value):
    assert "mobile_phone" not in col([value], "mobile")
    assert "mobile_phone" not in text(f"联系电话 {value}，请回电")


def test_masked_mobiles_behind_a_country_prefix_are_masked():
    recs = {r["detector"]: r for r in SCANNER.scan_column("t.c", ["+86 138****5678",
                                                                  "0086 138 **** 5678"],
                                                          name="mobile")}
    assert (recs["mobile_phone"]["unmasked"], recs["mobile_phone"]["masked"]) == (0, 2)


# ---------------------------------------------------------------- grouped IDs, HK/MO/TW

GID = rid("11010119900307123")
GROUPED = [f"{GID[:6]} {GID[6:14]} {GID[14:]}", f"{GID[:6]}-{GID[6:14]}-{GID[14:]}"]
XID = rid("44030519851122002")  # a check character X, written as x, grouped
XID_GROUPED = f"{XID[:6]} {XID[6:14]} {XID[14:].lower()}"


@pytest.mark.parametrize("value", [*GROUPED, XID_GROUPED])
def test_grouped_resident_ids(value):
    assert text(f"身份证号 {value} 已核验") == {"prc_resident_id": 1}
    assert text(f"客户{value}") == {"prc_resident_id": 1}
    assert col([f"证件: {value}", "无"], "remark") == {"prc_resident_id": 1}
    assert col([value], "id_number") == {"prc_resident_id": 1}


def test_grouped_look_alikes_are_not_ids():
    bad = GID[:17] + str((int(GID[17]) + 1) % 10) if GID[17] != "X" else GID[:17] + "0"
    assert "prc_resident_id" not in text(f"身份证号 {bad[:6]} {bad[6:14]} {bad[14:]}")
    masked = f"{GID[:6]} ******** {GID[14:]}"
    recs = {r["detector"]: r for r in SCANNER.scan_text("t", f"身份证号 {masked}")}
    assert (recs["prc_resident_id"]["unmasked"], recs["prc_resident_id"]["masked"]) == (0, 1)


HK1 = "A123456(3)"
HK2 = f"XA987654({hkid('XA', '987654')})"
HK_A = next(f"B{d}({hkid('B', d)})" for d in (f"{i:06d}" for i in range(1000))
            if hkid("B", d) == "A")  # check digit A
TW1 = "A123456789"
TW2 = "F2" + "3456789"[:7] + taiwan("F", "23456789"[:8])
MO1 = "1234567(8)"
MO2 = "5215299(8)"


@pytest.mark.parametrize(("value", "name", "want"), [
    (HK1, "hkid", 1), (HK2, "证件号码", 1), (HK_A, "id_no", 1), (HK1, "remark", 1),
    (HK1.replace("(", "").replace(")", ""), "hkid", 1),   # A1234563
    ("A123456 (3)", "香港身份证", 1),
    ("A123456(4)", "hkid", 0), ("A123456(A)", "hkid", 0), ("I123456(3)", "remark", 0),
    (TW1, "id_no", 1), (TW2, "身分證字號", 1), ("A123456788", "id_no", 0),
    ("X1" + "2345678" + taiwan("X", "12345678"), "id_no", 1),  # area letter X, not a mask
    ("X234567" + hkid("X", "234567"), "hkid", 1),
    ("A323456789", "id_no", 0),  # second digit is the sex: 1 or 2 (8 or 9: residents' UI)
    (MO1, "澳门身份证", 1), (MO2, "id_number", 1), ("2234567(8)", "id_number", 0),
])
def test_hong_kong_macau_taiwan_identity_numbers(value, name, want):
    assert col([value], name).get("hmt_identity_card", 0) == want


@pytest.mark.parametrize(("t", "want"), [
    (f"香港身份证 {HK1} 已核验", 1), (f"HKID:{HK2}", 1), (f"客户{HK1}来电", 1),
    (f"身分證字號 {TW1}", 1), (f"澳门身份证 {MO1}", 1),
    ("香港身份证 A123456(4)", 0), ("see note (3)", 0), (f"sku {TW1[:-1]}8", 0),
])
def test_hong_kong_macau_taiwan_identity_numbers_in_text(t, want):
    assert text(t).get("hmt_identity_card", 0) == want


def test_hong_kong_identity_numbers_are_masked_in_evidence():
    recs = SCANNER.scan_column("t.c", [HK1, HK2, TW1], name="证件号码")
    blob = repr(recs)
    for v in (HK1, HK2, TW1, "123456", "987654", "23456789"):
        assert v not in blob


# ---------------------------------------------------------------- no amnesty


def test_real_ids_in_a_mostly_tokenized_column_are_counted():
    # Format-preserving tokens keep region and birth date, the check character fails.
    tokens = []
    for i in range(300):
        body = f"3101041985{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
        good = rid(body)
        tokens.append(body + ("0" if good[-1] != "0" else "1"))
    real = [rid(f"4403051990010{i}{i}23") for i in range(1, 8)]
    assert col(tokens + real, "id_number").get("prc_resident_id") == 7
    assert col(tokens[:100] + real[:3], "c1").get("prc_resident_id") == 3


def test_real_credit_codes_in_a_mostly_tokenized_column_are_counted():
    tokens = []
    for i in range(300):
        code = uscc(f"91110108{org(f'{i:08d}')}")
        tokens.append(code[:-1] + ("0" if code[-1] != "0" else "1"))
    real = [uscc(f"91440300{org(f'{i:08d}')}") for i in range(500, 505)]
    assert col(tokens + real, "uscc").get("unified_social_credit_code") == 5


# ---------------------------------------------------------------- USCC: X is a character

X_ORG = org("MA2X0T0Y")
X_CODE = uscc("91350100" + X_ORG)        # letters, one of them X
XD_CODE = next(c for c in (uscc("91110108" + org(f"{i:07d}X")) for i in range(200))
               if c.replace("X", "").isdigit())  # digits and one X only


@pytest.mark.parametrize(("value", "want"), [
    (X_CODE, (1, 0)),
    (X_CODE[:17] + "*", (1, 0)),                    # check character hidden: reversible
    (X_CODE[:10] + "*" + X_CODE[11:], (1, 0)),      # one code character hidden
    (XD_CODE, (1, 0)),
    (XD_CODE[:17] + "*", (1, 0)),
    (XD_CODE[:9] + "*" + XD_CODE[10:], (1, 0)),
    (X_CODE[:8] + "*******" + X_CODE[15:], (0, 1)),  # really masked
    (X_CODE[:8] + "XXXXXXXXX" + X_CODE[17:], (0, 1)),  # x-masked
    (uscc("91350100XXXXXXXXX"), (0, 1)),  # x-masked, the check passing by chance
])
def test_an_x_inside_a_credit_code_is_not_a_mask(value, want):
    recs = {r["detector"]: r for r in SCANNER.scan_column("t.c", [value], name="uscc")}
    r = recs["unified_social_credit_code"]
    assert (r["unmasked"], r["masked"]) == want


# ---------------------------------------------------------------- bulk path = reference


def test_the_bulk_path_counts_the_new_shapes_as_the_one_by_one_reference():
    import random

    from dsscan.detection import bulk
    from dsscan.detection.tally import DetectionTally

    rng = random.Random(11)

    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    def maybe_bad(v: str) -> str:
        return v if rng.random() < 0.7 else v[:-1] + str((int(v[-1]) + 1) % 10)

    gens = [
        lambda: maybe_bad(card("2" + str(rng.randrange(221, 721)) + digits(11))),
        lambda: maybe_bad(card(rng.choice(("34", "37")) + digits(12))),
        lambda: maybe_bad(card("5018" + digits(7))),                     # 12 digits
        lambda: maybe_bad(card(rng.choice(("300", "36", "38")).ljust(4, "5") + digits(9))),
        lambda: maybe_bad(card("4" + digits(11))),                        # 13 digits
        lambda: "0086" + rng.choice(("138", "154", "192")) + digits(8),
        lambda: "86" + rng.choice(("138", "144", "197")) + digits(8),
        lambda: rng.choice(("110101", "350102", "860917")) + "9" + digits(8),
        lambda: rng.choice("ABCZ") + digits(7),
        lambda: rng.choice("AFQ") + rng.choice("1289") + digits(8),
        lambda: digits(rng.choice((12, 13, 14, 15, 16, 17, 19))),
    ]
    toks = [g() for g in gens for _ in range(60)]
    for hints in (frozenset(), frozenset({"bank_card"}), frozenset({"prc_resident_id"}),
                  frozenset({"hmt_identity_card"}), frozenset({"mobile_phone"})):
        fast, ref = DetectionTally(collect=True), DetectionTally(collect=True)
        rows = list(range(len(toks)))
        bulk.classify(toks, rows, fast, hints, False)
        bulk._one_by_one(toks, rows, ref, hints, False)
        got = {d: {c: sorted(r) for c, r in s.rows.items()} for d, s in fast.stats.items()}
        want = {d: {c: sorted(r) for c, r in s.rows.items()} for d, s in ref.stats.items()}
        assert got == want
