"""Edits signed from their parent: measured AI extent against synthetic ground truth.

Each edited image is made from a signed capture by replacing a shape of known
area (ellipse, star, ring, separate blobs) with new content, usually under a
global grade, sometimes with added noise.  The numbers in the verify report
must match the truth: area within 0.05, the regions' union box overlapping the
shape's box with IoU >= 0.6, a grade alone under 5 %.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from fixtures.generate import AI_BOX, edit_shape, shape_mask, write_edited, write_mask, write_photo
from provenance.models import ChangeKind, ExtentMethod, Region, Report
from provenance.report.json_report import report_to_dict
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file


def _verify(path: Path, root: Path) -> Report:
    return verify_file(path, VerifyOptions(trust_files=(root,), use_trust_store=False))


@pytest.fixture()
def signed_capture(tmp_path: Path, dev_identity: tuple[Any, bytes]) -> Path:
    raw = write_photo(tmp_path, name="raw.jpg")
    out = tmp_path / "capture.jpg"
    sign_image(SignRequest(source=raw, output=out), dev_identity[0])
    return out


@pytest.fixture()
def root(tmp_path: Path, dev_identity: tuple[Any, bytes]) -> Path:
    path = tmp_path / "root.pem"
    path.write_bytes(dev_identity[1])
    return path


def _union_box(regions: tuple[Region, ...]) -> tuple[float, float, float, float]:
    return (
        min(r.x for r in regions),
        min(r.y for r in regions),
        max(r.x + r.width for r in regions),
        max(r.y + r.height for r in regions),
    )


def _truth_box(shape: str, size: tuple[int, int]) -> tuple[float, float, float, float]:
    import numpy as np

    mask = shape_mask(shape, size)
    rows, cols = np.nonzero(mask)
    w, h = size
    return cols.min() / w, rows.min() / h, (cols.max() + 1) / w, (rows.max() + 1) / h


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def _sign_edit(identity: Any, source: Path, parent: Path, out: Path, *edits: EditSpec) -> Path:
    sign_image(SignRequest(source=source, output=out, parent=parent, edits=edits), identity)
    return out


def test_grade_plus_ai_region_is_measured_and_reported(
    tmp_path: Path, signed_capture: Path, root: Path, dev_identity: tuple[Any, bytes]
) -> None:
    edited = write_edited(signed_capture, tmp_path)  # grade + AI ellipse in AI_BOX
    truth = shape_mask("ellipse", Image.open(edited).size).mean()
    final = _sign_edit(
        dev_identity[0],
        edited,
        signed_capture,
        tmp_path / "final.jpg",
        EditSpec(EditKind.EDIT, "Colour grade"),
        EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill/2.1"),
    )
    report = _verify(final, root)
    assert report.verdict.is_intact
    assert report.ai.edited and not report.ai.generated
    assert report.ai.area_fraction is not None
    assert abs(report.ai.area_fraction - truth) <= 0.05
    assert report.ai.tools == ("GenFill/2.1",)
    ai_action = next(a for a in report.actions if a.ai)
    assert ai_action.action == "c2pa.edited"
    assert ai_action.digital_source_type is not None
    assert ai_action.digital_source_type.endswith("compositeWithTrainedAlgorithmicMedia")
    assert ai_action.extent is not None and ai_action.extent.method is ExtentMethod.MEASURED
    x, y, w, h = AI_BOX
    assert _iou(_union_box(ai_action.extent.regions), (x, y, x + w, y + h)) >= 0.6
    human = next(a for a in report.actions if a.description == "Colour grade")
    assert not human.ai
    assert (human.digital_source_type or "").endswith("/humanEdits")
    assert report.history[0].relationship == "parentOf"
    assert report.history[0].capture is not None
    assert report.history[0].capture.make == "BarCam"

    data = report_to_dict(report)
    json.dumps(data)
    assert data["ai"]["edited"] is True
    assert abs(data["ai"]["area_fraction"] - truth) <= 0.05
    entry = next(a for a in data["actions"] if a["ai"])
    assert entry["extent"]["method"] == "measured"
    assert {"x", "y", "width", "height"} <= set(entry["extent"]["regions"][0])
    assert data["history"][0]["capture"]["make"] == "BarCam"


@pytest.mark.parametrize(
    ("shape", "graded", "noise"),
    [("star", True, 0.0), ("ring", False, 6.0), ("blobs", True, 4.0), ("ellipse", False, 0.0)],
)
def test_known_shapes_measure_their_true_area(
    tmp_path: Path,
    signed_capture: Path,
    root: Path,
    dev_identity: tuple[Any, bytes],
    shape: str,
    graded: bool,
    noise: float,
) -> None:
    edited, truth = edit_shape(signed_capture, tmp_path, shape, graded=graded, noise=noise)
    final = _sign_edit(
        dev_identity[0],
        edited,
        signed_capture,
        tmp_path / "final.jpg",
        EditSpec(EditKind.AI_EDIT, f"Replaced a {shape}", tool="Fill"),
    )
    report = _verify(final, root)
    assert report.ai.area_fraction is not None
    assert report.ai.by_kind is not None and report.ai.by_kind.content is not None
    # The replaced shape is content; noise added over everything is a detail change
    # (added grain), reported beside it, not as content.
    content = report.ai.by_kind.content
    assert abs(content - truth) <= 0.05, (shape, content, truth)
    if not noise:
        assert abs(report.ai.area_fraction - truth) <= 0.05, (shape, report.ai.area_fraction)
    extent = next(a for a in report.actions if a.ai).extent
    assert extent is not None and extent.regions
    change = extent.change(ChangeKind.CONTENT)
    assert change is not None and change.regions
    truth_box = _truth_box(shape, Image.open(edited).size)
    assert _iou(_union_box(change.regions), truth_box) >= 0.6


def test_grade_alone_is_not_content_change(
    tmp_path: Path, signed_capture: Path, root: Path, dev_identity: tuple[Any, bytes]
) -> None:
    graded = write_edited(signed_capture, tmp_path, name="graded.jpg", ai=False)
    final = _sign_edit(
        dev_identity[0],
        graded,
        signed_capture,
        tmp_path / "final.jpg",
        EditSpec(EditKind.EDIT, "Exposure, white balance and a curve"),
    )
    report = _verify(final, root)
    assert not report.ai.edited and not report.ai.generated
    assert report.ai.area_fraction == 0.0
    (action,) = [a for a in report.actions if a.description]
    assert not action.ai
    assert action.extent is not None and action.extent.area_fraction is not None
    assert action.extent.area_fraction < 0.05


def test_declared_mask_is_declared_with_measured_alongside(
    tmp_path: Path, signed_capture: Path, root: Path, dev_identity: tuple[Any, bytes]
) -> None:
    edited = write_edited(signed_capture, tmp_path)
    size = Image.open(edited).size
    mask = write_mask(tmp_path, size, AI_BOX)
    mask_fraction = round(float((__import__("numpy").asarray(Image.open(mask)) > 127).mean()), 4)
    final = _sign_edit(
        dev_identity[0],
        edited,
        signed_capture,
        tmp_path / "final.jpg",
        EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill", mask=mask),
    )
    report = _verify(final, root)
    extent = next(a for a in report.actions if a.ai).extent
    assert extent is not None
    assert extent.method is ExtentMethod.DECLARED
    assert extent.area_fraction == pytest.approx(mask_fraction, abs=1e-4)
    assert report.ai.area_fraction == pytest.approx(mask_fraction, abs=1e-4)
    truth = shape_mask("ellipse", size).mean()
    assert extent.measured_area_fraction is not None
    assert abs(extent.measured_area_fraction - truth) <= 0.05


def test_several_ai_edits_without_masks_share_one_measurement(
    tmp_path: Path, signed_capture: Path, root: Path, dev_identity: tuple[Any, bytes]
) -> None:
    edited = write_edited(signed_capture, tmp_path)
    final = _sign_edit(
        dev_identity[0],
        edited,
        signed_capture,
        tmp_path / "final.jpg",
        EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill"),
        EditSpec(EditKind.ENHANCE, "Denoised", tool="Denoiser/3"),
    )
    report = _verify(final, root)
    ai_actions = [a for a in report.actions if a.ai]
    assert [a.action for a in ai_actions] == ["c2pa.edited", "c2pa.filtered"]
    assert ai_actions[1].digital_source_type is not None
    assert ai_actions[1].digital_source_type.endswith("algorithmicallyEnhanced")
    for action in ai_actions:
        assert action.extent is not None
        assert action.extent.note == "measured change of all these edits together"
    truth = shape_mask("ellipse", Image.open(edited).size).mean()
    # Counted once, not twice: the union of one shared measurement.
    assert report.ai.area_fraction is not None
    assert abs(report.ai.area_fraction - truth) <= 0.05
    assert report.ai.tools == ("Denoiser/3", "GenFill")


def test_crop_is_unknown_not_guessed(
    tmp_path: Path, signed_capture: Path, root: Path, dev_identity: tuple[Any, bytes]
) -> None:
    img = Image.open(write_edited(signed_capture, tmp_path))
    cropped = tmp_path / "cropped.jpg"
    img.crop((0, 0, 900, 800)).save(cropped, quality=90)
    result = sign_image(
        SignRequest(
            source=cropped,
            output=tmp_path / "final.jpg",
            parent=signed_capture,
            edits=(EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill"),),
        ),
        dev_identity[0],
    )
    assert result.extent_note is not None and "could not be measured" in result.extent_note
    assert result.notes[0] == result.extent_note
    report = _verify(result.output, root)
    extent = next(a for a in report.actions if a.ai).extent
    assert extent is not None
    assert extent.area_fraction is None
    assert extent.note is not None and "could not be measured" in extent.note
    assert report.ai.edited and report.ai.area_fraction is None
    assert report_to_dict(report)["ai"]["area_fraction"] is None


def test_crop_with_mask_falls_back_to_declared(
    tmp_path: Path, signed_capture: Path, root: Path, dev_identity: tuple[Any, bytes]
) -> None:
    img = Image.open(write_edited(signed_capture, tmp_path))
    cropped = tmp_path / "cropped.jpg"
    img.crop((0, 0, 900, 800)).save(cropped, quality=90)
    mask = write_mask(tmp_path, (900, 800), (0.6, 0.1, 0.3, 0.5))
    result = sign_image(
        SignRequest(
            source=cropped,
            output=tmp_path / "final.jpg",
            parent=signed_capture,
            edits=(EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill", mask=mask),),
        ),
        dev_identity[0],
    )
    extent = next(a for a in _verify(result.output, root).actions if a.ai).extent
    assert extent is not None and extent.method is ExtentMethod.DECLARED
    assert extent.area_fraction == pytest.approx(0.15, abs=0.005)
    assert extent.measured_area_fraction is None


def test_rescaled_parent_is_measured(
    tmp_path: Path, signed_capture: Path, root: Path, dev_identity: tuple[Any, bytes]
) -> None:
    edited = write_edited(signed_capture, tmp_path)
    small = tmp_path / "small.jpg"
    Image.open(edited).resize((600, 400), Image.Resampling.LANCZOS).save(small, quality=92)
    final = _sign_edit(
        dev_identity[0],
        small,
        signed_capture,
        tmp_path / "final.jpg",
        EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill"),
    )
    report = _verify(final, root)
    truth = shape_mask("ellipse", (1200, 800)).mean()
    assert report.ai.area_fraction is not None
    assert abs(report.ai.area_fraction - truth) <= 0.05


def test_mask_with_wrong_proportions_is_refused(
    tmp_path: Path, signed_capture: Path, dev_identity: tuple[Any, bytes]
) -> None:
    from provenance.errors import InputError

    edited = write_edited(signed_capture, tmp_path)
    mask = write_mask(tmp_path, (500, 500), AI_BOX)
    with pytest.raises(InputError, match="proportions"):
        _sign_edit(
            dev_identity[0],
            edited,
            signed_capture,
            tmp_path / "final.jpg",
            EditSpec(EditKind.AI_EDIT, "x", tool="GenFill", mask=mask),
        )
    assert not (tmp_path / "final.jpg").exists()
