"""What one candidate token is: the detectors whose format it has, and how far it validates.

``evaluate`` is the reference, one token at a time. The scanner runs faster list versions for
the shapes that fill dense columns (18, 11, 16 and 19 digits; see ``bulk``), which a test holds
to the same answers.

Outcomes, strongest first:

- ``VALID`` — the whole validation passes (a checksummed or otherwise specific format);
- ``WEAK`` — the format matches but proves little alone (a Luhn-valid number of a card
  scheme's IIN range and length, a passport-shaped code, a Taiwan ID or a compact Hong Kong ID
  with its 1-in-10/11 check, a Macau ID): it counts under a hint, or when a column's
  candidates pass clearly more often than chance (see scoring);
- ``MASKED`` / ``MASKED_WEAK`` — a masked form (weak: no visible part ties it to the format);
- ``CHECKFAIL`` — structure right (region, date, prefix) but the check character wrong: a
  format-preserving token, or a typo;
- ``SHAPE`` — only the length and character classes fit (a token under a field hint);
- ``HINTED`` — a format too common to mean anything without a hint (8 digits: the Taiwan
  residents' permit; 15 digits with a region and a 19xx date: the pre-1999 resident ID, which
  IMEIs and order numbers also look like), counted as clear under one.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import cache

from dsscan.detection.checksums import (
    hk_id_ok,
    luhn_ok,
    mod11_2_ok,
    org_code_ok,
    taiwan_id_ok,
    uscc_chars_ok,
    uscc_ok,
)
from dsscan.detection.formats import (
    CARD_PREFIXES,
    HK_ID_PATTERN,
    HMT_PERMIT_PREFIXES,
    MACAU_ID_PATTERN,
    MOBILE_SEGMENTS,
    PASSPORT_PATTERN,
    PERMIT_PATTERN,
    PROVINCES,
    TAIWAN_ID_PATTERN,
    USCC_AUTHORITIES,
    USCC_REGION_PROVINCES,
    USCC_TYPES,
)
from dsscan.detection.masked_forms import (
    REVERSIBLE_MAX,
    code_mask_positions,
    completions,
    mask_positions,
)

DETECTORS = ("prc_resident_id", "foreign_permanent_resident_id", "hmt_residence_permit",
             "bank_card", "mobile_phone", "passport", "hmt_travel_permit", "email",
             "unified_social_credit_code", "person_name", "hmt_identity_card")

RESIDENT = "prc_resident_id"
FOREIGN = "foreign_permanent_resident_id"
HMT_PERMIT = "hmt_residence_permit"
CARD = "bank_card"
MOBILE = "mobile_phone"
PASSPORT = "passport"
TRAVEL = "hmt_travel_permit"
EMAIL = "email"
USCC = "unified_social_credit_code"
NAME = "person_name"
HMT_ID = "hmt_identity_card"

VALID, WEAK, MASKED, MASKED_WEAK, CHECKFAIL, SHAPE, HINTED = range(7)

# Detectors whose match needs no hint: a checksum (or the mobile segment plan) decides.
STRONG = frozenset({RESIDENT, FOREIGN, HMT_PERMIT, USCC, MOBILE, EMAIL})

Outcome = tuple[str, int]


@cache
def dates8() -> frozenset[str]:
    """Every real date YYYYMMDD from 1900-01-01 to today (a birth date is not in the future)."""
    return frozenset(_dates(_dt.date(1900, 1, 1), _dt.date.today(), "%Y%m%d"))


@cache
def dates6_1900s() -> frozenset[str]:
    """YYMMDD of 1900-1999 (15-digit IDs of GB 11643-1989 carry no century)."""
    return frozenset(_dates(_dt.date(1900, 1, 1), _dt.date(1999, 12, 31), "%y%m%d"))


@cache
def dates6_any() -> frozenset[str]:
    return frozenset(_dates(_dt.date(1900, 1, 1), _dt.date.today(), "%y%m%d"))


def _dates(start: _dt.date, end: _dt.date, fmt: str) -> list[str]:
    one = _dt.timedelta(days=1)
    out = []
    d = start
    while d <= end:
        out.append(d.strftime(fmt))
        d += one
    return out


# ---------------------------------------------------------------- single-format validators


def resident_structure(t: str) -> bool:
    """Province code and a real birth date (18 digits). A province-level address code
    (``110000``) is accepted: GB/T 2260 lists it, some early registrations carry it, and a
    missed identifier costs more than a rare false alarm."""
    return t[:2] in PROVINCES and t[6:14] in dates8()


def hmt_structure(t: str) -> bool:
    return t[:6] in HMT_PERMIT_PREFIXES and t[6:14] in dates8()


def foreign_structure(t: str) -> bool:
    """2023 card: 9, the accepting province, a 3-digit nationality code, the birth date."""
    return t[0] == "9" and t[1:3] in PROVINCES and t[6:14] in dates8()


def uscc_structure(t: str) -> bool:
    """Authority and type codes, a region code; an all-digit organisation code (positions
    9-17, the legacy GB 11714 codes) must carry its own check digit — random 18-digit
    numbers would otherwise pass one time in 31."""
    if not (t[0] in USCC_AUTHORITIES and t[1] in USCC_TYPES and t[2:8].isdigit()
            and t[2:4] in USCC_REGION_PROVINCES and uscc_chars_ok(t)):
        return False
    org = t[8:17]
    return not org.isdigit() or org_code_ok(org)


def id18_valid(t: str) -> bool:
    """Any GB 11643-style 18-character number, fully valid."""
    return ((resident_structure(t) or hmt_structure(t) or foreign_structure(t))
            and mod11_2_ok(t))


def card_prefix_ok(t: str) -> bool:
    """A card scheme issues numbers of this length under this IIN (formats.CARD_IIN_RANGES)."""
    return t[:4] in CARD_PREFIXES.get(len(t), ())


def mobile_ok(t: str) -> bool:
    """11 digits of an allocated mainland segment."""
    return t[0] == "1" and t[:3] in MOBILE_SEGMENTS


def national_mobile(t: str) -> str | None:
    """The 11-digit number behind a country prefix (+86, 0086, 86), or None."""
    n = len(t)
    if n == 13 and t[:2] == "86":
        return t[2:]
    if n == 14 and t[:3] == "+86":
        return t[3:]
    if n == 15 and t[:4] == "0086":
        return t[4:]
    return None


_PASSPORT = re.compile(PASSPORT_PATTERN)
_PERMIT = re.compile(PERMIT_PATTERN)
_FOREIGN_OLD = re.compile(r"[A-Z]{3}[0-9]{12}")
_HK = re.compile(HK_ID_PATTERN)
_TAIWAN = re.compile(TAIWAN_ID_PATTERN)
_MACAU = re.compile(MACAU_ID_PATTERN)
_HK_BRACKETS = re.compile(r"([A-Z]{1,2}[0-9]{6})\(([0-9A])\)")
_MASKED_BRACKETS = re.compile(r"[0-9A-Z*#•●×]{7,8}\([0-9A*#•●×]\)")


# ---------------------------------------------------------------- evaluate one token


def evaluate(t: str) -> list[Outcome]:
    """The outcomes of one compact token (no spaces/dashes), most specific first."""
    n = len(t)
    if t.isdigit():
        return _digits(t, n)
    if t[-1] == ")":
        return _bracketed(t)
    if "*" in t or "#" in t or "•" in t or "●" in t or "×" in t:
        return _masked(t, n)
    if n == 18:
        if t[:17].isdigit() and t[17] in "Xx":
            return _id18(t[:17] + "X")
        # X is a code character of a credit code: a code with the right structure is one
        # (valid, or a failing check), unless a run of x/X masks it — four or more always
        # (one in 31 masked codes passes the check by chance), three when the check fails.
        if uscc_chars_ok(t) and uscc_structure(t):
            if "XXXX" in t:
                return _masked(t, n)
            if uscc_ok(t):
                return [(USCC, VALID)]
            if "XXX" in t:
                return _masked(t, n)
            return [(USCC, CHECKFAIL)]
    if 8 <= n <= 10 and t[0] == "X" and t[1:].isdigit():
        # X is an area letter of Taiwan IDs (X123456789) and a Hong Kong prefix: a passing
        # check makes it one, not a masked value.
        out = _letters(t, n)
        if any(oc == WEAK for _, oc in out):
            return out
    if _x_masked(t, n):
        return _masked(t, n)
    if n == 18:
        return _uscc(t)
    if t[0] == "+":
        national = national_mobile(t) if t[3:].isdigit() else None
        return [(MOBILE, VALID)] if national is not None and mobile_ok(national) else []
    if 8 <= n <= 11:
        return _letters(t, n)
    if n == 15 and _FOREIGN_OLD.fullmatch(t):
        # 2004/2017 card: nationality letters, accepting province, YYMMDD birth date.
        if t[3:5] in PROVINCES and t[5:11] in dates6_any():
            return [(FOREIGN, WEAK)]
        return [(FOREIGN, SHAPE)]
    return []


def _letters(t: str, n: int) -> list[Outcome]:
    """A letter and digits: passports, exit-entry permits, Hong Kong and Taiwan IDs."""
    out: list[Outcome] = []
    if n <= 11 and _PASSPORT.fullmatch(t):
        out.append((PASSPORT, WEAK))
    if _PERMIT.fullmatch(t):
        out.append((TRAVEL, WEAK))
    if n <= 9 and _HK.fullmatch(t):
        out.append((HMT_ID, WEAK if hk_id_ok(t) else CHECKFAIL))
    elif n == 10 and _TAIWAN.fullmatch(t):
        out.append((HMT_ID, WEAK if taiwan_id_ok(t) else CHECKFAIL))
    return out


def _bracketed(t: str) -> list[Outcome]:
    """A check character in brackets: Hong Kong A123456(3), Macau 1234567(8)."""
    m = _HK_BRACKETS.fullmatch(t)
    if m is not None:
        # The bracketed form is specific to the card: a passing check is proof enough.
        return [(HMT_ID, VALID if hk_id_ok(m.group(1) + m.group(2)) else CHECKFAIL)]
    if _MACAU.fullmatch(t):
        return [(HMT_ID, WEAK)]
    if _MASKED_BRACKETS.fullmatch(t) and any(c in t for c in "*#•●×"):
        return [(HMT_ID, MASKED_WEAK)]
    return []


def _x_masked(t: str, n: int) -> bool:
    """x/X used as mask characters: the token is digits and x/X only, with an x/X that is
    not the check character of an 18-character ID."""
    if "x" not in t and "X" not in t:
        return False
    body = t[:17] if n == 18 and t[17] in "Xx" else t
    return ("x" in body or "X" in body) and t.replace("x", "").replace("X", "").isdigit()


def _digits(t: str, n: int) -> list[Outcome]:
    if n == 18:
        return _id18(t)
    if n == 11:
        return [(MOBILE, VALID)] if mobile_ok(t) else []
    if n in (13, 15):
        national = national_mobile(t)
        if national is not None and mobile_ok(national):
            return [(MOBILE, VALID)]
    if n == 15:
        # Pre-1999 IDs (GB 11643-1989: region, YYMMDD, sequence, no check character) are
        # shaped like IMEIs, order and serial numbers: an ID only under a hint.
        if t[:2] in PROVINCES and t[6:12] in dates6_1900s():
            resident = (RESIDENT, HINTED)
        else:
            resident = (RESIDENT, SHAPE)
        card = _card(t)
        return [*card, resident] if card[0][1] != SHAPE else [resident, *card]
    if 12 <= n <= 19:
        return _card(t)
    if n == 8:
        return [(TRAVEL, HINTED)]
    return []


def _card(t: str) -> list[Outcome]:
    if not card_prefix_ok(t):
        return [(CARD, SHAPE)]
    return [(CARD, WEAK)] if luhn_ok(t) else [(CARD, CHECKFAIL)]


def _id18(t: str) -> list[Outcome]:
    """18 digits (or 17 + X): resident ID, residence permit, foreign PR ID, USCC, card."""
    if t[:6] in HMT_PERMIT_PREFIXES:
        det, ok = HMT_PERMIT, hmt_structure(t)
    elif t[0] == "9" and t[1:3] in PROVINCES:
        det, ok = FOREIGN, foreign_structure(t)
    else:
        det, ok = RESIDENT, resident_structure(t)
    if ok and mod11_2_ok(t):
        return [(det, VALID)]
    if uscc_structure(t) and uscc_ok(t):
        return [(USCC, VALID)]
    # An 18-digit card candidate either way, so that the ratio rule sees passes and failures.
    card = _card(t) if t.isdigit() else []
    if ok:
        return [(det, CHECKFAIL), *card]
    return [*card, (det, SHAPE)] if card and card[0][1] != SHAPE else [(det, SHAPE), *card]


def _uscc(t: str) -> list[Outcome]:
    if not uscc_chars_ok(t):
        return []
    if uscc_structure(t):
        return [(USCC, VALID if uscc_ok(t) else CHECKFAIL)]
    return [(USCC, SHAPE)]


def _masked18_families(t: str) -> list[str]:
    """Which 18-character formats a masked value can be, likeliest first (hints choose)."""
    if any(c.isalpha() and c not in "Xx" for c in t):
        return [USCC]
    if t[:6] in HMT_PERMIT_PREFIXES:
        return [HMT_PERMIT]
    if t[0] == "9":
        return [USCC, FOREIGN]  # enterprises far outnumber foreign permanent residents
    if t[:2] in PROVINCES:
        return [RESIDENT, USCC] if t[0] in USCC_AUTHORITIES else [RESIDENT]
    if t[0] in USCC_AUTHORITIES and t[0].isalpha():
        return [USCC]
    return [RESIDENT]


def _reversible18(t: str, pos: list[int], det: str) -> bool:
    if det == USCC:
        return completions(t, pos, "0123456789ABCDEFGHJKLMNPQRTUWXY",
                           lambda s: uscc_structure(s) and uscc_ok(s)) <= REVERSIBLE_MAX
    return completions(t.replace("x", "X"), pos, "0123456789", id18_valid,
                       last_alphabet="0123456789X") <= REVERSIBLE_MAX


def _masked(t: str, n: int) -> list[Outcome]:
    if n == 18:
        out: list[Outcome] = []
        for det in _masked18_families(t):
            # In a credit code X is a character; in an ID only the check character is X.
            pos = code_mask_positions(t) if det == USCC else mask_positions(t, id18=True)
            k = len(pos)
            if k == 0:
                continue  # not masked when read as this format
            if k <= 2 and _reversible18(t, pos, det):
                return [(det, VALID)]
            out.append((det, MASKED if n - k >= 4 else MASKED_WEAK))
        return out
    pos = mask_positions(t)
    visible = n - len(pos)
    k = len(pos)
    if n in (13, 14, 15) and t[:2] in ("86", "+8", "00"):
        national = national_mobile(t)
        if national is not None and national[0] == "1":
            return _masked(national, 11)
    if n == 11 and t[0] == "1":
        return [(MOBILE, MASKED if t[:3] in MOBILE_SEGMENTS or visible >= 4 else MASKED_WEAK)]
    if 12 <= n <= 19:
        card: list[Outcome] = [(CARD, MASKED_WEAK)]
        if (0 < k <= 2 and t[:4].isdigit() and card_prefix_ok(t)
                and completions(t, pos, "0123456789", luhn_ok) <= REVERSIBLE_MAX):
            card = [(CARD, WEAK)]
        if n == 15:
            resident = (RESIDENT, MASKED_WEAK)
            return [*card, resident] if t[:2] in ("34", "37") else [resident, *card]
        return card
    if 8 <= n <= 11 and t[0].isalpha() and t[0] not in "xX":
        if n == 10 and t[1:2] in ("1", "2", "8", "9"):
            return [(HMT_ID, MASKED_WEAK)]
        det = PASSPORT if t[0] in "EGKDSP" or t[:2] == "MA" else TRAVEL
        return [(det, MASKED_WEAK)]
    return []
