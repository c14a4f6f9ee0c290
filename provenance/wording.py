"""Plain words for values: action names, dates, percentages, places, tool names.

Shared by the statements (:mod:`provenance.verify.statements`) and every renderer
(:mod:`provenance.report`), so a report never needs the verifier to word a value.
"""

from __future__ import annotations

import datetime as dt

from provenance.models import (
    Action,
    CheckResult,
    PlacedCheck,
    Region,
)

ACTION_LABELS = {
    "c2pa.created": "created",
    "c2pa.opened": "opened an earlier version",
    "c2pa.edited": "edited",
    "c2pa.edited.metadata": "edited the metadata",
    "c2pa.color_adjustments": "adjusted colour",
    "c2pa.cropped": "cropped",
    "c2pa.resized": "resized",
    "c2pa.filtered": "applied a filter",
    "c2pa.placed": "placed another element into it",
    "c2pa.converted": "converted the format",
    "c2pa.drawing": "drew on it",
    "c2pa.orientation": "rotated or flipped",
    "c2pa.transcoded": "re-encoded",
    "c2pa.repackaged": "repackaged without changing content",
    "c2pa.redacted": "removed information",
    "c2pa.removed": "removed something",
    "c2pa.published": "published",
    "c2pa.watermarked": "added a watermark",
    "c2pa.unknown": "made an unspecified change",
}


def action_label(action: Action) -> str:
    """Plain words for an action name; unknown names are shown as they are."""
    return ACTION_LABELS.get(action.action, action.action)


def ai_kind(action: Action) -> str | None:
    """'AI enhancement' (algorithmicallyEnhanced: no new content), 'AI edit', or None (by hand).

    Every renderer words an ``--enhance`` edit the same way; it is never called an "AI edit".
    """
    if not action.ai:
        return None
    term = (action.digital_source_type or "").rsplit("/", 1)[-1]
    return "AI enhancement" if term == "algorithmicallyEnhanced" else "AI edit"


def format_date(value: str | None) -> str | None:
    """'2026-11-01T09:30:00+01:00' → '1 Nov 2026'; None when it is not a date."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return f"{when.day} {when.strftime('%b %Y')}"


def percent(fraction: float) -> str:
    """0.1934 → 'about 19%'; tiny non-zero values say 'less than 1%'."""
    if 0 < fraction < 0.005:
        return "less than 1%"
    return f"about {round(fraction * 100)}%"


def where(action: Action) -> str:
    """A rough place for an edit's regions (' (upper right)', ' (centre)', ...)."""
    if action.extent is None or not action.extent.regions:
        return ""
    return where_regions(action.extent.regions)


def where_regions(regions: tuple[Region, ...]) -> str:
    """A rough place for the largest of some regions, in brackets with a leading space."""
    if not regions:
        return ""
    region = max(regions, key=lambda r: r.area)
    cx, cy = region.x + region.width / 2, region.y + region.height / 2
    vertical = "upper" if cy < 0.4 else "lower" if cy > 0.6 else ""
    horizontal = "left" if cx < 0.4 else "right" if cx > 0.6 else ""
    if not vertical and not horizontal:
        return " (centre)"
    return f" ({' '.join(p for p in (vertical, horizontal) if p)})"


def tool_name(agent: str | None) -> str | None:
    """'GenFill/2.1' → 'GenFill 2.1' (how people write a tool and its version)."""
    if not agent:
        return None
    name, _, version = agent.rpartition("/")
    # Only a short, space-free tail is a version; anything else is part of the name.
    if not name or not version or len(version) > 40 or any(c.isspace() for c in version):
        return agent
    return f"{name} {version}"


def placed_check_words(check: PlacedCheck) -> str:
    """A placed component's declared-vs-observed check in one line (text and HTML reports)."""
    declared = check.declared_area_fraction
    recorded = f"recorded {percent(declared)}" if declared is not None else "recorded area unknown"
    seen = check.observed_area_fraction
    observed = f"{percent(seen)} changed there" if seen else "no change observed there"
    if check.result is CheckResult.CONSISTENT:
        return f"checked against the earlier version: consistent ({recorded}, {observed})"
    if check.result is CheckResult.INCONSISTENT:
        return f"checked against the earlier version: inconsistent ({recorded}, {observed})"
    return f"could not check its placed area ({check.reason or 'reason not known'})"
