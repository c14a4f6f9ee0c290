"""Renderers and statements on hand-built Reports (no c2pa, no signing)."""

from __future__ import annotations

import io
import json

import jsonschema
import numpy as np
import pytest
from PIL import Image

from provenance.models import (
    Action,
    AISummary,
    CaptureFacts,
    Extent,
    ExtentMethod,
    HistoryEntry,
    Problem,
    Region,
    Report,
    SignerSummary,
    Verdict,
)
from provenance.report import renderer_for
from provenance.report.html import CSP
from provenance.report.json_report import schema_path
from provenance.verify.observe import UNDECLARED_CODE, judge
from provenance.verify.statements import build_statements, edit_sentence
from provenance.wording import tool_name


def _jpeg(color: tuple[int, int, int] = (90, 140, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 100), color).save(out, "JPEG")
    return out.getvalue()


AI = Action(
    "c2pa.edited",
    digital_source_type="compositeWithTrainedAlgorithmicMedia",
    software_agent="GenFill/2.1",
    description="Replaced the sky",
    extent=Extent(0.1934, ExtentMethod.MEASURED, regions=(Region(0.55, 0.08, 0.4, 0.5),)),
)
GRADE = Action("c2pa.color_adjustments", software_agent="Darkroom/5", description="Grade")


def _report(verdict: Verdict = Verdict.TRUSTED, **kw: object) -> Report:
    base = Report(
        file="final.jpg",
        verdict=verdict,
        signer=SignerSummary("Jane", "Doe Studio", "Doe Studio", None, verdict is Verdict.TRUSTED),
        capture=CaptureFacts(
            "digitalCapture", "BarCam", "BarCam BC-1", None, "2026-11-01T09:30:00"
        ),
        ai=AISummary(edited=True, area_fraction=0.1934, tools=("GenFill/2.1",)),
        actions=(GRADE, AI),
        history=(
            HistoryEntry(
                "capture.jpg",
                "parentOf",
                Verdict.TRUSTED,
                history=(HistoryEntry("raw.dng", "parentOf", Verdict.NO_CREDENTIALS),),
                thumbnail=_jpeg(),
            ),
        ),
        training="notAllowed",
        thumbnail=_jpeg(),
    )
    from dataclasses import replace

    report = replace(base, **kw)  # type: ignore[arg-type]
    return replace(report, statements=build_statements(report))


def test_statements_read_like_sentences() -> None:
    statements = _report().statements
    assert statements[0] == "Captured with a BarCam BC-1 on 1 Nov 2026."
    assert statements[1] == "Edited by hand with Darkroom 5: Grade."
    assert statements[2].startswith(
        "AI edit with GenFill 2.1: Replaced the sky — AI changed about 19% of the image "
        "(upper right), measured"
    )
    assert "Made from an earlier version “capture.jpg”" in statements[3]
    assert "Signed by Doe Studio, an identity you trust." in statements


def test_ai_edit_without_extent_says_unknown() -> None:
    sentence = edit_sentence(Action("c2pa.edited", digital_source_type="trainedAlgorithmicMedia"))
    assert "not known" in sentence


def test_tool_name_only_splits_a_real_version() -> None:
    assert tool_name("GenFill/2.1") == "GenFill 2.1"
    assert tool_name("[b]X[/b] y") == "[b]X[/b] y"
    assert tool_name(None) is None


def test_no_credentials_and_unreadable_say_little() -> None:
    none = build_statements(Report("a.jpg", Verdict.NO_CREDENTIALS))
    assert "proves nothing either way" in none[0]
    assert "could not be read" in build_statements(Report("a.jpg", Verdict.UNREADABLE))[0]


def test_untrusted_signer_is_a_claim() -> None:
    statements = _report(Verdict.VALID_UNTRUSTED).statements
    assert any("it is a claim, not a proven identity" in s for s in statements)


def test_json_validates_and_is_stably_ordered() -> None:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    reports = [
        _report(),
        Report("x.jpg", Verdict.NO_CREDENTIALS),
        Report("y.jpg", Verdict.UNREADABLE, problems=(Problem("provenance.io", "Cannot read."),)),
    ]
    text = renderer_for("json").render(reports)
    jsonschema.validate(json.loads(text), schema, cls=jsonschema.Draft202012Validator)
    assert text == renderer_for("json").render(reports)
    keys = list(json.loads(renderer_for("json").render(reports[:1])))
    assert keys[:4] == ["schema", "file", "verdict", "exit_code"]


def test_json_schema_rejects_a_wrong_verdict() -> None:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    data = json.loads(renderer_for("json").render([_report()]))
    data["verdict"] = "probably fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_has_words_in_text_and_html(verdict: Verdict) -> None:
    report = _report(verdict)
    text = renderer_for("text").render([report])
    page = renderer_for("html").render([report])
    lines = text.split("\n")
    assert lines
    # Line one: what the picture is and who vouches; line two: the file and its verdict.
    assert " · " in lines[0]
    assert f"(verdict: {verdict.value})" in text
    assert '<h1 class="what">' in page
    quiet = renderer_for("text", quiet=True).render([report])
    assert quiet.split("  ")[0] in {
        "TRUSTED",
        "INTACT, SIGNER NOT TRUSTED",
        "INVALID",
        "NO CONTENT CREDENTIALS",
        "UNREADABLE",
    }


def test_text_shows_history_as_a_tree_and_quiet_is_one_line() -> None:
    text = renderer_for("text", width=80).render([_report()])
    assert "└── capture.jpg" in text
    assert "raw.dng" in text
    quiet = renderer_for("text", quiet=True).render([_report(), _report(Verdict.INVALID)])
    assert quiet.splitlines() == ["TRUSTED  final.jpg", "INVALID  final.jpg"]


def test_html_has_csp_overlay_and_history_pictures() -> None:
    page = renderer_for("html").render([_report()])
    assert CSP in page
    assert page.count('src="data:image/jpeg;base64,') == 3  # picture, overlay, parent
    assert "<script" not in page


def test_html_refuses_a_thumbnail_bomb() -> None:
    out = io.BytesIO()
    Image.new("L", (5000, 5000)).save(out, "PNG")  # 25 MP, far past the thumbnail bound
    page = renderer_for("html").render([_report(thumbnail=out.getvalue())])
    assert page.count("data:image/jpeg") == 1  # only the parent's picture


def test_judge_flags_change_outside_declared_regions() -> None:
    mask = np.zeros((100, 100), dtype=bool)
    mask[10:60, 50:95] = True  # 22.5% changed
    declared = Action(
        "c2pa.edited",
        digital_source_type="trainedAlgorithmicMedia",
        extent=Extent(0.01, ExtentMethod.DECLARED, regions=(Region(0.5, 0.1, 0.1, 0.1),)),
    )
    report = Report("a.jpg", Verdict.TRUSTED, actions=(declared,), ai=AISummary(edited=True))
    judged = judge(report, mask, 0.225)
    assert judged.ai.consistent is False
    assert judged.ai.observed_area_fraction == 0.225
    assert judged.ai.undeclared_area_fraction == pytest.approx(0.2, abs=0.03)
    assert judged.problems[-1].code == UNDECLARED_CODE
    assert "outside every area the edits declared" in judged.problems[-1].explanation
    covering = Action(
        "c2pa.edited",
        digital_source_type="trainedAlgorithmicMedia",
        extent=Extent(0.23, ExtentMethod.MEASURED, regions=(Region(0.5, 0.1, 0.45, 0.5),)),
    )
    ok = judge(replace_actions(report, covering), mask, 0.225)
    assert ok.ai.consistent is True and not ok.problems


def test_judge_cannot_compare_an_ai_edit_of_unknown_extent() -> None:
    unknown = Action("c2pa.edited", digital_source_type="trainedAlgorithmicMedia")
    report = Report("a.jpg", Verdict.TRUSTED, actions=(unknown,), ai=AISummary(edited=True))
    judged = judge(report, np.ones((10, 10), dtype=bool), 1.0)
    assert judged.ai.consistent is None and judged.ai.observed_area_fraction == 1.0


def replace_actions(report: Report, *actions: Action) -> Report:
    from dataclasses import replace

    return replace(report, actions=actions)


def test_overlay_keeps_a_small_declared_box_visible_inside_undeclared_change() -> None:
    from provenance.report.html import overlay

    grey = Image.new("RGB", (400, 400), (128, 128, 128))
    declared = Region(0.45, 0.45, 0.1, 0.1)  # 180..220 px
    undeclared = Region(0.1, 0.1, 0.8, 0.8)  # 40..360 px, around it
    marked = np.asarray(overlay(grey, [declared], [undeclared])).astype(int)
    # Both outlines are drawn at full strength, the declared one inside the other's fill.
    assert tuple(marked[200, 181]) == (208, 0, 208)
    assert tuple(marked[200, 41]) == (255, 42, 0)
    # Inside the declared box: its own tint, not the undeclared red.
    r, g, b = marked[200, 200]
    assert r > g and b > g and b > 100


def test_quiet_line_keeps_a_long_path_whole() -> None:
    from provenance.models import Report, Verdict

    name = "/very/long/" + "folder/" * 30 + "capture.jpg"
    text = renderer_for("text", color=False, width=60, quiet=True).render(
        [Report(file=name, verdict=Verdict.NO_CREDENTIALS)]
    )
    assert text.strip().splitlines() == [f"NO CONTENT CREDENTIALS  {name}"]
