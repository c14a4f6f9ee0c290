"""How much of a picture an edit changed, by kind: the AI-extent method (DESIGN.md).

A C2PA action can say *that* an AI model touched a photo; this module says *how
much* of it, and *what kind* of change it was.  Given the parent image and the
edited one we produce an :class:`~provenance.models.Extent` whose ``changes``
hold one entry per kind -- ``content`` (new or replaced matter), ``detail``
(texture or sharpness), ``tone`` (light and colour) -- each with its area
fraction, a strength in 0..1 with a word, and rectangles covering its mask.

The steps, one module each:

1. **Align** (:mod:`.align`, :mod:`.geometry`): one working size, pure rescale
   only.  A crop (also one that keeps the proportions), a rotation or a shift
   raises :class:`GeometryMismatch`: the extent is unknown, never guessed.
2. **Content, structure first** (:mod:`.content`): where the local structure
   (SSIM's structure term at three scales) disagrees; flat patches replaced by
   different flat patches are found against a tone model fitted *only* on
   structure-matching pixels, never on all of them.
3. **Detail** (:mod:`.detail`): the finest band's energy ratio on a
   higher-resolution luma plane, above the noise and JPEG floor, corrected for
   the tone change's local gain; **tone** (:mod:`.kinds`): the local mean
   shift on what remains.
4. ``area_fraction`` = content ∪ detail: how much of the picture is not as
   captured.  Tone is reported beside it, never folded in (a colour grade is not
   "100 % changed").  Kinds are exclusive per pixel, so several kinds never add up
   to more than the picture.

Only numpy and Pillow are used; everything per-pixel is vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from PIL import Image

from provenance.extent.align import GeometryMismatch
from provenance.extent.detail import DetailPlane
from provenance.extent.kinds import Measurement, measure, to_changes, union_fraction
from provenance.extent.morphology import BoolArray, _downscale_mask, _resample_nearest
from provenance.extent.regions import _DECIMALS, _regions
from provenance.models import Extent, ExtentMethod, Region

__all__ = [
    "DEFAULT_MAX_SIDE",
    "GeometryMismatch",
    "changed_mask",
    "extent_from_mask",
    "extent_from_measurement",
    "mask_to_array",
    "measure_extent",
    "measure_kinds",
    "restrict",
    "undeclared_fraction",
]

#: Working resolution used when a caller gives none (and for declared masks).
DEFAULT_MAX_SIDE = 1024


def changed_mask(
    parent: Image.Image,
    edited: Image.Image,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    parent_plane: DetailPlane | None = None,
    edited_plane: DetailPlane | None = None,
) -> BoolArray:
    """The measured content-or-detail mask at working resolution (True = changed).

    The array has the edited image's aspect ratio with its longer side at most
    ``max_side`` (smaller when either image is smaller: we never upscale).
    Raises :class:`GeometryMismatch` when the parent is not a pure rescale.
    """
    return measure_kinds(
        parent, edited, max_side=max_side, parent_plane=parent_plane, edited_plane=edited_plane
    ).changed


def measure_kinds(
    parent: Image.Image,
    edited: Image.Image,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    parent_plane: DetailPlane | None = None,
    edited_plane: DetailPlane | None = None,
) -> Measurement:
    """The per-kind masks and strengths (:class:`~provenance.extent.kinds.Measurement`)."""
    return measure(
        parent, edited, max_side=max_side, parent_plane=parent_plane, edited_plane=edited_plane
    )


def measure_extent(
    parent: Image.Image,
    edited: Image.Image,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    max_regions: int = 8,
    parent_plane: DetailPlane | None = None,
    edited_plane: DetailPlane | None = None,
) -> Extent:
    """Measure what changed from ``parent`` to ``edited``, by kind.

    Returns an :class:`Extent` with ``method=MEASURED``; ``area_fraction`` (4
    decimals) is the content-or-detail area; ``changes`` one entry per kind
    found, each with rectangles covering its mask; ``regions`` up to
    ``max_regions`` boxes around the content-or-detail components; ``magnitude`` the largest strength of content/detail, or
    None when nothing but tone changed.  ``parent_plane``/``edited_plane``
    (:func:`provenance.extent.detail.load_plane`) give the detail step finer
    resolution than reduced working images carry.  Raises
    :class:`GeometryMismatch` on a crop, rotation or other reshaping.
    """
    found = measure_kinds(
        parent, edited, max_side=max_side, parent_plane=parent_plane, edited_plane=edited_plane
    )
    return extent_from_measurement(found, max_regions=max_regions)


#: Rectangles per kind covering its mask (recorded as the action's ``changes``).
MAX_RECTANGLES = 32


def extent_from_measurement(
    found: Measurement, *, max_regions: int = 8, max_rectangles: int = MAX_RECTANGLES
) -> Extent:
    """The :class:`Extent` of a measurement (see :func:`measure_extent`)."""
    changed = found.changed
    strengths = [s for s in (found.content_strength, found.detail_strength) if s is not None]
    return Extent(
        area_fraction=union_fraction(changed),
        method=ExtentMethod.MEASURED,
        regions=_regions(changed, max_regions=max_regions),
        magnitude=max(strengths) if strengths and changed.any() else None,
        changes=to_changes(found, max_regions=max_rectangles),
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


def restrict(
    found: Measurement, masks: Image.Image | Sequence[Image.Image], *, inside: bool
) -> Extent:
    """The measured extent inside (or outside) the union of declared masks.

    Used when a masked and an unmasked edit share one signing step: the masked
    edit is credited with what was measured inside its mask, the unmasked one
    with what was measured outside every mask, so the step's changed area is
    the union of the two, never their sum (DESIGN.md, step 5).
    """
    shape = found.content.shape
    union = np.zeros(shape, dtype=bool)
    for mask in [masks] if isinstance(masks, Image.Image) else masks:
        union |= _resample_nearest(_downscale_mask(mask_to_array(mask), max(shape)), shape)
    keep = union if inside else ~union
    return extent_from_measurement(
        replace(
            found,
            content=found.content & keep,
            detail=found.detail & keep,
            tone=found.tone & keep,
        )
    )
