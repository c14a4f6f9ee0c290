"""What we write follows C2PA 2.2 as the Conformance Program reads it, and sidecars.

- The actions assertion is *created* (attributed to the signer; C2PA 2.2, 10.2.2),
  which c2pa-rs only does with the base label ``c2pa.actions`` in
  ``builder.created_assertion_labels`` (the ``.v2`` label does not match).
- ``allActionsIncluded`` is written, ``specVersion`` is SemVer, hand edits carry
  ``humanEdits``, and the deprecated ``stds.exif`` only with ``legacy_exif``.
- ``sidecar=True`` writes ``FILE.c2pa`` and leaves the image bytes as they are;
  verify finds it beside the file and says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fixtures.generate import write_edited, write_photo
from provenance._c2pa import find_sidecar, sidecar_path
from provenance.errors import OutputExistsError
from provenance.labels import SPEC_VERSION
from provenance.models import Verdict
from provenance.sign import EditKind, EditSpec, SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file
from provenance_cli.app import app


def _crjson(path: Path, sidecar: bytes | None = None) -> dict[str, Any]:
    """The active manifest in c2pa-rs's crJSON (the form the conformance rubrics read)."""
    import c2pa  # test-only: the library keeps c2pa in _c2pa

    mime = {".jpg": "image/jpeg", ".png": "image/png"}[path.suffix]
    with open(path, "rb") as stream, c2pa.Reader(mime, stream, sidecar) as reader:
        data = json.loads(reader.crjson())
    manifest = data["manifests"][0]
    assert isinstance(manifest, dict)
    return manifest


@pytest.fixture()
def options(root_pem_file: Path) -> VerifyOptions:
    return VerifyOptions(trust_files=(root_pem_file,), use_trust_store=False)


def test_actions_are_created_and_complete_only_when_confirmed(
    tmp_path: Path, dev_identity: tuple[Any, bytes], options: VerifyOptions
) -> None:
    raw = write_photo(tmp_path, name="raw.jpg")
    capture = tmp_path / "capture.jpg"
    sign_image(SignRequest(source=raw, output=capture, all_actions_included=True), dev_identity[0])
    manifest = _crjson(capture)
    claim = manifest["claim.v2"]
    created = [a["url"].rsplit("/", 1)[-1] for a in claim["created_assertions"]]
    gathered = [a["url"].rsplit("/", 1)[-1] for a in claim.get("gathered_assertions", [])]
    assert "c2pa.actions.v2" in created and "c2pa.actions.v2" not in gathered
    assert "c2pa.metadata" in created
    assert not any(label.startswith("stds.") for label in manifest["assertions"])
    assert manifest["assertions"]["c2pa.actions.v2"]["allActionsIncluded"] is True
    info = claim["claim_generator_info"]
    info = info[0] if isinstance(info, list) else info
    assert info["specVersion"] == SPEC_VERSION
    assert verify_file(capture, options).all_actions_included is True

    edited = write_edited(capture, tmp_path, ai=False)
    final = tmp_path / "final.jpg"
    result = sign_image(
        SignRequest(
            source=edited,
            output=final,
            parent=capture,
            edits=(EditSpec(EditKind.EDIT, "Colour grade"),),
        ),
        dev_identity[0],
    )
    assert result.notes == ()
    manifest = _crjson(final)
    actions = manifest["assertions"]["c2pa.actions.v2"]
    assert actions["allActionsIncluded"] is False
    # The inception action comes first; the hand edit says it is one.
    assert actions["actions"][0]["action"] == "c2pa.opened"
    hand = [a for a in actions["actions"] if a["action"] == "c2pa.edited"]
    assert hand and hand[0]["digitalSourceType"].endswith("/humanEdits")
    report = verify_file(final, options)
    assert report.verdict is Verdict.TRUSTED
    assert report.all_actions_included is False
    assert not report.ai.edited  # humanEdits is not AI
    # The camera facts still come through the history from c2pa.metadata alone.
    assert report.capture is not None and report.capture.make == "BarCam"


def test_legacy_exif_is_opt_in(tmp_path: Path, dev_identity: tuple[Any, bytes]) -> None:
    out = tmp_path / "legacy.jpg"
    sign_image(
        SignRequest(source=write_photo(tmp_path, name="raw.jpg"), output=out, legacy_exif=True),
        dev_identity[0],
    )
    manifest = _crjson(out)
    assert manifest["assertions"]["stds.exif"]["tiff:Make"] == "BarCam"


def test_sidecar_leaves_the_image_bytes_and_verify_finds_it(
    tmp_path: Path, dev_identity: tuple[Any, bytes], options: VerifyOptions
) -> None:
    raw = write_photo(tmp_path, name="raw.jpg")
    before = raw.read_bytes()
    # Beside the input: no image is written at all.
    result = sign_image(
        SignRequest(source=raw, output=raw, sidecar=True, all_actions_included=True),
        dev_identity[0],
    )
    assert result.sidecar == tmp_path / "raw.jpg.c2pa" == sidecar_path(raw)
    assert raw.read_bytes() == before
    assert find_sidecar(raw) == result.sidecar
    report = verify_file(raw, options)
    assert report.verdict is Verdict.TRUSTED
    assert (report.sidecar, report.sidecar_found) == ("raw.jpg.c2pa", True)
    assert any("raw.jpg.c2pa" in s for s in report.statements)
    assert report.capture is not None and report.capture.make == "BarCam"
    # Without looking for it, the file has no credentials of its own.
    alone = verify_file(raw, VerifyOptions(trust_files=options.trust_files, find_sidecar=False))
    assert alone.verdict is Verdict.NO_CREDENTIALS
    # Beside an output: an exact copy of the image, and its sidecar.
    out = tmp_path / "out" / "delivered.jpg"
    out.parent.mkdir()
    sign_image(SignRequest(source=raw, output=out, sidecar=True), dev_identity[0])
    assert out.read_bytes() == before
    assert (out.parent / "delivered.jpg.c2pa").is_file()
    # An existing sidecar is not replaced without force.
    with pytest.raises(OutputExistsError):
        sign_image(SignRequest(source=raw, output=raw, sidecar=True), dev_identity[0])
    # Changed image bytes no longer match the sidecar's hard binding.
    tampered = tmp_path / "tampered.jpg"
    data = bytearray(before)
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    (tmp_path / "tampered.jpg.c2pa").write_bytes(result.sidecar.read_bytes())
    assert verify_file(tampered, options).verdict is Verdict.INVALID


def test_embedded_credentials_win_over_a_sidecar_beside(
    tmp_path: Path, dev_identity: tuple[Any, bytes], options: VerifyOptions
) -> None:
    signed = tmp_path / "signed.jpg"
    sign_image(
        SignRequest(source=write_photo(tmp_path, name="raw.jpg"), output=signed), dev_identity[0]
    )
    (tmp_path / "signed.jpg.c2pa").write_bytes(b"not a manifest store")
    report = verify_file(signed, options)
    assert report.verdict is Verdict.TRUSTED and report.sidecar is None


def test_cli_sign_sidecar_then_verify(identity_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    raw = write_photo(tmp_path, name="photo.jpg")
    before = raw.read_bytes()
    result = runner.invoke(app, ["sign", str(raw), "--sidecar", "--all-actions-included"])
    assert result.exit_code == 0, result.output
    assert "photo.jpg.c2pa" in result.output
    assert raw.read_bytes() == before
    result = runner.invoke(app, ["verify", str(raw), "--format", "json"])
    assert result.exit_code in (0, 10), result.output  # intact (trust is not the point here)
    data = json.loads(result.stdout)
    assert data["sidecar"] == "photo.jpg.c2pa" and data["sidecar_found"] is True
    assert data["all_actions_included"] is True
    text = runner.invoke(app, ["verify", str(raw)])
    assert "photo.jpg.c2pa" in text.output and "found beside the file" in text.output
    explicit = runner.invoke(
        app, ["verify", str(raw), "--sidecar", str(tmp_path / "photo.jpg.c2pa"), "--format", "json"]
    )
    assert json.loads(explicit.stdout)["sidecar_found"] is False
