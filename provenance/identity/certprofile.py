"""Plain-language checks of a signing certificate chain against the C2PA certificate profile.

c2pa-rs (0.91) refuses to sign with, or reports as invalid, certificates that break the
C2PA certificate profile.  Its own errors are terse ("certificate profile invalid"), so
:func:`check_chain` repeats the checks up front and says in plain words what is wrong and
what to do about it.  Each problem is a :class:`Finding` with a stable ``code``.

What the signing (leaf) certificate must be, as c2pa-rs accepts it:

* X.509 version 3, an end-entity certificate (BasicConstraints CA:FALSE), not self-signed;
* KeyUsage present with digitalSignature;
* ExtendedKeyUsage present, not anyExtendedKeyUsage, including emailProtection
  (1.3.6.1.5.5.7.3.4).  documentSigning and the C2PA claim-signing OID are refused by the
  default trust configuration; pass them in ``extra_ekus`` when the readers you care about
  list them;
* an Authority Key Identifier;
* an EC P-256/P-384/P-521, RSA >= 2048 or Ed25519 key;
* no critical extension that a verifier does not understand;
* valid now.

(c2pa-rs 0.91 in practice signs with a self-signed end-entity certificate and reads it back
as valid but untrusted; we still report it as an ERROR because such a signer can never be
trusted and the profile forbids it.)

Chain handling: the chain is returned as it should be stored in the manifest — leaf first,
then each issuer in turn.  Certificates given in another order are reordered (WARNING
``chain_reordered``).  A self-signed root CA in the input is **dropped** from
:attr:`ChainCheck.chain` and reported as WARNING ``root_included``: C2PA recommends leaving
the trust anchor out, since readers add it from their own trust list, and a root stored in
the file proves nothing.  Certificates that do not belong to the leaf's chain, and issuer
links whose signature does not verify, are ERROR ``chain_broken``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    PrivateKeyTypes,
    PublicKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from provenance.errors import CredentialError
from provenance.sanitize import certificate_name

__all__ = [
    "C2PA_CLAIM_SIGNING_OID",
    "DOCUMENT_SIGNING_OID",
    "EMAIL_PROTECTION_OID",
    "ChainCheck",
    "Finding",
    "Severity",
    "describe_subject",
    "load_pem_chain",
    "suggested_algorithm",
]


EMAIL_PROTECTION_OID = "1.3.6.1.5.5.7.3.4"

DOCUMENT_SIGNING_OID = "1.3.6.1.5.5.7.3.36"

C2PA_CLAIM_SIGNING_OID = "1.3.6.1.4.1.62558.2.1"

ANY_EKU_OID = ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE.dotted_string


#: Days before expiry at which ``expires_soon`` is reported.
EXPIRY_WARNING_DAYS = 30


_EKU_NAMES = {
    EMAIL_PROTECTION_OID: "emailProtection",
    DOCUMENT_SIGNING_OID: "documentSigning",
    C2PA_CLAIM_SIGNING_OID: "C2PA claim signing",
    ANY_EKU_OID: "anyExtendedKeyUsage",
    ExtendedKeyUsageOID.SERVER_AUTH.dotted_string: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING.dotted_string: "codeSigning",
    ExtendedKeyUsageOID.TIME_STAMPING.dotted_string: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string: "OCSPSigning",
}


#: Extensions a verifier understands, so they may be marked critical.
_KNOWN_EXTENSIONS = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.ISSUER_ALTERNATIVE_NAME,
        ExtensionOID.NAME_CONSTRAINTS,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.POLICY_CONSTRAINTS,
        ExtensionOID.POLICY_MAPPINGS,
        ExtensionOID.INHIBIT_ANY_POLICY,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
        ExtensionOID.SUBJECT_INFORMATION_ACCESS,
    }
)


_SUPPORTED_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

_WEAK_HASHES = ("md5", "sha1", "sha224")


class Severity(StrEnum):
    """How bad a finding is: an ERROR stops signing; a WARNING is worth knowing."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with a certificate chain.

    ``code`` is stable (tests and scripts match on it); ``message`` says in plain words
    what is wrong; ``fix`` says what to do about it.
    """

    code: str
    severity: Severity
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The outcome of :func:`check_chain`.

    ``chain`` is the chain as it should be stored in a manifest: the leaf first, then its
    issuers in order, without a self-signed root.  ``days_left`` is the number of whole
    days until the leaf expires (negative once expired), or None without a leaf.
    """

    findings: tuple[Finding, ...]
    chain: tuple[x509.Certificate, ...]
    days_left: int | None

    @property
    def ok(self) -> bool:
        """True when no finding is an ERROR (warnings allowed)."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The ERROR findings only."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The WARNING findings only."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of all findings, in order."""
        return tuple(f.code for f in self.findings)

    @property
    def leaf(self) -> x509.Certificate | None:
        """The signing certificate, or None when the input was empty."""
        return self.chain[0] if self.chain else None


# --------------------------------------------------------------------------- helpers


def _utc(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _label(cert: x509.Certificate) -> str:
    """A short human name for a certificate: its CN, else O, else the serial (inert text)."""
    return (
        certificate_name(cert.subject, NameOID.COMMON_NAME, max_length=120)
        or certificate_name(cert.subject, NameOID.ORGANIZATION_NAME, max_length=120)
        or f"serial {cert.serial_number:x}"
    )


def _ext(
    cert: x509.Certificate, oid: x509.ObjectIdentifier
) -> x509.Extension[x509.ExtensionType] | None:
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None
    except ValueError:  # duplicate or malformed extensions
        return None


def _is_ca(cert: x509.Certificate) -> bool:
    ext = _ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    return ext is not None and isinstance(ext.value, x509.BasicConstraints) and ext.value.ca


def _issued(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s name and key made ``child``'s signature."""
    if child.issuer != issuer.subject:
        return False
    try:
        child.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _self_signed(cert: x509.Certificate) -> bool:
    return _issued(cert, cert)


def _spki(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _public_key_of(
    key_or_cert: x509.Certificate | PrivateKeyTypes | PublicKeyTypes,
) -> PublicKeyTypes:
    if isinstance(key_or_cert, x509.Certificate):
        return key_or_cert.public_key()
    public_key = getattr(key_or_cert, "public_key", None)
    if callable(public_key):
        result: PublicKeyTypes = public_key()
        return result
    return key_or_cert  # type: ignore[return-value]


# --------------------------------------------------------------------------- public API


def load_pem_chain(data: bytes) -> list[x509.Certificate]:
    """Parse every certificate in a PEM bundle (a single DER certificate is accepted too).

    Raises :class:`~provenance.errors.CredentialError` when the data holds no certificate.
    """
    if b"-----BEGIN CERTIFICATE-----" in data:
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError as exc:
            raise CredentialError(
                "The certificate file is damaged: a PEM certificate block could not be read.",
                hint="Export the certificate chain again as PEM (leaf first, then intermediates).",
                diagnostics=(str(exc),),
            ) from exc
        if certs:
            return certs
    if b"PRIVATE KEY-----" in data:
        raise CredentialError(
            "This file holds a private key, not a certificate.",
            hint="Give the certificate chain (PEM with '-----BEGIN CERTIFICATE-----' blocks); "
            "the private key goes in a separate file.",
        )
    if data[:1] == b"\x30":  # DER SEQUENCE: perhaps one binary certificate
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            pass
    raise CredentialError(
        "No certificate found: the file is not a PEM certificate chain.",
        hint="Give a PEM file containing '-----BEGIN CERTIFICATE-----' blocks, the signing "
        "certificate first, then its intermediates (convert PKCS#12 or DER with "
        "'provenance keys import').",
    )


def describe_subject(cert: x509.Certificate) -> dict[str, str | None]:
    """The facts about a certificate a person wants to see.

    Keys: ``name`` (subject CN), ``organization`` (subject O — what C2PA readers show as the
    issuer of the credential), ``issuer`` (issuing CA's O, else its CN), ``not_before`` and
    ``not_after`` (ISO 8601, UTC), ``serial`` (hex), ``fingerprint_sha256`` (hex, no colons).
    """
    return {
        "name": certificate_name(cert.subject, NameOID.COMMON_NAME),
        "organization": certificate_name(cert.subject, NameOID.ORGANIZATION_NAME),
        "issuer": certificate_name(cert.issuer, NameOID.ORGANIZATION_NAME)
        or certificate_name(cert.issuer, NameOID.COMMON_NAME),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "serial": format(cert.serial_number, "x"),
        "fingerprint_sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }


def suggested_algorithm(
    key_or_cert: x509.Certificate | PrivateKeyTypes | PublicKeyTypes,
) -> str:
    """The C2PA signing algorithm that fits a key (or a certificate's key).

    EC P-256/384/521 → es256/es384/es512; RSA → ps256 (< 3072 bits), ps384 (< 4096),
    ps512 (4096 and more); Ed25519 → ed25519.  Raises
    :class:`~provenance.errors.CredentialError` for anything C2PA cannot sign with.
    """
    key = _public_key_of(key_or_cert)
    if isinstance(key, ec.EllipticCurvePublicKey):
        by_curve = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name in by_curve:
            return by_curve[key.curve.name]
        raise CredentialError(
            f"The key uses the elliptic curve {key.curve.name}, which C2PA does not support.",
            hint="Make a new key on P-256 (or P-384 / P-521).",
        )
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise CredentialError(
                f"The RSA key is only {key.key_size} bits; C2PA needs at least 2048.",
                hint="Make a new key: EC P-256, or RSA of 2048 bits or more.",
            )
        if key.key_size < 3072:
            return "ps256"
        if key.key_size < 4096:
            return "ps384"
        return "ps512"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    raise CredentialError(
        f"The key type {type(key).__name__} cannot sign Content Credentials.",
        hint="Use an EC P-256/P-384/P-521, RSA (2048 bits or more) or Ed25519 key.",
    )
