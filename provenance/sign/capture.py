"""EXIF → capture facts.

Camera make, model, lens and capture time are what a client wants to read
("Captured with a BarCam BC-1 on 1 Nov 2026").  Location is personal data: it is
read only when the photographer opts in (``keep_location``), so by default it
never reaches a manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from provenance.models import CaptureFacts, DigitalSourceType, GeoLocation
from provenance.sanitize import clean_text

if TYPE_CHECKING:
    from PIL import Image

    from provenance.media import MediaType

# EXIF tag numbers (EXIF 2.32 / TIFF 6.0).
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_DATETIME = 0x0132
IFD_EXIF = 0x8769
IFD_GPS = 0x8825
TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME_ORIGINAL = 0x9011
TAG_LENS_MAKE = 0xA433
TAG_LENS_MODEL = 0xA434
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_ALT_REF, GPS_ALT = 1, 2, 3, 4, 5, 6


def exif_datetime_to_iso(value: str | None, offset: str | None = None) -> str | None:
    """'2026:11:01 09:30:00' (+ '+01:00') → '2026-11-01T09:30:00+01:00'; None if malformed."""
    if not value or len(value) < 19:
        return None
    date, _, time = value.strip().partition(" ")
    parts = date.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(time) < 8:
        return None
    iso = f"{parts[0]}-{parts[1]}-{parts[2]}T{time[:8]}"
    if offset and len(offset) == 6 and offset[0] in "+-":
        iso += offset
    return iso


def _rational(value: Any) -> float:
    return float(value)


def _dms(values: Any, ref: Any) -> float | None:
    try:
        deg, minutes, seconds = (_rational(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = deg + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref).strip().upper() in ("S", "W"):
        result = -result
    return round(result, 6)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return clean_text(value.strip("\x00 ") if isinstance(value, str) else value, max_length=120)


def capture_facts_from_image(
    img: Image.Image,
    *,
    source: DigitalSourceType | None = DigitalSourceType.DIGITAL_CAPTURE,
    keep_location: bool = False,
) -> CaptureFacts:
    """Read make/model/lens/capture time (and location only if asked) from an image's EXIF.

    The image only needs to be opened, not decoded.  Missing or malformed EXIF
    gives empty facts, never an error: plenty of honest photos carry none.
    """
    try:
        exif = img.getexif()
    except (OSError, ValueError, SyntaxError):
        exif = None
    if not exif:
        return CaptureFacts(source=source.value if source else None)
    try:
        sub = exif.get_ifd(IFD_EXIF)
    except (OSError, ValueError, KeyError):
        sub = {}
    gps: Mapping[int, Any] = {}
    if keep_location:
        try:
            gps = exif.get_ifd(IFD_GPS)
        except (OSError, ValueError, KeyError):
            gps = {}
    return capture_facts_from_tags(exif, sub, gps, source=source, keep_location=keep_location)


def _location(gps: Mapping[int, Any]) -> GeoLocation | None:
    if GPS_LAT not in gps or GPS_LON not in gps:
        return None
    lat = _dms(gps[GPS_LAT], gps.get(GPS_LAT_REF, "N"))
    lon = _dms(gps[GPS_LON], gps.get(GPS_LON_REF, "E"))
    alt = None
    if GPS_ALT in gps:
        try:
            alt = round(_rational(gps[GPS_ALT]), 2)
        except (TypeError, ValueError, ZeroDivisionError):
            alt = None
    if lat is None or lon is None:
        return None
    return GeoLocation(lat, lon, alt)


def capture_facts_from_tags(
    ifd0: Mapping[int, Any],
    exif: Mapping[int, Any],
    gps: Mapping[int, Any],
    *,
    source: DigitalSourceType | None = DigitalSourceType.DIGITAL_CAPTURE,
    keep_location: bool = False,
) -> CaptureFacts:
    """Capture facts from TIFF/EXIF tag maps (IFD0, Exif IFD, GPS IFD), as RAW files keep them.

    The same rules as :func:`capture_facts_from_image`: malformed values read as
    missing, and the location only when the photographer opts in.
    """
    location = _location(gps) if keep_location else None
    return CaptureFacts(
        source=source.value if source else None,
        make=_tag_text(ifd0.get(TAG_MAKE)),
        model=_tag_text(ifd0.get(TAG_MODEL)),
        lens=_tag_text(exif.get(TAG_LENS_MODEL)),
        taken_at=exif_datetime_to_iso(
            _tag_text(exif.get(TAG_DATETIME_ORIGINAL)) or _tag_text(ifd0.get(TAG_DATETIME)),
            _tag_text(exif.get(TAG_OFFSET_TIME_ORIGINAL)),
        ),
        location=location,
    )


def _tag_text(value: Any) -> str | None:
    """A text tag's value, or None when the file put something else there (hostile or odd)."""
    return _text(value) if isinstance(value, str | bytes) else None


def capture_facts_from_raw(
    data: bytes,
    kind: MediaType,
    *,
    source: DigitalSourceType | None = DigitalSourceType.DIGITAL_CAPTURE,
    keep_location: bool = False,
) -> CaptureFacts:
    """Camera facts from a camera RAW's own metadata (:mod:`provenance.raw`).

    A RAW whose structure cannot be parsed gives empty facts here; opening its
    picture reports the damage.
    """
    from provenance import raw

    try:
        contents = raw.read_raw(data, kind.label)
    except raw.RawFormatError:
        return CaptureFacts(source=source.value if source else None)
    return capture_facts_from_tags(
        contents.ifd0, contents.exif, contents.gps, source=source, keep_location=keep_location
    )
