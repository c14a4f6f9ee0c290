"""Declared vs observed per placed component (provenance.verify.placed), on synthetic masks."""

from __future__ import annotations

import numpy as np

from provenance.labels import SHARED_COMPONENT_NOTE
from provenance.models import (
    CheckResult,
    Extent,
    ExtentMethod,
    HistoryEntry,
    PlacedCheck,
    Region,
    Report,
    Verdict,
)
from provenance.verify import placed


def _report(*extents: Extent | None, label: str = "sky") -> Report:
    parent = HistoryEntry(title="capture.jpg", relationship="parentOf", verdict=Verdict.TRUSTED)
    parts = tuple(
        HistoryEntry(
            title=f"part{i}.jpg",
            relationship="componentOf",
            verdict=Verdict.VALID_UNTRUSTED,
            placed=extent,
            component_label=label,
        )
        for i, extent in enumerate(extents)
    )
    return Report(file="x.jpg", verdict=Verdict.VALID_UNTRUSTED, history=(parent, *parts))


def _box(y: float, height: float, width: float = 1.0) -> Extent:
    return Extent(height * width, ExtentMethod.DECLARED, regions=(Region(0.0, y, width, height),))


def _changed_top(share: float, shape: tuple[int, int] = (300, 400)) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[: round(shape[0] * share), :] = True
    return mask


def _check(report: Report, index: int = 1) -> PlacedCheck:
    check = report.history[index].placed_check
    assert check is not None
    return check


def test_honest_area_is_consistent_and_falsified_is_inconsistent() -> None:
    changed = _changed_top(0.3)
    honest = placed.check_components(_report(_box(0.0, 0.3)), changed)
    assert _check(honest).result is CheckResult.CONSISTENT
    assert abs((_check(honest).observed_area_fraction or 0) - 0.3) < 0.01
    assert not honest.problems
    false = placed.check_components(_report(_box(0.7, 0.3)), changed)
    assert _check(false).result is CheckResult.INCONSISTENT
    assert _check(false).observed_area_fraction == 0.0
    [problem] = false.problems
    assert problem.code == placed.COMPONENT_MISMATCH_CODE and "“sky”" in problem.explanation
    assert "inconsistent" in " ".join(placed.component_sentences(false))


def test_an_oversized_claim_is_inconsistent_within_the_documented_tolerance() -> None:
    # 60% recorded, 30% changed inside it: 0.30 > 0.05 + 0.15 x 0.60.
    report = placed.check_components(_report(_box(0.0, 0.6)), _changed_top(0.3))
    assert _check(report).result is CheckResult.INCONSISTENT
    # 36% recorded against 30%: within 0.05 + 0.15 x 0.36.
    report = placed.check_components(_report(_box(0.0, 0.36)), _changed_top(0.3))
    assert _check(report).result is CheckResult.CONSISTENT


def test_a_small_part_needs_its_change_seen() -> None:
    shown = np.zeros((300, 400), dtype=bool)
    shown[0:30, 0:40] = True  # 1% of the picture, where the part is said to be
    small = _box(0.0, 0.1, width=0.1)
    assert _check(placed.check_components(_report(small), shown)).result is CheckResult.CONSISTENT
    elsewhere = placed.check_components(_report(_box(0.5, 0.1, width=0.1)), shown)
    check = _check(elsewhere)
    assert check.result is CheckResult.COULD_NOT_CHECK and "too small" in (check.reason or "")
    assert not elsewhere.problems


def test_unrecorded_areas_say_why() -> None:
    shared = Extent(
        0.3,
        ExtentMethod.MEASURED,
        regions=(Region(0, 0, 1, 0.3),),
        note=SHARED_COMPONENT_NOTE,
    )
    report = placed.check_components(
        _report(
            None,
            Extent(None, ExtentMethod.MEASURED, note="crop"),
            Extent(0.3, ExtentMethod.DECLARED),
            shared,
        ),
        _changed_top(0.3),
    )
    reasons = [_check(report, i).reason or "" for i in (1, 2, 3, 4)]
    assert all(_check(report, i).result is CheckResult.COULD_NOT_CHECK for i in (1, 2, 3, 4))
    assert "no c2pa.placed action" in reasons[0]
    assert "was not recorded (crop)" in reasons[1]
    assert "no regions" in reasons[2]
    assert "shared by several placed parts" in reasons[3]
    assert report.history[0].placed_check is None  # the parent is not a component


def test_not_checked_keeps_the_component_s_own_reason_and_earlier_results() -> None:
    report = placed.not_checked(_report(_box(0.0, 0.3), None), placed.NO_PARENT_THUMBNAIL)
    assert _check(report, 1).reason == placed.NO_PARENT_THUMBNAIL
    assert _check(report, 1).declared_area_fraction == 0.3
    assert "no c2pa.placed action" in (_check(report, 2).reason or "")
    again = placed.not_checked(report, placed.OTHER_SHAPE)
    assert _check(again, 1).reason == placed.NO_PARENT_THUMBNAIL


def test_hostile_labels_are_cleaned_in_sentences() -> None:
    report = placed.check_components(
        _report(_box(0.7, 0.3), label="\u202esky\x1b[31m"), _changed_top(0.3)
    )
    text = " ".join((*placed.component_sentences(report), report.problems[0].explanation))
    assert "\u202e" not in text and "\x1b" not in text


def test_a_band_along_one_edge_is_named_by_that_edge_not_as_a_background() -> None:
    from provenance.verify.statements import kind_place

    sky = (Region(0.0, 0.0, 1.0, 0.3),)
    assert kind_place(sky) == " (the top of the picture)"
    assert kind_place((Region(0.0, 0.75, 1.0, 0.25),)) == " (the bottom of the picture)"
    assert kind_place((Region(0.0, 0.0, 0.2, 1.0),)) == " (the left side)"
    # A backdrop around a subject rising from the bottom edge is still a background.
    around = (Region(0.0, 0.0, 1.0, 0.15), Region(0.0, 0.0, 0.3, 1.0), Region(0.7, 0.0, 0.3, 1.0))
    assert kind_place(around) == " (the background around the subject)"
