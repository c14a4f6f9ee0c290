"""Mask arithmetic on numpy arrays: box filters, dilation, erosion, resampling."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

BoolArray = NDArray[np.bool_]

FloatArray = NDArray[np.float32]

IntArray = NDArray[np.int64]


def _box_sum(values: NDArray[Any], radius: int) -> NDArray[Any]:
    """Sum over a (2r+1)^2 window, edges replicated, via cumulative sums (O(1) per pixel).

    Works in the input's dtype (float32 residuals, int32 counts): a working-size
    image keeps float32 cumulative sums accurate to far below one grey level.
    """
    size = 2 * radius + 1
    padded = np.pad(values, radius, mode="edge")
    cumulative = np.cumsum(padded, axis=0, dtype=padded.dtype)
    rows = np.empty((padded.shape[0] - size + 1, padded.shape[1]), dtype=padded.dtype)
    rows[0] = cumulative[size - 1]
    np.subtract(cumulative[size:], cumulative[:-size], out=rows[1:])
    cumulative = np.cumsum(rows, axis=1, dtype=rows.dtype)
    out = np.empty((rows.shape[0], rows.shape[1] - size + 1), dtype=rows.dtype)
    out[:, 0] = cumulative[:, size - 1]
    np.subtract(cumulative[:, size:], cumulative[:, :-size], out=out[:, 1:])
    return out


def _box_mean(values: FloatArray, radius: int) -> FloatArray:
    """Box blur: mean over a (2r+1)^2 window."""
    total = _box_sum(values.astype(np.float32, copy=False), radius)
    return (total * np.float32(1.0 / (2 * radius + 1) ** 2)).astype(np.float32, copy=False)


def _dilate(mask: BoolArray, radius: int) -> BoolArray:
    """Binary dilation with a square kernel."""
    dilated: BoolArray = _box_sum(mask.astype(np.int32), radius) > 0
    return dilated


def _erode(mask: BoolArray, radius: int) -> BoolArray:
    """Binary erosion with a square kernel (edges replicated, so borders do not erode)."""
    eroded: BoolArray = _box_sum(mask.astype(np.int32), radius) == (2 * radius + 1) ** 2
    return eroded


def _resample_nearest(mask: BoolArray, shape: tuple[int, int]) -> BoolArray:
    """Nearest-neighbour resampling of a boolean mask to ``shape``."""
    if mask.ndim != 2 or mask.size == 0:
        raise ValueError("declared mask must be a non-empty 2-D array")
    if mask.shape == shape:
        return mask
    rows = (np.arange(shape[0]) * mask.shape[0]) // shape[0]
    cols = (np.arange(shape[1]) * mask.shape[1]) // shape[1]
    resampled: BoolArray = mask[rows[:, None], cols[None, :]]
    return resampled


def _downscale_mask(mask: BoolArray, max_side: int) -> BoolArray:
    """Area-average a mask down so its longer side is at most ``max_side``."""
    height, width = mask.shape
    if max(height, width) <= max_side:
        return mask
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = Image.fromarray(mask.astype(np.uint8) * 255).resize(size, Image.Resampling.BOX)
    return np.asarray(image) > 127


# --------------------------------------------------------------------------- components
