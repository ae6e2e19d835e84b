"""ContentScanner: columns and free text in, detection records out (no I/O).

A column is scanned as one text of one value per line. When every value is a single compact
token (the common case: an ID column, a mobile column), the values are the tokens; otherwise
one compiled regex finds the candidate runs — digits, upper-case letters and mask characters,
bounded by anything but ASCII letters and digits, so that an ID glued to Chinese text is found
and a digit run inside a longer one is not — and the grouped forms people write (a card in
fours, a mobile 3-4-4 behind +86/0086, a resident ID 6-8-4, a Hong Kong or Macau ID with its
check character in brackets). Only candidates reach the validators.

Nothing returned or raised holds a sampled value: evidence is masked examples and positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice, repeat
from operator import itemgetter, or_

from dsscan.config import Config
from dsscan.detection import bulk
from dsscan.detection.detectors import EMAIL, NAME, STRONG, VALID, evaluate
from dsscan.detection.formats import COMPOUND_SURNAMES, SURNAMES
from dsscan.detection.hints import CONTEXT_WINDOW, column_hints, context_hints
from dsscan.detection.masked_forms import TOKEN_FORMAT
from dsscan.detection.normalize import column_values, normalize_text
from dsscan.detection.tally import MASKED_C, TOKEN_C, VALID_C, DetectionTally

_M = "*#•●×"  # mask characters (after NFKC)
_TOKEN = re.compile(
    rf"(?<![0-9A-Za-z+{_M}])(?:"
    rf"(?:\+86|0086)[ -]?1[3-9][0-9](?:[ -]?[0-9{_M}xX]{{4}}){{2}}"      # +86 mobile
    rf"|1[3-9][0-9](?:[ -][0-9{_M}xX]{{4}}){{2}}"                        # 138 1234 5678
    rf"|[0-9{_M}]{{6}}[ -][0-9{_M}]{{8}}[ -][0-9{_M}]{{3}}[0-9xX{_M}]"    # ID 6-8-4
    rf"|[0-9{_M}]{{4}}(?:[ -][0-9{_M}xX]{{4}}){{2}}"                       # card in fours:
    rf"(?:[ -][0-9{_M}xX]{{1,4}}(?:[ -][0-9]{{1,3}})?)?"                   # 12 to 19 digits
    rf"|[0-9A-Z{_M}][0-9A-Zx{_M}]{{6,}}+"                                 # one run
    rf")(?![0-9A-Za-z{_M}])")
# A column whose values are all compact tokens (no separators left) skips the regex.
_ALL_TOKENS = re.compile(rf"[0-9A-Zx{_M}+]{{1,24}}(?:\n[0-9A-Zx{_M}+]{{1,24}})*")
_SEPARATORS = str.maketrans("", "", " -")

# Character classes for the prefilter, over the UTF-8 bytes (bytes.translate and bytes.find
# run at memory speed whatever the script): "1" may be part of a token, "2" (lower-case
# letters) glues a run into a longer word, "3" separates digit groups, "0" anything else —
# non-ASCII bytes included, so CJK text next to an ID is a boundary. Non-ASCII mask
# characters are rewritten "*" first.
_CLASS1 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZx+*#"
_TABLE = bytearray(b"0" * 256)
for _c in _CLASS1:
    _TABLE[_c] = ord("1")
for _c in b"abcdefghijklmnopqrstuvwyz":
    _TABLE[_c] = ord("2")
_TABLE[ord(" ")] = _TABLE[ord("-")] = ord("3")
_CLASSES = bytes(_TABLE)
del _c, _TABLE
_WIDE_MASKS = "•●×"
_BTOKEN = re.compile(_TOKEN.pattern.replace(_M, "*#").encode())
_ONES = re.compile(b"1+")
# A check character in brackets (Hong Kong A123456(3), Macau 1234567(8)): the literal "(" lets
# the regex engine skip ahead at C speed; the full form is confirmed around each hit.
_BRACKET = re.compile(rb"\([0-9A*#]\)")
_BRACKETED = re.compile(
    rb"(?<![0-9A-Za-z*#])(?:[A-Z*#]{1,2}[0-9*#]{6}|[0-9*#]{7}) ?\([0-9A*#]\)")
_RUN_START = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*#+")

_EMAIL = re.compile(
    rf"(?<![A-Za-z0-9._%+{_M}-])[A-Za-z0-9._%+{_M}-]{{1,64}}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])")
_EMAIL_VALUE = re.compile(
    rf"^[A-Za-z0-9._%+{_M}-]{{1,64}}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{{2,24}}$", re.M)
_EMAIL_MASKED_LINE = re.compile(rf"^[^@\n]*(?:[{_M}]|[xX]{{3,}})[^@\n]*@", re.M)

_CJK = "\u4e00-\u9fff"
_NAME_LINE = re.compile(rf"^[{_CJK}]{{2,4}}$", re.M)
_NAME_MASKED_LINE = re.compile(
    rf"^(?:[{_CJK}][{_M}xX]{{1,3}}|[{_M}]{{1,2}}[{_CJK}]{{1,2}}|[{_CJK}][{_M}][{_CJK}])$", re.M)
_TOKEN_LINE = re.compile(rf"^(?:{TOKEN_FORMAT.pattern})$", re.M)
_NAME_KEYS = tuple(k.encode() for k in ("姓名", "户名", "联系人", "持卡人"))
_NAME_IN_TEXT = re.compile(
    rf"(?:姓名|户名|联系人|持卡人|客户姓名)[:：\s]{{0,3}}([{_CJK}][{_CJK}{_M}]{{1,3}})"
    rf"(?![{_CJK}])")


class ContentScanner:
    """Detectors of personal and institutional identifiers over sampled values.

    ``config`` gives the detector names that exist (``content_levels``); a detector a config
    leaves out is still run (levels are the classifier's business), so the records are the
    same for every config.
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()

    # ------------------------------------------------------------ columns

    def scan_column(self, location: str, values: Iterable[str | None], *,
                    name: str | None = None) -> list[dict]:
        """All values of one column/field; ``name`` (the column/field name) is a hint.

        Values must be strings (or None for NULL): numbers read as text, never coerced to
        int/float. Returns one record per detector that found something; ``sampled`` is the
        number of non-empty values looked at.
        """
        tally, vals, hints = self._column(location, values, name, collect=False)
        return tally.records(location, len(vals), hints, position="row", column=True)

    def column_detail(self, location: str, values: Iterable[str | None], *,
                      name: str | None = None) -> dict[str, list[int]]:
        """0-based rows counted unmasked, per detector (the accuracy benchmark's view)."""
        tally, vals, hints = self._column(location, values, name, collect=True)
        return tally.unmasked_rows(location, len(vals), hints, column=True)

    def _column(self, location: str, values: Iterable[str | None], name: str | None, *,
                collect: bool) -> tuple[DetectionTally, list[str], frozenset[str]]:
        vals, rows, blob = column_values(location, values)
        hints, negative = column_hints(name)
        tally = DetectionTally(collect=collect)
        if not vals:
            return tally, vals, hints
        compact = blob.translate(_SEPARATORS) if (" " in blob or "-" in blob) else blob
        homogeneous = _ALL_TOKENS.fullmatch(compact) is not None
        if homogeneous:
            toks = compact.split("\n") if compact is not blob else vals
            bulk.classify(toks, rows, tally, hints, negative)
        else:
            self._tokens(blob, tally, hints, negative, rows=rows, context=False)
        if "@" in blob:
            _emails(blob, tally, rows, dense=blob.count("@") * 2 >= len(vals), collect=collect)
        if NAME in hints:
            _names(blob, tally, rows, collect=collect)
        target = _primary(hints)
        # Hashes, UUIDs, base64 are longer than 24 characters or lower case: never in a
        # column of compact tokens.
        if target is not None and not homogeneous:
            _line_matches(_TOKEN_LINE, blob, tally, rows, target, TOKEN_C, collect=collect)
        return tally, vals, hints

    # ------------------------------------------------------------ text

    def scan_text(self, location: str, text: str) -> list[dict]:
        """Free text (logs, documents, unstructured objects); ``sampled`` counts its lines."""
        tally, lines = self._text(location, text, collect=False)
        return tally.records(location, lines, frozenset(), position="line", column=False)

    def text_detail(self, location: str, text: str) -> dict[str, list[int]]:
        """0-based lines counted unmasked, per detector."""
        tally, lines = self._text(location, text, collect=True)
        return tally.unmasked_rows(location, lines, frozenset(), column=False)

    def _text(self, location: str, text: str, *, collect: bool) -> tuple[DetectionTally, int]:
        if not isinstance(text, str):
            raise TypeError(f"{location}: text is {type(text).__name__}, not str")
        text = normalize_text(text)
        tally = DetectionTally(collect=collect)
        if not text:
            return tally, 0
        data = self._tokens(text, tally, frozenset(), False, rows=None, context=True)
        lines = data.count(b"\n") + (0 if text.endswith("\n") else 1)
        if data.find(b"@") != -1:
            _emails(text, tally, None, dense=False)
        if any(data.find(k) != -1 for k in _NAME_KEYS):
            for m in _NAME_IN_TEXT.finditer(text):
                v = m.group(1)
                if v[0] in SURNAMES or v[:2] in COMPOUND_SURNAMES:
                    masked = any(c in _M for c in v)
                    tally.add_one(NAME, MASKED_C if masked else VALID_C, v,
                                  text.count("\n", 0, m.start()))
        return tally, lines

    # ------------------------------------------------------------ shared

    def _tokens(self, blob: str, tally: DetectionTally, hints: frozenset[str], negative: bool, *,
                rows: list[int] | None, context: bool) -> bytes:
        """Candidate tokens of ``blob``; ``rows`` maps line numbers to value positions.
        Returns the UTF-8 bytes of ``blob`` (for further byte-speed searches)."""
        data, found = _candidates(blob)
        if not found:
            return data
        line = 0
        last = 0
        toks: list[str] = []
        where: list[int] = []
        for s, tok in found:
            line += data.count(b"\n", last, s)
            last = s
            toks.append(tok)
            where.append(rows[line] if rows is not None else line)
        toks = list(map(str.translate, toks, repeat(_SEPARATORS)))
        if not context:
            bulk.classify(toks, where, tally, hints, negative)
            return data
        for tok, row, (s, _) in zip(toks, where, found, strict=True):
            outcomes = evaluate(tok)
            if not outcomes:
                continue
            h, neg = hints, negative
            # Keywords before the token matter only to what a checksum does not settle.
            if any(oc != VALID or det not in STRONG for det, oc in outcomes):
                window = data[max(0, s - 3 * CONTEXT_WINDOW):s].decode("utf-8", "ignore")
                ch, cneg = context_hints(window[-CONTEXT_WINDOW:])
                h, neg = h | ch, neg or cneg
            tally.attribute(tok, row, outcomes, h, neg)
        return data


def _candidates(blob: str) -> tuple[bytes, list[tuple[int, str]]]:
    """The UTF-8 bytes of ``blob`` and the (byte offset, token) of every candidate in order:
    what ``_TOKEN.finditer`` finds, located by a translate/find prefilter so that the regex
    only runs on grouped digits."""
    if blob.isascii():
        data = blob.encode("ascii")
    else:
        for ch in _WIDE_MASKS:
            if ch in blob:
                blob = blob.replace(ch, "*")
        data = blob.encode("utf-8")
    cls = data.translate(_CLASSES)
    out: list[tuple[int, str]] = []
    id_births: list[int] = []
    ones = _ONES.match
    n = len(cls)
    # Eight: no format is shorter (the 8-digit Taiwan permit).
    i = cls.find(b"11111111")
    while i != -1:
        s = i
        while s > 0 and cls[s - 1] == 49:  # "1"
            s -= 1
        m = ones(cls, i)
        e = m.end() if m is not None else i
        # Same boundaries as _TOKEN: no letter glued on either side, a proper first char.
        if (s == 0 or cls[s - 1] != 50) and (e == n or cls[e] != 50) \
                and data[s] in _RUN_START and data.find(b"+", s + 1, e) == -1:
            out.append((s, data[s:e].decode("ascii")))
            # Eight between separators: the birth date of a grouped ID (110101 19900307 1233)?
            if e - s == 8 and s >= 7 and cls[s - 1] == 51 and e < n and cls[e] == 51:
                id_births.append(s)
        i = cls.find(b"11111111", e)
    # Grouped digits ("6222 0212 3456 7890", "138 1234 5678", "110101 19900307 1233"): rare;
    # the regex confirms.
    extra: list[tuple[int, int, str]] = []
    j = cls.find(b"3111131111")
    floor = 0
    while j != -1:
        s = j
        while s > floor and cls[s - 1] == 49:
            s -= 1
        gm = _BTOKEN.match(data, s)
        if gm is not None and (b" " in gm.group() or b"-" in gm.group()):
            extra.append((gm.start(), gm.end(), gm.group().decode("ascii")))
            floor = gm.end()
            j = cls.find(b"3111131111", floor)
        else:
            j = cls.find(b"3111131111", j + 1)
    for s in id_births:
        gm = _BTOKEN.match(data, s - 7)
        if gm is not None and gm.end() - gm.start() == 20:
            extra.append((gm.start(), gm.end(), gm.group().decode("ascii")))
    if data.find(b")") != -1:
        for bm in _BRACKET.finditer(data):
            m = _BRACKETED.search(data, max(0, bm.start() - 10), bm.end())
            if m is not None and m.end() == bm.end():
                extra.append((m.start(), m.end(), m.group().decode("ascii")))
    if extra:
        # A run inside a grouped or bracketed token (the 8-digit birth date of a grouped
        # ID) is part of it, not a token of its own.
        spans = sorted((a, b) for a, b, _ in extra)
        out = [(a, t) for a, t in out
               if not any(lo <= a < hi for lo, hi in spans)]
        out = sorted(out + [(a, t) for a, _, t in extra])
    return data, out


def _emails(blob: str, tally: DetectionTally, rows: list[int] | None, *, dense: bool,
            collect: bool = False) -> None:
    """E-mail addresses, clear or masked; ``dense``: most values are addresses."""
    if dense and not collect:
        # Counts from findall (C speed); positions only for the first examples. A column of
        # addresses is matched line by line (three times faster than searching).
        found = _EMAIL_VALUE.findall(blob)
        if len(found) != blob.count("@"):
            found = _EMAIL.findall(blob)
        maybe_masked = any(c in blob for c in _M) or "xxx" in blob or "XXX" in blob
        n_masked = len(_EMAIL_MASKED_LINE.findall("\n".join(found))) if maybe_masked else 0
        clear: list[tuple[int, str]] = []
        masked: list[tuple[int, str]] = []
        for m in islice(_EMAIL.finditer(blob), 200):
            is_masked = _EMAIL_MASKED_LINE.match(m.group()) is not None
            ex = masked if is_masked else clear
            if len(ex) < 3:
                ex.append((_row(blob, m.start(), rows), m.group()))
        tally.add_count(EMAIL, VALID_C, len(found) - n_masked, clear)
        tally.add_count(EMAIL, MASKED_C, n_masked, masked)
        return
    hits: list[tuple[str, int]] = []
    if dense:
        hits = [(m.group(), m.start()) for m in _EMAIL.finditer(blob)]
    else:
        # Anchor on "@": the address regex starts with a class that every word matches.
        i = blob.find("@")
        end_prev = 0
        while i != -1:
            m = _EMAIL.search(blob, max(end_prev, i - 64), i + 256)
            if m is not None and m.start() <= i < m.end():
                hits.append((m.group(), m.start()))
                end_prev = m.end()
                i = blob.find("@", m.end())
            else:
                i = blob.find("@", i + 1)
    line = 0
    last = 0
    for addr, s in hits:
        line += blob.count("\n", last, s)
        last = s
        row = rows[line] if rows is not None else line
        masked_addr = _EMAIL_MASKED_LINE.match(addr) is not None
        tally.add_one(EMAIL, MASKED_C if masked_addr else VALID_C, addr, row)


def _row(blob: str, pos: int, rows: list[int] | None) -> int:
    line = blob.count("\n", 0, pos)
    return rows[line] if rows is not None else line


def _names(blob: str, tally: DetectionTally, rows: list[int], *, collect: bool) -> None:
    """Chinese names (2-4 characters, a known surname) and masked ones, one per value."""
    found = _NAME_LINE.findall(blob)
    if found:
        ok = list(map(or_, map(SURNAMES.__contains__, map(itemgetter(0), found)),
                      map(COMPOUND_SURNAMES.__contains__, map(itemgetter(slice(0, 2)), found))))
        n = ok.count(True)
        if n:
            ex: list[tuple[int, str]] = []
            all_rows: list[int] = []
            for m in _NAME_LINE.finditer(blob):
                v = m.group()
                if v[0] in SURNAMES or v[:2] in COMPOUND_SURNAMES:
                    if len(ex) < 3:
                        ex.append((_row(blob, m.start(), rows), v))
                    elif not collect:
                        break
                    if collect:
                        all_rows.append(_row(blob, m.start(), rows))
            tally.add_count(NAME, VALID_C, n, ex, all_rows)
    _line_matches(_NAME_MASKED_LINE, blob, tally, rows, NAME, MASKED_C, collect=collect)


def _line_matches(pattern: re.Pattern[str], blob: str, tally: DetectionTally, rows: list[int],
                  detector: str, category: str, *, collect: bool) -> None:
    """Values (whole lines of ``blob``) matching ``pattern``, by count and first examples."""
    n = len(pattern.findall(blob))
    if not n:
        return
    ex: list[tuple[int, str]] = []
    all_rows: list[int] = []
    for m in pattern.finditer(blob):
        if len(ex) < 3:
            ex.append((_row(blob, m.start(), rows), m.group()))
        elif not collect:
            break
        if collect:
            all_rows.append(_row(blob, m.start(), rows))
    tally.add_count(detector, category, n, ex, all_rows)


def _primary(hints: frozenset[str]) -> str | None:
    """The detector a hash/UUID in a hinted column stands in for."""
    for det in ("prc_resident_id", "bank_card", "mobile_phone", "unified_social_credit_code",
                "passport", "hmt_travel_permit", "foreign_permanent_resident_id",
                "hmt_residence_permit", "hmt_identity_card"):
        if det in hints:
            return det
    return None
