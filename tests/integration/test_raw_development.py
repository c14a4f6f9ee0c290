"""A JPEG developed from a camera RAW, signed ``--from`` it: the RAW capture is the parent.

The RAWs are the hand-built RAW-like samples of :mod:`fixtures.raw` (CR3, NEF,
ARW, DNG, ...); their capture credentials are a ``RAW.c2pa`` sidecar beside the
untouched RAW.  The export is a development of the RAW's own rendering (white
balance, exposure, tone curve), which must read as tone, not content.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fixtures import raw as raw_fixtures
from provenance import media, samples
from provenance.errors import InputError
from provenance.models import ChangeKind, Extent, Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file
from tests.raw_sidecar import sign_raw_with_sidecar


def _options(root: Path | None = None, sidecar: Path | None = None) -> VerifyOptions:
    return VerifyOptions(
        trust_files=(root,) if root else (), use_trust_store=False, sidecar=sidecar
    )


def _develop(path: Path, *, crop: bool = False) -> Path:
    """A photographer's development of the RAW: warmer, brighter, a gentle tone curve."""
    developed = samples.grade(
        raw_fixtures.scene(), gamma=0.9, gain=1.06, white_balance=(1.06, 1.0, 0.92)
    )
    if crop:
        # A crop to 4:5 for a portrait-format delivery (the extent method refuses reshaping;
        # aspect-preserving crops are detected by the extent measurement itself, issue 13).
        w, h = developed.size
        side = (w - h * 4 // 5) // 2
        developed = developed.crop((side, 0, w - side, h))
    developed = developed.resize((developed.width * 2, developed.height * 2))  # a bigger export
    developed.save(path, "JPEG", quality=92)
    return path


# Two containers here (ISO-BMFF, TIFF); every container is signed in test_raw_sidecar.py.
@pytest.mark.parametrize("kind", ["cr3", "nef"])
def test_developed_jpeg_shows_the_raw_capture_and_a_tone_only_change(
    tmp_path: Path, dev_identity, root_pem_file: Path, kind: str
) -> None:
    identity, _ = dev_identity
    raw_path = raw_fixtures.write_raw(tmp_path, kind)
    before = hashlib.sha256(raw_path.read_bytes()).hexdigest()
    sidecar = sign_raw_with_sidecar(raw_path, identity)
    assert sidecar == raw_path.with_name(raw_path.name + ".c2pa")
    assert hashlib.sha256(raw_path.read_bytes()).hexdigest() == before, "a RAW is never modified"

    capture = verify_file(raw_path, _options(root_pem_file, sidecar))
    assert capture.verdict is Verdict.TRUSTED
    assert capture.capture is not None
    assert capture.capture.make == raw_fixtures.MAKES[kind]
    assert capture.capture.model == raw_fixtures.MODEL

    export = _develop(tmp_path / "export.jpg")
    output = tmp_path / "final.jpg"
    result = sign_image(SignRequest(source=export, output=output, parent=raw_path), identity)
    assert hashlib.sha256(raw_path.read_bytes()).hexdigest() == before
    (development,) = result.actions
    assert development.action == "c2pa.color_adjustments"
    assert development.extent is not None and development.extent.area_fraction is not None
    assert development.extent.area_fraction <= 0.03, "a development is not a change of content"
    _assert_tone_not_content(development.extent)

    report = verify_file(output, _options(root_pem_file))
    assert report.verdict is Verdict.TRUSTED
    (parent,) = report.history
    assert parent.title == raw_path.name
    assert parent.relationship == "parentOf"
    assert parent.verdict is Verdict.TRUSTED
    assert parent.capture is not None
    assert (parent.capture.make, parent.capture.model) == (
        raw_fixtures.MAKES[kind],
        raw_fixtures.MODEL,
    )
    assert parent.capture.lens == raw_fixtures.LENS
    (read_back,) = [a for a in report.actions if a.action == "c2pa.color_adjustments"]
    assert read_back.extent is not None
    _assert_tone_not_content(read_back.extent)


def _assert_tone_not_content(extent: Extent) -> None:
    """A development reads as a tone change over (nearly) the whole picture, not content."""
    content = extent.change(ChangeKind.CONTENT)
    assert content is None or (content.area_fraction or 0.0) <= 0.03, content
    tone = extent.change(ChangeKind.TONE)
    assert tone is not None and (tone.area_fraction or 0.0) >= 0.6, extent


def test_cropped_development_is_not_measured(tmp_path: Path, dev_identity) -> None:
    identity, _ = dev_identity
    raw_path = raw_fixtures.write_raw(tmp_path, "cr3")
    export = _develop(tmp_path / "export.jpg", crop=True)
    result = sign_image(
        SignRequest(source=export, output=tmp_path / "final.jpg", parent=raw_path), identity
    )
    (development,) = result.actions
    assert development.extent is not None and development.extent.area_fraction is None
    assert result.extent_note, "the reason the extent is unknown is said"


def test_raw_changed_after_signing_is_refused_as_parent(tmp_path: Path, dev_identity) -> None:
    identity, _ = dev_identity
    raw_path = raw_fixtures.write_raw(tmp_path, "nef")
    sidecar = sign_raw_with_sidecar(raw_path, identity)
    data = bytearray(raw_path.read_bytes())
    data[-10] ^= 0x01
    raw_path.write_bytes(bytes(data))
    assert verify_file(raw_path, _options(None, sidecar)).verdict is Verdict.INVALID
    with pytest.raises(InputError, match="does not match its credentials"):
        sign_image(
            SignRequest(
                source=_develop(tmp_path / "export.jpg"),
                output=tmp_path / "final.jpg",
                parent=raw_path,
            ),
            identity,
        )
    assert not (tmp_path / "final.jpg").exists()


def test_raw_parent_without_sidecar_is_recorded_without_credentials(
    tmp_path: Path, dev_identity
) -> None:
    identity, _ = dev_identity
    raw_path = raw_fixtures.write_raw(tmp_path, "arw")
    output = tmp_path / "final.jpg"
    sign_image(
        SignRequest(source=_develop(tmp_path / "export.jpg"), output=output, parent=raw_path),
        identity,
    )
    report = verify_file(output, _options())
    assert report.verdict is Verdict.VALID_UNTRUSTED
    (parent,) = report.history
    assert parent.title == raw_path.name and parent.verdict is Verdict.NO_CREDENTIALS
    # Recorded as what it is, though c2pa read it as plain bytes.
    from provenance import _c2pa

    with open(output, "rb") as stream:
        read = _c2pa.read_credentials(
            stream, "image/jpeg", _c2pa.ReadOptions(want_thumbnails=False)
        )
    assert read.store is not None and read.store.active is not None
    (ingredient,) = read.store.active.ingredients
    assert ingredient.format == media.ARW.mime


def test_raw_without_sidecar_verifies_as_no_credentials(tmp_path: Path) -> None:
    raw_path = raw_fixtures.write_raw(tmp_path, "cr3")
    report = verify_file(raw_path, _options())
    assert report.verdict is Verdict.NO_CREDENTIALS
    assert report.format == media.CR3.mime
    assert any("CAPTURE.CR3.c2pa" in s and "none was found" in s for s in report.statements)
