"""Unit tests for the three kinds of change (content / detail / tone) and their recording.

Pictures are synthetic and small (built in the test from the photo-like generator of
``test_extent``: gradients, texture at several scales, hard-edged objects, sensor-like
noise), so the promises of DESIGN.md "The AI-extent method" are checked fast; the
evaluation on real photographs is ``python -m benchmarks.extent_eval``.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from provenance.extent import (
    GeometryMismatch,
    measure_extent,
    measure_kinds,
    plane_from_image,
    restrict,
    strength_label,
)
from provenance.extent.kinds import STRENGTH_WORDS
from provenance.extent.regions import cover_rectangles, regions_mask
from provenance.models import Action, ChangeKind, Extent
from provenance.sign.manifest import action_to_definition
from provenance.store import parse_action
from tests.unit.extent.test_extent import _grade, _image, _photo

W, H = 600, 400
Mask = NDArray[np.bool_]


@pytest.fixture(scope="module")
def parent_px() -> NDArray[np.float64]:
    return _photo(11, W, H)


def _subject() -> Mask:
    """A person-like silhouette: head and shoulders rising from the bottom edge."""
    mask = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse([250, 60, 350, 180], fill=255)
    draw.polygon([(160, 400), (200, 220), (400, 220), (440, 400)], fill=255)
    return np.asarray(mask) > 127


def _iou(a: Mask, b: Mask) -> float:
    return float((a & b).sum()) / max(1, int((a | b).sum()))


def _resize(mask: Mask, shape: tuple[int, int]) -> Mask:
    image = Image.fromarray(mask.astype(np.uint8) * 255).resize((shape[1], shape[0]))
    return np.asarray(image) > 127


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    out.seek(0)
    return Image.open(out)


def test_backdrop_swap_marks_the_backdrop_not_the_subject(parent_px: NDArray[np.float64]) -> None:
    subject = _subject()
    rng = np.random.default_rng(5)
    for backdrop in (
        np.full((H, W, 3), 240.0) + rng.normal(0, 1.0, (H, W, 3)),  # white seamless
        _photo(99, W, H)[:, ::-1] * 0.7 + np.array([10.0, 20.0, 60.0]),  # another scene
    ):
        edited = np.where(subject[..., None], parent_px, backdrop)
        found = measure_kinds(_image(parent_px), _image(edited), max_side=600)
        truth = _resize(~subject, found.content.shape)
        assert _iou(found.content, truth) > 0.85
        # The unchanged person stays unchanged: almost none of it is content.
        inside = _resize(subject, found.content.shape)
        assert found.content[inside].mean() < 0.05


def test_global_relight_is_tone_not_content(parent_px: NDArray[np.float64]) -> None:
    x = np.linspace(0, 1, W)[None, :, None]
    warm = parent_px * (1.1 - 0.3 * x) * np.array([1.1, 0.97, 0.8]) + 8
    extent = measure_extent(_image(parent_px), _image(warm), max_side=600)
    tone = extent.change(ChangeKind.TONE)
    assert tone is not None and tone.area_fraction > 0.8
    content = extent.change(ChangeKind.CONTENT)
    assert (content.area_fraction if content else 0.0) < 0.02
    # A colour grade is not "100% changed": the headline area is content or detail only.
    assert (extent.area_fraction or 0.0) < 0.1


def test_hand_grade_and_resave_are_not_content(parent_px: NDArray[np.float64]) -> None:
    parent = _image(parent_px)
    for edited in (_image(_grade(parent_px)), _jpeg(parent, 70), _jpeg(parent, 92)):
        extent = measure_extent(parent, edited, max_side=600)
        content = extent.change(ChangeKind.CONTENT)
        assert (content.area_fraction if content else 0.0) < 0.01
    resaved = measure_extent(parent, _jpeg(parent, 70), max_side=600)
    assert (resaved.area_fraction or 0.0) < 0.03


@pytest.mark.parametrize("radius", [2.0, 5.0])
def test_smoothing_a_region_is_detail_of_its_area(
    parent_px: NDArray[np.float64], radius: float
) -> None:
    # Radius 5 is a heavy polish (features of the region blurred too): still detail --
    # the coarse band a removed object loses (content.structure_loss) is partly kept.
    rng = np.random.default_rng(3)
    grainy = parent_px + rng.normal(0, 3.0, parent_px.shape)
    face = np.zeros((H, W), dtype=bool)
    face[80:180, 250:350] = True
    smooth = np.asarray(_image(grainy).filter(ImageFilter.GaussianBlur(radius)), np.float64)
    edited = np.where(face[..., None], smooth, grainy)
    extent = measure_extent(_image(grainy), _image(edited), max_side=400)
    detail = extent.change(ChangeKind.DETAIL)
    assert detail is not None
    assert 0.5 * face.mean() <= detail.area_fraction <= 2.0 * face.mean()
    assert detail.strength_label in ("moderate", "strong")
    content = extent.change(ChangeKind.CONTENT)
    assert (content.area_fraction if content else 0.0) < 0.01


def test_denoising_everything_is_detail_everywhere(parent_px: NDArray[np.float64]) -> None:
    rng = np.random.default_rng(4)
    grainy = _image(parent_px + rng.normal(0, 3.0, parent_px.shape))
    tamed = grainy.filter(ImageFilter.MedianFilter(3))
    extent = measure_extent(grainy, tamed, max_side=400)
    detail = extent.change(ChangeKind.DETAIL)
    assert detail is not None and detail.area_fraction > 0.7


def test_detail_plane_finer_than_the_working_size(parent_px: NDArray[np.float64]) -> None:
    # Grain lives at full resolution: a 300 px working copy alone cannot see its removal,
    # the detail plane at full size can.
    rng = np.random.default_rng(6)
    grainy = _image(parent_px + rng.normal(0, 3.0, parent_px.shape))
    tamed = grainy.filter(ImageFilter.MedianFilter(3))
    small_parent = grainy.resize((300, 200), Image.Resampling.BOX)
    small_edit = tamed.resize((300, 200), Image.Resampling.BOX)
    found = measure_kinds(
        small_parent,
        small_edit,
        max_side=300,
        parent_plane=plane_from_image(grainy),
        edited_plane=plane_from_image(tamed),
    )
    assert found.detail.mean() > 0.7
    assert found.detail_side == W


@pytest.mark.parametrize("kind", ["zoom", "offset", "rotate"])
def test_reframing_is_refused(parent_px: NDArray[np.float64], kind: str) -> None:
    parent = _image(parent_px)
    if kind == "zoom":  # an aspect-preserving centre crop, enlarged back
        edited = parent.crop((30, 20, W - 30, H - 20)).resize((W, H), Image.Resampling.LANCZOS)
    elif kind == "offset":  # an off-centre crop at 85 %
        edited = parent.crop((0, 0, int(W * 0.85), int(H * 0.85)))
    else:
        edited = parent.rotate(2.0, resample=Image.Resampling.BICUBIC)
        edited = edited.crop((20, 14, W - 20, H - 14)).resize((W, H), Image.Resampling.LANCZOS)
    with pytest.raises(GeometryMismatch):
        measure_extent(parent, edited, max_side=600)


def test_pure_rescale_is_accepted(parent_px: NDArray[np.float64]) -> None:
    parent = _image(parent_px)
    edited = parent.resize((W * 2 // 3, H * 2 // 3), Image.Resampling.LANCZOS)
    extent = measure_extent(parent, edited, max_side=600)
    assert (extent.area_fraction or 0.0) < 0.03


def test_strength_words_and_thresholds() -> None:
    assert [bound for bound, _ in STRENGTH_WORDS][:2] == [1 / 3, 2 / 3]
    assert strength_label(0.0) == "subtle"
    assert strength_label(0.33) == "subtle"
    assert strength_label(0.34) == "moderate"
    assert strength_label(0.66) == "moderate"
    assert strength_label(0.67) == "strong"
    assert strength_label(1.0) == "strong"
    assert strength_label(None) is None


def test_cover_rectangles_go_around_a_surrounded_subject() -> None:
    backdrop = ~_subject()
    rectangles = cover_rectangles(backdrop, max_rectangles=32)
    assert 1 < len(rectangles) <= 32
    drawn = regions_mask(rectangles, backdrop.shape)
    assert _iou(drawn, backdrop) > 0.85
    # The middle of the subject is not covered (one full-frame box would cover it).
    assert not drawn[300, 300]


def test_masked_and_unmasked_edits_unite(parent_px: NDArray[np.float64]) -> None:
    subject = _subject()
    edited = np.where(subject[..., None], parent_px, 240.0)
    found = measure_kinds(_image(parent_px), _image(edited), max_side=600)
    left = Image.new("L", (W, H), 0)
    ImageDraw.Draw(left).rectangle([0, 0, W // 2, H], fill=255)
    inside = restrict(found, left, inside=True)
    outside = restrict(found, [left], inside=False)
    total = float(found.changed.mean())
    assert (inside.area_fraction or 0) + (outside.area_fraction or 0) == pytest.approx(
        total, abs=0.002
    )


def test_changes_round_trip_through_the_manifest(parent_px: NDArray[np.float64]) -> None:
    subject = _subject()
    edited = np.where(subject[..., None], parent_px, 240.0) * 1.05
    extent = measure_extent(_image(parent_px), _image(edited), max_side=600)
    assert extent.changes
    entry = action_to_definition(Action("c2pa.edited", extent=extent))
    kinds = {c["name"] for c in entry["changes"]}
    assert "content" in kinds
    assert all(len(c["region"]) == 1 for c in entry["changes"])
    parsed = parse_action(entry)
    assert parsed is not None and parsed.extent is not None
    back: Extent = parsed.extent
    assert back.area_fraction == extent.area_fraction
    assert [c.kind for c in back.changes] == [c.kind for c in extent.changes]
    for mine, theirs in zip(extent.changes, back.changes, strict=True):
        assert theirs.area_fraction == mine.area_fraction
        assert theirs.strength_label == mine.strength_label
        assert len(theirs.regions) == len(mine.regions)
    assert len(back.regions) == len(extent.regions)


def test_a_heavy_polish_of_a_real_face_stays_detail() -> None:
    # The portrait of skimage.data (512 px): the face blurred so hard (Gaussian 6 px,
    # the eyes softened too) that its coarse band drops to about a fifth.  Still a
    # change of detail of about the face's area, not a removed object.
    data = pytest.importorskip("skimage.data")
    rng = np.random.default_rng(1)
    photo = np.asarray(data.astronaut(), np.float64) + rng.normal(0, 2.5, (512, 512, 1))
    parent = _image(photo)
    face = Image.new("L", (512, 512), 0)
    ImageDraw.Draw(face).ellipse([179, 52, 271, 172], fill=255)
    alpha = np.asarray(face.filter(ImageFilter.GaussianBlur(3)), np.float64)[..., None] / 255
    smooth = parent.filter(ImageFilter.GaussianBlur(6)).filter(ImageFilter.MedianFilter(3))
    edited = photo * (1 - 0.95 * alpha) + np.asarray(smooth, np.float64) * 0.95 * alpha
    found = measure_kinds(parent, _image(edited), max_side=512)
    area = float((np.asarray(face) > 127).mean())
    assert 0.5 * area <= float(found.detail.mean()) <= 2.0 * area
    assert float(found.content.mean()) < 0.25 * area
