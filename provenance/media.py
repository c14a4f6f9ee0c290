"""Image formats, bounded decoding and thumbnails.

Formats are recognised from the first bytes, never from the file name: a file's
name is the user's (or an attacker's) word, its magic number is what every
decoder will act on.  Decoding is bounded in bytes and pixels before any pixel
is touched (DESIGN.md: thumbnails and images can be decompression bombs), and
JPEGs use Pillow's draft mode so a 24 MP photo decodes at 1/8 scale when only a
thumbnail or a measurement copy is needed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from provenance.errors import InputError

if TYPE_CHECKING:
    from PIL import Image, ImageFile

#: Files larger than this are refused before reading (configurable per call).
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
#: Images with more pixels than this are refused before decoding.
DEFAULT_MAX_PIXELS = 200_000_000
#: Embedded thumbnails (ours and other people's) are bounded much tighter.
THUMBNAIL_MAX_PIXELS = 4_000_000
THUMBNAIL_MAX_BYTES = 8 * 1024 * 1024
#: Longest side of the thumbnails we embed.
THUMBNAIL_SIDE = 1024


@dataclass(frozen=True, slots=True)
class MediaType:
    """A format we can sign or read: its MIME type and the usual extension."""

    mime: str
    extension: str
    signable: bool = True


JPEG = MediaType("image/jpeg", ".jpg")
PNG = MediaType("image/png", ".png")
WEBP = MediaType("image/webp", ".webp")
TIFF = MediaType("image/tiff", ".tif")
HEIC = MediaType("image/heic", ".heic")
HEIF = MediaType("image/heif", ".heif")
AVIF = MediaType("image/avif", ".avif")
GIF = MediaType("image/gif", ".gif")
DNG = MediaType("image/x-adobe-dng", ".dng")
SVG = MediaType("image/svg+xml", ".svg", signable=False)
JXL = MediaType("image/jxl", ".jxl", signable=False)
C2PA_SIDECAR = MediaType("application/c2pa", ".c2pa", signable=False)


def sniff(head: bytes, *, name: str = "") -> MediaType | None:
    """Recognise a format from the first bytes of a file (at least 64 are best).

    ``name`` only separates TIFF from DNG, which share a container.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return DNG if name.lower().endswith(".dng") else TIFF
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return AVIF
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"):
            return HEIC
        if brand in (b"mif1", b"msf1"):
            return HEIF
        return None
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL "):
        return JXL
    stripped = head.lstrip()
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<svg"):
        return SVG
    return None


def _pil() -> type[Image.Image]:
    from PIL import Image

    # Pillow's own bomb guard raises only past 2x this; we check explicitly first.
    Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS
    return Image.Image


def open_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open image bytes lazily, refusing more than ``max_pixels`` before decoding.

    Raises :class:`InputError` for data Pillow cannot identify.
    """
    _pil()
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(
            "The file is not an image we can decode.",
            hint="Check that it is a complete JPEG, PNG, WebP or TIFF file.",
        ) from exc
    width, height = img.size
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise InputError(
            f"The image is too large to process safely ({width}x{height} pixels).",
            hint=f"The limit is {max_pixels:,} pixels.",
        )
    return img


def decode_reduced(
    data: bytes,
    max_side: int,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int | None = None,
) -> Image.Image:
    """Decode image bytes to RGB with the longer side at most ``max_side`` (see reduce_image)."""
    return reduce_image(open_image(data, max_pixels=max_pixels), max_side, min_side=min_side)


def reduce_image(img: Image.Image, max_side: int, *, min_side: int | None = None) -> Image.Image:
    """Decode an opened image to RGB with the longer side at most ``max_side``, cheaply.

    JPEGs decode with DCT scaling (draft mode): a 6000x4000 photo wanted at 1024
    decodes at 1500x1000 directly, which is most of the saving; ``reduce`` then
    box-filters by an integer factor.  With ``min_side`` the DCT scale is the
    coarsest one that keeps at least that many pixels on the longer side (the
    same photo with ``min_side=640`` decodes at 1/8, 750x500).

    The compressed data goes to the decoder in one call, which runs without the
    GIL: Pillow's default 64 KiB blocks retake the GIL ~160 times for a 24 MP
    JPEG, and with another thread busy each retake waits for a switch interval
    (measured: 0.95 s instead of 0.10 s).
    """
    from PIL import Image, ImageFile

    try:
        if img.format == "JPEG":
            # Ask for the size we will end with, not a square: draft picks the smallest
            # DCT scale that still covers the request in *both* dimensions, so
            # (1024, 1024) would decode a 6000x4000 photo at 1/2 instead of 1/4.
            width, height = img.size
            longest = max(width, height, 1)
            target = min(min_side, max_side) if min_side else max_side
            img.draft("RGB", (-(-width * target // longest), -(-height * target // longest)))
        source = getattr(img, "fp", None)
        if isinstance(img, ImageFile.ImageFile) and isinstance(source, io.BytesIO):
            if img.format == "PNG":
                img = _png_in_one_call(img, source)
            else:
                with source.getbuffer() as view:
                    img.decodermaxblock = max(img.decodermaxblock, view.nbytes)
        img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InputError(
            "The image data is damaged and cannot be decoded.",
            hint="Re-export the image from its original.",
        ) from exc
    if img.mode != "RGB":
        if "A" in img.mode or img.mode == "P":
            img = img.convert("RGBA")
        img = img.convert("RGB")
    longest = max(img.size)
    if longest > max_side:
        factor = longest // max_side
        if factor >= 2:
            img = img.reduce(factor)
        if max(img.size) > max_side:
            img.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return img


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_MAX_CHUNK = 2**31 - 1
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _png_in_one_call(img: ImageFile.ImageFile, source: io.BytesIO) -> ImageFile.ImageFile:
    """The same PNG pixels, opened so that Pillow inflates them in one GIL-free call.

    Pillow hands a PNG's data to the decoder one IDAT chunk at a time (usually
    8-64 KiB), retaking the GIL for each; while the key's PBKDF2 holds the GIL on
    the main thread the decode stalls (6 MP PNG: 0.22 s instead of 0.10 s,
    measured).  Here the chunks before the image data are kept verbatim and all
    IDAT payloads become one chunk (PNG spec 11.2.4: the image data is the
    concatenation of the IDAT contents).  Returns ``img`` unchanged when there
    is nothing to gain or anything is unusual (animated, malformed, one chunk):
    Pillow then decodes the original as usual and reports any damage itself.
    """
    from PIL import Image, ImageFile

    with source.getbuffer() as view:
        rebuilt = _png_with_one_idat(view)
    if rebuilt is None:
        return img
    try:
        single = Image.open(io.BytesIO(rebuilt), formats=("PNG",))
    except (OSError, ValueError, SyntaxError):
        return img
    if not isinstance(single, ImageFile.ImageFile) or (single.size, single.mode) != (
        img.size,
        img.mode,
    ):
        return img
    single.decodermaxblock = max(single.decodermaxblock, len(rebuilt))
    return single


def _png_with_one_idat(data: memoryview) -> bytes | None:
    """``data`` rebuilt as signature + chunks before IDAT + one IDAT + IEND, or None."""
    import zlib

    if bytes(data[:8]) != _PNG_SIGNATURE:
        return None
    pos = 8
    head_end = 0
    parts: list[memoryview] = []
    total = 0
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = bytes(data[pos + 4 : pos + 8])
        end = pos + 12 + length
        if length > _PNG_MAX_CHUNK or end > len(data):
            return None
        if kind == b"acTL":  # animated: frames are Pillow's business
            return None
        if kind == b"IDAT":
            if not parts:
                head_end = pos
            parts.append(data[pos + 8 : pos + 8 + length])
            total += length
        elif parts:
            break  # the image data has ended; what follows is metadata
        pos = end
    if len(parts) < 2 or total > _PNG_MAX_CHUNK:
        return None
    payload = b"".join(parts)
    crc = zlib.crc32(payload, zlib.crc32(b"IDAT"))
    return b"".join(
        (
            data[:head_end],
            total.to_bytes(4, "big"),
            b"IDAT",
            payload,
            crc.to_bytes(4, "big"),
            _PNG_IEND,
        )
    )


def make_thumbnail(img: Image.Image, *, side: int = THUMBNAIL_SIDE, quality: int = 80) -> bytes:
    """JPEG thumbnail bytes of an already reduced RGB image (longer side <= ``side``)."""
    from PIL import Image

    thumb = img
    if max(img.size) > side:
        thumb = img.copy()
        thumb.thumbnail((side, side), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=quality, optimize=False)
    return out.getvalue()


def decode_thumbnail(data: bytes, *, max_side: int = THUMBNAIL_SIDE) -> Image.Image | None:
    """Decode a thumbnail found in a manifest, or None when it is unsafe or broken.

    Thumbnails come from strangers' files: bounded in bytes and pixels first.
    """
    if len(data) > THUMBNAIL_MAX_BYTES:
        return None
    try:
        return decode_reduced(data, max_side, max_pixels=THUMBNAIL_MAX_PIXELS)
    except InputError:
        return None
