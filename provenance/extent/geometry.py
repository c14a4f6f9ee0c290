"""Step 1b of the extent method: refuse a parent that is not a pure rescale of the edit.

The aspect-ratio test (:func:`provenance.extent.align.working_pair`) catches a
crop that changes the proportions.  A crop that keeps them (a 90 % centre or
off-centre crop enlarged back, a "zoom"), or a small rotation with its
straightening crop, passes that test and would be compared pixel by pixel
against the wrong pixels -- a confident, meaningless number.

So we look for a better alignment than the identity: on small (:data:`SEARCH_SIDE`
px) gradient-magnitude maps of both images, for each candidate scale (and a few
small rotations) the edit is shrunk to that scale and located inside the parent
by FFT cross-correlation; the candidate's normalised correlation at the best
offset is compared with the identity's.  When a candidate explains the edit
clearly better (:data:`MIN_CORRELATION`, :data:`MARGIN`), the parent was
cropped, zoomed, shifted or rotated: the extent is refused, never guessed.
An edit that replaced much of the picture lowers the identity's correlation,
but no crop explains it better, because the unchanged part only matches where
it was.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

FloatArray = NDArray[np.float32]

#: Longer side (px) of the maps the alignment search runs on.
SEARCH_SIDE = 128
#: Identity correlation above which no search is needed (an ordinary edit).
IDENTITY_OK = 0.85
#: A candidate must reach this correlation ...
MIN_CORRELATION = 0.55
#: ... and beat the identity by this much to count as the true alignment.
MARGIN = 0.15
#: Candidate scales of the edit inside the parent (1.0 = same size, shifted).
SCALES = (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5)
#: Candidate rotations (degrees), each tried with the scale that crops the corners away.
ANGLES = (-5.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 5.0)
#: Offsets smaller than this (search pixels) at scale 1 are the identity.
SHIFT_TOLERANCE = 1


def _gradient(plane: FloatArray) -> FloatArray:
    gy = np.zeros_like(plane)
    gx = np.zeros_like(plane)
    gy[1:-1] = plane[2:] - plane[:-2]
    gx[:, 1:-1] = plane[:, 2:] - plane[:, :-2]
    out: FloatArray = np.sqrt(gx * gx + gy * gy)
    return out


def _small(plane: FloatArray, size: tuple[int, int]) -> FloatArray:
    image = Image.fromarray(plane.astype(np.float32), "F")
    return np.asarray(image.resize(size, Image.Resampling.BOX), dtype=np.float32)


def _ncc(a: FloatArray, b: FloatArray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / denominator if denominator > 1e-9 else 0.0


def _locate(parent: FloatArray, template: FloatArray) -> tuple[int, int, float]:
    """Best (row, col) offset of ``template`` inside ``parent`` and its NCC there."""
    ph, pw = parent.shape
    th, tw = template.shape
    if th > ph or tw > pw:
        return 0, 0, -1.0
    p = parent - parent.mean()
    t = template - template.mean()
    shape = (ph + th, pw + tw)
    spectrum = np.fft.rfft2(p, shape) * np.conj(np.fft.rfft2(t, shape))
    correlation = np.fft.irfft2(spectrum, shape)[: ph - th + 1, : pw - tw + 1]
    row, col = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
    window = parent[row : row + th, col : col + tw]
    return int(row), int(col), _ncc(window, template)


def alignment(parent_luma: FloatArray, edited_luma: FloatArray) -> tuple[str, float, float] | None:
    """A better alignment than the identity, as (what, correlation, identity), or None.

    ``what`` is "cropped" (scale < 1 or shifted) or "rotated".  Both planes have
    the same shape (the working pair).
    """
    height, width = edited_luma.shape
    scale = SEARCH_SIDE / max(height, width)
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    # Everything below works from copies at twice the search size: cheap to resize.
    double = (size[0] * 2, size[1] * 2)
    if max(height, width) > 2 * max(double):
        parent_luma = _small(parent_luma, double)
        edited_luma = _small(edited_luma, double)
    parent = _gradient(_small(parent_luma, size))
    edited = _gradient(_small(edited_luma, size))
    identity = _ncc(parent, edited)
    if identity >= IDENTITY_OK:
        return None
    best: tuple[str, float] = ("", -1.0)
    for factor in SCALES:
        tw, th = max(8, round(size[0] * factor)), max(8, round(size[1] * factor))
        template = edited if factor == 1.0 else _gradient(_small(edited_luma, (tw, th)))
        if factor == 1.0:
            # Same size: only a shift can do better; test a few pixels around.
            candidate = _shifted(parent, edited)
        else:
            _, _, candidate = _locate(parent, template)
        if candidate > best[1]:
            best = ("cropped", candidate)
    parent_image = Image.fromarray(_small(parent_luma, size), "F")
    for angle in ANGLES:
        rotated = np.asarray(
            parent_image.rotate(angle, resample=Image.Resampling.BILINEAR), dtype=np.float32
        )
        radians = np.deg2rad(abs(angle))
        ratio = max(size) / min(size)
        crop = 1.0 / (np.cos(radians) + np.sin(radians) * ratio)
        tw, th = max(8, round(size[0] * crop)), max(8, round(size[1] * crop))
        template = _gradient(_small(edited_luma, (tw, th)))
        _, _, candidate = _locate(_gradient(rotated), template)
        if candidate > best[1]:
            best = ("rotated", candidate)
    if best[1] >= MIN_CORRELATION and best[1] >= identity + MARGIN:
        return best[0], best[1], identity
    return None


def _shifted(parent: FloatArray, edited: FloatArray, reach: int = 6) -> float:
    """Best NCC of ``edited`` against ``parent`` shifted by 2..reach pixels."""
    best = -1.0
    height, width = parent.shape
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if max(abs(dy), abs(dx)) <= SHIFT_TOLERANCE:
                continue
            if max(abs(dy), abs(dx)) % 2:
                continue
            p = parent[max(0, dy) : height + min(0, dy), max(0, dx) : width + min(0, dx)]
            e = edited[max(0, -dy) : height + min(0, -dy), max(0, -dx) : width + min(0, -dx)]
            best = max(best, _ncc(p, e))
    return best
