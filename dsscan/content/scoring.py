"""From counts to a verdict: format-preserving tokens, the ratio rule for weak formats, score.

Format-preserving tokens keep an identifier's shape (18 digits with a region and a date, a
16-digit number with the BIN) but not its check character, so a column of them passes the
check at chance rate: 1/11 for MOD 11-2, 1/10 for Luhn, 1/31 for GB 32100. Real data passes at
~100%. A column whose pass count is within three standard deviations of chance is tokenized
as a whole (the few passes are chance, not leaks); one clearly above chance has its passes
counted as unmasked and its failures as tokenized.
"""

from __future__ import annotations

import math

from dsscan.content.detectors import CARD, RESIDENT, USCC

CHANCE = {CARD: 0.1, USCC: 1 / 31}
DEFAULT_CHANCE = 1 / 11  # MOD 11-2
MIN_FOR_STATISTICS = 20  # below this many candidates every valid one counts

# Weak formats without a hint: enough candidates, nearly all passing, most values of the column.
RATIO_MIN_CANDIDATES = 10
RATIO_MIN_PASS = 0.9
RATIO_MIN_SHARE = 0.5


def chance_level(detector: str, candidates: int, passed: int) -> bool:
    """Whether ``passed`` of ``candidates`` is what random check characters give."""
    if candidates < MIN_FOR_STATISTICS:
        return False
    q = CHANCE.get(detector, DEFAULT_CHANCE)
    mean = candidates * q
    return passed <= mean + 3 * math.sqrt(candidates * q * (1 - q)) + 1


def ratio_rule(candidates: int, passed: int, sampled: int) -> bool:
    """A weak format counts without a hint when nearly all of a column's candidates pass."""
    return (candidates >= RATIO_MIN_CANDIDATES and passed >= RATIO_MIN_PASS * candidates
            and candidates >= RATIO_MIN_SHARE * sampled)


# How much one valid match says, by how it was accepted.
_STRENGTH = {"checksum": 0.9, "segment": 0.6, "hinted": 0.75, "ratio": 0.7, "masked": 0.5}


def score(detector: str, *, basis: str, hinted: bool, found: int, sampled: int) -> float:
    """0..1: the strength of the evidence times how much of the sample it covers.

    ``basis`` is how the values were accepted: ``checksum`` (MOD 11-2, GB 32100, a Luhn card
    under a hint), ``segment`` (mobile numbers, e-mail addresses: a format without a check),
    ``hinted`` (a weak format under a field hint), ``ratio`` (a weak format most of a column
    passes), ``masked`` (only masked or tokenized forms were seen).
    """
    base = _STRENGTH[basis] + (0.1 if hinted else 0.0)
    share = min(1.0, found / sampled) if sampled else 0.0
    if detector == RESIDENT and basis == "checksum":
        base += 0.05  # region + birth date + check: the most specific format here
    return round(min(1.0, base * (0.6 + 0.4 * share)), 3)
