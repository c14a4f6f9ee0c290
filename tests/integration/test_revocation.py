"""``--check-revocation``: a bounded OCSP request to a responder on loopback (no internet).

The test PKI's intermediate issues a signer whose Authority Information Access names
a local OCSP responder; the responder answers good, revoked, garbage or nothing.
"""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from provenance.models import Verdict
from provenance.verify import VerifyOptions, verify_file
from provenance.verify.revocation import check_revocation
from tests.pki import TestPKI, certs_to_pem, key_to_pem, make_pki


@dataclass
class Responder:
    pki: TestPKI
    mode: str = "good"
    delay: float = 0.0
    requests: list[bytes] = field(default_factory=list)
    url: str = ""

    def answer(self, body: bytes) -> bytes:
        self.requests.append(body)
        if self.mode == "garbage":
            return b"not an OCSP response"
        request = ocsp.load_der_ocsp_request(body)
        now = dt.datetime.now(dt.UTC)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED
            if self.mode == "revoked"
            else ocsp.OCSPCertStatus.GOOD,
            this_update=now - dt.timedelta(minutes=1),
            next_update=now + dt.timedelta(hours=1),
            revocation_time=now - dt.timedelta(days=1) if self.mode == "revoked" else None,
            revocation_reason=x509.ReasonFlags.key_compromise if self.mode == "revoked" else None,
        )
        key = self.pki.intermediate_key
        if self.mode == "forged":
            key = ec.generate_private_key(ec.SECP256R1())
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, self.pki.intermediate_cert)
        return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return make_pki()


@pytest.fixture
def responder(pki: TestPKI) -> Iterator[Responder]:
    state = Responder(pki)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if state.delay:
                time.sleep(state.delay)
            data = state.answer(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/ocsp"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _leaf(pki: TestPKI, url: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "OCSP Photographer"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OCSP Studio"),
                ]
            )
        )
        .issuer_name(pki.intermediate_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(pki.intermediate_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(url)
                    )
                ]
            ),
            critical=False,
        )
        .sign(pki.intermediate_key, hashes.SHA256())
    )
    return cert, key


def _chain(pki: TestPKI, responder: Responder) -> tuple[bytes, bytes]:
    cert, _ = _leaf(pki, responder.url)
    der = serialization.Encoding.DER
    return cert.public_bytes(der), pki.intermediate_cert.public_bytes(der)


@pytest.mark.parametrize(
    ("mode", "status"),
    [("good", "good"), ("revoked", "revoked"), ("garbage", "unknown"), ("forged", "unknown")],
)
def test_responder_answers(pki: TestPKI, responder: Responder, mode: str, status: str) -> None:
    responder.mode = mode
    got, note = check_revocation(_chain(pki, responder), timeout=5)
    assert got == status, note
    assert len(responder.requests) == 1


def test_slow_responder_is_bounded(pki: TestPKI, responder: Responder) -> None:
    responder.delay = 3.0
    start = time.monotonic()
    status, note = check_revocation(_chain(pki, responder), timeout=0.5)
    assert time.monotonic() - start < 2.5
    assert status == "unknown" and note and "could not be reached" in note


def test_unreachable_responder(pki: TestPKI) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cert, _ = _leaf(pki, f"http://127.0.0.1:{port}/ocsp")
    der = serialization.Encoding.DER
    status, note = check_revocation(
        (cert.public_bytes(der), pki.intermediate_cert.public_bytes(der)), timeout=2
    )
    assert status == "unknown" and note


def test_revoked_after_a_trusted_signing_time_keeps_the_signature() -> None:
    from provenance.verify.revocation import revoked_after

    signed = "2025-01-01T10:00:00+00:00"
    assert revoked_after("Revoked on 2025-06-01T00:00:00+00:00.", signed)
    assert not revoked_after("Revoked on 2024-06-01T00:00:00+00:00.", signed)
    assert not revoked_after("Revoked.", signed)
    assert not revoked_after("Revoked on 2025-06-01T00:00:00+00:00.", None)


def test_no_responder_named(pki: TestPKI) -> None:
    der = serialization.Encoding.DER
    chain = (pki.leaf_cert.public_bytes(der), pki.intermediate_cert.public_bytes(der))
    assert check_revocation(chain)[0] == "unknown"
    assert check_revocation(None)[0] == "unknown"


def test_verify_reports_revocation(tmp_path: Path, pki: TestPKI, responder: Responder) -> None:
    from fixtures.generate import write_photo
    from provenance.identity.importing import import_identity
    from provenance.identity.keys import load_identity
    from provenance.sign import SignRequest, sign_image

    cert, key = _leaf(pki, responder.url)
    (tmp_path / "chain.pem").write_bytes(certs_to_pem([cert, pki.intermediate_cert]))
    (tmp_path / "key.pem").write_bytes(key_to_pem(key))
    home = tmp_path / "home"
    import_identity(
        home, b"ocsp pass", cert_file=tmp_path / "chain.pem", key_file=tmp_path / "key.pem"
    )
    out = tmp_path / "signed.jpg"
    sign_image(
        SignRequest(source=write_photo(tmp_path, "jpeg", width=160), output=out),
        load_identity(home, b"ocsp pass"),
    )
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root_pem)
    base = {"trust_files": (root,), "use_trust_store": False, "want_thumbnails": False}

    plain = verify_file(out, VerifyOptions(**base))  # type: ignore[arg-type]
    assert plain.verdict is Verdict.TRUSTED
    assert plain.signer is not None and plain.signer.revocation == "not_checked"
    assert not responder.requests  # off by default: nothing contacted

    good = verify_file(out, VerifyOptions(**base, check_revocation=True))  # type: ignore[arg-type]
    assert good.verdict is Verdict.TRUSTED
    assert good.signer is not None and good.signer.revocation == "good"
    assert any("not revoked" in s for s in good.statements)

    responder.mode = "revoked"
    bad = verify_file(out, VerifyOptions(**base, check_revocation=True))  # type: ignore[arg-type]
    assert bad.verdict is Verdict.INVALID
    assert bad.signer is not None and bad.signer.revocation == "revoked"
    assert bad.problems[0].code == "signingCredential.revoked"
