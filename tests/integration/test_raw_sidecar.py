"""Camera RAW captures signed with ``--sidecar``: bytes untouched, credentials in RAW.c2pa.

Exercised on the hand-built RAW-like samples of every container :mod:`fixtures.raw`
makes (DNG, NEF, ARW, CR2, ORF, RW2, CR3, RAF); real camera files cannot be made
offline.  ``verify`` and ``check`` find each RAW's sidecar by its name.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures import raw as raw_fixtures
from fixtures.generate import write_photo
from provenance import media
from provenance.models import Verdict
from provenance.sign import SignRequest, sign_image
from provenance.verify import VerifyOptions, verify_file
from provenance_cli.app import app


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", raw_fixtures.FORMATS)
def test_raw_capture_signed_with_sidecar(
    tmp_path: Path, dev_identity, root_pem_file: Path, kind: str
) -> None:
    identity, _ = dev_identity
    raw_path = raw_fixtures.write_raw(tmp_path, kind)
    before = _digest(raw_path)
    result = sign_image(SignRequest(source=raw_path, output=raw_path, sidecar=True), identity)
    assert result.sidecar == tmp_path / f"{raw_path.name}.c2pa"
    assert _digest(raw_path) == before, "the RAW's bytes are never modified"
    assert result.capture is not None and result.capture.make == raw_fixtures.MAKES[kind]
    assert result.capture.location is None, "GPS stays out unless asked"

    # verify finds CAPTURE.<KIND>.c2pa by itself, and says so.
    options = VerifyOptions(trust_files=(root_pem_file,), use_trust_store=False)
    report = verify_file(raw_path, options)
    assert report.verdict is Verdict.TRUSTED
    assert report.format == media.sniff(raw_path.read_bytes()[:64], name=raw_path.name).mime  # type: ignore[union-attr]
    assert report.capture is not None
    assert (report.capture.make, report.capture.model) == (
        raw_fixtures.MAKES[kind],
        raw_fixtures.MODEL,
    )
    assert report.capture.lens == raw_fixtures.LENS
    assert report.capture.taken_at == "2026-11-02T07:15:30+02:00"
    assert report.sidecar == f"{raw_path.name}.c2pa"
    assert any("found beside the file" in s for s in report.statements)

    # One changed byte anywhere in the RAW (here: its sensor data at the end) is caught.
    data = bytearray(raw_path.read_bytes())
    data[-3] ^= 0x01
    raw_path.write_bytes(bytes(data))
    assert verify_file(raw_path, options).verdict is Verdict.INVALID


def test_raw_sidecar_keeps_location_only_when_asked(tmp_path: Path, dev_identity) -> None:
    identity, _ = dev_identity
    raw_path = raw_fixtures.write_raw(tmp_path, "cr3")
    result = sign_image(
        SignRequest(source=raw_path, output=raw_path, sidecar=True, keep_location=True), identity
    )
    assert result.capture is not None and result.capture.location is not None
    assert result.capture.location.latitude == pytest.approx(45.4408, abs=1e-3)


def test_cli_sign_verify_and_check_a_raw_folder(
    identity_home: Path, tmp_path: Path, dev_identity, root_pem_file: Path
) -> None:
    """`sign X.CR3 --sidecar`, `verify X.CR3`, and `check` on a folder of RAWs + sidecars + JPEG."""
    identity, _ = dev_identity
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    cr3 = raw_fixtures.write_raw(shoot, "cr3", name="IMG_0001.CR3")
    nef = raw_fixtures.write_raw(shoot, "nef", name="DSC_0002.NEF")
    unsigned_raw = raw_fixtures.write_raw(shoot, "arw", name="DSC_0003.ARW")
    # The camera's own JPEG of the first shot, beside its RAW with the same stem.
    jpeg = write_photo(shoot, name="IMG_0001.JPG", width=640, height=427)
    sign_image(SignRequest(source=jpeg, output=shoot / "IMG_0001-signed.jpg"), identity)
    before = _digest(cr3)

    runner = CliRunner()
    signed = runner.invoke(app, ["sign", str(cr3), "--sidecar"])
    assert signed.exit_code == 0, signed.output
    assert (shoot / "IMG_0001.CR3.c2pa").is_file()
    assert _digest(cr3) == before
    sign_image(SignRequest(source=nef, output=nef, sidecar=True), identity)

    home_root = identity_home / "identity" / "root.pem"  # the CLI signed with the home's identity
    verified = runner.invoke(app, ["verify", str(cr3), "--trust", str(home_root)])
    assert verified.exit_code == 0, verified.output

    refused = runner.invoke(app, ["sign", str(unsigned_raw), "-o", str(tmp_path / "x.arw")])
    assert refused.exit_code != 0
    assert "--sidecar" in refused.output

    policy = tmp_path / "house.toml"
    policy.write_text('require = "trusted"\n')
    csv_path = tmp_path / "out.csv"
    checked = runner.invoke(
        app,
        [
            "check",
            str(shoot),
            "--policy",
            str(policy),
            "--trust",
            str(root_pem_file),
            "--trust",
            str(home_root),
            "--csv",
            str(csv_path),
        ],
    )
    assert checked.exit_code == 20, checked.output
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = {Path(r["file"]).name: r for r in csv.DictReader(handle)}
    # Each RAW is paired with its sidecar; no sidecar is checked as a file of its own.
    assert set(rows) == {
        "IMG_0001.CR3",
        "DSC_0002.NEF",
        "DSC_0003.ARW",
        "IMG_0001.JPG",
        "IMG_0001-signed.jpg",
    }
    assert rows["IMG_0001.CR3"]["verdict"] == "trusted" and rows["IMG_0001.CR3"]["pass"] == "true"
    assert rows["DSC_0002.NEF"]["verdict"] == "trusted"
    assert rows["DSC_0003.ARW"]["verdict"] == "no_credentials"
    # The camera JPEG sharing the RAW's stem is not verified against the RAW's sidecar.
    assert rows["IMG_0001.JPG"]["verdict"] == "no_credentials"
    assert rows["IMG_0001-signed.jpg"]["verdict"] == "trusted"
