"""The few DER moves the signing module makes on bytes it already has (lengths, TLVs).

The CRL splice and the SM2 patches work on DER that cryptography produced: re-parsing it with a
full ASN.1 library costs more than the signature, and only top-level elements are touched.
"""

from __future__ import annotations


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(octets),)) + octets


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + length(len(content)) + content


def read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the DER element at ``pos``."""
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        return tag, pos, pos + first
    count = first & 0x7F
    size = int.from_bytes(data[pos : pos + count], "big")
    pos += count
    return tag, pos, pos + size


def children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """(tag, offset, end) of each element between ``start`` and ``end`` (one level)."""
    found = []
    pos = start
    while pos < end:
        tag, _, stop = read_tlv(data, pos)
        found.append((tag, pos, stop))
        pos = stop
    return found


def sequence_items(der: bytes) -> list[bytes]:
    """The encoded elements of the SEQUENCE ``der``."""
    _, start, end = read_tlv(der, 0)
    return [der[offset:stop] for _, offset, stop in children(der, start, end)]


def bit_string(content: bytes) -> bytes:
    return tlv(0x03, b"\x00" + content)
