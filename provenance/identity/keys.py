"""Signing identities: a development identity, encrypted key storage, and the signer seam.

A *development identity* is a local root CA plus a signing certificate issued by
it, with the profile c2pa-rs accepts (DESIGN.md, "Signing certificates c2pa-rs
accepts").  The root's private key is discarded after issuing: nobody, not even
this machine, can mint another certificate under that root.

Keys are stored as PKCS#12 encrypted with AES-256-CBC under PBKDF2-HMAC-SHA256 at
:data:`KDF_ROUNDS` iterations (cryptography's default PKCS#8 encryption uses only
2,048), in files readable by their owner alone.  A key file others can read is
refused, as ssh does.

All signing goes through one function, :attr:`SigningIdentity.sign`; a key that
never leaves a device (KMS, HSM) plugs in there.

The real-CA path: :func:`create_csr` makes a key (stored encrypted as the *pending*
key) and a certificate signing request with the C2PA profile's extensions;
:func:`import_identity` takes the issued chain (paired with the pending key, a PEM
key or a PKCS#12 file), checks it against the C2PA certificate profile
(:func:`provenance.identity.chaincheck.check_chain`) *before* anything is stored, and stores
it the same way as a development identity.  :func:`check_identity` repeats the
checks on the current identity.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.config import check_secure, store_folder
from provenance.errors import CredentialError, KeyProblem, UnsafeStorage
from provenance.outputs import make_folder, write_home_file
from provenance.sanitize import certificate_name

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


#: PBKDF2 iterations for stored keys (OWASP 2023 guidance for PBKDF2-HMAC-SHA256).
KDF_ROUNDS = 600_000

KEY_FILE = "key.p12"

CHAIN_FILE = "chain.pem"

ROOT_FILE = "root.pem"

INFO_FILE = "identity.json"

PENDING_KEY_FILE = "pending_key.p12"

CSR_FILE = "request.csr.pem"

EMAIL_PROTECTION_OID = "1.3.6.1.5.5.7.3.4"


class SigningAlgorithm(StrEnum):
    """The COSE algorithms C2PA allows (C2PA 2.x, 13.2 "Digital signatures")."""

    ES256 = "es256"
    ES384 = "es384"
    ES512 = "es512"
    PS256 = "ps256"
    PS384 = "ps384"
    PS512 = "ps512"
    ED25519 = "ed25519"


class IdentityKind(StrEnum):
    """Where the stored identity came from."""

    DEVELOPMENT = "development"  # keys init: a local root nobody else trusts
    IMPORTED = "imported"  # keys import: a certificate issued by a real CA


@dataclass(frozen=True, slots=True)
class SigningIdentity:
    """What signing needs: the certificate chain (leaf first, no root) and a sign function.

    ``sign`` receives the bytes to be signed and returns the signature; any
    exception it raises is reported as itself, not as "COSE signature invalid".
    """

    chain_pem: bytes
    algorithm: SigningAlgorithm
    sign: Callable[[bytes], bytes]
    name: str | None = None
    organization: str | None = None


@dataclass(frozen=True, slots=True)
class IdentityInfo:
    """A stored identity as a person would describe it (no secrets)."""

    name: str | None
    organization: str | None
    issuer: str | None
    algorithm: str
    not_before: str
    not_after: str
    serial: str
    fingerprint_sha256: str
    root_certificate: Path | None
    certificate_chain: Path
    key_file: Path
    development: bool


def _no_identity() -> KeyProblem:
    return KeyProblem(
        "No signing identity is set up yet.",
        hint="Run: provenance keys init --name 'Your Name' --org 'Your Studio'",
    )


IDENTITY_FOLDER = "identity"


def identity_dir(home: Path) -> Path:
    """Where the current identity's files live under the home folder."""
    return home / IDENTITY_FOLDER


def _algorithm_for(key: PrivateKeyTypes) -> SigningAlgorithm:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {
            "secp256r1": SigningAlgorithm.ES256,
            "secp384r1": SigningAlgorithm.ES384,
            "secp521r1": SigningAlgorithm.ES512,
        }.get(key.curve.name, SigningAlgorithm.ES256)
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size >= 4096:
            return SigningAlgorithm.PS512
        if key.key_size >= 3072:
            return SigningAlgorithm.PS384
        return SigningAlgorithm.PS256
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return SigningAlgorithm.ED25519
    raise CredentialError(
        "This kind of key cannot sign Content Credentials.",
        hint="Use an EC P-256/384/521, RSA (2048 bits or more) or Ed25519 key.",
    )


def signer_function(key: PrivateKeyTypes, algorithm: SigningAlgorithm) -> Callable[[bytes], bytes]:
    """A sign(bytes) -> signature function for a private key held in memory."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    hash_for: dict[str, hashes.HashAlgorithm] = {
        "256": hashes.SHA256(),
        "384": hashes.SHA384(),
        "512": hashes.SHA512(),
    }
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign
    digest = hash_for[algorithm.value[2:]]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        ec_key = key
        return lambda data: ec_key.sign(data, ec.ECDSA(digest))
    if isinstance(key, rsa.RSAPrivateKey):
        rsa_key = key
        # C2PA (via COSE PS*) requires the PSS salt length to equal the hash length.
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        return lambda data: rsa_key.sign(data, pss, digest)
    raise CredentialError("This kind of key cannot sign Content Credentials.")


def _name(cn: str, org: str, email: str | None = None) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attrs = [
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
    ]
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


def issue_development_chain(
    name: str, organization: str, *, email: str | None = None, days: int = 825
) -> tuple[PrivateKeyTypes, x509.Certificate, x509.Certificate]:
    """Make a local root CA and a signing certificate for ``name`` at ``organization``.

    Returns (signing key, signing certificate, root certificate).  The leaf has
    the C2PA profile: v3, CA:FALSE, KeyUsage digitalSignature, EKU
    emailProtection, AKI and SKI; the Organization is what readers show.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    if not name.strip() or not organization.strip():
        raise CredentialError("A name and an organization are required.")
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{organization} development root", organization)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days + 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name, organization, email))
        .issuer_name(root_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
    )
    if email:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), False
        )
    leaf = builder.sign(root_key, hashes.SHA256())
    return leaf_key, leaf, root


def pem(*certs: x509.Certificate) -> bytes:
    """Certificates as one PEM bundle, in the order given."""
    from cryptography.hazmat.primitives import serialization

    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def encrypt_key(key: PrivateKeyTypes, passphrase: bytes) -> bytes:
    """PKCS#12 bytes with AES-256 and PBKDF2-SHA256 at KDF_ROUNDS (never the weak default).

    Only the key goes in.  The certificate chain is public and lives beside it in
    ``chain.pem``; PKCS#12 would encrypt a certificate bag under its own
    600,000-round key derivation, doubling the unlock time of every signing
    (0.15 s instead of 0.07 s) to protect nothing secret.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

    if not passphrase:
        raise KeyProblem(
            "A passphrase is required to protect the signing key.",
            hint="Set PROVENANCE_KEY_PASSPHRASE or type one when asked.",
        )
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )
    return pkcs12.serialize_key_and_certificates(b"provenance", key, None, None, encryption)  # type: ignore[arg-type]


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file: exactly 0600 from the start, whatever the umask, never through a link.

    Through :func:`provenance.outputs.write_home_file`: the temp file is created
    ``O_EXCL|O_NOFOLLOW`` under an unguessable name, so a file or symlink planted
    beside the key is neither adopted nor followed.
    """
    write_home_file(path, data, secret=True)


def write_public(path: Path, data: bytes) -> None:
    """Write a public file of the identity folder (chain, root, CSR): exactly 0644."""
    write_home_file(path, data)


def identity_folder(home: Path, *, create: bool = False) -> Path | None:
    """The identity folder, checked (owner, not writable by others) before use; None if missing."""
    try:
        return store_folder(home, IDENTITY_FOLDER, create=create)
    except UnsafeStorage as exc:
        raise KeyProblem(exc.message, hint=exc.hint) from exc


def check_key_permissions(path: Path) -> None:
    """Refuse a key file (and a home or identity folder) other users can read or change, as ssh does."""
    if os.name != "posix":
        return
    try:
        if path.parent.name == IDENTITY_FOLDER:
            identity_folder(path.parent.parent)
        check_secure(path, what="key file", secret=True)
    except UnsafeStorage as exc:
        raise KeyProblem(exc.message, hint=exc.hint) from exc


def decrypt_key(
    data: bytes, passphrase: bytes | bytearray
) -> tuple[PrivateKeyTypes, x509.Certificate | None]:
    """Open PKCS#12 bytes; a wrong passphrase is a clear :class:`KeyProblem`."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError as exc:
        raise KeyProblem(
            "The passphrase is wrong, or the key file is damaged.",
            hint="Check PROVENANCE_KEY_PASSPHRASE (or what you typed) and try again.",
        ) from exc
    if key is None:
        raise KeyProblem("The key file holds no private key.")
    return key, cert


def init_identity(
    home: Path,
    name: str,
    organization: str,
    passphrase: bytes,
    *,
    email: str | None = None,
    force: bool = False,
) -> IdentityInfo:
    """Create and store a development identity under ``home``.

    Refuses to replace an existing identity unless ``force``: a lost key means
    lost continuity for everything signed with it.
    """
    folder = identity_dir(home)
    if (folder / KEY_FILE).exists() and not force:
        raise KeyProblem(
            f"An identity already exists in {folder}.",
            hint="Use --force to replace it (back up the folder first), or set PROVENANCE_HOME.",
        )
    key, leaf, root = issue_development_chain(name, organization, email=email)
    blob = encrypt_key(key, passphrase)
    _store_identity(home, blob, [leaf], [root], IdentityKind.DEVELOPMENT)
    return describe_identity(home)


def read_chain(path: Path) -> list[x509.Certificate]:
    """Certificates from a PEM file, in file order."""
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CredentialError(
            f"{path} does not contain PEM certificates.",
            hint="Expect a file with BEGIN CERTIFICATE blocks.",
        ) from exc
    return certs


def describe_identity(home: Path) -> IdentityInfo:
    """The stored identity as readers will see it; needs no passphrase."""
    from provenance.identity.certprofile import describe_subject

    folder = identity_folder(home) or identity_dir(home)
    chain_path = folder / CHAIN_FILE
    if not chain_path.exists():
        raise _no_identity()
    leaf = read_chain(chain_path)[0]
    info: dict[str, object] = {}
    if (folder / INFO_FILE).exists():
        try:
            info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
    root = folder / ROOT_FILE
    facts = describe_subject(leaf)
    return IdentityInfo(
        name=facts["name"],
        organization=facts["organization"],
        issuer=facts["issuer"],
        algorithm=_algorithm_for_public(leaf).value,
        not_before=str(facts["not_before"]),
        not_after=str(facts["not_after"]),
        serial=str(facts["serial"]),
        fingerprint_sha256=str(facts["fingerprint_sha256"]),
        root_certificate=root if root.exists() else None,
        certificate_chain=chain_path,
        key_file=folder / KEY_FILE,
        development=info.get("kind") == "development",
    )


def _algorithm_for_public(cert: x509.Certificate) -> SigningAlgorithm:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    pub = cert.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return {
            "secp384r1": SigningAlgorithm.ES384,
            "secp521r1": SigningAlgorithm.ES512,
        }.get(pub.curve.name, SigningAlgorithm.ES256)
    if isinstance(pub, rsa.RSAPublicKey):
        return (
            SigningAlgorithm.PS512
            if pub.key_size >= 4096
            else SigningAlgorithm.PS384
            if pub.key_size >= 3072
            else SigningAlgorithm.PS256
        )
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return SigningAlgorithm.ED25519
    return SigningAlgorithm.ES256


def load_identity(home: Path, passphrase: bytes) -> SigningIdentity:
    """Unlock the stored identity for signing."""
    return prepare_unlock(home, passphrase)()


def prepare_unlock(home: Path, passphrase: bytes) -> Callable[[], SigningIdentity]:
    """Check the stored identity now; returns a function that unlocks it.

    A missing identity or an unsafe key file is reported at once, before any
    work.  The unlock itself (600,000 rounds of PBKDF2, ~0.07 s) is left to the
    caller's timing: cryptography holds the GIL while it derives the key, so it
    overlaps only work that runs without the GIL, such as decoding an image in
    another thread (:func:`provenance.sign.sign_image` calls it then).  A wrong
    passphrase is raised by the returned function.
    """
    folder = identity_dir(home)
    key_path = folder / KEY_FILE
    if not key_path.exists():
        raise _no_identity()
    check_key_permissions(key_path)
    data = key_path.read_bytes()
    unlocked: list[SigningIdentity] = []

    def unlock() -> SigningIdentity:
        if not unlocked:
            key, _ = decrypt_key(data, passphrase)
            unlocked.append(identity_from_key(key, read_chain(folder / CHAIN_FILE)))
        return unlocked[0]

    return unlock


def identity_from_key(key: PrivateKeyTypes, chain: list[x509.Certificate]) -> SigningIdentity:
    """A SigningIdentity for an in-memory key and its chain (leaf first)."""
    from cryptography.x509.oid import NameOID

    algorithm = _algorithm_for(key)
    leaf = chain[0]
    return SigningIdentity(
        chain_pem=pem(*chain),
        algorithm=algorithm,
        sign=signer_function(key, algorithm),
        name=certificate_name(leaf.subject, NameOID.COMMON_NAME),
        organization=certificate_name(leaf.subject, NameOID.ORGANIZATION_NAME),
    )


def ephemeral_identity(name: str, organization: str) -> tuple[SigningIdentity, bytes]:
    """A throw-away identity held in memory (for ``provenance demo``): (identity, root PEM)."""
    key, leaf, root = issue_development_chain(name, organization, days=30)
    return identity_from_key(key, [leaf]), pem(root)


# --------------------------------------------------------------------- storage


def _archive_existing(folder: Path) -> Path | None:
    """Move the current identity's files aside (never delete a key) and return where to."""
    present = [folder / n for n in (KEY_FILE, CHAIN_FILE, ROOT_FILE, INFO_FILE)]
    present = [p for p in present if p.exists()]
    if not present:
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup = make_folder(folder / f"replaced-{stamp}", mode=0o700)
    for path in present:
        os.replace(path, backup / path.name)
    return backup


def _store_identity(
    home: Path,
    key_blob: bytes,
    chain: list[x509.Certificate],
    roots: list[x509.Certificate],
    kind: IdentityKind,
) -> None:
    """Write an identity: encrypted key 0600, chain (leaf first), optional root, kind."""
    folder = identity_folder(home, create=True)
    assert folder is not None
    _archive_existing(folder)
    write_private(folder / KEY_FILE, key_blob)
    write_public(folder / CHAIN_FILE, pem(*chain))
    if roots:
        write_public(folder / ROOT_FILE, pem(*roots))
    from cryptography.x509.oid import NameOID

    leaf = chain[0]
    info = {
        "kind": kind.value,
        "name": certificate_name(leaf.subject, NameOID.COMMON_NAME),
        "organization": certificate_name(leaf.subject, NameOID.ORGANIZATION_NAME),
    }
    write_public(folder / INFO_FILE, (json.dumps(info, indent=2) + "\n").encode("utf-8"))


def _refuse_replacing(home: Path, force: bool) -> None:
    folder = identity_dir(home)
    if (folder / KEY_FILE).exists() and not force:
        raise KeyProblem(
            f"An identity already exists in {folder}.",
            hint="Use --force to replace it (the current one is moved to a replaced-* folder "
            "beside it, never deleted).",
        )


# --------------------------------------------------------------------- CSR (real CA path)
