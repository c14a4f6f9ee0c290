"""A bounded pre-flight check of an RFC 3161 time-stamp authority (TSA).

c2pa-rs asks the TSA for a time-stamp while it signs, and waits 30 s on a TSA that
accepts the connection but never answers; it has no setting to shorten that.  So
before signing we send the TSA one real ``TimeStampReq`` ourselves, bounded in total
time (default :data:`DEFAULT_TIMEOUT` seconds, never more than :data:`MAX_TIMEOUT`),
and fail with a clear :class:`~provenance.errors.TimestampError` when no granted
``TimeStampResp`` for our request comes back.  The check costs one extra request to the
TSA per signed file; a TSA that goes silent between our check and c2pa's own request can
still cost c2pa's 30 s, but one that is down or silent is caught here.

The DER is written and read by hand (a few dozen lines), so the library needs no ASN.1
dependency.  Only ``http`` and ``https`` URLs are used, and redirects are followed only
to ``http``/``https``.

The timeout comes from, in order: the ``timeout`` argument, the environment variable
``PROVENANCE_TSA_TIMEOUT``, ``tsa_timeout`` in ``settings.toml``, then the default.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from provenance.errors import InputError, TimestampError

#: Seconds the whole pre-flight may take by default.
DEFAULT_TIMEOUT = 10.0
#: No configured value may make signing wait longer than this on a silent TSA.
MAX_TIMEOUT = 15.0
TIMEOUT_ENV = "PROVENANCE_TSA_TIMEOUT"
#: A time-stamp reply is a few KiB; anything far larger is not one.
MAX_REPLY_BYTES = 1024 * 1024

_SHA256_OID = "2.16.840.1.101.3.4.2.1"
_SIGNED_DATA_OID = "1.2.840.113549.1.7.2"
_TST_INFO_OID = "1.2.840.113549.1.9.16.1.4"
_HINT = "Check the URL and your connection, try again later, or sign without --tsa."


@dataclass(frozen=True, slots=True)
class TimestampProbe:
    """What the pre-flight found: the TSA answered with a granted time-stamp in time."""

    url: str
    elapsed: float
    gen_time: str | None


# --------------------------------------------------------------------- DER, by hand


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    return _tlv(0x02, body)


def _der_oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def build_request(digest: bytes, nonce: int) -> bytes:
    """DER of ``TimeStampReq {v1, messageImprint(sha256, digest), nonce, certReq TRUE}``."""
    algorithm = _tlv(0x30, _der_oid(_SHA256_OID) + b"\x05\x00")
    imprint = _tlv(0x30, algorithm + _tlv(0x04, digest))
    return _tlv(0x30, _der_int(1) + imprint + _der_int(nonce) + b"\x01\x01\xff")


class _Malformed(Exception):
    pass


def _read_tlv(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(tag, content, next offset) of the element at ``offset``; strict DER lengths."""
    if offset + 2 > len(data):
        raise _Malformed
    tag = data[offset]
    first = data[offset + 1]
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise _Malformed
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise _Malformed
    return tag, data[offset:end], end


def _children(content: bytes) -> list[tuple[int, bytes]]:
    items = []
    offset = 0
    while offset < len(content):
        tag, value, offset = _read_tlv(content, offset)
        items.append((tag, value))
    return items


def _oid_text(content: bytes) -> str:
    if not content:
        raise _Malformed
    first = content[0]
    parts = [first // 40, first % 40] if first < 80 else [2, first - 80]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def parse_response(data: bytes, digest: bytes, nonce: int) -> str | None:
    """Check a ``TimeStampResp``: status granted, a SignedData TSTInfo for our digest and nonce.

    Returns the token's genTime (as the TSA wrote it).  Raises ``ValueError`` with a
    plain reason otherwise.  The token's signature is not checked here: c2pa-rs does
    that when it embeds the token.
    """
    try:
        tag, resp, _ = _read_tlv(data, 0)
        if tag != 0x30:
            raise _Malformed
        parts = _children(resp)
        if not parts or parts[0][0] != 0x30:
            raise _Malformed
        status_items = _children(parts[0][1])
        if not status_items or status_items[0][0] != 0x02:
            raise _Malformed
        status = int.from_bytes(status_items[0][1], "big", signed=True)
        if status not in (0, 1):  # granted, grantedWithMods
            raise ValueError(f"it refused the request (PKI status {status})")
        if len(parts) < 2 or parts[1][0] != 0x30:
            raise ValueError("it granted the request but sent no time-stamp token")
        content_info = _children(parts[1][1])
        if _oid_text(content_info[0][1]) != _SIGNED_DATA_OID or content_info[1][0] != 0xA0:
            raise _Malformed
        signed_data = _children(_children(content_info[1][1])[0][1])
        encap = _children(signed_data[2][1])
        if _oid_text(encap[0][1]) != _TST_INFO_OID or encap[1][0] != 0xA0:
            raise _Malformed
        tst_der = _children(encap[1][1])[0][1]  # the OCTET STRING's content
        tst = _children(_children(tst_der)[0][1])
        imprint = _children(tst[2][1])
        hashed = imprint[1][1]
        gen_time = tst[4][1].decode("ascii", "replace")
        nonces = [v for t, v in tst[5:] if t == 0x02]
    except (_Malformed, IndexError, UnicodeError) as exc:
        raise ValueError("its answer is not an RFC 3161 time-stamp response") from exc
    if hashed != digest:
        raise ValueError("its time-stamp is for a different request")
    if nonces and int.from_bytes(nonces[0], "big", signed=True) != nonce:
        raise ValueError("its time-stamp carries a different nonce")
    return gen_time


# --------------------------------------------------------------------- HTTP, bounded


class _SafeRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http/https (never file:, ftp:, data:)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect to another scheme", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _opener(host: str) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_SafeRedirect()]
    if _is_loopback(host):
        # A proxy from the environment must not see (or break) a loopback TSA.
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def resolve_timeout(timeout: float | None = None) -> float:
    """The pre-flight bound in seconds: argument, env, settings, default; capped at MAX_TIMEOUT."""
    value: float | None = timeout
    if value is None:
        raw = os.environ.get(TIMEOUT_ENV)
        if raw:
            try:
                value = float(raw)
            except ValueError as exc:
                raise InputError(
                    f"{TIMEOUT_ENV} must be a number of seconds, not {raw!r}."
                ) from exc
    if value is None:
        from provenance.config import load_settings

        value = load_settings().tsa_timeout
    if value is None:
        value = DEFAULT_TIMEOUT
    if value <= 0:
        raise InputError("The time-stamp timeout must be more than 0 seconds.")
    return min(float(value), MAX_TIMEOUT)


def check_tsa(url: str, timeout: float | None = None) -> TimestampProbe:
    """Ask the TSA at ``url`` for one time-stamp, within ``timeout`` seconds in total.

    Raises :class:`TimestampError` when it does not answer in time, answers with an
    HTTP error, or does not grant a well-formed time-stamp for our request.
    """
    bound = resolve_timeout(timeout)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise TimestampError(
            f"The time-stamp authority address {url!r} is not an http or https URL.",
            hint="Give the TSA's URL, e.g. http://timestamp.example.com/",
        )
    digest = hashlib.sha256(secrets.token_bytes(32)).digest()
    nonce = secrets.randbits(63)
    body = build_request(digest, nonce)
    outcome: dict[str, Any] = {}

    def exchange() -> None:
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/timestamp-query",
                "Accept": "application/timestamp-reply",
            },
        )
        try:
            with _opener(parts.hostname or "").open(request, timeout=bound) as response:
                data = response.read(MAX_REPLY_BYTES + 1)
            outcome["data"] = data
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc

    started = time.monotonic()
    # The socket timeout bounds each step; the thread join bounds the total, so a
    # server that drips bytes cannot hold signing past the bound.
    worker = threading.Thread(target=exchange, name="tsa-preflight", daemon=True)
    worker.start()
    worker.join(bound)
    elapsed = time.monotonic() - started
    seconds = f"{bound:g}"
    if worker.is_alive() or isinstance(outcome.get("error"), TimeoutError):
        raise TimestampError(
            f"The time-stamp authority at {url} did not answer within {seconds} s.",
            hint=_HINT,
        )
    error = outcome.get("error")
    if isinstance(error, urllib.error.HTTPError):
        raise TimestampError(
            f"The time-stamp authority at {url} answered with HTTP error {error.code}.",
            hint=_HINT,
        )
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, TimeoutError):
            raise TimestampError(
                f"The time-stamp authority at {url} did not answer within {seconds} s.",
                hint=_HINT,
            )
        raise TimestampError(
            f"The time-stamp authority at {url} could not be reached ({reason}).", hint=_HINT
        )
    if error is not None:
        raise TimestampError(
            f"The time-stamp authority at {url} could not be reached ({type(error).__name__}).",
            hint=_HINT,
        )
    data = outcome.get("data", b"")
    if len(data) > MAX_REPLY_BYTES:
        raise TimestampError(
            f"The time-stamp authority at {url} sent an answer far too large to be a time-stamp.",
            hint=_HINT,
        )
    try:
        gen_time = parse_response(data, digest, nonce)
    except ValueError as exc:
        raise TimestampError(
            f"The time-stamp authority at {url} gave no usable time-stamp: {exc}.", hint=_HINT
        ) from exc
    return TimestampProbe(url=url, elapsed=elapsed, gen_time=gen_time)
