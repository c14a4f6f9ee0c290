from provenance import media, samples
from provenance.sign.capture import capture_facts_from_image, exif_datetime_to_iso


def test_sniff_by_content_not_name() -> None:
    assert media.sniff(b"\xff\xd8\xff\xe0" + b"\0" * 60) is media.JPEG
    assert media.sniff(b"\x89PNG\r\n\x1a\n" + b"\0" * 56) is media.PNG
    assert media.sniff(b"RIFF\0\0\0\0WEBPVP8 ") is media.WEBP
    assert media.sniff(b"II*\x00" + b"\0" * 60) is media.TIFF
    assert media.sniff(b"II*\x00" + b"\0" * 60, name="x.DNG") is media.DNG
    assert media.sniff(b"\x00\x00\x00\x1cftypavif") is media.AVIF
    assert media.sniff(b"random bytes here") is None


def test_exif_datetime() -> None:
    assert exif_datetime_to_iso("2026:11:01 09:30:00", "+01:00") == "2026-11-01T09:30:00+01:00"
    assert exif_datetime_to_iso("2026:11:01 09:30:00") == "2026-11-01T09:30:00"
    assert exif_datetime_to_iso("garbage") is None


def test_capture_facts_leave_location_out_by_default() -> None:
    img = media.open_image(samples.sample_photo("JPEG", width=320, height=200))
    facts = capture_facts_from_image(img)
    assert (facts.make, facts.model, facts.lens) == ("BarCam", "BC-1", "BarCam 35mm f/1.8")
    assert facts.taken_at == "2026-11-01T09:30:00+01:00"
    assert facts.source == "digitalCapture"
    assert facts.location is None
    kept = capture_facts_from_image(img, keep_location=True)
    assert kept.location is not None
    assert abs(kept.location.latitude - 48.8584) < 0.001
    assert abs(kept.location.longitude - 2.2945) < 0.001


def test_capture_facts_for_each_format() -> None:
    for fmt in ("PNG", "WEBP", "TIFF"):
        img = media.open_image(samples.sample_photo(fmt, width=160, height=100))
        facts = capture_facts_from_image(img)
        assert facts.make == "BarCam", fmt
        assert facts.model == "BC-1", fmt


def test_decode_reduced_bounds_size() -> None:
    img = media.decode_reduced(samples.sample_photo("JPEG", width=2400, height=1600), 512)
    assert max(img.size) <= 512
    assert img.mode == "RGB"


def test_min_side_picks_the_coarsest_dct_scale_that_keeps_it() -> None:
    """2400x1600 with min_side 300 decodes at 1/8 (300x200); with 301 at 1/4 (600x400)."""
    data = samples.sample_photo("JPEG", width=2400, height=1600)
    assert media.decode_reduced(data, 1024, min_side=300).size == (300, 200)
    assert media.decode_reduced(data, 1024, min_side=301).size == (600, 400)
    # Never larger than max_side, whatever the scale was.
    assert media.decode_reduced(data, 500, min_side=301).size == (500, 333)


def test_pixel_bomb_refused_before_decoding() -> None:
    import io

    import pytest
    from PIL import Image

    from provenance.errors import InputError

    buffer = io.BytesIO()
    Image.new("L", (5000, 5000)).save(buffer, "PNG")
    with pytest.raises(InputError, match="too large"):
        media.open_image(buffer.getvalue(), max_pixels=1_000_000)
