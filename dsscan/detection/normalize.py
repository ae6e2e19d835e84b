"""Input normalisation: NFKC (full-width digits and letters), one value per line.

Values arrive as text and stay text: a sampler must hand over what the store holds as a
string (a CSV field, ``str()`` of a DECIMAL/BIGINT column read as text), never an int or float
— ``float("110101199003077777")`` loses digits and an int drops leading zeros. A value that
is not a string is refused with a TypeError naming its position only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def normalize_text(text: str) -> str:
    """NFKC, skipped when the text is ASCII or already normalised (both C-speed checks)."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def column_values(location: str,
                  values: Iterable[str | None]) -> tuple[list[str], list[int], str]:
    """The non-empty values, normalised, the 0-based position of each among ``values``, and
    the values joined by line breaks (line breaks inside a value become spaces, so that the
    values can be scanned as one text of one value per line)."""
    raw = values if isinstance(values, list) else list(values)
    vals = list(filter(None, raw))
    if len(vals) == len(raw):
        rows = list(range(len(raw)))
    else:
        rows = []
        for i, v in enumerate(raw):
            if v:
                rows.append(i)
            elif v is not None and type(v) is not str:  # 0, 0.0, False: still not text
                _refuse(location, raw, i)
    try:
        blob = "\n".join(vals)
    except TypeError:
        _refuse(location, raw, next(i for i, v in enumerate(raw)
                                    if v is not None and not isinstance(v, str)))
    if vals and blob.count("\n") != len(vals) - 1:
        vals = [v.replace("\r\n", " ").replace("\n", " ") for v in vals]
        blob = "\n".join(vals)
    if not blob.isascii() and not unicodedata.is_normalized("NFKC", blob):
        normal = unicodedata.normalize("NFKC", blob)
        split = normal.split("\n")
        if len(split) == len(vals):
            vals, blob = split, normal
        else:
            vals = [unicodedata.normalize("NFKC", v).replace("\n", " ") for v in vals]
            blob = "\n".join(vals)
    return vals, rows, blob


def _refuse(location: str, raw: list[object], i: int) -> None:
    # The type and position only: the value itself must never reach a message.
    raise TypeError(f"{location}: value #{i + 1} is {type(raw[i]).__name__}, not str; "
                    "pass values as text (no int/float coercion)") from None


def normalize_name(name: str | None) -> str:
    """A column/field name for hint matching: NFKC, lower case, camelCase split with ``_``."""
    if not name:
        return ""
    s = unicodedata.normalize("NFKC", name)
    out = []
    prev = ""
    for ch in s:
        if ch.isupper() and prev.islower():
            out.append("_")
        out.append(ch)
        prev = ch
    return "".join(out).lower()
