"""Digit arithmetic over many same-length values at once ("lanes", one byte per value).

The values are joined into one byte string; ``joined[p::n]`` holds character ``p`` of every
value, a 256-byte table maps it to a small number, and the byte strings of several positions
are added as big integers — lane ``i`` of the sum is value ``i``'s result, as long as it stays
below 256 (each caller keeps it there). A last table maps every lane to 1 or 0. All of it is
bytes.translate, int.from_bytes and big-integer addition: C speed, no Python frame per value.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache


def table(mapping: dict[int, int]) -> bytes:
    t = bytearray(256)
    for k, v in mapping.items():
        t[k] = v
    return bytes(t)


@cache
def digit_times(m: int) -> bytes:
    """'0'..'9' → digit * m (m <= 25)."""
    return table({48 + d: d * m for d in range(10)})



def join(values: list[str]) -> bytes:
    return "".join(values).encode("ascii")


def number(joined: bytes, n: int, terms: Iterable[tuple[int, bytes]]) -> int:
    """Sum over (position, table) of the mapped characters, lane by lane."""
    total = 0
    for p, t in terms:
        total += int.from_bytes(joined[p::n].translate(t), "big")
    return total


def two_digits(joined: bytes, n: int, p: int) -> int:
    """The two-digit number at positions p, p+1 of every value."""
    return number(joined, n, ((p, digit_times(10)), (p + 1, digit_times(1))))


def lanes(total: int, count: int, ok: bytes) -> bytes:
    """Each lane's value mapped by ``ok`` (to 1/0, or another small code)."""
    return total.to_bytes(count, "big").translate(ok)


def in_set(values: Iterable[int]) -> bytes:
    return table({v: 1 for v in values})


def all_true(flags: list[bytes], count: int) -> bytes:
    """1 where every flag string has 1."""
    total = 0
    for f in flags:
        total += int.from_bytes(f, "big")
    return lanes(total, count, table({len(flags): 1}))
