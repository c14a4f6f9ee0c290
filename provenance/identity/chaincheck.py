"""The C2PA signing-certificate profile rules, applied to a chain: :func:`check_chain`.

The rules follow C2PA 2.x 14.5 ("X.509 certificates") as c2pa-rs enforces them
(see DESIGN.md); the vocabulary (findings, severities, names) is
:mod:`provenance.identity.certprofile`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    PrivateKeyTypes,
)
from cryptography.x509.oid import ExtensionOID

from provenance.identity.certprofile import (
    _EKU_NAMES,
    _KNOWN_EXTENSIONS,
    _SUPPORTED_CURVES,
    _WEAK_HASHES,
    ANY_EKU_OID,
    C2PA_CLAIM_SIGNING_OID,
    DOCUMENT_SIGNING_OID,
    EXPIRY_WARNING_DAYS,
    ChainCheck,
    Finding,
    Severity,
    _ext,
    _is_ca,
    _issued,
    _label,
    _self_signed,
    _spki,
    _utc,
)
from provenance.identity.keys import EMAIL_PROTECTION_OID


def _order(
    certs: Sequence[x509.Certificate],
) -> tuple[list[x509.Certificate], list[x509.Certificate], list[x509.Certificate], bool]:
    """Put the certificates in chain order.

    Returns ``(path, roots, unplaced, broken_link)``: ``path`` starts at the leaf and follows
    issuers (stopping before a self-signed root), ``roots`` holds self-signed CAs found on
    the path, ``unplaced`` the certificates that are not on the leaf's path, and
    ``broken_link`` is True when an issuer was present by name but its signature over the
    child did not verify.
    """
    unique: list[x509.Certificate] = []
    for cert in certs:
        if cert not in unique:
            unique.append(cert)

    # The leaf issued no other certificate in the set; prefer a non-CA, then input order.
    def issued_any(cert: x509.Certificate) -> bool:
        return any(other is not cert and _issued(other, cert) for other in unique)

    candidates = [c for c in unique if not issued_any(c)] or unique[:1]
    non_ca = [c for c in candidates if not _is_ca(c)]
    leaf = (non_ca or candidates)[0]

    path = [leaf]
    roots: list[x509.Certificate] = []
    broken = False
    current = leaf
    if not _self_signed(leaf):
        while True:
            remaining = [c for c in unique if c not in path and c not in roots]
            issuer = next((c for c in remaining if _issued(current, c)), None)
            if issuer is None:
                if any(c.subject == current.issuer for c in remaining):
                    broken = True  # right name, wrong key or signature
                break
            if _self_signed(issuer):
                roots.append(issuer)
                break
            path.append(issuer)
            current = issuer
    unplaced = [c for c in unique if c not in path and c not in roots]
    return path, roots, unplaced, broken


def _check_key(leaf: x509.Certificate) -> list[Finding]:
    try:
        key = leaf.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return [
            Finding(
                "unsupported_key",
                Severity.ERROR,
                "The certificate's public key is of a kind that cannot be read or used.",
                "Get a certificate for an EC P-256/P-384/P-521, RSA (2048+ bits) or Ed25519 key.",
            )
        ]
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        return [
            Finding(
                "weak_key",
                Severity.ERROR,
                f"The certificate's RSA key is only {key.key_size} bits; C2PA requires at least "
                "2048 bits, so the key is too weak.",
                "Make a new key (EC P-256 is a good choice, or RSA 2048+) and get a new "
                "certificate for it.",
            )
        ]
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in _SUPPORTED_CURVES:
        return [
            Finding(
                "unsupported_key",
                Severity.ERROR,
                f"The certificate's key uses the elliptic curve {key.curve.name}; C2PA only "
                "supports the curves P-256, P-384 and P-521.",
                "Make a new key on P-256 and get a new certificate for it.",
            )
        ]
    if isinstance(key, (dsa.DSAPublicKey, ed448.Ed448PublicKey)) or not isinstance(
        key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)
    ):
        return [
            Finding(
                "unsupported_key",
                Severity.ERROR,
                f"The certificate's key type ({type(key).__name__}) is not supported by C2PA.",
                "Get a certificate for an EC P-256/P-384/P-521, RSA (2048+ bits) or Ed25519 key.",
            )
        ]
    return []


def _check_eku(leaf: x509.Certificate, extra_ekus: Collection[str]) -> list[Finding]:
    ext = _ext(leaf, ExtensionOID.EXTENDED_KEY_USAGE)
    if ext is None or not isinstance(ext.value, x509.ExtendedKeyUsage):
        return [
            Finding(
                "eku_missing",
                Severity.ERROR,
                "The certificate has no extended key usage, so it does not say it may sign "
                "content; C2PA readers refuse it.",
                "Ask your CA for a certificate with the extended key usage emailProtection "
                f"({EMAIL_PROTECTION_OID}).",
            )
        ]
    oids = [oid.dotted_string for oid in ext.value]
    if ANY_EKU_OID in oids:
        return [
            Finding(
                "eku_any",
                Severity.ERROR,
                "The certificate's extended key usage is anyExtendedKeyUsage ('any use'), "
                "which the C2PA profile forbids.",
                "Ask your CA for a certificate whose extended key usage lists emailProtection "
                f"({EMAIL_PROTECTION_OID}) and not anyExtendedKeyUsage.",
            )
        ]
    accepted = {EMAIL_PROTECTION_OID, *extra_ekus}
    if not accepted.intersection(oids):
        names = ", ".join(_EKU_NAMES.get(o, o) for o in oids) or "nothing"
        special = {DOCUMENT_SIGNING_OID, C2PA_CLAIM_SIGNING_OID}.intersection(oids)
        detail = (
            " documentSigning and the C2PA claim-signing usage are only accepted by readers "
            "whose trust configuration lists them, which the default one does not."
            if special
            else ""
        )
        return [
            Finding(
                "eku_unsuitable",
                Severity.ERROR,
                f"The certificate's extended key usage ({names}) does not include "
                f"emailProtection, so C2PA readers refuse it for signing.{detail}",
                "Ask your CA for a certificate whose extended key usage includes "
                f"emailProtection ({EMAIL_PROTECTION_OID}).",
            )
        ]
    return []


def _check_leaf(
    leaf: x509.Certificate,
    *,
    private_key: PrivateKeyTypes | None,
    now: dt.datetime,
    extra_ekus: Collection[str],
) -> list[Finding]:
    findings: list[Finding] = []
    if leaf.version is not x509.Version.v3:
        findings.append(
            Finding(
                "not_v3",
                Severity.ERROR,
                f"The certificate is X.509 {leaf.version.name}; C2PA needs version 3 "
                "certificates with extensions.",
                "Get a version 3 certificate from your CA (every modern CA issues them).",
            )
        )
    if _is_ca(leaf):
        findings.append(
            Finding(
                "ca_as_signer",
                Severity.ERROR,
                "This certificate is a CA certificate; a CA can issue certificates but must "
                "not sign content.",
                "Use the end-entity (leaf) certificate it issued.",
            )
        )
    if _self_signed(leaf):
        findings.append(
            Finding(
                "self_signed",
                Severity.ERROR,
                "The certificate is self-signed: nobody but its holder vouches for it, so it "
                "can never chain to a trust anchor, and the C2PA certificate profile forbids "
                "self-signed signing certificates.",
                "Have a CA issue the signing certificate ('provenance keys init' makes a "
                "local CA and a signing certificate for development).",
            )
        )

    findings += _check_eku(leaf, extra_ekus)

    ku = _ext(leaf, ExtensionOID.KEY_USAGE)
    if ku is None or not isinstance(ku.value, x509.KeyUsage):
        findings.append(
            Finding(
                "key_usage",
                Severity.ERROR,
                "The certificate has no key usage extension; C2PA needs key usage "
                "digitalSignature.",
                "Ask your CA for a certificate with key usage digitalSignature.",
            )
        )
    elif not ku.value.digital_signature:
        findings.append(
            Finding(
                "key_usage",
                Severity.ERROR,
                "The certificate's key usage does not include digitalSignature, so it may not "
                "be used to sign.",
                "Ask your CA for a certificate with key usage digitalSignature.",
            )
        )

    not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if now > not_after:
        findings.append(
            Finding(
                "expired",
                Severity.ERROR,
                f"The certificate expired on {not_after:%Y-%m-%d}.",
                "Renew the certificate with your CA (or run 'provenance keys init' again for "
                "a development identity).",
            )
        )
    elif now < not_before:
        findings.append(
            Finding(
                "not_yet_valid",
                Severity.ERROR,
                f"The certificate is not yet valid: it starts on {not_before:%Y-%m-%d %H:%M} UTC.",
                "Wait until then, or check this computer's clock.",
            )
        )
    elif (not_after - now) < dt.timedelta(days=EXPIRY_WARNING_DAYS):
        days = (not_after - now).days
        findings.append(
            Finding(
                "expires_soon",
                Severity.WARNING,
                f"The certificate expires in {days} day{'s' if days != 1 else ''} "
                f"({not_after:%Y-%m-%d}).",
                "Renew it soon; sign with a time-stamp (--tsa) so files signed before expiry "
                "stay valid afterwards.",
            )
        )

    findings += _check_key(leaf)

    if _ext(leaf, ExtensionOID.AUTHORITY_KEY_IDENTIFIER) is None and not _self_signed(leaf):
        findings.append(
            Finding(
                "aki_missing",
                Severity.ERROR,
                "The certificate has no authority key identifier, which C2PA requires to "
                "link it to its issuer.",
                "Ask your CA to include the authority key identifier extension.",
            )
        )

    try:
        extensions = list(leaf.extensions)
    except ValueError:  # duplicate or undecodable extensions
        extensions = []
        findings.append(
            Finding(
                "malformed",
                Severity.ERROR,
                "The certificate's extensions are malformed (duplicated or undecodable).",
                "Get a correctly formed certificate from your CA.",
            )
        )
    unknown = [
        ext.oid.dotted_string
        for ext in extensions
        if ext.critical and ext.oid not in _KNOWN_EXTENSIONS
    ]
    if unknown:
        findings.append(
            Finding(
                "unknown_critical",
                Severity.ERROR,
                "The certificate has critical extensions that verifiers do not understand "
                f"({', '.join(unknown)}), so they must reject it.",
                "Get a certificate without these critical extensions (or with them marked "
                "non-critical).",
            )
        )

    hash_alg = leaf.signature_hash_algorithm
    if hash_alg is not None and hash_alg.name in _WEAK_HASHES:
        findings.append(
            Finding(
                "weak_signature",
                Severity.ERROR,
                f"The certificate was signed by its CA with {hash_alg.name.upper()}, which is "
                "too weak for C2PA.",
                "Ask your CA to reissue it signed with SHA-256 or stronger.",
            )
        )

    if private_key is not None:
        try:
            matches = _spki(private_key.public_key()) == _spki(leaf.public_key())
        except (ValueError, UnsupportedAlgorithm, AttributeError):
            matches = False
        if not matches:
            findings.append(
                Finding(
                    "key_mismatch",
                    Severity.ERROR,
                    "The private key does not match the certificate: signatures made with it "
                    "would not verify.",
                    "Use the private key the certificate was issued for (the one used for "
                    "the certificate request).",
                )
            )
    return findings


def _check_issuers(issuers: Sequence[x509.Certificate], now: dt.datetime) -> list[Finding]:
    findings: list[Finding] = []
    for cert in issuers:
        if not _is_ca(cert):
            findings.append(
                Finding(
                    "issuer_not_ca",
                    Severity.ERROR,
                    f"The intermediate certificate '{_label(cert)}' is not a CA certificate, "
                    "so it may not issue certificates.",
                    "Use the intermediate CA certificate your CA provides with the signing "
                    "certificate.",
                )
            )
        if now > cert.not_valid_after_utc:
            findings.append(
                Finding(
                    "issuer_expired",
                    Severity.ERROR,
                    f"The intermediate certificate '{_label(cert)}' expired on "
                    f"{cert.not_valid_after_utc:%Y-%m-%d}.",
                    "Download the current intermediate certificate from your CA.",
                )
            )
    return findings


def check_chain(
    certs: Sequence[x509.Certificate],
    *,
    private_key: PrivateKeyTypes | None = None,
    now: dt.datetime | None = None,
    extra_ekus: Collection[str] = (),
) -> ChainCheck:
    """Check a signing certificate chain against the C2PA certificate profile.

    ``certs`` may come in any order; the result's ``chain`` is leaf first, then issuers,
    without a self-signed root.  ``private_key``, when given, must belong to the leaf.
    ``now`` defaults to the current time (naive datetimes are taken as UTC).
    ``extra_ekus`` lists dotted extended-key-usage OIDs to accept besides emailProtection
    (e.g. :data:`DOCUMENT_SIGNING_OID` when the readers' trust configuration lists it).
    """
    moment = _utc(now)
    if not certs:
        return ChainCheck(
            findings=(
                Finding(
                    "empty",
                    Severity.ERROR,
                    "No certificate was given.",
                    "Give the signing certificate, followed by its intermediate certificates.",
                ),
            ),
            chain=(),
            days_left=None,
        )

    path, roots, unplaced, broken = _order(certs)
    leaf = path[0]
    findings = _check_leaf(leaf, private_key=private_key, now=moment, extra_ekus=extra_ekus)
    findings += _check_issuers(path[1:], moment)

    if broken or unplaced:
        names = ", ".join(f"'{_label(c)}'" for c in unplaced)
        where = f" ({names} did not issue any certificate in the chain)" if unplaced else ""
        findings.append(
            Finding(
                "chain_broken",
                Severity.ERROR,
                "The certificate chain is broken: an issuer certificate in it did not sign the "
                f"certificate below it{where}.",
                "Export the full chain again from your CA: the signing certificate, then the "
                "intermediate that issued it, and so on.",
            )
        )

    given = [c for c in dict.fromkeys(certs) if c in path]
    if given != path:
        findings.append(
            Finding(
                "chain_reordered",
                Severity.WARNING,
                "The certificates were not in chain order (the signing certificate must come "
                "first, then the certificate that issued it); they have been reordered.",
                "Nothing to do now; store the chain leaf first next time.",
            )
        )
    if roots:
        findings.append(
            Finding(
                "root_included",
                Severity.WARNING,
                f"The chain includes the root certificate '{_label(roots[0])}'. C2PA "
                "recommends leaving the trust anchor out; it has been left out of the chain.",
                "Remove the root; readers add it from their trust list.",
            )
        )

    days_left = (leaf.not_valid_after_utc - moment).days
    return ChainCheck(findings=tuple(findings), chain=tuple(path), days_left=days_left)
