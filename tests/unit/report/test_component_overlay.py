"""The HTML overlay marks each placed component with its label (hand-built Reports)."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
from PIL import Image

from provenance.models import (
    Action,
    AISummary,
    Change,
    ChangeKind,
    CheckResult,
    Extent,
    ExtentMethod,
    HistoryEntry,
    PlacedCheck,
    Region,
    Report,
    Verdict,
)
from provenance.report import renderer_for
from provenance.report.html import CSP
from provenance.report.overlay import KIND_COLOURS, PART_COLOURS, placed_areas

SKY = Region(0.0, 0.0, 1.0, 0.3)
LAMP = Region(0.7, 0.6, 0.2, 0.3)
HOSTILE = '<img src=x onerror=alert(1)>\u202e"sky'


def _jpeg(size: tuple[int, int] = (400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (128, 128, 128)).save(out, "JPEG", quality=95)
    return out.getvalue()


def _placed(link: str, region: Region, *, ai: bool) -> Action:
    return Action(
        "c2pa.placed",
        digital_source_type="compositeWithTrainedAlgorithmicMedia" if ai else "composite",
        description="Placed part",
        extent=Extent(
            region.area,
            ExtentMethod.MEASURED,
            regions=(region,),
            changes=(Change(ChangeKind.CONTENT, region.area, regions=(region,)),),
        ),
        ingredients=(link,),
    )


def _report(sky_label: str = "sky") -> Report:
    sky, lamp = _placed("c2pa.ingredient.v3__1", SKY, ai=True), _placed(
        "c2pa.ingredient.v3__2", LAMP, ai=False
    )
    return Report(
        file="final.jpg",
        verdict=Verdict.VALID_UNTRUSTED,
        thumbnail=_jpeg(),
        ai=AISummary(edited=True, area_fraction=SKY.area),
        actions=(sky, lamp),
        history=(
            HistoryEntry("capture.jpg", "parentOf", Verdict.VALID_UNTRUSTED),
            HistoryEntry(
                "sky.jpg",
                "componentOf",
                Verdict.VALID_UNTRUSTED,
                label="c2pa.ingredient.v3__1",
                placed=sky.extent,
                component_label=sky_label,
                placed_check=PlacedCheck(CheckResult.CONSISTENT, 0.3, 0.29),
            ),
            HistoryEntry(
                "lamp.png",
                "componentOf",
                Verdict.NO_CREDENTIALS,
                label="c2pa.ingredient.v3__2",
                placed=lamp.extent,
                component_label="prop",
                placed_check=PlacedCheck(CheckResult.INCONSISTENT, 0.06, 0.0),
            ),
        ),
    )


def _overlay_pixels(page: str) -> np.ndarray:
    found = re.search(r'<img src="data:image/jpeg;base64,([^"]+)" class="overlay"', page)
    assert found, "no overlay picture"
    with Image.open(io.BytesIO(base64.b64decode(found.group(1)))) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float32)


def test_each_component_has_its_colour_label_and_legend() -> None:
    page = renderer_for("html").render([_report()])
    parts = placed_areas(_report())
    assert [p.name for p in parts] == ["sky", "prop"] and [p.colour for p in parts] == [0, 1]
    assert parts[0].ai and not parts[1].ai
    # A label laid over each area: the sky's at its top-left, the lamp's from the right edge.
    assert '<span class="place-label part-0" style="left:0.0%;top:0.0%">sky</span>' in page
    assert '<span class="place-label part-1" style="right:10.0%;top:60.0%">prop</span>' in page
    assert '<span class="swatch part-0"></span> <strong>sky</strong>: a part placed' in page
    assert "made by AI, about 30% of the picture; consistent with the pixels" in page
    assert "NOT consistent with the pixels" in page
    assert "each placed part marked with its name" in page
    # The placed sky is drawn as a part, not again as AI content (no content legend).
    assert "content replaced or added by AI" not in page
    # Distinct colours: none of the parts' is a kind's.
    kinds = {colour for colour, _ in KIND_COLOURS.values()}
    assert not kinds & set(PART_COLOURS)


def test_the_overlay_paints_each_part_in_its_colour_and_nothing_else() -> None:
    pixels = _overlay_pixels(renderer_for("html").render([_report()]))
    height, width, _ = pixels.shape
    grey = np.array([128.0, 128.0, 128.0])

    def towards(box: Region, colour: tuple[int, int, int]) -> float:
        """How far the middle of ``box`` moved from grey towards ``colour`` (0..1)."""
        x0, y0 = int((box.x + box.width * 0.25) * width), int((box.y + box.height * 0.25) * height)
        x1, y1 = int((box.x + box.width * 0.75) * width), int((box.y + box.height * 0.75) * height)
        mean = pixels[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)
        target = np.array(colour, dtype=np.float32)
        return float(np.dot(mean - grey, target - grey) / np.dot(target - grey, target - grey))

    assert towards(SKY, PART_COLOURS[0]) > 0.3
    assert towards(LAMP, PART_COLOURS[1]) > 0.3
    assert towards(SKY, PART_COLOURS[1]) < towards(SKY, PART_COLOURS[0])
    untouched = pixels[int(0.45 * height) : int(0.55 * height), int(0.1 * width) : int(0.5 * width)]
    assert np.abs(untouched - grey).max() < 8


def test_hostile_component_labels_are_escaped_everywhere() -> None:
    page = renderer_for("html").render([_report(HOSTILE)])
    assert "<img src=x" not in page and "onerror=alert(1)>" not in page
    assert "\u202e" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;sky" in page
    assert f'content="{CSP}"' in page and "<script" not in page


def test_an_unplaced_or_regionless_component_is_not_drawn() -> None:
    report = _report()
    entries = list(report.history)
    entries[1] = HistoryEntry("sky.jpg", "componentOf", Verdict.VALID_UNTRUSTED, label="x")
    entries[2] = HistoryEntry(
        "lamp.png",
        "componentOf",
        Verdict.VALID_UNTRUSTED,
        placed=Extent(0.1, ExtentMethod.DECLARED),
    )
    bare = Report(
        file="final.jpg", verdict=Verdict.VALID_UNTRUSTED, thumbnail=_jpeg(), history=tuple(entries)
    )
    assert placed_areas(bare) == []
    assert 'class="place-label' not in renderer_for("html").render([bare])


def test_label_positions_are_clamped_and_parts_bounded() -> None:
    from provenance.report.overlay import MAX_DRAWN_PARTS, label_style

    wild = (Region(float("nan"), -5.0, 1e300, 2.0),)
    assert label_style(wild) == "left:0.0%;top:0.0%"
    many = Report(
        file="final.jpg",
        verdict=Verdict.VALID_UNTRUSTED,
        thumbnail=_jpeg(),
        history=tuple(
            HistoryEntry(
                f"p{i}.jpg",
                "componentOf",
                Verdict.NO_CREDENTIALS,
                placed=Extent(0.01, ExtentMethod.DECLARED, regions=(Region(0.0, 0.0, 0.1, 0.1),)),
            )
            for i in range(100)
        ),
    )
    assert len(placed_areas(many)) == MAX_DRAWN_PARTS
    assert renderer_for("html").render([many]).count('class="place-label') == MAX_DRAWN_PARTS
