"""``provenance keys``: init, csr, import, check, show — through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from provenance_cli.app import app
from tests.pki import TestPKI, certs_to_pem, key_to_pem, make_pki

runner = CliRunner()


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return make_pki()


def _import(tmp_path: Path, certs: list[object], key: object, *extra: str) -> Any:
    chain = tmp_path / "chain_in.pem"
    chain.write_bytes(certs_to_pem(certs))  # type: ignore[arg-type]
    key_file = tmp_path / "key_in.pem"
    key_file.write_bytes(key_to_pem(key))
    args = ["keys", "import", "--cert", str(chain), "--key", str(key_file), *extra]
    return runner.invoke(app, args)


def test_init_makes_encrypted_owner_only_key(home: Path) -> None:
    result = runner.invoke(app, ["keys", "init", "--name", "Jane Doe", "--org", "Doe Studio"])
    assert result.exit_code == 0, result.stderr
    key_file = home / "identity" / "key.p12"
    assert b"PRIVATE KEY" not in key_file.read_bytes()
    if os.name == "posix":
        assert key_file.stat().st_mode & 0o777 == 0o600
    assert "trust add" in result.stderr


def test_init_without_passphrase_fails_cleanly(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROVENANCE_KEY_PASSPHRASE")
    result = runner.invoke(app, ["keys", "init", "--name", "Jane Doe", "--org", "Doe Studio"])
    assert result.exit_code == 1
    assert "PROVENANCE_KEY_PASSPHRASE" in result.stderr
    assert not (home / "identity" / "key.p12").exists()


@pytest.mark.parametrize(
    ("kind", "word"),
    [
        ("no_eku", "usage"),
        ("expired", "expired"),
        ("not_yet_valid", "not yet valid"),
        ("ca", "CA"),
        ("self_signed", "self-signed"),
        ("rsa1024", "2048"),
    ],
)
def test_import_bad_certificate_names_the_problem(
    home: Path, tmp_path: Path, pki: TestPKI, kind: str, word: str
) -> None:
    leaf = pki.make_leaf(kind)  # type: ignore[arg-type]
    result = _import(tmp_path, [leaf.cert, pki.intermediate_cert], leaf.key)
    assert result.exit_code == 1
    stderr = result.stderr
    assert word in stderr
    assert "nothing was stored" in stderr
    assert "fix:" in stderr
    assert "Traceback" not in stderr
    assert not (home / "identity" / "key.p12").exists()


def test_import_good_chain_then_show_and_check(home: Path, tmp_path: Path, pki: TestPKI) -> None:
    result = _import(tmp_path, [pki.intermediate_cert, pki.leaf_cert, pki.root_cert], pki.leaf_key)
    assert result.exit_code == 0, result.stderr
    assert "reordered" in result.stderr

    result = runner.invoke(app, ["keys", "show", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["organization"] == "Test Studio"
    assert Path(data["certificate_chain"]).exists()
    assert Path(data["root_certificate"]).exists()
    assert data["not_after"]
    assert data["development"] is False

    result = runner.invoke(app, ["keys", "show"])
    assert "signed by Test Studio (Test Photographer)" in result.stdout

    result = runner.invoke(app, ["keys", "check"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "days left" in result.stdout
    assert "OK" in result.stdout

    result = runner.invoke(app, ["keys", "check", "--format", "json"])
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["key_checked"] is True and data["days_left"] > 300


def test_check_fails_on_readable_key(identity_home: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    (identity_home / "identity" / "key.p12").chmod(0o644)
    result = runner.invoke(app, ["keys", "check"])
    assert result.exit_code == 1
    assert "chmod 600" in result.stderr


def test_check_without_identity(home: Path) -> None:
    result = runner.invoke(app, ["keys", "check"])
    assert result.exit_code == 1
    assert "keys init" in result.stderr


def test_import_encrypted_key_uses_env_passphrase(
    home: Path, tmp_path: Path, pki: TestPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives import serialization

    chain = tmp_path / "chain.pem"
    chain.write_bytes(pki.chain_pem)
    key_file = tmp_path / "enc.pem"
    key_file.write_bytes(
        pki.leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"import me"),
        )
    )
    args = ["keys", "import", "--cert", str(chain), "--key", str(key_file)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "PROVENANCE_IMPORT_KEY_PASSPHRASE" in result.stderr
    monkeypatch.setenv("PROVENANCE_IMPORT_KEY_PASSPHRASE", "wrong")
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "passphrase" in result.stderr
    monkeypatch.setenv("PROVENANCE_IMPORT_KEY_PASSPHRASE", "import me")
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr


def test_csr_then_import_without_key(home: Path, tmp_path: Path, pki: TestPKI) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    out = tmp_path / "req.pem"
    result = runner.invoke(
        app, ["keys", "csr", "--name", "Jane Doe", "--org", "Doe Studio", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert "keys import --cert" in result.stderr
    csr = x509.load_pem_x509_csr(out.read_bytes())
    template = pki.leaf_cert
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(pki.intermediate_cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(template.not_valid_before_utc)
        .not_valid_after(template.not_valid_after_utc)
    )
    for ext in template.extensions:
        builder = (
            builder.add_extension(ext.value, ext.critical)
            if ext.oid.dotted_string != "2.5.29.14"
            else builder
        )
    cert = builder.sign(pki.intermediate_key, hashes.SHA256())
    chain = tmp_path / "issued.pem"
    chain.write_bytes(certs_to_pem([cert, pki.intermediate_cert]))
    result = runner.invoke(app, ["keys", "import", "--cert", str(chain)])
    assert result.exit_code == 0, result.stderr
    assert "Jane Doe (Doe Studio)" in result.stderr


def test_csr_rejects_unknown_algorithm(home: Path) -> None:
    result = runner.invoke(app, ["keys", "csr", "--name", "J", "--org", "O", "--algorithm", "dsa"])
    assert result.exit_code == 1
    assert "es256" in result.stderr


def test_import_needs_a_certificate(home: Path) -> None:
    result = runner.invoke(app, ["keys", "import"])
    assert result.exit_code == 2


def test_csr_and_import_report_json_for_scripts(home: Path, tmp_path: Path, pki: TestPKI) -> None:
    result = runner.invoke(
        app, ["keys", "csr", "--name", "Jane Doe", "--org", "Doe Studio", "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["algorithm"] == "es256"
    assert data["subject"] == "O=Doe Studio,CN=Jane Doe"  # RFC 4514: last RDN first
    assert data["csr_pem"].startswith("-----BEGIN CERTIFICATE REQUEST-----")
    assert Path(data["csr_path"]).exists() and Path(data["pending_key"]).exists()
    assert data["csr_copy"] is None

    result = _import(
        tmp_path, [pki.leaf_cert, pki.intermediate_cert], pki.leaf_key, "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["imported"] is True
    assert data["identity"]["organization"] == "Test Studio"
    assert Path(data["identity"]["certificate_chain"]).exists()
    assert isinstance(data["findings"], list)


def test_import_rejection_in_json(home: Path, tmp_path: Path, pki: TestPKI) -> None:
    leaf = pki.make_leaf("expired")
    result = _import(tmp_path, [leaf.cert, pki.intermediate_cert], leaf.key, "-f", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["imported"] is False
    assert any(f["severity"] == "error" and "expired" in f["message"] for f in data["findings"])
    assert not (home / "identity" / "key.p12").exists()


@pytest.mark.parametrize("command", [["show"], ["check"], ["csr", "--name", "J", "--org", "O"]])
def test_unknown_format_is_a_usage_error(home: Path, command: list[str]) -> None:
    result = runner.invoke(app, ["keys", *command, "--format", "xml"])
    assert result.exit_code == 2
    assert "unknown format 'xml'" in result.stderr
