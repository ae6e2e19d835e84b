"""Check-character algorithms, one value at a time and over a whole list at C speed.

The list forms exist because a dense column holds hundreds of thousands of candidates: they
chain ``map`` over built-ins so that no Python frame runs per value.

- ISO 7064 MOD 11-2 (GB 11643 resident IDs and the permits built on it): the 18 characters
  a_i (X = 10) satisfy sum(a_i * 2^(18-i)) ≡ 1 (mod 11). Since 13 ≡ 2 (mod 11), that sum is
  ``int(s, 13) % 11`` with X written as base-13 digit "A".
- Luhn (ISO/IEC 7812 card numbers).
- GB 32100 unified social credit code: weights 3^(i-1) mod 31 over the first 17 characters;
  since 34 ≡ 3 (mod 31), the weighted sum is the reversed body read in base 34 once the
  31-character alphabet is rewritten as base-36 digits 0-9A-U.
"""

from __future__ import annotations

from functools import cache
from itertools import repeat
from operator import add, itemgetter

from dsscan.detection.formats import TAIWAN_LETTER_VALUES, USCC_ALPHABET
from dsscan.identifiers import luhn_sum

_X_TO_A = str.maketrans("Xx", "AA")
# GB 32100 alphabet → base-36 digits with the same values (J is 18 in GB 32100, 19 in base 36).
_USCC_TO_B36 = str.maketrans(USCC_ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTU")


def mod11_2_ok(s: str) -> bool:
    """An 18-character GB 11643 number (17 digits + digit or X) has a correct check char."""
    return int(s.translate(_X_TO_A), 13) % 11 == 1


def mod11_2_check_char(body17: str) -> str:
    """The check character of 17 digits."""
    r = (1 - int(body17 + "0", 13)) % 11
    return "X" if r == 10 else str(r)


def mod11_2_flags(values: list[str]) -> list[bool]:
    """``mod11_2_ok`` over a list of 18-character strings (digits, X allowed last)."""
    return _lane_sums(values, 18, _mod11_tables(), _MOD11_OK)


@cache
def _luhn_chunks() -> dict[str, int]:
    """Luhn contribution of every 0-4 digit chunk whose last digit is not doubled."""
    table: dict[str, int] = {"": 0}
    for n in range(1, 5):
        for v in range(10 ** n):
            s = str(v).zfill(n)
            table[s] = luhn_sum(s)
    return table


def luhn_ok(s: str) -> bool:
    """A digit string (up to 20 digits) passes the Luhn check."""
    t = _luhn_chunks()
    return (t[s[-4:]] + t[s[-8:-4]] + t[s[-12:-8]] + t[s[-16:-12]] + t[s[-20:-16]]) % 10 == 0


def luhn_flags(values: list[str]) -> list[bool]:
    """``luhn_ok`` over a list of digit strings of one length (12 to 28 digits)."""
    if not values:
        return []
    n = len(values[0])
    return _lane_sums(values, n, _luhn_tables(n), _LUHN_OK)


# ---------------------------------------------------------------- lane sums
#
# A group of same-length values is checked all at once: the values are joined into one byte
# string, each character position p is cut out with a stride (``joined[p::n]``) and mapped to
# its weighted contribution by a 256-byte table, and the position strings are added up as big
# integers, one byte per value. Contributions are kept below 10 (Luhn) or 11 (MOD 11-2), so
# no lane of up to 25 positions overflows into its neighbour; a last table maps each lane's sum
# to 1 (check passes) or 0.


def _table(mapping: dict[int, int]) -> bytes:
    t = bytearray(256)
    for k, v in mapping.items():
        t[k] = v
    return bytes(t)


@cache
def _mod11_tables() -> tuple[bytes, ...]:
    tables = []
    for p in range(18):
        w = pow(2, 17 - p, 11)
        m = {48 + d: d * w % 11 for d in range(10)}
        if p == 17:
            m[ord("X")] = m[ord("x")] = 10 * w % 11
        tables.append(_table(m))
    return tuple(tables)


@cache
def _luhn_tables(n: int) -> tuple[bytes, ...]:
    plain = _table({48 + d: d for d in range(10)})
    doubled = _table({48 + d: (2 * d - 9 if d > 4 else 2 * d) for d in range(10)})
    # From the right: the last digit is not doubled, the one before it is, and so on.
    return tuple(doubled if (n - 1 - p) % 2 else plain for p in range(n))


_MOD11_OK = _table({v: 1 for v in range(256) if v % 11 == 1})
_LUHN_OK = _table({v: 1 for v in range(256) if v % 10 == 0})


def _lane_sums(values: list[str], n: int, tables: tuple[bytes, ...], ok: bytes) -> list[bool]:
    if not values:
        return []
    joined = "".join(values).encode("ascii")
    count = len(values)
    total = 0
    for p in range(n):
        total += int.from_bytes(joined[p::n].translate(tables[p]), "big")
    return list(map(bool, total.to_bytes(count, "big").translate(ok)))


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass Luhn."""
    for d in "0123456789":
        if luhn_ok(body + d):
            return d
    raise AssertionError("unreachable: one digit always completes a Luhn number")


_USCC_VALUES = {c: i for i, c in enumerate(USCC_ALPHABET)}


def uscc_ok(s: str) -> bool:
    """An 18-character code of the GB 32100 alphabet has a correct check character."""
    t = s.translate(_USCC_TO_B36)
    return (int(t[16::-1], 34) + int(t[17], 36)) % 31 == 0


def uscc_check_char(body17: str) -> str:
    s = int(body17.translate(_USCC_TO_B36)[::-1], 34) % 31
    return USCC_ALPHABET[(31 - s) % 31]


def uscc_flags(values: list[str]) -> list[bool]:
    """``uscc_ok`` over a list of 18-character strings of the alphabet."""
    t = list(map(str.translate, values, repeat(_USCC_TO_B36)))
    body = map(int, map(itemgetter(slice(16, None, -1)), t), repeat(34))
    check = map(int, map(itemgetter(17), t), repeat(36))
    return list(map((0).__eq__, map((31).__rmod__, map(add, body, check))))


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_ok(s: str) -> bool:
    """GB 11714 organisation code (9 characters, digits and upper-case letters, check last):
    check = 11 - (sum(value_i * w_i) mod 11), 10 written X, 11 written 0."""
    total = sum(int(c, 36) * w for c, w in zip(s[:8], _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return s[8] == ("X" if c == 10 else "0" if c == 11 else str(c))


def org_check_char(body8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_chars_ok(s: str) -> bool:
    return all(c in _USCC_VALUES for c in s)


def hk_id_ok(s: str) -> bool:
    """A compact Hong Kong identity number (``A1234563``, ``AB9876542``, check 0-9 or A)."""
    body, check = s[:-1].rjust(8), s[-1]
    total = sum((36 if c == " " else int(c, 36)) * w
                for c, w in zip(body, range(9, 1, -1), strict=True))
    return (total + (10 if check == "A" else int(check))) % 11 == 0


def taiwan_id_ok(s: str) -> bool:
    """A Taiwan national identification number (``A123456789``)."""
    v = TAIWAN_LETTER_VALUES[s[0]]
    total = v // 10 + (v % 10) * 9 + int(s[9])
    total += sum(int(c) * w for c, w in zip(s[1:9], range(8, 0, -1), strict=True))
    return total % 10 == 0
