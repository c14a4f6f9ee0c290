"""The corpus the independent validators read: every kind of file we write, signed once.

Signed once per session (module-independent, ``scope="session"``), at a small size,
so the validator tests stay bounded: about 15 signatures and one reader pass each.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fixtures.generate import write_edited, write_photo
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.sign.request import ComponentSpec

#: Kinds of file we write that this build cannot write yet (with why).
NOT_WRITTEN: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Signed:
    """One file of the corpus: the image, its sidecar if detached, and its format."""

    kind: str
    path: Path
    mime: str
    sidecar: Path | None = None


_MIMES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".tif": "image/tiff"}


def _signed(kind: str, path: Path, sidecar: Path | None = None) -> Signed:
    return Signed(kind, path, _MIMES[path.suffix], sidecar)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory, dev_identity: Any) -> dict[str, Signed]:
    """Every kind of file we write, keyed by kind."""
    identity = dev_identity[0]
    folder = tmp_path_factory.mktemp("validators")
    size = {"width": 480, "height": 320}
    out: dict[str, Signed] = {}
    for fmt in ("jpeg", "png", "webp", "tiff"):
        raw = write_photo(folder, fmt, name=f"raw-{fmt}{_ext(fmt)}", **size)
        signed = folder / f"capture-{fmt}{_ext(fmt)}"
        sign_image(SignRequest(source=raw, output=signed, all_actions_included=True), identity)
        out[f"capture_{fmt}"] = _signed(f"capture_{fmt}", signed)
    capture = out["capture_jpeg"].path

    ai_edit = folder / "ai-edit.jpg"
    sign_image(
        SignRequest(
            source=write_edited(capture, folder, name="ai-edit-in.jpg", graded=False),
            output=ai_edit,
            parent=capture,
            edits=(EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill/2.1"),),
        ),
        identity,
    )
    out["ai_edit"] = _signed("ai_edit", ai_edit)

    generated = folder / "generated.jpg"
    sign_image(
        SignRequest(
            source=write_photo(folder, name="gen-in.jpg", seed=3, **size),
            output=generated,
            generated=True,
            generator_tool="Imagen/4",
        ),
        identity,
    )
    out["generated"] = _signed("generated", generated)

    # capture -> graded by hand -> AI background: three manifests, one chain.
    graded = folder / "graded.jpg"
    sign_image(
        SignRequest(
            source=write_edited(capture, folder, name="graded-in.jpg", ai=False),
            output=graded,
            parent=capture,
            edits=(EditSpec(EditKind.EDIT, "Colour grade", tool="Darkroom/5"),),
        ),
        identity,
    )
    final = folder / "chain-final.jpg"
    sign_image(
        SignRequest(
            source=write_edited(graded, folder, name="final-in.jpg", graded=False),
            output=final,
            parent=graded,
            edits=(EditSpec(EditKind.AI_EDIT, "New background", tool="GenFill/2.1"),),
            all_actions_included=True,
        ),
        identity,
    )
    out["chain_of_three"] = _signed("chain_of_three", final)

    enhanced = folder / "enhanced.jpg"
    sign_image(
        SignRequest(
            source=write_edited(capture, folder, name="enh-in.jpg", ai=False),
            output=enhanced,
            parent=capture,
            edits=(EditSpec(EditKind.ENHANCE, "Denoise", tool="Denoiser/3"),),
        ),
        identity,
    )
    out["enhancement"] = _signed("enhancement", enhanced)

    # A parent that kept its GPS: the edit redacts it by default.
    located = folder / "located.jpg"
    sign_image(
        SignRequest(
            source=write_photo(folder, name="loc-in.jpg", seed=5, **size),
            output=located,
            keep_location=True,
        ),
        identity,
    )
    redacted = folder / "redacted-edit.jpg"
    result = sign_image(
        SignRequest(
            source=write_edited(located, folder, name="red-in.jpg", ai=False),
            output=redacted,
            parent=located,
            edits=(EditSpec(EditKind.EDIT, "Crop-free grade"),),
        ),
        identity,
    )
    assert result.redacted, "the parent's location should have been redacted"
    out["redacted_edit"] = _signed("redacted_edit", redacted)

    # A composite: the capture with an AI sky placed from its own signed file.
    from PIL import Image

    from provenance import samples

    sky_raw = folder / "sky-in.jpg"
    sky_img = Image.new("RGB", (480, 96), (90, 150, 230))
    sky_raw.write_bytes(samples.encode(sky_img, "JPEG", quality=92))
    sky = folder / "sky.jpg"
    sign_image(
        SignRequest(source=sky_raw, output=sky, generated=True, generator_tool="SkyGen/3"),
        identity,
    )
    with Image.open(capture) as opened:
        picture = opened.convert("RGB")
    picture.paste(sky_img, (0, 0))
    composite_raw = folder / "composite-in.jpg"
    composite_raw.write_bytes(samples.encode(picture, "JPEG", quality=92))
    composite = folder / "composite.jpg"
    sign_image(
        SignRequest(
            source=composite_raw,
            output=composite,
            parent=capture,
            components=(ComponentSpec(sky, label="sky"),),
        ),
        identity,
    )
    out["composite"] = _signed("composite", composite)

    side_in = write_photo(folder, name="sidecar.jpg", seed=11, **size)
    result = sign_image(SignRequest(source=side_in, output=side_in, sidecar=True), identity)
    assert result.sidecar is not None
    out["sidecar"] = _signed("sidecar", side_in, result.sidecar)
    return out


def _ext(fmt: str) -> str:
    return {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "tiff": ".tif"}[fmt]


# ------------------------------------------------------------------ tampering


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    out = []
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF and data[i + 1] != 0xDA:
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        out.append((data[i + 1], i, i + 2 + length))
        i += 2 + length
    return out


def _app11(data: bytes) -> bytes:
    return b"".join(data[s:e] for m, s, e in _jpeg_segments(data) if m == 0xEB)


def _without_app11(data: bytes) -> bytes:
    out = bytearray(data)
    for m, s, e in reversed(_jpeg_segments(data)):
        if m == 0xEB:
            del out[s:e]
    return bytes(out)


@pytest.fixture(scope="session")
def tampered(
    corpus: dict[str, Signed], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Signed]:
    """The tamper classes of tests/integration/test_forgery.py, on files of the corpus."""
    import re

    folder = tmp_path_factory.mktemp("tampered")
    child = corpus["ai_edit"].path.read_bytes()
    out: dict[str, Signed] = {}

    def put(kind: str, data: bytes, sidecar: Path | None = None) -> None:
        path = folder / f"{kind}.jpg"
        path.write_bytes(data)
        out[kind] = Signed(kind, path, "image/jpeg", sidecar)

    pixels = bytearray(child)
    pixels[-300] ^= 0x10
    put("data_hash_mismatch", bytes(pixels))

    sig = bytearray(child)
    at = sig.rfind(b"c2pa.signature")
    pos = sig.find(b"cbor", at)
    end = pos - 4 + struct.unpack(">I", sig[pos - 4 : pos])[0]
    sig[end - 20] ^= 0x01
    put("signature_bit_flip", bytes(sig))

    assertion = bytearray(child)
    at = assertion.rfind(b"c2pa.opened")
    assertion[at + 5] = ord("O")
    put("assertion_hash_mismatch", bytes(assertion))

    other = _without_app11(corpus["generated"].path.read_bytes())
    put(
        "spliced_manifest", other[:2] + _app11(corpus["capture_jpeg"].path.read_bytes()) + other[2:]
    )

    renamed = bytearray(child)
    first = next(re.finditer(rb"urn:c2pa:[0-9a-f-]{36}", bytes(renamed)))
    pos = first.start() + len(b"urn:c2pa:")
    renamed[pos] = ord("f") if renamed[pos] != ord("f") else ord("e")
    put("missing_ingredient_claim", bytes(renamed))

    image = bytearray(corpus["sidecar"].path.read_bytes())
    image[len(image) // 2] ^= 0x01
    put("sidecar_image_changed", bytes(image), corpus["sidecar"].sidecar)
    return out
