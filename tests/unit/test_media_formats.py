"""Format recognition and decoding of HEIC/HEIF and camera RAW (media.sniff / open_image)."""

from __future__ import annotations

import pytest

from fixtures import raw as raw_fixtures
from provenance import media
from provenance.errors import InputError

EXPECTED = {
    "dng": media.DNG,
    "nef": media.NEF,
    "arw": media.ARW,
    "cr2": media.CR2,
    "orf": media.ORF,
    "rw2": media.RW2,
    "cr3": media.CR3,
    "raf": media.RAF,
}


@pytest.mark.parametrize("kind", raw_fixtures.FORMATS)
def test_raw_formats_are_recognised(kind: str) -> None:
    data = raw_fixtures.make_raw(kind)
    found = media.sniff(data[:64], name=f"CAPTURE.{kind.upper()}")
    assert found is EXPECTED[kind]
    assert found.raw
    # Only DNG can carry embedded credentials; the others are sidecar-only, as plain bytes to c2pa.
    assert found.sidecar_only == (kind != "dng")
    assert found.c2pa_mime == (found.mime if kind == "dng" else media.OCTET_STREAM)


def test_tiff_container_raws_need_their_name() -> None:
    data = raw_fixtures.make_raw("nef")
    assert media.sniff(data[:64]) is media.TIFF
    assert media.sniff(data[:64], name="x.nef") is media.NEF
    assert media.sniff(data[:64], name="x.ARW") is media.ARW
    # A marked container is recognised whatever its name says.
    assert media.sniff(raw_fixtures.make_raw("cr3")[:64], name="x.jpg") is media.CR3


@pytest.mark.parametrize("kind", raw_fixtures.FORMATS)
def test_raw_opens_as_its_embedded_preview(kind: str) -> None:
    img = media.decode_reduced(raw_fixtures.make_raw(kind), 1024, kind=EXPECTED[kind])
    assert img.size == (960, 640)
    assert img.mode == "RGB"


def test_raw_orientation_is_applied_to_the_preview() -> None:
    """A portrait RAW (Orientation 6) keeps its preview as the sensor lay: shown upright."""
    w = raw_fixtures.TiffWriter()
    preview = raw_fixtures._jpeg(raw_fixtures.scene(300, 200))
    at = w.blob(preview)
    data = w.finish(
        w.ifd(
            [
                (0x010F, raw_fixtures.ASCII, "SONY"),
                (0x0112, raw_fixtures.SHORT, 6),
                (0x0201, raw_fixtures.LONG, at),
                (0x0202, raw_fixtures.LONG, len(preview)),
            ]
        )
    )
    img = media.decode_reduced(data, 1024, kind=media.ARW)
    assert img.size == (200, 300)


def test_raw_without_any_preview_is_refused_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    w = raw_fixtures.TiffWriter()
    data = w.finish(w.ifd([(0x010F, raw_fixtures.ASCII, "NIKON CORPORATION")]))
    monkeypatch.setattr(media, "_decode_with_libraw", lambda data, max_pixels: None)
    with pytest.raises(InputError) as info:
        media.open_image(data, kind=media.NEF)
    assert "no embedded preview" in info.value.message
    assert "provenance[raw]" in (info.value.hint or "")


def test_broken_raw_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        media.open_image(b"\x00\x00\x00\x10ftypcrx \x00\x00\x00\x01", kind=media.CR3)
    assert "CR3" in info.value.message


def test_dng_without_preview_is_developed_by_libraw() -> None:
    """LibRaw (the optional rawpy) renders the sensor data when no JPEG preview is found."""
    pytest.importorskip("rawpy", reason="rawpy is the optional RAW decoder (in the test extra)")
    data = raw_fixtures.make_raw("dng", preview=False)
    img = media.decode_reduced(data, 1024, kind=media.DNG)
    # The fixture's mosaic is at half the scene's size and LibRaw decodes at half size again.
    assert img.size == (240, 160)


def test_undecodable_file_hint_names_exactly_the_decodable_formats() -> None:
    with pytest.raises(InputError) as info:
        media.open_image(b"GIF89a" + b"\x00" * 10)
    assert info.value.hint == f"Check that it is a complete {media.DECODABLE_TEXT} file."
    assert "HEIC/HEIF" in media.DECODABLE_TEXT and "camera RAW" in media.DECODABLE_TEXT
