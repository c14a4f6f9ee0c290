"""Step 1 of the extent method: bring parent and edit to one working size (pure rescale only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from provenance.errors import InputError

#: Parent/edited aspect ratios may differ by this much (relative) and still count as
#: a pure rescale.  Rounding when someone resizes a photo changes the ratio by far
#: less; a 1 % stretch would already shift content by ~10 px at working size.
ASPECT_TOLERANCE = 0.0025


class GeometryMismatch(InputError):
    """The edited image is not a pure rescale of its parent (cropped, rotated, reshaped)."""

    def __init__(self, message: str | None = None, *, hint: str | None = None) -> None:
        super().__init__(
            message
            or (
                "extent could not be measured: the edited image is cropped or rotated "
                "relative to its parent"
            ),
            hint=hint or "supply --ai-mask to declare the region",
        )


# --------------------------------------------------------------------------- public API


def working_pair(
    parent: Image.Image, edited: Image.Image, max_side: int
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Both images as uint8 RGB planes (3, h, w) at one working size; refuses other shapes."""
    return _working_pair(parent, edited, max_side)


def check_geometry(parent: NDArray[np.uint8], edited: NDArray[np.uint8]) -> None:
    """Raise :class:`GeometryMismatch` when the parent is cropped, zoomed, shifted or rotated.

    The aspect ratio matched already; this looks for a better alignment than
    the identity (:mod:`provenance.extent.geometry`), which catches crops that
    keep the proportions.
    """
    from provenance.extent.geometry import alignment

    def luma(px: NDArray[np.uint8]) -> NDArray[np.float32]:
        out: NDArray[np.float32] = px[0].astype(np.float32) * np.float32(0.299)
        out += px[1].astype(np.float32) * np.float32(0.587)
        out += px[2].astype(np.float32) * np.float32(0.114)
        return out

    found = alignment(luma(parent), luma(edited))
    if found is not None:
        what, _, _ = found
        raise GeometryMismatch(
            "extent could not be measured: the edited image is "
            + ("rotated" if what == "rotated" else "cropped or shifted")
            + " relative to its parent (the same proportions, but not the same framing)"
        )


def _working_pair(
    parent: Image.Image, edited: Image.Image, max_side: int
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Both images as uint8 RGB planes (3, h, w) at one working size (module docstring, step 1)."""
    if max_side < 16:
        raise ValueError("max_side must be at least 16")
    pw, ph = parent.size
    ew, eh = edited.size
    if min(pw, ph, ew, eh) < 1:
        raise InputError("extent could not be measured: an image has no pixels")
    # Compare aspect ratios by cross-multiplying (no division by a tiny side), with a
    # tolerance that also covers the +-1 px rounding of small images.
    tolerance = max(ASPECT_TOLERANCE, 1.5 / min(pw, ph, ew, eh))
    if abs(pw * eh - ph * ew) > tolerance * ph * ew:
        raise GeometryMismatch()
    longer = min(max_side, max(ew, eh), max(pw, ph))
    scale = longer / max(ew, eh)
    size = (max(1, round(ew * scale)), max(1, round(eh * scale)))
    return _to_rgb_array(parent, size), _to_rgb_array(edited, size)


def _to_rgb_array(image: Image.Image, size: tuple[int, int]) -> NDArray[np.uint8]:
    """``image`` as RGB uint8 at ``size``, box-filtered (an area average, which is what
    a change *fraction* should be measured on)."""
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "F"):
        # 16-bit and float greyscale: Pillow's RGB conversion clips instead of scaling.
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if values.max(initial=0.0) > 255 else 255.0
        image = Image.fromarray(np.clip(values * (255.0 / top) + 0.5, 0, 255).astype(np.uint8))
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if image.size != size:
        image = image.resize(size, Image.Resampling.BOX)
    if image.mode != "RGB":
        image = image.convert("RGB")
    # Channel planes (3, height, width), each contiguous.
    return np.stack([np.asarray(band, dtype=np.uint8) for band in image.split()])


# --------------------------------------------------------------------------- measurement
