"""Faults while signing: the input is never touched, and no partial file is left at the output.

Every write step of provenance.sign.orchestrator.write_signed is made to fail with the errors a
real disk gives (ENOSPC, EIO, EACCES, EROFS).  After each: the input's bytes are
unchanged, nothing exists at the output path (or the previous file is intact), no
temporary ``.partial`` file is left behind, and the error is our own type.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest

from fixtures.generate import write_photo
from provenance import outputs
from provenance.errors import InputError, OperationError, OutputExistsError, ProvenanceError
from provenance.models import Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file

ERRNOS = [errno.ENOSPC, errno.EIO, errno.EACCES, errno.EROFS]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def source_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("src")
    return write_photo(folder, "jpeg", width=640, height=427).read_bytes()


@pytest.fixture()
def source(tmp_path: Path, source_bytes: bytes) -> Path:
    path = tmp_path / "in.jpg"
    path.write_bytes(source_bytes)
    return path


def _oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


def _fail_open(code: int) -> Any:
    def fake_open(path: Any, mode: int) -> int:
        raise _oserror(code)

    return fake_open


def _fail_write_midway(code: int) -> Any:
    """Wrap sign_asset so c2pa writes part of the output and then the disk fails."""
    from provenance import _c2pa

    real = _c2pa.sign_asset

    def fake(definition: Any, mime: str, source: Any, dest: Any, *args: Any, **kw: Any) -> None:
        buffer = io.BytesIO()
        real(definition, mime, source, buffer, *args, **kw)
        dest.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise _oserror(code)

    return fake


def _fail_stream_midway(code: int) -> Any:
    """The same for the streaming JPEG signer (provenance._c2pa.sign_stream)."""
    from provenance import _c2pa

    real = _c2pa.sign_stream

    def fake(definition: Any, mime: str, source: Any, dest: Any, *args: Any, **kw: Any) -> None:
        buffer = io.BytesIO()
        real(definition, mime, source, buffer, *args, **kw)
        dest.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise _oserror(code)

    return fake


STEPS = ["open", "write", "fsync", "replace", "fsync_dir"]


@pytest.mark.parametrize("code", ERRNOS, ids=[errno.errorcode[c] for c in ERRNOS])
@pytest.mark.parametrize("step", STEPS)
def test_fault_at_each_write_step(
    tmp_path: Path,
    source: Path,
    dev_identity,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
    code: int,
) -> None:
    from provenance import _c2pa

    identity, _ = dev_identity
    output = tmp_path / "out.jpg"
    before = _sha(source)

    def raise_it(*args: Any, **kwargs: Any) -> None:
        raise _oserror(code)

    if step == "open":
        monkeypatch.setattr(outputs, "_open_temp", _fail_open(code))
    elif step == "write":
        monkeypatch.setattr(_c2pa, "sign_asset", _fail_write_midway(code))
        monkeypatch.setattr(_c2pa, "sign_stream", _fail_stream_midway(code))
    elif step == "fsync":
        monkeypatch.setattr(outputs.os, "fsync", raise_it)
    elif step == "replace":
        monkeypatch.setattr(outputs, "_move_noreplace", raise_it)
    elif step == "fsync_dir":
        monkeypatch.setattr(outputs, "fsync_folder", raise_it)

    with pytest.raises(ProvenanceError) as info:
        sign_image(SignRequest(source=source, output=output), identity)
    assert isinstance(info.value, OperationError)
    assert os.strerror(code) in info.value.message or "write" in info.value.message.lower()
    monkeypatch.undo()
    assert _sha(source) == before, "the input must never change"
    assert _leftovers(tmp_path) == []
    if output.exists():
        # Only possible when the failure came after the atomic replace: complete and verifying.
        assert step == "fsync_dir"
        assert verify_file(output, VerifyOptions(use_trust_store=False)).verdict is (
            Verdict.VALID_UNTRUSTED
        )


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_fault_with_force_keeps_previous_output(
    tmp_path: Path, source: Path, dev_identity, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    from provenance import _c2pa

    identity, _ = dev_identity
    output = tmp_path / "out.jpg"
    output.write_bytes(b"previous deliverable")

    def raise_it(*args: Any, **kwargs: Any) -> None:
        raise _oserror(errno.ENOSPC)

    if step == "write":
        monkeypatch.setattr(_c2pa, "sign_asset", _fail_write_midway(errno.ENOSPC))
        monkeypatch.setattr(_c2pa, "sign_stream", _fail_stream_midway(errno.ENOSPC))
    else:
        monkeypatch.setattr(outputs.os, step, raise_it)
    with pytest.raises(OperationError):
        sign_image(SignRequest(source=source, output=output, force=True), identity)
    assert output.read_bytes() == b"previous deliverable"
    assert _leftovers(tmp_path) == []


def test_signing_onto_input_is_refused(tmp_path: Path, source: Path, dev_identity) -> None:
    identity, _ = dev_identity
    before = _sha(source)
    for force in (False, True):
        with pytest.raises(InputError):
            sign_image(SignRequest(source=source, output=source, force=force), identity)
    link = tmp_path / "link.jpg"
    link.symlink_to(source)
    with pytest.raises(InputError):
        sign_image(SignRequest(source=source, output=link, force=True), identity)
    assert _sha(source) == before


def test_existing_output_needs_force(tmp_path: Path, source: Path, dev_identity) -> None:
    identity, _ = dev_identity
    output = tmp_path / "out.jpg"
    output.write_bytes(b"keep me")
    with pytest.raises(OutputExistsError):
        sign_image(SignRequest(source=source, output=output), identity)
    assert output.read_bytes() == b"keep me"
    sign_image(SignRequest(source=source, output=output, force=True), identity)
    assert verify_file(output, VerifyOptions(use_trust_store=False)).verdict is (
        Verdict.VALID_UNTRUSTED
    )


def test_read_only_folder_is_refused_cleanly(tmp_path: Path, source: Path, dev_identity) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions; EACCES is injected in the step tests")
    identity, _ = dev_identity
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises((InputError, OperationError)):
            sign_image(SignRequest(source=source, output=folder / "out.jpg"), identity)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("mode", ["error", "reject"])
def test_failing_tsa_leaves_nothing(tmp_path: Path, source: Path, dev_identity, mode: str) -> None:
    from tests.tsa_server import TimestampAuthority

    identity, _ = dev_identity
    before = _sha(source)
    outputs = [tmp_path / f"out{i}.jpg" for i in range(3)]
    with TimestampAuthority(mode=mode) as tsa:  # type: ignore[arg-type]
        for output in outputs:
            with pytest.raises(OperationError):
                sign_image(SignRequest(source=source, output=output, tsa_url=tsa.url), identity)
    assert not any(o.exists() for o in outputs)
    assert _leftovers(tmp_path) == []
    assert _sha(source) == before


def test_tsa_dies_mid_batch(tmp_path: Path, source: Path, dev_identity) -> None:
    """Files signed before the TSA failed are complete; the rest are absent, not partial."""
    from tests.tsa_server import TimestampAuthority

    identity, _ = dev_identity
    done: list[Path] = []
    failed: list[Path] = []
    with TimestampAuthority() as tsa:
        for i in range(4):
            output = tmp_path / f"out{i}.jpg"
            if i == 2:
                tsa.mode = "error"  # type: ignore[attr-defined]
            try:
                sign_image(SignRequest(source=source, output=output, tsa_url=tsa.url), identity)
                done.append(output)
            except OperationError:
                failed.append(output)
    assert done and failed
    for output in done:
        assert verify_file(output, VerifyOptions(use_trust_store=False)).verdict is not (
            Verdict.INVALID
        )
    assert not any(o.exists() for o in failed)
    assert _leftovers(tmp_path) == []
