"""The real-CA path, step one: a new key and a certificate signing request for it.

The key waits encrypted as ``pending_key.p12`` until ``keys import`` brings the
CA-issued chain (:mod:`provenance.identity.importing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.errors import CredentialError, KeyProblem
from provenance.identity.keys import (
    CSR_FILE,
    PENDING_KEY_FILE,
    SigningAlgorithm,
    _algorithm_for,
    _name,
    encrypt_key,
    identity_dir,
    identity_folder,
    write_private,
    write_public,
)
from provenance.sanitize import clean_text

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


@dataclass(frozen=True, slots=True)
class CsrInfo:
    """A certificate signing request waiting for a CA, and its stored pending key."""

    csr_path: Path
    pending_key: Path
    subject: str
    algorithm: SigningAlgorithm
    csr_pem: bytes


def generate_key(algorithm: SigningAlgorithm = SigningAlgorithm.ES256) -> PrivateKeyTypes:
    """A new private key of the kind that signs with ``algorithm``."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    curves: dict[SigningAlgorithm, ec.EllipticCurve] = {
        SigningAlgorithm.ES256: ec.SECP256R1(),
        SigningAlgorithm.ES384: ec.SECP384R1(),
        SigningAlgorithm.ES512: ec.SECP521R1(),
    }
    rsa_bits = {
        SigningAlgorithm.PS256: 2048,
        SigningAlgorithm.PS384: 3072,
        SigningAlgorithm.PS512: 4096,
    }
    if algorithm in curves:
        return ec.generate_private_key(curves[algorithm])
    if algorithm in rsa_bits:
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits[algorithm])
    return ed25519.Ed25519PrivateKey.generate()


def create_csr(
    home: Path,
    name: str,
    organization: str,
    passphrase: bytes,
    *,
    email: str | None = None,
    algorithm: SigningAlgorithm = SigningAlgorithm.ES256,
    force: bool = False,
) -> CsrInfo:
    """Make a key and a CSR for a C2PA signing certificate; store the key encrypted, pending.

    The request asks for what the C2PA certificate profile needs (KeyUsage
    digitalSignature critical, ExtendedKeyUsage emailProtection, BasicConstraints
    CA:FALSE); the CA decides what it really issues, so ``keys import`` checks again.
    The pending key waits in the identity folder until :func:`import_identity` pairs
    it with the issued certificate.  An earlier pending key is kept unless ``force``.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import ExtendedKeyUsageOID

    if not name.strip() or not organization.strip():
        raise CredentialError("A name and an organization are required.")
    folder = identity_dir(home)
    pending = folder / PENDING_KEY_FILE
    if pending.exists() and not force:
        raise KeyProblem(
            "A certificate request is already waiting for its certificate "
            f"(pending key {pending}).",
            hint="Import the issued certificate with 'provenance keys import --cert CHAIN.pem', "
            "or use --force to make a new request (the old pending key is lost).",
        )
    key = generate_key(algorithm)
    blob = encrypt_key(key, passphrase)
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(name, organization, email))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
    )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), False
        )
    digest = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    csr = builder.sign(key, digest)  # type: ignore[arg-type]
    csr_pem = csr.public_bytes(serialization.Encoding.PEM)
    identity_folder(home, create=True)
    write_private(pending, blob)
    csr_path = folder / CSR_FILE
    write_public(csr_path, csr_pem)
    return CsrInfo(
        csr_path=csr_path,
        pending_key=pending,
        subject=clean_text(csr.subject.rfc4514_string(), max_length=400) or "",
        algorithm=_algorithm_for(key),
        csr_pem=csr_pem,
    )


# --------------------------------------------------------------------- import
