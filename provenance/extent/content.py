"""Step 2 of the extent method: *content* change, found where local structure disagrees.

Content is new or replaced picture matter: a backdrop swap, a new sky, a placed
prop, a removed object.  It is found without any global tone model, so that an
unchanged subject stays unchanged whatever happened around it (the bug this
replaces: a tone curve fitted over all pixels of a backdrop swap explained the
new backdrop and called the person the change).

* **Structure** (the structure term of SSIM, Wang et al. 2004):
  ``s = (cov(p, e) + C3) / (sd(p) sd(e) + C3)`` over small windows of the
  luminance, at three scales (working size, 1/2, 1/4).  It is a local
  correlation, so any local gain or offset -- a grade, a relight, a colour
  change -- leaves it at 1, and a loss of fine texture (a polish) barely moves
  it; new content makes it drop towards 0.  ``C3`` keeps flat areas (sensor noise
  only) at 1, so the comparison of two flat patches is left to the next cue.
* **Flat replaced by flat** (a grey wall replaced by a white seamless) has no
  structure to compare.  A tone model -- per-channel monotone curves, then a
  smooth local offset field -- is fitted *only on pixels whose structure
  matches and is textured*, and a flat patch whose colour departs strongly from
  that model is content when the departure is *discontinuous*: at its edge the
  structure-matching pixels next to it did not shift (a swapped backdrop ends
  sharply at the subject), whereas light (a glow, a relight) shifts the
  neighbours as well and is left to the tone step.
* **Structure removed** (an object taken out and filled smoothly): next to a
  flat side the structure term stays near 1, so :func:`structure_loss` reads a
  band-pass at 1/4 of the working size, far coarser than skin texture or grain:
  where the parent had features there and the edit has none, the object is
  gone -- content, not a change of detail (a polish keeps that band).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from provenance.extent.morphology import BoolArray, FloatArray, _box_mean, _dilate, _erode
from provenance.extent.regions import _components, _render, _Runs
from provenance.extent.tone import _affine_correct, _apply_curves, _fit_curves

#: SSIM's C3 = (0.03 * 255)^2 / 2 (levels^2): windows whose standard deviation is
#: well below ~5 levels count as flat and compare as similar.
C3 = 29.26
#: Window radius (pixels at each scale) of the structure statistics: 7 x 7.
WINDOW_RADIUS = 3
#: Structure below this is a clear content change (seed) ...
STRONG_STRUCTURE = 0.45
#: ... and below this it joins a seed it touches (hysteresis).
WEAK_STRUCTURE = 0.70
#: Local variance (levels^2) above which a window carries structure worth comparing.
TEXTURE_VARIANCE = 25.0
#: Structure above this on textured windows: the tone model may be fitted there.
MATCHING_STRUCTURE = 0.85
#: A flat patch whose colour departs from the tone model by more than this
#: (levels, largest channel, blurred) is a candidate for flat-to-flat replacement ...
FLAT_CHANGE = 18.0
#: ... it grows over neighbours departing by more than this ...
FLAT_CHANGE_WEAK = 14.0
#: ... and is content when its structure-matching neighbours shifted by less than
#: this share of its own shift (a discontinuous change).
DISCONTINUITY = 0.5
#: Cells along the longer side of the local tone-offset field.
FIELD_CELLS = 24
#: Cells with fewer supporting pixels than this (of a 1-in-4 subsample) are filled
#: from their neighbours.
FIELD_MIN_SUPPORT = 8


def luma(rgb: NDArray[np.uint8] | FloatArray) -> FloatArray:
    """Rec. 601 luma of channel planes (3, h, w) as float32 (0..255)."""
    out: FloatArray = rgb[0].astype(np.float32) * np.float32(0.299)
    out += rgb[1].astype(np.float32) * np.float32(0.587)
    out += rgb[2].astype(np.float32) * np.float32(0.114)
    return out


def half(plane: FloatArray) -> FloatArray:
    """2 x 2 area average (odd last row/column dropped)."""
    h, w = plane.shape[0] // 2 * 2, plane.shape[1] // 2 * 2
    p = plane[:h, :w]
    out: FloatArray = (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2]) * np.float32(
        0.25
    )
    return out


def upsample(plane: FloatArray, shape: tuple[int, int]) -> FloatArray:
    """Nearest-block upsampling of a coarser map back to ``shape`` (edges replicated)."""
    rows = np.minimum((np.arange(shape[0]) * plane.shape[0]) // shape[0], plane.shape[0] - 1)
    cols = np.minimum((np.arange(shape[1]) * plane.shape[1]) // shape[1], plane.shape[1] - 1)
    out: FloatArray = plane[rows[:, None], cols[None, :]]
    return out


class Stats:
    """Local statistics of one scale: structure term and the two variances."""

    __slots__ = ("structure", "var_edited", "var_parent")

    def __init__(self, parent: FloatArray, edited: FloatArray, radius: int) -> None:
        mp = _box_mean(parent, radius)
        me = _box_mean(edited, radius)
        self.var_parent: FloatArray = np.maximum(_box_mean(parent * parent, radius) - mp * mp, 0)
        self.var_edited: FloatArray = np.maximum(_box_mean(edited * edited, radius) - me * me, 0)
        cov = _box_mean(parent * edited, radius) - mp * me
        self.structure: FloatArray = (cov + np.float32(C3)) / (
            np.sqrt(self.var_parent * self.var_edited) + np.float32(C3)
        )


def structure_map(yp: FloatArray, ye: FloatArray) -> tuple[FloatArray, Stats]:
    """Combined structure similarity (1 = same structure) at working size, and the
    working-scale statistics.

    Three scales see texture of different sizes (a new cloudy sky over a flat one
    only shows at 1/4); the combination is half the minimum over scales and half
    their mean, so one noisy scale cannot decide alone, then lightly smoothed.
    """
    fine = Stats(yp, ye, WINDOW_RADIUS)
    shape = yp.shape
    maps = [fine.structure]
    p, e = yp, ye
    for _ in range(2):
        p, e = half(p), half(e)
        if min(p.shape) < 2 * WINDOW_RADIUS + 1:
            break
        maps.append(upsample(Stats(p, e, WINDOW_RADIUS).structure, shape))
    stack = np.stack(maps)
    combined = stack.min(axis=0) * np.float32(0.5) + stack.mean(axis=0) * np.float32(0.5)
    return _box_mean(combined.astype(np.float32), 2), fine


def grow(seed: BoolArray, allowed: BoolArray, radius: int = 2) -> BoolArray:
    """Hysteresis: ``seed`` grown over the ``allowed`` pixels it reaches.

    Pixels link when they are within about ``radius`` of each other (the region is
    dilated by half of it before labelling), so a gap of a pixel or two in the weak
    evidence does not stop the growth.  One labelling pass (run-length components),
    not repeated dilations: it is the costliest step otherwise.
    """
    region = seed | allowed
    linked = _dilate(region, (radius + 1) // 2) if radius > 0 else region
    runs = _components(linked)
    if runs.count == 0:
        return seed.copy()
    labels = label_image(runs, linked.shape)
    seeded = np.zeros(runs.count + 1, dtype=bool)
    seeded[labels[seed] + 1] = True
    seeded[0] = False
    out: BoolArray = (region & seeded[labels + 1]) | seed
    return out


def label_image(runs: _Runs, shape: tuple[int, int]) -> NDArray[np.int64]:
    """The component label of every pixel (-1 outside every component)."""
    height, width = shape
    labels = np.full(height * width, -1, dtype=np.int64)
    lengths = runs.ends - runs.starts
    flat_index = np.repeat(runs.rows * width + runs.starts, lengths) + (
        np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    labels[flat_index] = np.repeat(runs.labels, lengths)
    return labels.reshape(height, width)


def structure_change(similarity: FloatArray) -> BoolArray:
    """Structure disagreement -> mask: strong seeds (opened), grown over weak evidence."""
    strong = _dilate(_erode(similarity < STRONG_STRUCTURE, 2), 2)
    return grow(strong, similarity < WEAK_STRUCTURE)


def tone_model(
    parent: NDArray[np.uint8], edited: NDArray[np.uint8], support: BoolArray
) -> FloatArray:
    """The parent as the tone edit would render it (3, h, w), fitted on ``support`` only.

    Per-channel monotone curves (the joint-histogram ridge, robust to a minority
    of outliers) capture a grade, exposure, white balance, gamma; a smooth local
    offset field (:data:`FIELD_CELLS` cells, median per cell, unsupported cells
    filled from their neighbours) captures light that varies across the frame.
    """
    shape = parent.shape[1:]
    flat_support = support.reshape(-1).copy()
    p = parent.reshape(3, -1)
    e = edited.reshape(3, -1)
    # A regular subsample is plenty for a few hundred curve points and 12 colour
    # coefficients, and keeps the fit cheap on large working images.
    chosen = np.flatnonzero(flat_support)
    flat_support[chosen[np.arange(chosen.size) % 4 != 0]] = False
    if np.count_nonzero(flat_support) >= 500:
        fit_p, fit_e = p[:, flat_support], e[:, flat_support]
        curves = _fit_curves(fit_p, fit_e, use_mode=True)
        first = _apply_curves(p, curves)
        # Channel mixing (saturation, a black-and-white conversion) that curves cannot
        # express: a trimmed affine colour fit on the support, then curves again.
        mixed = _affine_correct(first, e, flat_support, trim=True)
        levels = np.rint(mixed).astype(np.uint8)
        again = _fit_curves(levels[:, flat_support], fit_e, use_mode=True)
        mapped = _apply_curves(levels, again).reshape(3, *shape)
    else:
        mapped = parent.astype(np.float32)
    field = _offset_field(mapped, edited.astype(np.float32), flat_support.reshape(shape))
    out: FloatArray = mapped + field
    return out


def _offset_field(mapped: FloatArray, edited: FloatArray, support: BoolArray) -> FloatArray:
    """Median (edited - mapped) per coarse cell on ``support``, smoothly interpolated."""
    height, width = support.shape
    longer = max(height, width)
    gy = max(2, round(FIELD_CELLS * height / longer))
    gx = max(2, round(FIELD_CELLS * width / longer))
    cell_rows = (np.arange(height) * gy) // height
    cell_cols = (np.arange(width) * gx) // width
    cells = (cell_rows[:, None] * gx + cell_cols[None, :])[support]
    count = np.bincount(cells, minlength=gy * gx)
    grid = np.zeros((3, gy, gx), dtype=np.float32)
    if cells.size == 0:
        return np.zeros_like(mapped)
    order_cells = np.argsort(cells, kind="stable")
    sorted_cells = cells[order_cells]
    starts = np.searchsorted(sorted_cells, np.arange(gy * gx))
    for channel in range(3):
        diff = (edited[channel] - mapped[channel])[support][order_cells]
        # Median per cell: sort within cells by (cell, value).
        order = np.lexsort((diff, sorted_cells))
        values = diff[order]
        middle = np.clip(starts + count // 2, 0, max(0, values.size - 1))
        grid[channel] = np.where(count > 0, values[middle], 0.0).reshape(gy, gx)
    known = (count >= FIELD_MIN_SUPPORT).reshape(gy, gx).astype(np.float32)
    if not known.any():
        return np.zeros_like(mapped)
    grid *= known
    for _ in range(gy + gx):
        if known.min() > 0:
            break
        padded = np.pad(grid, ((0, 0), (1, 1), (1, 1)))
        weights = np.pad(known, 1)
        total = sum(
            padded[:, 1 + dy : 1 + dy + gy, 1 + dx : 1 + dx + gx]
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        )
        mass = sum(
            weights[1 + dy : 1 + dy + gy, 1 + dx : 1 + dx + gx]
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        )
        fresh = (mass > 0) & (known == 0)
        grid = np.where(fresh[None], total / np.maximum(mass, 1e-6)[None], grid).astype(np.float32)
        known = np.where(fresh, 1.0, known).astype(np.float32)
    return _bilinear(grid, (height, width))


def _bilinear(grid: FloatArray, shape: tuple[int, int]) -> FloatArray:
    """Bilinear interpolation of a (c, gy, gx) grid of cell centres onto ``shape``."""
    height, width = shape
    planes = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(plane), "F").resize(
                (width, height), Image.Resampling.BILINEAR
            ),
            dtype=np.float32,
        )
        for plane in grid
    ]
    return np.stack(planes)


def largest_channel(difference: FloatArray, radius: int) -> FloatArray:
    """Per-pixel largest absolute channel difference of (3, h, w), box-blurred first."""
    blurred = [np.abs(_box_mean(difference[c], radius)) for c in range(3)]
    out: FloatArray = np.maximum(np.maximum(blurred[0], blurred[1]), blurred[2])
    return out


def flat_replacement(
    parent: NDArray[np.uint8],
    edited: NDArray[np.uint8],
    structure: BoolArray,
    fine: Stats,
    similarity: FloatArray,
) -> tuple[BoolArray, BoolArray, FloatArray]:
    """Flat patches replaced by different flat patches (see module docstring).

    Returns the mask, the support the tone model was fitted on (textured,
    structure-matching pixels away from structure change) and the modelled parent.
    """
    support = (
        (fine.var_parent > TEXTURE_VARIANCE)
        & (fine.var_edited > TEXTURE_VARIANCE)
        & (similarity > MATCHING_STRUCTURE)
        & ~_dilate(structure, 3)
    )
    modelled = tone_model(parent, edited, support)
    departure = largest_channel(edited.astype(np.float32) - modelled, 2)
    candidate = (departure > FLAT_CHANGE) & ~support & ~structure
    seeds = _dilate(_erode(candidate, 2), 2)
    if not seeds.any():
        return np.zeros_like(structure), support, modelled
    candidate = grow(seeds, (departure > FLAT_CHANGE_WEAK) & ~support & ~structure)
    # Raw shift against the curves alone (no local field): is the change discontinuous?
    shift = largest_channel(edited.astype(np.float32) - parent.astype(np.float32), 2)
    runs = _components(candidate)
    height, width = candidate.shape
    labels = np.full(height * width, -1, dtype=np.int64)
    lengths = runs.ends - runs.starts
    flat_index = np.repeat(runs.rows * width + runs.starts, lengths) + (
        np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    labels[flat_index] = np.repeat(runs.labels, lengths)
    labels_2d = labels.reshape(height, width)
    pixel_labels = labels[flat_index]
    inside = np.bincount(
        pixel_labels, weights=shift.reshape(-1)[flat_index], minlength=runs.count
    ) / np.maximum(runs.areas, 1)
    # Ring of structure-matching pixels just outside each candidate: nearest label by
    # dilating the label image a few pixels (max over a window keeps one label).
    ring = _dilate(candidate, 4) & ~_dilate(candidate, 1) & support
    nearest = _max_filter_labels(labels_2d, 4)
    ring_labels = nearest[ring]
    ring_shift = shift[ring]
    valid = ring_labels >= 0
    edge = np.bincount(ring_labels[valid], weights=ring_shift[valid], minlength=runs.count)
    edge_n = np.bincount(ring_labels[valid], minlength=runs.count)
    edge_mean = np.where(edge_n > 0, edge / np.maximum(edge_n, 1), 0.0)
    # No structure-matching neighbour at all: nothing says it is light; a strong
    # flat change with nothing around it to compare is counted as content.
    keep = (edge_n < 20) | (edge_mean < DISCONTINUITY * inside)
    kept = keep[np.maximum(labels_2d, 0)] & (labels_2d >= 0)
    return kept, support, modelled


def _max_filter_labels(labels: NDArray[np.int64], radius: int) -> NDArray[np.int64]:
    """Largest label within a (2r+1)^2 window (separable running maximum)."""
    out = labels
    for axis in (0, 1):
        padded = np.pad(
            out, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)], mode="edge"
        )
        n = out.shape[axis]
        acc = np.take(padded, np.arange(0, n), axis=axis)
        for k in range(1, 2 * radius + 1):
            acc = np.maximum(acc, np.take(padded, np.arange(k, k + n), axis=axis))
        out = acc
    return out


def refine_edges(
    mask: BoolArray, parent: NDArray[np.uint8], edited: NDArray[np.uint8], modelled: FloatArray
) -> BoolArray:
    """Pull the mask's edge back onto the pixels that really differ.

    The structure windows (and the coarser scales) spread a change a few pixels
    past its true edge, onto the unchanged subject next to a new backdrop.  In a
    band of :data:`EDGE_BAND` pixels inside the edge a pixel stays only when it
    departs both from the parent and from the tone model (:data:`EDGE_DEPARTURE`
    levels, lightly blurred; the model is fitted on textured pixels and may be off
    on levels it never saw, the parent is exact where nothing was graded), or
    its 3 x 3 structure disagrees.  The 7 x 7 and coarser
    windows cannot decide there, since every one of them at the edge straddles
    both sides.
    """
    band = mask & ~_erode(mask, EDGE_BAND)
    if not band.any():
        return mask
    edited_f = edited.astype(np.float32)
    departure = np.minimum(
        largest_channel(edited_f - modelled, 1),
        largest_channel(edited_f - parent.astype(np.float32), 1),
    )
    # A 3 x 3 structure term straddles the edge by one pixel only: it keeps new texture
    # whose colour happens to match the old (a fill blended from its surroundings).
    tight = Stats(luma(parent), luma(edited), 1).structure
    keep = (departure > EDGE_DEPARTURE) | (tight < STRONG_STRUCTURE)
    out: BoolArray = mask & (~band | keep)
    return out


#: Width (working pixels) of the edge band :func:`refine_edges` re-examines.
EDGE_BAND = 12
#: Departure (levels) from the tone model that keeps an edge pixel in the mask.
EDGE_DEPARTURE = 10.0


#: Halvings of the working size at which lost structure is read: 1/4, features of
#: about 4-30 working pixels, far coarser than skin texture, grain or a sharpening halo
#: (a skin polish keeps half of that band; even a blur that erases the eyes keeps a
#: fifth and 2 levels of it; a smooth fill keeps a twentieth, a few tenths of a level).
LOSS_LEVEL = 2
#: The edit keeps less than this share of the band of the parent and the tone model ...
LOSS_RATIO = 0.15
#: ... and is flat at that scale (band RMS below this, levels) ...
LOSS_FLAT = 0.9
#: ... where the parent, as the tone model renders it, had at least this band RMS.
LOSS_TEXTURE = 2.0
#: Edit levels within this of black or white are clipped: light, not a fill, flattened them.
LOSS_CLIP = 8.0
#: A lost-structure region grows over flat edited pixels departing from the tone model
#: by more than this (levels, largest channel, blurred) ...
FILL_DEPARTURE = 6.0
#: ... within this many working pixels of where the structure was lost.
FILL_REACH = 16


def _band_rms(plane: FloatArray) -> FloatArray:
    """Local RMS (7 x 7 windows) of the band ``plane - box3x3(plane)``: structure, not slope."""
    band = plane - _box_mean(plane, 1)
    out: FloatArray = np.sqrt(_box_mean(band * band, WINDOW_RADIUS))
    return out


def structure_loss(
    parent: NDArray[np.uint8],
    edited: NDArray[np.uint8],
    modelled: FloatArray,
    fine: Stats,
) -> tuple[BoolArray, BoolArray]:
    """Structure the parent had and the edit lacks: a removed object, a smooth fill.

    The structure term cannot see it: next to a flat side SSIM's ``C3`` makes any
    window look similar (the known limit this closes).  A loss of contrast can, but
    at the finest scales a polish or a denoise lowers contrast too, so the loss is
    read on a band-pass at 1/4 of the working size (:data:`LOSS_LEVEL`), where the
    parent's energy is features (a flag's stripes, a lamp, a person), not texture,
    and where a smooth fill's gentle slope carries none: where the edit keeps less
    than :data:`LOSS_RATIO` of the band of both the parent and the tone model (a
    fade that the model follows lowers the band honestly; where light varies across
    the frame the global curves may be steep and overstate it, the parent does not)
    and is flat there, and is not clipped, the structure was removed.  A fill continues a little past
    that core with the same smooth colour, so the region grows over flat edited
    pixels that depart from the tone model (:data:`FILL_DEPARTURE`) within
    :data:`FILL_REACH` pixels.  Returns (the core, the core grown over the fill):
    the grown pixels were admitted pixel by pixel, so edge refinement skips them.
    """
    ye = luma(edited)
    shape = ye.shape
    p, m, e = luma(parent), luma(modelled), ye
    for _ in range(LOSS_LEVEL):
        p, m, e = half(p), half(m), half(e)
    if min(m.shape) < 2 * WINDOW_RADIUS + 1:
        nothing = np.zeros(shape, dtype=bool)
        return nothing, nothing
    band_pm = np.minimum(_band_rms(p), _band_rms(m))
    band_e = _band_rms(e)
    coarse = (band_pm > LOSS_TEXTURE) & (band_e < LOSS_FLAT) & (band_e < LOSS_RATIO * band_pm)
    lost = upsample(coarse.astype(np.float32), shape) > 0.5
    mean_e = _box_mean(ye, WINDOW_RADIUS)
    lost &= (mean_e > LOSS_CLIP) & (mean_e < 255 - LOSS_CLIP)
    lost = _dilate(_erode(lost, 1), 1) & lost
    if not lost.any():
        return lost, lost
    departure = largest_channel(edited.astype(np.float32) - modelled, 2)
    flat_edit = fine.var_edited < TEXTURE_VARIANCE
    allowed = flat_edit & (departure > FILL_DEPARTURE) & _dilate(lost, FILL_REACH)
    return lost, grow(lost, allowed)


def fill_holes(mask: BoolArray, flat_edit: BoolArray, max_fraction: float) -> BoolArray:
    """Small enclosed holes of ``mask`` whose edited pixels are flat join it.

    Inside a smooth fill the new colour crosses the old one along thin lines, which
    no cue can tell from "unchanged"; they are part of the same fill when they are
    enclosed by the change, smaller than ``max_fraction`` of the picture and flat in
    the edit (no structure of their own -- an unchanged strand of hair in a swapped
    backdrop has structure and stays out).
    """
    holes = _components(~mask)
    if holes.count == 0:
        return mask
    height, width = mask.shape
    border = (holes.rows == 0) | (holes.rows == height - 1) | (holes.starts == 0)
    border |= holes.ends == width
    touches = np.bincount(holes.labels[border], minlength=holes.count) > 0
    row_counts = np.zeros((height, width + 1), dtype=np.int32)
    np.cumsum(flat_edit, axis=1, out=row_counts[:, 1:])
    flat_runs = row_counts[holes.rows, holes.ends] - row_counts[holes.rows, holes.starts]
    flat_count = np.bincount(holes.labels, weights=flat_runs, minlength=holes.count)
    chosen_labels = (
        ~touches
        & (holes.areas <= max_fraction * mask.size)
        & (flat_count >= FILL_FLAT_SHARE * holes.areas)
    )
    chosen = chosen_labels[holes.labels]
    if not chosen.any():
        return mask
    out: BoolArray = mask | _render(
        mask.shape, holes.rows[chosen], holes.starts[chosen], holes.ends[chosen]
    )
    return out


#: Holes of the content mask up to this fraction of the picture may join it ...
HOLE_FRACTION = 0.002
#: ... when at least this share of their edited pixels is flat.
FILL_FLAT_SHARE = 0.9


def content_mask(
    parent: NDArray[np.uint8], edited: NDArray[np.uint8]
) -> tuple[BoolArray, FloatArray, BoolArray, FloatArray]:
    """Content change at working size: (mask, structure similarity, tone support, modelled)."""
    yp, ye = luma(parent), luma(edited)
    similarity, fine = structure_map(yp, ye)
    structural = structure_change(similarity)
    flat, support, modelled = flat_replacement(parent, edited, structural, fine, similarity)
    core, fill = structure_loss(parent, edited, modelled, fine)
    mask = refine_edges(structural | flat | core, parent, edited, modelled) | fill
    if fill.any():
        mask = fill_holes(mask, fine.var_edited < TEXTURE_VARIANCE, HOLE_FRACTION)
    return mask, similarity, support, modelled
