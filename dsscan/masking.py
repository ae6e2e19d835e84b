"""Mask personal identifiers in every string that leaves the process: the one masking path.

Reports, inventories, the history store, baselines, the AWS call log, error messages and
everything written to standard output or error pass through :func:`mask_text` (strings) or
:func:`mask_value` (JSON-like values, dict keys included). Detectors keep masked examples
only; this is the line of defence for everything else: a bucket, table, column, tag or
Terraform address named after a resident ID number, a card or a mobile number.

What is masked (docs/outputs.md, "Masking"):

- a run of digits (optionally grouped by spaces, dashes, underscores or ``%20``/``%2D``/
  ``%5F``) that is a **validated identifier**, wherever it stands, glued to letters or not
  (``kyc440305198511220029``, ``cust<ID>/data.json``, ``TEL13812345678``,
  ``module.x["440305..."]``): a GB 11643 resident ID (17 digits + check character that
  verifies, a real birth date), an old 15-digit ID (province code and date), a Luhn-valid
  13-19 digit card number with an issuer prefix, an 11-digit mobile number in an allocated
  segment (also after 86 / 0086);
- any other 14-19 digit run that stands alone (not glued to letters or digits), as before,
  unless it reads as a timestamp (YYYYMMDDhhmmss...), an epoch in micro/nanoseconds, or the
  17-digit tail of an AWS resource id (``vol-...``);
- e-mail addresses.

A 12-digit AWS account id, the other parts of an ARN, hex ids (``vol-0abc...``, moto's random
ids, fingerprints), UUIDs and dates stay readable: they are no identifier of a person, and a
bare "any long digit run" pattern would hide them once glued to letters.

Masked shapes keep what a report to a regulator keeps: ``110101********1234`` (6 + 4 of a
15+ character identifier), ``622***********8901`` / ``138****5678`` (3 + 4), ``z***@qq.com``.
Within one output (one ``dsscan`` command: :func:`session`) the same value is always masked
the same way, and two different values never share a masked form: the second value whose
masked form is already taken gets ``~2`` (the third ``~3``, ...), so ids in a masked
inventory still relate to each other when it is read back.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from typing import Any

# What reads as an identifier, and how it may be written (checks, layouts, folded characters).
from dsscan.identifiers import (
    _ascii_digits,
    _loose_kind,
    _no_surrogates,
    _timestamp_like,
    identifier_ok,
    mobile_ok,
    resident_id_ok,
)

# --- the patterns -----------------------------------------------------------------------------

# What may separate the groups of one number: space, dash, underscore, no-break / thin /
# ideographic spaces, Unicode dashes, and those URL-encoded (a key "cust%20440305...").
_SEP = r"(?:[ _\-\u00a0\u2009\u202f\u3000\u2010-\u2015\uff0d]|%20|%2[dD]|%5[fF])"
# A chain: 11+ digits, single separators between them, an optional X check character. (No
# look-behind for "%20" here: a pattern that starts with a character class is scanned for at C
# speed, a third of the time; the digits of an escape are cut off in _mask_chain.)
_CHAIN = re.compile(rf"[0-9](?:{_SEP}?[0-9]){{10,}}[Xx]?")
_SEP_RE = re.compile(_SEP)
# How else people write the groups of an identifier apart: dots, slashes, commas, brackets,
# several spaces, mixed ("110101.19900307.1234", "(110101)19900307123X", "6222  0212 ...",
# "138/1234/5678"), full-width punctuation too. Looser than _SEP, so held to more: groups of
# 3+ digits, and a run of whole groups masked only when it is a validated identifier written
# in a layout people use (see _mask_loose). Versions, IPs, dates, decimals and thousands
# separators do not pass.
_LSEP = (r"(?:[ ._,/()\\|\-\u00a0\u2009\u202f\u3000\u2010-\u2015\u3001\u3002\uff08\uff09"
         r"\uff0c\uff0d\uff0e\uff0f]|%2[0CcDdEeFf]|%5[Ff]){1,3}")
_LOOSE = re.compile(rf"[0-9]{{3,}}(?:{_LSEP}[0-9]{{3,}})+[Xx]?")
_LOOSE_SUSPECT = re.compile(rf"[0-9]{{3}}{_LSEP}[0-9]{{3}}")
_DIGITS = re.compile(r"[0-9]+")
_DIGITS_X = re.compile(r"[^0-9Xx]")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# A separator the strong pass (_CHAIN) reads: a window with only those is left to it.
_STRONG_SEP = re.compile(rf"{_SEP}\Z")
# An e-mail address (the reference pattern; _mask_emails finds the same ones faster, from each
# "@": a pattern that starts with a look-behind is tried at every character of the text).
_EMAIL = re.compile(r"(?<![\w.+-])(?<!://)([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
_AT_DOMAIN = re.compile(r"@([\w-]+(?:\.[\w-]+)+)")
_LOCAL_TAIL = re.compile(r"[\w.+-]+\Z")


def _local_char(ch: str) -> bool:
    """``ch`` matches ``[\\w.+-]`` (\\w: str.isalnum or "_", as the re module reads it)."""
    return ch.isalnum() or ch in "_.+-"


# A necessary condition for a chain (each match contains one); an e-mail needs an "@". A text
# with neither is returned as it is, without the full masking.
_SUSPECT = re.compile(rf"[0-9](?:{_SEP}?[0-9]){{10}}")

_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_HEX = frozenset("0123456789abcdefABCDEF")

# Machine identifiers a card or mobile pattern must not eat: a UUID, and the hex token of an
# AWS resource id, a fingerprint or a digest (with at least one hex letter: all digits is a
# number). A resident ID (check character and date) is masked even there.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MACHINE_HEX_LENGTHS = frozenset({8, 16, 17, 32, 40, 64})
# EC2/EFS id prefixes (as AWS and moto write them) whose 17-hex-digit tail can be all digits:
# vol-01234567890123456 is an id, not a number.
_AWS_ID = re.compile(
    r"(?:^|[^0-9A-Za-z])(?:acl|aclassoc|ami|cagw|cgw|dopt|eigw|eipalloc|eipassoc|eni|"
    r"eni-attach|fl|fleet|fs|fsap|fsmt|h|i|igw|iip-assoc|key|lt|nat|pcx|pl|r|rtb|rtbassoc|scr|"
    r"sfr|sg|sgr|sir|snap|subnet|subnet-cidr-assoc|tgw|tgw-attach|tgw-rtb|tms|traf-mir-fil|"
    r"traf-mir-tar|vgw|vol|vpc|vpc-cidr-assoc|vpce|vpce-svc|vpn)-$")

# --- sessions: the same value, the same mask; two values, two masks ----------------------------

class Masker:
    """Masked forms handed out in one output: ``raw -> masked`` and who owns each form."""

    def __init__(self) -> None:
        self._by_raw: dict[str, str] = {}
        self._owner: dict[str, str] = {}
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def token(self, raw: str, shown: str) -> str:
        with self._lock:
            t = self._by_raw.get(raw)
            if t is not None:
                return t
            if self._owner.setdefault(shown, raw) == raw:
                t = shown
            else:
                k = self._next.get(shown, 1) + 1
                self._next[shown] = k
                t = f"{shown}~{k}"
            self._by_raw[raw] = t
            return t


_session: tuple[Masker, int] | None = None  # (masker, thread that opened it)
_session_lock = threading.Lock()


@contextlib.contextmanager
def session() -> Iterator[Masker]:
    """One output (a whole ``dsscan`` command): masked forms are consistent and distinct in
    it. Nested sessions share the outer one. Only the opening thread uses it: worker threads
    mask without it (their order is not reproducible, and a form handed out first keeps the
    plain shape), so the same run always gives the same bytes."""
    global _session
    with _session_lock:
        outer = _session
        if outer is None:
            _session = (Masker(), threading.get_ident())
        current = _session
    assert current is not None
    try:
        yield current[0]
    finally:
        if outer is None:
            with _session_lock:
                _session = None


def _token(raw: str, shown: str, masker: Masker | None) -> str:
    if masker is None:
        s = _session
        if s is None or s[1] != threading.get_ident():
            return shown
        masker = s[0]
    return masker.token(raw, shown)


_SUFFIX = re.compile(r"(\*[0-9A-Za-z]{1,4}|\*@[\w.-]+)~[0-9]+")


def comparable(masked: str) -> str:
    """A masked text without the ``~N`` suffixes that keep two values apart in one output.
    What two runs compare (baseline, history diff): the suffix of a value can differ between
    runs, and without it two values may meet, so a comparison errs towards "same asset"
    (never a finding called fixed because its asset got another suffix)."""
    return _SUFFIX.sub(r"\1", masked) if "~" in masked else masked


# --- masking --------------------------------------------------------------------------------------

def _shown(c: str) -> str:
    """The masked shape of an identifier's significant characters ``c``."""
    if len(c) in (11, 13, 15) and mobile_ok(c):  # 138****5678, also after 86 / 0086
        return f"{c[:-8]}****{c[-4:]}"
    keep_head = 6 if len(c) >= 15 else 3
    return c[:keep_head] + "*" * (len(c) - keep_head - 4) + c[-4:]


def _bounded_before(s: str, i: int) -> bool:
    if i == 0 or s[i - 1] not in _ALNUM:
        return True
    # "%2F440305...": the escape is a separator, not a letter glued to the number.
    return i >= 3 and s[i - 3] == "%" and s[i - 2] in _HEX and s[i - 1] in _HEX


def _machine(s: str, start: int, end: int) -> bool:
    """The digits s[start:end] sit in a UUID or a hex machine token."""
    a, b = start, end
    while a > 0 and s[a - 1] in _ALNUM:
        a -= 1
    while b < len(s) and s[b] in _ALNUM:
        b += 1
    tok = s[a:b]
    if len(tok) in _MACHINE_HEX_LENGTHS and all(ch in _HEX for ch in tok):
        if _AWS_ID.search(s, max(0, a - 20), a):
            return True  # vol-0123..., i-0abc...: an AWS resource id, whatever its digits
        # A digest or random hex id has hex letters all along it: a number with a letter or
        # two glued to it ("a" + a 16-digit card: 17 hex characters) is no machine id.
        if not tok.isdigit() and len(tok) - (end - start) >= 3:
            return True
    lo = max(0, start - 36)
    return any(m.start() < end and start < m.end() for m in _UUID.finditer(s, lo, end + 36))


_CENTURIES = frozenset({"19", "20"})
_NUMBER_BEFORE = frozenset(" \t\r\n:,[(=")
_NUMBER_AFTER = frozenset(" \t\r\n,]})eE")


def _decimal_fraction(s: str, start: int, end: int) -> bool:
    """s[start:end] are the decimals of a number standing as a number (``"x": 12.3456...``,
    ``[0.41111...]``): the digits of a float, never an identifier. Masking them would break
    the JSON a value-by-value masking left intact (repr of a float has up to 17 digits)."""
    if start < 2 or s[start - 1] != "." or not s[start - 2].isdigit():
        return False
    i = start - 2
    while i > 0 and s[i - 1].isdigit():
        i -= 1
    if i > 0 and s[i - 1] == "-":
        i -= 1
    return (i == 0 or s[i - 1] in _NUMBER_BEFORE) and (end == len(s) or s[end] in _NUMBER_AFTER)


def _mask_chain(m: re.Match[str], s: str, masker: Masker | None) -> str:
    start, end = m.span()
    # The hex digits of a %XX escape just before are no part of the number ("%20" + ID).
    skip = 2 if start >= 1 and s[start - 1] == "%" else \
        1 if start >= 2 and s[start - 2] == "%" and s[start - 1] in _HEX else 0
    if skip:
        rest = _CHAIN.match(s, start + skip, end)
        return m.group(0) if rest is None else \
            m.group(0)[:skip] + _mask_chain(rest, s, masker)
    text = m.group(0)
    if text.isdigit() and (len(text) == 12 or len(text) < 11):
        return text  # one group of 12 digits (an account id): no identifier has that length
    if _decimal_fraction(s, start, end):
        return text
    x = text[-1] in "Xx"
    body = text[:-1] if x else text
    # Digits, where each sits in ``text``, and where groups start (after a separator).
    digits: list[str] = []
    offsets: list[int] = []
    starts: list[int] = [0]
    i = 0
    while i < len(body):
        ch = body[i]
        if "0" <= ch <= "9":
            digits.append(ch)
            offsets.append(i)
            i += 1
        else:
            sep = _SEP_RE.match(body, i)
            i = sep.end() if sep else i + 1
            starts.append(len(digits))
    n = len(digits)
    ends = [*starts[1:], n]
    d = "".join(digits)
    if x:
        offsets.append(len(text) - 1)
    left_ok = _bounded_before(s, start)
    right_ok = end == len(s) or s[end] not in _ALNUM
    machine: list[bool] = []  # computed once, when first needed

    def in_machine_token() -> bool:
        if not machine:
            machine.append(_machine(s, start, end))
        return machine[0]

    spans: list[tuple[int, int]] = []  # [a, b) over d (+ the X at index n)
    # Masked up to here: a window ending at or before it adds nothing (spans are merged), so
    # it is not checked. Without this a chain of one-digit groups ("1 1 1 ...") checked ~10
    # windows per digit: 2 s for 100 kB.
    covered = 0
    first = 0  # the first group ending after ``covered``
    twelves = [0]  # twelves[k]: how many of the first k groups have 12 digits (account ids)
    for k, e in enumerate(ends):
        twelves.append(twelves[-1] + (e - starts[k] == 12))
    for gi, a in enumerate(starts):
        while first < len(ends) and ends[first] + (x and ends[first] == n) <= covered:
            first += 1
        for gj in range(max(gi, first), len(ends)):
            b = ends[gj]
            if b - a > 19:
                break
            for with_x in ((False, True) if x and b == n else (False,)):
                c = d[a:b] + ("X" if with_x else "")
                if len(c) < 11:
                    continue
                if len(c) == 18 and resident_id_ok(c):
                    spans.append((a, b + with_x))
                    covered = max(covered, b + with_x)
                    continue
                # A number standing alone: bounded on both sides (a group boundary inside the
                # chain is a separator), not a timestamp, nor an account id with a suffix.
                alone = (14 <= len(c) <= 19 and (a > 0 or left_ok)
                         and (b < n or (right_ok if with_x or not x else False))
                         and not _timestamp_like(c)
                         and not (gj > gi and twelves[gj + 1] > twelves[gi]))
                if (alone or identifier_ok(c)) and not in_machine_token():
                    spans.append((a, b + with_x))
                    covered = max(covered, b + with_x)
    # A resident ID inside a longer run of digits ("%20" + ID, ID + "2024", "a1b2" + ID + "c3"
    # in a hex token: the check character and birth date make it no machine id).
    if n > 18:
        for a in range(n - 17):
            # The century of the birth date first: most windows fail it, without a call.
            if d[a + 6:a + 8] in _CENTURIES and resident_id_ok(d[a:a + 18]):
                spans.append((a, a + 18))
    if x and n > 17 and resident_id_ok(d[n - 17:] + "X"):
        spans.append((n - 17, n + 1))
    if not spans:
        return text
    # Overlapping spans are masked as one: no part of any identifier is left in clear.
    spans.sort()
    merged = [list(spans[0])]
    for a, b in spans[1:]:
        if a < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    full = d + ("X" if x else "")
    out: list[str] = []
    pos = 0
    for a, b in merged:
        raw = full[a:b].upper()
        out.append(text[pos:offsets[a]])
        out.append(_token(raw, _shown(raw), masker))
        pos = offsets[b - 1] + 1
    out.append(text[pos:])
    return "".join(out)


def _mask_emails(s: str, masker: Masker | None) -> str:
    """``_EMAIL.sub`` masking each address, found from its "@": the local part is the run of
    word characters and ``.+-`` just before it (not after "://": the user of a URL), not
    reaching back into the address masked before."""
    out: list[str] = []
    done = 0  # s[:done] is in out
    for m in _AT_DOMAIN.finditer(s):
        at = m.start()
        # The local part, read backwards from the "@" (a forward search from ``done`` for
        # a run ending at the "@" was tried at every character since the last address:
        # quadratic in a text of many "@"s and no address).
        local = at
        while local > done and _local_char(s[local - 1]):
            local -= 1
        if local == at:
            continue
        # As the pattern's look-behinds: the local part starts where its run of characters
        # starts (not inside the address masked before), and not right after "://".
        if (local == done and local and _LOCAL_TAIL.match(s[local - 1])) or \
                s[max(0, local - 3):local] == "://":
            continue
        raw = s[local:m.end()]
        out.append(s[done:local])
        out.append(_token(raw.lower(), f"{s[local]}***@{m.group(1)}", masker))
        done = m.end()
    if not out:
        return s
    out.append(s[done:])
    return "".join(out)


def mask_text_full(text: str, masker: Masker | None = None) -> str:
    """The masking itself, with no shortcut (the reference the fast path is tested against).
    A text that needs no masking comes back as it was (its digits unchanged)."""
    text = _no_surrogates(text)
    return _mask_ascii(text, _ascii_digits(text), masker)


def _mask_loose(m: re.Match[str], masker: Masker | None) -> str:
    """A run of digit groups with loose separators (_LOOSE): each run of whole groups that is
    a validated identifier in a known layout is masked, separators inside it included.
    Runs whose separators are all single strong ones are left to the strong pass (_CHAIN),
    as are what read as numbers: two groups around one dot (a decimal), groups of three
    (thousands, IPs)."""
    text = m.group(0)
    # Groups are runs of digits outside %XX escapes (the 2 of "%2E" is no digit of a group).
    plain = _ESCAPE.sub("%__", text) if "%" in text else text
    groups = [(g.start(), g.end()) for g in _DIGITS.finditer(plain)]
    x = text[-1] in "Xx"
    lens = [b - a for a, b in groups]
    if all(k == 3 for k in lens) and not x:
        return text
    if len(groups) == 2 and not x and text[groups[0][1]:groups[1][0]] in (".", ","):
        return text
    spans: list[tuple[int, int]] = []
    for i in range(len(groups)):
        total = 0
        for j in range(i, len(groups)):
            total += lens[j]
            if total > 19:
                break
            if total < 11:
                continue
            seps = [text[groups[k][1]:groups[k + 1][0]] for k in range(i, j)]
            if all(_STRONG_SEP.match(sp) for sp in seps):
                continue  # the strong pass reads this run as it is
            c = "".join(text[a:b] for a, b in groups[i:j + 1])
            end = groups[j][1]
            layout = tuple(lens[i:j + 1])
            if _loose_kind(c, layout):
                spans.append((groups[i][0], end))
            elif x and j == len(groups) - 1 and \
                    _loose_kind(c + "X", (*layout[:-1], layout[-1] + 1)):
                spans.append((groups[i][0], end + 1))
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    pos = 0
    for a, b in spans:
        if a < pos:  # overlaps the span before: masked with it
            continue
        raw = _DIGITS_X.sub("", plain[a:b]).upper()
        out.append(text[pos:a])
        out.append(_token(raw, _shown(raw), masker))
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _mask_ascii(text: str, ascii_text: str, masker: Masker | None) -> str:
    # Loose runs first: the strong pass would mask a part of "(110101)19900307123X" (an
    # 11-digit "mobile" in its tail) and leave the rest unread as one number.
    loose = _LOOSE.sub(lambda m: _mask_loose(m, masker), ascii_text) \
        if _LOOSE_SUSPECT.search(ascii_text) is not None else ascii_text
    out = _CHAIN.sub(lambda m: _mask_chain(m, loose, masker), loose)
    if "@" in out:
        out = _mask_emails(out, masker)
    return text if out == ascii_text else out


def suspect(ascii_text: str) -> bool:
    """A necessary condition for the masking to change a text (its digits folded): the fast
    path masks nothing else."""
    return "@" in ascii_text or _SUSPECT.search(ascii_text) is not None or \
        _LOOSE_SUSPECT.search(ascii_text) is not None


# Texts known to need no masking, so that a repeated text (evidence values such as key types
# and levels repeat across findings; every reporter masks each finding's text again; an asset's
# ARN is in each of its findings) is checked once. Only such texts are kept: never a value
# that had to be masked. Bounded; a cache only.
_CLEAN: set[str] = set()
_CLEAN_MAX = 1 << 18
_CLEAN_LEN = 4096


def mask_text(text: str) -> str:
    """``text`` with identifiers, mobile numbers, card numbers and e-mail addresses masked."""
    if type(text) is not str:  # a str subclass may redefine hashing/equality: no cache
        return mask_text_full(str.__str__(text))
    if text in _CLEAN:
        return text
    text = _no_surrogates(text)
    ascii_text = _ascii_digits(text)
    if suspect(ascii_text):
        out = _mask_ascii(text, ascii_text, None)
        if out is not text:
            return out
        # Unchanged by the full masking (an ARN with its account id): clean as well. Whether
        # a text changes does not depend on the session, only how it changes.
    if len(text) <= _CLEAN_LEN:  # a whole report is no text to keep
        if len(_CLEAN) >= _CLEAN_MAX:
            _CLEAN.clear()
        _CLEAN.add(text)
    return text


def _mask_number(n: int | float) -> int | float | str:
    """A number that the text masking would mask once written out (a resident ID, card or
    mobile number kept as a JSON number) becomes its masked text; any other is kept. Then a
    JSON document masked value by value is left as it is by the text masking, which never
    has to cut into a number."""
    if -9_999_999_999 <= n <= 9_999_999_999 or n != n or n in (float("inf"), float("-inf")):
        return n
    text = repr(n)
    out = mask_text_full(text)
    return n if out == text else out


_SMALL = 9_999_999_999  # numbers of ten digits or fewer are never masked


def mask_value(value: Any) -> Any:
    """A copy of ``value`` with every string masked: dict keys too (a tag key, an evidence key,
    a column name can be an identifier), tuples as lists, numbers that are identifiers as
    masked text; anything that is not JSON as its masked ``str``."""
    t = type(value)
    if t is str:
        return value if value in _CLEAN else mask_text(value)
    # Inline for the common leaves (clean strings, small numbers, None): an inventory of 100k
    # assets has millions of them, and a call per leaf doubled the cost.
    clean = _CLEAN
    if t is dict:
        return {((k if k in clean else mask_text(k)) if type(k) is str else mask_value(k)):
                ((v if v in clean else mask_text(v)) if type(v) is str else
                 v if v is None or type(v) is bool or (type(v) is int and -_SMALL <= v <= _SMALL)
                 else mask_value(v))
                for k, v in value.items()}
    if t is list or t is tuple:
        return [(v if v in clean else mask_text(v)) if type(v) is str else
                v if v is None or type(v) is bool or (type(v) is int and -_SMALL <= v <= _SMALL)
                else mask_value(v) for v in value]
    if value is None or t is bool:
        return value
    if t is int or t is float:
        return _mask_number(value)
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return mask_value(dict(value))
    if isinstance(value, list | tuple):
        return mask_value(list(value))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _mask_number(value)
    return mask_text(str(value))


# Evidence is a JSON-like value: the same masking (keys included).
mask_evidence = mask_value


def masked_json_lines(rows: list[Any]) -> str:
    """JSON Lines of ``rows``, masked in a masker of their own (an output whose order the
    caller does not control, such as the AWS call log written from worker threads)."""
    import json

    own = Masker()

    def deep(v: Any) -> Any:
        if isinstance(v, str):
            return mask_text_full(v, own)
        if isinstance(v, dict):
            return {deep(str(k)): deep(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [deep(x) for x in v]
        if v is None or isinstance(v, bool):
            return v
        if isinstance(v, int | float):
            return deep(repr(v)) if _mask_number(v) != v else v
        return deep(str(v))

    return "".join(json.dumps(deep(r), ensure_ascii=False) + "\n" for r in rows)
