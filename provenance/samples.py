"""Photo-like sample images with real EXIF, for the demo and the test fixtures.

They are generated, not shipped: smooth sky/ground gradients, texture and noise,
so that compression, tone normalisation and change measurement behave as they
do on photographs (flat colour fields would make every test trivially pass).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True, slots=True)
class CameraFacts:
    """EXIF written into samples."""

    make: str = "BarCam"
    model: str = "BC-1"
    lens: str = "BarCam 35mm f/1.8"
    taken_at: str = "2026:11:01 09:30:00"
    offset: str = "+01:00"
    gps: tuple[float, float] | None = (48.8584, 2.2945)


def photo_like(width: int = 1200, height: int = 800, seed: int = 7) -> Image.Image:
    """An RGB image that looks statistically like a landscape photo."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    horizon = 0.55 + 0.06 * np.sin(x * 9.0 + seed)
    sky = y < horizon
    r = np.where(sky, 90 + 80 * y, 70 + 50 * np.sin(x * 31.0) * np.cos(y * 17.0) + 40 * y)
    g = np.where(sky, 140 + 70 * y, 110 + 40 * np.cos(x * 23.0 + y * 11.0))
    b = np.where(sky, 215 - 40 * y, 60 + 30 * np.sin(y * 29.0))
    img = np.stack([r, g, b], axis=-1)
    # Texture at several scales, like foliage and cloud.
    coarse = rng.normal(0, 12, (height // 16 + 1, width // 16 + 1, 3)).astype(np.float32)
    coarse = np.kron(coarse, np.ones((16, 16, 1), dtype=np.float32))[:height, :width]
    img += coarse * (~sky[..., None] * 1.0 + 0.3)
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def exif_bytes(facts: CameraFacts | None = None) -> bytes:
    """EXIF (TIFF header + IFDs) with make, model, lens, capture time and GPS."""
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    facts = facts or CameraFacts()
    exif = Image.Exif()
    exif[0x010F] = facts.make
    exif[0x0110] = facts.model
    exif[0x0131] = "provenance sample generator"
    exif[0x0132] = facts.taken_at
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = facts.taken_at
    sub[0x9011] = facts.offset
    sub[0xA434] = facts.lens
    if facts.gps is not None:
        gps = exif.get_ifd(0x8825)

        def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
            value = abs(value)
            deg = int(value)
            minutes = int((value - deg) * 60)
            seconds = round(((value - deg) * 60 - minutes) * 60 * 100)
            return IFDRational(deg, 1), IFDRational(minutes, 1), IFDRational(seconds, 100)

        lat, lon = facts.gps
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = dms(lon)
    return exif.tobytes()


def encode(img: Image.Image, fmt: str, *, exif: bytes | None = None, quality: int = 90) -> bytes:
    """Encode an image as JPEG/PNG/WEBP/TIFF bytes, with EXIF when given."""
    out = io.BytesIO()
    kwargs: dict[str, object] = {}
    if exif is not None:
        kwargs["exif"] = exif
    fmt = fmt.upper()
    if fmt == "JPEG":
        kwargs.update(quality=quality)
    elif fmt == "WEBP":
        kwargs.update(quality=quality)
    elif fmt == "TIFF":
        kwargs.update(compression="tiff_lzw")
        if exif is not None:
            # libtiff cannot write the EXIF sub-IFD pointer from raw EXIF bytes; keep the
            # base-IFD tags (make, model, date), which is where TIFF cameras put them.
            from PIL import Image

            parsed = Image.Exif()
            parsed.load(exif)
            kwargs.pop("exif")
            kwargs["tiffinfo"] = {
                tag: parsed[tag] for tag in (0x010F, 0x0110, 0x0131, 0x0132) if tag in parsed
            }
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def sample_photo(
    fmt: str = "JPEG",
    *,
    width: int = 1200,
    height: int = 800,
    seed: int = 7,
    facts: CameraFacts | None = None,
) -> bytes:
    """A photo-like image with camera EXIF, encoded in ``fmt``."""
    return encode(photo_like(width, height, seed), fmt, exif=exif_bytes(facts))


def ai_edit(img: Image.Image, box: tuple[float, float, float, float], seed: int = 3) -> Image.Image:
    """Replace an elliptical region (fractions x, y, w, h) with new synthetic content."""
    import numpy as np
    from PIL import Image

    arr = np.asarray(img).astype(np.float32).copy()
    h, w = arr.shape[:2]
    x0, y0, bw, bh = box
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy = (x0 + bw / 2) * w, (y0 + bh / 2) * h
    inside = ((xx - cx) / (bw * w / 2)) ** 2 + ((yy - cy) / (bh * h / 2)) ** 2 <= 1.0
    other = np.asarray(photo_like(w, h, seed=seed + 100)).astype(np.float32)
    other = other[:, ::-1] * 0.6 + np.array([120, 30, 60], dtype=np.float32) * 0.4
    arr[inside] = other[inside]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def grade(
    img: Image.Image,
    *,
    gamma: float = 0.85,
    gain: float = 1.08,
    white_balance: tuple[float, float, float] = (1.04, 1.0, 0.94),
) -> Image.Image:
    """A global grade: gamma, exposure and white balance (not a change of content)."""
    import numpy as np
    from PIL import Image

    arr = np.asarray(img).astype(np.float32) / 255.0
    arr = np.power(arr, gamma) * gain * np.array(white_balance, dtype=np.float32)
    return Image.fromarray(np.clip(arr * 255.0, 0, 255).astype(np.uint8), "RGB")
