"""The bounded TSA pre-flight (provenance.sign.timestamp) against a loopback RFC 3161 TSA."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import tsp  # type: ignore[import-untyped]

from provenance.errors import InputError, TimestampError
from provenance.sign.timestamp import (
    MAX_TIMEOUT,
    TIMEOUT_ENV,
    build_request,
    check_tsa,
    parse_response,
    resolve_timeout,
)
from tests.tsa_server import TimestampAuthority


@pytest.fixture(autouse=True)
def _no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROVENANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)


def test_request_is_valid_rfc3161_der() -> None:
    digest = bytes(range(32))
    request = tsp.TimeStampReq.load(build_request(digest, 2**62 + 5))
    assert request["version"].native == "v1"
    assert request["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert request["message_imprint"]["hashed_message"].native == digest
    assert request["nonce"].native == 2**62 + 5
    assert request["cert_req"].native is True
    # Byte-exact round trip: our DER is canonical.
    assert request.dump(force=True) == build_request(digest, 2**62 + 5)


def test_granted_time_stamp_passes() -> None:
    with TimestampAuthority() as tsa:
        probe = check_tsa(tsa.url, timeout=5)
        assert tsa.requests == 1
    assert probe.gen_time and probe.gen_time.endswith("Z")
    assert probe.elapsed < 5


def test_silent_tsa_fails_within_the_bound() -> None:
    with TimestampAuthority(mode="hang") as tsa:
        started = time.monotonic()
        with pytest.raises(TimestampError, match=r"did not answer within 1 s") as caught:
            check_tsa(tsa.url, timeout=1)
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3
    assert caught.value.hint


def test_env_timeout_is_used() -> None:
    with TimestampAuthority(mode="hang") as tsa:
        started = time.monotonic()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(TIMEOUT_ENV, "0.5")
            with pytest.raises(TimestampError, match=r"within 0.5 s"):
                check_tsa(tsa.url)
        assert time.monotonic() - started < 2.5


def test_http_error_and_rejection_are_explained() -> None:
    with (
        TimestampAuthority(mode="error") as tsa,
        pytest.raises(TimestampError, match="HTTP error 500"),
    ):
        check_tsa(tsa.url, timeout=3)
    with TimestampAuthority(mode="reject") as tsa, pytest.raises(TimestampError, match="refused"):
        check_tsa(tsa.url, timeout=3)


def test_refused_connection() -> None:
    with TimestampAuthority() as tsa:
        url = tsa.url
    # The server is stopped: nothing listens on that port any more.
    with pytest.raises(TimestampError, match="could not be reached"):
        check_tsa(url, timeout=2)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/", "127.0.0.1:318", "http://"]
)
def test_only_http_urls(url: str) -> None:
    with pytest.raises(TimestampError, match="not an http or https URL"):
        check_tsa(url, timeout=1)


class _Server:
    """A tiny loopback HTTP server answering every POST with a fixed response."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(outer.status)
                for k, v in outer.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.status, self.body, self.headers = status, body, headers
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server() -> Iterator[type[_Server]]:
    made: list[_Server] = []

    def make(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> _Server:
        s = _Server(status, body, headers or {})
        made.append(s)
        return s

    yield make  # type: ignore[misc]
    for s in made:
        s.close()


def test_redirect_to_another_scheme_is_not_followed(server) -> None:  # type: ignore[no-untyped-def]
    s = server(302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(TimestampError):
        check_tsa(s.url, timeout=3)


def test_garbage_answer_is_not_a_time_stamp(server) -> None:  # type: ignore[no-untyped-def]
    s = server(200, b"<html>hello</html>", {"Content-Type": "text/html"})
    with pytest.raises(TimestampError, match="not an RFC 3161 time-stamp response"):
        check_tsa(s.url, timeout=3)


def test_answer_for_another_request_is_refused() -> None:
    with TimestampAuthority() as tsa:
        import urllib.request

        body = build_request(b"\x01" * 32, 7)
        req = urllib.request.Request(
            tsa.url, data=body, headers={"Content-Type": "application/timestamp-query"}
        )
        with urllib.request.urlopen(req, timeout=5) as response:
            reply = response.read()
    assert parse_response(reply, b"\x01" * 32, 7)
    with pytest.raises(ValueError, match="different request"):
        parse_response(reply, b"\x02" * 32, 7)
    with pytest.raises(ValueError, match="different nonce"):
        parse_response(reply, b"\x01" * 32, 8)


def test_timeout_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_timeout() == 10
    assert resolve_timeout(60) == MAX_TIMEOUT
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.toml").write_text("tsa_timeout = 3\n", encoding="utf-8")
    assert resolve_timeout() == 3
    monkeypatch.setenv(TIMEOUT_ENV, "2")
    assert resolve_timeout() == 2
    assert resolve_timeout(1.5) == 1.5
    monkeypatch.setenv(TIMEOUT_ENV, "soon")
    with pytest.raises(InputError):
        resolve_timeout()
    with pytest.raises(InputError):
        resolve_timeout(0)
