"""CIDR arithmetic on plain strings: parse once, compare as integer ranges.

A malformed CIDR in an inventory must not stop a scan: it parses to ``None`` and then matches
nothing (no overlap, not internet).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

# (IP version, first address, last address): overlap tests become three integer comparisons.
Range = tuple[int, int, int]

# Address space that is never a source on the public internet. Anything not wholly inside one
# of these blocks counts as internet, incl. documentation ranges (TEST-NET): a rule opening a
# documentation range is treated like any other public range (conservative).
_INTERNAL_BLOCKS = (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
    "100.64.0.0/10",  # shared address space (CGNAT, cloud-internal ranges)
    "127.0.0.0/8", "169.254.0.0/16",  # loopback, link-local
    "fc00::/7", "fe80::/10", "::1/128",  # unique-local, link-local, loopback
)


@lru_cache(maxsize=1 << 16)
def _parse(text: str) -> Range | None:
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    if net.version == 6 and net.prefixlen >= 96:
        # ::ffff:a.b.c.d/n is an IPv4 range written in IPv6; compare it as IPv4.
        mapped = net.network_address.ipv4_mapped
        if mapped is not None:
            net = ipaddress.ip_network((mapped, net.prefixlen - 96), strict=False)
    return (net.version, int(net.network_address), int(net.broadcast_address))


def parse_cidr(text: object) -> Range | None:
    """The address range of a CIDR (a bare address is a /32 or /128); None if malformed."""
    if not isinstance(text, str) or not text.strip():
        return None
    return _parse(text)


def ranges_overlap(a: Range, b: Range) -> bool:
    return a[0] == b[0] and a[1] <= b[2] and b[1] <= a[2]


def _contains(outer: Range, inner: Range) -> bool:
    return outer[0] == inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]


_INTERNAL: tuple[Range, ...] = tuple(r for r in map(parse_cidr, _INTERNAL_BLOCKS) if r)


def is_internet_range(r: Range) -> bool:
    return not any(_contains(block, r) for block in _INTERNAL)


def cidr_overlaps(a: str, b: str) -> bool:
    """True when the two CIDRs share at least one address; False if either is malformed."""
    ra, rb = parse_cidr(a), parse_cidr(b)
    return ra is not None and rb is not None and ranges_overlap(ra, rb)


def is_internet_cidr(c: str) -> bool:
    """True when the CIDR reaches beyond private/loopback/link-local space (0.0.0.0/0, ::/0,
    any public range); False for internal ranges and for malformed strings."""
    r = parse_cidr(c)
    return r is not None and is_internet_range(r)
