"""observe_extent on hand-built manifest stores with real thumbnails (no c2pa)."""

from __future__ import annotations

from provenance import media, samples
from provenance.models import Action, AISummary, Extent, ExtentMethod, Region, Report, Verdict
from provenance.store import IngredientData, ManifestData, SignatureData, StoreData
from provenance.verify.observe import observe_extent

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
