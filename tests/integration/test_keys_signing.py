"""The real-CA path end to end: import a chain, sign, verify trusted; a failing key device."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provenance.errors import OperationError
from provenance.identity.keys import SigningAlgorithm, SigningIdentity
from provenance.sign import SignRequest, sign_image
from provenance_cli.app import app
from tests.pki import certs_to_pem, key_to_pem, make_pki

runner = CliRunner()


def test_good_chain_imports_signs_and_verifies_trusted(
    home: Path, photo: Path, tmp_path: Path
) -> None:
    pki = make_pki(tmp_path / "pki")
    result = runner.invoke(
        app,
        ["keys", "import", "--cert", str(pki.paths["chain"]), "--key", str(pki.paths["leaf_key"])],
    )
    assert result.exit_code == 0, result.stderr
    assert "Imported: Test Photographer (Test Studio)" in result.stderr

    out = tmp_path / "signed.jpg"
    result = runner.invoke(app, ["sign", str(photo), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert out.exists()

    result = runner.invoke(
        app, ["verify", str(out), "--trust", str(pki.paths["root"]), "--format", "json"]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    report = data[0] if isinstance(data, list) else data
    assert report["verdict"] == "trusted"
    assert report["signer"]["organization"] == "Test Studio"
    assert report["signer"]["trusted"] is True

    # Without the root, the same file is intact but nobody vouches for the signer.
    result = runner.invoke(app, ["verify", str(out), "--format", "json"])
    assert result.exit_code == 10


def test_failing_key_device_is_reported_as_itself(photo: Path, tmp_path: Path) -> None:
    pki = make_pki()

    def hsm_sign(data: bytes) -> bytes:
        raise RuntimeError("HSM offline")

    identity = SigningIdentity(
        chain_pem=certs_to_pem(pki.chain),
        algorithm=SigningAlgorithm.ES256,
        sign=hsm_sign,
        name="Test Photographer",
        organization="Test Studio",
    )
    out = tmp_path / "out" / "signed.jpg"
    out.parent.mkdir()
    with pytest.raises(OperationError, match="HSM offline") as caught:
        sign_image(SignRequest(source=photo, output=out), identity)
    assert "COSE" not in caught.value.message
    assert list(out.parent.iterdir()) == []


def test_external_signer_seam_signs(photo: Path, tmp_path: Path) -> None:
    """A key held elsewhere (here: a closure standing in for a KMS) signs through the seam."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    pki = make_pki()
    calls: list[int] = []

    def kms_sign(data: bytes) -> bytes:
        calls.append(len(data))
        return pki.leaf_key.sign(data, ec.ECDSA(hashes.SHA256()))

    identity = SigningIdentity(
        chain_pem=certs_to_pem(pki.chain), algorithm=SigningAlgorithm.ES256, sign=kms_sign
    )
    out = tmp_path / "signed.jpg"
    sign_image(SignRequest(source=photo, output=out), identity)
    assert out.exists() and calls


def test_wrong_passphrase_when_signing(identity_home: Path, photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "signed.jpg"
    result = runner.invoke(
        app,
        ["sign", str(photo), "-o", str(out)],
        env={"PROVENANCE_KEY_PASSPHRASE": "not the passphrase"},
    )
    assert result.exit_code == 1
    assert "passphrase is wrong" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "not the passphrase" not in result.stderr + result.stdout
    assert not out.exists()
    assert list(tmp_path.glob("*.partial")) == []


def test_key_pem_in_chain_file_is_explained(home: Path, tmp_path: Path) -> None:
    pki = make_pki()
    key_file = tmp_path / "k.pem"
    key_file.write_bytes(key_to_pem(pki.leaf_key))
    result = runner.invoke(app, ["keys", "import", "--cert", str(key_file), "--key", str(key_file)])
    assert result.exit_code == 1
    assert "private key, not a certificate" in result.stderr
