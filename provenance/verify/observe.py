"""Declared vs observed: re-measure an edit at verify time (DESIGN.md, AI-extent step 7).

A signer declares how much of a picture AI changed (measured when it signed, or
a mask it supplied).  When the parent ingredient's thumbnail is embedded, the
reader can check that claim independently: measure the change between the
parent's thumbnail and the active manifest's own thumbnail (both are signed
parts of the credential) with the same tone-normalised method, and compare it
with the declared regions.  Change found outside every declared region is an
*undeclared change*: a problem entry and a statement, never a verdict change
(the signature is still intact; what it says is incomplete).

Thumbnails are attacker data: they are decoded only through
:func:`provenance.media.decode_thumbnail`, which bounds bytes and pixels first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from provenance import media
from provenance.models import (
    Action,
    Extent,
    ExtentMethod,
    KindAreas,
    Problem,
    Region,
    Relationship,
    Report,
)
from provenance.store import ManifestData, StoreData
from provenance.wording import percent

if TYPE_CHECKING:
    from provenance.extent.kinds import Measurement

__all__ = [
    "DILATE_FRACTION",
    "UNDECLARED_CODE",
    "UNDECLARED_TOLERANCE",
    "agrees",
    "compare_masks",
    "judge",
    "judge_kinds",
    "observe_extent",
]

#: Change outside the declared regions up to this fraction of the image is noise
#: (thumbnail JPEG artefacts, edges of a blended edit), not an undeclared change.
UNDECLARED_TOLERANCE = 0.02
#: Declared boxes are grown by this fraction of each side before comparing: a
#: generative fill blends a few pixels past its mask, and thumbnails blur edges.
DILATE_FRACTION = 0.02
#: Area numbers are compared with this slack when no regions were declared.
AREA_TOLERANCE = 0.03
UNDECLARED_CODE = "provenance.extent.undeclaredChange"

_NOT_CONTENT = frozenset({"c2pa.created", "c2pa.opened", "c2pa.edited.metadata", "c2pa.published"})


def _parent_thumbnail_id(manifest: ManifestData) -> str | None:
    for ingredient in manifest.ingredients:
        if ingredient.relationship == Relationship.PARENT_OF.value and ingredient.thumbnail_id:
            return ingredient.thumbnail_id
    return None


def grow(region: Region, amount: float) -> Region:
    """``region`` grown by ``amount`` (a fraction of each side) on every side, clipped."""
    x0 = max(0.0, region.x - amount)
    y0 = max(0.0, region.y - amount)
    x1 = min(1.0, region.x + region.width + amount)
    y1 = min(1.0, region.y + region.height + amount)
    return Region(x0, y0, x1 - x0, y1 - y0)


def _content_edits(actions: tuple[Action, ...]) -> list[Action]:
    return [a for a in actions if a.action not in _NOT_CONTENT]


def _extent_regions(extent: Extent) -> tuple[Region, ...]:
    """The finest regions an extent has: its content/detail rectangles, else its boxes."""
    if extent.method is ExtentMethod.MEASURED and extent.changes:
        return (
            tuple(
                r
                for c in extent.changes
                if c.kind.value in ("content", "detail")
                for r in c.regions
            )
            or extent.regions
        )
    return extent.regions


def compare_masks(
    changed: NDArray[np.bool_], regions: tuple[Region, ...]
) -> tuple[float, NDArray[np.bool_]]:
    """Fraction of the image changed outside ``regions`` (grown slightly), and that mask."""
    height, width = changed.shape
    allowed = np.zeros((height, width), dtype=bool)
    for region in regions:
        grown = grow(region, DILATE_FRACTION)
        x0 = max(0, int(np.floor(grown.x * width)))
        y0 = max(0, int(np.floor(grown.y * height)))
        x1 = min(width, int(np.ceil((grown.x + grown.width) * width)))
        y1 = min(height, int(np.ceil((grown.y + grown.height) * height)))
        allowed[y0:y1, x0:x1] = True
    outside = changed & ~allowed
    return round(float(np.count_nonzero(outside)) / changed.size, 4), outside


def _outside_regions(outside: NDArray[np.bool_]) -> tuple[Region, ...]:
    """Boxes around the undeclared change, via the extent module's public mask API."""
    from PIL import Image

    from provenance.extent.measure import extent_from_mask

    image = Image.fromarray(outside.astype(np.uint8) * 255)
    return extent_from_mask(image, max_regions=4).regions


def observe_extent(report: Report, store: StoreData, thumbnails: Mapping[str, bytes]) -> Report:
    """The report with ``ai.observed_area_fraction`` / ``ai.consistent`` filled in when possible.

    Needs the active manifest's thumbnail (the edited image) and its ``parentOf``
    ingredient's thumbnail (the parent).  Leaves the AI summary unchanged when either
    is missing, undecodable or of another shape (a crop cannot be compared pixel
    by pixel), or when the image is AI-generated as a whole.  Each placed
    component is checked too (:mod:`provenance.verify.placed`), or marked
    ``could_not_check`` with the reason.
    """
    from provenance.verify.placed import check_components, not_checked

    found, reason = _remeasure(report, store, thumbnails)
    if found is None:
        return not_checked(report, reason)
    mask = found.changed
    observed = round(float(np.count_nonzero(mask)) / mask.size, 4)
    kinds = KindAreas(
        content=_fraction(found.content),
        detail=_fraction(found.detail),
        tone=_fraction(found.tone),
    )
    return check_components(judge_kinds(judge(report, mask, observed), kinds), mask)


def _remeasure(
    report: Report, store: StoreData, thumbnails: Mapping[str, bytes]
) -> tuple[Measurement | None, str]:
    """The change between the parent's thumbnail and this file's, or why there is none."""
    from provenance.extent.align import GeometryMismatch
    from provenance.extent.detail import load_plane
    from provenance.extent.measure import measure_kinds
    from provenance.verify import placed

    active = store.active
    if active is None:
        return None, placed.NO_OWN_THUMBNAIL
    if report.ai.generated:
        return None, placed.GENERATED
    parent_id = _parent_thumbnail_id(active)
    edited_data = thumbnails.get(active.thumbnail_id or "")
    parent_data = thumbnails.get(parent_id or "")
    if parent_data is None:
        return None, placed.NO_PARENT_THUMBNAIL
    if edited_data is None:
        return None, placed.NO_OWN_THUMBNAIL
    edited = media.decode_thumbnail(edited_data)
    parent = media.decode_thumbnail(parent_data)
    if edited is None or parent is None:
        return None, placed.UNDECODABLE
    # The detail planes are the thumbnails themselves, with their JPEG floor.
    planes = [
        load_plane(data, max_pixels=media.THUMBNAIL_MAX_PIXELS, max_side=media.THUMBNAIL_SIDE)
        for data in (parent_data, edited_data)
    ]
    try:
        found = measure_kinds(
            parent,
            edited,
            max_side=media.THUMBNAIL_SIDE,
            parent_plane=planes[0],
            edited_plane=planes[1],
        )
    except (GeometryMismatch, ValueError):
        return None, placed.OTHER_SHAPE
    return found, ""


def _fraction(mask: NDArray[np.bool_]) -> float:
    return round(float(np.count_nonzero(mask)) / mask.size, 4) if mask.size else 0.0


#: Declared and observed areas agree when they differ by at most this (absolute) ...
OBSERVE_ABS_TOLERANCE = 0.05
#: ... plus this share of the larger of the two: thumbnails blur edges and drop the
#: finest texture, so large areas get a proportionate allowance -- 60% declared
#: against 42% observed is not consistent (0.18 > 0.05 + 0.15 x 0.60 = 0.14).
OBSERVE_REL_TOLERANCE = 0.15
#: A declared detail change counts as "too fine for the thumbnail" when the
#: thumbnail shows less than this share of it.
DETAIL_CONFIRMED_SHARE = 0.5
MISMATCH_CODE = "provenance.extent.declaredMismatch"


def agrees(declared: float, observed: float) -> bool:
    """Declared vs observed area within the documented tolerance."""
    allowance = OBSERVE_ABS_TOLERANCE + OBSERVE_REL_TOLERANCE * max(declared, observed)
    return abs(declared - observed) <= allowance + 1e-9


def judge_kinds(report: Report, observed: KindAreas) -> Report:
    """Compare what the AI edits declared with the per-kind re-measurement (pure).

    * Any AI edit declared by a mask: the declared area (``ai.area_fraction``)
      is compared with the content-or-detail area observed.
    * All AI edits measured by kind: content is compared with content, and
      detail may not exceed what was measured (beyond the tolerance).
    * A detail change the thumbnail does not show (less than
      :data:`DETAIL_CONFIRMED_SHARE` of it) is *too fine for the thumbnail*: said
      in ``observe_notes`` and left out of the comparison.
    * Tone is reported, never judged (a grade by hand is tone too).

    Agreement is :func:`agrees` (documented tolerance).
    """
    ai = replace(report.ai, observed_by_kind=observed)
    report = replace(report, ai=ai)
    declared_total = ai.area_fraction
    if declared_total is None or not ai.edited:
        return report
    ai_actions = [a for a in _content_edits(report.actions) if a.ai and a.extent is not None]
    by_kind = ai.by_kind
    notes: list[str] = []
    seen_detail = observed.detail or 0.0
    declared_detail = (by_kind.detail or 0.0) if by_kind is not None else 0.0
    too_fine = declared_detail >= 0.005 and seen_detail < DETAIL_CONFIRMED_SHARE * declared_detail
    if too_fine:
        notes.append(
            f"The detail change ({percent(declared_detail)} of the picture) is too fine "
            "for the embedded thumbnail to confirm."
        )
    declared_by_mask = any(
        a.extent is not None and a.extent.method is ExtentMethod.DECLARED for a in ai_actions
    )
    if declared_by_mask or by_kind is None:
        declared_cmp = max(0.0, declared_total - (declared_detail if too_fine else 0.0))
        observed_cmp = (observed.content or 0.0) + (0.0 if too_fine else seen_detail)
        ok = agrees(declared_cmp, observed_cmp)
    else:
        declared_cmp = by_kind.content or 0.0
        observed_cmp = observed.content or 0.0
        ok = agrees(declared_cmp, observed_cmp) and (
            seen_detail <= declared_detail or agrees(declared_detail, seen_detail)
        )
        if ok is False and agrees(declared_cmp, observed_cmp):
            declared_cmp, observed_cmp = declared_detail, seen_detail
    report = replace(report, ai=replace(report.ai, observe_notes=tuple(notes)))
    if ok or report.ai.consistent is False:
        return report
    problem = Problem(
        code=MISMATCH_CODE,
        explanation=(
            f"Comparing the picture with its parent shows {percent(observed_cmp)} of it "
            f"changed, but the edits declared {percent(declared_cmp)}: the two do not agree."
        ),
        severity="warning",
    )
    return replace(
        report,
        ai=replace(report.ai, consistent=False),
        problems=(*report.problems, problem),
    )


def judge(report: Report, mask: NDArray[np.bool_], observed: float) -> Report:
    """Compare an observed change mask with what the report's actions declared (pure)."""
    edits = _content_edits(report.actions)
    ai_edits = [a for a in edits if a.ai]
    # With AI edits present, the signer attributes all content change to them (a
    # human grade is tone-normalised away), so only declared extents can explain
    # change.  Without AI edits, a human edit of unknown extent may explain anything.
    if ai_edits:
        if any(a.extent is None for a in ai_edits):
            return _with(report, observed, None)
        explainers = [a for a in edits if a.extent is not None]
    else:
        if any(a.extent is None for a in edits):
            return _with(report, observed, None)
        explainers = edits
    regions = tuple(r for a in explainers if a.extent for r in _extent_regions(a.extent))
    if regions:
        undeclared, outside = compare_masks(mask, regions)
    else:
        declared_area = sum(
            (a.extent.area_fraction or 0.0) for a in explainers if a.extent is not None
        )
        undeclared = round(max(0.0, observed - declared_area), 4)
        outside = mask if undeclared > AREA_TOLERANCE else np.zeros_like(mask)
        if undeclared <= AREA_TOLERANCE:
            undeclared = 0.0
    consistent = undeclared <= UNDECLARED_TOLERANCE
    if consistent:
        return _with(report, observed, True, undeclared=undeclared)
    where_regions = _outside_regions(outside)
    problem = Problem(
        code=UNDECLARED_CODE,
        explanation=(
            f"Comparing the picture with its parent shows change in {percent(undeclared)} "
            "of the image outside every area the edits declared: the disclosure is incomplete."
        ),
        severity="warning",
    )
    return replace(
        _with(report, observed, False, undeclared=undeclared, regions=where_regions),
        problems=(*report.problems, problem),
    )


def _with(
    report: Report,
    observed: float,
    consistent: bool | None,
    *,
    undeclared: float | None = None,
    regions: tuple[Region, ...] = (),
) -> Report:
    ai = replace(
        report.ai,
        observed_area_fraction=observed,
        consistent=consistent,
        undeclared_area_fraction=undeclared,
        undeclared_regions=regions,
    )
    return replace(report, ai=ai)
