"""The tone model: a per-channel monotone mapping from parent to edit, and the residual it leaves."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from provenance.extent.morphology import BoolArray, FloatArray, _box_sum

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
