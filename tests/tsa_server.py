"""An RFC 3161 time-stamp authority for tests, served on loopback in a background thread.

It never leaves 127.0.0.1 and binds an ephemeral port.  Unless given a TSA certificate and
key, it makes its own TSA root CA and a TSA certificate (EC P-256; ExtendedKeyUsage
timeStamping, marked critical as RFC 3161 requires; KeyUsage digitalSignature).

Usage::

    with TimestampAuthority() as tsa:            # answers every request with a token
        tsa.url        # "http://127.0.0.1:PORT/"
        tsa.root_pem   # the TSA root certificate (PEM bytes), for trust anchors
        tsa.requests   # how many requests were served

    with TimestampAuthority(mode="hang") as tsa:  # accepts, never answers (timeout tests)
    with TimestampAuthority(mode="error") as tsa: # answers HTTP 500
    with TimestampAuthority(mode="reject") as tsa:# HTTP 200 with PKIStatus rejection

The reply (``application/timestamp-reply``) is a TimeStampResp with status granted and a
CMS SignedData token: eContentType id-ct-TSTInfo; TSTInfo v1 with the request's
messageImprint, a serial number, genTime (UTC, now), accuracy 1 s and the nonce echoed;
signed attributes content-type, message-digest, signing-time and signing-certificate-v2
(ESSCertIDv2: SHA-256 of the TSA certificate with its issuer and serial); the TSA
certificate and its root are always included; signature ECDSA P-256 with SHA-256.

For negative tests, ``signing_certificate=False`` leaves out the signing-certificate-v2
attribute and ``include_certificates=False`` leaves the certificates out of the token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal

from asn1crypto import algos, cms, core, tsp  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Mode = Literal["ok", "hang", "error", "reject"]

#: Policy OID put in every TSTInfo (an arbitrary test arc).
TEST_POLICY_OID = "1.2.3.4.1"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Provenance Test TSA"),
        ]
    )


def make_tsa_credentials() -> tuple[x509.Certificate, x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A fresh TSA root CA and TSA certificate: returns ``(root_cert, tsa_cert, tsa_key)``."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Provenance Test TSA Root")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("Provenance Test Time-Stamp Authority"))
        .issuer_name(root_name)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(tsa_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    return root, tsa, tsa_key


class _RejectionResp(core.Sequence):  # type: ignore[misc]
    """TimeStampResp without a token (asn1crypto makes the token mandatory; RFC 3161 does not)."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class TimestampAuthority:
    """A loopback RFC 3161 TSA; use as a context manager (or call start/stop)."""

    def __init__(
        self,
        mode: Mode = "ok",
        *,
        tsa_cert: x509.Certificate | None = None,
        tsa_key: ec.EllipticCurvePrivateKey | None = None,
        root_cert: x509.Certificate | None = None,
        policy: str = TEST_POLICY_OID,
        clock: Callable[[], dt.datetime] | None = None,
        signing_certificate: bool = True,
        include_certificates: bool = True,
    ) -> None:
        if (tsa_cert is None) != (tsa_key is None):
            raise ValueError("give both tsa_cert and tsa_key, or neither")
        if tsa_cert is None or tsa_key is None:
            root_cert, tsa_cert, tsa_key = make_tsa_credentials()
        self.mode: Mode = mode
        self.root_cert = root_cert
        self.tsa_cert = tsa_cert
        self.tsa_key = tsa_key
        self.policy = policy
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.signing_certificate = signing_certificate
        self.include_certificates = include_certificates
        self.requests = 0
        self.last_request: tsp.TimeStampReq | None = None
        self._serials = itertools.count(1)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the TSA is not running")
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/"

    @property
    def root_pem(self) -> bytes:
        """PEM of the TSA's root certificate (the TSA certificate itself when no root)."""
        cert = self.root_cert if self.root_cert is not None else self.tsa_cert
        return cert.public_bytes(serialization.Encoding.PEM)

    @property
    def tsa_pem(self) -> bytes:
        return self.tsa_cert.public_bytes(serialization.Encoding.PEM)

    def start(self) -> TimestampAuthority:
        authority = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                authority._handle(self)

            def do_GET(self) -> None:
                self.send_response(405)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> TimestampAuthority:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- serving -----------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.requests += 1
        if self.mode == "hang":
            # Bounded: wake up often and give up once the server is stopping.
            while not self._stopping.wait(0.05):
                pass
            handler.close_connection = True
            return
        if self.mode == "error":
            payload = b"internal error (test TSA in error mode)"
            handler.send_response(500)
            handler.send_header("Content-Type", "text/plain")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        try:
            request = tsp.TimeStampReq.load(body)
            request.native  # noqa: B018 - force a full parse now
        except Exception:
            reply = self._rejection("could not parse the request")
        else:
            self.last_request = request
            if self.mode == "reject":
                reply = self._rejection("test TSA in reject mode")
            else:
                reply = self.respond(request)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/timestamp-reply")
        handler.send_header("Content-Length", str(len(reply)))
        handler.end_headers()
        handler.wfile.write(reply)

    @staticmethod
    def _rejection(text: str) -> bytes:
        # No failInfo: c2pa-rs 0.91 cannot decode a PKIFailureInfo BIT STRING ("trailing data").
        reply = _RejectionResp({"status": {"status": "rejection", "status_string": [text]}})
        der: bytes = reply.dump()
        return der

    def respond(self, request: tsp.TimeStampReq) -> bytes:
        """The DER TimeStampResp (status granted) for a parsed request."""
        token = self.token(request)
        reply = tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
        der: bytes = reply.dump()
        return der

    def token(self, request: tsp.TimeStampReq) -> cms.ContentInfo:
        """A CMS SignedData time-stamp token over the request's message imprint."""
        gen_time = self.clock().astimezone(dt.UTC).replace(microsecond=0)
        tst_fields: dict[str, object] = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": request["message_imprint"],
            "serial_number": next(self._serials) * 1000 + int(time.time()) % 1000,
            "gen_time": gen_time,
            "accuracy": {"seconds": 1},
        }
        if request["nonce"].native is not None:
            tst_fields["nonce"] = request["nonce"].native
        tst_info = tsp.TSTInfo(tst_fields)
        tst_der = tst_info.dump()

        tsa_der = self.tsa_cert.public_bytes(serialization.Encoding.DER)
        tsa_asn1 = asn1_x509.Certificate.load(tsa_der)
        ess_cert_id = {
            "hash_algorithm": {"algorithm": "sha256"},
            "cert_hash": hashlib.sha256(tsa_der).digest(),
            "issuer_serial": {
                "issuer": [asn1_x509.GeneralName({"directory_name": tsa_asn1.issuer})],
                "serial_number": tsa_asn1.serial_number,
            },
        }
        attributes: list[dict[str, object]] = [
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": gen_time})]},
            {"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]},
        ]
        if self.signing_certificate:
            attributes.append(
                {"type": "signing_certificate_v2", "values": [{"certs": [ess_cert_id]}]}
            )
        signed_attrs = cms.CMSAttributes(attributes)
        # The signature covers the attributes DER-encoded as a SET OF (universal tag).
        signature = self.tsa_key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))

        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": tsa_asn1.issuer,
                            "serial_number": tsa_asn1.serial_number,
                        }
                    }
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signature": signature,
            }
        )
        certificates = [tsa_asn1]
        if self.root_cert is not None:
            root_der = self.root_cert.public_bytes(serialization.Encoding.DER)
            certificates.append(asn1_x509.Certificate.load(root_der))
        signed_data_fields: dict[str, object] = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(tst_der),
            },
            "signer_infos": [signer_info],
        }
        if self.include_certificates:
            signed_data_fields["certificates"] = certificates
        signed_data = cms.SignedData(signed_data_fields)
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
