"""The edits of the evaluation, each with its known mask (the truth), on real photographs.

Every edit is built here, deterministically (fixed seeds), from a real photograph and a
mask: the mask *is* the truth, whatever the photograph shows.  The subject of the
portrait is a hand-traced polygon (:data:`ASTRO_SUBJECT`, in the 512 px coordinates
of ``skimage.data.astronaut()``), the face an ellipse (:data:`ASTRO_FACE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from provenance.extent.morphology import _box_mean as box_mean

ASTRO_SUBJECT = [
    (228, 14),
    (190, 20),
    (165, 40),
    (153, 70),
    (157, 100),
    (170, 122),
    (182, 150),
    (140, 148),
    (118, 175),
    (112, 210),
    (85, 235),
    (50, 255),
    (30, 290),
    (20, 340),
    (18, 420),
    (20, 512),
    (512, 512),
    (512, 470),
    (495, 420),
    (470, 372),
    (430, 348),
    (395, 345),
    (365, 352),
    (362, 310),
    (355, 270),
    (330, 240),
    (305, 228),
    (300, 190),
    (290, 160),
    (272, 150),
    (268, 125),
    (282, 110),
    (300, 90),
    (300, 60),
    (290, 35),
    (262, 18),
]
ASTRO_FACE = (225, 112, 46, 60)  # cx, cy, rx, ry on 512


@dataclass
class Case:
    name: str
    parent: Image.Image
    edited: Image.Image
    truth: dict = field(default_factory=dict)  # kind -> bool mask (parent size) or float fraction
    expect: str = ""


def poly_mask(size, pts, scale):
    m = Image.new("L", size, 0)
    ImageDraw.Draw(m).polygon([(x * scale, y * scale) for x, y in pts], fill=255)
    return np.asarray(m) > 127


def ellipse_mask(size, e, scale):
    cx, cy, rx, ry = (v * scale for v in e)
    m = Image.new("L", size, 0)
    ImageDraw.Draw(m).ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=255)
    return np.asarray(m) > 127


def lowfreq(rng, h, w, cell, ch=3):
    small = rng.normal(size=(h // cell + 2, w // cell + 2, ch)).astype(np.float32)
    out = np.stack(
        [
            np.asarray(Image.fromarray(small[..., c], "F").resize((w, h), Image.Resampling.BICUBIC))
            for c in range(ch)
        ],
        2,
    )
    return out


def feather(mask, radius):
    m = Image.fromarray(mask.astype(np.uint8) * 255).filter(ImageFilter.GaussianBlur(radius))
    return np.asarray(m, np.float32)[..., None] / 255.0


def comp(base, new, alpha):
    return Image.fromarray(
        np.clip(base * (1 - alpha) + new * alpha, 0, 255).round().astype(np.uint8)
    )


def grain(rng, h, w, sigma, chroma=0.4):
    lum = rng.normal(0, sigma, (h, w, 1)).astype(np.float32)
    col = rng.normal(0, sigma * chroma, (h, w, 3)).astype(np.float32)
    return lum + col


def capture(photo: Image.Image, upscale: int, seed: int, sigma: float = 2.5) -> Image.Image:
    """A 'capture': the real photo (optionally enlarged) with sensor grain."""
    rng = np.random.default_rng(seed)
    img = photo.convert("RGB")
    if upscale > 1:
        img = img.resize((img.width * upscale, img.height * upscale), Image.Resampling.LANCZOS)
    a = np.asarray(img, np.float32)
    if sigma:
        a = a + grain(rng, a.shape[0], a.shape[1], sigma)
    return Image.fromarray(np.clip(a, 0, 255).round().astype(np.uint8))


def portrait_cases(
    parent: Image.Image, subject: np.ndarray, face: np.ndarray, other: Image.Image, seed=1
):
    rng = np.random.default_rng(seed)
    P = np.asarray(parent, np.float32)
    h, w = subject.shape
    bg = ~subject
    a_bg = 1 - feather(subject, 1.5)
    sc = max(h, w) / 512
    cases = []
    # white seamless: gradient + fine grain similar to capture
    white = (
        np.full((h, w, 3), 242, np.float32)
        + np.linspace(6, -10, h, dtype=np.float32)[:, None, None]
    )
    white = white + grain(rng, h, w, 1.2)
    cases.append(Case("backdrop_white", parent, comp(P, white, a_bg), {"content": bg}))
    # textured blue mottled
    mot = (
        lowfreq(rng, h, w, max(4, int(40 * sc)), 1) * 22
        + lowfreq(rng, h, w, max(2, int(8 * sc)), 1) * 6
    )
    blue = np.concatenate([60 + mot, 90 + mot * 1.1, 150 + mot * 1.3], 2) + grain(rng, h, w, 2.0)
    cases.append(Case("backdrop_textured", parent, comp(P, blue, a_bg), {"content": bg}))
    # photographic: another real photo, blurred a little (shallow depth of field)
    o = (
        other.convert("RGB")
        .resize((w, h), Image.Resampling.LANCZOS)
        .filter(ImageFilter.GaussianBlur(1.0 * sc))
    )
    photo = np.asarray(o, np.float32) + grain(rng, h, w, 2.0)
    cases.append(Case("backdrop_photo", parent, comp(P, photo, a_bg), {"content": bg}))
    # clothing colour: hue-rotate the saturated orange/red pixels of the subject
    hsv = np.asarray(parent.convert("HSV"), np.float32)
    orange = subject & (hsv[..., 1] > 90) & ((hsv[..., 0] < 25) | (hsv[..., 0] > 240)) & ~face
    om = (
        Image.fromarray(orange.astype(np.uint8) * 255)
        .filter(ImageFilter.MaxFilter(3))
        .filter(ImageFilter.MinFilter(3))
    )
    orange = np.asarray(om) > 127
    # The new colour: the chroma rotated about the grey axis, in floating point (an
    # 8-bit HSV round trip would add quantisation noise -- a change of detail).
    rec = np.where(orange[..., None], recolour(P, 197.0), P)
    a = feather(orange, 1.0)
    cases.append(Case("clothing_colour", parent, comp(P, rec, a), {"tone": orange}))
    # skin polish: blend with a smoothed version inside the face
    smooth = np.asarray(
        parent.filter(ImageFilter.GaussianBlur(2.5 * sc)).filter(ImageFilter.MedianFilter(3)),
        np.float32,
    )
    af = feather(face, 3 * sc)
    for name, k in (("skin_polish_strong", 0.9), ("skin_polish_subtle", 0.55)):
        cases.append(Case(name, parent, comp(P, smooth, af * k), {"detail": face}))
    # placed prop: another photo's centre inside an ellipse, ~3% of the frame
    pm = ellipse_mask((w, h), (420, 130, 45, 38), sc)
    prop = np.asarray(other.convert("RGB").resize((w, h)), np.float32)
    prop = np.roll(prop, (int(-60 * sc), int(120 * sc)), (0, 1))
    cases.append(Case("placed_prop", parent, comp(P, prop, feather(pm, 1.0)), {"content": pm}))
    # removed object: fill a region by blurring its surroundings in
    rm = ellipse_mask((w, h), (60, 110, 40, 70), sc)
    fill = inpaint(P, rm)
    cases.append(Case("removed_object", parent, comp(P, fill, feather(rm, 1.0)), {"content": rm}))
    # removed object, cloned fill: backdrop from elsewhere in the frame copied over it
    # (what a content-aware or generative removal paints: plausible texture)
    clone = np.roll(P, int(280 * sc), 1)
    cases.append(
        Case("removed_object_clone", parent, comp(P, clone, feather(rm, 3.0)), {"content": rm})
    )
    return cases


def recolour(P, degrees):
    """Hue rotated by ``degrees``, luma kept: the chroma (R-Y, B-Y) turned about the grey axis."""
    y = P @ np.array([0.299, 0.587, 0.114], np.float32)
    cr, cb = P[..., 0] - y, P[..., 2] - y
    t = np.deg2rad(degrees)
    cr2 = cr * np.cos(t) - cb * np.sin(t)
    cb2 = cr * np.sin(t) + cb * np.cos(t)
    r, b = y + cr2, y + cb2
    g = (y - 0.299 * r - 0.114 * b) / 0.587
    return np.stack([r, g, b], 2).astype(np.float32)


def inpaint(P, mask):
    """A diffusion fill plus grain, like a content-aware removal of an object.

    Coarse to fine: the hole starts as the mean of the known pixels around it at a
    wide radius, then is repeatedly replaced by box means of the current estimate at
    shrinking radii (known pixels held fixed), so the fill continues the colours at
    its edge and is smooth inside -- the object's structure is gone.
    """
    rng = np.random.default_rng(7)
    known = ~mask
    k = known.astype(np.float32)
    r0 = 64
    kb = box_mean(k, r0)
    out = np.stack(
        [box_mean(np.where(known, P[..., c], 0), r0) / np.maximum(kb, 1e-3) for c in range(3)], 2
    )
    mean = P[known].mean(0)
    out = np.where((kb > 1e-3)[..., None], out, mean)
    out = np.where(mask[..., None], out, P)
    for r in (48, 32, 24, 16, 12, 8, 6, 4):
        for _ in range(2):
            blur = np.stack([box_mean(out[..., c], r) for c in range(3)], 2)
            out = np.where(mask[..., None], blur, P)
    return out + grain(rng, *mask.shape, 2.0)


def global_cases(parent: Image.Image, seed=2):
    rng = np.random.default_rng(seed)
    P = np.asarray(parent, np.float32)
    h, w = P.shape[:2]
    everything = np.ones((h, w), bool)
    cases = []
    # time of day: warm low sun from the left, darker to the right, lifted shadows, warm grade
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    light = 1.05 - 0.35 * x - 0.1 * y
    warm = np.array([1.12, 0.98, 0.78], np.float32)
    tod = 255 * ((P / 255) ** 1.1) * light * warm + np.array([12, 6, 0], np.float32)
    cases.append(
        Case(
            "time_of_day",
            parent,
            Image.fromarray(np.clip(tod, 0, 255).round().astype(np.uint8)),
            {"tone": everything},
        )
    )
    # glow: bloom of highlights + lifted ambient
    lum = P.mean(2, keepdims=True)
    hl = np.clip((lum - 120) / 135, 0, 1) * P
    bloom = np.asarray(
        Image.fromarray(np.clip(hl, 0, 255).astype(np.uint8)).filter(
            ImageFilter.GaussianBlur(max(h, w) / 40)
        ),
        np.float32,
    )
    glow = P * 0.92 + bloom * 0.55 + np.array([18, 14, 10], np.float32)
    cases.append(
        Case(
            "glow",
            parent,
            Image.fromarray(np.clip(glow, 0, 255).round().astype(np.uint8)),
            {"tone": everything},
        )
    )
    # grain removal: denoise the whole frame
    den = parent.filter(ImageFilter.MedianFilter(3)).filter(ImageFilter.GaussianBlur(0.6))
    den = Image.blend(den, parent, 0.2)
    cases.append(Case("grain_removal", parent, den, {"detail": everything}))
    # added grain
    ag = (
        P
        + np.asarray(
            Image.fromarray(
                np.clip(128 + grain(rng, h, w, 9.0, 0.2), 0, 255).astype(np.uint8)
            ).filter(ImageFilter.GaussianBlur(0.5)),
            np.float32,
        )
        - 128
    )
    cases.append(
        Case(
            "added_grain",
            parent,
            Image.fromarray(np.clip(ag, 0, 255).round().astype(np.uint8)),
            {"detail": everything},
        )
    )
    # sharpening
    sh = parent.filter(ImageFilter.UnsharpMask(radius=2, percent=160, threshold=2))
    cases.append(Case("sharpening", parent, sh, {"detail": everything}))
    # negatives
    grade = 255 * ((P / 255) ** 0.85) * np.array([1.05, 1.0, 0.93], np.float32)
    g = grade.mean(2, keepdims=True)
    grade = g + (grade - g) * 1.15
    cases.append(
        Case(
            "hand_grade",
            parent,
            Image.fromarray(np.clip(grade, 0, 255).round().astype(np.uint8)),
            {},
            expect="negative",
        )
    )
    for q in (70, 85, 95):
        import io

        b = io.BytesIO()
        parent.save(b, "JPEG", quality=q)
        cases.append(
            Case(
                f"resave_q{q}", parent, Image.open(io.BytesIO(b.getvalue())), {}, expect="negative"
            )
        )
    small = parent.resize((round(w * 0.7), round(h * 0.7)), Image.Resampling.LANCZOS)
    cases.append(Case("resize_70", parent, small, {}, expect="negative"))
    return cases


def silhouette_mask(size):
    """A head-and-shoulders silhouette rising from the bottom edge (relative coordinates)."""
    w, h = size
    m = Image.new("L", size, 0)
    draw = ImageDraw.Draw(m)
    draw.ellipse([0.38 * w, 0.12 * h, 0.62 * w, 0.50 * h], fill=255)
    draw.polygon(
        [(0.18 * w, h), (0.28 * w, 0.52 * h), (0.72 * w, 0.52 * h), (0.82 * w, h)], fill=255
    )
    return np.asarray(m) > 127


def generic_cases(parent: Image.Image, other: Image.Image, seed=3):
    """The content and detail edits on any photograph, with masks placed by geometry.

    For photographs without a traced subject (the held-out set): the "subject" is a
    head-and-shoulders silhouette, the sky the top of the frame above a wavy line;
    whatever the photo shows there, the mask is the truth of the edit.
    """
    rng = np.random.default_rng(seed)
    P = np.asarray(parent, np.float32)
    h, w = P.shape[:2]
    sc = max(h, w) / 512
    subject = silhouette_mask((w, h))
    a_bg = 1 - feather(subject, 1.5)
    cases = []
    white = (
        np.full((h, w, 3), 240, np.float32)
        + np.linspace(6, -10, h, dtype=np.float32)[:, None, None]
    )
    cases.append(
        Case(
            "backdrop_white",
            parent,
            comp(P, white + grain(rng, h, w, 1.2), a_bg),
            {"content": ~subject},
        )
    )
    mot = (
        lowfreq(rng, h, w, max(4, int(40 * sc)), 1) * 22
        + lowfreq(rng, h, w, max(2, int(8 * sc)), 1) * 6
    )
    blue = np.concatenate([60 + mot, 90 + mot * 1.1, 150 + mot * 1.3], 2) + grain(rng, h, w, 2.0)
    cases.append(Case("backdrop_textured", parent, comp(P, blue, a_bg), {"content": ~subject}))
    o = (
        other.convert("RGB")
        .resize((w, h), Image.Resampling.LANCZOS)
        .filter(ImageFilter.GaussianBlur(sc))
    )
    photo = np.asarray(o, np.float32) + grain(rng, h, w, 2.0)
    cases.append(Case("backdrop_photo", parent, comp(P, photo, a_bg), {"content": ~subject}))
    rows = np.arange(h)[:, None]
    horizon = h * (0.32 + 0.04 * np.sin(np.linspace(0, 3 * np.pi, w)))[None, :]
    sky = rows < horizon
    clouds = (
        lowfreq(rng, h, w, max(4, int(30 * sc)), 1) * 30
        + lowfreq(rng, h, w, max(2, int(8 * sc)), 1) * 10
    )
    moody = np.concatenate([70 + clouds, 72 + clouds, 85 + clouds * 1.1], 2) + grain(rng, h, w, 2.0)
    cases.append(Case("moody_sky", parent, comp(P, moody, feather(sky, 1.0)), {"content": sky}))
    pm = ellipse_mask((w, h), (0.75 * w / sc, 0.72 * h / sc, 45, 38), sc)
    prop = np.roll(
        np.asarray(other.convert("RGB").resize((w, h)), np.float32),
        (int(-60 * sc), int(120 * sc)),
        (0, 1),
    )
    cases.append(Case("placed_prop", parent, comp(P, prop, feather(pm, 1.0)), {"content": pm}))
    rm = ellipse_mask((w, h), (0.2 * w / sc, 0.6 * h / sc, 40, 60), sc)
    cases.append(
        Case("removed_object", parent, comp(P, inpaint(P, rm), feather(rm, 1.0)), {"content": rm})
    )
    clone = np.roll(P, int(0.45 * w), 1)
    cases.append(
        Case("removed_object_clone", parent, comp(P, clone, feather(rm, 3.0)), {"content": rm})
    )
    face = ellipse_mask((w, h), (0.5 * w / sc, 0.3 * h / sc, 46, 60), sc)
    smooth = np.asarray(
        parent.filter(ImageFilter.GaussianBlur(2.5 * sc)).filter(ImageFilter.MedianFilter(3)),
        np.float32,
    )
    cases.append(
        Case(
            "skin_polish_strong",
            parent,
            comp(P, smooth, feather(face, 3 * sc) * 0.9),
            {"detail": face},
        )
    )
    return cases + global_cases(parent, seed=seed)
