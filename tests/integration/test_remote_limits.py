"""Remote fetch limits (issue 22): one deadline over the whole exchange, http(s) on every hop.

Servers listen on 127.0.0.1 only, and every one stops by itself within seconds.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provenance.verify.remote import MAX_REDIRECTS, RemoteFetchError, fetch_manifest
from tests.integration.test_remote import _remote_only


class _Trickle:
    """Sends a status line, then one header byte per second (a slow-loris server), for 20 s."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/m.c2pa"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        end = time.monotonic() + 20
        while not self.stop.is_set() and time.monotonic() < end:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._trickle, args=(conn, end), daemon=True).start()

    def _trickle(self, conn: socket.socket, end: float) -> None:
        try:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not self.stop.is_set() and time.monotonic() < end:
                conn.sendall(b"X")
                time.sleep(1)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture()
def trickle() -> Iterator[_Trickle]:
    server = _Trickle()
    yield server
    server.close()


class _Redirector:
    """/hop/N redirects to /hop/N+1 up to ``hops``, then serves the body; /ftp goes to ftp://."""

    def __init__(self, hops: int) -> None:
        outer = self
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                if self.path == "/ftp":
                    self._redirect("ftp://127.0.0.1/m.c2pa")
                    return
                n = int(self.path.rsplit("/", 1)[-1])
                if n < hops:
                    self._redirect(f"/hop/{n + 1}")
                    return
                self.send_response(200)
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"bytes")

            def _redirect(self, where: str) -> None:
                self.send_response(302)
                self.send_header("Location", where)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_trickled_headers_cannot_stretch_the_deadline(trickle: _Trickle) -> None:
    start = time.monotonic()
    with pytest.raises(RemoteFetchError, match="longer than"):
        fetch_manifest(trickle.url, timeout=2)
    assert time.monotonic() - start < 3.5


def test_cli_remote_timeout_3_returns_within_5_s(
    trickle: _Trickle, tmp_path: Path, dev_identity, home: Path
) -> None:
    from provenance_cli.app import app

    path, _ = _remote_only(tmp_path, trickle.url, dev_identity)
    start = time.monotonic()
    result = CliRunner().invoke(
        app, ["verify", str(path), "--allow-remote", "--remote-timeout", "3", "-q"]
    )
    elapsed = time.monotonic() - start
    assert elapsed < 5, f"verify took {elapsed:.1f} s against a one-byte-per-second server"
    assert result.exit_code == 11, result.output


def test_redirect_to_ftp_is_not_followed() -> None:
    server = _Redirector(hops=0)
    try:
        with pytest.raises(RemoteFetchError, match="not an http"):
            fetch_manifest(server.base + "/ftp", timeout=3)
    finally:
        server.close()


def test_at_most_three_redirects() -> None:
    server = _Redirector(hops=MAX_REDIRECTS)
    try:
        assert fetch_manifest(server.base + "/hop/0", timeout=3) == b"bytes"
        server.requests.clear()
        with pytest.raises(RemoteFetchError, match="redirected more than 3"):
            fetch_manifest(server.base + "/hop/-1", timeout=3)
        assert len(server.requests) == MAX_REDIRECTS + 1
    finally:
        server.close()
