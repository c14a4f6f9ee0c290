"""``--check-revocation``: ask the signer's OCSP responder, bounded (RFC 6960).

Off by default: it contacts the address the certificate names (its Authority
Information Access extension), which tells that responder someone is checking this
signer.  One POST, a hard whole-request timeout and a size cap; a responder that is
down, slow or says something we cannot verify gives "unknown", never "good".
The response must be signed by the issuer, or by a responder certificate the issuer
issued for OCSP signing (RFC 6960, 4.2.2.2), and must be current.
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

MAX_RESPONSE_BYTES = 64 * 1024
#: Allowed clock skew for thisUpdate / nextUpdate.
SKEW = dt.timedelta(minutes=5)


def _ocsp_url(cert: Any) -> str | None:
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for desc in aia:
        if desc.access_method == AuthorityInformationAccessOID.OCSP:
            url = str(desc.access_location.value)
            if urllib.parse.urlsplit(url).scheme in ("http", "https"):
                return url
    return None


def _post(url: str, body: bytes, timeout: float) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - scheme checked by _ocsp_url
        url,
        data=body,
        headers={"Content-Type": "application/ocsp-request", "User-Agent": "provenance"},
    )
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    total = 0
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("the OCSP responder took too long")
            chunk = response.read1(16 * 1024)
            if not chunk:
                break
            total += len(chunk)
            if total > MAX_RESPONSE_BYTES:
                raise ValueError("the OCSP response is too large")
            chunks.append(chunk)
    return b"".join(chunks)


def _signed_by(cert: Any, issuer: Any) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - any failure means "no"
        return False
    return True


def _response_ok(response: Any, issuer: Any) -> bool:
    """The response is signed by the issuer or by its delegated OCSP responder."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    candidates = [issuer]
    for responder in response.certificates:
        try:
            ekus = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in ekus and _signed_by(responder, issuer):
            candidates.append(responder)
    for signer in candidates:
        try:
            from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

            key = signer.public_key()
            hash_alg = response.signature_hash_algorithm
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(
                    response.signature, response.tbs_response_bytes, padding.PKCS1v15(), hash_alg
                )
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(hash_alg))
            else:
                key.verify(response.signature, response.tbs_response_bytes)
            return True
        except Exception:  # noqa: BLE001, S112 - a failed check tries the next candidate
            continue
    return False


def revoked_after(note: str | None, signed_at: str | None) -> bool:
    """Whether a revocation (its note names the time) came after a trusted signing time.

    C2PA 2.x, 15.7: a certificate revoked only after the time a trusted time-stamp
    proves the signature was made does not invalidate that signature.
    """
    if not note or not signed_at or not note.startswith("Revoked on "):
        return False
    try:
        revoked = dt.datetime.fromisoformat(note.removeprefix("Revoked on ").rstrip("."))
        signed = dt.datetime.fromisoformat(signed_at)
    except ValueError:
        return False
    if revoked.tzinfo is None or signed.tzinfo is None:
        return False
    return revoked > signed


def check_revocation(
    chain: tuple[bytes, ...] | None, *, timeout: float = 5.0
) -> tuple[str, str | None]:
    """("good" | "revoked" | "unknown", a note for people) for the chain's leaf."""
    if not chain or len(chain) < 2:
        return "unknown", "The signature does not carry the issuer's certificate needed to ask."
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    try:
        leaf = x509.load_der_x509_certificate(chain[0])
        issuer = x509.load_der_x509_certificate(chain[1])
    except ValueError:
        return "unknown", "The signing certificate could not be read."
    url = _ocsp_url(leaf)
    if url is None:
        return "unknown", "The signing certificate names no OCSP responder."
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA256()).build()
    try:
        raw = _post(url, request.public_bytes(serialization.Encoding.DER), timeout)
    except (urllib.error.URLError, OSError, TimeoutError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return "unknown", f"The OCSP responder could not be reached ({reason})."
    try:
        response = ocsp.load_der_ocsp_response(raw)
    except ValueError:
        return "unknown", "The OCSP responder's answer is malformed."
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return "unknown", f"The OCSP responder answered {response.response_status.name.lower()}."
    if response.serial_number != leaf.serial_number or not _response_ok(response, issuer):
        return "unknown", "The OCSP answer is not signed by the certificate's issuer."
    now = dt.datetime.now(dt.UTC)
    if response.this_update_utc > now + SKEW or (
        response.next_update_utc is not None and response.next_update_utc < now - SKEW
    ):
        return "unknown", "The OCSP answer is out of date."
    status = response.certificate_status
    if status is ocsp.OCSPCertStatus.GOOD:
        return "good", None
    if status is ocsp.OCSPCertStatus.REVOKED:
        when = response.revocation_time_utc
        return "revoked", f"Revoked on {when.isoformat()}." if when else "Revoked."
    return "unknown", "The OCSP responder does not know this certificate."
