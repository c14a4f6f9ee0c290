"""The HTML report's AI overlay, rendered in headless Chromium, shows a backdrop swap as
the backdrop -- not the person (issue "The measured extent must tell the truth").

A person-like subject is kept and everything around it replaced by a white seamless
backdrop; the edit is signed ``--from`` its capture and verified; the overlay picture
of the HTML report (a ``data:`` JPEG under the report's own CSP) is rendered by
Chromium and its pixels are read back from the screenshot: inside the backdrop they
are tinted with the content colour, inside the subject they are the subject's own.
Skips with a reason when Chromium is absent (``.ci/run`` installs Debian's chromium).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from provenance import media, samples
from provenance.identity.keys import ephemeral_identity
from provenance.models import ChangeKind
from provenance.report import renderer_for
from provenance.report.html import CSP, KIND_COLOURS
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file
from tests.integration.test_html_browser import _chromium, screenshot

pytestmark = pytest.mark.browser

W, H = 900, 600


def _subject(width: int, height: int) -> np.ndarray:
    """Head and shoulders rising from the bottom edge, in the middle of the frame."""
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    sx, sy = width / W, height / H
    draw.ellipse([375 * sx, 90 * sy, 525 * sx, 270 * sy], fill=255)
    draw.polygon(
        [(240 * sx, height), (300 * sx, 330 * sy), (600 * sx, 330 * sy), (660 * sx, height)],
        fill=255,
    )
    return np.asarray(mask) > 127


def _core(mask: np.ndarray, margin: int) -> np.ndarray:
    """Pixels at least ``margin`` px inside ``mask`` (a cheap erosion by shifting)."""
    core = mask.copy()
    for dy in (-margin, 0, margin):
        for dx in (-margin, 0, margin):
            core &= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return core


def test_backdrop_swap_overlay_covers_the_backdrop_not_the_person(tmp_path: Path) -> None:
    if _chromium() is None:
        pytest.skip("headless Chromium not installed (Debian package 'chromium')")
    identity, root_pem = ephemeral_identity("Overlay Test", "Overlay Studio")
    root = tmp_path / "root.pem"
    root.write_bytes(root_pem)
    photo = samples.photo_like(W, H, seed=21)
    parent = tmp_path / "capture.jpg"
    parent.write_bytes(samples.encode(photo, "JPEG", exif=samples.exif_bytes()))
    subject = _subject(W, H)
    pixels = np.asarray(photo, dtype=np.float32)
    rng = np.random.default_rng(4)
    backdrop = np.full((H, W, 3), 243.0) + rng.normal(0, 1.2, (H, W, 3))
    swapped = np.where(subject[..., None], pixels, backdrop)
    edited = tmp_path / "swapped.jpg"
    edited.write_bytes(
        samples.encode(Image.fromarray(np.clip(swapped, 0, 255).astype(np.uint8)), "JPEG")
    )
    signed = tmp_path / "signed.jpg"
    sign_image(
        SignRequest(
            source=edited,
            output=signed,
            parent=parent,
            edits=(EditSpec(EditKind.AI_EDIT, "Replaced the background", tool="Fill/1"),),
        ),
        identity,
    )
    report = verify_file(signed, VerifyOptions(trust_files=(root,), use_trust_store=False))
    content = next(a for a in report.actions if a.ai).extent
    assert content is not None and content.change(ChangeKind.CONTENT) is not None
    html = renderer_for("html").render([report])
    found = re.search(r'<img src="(data:image/jpeg;base64,[^"]+)" class="overlay"', html)
    assert found, "the report has no per-kind overlay picture"
    assert "content replaced or added by AI" in html  # the legend names the kind

    # The overlay as Chromium draws it: alone on a page with the report's CSP, at a
    # known position and size, so its pixels can be read back from a screenshot.
    thumb = media.decode_thumbnail(report.thumbnail or b"", max_side=640)
    assert thumb is not None
    tw, th = thumb.size
    page = tmp_path / "overlay.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        "<style>html,body{margin:0;background:#000}img{position:absolute;left:0;top:0;"
        f"width:{tw}px;height:{th}px}}</style></head>"
        f'<body><img src="{found.group(1)}" alt=""></body></html>',
        encoding="utf-8",
    )
    shot = screenshot(page, tmp_path / "overlay.png", width=tw, height=th)
    assert shot.exists(), "Chromium wrote no screenshot"
    with Image.open(shot) as img:
        rendered = np.asarray(img.convert("RGB").crop((0, 0, tw, th)), dtype=np.float32)
    original = np.asarray(thumb.convert("RGB"), dtype=np.float32)
    person = _core(_subject(tw, th), 12)
    around = _core(~_subject(tw, th), 12)
    assert person.sum() > 1000 and around.sum() > 1000

    colour = np.array(KIND_COLOURS[ChangeKind.CONTENT][0], dtype=np.float32)
    # How far each pixel moved towards the content colour (0 = untouched, ~0.45 = tinted).
    moved = np.abs(rendered - original).sum(axis=2)
    towards = np.abs(colour - original).sum(axis=2)
    tint = moved / np.maximum(towards, 1.0)
    assert np.mean(tint[around] > 0.25) > 0.85, "the backdrop is not marked"
    assert np.mean(tint[person] > 0.25) < 0.10, "the person is marked as changed"
