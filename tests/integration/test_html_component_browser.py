"""The HTML report marks a placed component's area with its label, as Chromium draws it.

A capture, an AI sky signed ``--generated`` by another identity, and the composite
signed ``--from`` the capture with the sky as a component labelled "sky" (its area
measured).  The report's overlay figure -- the picture, and the label laid over
it -- is rendered by headless Chromium under the report's own CSP and stylesheet,
and its pixels are read back from the screenshot: the sky is tinted with the
part's colour, the rest of the picture keeps its own pixels, and the label sits
on the sky.  Skips with a reason when Chromium is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from provenance import media, samples
from provenance.identity.keys import ephemeral_identity
from provenance.report import renderer_for
from provenance.report.html import CSP, stylesheet
from provenance.report.overlay import PART_COLOURS
from provenance.sign import SignRequest, sign_image
from provenance.sign.request import ComponentSpec
from provenance.verify import VerifyOptions, verify_file
from tests.integration.test_html_browser import _chromium, screenshot

pytestmark = pytest.mark.browser

W, H = 720, 480
SKY_ROWS = int(H * 0.3)


def _signed_composite(tmp_path: Path) -> Path:
    photographer, _ = ephemeral_identity("Overlay Test", "Overlay Studio")
    generator, _ = ephemeral_identity("Sky Model", "Imagine AI")
    capture_img = samples.photo_like(W, H, seed=21)
    ramp = np.linspace(60, 230, W)[None, :, None] * np.array([1.0, 0.55, 0.35])[None, None, :]
    sky_img = Image.fromarray(ramp.repeat(SKY_ROWS, axis=0).astype(np.uint8))
    composite = capture_img.copy()
    composite.paste(sky_img, (0, 0))
    paths = {}
    for name, img in (("capture", capture_img), ("sky", sky_img), ("composite", composite)):
        paths[name] = tmp_path / f"{name}_raw.jpg"
        paths[name].write_bytes(samples.encode(img, "JPEG", quality=92))
    capture = sign_image(
        SignRequest(source=paths["capture"], output=tmp_path / "capture.jpg"), photographer
    )
    sky = sign_image(
        SignRequest(
            source=paths["sky"], output=tmp_path / "sky.jpg", generated=True, generator_tool="Sky/3"
        ),
        generator,
    )
    out = tmp_path / "final.jpg"
    sign_image(
        SignRequest(
            source=paths["composite"],
            output=out,
            parent=capture.output,
            components=(ComponentSpec(sky.output, label="sky"),),
        ),
        photographer,
    )
    return out


def test_a_placed_sky_is_marked_with_its_label_and_nothing_else_is(tmp_path: Path) -> None:
    if _chromium() is None:
        pytest.skip("headless Chromium not installed (Debian package 'chromium')")
    report = verify_file(_signed_composite(tmp_path), VerifyOptions(use_trust_store=False))
    html = renderer_for("html").render([report])
    figure = re.search(r'<div class="marked">(.*?)</div>', html)
    assert figure, "the report has no overlay with placed parts"
    assert 'class="place-label part-0"' in figure.group(1) and ">sky</span>" in figure.group(1)
    assert "<strong>sky</strong>: a part placed from another file, made by AI" in html

    thumb = media.decode_thumbnail(report.thumbnail or b"", max_side=640)
    assert thumb is not None
    tw, th = thumb.size
    page = tmp_path / "overlay.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<style>{stylesheet()}\nhtml,body{{margin:0;background:#000}}"
        f".marked{{position:absolute;left:0;top:0;width:{tw}px}}"
        f".marked img{{width:{tw}px;height:{th}px;border:0;border-radius:0}}</style></head>"
        f'<body><div class="marked">{figure.group(1)}</div></body></html>',
        encoding="utf-8",
    )
    shot = screenshot(page, tmp_path / "overlay.png", width=tw, height=th)
    assert shot.exists(), "Chromium wrote no screenshot"
    with Image.open(shot) as img:
        rendered = np.asarray(img.convert("RGB").crop((0, 0, tw, th)), dtype=np.float32)
    original = np.asarray(thumb.convert("RGB"), dtype=np.float32)

    colour = np.array(PART_COLOURS[0], dtype=np.float32)
    moved = np.abs(rendered - original).sum(axis=2)
    towards = np.abs(colour - original).sum(axis=2)
    tint = moved / np.maximum(towards, 1.0)
    sky_rows = round(th * 0.3)
    margin = 12
    sky = np.zeros((th, tw), dtype=bool)
    sky[margin : sky_rows - margin, margin + tw // 3 : tw - margin] = True  # right of the label
    rest = np.zeros((th, tw), dtype=bool)
    rest[sky_rows + margin + 8 :, :] = True
    assert np.mean(tint[sky] > 0.25) > 0.85, "the placed sky is not marked"
    assert np.mean(tint[rest] > 0.25) < 0.05, "the capture below the sky is marked"
    # The label "sky" sits on the sky, at its top-left: a patch of the part's own colour.
    label = rendered[6:14, 8:20].reshape(-1, 3)
    assert np.mean(np.abs(label - colour).sum(axis=1) < 60) > 0.5, "no label on the sky"
