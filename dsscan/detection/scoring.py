"""From counts to a verdict: the ratio rule for weak formats, and the score.

Format-preserving tokens keep an identifier's shape (18 digits with a region and a date, a
16-digit number with the BIN) but not its check character, so they pass the check at chance
rate: 1/11 for MOD 11-2, 1/10 for Luhn, 1/31 for GB 32100. A value that passes is counted
unmasked whatever the rest of its column holds: nothing in a single value tells a real number
from a token that passes by chance, and a real value among tokens must never be written off as
one of them (a wrong pass). Failures are counted tokenized. A column whose passes are no more
than chance would give gets a lower score (basis ``chance``): likely tokens, but still reported.

Weak formats (a Luhn-valid number, a passport-shaped code) count without a field hint only
when a column's candidates pass clearly more often than chance — evidence that the column
holds such numbers — and make up at least half of its values.
"""

from __future__ import annotations

import math

from dsscan.detection.detectors import CARD, RESIDENT, USCC

CHANCE = {CARD: 0.1, USCC: 1 / 31}
DEFAULT_CHANCE = 1 / 11  # MOD 11-2
MIN_FOR_STATISTICS = 20  # below this many candidates every valid one counts

# Weak formats without a hint: enough candidates, passing above chance, most of the column.
RATIO_MIN_CANDIDATES = 10
RATIO_MIN_SHARE = 0.5


def _above_chance(detector: str, candidates: int, passed: int) -> bool:
    """``passed`` of ``candidates`` is more than three standard deviations above chance."""
    q = CHANCE.get(detector, DEFAULT_CHANCE)
    mean = candidates * q
    return passed > mean + 3 * math.sqrt(candidates * q * (1 - q)) + 1


def chance_level(detector: str, candidates: int, passed: int) -> bool:
    """Whether ``passed`` of ``candidates`` is what random check characters give (it lowers
    the score only: the passes are still counted unmasked)."""
    return candidates >= MIN_FOR_STATISTICS and not _above_chance(detector, candidates, passed)


def ratio_rule(detector: str, candidates: int, passed: int, sampled: int) -> bool:
    """A weak format counts without a hint when a column's candidates pass clearly more often
    than chance (a format without a check passes always) and are most of its values."""
    return (candidates >= RATIO_MIN_CANDIDATES and candidates >= RATIO_MIN_SHARE * sampled
            and _above_chance(detector, candidates, passed))


# How much one valid match says, by how it was accepted.
_STRENGTH = {"checksum": 0.9, "segment": 0.6, "hinted": 0.75, "ratio": 0.7, "masked": 0.5,
             "chance": 0.4}


def score(detector: str, *, basis: str, hinted: bool, found: int, sampled: int) -> float:
    """0..1: the strength of the evidence times how much of the sample it covers.

    ``basis`` is how the values were accepted: ``checksum`` (MOD 11-2, GB 32100, a Luhn card
    under a hint), ``segment`` (mobile numbers, e-mail addresses: a format without a check),
    ``hinted`` (a weak format under a field hint), ``ratio`` (a weak format most of a column
    passes), ``masked`` (only masked or tokenized forms were seen), ``chance`` (no more
    values pass the check than format-preserving tokens would by chance).
    """
    base = _STRENGTH[basis] + (0.1 if hinted else 0.0)
    share = min(1.0, found / sampled) if sampled else 0.0
    if detector == RESIDENT and basis == "checksum":
        base += 0.05  # region + birth date + check: the most specific format here
    return round(min(1.0, base * (0.6 + 0.4 * share)), 3)
