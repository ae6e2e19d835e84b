"""Mask anything that looks like personal data before it leaves the pipeline.

Detectors store masked examples only; this is the second line of defence applied to every
finding's evidence and message, so a policy (or a user policy) that echoes a value cannot leak
it. Masking follows the shapes a report to a regulator uses: keep a short prefix and the last
four characters of long identifiers, hide the rest.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Long digit runs (resident ID numbers, card numbers), optionally with spaces/dashes and a trailing
# X check character: 14 to 19 significant characters, so 12-digit cloud account ids stay readable.
_DIGITS = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){13,18}[\dXx](?![0-9A-Za-z])")
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
# Also written 138 1234 5678 / 138-1234-5678.
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")


def _mask_digits(m: re.Match[str]) -> str:
    raw = m.group(0)
    compact = re.sub(r"[ -]", "", raw)
    if len(compact) == 11 and compact.startswith("1"):
        return f"{compact[:3]}****{compact[-4:]}"
    keep_head = 6 if len(compact) >= 15 else 3
    return compact[:keep_head] + "*" * (len(compact) - keep_head - 4) + compact[-4:]


# A necessary condition for any of the three patterns to match, tested in one pass (a quarter of
# the cost of the three substitutions). Each alternative is contained in every match of one
# pattern: a _DIGITS match starts with 13 repetitions of ``\d[ -]?`` (13+ characters of
# [\d -], the first a digit); a _MOBILE match is the second alternative; an _EMAIL match
# contains "@". Same ``\d`` (Unicode digits) as the patterns. So a text without a match here
# is left unchanged by them, and mask_text may return it as it is.
_SUSPECT = re.compile(r"\d[\d -]{12}|1[3-9]\d[ -]?\d{4}[ -]?\d{4}|@")

# Texts known to need no masking, so that a repeated text (evidence values such as key types
# and levels repeat across findings; every reporter masks each finding's text again) is checked
# once. Only such texts are kept: never a value that had to be masked. Bounded; a cache only.
_CLEAN: set[str] = set()
_CLEAN_MAX = 1 << 18


_ANY_DIGIT = re.compile(r"\d")


def _ascii_digits(text: str) -> str:
    """Full-width and other Unicode decimal digits as ASCII ones, so that a number written
    １３８… is masked like 138… (the mobile pattern spells its leading digits)."""
    if text.isascii():
        return text
    return _ANY_DIGIT.sub(lambda m: m.group() if m.group().isascii()
                          else str(unicodedata.decimal(m.group(), 0)), text)


def mask_text_full(text: str) -> str:
    """The masking itself, with no shortcut (the reference the fast path is tested against).
    A text that needs no masking comes back as it was (its digits unchanged)."""
    ascii_text = _ascii_digits(text)
    out = _DIGITS.sub(_mask_digits, ascii_text)
    out = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", out)
    out = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", out)
    return text if out == ascii_text else out


def mask_text(text: str) -> str:
    """``text`` with long digit runs, mobile numbers and e-mail addresses masked."""
    if type(text) is not str:  # a str subclass may redefine hashing/equality: no cache
        return mask_text_full(text)
    if text in _CLEAN:
        return text
    if _SUSPECT.search(_ascii_digits(text)) is None:
        if len(_CLEAN) >= _CLEAN_MAX:
            _CLEAN.clear()
        _CLEAN.add(text)
        return text
    return mask_text_full(text)


def mask_evidence(value: Any) -> Any:
    """Return a copy of ``value`` with every string masked (keys are kept)."""
    if isinstance(value, str):
        return mask_text(value)
    # Strings inside containers are masked inline: most evidence values are strings, and a
    # call per value doubled the cost for 100k findings.
    if isinstance(value, dict):
        return {k: mask_text(v) if type(v) is str else mask_evidence(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_text(v) if type(v) is str else mask_evidence(v) for v in value]
    return value
