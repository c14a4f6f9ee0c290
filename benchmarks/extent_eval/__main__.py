"""Evaluate the AI-extent measurement on real photographs with known masks.

Usage (repository root, in the project's virtualenv with the ``[test]`` extra)::

    python -m benchmarks.extent_eval            # full: photos enlarged x3 with sensor grain, + 24 MP timing
    python -m benchmarks.extent_eval --quick    # CI: the photos at their own size, no 24 MP timing

The photographs are the real colour photos scikit-image ships in ``skimage.data``
(no download): ``astronaut`` (a portrait; NASA, public domain), ``coffee`` (Rachel
Michetti, CC0), ``chelsea`` (Stefan van der Walt, CC0) and ``rocket`` (SpaceX, public
domain).  A "capture" is the photo (enlarged in the full run) with sensor-like grain;
each edit of :mod:`.edits` is built on it with a known mask.

Per case the table prints the true and the measured area per kind (content / detail /
tone, in percent of the picture), the IoU of the measured content mask with the true
one, the same for a plain SSIM-map baseline (mean SSIM over 7 x 7 windows of the
luminance at the same working size, changed where SSIM < 0.5) measured in the same
run, and the time of our measurement.  The full run adds the time per 24 MP pair the
way ``sign --from`` measures it (decode both at working size, their detail planes,
measure).  Exit status 1 when a case misses its bound (:data:`BOUNDS`) -- the "Must
show" targets of the issue -- so CI notices a regression; the IoU comparison with the
baseline is printed, not enforced.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from benchmarks.extent_eval import edits
from provenance.extent import load_plane, measure_kinds
from provenance.extent.morphology import _box_mean
from provenance.sign.orchestrator import MEASURE_SIDE

Mask = NDArray[np.bool_]
#: Working size of the measurement (as ``sign --from``).
SIDE = MEASURE_SIDE


def _resize_mask(mask: Mask, shape: tuple[int, int]) -> Mask:
    image = Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BOX)) > 127


def ssim_baseline(parent: Image.Image, edited: Image.Image, shape: tuple[int, int]) -> Mask:
    """The plain SSIM-map threshold: luminance SSIM (7 x 7 box windows) < 0.5."""
    size = (shape[1], shape[0])
    p = np.asarray(parent.convert("L").resize(size, Image.Resampling.BOX), np.float32)
    e = np.asarray(edited.convert("L").resize(size, Image.Resampling.BOX), np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mp, me = _box_mean(p, 3), _box_mean(e, 3)
    vp = _box_mean(p * p, 3) - mp * mp
    ve = _box_mean(e * e, 3) - me * me
    cov = _box_mean(p * e, 3) - mp * me
    ssim = ((2 * mp * me + c1) * (2 * cov + c2)) / ((mp * mp + me * me + c1) * (vp + ve + c2))
    return ssim < 0.5


def sky_mask(img: Image.Image) -> Mask:
    """The rocket photo's dusk sky: bluish, darker than the lights, above the pad."""
    a = np.asarray(img, np.float32)
    h, w = a.shape[:2]
    rows = np.arange(h)[:, None] * np.ones((1, w))
    m = (a[..., 2] > a[..., 0] + 12) & (a.mean(2) < 140) & (rows < 0.82 * h)
    mi = Image.fromarray(m.astype(np.uint8) * 255)
    return np.asarray(mi.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(3))) > 127


def build_cases(upscale: int, sigma: float) -> list[edits.Case]:
    """Every case of the evaluation, on captures enlarged by ``upscale`` with grain ``sigma``."""
    from skimage import data

    astro = edits.capture(Image.fromarray(data.astronaut()), upscale, 1, sigma)
    w, h = astro.size
    scale = w / 512
    subject = edits.poly_mask((w, h), edits.ASTRO_SUBJECT, scale)
    face = edits.ellipse_mask((w, h), edits.ASTRO_FACE, scale)
    coffee = Image.fromarray(data.coffee())
    cases = edits.portrait_cases(astro, subject, face, coffee)
    rocket = edits.capture(Image.fromarray(data.rocket()), upscale, 3, sigma)
    sky = sky_mask(rocket)
    px = np.asarray(rocket, np.float32)
    rh, rw = sky.shape
    rng = np.random.default_rng(5)
    clouds = edits.lowfreq(rng, rh, rw, int(30 * upscale), 1) * 30
    clouds = clouds + edits.lowfreq(rng, rh, rw, max(2, int(8 * upscale)), 1) * 10
    moody = np.concatenate([70 + clouds, 72 + clouds, 85 + clouds * 1.1], 2)
    moody = moody + edits.grain(rng, rh, rw, 2.0)
    cases.append(
        edits.Case(
            "moody_sky", rocket, edits.comp(px, moody, edits.feather(sky, 1.0)), {"content": sky}
        )
    )
    cases.extend(edits.global_cases(astro))
    # The tone and detail edits again on two other photographs (not the portrait).
    for name, photo, seed in (("coffee", data.coffee(), 11), ("chelsea", data.chelsea(), 12)):
        other = edits.capture(Image.fromarray(photo), upscale, seed, sigma)
        for case in edits.global_cases(other, seed=seed):
            if case.name in ("time_of_day", "glow", "grain_removal", "hand_grade", "resave_q85"):
                case.name = f"{case.name}:{name}"
                cases.append(case)
    return cases


def build_held_out(upscale: int, sigma: float) -> list[edits.Case]:
    """The same kinds of edit on photographs the method was not tuned on.

    ``stereo_motorcycle`` (its left view; Middlebury stereo data) and ``camera``
    (the cameraman, grey, as RGB), with masks placed by geometry
    (:func:`.edits.generic_cases`): a check that nothing was fitted to the portrait.
    """
    from skimage import data

    photos = (
        ("motorcycle", data.stereo_motorcycle()[0], data.coffee(), 21),
        ("camera", np.stack([data.camera()] * 3, 2), data.chelsea(), 22),
    )
    cases: list[edits.Case] = []
    for name, photo, other, seed in photos:
        captured = edits.capture(Image.fromarray(photo), upscale, seed, sigma)
        for case in edits.generic_cases(captured, Image.fromarray(other), seed=seed):
            case.name = f"{case.name}:{name}"
            cases.append(case)
    return cases


@dataclass
class Bound:
    """A "Must show" target: ``check(truth, ours)`` on areas in 0..1 by kind."""

    text: str
    check: Callable[[dict[str, float], dict[str, float]], bool]


def _content_within(points: float) -> Bound:
    return Bound(
        f"content within {points:g} points",
        lambda t, o: abs(o["content"] - t["content"]) <= points / 100,
    )


BOUNDS: dict[str, Bound] = {
    "backdrop_white": _content_within(6),
    "backdrop_textured": _content_within(6),
    "backdrop_photo": _content_within(6),
    "moody_sky": _content_within(6),
    "placed_prop": _content_within(3),
    "removed_object": _content_within(3),
    "removed_object_clone": _content_within(3),
    "skin_polish_strong": Bound(
        "detail 0.5x-2x the face", lambda t, o: 0.5 * t["detail"] <= o["detail"] <= 2 * t["detail"]
    ),
    "skin_polish_subtle": Bound(
        "detail 0.5x-2x the face", lambda t, o: 0.5 * t["detail"] <= o["detail"] <= 2 * t["detail"]
    ),
    "grain_removal": Bound("detail >= 70%", lambda t, o: o["detail"] >= 0.70),
    "time_of_day": Bound(
        "tone >= 60%, content <= 10%", lambda t, o: o["tone"] >= 0.6 and o["content"] <= 0.1
    ),
    "glow": Bound(
        "tone >= 60%, content <= 10%", lambda t, o: o["tone"] >= 0.6 and o["content"] <= 0.1
    ),
    "hand_grade": Bound("content <= 3%", lambda t, o: o["content"] <= 0.03),
    "resave_q70": Bound("content <= 3%", lambda t, o: o["content"] <= 0.03),
    "resave_q85": Bound("content <= 3%", lambda t, o: o["content"] <= 0.03),
    "resave_q95": Bound("content <= 3%", lambda t, o: o["content"] <= 0.03),
}


def _bound(name: str) -> Bound | None:
    return BOUNDS.get(name.split(":", 1)[0])


def evaluate(cases: list[edits.Case]) -> tuple[list[str], int]:
    """The table rows and the number of cases that missed their bound."""
    rows = [
        f"{'case':<24} {'truth c/d/t %':>17} {'ours c/d/t %':>17} {'IoU':>5} "
        f"{'SSIM c %':>8} {'IoU':>5} {'ms':>6}  bound"
    ]
    misses = 0
    ious: list[tuple[float, float]] = []
    for case in cases:
        start = time.perf_counter()
        found = measure_kinds(case.parent, case.edited, max_side=SIDE)
        elapsed = (time.perf_counter() - start) * 1000
        shape = found.content.shape
        truth = {kind: float(_resize_mask(mask, shape).mean()) for kind, mask in case.truth.items()}
        truth = {k: truth.get(k, 0.0) for k in ("content", "detail", "tone")}
        ours = {
            "content": float(found.content.mean()),
            "detail": float(found.detail.mean()),
            "tone": float(found.tone.mean()),
        }
        baseline = ssim_baseline(case.parent, case.edited, shape)
        iou_text = base_iou_text = "    -"
        if "content" in case.truth:
            true_mask = _resize_mask(case.truth["content"], shape)
            iou = float(
                (true_mask & found.content).sum() / max(1, (true_mask | found.content).sum())
            )
            base_iou = float((true_mask & baseline).sum() / max(1, (true_mask | baseline).sum()))
            iou_text, base_iou_text = f"{iou:5.2f}", f"{base_iou:5.2f}"
            ious.append((iou, base_iou))
        bound = _bound(case.name)
        verdict = ""
        if bound is not None:
            ok = bound.check(truth, ours)
            misses += not ok
            verdict = f"{'ok  ' if ok else 'MISS'} {bound.text}"
        rows.append(
            f"{case.name:<24} "
            f"{truth['content'] * 100:5.1f}/{truth['detail'] * 100:5.1f}/{truth['tone'] * 100:5.1f} "
            f"{ours['content'] * 100:5.1f}/{ours['detail'] * 100:5.1f}/{ours['tone'] * 100:5.1f} "
            f"{iou_text} {baseline.mean() * 100:8.1f} {base_iou_text} {elapsed:6.0f}  {verdict}"
        )
    ahead = sum(1 for ours_iou, base in ious if ours_iou > base)
    rows.append(
        f"content IoU: ours ahead of the SSIM baseline in {ahead} of {len(ious)} content cases"
    )
    return rows, misses


def time_24mp(repeat: int = 3) -> float:
    """Median seconds to measure one 24 MP JPEG pair the way ``sign --from`` does."""
    from skimage import data

    from provenance import media

    photo = Image.fromarray(data.astronaut()).resize((4000, 4000), Image.Resampling.BICUBIC)
    photo = photo.crop((0, 667, 4000, 3333)).resize((6000, 4000), Image.Resampling.BICUBIC)
    rng = np.random.default_rng(9)
    grainy = np.asarray(photo, np.float32) + rng.normal(0, 2.5, (4000, 6000, 1))
    parent = Image.fromarray(np.clip(grainy, 0, 255).astype(np.uint8))
    edited = parent.copy()
    edited.paste((242, 242, 242), (0, 0, 6000, 1200))
    blobs: list[bytes] = []
    for image in (parent, edited):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        blobs.append(out.getvalue())
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work = [media.decode_reduced(b, 1024, min_side=640) for b in blobs]
        planes = [load_plane(b, max_pixels=200_000_000) for b in blobs]
        measure_kinds(
            work[0], work[1], max_side=SIDE, parent_plane=planes[0], edited_plane=planes[1]
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="photos at their own size (CI)")
    parser.add_argument(
        "--held-out",
        action="store_true",
        help="also the edits on photos the method was not tuned on (motorcycle, camera)",
    )
    args = parser.parse_args(argv)
    try:
        import skimage  # noqa: F401
    except ImportError:
        print("extent_eval: scikit-image is not installed (pip install -e '.[test]')")
        return 1
    upscale = 1 if args.quick else 3
    print(f"# captures: skimage.data photos x{upscale} with sensor grain (sigma 2.5)")
    cases = build_cases(upscale, 2.5)
    if args.held_out:
        cases += build_held_out(upscale, 2.5)
    rows, misses = evaluate(cases)
    print("\n".join(rows))
    if not args.quick:
        print(f"24 MP pair (decode both, detail planes, measure): {time_24mp():.2f} s median of 3")
    print(f"{misses} case(s) missed their bound" if misses else "every bound met")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
