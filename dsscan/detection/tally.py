"""Per-detector counts of one scan, and the record each detector's counts become.

Tokens are attributed to at most one detector: the first of its outcomes (see detectors)
that a field hint names, else the first its own rules accept. Counts are kept by category
until the end, because whether a weak format counts without a hint, and how strong the
evidence is (passes at no more than chance rate: likely format-preserving tokens, still
counted), are decided over the whole sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress, islice

from dsscan.detection import scoring
from dsscan.detection.detectors import (
    CARD,
    CHECKFAIL,
    EMAIL,
    HINTED,
    MASKED,
    MASKED_WEAK,
    MOBILE,
    NAME,
    STRONG,
    VALID,
    WEAK,
    Outcome,
)
from dsscan.detection.masked_forms import mask_email, mask_id, mask_name, remask

# Categories a token can land in.
VALID_C = "valid"      # unmasked: a strong format, or a weak one under a hint
WEAK_FREE = "weak"     # a weak format without a hint: unmasked if the ratio rule holds
FAIL_FREE = "fail"     # its failing twin (the ratio rule's denominator)
MASKED_C = "masked"
CHECKFAIL_C = "checkfail"  # structure right, check wrong: tokenized
SHAPE_C = "shape"      # right shape under a hint: tokenized
TOKEN_C = "token"      # a hash / UUID / base64 value under a hint

_EXAMPLES = 3


@dataclass
class _Stat:
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)
    hinted: bool = False


class DetectionTally:
    """What one scan found, by detector and category; ``collect`` keeps every row (tests)."""

    def __init__(self, *, collect: bool = False) -> None:
        self.stats: dict[str, _Stat] = {}
        self.collect = collect

    def add(self, detector: str, category: str, tokens: list[str], rows: list[int]) -> None:
        if not tokens:
            return
        st = self.stats.get(detector)
        if st is None:
            st = self.stats[detector] = _Stat()
        st.counts[category] = st.counts.get(category, 0) + len(tokens)
        ex = st.examples.setdefault(category, [])
        if len(ex) < _EXAMPLES:
            ex.extend(zip(rows[:_EXAMPLES - len(ex)], tokens[:_EXAMPLES - len(ex)],
                          strict=False))
        if self.collect:
            st.rows.setdefault(category, []).extend(rows)

    def add_many(self, detector: str, category: str, tokens: list[str], rows: list[int],
                 flags: list[bool]) -> None:
        """Add the tokens whose flag is true (C-speed selection; examples from the first)."""
        n = flags.count(True)
        if not n:
            return
        st = self.stats.get(detector)
        if st is None:
            st = self.stats[detector] = _Stat()
        st.counts[category] = st.counts.get(category, 0) + n
        ex = st.examples.setdefault(category, [])
        if len(ex) < _EXAMPLES:
            ex.extend(islice(zip(compress(rows, flags), compress(tokens, flags), strict=False),
                             _EXAMPLES - len(ex)))
        if self.collect:
            st.rows.setdefault(category, []).extend(compress(rows, flags))

    def add_count(self, detector: str, category: str, n: int,
                  examples: list[tuple[int, str]], rows: list[int] | None = None) -> None:
        """Add ``n`` values known only by count and first examples (rows: collect mode)."""
        if not n:
            return
        st = self.stats.get(detector)
        if st is None:
            st = self.stats[detector] = _Stat()
        st.counts[category] = st.counts.get(category, 0) + n
        ex = st.examples.setdefault(category, [])
        ex.extend(examples[:_EXAMPLES - len(ex)])
        if self.collect and rows is not None:
            st.rows.setdefault(category, []).extend(rows)

    def add_one(self, detector: str, category: str, token: str, row: int) -> None:
        self.add(detector, category, [token], [row])

    def attribute(self, token: str, row: int, outcomes: list[Outcome],
                  hints: frozenset[str], negative: bool) -> None:
        """File one token under the first outcome the hints or the rules accept."""
        for det, oc in outcomes:
            if det in hints:
                self.add_one(det, _hinted_category(oc), token, row)
                return
        for det, oc in outcomes:
            cat = _free_category(det, oc, negative)
            if cat is not None:
                self.add_one(det, cat, token, row)
                return

    # ------------------------------------------------------------ records

    def records(self, location: str, sampled: int, hints: frozenset[str], *,
                position: str, column: bool) -> list[dict]:
        out = []
        for det, st in self.stats.items():
            rec = _record(det, st, location, sampled, det in hints, position=position,
                          column=column)
            if rec is not None:
                out.append(rec)
        return out

    def unmasked_rows(self, location: str, sampled: int, hints: frozenset[str], *,
                      column: bool) -> dict[str, list[int]]:
        """Rows counted unmasked per detector (collect mode: the accuracy benchmark)."""
        out = {}
        for det, st in self.stats.items():
            decision = _decide(det, st, sampled, det in hints, column=column)
            rows: list[int] = []
            for cat in decision.unmasked_categories:
                rows.extend(st.rows.get(cat, ()))
            out[det] = sorted(rows)
        return out


def _hinted_category(oc: int) -> str:
    if oc in (VALID, WEAK, HINTED):
        return VALID_C
    if oc in (MASKED, MASKED_WEAK):
        return MASKED_C
    if oc == CHECKFAIL:
        return CHECKFAIL_C
    return SHAPE_C


def _free_category(det: str, oc: int, negative: bool) -> str | None:
    strong = det in STRONG
    if negative and (not strong or det == MOBILE):
        return None  # an order/transaction column: only checksummed formats still count
    if oc == VALID:
        return VALID_C
    if oc == WEAK:
        return VALID_C if strong else WEAK_FREE
    if oc == MASKED:
        return MASKED_C
    if oc == CHECKFAIL:
        return CHECKFAIL_C if strong else FAIL_FREE
    return None  # MASKED_WEAK, SHAPE, HINTED: nothing without a hint


@dataclass
class _Decision:
    unmasked: int
    masked: int
    tokenized: int
    unmasked_categories: tuple[str, ...]
    basis: str


def _decide(det: str, st: _Stat, sampled: int, hinted: bool, *, column: bool) -> _Decision:
    c = st.counts.get
    valid = c(VALID_C, 0)
    cats: tuple[str, ...] = (VALID_C,)
    weak, fail = c(WEAK_FREE, 0), c(FAIL_FREE, 0)
    by_ratio = False
    if weak and scoring.ratio_rule(det, weak + fail, weak, sampled if column else 0):
        valid += weak
        cats = (VALID_C, WEAK_FREE)
        by_ratio = True
    checkfail = c(CHECKFAIL_C, 0) + (fail if by_ratio else 0)
    # Every value that passes is counted unmasked, however many tokens surround it.
    tokenized = c(SHAPE_C, 0) + c(TOKEN_C, 0) + checkfail
    if valid == 0:
        basis = "masked"
    elif scoring.chance_level(det, valid + checkfail, valid):
        basis = "chance"
    elif det in (MOBILE, EMAIL):
        basis = "segment"
    elif det in STRONG or (det == CARD and hinted):
        basis = "checksum"
    elif by_ratio and not hinted:
        basis = "ratio"
    else:
        basis = "hinted"
    return _Decision(valid, c(MASKED_C, 0), tokenized, cats, basis)


def _record(det: str, st: _Stat, location: str, sampled: int, hinted: bool, *,
            position: str, column: bool) -> dict | None:
    d = _decide(det, st, sampled, hinted, column=column)
    if d.unmasked + d.masked + d.tokenized == 0:
        return None
    order = [*d.unmasked_categories, MASKED_C]
    if d.unmasked == 0 or len(order) < 2:
        order += [CHECKFAIL_C, SHAPE_C, TOKEN_C, VALID_C, WEAK_FREE]
    evidence: list[str] = []
    for cat in dict.fromkeys(order):
        for row, tok in st.examples.get(cat, ()):
            if len(evidence) >= _EXAMPLES:
                break
            evidence.append(f"{_example(det, cat, tok)} ({position} {row + 1})")
    return {
        "detector": det,
        "location": location,
        "unmasked": d.unmasked,
        "masked": d.masked,
        "tokenized": d.tokenized,
        "sampled": sampled,
        "score": scoring.score(det, basis=d.basis, hinted=hinted,
                               found=d.unmasked + d.masked + d.tokenized, sampled=sampled),
        "evidence": evidence,
    }


def _example(det: str, cat: str, tok: str) -> str:
    """A shown example: always masked here, whatever the value was."""
    if cat == TOKEN_C:
        return "<token>"
    if cat == MASKED_C:
        return remask(tok)
    if det == EMAIL:
        return mask_email(tok)
    if det == NAME:
        return mask_name(tok)
    return mask_id(tok)
