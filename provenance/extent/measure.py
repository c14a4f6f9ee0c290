"""How much of a picture an edit changed: the AI-extent method (DESIGN.md).

A C2PA action can say *that* an AI model touched a photo; this module says *how
much* of it.  Given the parent image and the edited one, we produce an
:class:`~provenance.models.Extent`: the changed fraction of the picture, boxes
around the changed areas, and the mean strength of the change.

The method, and why each step is there:

1. **Align.**  Both images go to RGB at one *working size* (longer side at most
   ``max_side``, never upscaled).  Extent is a question about areas, not
   pixels, so a ~1 MP working copy answers it as well as 24 MP and keeps the
   whole measurement fast.  A parent that differs only by scale is rescaled; a
   parent whose aspect ratio differs (crop, rotation) cannot be compared pixel
   by pixel and raises :class:`GeometryMismatch` -- guessing an alignment
   would produce a confident but meaningless number.

2. **Normalise global tone.**  Grading, exposure, white balance and contrast
   curves change every pixel but no *content*.  Per channel we fit a monotone
   curve parent-level -> edited-level from the joint histogram of the two.
   Pass 1 follows the histogram's *ridge* (the most common edited value per
   parent level): untouched pixels pile up on it while replaced content spreads
   out, so it holds even when most of the picture was edited (a replaced
   background).  Pass 2 refits with the *median* on the pixels pass 1 found
   untouched, which is more precise, and adds an affine colour correction
   (3x3 matrix + offset) for channel-mixing adjustments such as saturation,
   which a per-channel curve cannot express.

3. **Residual -> mask.**  ``|edited - mapped parent|`` (largest channel) is box
   blurred so that sensor noise and JPEG ringing average out while a real
   change, which is spatially coherent, survives.  The threshold is a fixed
   24/255 or, for noisy pairs, a noise floor estimated from the low quantiles
   of the residual, whichever is larger.  A morphological opening removes the
   thin lines re-encoding leaves along edges; weaker evidence (14/255) is
   accepted where it touches a clear change (hysteresis), which completes
   edits that replaced texture with something smoother.  Specks smaller than a
   minimum area are dropped, and small enclosed holes are filled: inside a
   replaced object the new content occasionally matches the old one, which is
   luck, not "unchanged".

4. **Regions.**  Connected components (8-connected, labelled on run lengths
   with a vectorised union-find) give boxes; nearby boxes are merged and the
   largest ``max_regions`` kept, in fractions of the image size.

5. **Numbers.**  ``area_fraction`` = changed pixels / all pixels;
   ``magnitude`` = mean residual inside the mask in 0..1 units.

Only numpy and Pillow are used; everything per-pixel is vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from provenance.extent.align import _working_pair
from provenance.extent.morphology import (
    BoolArray,
    FloatArray,
    _box_mean,
    _dilate,
    _downscale_mask,
    _erode,
    _resample_nearest,
)
from provenance.extent.regions import _DECIMALS, _components, _regions, _render
from provenance.extent.tone import _residual, _tone_model
from provenance.models import Extent, ExtentMethod, Region

#: Working resolution used when a caller gives none (and for declared masks).
DEFAULT_MAX_SIDE = 1024

#: A pixel counts as changed when its blurred residual exceeds this (0..255 units):
#: well above sensor noise and JPEG artefacts after blurring, well below the
#: difference between two different pieces of content.
BASE_THRESHOLD = 24.0

#: Weak-evidence threshold (0..255) for hysteresis, and the wider blur it is also
#: read on (a multiple of the base blur radius, which is 1 px per 512 px of side).
WEAK_THRESHOLD = 14.0

_WEAK_BLUR = 3

#: The noise-adaptive floor may raise the threshold up to here, never further, so
#: a pair with an unusual residual distribution cannot hide a clear change.
MAX_THRESHOLD = 64.0

#: How many robust standard deviations above the typical residual the noise floor sits.
NOISE_SIGMAS = 6.0

#: Components smaller than this fraction of the image are specks, not edits.
MIN_COMPONENT_FRACTION = 0.0002

#: Enclosed holes up to this fraction of the image are filled (see module docstring).
MAX_HOLE_FRACTION = 0.01


def changed_mask(
    parent: Image.Image, edited: Image.Image, *, max_side: int = DEFAULT_MAX_SIDE
) -> BoolArray:
    """The measured change mask at working resolution (True = changed).

    The array has the edited image's aspect ratio with its longer side at most
    ``max_side`` (smaller when either image is smaller: we never upscale).
    Raises :class:`GeometryMismatch` when the parent is not a pure rescale.
    """
    mask, _ = _analyse(parent, edited, max_side=max_side)
    return mask


def measure_extent(
    parent: Image.Image,
    edited: Image.Image,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    max_regions: int = 8,
) -> Extent:
    """Measure how much of ``edited`` differs in content from ``parent``.

    Global tone changes (grading, exposure, white balance, saturation) and noise
    are normalised away; what remains is the changed area.  Returns an
    :class:`Extent` with ``method=MEASURED``, ``area_fraction`` in 0..1 (4
    decimals), up to ``max_regions`` boxes in image fractions, and ``magnitude``
    (mean residual inside the changed area, 0..1) or None when nothing changed.
    Raises :class:`GeometryMismatch` on a crop, rotation or other reshaping.
    """
    mask, residual = _analyse(parent, edited, max_side=max_side)
    changed = int(np.count_nonzero(mask))
    area = round(changed / mask.size, _DECIMALS) if mask.size else 0.0
    magnitude = round(float(residual[mask].mean()) / 255.0, _DECIMALS) if changed else None
    return Extent(
        area_fraction=area,
        method=ExtentMethod.MEASURED,
        regions=_regions(mask, max_regions=max_regions),
        magnitude=magnitude,
    )


def extent_from_mask(
    mask: Image.Image, *, measured: Extent | None = None, max_regions: int = 8
) -> Extent:
    """Turn a signer-supplied mask (white = edited) into a declared :class:`Extent`.

    Any Pillow mode is accepted.  When the mask has a non-trivial alpha channel
    the alpha decides (opaque = edited), otherwise luminance > 127 does.  The
    area is counted at full resolution; regions are found at working
    resolution.  ``measured`` (from :func:`measure_extent`) is kept alongside:
    its area becomes ``measured_area_fraction`` and its magnitude is carried over.
    """
    full = mask_to_array(mask)
    area = round(float(np.count_nonzero(full)) / full.size, _DECIMALS) if full.size else 0.0
    small = _downscale_mask(full, DEFAULT_MAX_SIDE)
    return Extent(
        area_fraction=area,
        method=ExtentMethod.DECLARED,
        regions=_regions(small, max_regions=max_regions),
        magnitude=measured.magnitude if measured is not None else None,
        measured_area_fraction=measured.area_fraction if measured is not None else None,
    )


def undeclared_fraction(
    changed: BoolArray, declared: Extent | Sequence[Region] | BoolArray
) -> float:
    """Fraction of the whole image that changed *outside* everything declared.

    ``changed`` is a measured change mask (e.g. from :func:`changed_mask`).
    ``declared`` is either a declared mask array (any size; it is resampled to
    ``changed``'s shape), or the declared regions -- an :class:`Extent` or a
    sequence of :class:`Region` boxes in image fractions.  An extent without
    regions declares nothing, so every change counts as undeclared.  Returns a
    float in 0..1 rounded to 4 decimals.
    """
    changed = np.asarray(changed, dtype=bool)
    if changed.ndim != 2 or changed.size == 0:
        raise ValueError("changed must be a non-empty 2-D boolean array")
    height, width = changed.shape
    if isinstance(declared, np.ndarray):
        allowed = _resample_nearest(np.asarray(declared, dtype=bool), (height, width))
    else:
        regions = declared.regions if isinstance(declared, Extent) else tuple(declared)
        allowed = np.zeros((height, width), dtype=bool)
        for region in regions:
            # Round outwards: a declared box covers every pixel it touches.
            x0 = max(0, int(np.floor(region.x * width)))
            y0 = max(0, int(np.floor(region.y * height)))
            x1 = min(width, int(np.ceil((region.x + region.width) * width)))
            y1 = min(height, int(np.ceil((region.y + region.height) * height)))
            allowed[y0:y1, x0:x1] = True
    outside = np.count_nonzero(changed & ~allowed)
    return round(outside / changed.size, _DECIMALS)


def mask_to_array(mask: Image.Image) -> BoolArray:
    """A mask image as a boolean array (True = edited), at the image's own size."""
    bands = mask.getbands()
    if "A" in bands:
        alpha = np.asarray(mask.getchannel("A"))
        # An alpha that is everywhere the same carries no shape: fall back to luminance.
        if alpha.size and alpha.min() != alpha.max():
            return alpha > 127
    if mask.mode in ("I", "I;16", "I;16L", "I;16B", "F"):
        values = np.asarray(mask, dtype=np.float64)
        top = 65535.0 if values.max(initial=0.0) > 255 else 255.0
        return values > top / 2
    return np.asarray(mask.convert("L")) > 127


# --------------------------------------------------------------------------- alignment


def _analyse(
    parent: Image.Image, edited: Image.Image, *, max_side: int
) -> tuple[BoolArray, FloatArray]:
    """The change mask and the (unblurred) residual at working size, 0..255 units."""
    parent_px, edited_px = _working_pair(parent, edited, max_side)
    height, width = edited_px.shape[1:]
    # Channel planes of shape (3, pixels): contiguous per channel, so every
    # per-channel operation below is a fast 1-D numpy loop.
    flat_parent = parent_px.reshape(3, -1)
    flat_edited = edited_px.reshape(3, -1)
    radius = max(1, round(max(height, width) / 512))

    # Pass 1: a tone model fitted robustly on every pixel (see _tone_model).
    mapped = _tone_model(flat_parent, flat_edited, None)
    residual = _residual(mapped, flat_edited, (height, width))
    first = _threshold_and_clean(residual, radius)

    # Pass 2: refit, precisely, on the pixels pass 1 believes untouched (with a
    # safety margin around what it found).
    inliers = ~_dilate(first, 2 * radius).reshape(-1)
    if np.count_nonzero(inliers) >= 0.2 * inliers.size:
        mapped = _tone_model(flat_parent, flat_edited, inliers)
        residual = _residual(mapped, flat_edited, (height, width))
    # else: most of the picture changed; there is too little "unchanged" to refit on,
    # and pass 1's answer (a large area) is the honest one.
    mask = _threshold_and_clean(residual, radius)
    return mask, residual


def _threshold_and_clean(residual: FloatArray, radius: int) -> BoolArray:
    """Residual (0..255) -> change mask: blur, threshold (fixed or noise floor),
    opening, hysteresis, drop specks, fill small holes."""
    blurred = _box_mean(residual, radius)
    # Noise floor from the low quantiles of a subsample: the 10th and 25th
    # percentiles describe untouched pixels even when up to ~70 % of the picture
    # was edited (a median/MAD would describe the edit by then).  Read as a normal
    # distribution they give a centre and a spread; the floor is NOISE_SIGMAS
    # spreads above the centre.  Capped so that it never swallows a real change.
    q10, q25 = (float(v) for v in np.percentile(blurred[::3, ::3], [10.0, 25.0]))
    spread = (q25 - q10) / 0.6071
    floor = q25 + 0.6745 * spread + NOISE_SIGMAS * spread
    threshold = min(MAX_THRESHOLD, max(BASE_THRESHOLD, floor))
    # Opening (erode, then dilate) removes lines thinner than the kernel: what
    # re-encoding leaves along high-contrast edges (JPEG ringing, chroma
    # subsampling) is thin, whereas an edited object is a blob.
    strong = _dilate(_erode(blurred > threshold, radius), radius)
    size = strong.size
    # Hysteresis: weaker evidence (a lower threshold on a wider blur, still above
    # the noise floor) counts where it is connected to a strong detection.  An
    # edit that replaced texture with something smoother leaves residuals of
    # only the old texture's amplitude; alone they would be too close to noise,
    # next to a clear change they complete it.  The narrow-blur condition keeps
    # the wide blur from bleeding past the edges of a strong change.
    wide = _box_mean(residual, _WEAK_BLUR * radius)
    weak_threshold = max(WEAK_THRESHOLD, floor)
    weak = (wide > weak_threshold) & (blurred > weak_threshold)
    weak = _dilate(_erode(weak, radius), radius) | strong
    runs = _components(weak)
    strong_count = np.cumsum(strong, axis=1, dtype=np.int32)
    strong_count = np.concatenate([np.zeros((strong.shape[0], 1), np.int32), strong_count], axis=1)
    per_run = strong_count[runs.rows, runs.ends] - strong_count[runs.rows, runs.starts]
    seeded = np.bincount(runs.labels, weights=per_run, minlength=runs.count) > 0
    keep = seeded & (runs.areas >= max(4, round(MIN_COMPONENT_FRACTION * size)))
    keep_runs = keep[runs.labels]
    mask = _render(weak.shape, runs.rows[keep_runs], runs.starts[keep_runs], runs.ends[keep_runs])

    holes = _components(~mask)
    height, width = mask.shape
    touches = np.zeros(holes.count, dtype=bool)
    border = (
        (holes.rows == 0) | (holes.rows == height - 1) | (holes.starts == 0) | (holes.ends == width)
    )
    touches[holes.labels[border]] = True
    fill = ~touches & (holes.areas <= MAX_HOLE_FRACTION * size)
    fill_runs = fill[holes.labels]
    if fill_runs.any():
        mask |= _render(
            mask.shape, holes.rows[fill_runs], holes.starts[fill_runs], holes.ends[fill_runs]
        )
    return mask


# --------------------------------------------------------------------------- image helpers
