"""The signer's certificate chain, read from a manifest store's bytes (standard library only).

c2pa-python 0.38.1 does not expose the signing certificate itself, but two trust
decisions need it: the Interim Trust List's *allowed list* of end-entity
certificates (``trust.allowed_list`` is ignored by c2pa-python 0.38.1, measured:
docs/trust.md) and the OCSP revocation check (``--check-revocation``).

The chain lives in the claim signature: a COSE_Sign1 structure (C2PA 2.x, 13.2
"Digital signatures") in the ``cbor`` box of the manifest's ``c2pa.signature``
JUMBF box (ISO/IEC 19566-5), under header label 33 (``x5chain``, RFC 9360), in
the protected or (older files) the unprotected header.  This module walks the
JUMBF boxes and decodes just enough CBOR to find it.  Everything here is hostile
input: sizes, depth and counts are bounded, and any malformation gives ``None``
(the caller then trusts nothing it could not check — fail closed).

No ``cryptography``, ``hashlib`` or ``struct`` import: a plain ``verify`` must stay fast
(tests/cli/test_startup.py; loading OpenSSL for hashlib alone costs several ms).
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator
from typing import Any

#: Bounds for hostile input.
MAX_DEPTH = 16
MAX_ITEMS = 4096
MAX_CHAIN = 16
X5CHAIN = 33


class _Malformed(Exception):
    pass


def _u(data: bytes, pos: int, size: int) -> int:
    if pos < 0 or pos + size > len(data):
        raise _Malformed
    return int.from_bytes(data[pos : pos + size], "big")


# --------------------------------------------------------------------- JUMBF


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box between start and end."""
    pos = start
    count = 0
    while pos + 8 <= end:
        count += 1
        if count > MAX_ITEMS:
            raise _Malformed
        size, kind = _u(data, pos, 4), data[pos + 4 : pos + 8]
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise _Malformed
            size = _u(data, pos + 8, 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise _Malformed
        yield kind, pos + header, pos + size
        pos += size


def _label(data: bytes, start: int, end: int) -> tuple[str | None, int]:
    """The label of a JUMBF superbox (from its ``jumd`` box) and where its content starts."""
    for kind, p0, p1 in _boxes(data, start, end):
        if kind != b"jumd" or p1 - p0 < 17:
            raise _Malformed
        toggles = data[p0 + 16]
        label = None
        if toggles & 0x02:
            stop = data.find(b"\x00", p0 + 17, p1)
            if stop < 0:
                raise _Malformed
            label = data[p0 + 17 : stop].decode("utf-8", "replace")
        return label, p1
    raise _Malformed


def _child(data: bytes, start: int, end: int, wanted: str | None) -> tuple[int, int] | None:
    """The content range of the child superbox labelled ``wanted`` (or the last one if None)."""
    found = None
    for kind, p0, p1 in _boxes(data, start, end):
        if kind != b"jumb":
            continue
        label, content = _label(data, p0, p1)
        if wanted is None or label == wanted:
            found = (content, p1)
            if wanted is not None:
                return found
    return found


def signature_bytes(store: bytes, manifest_label: str | None) -> bytes | None:
    """The COSE_Sign1 bytes of a manifest's claim signature (None when not found)."""
    try:
        top = next(_boxes(store, 0, len(store)), None)
        if top is None or top[0] != b"jumb":
            return None
        label, content = _label(store, top[1], top[2])
        if label != "c2pa":
            return None
        manifest = _child(store, content, top[2], manifest_label)
        if manifest is None:
            return None
        sig = _child(store, manifest[0], manifest[1], "c2pa.signature")
        if sig is None:
            return None
        for kind, p0, p1 in _boxes(store, sig[0], sig[1]):
            if kind == b"cbor":
                return store[p0:p1]
    except _Malformed:
        return None
    return None


# --------------------------------------------------------------------- CBOR


class _Cbor:
    """A bounded decoder for the CBOR subset COSE headers use (RFC 8949)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.items = 0

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _Malformed
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def _arg(self, info: int) -> int | None:
        if info < 24:
            return info
        if info == 24:
            return self._take(1)[0]
        if info in (25, 26, 27):
            return int.from_bytes(self._take(1 << (info - 24)), "big")
        if info == 31:
            return None  # indefinite length
        raise _Malformed

    def item(self, depth: int = 0) -> Any:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise _Malformed
        first = self._take(1)[0]
        major, info = first >> 5, first & 0x1F
        if major == 7:
            if info in (20, 21):
                return info == 21
            if info in (22, 23):
                return None
            if info in (25, 26, 27):
                self._take(1 << (info - 24))
                return 0.0  # floats are never part of a certificate chain
            if info == 31:
                raise _Malformed  # stray break
            if info == 24:
                self._take(1)
            return None
        arg = self._arg(info)
        if major == 0:
            return arg
        if major == 1:
            if arg is None:
                raise _Malformed
            return -1 - arg
        if major in (2, 3):
            if arg is None:
                chunks = []
                while self.data[self.pos : self.pos + 1] != b"\xff":
                    chunks.append(self.item(depth + 1))
                self._take(1)
                raw = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in chunks)
            else:
                raw = self._take(arg)
            return raw if major == 2 else raw.decode("utf-8", "replace")
        if major == 4:
            out: list[Any] = []
            while arg is None or len(out) < arg:
                if arg is None and self.data[self.pos : self.pos + 1] == b"\xff":
                    self._take(1)
                    break
                out.append(self.item(depth + 1))
                if len(out) > MAX_ITEMS:
                    raise _Malformed
            return out
        if major == 5:
            mapping: dict[Any, Any] = {}
            count = 0
            while arg is None or count < arg:
                if arg is None and self.data[self.pos : self.pos + 1] == b"\xff":
                    self._take(1)
                    break
                key = self.item(depth + 1)
                value = self.item(depth + 1)
                if isinstance(key, (int, str, bytes)):
                    mapping[key] = value
                count += 1
            return mapping
        if major == 6:
            return self.item(depth + 1)  # tags (COSE_Sign1 = 18) carry the value as-is
        raise _Malformed


def _decode(data: bytes) -> Any:
    return _Cbor(data).item()


def _x5chain(header: Any) -> list[bytes] | None:
    if not isinstance(header, dict):
        return None
    value = header.get(X5CHAIN, header.get("x5chain"))
    if isinstance(value, bytes):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, bytes) for v in value):
        return list(value[:MAX_CHAIN])
    return None


def chain_from_signature(cose: bytes) -> list[bytes] | None:
    """The DER certificates (leaf first) of a COSE_Sign1 claim signature, or None."""
    try:
        sign1 = _decode(cose)
        if not isinstance(sign1, list) or len(sign1) != 4:
            return None
        protected_raw, unprotected = sign1[0], sign1[1]
        protected = (
            _decode(protected_raw) if isinstance(protected_raw, bytes) and protected_raw else {}
        )
        return _x5chain(protected) or _x5chain(unprotected)
    except (_Malformed, RecursionError):
        return None


def signer_chain(store: bytes, manifest_label: str | None) -> list[bytes] | None:
    """The signer's chain (DER, leaf first) of one manifest of a store's JUMBF bytes."""
    cose = signature_bytes(store, manifest_label)
    return chain_from_signature(cose) if cose is not None else None


def certificate_hash(der: bytes) -> str:
    """Base64 of the SHA-256 of a DER certificate: the allowed list's key (c2pa-rs, Verify)."""
    return binascii.b2a_base64(_sha256(der), newline=False).decode("ascii")


def _sha256(data: bytes) -> bytes:
    # CPython's built-in SHA-256 (no OpenSSL load); hashlib where it is absent.
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # Python 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found]  # Python 3.12+
        except ImportError:
            from hashlib import sha256
    digest: bytes = sha256(data).digest()
    return digest
