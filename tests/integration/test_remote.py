"""Remote manifests: never fetched unless allowed; when allowed, fetched by us, bounded.

Servers run on 127.0.0.1 only.  The remote-only file is made here with c2pa directly
(Builder.set_no_embed + set_remote_url), so it carries just the URL.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provenance.models import Verdict
from provenance.verify import VerifyOptions, verify_file

_DEFINITION = {
    "claim_generator_info": [{"name": "remote-test"}],
    "assertions": [
        {
            "label": "c2pa.actions.v2",
            "data": {
                "actions": [
                    {
                        "action": "c2pa.created",
                        "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                    }
                ]
            },
        }
    ],
}


class _Server:
    def __init__(self, body: bytes = b"", mode: str = "serve") -> None:
        self.body = body
        self.mode = mode
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                if outer.mode == "hang":
                    time.sleep(30)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/c2pa")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/manifest.c2pa"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.close()


def _remote_only(folder: Path, url: str, dev_identity) -> tuple[Path, bytes]:
    import c2pa

    from fixtures.generate import write_photo
    from provenance import _c2pa

    identity, _ = dev_identity
    signer, _ = _c2pa._signer(identity, None)
    photo = write_photo(folder, "jpeg", width=320, height=200)
    ctx = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    out = io.BytesIO()
    with c2pa.Builder(_DEFINITION, context=ctx) as builder:
        builder.set_no_embed()
        builder.set_remote_url(url)
        manifest = builder.sign(signer, "image/jpeg", io.BytesIO(photo.read_bytes()), out)
    path = folder / "remote.jpg"
    path.write_bytes(out.getvalue())
    return path, bytes(manifest)


def test_remote_only_file_makes_no_request(tmp_path: Path, server: _Server, dev_identity) -> None:
    path, manifest = _remote_only(tmp_path, server.url, dev_identity)
    server.body = manifest
    start = time.monotonic()
    report = verify_file(path, VerifyOptions(use_trust_store=False))
    assert time.monotonic() - start < 2
    assert server.requests == []
    assert report.verdict in (Verdict.INVALID, Verdict.NO_CREDENTIALS)
    assert report.remote_url == server.url
    assert any(server.url in s and "--allow-remote" in s for s in report.statements)
    assert any(p.code == "provenance.remoteManifest.notFetched" for p in report.problems)


def test_cli_names_url_and_makes_no_request(
    tmp_path: Path, server: _Server, dev_identity, home: Path
) -> None:
    from provenance_cli.app import app

    path, _ = _remote_only(tmp_path, server.url, dev_identity)
    result = CliRunner().invoke(app, ["verify", "--format", "json", str(path)])
    data = json.loads(result.stdout)
    assert server.requests == []
    assert data["remote_url"] == server.url
    assert result.exit_code == Verdict(data["verdict"]).exit_code


def test_allow_remote_fetches_once_and_verifies(
    tmp_path: Path, server: _Server, dev_identity, root_pem_file: Path
) -> None:
    path, manifest = _remote_only(tmp_path, server.url, dev_identity)
    server.body = manifest
    options = VerifyOptions(
        trust_files=(root_pem_file,), use_trust_store=False, allow_remote=True, remote_timeout=5
    )
    report = verify_file(path, options)
    assert server.requests == ["/manifest.c2pa"]
    assert report.verdict is Verdict.TRUSTED


def test_allow_remote_wrong_manifest_is_invalid(
    tmp_path: Path, server: _Server, dev_identity
) -> None:
    path, _ = _remote_only(tmp_path, server.url, dev_identity)
    server.body = b"\x00" * 100 + b"not a manifest"
    report = verify_file(path, VerifyOptions(use_trust_store=False, allow_remote=True))
    assert len(server.requests) == 1
    assert report.verdict in (Verdict.INVALID, Verdict.UNREADABLE)


def test_allow_remote_silent_server_is_bounded(tmp_path: Path, dev_identity) -> None:
    srv = _Server(mode="hang")
    try:
        path, _ = _remote_only(tmp_path, srv.url, dev_identity)
        start = time.monotonic()
        report = verify_file(
            path, VerifyOptions(use_trust_store=False, allow_remote=True, remote_timeout=1.0)
        )
        elapsed = time.monotonic() - start
    finally:
        srv.close()
    assert elapsed < 4, f"a silent server held verify for {elapsed:.1f}s"
    assert report.verdict is Verdict.INVALID
    assert any(p.code == "provenance.remoteManifest.fetchFailed" for p in report.problems)


def test_allow_remote_refused_connection(tmp_path: Path, dev_identity) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now
    path, _ = _remote_only(tmp_path, f"http://127.0.0.1:{port}/m.c2pa", dev_identity)
    report = verify_file(path, VerifyOptions(use_trust_store=False, allow_remote=True))
    assert report.verdict is Verdict.INVALID


def test_fetch_refuses_other_schemes() -> None:
    from provenance.verify.remote import RemoteFetchError, fetch_manifest

    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)"):
        with pytest.raises(RemoteFetchError):
            fetch_manifest(url, timeout=1)


def test_fetch_size_cap(server: _Server) -> None:
    from provenance.verify.remote import RemoteFetchError, fetch_manifest

    server.body = b"x" * 200_000
    with pytest.raises(RemoteFetchError):
        fetch_manifest(server.url, timeout=2, max_bytes=100_000)
