"""The three kinds of change, measured together: content, detail, tone (DESIGN.md).

:func:`measure` runs the steps in order -- align, content (structure first),
detail and tone on what remains -- and returns a :class:`Measurement` holding
one mask per kind at working size with its strength.  :func:`to_changes` turns
it into the :class:`~provenance.models.Change` values an
:class:`~provenance.models.Extent` records.

Kinds are exclusive per pixel (content wins over detail, detail over tone), so
masks of one measurement never overlap and the file's changed area is their
union, never a sum.

**Tone** is the local luminance/colour shift on the pixels whose content and
detail are unchanged: both images are box-blurred (radius :data:`TONE_RADIUS`)
and the largest channel difference compared with :data:`TONE_THRESHOLD`
levels.  A plain re-save or resize shifts local means by well under one level.

**Strength** (0..1) per kind, with words at documented thresholds
(:data:`STRENGTH_WORDS`: below 1/3 *subtle*, below 2/3 *moderate*, else
*strong*):

* content: mean of ``1 - structure`` inside the mask, plus the colour departure
  for flat replacements, clipped to 0..1 (new texture over old ~ 1);
* detail: mean ``|log2 energy ratio|`` inside the mask / :data:`DETAIL_FULL_SCALE`
  (energy x1/8 or x8 = 1: a face polished flat);
* tone: mean shift inside the mask / :data:`TONE_FULL_SCALE` levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from provenance.extent import content as content_step
from provenance.extent import detail as detail_step
from provenance.extent.align import check_geometry, working_pair
from provenance.extent.morphology import BoolArray, FloatArray, _dilate, _erode
from provenance.extent.regions import _DECIMALS, cover_rectangles
from provenance.models import Change, ChangeKind

#: Blur radius (working pixels) of the local means compared for tone.
TONE_RADIUS = 4
#: A local mean shifted by more than this (levels, largest channel) is a tone change.
TONE_THRESHOLD = 4.0
#: Tone strength 1 = a mean shift of this many levels.
TONE_FULL_SCALE = 60.0
#: Detail strength 1 = this mean |log2| energy ratio.
DETAIL_FULL_SCALE = 3.0
#: Strength words: (upper bound, word), checked in order.
STRENGTH_WORDS = ((1 / 3, "subtle"), (2 / 3, "moderate"), (float("inf"), "strong"))
#: Components of a kind's mask smaller than this fraction of the picture are dropped.
MIN_FRACTION = 0.0005


def strength_label(strength: float | None) -> str | None:
    """'subtle' / 'moderate' / 'strong' for a strength in 0..1 (None stays None)."""
    if strength is None:
        return None
    for bound, word in STRENGTH_WORDS:
        if strength < bound:
            return word
    return STRENGTH_WORDS[-1][1]


@dataclass(frozen=True, slots=True)
class Measurement:
    """Masks per kind at working size (exclusive per pixel) and their strengths."""

    content: BoolArray
    detail: BoolArray
    tone: BoolArray
    content_strength: float | None
    detail_strength: float | None
    tone_strength: float | None
    #: Longer side (px) the detail band was compared at.
    detail_side: int
    #: Mean signed log2 energy ratio in the detail mask: < 0 smoothed, > 0 sharpened/grain.
    detail_direction: float = 0.0

    @property
    def changed(self) -> BoolArray:
        """Content or detail: what is not as captured (tone is reported beside it)."""
        out: BoolArray = self.content | self.detail
        return out

    def mask(self, kind: ChangeKind) -> BoolArray:
        """The mask of one kind."""
        return {ChangeKind.CONTENT: self.content, ChangeKind.DETAIL: self.detail}.get(
            kind, self.tone
        )

    def strength(self, kind: ChangeKind) -> float | None:
        """The strength of one kind."""
        return {
            ChangeKind.CONTENT: self.content_strength,
            ChangeKind.DETAIL: self.detail_strength,
        }.get(kind, self.tone_strength)


def _mean_in(values: FloatArray, mask: BoolArray) -> float | None:
    if not mask.any():
        return None
    return float(values[mask].mean())


def _clean(mask: BoolArray) -> BoolArray:
    """Drop specks below MIN_FRACTION of the picture (opening by one pixel first)."""
    from provenance.extent.regions import _components, _render

    opened = _dilate(_erode(mask, 1), 1) & mask
    runs = _components(opened)
    if runs.count == 0:
        return opened
    keep = runs.areas >= max(4, round(MIN_FRACTION * mask.size))
    chosen = keep[runs.labels]
    return _render(mask.shape, runs.rows[chosen], runs.starts[chosen], runs.ends[chosen])


def measure(
    parent: Image.Image,
    edited: Image.Image,
    *,
    max_side: int,
    parent_plane: detail_step.DetailPlane | None = None,
    edited_plane: detail_step.DetailPlane | None = None,
) -> Measurement:
    """Measure content, detail and tone change from ``parent`` to ``edited``.

    ``parent``/``edited`` may be reduced copies (the working images); the detail
    planes, when given, carry finer resolution (see :mod:`.detail`).  Without
    them the detail band is read from the images themselves.  Raises
    :class:`~provenance.extent.align.GeometryMismatch` for a crop, rotation or warp.
    """
    parent_px, edited_px = working_pair(parent, edited, max_side)
    check_geometry(parent_px, edited_px)
    height, width = edited_px.shape[1:]

    content, similarity, _, modelled = content_step.content_mask(parent_px, edited_px)
    content = _clean(content)

    yp = content_step.luma(parent_px)
    gain = detail_step.local_gain(yp, content_step.luma(modelled), content_step.luma(edited_px))
    gain = detail_step.recolour_gain(parent_px, edited_px, gain)
    if parent_plane is None:
        parent_plane = detail_step.plane_from_image(parent)
    if edited_plane is None:
        edited_plane = detail_step.plane_from_image(edited)
    detail_result = detail_step.detail_change(
        parent_plane, edited_plane, (width, height), gain, _dilate(content, 1)
    )
    detail = _clean(detail_result.mask) & ~content

    shift = content_step.largest_channel(
        edited_px.astype(np.float32) - parent_px.astype(np.float32), TONE_RADIUS
    )
    tone = _clean((shift > TONE_THRESHOLD) & ~content & ~detail) & ~content & ~detail

    content_strength = _mean_in(np.clip(1.0 - similarity, 0.0, 1.0).astype(np.float32), content)
    detail_strength = _mean_in(
        np.abs(detail_result.log_ratio) * np.float32(1 / DETAIL_FULL_SCALE), detail
    )
    tone_strength = _mean_in(shift * np.float32(1 / TONE_FULL_SCALE), tone)
    direction = _mean_in(detail_result.log_ratio, detail)
    return Measurement(
        content=content,
        detail=detail,
        tone=tone,
        content_strength=_unit(content_strength),
        detail_strength=_unit(detail_strength),
        tone_strength=_unit(tone_strength),
        detail_side=detail_result.side,
        detail_direction=round(direction, 3) if direction is not None else 0.0,
    )


def _unit(value: float | None) -> float | None:
    if value is None:
        return None
    return round(min(1.0, max(0.0, value)), _DECIMALS)


def to_changes(measurement: Measurement, *, max_regions: int = 48) -> tuple[Change, ...]:
    """One :class:`Change` per kind that was found (area > 0), content first."""
    changes: list[Change] = []
    for kind in (ChangeKind.CONTENT, ChangeKind.DETAIL, ChangeKind.TONE):
        mask = measurement.mask(kind)
        count = int(np.count_nonzero(mask))
        if count == 0:
            continue
        strength = measurement.strength(kind)
        changes.append(
            Change(
                kind=kind,
                area_fraction=round(count / mask.size, _DECIMALS),
                strength=strength,
                strength_label=strength_label(strength),
                regions=cover_rectangles(mask, max_rectangles=max_regions),
                direction=(
                    ("smoothed" if measurement.detail_direction < 0 else "sharpened")
                    if kind is ChangeKind.DETAIL
                    else None
                ),
            )
        )
    return tuple(changes)


def union_fraction(mask: NDArray[np.bool_]) -> float:
    """Area fraction of a mask, 4 decimals."""
    return round(float(np.count_nonzero(mask)) / mask.size, _DECIMALS) if mask.size else 0.0
