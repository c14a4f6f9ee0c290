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
        # The green "Trusted" banner is at the top: the page really rendered our CSS.
        r, g, b = img.convert("RGB").getpixel((200, 40))
        assert g > r and g > b
