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
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from provenance.errors import InputError
from provenance.models import Extent, ExtentMethod, Region

__all__ = [
    "GeometryMismatch",
    "changed_mask",
    "extent_from_mask",
    "measure_extent",
    "undeclared_fraction",
]

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float32]
IntArray = NDArray[np.int64]

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
#: Boxes closer than this fraction of the longer side are merged into one region.
MERGE_GAP_FRACTION = 0.02
#: Components considered when building regions; the rest are tiny by construction.
MAX_COMPONENTS_FOR_REGIONS = 256
#: Parent/edited aspect ratios may differ by this much (relative) and still count as
#: a pure rescale.  Rounding when someone resizes a photo changes the ratio by far
#: less; a 1 % stretch would already shift content by ~10 px at working size.
ASPECT_TOLERANCE = 0.0025
#: Half-width (levels) of the joint-histogram smoothing used to find the tone ridge,
#: and of the window around the peak whose centroid refines it.
_MODE_SMOOTHING = 3
_MODE_WINDOW = 4
#: A level has a usable tone ridge when at least this share of its pixels sit on
#: the peak window; below it the level is treated as unseen (see ``_fit_curves``).
_RIDGE_SHARE = 0.25
#: Curves are extrapolated beyond the known levels with the slope of this many
#: levels at their end.
_EXTRAPOLATION_SPAN = 24.0
#: Refits of the trimmed least-squares colour fit in the robust pass.
_TRIM_ROUNDS = 3
#: Fractions and magnitudes are reported with this many decimals.
_DECIMALS = 4


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


def _tone_model(
    parent: NDArray[np.uint8], edited: NDArray[np.uint8], inliers: BoolArray | None
) -> FloatArray:
    """The parent's pixels as the global adjustment would render them (3 x pixels).

    Three stages, each fitted on ``inliers`` (all pixels, robustly, when None):
    per-channel curves, an affine colour transform, per-channel curves again.
    Curves alone express exposure, white balance, gamma and contrast; the affine
    stage adds channel mixing (saturation, black-and-white conversion), and the
    final curves absorb the non-linearity that follows mixing (a B&W conversion
    *then* a contrast curve).
    """
    robust = inliers is None
    if inliers is None:
        fit_parent, fit_edited = parent, edited
        everywhere = np.ones(parent.shape[1], dtype=bool)
    else:
        fit_parent, fit_edited = parent[:, inliers], edited[:, inliers]
        everywhere = inliers
    mapped = _apply_curves(parent, _fit_curves(fit_parent, fit_edited, use_mode=robust))
    mapped = _affine_correct(mapped, edited, everywhere, trim=robust)
    levels = np.rint(mapped).astype(np.uint8)
    fit_levels = levels if inliers is None else levels[:, inliers]
    return _apply_curves(levels, _fit_curves(fit_levels, fit_edited, use_mode=robust))


def _fit_curves(
    parent: NDArray[np.uint8], edited: NDArray[np.uint8], *, use_mode: bool
) -> FloatArray:
    """Per-channel monotone curves (3 x 256) mapping parent levels to edited levels.

    For each channel one ``bincount`` gives the 256 x 256 joint histogram
    (parent level x edited level).  Per parent level we then read off either

    * the *mode* (``use_mode``): the peak of the lightly smoothed histogram row,
      refined by a local centroid.  Untouched pixels pile up on one ridge
      (curve value +- noise) while replaced content spreads over many values,
      so the peak stays on the ridge even when most pixels at that level were
      edited -- this is what lets a large edit (a replaced background) be
      measured at all;
    * or the *median* (cumulative counts), more precise once the edited pixels
      have been excluded.

    The estimates are made non-decreasing by weighted isotonic regression and
    levels never seen are interpolated.
    """
    levels = np.arange(256, dtype=np.float64)
    curves = np.empty((3, 256), dtype=np.float32)
    rows = np.arange(256)
    for channel in range(3):
        # One bincount over (parent << 8 | edited) is the joint histogram.
        key = parent[channel].astype(np.int32) << 8
        key |= edited[channel]
        hist = np.bincount(key, minlength=65536).reshape(256, 256)
        counts = hist.sum(axis=1)
        present = counts > 0
        if not present.any():
            curves[channel] = levels
            continue
        if use_mode:
            smooth = _box_sum(hist.astype(np.float64), _MODE_SMOOTHING)
            peaks = np.argmax(smooth, axis=1)
            window = np.clip(peaks[:, None] + np.arange(-_MODE_WINDOW, _MODE_WINDOW + 1), 0, 255)
            mass = hist[rows[:, None], window].astype(np.float64)
            weight = mass.sum(axis=1)
            estimate = np.where(
                weight > 0, (mass * window).sum(axis=1) / np.maximum(weight, 1), peaks
            )
            # A level whose peak holds only a small share of its pixels has no ridge:
            # its pixels were (nearly) all edited, and its "peak" is a bump of the new
            # content.  Such levels are left out and interpolated from their neighbours.
            present &= weight >= _RIDGE_SHARE * counts
            if not present.any():
                curves[channel] = levels
                continue
        else:
            cumulative = hist.cumsum(axis=1)
            half = (counts + 1) // 2
            estimate = np.count_nonzero(cumulative < half[:, None], axis=1).astype(np.float64)
            weight = counts.astype(np.float64)
        fitted = _isotonic(estimate[present], weight[present])
        curves[channel] = _interpolate_curve(levels[present], fitted)
    return curves


def _interpolate_curve(known: NDArray[np.float64], values: NDArray[np.float64]) -> FloatArray:
    """A full 256-entry curve through the ``known`` levels.

    Between known levels: linear interpolation.  Beyond them: continue with the
    slope of the nearest stretch of the curve (not flat, as ``np.interp`` would:
    a curve that suddenly stops rising would call every deep shadow or bright
    highlight of an unseen level "changed" or, worse, "unchanged").
    """
    levels = np.arange(256, dtype=np.float64)
    curve = np.interp(levels, known, values)
    if known.size >= 2:
        span = _EXTRAPOLATION_SPAN
        low, high = known[0], known[-1]
        head = known <= low + span
        tail = known >= high - span
        if known[head].size >= 2 and known[head][-1] > low:
            slope = max(0.0, (values[head][-1] - values[0]) / (known[head][-1] - low))
            below = levels < low
            curve[below] = values[0] + slope * (levels[below] - low)
        if known[tail].size >= 2 and high > known[tail][0]:
            slope = max(0.0, (values[-1] - values[tail][0]) / (high - known[tail][0]))
            above = levels > high
            curve[above] = values[-1] + slope * (levels[above] - high)
    return np.clip(curve, 0.0, 255.0).astype(np.float32)


def _isotonic(values: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weighted pool-adjacent-violators: the closest non-decreasing sequence.

    At most 256 points, so a plain loop is cheap.  Unlike a running maximum, a
    single outlier level (e.g. one dominated by edited pixels) is averaged away
    by its well-populated neighbours instead of lifting everything after it.
    """
    means: list[float] = []
    sums: list[float] = []
    sizes: list[int] = []
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        means.append(value)
        sums.append(weight)
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            total = sums[-2] + sums[-1]
            means[-2] = (means[-2] * sums[-2] + means[-1] * sums[-1]) / total
            sums[-2] = total
            sizes[-2] += sizes[-1]
            del means[-1], sums[-1], sizes[-1]
    return np.repeat(np.asarray(means), sizes)


def _apply_curves(parent: NDArray[np.uint8], curves: FloatArray) -> FloatArray:
    """Map each parent pixel through its channel's curve (a table lookup)."""
    mapped = np.empty(parent.shape, dtype=np.float32)
    for channel in range(3):
        np.take(curves[channel], parent[channel], out=mapped[channel])
    return mapped


def _affine_correct(
    mapped: FloatArray, edited: NDArray[np.uint8], inliers: BoolArray, *, trim: bool
) -> FloatArray:
    """Least-squares ``edited ~ A @ mapped + b`` on unchanged pixels, applied everywhere.

    Per-channel curves cannot express an adjustment where one channel depends on
    the others (saturation, vibrance, channel mixing); an affine colour fit on
    top of the curves can, to first order.  Pixels clipped at 0 or 255 in the
    edit are left out of the fit: clipping is not linear.  With ``trim`` the fit
    is a trimmed least squares: refitted a few times on the half of the sample
    it explains best, so an edited area (under half the picture) cannot drag it.
    """
    index = np.flatnonzero(inliers)
    # A regular subsample is plenty for 12 parameters and keeps 24 MP inputs fast.
    index = index[:: max(1, index.size // 50_000)]
    sample_edited = edited[:, index]
    unclipped = (sample_edited > 2).all(axis=0) & (sample_edited < 253).all(axis=0)
    index = index[unclipped]
    if index.size < 1000:
        return mapped
    design = np.empty((index.size, 4), dtype=np.float64)
    design[:, :3] = mapped[:, index].T
    design[:, 3] = 1.0
    target = edited[:, index].T.astype(np.float64)
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    for _ in range(_TRIM_ROUNDS if trim else 0):
        misfit = np.abs(design @ coefficients - target)
        errors = np.maximum(np.maximum(misfit[:, 0], misfit[:, 1]), misfit[:, 2])
        best = errors <= np.median(errors)
        coefficients, *_ = np.linalg.lstsq(design[best], target[best], rcond=None)
    corrected = np.empty_like(mapped)
    for out in range(3):
        plane = corrected[out]
        plane.fill(float(coefficients[3, out]))
        for source in range(3):
            plane += np.float32(coefficients[source, out]) * mapped[source]
    return np.clip(corrected, 0.0, 255.0, out=corrected)


def _residual(mapped: FloatArray, edited: NDArray[np.uint8], shape: tuple[int, int]) -> FloatArray:
    """Per-pixel largest channel difference (0..255): catches pure hue changes too."""
    difference = np.abs(edited.astype(np.float32) - mapped)
    largest: FloatArray = np.maximum(np.maximum(difference[0], difference[1]), difference[2])
    return largest.reshape(shape)


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


class _Runs:
    """Horizontal runs of a mask with their connected-component labels.

    Row ``rows[i]`` is True on columns ``starts[i]:ends[i]``; ``labels[i]`` is a
    component id in ``0..count-1`` and ``areas`` the pixel count per component.
    """

    __slots__ = ("areas", "count", "ends", "labels", "rows", "starts")

    def __init__(
        self, rows: IntArray, starts: IntArray, ends: IntArray, labels: IntArray, count: int
    ) -> None:
        self.rows = rows
        self.starts = starts
        self.ends = ends
        self.labels = labels
        self.count = count
        self.areas: IntArray = np.bincount(labels, weights=ends - starts, minlength=count).astype(
            np.int64
        )


def _components(mask: BoolArray) -> _Runs:
    """8-connected components of ``mask``, labelled on run lengths.

    Runs are found with one ``diff`` per row; runs on adjacent rows that touch
    (diagonals included) become graph edges, found with ``searchsorted`` since
    runs are ordered; the graph is then solved by a vectorised union-find
    (hook roots onto smaller roots, compress by pointer jumping).  Work is
    proportional to the number of runs, not pixels, so a 1024 x 683 mask takes
    milliseconds.
    """
    height, width = mask.shape
    padded = np.zeros((height, width + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    # In row-major order the non-zero steps alternate: +1 opens a run, -1 closes it.
    step_rows, step_cols = np.nonzero(np.diff(padded, axis=1))
    rows = step_rows[0::2].astype(np.int64)
    starts = step_cols[0::2].astype(np.int64)
    ends = step_cols[1::2].astype(np.int64)
    n = rows.size
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Runs(empty, empty, empty, empty, 0)

    # Key runs by (row, column) in one integer so searchsorted can find, for every
    # run, the contiguous block of runs on the row above that it touches.
    stride = width + 2
    start_keys = rows * stride + starts
    end_keys = rows * stride + ends
    above = (rows - 1) * stride
    low = np.searchsorted(end_keys, above + starts, side="left")
    high = np.searchsorted(start_keys, above + ends, side="right")
    counts = np.maximum(high - low, 0)
    counts[rows == 0] = 0
    total = int(counts.sum())
    if total:
        below_runs = np.repeat(np.arange(n), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        above_runs = np.repeat(low, counts) + offsets
        roots = _union_find(n, above_runs, below_runs)
    else:
        roots = np.arange(n)
    unique, labels = np.unique(roots, return_inverse=True)
    return _Runs(rows, starts, ends, labels.astype(np.int64), int(unique.size))


def _union_find(n: int, a: IntArray, b: IntArray) -> IntArray:
    """Root (smallest member) of each node's component, for undirected edges a-b.

    Roots only ever hook onto smaller roots, so there are no cycles; pointer
    jumping flattens the trees between hooking rounds.
    """
    parent = np.arange(n)
    while True:
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        root_a = parent[a]
        root_b = parent[b]
        differ = root_a != root_b
        if not differ.any():
            return parent
        low = np.minimum(root_a[differ], root_b[differ])
        high = np.maximum(root_a[differ], root_b[differ])
        np.minimum.at(parent, high, low)


def _render(shape: tuple[int, int], rows: IntArray, starts: IntArray, ends: IntArray) -> BoolArray:
    """Paint runs back into a boolean mask (difference array + cumulative sum)."""
    height, width = shape
    marks = np.zeros((height, width + 1), dtype=np.int32)
    np.add.at(marks, (rows, starts), 1)
    np.add.at(marks, (rows, ends), -1)
    return np.cumsum(marks[:, :width], axis=1) > 0


# --------------------------------------------------------------------------- regions


def _regions(mask: BoolArray, *, max_regions: int) -> tuple[Region, ...]:
    """Boxes around the changed areas, in fractions of the image, largest first.

    Components become boxes; boxes that overlap or lie within
    ``MERGE_GAP_FRACTION`` of the longer side of each other are merged (one
    edited object often breaks into pieces where its new content happens to
    match the old), until no two are near; the ``max_regions`` boxes covering
    the most changed pixels are kept.
    """
    if max_regions <= 0 or not mask.any():
        return ()
    height, width = mask.shape
    runs = _components(mask)
    count = runs.count
    x0 = np.full(count, width, dtype=np.int64)
    y0 = np.full(count, height, dtype=np.int64)
    x1 = np.zeros(count, dtype=np.int64)
    y1 = np.zeros(count, dtype=np.int64)
    np.minimum.at(x0, runs.labels, runs.starts)
    np.minimum.at(y0, runs.labels, runs.rows)
    np.maximum.at(x1, runs.labels, runs.ends)
    np.maximum.at(y1, runs.labels, runs.rows + 1)
    order = np.argsort(-runs.areas, kind="stable")[:MAX_COMPONENTS_FOR_REGIONS]
    boxes = np.stack([x0[order], y0[order], x1[order], y1[order]], axis=1)
    weights = runs.areas[order].astype(np.int64)

    gap = MERGE_GAP_FRACTION * max(height, width)
    while len(boxes) > 1:
        # Gap between boxes along each axis (negative = overlap).
        gap_x = np.maximum(boxes[:, None, 0], boxes[None, :, 0]) - np.minimum(
            boxes[:, None, 2], boxes[None, :, 2]
        )
        gap_y = np.maximum(boxes[:, None, 1], boxes[None, :, 1]) - np.minimum(
            boxes[:, None, 3], boxes[None, :, 3]
        )
        near = (gap_x <= gap) & (gap_y <= gap)
        np.fill_diagonal(near, False)
        if not near.any():
            break
        first, second = np.nonzero(np.triu(near))
        group = _union_find(len(boxes), first.astype(np.int64), second.astype(np.int64))
        _, group = np.unique(group, return_inverse=True)
        merged = np.empty((int(group.max()) + 1, 4), dtype=np.int64)
        merged[:, :2] = np.iinfo(np.int64).max
        merged[:, 2:] = np.iinfo(np.int64).min
        np.minimum.at(merged[:, 0], group, boxes[:, 0])
        np.minimum.at(merged[:, 1], group, boxes[:, 1])
        np.maximum.at(merged[:, 2], group, boxes[:, 2])
        np.maximum.at(merged[:, 3], group, boxes[:, 3])
        weights = np.bincount(group, weights=weights).astype(np.int64)
        boxes = merged

    keep = np.argsort(-weights, kind="stable")[:max_regions]
    return tuple(
        Region(
            x=round(float(boxes[i, 0]) / width, _DECIMALS),
            y=round(float(boxes[i, 1]) / height, _DECIMALS),
            width=round(float(boxes[i, 2] - boxes[i, 0]) / width, _DECIMALS),
            height=round(float(boxes[i, 3] - boxes[i, 1]) / height, _DECIMALS),
        )
        for i in keep
    )
