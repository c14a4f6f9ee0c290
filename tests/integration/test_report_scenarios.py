"""The report for real signed files: captured, AI-edited, generated, tampered, under-declared.

Files are signed once per module (signing is the slow part) with an in-memory
identity; every check then reads them back through :func:`verify_file`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from fixtures.generate import AI_BOX, write_edited, write_mask, write_photo
from provenance.demo import tamper
from provenance.identity.keys import ephemeral_identity
from provenance.models import Report, Verdict
from provenance.report import renderer_for
from provenance.report.json_report import schema_path
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file
from provenance.verify.statuscodes import explain

AI_AREA = 0.198  # measured area of the ellipse fixtures.generate draws in AI_BOX


@dataclass(frozen=True)
class Signed:
    folder: Path
    root: Path
    captured: Path
    edited: Path
    generated: Path
    tampered: Path
    undeclared: Path

    def verify(self, path: Path) -> Report:
        return verify_file(path, VerifyOptions(trust_files=(self.root,), use_trust_store=False))


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Signed:
    folder = tmp_path_factory.mktemp("signed")
    identity, root_pem = ephemeral_identity("Scenario Photographer", "Scenario Studio")
    root = folder / "root.pem"
    root.write_bytes(root_pem)
    capture = write_photo(folder, "jpeg")
    edited_src = write_edited(capture, folder)
    captured = folder / "captured.jpg"
    sign_image(SignRequest(source=capture, output=captured), identity)
    edited = folder / "ai-edited.jpg"
    sign_image(
        SignRequest(
            source=edited_src,
            output=edited,
            parent=capture,
            edits=(
                EditSpec(EditKind.EDIT, "Colour grade", tool="Darkroom/5"),
                EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill/2.1"),
            ),
        ),
        identity,
    )
    generated = folder / "generated.jpg"
    gen_src = write_photo(folder, "jpeg", name="gen-src.jpg", seed=3)
    sign_image(
        SignRequest(source=gen_src, output=generated, generated=True, generator_tool="Imagen/3"),
        identity,
    )
    tampered = folder / "tampered.jpg"
    tampered.write_bytes(tamper(edited.read_bytes()))
    # The declared mask covers a small corner of the real change (AI_BOX).
    mask = write_mask(folder, (1200, 800), (AI_BOX[0], AI_BOX[1], 0.1, 0.1))
    undeclared = folder / "under-declared.jpg"
    sign_image(
        SignRequest(
            source=edited_src,
            output=undeclared,
            parent=capture,
            edits=(EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill/2.1", mask=mask),),
        ),
        identity,
    )
    return Signed(folder, root, captured, edited, generated, tampered, undeclared)


def _schema() -> dict[str, object]:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema  # type: ignore[no-any-return]


def test_json_of_every_scenario_validates_against_the_schema(signed: Signed) -> None:
    reports = [
        signed.verify(p)
        for p in (
            signed.captured,
            signed.edited,
            signed.generated,
            signed.tampered,
            signed.undeclared,
        )
    ]
    document = json.loads(renderer_for("json").render(reports))
    jsonschema.validate(document, _schema(), cls=jsonschema.Draft202012Validator)
    single = json.loads(renderer_for("json").render(reports[:1]))
    jsonschema.validate(single, _schema(), cls=jsonschema.Draft202012Validator)
    assert single["schema"] == "provenance.report/1"
    assert list(single)[:3] == ["schema", "file", "verdict"]


def test_captured_statements(signed: Signed) -> None:
    report = signed.verify(signed.captured)
    assert report.verdict is Verdict.TRUSTED
    assert "Captured with a BarCam BC-1" in report.statements[0]
    text = " ".join(report.statements)
    assert "revoked was not checked" in text
    assert "No time-stamp" in text
    assert "Where it was taken is not included" in text
    assert "not be used to train AI" in text


def test_ai_edit_statement_and_observed_extent(signed: Signed) -> None:
    report = signed.verify(signed.edited)
    ai_line = next(s for s in report.statements if s.startswith("AI edit"))
    assert ai_line.startswith("AI edit with GenFill 2.1: Replaced the sky")
    assert re.search(r"AI replaced about (19|20)% of the picture \(upper right\)", ai_line)
    assert report.ai.consistent is True
    assert report.ai.observed_area_fraction == pytest.approx(AI_AREA, abs=0.03)
    assert any("consistent with what was declared" in s for s in report.statements)
    assert report.history and report.history[0].relationship == "parentOf"
    assert report.history[0].thumbnail  # the parent picture travels with the edit


def test_declared_mask_much_smaller_than_the_change_is_inconsistent(signed: Signed) -> None:
    report = signed.verify(signed.undeclared)
    data = json.loads(renderer_for("json").render([report]))
    assert data["ai"]["area_fraction"] == pytest.approx(0.01, abs=0.005)
    assert data["ai"]["consistent"] is False
    assert data["ai"]["observed_area_fraction"] == pytest.approx(AI_AREA, abs=0.03)
    codes = [p["code"] for p in data["problems"]]
    assert "provenance.extent.undeclaredChange" in codes
    assert any("outside every declared area" in s for s in data["statements"])


def test_generated_image(signed: Signed) -> None:
    report = signed.verify(signed.generated)
    assert report.ai.generated and report.ai.area_fraction == 1.0
    assert any(s.startswith("Generated by AI") for s in report.statements)


def test_tampered_every_problem_explained_in_words(signed: Signed) -> None:
    report = signed.verify(signed.tampered)
    assert report.verdict is Verdict.INVALID
    data = json.loads(renderer_for("json").render([report]))
    assert data["problems"]
    for problem in data["problems"]:
        words = problem["explanation"]
        assert problem["code"] not in words
        assert len(words.split()) >= 5
        assert words != explain("some.unknown.code")
    assert data["statements"][0].startswith("The Content Credentials are broken")
    assert any(s.startswith("It claims:") for s in data["statements"])


def test_html_for_edited_image_is_self_contained(signed: Signed) -> None:
    page = renderer_for("html").render([signed.verify(signed.edited)])
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'' in page
    assert "<script" not in page.lower()
    assert (
        len(re.findall(r'<img src="data:image/jpeg;base64,', page)) >= 3
    )  # image, overlay, parent
    assert not re.search(r"(src|href)\s*=\s*\"(?!data:)", page)
    assert "http://" not in page and "https://" not in page.replace("http://cv.iptc.org", "")
    assert "areas changed by AI" in page


def test_text_report_without_colour_is_plain_and_width_aware(signed: Signed) -> None:
    text = renderer_for("text", color=False, width=60).render([signed.verify(signed.edited)])
    assert "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) <= 60
    assert text.startswith("AI-edited — about")
    assert "(verdict: trusted)" in text
    quiet = renderer_for("text", quiet=True).render([signed.verify(signed.tampered)])
    assert quiet.count("\n") == 1 and quiet.startswith("INVALID")
