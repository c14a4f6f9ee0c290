"""observe_extent on hand-built manifest stores with real thumbnails (no c2pa)."""

from __future__ import annotations

from dataclasses import replace

from provenance import media, samples
from provenance.models import (
    Action,
    AISummary,
    Change,
    ChangeKind,
    Extent,
    ExtentMethod,
    KindAreas,
    Region,
    Report,
    Verdict,
)
from provenance.store import IngredientData, ManifestData, SignatureData, StoreData
from provenance.verify.observe import MISMATCH_CODE, agrees, judge_kinds, observe_extent
from provenance.verify.statements import observed_sentence

BOX = (0.55, 0.1, 0.35, 0.5)


def _store(declared: tuple[Region, ...]) -> tuple[Report, StoreData, dict[str, bytes]]:
    photo = media.decode_reduced(samples.sample_photo("JPEG", width=800, height=533), 800)
    edited = samples.ai_edit(samples.grade(photo), BOX)
    thumbs = {"parent": media.make_thumbnail(photo), "self": media.make_thumbnail(edited)}
    action = Action(
        "c2pa.edited",
        digital_source_type="trainedAlgorithmicMedia",
        extent=Extent(sum(r.area for r in declared), ExtentMethod.DECLARED, regions=declared),
    )
    manifest = ManifestData(
        label="m",
        title="t",
        generator=None,
        signature=SignatureData(),
        actions=(action,),
        capture=None,
        training=None,
        ingredients=(IngredientData("p.jpg", "parentOf", None, "parent"),),
        thumbnail_id="self",
    )
    store = StoreData("m", {"m": manifest}, "Valid", ())
    report = Report("a.jpg", Verdict.VALID_UNTRUSTED, actions=(action,), ai=AISummary(edited=True))
    return report, store, thumbs


def test_declared_region_covering_the_change_is_consistent() -> None:
    report, store, thumbs = _store((Region(*BOX),))
    observed = observe_extent(report, store, thumbs)
    assert observed.ai.consistent is True
    assert observed.ai.observed_area_fraction is not None
    assert 0.08 < observed.ai.observed_area_fraction < 0.2


def test_too_small_declared_region_is_caught() -> None:
    report, store, thumbs = _store((Region(0.55, 0.1, 0.05, 0.05),))
    observed = observe_extent(report, store, thumbs)
    assert observed.ai.consistent is False
    assert observed.ai.undeclared_regions
    assert observed.problems[-1].code == "provenance.extent.undeclaredChange"


def test_missing_or_hostile_thumbnails_leave_the_report_alone() -> None:
    report, store, thumbs = _store((Region(*BOX),))
    assert observe_extent(report, store, {"self": thumbs["self"]}) == report
    assert observe_extent(report, store, {"self": b"junk", "parent": b"junk"}) == report


# --------------------------------------------------------------------------- by kind


def _kind_report(
    area: float, method: ExtentMethod, by_kind: KindAreas, changes: tuple[Change, ...] = ()
) -> Report:
    action = Action(
        "c2pa.edited",
        digital_source_type="trainedAlgorithmicMedia",
        extent=Extent(area, method, changes=changes),
    )
    ai = AISummary(edited=True, area_fraction=area, by_kind=by_kind, consistent=True)
    return Report(file="f.jpg", verdict=Verdict.VALID_UNTRUSTED, actions=(action,), ai=ai)


def test_tolerance_is_documented_and_sixty_is_not_forty_two() -> None:
    assert agrees(0.45, 0.43)
    assert agrees(0.04, 0.0)
    assert not agrees(0.60, 0.42)
    report = _kind_report(0.60, ExtentMethod.DECLARED, KindAreas(0.42, 0.0, 0.0))
    judged = judge_kinds(report, KindAreas(content=0.42, detail=0.0, tone=0.1))
    assert judged.ai.consistent is False
    assert judged.ai.observed_by_kind == KindAreas(content=0.42, detail=0.0, tone=0.1)
    assert any(p.code == MISMATCH_CODE for p in judged.problems)
    sentence = observed_sentence(
        replace(judged, ai=replace(judged.ai, observed_area_fraction=0.42))
    )
    assert sentence is not None and "not consistent" in sentence and "about 60%" in sentence


def test_matching_content_is_consistent() -> None:
    content = Change(ChangeKind.CONTENT, 0.45, 0.8, "strong")
    report = _kind_report(0.45, ExtentMethod.MEASURED, KindAreas(0.45, 0.0, 0.2), (content,))
    judged = judge_kinds(report, KindAreas(content=0.43, detail=0.01, tone=0.2))
    assert judged.ai.consistent is True
    assert not judged.problems


def test_detail_too_fine_for_the_thumbnail_is_said_not_judged() -> None:
    detail = Change(ChangeKind.DETAIL, 0.04, 0.9, "strong", direction="smoothed")
    report = _kind_report(0.04, ExtentMethod.MEASURED, KindAreas(0.0, 0.04, 0.0), (detail,))
    judged = judge_kinds(report, KindAreas(content=0.0, detail=0.0, tone=0.0))
    assert judged.ai.consistent is True
    assert judged.ai.observe_notes and "too fine" in judged.ai.observe_notes[0]
    report = replace(judged, ai=replace(judged.ai, observed_area_fraction=0.0))
    sentence = observed_sentence(report)
    assert sentence is not None and "too fine for the embedded thumbnail" in sentence


def test_more_detail_than_declared_is_a_mismatch() -> None:
    detail = Change(ChangeKind.DETAIL, 0.04, 0.9, "strong", direction="smoothed")
    report = _kind_report(0.04, ExtentMethod.MEASURED, KindAreas(0.0, 0.04, 0.0), (detail,))
    judged = judge_kinds(report, KindAreas(content=0.0, detail=0.5, tone=0.0))
    assert judged.ai.consistent is False
