"""HEIC/HEIF (every iPhone photo): sign and verify round trips, camera facts from its EXIF.

Two kinds of input: the conformance folder's real HEIC/HEIF samples (written by
others; skipped with the reason when absent) and HEICs made here with
pillow-heif, which carry camera EXIF the way a phone writes it.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from provenance import media
from provenance.models import Verdict
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file
from tests.conftest import CONFORMANCE

pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is a dependency")

SAMPLES = CONFORMANCE / "files" / "c2pa-rs"


def _options(root: Path | None) -> VerifyOptions:
    return VerifyOptions(trust_files=(root,) if root else (), use_trust_store=False)


def make_heic(
    path: Path, *, width: int = 480, height: int = 320, brand: bytes = b"heic", img: object = None
) -> Path:
    """A phone-like HEIC with camera EXIF; ``brand`` b"mif1" makes it a plain HEIF."""
    from PIL import Image

    from provenance import samples

    picture = img if img is not None else samples.photo_like(width, height, seed=5)
    assert isinstance(picture, Image.Image)
    exif = samples.exif_bytes(
        samples.CameraFacts(make="Apple", model="iPhone 15 Pro", lens="iPhone 15 Pro back camera")
    )
    heif = pillow_heif.from_pillow(picture)
    out = io.BytesIO()
    heif.save(out, quality=80, exif=exif)
    data = bytearray(out.getvalue())
    assert data[4:12] == b"ftypheic"
    if brand != b"heic":
        data[8:12] = brand  # the major brand; "heic" stays among the compatible brands
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("brand", "suffix", "kind"), [(b"heic", ".heic", media.HEIC), (b"mif1", ".heif", media.HEIF)]
)
def test_made_heic_round_trip_names_the_camera(
    tmp_path: Path,
    dev_identity,
    root_pem_file: Path,
    brand: bytes,
    suffix: str,
    kind: media.MediaType,
) -> None:
    identity, _ = dev_identity
    source = make_heic(tmp_path / f"IMG_0001{suffix}", brand=brand)
    assert media.sniff(source.read_bytes()[:64]) is kind
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    output = tmp_path / f"signed{suffix}"
    result = sign_image(SignRequest(source=source, output=output), identity)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before, "input must never change"
    assert result.capture is not None and result.capture.model == "iPhone 15 Pro"

    report = verify_file(output, _options(root_pem_file))
    assert report.verdict is Verdict.TRUSTED
    assert report.format == kind.mime
    assert report.capture is not None
    assert (report.capture.make, report.capture.model) == ("Apple", "iPhone 15 Pro")
    assert report.capture.lens == "iPhone 15 Pro back camera"
    assert report.capture.taken_at == "2026-11-01T09:30:00+01:00"
    assert report.capture.location is None, "GPS stays out unless asked"
    # The signed file still decodes as the same picture (the manifest is a box beside it).
    signed = media.decode_reduced(output.read_bytes(), 256)
    original = media.decode_reduced(source.read_bytes(), 256)
    assert signed.size == original.size and signed.tobytes() == original.tobytes()


@pytest.mark.slow  # sample1.heic is a 51 MP picture: a full HEVC decode for the thumbnail
@pytest.mark.parametrize("name", ["sample1.heic", "sample1.heif"])
def test_conformance_samples_round_trip(
    tmp_path: Path, dev_identity, root_pem_file: Path, name: str
) -> None:
    source = SAMPLES / name
    if not source.exists():
        pytest.skip(f"{source} is not present (the conformance files live beside the repository)")
    identity, _ = dev_identity
    assert verify_file(source, _options(None)).verdict is Verdict.NO_CREDENTIALS
    output = tmp_path / f"signed-{name}"
    sign_image(SignRequest(source=source, output=output), identity)
    report = verify_file(output, _options(root_pem_file))
    assert report.verdict is Verdict.TRUSTED
    assert report.capture is not None and report.capture.source == "digitalCapture"
    # One byte of the coded picture changed after signing: caught.
    data = bytearray(output.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = tmp_path / f"tampered-{name}"
    tampered.write_bytes(bytes(data))
    assert verify_file(tampered, _options(root_pem_file)).verdict is Verdict.INVALID


def test_heic_edit_from_heic_parent_is_measured(tmp_path: Path, dev_identity) -> None:
    """A HEIC edited from a signed HEIC: the parent's pixels decode, so the extent is measured."""
    from provenance import samples

    identity, _ = dev_identity
    scene = samples.photo_like(480, 320, seed=5)
    capture = make_heic(tmp_path / "IMG_0002.heic", img=scene)
    signed_capture = tmp_path / "capture-signed.heic"
    sign_image(SignRequest(source=capture, output=signed_capture), identity)
    edited = make_heic(
        tmp_path / "edited.heic", img=samples.ai_edit(scene, (0.55, 0.15, 0.35, 0.45))
    )
    output = tmp_path / "final.heic"
    result = sign_image(
        SignRequest(
            source=edited,
            output=output,
            parent=signed_capture,
            edits=(EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill/2.1"),),
        ),
        identity,
    )
    extent = result.actions[-1].extent
    assert extent is not None and extent.area_fraction is not None
    assert 0.05 < extent.area_fraction < 0.4
    report = verify_file(output, _options(None))
    assert report.verdict is Verdict.VALID_UNTRUSTED
    assert report.history and report.history[0].capture is not None
    assert report.history[0].capture.model == "iPhone 15 Pro"


def test_heic_is_not_imported_for_a_jpeg(tmp_path: Path) -> None:
    """pillow-heif loads only when a HEIC/HEIF is met (checked in a fresh interpreter)."""
    import subprocess
    import sys

    from fixtures.generate import write_photo

    photo = write_photo(tmp_path, "jpeg")
    code = (
        "import sys; from provenance import media; "
        f"media.decode_reduced(open({str(photo)!r}, 'rb').read(), 256); "
        "print('pillow_heif' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
