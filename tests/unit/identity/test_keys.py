"""Signing identities: encrypted storage, CSR, import with profile checks, identity check."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from provenance.errors import InputError, KeyProblem
from provenance.identity import csr, keys
from provenance.identity.check import check_identity
from provenance.identity.csr import create_csr
from provenance.identity.importing import ChainRejected, import_identity, load_private_key
from provenance.identity.keys import KDF_ROUNDS, SigningAlgorithm, init_identity, load_identity
from tests.pki import TestPKI, certs_to_pem, key_to_pem, make_ca, make_leaf, make_pki

PASS = b"correct horse battery staple"


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return make_pki()


def write_chain(folder: Path, certs: list[x509.Certificate], key: object) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    chain = folder / "chain.pem"
    chain.write_bytes(certs_to_pem(certs))
    key_file = folder / "key.pem"
    key_file.write_bytes(key_to_pem(key))
    return chain, key_file


def stored(home: Path) -> bool:
    return (keys.identity_dir(home) / keys.KEY_FILE).exists()


# ------------------------------------------------------------------ storage


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_init_stores_key_encrypted_and_owner_only(tmp_path: Path) -> None:
    info = init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS)
    key_file = info.key_file
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert keys.identity_dir(tmp_path).stat().st_mode & 0o777 == 0o700
    data = key_file.read_bytes()
    assert b"PRIVATE KEY" not in data
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, None)
    key, cert, _ = pkcs12.load_key_and_certificates(data, PASS)
    # Only the key is stored (and encrypted); the public chain is in chain.pem.
    assert key is not None and cert is None
    assert info.development and info.organization == "Doe Studio"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")
def test_key_file_uses_pbkdf2_sha256_aes256_600k(tmp_path: Path) -> None:
    info = init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS)
    out = subprocess.run(
        ["openssl", "pkcs12", "-info", "-noout", "-in", str(info.key_file), "-passin", "env:PW"],
        env={**os.environ, "PW": PASS.decode()},
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC" in out
    assert f"Iteration {KDF_ROUNDS}" in out
    # One slow derivation per unlock: no encrypted certificate bag beside the key.
    assert out.count(f"Iteration {KDF_ROUNDS}") == 1
    assert "PKCS7 Encrypted data" not in out
    assert "hmacWithSHA256" in out
    assert "MAC: sha256" in out


def test_wrong_passphrase_is_a_clear_key_problem(tmp_path: Path) -> None:
    init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS)
    with pytest.raises(KeyProblem, match="passphrase is wrong"):
        load_identity(tmp_path, b"not it")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_key_others_can_read_is_refused(tmp_path: Path) -> None:
    info = init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS)
    info.key_file.chmod(0o644)
    with pytest.raises(KeyProblem, match="read by other users") as caught:
        load_identity(tmp_path, PASS)
    assert "chmod 600" in (caught.value.hint or "")


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyProblem, match="passphrase is required"):
        init_identity(tmp_path, "Jane Doe", "Doe Studio", b"")
    assert not stored(tmp_path)


def test_init_twice_needs_force_and_keeps_the_old_key(tmp_path: Path) -> None:
    first = init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS)
    with pytest.raises(KeyProblem, match="already exists"):
        init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS)
    second = init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS, force=True)
    assert second.fingerprint_sha256 != first.fingerprint_sha256
    backups = list(keys.identity_dir(tmp_path).glob("replaced-*/key.p12"))
    assert len(backups) == 1


# ------------------------------------------------------------------ CSR


def test_csr_has_the_c2pa_extensions_and_a_pending_encrypted_key(tmp_path: Path) -> None:
    info = create_csr(tmp_path, "Jane Doe", "Doe Studio", PASS, email="jane@example.com")
    csr = x509.load_pem_x509_csr(info.csr_path.read_bytes())
    assert csr.is_signature_valid
    ku = csr.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE)
    assert ku.critical and ku.value.digital_signature  # type: ignore[attr-defined]
    eku = csr.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku.value  # type: ignore[operator]
    basic = csr.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    assert basic.value.ca is False  # type: ignore[attr-defined]
    assert "O=Doe Studio" in info.subject
    assert info.algorithm is SigningAlgorithm.ES256
    if os.name == "posix":
        assert info.pending_key.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" not in info.pending_key.read_bytes()
    with pytest.raises(KeyProblem, match="already waiting"):
        create_csr(tmp_path, "Jane Doe", "Doe Studio", PASS)


def test_csr_then_import_pairs_the_issued_certificate(tmp_path: Path, pki: TestPKI) -> None:
    info = create_csr(tmp_path / "home", "Jane Doe", "Doe Studio", PASS)
    csr = x509.load_pem_x509_csr(info.csr_path.read_bytes())
    # The "CA" issues a certificate for the request's key.
    leaf = make_leaf(pki.intermediate_cert, pki.intermediate_key)
    issued = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(pki.intermediate_cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(leaf.cert.not_valid_before_utc)
        .not_valid_after(leaf.cert.not_valid_after_utc)
    )
    for ext in leaf.cert.extensions:
        if ext.oid != ExtensionOID.SUBJECT_KEY_IDENTIFIER:
            issued = issued.add_extension(ext.value, ext.critical)
    from cryptography.hazmat.primitives import hashes

    cert = issued.sign(pki.intermediate_key, hashes.SHA256())
    chain = tmp_path / "issued.pem"
    chain.write_bytes(certs_to_pem([cert, pki.intermediate_cert]))
    result = import_identity(tmp_path / "home", PASS, cert_file=chain)
    assert result.used_pending_key
    assert not info.pending_key.exists()
    identity = load_identity(tmp_path / "home", PASS)
    assert identity.organization == "Doe Studio"
    assert not result.info.development


def test_import_without_key_or_pending_request(tmp_path: Path, pki: TestPKI) -> None:
    chain, _ = write_chain(tmp_path / "in", pki.chain, pki.leaf_key)
    with pytest.raises(KeyProblem, match="no certificate request"):
        import_identity(tmp_path / "home", PASS, cert_file=chain)


def test_pending_key_not_matching_the_certificate(tmp_path: Path, pki: TestPKI) -> None:
    create_csr(tmp_path / "home", "Jane Doe", "Doe Studio", PASS)
    chain, _ = write_chain(tmp_path / "in", pki.chain, pki.leaf_key)
    with pytest.raises(ChainRejected) as caught:
        import_identity(tmp_path / "home", PASS, cert_file=chain)
    assert "key_mismatch" in caught.value.check.codes
    assert (keys.identity_dir(tmp_path / "home") / keys.PENDING_KEY_FILE).exists()


# ------------------------------------------------------------------ import


def test_good_chain_imports(tmp_path: Path, pki: TestPKI) -> None:
    chain, key_file = write_chain(tmp_path / "in", pki.chain, pki.leaf_key)
    result = import_identity(tmp_path / "home", PASS, cert_file=chain, key_file=key_file)
    assert result.warnings == ()
    info = result.info
    assert info.organization == "Test Studio"
    assert info.root_certificate is None
    stored_chain = x509.load_pem_x509_certificates(info.certificate_chain.read_bytes())
    assert stored_chain == pki.chain
    if os.name == "posix":
        assert info.key_file.stat().st_mode & 0o777 == 0o600
    assert load_identity(tmp_path / "home", PASS).algorithm is SigningAlgorithm.ES256


def test_chain_order_is_fixed_and_root_kept_apart(tmp_path: Path, pki: TestPKI) -> None:
    certs = [pki.root_cert, pki.intermediate_cert, pki.leaf_cert]
    chain, key_file = write_chain(tmp_path / "in", certs, pki.leaf_key)
    result = import_identity(tmp_path / "home", PASS, cert_file=chain, key_file=key_file)
    codes = {w.code for w in result.warnings}
    assert {"chain_reordered", "root_included"} <= codes
    stored_chain = x509.load_pem_x509_certificates(result.info.certificate_chain.read_bytes())
    assert stored_chain == [pki.leaf_cert, pki.intermediate_cert]
    assert result.info.root_certificate is not None
    assert x509.load_pem_x509_certificates(result.info.root_certificate.read_bytes()) == [
        pki.root_cert
    ]


@pytest.mark.parametrize(
    ("kind", "code", "word"),
    [
        ("no_eku", "eku_missing", "usage"),
        ("doc_signing", "eku_unsuitable", "usage"),
        ("expired", "expired", "expired"),
        ("not_yet_valid", "not_yet_valid", "not yet valid"),
        ("ca", "ca_as_signer", "CA"),
        ("self_signed", "self_signed", "self-signed"),
        ("rsa1024", "weak_key", "weak"),
        ("no_key_usage", "key_usage", "key usage"),
        ("no_aki", "aki_missing", "authority key identifier"),
    ],
)
def test_bad_certificates_are_refused_and_nothing_stored(
    tmp_path: Path, pki: TestPKI, kind: str, code: str, word: str
) -> None:
    leaf = pki.make_leaf(kind)  # type: ignore[arg-type]
    chain, key_file = write_chain(tmp_path / "in", [leaf.cert, pki.intermediate_cert], leaf.key)
    home = tmp_path / "home"
    with pytest.raises(ChainRejected) as caught:
        import_identity(home, PASS, cert_file=chain, key_file=key_file)
    assert code in caught.value.check.codes
    assert word in caught.value.message
    assert not stored(home)


def test_key_not_matching_certificate(tmp_path: Path, pki: TestPKI) -> None:
    other = pki.make_leaf()
    chain, key_file = write_chain(tmp_path / "in", pki.chain, other.key)
    with pytest.raises(ChainRejected, match="does not match"):
        import_identity(tmp_path / "home", PASS, cert_file=chain, key_file=key_file)
    assert not stored(tmp_path / "home")


def test_encrypted_pem_key_asks_for_its_passphrase(tmp_path: Path, pki: TestPKI) -> None:
    chain, _ = write_chain(tmp_path / "in", pki.chain, pki.leaf_key)
    key_file = tmp_path / "in" / "enc.pem"
    key_file.write_bytes(
        pki.leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"import-pass"),
        )
    )
    asked: list[int] = []

    def ask() -> bytes:
        asked.append(1)
        return b"import-pass"

    import_identity(
        tmp_path / "home", PASS, cert_file=chain, key_file=key_file, ask_key_passphrase=ask
    )
    assert asked == [1]
    with pytest.raises(KeyProblem, match="passphrase of the private key is wrong"):
        load_private_key(key_file.read_bytes(), lambda: b"wrong")
    with pytest.raises(KeyProblem, match="no passphrase"):
        load_private_key(key_file.read_bytes(), None)


def test_plain_key_never_asks(pki: TestPKI) -> None:
    def ask() -> bytes:
        raise AssertionError("asked for a passphrase of an unencrypted key")

    load_private_key(pki.leaf_key_pem, ask)


def test_certificate_given_as_key_is_explained(pki: TestPKI) -> None:
    with pytest.raises(KeyProblem, match="holds a certificate"):
        load_private_key(pki.chain_pem, None)


def test_p12_import(tmp_path: Path, pki: TestPKI) -> None:
    p12 = tmp_path / "id.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"me",
            pki.leaf_key,
            pki.leaf_cert,
            [pki.intermediate_cert],
            serialization.BestAvailableEncryption(b"p12-pass"),
        )
    )
    with pytest.raises(KeyProblem, match="PKCS#12"):
        import_identity(tmp_path / "home", PASS, p12_file=p12, ask_key_passphrase=lambda: b"no")
    result = import_identity(
        tmp_path / "home", PASS, p12_file=p12, ask_key_passphrase=lambda: b"p12-pass"
    )
    assert result.info.name == "Test Photographer"
    stored_chain = x509.load_pem_x509_certificates(result.info.certificate_chain.read_bytes())
    assert stored_chain == pki.chain


def test_import_over_an_identity_needs_force(tmp_path: Path, pki: TestPKI) -> None:
    home = tmp_path / "home"
    init_identity(home, "Jane Doe", "Doe Studio", PASS)
    chain, key_file = write_chain(tmp_path / "in", pki.chain, pki.leaf_key)
    with pytest.raises(KeyProblem, match="already exists"):
        import_identity(home, PASS, cert_file=chain, key_file=key_file)
    import_identity(home, PASS, cert_file=chain, key_file=key_file, force=True)
    assert len(list(keys.identity_dir(home).glob("replaced-*/key.p12"))) == 1
    # The development root of the replaced identity is not left as the current root.
    assert not (keys.identity_dir(home) / keys.ROOT_FILE).exists()


def test_import_argument_errors(tmp_path: Path, pki: TestPKI) -> None:
    with pytest.raises(InputError):
        import_identity(tmp_path, PASS)
    with pytest.raises(InputError, match="does not exist"):
        import_identity(tmp_path, PASS, cert_file=tmp_path / "nope.pem", key_file=tmp_path / "k")


# ------------------------------------------------------------------ check


def test_check_development_identity(tmp_path: Path) -> None:
    init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS)
    result = check_identity(tmp_path, PASS)
    assert result.ok and result.key_checked
    assert result.days_left is not None and result.days_left > 800
    assert "development_identity" in {f.code for f in result.findings}
    assert not check_identity(tmp_path).key_checked


def test_check_reports_expiring_and_expired(tmp_path: Path, pki: TestPKI) -> None:
    leaf = pki.make_leaf("expires_soon")
    chain, key_file = write_chain(tmp_path / "in", [leaf.cert, pki.intermediate_cert], leaf.key)
    import_identity(tmp_path / "home", PASS, cert_file=chain, key_file=key_file)
    soon = check_identity(tmp_path / "home", PASS)
    assert soon.ok and soon.days_left is not None and soon.days_left < 11
    assert "expires_soon" in {f.code for f in soon.findings}
    later = check_identity(tmp_path / "home", now=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    assert not later.ok
    assert "expired" in {f.code for f in later.findings}


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_check_flags_readable_key(tmp_path: Path) -> None:
    info = init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS)
    info.key_file.chmod(0o640)
    result = check_identity(tmp_path, PASS)
    assert not result.ok
    assert "key_permissions" in {f.code for f in result.findings}


def test_all_csr_algorithms_make_matching_keys() -> None:
    for alg in (SigningAlgorithm.ES384, SigningAlgorithm.ES512, SigningAlgorithm.ED25519):
        assert keys._algorithm_for(csr.generate_key(alg)) is alg


def test_make_ca_can_be_expired() -> None:
    cert, _ = make_ca(now=dt.datetime.now(dt.UTC) - dt.timedelta(days=4000), days=365)
    assert cert.not_valid_after_utc < dt.datetime.now(dt.UTC)


def test_prepare_unlock_checks_now_and_unlocks_on_call(tmp_path: Path) -> None:
    """A missing identity is reported before any work; a wrong passphrase only
    when the key is needed (sign_image calls it while the photo decodes)."""
    from provenance.identity.keys import prepare_unlock

    with pytest.raises(KeyProblem, match="No signing identity"):
        prepare_unlock(tmp_path, PASS)
    init_identity(tmp_path, "Jane Doe", "Doe Studio", PASS)
    wrong = prepare_unlock(tmp_path, b"not it")
    with pytest.raises(KeyProblem, match="passphrase is wrong"):
        wrong()
    unlock = prepare_unlock(tmp_path, PASS)
    identity = unlock()
    assert identity is unlock()  # unlocked once
    assert identity.organization == "Doe Studio"


def test_certificate_names_come_out_as_inert_text() -> None:
    # A certificate from e-mail may carry terminal escapes or bidi overrides in its names.
    key, leaf, _ = keys.issue_development_chain("Eve\x1b[2J\u202eevil", "Org\x07\nLtd", days=5)
    identity = keys.identity_from_key(key, [leaf])
    assert identity.name == "Eveevil"  # the whole escape sequence and the override go
    assert identity.organization == "Org Ltd"
