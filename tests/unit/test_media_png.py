"""PNG data re-chunked so that Pillow decodes it in one call (media._png_with_one_idat)."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from provenance import media


def _png(img: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", **params)
    return out.getvalue()


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, found = 8, []
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        found.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return found


def _noise(mode: str, size: tuple[int, int] = (400, 300)) -> Image.Image:
    rng = np.random.default_rng(3)
    if mode == "RGB":
        return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (size[1], size[0]), dtype=np.uint16))
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8)).convert(mode)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "I;16"])
def test_same_pixels_from_one_idat(mode: str) -> None:
    data = _png(_noise(mode), exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00")
    assert sum(kind == b"IDAT" for kind, _ in _chunks(data)) > 1
    rebuilt = media._png_with_one_idat(memoryview(data))
    assert rebuilt is not None
    kinds = [kind for kind, _ in _chunks(rebuilt)]
    assert kinds.count(b"IDAT") == 1 and kinds[-1] == b"IEND"
    for kind, body in _chunks(rebuilt):
        if kind == b"IDAT":
            crc = int.from_bytes(rebuilt[rebuilt.index(b"IDAT") + 4 + len(body) :][:4], "big")
            assert crc == zlib.crc32(b"IDAT" + body)
    original, single = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(rebuilt))
    assert single.mode == original.mode
    assert np.array_equal(np.asarray(original), np.asarray(single))


def test_reduce_image_gives_the_same_result_either_way() -> None:
    data = _png(_noise("RGB", (2100, 1400)))
    fast = media.reduce_image(media.open_image(data), 1024)
    slow_img = Image.open(io.BytesIO(data))
    slow_img.load()
    slow = media.reduce_image(slow_img, 1024)
    assert fast.size == slow.size == (1024, 683)
    assert np.array_equal(np.asarray(fast), np.asarray(slow))


def test_nothing_to_gain_or_unusual_data_is_left_to_pillow() -> None:
    small = _png(Image.new("RGB", (8, 8), "red"))
    assert media._png_with_one_idat(memoryview(small)) is None  # one IDAT already
    big = _png(_noise("RGB"))
    assert media._png_with_one_idat(memoryview(big[: len(big) // 2])) is None  # truncated
    assert media._png_with_one_idat(memoryview(b"\xff\xd8\xff\xe0" + big[4:])) is None
    frames = [_noise("RGB", (300, 200)), _noise("L", (300, 200)).convert("RGB")]
    animated = io.BytesIO()
    frames[0].save(animated, "PNG", save_all=True, append_images=frames[1:])
    assert media._png_with_one_idat(memoryview(animated.getvalue())) is None  # APNG


def test_damaged_image_data_is_still_reported() -> None:
    data = bytearray(_png(_noise("RGB")))
    second = [i for i in range(len(data)) if data[i : i + 4] == b"IDAT"][1]
    data[second + 40 : second + 400] = b"\x00" * 360  # corrupt the deflate stream
    with pytest.raises(media.InputError):
        media.reduce_image(media.open_image(bytes(data)), 256)
