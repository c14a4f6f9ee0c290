"""Replay recorded crash/edge inputs (see README.md in this folder)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fuzz.harness import run_one

HERE = Path(__file__).parent
CASES = sorted(p for p in HERE.iterdir() if p.suffix in {".jpg", ".png", ".webp", ".bin"})

# Hand-made edge cases, built in code so they need no binary files in the repository.
BUILT = {
    "empty.jpg": b"",
    "soi_only.jpg": b"\xff\xd8",
    "app11_zero_length.jpg": b"\xff\xd8\xff\xeb\x00\x00\xff\xd9",
    "app11_short_jumbf.jpg": b"\xff\xd8\xff\xeb\x00\x10JP\x02\x11\x00\x00\x00\x01\x00\x00\x00\x08jumb\xff\xd9",
    "png_header_only.png": b"\x89PNG\r\n\x1a\n",
    "png_huge_chunk.png": b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffcaBX",
    "webp_riff_only.webp": b"RIFF\xff\xff\xff\xffWEBP",
    "webp_bad_chunk.webp": b"RIFF\x20\x00\x00\x00WEBPC2PA\xff\xff\xff\x7f",
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_built_edge_case(name: str, tmp_path: Path) -> None:
    start = time.monotonic()
    run_one(BUILT[name], tmp_path, Path(name).suffix)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_recorded_case(path: Path, tmp_path: Path) -> None:
    start = time.monotonic()
    verdict = run_one(path.read_bytes(), tmp_path, path.suffix)
    assert time.monotonic() - start < 5
    if ".expect-" in path.name:
        expected = path.name.split(".expect-")[1].split(".")[0]
        assert verdict is not None and verdict.value == expected
