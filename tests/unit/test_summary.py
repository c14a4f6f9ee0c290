"""The first line (provenance.summary): what the picture is and who vouches, on hand-built Reports."""

from __future__ import annotations

import pytest

from provenance.models import (
    Action,
    AISummary,
    CaptureFacts,
    ContentLabel,
    Extent,
    ExtentMethod,
    HistoryEntry,
    Report,
    SignerSummary,
    Tone,
    Verdict,
    Vouch,
)
from provenance.summary import build_summary

CAPTURE = CaptureFacts("digitalCapture", "BarCam", "BC-1")
SIGNER = SignerSummary("Jane", "Doe Studio", "Doe Studio", None, True)
AI_EDIT = Action(
    "c2pa.edited",
    digital_source_type="compositeWithTrainedAlgorithmicMedia",
    extent=Extent(0.32, ExtentMethod.MEASURED),
)
GRADE = Action("c2pa.color_adjustments", description="Grade")


def _report(verdict: Verdict = Verdict.TRUSTED, **kw: object) -> Report:
    base: dict[str, object] = {"file": "x.jpg", "verdict": verdict, "signer": SIGNER}
    base.update(kw)
    return Report(**base)  # type: ignore[arg-type]


def test_ai_generated_and_trusted_is_never_ok() -> None:
    created = Action("c2pa.created", digital_source_type="trainedAlgorithmicMedia")
    summary = build_summary(
        _report(actions=(created,), ai=AISummary(generated=True, area_fraction=1.0))
    )
    assert summary.content_label is ContentLabel.AI_GENERATED
    assert summary.content_text == "AI-generated"
    assert summary.vouched_by is Vouch.TRUSTED
    assert "Doe Studio" in summary.vouched_by_text
    assert summary.tone is Tone.WARN


def test_ai_edit_share_is_in_the_label_and_file_text_is_about_the_file() -> None:
    report = _report(
        capture=CAPTURE, actions=(AI_EDIT,), ai=AISummary(edited=True, area_fraction=0.32)
    )
    summary = build_summary(report)
    assert summary.content_text == "AI-edited — about 32% of the picture"
    assert summary.file_text.startswith("The file is unchanged since it was signed")


def test_hand_crop_of_an_ai_edited_parent_is_still_ai_edited() -> None:
    parent = HistoryEntry("step1.jpg", "parentOf", Verdict.TRUSTED, CAPTURE, actions=(AI_EDIT,))
    crop = Action("c2pa.cropped")
    summary = build_summary(_report(actions=(crop,), history=(parent,), capture=CAPTURE))
    assert summary.content_label is ContentLabel.AI_EDITED
    assert "about 32%" in summary.content_text


@pytest.mark.parametrize(
    ("actions", "label", "text"),
    [
        (
            (Action("c2pa.created", digital_source_type="digitalCapture"),),
            ContentLabel.CAMERA_CAPTURE,
            "Camera capture",
        ),
        ((GRADE,), ContentLabel.CAMERA_CAPTURE_EDITED, "Camera capture, edited by hand"),
    ],
)
def test_camera_labels(actions: tuple[Action, ...], label: ContentLabel, text: str) -> None:
    summary = build_summary(_report(actions=actions, capture=CAPTURE))
    assert (summary.content_label, summary.content_text, summary.tone) == (label, text, Tone.OK)


def test_enhancement_only_says_ai_enhancement() -> None:
    enhance = Action(
        "c2pa.filtered",
        digital_source_type="algorithmicallyEnhanced",
        extent=Extent(0.5, ExtentMethod.MEASURED),
    )
    summary = build_summary(
        _report(actions=(enhance,), ai=AISummary(edited=True, area_fraction=0.5))
    )
    assert summary.content_text == "AI-edited (AI enhancement) — about 50% of the picture"


def test_unknown_extent_says_not_recorded() -> None:
    unknown = Action("c2pa.edited", digital_source_type="compositeWithTrainedAlgorithmicMedia")
    summary = build_summary(_report(actions=(unknown,), ai=AISummary(edited=True)))
    assert summary.content_text == "AI-edited — how much of the picture is not recorded"


def test_untrusted_broken_and_none() -> None:
    untrusted = build_summary(_report(Verdict.VALID_UNTRUSTED, capture=CAPTURE))
    assert untrusted.vouched_by is Vouch.UNTRUSTED and untrusted.tone is Tone.WARN
    assert "not an identity you trust" in untrusted.vouched_by_text
    broken = build_summary(_report(Verdict.INVALID, capture=CAPTURE, actions=(AI_EDIT,)))
    assert broken.tone is Tone.BAD and broken.vouched_by is Vouch.BROKEN
    assert broken.content_text.startswith("Not known (the broken credential claims: AI-edited")
    none = build_summary(Report(file="x.jpg", verdict=Verdict.NO_CREDENTIALS))
    assert (none.content_label, none.vouched_by) == (ContentLabel.ORIGIN_NOT_RECORDED, Vouch.NONE)


def test_hostile_signer_name_is_sanitised() -> None:
    signer = SignerSummary("x", "Evil\x1b[31m\u202eStudio", None, None, False)
    summary = build_summary(_report(Verdict.VALID_UNTRUSTED, signer=signer))
    assert "\x1b" not in summary.vouched_by_text and "\u202e" not in summary.vouched_by_text
