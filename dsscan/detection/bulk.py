"""Classification of many tokens at once; ``detectors.evaluate`` is the reference.

Dense columns are mostly one shape (18 digits, 11 digits, 16/19 digits). For those shapes the
validators run as chained ``map`` calls over built-ins, so no Python frame runs per value;
what they do not settle (an 18-digit value that is not a valid resident ID, say) goes through
``evaluate`` one by one. tests/test_detectors.py holds both paths to the same counts.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Callable
from functools import cache
from itertools import compress, repeat
from operator import add, and_, itemgetter, not_

from dsscan.detection import lanes
from dsscan.detection.checksums import luhn_flags
from dsscan.detection.detectors import CARD, MOBILE, RESIDENT, dates8, evaluate
from dsscan.detection.formats import CARD_PREFIXES, MOBILE_SEGMENTS, PROVINCES
from dsscan.detection.tally import (
    CHECKFAIL_C,
    FAIL_FREE,
    SHAPE_C,
    VALID_C,
    WEAK_FREE,
    DetectionTally,
)

_MIN_BULK = 32  # below this, one by one is as fast


def classify(toks: list[str], rows: list[int], tally: DetectionTally, hints: frozenset[str],
             negative: bool) -> None:
    if len(toks) < _MIN_BULK:
        _one_by_one(toks, rows, tally, hints, negative)
        return
    # Shape key: 2 * length + (all digits); one join tells whether every token is digits.
    lens = list(map(len, toks))
    if "".join(toks).isdigit():
        keys = list(map(add, map(add, lens, lens), repeat(1)))
    else:
        keys = list(map(add, map(add, lens, lens), map(str.isdigit, toks)))
    shapes = Counter(keys)
    rest = set(shapes) & _ROUTED
    for key, n in shapes.items():
        handler = _HOT.get(key)
        if handler is None or n < _MIN_BULK:
            continue
        rest.discard(key)
        if len(shapes) == 1:
            gt, gr = toks, rows
        else:
            sel = list(map(key.__eq__, keys))
            gt, gr = list(compress(toks, sel)), list(compress(rows, sel))
        handler(gt, gr, tally, hints, negative)
    if rest:
        if len(rest) == len(shapes):
            _one_by_one(toks, rows, tally, hints, negative)
        else:
            sel = list(map(rest.__contains__, keys))
            _one_by_one(list(compress(toks, sel)), list(compress(rows, sel)), tally, hints,
                        negative)


def _one_by_one(toks: list[str], rows: list[int], tally: DetectionTally, hints: frozenset[str],
                negative: bool) -> None:
    for tok, row in zip(toks, rows, strict=True):
        outcomes = evaluate(tok)
        if outcomes:
            tally.attribute(tok, row, outcomes, hints, negative)


def _id18(toks: list[str], rows: list[int], tally: DetectionTally, hints: frozenset[str],
          negative: bool) -> None:
    """18 characters (17 digits + digit or X): valid resident IDs in bulk — what
    ``evaluate`` returns as VALID for them; the rest go one by one."""
    ok = _resident_flags(toks)
    tally.add_many(RESIDENT, VALID_C, toks, rows, ok)
    if not all(ok):
        bad = list(map(not_, ok))
        _one_by_one(list(compress(toks, bad)), list(compress(rows, bad)), tally, hints,
                    negative)


@cache
def _date_tables() -> tuple[bytes, bytes, int]:
    today = _dt.date.today()
    return (lanes.in_set(range(1, 13)), lanes.in_set(range(1, 29)), today.year)


def _resident_flags(toks: list[str]) -> list[bool]:
    """Province, birth date from 1900 to today, MOD 11-2 check (as resident_structure).

    Dates are decided in lanes when the day is 1-28 and the year is before this one; the
    rest (days 29-31, this year) are looked up in the set of real dates.
    """
    count = len(toks)
    j = lanes.join(toks)
    months, days28, year = _date_tables()
    prov = lanes.lanes(lanes.two_digits(j, 18, 0), count, _PROVINCE_LANES)
    century = lanes.two_digits(j, 18, 6).to_bytes(count, "big")
    yy = lanes.two_digits(j, 18, 8).to_bytes(count, "big")
    # 1900-1999 always; 2000 to last year; this year needs the set (not in the future).
    past = century.translate(_IS19)
    recent = lanes.all_true([century.translate(_IS20),
                             yy.translate(lanes.in_set(range(0, year % 100)))], count)
    year_ok = lanes.lanes(int.from_bytes(past, "big") + int.from_bytes(recent, "big"), count,
                          _POSITIVE)
    month = lanes.lanes(lanes.two_digits(j, 18, 10), count, months)
    day = lanes.lanes(lanes.two_digits(j, 18, 12), count, days28)
    check = lanes.lanes(lanes.number(j, 18, _mod11_terms()), count, _MOD11_LANES)
    sure = lanes.all_true([prov, year_ok, month, day, check], count)
    flags = list(map(bool, sure))
    # Undecided in lanes: a day of 29-31 or this year's date, the rest valid.
    maybe = lanes.all_true([prov, check, month], count)
    if maybe.count(1) != sure.count(1):
        real = dates8()
        for i in compress(range(count), map(int.__gt__, maybe, sure)):
            t = toks[i]
            flags[i] = t[6:14] in real
    return flags


@cache
def _mod11_terms() -> tuple[tuple[int, bytes], ...]:
    terms = []
    for p in range(18):
        w = pow(2, 17 - p, 11)
        m = {48 + d: d * w % 11 for d in range(10)}
        if p == 17:
            m[ord("X")] = 10 * w % 11
        terms.append((p, lanes.table(m)))
    return tuple(terms)


_PROVINCE_LANES = lanes.in_set(int(p) for p in PROVINCES)
_POSITIVE = lanes.in_set(range(1, 256))
_MOD11_LANES = lanes.in_set(v for v in range(256) if v % 11 == 1)
_IS19 = lanes.in_set([19])
_IS20 = lanes.in_set([20])
_MOBILE_LANES = lanes.in_set(int(s[1:]) for s in MOBILE_SEGMENTS)


def _id18_x(toks: list[str], rows: list[int], tally: DetectionTally, hints: frozenset[str],
            negative: bool) -> None:
    """18 characters, not all digits: the IDs among them end in X."""
    x_id = list(map(and_, map(str.isdigit, map(itemgetter(slice(0, 17)), toks)),
                    map("Xx".__contains__, map(itemgetter(17), toks))))
    if any(x_id):
        ids = list(map(str.upper, compress(toks, x_id)))
        _id18(ids, list(compress(rows, x_id)), tally, hints, negative)
    if not all(x_id):
        other = list(map(not_, x_id))
        _one_by_one(list(compress(toks, other)), list(compress(rows, other)), tally, hints,
                    negative)


def _mobile(toks: list[str], rows: list[int], tally: DetectionTally, hints: frozenset[str],
            negative: bool) -> None:
    if negative and MOBILE not in hints:
        return
    count = len(toks)
    j = lanes.join(toks)
    first = j[0::11].translate(_IS_ONE)
    seg = lanes.lanes(lanes.two_digits(j, 11, 1), count, _MOBILE_LANES)
    tally.add_many(MOBILE, VALID_C, toks, rows, list(map(bool, lanes.all_true([first, seg],
                                                                             count))))


_IS_ONE = lanes.table({ord("1"): 1})


def _card(toks: list[str], rows: list[int], tally: DetectionTally, hints: frozenset[str],
          negative: bool) -> None:
    hinted = CARD in hints
    if negative and not hinted:
        return
    # IIN range for the length: one set look-up per value, at C speed.
    prefix = list(map(CARD_PREFIXES[len(toks[0])].__contains__,
                      map(itemgetter(slice(0, 4)), toks)))
    luhn = luhn_flags(toks)
    passed = list(map(and_, prefix, luhn))
    failed = list(map(and_, prefix, map(not_, luhn)))
    tally.add_many(CARD, VALID_C if hinted else WEAK_FREE, toks, rows, passed)
    tally.add_many(CARD, CHECKFAIL_C if hinted else FAIL_FREE, toks, rows, failed)
    if hinted and not all(prefix):
        tally.add_many(CARD, SHAPE_C, toks, rows, list(map(not_, prefix)))


# Shape keys some format can have (``evaluate`` returns nothing for the others): digits of
# length 8, 11-19; other tokens of length 8-11 (passports, permits, HK and Taiwan IDs, masked
# mobiles), 12-19 (+86 mobiles, old foreign IDs, masked IDs and cards, USCCs).
_ROUTED = frozenset([2 * n + 1 for n in (8, *range(11, 20))]
                    + [2 * n for n in range(8, 20)])

_Handler = Callable[[list[str], list[int], DetectionTally, frozenset[str], bool], None]
# Lengths only cards have (12, 14, 16, 17, 19 digits) go to the card lanes; 13 and 15 digits
# (86/0086 mobiles, pre-1999 IDs) one by one.
_HOT: dict[int, _Handler] = {37: _id18, 36: _id18_x, 23: _mobile, 25: _card, 29: _card,
                             33: _card, 35: _card, 39: _card}
