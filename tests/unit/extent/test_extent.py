"""Unit tests for provenance.extent: the measured and declared AI extent.

Every picture here is synthetic and built in the test: a photo-like image
(smooth gradients, textures at several scales, hard-edged objects, mild noise),
"graded" globally (gamma, exposure, white balance) and with shapes of known
area replaced by different content.  The numbers asserted are the method's
promises in DESIGN.md: grading and re-encoding are not changes of content,
replaced content is, to within a couple of percentage points.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from provenance.errors import InputError
from provenance.extent import (
    changed_mask,
    extent_from_mask,
    extent_from_measurement,
    measure_extent,
    measure_kinds,
    undeclared_fraction,
)
from provenance.extent.align import GeometryMismatch
from provenance.extent.kinds import Measurement
from provenance.extent.regions import _components
from provenance.models import ChangeKind, Extent, ExtentMethod, Region
from provenance.sign.orchestrator import MEASURE_SIDE

W, H = 1200, 800
#: The working size of ``sign --from``: the tests measure there (what signing really
#: uses, and 2.6x cheaper than the 1024 px default, which the rest still exercise).
SIGN_SIDE = MEASURE_SIDE
FloatImage = NDArray[np.float64]
Mask = NDArray[np.bool_]


# --------------------------------------------------------------------------- synthetic pictures


def _photo(seed: int, width: int = W, height: int = H) -> FloatImage:
    """A photo-like float RGB image (0..255): gradients, multi-scale texture, objects, noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / width, y / height
    img = np.empty((height, width, 3))
    img[..., 0] = 60 + 120 * v + 30 * np.sin(2 * np.pi * (1.3 * u + rng.random()))
    img[..., 1] = 80 + 90 * (1 - v) + 25 * np.cos(2 * np.pi * (1.7 * v + rng.random()))
    img[..., 2] = 150 - 80 * v + 20 * np.sin(2 * np.pi * (u + v + rng.random()))
    for scale, amplitude in ((64, 30.0), (16, 18.0), (4, 10.0)):
        small = rng.normal(size=(height // scale + 2, width // scale + 2, 3))
        grid = Image.fromarray((small * 40 + 128).clip(0, 255).astype(np.uint8))
        texture = np.asarray(grid.resize((width, height), Image.Resampling.BICUBIC), np.float64)
        img += (texture - 128) / 40 * amplitude
    canvas = Image.fromarray(img.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(12):
        cx, cy, r = (
            int(rng.integers(0, width)),
            int(rng.integers(0, height)),
            int(rng.integers(10, 80)),
        )
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.rectangle([cx - r, cy - r // 2, cx + r, cy + r // 2], fill=colour)
    noisy = np.asarray(canvas, np.float64) + rng.normal(0, 2, (height, width, 3))
    return noisy.clip(0, 255)


def _grade(img: FloatImage) -> FloatImage:
    """A global grade: gamma 0.8, exposure +10 %, warmer white balance."""
    x = (img.clip(0, 255) / 255.0) ** 0.8
    x = x * 1.10 * np.array([1.06, 1.0, 0.92])
    return x.clip(0, 1) * 255


def _image(img: FloatImage) -> Image.Image:
    return Image.fromarray(np.round(img).clip(0, 255).astype(np.uint8))


def _shape_mask(*, ellipse: bool = True, polygon: bool = True) -> Mask:
    mask = Image.new("L", (W, H), 0)
    draw = ImageDraw.Draw(mask)
    if ellipse:
        draw.ellipse([0.12 * W, 0.20 * H, 0.45 * W, 0.70 * H], fill=255)
    if polygon:
        points = [(0.62, 0.30), (0.90, 0.25), (0.85, 0.60), (0.75, 0.85), (0.60, 0.65)]
        draw.polygon([(px * W, py * H) for px, py in points], fill=255)
    return np.asarray(mask) > 127


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer)


def _bbox(mask: Mask) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    return xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h


def _union_box(regions: tuple[Region, ...]) -> tuple[float, float, float, float]:
    return (
        min(r.x for r in regions),
        min(r.y for r in regions),
        max(r.x + r.width for r in regions),
        max(r.y + r.height for r in regions),
    )


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


class Scene:
    """One parent, its grade, and an edit (grade + replaced shapes) with its true mask."""

    def __init__(self, seed: int, mask: Mask) -> None:
        self.parent_px = _photo(seed)
        self.graded_px = _grade(self.parent_px)
        edited = self.graded_px.copy()
        edited[mask] = _grade(_photo(seed + 100))[mask]
        self.mask = mask
        self.true_fraction = float(mask.mean())
        self.parent = _image(self.parent_px)
        self.graded = _image(self.graded_px)
        self.edited = _image(edited)


@pytest.fixture(scope="module")
def scene() -> Scene:
    return Scene(1, _shape_mask())


@pytest.fixture(scope="module")
def measured(scene: Scene) -> Measurement:
    """The scene's edit measured once (at SIGN_SIDE), shared by the tests that
    only read it: :func:`measure_extent` is exactly ``extent_from_measurement`` of it."""
    return measure_kinds(scene.parent, scene.edited, max_side=SIGN_SIDE)


@pytest.fixture(scope="module")
def make_scene() -> Callable[[int, Mask], Scene]:
    cache: dict[tuple[int, bytes], Scene] = {}

    def make(seed: int, mask: Mask) -> Scene:
        key = (seed, np.packbits(mask).tobytes())
        if key not in cache:
            cache[key] = Scene(seed, mask)
        return cache[key]

    return make


# --------------------------------------------------------------------------- measured extent


def test_grade_plus_replaced_shapes_measures_the_shapes(
    scene: Scene, measured: Measurement
) -> None:
    assert measure_extent(
        scene.parent, scene.edited, max_side=SIGN_SIDE
    ) == extent_from_measurement(measured)
    extent = extent_from_measurement(measured)
    assert extent.method is ExtentMethod.MEASURED
    assert 0.2 < scene.true_fraction < 0.3
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - scene.true_fraction) < 0.02
    assert extent.regions
    assert _iou(_union_box(extent.regions), _bbox(scene.mask)) >= 0.6
    assert extent.magnitude is not None and 0.05 < extent.magnitude <= 1.0
    assert extent.measured_area_fraction is None


@pytest.mark.parametrize("seed", [2])
def test_other_scenes_and_a_single_ellipse(
    make_scene: Callable[[int, Mask], Scene], seed: int
) -> None:
    s = make_scene(seed, _shape_mask(polygon=False))
    extent = measure_extent(s.parent, s.edited, max_side=SIGN_SIDE)
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - s.true_fraction) < 0.02
    assert len(extent.regions) == 1
    assert _iou(_union_box(extent.regions), _bbox(s.mask)) >= 0.8


def test_two_separate_shapes_give_two_regions(measured: Measurement) -> None:
    extent = extent_from_measurement(measured)
    assert len(extent.regions) >= 2
    ellipse_box = _bbox(_shape_mask(polygon=False))
    polygon_box = _bbox(_shape_mask(ellipse=False))
    ious = [
        max(_iou(_union_box((r,)), box) for r in extent.regions)
        for box in (ellipse_box, polygon_box)
    ]
    assert min(ious) >= 0.8
    for r in extent.regions:
        assert 0 <= r.x <= 1 and 0 <= r.y <= 1
        assert r.x + r.width <= 1.0001 and r.y + r.height <= 1.0001


def test_max_regions_is_respected(measured: Measurement) -> None:
    assert len(extent_from_measurement(measured, max_regions=1).regions) == 1
    assert extent_from_measurement(measured, max_regions=0).regions == ()


def test_a_large_edit_such_as_a_new_background_is_measured(
    make_scene: Callable[[int, Mask], Scene],
) -> None:
    # More than half of the picture replaced: a median tone fit alone would follow
    # the new content; the ridge fit does not.
    big = Image.new("L", (W, H), 0)
    ImageDraw.Draw(big).ellipse([-300, -200, 700, 1000], fill=255)
    s = make_scene(4, np.asarray(big) > 127)
    assert s.true_fraction > 0.5
    extent = measure_extent(s.parent, s.edited, max_side=SIGN_SIDE)
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - s.true_fraction) < 0.02


def test_smooth_fill_like_object_removal_is_mostly_measured(scene: Scene) -> None:
    # Inpainting replaces texture with something smooth.  SSIM's structure term stays
    # near 1 next to a flat side; the lost coarse band (structure_loss) finds it, and
    # it is *content* -- the object is gone -- not a change of detail.
    mask = _shape_mask(polygon=False)
    smooth = np.asarray(scene.graded.filter(ImageFilter.GaussianBlur(25)), np.float64)
    edited = scene.graded_px.copy()
    edited[mask] = smooth[mask]
    extent = measure_extent(scene.parent, _image(edited))
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - mask.mean()) < 0.02
    content = extent.change(ChangeKind.CONTENT)
    assert content is not None and abs(content.area_fraction - mask.mean()) < 0.02


def test_recolouring_an_object_is_reported(scene: Scene) -> None:
    # Swapping the colour channels of an object: its light and colour changed, and
    # where the swap inverts the luminance pattern its structure changed too.  Either
    # way the object is covered, and the graded rest of the picture is tone only.
    mask = _shape_mask(polygon=False)
    edited = scene.graded_px.copy()
    edited[mask] = scene.graded_px[mask][:, [2, 0, 1]]
    extent = measure_extent(scene.parent, _image(edited), max_side=SIGN_SIDE)
    content = extent.change(ChangeKind.CONTENT)
    tone = extent.change(ChangeKind.TONE)
    assert tone is not None and tone.area_fraction > 0.8
    assert (content.area_fraction if content else 0.0) <= mask.mean() + 0.01


# --------------------------------------------------------------------------- not changes of content


def test_identical_images_measure_zero(scene: Scene) -> None:
    extent = measure_extent(scene.parent, scene.parent.copy(), max_side=SIGN_SIDE)
    assert extent == Extent(area_fraction=0.0, method=ExtentMethod.MEASURED)


def test_global_grade_alone_is_not_a_change(scene: Scene) -> None:
    extent = measure_extent(scene.parent, scene.graded, max_side=SIGN_SIDE)
    assert extent.area_fraction is not None
    assert extent.area_fraction < 0.01


def test_contrast_curve_and_saturation_are_not_changes(scene: Scene) -> None:
    x = scene.parent_px / 255.0
    s_curve = 0.5 - 0.5 * np.cos(np.pi * x)
    grey = s_curve.mean(axis=2, keepdims=True)
    desaturated = grey + 0.7 * (s_curve - grey)
    assert (measure_extent(scene.parent, _image(desaturated * 255)).area_fraction or 0) < 0.01
    grey = scene.parent_px.mean(axis=2, keepdims=True)
    saturated = _grade(grey + 1.3 * (scene.parent_px - grey))
    extent = measure_extent(scene.parent, _image(saturated))
    # The grade is tone; a saturation boost sharpens colour edges a little (detail).
    assert (extent.area_fraction or 0) < 0.02
    content = extent.change(ChangeKind.CONTENT)
    assert (content.area_fraction if content else 0.0) < 0.005
    tone = extent.change(ChangeKind.TONE)
    assert tone is not None and tone.area_fraction > 0.9


def test_added_grain_is_detail_not_content(scene: Scene) -> None:
    rng = np.random.default_rng(7)
    for sigma in (3, 8):
        noisy = scene.parent_px + rng.normal(0, sigma, scene.parent_px.shape)
        extent = measure_extent(scene.parent, _image(noisy), max_side=SIGN_SIDE)
        content = extent.change(ChangeKind.CONTENT)
        assert (content.area_fraction if content else 0.0) < 0.01
        detail = extent.change(ChangeKind.DETAIL)
        assert detail is not None and detail.area_fraction > 0.3


def test_jpeg_reencode_is_not_a_change(scene: Scene) -> None:
    extent = measure_extent(scene.parent, _jpeg(scene.parent, 85), max_side=SIGN_SIDE)
    assert extent.area_fraction is not None
    assert extent.area_fraction < 0.01
    graded = measure_extent(scene.parent, _jpeg(scene.graded, 85), max_side=SIGN_SIDE)
    assert (graded.area_fraction or 0) < 0.01


def test_edit_survives_noise_and_jpeg(scene: Scene) -> None:
    rng = np.random.default_rng(11)
    noisy = np.asarray(scene.edited, np.float64) + rng.normal(0, 3, (H, W, 3))
    extent = measure_extent(scene.parent, _jpeg(_image(noisy), 85), max_side=SIGN_SIDE)
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - scene.true_fraction) < 0.02


# --------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("factor", [2.0, 0.5])
def test_pure_rescale_is_measured(scene: Scene, factor: float) -> None:
    size = (round(W * factor), round(H * factor))
    edited = scene.edited.resize(size, Image.Resampling.LANCZOS)
    extent = measure_extent(scene.parent, edited, max_side=SIGN_SIDE)
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - scene.true_fraction) < 0.02
    assert _iou(_union_box(extent.regions), _bbox(scene.mask)) >= 0.6


def test_rescaled_parent_is_measured(scene: Scene) -> None:
    parent = scene.parent.resize((W // 2, H // 2), Image.Resampling.BOX)
    extent = measure_extent(parent, scene.edited, max_side=SIGN_SIDE)
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - scene.true_fraction) < 0.02


def test_crop_raises_geometry_mismatch(scene: Scene) -> None:
    cropped = scene.edited.crop((0, 0, W - 120, H))
    with pytest.raises(GeometryMismatch) as caught:
        measure_extent(scene.parent, cropped, max_side=SIGN_SIDE)
    assert isinstance(caught.value, InputError)
    assert "cropped or rotated" in caught.value.message
    assert caught.value.hint is not None and "--ai-mask" in caught.value.hint
    with pytest.raises(GeometryMismatch):
        changed_mask(scene.parent, scene.edited.crop((0, 0, W, H - 40)))


def test_rotation_raises_geometry_mismatch(scene: Scene) -> None:
    rotated = scene.edited.transpose(Image.Transpose.ROTATE_90)
    with pytest.raises(GeometryMismatch):
        measure_extent(scene.parent, rotated, max_side=SIGN_SIDE)


def test_working_resolution_is_precise_enough(scene: Scene, measured: Measurement) -> None:
    reduced = extent_from_measurement(measured)  # at the working size of sign --from
    full = measure_extent(scene.parent, scene.edited, max_side=4096)
    assert reduced.area_fraction is not None and full.area_fraction is not None
    assert abs(reduced.area_fraction - full.area_fraction) < 0.01


def test_changed_mask_shape_and_other_modes(scene: Scene) -> None:
    mask = changed_mask(scene.parent, scene.edited, max_side=600)
    assert mask.dtype == np.bool_
    assert mask.shape == (400, 600)
    # Never upscaled beyond the smaller image.
    small = changed_mask(scene.parent.resize((300, 200)), scene.edited, max_side=1024)
    assert small.shape == (200, 300)
    # RGBA and greyscale inputs are accepted; a black-and-white conversion is a
    # global adjustment, not a change of content.
    extent = measure_extent(scene.parent.convert("RGBA"), scene.graded.convert("L"))
    assert extent.area_fraction is not None and extent.area_fraction < 0.05


# --------------------------------------------------------------------------- declared extent


def test_mask_gives_declared_extent_with_its_area() -> None:
    mask = _shape_mask()
    image = Image.fromarray(mask.astype(np.uint8) * 255)
    extent = extent_from_mask(image)
    assert extent.method is ExtentMethod.DECLARED
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - mask.mean()) < 0.002
    assert len(extent.regions) == 2
    assert extent.measured_area_fraction is None and extent.magnitude is None


@pytest.mark.parametrize("mode", ["1", "RGB", "LA"])
def test_mask_modes(mode: str) -> None:
    mask = _shape_mask(polygon=False)
    image = Image.fromarray(mask.astype(np.uint8) * 255).convert(mode)
    extent = extent_from_mask(image)
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - mask.mean()) < 0.002


def test_mask_alpha_wins_when_it_carries_the_shape() -> None:
    mask = _shape_mask(ellipse=False)
    rgba = Image.new("RGBA", (W, H), (255, 255, 255, 0))
    rgba.putalpha(Image.fromarray(mask.astype(np.uint8) * 255))
    extent = extent_from_mask(rgba)
    assert extent.area_fraction is not None
    assert abs(extent.area_fraction - mask.mean()) < 0.002


def test_declared_extent_keeps_the_measurement(scene: Scene, measured: Measurement) -> None:
    extent = extent_from_measurement(measured)
    image = Image.fromarray(scene.mask.astype(np.uint8) * 255)
    declared = extent_from_mask(image, measured=extent)
    assert declared.method is ExtentMethod.DECLARED
    assert declared.measured_area_fraction == extent.area_fraction
    assert declared.magnitude == extent.magnitude


def test_undeclared_fraction(scene: Scene, measured: Measurement) -> None:
    changed = measured.changed
    total = float(changed.mean())
    # Declaring everything that changed leaves nothing undeclared.
    everything = extent_from_mask(Image.fromarray(scene.mask.astype(np.uint8) * 255))
    assert undeclared_fraction(changed, everything) < 0.005
    # The measured edge may lie a pixel or two outside the true one.
    assert undeclared_fraction(changed, scene.mask) < 0.01
    # Declaring only the ellipse leaves the polygon undeclared.
    ellipse = _shape_mask(polygon=False)
    polygon_area = float(_shape_mask(ellipse=False).mean())
    only_ellipse = extent_from_mask(Image.fromarray(ellipse.astype(np.uint8) * 255))
    assert abs(undeclared_fraction(changed, only_ellipse) - polygon_area) < 0.02
    assert abs(undeclared_fraction(changed, only_ellipse.regions) - polygon_area) < 0.02
    assert abs(undeclared_fraction(changed, ellipse) - polygon_area) < 0.02
    # Declaring nothing: every change is undeclared.
    nothing = Extent(area_fraction=0.0, method=ExtentMethod.DECLARED)
    assert undeclared_fraction(changed, nothing) == pytest.approx(total, abs=1e-4)
    assert undeclared_fraction(changed, ()) == pytest.approx(total, abs=1e-4)


def test_undeclared_fraction_region_rounding() -> None:
    changed = np.zeros((10, 20), dtype=bool)
    changed[2:4, 5:8] = True  # 6 pixels
    assert undeclared_fraction(changed, (Region(0.25, 0.2, 0.15, 0.2),)) == 0.0
    assert undeclared_fraction(changed, (Region(0.0, 0.0, 0.25, 1.0),)) == 0.03
    with pytest.raises(ValueError):
        undeclared_fraction(np.zeros((0, 0), dtype=bool), ())


# --------------------------------------------------------------------------- labelling


def test_components_are_eight_connected() -> None:
    mask = np.array(
        [
            [1, 0, 0, 1, 1],
            [0, 1, 0, 0, 1],
            [0, 0, 0, 0, 0],
            [1, 1, 0, 1, 0],
            [0, 0, 1, 0, 1],
        ],
        dtype=bool,
    )
    runs = _components(mask)
    # {(0,0),(1,1)}, {(0,3),(0,4),(1,4)}, {(3,0),(3,1),(4,2),(3,3),(4,4)}
    assert runs.count == 3
    assert sorted(runs.areas.tolist()) == [2, 3, 5]
    assert _components(np.zeros((4, 4), dtype=bool)).count == 0


def _reference_labels(mask: Mask) -> tuple[int, list[int]]:
    """Plain flood fill (8-connected): component count and sorted sizes."""
    seen = np.zeros_like(mask)
    sizes = []
    h, w = mask.shape
    for y0, x0 in zip(*np.nonzero(mask), strict=True):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        stack, size = [(int(y0), int(x0))], 0
        while stack:
            y, x = stack.pop()
            size += 1
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        sizes.append(size)
    return len(sizes), sorted(sizes)


@pytest.mark.parametrize("density", [0.3, 0.45, 0.6])
def test_components_match_a_flood_fill(density: float) -> None:
    rng = np.random.default_rng(int(density * 100))
    mask = rng.random((60, 80)) < density
    runs = _components(mask)
    count, sizes = _reference_labels(mask)
    assert runs.count == count
    assert sorted(runs.areas.tolist()) == sizes


def test_components_of_a_serpentine() -> None:
    # One long winding component stresses the union-find (many hooking rounds).
    mask = np.zeros((41, 41), dtype=bool)
    mask[::2, 1:-1] = True
    mask[1::4, -2] = True
    mask[3::4, 1] = True
    runs = _components(mask)
    assert runs.count == 1
    assert int(runs.areas[0]) == int(mask.sum())
