"""Limits: input size, pixel count, thumbnail bombs, and time per file."""

from __future__ import annotations

import functools
import struct
import time
import zlib
from pathlib import Path

import pytest

from fixtures.generate import write_photo
from provenance import media
from provenance.errors import InputError
from provenance.models import Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file


@functools.lru_cache(maxsize=2)
def _png_bomb(side: int = 5_000) -> bytes:
    """A tiny PNG that claims side x side pixels (grey), compressing to a few KB."""
    raw = zlib.compress(b"".join(b"\x00" + b"\x00" * side for _ in range(side)), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_oversize_input_is_unreadable_without_reading(tmp_path: Path) -> None:
    photo = write_photo(tmp_path, "jpeg", width=200, height=100)
    report = verify_file(photo, VerifyOptions(use_trust_store=False, max_bytes=1000))
    assert report.verdict is Verdict.UNREADABLE
    assert report.problems[0].code == "provenance.tooLarge"


def test_sign_refuses_too_many_pixels(tmp_path: Path, dev_identity) -> None:
    identity, _ = dev_identity
    photo = write_photo(tmp_path, "jpeg", width=400, height=300)
    with pytest.raises(InputError):
        sign_image(
            SignRequest(source=photo, output=tmp_path / "o.jpg", max_pixels=100_000), identity
        )
    with pytest.raises(InputError):
        sign_image(SignRequest(source=photo, output=tmp_path / "o.jpg", max_bytes=100), identity)
    assert not (tmp_path / "o.jpg").exists()


def test_thumbnail_bomb_is_refused_before_decoding() -> None:
    bomb = _png_bomb()
    assert len(bomb) < 200_000
    start = time.monotonic()
    assert media.decode_thumbnail(bomb) is None
    # Decoding the bomb would take far longer; the bound is loose for a loaded CI machine.
    assert time.monotonic() - start < 3.0


def test_image_bomb_refused_by_open_image() -> None:
    with pytest.raises(InputError):
        media.open_image(_png_bomb(), max_pixels=1_000_000)


def test_hostile_file_time_is_bounded(tmp_path: Path, dev_identity) -> None:
    """A signed file with a huge, garbage-filled APP11 tail still verifies quickly."""
    identity, _ = dev_identity
    photo = write_photo(tmp_path, "jpeg", width=300, height=200)
    out = tmp_path / "s.jpg"
    sign_image(SignRequest(source=photo, output=out), identity)
    data = out.read_bytes()
    junk = b"".join(
        b"\xff\xeb" + struct.pack(">H", 65535) + b"JP" + bytes(65531) for _ in range(150)
    )
    path = tmp_path / "junk.jpg"
    path.write_bytes(data[:2] + junk + data[2:])
    start = time.monotonic()
    report = verify_file(path, VerifyOptions(use_trust_store=False))
    assert time.monotonic() - start < 5
    assert report.verdict in (Verdict.INVALID, Verdict.VALID_UNTRUSTED, Verdict.UNREADABLE)
