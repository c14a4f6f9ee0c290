"""The "where" pictures of the HTML report: AI change by kind, placed parts, undeclared change.

Pure drawing on an already decoded, bounded thumbnail (:mod:`provenance.report.html`
decodes and re-encodes it): each kind of AI change (content, detail, tone) is
painted in its colour, each component placed from another file (``componentOf``,
placed by ``c2pa.placed``, C2PA 2.x 18.15) in a colour of its own, and change
found outside every declared area is outlined in red.  Names shown beside the
areas are hostile manifest text: they are cleaned here and escaped by the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from provenance.models import (
    Action,
    ChangeKind,
    CheckResult,
    DigitalSourceType,
    Extent,
    ExtentMethod,
    HistoryEntry,
    Region,
    Relationship,
    Report,
)
from provenance.sanitize import clean_text
from provenance.wording import percent

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "KIND_COLOURS",
    "KIND_LEGEND",
    "MAX_DRAWN_PARTS",
    "PART_COLOURS",
    "LegendEntry",
    "MarkedPicture",
    "PlacedArea",
    "ai_kind_regions",
    "ai_regions",
    "drawn_labels",
    "kind_overlay",
    "label_style",
    "mark_picture",
    "overlay",
    "placed_areas",
]

_AI_COLOUR = (208, 0, 208)
_UNDECLARED_COLOUR = (255, 42, 0)


#: Overlay colour and fill opacity (0..255) per kind of change; tone, which often spans
#: the whole picture, is the faintest so it never hides the content change.
KIND_COLOURS = {
    ChangeKind.CONTENT: ((208, 0, 208), 115),
    ChangeKind.DETAIL: ((0, 150, 220), 115),
    ChangeKind.TONE: ((230, 150, 0), 70),
}

#: What each kind's colour means, in the legend under a marked picture.
KIND_LEGEND = {
    ChangeKind.CONTENT: "content replaced or added by AI",
    ChangeKind.DETAIL: "detail (texture, sharpness) changed by AI",
    ChangeKind.TONE: "light or colour changed by AI",
}


def _places(action: Action, components: frozenset[str]) -> bool:
    """True for a ``c2pa.placed`` action that places one of ``components`` (drawn on their own)."""
    return action.action == "c2pa.placed" and not components.isdisjoint(action.ingredients)


def ai_kind_regions(
    report: Report, *, components: frozenset[str] = frozenset()
) -> dict[ChangeKind, tuple[Region, ...]]:
    """The rectangles of each kind of change of the report's AI actions.

    Their union per kind is the measured mask (recorded in the manifest as
    rectangles covering it); extents without kinds are left to :func:`ai_regions`.
    Actions placing one of ``components`` (ingredient labels) are left out: their
    areas are drawn as placed parts (:func:`placed_areas`).
    """
    out: dict[ChangeKind, list[Region]] = {}
    for action in report.actions:
        if not action.ai or action.extent is None or _places(action, components):
            continue
        for change in action.extent.changes:
            out.setdefault(change.kind, []).extend(change.regions)
    return {kind: tuple(regions) for kind, regions in out.items() if regions}


def kind_overlay(
    img: Image.Image,
    kinds: dict[ChangeKind, tuple[Region, ...]],
    undeclared: Sequence[Region] = (),
    parts: Sequence[PlacedArea] = (),
) -> Image.Image:
    """A copy of ``img`` with each kind's mask painted in its colour, outlined.

    Each kind's rectangles are united into one mask first (so overlaps are not
    painted twice), filled with :data:`KIND_COLOURS` and outlined along the
    mask's edge; a new backdrop is coloured around the subject and the subject
    keeps its own pixels.  Each placed part is painted the same way in its own
    colour (:data:`PART_COLOURS`) above the kinds; undeclared change is outlined
    in red on top.
    """
    from PIL import Image as PILImage
    from PIL import ImageChops, ImageDraw, ImageFilter

    base = img.convert("RGBA")
    width, height = base.size
    line = max(3, round(max(width, height) / 200) | 1)
    layers: list[tuple[tuple[Region, ...], tuple[int, int, int], int]] = [
        (kinds[kind], *KIND_COLOURS[kind])
        for kind in (ChangeKind.TONE, ChangeKind.DETAIL, ChangeKind.CONTENT)
        if kinds.get(kind)
    ]
    layers.extend((p.regions, PART_COLOURS[p.colour], _PART_ALPHA) for p in parts)
    for regions, colour, alpha in layers:
        mask = PILImage.new("L", base.size, 0)
        draw = ImageDraw.Draw(mask)
        for region in regions:
            draw.rectangle(_box(region, width, height), fill=255)
        edge = ImageChops.subtract(mask, mask.filter(ImageFilter.MinFilter(line)))
        fill = mask.point(lambda v, a=alpha: a if v else 0)
        opacity = ImageChops.lighter(fill, edge)
        layer = PILImage.new("RGBA", base.size, (*colour, 0))
        layer.putalpha(opacity)
        base = PILImage.alpha_composite(base, layer)
    if undeclared:
        layer = PILImage.new("RGBA", base.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        for region in undeclared:
            draw.rectangle(
                _box(region, width, height),
                outline=(*_UNDECLARED_COLOUR, 255),
                width=max(2, round(max(width, height) / 160)),
            )
        base = PILImage.alpha_composite(base, layer)
    return base.convert("RGB")


def _box(region: Region, width: int, height: int) -> tuple[float, float, float, float]:
    return (
        region.x * width,
        region.y * height,
        (region.x + region.width) * width - 1,
        (region.y + region.height) * height - 1,
    )


def ai_regions(report: Report, *, components: frozenset[str] = frozenset()) -> tuple[Region, ...]:
    """Every region an AI action of the report declared or measured (placed parts aside)."""
    return tuple(
        r
        for a in report.actions
        if a.ai and a.extent and not _places(a, components)
        for r in a.extent.regions
    )


#: Overlay colours of placed parts (CSS classes part-0 .. part-4), none of them a kind's
#: colour (magenta content, blue detail, orange tone) or the red of undeclared change.
PART_COLOURS = ((0, 160, 60), (140, 80, 20), (100, 60, 220), (0, 140, 140), (60, 60, 60))
_PART_ALPHA = 115


@dataclass(frozen=True, slots=True)
class PlacedArea:
    """A component's area in this picture, as the overlay draws it."""

    #: Its colour: PART_COLOURS[colour] and the CSS class ``part-<colour>``.
    colour: int
    #: What it is (the component label, else its title): hostile text, escaped when shown.
    name: str
    regions: tuple[Region, ...]
    ai: bool
    entry: HistoryEntry


def _placed_regions(extent: Extent) -> tuple[Region, ...]:
    """A placed extent's finest regions: its content/detail rectangles, else its boxes."""
    if extent.method is ExtentMethod.MEASURED and extent.changes:
        fine = tuple(
            r
            for c in extent.changes
            if c.kind in (ChangeKind.CONTENT, ChangeKind.DETAIL)
            for r in c.regions
        )
        return fine or extent.regions
    return extent.regions


def _part_is_ai(report: Report, entry: HistoryEntry) -> bool:
    placing = [
        a for a in report.actions if a.action == "c2pa.placed" and entry.label in a.ingredients
    ]
    own = DigitalSourceType.parse(entry.capture.source if entry.capture else None)
    return (
        any(a.ai for a in placing)
        or (own is not None and own.is_ai)
        or any(a.ai for a in entry.actions)
    )


#: At most this many placed parts are drawn (a hostile manifest may list 100 components,
#: each a full-size mask to paint); the rest keep their lines in the history.
MAX_DRAWN_PARTS = 12


def placed_areas(report: Report) -> list[PlacedArea]:
    """The components placed into this picture whose area was recorded, in history order.

    At most :data:`MAX_DRAWN_PARTS` of them.
    """
    out: list[PlacedArea] = []
    number = 0
    for entry in report.history:
        if entry.relationship != Relationship.COMPONENT_OF.value:
            continue
        if len(out) >= MAX_DRAWN_PARTS:
            break
        number += 1
        regions = _placed_regions(entry.placed) if entry.placed is not None else ()
        if not regions:
            continue
        name = (
            clean_text(entry.component_label, max_length=60)
            or clean_text(entry.title, max_length=60)
            or f"part {number}"
        )
        out.append(
            PlacedArea(
                colour=len(out) % len(PART_COLOURS),
                name=name,
                regions=regions,
                ai=_part_is_ai(report, entry),
                entry=entry,
            )
        )
    return out


def drawn_labels(parts: Sequence[PlacedArea]) -> frozenset[str]:
    """The ingredient labels of the parts the overlay draws (their actions are left out)."""
    return frozenset(p.entry.label for p in parts if p.entry.label)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value)) if value == value else 0.0


def label_style(regions: tuple[Region, ...]) -> str:
    """Where a part's label sits over the picture: its area's top-left, kept on the picture.

    Coordinates come from the manifest: clamped to 0..1 (NaN to 0) before they are
    written into the ``style`` attribute, so it only ever holds two short percentages.
    """
    x0 = _unit(min(r.x for r in regions))
    y0 = _unit(min(r.y for r in regions))
    x1 = _unit(max(r.x + r.width for r in regions))
    y1 = _unit(max(r.y + r.height for r in regions))
    horizontal = (
        f"right:{max(0.0, 1 - x1) * 100:.1f}%" if x0 > 0.55 else f"left:{max(0.0, x0) * 100:.1f}%"
    )
    vertical = (
        f"bottom:{max(0.0, 1 - y1) * 100:.1f}%" if y0 > 0.88 else f"top:{max(0.0, y0) * 100:.1f}%"
    )
    return f"{horizontal};{vertical}"


def overlay(img: Image.Image, ai: Sequence[Region], undeclared: Sequence[Region]) -> Image.Image:
    """A copy of ``img`` with AI regions (magenta) and undeclared change (red) drawn on it."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    base = img.convert("RGBA")
    layer = PILImage.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    width, height = base.size
    line = max(2, round(max(width, height) / 160))

    def box(region: Region) -> tuple[float, float, float, float]:
        return (
            region.x * width,
            region.y * height,
            (region.x + region.width) * width - 1,
            (region.y + region.height) * height - 1,
        )

    # Fills first, every outline after them: a box inside another one (a small declared
    # edit within a large undeclared change) keeps its outline visible.
    for regions, colour in ((undeclared, _UNDECLARED_COLOUR), (ai, _AI_COLOUR)):
        for region in regions:
            draw.rectangle(box(region), fill=(*colour, 70))
    for regions, colour in ((ai, _AI_COLOUR), (undeclared, _UNDECLARED_COLOUR)):
        for region in regions:
            draw.rectangle(box(region), outline=(*colour, 255), width=line)
    return PILImage.alpha_composite(base, layer).convert("RGB")


@dataclass(frozen=True, slots=True)
class LegendEntry:
    """One entry of the legend under a marked picture: a swatch and what it means."""

    #: The swatch's CSS class: ``kind-content`` / ``kind-detail`` / ``kind-tone``,
    #: ``part-<n>``, ``ai`` or ``undeclared``.
    css: str
    #: A placed part's name (cleaned manifest text; escaped where shown), else "".
    name: str
    #: What the colour marks, in plain words (ours).
    words: str


@dataclass(frozen=True, slots=True)
class MarkedPicture:
    """A picture with the AI change drawn on it, its legend, and the parts it names."""

    image: Image.Image
    legend: tuple[LegendEntry, ...]
    #: The placed parts drawn in it (each labelled over its area by the HTML report).
    parts: tuple[PlacedArea, ...]
    #: What is marked, for the picture's alternative text ("the areas changed by AI ...").
    what: str


def _part_words(part: PlacedArea) -> str:
    """What a placed part is, its recorded area, and how its area compares with the pixels."""
    words = "a part placed from another file" + (", made by AI" if part.ai else "")
    placed = part.entry.placed
    if placed is not None and placed.area_fraction is not None:
        words += f", {percent(placed.area_fraction)} of the picture"
    check = part.entry.placed_check
    if check is not None:
        words += {
            CheckResult.CONSISTENT: "; consistent with the pixels",
            CheckResult.INCONSISTENT: "; NOT consistent with the pixels",
            CheckResult.COULD_NOT_CHECK: "; not checked against the pixels",
        }[check.result]
    return words


_UNDECLARED_ENTRY = LegendEntry("undeclared", "", "change found outside the declared areas")


def mark_picture(img: Image.Image, report: Report) -> MarkedPicture | None:
    """``img`` (the report's picture) with where AI changed it, or None when nothing is marked.

    The one place that decides what is drawn, so the HTML report and the compare
    view of ``provenance serve`` show the same thing: each kind of AI change in its
    colour, each placed part (``componentOf``) in its own colour and named in the
    legend, change outside every declared area outlined in red.  A report whose AI
    regions carry no kind (declared areas) gets the plain magenta boxes.
    """
    parts = tuple(placed_areas(report))
    drawn = drawn_labels(parts)
    kinds = ai_kind_regions(report, components=drawn)
    undeclared = report.ai.undeclared_regions
    tail = (_UNDECLARED_ENTRY,) if undeclared else ()
    if kinds or parts:
        legend = tuple(
            LegendEntry(f"kind-{kind.value}", "", KIND_LEGEND[kind])
            for kind in (ChangeKind.CONTENT, ChangeKind.DETAIL, ChangeKind.TONE)
            if kind in kinds
        ) + tuple(LegendEntry(f"part-{p.colour}", p.name, _part_words(p)) for p in parts)
        what = "the areas changed by AI coloured by kind of change" if kinds else ""
        if parts:
            what += (" and " if what else "") + "each placed part marked with its name"
        return MarkedPicture(
            kind_overlay(img, kinds, undeclared, parts), legend + tail, parts, what
        )
    regions = ai_regions(report, components=drawn)
    if not (regions or undeclared):
        return None
    legend = ((LegendEntry("ai", "", "areas changed by AI"),) if regions else ()) + tail
    return MarkedPicture(
        overlay(img, regions, undeclared), legend, (), "the areas changed by AI marked"
    )
