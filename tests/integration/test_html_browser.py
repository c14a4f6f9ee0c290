"""Render the HTML report in headless Chromium and check the screenshot is not blank.

Nothing is installed here and nothing leaves the machine: the test skips with a
reason when no Chromium is found (``.ci/run`` installs Debian's ``chromium``),
and Chromium runs with background networking off on a ``file://`` page whose
CSP forbids any request anyway.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fixtures.generate import write_edited, write_photo
from provenance.identity.keys import ephemeral_identity
from provenance.report import renderer_for
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file

pytestmark = pytest.mark.browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def screenshot(page: Path, out: Path, *, width: int = 412, height: int = 900) -> Path:
    """Screenshot ``page`` with headless Chromium; skips the test when it is absent."""
    browser = _chromium()
    if browser is None:
        pytest.skip("headless Chromium not installed (Debian package 'chromium')")
    profile = out.parent / "chromium-profile"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--screenshot={out}",
        f"--window-size={width},{height}",
        page.resolve().as_uri(),
    ]
    subprocess.run(command, capture_output=True, timeout=90, check=False)
    return out


def test_html_report_renders_in_chromium(tmp_path: Path) -> None:
    if _chromium() is None:
        pytest.skip("headless Chromium not installed (Debian package 'chromium')")
    identity, root_pem = ephemeral_identity("Browser Test", "Browser Studio")
    root = tmp_path / "root.pem"
    root.write_bytes(root_pem)
    parent = write_photo(tmp_path, "jpeg", width=600, height=400)
    edited = write_edited(parent, tmp_path)
    signed = tmp_path / "signed.jpg"
    sign_image(
        SignRequest(
            source=edited,
            output=signed,
            parent=parent,
            edits=(EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill/2.1"),),
        ),
        identity,
    )
    report = verify_file(signed, VerifyOptions(trust_files=(root,), use_trust_store=False))
    page = tmp_path / "report.html"
    page.write_text(renderer_for("html").render([report]), encoding="utf-8")

    shot = screenshot(page, tmp_path / "shot.png")
    assert shot.exists(), "Chromium wrote no screenshot"
    from PIL import Image, ImageStat

    with Image.open(shot) as img:
        assert img.size == (412, 900)
        grey = img.convert("L")
        stat = ImageStat.Stat(grey)
        assert stat.stddev[0] > 20, "the screenshot is blank"
        # An AI-edited picture gets the amber banner even from a trusted signer: the page
        # really rendered our CSS, and the colour follows the worse of what/who.
        r, g, b = img.convert("RGB").getpixel((380, 16))
        assert r > b and g > b and r > 120, (r, g, b)


def dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM after Chromium rendered it (no script runs: the CSP forbids it)."""
    browser = _chromium()
    if browser is None:
        pytest.skip("headless Chromium not installed (Debian package 'chromium')")
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    return done.stdout


def test_ai_generated_image_from_a_trusted_signer_is_never_a_lone_green_tick(
    tmp_path: Path,
) -> None:
    """Issue 14: the banner says AI-generated *and* who vouches, in amber, not green."""
    if _chromium() is None:
        pytest.skip("headless Chromium not installed (Debian package 'chromium')")
    import re
    from html import unescape

    identity, root_pem = ephemeral_identity("Gen Test", "Trusted Studio")
    root = tmp_path / "root.pem"
    root.write_bytes(root_pem)
    source = write_photo(tmp_path, "jpeg", width=600, height=400)
    signed = tmp_path / "generated.jpg"
    sign_image(
        SignRequest(source=source, output=signed, generated=True, generator_tool="Imagen/3"),
        identity,
    )
    report = verify_file(signed, VerifyOptions(trust_files=(root,), use_trust_store=False))
    assert report.verdict.value == "trusted"
    page = tmp_path / "report.html"
    page.write_text(renderer_for("html").render([report]), encoding="utf-8")

    dom = dump_dom(page, tmp_path / "dom-profile")
    banner = re.search(r'<header class="banner (\w+)"[^>]*>(.*?)</header>', dom, re.S)
    assert banner is not None, dom[:500]
    words = unescape(re.sub(r"<[^>]+>", " ", banner.group(2)))
    words = " ".join(words.split())
    assert "AI-generated" in words
    assert "Trusted Studio" in words and "an identity you trust" in words
    assert banner.group(1) != "ok"  # never the green class
    assert "✔" not in words

    shot = screenshot(page, tmp_path / "shot.png")
    from PIL import Image

    with Image.open(shot) as img:
        r, g, b = img.convert("RGB").getpixel((380, 16))
    assert not (g > r and g > b), f"banner is green: {(r, g, b)}"
