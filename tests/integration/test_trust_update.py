"""``trust update`` against a fake trust-list server on loopback (no internet).

The server serves the shipped snapshot under the official file names (and the C2PA
lists' JSON form built from the same certificates), so an update is checked end to
end; then broken variants show that a truncated or corrupt download leaves the old
lists in place, and that being offline gives one clear sentence.
"""

from __future__ import annotations

import base64
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provenance.identity.trust_lists import lists_dir, pem_blocks, shipped_dir
from provenance.identity.trust_sources import load_sources
from provenance.identity.trust_update import TrustUpdateError, update_lists
from provenance_cli.app import app

#: Official file name -> shipped file.
FILES = {
    "C2PA-TRUST-LIST.pem": "c2pa-trust-list.pem",
    "C2PA-TSA-TRUST-LIST.pem": "c2pa-tsa-trust-list.pem",
    "anchors.pem": "itl-anchors.pem",
    "allowed.pem": "itl-allowed.pem",
    "store.cfg": "itl-store.cfg",
}


def _lote(pem: bytes) -> bytes:
    certs = [{"val": base64.b64encode(d).decode()} for d in pem_blocks(pem)]
    return json.dumps(
        {
            "LoTE": {
                "TrustedEntitiesList": [
                    {
                        "TrustedEntityServices": [
                            {
                                "ServiceInformation": {
                                    "ServiceDigitalIdentity": {"X509Certificates": certs}
                                }
                            }
                        ]
                    }
                ]
            }
        }
    ).encode()


def _content() -> dict[str, bytes]:
    out = {name: (shipped_dir() / local).read_bytes() for name, local in FILES.items()}
    out["C2PA-TRUST-LIST.json"] = _lote(out["C2PA-TRUST-LIST.pem"])
    out["C2PA-TSA-TRUST-LIST.json"] = _lote(out["C2PA-TSA-TRUST-LIST.pem"])
    return out


class _Server:
    def __init__(self) -> None:
        self.content = _content()
        #: file name -> (claimed Content-Length, body) to serve a cut-short download.
        self.short: dict[str, bytes] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                if name not in server.content:
                    self.send_error(404)
                    return
                body = server.content[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(server.short.get(name, body))

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/lists"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    try:
        yield srv
    finally:
        srv.close()


def _index(home: Path) -> bytes | None:
    path = lists_dir(home) / "index.json"
    return path.read_bytes() if path.is_file() else None


def test_update_installs_checked_lists(home: Path, server: _Server) -> None:
    # One more allowed certificate upstream (a copy of an anchor, for the count).
    allowed = server.content["allowed.pem"]
    extra = server.content["anchors.pem"].split(b"-----END CERTIFICATE-----")[0]
    server.content["allowed.pem"] = (
        allowed + b"\n" + extra.split(b"\n", 3)[-1] + (b"-----END CERTIFICATE-----\n")
    )
    results = update_lists(home, mirror=server.url, timeout=10)
    by_id = {r.id: r for r in results}
    assert set(by_id) == {"c2pa", "c2pa-tsa", "itl"}
    assert not by_id["c2pa"].changed and by_id["itl"].changed
    sources = {s.id: s for s in load_sources(home)}
    assert all(s.origin == "updated" for s in sources.values())
    assert sources["itl"].count == by_id["itl"].previous_count + 1
    # Unchanged lists keep their recorded commit and date; changed ones get today's.
    assert sources["c2pa"].commit and sources["c2pa"].date == "2026-08-14"
    assert sources["itl"].commit is None
    # The CLI shows the updated copy.
    out = CliRunner().invoke(app, ["trust", "list"]).stdout
    assert "updated copy" in out and "itl" in out


def test_truncated_download_leaves_old_lists(home: Path, server: _Server) -> None:
    update_lists(home, mirror=server.url, timeout=10)
    before = _index(home)
    assert before is not None
    pem = server.content["C2PA-TRUST-LIST.pem"]
    # Cut the file in the middle of a certificate: the PEM no longer parses fully.
    server.content["C2PA-TRUST-LIST.pem"] = pem[: len(pem) // 2]
    with pytest.raises(TrustUpdateError, match=r"PEM|truncated"):
        update_lists(home, mirror=server.url, timeout=10)
    assert _index(home) == before
    assert all(s.origin == "updated" for s in load_sources(home))


def test_cut_short_transfer_leaves_old_lists(home: Path, server: _Server) -> None:
    body = server.content["anchors.pem"]
    server.short["anchors.pem"] = body[:-100]  # Content-Length claims the whole file
    with pytest.raises(TrustUpdateError):
        update_lists(home, mirror=server.url, timeout=10)
    assert _index(home) is None
    assert all(s.origin == "shipped" for s in load_sources(home))


def test_whole_certificates_missing_is_refused(home: Path, server: _Server) -> None:
    blocks = server.content["allowed.pem"].split(b"-----END CERTIFICATE-----")
    server.content["allowed.pem"] = b"-----END CERTIFICATE-----".join(blocks[:5]) + (
        b"-----END CERTIFICATE-----\n"
    )
    with pytest.raises(TrustUpdateError, match="truncated"):
        update_lists(home, mirror=server.url, timeout=10)
    assert _index(home) is None


def test_pem_and_json_must_agree(home: Path, server: _Server) -> None:
    server.content["C2PA-TRUST-LIST.json"] = _lote(server.content["C2PA-TSA-TRUST-LIST.pem"])
    with pytest.raises(TrustUpdateError, match="disagree"):
        update_lists(home, mirror=server.url, timeout=10)
    assert _index(home) is None


def test_corrupt_ekus_are_refused(home: Path, server: _Server) -> None:
    server.content["store.cfg"] = b"<html>not found</html>"
    with pytest.raises(TrustUpdateError, match="EKU"):
        update_lists(home, mirror=server.url, timeout=10)


def test_offline_gives_one_sentence(home: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(
        app, ["trust", "update", "--mirror", f"http://127.0.0.1:{port}/x", "--timeout", "3"]
    )
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("error: Cannot reach 127.0.0.1")
    assert "offline" in lines[0] and "current lists stay in use" in lines[0]
    assert "Traceback" not in result.output
    assert _index(home) is None


def test_tampered_updated_copy_falls_back_to_shipped(home: Path, server: _Server) -> None:
    update_lists(home, mirror=server.url, timeout=10)
    index = json.loads((lists_dir(home) / "index.json").read_text())
    name = index["sources"]["itl"]["files"]["anchors"]["path"]
    (lists_dir(home) / name).write_bytes(b"changed behind our back")
    sources = {s.id: s for s in load_sources(home)}
    assert sources["itl"].origin == "shipped"
    assert sources["c2pa"].origin == "updated"


def test_shipped_index_matches_the_shipped_files() -> None:
    """The snapshot's index records each file's hash and count, and the allowed list's hashes."""
    from provenance.identity.trust_lists import allowed_hash_list, raw_index, raw_intact

    index = raw_index(shipped_dir())
    assert set(index) == {"c2pa", "c2pa-tsa", "itl"}
    for entry in index.values():
        assert raw_intact(shipped_dir(), entry)
        assert entry["commit"] and entry["date"] and entry["repository"].startswith("https://")
        for role, f in entry["files"].items():
            data = (shipped_dir() / f["path"]).read_bytes()
            if role != "ekus":
                assert len(pem_blocks(data)) == f["count"]
    allowed = index["itl"]["files"]["allowed"]
    assert allowed["hashes"] == allowed_hash_list((shipped_dir() / allowed["path"]).read_bytes())


def test_a_running_process_sees_an_update(home: Path, server: _Server) -> None:
    from provenance.identity.trust_lists import trust_material

    before = trust_material(home)
    assert before.dates["itl"] == "2025-08-28"
    server.content["store.cfg"] += b"\n1.2.3.4.5\n"
    update_lists(home, mirror=server.url, timeout=10)
    after = trust_material(home)
    assert after is not before
    assert "1.2.3.4.5" in after.trust_config
