"""Declared vs observed per placed component (DESIGN.md, AI-extent step 7, for hybrid images).

A composite records, for each part placed from another file, where it went: the
extent of the ``c2pa.placed`` action that links the ``componentOf`` ingredient
(C2PA 2.x, 18.15 ``parameters.ingredients``; 8.3 ingredient relationships) --
declared from a mask, or measured when it was signed.  When the parent's
thumbnail is embedded, :mod:`provenance.verify.observe` re-measures the change
between it and this file's thumbnail; here each component's recorded area is
compared with the change observed *inside its recorded regions* (grown by
:data:`~provenance.verify.observe.DILATE_FRACTION`, as for the whole-file check),
with the same documented tolerance (:func:`provenance.verify.observe.agrees`:
5 points plus 15% of the larger of the two).

Each component gets one of three results: ``consistent``, ``inconsistent`` (a
warning problem, never a verdict change: the signature is intact, what it says
about the part is not borne out), or ``could_not_check`` with the reason.  A
part too small for the tolerance to tell its absence from its presence is only
called consistent when the thumbnail shows at least half of it changed.

This module imports numpy only inside :func:`check_components`, so the paths
that cannot check stay cheap.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from provenance.labels import SHARED_COMPONENT_NOTE
from provenance.models import (
    CheckResult,
    Extent,
    ExtentMethod,
    HistoryEntry,
    PlacedCheck,
    Problem,
    Region,
    Relationship,
    Report,
)
from provenance.sanitize import clean_text
from provenance.wording import percent

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "COMPONENT_MISMATCH_CODE",
    "CONFIRMED_SHARE",
    "check_components",
    "component_sentences",
    "not_checked",
    "recorded_regions",
]

COMPONENT_MISMATCH_CODE = "provenance.extent.componentMismatch"
#: A part too small for the area tolerance counts as confirmed when the thumbnail
#: shows at least this share of its recorded area changed.
CONFIRMED_SHARE = 0.5

#: Reasons, in plain words (they end a sentence "could not check: ...").
NO_PARENT_THUMBNAIL = "no thumbnail of the earlier version is embedded to compare with"
NO_OWN_THUMBNAIL = "this file's own thumbnail is not embedded"
UNDECODABLE = "the embedded thumbnails could not be decoded"
OTHER_SHAPE = (
    "the earlier version's thumbnail has another shape (cropped or rotated), so the two "
    "cannot be compared pixel by pixel"
)
GENERATED = "the whole picture is declared as made by AI"


def recorded_regions(extent: Extent) -> tuple[Region, ...]:
    """The finest regions an extent records: its content/detail rectangles, else its boxes."""
    if extent.method is ExtentMethod.MEASURED and extent.changes:
        fine = tuple(
            r for c in extent.changes if c.kind.value in ("content", "detail") for r in c.regions
        )
        return fine or extent.regions
    return extent.regions


def _components(report: Report) -> list[int]:
    return [
        i
        for i, entry in enumerate(report.history)
        if entry.relationship == Relationship.COMPONENT_OF.value
    ]


def _with_checks(report: Report, checks: dict[int, PlacedCheck]) -> Report:
    if not checks:
        return report
    history = tuple(
        replace(entry, placed_check=checks[i]) if i in checks else entry
        for i, entry in enumerate(report.history)
    )
    return replace(report, history=history)


def _declared(entry: HistoryEntry) -> float | None:
    return entry.placed.area_fraction if entry.placed is not None else None


def _unrecorded(entry: HistoryEntry) -> str | None:
    """Why this component's recorded area cannot be checked whatever the pixels show."""
    placed = entry.placed
    if placed is None:
        return "no c2pa.placed action records where it was placed"
    if placed.area_fraction is None:
        note = clean_text(placed.note, max_length=160)
        return "its placed area was not recorded" + (f" ({note})" if note else "")
    if placed.note == SHARED_COMPONENT_NOTE:
        return (
            "its recorded area is the change shared by several placed parts, "
            "checked as a whole for the picture"
        )
    if not recorded_regions(placed):
        return "no regions were recorded for it, so where it sits is not known"
    return None


def not_checked(report: Report, reason: str) -> Report:
    """Every component not yet checked marked ``could_not_check`` (its own reason first)."""
    checks = {}
    for i in _components(report):
        entry = report.history[i]
        if entry.placed_check is not None:
            continue
        checks[i] = PlacedCheck(
            CheckResult.COULD_NOT_CHECK,
            declared_area_fraction=_declared(entry),
            reason=_unrecorded(entry) or reason,
        )
    return _with_checks(report, checks)


def _region_mask(regions: tuple[Region, ...], shape: tuple[int, int]) -> NDArray[np.bool_]:
    import numpy as np

    from provenance.verify.observe import DILATE_FRACTION, grow

    height, width = shape
    allowed = np.zeros((height, width), dtype=bool)
    for region in regions:
        grown = grow(region, DILATE_FRACTION)
        x0 = max(0, int(np.floor(grown.x * width)))
        y0 = max(0, int(np.floor(grown.y * height)))
        x1 = min(width, int(np.ceil((grown.x + grown.width) * width)))
        y1 = min(height, int(np.ceil((grown.y + grown.height) * height)))
        allowed[y0:y1, x0:x1] = True
    return allowed


def _name(entry: HistoryEntry, number: int) -> str:
    return (
        clean_text(entry.component_label, max_length=60)
        or clean_text(entry.title, max_length=60)
        or f"part {number}"
    )


def check_components(report: Report, changed: NDArray[np.bool_]) -> Report:
    """Each component's recorded area compared with the change observed inside it (pure).

    ``changed`` is the content-or-detail change mask between the parent's thumbnail
    and this file's (:func:`provenance.verify.observe.observe_extent`).  An
    inconsistent component adds a ``provenance.extent.componentMismatch`` warning.
    """
    import numpy as np

    from provenance.verify.observe import agrees

    checks: dict[int, PlacedCheck] = {}
    problems: list[Problem] = []
    for number, i in enumerate(_components(report), start=1):
        entry = report.history[i]
        reason = _unrecorded(entry)
        declared = _declared(entry)
        if reason is not None or entry.placed is None or declared is None:
            checks[i] = PlacedCheck(
                CheckResult.COULD_NOT_CHECK,
                declared_area_fraction=declared,
                reason=reason or "its placed area was not recorded",
            )
            continue
        inside = changed & _region_mask(recorded_regions(entry.placed), changed.shape)
        observed = round(float(np.count_nonzero(inside)) / changed.size, 4)
        if agrees(declared, 0.0):
            # Too small for the tolerance: absence would pass too, so ask for the change.
            if observed >= CONFIRMED_SHARE * declared:
                checks[i] = PlacedCheck(CheckResult.CONSISTENT, declared, observed)
            else:
                checks[i] = PlacedCheck(
                    CheckResult.COULD_NOT_CHECK,
                    declared,
                    observed,
                    reason=(
                        f"it is too small ({percent(declared)} of the picture) for the "
                        "embedded thumbnails to confirm"
                    ),
                )
            continue
        if agrees(declared, observed):
            checks[i] = PlacedCheck(CheckResult.CONSISTENT, declared, observed)
            continue
        checks[i] = PlacedCheck(CheckResult.INCONSISTENT, declared, observed)
        problems.append(
            Problem(
                code=COMPONENT_MISMATCH_CODE,
                explanation=(
                    f"The placed part “{_name(entry, number)}” is recorded as "
                    f"{percent(declared)} of the picture, but comparing the picture with its "
                    f"earlier version shows {percent(observed) if observed else 'no'} change "
                    "where it is said to be: the two do not agree."
                ),
                severity="warning",
            )
        )
    report = _with_checks(report, checks)
    if problems:
        report = replace(report, problems=(*report.problems, *problems))
    return report


def component_sentences(report: Report) -> tuple[str, ...]:
    """One sentence per checked component, for the "what's real" statements."""
    out = []
    for number, i in enumerate(_components(report), start=1):
        entry = report.history[i]
        check = entry.placed_check
        if check is None:
            continue
        name = _name(entry, number)
        declared = check.declared_area_fraction
        recorded = f" ({percent(declared)} of the picture)" if declared is not None else ""
        seen = check.observed_area_fraction
        if check.result is CheckResult.CONSISTENT:
            out.append(
                f"The placed part “{name}”{recorded} was checked against the earlier version "
                f"embedded in the file: consistent ({percent(seen or 0.0)} changed there)."
            )
        elif check.result is CheckResult.INCONSISTENT:
            out.append(
                f"The placed part “{name}”{recorded} was checked against the earlier version "
                f"embedded in the file: inconsistent ({percent(seen) if seen else 'no'} "
                "change where it is said to be)."
            )
        else:
            out.append(f"The placed part “{name}”{recorded}: could not check ({check.reason}).")
    return tuple(out)
