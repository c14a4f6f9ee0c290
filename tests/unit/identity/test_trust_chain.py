"""The signer chain from manifest-store bytes: JUMBF walk and bounded CBOR (hostile input)."""

from __future__ import annotations

import random

import pytest

from provenance.identity.trust_chain import (
    certificate_hash,
    chain_from_signature,
    signature_bytes,
    signer_chain,
)


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(value: object) -> bytes:
    """A tiny CBOR encoder for the test data (ints, bytes, text, lists, dicts, None)."""
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(value)


def box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def jumb(label: str, *children: bytes) -> bytes:
    jumd = box(b"jumd", b"\x00" * 16 + b"\x03" + label.encode() + b"\x00")
    return box(b"jumb", jumd + b"".join(children))


LEAF = b"\x30\x82\x01\x00" + b"L" * 60
INTERMEDIATE = b"\x30\x82\x01\x00" + b"I" * 60


def store(cose: bytes, label: str = "urn:c2pa:test") -> bytes:
    signature = jumb("c2pa.signature", box(b"cbor", cose))
    manifest = jumb(label, jumb("c2pa.assertions"), jumb("c2pa.claim.v2"), signature)
    return jumb("c2pa", jumb("urn:c2pa:older", jumb("c2pa.signature")), manifest)


def sign1(protected: dict[object, object], unprotected: dict[object, object]) -> bytes:
    # Tag 18 (COSE_Sign1), as c2pa writes it.
    return b"\xd2" + cbor([cbor(protected), unprotected, None, b"sig"])


def test_chain_in_protected_header() -> None:
    data = store(sign1({1: -7, 33: [LEAF, INTERMEDIATE]}, {"pad": b"\x00" * 500}))
    assert signer_chain(data, "urn:c2pa:test") == [LEAF, INTERMEDIATE]


def test_chain_in_unprotected_header_and_single_certificate() -> None:
    data = store(sign1({1: -7}, {33: LEAF}))
    assert signer_chain(data, "urn:c2pa:test") == [LEAF]
    legacy = store(sign1({1: -7}, {"x5chain": [LEAF]}))
    assert signer_chain(legacy, "urn:c2pa:test") == [LEAF]


def test_wrong_label_or_no_chain_gives_none() -> None:
    data = store(sign1({1: -7, 33: [LEAF]}, {}))
    assert signer_chain(data, "urn:c2pa:other") is None
    assert signer_chain(store(sign1({1: -7}, {})), "urn:c2pa:test") is None
    assert signer_chain(b"", "x") is None
    assert signer_chain(box(b"jumb", b""), "x") is None
    assert chain_from_signature(cbor([1, 2, 3])) is None


def test_large_box_size_form() -> None:
    inner = store(sign1({33: [LEAF]}, {}))
    # Re-wrap the top box with the 64-bit size form.
    payload = inner[8:]
    wrapped = (1).to_bytes(4, "big") + b"jumb" + (16 + len(payload)).to_bytes(8, "big") + payload
    assert signer_chain(wrapped, "urn:c2pa:test") == [LEAF]


def test_hostile_bytes_never_raise() -> None:
    good = store(sign1({1: -7, 33: [LEAF, INTERMEDIATE]}, {"pad": b"\x00" * 100}))
    rng = random.Random(15)
    for _ in range(400):
        data = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        cut = bytes(data[: rng.randrange(len(data) + 1)])
        for sample in (bytes(data), cut):
            result = signer_chain(sample, "urn:c2pa:test")
            assert result is None or all(isinstance(c, bytes) for c in result)


@pytest.mark.parametrize(
    "cose",
    [
        b"\x9f" * 5000,  # deep indefinite arrays
        b"\x5b" + b"\xff" * 8,  # a byte string claiming 2**64 bytes
        b"\xbf" + b"\x01" * 10,  # indefinite map without a break
        b"\xd2\x84\x43\xa1\x18\x21",  # truncated protected header
    ],
)
def test_malformed_cbor(cose: bytes) -> None:
    assert chain_from_signature(cose) is None
    assert signer_chain(store(cose), "urn:c2pa:test") is None


def test_signature_bytes_and_hash() -> None:
    cose = sign1({33: [LEAF]}, {})
    assert signature_bytes(store(cose), "urn:c2pa:test") == cose
    # The allowed list's key: base64 of SHA-256 of the DER (44 characters).
    import base64
    import hashlib

    assert certificate_hash(LEAF) == base64.b64encode(hashlib.sha256(LEAF).digest()).decode()
