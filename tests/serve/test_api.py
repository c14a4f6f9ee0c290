"""The HTTP API against a real server on loopback: verdicts, schema, limits, refusals."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from provenance.report.json_report import schema_path
from tests.serve.conftest import Samples, StartServer

TIMEOUT = httpx.Timeout(60.0)
#: One worker, no queue, a short time limit, and the batch pool's crash/hang test hooks.
HOOKED = ("--workers", "1", "--queue", "0", "--timeout", "4")
HOOK_ENV = {"PROVENANCE_TEST_CRASH_ON": "boom", "PROVENANCE_TEST_HANG_ON": "hang"}


def _files(
    *paths: Path, names: tuple[str, ...] | None = None
) -> list[tuple[str, tuple[str, bytes, str]]]:
    out = []
    for index, path in enumerate(paths):
        name = names[index] if names else path.name
        out.append(("files", (name, path.read_bytes(), "image/jpeg")))
    return out


def _schema_validator() -> Any:
    import jsonschema

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def test_starts_with_no_configuration_and_answers_health(start_server: StartServer) -> None:
    server = start_server()
    health = httpx.get(server.url + "api/v1/health", timeout=TIMEOUT)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["workers"] >= 1
    page = httpx.get(server.url, timeout=TIMEOUT)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "Nothing is kept" in page.text
    assert page.headers["x-content-type-options"] == "nosniff"


def test_verify_uploads_give_verdicts_in_the_schema(
    start_server: StartServer, samples: Samples
) -> None:
    server = start_server(*samples.main_server_args())
    response = httpx.post(
        server.url + "api/v1/verify",
        files=_files(samples.ai_edited, samples.plain, samples.tampered, samples.hostile),
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert isinstance(data, list) and len(data) == 4
    _schema_validator().validate(data)
    for entry in data:
        _schema_validator().validate(entry)
    verdicts = {d["file"]: d["verdict"] for d in data}
    assert verdicts == {
        "ai-edited.jpg": "trusted",
        "plain.jpg": "no_credentials",
        "tampered.jpg": "invalid",
        "hostile.jpg": "valid_untrusted",
    }
    assert [d["exit_code"] for d in data] == [0, 12, 11, 10]
    edited = data[0]
    assert edited["ai"]["edited"] is True and 0 < edited["ai"]["area_fraction"] < 1
    # No server folder anywhere in the answer, and nothing left on disk.
    assert str(server.tmpdir) not in response.text
    assert "/tmp" not in response.text and "provenance-serve-" not in response.text
    assert server.temp_leftovers() == []
    # Hostile manifest text arrives as inert JSON text (control and bidi characters removed).
    assert "\x1b" not in response.text and "\u202e" not in response.text


def test_hostile_file_name_is_shown_not_used(start_server: StartServer, samples: Samples) -> None:
    server = start_server()
    name = "../../etc/<script>x</script>\u202e.jpg"
    response = httpx.post(
        server.url + "api/v1/verify", files=_files(samples.plain, names=(name,)), timeout=TIMEOUT
    )
    assert response.status_code == 200
    shown = response.json()[0]["file"]
    assert "/" not in shown and "\u202e" not in shown
    assert server.temp_leftovers() == []


def test_oversize_upload_is_413_and_leaves_nothing(
    start_server: StartServer, samples: Samples, tmp_path: Path
) -> None:
    server = start_server(*samples.main_server_args())
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + bytes(1536 * 1024))
    response = httpx.post(server.url + "api/v1/verify", files=_files(big), timeout=TIMEOUT)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 413 and problem["type"].endswith("too-large")
    assert "MB" in problem["detail"]
    assert server.temp_leftovers() == []
    # The server is still fine afterwards.
    assert httpx.get(server.url + "api/v1/health", timeout=TIMEOUT).status_code == 200


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels in a few bytes (a decompression bomb's header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), [(12_000, 12_000), (60_000, 60_000)])
def test_too_many_pixels_is_refused_unread(
    start_server: StartServer, samples: Samples, tmp_path: Path, width: int, height: int
) -> None:
    server = start_server(*samples.main_server_args())
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(width, height))
    response = httpx.post(
        server.url + "api/v1/verify",
        files=[("files", ("bomb.png", bomb.read_bytes(), "image/png"))],
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    report = response.json()[0]
    assert report["verdict"] == "unreadable"
    assert report["problems"][0]["code"] == "provenance.tooManyPixels"
    _schema_validator().validate(report)


@pytest.mark.parametrize("host", ["evil.example", "attacker.test:8737", "127.0.0.1.nip.io"])
def test_foreign_host_header_is_refused(start_server: StartServer, host: str) -> None:
    server = start_server()
    for path in ("", "api/v1/health", "api/v1/verify"):
        response = httpx.get(server.url + path, headers={"Host": host}, timeout=TIMEOUT)
        assert response.status_code in (400, 421), (path, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")
    ok = httpx.get(
        server.url + "api/v1/health", headers={"Host": f"localhost:{server.port}"}, timeout=TIMEOUT
    )
    assert ok.status_code == 200


def test_token_protects_the_api(start_server: StartServer, samples: Samples) -> None:
    token = "s3cret-token-for-the-test-0123456789"
    server = start_server(env={"PROVENANCE_SERVE_TOKEN": token})
    url = server.url + "api/v1/verify"
    refused = httpx.post(url, files=_files(samples.plain), timeout=TIMEOUT)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    wrong = httpx.post(
        url, files=_files(samples.plain), headers={"Authorization": "Bearer nope"}, timeout=TIMEOUT
    )
    assert wrong.status_code == 401
    accepted = httpx.post(
        url,
        files=_files(samples.plain),
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert accepted.status_code == 200 and accepted.json()[0]["verdict"] == "no_credentials"
    assert token not in accepted.text and token not in refused.text


def test_token_protects_the_page_too(start_server: StartServer, samples: Samples) -> None:
    token = "s3cret-token-for-the-test-0123456789"
    server = start_server(env={"PROVENANCE_SERVE_TOKEN": token})
    with httpx.Client(timeout=TIMEOUT) as client:
        page = client.get(server.url)
        assert 'name="token"' in page.text and 'name="files"' not in page.text
        csrf = _page_token(client, server.url)
        refused = client.post(
            server.url + "verify", data={"csrf": csrf}, files=_files(samples.plain)
        )
        assert refused.status_code == 401
        wrong = client.post(server.url + "login", data={"csrf": csrf, "token": "nope"})
        assert wrong.status_code == 401
        signed = client.post(server.url + "login", data={"csrf": csrf, "token": token})
        assert signed.status_code == 303
        assert 'name="files"' in client.get(server.url).text
        ok = client.post(server.url + "verify", data={"csrf": csrf}, files=_files(samples.plain))
        assert ok.status_code == 200 and 'data-verdict="no_credentials"' in ok.text
        assert token not in ok.text


def test_check_applies_the_policy(start_server: StartServer, samples: Samples) -> None:
    server = start_server(*samples.main_server_args())
    response = httpx.post(
        server.url + "api/v1/check",
        files=_files(samples.ai_edited, samples.tampered),
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert [d["policy"]["passed"] for d in data] == [True, False]
    assert data[1]["policy"]["reasons"]
    # Without the policy key, each entry is a plain report in the schema.
    validator = _schema_validator()
    for entry in data:
        validator.validate({k: v for k, v in entry.items() if k != "policy"})


def test_check_without_a_policy_is_409(start_server: StartServer, samples: Samples) -> None:
    server = start_server()
    response = httpx.post(server.url + "api/v1/check", files=_files(samples.plain), timeout=TIMEOUT)
    assert response.status_code == 409
    assert response.json()["type"].endswith("no-policy")


def test_paths_inside_the_allowed_folder_only(start_server: StartServer, samples: Samples) -> None:
    server = start_server(*samples.main_server_args())
    url = server.url + "api/v1/verify"
    response = httpx.post(url, json=["plain.jpg", "tampered.jpg"], timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert [(d["file"], d["verdict"]) for d in response.json()] == [
        ("plain.jpg", "no_credentials"),
        ("tampered.jpg", "invalid"),
    ]
    for outside in (["../x.jpg"], ["/etc/passwd"], [str(samples.folder.parent)]):
        refused = httpx.post(url, json=outside, timeout=TIMEOUT)
        assert refused.status_code == 400, outside
        assert str(samples.folder) not in refused.text
    assert str(samples.folder) not in response.text


def test_json_paths_need_allow_paths(start_server: StartServer) -> None:
    server = start_server()
    response = httpx.post(server.url + "api/v1/verify", json=["a.jpg"], timeout=TIMEOUT)
    assert response.status_code == 415


def test_bad_requests_are_problem_details(start_server: StartServer) -> None:
    server = start_server()
    empty = httpx.post(
        server.url + "api/v1/verify", files={"other": ("a.txt", b"x")}, timeout=TIMEOUT
    )
    assert empty.status_code == 400
    missing = httpx.get(server.url + "api/v1/nothing", timeout=TIMEOUT)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    method = httpx.get(server.url + "api/v1/verify", timeout=TIMEOUT)
    assert method.status_code == 405
    garbage = httpx.post(
        server.url + "api/v1/verify",
        content=b"--x\r\nnot a part",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        timeout=TIMEOUT,
    )
    assert garbage.status_code == 400
    for response in (empty, missing, method, garbage):
        problem = response.json()
        assert set(problem) == {"type", "title", "status", "detail"}
    assert server.temp_leftovers() == []


def test_a_crashing_file_costs_one_file(
    start_server: StartServer, samples: Samples, tmp_path: Path
) -> None:
    server = start_server(*HOOKED, env=HOOK_ENV)
    response = httpx.post(
        server.url + "api/v1/verify",
        files=_files(samples.plain, samples.plain, names=("boom.jpg", "fine.jpg")),
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    first, second = response.json()
    assert first["verdict"] == "unreadable"
    assert first["problems"][0]["code"] == "provenance.workerFailed"
    assert second["verdict"] == "no_credentials"
    assert httpx.get(server.url + "api/v1/health", timeout=TIMEOUT).status_code == 200


def test_full_queue_is_503_with_retry_after(start_server: StartServer, samples: Samples) -> None:
    server = start_server(*HOOKED, env=HOOK_ENV)
    url = server.url + "api/v1/verify"
    slow: dict[str, httpx.Response] = {}

    def hold_the_worker() -> None:
        slow["r"] = httpx.post(
            url, files=_files(samples.plain, names=("hang.jpg",)), timeout=TIMEOUT
        )

    thread = threading.Thread(target=hold_the_worker)
    thread.start()
    try:
        import time

        deadline = time.monotonic() + 10
        while httpx.get(server.url + "api/v1/health", timeout=TIMEOUT).json()["busy"] == 0:
            assert time.monotonic() < deadline, "the first request never started"
            time.sleep(0.05)
        busy = httpx.post(url, files=_files(samples.plain), timeout=TIMEOUT)
        assert busy.status_code == 503
        assert int(busy.headers["retry-after"]) >= 1
        assert busy.json()["type"].endswith("busy")
    finally:
        thread.join(timeout=30)
    hung = slow["r"].json()[0]
    assert hung["verdict"] == "unreadable" and "time limit" in hung["problems"][0]["explanation"]
    assert server.temp_leftovers() == []


def test_openapi_and_docs_are_self_hosted(start_server: StartServer) -> None:
    server = start_server()
    spec = httpx.get(server.url + "api/openapi.json", timeout=TIMEOUT).json()
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v1/verify", "/api/v1/check", "/api/v1/health"} <= set(spec["paths"])
    docs = httpx.get(server.url + "api/docs", timeout=TIMEOUT)
    assert docs.status_code == 200 and "/api/v1/verify" in docs.text
    assert '<script src="http' not in docs.text and "cdn" not in docs.text.lower()
    schema = httpx.get(server.url + "api/v1/schema/report.json", timeout=TIMEOUT).json()
    assert schema["$defs"]["report"]


def _page_token(client: httpx.Client, url: str) -> str:
    import re

    page = client.get(url)
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, "no CSRF field on the page"
    return match.group(1)


def test_page_form_works_without_script_and_needs_its_csrf_token(
    start_server: StartServer, samples: Samples
) -> None:
    server = start_server(*samples.main_server_args())
    with httpx.Client(timeout=TIMEOUT) as client:
        token = _page_token(client, server.url)
        files = _files(samples.ai_edited, samples.hostile)
        ok = client.post(server.url + "verify", data={"csrf": token}, files=files)
        assert ok.status_code == 200
        assert "2 files checked" in ok.text
        assert 'data-verdict="trusted"' in ok.text and "changed by AI" in ok.text
        # Hostile manifest text is escaped: no live markup from the file.
        assert "<script>alert(1)" not in ok.text and "<svg onload" not in ok.text
        assert "&lt;script&gt;" in ok.text
        forged = client.post(
            server.url + "verify", data={"csrf": "x.y"}, files=_files(samples.plain)
        )
        assert forged.status_code == 403
        cross = client.post(
            server.url + "verify",
            data={"csrf": token},
            files=_files(samples.plain),
            headers={"Origin": "http://evil.example"},
        )
        assert cross.status_code == 403
    # A client without the cookie (another site's form) is refused too.
    bare = httpx.post(
        server.url + "verify", data={"csrf": token}, files=_files(samples.plain), timeout=TIMEOUT
    )
    assert bare.status_code == 403
    assert server.temp_leftovers() == []


def test_keep_uploads_keeps_a_copy_and_says_so(
    start_server: StartServer, samples: Samples, tmp_path: Path
) -> None:
    keep = tmp_path / "kept"
    keep.mkdir()
    server = start_server("--keep-uploads", str(keep))
    assert "Uploads are kept" in httpx.get(server.url, timeout=TIMEOUT).text
    response = httpx.post(
        server.url + "api/v1/verify", files=_files(samples.plain), timeout=TIMEOUT
    )
    assert response.status_code == 200
    kept = [p for p in keep.rglob("*") if p.is_file()]
    assert len(kept) == 1 and kept[0].read_bytes() == samples.plain.read_bytes()
    assert str(keep) not in response.text
    assert server.temp_leftovers() == []


def test_a_raw_and_its_sidecar_are_one_file(
    start_server: StartServer, samples: Samples, tmp_path: Path
) -> None:
    from fixtures import raw as raw_fixtures
    from provenance.identity.keys import ephemeral_identity
    from tests.raw_sidecar import sign_raw_with_sidecar

    identity, _ = ephemeral_identity("Raw Shooter", "Raw Studio")
    raw_path = raw_fixtures.write_raw(tmp_path, "nef", name="DSC_0001.NEF")
    sidecar = sign_raw_with_sidecar(raw_path, identity)
    server = start_server(*samples.main_server_args())
    both = httpx.post(
        server.url + "api/v1/verify",
        files=[
            ("files", (raw_path.name, raw_path.read_bytes(), "application/octet-stream")),
            ("files", (sidecar.name, sidecar.read_bytes(), "application/c2pa")),
        ],
        timeout=TIMEOUT,
    )
    assert both.status_code == 200, both.text
    data = both.json()
    assert [(d["file"], d["verdict"]) for d in data] == [("DSC_0001.NEF", "valid_untrusted")]
    _schema_validator().validate(data)
    alone = httpx.post(
        server.url + "api/v1/verify",
        files=[("files", (raw_path.name, raw_path.read_bytes(), "application/octet-stream"))],
        timeout=TIMEOUT,
    )
    assert alone.json()[0]["verdict"] == "no_credentials"
    assert str(server.tmpdir) not in both.text and "provenance-serve-" not in both.text
    assert server.temp_leftovers() == []
