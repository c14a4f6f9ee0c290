"""What a signature recorded, in plain lines: what ``sign`` tells the photographer.

"signed: PATH" alone hides the decisions that matter: how much of the picture
the AI share was measured at (or that it could not be), that GPS was left out,
the AI-training preference written, and whether the file's earlier credentials
were kept as its history or replaced.  Pure: a
:class:`~provenance.sign.orchestrator.SignResult` in, sentences out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from provenance.models import TrainingPreference
from provenance.sanitize import clean_text
from provenance.wording import ai_kind, percent, tool_name

if TYPE_CHECKING:
    from provenance.sign.orchestrator import SignResult

__all__ = ["TAGS", "recorded_hints", "recorded_lines", "recorded_tags", "summary_line"]

_TRAINING_WORDS = {
    TrainingPreference.NOT_ALLOWED.value: "not allowed (the default)",
    TrainingPreference.ALLOWED.value: "allowed",
    TrainingPreference.CONSTRAINED.value: "allowed only under conditions",
}

#: Tag → how the batch summary line counts it.
TAGS = {
    "ai_measured": "AI share measured",
    "ai_unknown": "AI share unknown",
    "gps_dropped": "GPS left out",
    "kept": "earlier credentials kept",
    "replaced": "earlier credentials REPLACED",
}


def _c(value: object, limit: int = 120) -> str:
    return clean_text(value, max_length=limit) or ""


def _what(result: SignResult) -> str:
    created = next((a for a in result.actions if a.action == "c2pa.created"), None)
    if created is not None and created.digital_source_type == "trainedAlgorithmicMedia":
        tool = tool_name(created.software_agent)
        return "AI-generated" + (f" (with {_c(tool)})" if tool else "")
    if result.earlier_credentials == "kept":
        return "a new signature over its earlier credentials (kept as its parent)"
    if result.parent is not None:
        return f"an edit of {_c(result.parent.name)} (its parent, with its credentials)"
    capture = result.capture
    if capture is not None and capture.has_camera:
        camera = " ".join(p for p in (capture.make, capture.model) if p)
        return f"a camera capture ({_c(camera) or 'camera'})"
    return "a capture"


def recorded_lines(result: SignResult) -> tuple[str, ...]:
    """One line per decision recorded in the credentials, most important first."""
    lines = [f"recorded as: {_what(result)}"]
    for action in result.actions:
        kind = ai_kind(action)
        if kind is None or action.action == "c2pa.created":
            continue
        what = _c(action.description, 80) or kind
        extent = action.extent
        if extent is None or extent.area_fraction is None:
            why = f" ({_c(extent.note, 160)})" if extent is not None and extent.note else ""
            lines.append(f"AI share: {kind} “{what}”: not known{why}")
        else:
            against = f" against {_c(result.parent.name)}" if result.parent is not None else ""
            how = "declared from the mask" if extent.method.value == "declared" else "measured"
            lines.append(
                f"AI share: {kind} “{what}”: {percent(extent.area_fraction)} of the picture, "
                f"{how}{against if how == 'measured' else ''}"
            )
    if result.location_dropped:
        lines.append(
            "location: GPS left out of the credentials (--keep-location keeps it; the "
            "image's own EXIF is not rewritten)"
        )
    if result.training:
        words = _TRAINING_WORDS.get(result.training, _c(result.training, 40))
        lines.append(f"AI training and data mining: {words}")
    if result.earlier_credentials == "kept":
        lines.append("earlier credentials: kept as its parent — verify shows them in the history")
    elif result.earlier_credentials == "replaced":
        lines.append("earlier credentials: REPLACED (--replace-credentials); their history is gone")
    return tuple(lines)


def recorded_hints(result: SignResult) -> tuple[str, ...]:
    """What to do differently next time (an AI edit whose extent could not be measured)."""
    unknown = [
        a
        for a in result.actions
        if ai_kind(a) is not None
        and a.action != "c2pa.created"
        and (a.extent is None or a.extent.area_fraction is None)
    ]
    if unknown and (result.parent is None or result.earlier_credentials == "kept"):
        return (
            "--ai-edit without --from records an unknown extent: sign with --from ORIGINAL "
            "(the version before the AI edit) to measure how much of the picture it changed.",
        )
    return ()


def recorded_tags(result: SignResult) -> tuple[str, ...]:
    """Short tags for the batch summary (see :data:`TAGS`)."""
    tags: list[str] = []
    ai = [a for a in result.actions if ai_kind(a) is not None and a.action != "c2pa.created"]
    if ai:
        known = all(a.extent is not None and a.extent.area_fraction is not None for a in ai)
        tags.append("ai_measured" if known else "ai_unknown")
    if result.location_dropped:
        tags.append("gps_dropped")
    if result.earlier_credentials in ("kept", "replaced"):
        tags.append(result.earlier_credentials)
    return tuple(tags)


def summary_line(signed: int, tags: Iterable[tuple[str, ...]], training: str | None) -> str:
    """The batch's one line: how many were signed and what was recorded across them."""
    counts: Counter[str] = Counter(t for per_file in tags for t in per_file)
    parts = [f"{signed} signed"]
    parts += [f"{TAGS[t]}: {counts[t]}" for t in TAGS if counts[t]]
    if training:
        parts.append(f"AI training: {_TRAINING_WORDS.get(training, training)}")
    return "recorded: " + "; ".join(parts)
