"""The loopback RFC 3161 TSA helper works, and c2pa-rs accepts its time-stamps.

Everything stays on 127.0.0.1.  The hang test costs ~30 s (c2pa-rs's fixed HTTP timeout)
and runs only with ``PROVENANCE_SLOW_TESTS=1``.
"""

from __future__ import annotations

import io
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from asn1crypto import core, tsp  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests.pki import TestPKI, make_pki
from tests.tsa_server import TimestampAuthority

c2pa = pytest.importorskip("c2pa")
Image = pytest.importorskip("PIL.Image")

MANIFEST: dict[str, Any] = {
    "claim_generator_info": [{"name": "provenance-test", "version": "0"}],
    "title": "t.jpg",
    "assertions": [
        {
            "label": "c2pa.actions.v2",
            "data": {
                "actions": [
                    {
                        "action": "c2pa.created",
                        "digitalSourceType": (
                            "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
                        ),
                    }
                ]
            },
        }
    ],
}
BASE_SETTINGS: dict[str, Any] = {
    "verify": {"remote_manifest_fetch": False},
    "builder": {"thumbnail": {"enabled": False}},
}

slow = pytest.mark.skipif(
    os.environ.get("PROVENANCE_SLOW_TESTS") != "1",
    reason="slow (~30 s): set PROVENANCE_SLOW_TESTS=1",
)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return make_pki()


def small_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (180, 40, 30)).save(buf, "JPEG")
    return buf.getvalue()


def sign(pki: TestPKI, tsa_url: str | None) -> bytes:
    key = pki.leaf_key

    def callback(data: bytes) -> bytes:
        return key.sign(data, ec.ECDSA(hashes.SHA256()))

    signer = c2pa.Signer.from_callback(
        callback, c2pa.C2paSigningAlg.ES256, pki.chain_pem.decode(), tsa_url
    )
    builder = c2pa.Builder(MANIFEST, context=c2pa.Context.from_dict(BASE_SETTINGS))
    out = io.BytesIO()
    builder.sign(signer, "image/jpeg", io.BytesIO(small_jpeg()), out)
    return out.getvalue()


def read(data: bytes, settings: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, list[str]]]:
    """(signature_info, validation_state, {success|informational|failure: [codes]})."""
    reader = c2pa.Reader("image/jpeg", io.BytesIO(data), context=c2pa.Context.from_dict(settings))
    store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    results = store["validation_results"]["activeManifest"]
    codes = {
        kind: [c["code"] for c in results.get(kind, [])]
        for kind in ("success", "informational", "failure")
    }
    return manifest["signature_info"], store["validation_state"], codes


def post(url: str, body: bytes, timeout: float = 5) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/timestamp-query"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read()


def make_request(nonce: int | None = 12345) -> bytes:
    fields: dict[str, Any] = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": {"algorithm": "sha256"},
            "hashed_message": bytes(range(32)),
        },
        "cert_req": True,
    }
    if nonce is not None:
        fields["nonce"] = nonce
    der: bytes = tsp.TimeStampReq(fields).dump()
    return der


# ------------------------------------------------------------------ the helper itself


def test_serves_rfc3161_reply_on_loopback() -> None:
    with TimestampAuthority() as tsa:
        assert tsa.url.startswith("http://127.0.0.1:")
        assert tsa.root_pem.startswith(b"-----BEGIN CERTIFICATE-----")
        status, content_type, body = post(tsa.url, make_request(nonce=987654321))
        assert tsa.requests == 1
    assert status == 200
    assert content_type == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(body)
    assert reply["status"]["status"].native == "granted"
    token = reply["time_stamp_token"]
    assert token["content_type"].native == "signed_data"
    signed = token["content"]
    assert signed["encap_content_info"]["content_type"].native == "tst_info"
    info = signed["encap_content_info"]["content"].parsed
    assert info["version"].native == "v1"
    assert info["nonce"].native == 987654321
    assert info["message_imprint"]["hashed_message"].native == bytes(range(32))
    attrs = {a["type"].native for a in signed["signer_infos"][0]["signed_attrs"]}
    assert {"content_type", "message_digest", "signing_certificate_v2", "signing_time"} <= attrs
    assert len(signed["certificates"]) == 2


def test_garbage_request_is_rejected_not_crashed() -> None:
    with TimestampAuthority() as tsa:
        status, _, body = post(tsa.url, b"not a time-stamp request")
    assert status == 200
    # asn1crypto's TimeStampResp wrongly requires a token, so read the status by hand.
    status_info = tsp.PKIStatusInfo.load(core.Sequence.load(body).contents)
    assert status_info["status"].native == "rejection"


def test_error_mode_answers_500() -> None:
    with TimestampAuthority(mode="error") as tsa:
        status, _, _ = post(tsa.url, make_request())
        assert tsa.requests == 1
    assert status == 500


def test_hang_mode_never_answers_and_stops_promptly() -> None:
    tsa = TimestampAuthority(mode="hang").start()
    try:
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            post(tsa.url, make_request(), timeout=0.5)
        assert tsa.requests == 1
    finally:
        started = time.monotonic()
        tsa.stop()
    assert time.monotonic() - started < 3


# ------------------------------------------------------------------ c2pa-rs accepts it


def test_c2pa_signing_with_timestamp(pki: TestPKI) -> None:
    with TimestampAuthority() as tsa:
        signed = sign(pki, tsa.url)
        assert tsa.requests >= 1
        tsa_root = tsa.root_pem.decode()

    info, state, codes = read(signed, BASE_SETTINGS)
    assert info.get("time"), "the signature carries the time-stamp's time"
    assert info["issuer"] == "Test Studio"
    assert state == "Valid"
    assert "timeStamp.validated" in codes["success"]
    assert "timeStamp.untrusted" in codes["informational"]
    assert "signingCredential.untrusted" in codes["failure"]

    # The TSA root among the trust anchors makes the time-stamp trusted: no separate
    # setting, and the default trust config already accepts the timeStamping EKU.
    both = {**BASE_SETTINGS, "trust": {"trust_anchors": pki.root_pem.decode() + tsa_root}}
    info, state, codes = read(signed, both)
    assert state == "Trusted"
    assert "timeStamp.trusted" in codes["success"]
    assert "signingCredential.trusted" in codes["success"]
    assert not any(c.startswith("timeStamp.") for c in codes["failure"] + codes["informational"])

    tsa_only = {**BASE_SETTINGS, "trust": {"trust_anchors": tsa_root}}
    _, state, codes = read(signed, tsa_only)
    assert state == "Valid"
    assert "timeStamp.trusted" in codes["success"]

    signer_only = {**BASE_SETTINGS, "trust": {"trust_anchors": pki.root_pem.decode()}}
    _, state, codes = read(signed, signer_only)
    assert state == "Trusted", "an untrusted time-stamp does not spoil a trusted signer"
    assert "timeStamp.untrusted" in codes["informational"]

    user = {**BASE_SETTINGS, "trust": {"user_anchors": pki.root_pem.decode() + tsa_root}}
    _, state, codes = read(signed, user)
    assert state == "Trusted"
    assert "timeStamp.trusted" in codes["success"]


def test_c2pa_without_timestamp_has_no_time(pki: TestPKI) -> None:
    info, state, _ = read(sign(pki, None), BASE_SETTINGS)
    assert state == "Valid"
    assert not info.get("time")


def test_c2pa_refuses_token_without_certificates(pki: TestPKI) -> None:
    with TimestampAuthority(include_certificates=False) as tsa, pytest.raises(c2pa.C2paError):
        sign(pki, tsa.url)


def test_c2pa_accepts_token_without_signing_certificate_attribute(pki: TestPKI) -> None:
    # c2pa-rs 0.91 does not insist on signing-certificate(-v2); we include it anyway.
    with TimestampAuthority(signing_certificate=False) as tsa:
        info, _, codes = read(sign(pki, tsa.url), BASE_SETTINGS)
    assert info.get("time")
    assert "timeStamp.validated" in codes["success"]


@pytest.mark.parametrize("mode", ["error", "reject"])
def test_c2pa_signing_fails_fast_when_tsa_fails(pki: TestPKI, mode: str) -> None:
    with TimestampAuthority(mode=mode) as tsa:  # type: ignore[arg-type]
        started = time.monotonic()
        with pytest.raises(c2pa.C2paError):
            sign(pki, tsa.url)
        assert time.monotonic() - started < 10
        assert tsa.requests >= 1


@pytest.mark.slow
@slow
def test_c2pa_signing_with_hanging_tsa_times_out(pki: TestPKI) -> None:
    # Measured by hand with c2pa-python 0.38.1: fails after 30.0 s with
    # "error sending request for url" (the same words as a refused connection).
    with TimestampAuthority(mode="hang") as tsa:
        started = time.monotonic()
        with pytest.raises(c2pa.C2paError):
            sign(pki, tsa.url)
        elapsed = time.monotonic() - started
    assert 20 < elapsed < 60
