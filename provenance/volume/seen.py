"""A compact set of input keys: 16 bytes per entry instead of a Python string per path.

``check`` must not hold a list of a million paths on the client, yet it needs to
know two things about every input it streams past: was it already listed (a file
named twice, a folder and a file inside it), and is it already in the results
file of an interrupted run (``--resume``)?  Both are set-membership questions.
This set keeps a 128-bit BLAKE2b digest of each key in sorted NumPy blocks, so
the sorted part of 100,000 inputs is 1.6 MB and of a million 16 MB, with no
per-entry Python object.  New keys go into a small Python set (up to an eighth
of the sorted block, ~100 bytes a key) that is merged into the sorted block when
it fills (a log-structured merge, amortised O(log n) per key).  Measured in
benchmarks/volume_bench.py's terms, the process grows by about 3.3 MiB per
100,000 keys (RSS, the buffer and the allocator's slack included): this set is
the one part of a ``check`` client that grows with the number of inputs, and it
must, to drop duplicates and to ``--resume``.

A 128-bit digest makes an accidental collision (two different paths treated as
one) vanishingly unlikely: about 1e-20 for a billion entries.
"""

from __future__ import annotations

import hashlib

import numpy as np

_DIGEST_BYTES = 16
_BUFFER_LIMIT = 4096


def key_digest(key: str) -> bytes:
    """The 16-byte digest that stands for ``key``."""
    data = key.encode("utf-8", "surrogateescape")
    return hashlib.blake2b(data, digest_size=_DIGEST_BYTES).digest()


class DigestSet:
    """Membership of strings by digest, in about 16 bytes per entry."""

    __slots__ = ("_buffer", "_sorted")

    def __init__(self) -> None:
        self._sorted = np.empty(0, dtype=f"S{_DIGEST_BYTES}")
        self._buffer: set[bytes] = set()

    def __len__(self) -> int:
        return int(self._sorted.size) + len(self._buffer)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        return self._has(key_digest(key))

    def _has(self, digest: bytes) -> bool:
        if digest in self._buffer:
            return True
        if not self._sorted.size:
            return False
        # NumPy "S" values drop trailing NUL bytes; compare the same way on both sides.
        probe = np.array([digest], dtype=self._sorted.dtype)
        at = int(np.searchsorted(self._sorted, probe[0]))
        return at < self._sorted.size and bool(self._sorted[at] == probe[0])

    def add(self, key: str) -> bool:
        """Add ``key``; True when it was new."""
        digest = key_digest(key)
        if self._has(digest):
            return False
        self._buffer.add(digest)
        if len(self._buffer) >= max(_BUFFER_LIMIT, self._sorted.size // 8):
            self._merge()
        return True

    def _merge(self) -> None:
        fresh = np.array(sorted(self._buffer), dtype=self._sorted.dtype)
        self._sorted = np.concatenate((self._sorted, fresh))
        self._sorted.sort(kind="stable")
        self._buffer.clear()

    @property
    def nbytes(self) -> int:
        """Approximate memory held, for the benchmark's accounting."""
        return int(self._sorted.nbytes) + len(self._buffer) * 80
