"""Masked and tokenized forms, reversible masking, and the masking of evidence.

A masked value keeps the shape of the identifier with some characters replaced by a mask
character (``110101********1234``, ``138****5678``, ``6222 **** **** 1234``, ``z***@qq.com``,
``张*``). Masking that hides one or two characters of a checksummed number is reversible: the
check leaves at most a handful of completions (one masked digit of a resident ID with its check
character: at most one), so such a value counts as unmasked. Tokenized values are hashes, UUIDs,
base64 blobs, or format-preserving tokens (told apart by the column's checksum pass rate, see
scoring).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import product

# After NFKC ("＊" is already "*"). x/X count as mask characters except as the check character
# in last position of an 18-character ID.
MASK_CHARS = "*#•●×xX"

# Values that are tokens/hashes rather than identifiers (used under a field hint only).
TOKEN_FORMAT = re.compile(
    r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128}"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?=[A-Za-z0-9+/_-]*[a-z])(?=[A-Za-z0-9+/_-]*[A-Z0-9])[A-Za-z0-9+/_-]{20,}={0,2}"
    r"|(?:tok|tkn|enc|hash)[_:-][A-Za-z0-9+/=_-]{6,}")

REVERSIBLE_MAX = 9  # completions at or below which a masked value is as good as clear


def mask_positions(s: str, *, id18: bool = False) -> list[int]:
    """Indexes of mask characters (a trailing X of an 18-character ID is its check char)."""
    out = [i for i, c in enumerate(s) if c in MASK_CHARS]
    if id18 and out and out[-1] == len(s) - 1 and s[-1] in "Xx":
        out.pop()
    return out


_X_RUN = re.compile(r"[xX]{3,}")


def code_mask_positions(s: str) -> list[int]:
    """Mask positions in a code whose alphabet holds X (a unified social credit code): the
    mask characters, and x/X only in runs of three or more — a single X inside a code is one
    of its characters, never a mask."""
    out = [i for i, c in enumerate(s) if c in "*#•●×"]
    for m in _X_RUN.finditer(s):
        out.extend(range(m.start(), m.end()))
    return sorted(out)


def completions(s: str, positions: list[int], alphabet: str, valid: Callable[[str], bool],
                *, last_alphabet: str | None = None, limit: int = REVERSIBLE_MAX + 1) -> int:
    """How many ways (up to ``limit``) the masked ``positions`` can be filled so ``valid``."""
    chars = list(s)
    found = 0
    pools = [last_alphabet if (last_alphabet and p == len(s) - 1) else alphabet
             for p in positions]
    for combo in product(*pools):
        for p, c in zip(positions, combo, strict=True):
            chars[p] = c
        if valid("".join(chars)):
            found += 1
            if found >= limit:
                break
    return found


# ---------------------------------------------------------------- evidence


def mask_id(s: str) -> str:
    """A long identifier with all but its first six and last four characters hidden.

    Short ones (passports, permits: 8-11 characters) keep their letter prefix and last three.
    """
    s = s.replace(" ", "").replace("-", "")
    n = len(s)
    if n >= 15:
        return s[:6] + "*" * (n - 10) + s[-4:]
    if n == 11 and s.isdigit():  # mobile: the shape regulators' reports use
        return f"{s[:3]}****{s[-4:]}"
    head = len(s) - len(s.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    head = min(head, 2)
    keep = 3 if n - head > 5 else 1
    return s[:head] + "*" * (n - head - keep) + s[-keep:]


def mask_email(s: str) -> str:
    local, _, domain = s.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_name(s: str) -> str:
    return s[:1] + "*" * max(1, len(s) - 1)


def remask(s: str) -> str:
    """An already-masked value, masked again in the standard shape (it may show too much)."""
    if "@" in s:
        return mask_email(s)
    if s[:1].isascii():
        return mask_id(s)
    return mask_name(s)
