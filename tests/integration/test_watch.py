"""Tethered capture: ``provenance watch`` signs frames as they land, once each, resumably."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provenance.verify import VerifyOptions, verify_file

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="watch signs in forked workers")

CLI = [sys.executable, "-m", "provenance_cli.app"]


def _start(in_dir: Path, out_dir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "watch", str(in_dir), "--out-dir", str(out_dir), *extra],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def _wait_for(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    return stderr


@pytest.mark.parametrize("mode", ["inotify", "poll"])
def test_frames_are_signed_once_each_as_they_land(
    identity_home: Path, photo: Path, tmp_path: Path, mode: str
) -> None:
    in_dir, out_dir = tmp_path / "tether", tmp_path / "signed"
    in_dir.mkdir()
    process = _start(in_dir, out_dir, *(["--poll"] if mode == "poll" else []))
    try:
        _wait_for(lambda: out_dir.exists(), 60)
        names = [f"IMG_{i:04d}.jpg" for i in range(4)]
        for name in names:
            # The way tethering software writes: a partial name, then a rename into place.
            partial = in_dir / f"{name}.part"
            shutil.copy(photo, partial)
            partial.rename(in_dir / name)
            time.sleep(0.3)
        (in_dir / ".hidden.jpg").write_bytes(photo.read_bytes())
        (in_dir / "still-writing.jpg.tmp").write_bytes(photo.read_bytes()[:100])
        _wait_for(lambda: all((out_dir / n).exists() for n in names), 90)
    finally:
        stderr = _stop(process)
    assert sorted(p.name for p in out_dir.iterdir()) == names
    assert stderr.count("signed: IMG_") == len(names), stderr
    for name in names:
        report = verify_file(out_dir / name, VerifyOptions(use_trust_store=False))
        assert report.verdict.is_intact
        assert (in_dir / name).read_bytes() == photo.read_bytes()  # inputs untouched

    # A restart resumes: what is signed is skipped, a frame that arrived meanwhile is signed.
    shutil.copy(photo, in_dir / "IMG_0100.jpg")
    again = _start(in_dir, out_dir)
    try:
        _wait_for(lambda: (out_dir / "IMG_0100.jpg").exists(), 90)
    finally:
        stderr = _stop(again)
    assert stderr.count("skipped: IMG_") == len(names) and "signed: IMG_0100.jpg" in stderr


def test_watch_refuses_an_output_inside_the_watched_folder(
    identity_home: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [*CLI, "watch", str(tmp_path), "--out-dir", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "outside the watched folder" in result.stderr


def test_partial_and_hidden_names_are_not_wanted() -> None:
    from provenance.sign.watch import wanted

    assert wanted(Path("IMG_1.JPG")) and wanted(Path("a.dng"))
    for name in (".IMG_1.jpg", "IMG_1.jpg.part", "IMG_1.jpg.tmp", "x.jpg~", "notes.txt"):
        assert not wanted(Path(name))


def test_a_recipe_applies_to_every_frame(identity_home: Path, photo: Path, tmp_path: Path) -> None:
    in_dir, out_dir = tmp_path / "tether", tmp_path / "signed"
    in_dir.mkdir()
    recipe = tmp_path / "frames.toml"
    recipe.write_text(
        '[defaults]\nedits = [{ kind = "edit", description = "Studio grade" }]\n'
        '[[files]]\nsource = "IMG_0002.jpg"\n'
        'edits = [{ kind = "enhance", description = "Denoised", tool = "Denoiser/1" }]\n'
    )
    shutil.copy(photo, in_dir / "IMG_0001.jpg")
    shutil.copy(photo, in_dir / "IMG_0002.jpg")
    process = _start(in_dir, out_dir, "--recipe", str(recipe))
    try:
        _wait_for(
            lambda: (out_dir / "IMG_0002.jpg").exists() and (out_dir / "IMG_0001.jpg").exists(), 90
        )
    finally:
        _stop(process)
    first = verify_file(out_dir / "IMG_0001.jpg", VerifyOptions(use_trust_store=False))
    second = verify_file(out_dir / "IMG_0002.jpg", VerifyOptions(use_trust_store=False))
    assert any(a.description == "Studio grade" for a in first.actions)
    assert any(a.description == "Denoised" for a in second.actions)
