"""Planning actions and attributing extents, without signing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from provenance.models import DigitalSourceType, ExtentMethod
from provenance.sign import SHARED_NOTE, UNMEASURED_NOTE, EditKind, EditSpec, SignRequest
from provenance.sign.orchestrator import _measure, _plan_actions

P = Path("x.jpg")


def _photo(seed: int = 1, size: tuple[int, int] = (600, 400)) -> Image.Image:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (size[1] // 20, size[0] // 20, 3), dtype=np.uint8)
    return Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)


def _replaced(img: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    out = img.copy()
    out.paste(_photo(9, (box[2] - box[0], box[3] - box[1])), box[:2])
    return out


def test_actions_per_edit_kind() -> None:
    request = SignRequest(
        source=P,
        output=P,
        parent=P,
        edits=(
            EditSpec(EditKind.AI_EDIT, "sky", tool="GenFill/2"),
            EditSpec(EditKind.ENHANCE, "denoise", tool="Denoise"),
            EditSpec(EditKind.EDIT, "grade"),
        ),
    )
    actions, _ = _plan_actions(request, {})
    assert [a.action for a in actions] == ["c2pa.edited", "c2pa.filtered", "c2pa.edited"]
    assert actions[0].digital_source_type == "compositeWithTrainedAlgorithmicMedia"
    assert actions[1].digital_source_type == "algorithmicallyEnhanced"
    # A hand edit says so (humanEdits: every perceptible change carries a source type).
    assert actions[2].digital_source_type == "humanEdits" and not actions[2].ai
    assert actions[0].software_agent == "GenFill/2"
    # An edit of a parent is not a creation: c2pa records c2pa.opened itself.
    assert all(a.action != "c2pa.created" for a in actions)


def test_capture_and_generated_are_created() -> None:
    (capture,), _ = _plan_actions(SignRequest(source=P, output=P), {})
    assert capture.action == "c2pa.created" and capture.digital_source_type == "digitalCapture"
    (made,), _ = _plan_actions(
        SignRequest(source=P, output=P, generated=True, generator_tool="Gen"), {}
    )
    assert made.action == "c2pa.created" and made.software_agent == "Gen"
    assert made.digital_source_type == DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA.value


def test_measured_extent_goes_to_the_ai_edit() -> None:
    parent = _photo()
    edited = _replaced(parent, (300, 100, 500, 300))  # 200x200 of 600x400 = 1/6
    request = SignRequest(
        source=P,
        output=P,
        parent=P,
        edits=(EditSpec(EditKind.EDIT, "grade"), EditSpec(EditKind.AI_EDIT, "x", tool="T")),
    )
    extents, note = _measure(request, parent, edited)
    assert note is None and 0 not in extents
    extent = extents[1]
    assert extent is not None and extent.method is ExtentMethod.MEASURED
    assert extent.area_fraction is not None and abs(extent.area_fraction - 1 / 6) < 0.03
    assert extent.note is None


def test_several_ai_edits_share_and_say_so() -> None:
    parent = _photo()
    edited = _replaced(parent, (300, 100, 500, 300))
    request = SignRequest(
        source=P,
        output=P,
        parent=P,
        edits=(
            EditSpec(EditKind.AI_EDIT, "a", tool="T"),
            EditSpec(EditKind.ENHANCE, "b", tool="U"),
        ),
    )
    extents, _ = _measure(request, parent, edited)
    assert extents[0] is not None and extents[0].note == SHARED_NOTE
    assert extents[1] is not None and extents[1].area_fraction == extents[0].area_fraction


def test_geometry_change_is_unknown_with_reason() -> None:
    parent = _photo()
    edited = parent.crop((0, 0, 400, 400))
    request = SignRequest(
        source=P, output=P, parent=P, edits=(EditSpec(EditKind.AI_EDIT, "a", tool="T"),)
    )
    extents, note = _measure(request, parent, edited)
    assert note is not None and "could not be measured" in note
    extent = extents[0]
    assert extent is not None
    assert extent.area_fraction is None and extent.method is ExtentMethod.MEASURED
    assert extent.note == UNMEASURED_NOTE


def test_no_parent_no_extent() -> None:
    request = SignRequest(source=P, output=P, edits=(EditSpec(EditKind.AI_EDIT, "a", tool="T"),))
    extents, note = _measure(request, None, _photo())
    assert extents == {0: None} and note is None


def test_mask_is_declared(tmp_path: Path) -> None:
    parent = _photo()
    edited = _replaced(parent, (300, 100, 500, 300))
    mask = Image.new("L", (600, 400), 0)
    mask.paste(255, (0, 0, 300, 200))  # declares a quarter
    path = tmp_path / "mask.png"
    mask.save(path)
    request = SignRequest(
        source=P,
        output=P,
        parent=P,
        edits=(EditSpec(EditKind.AI_EDIT, "a", tool="T", mask=path),),
    )
    extents, _ = _measure(request, parent, edited)
    extent = extents[0]
    assert extent is not None and extent.method is ExtentMethod.DECLARED
    assert extent.area_fraction == 0.25
    assert extent.measured_area_fraction is not None
    assert abs(extent.measured_area_fraction - 1 / 6) < 0.03
