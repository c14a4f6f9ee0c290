"""The server's parts without a server: upload parsing, the gate, CSRF, tokens, hosts, config."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from provenance.errors import InputError
from provenance.serve.config import ServeConfig, is_loopback
from provenance.serve.problems import ProblemError
from provenance.serve.security import Csrf, check_bearer, host_name
from provenance.serve.uploads import disk_name, display_name, receive_multipart
from provenance.serve.work import Gate
from provenance.verify import VerifyOptions

BOUNDARY = "b0undary"


def _body(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += (
            f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
        )
    return out + f"--{BOUNDARY}--\r\n".encode()


async def _chunks(data: bytes, size: int = 7000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _receive(data: bytes, folder: Path, *, max_bytes: int = 1 << 20, max_files: int = 10) -> object:
    return asyncio.run(
        receive_multipart(
            _chunks(data),
            f"multipart/form-data; boundary={BOUNDARY}",
            len(data),
            folder,
            max_bytes=max_bytes,
            max_files=max_files,
        )
    )


def test_files_are_streamed_to_disk_under_harmless_names(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 100
    received = _receive(
        _body(
            ("csrf", None, b"tok"),
            ("files", "../../a b\u202e.jpg", payload),
            ("files", "x.png", b"p"),
        ),
        tmp_path,
    )
    files = received.files  # type: ignore[attr-defined]
    assert [f.path.read_bytes() for f in files] == [payload, b"p"]
    assert all(f.path.parent == tmp_path for f in files)
    assert files[0].path.name == "a_b_.jpg"
    assert files[0].name == "a b.jpg"  # display: last part, bidi control removed
    assert received.fields == {"csrf": "tok"}  # type: ignore[attr-defined]


def test_over_the_limit_is_413_and_nothing_stays(tmp_path: Path) -> None:
    data = _body(("files", "a.jpg", b"x" * 5000), ("files", "b.jpg", b"y" * 5000))
    with pytest.raises(ProblemError) as refused:
        _receive(data, tmp_path, max_bytes=6000)
    assert refused.value.status == 413
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (_body(("other", "a.jpg", b"x")), "form field 'files'"),
        (_body(*[("files", f"{i}.jpg", b"x") for i in range(3)]), "at most 2"),
        (b"--b0undary\r\ngarbage", "malformed"),
    ],
)
def test_bad_forms_are_400_and_nothing_stays(tmp_path: Path, data: bytes, why: str) -> None:
    with pytest.raises(ProblemError) as refused:
        _receive(data, tmp_path, max_files=2)
    assert refused.value.status == 400
    assert why in refused.value.detail
    assert list(tmp_path.iterdir()) == []


def test_not_multipart_is_415(tmp_path: Path) -> None:
    with pytest.raises(ProblemError) as refused:
        asyncio.run(
            receive_multipart(
                _chunks(b"{}"), "application/json", 2, tmp_path, max_bytes=10, max_files=1
            )
        )
    assert refused.value.status == 415


def test_names() -> None:
    assert display_name("C:\\Users\\me\\photo.jpg") == "photo.jpg"
    taken: set[str] = set()
    assert disk_name("...hidden.jpg", taken) == "hidden.jpg"
    assert disk_name("HIDDEN.jpg", taken) == "HIDDEN-2.jpg"
    assert disk_name("", taken) == "upload"
    assert disk_name("photo.nef.c2pa", taken) == "photo.nef.c2pa"


def test_gate_bounds_work_and_refuses_when_the_queue_is_full() -> None:
    async def scenario() -> tuple[int, int, str]:
        gate = Gate(slots=2, queue=1)
        peak = 0
        release = asyncio.Event()

        async def job(want: int) -> None:
            nonlocal peak
            async with gate.hold(want):
                peak = max(peak, gate.busy)
                await release.wait()

        first = asyncio.create_task(job(2))  # takes both slots
        await asyncio.sleep(0)
        second = asyncio.create_task(job(1))  # waits (queue 1 of 1)
        await asyncio.sleep(0)
        try:
            async with gate.hold(1):
                pass
            refused = ""
        except ProblemError as exc:
            refused = exc.headers["Retry-After"]
        release.set()
        await asyncio.gather(first, second)
        return peak, gate.busy, refused

    peak, busy_after, retry_after = asyncio.run(scenario())
    assert peak == 2 and busy_after == 0
    assert int(retry_after) >= 1


def test_csrf_tokens() -> None:
    csrf = Csrf()
    token = csrf.new_token()
    csrf.check(token, token, origin=None, fetch_site="same-origin", host="127.0.0.1:8737")
    csrf.check(token, token, origin="http://127.0.0.1:8737", fetch_site=None, host="127.0.0.1:8737")
    for cookie, field, origin, site in (
        (token, "other", None, None),
        (Csrf().new_token(), None, None, None),
        ("a.b", "a.b", None, None),
        (token, token, "http://evil.example", None),
        (token, token, None, "cross-site"),
    ):
        with pytest.raises(ProblemError) as refused:
            csrf.check(
                cookie, field or cookie, origin=origin, fetch_site=site, host="127.0.0.1:8737"
            )
        assert refused.value.status == 403


def test_bearer_token() -> None:
    check_bearer(None, None)
    check_bearer("t" * 20, "Bearer " + "t" * 20)
    for given in (None, "Bearer nope", "Basic " + "t" * 20, "t" * 20):
        with pytest.raises(ProblemError) as refused:
            check_bearer("t" * 20, given)
        assert refused.value.status == 401


def test_hosts() -> None:
    assert host_name("LocalHost:8737") == "localhost"
    assert host_name("[::1]:8737") == "::1"
    assert host_name("127.0.0.1") == "127.0.0.1"
    assert is_loopback("127.0.0.5") and is_loopback("::1") and is_loopback("localhost")
    assert (
        not is_loopback("0.0.0.0")
        and not is_loopback("192.0.2.1")
        and not is_loopback("example.org")
    )


def test_config_is_checked(tmp_path: Path) -> None:
    options = VerifyOptions(use_trust_store=False)
    config = ServeConfig(verify_options=options, extra_hosts=("Proxy.Example",))
    assert config.loopback and config.url == "http://127.0.0.1:8737/"
    assert {"127.0.0.1", "localhost", "::1", "proxy.example"} <= config.allowed_hosts
    for bad in (
        {"workers": 0},
        {"token": "short"},
        {"port": 70000},
        {"keep_uploads": tmp_path / "missing"},
        {"timeout_s": 0},
    ):
        with pytest.raises(InputError):
            ServeConfig(verify_options=options, **bad)  # type: ignore[arg-type]


def test_cli_warns_off_loopback_and_starts_nothing_here(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    from typer.testing import CliRunner

    import provenance.serve.app as serve_app
    from provenance_cli.app import app

    seen: list[ServeConfig] = []
    monkeypatch.setattr(serve_app, "serve", lambda config: seen.append(config))
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--token", "x" * 24])
    assert result.exit_code == 0, result.output
    assert "warning: listening on 0.0.0.0" in result.output
    assert seen and seen[0].token == "x" * 24 and not seen[0].loopback
    quiet = CliRunner().invoke(app, ["serve"])
    assert quiet.exit_code == 0 and "warning" not in quiet.output
    assert "http://127.0.0.1:8737/" in quiet.output
