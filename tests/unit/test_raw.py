"""Camera RAW parsing: tags and embedded previews of each container, and hostile bytes.

The files are the hand-built RAW-like samples of :mod:`fixtures.raw` (real
camera files cannot be made offline); each reproduces where its maker keeps
the tags and the preview.
"""

from __future__ import annotations

import random
import time

import pytest

from fixtures import raw as raw_fixtures
from provenance import raw
from provenance.raw import TAG_MAKE, TAG_MODEL
from tests.conftest import CONFORMANCE

LABELS = {kind: kind.upper() for kind in raw_fixtures.FORMATS}


@pytest.fixture(scope="module")
def samples() -> dict[str, bytes]:
    return {kind: raw_fixtures.make_raw(kind) for kind in raw_fixtures.FORMATS}


@pytest.mark.parametrize("kind", raw_fixtures.FORMATS)
def test_tags_and_preview_of_each_format(samples: dict[str, bytes], kind: str) -> None:
    data = samples[kind]
    contents = raw.read_raw(data, LABELS[kind])
    assert contents.ifd0[TAG_MAKE] == raw_fixtures.MAKES[kind]
    assert contents.ifd0[TAG_MODEL] == raw_fixtures.MODEL
    assert contents.exif[0x9003] == raw_fixtures.TAKEN_AT
    assert contents.exif[0xA434] == raw_fixtures.LENS
    assert contents.gps[2] == pytest.approx((45.0, 26.0, 26.88))
    # The largest preview comes first: the camera's full rendering, not the 160-px thumbnail.
    first = contents.previews[0]
    assert (first.width, first.height) == (960, 640)
    preview = contents.preview_bytes(data, max_pixels=10**7)
    assert preview is not None and preview.startswith(b"\xff\xd8")
    info = raw.jpeg_info(preview)
    assert info is not None and info.decodable and (info.width, info.height) == (960, 640)
    assert contents.is_dng == (kind == "dng")


def test_preview_over_the_pixel_limit_falls_back_to_a_smaller_one(
    samples: dict[str, bytes],
) -> None:
    contents = raw.read_raw(samples["arw"], "ARW")
    small = contents.preview_bytes(samples["arw"], max_pixels=100_000)
    assert small is not None
    info = raw.jpeg_info(small)
    assert info is not None and info.width <= 160
    assert contents.preview_bytes(samples["arw"], max_pixels=100) is None


def test_lossless_raw_strip_is_not_a_preview(samples: dict[str, bytes]) -> None:
    """CR2 keeps its sensor data as a lossless (SOF3) JPEG strip: never shown as a picture."""
    contents = raw.read_raw(samples["cr2"], "CR2")
    assert all(p.width in (960, 160) for p in contents.previews)
    stub = raw_fixtures._lossless_jpeg_stub(400, 300)
    info = raw.jpeg_info(stub)
    assert info is not None and not info.decodable


def test_conformance_dng_previews() -> None:
    path = CONFORMANCE / "files" / "c2pa-python" / "C.dng"
    if not path.exists():
        pytest.skip(f"{path} is not present (conformance files live beside the repository)")
    data = path.read_bytes()
    contents = raw.read_raw(data, "DNG")
    assert contents.is_dng
    assert (contents.previews[0].width, contents.previews[0].height) == (1024, 683)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("CR3", b"\x00\x00\x00\x10ftypcrx \x00\x00\x00\x01"),
        ("RAF", b"FUJIFILMCCD-RAW " + b"\x00" * 10),
        ("NEF", b"MM\x00*\x00\x00\x00\x08"),
        ("NEF", b"II*\x00\xff\xff\xff\x7f"),
        ("ORF", b"IIRO"),
    ],
)
def test_malformed_containers_raise_raw_format_error(kind: str, data: bytes) -> None:
    with pytest.raises(raw.RawFormatError):
        raw.read_raw(data, kind)


def test_ifd_cycle_ends() -> None:
    """An IFD whose next-IFD pointer points at itself is visited once."""
    w = raw_fixtures.TiffWriter()
    first = len(w.buf)
    w.ifd([(0x010F, raw_fixtures.ASCII, "Loop")], next_ifd=first)
    data = w.finish(first)
    contents = raw.read_raw(data, "NEF")
    assert contents.ifd0[TAG_MAKE] == "Loop"


def test_random_corruption_only_ever_raises_raw_format_error(samples: dict[str, bytes]) -> None:
    """Bytes flipped in headers and tables, and truncation: bounded, never another exception."""
    rng = random.Random(23)
    worst = 0.0
    for kind, base in samples.items():
        for _ in range(60):
            data = bytearray(base)
            for _ in range(rng.randint(1, 16)):
                limit = 4096 if rng.random() < 0.8 else len(data)
                data[rng.randrange(limit)] = rng.randrange(256)
            if rng.random() < 0.2:
                data = data[: rng.randrange(len(data))]
            start = time.perf_counter()
            try:
                contents = raw.read_raw(bytes(data), LABELS[kind])
            except raw.RawFormatError:
                pass
            else:
                for preview in contents.previews:
                    assert preview.offset + preview.length <= len(data)
            worst = max(worst, time.perf_counter() - start)
    # A bound that catches a runaway loop (a table walked forever), not a speed target:
    # each case takes milliseconds, and a loaded 2-core CI machine must not fail it.
    assert worst < 5.0
