"""Real sign → verify round trips in temporary folders (no network, no shared state)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fixtures.generate import write_photo, write_random
from provenance.models import Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file


def _options(root: Path | None) -> VerifyOptions:
    return VerifyOptions(trust_files=(root,) if root else (), use_trust_store=False)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "tiff"])
def test_round_trip_each_format(
    tmp_path: Path, dev_identity, root_pem_file: Path, fmt: str
) -> None:
    identity, _ = dev_identity
    source = write_photo(tmp_path, fmt, width=800, height=533)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    output = tmp_path / f"signed{source.suffix}"
    result = sign_image(SignRequest(source=source, output=output), identity)
    assert result.output == output
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before, "input must never change"

    stranger = verify_file(output, _options(None))
    assert stranger.verdict is Verdict.VALID_UNTRUSTED
    assert stranger.signer is not None
    assert stranger.signer.organization == "Test Studio"
    assert stranger.signer.trusted is False
    assert stranger.capture is not None
    assert (stranger.capture.make, stranger.capture.model) == ("BarCam", "BC-1")
    assert stranger.capture.source == "digitalCapture"
    assert stranger.capture.location is None

    trusted = verify_file(output, _options(root_pem_file))
    assert trusted.verdict is Verdict.TRUSTED
    assert trusted.signer is not None and trusted.signer.trusted


def test_changed_pixel_data_is_invalid(tmp_path: Path, dev_identity, root_pem_file: Path) -> None:
    identity, _ = dev_identity
    source = write_photo(tmp_path, "jpeg")
    output = tmp_path / "signed.jpg"
    sign_image(SignRequest(source=source, output=output), identity)
    data = bytearray(output.read_bytes())
    data[-200] ^= 0x01  # one changed byte in the entropy-coded image data
    tampered = tmp_path / "tampered.jpg"
    tampered.write_bytes(bytes(data))
    report = verify_file(tampered, _options(root_pem_file))
    assert report.verdict is Verdict.INVALID
    assert any(p.code == "assertion.dataHash.mismatch" for p in report.problems)
    assert all(p.explanation and p.code not in p.explanation for p in report.problems)


def test_unsigned_and_random_files(tmp_path: Path) -> None:
    unsigned = write_photo(tmp_path, "jpeg")
    assert verify_file(unsigned, _options(None)).verdict is Verdict.NO_CREDENTIALS
    random_file = write_random(tmp_path)
    assert verify_file(random_file, _options(None)).verdict in (Verdict.UNREADABLE, Verdict.INVALID)
    missing = verify_file(tmp_path / "nope.jpg", _options(None))
    assert missing.verdict is Verdict.UNREADABLE


def test_refuses_to_overwrite_without_force_and_never_onto_input(
    tmp_path: Path, dev_identity
) -> None:
    from provenance.errors import InputError, OutputExistsError

    identity, _ = dev_identity
    source = write_photo(tmp_path, "jpeg")
    output = tmp_path / "out.jpg"
    output.write_bytes(b"precious")
    with pytest.raises(OutputExistsError):
        sign_image(SignRequest(source=source, output=output), identity)
    assert output.read_bytes() == b"precious"
    with pytest.raises(InputError, match="is the input file"):
        sign_image(SignRequest(source=source, output=source, force=True), identity)
    sign_image(SignRequest(source=source, output=output, force=True), identity)
    assert verify_file(output, _options(None)).verdict is Verdict.VALID_UNTRUSTED
    assert not list(tmp_path.glob("*.partial"))


def test_resigning_keeps_history(tmp_path: Path, dev_identity) -> None:
    identity, _ = dev_identity
    source = write_photo(tmp_path, "jpeg")
    first = tmp_path / "first.jpg"
    sign_image(SignRequest(source=source, output=first), identity)
    second = tmp_path / "second.jpg"
    sign_image(SignRequest(source=first, output=second, parent=first), identity)
    report = verify_file(second, _options(None))
    assert report.verdict is Verdict.VALID_UNTRUSTED
    assert len(report.history) == 1
    assert report.history[0].relationship == "parentOf"
    assert report.history[0].capture is not None
    assert report.history[0].capture.make == "BarCam"


def test_verify_bytes_gives_the_same_report_as_verify_file(
    tmp_path: Path, dev_identity, root_pem_file: Path
) -> None:
    """The in-memory seam (the fuzzer's) is verify_file on the same bytes, tampered or not."""
    from provenance.verify import verify_bytes

    identity, _ = dev_identity
    source = write_photo(tmp_path, "jpeg", width=200, height=150)
    output = tmp_path / "signed.jpg"
    sign_image(SignRequest(source=source, output=output), identity)
    tampered = tmp_path / "tampered.jpg"
    data = bytearray(output.read_bytes())
    data[-200] ^= 0x01
    tampered.write_bytes(bytes(data))
    for path in (output, tampered, source):
        on_disk = verify_file(path, _options(root_pem_file))
        in_memory = verify_bytes(path.read_bytes(), str(path), _options(root_pem_file))
        assert in_memory == on_disk
    small = verify_bytes(b"\xff\xd8" + b"\0" * 100, "x.jpg", VerifyOptions(max_bytes=50))
    assert small.verdict is Verdict.UNREADABLE
    assert small.problems[0].code == "provenance.tooLarge"


@pytest.mark.parametrize(
    ("fmt", "mime", "marker"),
    [
        ("jpeg", "image/jpeg", b"\xff\xeb"),  # APP11 (C2PA 2.x, A.3.1)
        ("png", "image/png", b"caBX"),  # the C2PA chunk (C2PA 2.x, A.3.2)
    ],
)
def test_jpeg_and_png_are_signed_streaming_and_keep_every_source_byte(
    tmp_path: Path,
    dev_identity,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    mime: str,
    marker: bytes,
) -> None:
    """A JPEG/PNG is signed by the streaming data-hash path (not Builder.sign): the output
    is the source with the manifest inserted (after APP0/APP1, after IHDR), nothing else."""
    from provenance import _c2pa, media

    if not _c2pa.can_stream_sign(mime):
        pytest.skip("this c2pa build has no data-hashed signing calls")
    identity, _ = dev_identity
    source = write_photo(tmp_path, fmt, width=320, height=200)
    original = source.read_bytes()
    if fmt == "jpeg":
        original += b"trailing bytes after EOI" * 100
    source.write_bytes(original)

    def no_builder_sign(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("Builder.sign must not be used for a plain JPEG")

    monkeypatch.setattr(_c2pa, "sign_asset", no_builder_sign)
    output = tmp_path / f"signed{source.suffix}"
    sign_image(SignRequest(source=source, output=output), identity)
    report = verify_file(output, _options(None))
    assert report.verdict is Verdict.VALID_UNTRUSTED
    assert report.capture is not None and report.capture.make == "BarCam"
    with open(source, "rb") as stream:
        offset = media.manifest_offset(stream, mime)
    assert offset is not None and offset > 2
    signed = output.read_bytes()
    inserted = len(signed) - len(original)
    assert signed[:offset] + signed[offset + inserted :] == original
    assert marker in signed[offset : offset + 8]


def test_source_changed_while_signing_is_refused(
    tmp_path: Path, dev_identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signing reads the source again; if it is not the file measured, nothing is written."""
    from provenance import media
    from provenance.errors import InputError

    identity, _ = dev_identity
    source = write_photo(tmp_path, "jpeg", width=320, height=200)
    real = media.make_thumbnail

    def thumbnail_then_change(*args: object, **kwargs: object) -> bytes:
        with open(source, "ab") as stream:
            stream.write(b"appended by someone else")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(media, "make_thumbnail", thumbnail_then_change)
    output = tmp_path / "signed.jpg"
    with pytest.raises(InputError, match="changed while it was being signed"):
        sign_image(SignRequest(source=source, output=output), identity)
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_has_own_credentials_is_not_fooled_by_c2pa_bytes_in_image_data(
    tmp_path: Path, dev_identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 4 bytes "c2pa" turn up in random image data (about one 500 MB file in nine);
    they must not make signing parse the file (c2pa's reader holds a whole copy)."""
    from provenance import _c2pa, media
    from provenance.sign.resign import has_own_credentials

    identity, _ = dev_identity
    source = write_photo(tmp_path, "jpeg", width=200, height=150)
    source.write_bytes(source.read_bytes() + b"..c2pa.." * 8)
    signed = tmp_path / "signed.jpg"
    sign_image(SignRequest(source=source, output=signed), identity)
    kind = media.sniff(source.read_bytes()[:64], name=source.name)
    assert kind is not None
    assert has_own_credentials(signed, signed.read_bytes(), kind)

    def no_reader(*args: object, **kwargs: object) -> None:
        raise AssertionError("no parse for a file without a manifest store")

    monkeypatch.setattr(_c2pa, "read_credentials", no_reader)
    assert not has_own_credentials(source, source.read_bytes(), kind)
