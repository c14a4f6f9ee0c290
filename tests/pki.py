"""A throw-away test PKI built with ``cryptography``: root CA, intermediate CA, signers.

Nothing here touches the network or the user's files.  :func:`make_pki` builds a
root -> intermediate -> leaf chain whose leaf passes the C2PA certificate profile
that c2pa-rs accepts (v3, CA:FALSE, KeyUsage digitalSignature, EKU emailProtection,
AKI + SKI, EC P-256).  :func:`make_leaf` makes good or deliberately bad signers for
tests of :mod:`provenance.identity.certprofile` and of signing.

Usage::

    pki = make_pki()                       # in memory
    pki = make_pki(tmp_path)               # also writes PEM files (see TestPKI.paths)
    bad = make_leaf(pki.intermediate_cert, pki.intermediate_key, kind="no_eku")
    bad.cert, bad.key
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

LeafKind = Literal[
    "good",
    "no_eku",
    "expired",
    "ca",
    "self_signed",
    "rsa1024",
    "doc_signing",
    "no_aki",
    "any_eku",
    "no_key_usage",
    "not_yet_valid",
    "expires_soon",
    "rsa2048",
    "rsa3072",
    "rsa4096",
    "p384",
    "p521",
    "ed25519",
    "secp256k1",
    "unknown_critical",
    "claim_signing",
]

EMAIL_PROTECTION = ExtendedKeyUsageOID.EMAIL_PROTECTION
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
C2PA_CLAIM_SIGNING = ObjectIdentifier("1.3.6.1.4.1.62558.2.1")
TIME_STAMPING = ExtendedKeyUsageOID.TIME_STAMPING


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


def _hash_for(issuer_key: object) -> hashes.HashAlgorithm | None:
    from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

    if isinstance(issuer_key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return None
    return hashes.SHA256()


def _ku(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(
    common_name: str = "Provenance Test Root CA",
    *,
    organization: str = "Provenance Test PKI",
    issuer_cert: x509.Certificate | None = None,
    issuer_key: ec.EllipticCurvePrivateKey | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
    days: int = 3650,
    path_length: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A CA certificate: self-signed root when ``issuer_cert`` is None, else an intermediate.

    ``now`` moves the validity window (e.g. two years back makes an expired CA).
    """
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = now or _now()
    subject = _name(common_name, organization)
    issuer_name = issuer_cert.subject if issuer_cert is not None else subject
    signing_key = issuer_key if issuer_key is not None else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_ku(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_cert.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    cert = builder.sign(signing_key, hashes.SHA256())
    return cert, key


@dataclass
class Leaf:
    """A signing certificate with its private key."""

    cert: x509.Certificate
    key: object  # a cryptography private key


def _leaf_key(kind: str) -> object:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if kind == "rsa1024":
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)
    if kind in ("rsa2048", "rsa3072", "rsa4096"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "p521":
        return ec.generate_private_key(ec.SECP521R1())
    if kind == "secp256k1":
        return ec.generate_private_key(ec.SECP256K1())
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def make_leaf(
    issuer_cert: x509.Certificate | None,
    issuer_key: object | None,
    *,
    kind: LeafKind = "good",
    organization: str = "Test Studio",
    common_name: str = "Test Photographer",
) -> Leaf:
    """A signing certificate issued by ``issuer_cert`` (ignored for ``kind="self_signed"``).

    ``kind`` picks one deliberate defect (or a key type); "good" passes the C2PA profile.
    """
    key = _leaf_key(kind)
    public_key = key.public_key()  # type: ignore[attr-defined]
    now = _now()
    subject = _name(common_name, organization)
    self_signed = kind == "self_signed" or issuer_cert is None
    issuer_name = subject if self_signed else issuer_cert.subject  # type: ignore[union-attr]
    signing_key = key if self_signed else issuer_key

    not_before = now - dt.timedelta(days=1)
    not_after = now + dt.timedelta(days=365)
    if kind == "expired":
        not_before, not_after = now - dt.timedelta(days=400), now - dt.timedelta(days=35)
    elif kind == "not_yet_valid":
        not_before, not_after = now + dt.timedelta(days=10), now + dt.timedelta(days=400)
    elif kind == "expires_soon":
        not_after = now + dt.timedelta(days=10)

    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=kind == "ca", path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if kind == "ca":
        builder = builder.add_extension(_ku(signer=False), critical=True)
    elif kind != "no_key_usage":
        builder = builder.add_extension(_ku(signer=True), critical=True)

    eku: list[ObjectIdentifier] | None = [EMAIL_PROTECTION]
    if kind == "no_eku":
        eku = None
    elif kind == "doc_signing":
        eku = [DOCUMENT_SIGNING]
    elif kind == "any_eku":
        eku = [ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE]
    elif kind == "claim_signing":
        eku = [C2PA_CLAIM_SIGNING, EMAIL_PROTECTION]
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)

    if kind != "no_aki":
        aki_source = public_key if self_signed else issuer_cert.public_key()  # type: ignore[union-attr]
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_source),  # type: ignore[arg-type]
            critical=False,
        )
    if kind == "unknown_critical":
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1.2"), b"\x05\x00"),
            critical=True,
        )
    cert = builder.sign(signing_key, _hash_for(signing_key))  # type: ignore[arg-type]
    return Leaf(cert=cert, key=key)


@dataclass
class TestPKI:
    """A root -> intermediate -> leaf chain (EC P-256) and, optionally, its PEM files."""

    __test__ = False  # not a pytest class

    root_cert: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    intermediate_cert: x509.Certificate
    intermediate_key: ec.EllipticCurvePrivateKey
    leaf_cert: x509.Certificate
    leaf_key: ec.EllipticCurvePrivateKey
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def chain(self) -> list[x509.Certificate]:
        """The chain as C2PA stores it: leaf, then intermediate (no root)."""
        return [self.leaf_cert, self.intermediate_cert]

    @property
    def chain_pem(self) -> bytes:
        return certs_to_pem(self.chain)

    @property
    def root_pem(self) -> bytes:
        return certs_to_pem([self.root_cert])

    @property
    def leaf_key_pem(self) -> bytes:
        return key_to_pem(self.leaf_key)

    def make_leaf(self, kind: LeafKind = "good", **kwargs: str) -> Leaf:
        """A leaf issued by this PKI's intermediate."""
        return make_leaf(self.intermediate_cert, self.intermediate_key, kind=kind, **kwargs)


def certs_to_pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def key_to_pem(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_pki(
    directory: Path | str | None = None,
    *,
    organization: str = "Test Studio",
    common_name: str = "Test Photographer",
) -> TestPKI:
    """Build root -> intermediate -> good leaf; write PEM files into ``directory`` if given.

    Files written: ``root.pem``, ``intermediate.pem``, ``leaf.pem``, ``chain.pem`` (leaf +
    intermediate), ``leaf_key.pem`` (unencrypted PKCS#8; test use only).
    """
    root_cert, root_key = make_ca("Provenance Test Root CA")
    inter_cert, inter_key = make_ca(
        "Provenance Test Intermediate CA",
        issuer_cert=root_cert,
        issuer_key=root_key,
        days=1825,
        path_length=0,
    )
    leaf = make_leaf(inter_cert, inter_key, organization=organization, common_name=common_name)
    assert isinstance(leaf.key, ec.EllipticCurvePrivateKey)
    pki = TestPKI(
        root_cert=root_cert,
        root_key=root_key,
        intermediate_cert=inter_cert,
        intermediate_key=inter_key,
        leaf_cert=leaf.cert,
        leaf_key=leaf.key,
    )
    if directory is not None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        files = {
            "root": ("root.pem", pki.root_pem),
            "intermediate": ("intermediate.pem", certs_to_pem([inter_cert])),
            "leaf": ("leaf.pem", certs_to_pem([leaf.cert])),
            "chain": ("chain.pem", pki.chain_pem),
            "leaf_key": ("leaf_key.pem", pki.leaf_key_pem),
        }
        for label, (filename, data) in files.items():
            p = d / filename
            p.write_bytes(data)
            pki.paths[label] = p
    return pki
