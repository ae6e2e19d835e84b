"""Which digit strings are identifiers of a person: the checks dsscan.masking applies.

GB 11643 resident IDs (check character, real birth date), the 15-digit first-generation ID,
Luhn-valid card numbers with an issuer prefix, mobile numbers in allocated MIIT segments; and
what reads as a timestamp rather than a number (YYYYMMDDhhmmss..., epochs in micro/nanoseconds).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Province codes of GB 2260 (first two digits of a resident ID; 71 Taiwan, 81/82 HK/Macau,
# 83 the HK/Macau/Taiwan residence permit, 91 the foreigner's permanent residence card).
_PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                        44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91})
# Mobile segments allocated by MIIT (11-digit numbers; 140/141/144 are 13-digit IoT numbers).
_MOBILE_SEGMENTS = frozenset(
    [f"13{d}" for d in range(10)] + ["145", "146", "147", "148", "149"]
    + [f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)] + ["162", "165", "166", "167"]
    + [f"17{d}" for d in range(9)] + [f"18{d}" for d in range(10)]
    + [f"19{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)])


# --- validation ---------------------------------------------------------------------------------

def _date_ok(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def resident_id_ok(s: str) -> bool:
    """GB 11643: 17 digits + check character (ISO 7064 MOD 11-2), birth date 1900-2099."""
    if len(s) != 18 or not s[:17].isdigit() or s[0] == "0":
        return False
    y = int(s[6:10])
    if not (1900 <= y <= 2099 and _date_ok(y, int(s[10:12]), int(s[12:14]))):
        return False
    return int(s.upper().replace("X", "A"), 13) % 11 == 1


def old_resident_id_ok(s: str) -> bool:
    """The 15-digit first-generation ID: province code and a 19YYMMDD birth date."""
    return (len(s) == 15 and s.isdigit() and int(s[:2]) in _PROVINCES
            and _date_ok(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12])))


def luhn_sum(s: str) -> int:
    """The Luhn sum of a string of digits (every second digit from the right doubled)."""
    total = 0
    for i, ch in enumerate(reversed(s)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total


def luhn_ok(s: str) -> bool:
    return luhn_sum(s) % 10 == 0


def card_ok(s: str) -> bool:
    """A Luhn-valid 13-19 digit number with an issuer prefix (ISO/IEC 7812: 3 American
    Express / JCB / Diners, 4 Visa, 5 Mastercard / Maestro, 6 UnionPay / Discover / Maestro,
    81 UnionPay, 9 national; Mastercard's 2221-2720). Epochs and timestamps start with 1 or
    19/20: no issuer prefix."""
    if not (13 <= len(s) <= 19 and s.isdigit()):
        return False
    if not (s[0] in "34569" or s[:2] == "81" or 2221 <= int(s[:4]) <= 2720):
        return False
    return luhn_ok(s)


def mobile_ok(s: str) -> bool:
    """An 11-digit mobile number in an allocated segment, alone or after 86 / 0086."""
    if s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    return len(s) == 11 and s.isdigit() and s[:3] in _MOBILE_SEGMENTS


def identifier_ok(s: str) -> bool:
    """``s`` (digits, maybe a final X) is a validated identifier: masked wherever it stands."""
    n = len(s)
    if n == 18:
        return resident_id_ok(s) or card_ok(s)
    if n == 15:
        return old_resident_id_ok(s) or card_ok(s) or mobile_ok(s)
    if n == 11 or n == 13:
        return mobile_ok(s) or card_ok(s)
    return card_ok(s)


def _timestamp_like(s: str) -> bool:
    """YYYYMMDD hhmmss + fraction, or a Unix epoch in micro/nanoseconds (2001-2033)."""
    if not s.isdigit():
        return False
    if (len(s) in (16, 19)) and s[0] == "1":
        return True
    y = int(s[:4])
    return (1900 <= y <= 2199 and _date_ok(y, int(s[4:6]), int(s[6:8]))
            and int(s[8:10]) < 24 and int(s[10:12]) < 60 and int(s[12:14]) <= 60)


# --- how they are written: layouts and characters folded before matching ----------------------

# Layouts (group lengths) an identifier is written in with loose separators. The check (GB
# 11643, Luhn + issuer, mobile segment) is applied as well; the layout keeps a valid number
# that merely spans a list of numbers ("130.12.123.45", "2024.0307.1234") readable.
_LAYOUTS = {
    18: {(6, 8, 4), (6, 4, 4, 4), (3, 3, 4, 4, 4), (6, 12), (6, 8, 3, 1), (18,)},
    19: {(4, 4, 4, 4, 3), (6, 13), (4, 15)},
    16: {(4, 4, 4, 4), (4, 12), (6, 10)},
    15: {(4, 6, 5), (4, 4, 4, 3)},
    11: {(3, 4, 4), (3, 8)},
}


def _loose_kind(c: str, layout: tuple[int, ...]) -> bool:
    """``c`` (digits, maybe a final X) written in groups ``layout`` is an identifier."""
    if layout not in _LAYOUTS.get(len(c), ()):
        return False
    if len(c) == 18:
        return resident_id_ok(c) or card_ok(c)
    return mobile_ok(c) if len(c) == 11 else card_ok(c)


# A decimal digit that is not ASCII is "not a non-digit, nor 0-9" ([^\D0-9]: one character
# class; a look-ahead per character made this scan three times slower). What else reads as a
# digit or as nothing: circled, parenthesised, dingbat and super/subscript digits
# (unicodedata.digit, not decimal: ①⓪❶⑴¹), the full-width check character Ｘ, and invisible
# characters a number can be cut with and still read whole (zero-width space / joiners, word
# joiner, BOM, soft hyphen, bidi controls). Folded before matching: removed, or the ASCII
# character. The masked text is the folded one; an unchanged text is returned as it was.
_FOLD: dict[str, str] = {
    chr(c): str(unicodedata.digit(chr(c)))
    for c in (*range(0xB2, 0xBA), *range(0x1369, 0x1372), *range(0x2070, 0x208A),
              *range(0x2460, 0x24FF), *range(0x2776, 0x2794), *range(0x1F100, 0x1F10B))
    if unicodedata.digit(chr(c), None) is not None and unicodedata.decimal(chr(c), None) is None}
_FOLD.update({"\uff38": "X", "\uff58": "x"})
_FOLD.update(dict.fromkeys("\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c"
                           "\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068"
                           "\u2069\ufeff", ""))
_OTHER = re.compile("[" + "".join(map(re.escape, _FOLD)) + "]|[^\\D0-9]")


def _fold_one(m: re.Match[str]) -> str:
    ch = m.group()
    f = _FOLD.get(ch)
    return f if f is not None else str(unicodedata.decimal(ch, 0))


# A digit or check character percent-encoded (%31 is "1", %58 "X"): a URL or file URL may
# encode any character, and file:///cust%31%31%30... names the directory cust110...
_PCT_DIGIT = re.compile(r"%(3[0-9]|58|78)")


def _ascii_digits(text: str) -> str:
    """Full-width and other Unicode digits as ASCII ones, percent-encoded digits decoded,
    invisible characters removed, so that a number written １３８…, ①③⑧…, %31%33%38… or
    138<U+200B>1234… is masked like 138…"""
    if "%3" in text or "%58" in text or "%78" in text:
        text = _PCT_DIGIT.sub(lambda m: chr(int(m.group(1), 16)), text)
    if text.isascii():
        return text
    return _OTHER.sub(_fold_one, text)


# Lone surrogates: the bytes of a file name that is not UTF-8 (b"\xff" read with
# surrogateescape). No output can encode them; shown as U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogates(text: str) -> str:
    return text if text.isascii() or _SURROGATE.search(text) is None else \
        _SURROGATE.sub("\ufffd", text)


__all__ = ["card_ok", "identifier_ok", "luhn_ok", "mobile_ok", "old_resident_id_ok",
           "resident_id_ok"]
