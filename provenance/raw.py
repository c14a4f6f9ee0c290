"""Camera RAW files: the camera facts they record and the picture they carry.

A RAW is the photographer's capture original.  Its bytes are never modified:
its Content Credentials go in a ``.c2pa`` sidecar beside it (C2PA 2.x, 11.3
"External manifests"), whose hard binding is a plain data hash of the whole
file.  What we need from the RAW itself is read here, in pure Python and
bounded, without decoding any sensor data:

- camera facts: the TIFF/EXIF tags (Make, Model, DateTimeOriginal, LensModel,
  optionally GPS) wherever the format keeps them;
- a picture: the largest embedded JPEG preview the camera rendered, which is
  what the thumbnail and the extent measurement of a development are made from.

Containers (see each parser):

- TIFF family: DNG, NEF, ARW, CR2, PEF (``II*\\0``/``MM\\0*``), ORF (``IIRO``/``IIRS``/
  ``MMOR``), RW2 (``IIU\\0``): IFD chains, SubIFDs, JPEGInterchangeFormat, JPEG strips,
  Panasonic's JpgFromRaw, the Olympus maker note's preview.
- CR3: ISO base media (ftyp ``crx``): the Canon ``uuid`` box holds the tags as four
  small TIFF blocks (CMT1 IFD0, CMT2 Exif, CMT4 GPS) and a thumbnail (THMB); a
  second ``uuid`` box holds a 1620-pixel preview (PRVW).
- RAF: Fujifilm's own header points at a full JPEG, which carries the EXIF.

Every offset comes from the file and is hostile: each read is checked against
the data, IFDs are visited once each, and counts are capped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: At most this many IFDs are visited in one file (cycles and bombs end here).
MAX_IFDS = 64
#: At most this many entries are read from one IFD.
MAX_ENTRIES = 1000
#: ASCII and UNDEFINED values longer than this are not read (tags we use are short).
MAX_VALUE_BYTES = 64 * 1024
#: ISO-BMFF boxes nested deeper than this are not entered.
MAX_BOX_DEPTH = 4

# TIFF 6.0 / EXIF 2.32 / DNG 1.6 tag numbers.
TAG_NEW_SUBFILE_TYPE = 0x00FE
TAG_WIDTH = 0x0100
TAG_HEIGHT = 0x0101
TAG_COMPRESSION = 0x0103
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_STRIP_OFFSETS = 0x0111
TAG_STRIP_BYTE_COUNTS = 0x0117
TAG_SUB_IFDS = 0x014A
TAG_JPEG_OFFSET = 0x0201
TAG_JPEG_LENGTH = 0x0202
TAG_EXIF_IFD = 0x8769
TAG_GPS_IFD = 0x8825
TAG_MAKER_NOTE = 0x927C
TAG_DNG_VERSION = 0xC612
#: Panasonic RW2: a complete JPEG (with its own EXIF) stored as one IFD0 value.
TAG_RW2_JPG_FROM_RAW = 0x002E
#: Olympus maker note: the CameraSettings sub-IFD and its preview tags.
TAG_OLYMPUS_CAMERA_SETTINGS = 0x2020
TAG_OLYMPUS_PREVIEW_START = 0x0101
TAG_OLYMPUS_PREVIEW_LENGTH = 0x0102

#: TIFF compression values whose strips may be a JPEG picture (old JPEG, JPEG, lossy DNG).
_JPEG_COMPRESSIONS = frozenset({6, 7, 34892})

# TIFF field types -> bytes per value.
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}

_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
_CANON_PREVIEW_UUID = bytes.fromhex("eaf42b5e1c984b88b9fbb7dc406e4d16")
_RAF_MAGIC = b"FUJIFILMCCD-RAW"


class RawFormatError(ValueError):
    """The file does not have the structure its format requires."""


@dataclass(frozen=True, slots=True)
class JpegInfo:
    """What a JPEG's header says: its size, and whether Pillow can decode it."""

    width: int
    height: int
    #: Baseline or progressive DCT, 8-bit, 1 or 3 components: a picture, not raw sensor data.
    decodable: bool
    #: The TIFF block of its APP1 "Exif" segment, when it has one.
    exif_tiff: bytes | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """An embedded picture: where it is, and its size from its own header."""

    offset: int
    length: int
    width: int
    height: int

    @property
    def pixels(self) -> int:
        """Pixel count, to choose the largest preview."""
        return self.width * self.height


@dataclass(frozen=True, slots=True)
class RawContents:
    """What a RAW file says about itself, before any sensor data is touched.

    The tag maps hold TIFF values as Python values: ``str`` for ASCII, ``int``
    or ``float`` for one number, tuples for several, ``bytes`` for UNDEFINED.
    """

    format: str
    ifd0: Mapping[int, Any] = field(default_factory=dict)
    exif: Mapping[int, Any] = field(default_factory=dict)
    gps: Mapping[int, Any] = field(default_factory=dict)
    #: Decodable JPEG previews, largest first.
    previews: tuple[Preview, ...] = ()
    #: True when the file carries DNG's version tag (a DNG whatever its name).
    is_dng: bool = False

    def preview_bytes(self, data: bytes, *, max_pixels: int) -> bytes | None:
        """The bytes of the largest preview with at most ``max_pixels`` pixels, or None."""
        for preview in self.previews:
            if preview.pixels <= max_pixels:
                return data[preview.offset : preview.offset + preview.length]
        return None


# ------------------------------------------------------------------- TIFF


class _Tiff:
    """A bounded reader of TIFF structures inside ``data`` (offsets relative to ``base``)."""

    def __init__(self, data: bytes, base: int = 0, *, order: str | None = None) -> None:
        self.data = data
        self.base = base
        if order is None:
            mark = data[base : base + 2]
            if mark == b"II":
                order = "<"
            elif mark == b"MM":
                order = ">"
            else:
                raise RawFormatError("not a TIFF structure")
        self.order = order
        self.seen: set[int] = set()

    def u16(self, pos: int) -> int:
        return int(struct.unpack_from(self.order + "H", self.data, pos)[0])

    def u32(self, pos: int) -> int:
        return int(struct.unpack_from(self.order + "I", self.data, pos)[0])

    def first_ifd(self) -> int:
        """Offset (relative to base) of IFD0 from a classic TIFF header."""
        if self.base + 8 > len(self.data):
            raise RawFormatError("truncated TIFF header")
        return self.u32(self.base + 4)

    def ifd(self, offset: int) -> tuple[dict[int, Any], int]:
        """Entries of the IFD at ``offset`` (relative) and the next IFD's offset (0: none).

        An IFD already visited, or one past the visit limit, reads as empty.
        """
        pos = self.base + offset
        if offset <= 0 or pos in self.seen or len(self.seen) >= MAX_IFDS:
            return {}, 0
        if pos + 2 > len(self.data):
            return {}, 0
        self.seen.add(pos)
        count = self.u16(pos)
        entries: dict[int, Any] = {}
        for index in range(min(count, MAX_ENTRIES)):
            entry = pos + 2 + 12 * index
            if entry + 12 > len(self.data):
                break
            tag = self.u16(entry)
            value = self._value(entry)
            if value is not None and tag not in entries:
                entries[tag] = value
        end = pos + 2 + 12 * count
        following = self.u32(end) if end + 4 <= len(self.data) else 0
        return entries, following

    def _value(self, entry: int) -> Any:
        kind = self.u16(entry + 2)
        count = self.u32(entry + 4)
        size = _TYPE_SIZES.get(kind)
        if size is None or count == 0:
            return None
        total = size * count
        if total > MAX_VALUE_BYTES:
            return None
        start = entry + 8 if total <= 4 else self.base + self.u32(entry + 8)
        if start < 0 or start + total > len(self.data):
            return None
        raw = self.data[start : start + total]
        if kind == 2:
            return raw.split(b"\x00", 1)[0].decode("utf-8", "replace")
        if kind in (1, 7):
            return bytes(raw) if kind == 7 or count > 4 else _one(tuple(raw))
        if kind == 6:
            return _one(struct.unpack(f"{self.order}{count}b", raw))
        if kind in (3, 8):
            code = "H" if kind == 3 else "h"
            return _one(struct.unpack(f"{self.order}{count}{code}", raw))
        if kind in (4, 9, 13):
            code = "i" if kind == 9 else "I"
            return _one(struct.unpack(f"{self.order}{count}{code}", raw))
        if kind in (5, 10):
            code = "I" if kind == 5 else "i"
            parts = struct.unpack(f"{self.order}{2 * count}{code}", raw)
            values = tuple(
                parts[i] / parts[i + 1] if parts[i + 1] else float("nan")
                for i in range(0, len(parts), 2)
            )
            return _one(values)
        code = "f" if kind == 11 else "d"
        return _one(struct.unpack(f"{self.order}{count}{code}", raw))


def _one(values: tuple[Any, ...]) -> Any:
    return values[0] if len(values) == 1 else values


def _ints(value: Any) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,)
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return value
    return ()


def _offset(value: Any) -> int | None:
    found = _ints(value)
    return found[0] if len(found) == 1 else None


# ------------------------------------------------------------------- JPEG


def jpeg_info(data: bytes, start: int = 0, end: int | None = None) -> JpegInfo | None:
    """Read a JPEG's markers up to its frame header: size, decodability, EXIF block.

    None when ``data[start:end]`` does not begin like a JPEG or has no frame header.
    """
    stop = len(data) if end is None else min(end, len(data))
    if data[start : start + 2] != b"\xff\xd8":
        return None
    pos = start + 2
    exif: bytes | None = None
    for _ in range(256):
        while pos < stop and data[pos] == 0xFF and pos + 1 < stop and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 4 > stop or data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > stop:
            return None
        segment = data[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and exif is None and segment.startswith(b"Exif\x00\x00"):
            exif = bytes(segment[6:])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if len(segment) < 6:
                return None
            precision = segment[0]
            height = int.from_bytes(segment[1:3], "big")
            width = int.from_bytes(segment[3:5], "big")
            components = segment[5]
            decodable = marker in (0xC0, 0xC1, 0xC2) and precision == 8 and components in (1, 3)
            if width == 0 or height == 0:
                return None
            return JpegInfo(width, height, decodable, exif)
        if marker == 0xDA:  # start of scan before any frame header
            return None
        pos += 2 + length
    return None


def _preview(data: bytes, offset: int | None, length: int | None) -> Preview | None:
    if offset is None or length is None or offset <= 0 or length <= 4:
        return None
    if offset + length > len(data):
        return None
    info = jpeg_info(data, offset, offset + length)
    if info is None or not info.decodable:
        return None
    return Preview(offset, length, info.width, info.height)


# ------------------------------------------------------------------- readers


def read_raw(data: bytes, format_name: str) -> RawContents:
    """Parse a RAW file's tags and previews; ``format_name`` as media.sniff recognised it.

    Raises :class:`RawFormatError` when the container is not what it claims to be.
    """
    try:
        if format_name == "CR3":
            contents = _read_cr3(data)
        elif format_name == "RAF":
            contents = _read_raf(data)
        else:
            contents = _read_tiff_family(data, format_name)
    except (struct.error, IndexError, OverflowError) as exc:
        # Every read is bounds-checked; this is the net under a structure we did not foresee.
        raise RawFormatError("malformed RAW structure") from exc
    if contents.ifd0.get(TAG_MAKE) and contents.exif:
        return contents
    # Some cameras keep the tags only in the preview's EXIF (RAF, RW2's JpgFromRaw):
    # fill in what the container lacks, never overriding what it says.
    for preview in contents.previews:
        info = jpeg_info(data, preview.offset, preview.offset + preview.length)
        if info is None or not info.exif_tiff:
            continue
        ifd0, exif, gps = _tags_from_tiff_block(info.exif_tiff)
        if not ifd0 and not exif:
            continue
        return RawContents(
            contents.format,
            {**ifd0, **contents.ifd0},
            {**exif, **contents.exif},
            {**gps, **contents.gps},
            contents.previews,
            contents.is_dng,
        )
    return contents


def _tags_from_tiff_block(block: bytes) -> tuple[dict[int, Any], dict[int, Any], dict[int, Any]]:
    """IFD0, Exif and GPS tags of a standalone TIFF block (EXIF APP1, CR3 CMTn)."""
    try:
        tiff = _Tiff(block)
        ifd0, _ = tiff.ifd(tiff.first_ifd())
        exif, _ = tiff.ifd(_offset(ifd0.get(TAG_EXIF_IFD)) or 0)
        gps, _ = tiff.ifd(_offset(ifd0.get(TAG_GPS_IFD)) or 0)
    except (RawFormatError, struct.error):
        return {}, {}, {}
    return ifd0, exif, gps


def _read_tiff_family(data: bytes, format_name: str) -> RawContents:
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or len(data) < 8:
        raise RawFormatError("not a TIFF-based RAW file")
    tiff = _Tiff(data, 0, order=order)
    try:
        first = tiff.first_ifd()
        ifd0, following = tiff.ifd(first)
    except struct.error as exc:
        raise RawFormatError("truncated TIFF structure") from exc
    if not ifd0:
        raise RawFormatError("the first IFD is missing")
    previews: list[Preview] = []
    # IFD0, then its chain (IFD1, IFD2, ...) and every SubIFD (one level, as DNG and NEF use).
    ifds = [ifd0]
    for _ in range(MAX_IFDS):
        if not following:
            break
        entries, following = tiff.ifd(following)
        if entries:
            ifds.append(entries)
    for entries in list(ifds):
        for sub in _ints(entries.get(TAG_SUB_IFDS)):
            sub_entries, _ = tiff.ifd(sub)
            if sub_entries:
                ifds.append(sub_entries)
    for entries in ifds:
        previews.extend(_previews_of_ifd(data, entries))
    previews.extend(_rw2_jpg_from_raw(data, tiff, first))
    exif, _ = tiff.ifd(_offset(ifd0.get(TAG_EXIF_IFD)) or 0)
    gps, _ = tiff.ifd(_offset(ifd0.get(TAG_GPS_IFD)) or 0)
    if format_name == "ORF":
        previews.extend(_olympus_preview(data, tiff))
    unique = {(p.offset, p.length): p for p in previews if p is not None}
    ordered = sorted(unique.values(), key=lambda p: p.pixels, reverse=True)
    return RawContents(
        format_name,
        ifd0,
        exif,
        gps,
        tuple(ordered),
        is_dng=TAG_DNG_VERSION in ifd0,
    )


def _previews_of_ifd(data: bytes, entries: Mapping[int, Any]) -> Iterator[Preview]:
    found = _preview(
        data, _offset(entries.get(TAG_JPEG_OFFSET)), _offset(entries.get(TAG_JPEG_LENGTH))
    )
    if found is not None:
        yield found
    compression = _offset(entries.get(TAG_COMPRESSION))
    if compression in _JPEG_COMPRESSIONS:
        offsets = _ints(entries.get(TAG_STRIP_OFFSETS))
        counts = _ints(entries.get(TAG_STRIP_BYTE_COUNTS))
        if len(offsets) == 1 and len(counts) == 1:
            strip = _preview(data, offsets[0], counts[0])
            if strip is not None:
                yield strip


def _rw2_jpg_from_raw(data: bytes, tiff: _Tiff, first: int) -> Iterator[Preview]:
    """Panasonic's JpgFromRaw (tag 0x2E, UNDEFINED): located from its IFD0 entry."""
    pos = first
    if pos + 2 > len(data):
        return
    count = tiff.u16(pos)
    for index in range(min(count, MAX_ENTRIES)):
        entry = pos + 2 + 12 * index
        if entry + 12 > len(data):
            return
        if tiff.u16(entry) == TAG_RW2_JPG_FROM_RAW and tiff.u16(entry + 2) == 7:
            found = _preview(data, tiff.u32(entry + 8), tiff.u32(entry + 4))
            if found is not None:
                yield found
            return


def _olympus_preview(data: bytes, tiff: _Tiff) -> Iterator[Preview]:
    """The preview in an Olympus maker note ("OLYMPUS\\0II\\3\\0"; offsets from the note's start)."""
    start = _maker_note_offset(data, tiff)
    if start is None or data[start : start + 8] != b"OLYMPUS\x00":
        return
    try:
        note = _Tiff(data, start + 8)
        note.base = start  # offsets are relative to the start of the maker note
        entries, _ = note.ifd(12)
        settings_offset = _offset(entries.get(TAG_OLYMPUS_CAMERA_SETTINGS))
        if settings_offset is None:
            return
        settings, _ = note.ifd(settings_offset)
    except (RawFormatError, struct.error):
        return
    begin = _offset(settings.get(TAG_OLYMPUS_PREVIEW_START))
    length = _offset(settings.get(TAG_OLYMPUS_PREVIEW_LENGTH))
    if begin is not None and length is not None:
        found = _preview(data, start + begin, length)
        if found is not None:
            yield found


def _maker_note_offset(data: bytes, tiff: _Tiff) -> int | None:
    """Absolute offset of the MakerNote value, found from the Exif IFD's raw entry."""
    ifd0_pos = tiff.first_ifd()
    exif_pos: int | None = None
    for tag, kind, _count, value_pos in _raw_entries(data, tiff, ifd0_pos):
        if tag == TAG_EXIF_IFD and kind in (4, 13):
            exif_pos = tiff.u32(value_pos)
    if exif_pos is None:
        return None
    for tag, _kind, count, value_pos in _raw_entries(data, tiff, exif_pos):
        if tag == TAG_MAKER_NOTE and count > 4:
            return tiff.u32(value_pos)
    return None


def _raw_entries(data: bytes, tiff: _Tiff, pos: int) -> Iterator[tuple[int, int, int, int]]:
    if pos <= 0 or pos + 2 > len(data):
        return
    count = tiff.u16(pos)
    for index in range(min(count, MAX_ENTRIES)):
        entry = pos + 2 + 12 * index
        if entry + 12 > len(data):
            return
        yield tiff.u16(entry), tiff.u16(entry + 2), tiff.u32(entry + 4), entry + 8


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes in ``data[start:end]``.

    A ``uuid`` box's type is its 16-byte user type.
    """
    pos = start
    while pos + 8 <= end:
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        if kind == b"uuid":
            if header + 16 > size:
                return
            kind = data[pos + header : pos + header + 16]
            header += 16
        yield bytes(kind), pos + header, pos + size
        pos += size


def _read_cr3(data: bytes) -> RawContents:
    """Canon CR3 (ISO base media, brand ``crx``): tags in CMT1/2/4, previews THMB and PRVW."""
    if data[4:12] != b"ftypcrx ":
        raise RawFormatError("not a CR3 file")
    ifd0: dict[int, Any] = {}
    exif: dict[int, Any] = {}
    gps: dict[int, Any] = {}
    previews: list[Preview] = []
    for kind, begin, end in _boxes(data, 0, len(data)):
        if kind == b"moov":
            for inner, ibegin, iend in _boxes(data, begin, end):
                if inner != _CANON_UUID:
                    continue
                for box, bbegin, bend in _boxes(data, ibegin, iend):
                    block = data[bbegin:bend]
                    if box == b"CMT1":
                        ifd0 = _tags_from_tiff_block(block)[0]
                    elif box == b"CMT2":
                        exif = _tags_from_tiff_block(block)[0]
                    elif box == b"CMT4":
                        gps = _tags_from_tiff_block(block)[0]
                    elif box == b"THMB":
                        previews.extend(_embedded_jpeg(data, bbegin, bend))
        elif kind == _CANON_PREVIEW_UUID:
            for box, bbegin, bend in _boxes(data, begin + 8, end):
                if box == b"PRVW":
                    previews.extend(_embedded_jpeg(data, bbegin, bend))
    if not ifd0 and not previews:
        raise RawFormatError("the CR3 file has no Canon metadata box")
    ordered = sorted(previews, key=lambda p: p.pixels, reverse=True)
    return RawContents("CR3", ifd0, exif, gps, tuple(ordered))


def _embedded_jpeg(data: bytes, begin: int, end: int) -> Iterator[Preview]:
    """A JPEG that starts within the first bytes of a box's payload (after a small header)."""
    soi = data.find(b"\xff\xd8\xff", begin, min(end, begin + 64))
    if soi >= 0:
        found = _preview(data, soi, end - soi)
        if found is not None:
            yield found


def _read_raf(data: bytes) -> RawContents:
    """Fujifilm RAF: a big-endian header whose bytes 84-91 locate a full JPEG (with EXIF)."""
    if not data.startswith(_RAF_MAGIC) or len(data) < 100:
        raise RawFormatError("not a RAF file")
    offset = int.from_bytes(data[84:88], "big")
    length = int.from_bytes(data[88:92], "big")
    found = _preview(data, offset, length)
    model = data[28:60].split(b"\x00", 1)[0].decode("ascii", "replace").strip()
    ifd0: dict[int, Any] = {TAG_MODEL: model} if model else {}
    if found is None:
        return RawContents("RAF", ifd0)
    info = jpeg_info(data, found.offset, found.offset + found.length)
    if info is not None and info.exif_tiff:
        tags0, exif, gps = _tags_from_tiff_block(info.exif_tiff)
        if tags0:
            return RawContents("RAF", tags0, exif, gps, (found,))
    return RawContents("RAF", ifd0, {}, {}, (found,))
