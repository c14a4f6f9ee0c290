"""A real ``provenance serve`` on loopback for the serve tests, and the files they send.

The server is the installed command in its own process (the way a user starts
it), on a free port of 127.0.0.1, with its own PROVENANCE_HOME and TMPDIR so a
test can look at what it leaves on disk.  Every wait is bounded; the server is
stopped (SIGINT, then SIGKILL) when the test ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.generate import write_edited, write_photo
from provenance.demo import tamper

HOSTILE = (
    "\x1b]0;owned\x07 <script>alert(1)</script>\u202egnp.exe <img src=x onerror=alert(2)> "
    '"><svg onload=alert(3)>'
)
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Samples:
    """Files for the server tests (small, so a load test stays fast)."""

    folder: Path
    root: Path
    ai_edited: Path
    parent: Path
    plain: Path
    tampered: Path
    hostile: Path
    policy: Path

    def main_server_args(self) -> tuple[str, ...]:
        """The configuration most API tests share: trust, policy, paths, a 1 MB limit."""
        return (
            "--trust",
            str(self.root),
            "--policy",
            str(self.policy),
            "--allow-paths",
            str(self.folder),
            "--max-upload-mb",
            "1",
        )


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("serve-samples"))


def make_samples(folder: Path, width: int = 640, height: int = 427) -> Samples:
    """Sign the sample files, ``width`` x ``height`` pixels, into ``folder`` (an empty folder)."""
    from provenance.identity.keys import ephemeral_identity
    from provenance.sign import EditKind, EditSpec, SignRequest, sign_image

    raw = folder / "raw"
    raw.mkdir()
    identity, root_pem = ephemeral_identity("Jane Doe", "Doe Studio")
    root = folder / "root.pem"
    root.write_bytes(root_pem)
    capture = write_photo(raw, "jpeg", name="capture.jpg", width=width, height=height)
    parent = folder / "capture-signed.jpg"
    sign_image(SignRequest(source=capture, output=parent), identity)
    edited_raw = write_edited(capture, raw, name="edited-raw.jpg")
    ai_edited = folder / "ai-edited.jpg"
    sign_image(
        SignRequest(
            source=edited_raw,
            output=ai_edited,
            parent=parent,
            edits=(
                EditSpec(EditKind.EDIT, "Colour grade"),
                EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill/2.1"),
            ),
        ),
        identity,
    )
    tampered = folder / "tampered.jpg"
    tampered.write_bytes(tamper(ai_edited.read_bytes()))
    plain = write_photo(folder, "jpeg", name="plain.jpg", width=width, height=height, seed=3)
    stranger, _ = ephemeral_identity("<script>alert(1)</script>\u202e", '"><svg onload=alert(3)>')
    hostile = folder / "hostile.jpg"
    sign_image(
        SignRequest(
            source=edited_raw,
            output=hostile,
            parent=capture,
            edits=(EditSpec(EditKind.AI_EDIT, HOSTILE, tool=HOSTILE + "/1"),),
        ),
        stranger,
    )
    policy = folder / "house.toml"
    policy.write_text('require = "trusted"\nmax_ai_area = 0.9\n', encoding="utf-8")
    return Samples(folder, root, ai_edited, parent, plain, tampered, hostile, policy)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server: its address, process, and the folders it was given."""

    url: str
    port: int
    process: subprocess.Popen[str]
    tmpdir: Path
    home: Path
    log: Path

    def output(self) -> str:
        """What the server printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def temp_leftovers(self) -> list[Path]:
        """Files (not folders) under the server's TMPDIR: uploads that were not removed."""
        return [p for p in self.tmpdir.rglob("*") if p.is_file()]

    def rss_kib(self) -> int:
        """Resident memory of the server process (not its workers), KiB."""
        return _status_kib(self.process.pid, "VmRSS")

    def peak_rss_kib(self) -> int:
        """Peak resident memory of the server process, KiB."""
        return _status_kib(self.process.pid, "VmHWM")


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _wait_ready(server: Server) -> None:
    import httpx

    url, process = server.url, server.process
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {server.output()}")
        try:
            if httpx.get(url + "api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not start in time")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


StartServer = Callable[..., Server]


def _command() -> list[str]:
    """The installed ``provenance`` script (as a user starts it), else the module."""
    script = Path(sys.executable).with_name("provenance")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from provenance_cli.app import main; main()"]


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartServer]:
    """Start ``provenance serve`` with extra arguments; stopped when the session ends.

    Servers with the same arguments are shared by every test that asks for them.
    """
    started: list[Server] = []
    running: dict[object, Server] = {}
    tmp_path = tmp_path_factory.mktemp("servers")

    def start(*args: str, env: dict[str, str] | None = None) -> Server:
        key = (args, tuple(sorted((env or {}).items())))
        if key in running:  # the same configuration: share the server (start-up costs ~2 s)
            return running[key]
        port = free_port()
        base = tmp_path / f"server-{len(started)}"
        tmpdir = base / "tmp"
        home = base / "home"
        tmpdir.mkdir(parents=True)
        environment = {
            **os.environ,
            "PROVENANCE_HOME": str(home),
            "TMPDIR": str(tmpdir),
            "NO_COLOR": "1",
            **(env or {}),
        }
        if "PROVENANCE_SERVE_TOKEN" not in (env or {}):
            environment.pop("PROVENANCE_SERVE_TOKEN", None)
        log = base / "server.log"
        with open(log, "w", encoding="utf-8") as stream:
            process = subprocess.Popen(
                [*_command(), "serve", "--port", str(port), *args],
                env=environment,
                stdout=stream,
                stderr=subprocess.STDOUT,
                text=True,
            )
        server = Server(f"http://127.0.0.1:{port}/", port, process, tmpdir, home, log)
        started.append(server)
        _wait_ready(server)
        running[key] = server
        return server

    yield start
    for server in started:
        _stop(server.process)
