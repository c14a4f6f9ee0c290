"""Structure-aware mutations of signed JPEG/PNG/WebP files, shared by the fuzz test and fuzz/run_long.py.

Each mutation is a small, replayable description (a tuple) so a crash can be
written down as a regression case: (op, a, b) applied by :func:`apply`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

Mutation = tuple[str, int, int]


def segments(data: bytes) -> list[tuple[int, int, int, int]]:
    """(start, end, length_offset, length_size) of the container's top-level segments."""
    out: list[tuple[int, int, int, int]] = []
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 4 <= len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if marker == 0xDA:  # start of scan: entropy-coded data follows
                break
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            out.append((i, min(len(data), i + 2 + length), i + 2, 2))
            i += 2 + length
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        i = 8
        while i + 8 <= len(data):
            length = struct.unpack(">I", data[i : i + 4])[0]
            end = min(len(data), i + 12 + length)
            out.append((i, end, i, 4))
            i = end
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        i = 12
        while i + 8 <= len(data):
            length = struct.unpack("<I", data[i + 4 : i + 8])[0]
            end = min(len(data), i + 8 + length + (length & 1))
            out.append((i, end, i + 4, 4))
            i = end
    # JUMBF boxes (the manifest store) inside whatever container: 4-byte BE length before the type.
    for tag in (b"jumb", b"jumd", b"cbor", b"json", b"bidb", b"uuid"):
        start = data.find(tag)
        while start >= 4 and len(out) < 400:
            length = struct.unpack(">I", data[start - 4 : start])[0]
            out.append((start - 4, min(len(data), start - 4 + max(length, 8)), start - 4, 4))
            start = data.find(tag, start + 4)
    return out


def _set_length(data: bytearray, offset: int, size: int, value: int) -> None:
    big = not (data[:4] == b"RIFF" and offset < len(data) and data[offset - 4 : offset].isalnum())
    fmt = (">" if big else "<") + ("H" if size == 2 else "I")
    value %= 1 << (8 * size)
    data[offset : offset + size] = struct.pack(fmt, value)


def apply(data: bytes, mutations: Sequence[Mutation]) -> bytes:
    """Apply mutations in order; indexes wrap around, so any ints are valid."""
    out = bytearray(data)
    for op, a, b in mutations:
        if not out:
            break
        segs = segments(bytes(out))
        if op == "truncate":
            del out[a % len(out) :]
        elif op == "flip":
            out[a % len(out)] ^= 1 << (b % 8)
        elif op == "byte":
            out[a % len(out)] = b % 256
        elif op in ("grow", "shrink", "length") and segs:
            _, _, offset, size = segs[a % len(segs)]
            current = int.from_bytes(out[offset : offset + size], "big")
            value = {"grow": current + (b % 4096) + 1, "shrink": current - (b % 4096) - 1}.get(
                op, b
            )
            _set_length(out, offset, size, value)
        elif op == "duplicate" and segs:
            start, end, _, _ = segs[a % len(segs)]
            out[end:end] = out[start:end]
        elif op == "drop" and segs:
            start, end, _, _ = segs[a % len(segs)]
            del out[start:end]
        elif op == "insert":
            out[a % len(out) : a % len(out)] = bytes([b % 256]) * (1 + b % 64)
    return bytes(out)


OPS = ("truncate", "flip", "byte", "grow", "shrink", "length", "duplicate", "drop", "insert")
