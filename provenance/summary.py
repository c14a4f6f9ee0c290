"""The report's first line: what the picture is, and who vouches for the file.

"Trusted" answers *who vouches*, not *what the picture is*: a fully AI-generated
image signed by a studio you trust is still AI-generated.  A person skimming a
report reads the first line only, so it answers both questions, and its tone
(the banner's colour) is the worse of the two — never a lone green tick on an
AI picture.

The content label follows the C2PA User Experience Guidance's content summary
(captured with a camera / edited / made or edited with AI / no origin
information), reduced to five labels:

=========================  ==========================================================
label                      when
=========================  ==========================================================
``ai_generated``           a trained model made the whole picture (IPTC
                           ``trainedAlgorithmicMedia`` on ``c2pa.created``, or as the
                           capture source), anywhere in the ``parentOf`` chain
``ai_edited``              any step of the chain declares an AI source type on an
                           edit (generative fill, composite with AI, AI enhancement)
``camera_capture_edited``  a camera capture with edits by hand
``camera_capture``         a camera capture (``digitalCapture`` /
                           ``computationalCapture``, or camera facts), no edits
``origin_not_recorded``    no credentials, or credentials that do not say
=========================  ==========================================================

The chain is walked through ``parentOf`` ingredients (C2PA 2.x, 15.7
"Ingredient"): a hand crop of an AI-edited picture is still AI-edited.

Pure: a Report in, a :class:`~provenance.models.Summary` out; no c2pa, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator

from provenance.models import (
    Action,
    CaptureFacts,
    ContentLabel,
    DigitalSourceType,
    HistoryEntry,
    Report,
    SignerSummary,
    Summary,
    Tone,
    Verdict,
    Vouch,
)
from provenance.sanitize import clean_text
from provenance.wording import percent

__all__ = ["build_summary", "history_signer_words", "summary_of", "with_summary"]

#: Actions that say nothing about the pixels (bookkeeping, metadata, packaging).
_NOT_AN_EDIT = frozenset(
    {
        "c2pa.created",
        "c2pa.opened",
        "c2pa.edited.metadata",
        "c2pa.published",
        "c2pa.repackaged",
        "c2pa.transcoded",
        "c2pa.redacted",
        "c2pa.converted",
        "c2pa.watermarked",
    }
)
_CAPTURE_SOURCES = frozenset(
    {
        DigitalSourceType.DIGITAL_CAPTURE.value,
        DigitalSourceType.COMPUTATIONAL_CAPTURE.value,
        DigitalSourceType.NEGATIVE_FILM.value,
        DigitalSourceType.POSITIVE_FILM.value,
        DigitalSourceType.COMPOSITE_CAPTURE.value,
    }
)
_GENERATED = DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA
_MAX_DEPTH = 16
_ORIGIN = frozenset({"c2pa.created", "c2pa.opened"})

_CONTENT_TONE = {
    ContentLabel.CAMERA_CAPTURE: Tone.OK,
    ContentLabel.CAMERA_CAPTURE_EDITED: Tone.OK,
    ContentLabel.AI_EDITED: Tone.WARN,
    ContentLabel.AI_GENERATED: Tone.WARN,
    ContentLabel.ORIGIN_NOT_RECORDED: Tone.NOTE,
}
_VOUCH_TONE = {Vouch.TRUSTED: Tone.OK, Vouch.UNTRUSTED: Tone.WARN, Vouch.BROKEN: Tone.BAD}

#: About the *file*, never the picture: "nothing changed" must not read as "nothing is AI".
FILE_TEXT = {
    Verdict.TRUSTED: "The file is unchanged since it was signed, and the signer is an identity "
    "you trust.",
    Verdict.VALID_UNTRUSTED: "The file is unchanged since it was signed, but the name on it is a "
    "claim, not an identity.",
    Verdict.INVALID: "The file was changed after signing, or its credential is broken: nothing it "
    "says can be relied on.",
    Verdict.NO_CREDENTIALS: "The file has no Content Credentials. That proves nothing either way: "
    "most apps and websites remove them.",
    Verdict.UNREADABLE: "The file could not be read.",
}


def _source(value: str | None) -> DigitalSourceType | None:
    return DigitalSourceType.parse(value)


def _steps(report: Report) -> Iterator[tuple[tuple[Action, ...], CaptureFacts | None, bool]]:
    """(actions, capture, is_active) for this file's manifest, then each parentOf ancestor."""
    yield report.actions, report.capture, True
    entries = report.history
    for _ in range(_MAX_DEPTH):
        parent = next((h for h in entries if h.relationship == "parentOf"), None)
        if parent is None:
            return
        yield parent.actions, parent.capture, False
        entries = parent.history


def _components(entries: tuple[HistoryEntry, ...], depth: int = 0) -> Iterator[HistoryEntry]:
    """Every componentOf ingredient, at any depth (a placed AI sky is AI content)."""
    if depth > _MAX_DEPTH:
        return
    for entry in entries:
        if entry.relationship == "componentOf":
            yield entry
        yield from _components(entry.history, depth + 1)


def _generated(actions: tuple[Action, ...], capture: CaptureFacts | None) -> bool:
    if capture is not None and _source(capture.source) is _GENERATED:
        return True
    # "Opened" AI media (a model's output brought in as the start) is generated content too.
    return any(a.action in _ORIGIN for a in actions if _source(a.digital_source_type) is _GENERATED)


def _ai_edits(actions: tuple[Action, ...]) -> list[Action]:
    return [
        a
        for a in actions
        if a.ai and not (a.action in _ORIGIN and _source(a.digital_source_type) is _GENERATED)
    ]


def _step_area(edits: list[Action]) -> float | None:
    """One step's AI share: distinct extents summed, capped at 1 (as the verifier does)."""
    if any(a.extent is None or a.extent.area_fraction is None for a in edits):
        return None
    distinct = {(a.extent.area_fraction, a.extent.regions) for a in edits if a.extent}
    return min(1.0, sum(fraction or 0.0 for fraction, _ in distinct))


def _content(report: Report) -> tuple[ContentLabel, str]:
    steps = list(_steps(report))
    if any(_generated(actions, capture) for actions, capture, _ in steps) or report.ai.generated:
        return ContentLabel.AI_GENERATED, "AI-generated"
    areas: list[float | None] = []
    enhance_only = True
    for actions, _, active in steps:
        edits = _ai_edits(actions)
        if not edits:
            continue
        enhance_only = enhance_only and all(
            _source(a.digital_source_type) is DigitalSourceType.ALGORITHMICALLY_ENHANCED
            for a in edits
        )
        areas.append(report.ai.area_fraction if active else _step_area(edits))
    ai_components = [
        c
        for c in _components(report.history)
        if _generated(c.actions, c.capture) or _ai_edits(c.actions)
    ]
    if report.ai.edited and not areas:
        # AI from an ingredient (an AI component or an AI input) or a vendor marker.
        areas.append(report.ai.area_fraction)
        enhance_only = False
    if areas or ai_components:
        what = "AI-edited (AI enhancement)" if enhance_only and areas else "AI-edited"
        if not areas or any(a is None for a in areas):
            return ContentLabel.AI_EDITED, f"{what} — how much of the picture is not recorded"
        total = min(1.0, sum(a or 0.0 for a in areas))
        if total <= 0:
            tone = report.ai.by_kind.tone if report.ai.by_kind is not None else None
            if tone:
                return ContentLabel.AI_EDITED, (
                    f"{what} — the light or colour of {percent(tone)} of the picture"
                )
            return ContentLabel.AI_EDITED, f"{what} — no change to the picture's area measured"
        share = percent(total)
        if len(areas) > 1:
            share = "up to " + share  # steps on different versions: their sum is an upper bound
        return ContentLabel.AI_EDITED, f"{what} — {share} of the picture"
    captured = any(
        (capture is not None and (capture.source in _CAPTURE_SOURCES or capture.has_camera))
        or any(
            a.action == "c2pa.created"
            and (_source(a.digital_source_type) or _GENERATED).value in _CAPTURE_SOURCES
            for a in actions
        )
        for actions, capture, _ in steps
    )
    edited = any(a.action not in _NOT_AN_EDIT for actions, _, _ in steps for a in actions)
    if captured:
        if edited:
            return ContentLabel.CAMERA_CAPTURE_EDITED, "Camera capture, edited by hand"
        return ContentLabel.CAMERA_CAPTURE, "Camera capture"
    if edited:
        return ContentLabel.ORIGIN_NOT_RECORDED, "Origin not recorded (edited by hand)"
    return ContentLabel.ORIGIN_NOT_RECORDED, "Origin not recorded"


def _signer_words(report: Report) -> str:
    signer = report.signer
    if signer is None:
        return "an unnamed signer"
    who = clean_text(signer.organization or signer.name, max_length=80)
    return f"“{who}”" if who else "an unnamed signer"


def _vouch(report: Report) -> tuple[Vouch, str]:
    verdict = report.verdict
    if verdict is Verdict.TRUSTED:
        return Vouch.TRUSTED, f"signed by {_signer_words(report)}, an identity you trust"
    if verdict is Verdict.VALID_UNTRUSTED:
        return (
            Vouch.UNTRUSTED,
            f"signed in the name of {_signer_words(report)}, not an identity you trust",
        )
    if verdict is Verdict.INVALID:
        return Vouch.BROKEN, "credentials broken: nobody vouches for this file"
    if verdict is Verdict.NO_CREDENTIALS:
        return Vouch.NONE, "no Content Credentials: nobody vouches for it"
    return Vouch.NONE, "the file could not be read"


def _lower_first(words: str) -> str:
    # "Camera capture" -> "camera capture", but "AI-edited" stays as it is.
    return words[0].lower() + words[1:] if words[1:2].islower() else words


def history_signer_words(signer: SignerSummary) -> str:
    """Who signed an earlier version, as a history line says it ("signed by …, trusted")."""
    who = clean_text(signer.organization or signer.name, max_length=80) or "an unnamed signer"
    if signer.trusted:
        return f"signed by {who} (an identity you trust)"
    return f"signed in the name of {who} (not an identity you trust)"


def build_summary(report: Report) -> Summary:
    """The first line for ``report``: content label and text, who vouches, tone."""
    vouch, vouch_text = _vouch(report)
    if report.verdict in (Verdict.NO_CREDENTIALS, Verdict.UNREADABLE):
        label, content = ContentLabel.ORIGIN_NOT_RECORDED, "Origin not recorded"
    else:
        label, content = _content(report)
        if report.verdict is Verdict.INVALID:
            # The label is what the broken credential *claims*; the words say so.
            content = f"Not known (the broken credential claims: {_lower_first(content)})"
    tone = max(_CONTENT_TONE[label], _VOUCH_TONE.get(vouch, Tone.NOTE), key=lambda t: t.rank)
    if report.verdict is Verdict.INVALID:
        tone = Tone.BAD
    return Summary(
        content_label=label,
        content_text=content,
        vouched_by=vouch,
        vouched_by_text=vouch_text[0].upper() + vouch_text[1:],
        tone=tone,
        file_text=FILE_TEXT[report.verdict],
    )


def summary_of(report: Report) -> Summary:
    """The report's summary: the one the verifier stored, or built now (hand-made reports)."""
    return report.summary if report.summary is not None else build_summary(report)


def with_summary(report: Report) -> Report:
    """``report`` with its summary set (the verifier's last step, after the statements)."""
    from dataclasses import replace

    return replace(report, summary=build_summary(report))
