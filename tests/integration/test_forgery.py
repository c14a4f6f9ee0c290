"""Forgery and tamper classes: a moved or altered manifest must never verify.

- detached-manifest forgery: the APP11 (JUMBF) segments of one signed JPEG spliced into another JPEG;
- data hash mismatch: one byte of image data changed after signing;
- signature bit flip: one bit of the COSE signature changed;
- assertion hash mismatch: an assertion's content changed (its hashed URI no longer matches);
- missing ingredient claim: the parent's manifest is no longer findable under its label.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from fixtures.generate import write_edited, write_photo
from provenance.models import Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of the segments before the scan."""
    out = []
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF and data[i + 1] != 0xDA:
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        out.append((data[i + 1], i, i + 2 + length))
        i += 2 + length
    return out


def _app11(data: bytes) -> bytes:
    return b"".join(data[s:e] for m, s, e in _jpeg_segments(data) if m == 0xEB)


def _without_app11(data: bytes) -> bytes:
    out = bytearray(data)
    for m, s, e in reversed(_jpeg_segments(data)):
        if m == 0xEB:
            del out[s:e]
    return bytes(out)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, dev_identity) -> dict[str, Path]:
    identity, root = dev_identity
    folder = tmp_path_factory.mktemp("forgery")
    capture = write_photo(folder, "jpeg", width=480, height=320)
    parent = folder / "parent.jpg"
    sign_image(SignRequest(source=capture, output=parent), identity)
    edited = write_edited(parent, folder)
    child = folder / "child.jpg"
    sign_image(SignRequest(source=edited, output=child, parent=parent), identity)
    other = write_photo(folder, "jpeg", name="other.jpg", width=480, height=320, seed=99)
    anchors = folder / "root.pem"
    anchors.write_bytes(root)
    return {"parent": parent, "child": child, "other": other, "root": anchors}


def _verify(path: Path, root: Path) -> object:
    return verify_file(path, VerifyOptions(trust_files=(root,), use_trust_store=False))


def _codes(report: object) -> set[str]:
    return {p.code for p in report.problems}  # type: ignore[attr-defined]


def test_baseline_chain_is_trusted(chain: dict[str, Path]) -> None:
    report = _verify(chain["child"], chain["root"])
    assert report.verdict is Verdict.TRUSTED  # type: ignore[attr-defined]
    # An ingredient's verdict may reflect the validation recorded when it was added.
    assert [h.verdict for h in report.history] in (  # type: ignore[attr-defined]
        [Verdict.TRUSTED],
        [Verdict.VALID_UNTRUSTED],
    )


def test_detached_manifest_spliced_into_another_jpeg(
    chain: dict[str, Path], tmp_path: Path
) -> None:
    signed = chain["parent"].read_bytes()
    other = _without_app11(chain["other"].read_bytes())
    forged = other[:2] + _app11(signed) + other[2:]
    path = tmp_path / "forged.jpg"
    path.write_bytes(forged)
    report = _verify(path, chain["root"])
    assert report.verdict is Verdict.INVALID  # type: ignore[attr-defined]
    assert "assertion.dataHash.mismatch" in _codes(report)
    # The signer's name may be shown, but never as trusted.
    assert report.signer is None or not report.signer.trusted  # type: ignore[attr-defined]


def test_detached_manifest_spliced_at_same_offset(chain: dict[str, Path], tmp_path: Path) -> None:
    """Splice where the original sat (after APP0/APP1), so offsets in the data hash line up."""
    signed = chain["parent"].read_bytes()
    segs = _jpeg_segments(signed)
    first = next(s for m, s, _ in segs if m == 0xEB)
    other = _without_app11(chain["other"].read_bytes())
    head = signed[:first]
    rest = other[len(_without_app11(signed)[:first]) :] if other[:first] == head else other[2:]
    forged = head + _app11(signed) + rest
    path = tmp_path / "forged2.jpg"
    path.write_bytes(forged)
    assert _verify(path, chain["root"]).verdict is Verdict.INVALID  # type: ignore[attr-defined]


def test_data_hash_mismatch(chain: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(chain["child"].read_bytes())
    data[-300] ^= 0x10
    path = tmp_path / "pixels.jpg"
    path.write_bytes(bytes(data))
    report = _verify(path, chain["root"])
    assert report.verdict is Verdict.INVALID  # type: ignore[attr-defined]
    assert "assertion.dataHash.mismatch" in _codes(report)


def _last_box_after(data: bytes, label: bytes, box: bytes) -> tuple[int, int]:
    """(start, end) of the first ``box`` JUMBF content box after the last ``label``."""
    at = data.rfind(label)
    assert at > 0, label
    pos = data.find(box, at)
    length = struct.unpack(">I", data[pos - 4 : pos])[0]
    return pos + 4, pos - 4 + length


def test_signature_bit_flip(chain: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(chain["child"].read_bytes())
    _, end = _last_box_after(bytes(data), b"c2pa.signature", b"cbor")
    data[end - 20] ^= 0x01  # inside the signature bytes at the end of COSE_Sign1
    path = tmp_path / "sig.jpg"
    path.write_bytes(bytes(data))
    report = _verify(path, chain["root"])
    assert report.verdict is Verdict.INVALID  # type: ignore[attr-defined]
    assert _codes(report) & {"claimSignature.mismatch", "general.error"}


def test_assertion_hash_mismatch(chain: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(chain["child"].read_bytes())
    at = data.rfind(b"c2pa.opened")  # only in the active manifest's actions assertion
    assert at > data.rfind(b"c2pa.actions.v2\x00")
    data[at + 5] = ord("O")  # "c2pa.Opened": same length, different bytes
    path = tmp_path / "assertion.jpg"
    path.write_bytes(bytes(data))
    report = _verify(path, chain["root"])
    assert report.verdict is Verdict.INVALID  # type: ignore[attr-defined]
    assert any("hashedURI.mismatch" in c for c in _codes(report)), _codes(report)


def test_missing_ingredient_claim(chain: dict[str, Path], tmp_path: Path) -> None:
    import re

    data = bytearray(chain["child"].read_bytes())
    labels = [m for m in re.finditer(rb"urn:c2pa:[0-9a-f-]{36}", bytes(data))]
    parent_label = labels[0].group()
    assert labels[-1].group() != parent_label
    pos = labels[0].start() + len(b"urn:c2pa:")
    data[pos] = ord("f") if data[pos] != ord("f") else ord("e")  # rename the parent's manifest box
    path = tmp_path / "ingredient.jpg"
    path.write_bytes(bytes(data))
    report = _verify(path, chain["root"])
    assert report.verdict is Verdict.INVALID  # type: ignore[attr-defined]
    assert all(h.verdict is not Verdict.TRUSTED for h in report.history)  # type: ignore[attr-defined]
